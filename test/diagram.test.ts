/**
 * The lab diagram (`npm run plan -- --diagram lab.svg`), checked on the SVG that Graphviz lays out:
 * which boxes exist, which box sits inside which (clusters are drawn flat in SVG, so "inside" is
 * geometry), which lines join what, and that no secret reaches the picture.
 *
 * Expectations are derived here from the config with the documented rules (first Docker host,
 * `expose ?? web port`, `subdomain ?? name`, catalog databases), not from the diagram's code, and
 * pinned by literal lists for the reference lab (../shared/LAB.md).
 *
 * The PNG check needs Debian's librsvg2-bin (rsvg-convert).
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { catalog } from "../components/catalog";
import { labDot, renderDiagramSvg } from "../scripts/diagram";
import { stackFileLab } from "../scripts/plan";
import { LabConfig, SecretValue } from "../stacks/config";
import { dnsHosts } from "../stacks/lab";
import { have, run } from "./helpers/exec";

const homeYaml = fs.readFileSync(path.join(__dirname, "..", "Pulumi.home.yaml"), "utf8");

interface Box {
    x0: number;
    y0: number;
    x1: number;
    y1: number;
}

interface SvgItem {
    kind: "node" | "cluster" | "edge";
    title: string;
    texts: string[];
    box: Box;
    /** Raw markup of the group, for style checks (dashes, colours). */
    markup: string;
}

function decode(s: string): string {
    return s
        .replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)))
        .replace(/&#x([0-9a-f]+);/gi, (_, n) => String.fromCharCode(parseInt(n, 16)))
        .replace(/&lt;/g, "<")
        .replace(/&gt;/g, ">")
        .replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'")
        .replace(/&amp;/g, "&");
}

/**
 * The node, cluster and edge groups of a Graphviz SVG. Graphviz writes each as a flat
 * `<g id=".." class="node|cluster|edge"><title>ID</title>shapes and texts</g>` with no nested groups
 * (the diagram uses no links), so one pattern per group is a faithful parse of its output.
 */
function parseSvg(svg: string): SvgItem[] {
    assert.match(svg, /^<\?xml[^>]*\?>\s*(<!DOCTYPE[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<svg /, "not an SVG document");
    const items: SvgItem[] = [];
    for (const m of svg.matchAll(/<g id="[^"]*" class="(node|cluster|edge)">\s*<title>([^<]*)<\/title>([\s\S]*?)<\/g>/g)) {
        const body = m[3];
        const xs: number[] = [];
        const ys: number[] = [];
        const pairs = (s: string) => {
            for (const p of s.matchAll(/(-?[\d.]+),(-?[\d.]+)/g)) {
                xs.push(Number(p[1]));
                ys.push(Number(p[2]));
            }
        };
        for (const p of body.matchAll(/ points="([^"]*)"/g)) pairs(p[1]);
        for (const p of body.matchAll(/ d="([^"]*)"/g)) pairs(p[1]);
        for (const e of body.matchAll(/<ellipse[^>]* cx="([-\d.]+)" cy="([-\d.]+)" rx="([\d.]+)" ry="([\d.]+)"/g)) {
            const [cx, cy, rx, ry] = e.slice(1).map(Number);
            xs.push(cx - rx, cx + rx);
            ys.push(cy - ry, cy + ry);
        }
        items.push({
            kind: m[1] as SvgItem["kind"],
            title: decode(m[2]),
            texts: [...body.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => decode(t[1])),
            box: { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) },
            markup: body,
        });
    }
    return items;
}

class Drawing {
    readonly items: SvgItem[];
    constructor(readonly svg: string) {
        this.items = parseSvg(svg);
    }
    ids(kind: SvgItem["kind"]): Set<string> {
        return new Set(this.items.filter((i) => i.kind === kind).map((i) => i.title));
    }
    get(kind: SvgItem["kind"], title: string): SvgItem {
        const found = this.items.filter((i) => i.kind === kind && i.title === title);
        assert.equal(found.length, 1, `expected one ${kind} '${title}', found ${found.length}`);
        return found[0];
    }
    /** Whether node `id` is drawn within cluster `cluster`. */
    inside(id: string, cluster: string): boolean {
        const n = this.get("node", id).box;
        const c = this.get("cluster", cluster).box;
        return n.x0 >= c.x0 && n.x1 <= c.x1 && n.y0 >= c.y0 && n.y1 <= c.y1;
    }
    assertInside(id: string, cluster: string, others: string[] = []): void {
        assert.ok(this.inside(id, cluster), `${id} is not drawn inside ${cluster}`);
        for (const o of others) {
            assert.ok(!this.inside(id, o), `${id} is drawn inside ${o} too`);
        }
    }
    text(kind: SvgItem["kind"], title: string): string {
        return this.get(kind, title).texts.join("\n");
    }
}

/** What the config says the drawing must hold, by the documented rules. */
function expectedOf(cfg: LabConfig) {
    const firstHost = cfg.dockerHosts[0]?.hostname;
    const apps = cfg.apps.map((a) => {
        const entry = catalog[a.catalog ?? a.name];
        return {
            name: a.name,
            host: a.host ?? firstHost,
            routed: a.expose ?? (entry?.port !== undefined || a.port !== undefined),
            subdomain: a.subdomain ?? a.name,
            database: a.database ?? entry?.database,
        };
    });
    const routed = apps.filter((a) => a.routed);
    const guests = [...(cfg.nas ? [cfg.nas] : []), ...cfg.dockerHosts, ...cfg.containers];
    const proxyHost = cfg.proxy ? (cfg.proxy.host ?? firstHost) : undefined;
    const nodes = new Set<string>([
        "internet",
        ...(cfg.networks.some((n) => n.gateway) ? ["router"] : []),
        ...cfg.networks.map((n) => `net:${n.name}`),
        ...cfg.nodes.map((n) => `node:${n.name}`),
        ...cfg.nodes.filter((n) => n.ups).map((n) => `ups:${n.name}`),
        ...guests.map((g) => `guest:${g.hostname}`),
        ...(cfg.nas ? [`raid:${cfg.nas.hostname}`, ...cfg.nas.shares.map((s) => `share:${s.name}`)] : []),
        ...(cfg.proxy ? ["proxy"] : []),
        ...apps.map((a) => `app:${a.name}`),
        ...apps.filter((a) => a.database).map((a) => `db:${a.name}`),
        ...(cfg.proxy && routed.length > 0 ? ["dns:apps"] : []),
        // Only names the plan creates: nodes have none.
        ...(dnsHosts(cfg).length > 0 ? ["dns:hosts"] : []),
    ]);
    const clusters = new Set<string>([
        "cluster_cloudflare",
        ...cfg.networks.map((n) => `cluster_net_${n.name}`),
        ...cfg.nodes.map((n) => `cluster_node_${n.name}`),
        ...(cfg.nas ? [`cluster_guest_${cfg.nas.hostname}`] : []),
        ...cfg.dockerHosts.map((h) => `cluster_guest_${h.hostname}`),
        ...cfg.dockerHosts.filter((h) => h.hostname === proxyHost || apps.some((a) => a.host === h.hostname)).map((h) => `cluster_apps_${h.hostname}`),
    ]);
    return { apps, routed, guests, proxyHost, nodes, clusters };
}

/** Every string value in the config that is a secret. */
function secretsOf(value: unknown): string[] {
    if (value instanceof SecretValue) return [value.value];
    if (Array.isArray(value)) return value.flatMap(secretsOf);
    if (value !== null && typeof value === "object") return Object.values(value).flatMap(secretsOf);
    return [];
}

/** Two nodes, a VLAN network with IPv6, two Docker hosts (one a VM), containers from a template, no NAS. */
const clusterYaml = `
config:
  homelab:domain: lab.example.org
  homelab:proxmox:
    endpoint: https://10.0.0.11:8006/
    apiToken: { secure: v1:placeholder-token }
  homelab:ssh:
    publicKeys: [ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITestKey admin@laptop]
    privateKey: { secure: v1:placeholder-key }
  homelab:networks:
    - { name: mgmt, cidr: 10.0.0.0/24, gateway: 10.0.0.1, bridge: vmbr0 }
    - name: iot
      cidr: 10.20.0.0/24
      gateway: 10.20.0.1
      bridge: vmbr0
      vlan: 20
      ipv6: { cidr: "2001:db8:20::/64", gateway: "2001:db8:20::1" }
      description: VLAN for untrusted apps
  homelab:nodes:
    - name: pve1
      address: 10.0.0.11
      network: mgmt
      cpu: Ryzen 5 5600G
      memoryGb: 64
      bridges: [{ name: vmbr0, ports: [eno1], vlanAware: true, existing: true }]
    - name: pve2
      address: 10.0.0.12
      network: mgmt
      memoryGb: 32
      bridges: [{ name: vmbr0, ports: [eno1], vlanAware: true, existing: true }]
  homelab:images:
    - { name: debian-lxc, kind: lxc, url: "http://download.proxmox.com/images/system/debian-12-standard_12.7-1_amd64.tar.zst", checksum: "sha256:${"0".repeat(64)}" }
    - { name: debian-vm, kind: vm, url: "https://cloud.debian.org/images/debian-12-genericcloud-amd64.qcow2", fileName: debian-12-genericcloud-amd64.img, checksum: "sha256:${"1".repeat(64)}" }
  homelab:dockerHosts:
    - { hostname: apps, vmId: 201, node: pve1, network: mgmt, address: 10.0.0.21, cores: 2, memoryMb: 2048, image: debian-lxc }
    - { hostname: sandbox, kind: vm, vmId: 202, node: pve2, network: iot, address: 10.20.0.22, ipv6: "2001:db8:20::22", cores: 2, memoryMb: 4096, image: debian-vm, appNetwork: 10.11.0.0/24, dns: true }
  homelab:containers:
    - { hostname: base, vmId: 300, node: pve2, network: mgmt, address: 10.0.0.30, cores: 1, memoryMb: 512, image: debian-lxc, template: true }
    - { hostname: worker, vmId: 301, node: pve2, network: mgmt, address: 10.0.0.31, cores: 1, memoryMb: 512, cloneOf: base, dns: true }
  homelab:apps:
    - { name: heimdall, subdomain: home }
    - { name: portainer, expose: false }
    - name: untrusted
      catalog: generic
      host: sandbox
      image: ghcr.io/example/untrusted:2.0.1
      port: 8080
      env: { API_KEY: { secure: v1:placeholder-api-key } }
  homelab:proxy: { host: apps, email: admin@example.org }
  homelab:cloudflare:
    accountId: ${"a".repeat(32)}
    zoneId: ${"b".repeat(32)}
    apiToken: { secure: v1:placeholder-cf }
`;

describe("lab diagram", () => {
    let home: LabConfig;
    let homeSvg: string;
    let drawing: Drawing;

    before(async () => {
        home = stackFileLab(homeYaml);
        homeSvg = await renderDiagramSvg(home);
        drawing = new Drawing(homeSvg);
    });

    describe("the reference lab", () => {
        it("matches the lab the write-up describes (the derivation the other tests rely on)", () => {
            const { routed, apps } = expectedOf(home);
            assert.deepEqual(routed.map((a) => a.subdomain).sort(), ["checkmk", "heimdall", "nextcloud", "photoprism", "pihole", "portainer", "portfolio", "transmission"]);
            assert.deepEqual(apps.filter((a) => a.database).map((a) => `${a.name}:${a.database!.engine}`), ["nextcloud:mariadb", "photoprism:mariadb", "portfolio:postgres"]);
        });

        it("draws exactly the expected boxes and clusters", () => {
            const { nodes, clusters } = expectedOf(home);
            assert.deepEqual([...drawing.ids("node")].sort(), [...nodes].sort());
            assert.deepEqual([...drawing.ids("cluster")].sort(), [...clusters].sort());
        });

        it("nests the node in the LAN lane, guests in the node, apps and proxy in the Docker host's app network", () => {
            drawing.assertInside("node:proxmox1", "cluster_net_lan", ["cluster_net_vpn", "cluster_net_guest"]);
            for (const g of ["guest:nas", "raid:nas", "share:backups", "share:documents", "share:media", "guest:docker", "ups:proxmox1"]) {
                drawing.assertInside(g, "cluster_node_proxmox1");
            }
            for (const id of ["guest:nas", "raid:nas", "share:backups"]) {
                drawing.assertInside(id, "cluster_guest_nas", ["cluster_guest_docker"]);
            }
            for (const a of home.apps) {
                drawing.assertInside(`app:${a.name}`, "cluster_apps_docker", ["cluster_guest_nas"]);
            }
            for (const id of ["proxy", "db:nextcloud", "db:photoprism", "db:portfolio"]) {
                drawing.assertInside(id, "cluster_apps_docker");
            }
            // The host is the box around the app network, not a member of it.
            drawing.assertInside("guest:docker", "cluster_guest_docker", ["cluster_apps_docker"]);
            drawing.assertInside("dns:apps", "cluster_cloudflare", ["cluster_net_lan"]);
        });

        it("routes the proxy to exactly the exposed apps, each edge labelled with its subdomain", () => {
            const { routed } = expectedOf(home);
            const proxyEdges = drawing.items.filter((i) => i.kind === "edge" && i.title.startsWith("proxy->"));
            assert.deepEqual(proxyEdges.map((e) => e.title).sort(), routed.map((a) => `proxy->app:${a.name}`).sort());
            for (const a of routed) {
                assert.deepEqual(drawing.get("edge", `proxy->app:${a.name}`).texts, [a.subdomain]);
            }
        });

        it("points the app names at the proxy and lists every DNS name with its address", () => {
            drawing.get("edge", "dns:apps->proxy");
            const names = drawing.get("node", "dns:apps").texts;
            for (const a of expectedOf(home).routed) {
                assert.ok(names.includes(`${a.subdomain}.thehomelab.site`), `no DNS name for ${a.name}`);
            }
            assert.ok(names.some((t) => t.includes("192.168.1.4")), "the app names do not say which address they point at");
            const hosts = drawing.text("node", "dns:hosts");
            for (const [name, address] of [["nas", "192.168.1.5"], ["docker", "192.168.1.4"]]) {
                assert.match(hosts, new RegExp(`${name}\\.thehomelab\\.site\\nA ${address.replace(/\./g, "\\.")}`));
            }
            // The plan makes no record for a node, so the drawing shows none.
            assert.doesNotMatch(hosts, /proxmox1/);
        });

        it("draws each firewall rule from its source to the guests it covers", () => {
            const labels = (title: string) => drawing.items.filter((i) => i.kind === "edge" && i.title === title).map((i) => i.texts.join(" ")).sort();
            assert.deepEqual(labels("net:lan->guest:docker"), ["ACCEPT tcp/443", "ACCEPT tcp/53", "ACCEPT tcp/80", "ACCEPT udp/53"]);
            assert.deepEqual(labels("net:vpn->guest:docker"), ["ACCEPT tcp/443"]);
            assert.deepEqual(labels("guest:docker->guest:nas"), ["ACCEPT tcp/445"]);
            assert.deepEqual(labels("node:proxmox1->guest:nas"), ["ACCEPT tcp/445"]);
            assert.match(drawing.get("edge", "node:proxmox1->guest:nas").markup, /stroke-dasharray/);
        });

        it("draws the databases beside their apps, share mounts dashed, and the backups to the NAS share", () => {
            for (const a of ["nextcloud", "photoprism", "portfolio"]) {
                drawing.get("edge", `app:${a}->db:${a}`);
            }
            assert.match(drawing.text("node", "db:portfolio"), /postgres:/);
            for (const m of home.dockerHosts[0].mounts) {
                const edge = drawing.get("edge", `guest:docker->share:${m.share}`);
                assert.match(edge.markup, /stroke-dasharray/, `mount of ${m.share} is not dashed`);
                assert.match(drawing.text("node", `share:${m.share}`), new RegExp(`mounted on docker:/mnt/${m.share}`));
            }
            const mounts = drawing.items.filter((i) => i.kind === "edge" && /->share:/.test(i.title) && i.title.startsWith("guest:"));
            assert.equal(mounts.length, home.dockerHosts[0].mounts.length);
            assert.match(drawing.get("edge", "node:proxmox1->share:backups").texts.join(" "), /vzdump 02:00 \(snapshot\), keep 7d 4w 3m, not nas/);
        });

        it("labels networks, node, UPS, NAS and Docker host with what the config says", () => {
            assert.match(drawing.text("cluster", "cluster_net_lan"), /192\.168\.1\.0\/24/);
            assert.match(drawing.text("node", "net:lan"), /bridge vmbr0, untagged\ngateway 192\.168\.1\.1/);
            assert.match(drawing.text("node", "net:vpn"), /no bridge, untagged/);
            assert.match(drawing.text("cluster", "cluster_node_proxmox1"), /Intel Celeron J5040, 4 CPUs, 16 GB RAM/);
            assert.match(drawing.text("node", "node:proxmox1"), /192\.168\.1\.6\nvmbr0 \(enp1s0\)/);
            assert.match(drawing.text("node", "ups:proxmox1"), /PowerWalker VI 1000 STL[\s\S]*shutdown at 30%/);
            const raid = drawing.text("node", "raid:nas");
            assert.match(raid, /^RAID 1 \(mdadm, ext4\)/);
            for (const d of home.nas!.disks) {
                assert.ok(raid.includes(path.basename(d)), `disk ${d} missing from the RAID box`);
            }
            assert.match(drawing.text("node", "guest:nas"), /VM 100\n192\.168\.1\.5\n2 vCPU, 3 GB RAM/);
            assert.match(drawing.text("node", "guest:docker"), /LXC 101\n192\.168\.1\.4/);
            assert.match(drawing.text("cluster", "cluster_apps_docker"), /10\.10\.10\.0\/24/);
            // Published ports are noted on the line from the host, the LAN side.
            assert.deepEqual(drawing.get("edge", "guest:docker->app:pihole").texts, ["53/tcp+udp"]);
            assert.deepEqual(drawing.get("edge", "guest:docker->app:minidlna").texts, ["8200/tcp, 1900/udp"]);
        });

        it("shows no secret", () => {
            const secrets = secretsOf(home);
            // Guard: the config really carries secrets, so the check below can catch a leak.
            assert.ok(secrets.length >= 10, `only ${secrets.length} secrets in the reference config`);
            for (const s of secrets) {
                assert.ok(!homeSvg.includes(s), `secret ${s} is in the SVG`);
            }
            assert.doesNotMatch(homeSvg, /v1:placeholder|\[secret\]/);
        });

        it("lays out without Graphviz warnings and fits a screen", async () => {
            const viz = await (await import("@viz-js/viz")).instance();
            const result = viz.render(labDot(home), { format: "svg" });
            assert.equal(result.status, "success");
            assert.deepEqual(result.errors, []);
            const [, w, h] = /<svg width="(\d+)pt" height="(\d+)pt"/.exec(homeSvg)!.map(Number);
            // About 1.7 : 1 at 100 %: readable on a laptop screen at 75 % without scrolling.
            assert.ok(w <= 2000 && h <= 1200, `the drawing is ${w} x ${h} pt`);
            assert.ok(w / h >= 1 && w / h <= 2.2, `aspect ${(w / h).toFixed(2)}`);
        });

        it("renders to a PNG with a real SVG renderer (rsvg-convert)", function () {
            if (!have("rsvg-convert")) {
                throw new Error("missing rsvg-convert: apt-get install librsvg2-bin");
            }
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-diagram-"));
            try {
                fs.writeFileSync(path.join(dir, "lab.svg"), homeSvg);
                const r = run("rsvg-convert", [path.join(dir, "lab.svg"), "-o", path.join(dir, "lab.png")]);
                assert.equal(r.status, 0, r.stderr);
                const png = fs.readFileSync(path.join(dir, "lab.png"));
                assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from("PNG")]);
                assert.ok(png.readUInt32BE(16) > 1000, "the PNG is implausibly narrow");
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });

    describe("a two-node cluster with a VLAN, IPv6, two Docker hosts and no NAS", () => {
        let cfg: LabConfig;
        let d: Drawing;
        before(async () => {
            cfg = stackFileLab(clusterYaml);
            d = new Drawing(await renderDiagramSvg(cfg));
        });

        it("draws exactly the expected boxes and clusters", () => {
            const { nodes, clusters } = expectedOf(cfg);
            assert.deepEqual([...d.ids("node")].sort(), [...nodes].sort());
            assert.deepEqual([...d.ids("cluster")].sort(), [...clusters].sort());
            assert.ok(!nodes.has("raid:nas") && ![...d.ids("node")].some((id) => id.startsWith("share:")));
        });

        it("places every guest in its own node's cluster and no other", () => {
            for (const g of expectedOf(cfg).guests) {
                const own = `cluster_node_${g.node ?? cfg.nodes[0].name}`;
                const others = cfg.nodes.map((n) => `cluster_node_${n.name}`).filter((c) => c !== own);
                d.assertInside(`guest:${g.hostname}`, own, others);
            }
            d.assertInside("app:untrusted", "cluster_apps_sandbox", ["cluster_apps_apps", "cluster_node_pve1"]);
            d.assertInside("app:heimdall", "cluster_apps_apps", ["cluster_apps_sandbox", "cluster_node_pve2"]);
            d.assertInside("proxy", "cluster_apps_apps", ["cluster_node_pve2"]);
            d.assertInside("guest:apps", "cluster_guest_apps", ["cluster_apps_apps"]);
            d.assertInside("guest:sandbox", "cluster_guest_sandbox", ["cluster_apps_sandbox"]);
        });

        it("nests a node in its lane only when all its guests are on that network", () => {
            // pve1's guests are all on mgmt; pve2 runs the sandbox on the iot VLAN, so the lanes cannot nest.
            d.assertInside("node:pve1", "cluster_net_mgmt", ["cluster_net_iot"]);
            assert.ok(!d.inside("node:pve2", "cluster_net_mgmt") && !d.inside("node:pve2", "cluster_net_iot"));
            d.get("edge", "net:iot->guest:sandbox");
            d.get("edge", "net:mgmt->guest:worker");
            d.get("edge", "net:mgmt->node:pve2");
        });

        it("labels the VLAN, its IPv6 prefix and the guests' IPv6 addresses", () => {
            assert.match(d.text("node", "net:iot"), /bridge vmbr0, VLAN 20\ngateway 10\.20\.0\.1\nIPv6 2001:db8:20::\/64 via 2001:db8:20::1/);
            assert.match(d.text("node", "guest:sandbox"), /VM 202\n10\.20\.0\.22, 2001:db8:20::22/);
            assert.match(d.text("node", "dns:hosts"), /sandbox\.lab\.example\.org\nA 10\.20\.0\.22 \+ AAAA 2001:db8:20::22/);
            assert.match(d.text("cluster", "cluster_apps_sandbox"), /10\.11\.0\.0\/24/);
        });

        it("routes the proxy across Docker hosts, leaves unexposed apps out, and draws clones from their template", () => {
            const proxyEdges = d.items.filter((i) => i.kind === "edge" && i.title.startsWith("proxy->")).map((e) => e.title).sort();
            assert.deepEqual(proxyEdges, ["proxy->app:heimdall", "proxy->app:untrusted"]);
            assert.deepEqual(d.get("edge", "proxy->app:heimdall").texts, ["home"]);
            assert.ok(!d.get("node", "dns:apps").texts.some((t) => t.startsWith("portainer.")));
            assert.match(d.get("node", "app:portainer").markup, /stroke-dasharray/, "an app without a route is drawn dashed");
            assert.match(d.text("node", "app:untrusted"), /untrusted:2\.0\.1/);
            assert.deepEqual(d.get("edge", "guest:base->guest:worker").texts, ["clone"]);
            assert.match(d.text("node", "guest:base"), /LXC template 300/);
            assert.doesNotMatch(d.svg, /placeholder/);
        });
    });

    describe("labDot", () => {
        it("escapes text from the config for Graphviz", async () => {
            const cfg = stackFileLab(homeYaml);
            cfg.networks[1] = { ...cfg.networks[1], description: `a <b>"quoted"</b> & 'mixed' \\ text` };
            const d = new Drawing(await renderDiagramSvg(cfg));
            assert.ok(d.get("node", "net:vpn").texts.includes(`a <b>"quoted"</b> & 'mixed' \\ text`));
        });

        it("is a pure function of the config", () => {
            assert.equal(labDot(stackFileLab(homeYaml)), labDot(stackFileLab(homeYaml)));
        });
    });
});
