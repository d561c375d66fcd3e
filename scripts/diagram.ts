// The lab drawn from its config (`npm run plan -- --diagram lab.svg`): the picture homelab owners
// draw by hand for their write-ups, made from the same validated LabConfig the program builds from,
// so the drawing cannot drift from the lab.
//
// labDot() is pure (config in, Graphviz DOT out) and renderDiagramSvg() lays it out with Graphviz
// compiled to WebAssembly (@viz-js/viz): no browser, no `dot` binary on the machine.
//
// Only names, addresses and sizes reach the drawing. Secret fields (SecretValue) are never read,
// and neither are free-form maps that may hold them (app env, registry credentials).
import { catalog, databaseImages } from "../components/catalog";
import { ContainerConfig, DockerHostConfig, LabConfig, NasConfig, NetworkConfig, NodeConfig } from "../stacks/config";
import { defaultDockerHost } from "../stacks/routes";
import { dnsHosts, firewallArgs } from "../stacks/lab";
import { planFirewall } from "../components/firewall";

/** One colour per kind of thing, so that a reader learns the picture once. */
const colour = {
    text: "#1f2933",
    detail: "#52606d",
    internet: "#52606d",
    cloudflare: "#f38020",
    router: "#3e4c59",
    node: "#e57000",
    nas: "#2f855a",
    docker: "#1d63ed",
    app: "#1d63ed",
    proxy: "#0f766e",
    database: "#7b3fa0",
    container: "#52606d",
    ups: "#b7791f",
    backup: "#c53030",
    mount: "#2f855a",
    allow: "#2f855a",
    deny: "#c53030",
} as const;

/**
 * Graphviz sizes every box from its own built-in font metrics (the WebAssembly build has no font
 * files). Its tables know "Arial" by that exact name; a fallback list ("Arial,Helvetica,...") gets
 * Times metrics, and "Helvetica" is written to the SVG as a family that Linux viewers draw with a
 * wider face. Arial (or its metric twin Liberation Sans) is what every viewer has.
 */
const FONT = "Arial";

/** Lane colours of the networks, in config order: [fill, border]. Pale so nested boxes stay legible. */
const lanes: [string, string][] = [
    ["#f0f4f8", "#829ab1"],
    ["#fdf6e3", "#b58900"],
    ["#f3eefb", "#8e6fc1"],
    ["#eef8f3", "#4c9a77"],
    ["#fdf0f0", "#c56a6a"],
    ["#eef7fa", "#3f8ea8"],
];

/** Escapes text for a Graphviz HTML-like label. */
function esc(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A quoted DOT id: ids here hold ':' and '-', which are syntax when unquoted. */
function q(id: string): string {
    return `"${id.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** An HTML-like label: a bold title, then smaller detail lines (empty ones dropped). */
function label(title: string, ...details: (string | undefined | false)[]): string {
    const lines = details.filter((d): d is string => typeof d === "string" && d.length > 0);
    const small = lines.map((l) => `<BR/><FONT POINT-SIZE="9" COLOR="${colour.detail}">${esc(l)}</FONT>`).join("");
    return `<<B>${esc(title)}</B>${small}>`;
}

/** Attribute list `[a=1, b="x"]`; values that are HTML labels (`<...>`) stay unquoted. */
function attrs(a: Record<string, string | number | boolean | undefined>): string {
    const parts = Object.entries(a)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => (typeof v === "string" && v.startsWith("<") && v.endsWith(">") ? `${k}=${v}` : `${k}=${typeof v === "string" ? q(v) : v}`));
    return parts.length ? ` [${parts.join(", ")}]` : "";
}

function memory(mb: number): string {
    return mb >= 1024 ? `${Number((mb / 1024).toFixed(1))} GB RAM` : `${mb} MB RAM`;
}

/**
 * Accumulates DOT lines with indentation, so the output stays readable when debugging a layout.
 * Edges are kept apart and written at the top level: an edge written inside a subgraph makes both
 * its ends members of that subgraph, which would pull a Docker host into its own app network.
 */
class Dot {
    private readonly lines: string[] = [];
    private readonly edges: string[] = [];
    private depth = 1;
    line(text: string): void {
        this.lines.push(`${"    ".repeat(this.depth)}${text}`);
    }
    node(id: string, a: Record<string, string | number | boolean | undefined>): void {
        this.line(`${q(id)}${attrs(a)};`);
    }
    edge(from: string, to: string, a: Record<string, string | number | boolean | undefined> = {}): void {
        this.edges.push(`    ${from.startsWith('"') ? from : q(from)} -> ${q(to)}${attrs(a)};`);
    }
    cluster(id: string, a: Record<string, string | number | boolean | undefined>, body: () => void): void {
        this.line(`subgraph ${q(id)} {`);
        this.depth++;
        for (const [k, v] of Object.entries(a)) {
            if (v !== undefined) {
                this.line(`${k}=${typeof v === "string" && v.startsWith("<") && v.endsWith(">") ? v : typeof v === "string" ? q(v) : v};`);
            }
        }
        body();
        this.depth--;
        this.line("}");
    }
    text(): string {
        return [...this.lines, ...this.edges].join("\n");
    }
}

/** What an app is, as the drawing needs it: where it runs, whether the proxy routes to it, its database. */
interface AppView {
    name: string;
    host: string;
    exposed: boolean;
    subdomain: string;
    public: boolean;
    description: string;
    database?: "mariadb" | "postgres";
    ports: { host: number; container: number; protocol: string }[];
}

function appViews(cfg: LabConfig): AppView[] {
    const defaultHost = defaultDockerHost(cfg.dockerHosts.map((h) => h.hostname), cfg.proxy?.host);
    return cfg.apps.map((a) => {
        const entry = catalog[a.catalog ?? a.name];
        return {
            name: a.name,
            host: a.host ?? defaultHost ?? "",
            // The same rule validate.ts and the proxy use: a web port means a route unless told otherwise.
            exposed: a.expose ?? (entry?.port !== undefined || a.port !== undefined),
            subdomain: a.subdomain ?? a.name,
            public: a.public,
            // A generic app is known by its image (without the registry, which only widens the box);
            // a catalog app by what it does.
            description: (a.catalog ?? a.name) === "generic" ? (a.image ?? "").replace(/^.*\//, "") : (entry?.description ?? a.image ?? ""),
            database: (a.database ?? entry?.database)?.engine,
            ports: (a.ports ?? entry?.ports ?? []).map((p) => ({ host: p.host, container: p.container, protocol: p.protocol ?? "tcp" })),
        };
    });
}

/** Published ports as `53/tcp+udp, 8200/tcp`: one entry per host port, protocols joined. */
function portsText(ports: AppView["ports"]): string {
    const byPort = new Map<string, string[]>();
    for (const p of ports) {
        const key = p.host === p.container ? `${p.host}` : `${p.host}:${p.container}`;
        byPort.set(key, [...(byPort.get(key) ?? []), p.protocol]);
    }
    return [...byPort].map(([port, protos]) => `${port}/${protos.join("+")}`).join(", ");
}

/** A disk id without its `/dev/disk/by-id/` prefix: the part that tells the disks apart. */
function diskName(path: string): string {
    return path.replace(/^\/dev\/disk\/by-id\//, "");
}

/**
 * The lab as Graphviz DOT, left to right: the internet and Cloudflare DNS, the router, each network
 * as a lane, each Proxmox node inside the lane it is managed on (when all its guests share that
 * lane), guests inside their node, and apps inside their Docker host's app network.
 */
export function labDot(cfg: LabConfig): string {
    const dot = new Dot();
    const firstNode = cfg.nodes[0].name;
    const nodeOf = (g: { node?: string }) => g.node ?? firstNode;
    const apps = appViews(cfg);
    const routed = apps.filter((a) => a.exposed);
    const proxyHost = cfg.proxy ? defaultDockerHost(cfg.dockerHosts.map((h) => h.hostname), cfg.proxy.host) : undefined;
    const laneOf = new Map(cfg.networks.map((n, i) => [n.name, lanes[i % lanes.length]]));

    type Guest = { kind: "nas"; c: NasConfig } | { kind: "docker"; c: DockerHostConfig } | { kind: "container"; c: ContainerConfig };
    const guests: Guest[] = [
        ...(cfg.nas ? [{ kind: "nas" as const, c: cfg.nas }] : []),
        ...cfg.dockerHosts.map((c) => ({ kind: "docker" as const, c })),
        ...cfg.containers.map((c) => ({ kind: "container" as const, c })),
    ];
    const guestsOn = (n: NodeConfig) => guests.filter((g) => nodeOf(g.c) === n.name);
    // A node sits inside its network's lane only when every guest on it is on that network too;
    // otherwise the lanes could not nest, and guests reach their lanes by coloured lines instead.
    const nested = (n: NodeConfig) => guestsOn(n).every((g) => g.c.network === n.network);

    dot.line(
        `graph${attrs({
            rankdir: "LR",
            newrank: true,
            compound: true,
            fontname: FONT,
            fontsize: 11,
            fontcolor: colour.text,
            nodesep: 0.22,
            ranksep: 0.45,
            labelloc: "t",
            labeljust: "l",
            label: `<<FONT POINT-SIZE="16"><B>homelab: ${esc(cfg.domain)}</B></FONT>>`,
        })};`,
    );
    dot.line(`node${attrs({ fontname: FONT, fontsize: 11, fontcolor: colour.text, shape: "box", style: "rounded,filled", fillcolor: "white", penwidth: 1.2, margin: "0.12,0.05" })};`);
    dot.line(`edge${attrs({ fontname: FONT, fontsize: 9, fontcolor: colour.detail, arrowsize: 0.6, penwidth: 1.1 })};`);

    // Outside: the internet, the Cloudflare zone with its records, and the router.
    // Exactly the names the plan creates: nodes get none, and a guest only the records its `dns:` asks for.
    const hostRecords = dnsHosts(cfg);
    dot.cluster(
        "cluster_cloudflare",
        { label: label(`Cloudflare zone ${cfg.domain}`), style: "rounded,filled", fillcolor: "#fff7ef", color: colour.cloudflare, fontsize: 11 },
        () => {
            if (cfg.proxy && routed.length > 0) {
                const proxyAddress = cfg.dockerHosts.find((h) => h.hostname === proxyHost)?.address;
                const rows = routed
                    // One cell per row: an empty cell makes Graphviz lay the table out with NaN sizes.
                    .map((a) => `<TR><TD ALIGN="LEFT">${esc(`${a.subdomain}.${cfg.domain}`)}${a.public ? `  <FONT POINT-SIZE="9" COLOR="${colour.cloudflare}">proxied</FONT>` : ""}</TD></TR>`)
                    .join("");
                dot.node("dns:apps", {
                    shape: "plain",
                    label: `<<TABLE BORDER="1" COLOR="${colour.cloudflare}" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2" STYLE="ROUNDED" BGCOLOR="white"><TR><TD ALIGN="LEFT"><B>app names</B> <FONT POINT-SIZE="9" COLOR="${colour.detail}">A ${esc(proxyAddress ?? "")} (the proxy)</FONT></TD></TR>${rows}</TABLE>>`,
                    fontsize: 10,
                });
            }
            if (hostRecords.length > 0) {
                const rows = hostRecords
                    .map((r) => {
                        const records = [r.address && `A ${r.address}`, r.ipv6 && `AAAA ${r.ipv6}`].filter(Boolean).join(" + ");
                        return `<TR><TD ALIGN="LEFT">${esc(`${r.hostname}.${cfg.domain}`)}</TD><TD ALIGN="LEFT"><FONT COLOR="${colour.detail}">${esc(records)}</FONT></TD></TR>`;
                    })
                    .join("");
                dot.node("dns:hosts", {
                    shape: "plain",
                    label: `<<TABLE BORDER="1" COLOR="${colour.cloudflare}" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2" STYLE="ROUNDED" BGCOLOR="white"><TR><TD COLSPAN="2" ALIGN="LEFT"><B>host names</B></TD></TR>${rows}</TABLE>>`,
                    fontsize: 10,
                });
            }
        },
    );
    dot.node("internet", { label: label("Internet"), shape: "ellipse", style: "filled", fillcolor: "#f5f7fa", color: colour.internet });
    const gateways = cfg.networks.filter((n) => n.gateway);
    if (gateways.length > 0) {
        dot.node("router", {
            label: label("router / gateway", ...gateways.map((n) => `${n.gateway} (${n.name})`)),
            color: colour.router,
            fillcolor: "#e4e7eb",
            penwidth: 1.5,
        });
        dot.edge("internet", "router", { label: "WAN", arrowhead: "none", color: colour.internet });
    }

    // Each network is a lane: its segment node carries CIDR, VLAN, bridge and IPv6 prefix.
    const drawNetwork = (n: NetworkConfig) => {
        const [fill, border] = laneOf.get(n.name)!;
        dot.cluster(
            `cluster_net_${n.name}`,
            { label: label(`${n.name}  ${n.cidr}`), style: "rounded,filled", fillcolor: fill, color: border, penwidth: 1.5 },
            () => {
                dot.node(`net:${n.name}`, {
                    label: label(
                        n.name,
                        n.description,
                        [n.bridge ? `bridge ${n.bridge}` : "no bridge", n.vlan !== undefined ? `VLAN ${n.vlan}` : "untagged"].join(", "),
                        n.gateway ? `gateway ${n.gateway}` : "isolated",
                        n.ipv6 && `IPv6 ${n.ipv6.cidr}${n.ipv6.gateway ? ` via ${n.ipv6.gateway}` : ""}`,
                    ),
                    shape: "box",
                    style: "filled",
                    fillcolor: "white",
                    color: border,
                    penwidth: 2,
                });
                for (const node of cfg.nodes.filter((x) => x.network === n.name && nested(x))) {
                    drawNode(node);
                }
            },
        );
        if (n.gateway) {
            dot.edge("router", `net:${n.name}`, { label: n.gateway, arrowhead: "none", color: border, penwidth: 1.6 });
        }
    };

    const drawNode = (n: NodeConfig) => {
        const mgmt = cfg.networks.find((x) => x.name === n.network);
        dot.cluster(
            `cluster_node_${n.name}`,
            {
                label: label(`Proxmox VE node ${n.name}`, [n.cpu, n.cores !== undefined ? `${n.cores} CPUs` : undefined, n.memoryGb !== undefined ? `${n.memoryGb} GB RAM` : undefined].filter(Boolean).join(", ")),
                style: "rounded,filled",
                fillcolor: "#fffaf5",
                color: colour.node,
                penwidth: 2,
            },
            () => {
                const bridges = n.bridges.map((b) => `${b.name}${b.ports.length ? ` (${b.ports.join(", ")})` : ""}${b.vlanAware ? " VLAN-aware" : ""}`);
                const backup = cfg.backup && "storage" in cfg.backup.target ? `backups to ${cfg.backup.target.storage} at ${cfg.backup.schedule}` : undefined;
                dot.node(`node:${n.name}`, {
                    label: label(n.name, n.address, ...bridges, `storage ${n.diskStorage}, ${n.fileStorage}`, backup),
                    shape: "box3d",
                    style: "filled",
                    fillcolor: "#fdebd7",
                    color: colour.node,
                });
                if (n.ups) {
                    dot.node(`ups:${n.name}`, {
                        label: label("UPS", n.ups.description, `NUT ${n.ups.name}, ${n.ups.driver}`, `shutdown at ${n.ups.shutdownPercent}%`),
                        fillcolor: "#fdf6e3",
                        color: colour.ups,
                    });
                    // Drawn from the node so the UPS sits beside it; the arrow still points at the node it powers.
                    dot.edge(`node:${n.name}`, `ups:${n.name}`, { label: "USB", dir: "back", color: colour.ups });
                }
                for (const g of guestsOn(n)) {
                    drawGuest(g);
                    // Guests sit right of their node in the layout: the bridge carries them, not an edge.
                    dot.edge(`node:${n.name}`, `guest:${g.c.hostname}`, { style: "invis" });
                }
            },
        );
        if (mgmt) {
            dot.edge(`net:${n.network}`, `node:${n.name}`, {
                label: n.address,
                arrowhead: "none",
                color: laneOf.get(n.network)![1],
                penwidth: 1.6,
            });
        }
    };

    const guestAddress = (g: { address?: string; ipv6?: string; network: string }) => [g.address, g.ipv6].filter(Boolean).join(", ");

    const drawGuest = (g: Guest) => {
        if (g.kind === "nas") {
            drawNas(g.c);
        } else if (g.kind === "docker") {
            drawDockerHost(g.c);
        } else {
            const c = g.c;
            const origin = c.cloneOf ? `clone of ${c.cloneOf}` : `from ${c.image}`;
            dot.node(`guest:${c.hostname}`, {
                label: label(c.hostname, `${c.template ? "LXC template" : "LXC"} ${c.vmId}${c.unprivileged ? "" : " (privileged)"}`, guestAddress(c), `${c.cores} vCPU, ${memory(c.memoryMb)}`, origin),
                shape: c.template ? "note" : "box",
                style: c.template ? "filled,dashed" : "rounded,filled",
                fillcolor: "#f5f7fa",
                color: colour.container,
            });
        }
    };

    const drawNas = (nas: NasConfig) => {
        dot.cluster(
            `cluster_guest_${nas.hostname}`,
            { label: label(`NAS ${nas.hostname}`), style: "rounded,filled", fillcolor: "#f0faf4", color: colour.nas, penwidth: 1.5 },
            () => {
                dot.node(`guest:${nas.hostname}`, {
                    label: label(nas.hostname, `VM ${nas.vmId}`, guestAddress(nas), `${nas.cores} vCPU, ${memory(nas.memoryMb)}`, `${nas.osDiskGb} GB OS disk`),
                    color: colour.nas,
                });
                const source = nas.controllerMapping ? `controller ${nas.controllerMapping}` : undefined;
                dot.node(`raid:${nas.hostname}`, {
                    label: label(nas.disks.length > 1 ? "RAID 1 (mdadm, ext4)" : "data disk (ext4)", nas.mount, ...nas.disks.map(diskName), source),
                    shape: "cylinder",
                    style: "filled",
                    fillcolor: "#e6f4ea",
                    color: colour.nas,
                });
                dot.edge(`guest:${nas.hostname}`, `raid:${nas.hostname}`, { label: "passthrough", arrowhead: "none", color: colour.nas });
                for (const s of nas.shares) {
                    // Where the share is mounted is written on the share: labels on the mount lines
                    // would float in the middle of the Docker host's box (the lines are clipped there).
                    const mountedAt = cfg.dockerHosts.flatMap((h) => h.mounts.filter((m) => m.share === s.name).map((m) => `${h.hostname}:${m.path ?? `/mnt/${s.name}`}`));
                    dot.node(`share:${s.name}`, {
                        label: label(`\\\\${nas.hostname}\\${s.name}`, s.comment, `users: ${s.users.join(", ")}`, mountedAt.length > 0 && `mounted on ${mountedAt.join(", ")}`),
                        shape: "folder",
                        style: "filled",
                        fillcolor: "white",
                        color: colour.nas,
                    });
                    dot.edge(`raid:${nas.hostname}`, `share:${s.name}`, { arrowhead: "none", color: colour.nas });
                }
            },
        );
    };

    const drawDockerHost = (h: DockerHostConfig) => {
        const hosted = apps.filter((a) => a.host === h.hostname);
        dot.cluster(
            `cluster_guest_${h.hostname}`,
            { label: label(`Docker host ${h.hostname}`), style: "rounded,filled", fillcolor: "#f0f5ff", color: colour.docker, penwidth: 1.5 },
            () => {
                dot.node(`guest:${h.hostname}`, {
                    label: label(
                        h.hostname,
                        `${h.kind === "lxc" ? "LXC" : "VM"} ${h.vmId}`,
                        guestAddress(h),
                        `${h.cores} vCPU, ${memory(h.memoryMb)}`,
                        `${h.rootDiskGb} GB root + ${h.dataDiskGb} GB images`,
                    ),
                    color: colour.docker,
                });
                if (h.hostname !== proxyHost && hosted.length === 0) {
                    return;
                }
                dot.cluster(
                    `cluster_apps_${h.hostname}`,
                    { label: label(`app network ${h.appNetwork}`), style: "rounded,dashed,filled", fillcolor: "white", color: colour.docker, penwidth: 1 },
                    () => {
                        if (h.hostname === proxyHost) {
                            dot.node("proxy", {
                                label: label("reverse proxy", "Caddy, Let's Encrypt (DNS-01)"),
                                fillcolor: "#e6f6f4",
                                color: colour.proxy,
                                penwidth: 2,
                            });
                            dot.edge(`guest:${h.hostname}`, "proxy", { label: "80, 443", color: colour.proxy });
                        }
                        for (const a of hosted) {
                            dot.node(`app:${a.name}`, {
                                label: label(a.name, a.description),
                                color: colour.app,
                                // An app the proxy does not route to is drawn dashed: it has no name in DNS.
                                style: a.exposed ? "rounded,filled" : "rounded,filled,dashed",
                                fillcolor: a.exposed ? "#eef4ff" : "white",
                            });
                            if (a.ports.length > 0) {
                                dot.edge(`guest:${h.hostname}`, `app:${a.name}`, { label: portsText(a.ports), color: colour.docker });
                            } else if (!a.exposed || h.hostname !== proxyHost) {
                                dot.edge(`guest:${h.hostname}`, `app:${a.name}`, { style: "invis" });
                            }
                            if (a.database) {
                                dot.node(`db:${a.name}`, {
                                    label: label(`${a.name}-db`, databaseImages[a.database]),
                                    shape: "cylinder",
                                    style: "filled",
                                    fillcolor: "#f6effb",
                                    color: colour.database,
                                });
                                dot.edge(`app:${a.name}`, `db:${a.name}`, { arrowhead: "none", color: colour.database });
                            }
                        }
                    },
                );
            },
        );
    };

    for (const n of cfg.networks) {
        drawNetwork(n);
    }
    for (const n of cfg.nodes.filter((x) => !nested(x))) {
        drawNode(n);
        for (const g of guestsOn(n)) {
            dot.edge(`net:${g.c.network}`, `guest:${g.c.hostname}`, { arrowhead: "none", color: laneOf.get(g.c.network)?.[1], penwidth: 1.4 });
        }
    }

    // Names in DNS point at what serves them.
    if (cfg.proxy && routed.length > 0) {
        // Without constraint=false the records would be ranked just left of the proxy, dragging
        // the Cloudflare box across the drawing; they belong at the edge, beside the internet.
        dot.edge("dns:apps", "proxy", { color: colour.cloudflare, style: "dotted", penwidth: 1.5, constraint: false });
        for (const a of routed) {
            dot.edge("proxy", `app:${a.name}`, { label: a.subdomain, color: colour.proxy });
        }
    }
    // Host names are listed with their addresses only: lines from each to its host would cross the
    // whole drawing and say no more than the address does.
    // Clones come from their template.
    for (const c of cfg.containers.filter((x) => x.cloneOf)) {
        dot.edge(`guest:${c.cloneOf}`, `guest:${c.hostname}`, { label: "clone", style: "dashed", color: colour.container, constraint: false });
    }

    if (cfg.nas) {
        // Mounts are written host -> share, the way the flow already runs (a host is left of the
        // shares), so they neither stretch the layout nor loop back; the arrow is drawn at the host
        // because the data comes from the share. weight=0: they must not pull the Docker host a
        // column to the right (closer to the shares), which would push all its apps with it.
        // ltail ends them at the Docker host's box: a line across its apps would say nothing more.
        for (const h of cfg.dockerHosts) {
            for (const m of h.mounts) {
                dot.edge(`guest:${h.hostname}`, `share:${m.share}`, { style: "dashed", color: colour.mount, dir: "back", weight: 0, ltail: `cluster_guest_${h.hostname}` });
            }
        }
        const target = cfg.backup?.target;
        if (cfg.backup && target && "share" in target) {
            const keep = `keep ${cfg.backup.keepDaily}d ${cfg.backup.keepWeekly}w ${cfg.backup.keepMonthly}m`;
            const exclude = cfg.backup.exclude ?? [cfg.nas.hostname];
            for (const n of cfg.nodes) {
                dot.edge(`node:${n.name}`, `share:${target.share}`, {
                    label: `vzdump ${cfg.backup.schedule} (${cfg.backup.mode}), ${keep}${exclude.length ? `, not ${exclude.join(", ")}` : ""}`,
                    color: colour.backup,
                    style: "bold",
                    weight: 0,
                });
            }
        }
    }

    // Firewall rules: an arrow from each rule's source to every guest it covers (planFirewall decides
    // which, as for the plan), green where it lets traffic in, red where it stops it.
    if (cfg.firewall?.enabled && cfg.firewall.rules.length > 0) {
        const args = firewallArgs(cfg);
        const sourceId = (from: string) => {
            if (cfg.networks.some((n) => n.name === from)) {
                return `net:${from}`;
            }
            if (cfg.nodes.some((n) => n.name === from)) {
                return `node:${from}`;
            }
            if (guests.some((g) => g.c.hostname === from)) {
                return `guest:${from}`;
            }
            dot.node(`cidr:${from}`, { label: label(from), shape: "ellipse", style: "filled", fillcolor: "#f5f7fa", color: colour.internet });
            return `cidr:${from}`;
        };
        for (const [i, r] of cfg.firewall.rules.entries()) {
            const targets = [...planFirewall("firewall", { ...args, rules: [args.rules[i]] }).rules.keys()];
            const what = [r.proto, r.port].filter((x) => x !== undefined).join("/") || "any";
            for (const t of targets) {
                dot.edge(sourceId(r.from), `guest:${t}`, {
                    label: `${r.action} ${what}`,
                    color: r.action === "ACCEPT" ? colour.allow : colour.deny,
                    fontcolor: r.action === "ACCEPT" ? colour.allow : colour.deny,
                    style: "dashed",
                    constraint: false,
                    weight: 0,
                });
            }
        }
    }

    return `digraph homelab {\n${dot.text()}\n}\n`;
}

type Viz = Awaited<ReturnType<typeof import("@viz-js/viz").instance>>;
let viz: Promise<Viz> | undefined;

/** The lab as an SVG document: labDot laid out by Graphviz (WebAssembly, no browser). */
export async function renderDiagramSvg(cfg: LabConfig): Promise<string> {
    // Loading the WebAssembly module takes a while: load it once per process.
    viz ??= import("@viz-js/viz").then((m) => m.instance());
    const result = (await viz).render(labDot(cfg), { format: "svg", engine: "dot" });
    if (result.status !== "success") {
        throw new Error(`graphviz could not draw the lab: ${result.errors.map((e) => e.message).join("; ")}`);
    }
    return result.output;
}
