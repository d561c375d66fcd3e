// Validation of the whole stack config: structure (zod, config.ts) and the rules that relate
// fields to each other (this file). Every problem is reported at once, each with its path and fix.
import { z } from "zod";
import { catalog } from "../components/catalog";
import { configKeys, LabConfig, labSchema, SecretValue } from "./config";
import { Cidr, contains, isReserved, overlaps, parseCidr } from "./ip";

/** One problem in the config: where (`homelab:nas.disks[1]`) and what to do about it. */
export interface ConfigIssue {
    path: string;
    message: string;
}

/** Thrown when the config is invalid; carries every issue found. */
export class ConfigError extends Error {
    constructor(readonly issues: ConfigIssue[]) {
        super(`invalid stack config (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n${issues.map((i) => `  ${i.path}: ${i.message}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

/** Formats a path of keys and indexes as `homelab:nas.disks[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
    if (path.length === 0) {
        return "homelab";
    }
    let out = `homelab:${String(path[0])}`;
    for (const p of path.slice(1)) {
        out += typeof p === "number" ? `[${p}]` : `.${String(p)}`;
    }
    return out;
}

/** The raw value at a path, or undefined when any step is missing. */
function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
    let v = raw;
    for (const p of path) {
        if (v === null || typeof v !== "object") {
            return undefined;
        }
        v = (v as Record<PropertyKey, unknown>)[p];
    }
    return v;
}

function zodIssues(error: z.ZodError, raw: Record<string, unknown>): ConfigIssue[] {
    return error.issues.map((issue) => {
        const path = formatPath(issue.path);
        if (issue.code === "custom" && (issue.params as { homelab?: string } | undefined)?.homelab === "secret") {
            return { path, message: `must be a secret: run \`pulumi config set --secret --path '${path}' <value>\`` };
        }
        if (issue.code === "unrecognized_keys") {
            return { path, message: `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `'${k}'`).join(", ")}: remove or correct ${issue.keys.length > 1 ? "them" : "it"} (see the README's config reference)` };
        }
        // A field with a message of its own ("must be an IPv4 address") says so even when it is
        // simply missing: say what is wrong instead.
        if (issue.code === "invalid_type" && valueAt(raw, issue.path) === undefined) {
            return { path, message: `is required (${issue.expected})` };
        }
        return { path, message: issue.message };
    });
}

/**
 * Parses and validates the raw `homelab:*` config values (secrets already wrapped as SecretValue).
 * Returns the typed config with defaults filled, or throws a ConfigError listing every problem.
 */
export function validateLab(raw: Record<string, unknown>): LabConfig {
    const issues: ConfigIssue[] = [];
    for (const key of Object.keys(raw)) {
        if (!(configKeys as string[]).includes(key)) {
            issues.push({ path: `homelab:${key}`, message: `unknown config key: the keys are ${configKeys.map((k) => `homelab:${k}`).join(", ")}` });
        }
    }
    // Parse each key on its own, so that one broken key does not hide the rules of the others.
    const parsed: Partial<LabConfig> = {};
    const broken = new Set<string>();
    for (const key of configKeys) {
        const result = labSchema.shape[key].safeParse(raw[key]);
        if (result.success) {
            (parsed as Record<string, unknown>)[key] = result.data;
        } else {
            broken.add(key);
            issues.push(...zodIssues(new z.ZodError(result.error.issues.map((i) => ({ ...i, path: [key, ...i.path] }))), raw));
        }
    }
    issues.push(...crossCheck(parsed as LabConfig, broken, raw));
    if (issues.length > 0) {
        throw new ConfigError(issues);
    }
    return parsed as LabConfig;
}

/** A guest or host that holds an address and a name. */
interface Holder {
    path: string;
    hostname: string;
    vmId?: number;
    node?: string;
    network: string;
    address: string;
    ipv6?: string;
    dns?: boolean;
}

/** Guests and nodes of the lab, with the config path of each: the basis of most cross-field rules. */
export function holders(cfg: Partial<LabConfig>): Holder[] {
    const out: Holder[] = [];
    cfg.nodes?.forEach((n, i) => out.push({ path: `homelab:nodes[${i}]`, hostname: n.name, network: n.network, address: n.address }));
    if (cfg.nas) {
        out.push({ path: "homelab:nas", ...cfg.nas });
    }
    cfg.dockerHosts?.forEach((h, i) => out.push({ path: `homelab:dockerHosts[${i}]`, ...h }));
    cfg.containers?.forEach((c, i) => out.push({ path: `homelab:containers[${i}]`, ...c }));
    return out;
}

function duplicates<T>(items: T[], key: (t: T) => string | number | undefined, path: (t: T, i: number) => string, what: string): ConfigIssue[] {
    const seen = new Map<string | number, string>();
    const issues: ConfigIssue[] = [];
    items.forEach((item, i) => {
        const k = key(item);
        if (k === undefined) {
            return;
        }
        const first = seen.get(k);
        if (first !== undefined) {
            issues.push({ path: path(item, i), message: `duplicate ${what} '${k}' (also at ${first}): choose another` });
        } else {
            seen.set(k, path(item, i));
        }
    });
    return issues;
}

/** The rules that relate fields across keys. Keys that failed to parse are skipped. */
/** Just what address and name rules need of a guest; parsed loosely so that a guest with some other broken field still gets its address checked. */
const guestIdentity = z.object({
    hostname: z.string(),
    vmId: z.number().int(),
    node: z.string().optional(),
    network: z.string(),
    address: z.ipv4(),
    ipv6: z.ipv6().optional(),
    dns: z.boolean().optional(),
});

/** The guests of the raw config whose identity fields parse, whatever else is wrong with them. */
function salvageGuests(raw: Record<string, unknown>): Holder[] {
    const out: Holder[] = [];
    const take = (value: unknown, p: string) => {
        const r = guestIdentity.safeParse(value);
        if (r.success) {
            out.push({ path: p, ...r.data });
        }
    };
    if (raw.nas !== undefined) {
        take(raw.nas, "homelab:nas");
    }
    for (const key of ["dockerHosts", "containers"]) {
        if (Array.isArray(raw[key])) {
            (raw[key] as unknown[]).forEach((g, i) => take(g, `homelab:${key}[${i}]`));
        }
    }
    return out;
}

function crossCheck(cfg: LabConfig, broken: Set<string>, raw: Record<string, unknown>): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const add = (path: string, message: string) => issues.push({ path, message });
    const ok = (...keys: string[]) => keys.every((k) => !broken.has(k));

    // Networks
    const nets = new Map<string, { cidr: Cidr; v6?: Cidr; net: LabConfig["networks"][number] }>();
    if (ok("networks")) {
        issues.push(...duplicates(cfg.networks, (n) => n.name, (_, i) => `homelab:networks[${i}].name`, "network name"));
        cfg.networks.forEach((n, i) => {
            const cidr = parseCidr(n.cidr);
            if (!cidr) {
                add(`homelab:networks[${i}].cidr`, `must be a network address with its host bits zero, e.g. ${n.cidr.replace(/\.\d+\//, ".0/")}`);
                return;
            }
            const v6 = n.ipv6 ? parseCidr(n.ipv6.cidr) : undefined;
            if (n.ipv6 && !v6) {
                add(`homelab:networks[${i}].ipv6.cidr`, "must be an IPv6 network with its host bits zero");
            }
            if (n.gateway && (!contains(cidr, n.gateway) || isReserved(cidr, n.gateway))) {
                add(`homelab:networks[${i}].gateway`, `${n.gateway} is not a host address inside ${n.cidr}: use an address of that network`);
            }
            if (v6 && n.ipv6?.gateway && !contains(v6, n.ipv6.gateway) && !n.ipv6.gateway.toLowerCase().startsWith("fe80:")) {
                add(`homelab:networks[${i}].ipv6.gateway`, `${n.ipv6.gateway} is not inside ${n.ipv6.cidr} (nor link-local): use an address of that network`);
            }
            if (n.vlan !== undefined && !n.bridge) {
                add(`homelab:networks[${i}].vlan`, "a VLAN needs the VLAN-aware bridge that carries it: set bridge");
            }
            for (const [other, o] of nets) {
                if (overlaps(cidr, o.cidr)) {
                    add(`homelab:networks[${i}].cidr`, `${n.cidr} overlaps network '${other}' (${o.net.cidr}): networks must not share addresses`);
                }
            }
            if (!nets.has(n.name)) {
                nets.set(n.name, { cidr, v6, net: n });
            }
        });
    }

    // Nodes and their bridges
    const nodeNames = new Set<string>();
    const bridges = new Map<string, { vlanAware: boolean; path: string }>();
    if (ok("nodes")) {
        issues.push(...duplicates(cfg.nodes, (n) => n.name, (_, i) => `homelab:nodes[${i}].name`, "node name"));
        cfg.nodes.forEach((n, i) => {
            nodeNames.add(n.name);
            issues.push(...duplicates(n.bridges, (b) => b.name, (_, j) => `homelab:nodes[${i}].bridges[${j}].name`, "bridge"));
            n.bridges.forEach((b, j) => {
                const prev = bridges.get(b.name);
                if (!prev || b.vlanAware) {
                    bridges.set(b.name, { vlanAware: b.vlanAware, path: `homelab:nodes[${i}].bridges[${j}]` });
                }
            });
        });
        if (ok("networks")) {
            cfg.networks.forEach((n, i) => {
                if (!n.bridge) {
                    return;
                }
                const b = bridges.get(n.bridge);
                if (!b) {
                    add(`homelab:networks[${i}].bridge`, `no node has bridge '${n.bridge}': add it to a node's bridges (with existing: true if the installer made it)`);
                } else if (n.vlan !== undefined && !b.vlanAware) {
                    add(`homelab:networks[${i}].vlan`, `bridge '${n.bridge}' is not VLAN-aware: set vlanAware: true at ${b.path}`);
                }
            });
        }
    }

    // Images
    const images = new Map<string, LabConfig["images"][number]>();
    if (ok("images")) {
        issues.push(...duplicates(cfg.images, (m) => m.name, (_, i) => `homelab:images[${i}].name`, "image name"));
        cfg.images.forEach((m, i) => {
            images.set(m.name, m);
            m.nodes?.forEach((n, j) => {
                if (ok("nodes") && !nodeNames.has(n)) {
                    add(`homelab:images[${i}].nodes[${j}]`, `unknown node '${n}': use one of ${[...nodeNames].join(", ")}`);
                }
            });
            const file = m.fileName ?? m.url.split("/").pop() ?? "";
            if (m.kind === "vm" && !/\.(img|qcow2|raw)$/.test(file)) {
                add(`homelab:images[${i}].fileName`, `a vm image is stored as .img, .qcow2 or .raw: set fileName (got '${file}')`);
            }
        });
    }

    // Guests: names, ids, addresses, placement
    const all = [...holders({ nodes: ok("nodes") ? cfg.nodes : undefined }), ...salvageGuests(raw)];
    const guests = all.filter((h) => !h.path.startsWith("homelab:nodes"));
    issues.push(...duplicates(all, (h) => h.hostname, (h) => `${h.path}.${h.path.startsWith("homelab:nodes") ? "name" : "hostname"}`, "hostname"));
    issues.push(...duplicates(guests, (h) => h.vmId, (h) => `${h.path}.vmId`, "VM/CT id"));
    issues.push(...duplicates(all, (h) => h.address, (h) => `${h.path}.address`, "address"));
    issues.push(...duplicates(all.filter((h) => h.ipv6), (h) => h.ipv6?.toLowerCase(), (h) => `${h.path}.ipv6`, "IPv6 address"));
    if (ok("networks")) {
        for (const h of all) {
            const n = nets.get(h.network);
            if (!n) {
                add(`${h.path}.network`, `unknown network '${h.network}': use one of ${[...nets.keys()].join(", ")}`);
                continue;
            }
            if (!contains(n.cidr, h.address) || isReserved(n.cidr, h.address)) {
                add(`${h.path}.address`, `${h.address} is not a host address inside network '${h.network}' (${n.net.cidr}): use an address of that network`);
            } else if (h.address === n.net.gateway) {
                add(`${h.path}.address`, `${h.address} is the gateway of network '${h.network}': use another address`);
            }
            if (h.ipv6 !== undefined) {
                if (!n.v6) {
                    add(`${h.path}.ipv6`, `network '${h.network}' has no ipv6: add ipv6.cidr to it or remove this address`);
                } else if (!contains(n.v6, h.ipv6)) {
                    add(`${h.path}.ipv6`, `${h.ipv6} is not inside ${n.net.ipv6?.cidr} of network '${h.network}': use an address of that network`);
                }
            }
            if (!h.path.startsWith("homelab:nodes") && !n.net.bridge) {
                add(`${h.path}.network`, `network '${h.network}' has no bridge, so no guest can join it: set its bridge or choose another network`);
            }
        }
    }
    if (ok("nodes")) {
        for (const g of guests) {
            if (g.node !== undefined && !nodeNames.has(g.node)) {
                add(`${g.path}.node`, `unknown node '${g.node}': use one of ${[...nodeNames].join(", ")}`);
            }
        }
    }
    const imageRef = (path: string, ref: string | undefined, kind: "lxc" | "vm") => {
        if (ref === undefined || !ok("images")) {
            return;
        }
        const m = images.get(ref);
        if (!m) {
            add(path, `unknown image '${ref}': add it to homelab:images or use one of ${[...images.keys()].join(", ") || "(none defined)"}`);
        } else if (m.kind !== kind) {
            add(path, `image '${ref}' is kind ${m.kind}, this guest needs kind ${kind}`);
        }
    };

    // NAS
    const shares = new Map<string, string[]>();
    if (cfg.nas && ok("nas")) {
        const nas = cfg.nas;
        imageRef("homelab:nas.image", nas.image, "vm");
        if (nas.disks.length < 2) {
            add("homelab:nas.disks", `RAID 1 needs at least two disks, got ${nas.disks.length}: list both /dev/disk/by-id/ paths`);
        }
        issues.push(...duplicates(nas.disks, (d) => d, (_, i) => `homelab:nas.disks[${i}]`, "disk"));
        nas.disks.forEach((d, i) => {
            const part = /-part\d+$/.exec(d);
            if (part) {
                add(`homelab:nas.disks[${i}]`, `is a partition, not a whole disk: drop the '${part[0]}' suffix`);
            }
        });
        issues.push(...duplicates(nas.users, (u) => u.name, (_, i) => `homelab:nas.users[${i}].name`, "user"));
        issues.push(...duplicates(nas.shares, (s) => s.name, (_, i) => `homelab:nas.shares[${i}].name`, "share"));
        const users = new Set(nas.users.map((u) => u.name));
        nas.users.forEach((u, i) => {
            if (!nas.shares.some((s) => s.users.includes(u.name))) {
                add(`homelab:nas.users[${i}].name`, `user '${u.name}' is in no share: add it to a share's users or remove it`);
            }
        });
        nas.shares.forEach((s, i) => {
            shares.set(s.name, s.users);
            s.users.forEach((u, j) => {
                if (!users.has(u)) {
                    add(`homelab:nas.shares[${i}].users[${j}]`, `unknown user '${u}': add it to homelab:nas.users or use one of ${[...users].join(", ")}`);
                }
            });
        });
    }

    // Docker hosts
    const dockerHosts = new Map<string, LabConfig["dockerHosts"][number]>();
    if (ok("dockerHosts")) {
        cfg.dockerHosts.forEach((h, i) => {
            dockerHosts.set(h.hostname, h);
            imageRef(`homelab:dockerHosts[${i}].image`, h.image, h.kind);
            const pool = parseCidr(h.appNetwork);
            if (!pool) {
                add(`homelab:dockerHosts[${i}].appNetwork`, "must be a network address with its host bits zero");
            } else {
                for (const [netName, n] of nets) {
                    if (overlaps(pool, n.cidr)) {
                        add(`homelab:dockerHosts[${i}].appNetwork`, `${h.appNetwork} overlaps network '${netName}' (${n.net.cidr}): choose a private range the lab does not use, e.g. 10.10.10.0/24`);
                    }
                }
            }
            issues.push(...duplicates(h.mounts, (m) => m.share, (_, j) => `homelab:dockerHosts[${i}].mounts[${j}].share`, "share mount"));
            h.mounts.forEach((m, j) => {
                if (!ok("nas")) {
                    return;
                }
                if (!cfg.nas) {
                    add(`homelab:dockerHosts[${i}].mounts[${j}].share`, `share '${m.share}' needs a NAS: define homelab:nas or remove the mount`);
                } else if (!shares.has(m.share)) {
                    add(`homelab:dockerHosts[${i}].mounts[${j}].share`, `unknown share '${m.share}': use one of ${[...shares.keys()].join(", ")}`);
                }
            });
        });
    }

    // Containers: template or clone
    if (ok("containers")) {
        const templates = new Set(cfg.containers.filter((c) => c.template).map((c) => c.hostname));
        cfg.containers.forEach((c, i) => {
            if ((c.image === undefined) === (c.cloneOf === undefined)) {
                add(`homelab:containers[${i}]`, "set exactly one of image (a template from homelab:images) and cloneOf (a container with template: true)");
            }
            imageRef(`homelab:containers[${i}].image`, c.image, "lxc");
            if (c.cloneOf !== undefined && !templates.has(c.cloneOf)) {
                add(`homelab:containers[${i}].cloneOf`, `'${c.cloneOf}' is not a container with template: true: use one of ${[...templates].join(", ") || "(none defined)"}`);
            }
        });
    }

    // Apps
    const hostOf = (h: string | undefined) => h ?? cfg.dockerHosts?.[0]?.hostname;
    if (ok("apps")) {
        issues.push(...duplicates(cfg.apps, (a) => a.name, (_, i) => `homelab:apps[${i}].name`, "app name"));
        const routed = cfg.apps.map((a, i) => ({ a, i })).filter(({ a }) => {
            const entry = catalog[a.catalog ?? a.name];
            return a.expose ?? (entry?.port !== undefined || a.port !== undefined);
        });
        issues.push(...duplicates(routed, ({ a }) => a.subdomain ?? a.name, ({ i }) => `homelab:apps[${i}].subdomain`, "subdomain"));
        const dnsNames = new Set(all.filter((h) => h.path.startsWith("homelab:nodes") || h.dns).map((h) => h.hostname));
        for (const { a, i } of routed) {
            const sub = a.subdomain ?? a.name;
            if (dnsNames.has(sub)) {
                add(`homelab:apps[${i}].subdomain`, `'${sub}' is also a guest's DNS name: choose another subdomain`);
            }
        }
        const published = new Map<string, string>();
        cfg.apps.forEach((a, i) => {
            const entryName = a.catalog ?? a.name;
            const entry = catalog[entryName];
            if (!entry) {
                add(`homelab:apps[${i}]${a.catalog ? ".catalog" : ".name"}`, `unknown catalog entry '${entryName}': use one of ${Object.keys(catalog).join(", ")} (generic runs any image)`);
            } else if (entryName === "generic" && !a.image) {
                add(`homelab:apps[${i}].image`, "a generic app needs image: set a pinned image such as nginx:1.27.3");
            }
            entry?.secretEnv?.forEach((key) => {
                const value = a.env[key];
                const path = `homelab:apps[${i}].env.${key}`;
                if (value === undefined) {
                    add(path, `is required by catalog entry '${entryName}' and must be a secret: run \`pulumi config set --secret --path '${path}' <value>\``);
                } else if (!(value instanceof SecretValue)) {
                    add(path, `must be a secret: run \`pulumi config set --secret --path '${path}' <value>\``);
                }
            });
            if (a.expose && entry?.hostNetwork) {
                add(`homelab:apps[${i}].expose`, "an app on the host's network is not on the apps' network, so the proxy cannot reach it: set expose: false");
            }
            if (a.expose && !entry?.port && !a.port) {
                add(`homelab:apps[${i}].port`, "an exposed app needs the container port the proxy forwards to: set port");
            }
            const host = hostOf(a.host);
            if (ok("dockerHosts")) {
                if (host === undefined) {
                    add(`homelab:apps[${i}].host`, "no Docker host to run it on: add one to homelab:dockerHosts");
                } else if (!dockerHosts.has(host)) {
                    add(`homelab:apps[${i}].host`, `unknown Docker host '${host}': use one of ${[...dockerHosts.keys()].join(", ")}`);
                }
            }
            const mounted = new Set(dockerHosts.get(host ?? "")?.mounts.map((m) => m.share) ?? []);
            const volumes = a.volumes ?? entry?.volumes ?? [];
            volumes.forEach((v, j) => {
                if ("share" in v && ok("dockerHosts") && dockerHosts.has(host ?? "") && !mounted.has(v.share)) {
                    add(`homelab:apps[${i}].volumes[${j}].share`, `share '${v.share}' is not mounted on Docker host '${host}': add { share: ${v.share} } to its mounts`);
                }
            });
            if (!a.volumes && entry?.volumes) {
                entry.volumes.forEach((v) => {
                    if ("share" in v && ok("dockerHosts") && dockerHosts.has(host ?? "") && !mounted.has(v.share)) {
                        add(`homelab:apps[${i}]`, `catalog entry '${entryName}' uses share '${v.share}', which is not mounted on Docker host '${host}': add { share: ${v.share} } to its mounts or override volumes`);
                    }
                });
            }
            (a.ports ?? entry?.ports ?? []).forEach((p, j) => {
                const key = `${host}:${p.host}/${p.protocol ?? "tcp"}`;
                if ((p.host === 80 || p.host === 443) && (p.protocol ?? "tcp") === "tcp") {
                    add(`homelab:apps[${i}].ports[${j}]`, `port ${p.host}/tcp belongs to the reverse proxy: expose the app through its route instead`);
                } else if (published.has(key)) {
                    add(`homelab:apps[${i}].ports[${j}]`, `port ${p.host}/${p.protocol ?? "tcp"} on '${host}' is already published by ${published.get(key)}`);
                } else {
                    published.set(key, `homelab:apps[${i}]`);
                }
            });
        });
        for (const { i } of routed.filter(({ a }) => a.public)) {
            if (ok("proxy") && cfg.proxy && !cfg.proxy.publicAddress) {
                add(`homelab:apps[${i}].public`, "Cloudflare can only proxy to a public address: set homelab:proxy.publicAddress (the router's WAN address forwarding 443 to the proxy) or set public: false");
            }
        }
        if (routed.length > 0 && ok("proxy") && !cfg.proxy) {
            add("homelab:proxy", `apps ${routed.map(({ a }) => a.name).join(", ")} are exposed but there is no proxy: add homelab:proxy (or set expose: false on them)`);
        }
    }

    // Proxy and DNS
    if (cfg.proxy && ok("proxy", "dockerHosts")) {
        const host = hostOf(cfg.proxy.host);
        if (host === undefined || !dockerHosts.has(host)) {
            add("homelab:proxy.host", host === undefined ? "no Docker host to run the proxy on: add one to homelab:dockerHosts" : `unknown Docker host '${host}': use one of ${[...dockerHosts.keys()].join(", ")}`);
        }
        if (ok("cloudflare") && !cfg.cloudflare) {
            add("homelab:cloudflare", "the proxy gets its certificates by DNS-01 through Cloudflare: add homelab:cloudflare");
        }
    }

    // Backups
    if (cfg.backup && ok("backup")) {
        const t = cfg.backup.target;
        if ("share" in t && ok("nas")) {
            if (!cfg.nas) {
                add("homelab:backup.target.share", "a share target needs a NAS: define homelab:nas or use { storage: <id> }");
            } else if (!shares.has(t.share)) {
                add("homelab:backup.target.share", `unknown share '${t.share}': use one of ${[...shares.keys()].join(", ")}`);
            } else if (!cfg.nas.users.some((u) => u.name === t.user)) {
                add("homelab:backup.target.user", `unknown user '${t.user}': add it to homelab:nas.users or use one of ${cfg.nas.users.map((u) => u.name).join(", ")}`);
            } else if (!shares.get(t.share)!.includes(t.user)) {
                add("homelab:backup.target.user", `user '${t.user}' may not use share '${t.share}': add it to that share's users`);
            }
        }
        const names = new Set(guests.map((g) => g.hostname));
        cfg.backup.exclude?.forEach((h, i) => {
            if (ok("nas", "dockerHosts", "containers") && !names.has(h)) {
                add(`homelab:backup.exclude[${i}]`, `unknown guest '${h}': use one of ${[...names].join(", ")}`);
            }
        });
    }

    // Firewall
    if (cfg.firewall && ok("firewall", "networks", "nodes", "nas", "dockerHosts", "containers")) {
        const known = new Set([...nets.keys(), ...all.map((h) => h.hostname)]);
        cfg.firewall.rules.forEach((r, i) => {
            for (const side of ["from", "to"] as const) {
                if (!known.has(r[side])) {
                    add(`homelab:firewall.rules[${i}].${side}`, `unknown network or guest '${r[side]}': use one of ${[...known].join(", ")}`);
                }
            }
            if (r.port !== undefined && (r.proto === undefined || r.proto === "icmp")) {
                add(`homelab:firewall.rules[${i}].port`, "a port needs proto tcp or udp");
            }
        });
    }
    return issues;
}
