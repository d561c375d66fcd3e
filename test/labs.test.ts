// The other labs of LAB.md, described by config alone (test/labs/Pulumi.<lab>.yaml), planned by
// the same program as the home lab.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { captureStack, CapturedResource, ofType, one } from "./helpers/mocks";
import { cloudflareRanges } from "../components/reverseProxy/caddyfile";

function lab(name: string) {
    return captureStack(fs.readFileSync(path.join(__dirname, "labs", `Pulumi.${name}.yaml`), "utf8"));
}

const nic = (r: CapturedResource) => (r.inputs.networkInterfaces as Record<string, unknown>[])[0];

describe("other labs from config alone", function () {
    this.timeout(60_000);

    describe("VLANs, IPv6 and firewall rules, no NAS", () => {
        let resources: CapturedResource[];
        before(async () => {
            resources = (await lab("vlans")).result.resources;
        });

        it("creates the VLAN-aware bridge and tags each guest with its network's VLAN", () => {
            assert.deepStrictEqual(one(resources, "proxmoxve:network/linux/bridge:Bridge", "proxmox-pve-vmbr1").inputs, {
                nodeName: "pve",
                name: "vmbr1",
                ports: ["eno2"],
                vlanAware: true,
                comment: "trunk for the VLANs",
                autostart: true,
            });
            const apps = one(resources, "proxmoxve:index/containerLegacy:ContainerLegacy", "apps");
            const mqtt = one(resources, "proxmoxve:index/containerLegacy:ContainerLegacy", "mqtt");
            assert.strictEqual(nic(apps).vlanId, 20);
            assert.strictEqual(nic(apps).bridge, "vmbr1");
            assert.strictEqual(nic(mqtt).vlanId, 30);
        });

        it("gives guests their global IPv6 address", () => {
            const apps = one(resources, "proxmoxve:index/containerLegacy:ContainerLegacy", "apps");
            const init = apps.inputs.initialization as { ipConfigs: { ipv6?: { address: string; gateway?: string } }[] };
            assert.deepStrictEqual(init.ipConfigs[0].ipv6, { address: "2001:db8:20::10/64", gateway: "2001:db8:20::1" });
        });

        it("turns the firewall on for each protected guest with SSH from management first and the rules in order", () => {
            const rules = one(resources, "proxmoxve:firewall/rulesLegacy:RulesLegacy", "firewall-mqtt-rules");
            const list = rules.inputs.rules as Record<string, unknown>[];
            assert.deepStrictEqual(
                list.map((r) => [r.action, r.proto, r.dport, r.source]),
                [
                    ["ACCEPT", "tcp", "22", "10.0.0.0/24"],
                    ["ACCEPT", "tcp", "1883", "+firewall-iot"],
                    ["ACCEPT", "tcp", "1883", "10.0.20.10"],
                    ["ACCEPT", "tcp", "1883", "2001:db8:20::10"],
                    // `to: 10.0.30.0/24` covers mqtt, the one guest with an address in it.
                    ["ACCEPT", "udp", "5683", "192.168.50.0/24"],
                ],
            );
            assert.strictEqual(rules.inputs.containerId, 130);
            const apps = one(resources, "proxmoxve:firewall/rulesLegacy:RulesLegacy", "firewall-apps-rules");
            assert.deepStrictEqual(
                (apps.inputs.rules as Record<string, unknown>[]).map((r) => [r.action, r.dport, r.source]),
                [
                    ["ACCEPT", "22", "10.0.0.0/24"],
                    ["ACCEPT", "443", "+firewall-mgmt"],
                    ["DROP", undefined, "+firewall-iot"],
                ],
            );
            const options = one(resources, "proxmoxve:firewall/optionsLegacy:OptionsLegacy", "firewall-apps");
            assert.strictEqual(options.inputs.inputPolicy, "DROP");
            // DROP only after the rules that let traffic in.
            const mqttOptions = one(resources, "proxmoxve:firewall/optionsLegacy:OptionsLegacy", "firewall-mqtt");
            assert.ok(mqttOptions.dependsOn.includes(rules.urn));
            assert.ok(!rules.dependsOn.includes(mqttOptions.urn));
        });

        it("gives an IPv6-only container no IPv4 config, and each name just the records its dns asks for", () => {
            const sensors = one(resources, "proxmoxve:index/containerLegacy:ContainerLegacy", "sensors");
            const init = sensors.inputs.initialization as { ipConfigs: Record<string, unknown>[] };
            assert.deepStrictEqual(init.ipConfigs, [{ ipv6: { address: "2001:db8:20::50/64", gateway: "2001:db8:20::1" } }]);
            const records = ofType(resources, "cloudflare:index/dnsRecord:DnsRecord")
                .filter((r) => ["apps", "mqtt", "sensors"].some((h) => r.inputs.name === `${h}.lab.example.org`))
                .map((r) => `${r.inputs.name} ${r.inputs.type} ${r.inputs.content}`)
                .sort();
            assert.deepStrictEqual(records, [
                "apps.lab.example.org A 10.0.20.10",
                "apps.lab.example.org AAAA 2001:db8:20::10",
                "mqtt.lab.example.org A 10.0.30.10",
                "sensors.lab.example.org AAAA 2001:db8:20::50",
            ]);
        });

        it("gives the app that asks for AAAA its own AAAA record only, the other private app the wildcard", () => {
            const records = ofType(resources, "cloudflare:index/dnsRecord:DnsRecord")
                .filter((r) => ["*", "grafana", "heimdall"].some((h) => r.inputs.name === `${h}.lab.example.org`))
                .map((r) => `${r.inputs.name} ${r.inputs.type} ${r.inputs.content}${r.inputs.proxied ? " proxied" : ""}`)
                .sort();
            assert.deepStrictEqual(records, ["*.lab.example.org A 10.0.20.10", "*.lab.example.org AAAA 2001:db8:20::10", "grafana.lab.example.org AAAA 2001:db8:20::10"]);
        });

        it("sets a network-to-network rule on every guest of the destination network, through cluster IP sets", () => {
            // `from: iot, to: mgmt` covers legacy, the one guest on mgmt; its own policy is ACCEPT, so
            // the DROP rules are what keeps the IoT VLAN out.
            const legacy = one(resources, "proxmoxve:firewall/rulesLegacy:RulesLegacy", "firewall-legacy-rules");
            assert.deepStrictEqual(
                (legacy.inputs.rules as Record<string, unknown>[]).map((r) => [r.type, r.action, r.proto, r.dport, r.source, r.comment]),
                [
                    ["in", "ACCEPT", "tcp", "22", "10.0.0.0/24", "homelab: Pulumi configures this guest over SSH"],
                    ["in", "DROP", undefined, undefined, "+firewall-iot", "the IoT VLAN never reaches management"],
                    ["in", "ACCEPT", "tcp", "22", "+firewall-servers", undefined],
                    ["in", "DROP", undefined, undefined, "+firewall-iot", "an open guest that still refuses IoT"],
                ],
            );
            assert.strictEqual(one(resources, "proxmoxve:firewall/optionsLegacy:OptionsLegacy", "firewall-legacy").inputs.inputPolicy, "ACCEPT");
            // One cluster-level IP set per network used as a source, holding both of its prefixes.
            const sets = ofType(resources, "proxmoxve:firewall/ipsetLegacy:IpsetLegacy");
            assert.deepStrictEqual(
                sets.map((s) => [s.name, s.inputs.name, s.inputs.cidrs, s.inputs.nodeName, s.inputs.vmId, s.inputs.containerId]),
                [
                    ["firewall-mgmt", "firewall-mgmt", [{ name: "10.0.0.0/24" }], undefined, undefined, undefined],
                    ["firewall-iot", "firewall-iot", [{ name: "10.0.30.0/24" }], undefined, undefined, undefined],
                    ["firewall-servers", "firewall-servers", [{ name: "10.0.20.0/24" }, { name: "2001:db8:20::/64" }], undefined, undefined, undefined],
                ],
            );
            // A rule referencing `+<set>` is refused by Proxmox while the set does not exist.
            for (const s of sets) {
                assert.ok(legacy.dependsOn.includes(s.urn), s.name);
            }
        });

        it("has no NAS, and plain containers use the least-privilege provider", () => {
            assert.deepStrictEqual(ofType(resources, "homelab:index:NasVm"), []);
            assert.deepStrictEqual(ofType(resources, "proxmoxve:index/vmLegacy:VmLegacy"), []);
            assert.match(one(resources, "proxmoxve:index/containerLegacy:ContainerLegacy", "mqtt").provider, /::proxmox-guests::/);
        });
    });

    describe("a three-node cluster with a template, clones and a Docker VM", () => {
        let resources: CapturedResource[];
        before(async () => {
            resources = (await lab("cluster")).result.resources;
        });

        it("provisions the Ubuntu template, then converts it, then clones it: in that order in the graph", () => {
            const base = one(resources, "proxmoxve:index/containerLegacy:ContainerLegacy", "base");
            // Made as a running container (the provider would convert a `template: true` one at once).
            assert.strictEqual(base.inputs.template, false);
            assert.strictEqual(base.inputs.started, true);
            assert.strictEqual((base.inputs.operatingSystem as { type: string }).type, "ubuntu");
            assert.strictEqual(base.options.deleteBeforeReplace, true);
            assert.deepStrictEqual(base.options.ignoreChanges, ["operatingSystem.templateFileId", "template", "started"]);
            const provision = one(resources, "command:remote:Command", "base-provision");
            const convert = one(resources, "command:remote:Command", "base-template");
            assert.deepStrictEqual(provision.dependsOn, [base.urn]);
            assert.match(provision.inputs.create as string, /^pct exec 900 -- sh -c '/);
            assert.strictEqual(
                provision.inputs.stdin,
                "os ubuntu\npackage nginx\nfile /var/www/html/index.html 0644 www-data:www-data PGgxPndlYjwvaDE+Cg==\nrun c3lzdGVtY3RsIGVuYWJsZSBuZ2lueA==\n",
            );
            assert.deepStrictEqual(convert.dependsOn, [provision.urn]);
            assert.match(convert.inputs.create as string, /bash "\$f" --vmid 900;/);
            for (const host of ["web1", "web2", "web3"]) {
                const c = one(resources, "proxmoxve:index/containerLegacy:ContainerLegacy", host);
                assert.ok(c.dependsOn.includes(convert.urn), `${host} is cloned from the converted template`);
            }
        });

        it("declares the Alpine container as such and provisions it with its own package manager's packages", () => {
            const mqtt = one(resources, "proxmoxve:index/containerLegacy:ContainerLegacy", "mqtt");
            assert.strictEqual((mqtt.inputs.operatingSystem as { type: string }).type, "alpine");
            assert.strictEqual(mqtt.inputs.template, false);
            const provision = one(resources, "command:remote:Command", "mqtt-provision");
            assert.match(provision.inputs.stdin as string, /^os alpine\npackage mosquitto\n/);
            assert.deepStrictEqual(ofType(resources, "command:remote:Command").filter((c) => c.name === "mqtt-template"), []);
        });

        it("plans HA on the cluster: the rules, one HA resource per guest, ZFS replication to the other node the guest may run on", () => {
            const rule = (name: string) => one(resources, "proxmoxve:index/harule:Harule", `ha-${name}`);
            assert.deepStrictEqual(rule("zfs-pair").inputs, {
                rule: "zfs-pair",
                type: "node-affinity",
                resources: ["ct:201", "ct:202", "ct:210"],
                nodes: { pve1: 2, pve2: 1 },
                strict: true,
                comment: "Managed by Pulumi (homelab)",
            });
            assert.deepStrictEqual(rule("web-apart").inputs, {
                rule: "web-apart",
                type: "resource-affinity",
                resources: ["ct:201", "ct:202"],
                affinity: "negative",
                comment: "Managed by Pulumi (homelab)",
            });
            assert.deepStrictEqual(ofType(resources, "proxmoxve:index/hagroup:Hagroup"), []);
            const ha = (name: string) => one(resources, "proxmoxve:index/haresource:Haresource", `ha-${name}`);
            assert.deepStrictEqual(
                ofType(resources, "proxmoxve:index/haresource:Haresource").map((r) => [r.name, r.inputs.resourceId, r.inputs.group, r.inputs.state, r.inputs.maxRestart, r.inputs.maxRelocate]).sort(),
                [
                    ["ha-mqtt", "ct:210", undefined, "started", 1, 2],
                    ["ha-vault", "vm:111", undefined, "started", 1, 1],
                    ["ha-web1", "ct:201", undefined, "started", 2, 1],
                    ["ha-web2", "ct:202", undefined, "started", 1, 1],
                ],
            );
            // A rule names HA resources, which must exist first.
            assert.deepStrictEqual(rule("web-apart").dependsOn, [ha("web1").urn, ha("web2").urn].sort());
            // Local ZFS is copied to the rule's other node; the NFS-backed VM needs no copy. The job
            // number comes from the target's name (replicationJobNumber), not the node order.
            assert.deepStrictEqual(
                ofType(resources, "proxmoxve:index/replication:Replication").map((r) => [r.name, r.inputs.resourceId, r.inputs.target, r.inputs.type, r.inputs.schedule]).sort(),
                [
                    ["ha-mqtt-to-pve1", "210-566157455", "pve1", "local", "*/15"],
                    ["ha-web1-to-pve2", "201-950747572", "pve2", "local", "*/15"],
                    ["ha-web2-to-pve2", "202-950747572", "pve2", "local", "*/15"],
                ],
            );
            // HA takes the guest over only once it exists and its copy is made.
            const web1 = one(resources, "proxmoxve:index/containerLegacy:ContainerLegacy", "web1");
            const copy = one(resources, "proxmoxve:index/replication:Replication", "ha-web1-to-pve2");
            assert.deepStrictEqual(copy.dependsOn, [web1.urn]);
            assert.deepStrictEqual(ha("web1").dependsOn, [copy.urn, web1.urn].sort());
            assert.match(ha("web1").provider, /::proxmox::/);
            assert.match(rule("zfs-pair").provider, /::proxmox::/);
        });

        it("clones the template three times, each clone with its own address", () => {
            for (const [host, address] of [["web1", "172.16.0.21/24"], ["web2", "172.16.0.22/24"], ["web3", "172.16.0.23/24"]]) {
                const c = one(resources, "proxmoxve:index/containerLegacy:ContainerLegacy", host);
                assert.deepStrictEqual(c.inputs.clone, { vmId: 900, nodeName: "pve1" });
                assert.strictEqual(c.inputs.operatingSystem, undefined);
                const init = c.inputs.initialization as { hostname: string; ipConfigs: { ipv4: { address: string } }[] };
                assert.strictEqual(init.hostname, host);
                assert.strictEqual(init.ipConfigs[0].ipv4.address, address);
            }
        });

        it("gives every guest its network's gateway as DNS server when the network names none", () => {
            for (const [type, name] of [["containerLegacy:ContainerLegacy", "base"], ["containerLegacy:ContainerLegacy", "web1"], ["containerLegacy:ContainerLegacy", "docker1"], ["vmLegacy:VmLegacy", "vault"]]) {
                const init = one(resources, `proxmoxve:index/${type}`, name).inputs.initialization as { dns?: unknown };
                assert.deepStrictEqual(init.dns, { servers: ["172.16.0.1"] }, name);
            }
        });

        it("places every guest on its named node and downloads images only where asked", () => {
            assert.strictEqual(one(resources, "proxmoxve:index/containerLegacy:ContainerLegacy", "docker1").inputs.nodeName, "pve2");
            assert.strictEqual(one(resources, "proxmoxve:index/vmLegacy:VmLegacy", "vault").inputs.nodeName, "pve3");
            assert.deepStrictEqual(
                ofType(resources, "proxmoxve:download/file:File").map((f) => f.name).sort(),
                ["proxmox-pve1-debian-12-lxc", "proxmox-pve1-ubuntu-24-lxc", "proxmox-pve2-alpine-lxc", "proxmox-pve2-debian-12-lxc", "proxmox-pve3-debian-12-cloud"],
            );
        });

        it("runs the isolated app on its own Docker VM and leaves the unexposed app without a route", async () => {
            const vaultwarden = one(resources, "docker:index/container:Container", "vaultwarden");
            assert.match(vaultwarden.provider, /pulumi:providers:docker::vault::/);
            const { result } = await lab("cluster");
            const routes = result.outputs.routes as { url: string; upstream: string }[];
            assert.deepStrictEqual(
                routes.map((r) => r.url).sort(),
                ["https://heimdall.cluster.example.net", "https://vaultwarden.cluster.example.net"],
            );
            assert.deepStrictEqual(one(resources, "docker:index/container:Container", "backup-agent").inputs.ports, []);
            // The proxy on docker1 cannot reach a container on the VM by name: the app's web port is
            // published on the VM's address and the route goes there.
            assert.deepStrictEqual(
                routes.map((r) => [r.url, r.upstream]).sort(),
                [
                    ["https://heimdall.cluster.example.net", "heimdall:80"],
                    ["https://vaultwarden.cluster.example.net", "172.16.0.31:26261"],
                ],
            );
            assert.deepStrictEqual(vaultwarden.inputs.ports, [{ internal: 80, external: 26261, ip: "172.16.0.31", protocol: "tcp" }]);
        });
    });

    describe("two public apps: one through a Cloudflare Tunnel behind Access, one through a port forward", () => {
        let resources: CapturedResource[];
        let outputs: Record<string, unknown>;
        before(async () => {
            ({ resources, outputs } = (await lab("public")).result);
        });
        const cf = (t: string) => `cloudflare:index/${t[0].toLowerCase()}${t.slice(1)}:${t}`;

        it("says each route's exposure in the stack output", () => {
            assert.deepStrictEqual(outputs.routes, [
                { url: "https://nextcloud.family.example.net", upstream: "nextcloud:80", public: true, tunnel: true, access: true },
                { url: "https://shop.family.example.net", upstream: "shop:80", public: true, tunnel: false, access: false },
                { url: "https://heimdall.family.example.net", upstream: "heimdall:80", public: false },
            ]);
        });

        it("plans the tunnel, its ingress to the proxy, the connector on the proxy's host and a proxied CNAME", () => {
            const tunnel = one(resources, cf("ZeroTrustTunnelCloudflared"), "tunnel");
            assert.deepStrictEqual({ ...tunnel.inputs, tunnelSecret: undefined }, {
                accountId: "0123456789abcdef0123456789abcdef", name: "tunnel", configSrc: "cloudflare", tunnelSecret: undefined,
            });
            assert.deepStrictEqual(one(resources, cf("ZeroTrustTunnelCloudflaredConfig"), "tunnel").inputs.config, {
                ingresses: [
                    { hostname: "nextcloud.family.example.net", service: "https://proxy:443", originRequest: { originServerName: "nextcloud.family.example.net" } },
                    { service: "http_status:404" },
                ],
            });
            const connector = one(resources, "docker:index/container:Container", "tunnel");
            assert.strictEqual(connector.inputs.envs, "[secret]");
            assert.deepStrictEqual(connector.inputs.ports, []);
            assert.deepStrictEqual(connector.inputs.networksAdvanced, [{ name: "apps" }]);
            assert.match(connector.provider, /pulumi:providers:docker::docker::/);
            const cname = one(resources, cf("DnsRecord"), "dns-nextcloud-cname");
            assert.deepStrictEqual([cname.inputs.type, cname.inputs.content, cname.inputs.proxied], ["CNAME", "tunnel-id.cfargotunnel.com", true]);
        });

        it("puts Cloudflare Access in front of the tunnelled app only", () => {
            const app = one(resources, cf("ZeroTrustAccessApplication"), "access-nextcloud");
            assert.deepStrictEqual(app.inputs.policies, [{ id: "access-nextcloud-id", precedence: 1 }]);
            assert.strictEqual(app.inputs.domain, "nextcloud.family.example.net");
            assert.deepStrictEqual(one(resources, cf("ZeroTrustAccessPolicy"), "access-nextcloud").inputs.includes, [
                { email: { email: "owner@family.example.net" } },
                { emailDomain: { domain: "family.example.net" } },
            ]);
            assert.deepStrictEqual(ofType(resources, cf("ZeroTrustAccessApplication")).map((r) => r.name), ["access-nextcloud"]);
        });

        it("points the port-forwarded app at the public address, proxied, and names no private app", () => {
            const records = ofType(resources, cf("DnsRecord")).map((r) => `${r.inputs.name} ${r.inputs.type} ${r.inputs.content}${r.inputs.proxied ? " proxied" : ""}`).sort();
            assert.deepStrictEqual(records, [
                "*.family.example.net A 192.168.10.4",
                "nextcloud.family.example.net CNAME tunnel-id.cfargotunnel.com proxied",
                "shop.family.example.net A 198.51.100.7 proxied",
            ]);
        });

        it("admits Cloudflare's ranges on 443 at the proxy's host, which the config's rules protect", () => {
            const rules = one(resources, "proxmoxve:firewall/rulesLegacy:RulesLegacy", "firewall-docker-rules").inputs.rules as Record<string, unknown>[];
            const edge = rules.filter((r) => r.comment === "Cloudflare's edge to port-forwarded apps");
            assert.deepStrictEqual(edge.map((r) => [r.action, r.proto, r.dport]), cloudflareRanges.map(() => ["ACCEPT", "tcp", "443"]));
        });

        it("renders each route's sources into the proxy's Caddyfile and trusts Cloudflare as a proxy", () => {
            const caddyfile = one(resources, "command:remote:Command", "proxy-config").inputs.stdin as string;
            const sources = (app: string) => new RegExp(`@app-${app} host .*\\n\\thandle @app-${app} \\{\\n\\t\\t@outside not remote_ip (.*)\\n`).exec(caddyfile)?.[1];
            assert.strictEqual(sources("heimdall"), "192.168.10.0/24 10.8.0.0/24");
            assert.strictEqual(sources("nextcloud"), "192.168.10.0/24 10.8.0.0/24 10.10.10.0/24");
            assert.strictEqual(sources("shop"), ["192.168.10.0/24", "10.8.0.0/24", ...cloudflareRanges].join(" "));
            assert.ok(caddyfile.includes(`trusted_proxies static ${cloudflareRanges.join(" ")}`));
        });
    });

    describe("devices, capabilities, a command, host paths, host networking and a compose import", () => {
        let resources: CapturedResource[];
        const container = (name: string) => one(resources, "docker:index/container:Container", name).inputs;
        before(async () => {
            resources = (await lab("devices")).result.resources;
        });

        it("passes the render node to Jellyfin and the Z-Wave stick to Home Assistant", () => {
            assert.deepStrictEqual(container("jellyfin").devices, [{ hostPath: "/dev/dri/renderD128", containerPath: "/dev/dri/renderD128", permissions: "rwm" }]);
            assert.deepStrictEqual(container("homeassistant").devices, [{ hostPath: "/dev/serial/by-id/usb-0658_0200-if00", containerPath: "/dev/zwave", permissions: "rwm" }]);
            assert.deepStrictEqual(container("zigbee2mqtt").devices, [{ hostPath: "/dev/serial/by-id/usb-ITead_Sonoff_Zigbee_3.0-if00", containerPath: "/dev/ttyACM0", permissions: "rwm" }]);
        });

        it("gives Netdata and glances their capabilities, and the sidecar drops all", () => {
            assert.deepStrictEqual(container("netdata").capabilities, { adds: ["CAP_SYS_PTRACE", "CAP_SYS_ADMIN"], drops: [] });
            assert.deepStrictEqual(container("glances").capabilities, { adds: ["CAP_SYS_PTRACE"], drops: ["CAP_MKNOD"] });
            assert.deepStrictEqual(container("speedtest-exporter").capabilities, { adds: [], drops: ["ALL"] });
        });

        it("runs the commands as written, the compose file's string split into words", () => {
            assert.deepStrictEqual(container("speedtest").command, ["--bind", "0.0.0.0:8080"]);
            assert.strictEqual(container("speedtest").user, "1000:1000");
            assert.strictEqual(container("speedtest").memory, 256);
            assert.deepStrictEqual(container("mosquitto").command, ["mosquitto", "-c", "/mosquitto-no-auth.conf"]);
            assert.deepStrictEqual(container("cloudflared").entrypoints, ["cloudflared", "--no-autoupdate"]);
        });

        it("mounts host paths read-only unless the config says otherwise", () => {
            const hostPaths = (name: string) => (container(name).volumes as Record<string, unknown>[]).filter((v) => v.hostPath).map((v) => `${v.hostPath}:${v.containerPath}:${v.readOnly ? "ro" : "rw"}`);
            assert.deepStrictEqual(hostPaths("jellyfin"), ["/srv/media:/media:ro"]);
            assert.deepStrictEqual(hostPaths("speedtest-exporter"), ["/:/host:ro"]);
            assert.deepStrictEqual(hostPaths("zigbee2mqtt"), ["/run/udev:/run/udev:ro"]);
        });

        it("runs Home Assistant and glances on the host's network, unrouted, the others on the apps' network", () => {
            const onHost = ofType(resources, "docker:index/container:Container").filter((c) => c.inputs.networkMode === "host").map((c) => c.name).sort();
            assert.deepStrictEqual(onHost, ["glances", "homeassistant"]);
            assert.deepStrictEqual((container("mosquitto").networksAdvanced as { name: string }[]).map((n) => n.name), ["apps"]);
        });

        it("imports every compose service as an app, zigbee2mqtt after mosquitto", () => {
            const apps = ofType(resources, "homelab:index:App").map((a) => a.name).sort();
            assert.deepStrictEqual(apps, ["cloudflared", "glances", "homeassistant", "jellyfin", "mosquitto", "netdata", "speedtest", "zigbee2mqtt"]);
            const z2m = one(resources, "docker:index/container:Container", "zigbee2mqtt");
            assert.ok(z2m.dependsOn.some((u) => u.endsWith("container:Container::mosquitto")), z2m.dependsOn.join(", "));
            assert.deepStrictEqual(container("mosquitto").ports, [
                { internal: 1883, external: 1883, protocol: "tcp" },
                { internal: 9001, external: 9001, protocol: "tcp" },
            ]);
        });
    });

    describe("shares served by a VM and a container, mounted by other guests", () => {
        let resources: CapturedResource[];
        const command = (name: string) => one(resources, "command:remote:Command", name);
        const lastLine = (name: string) => String(command(name).inputs.create).split("\n").pop();
        before(async () => {
            resources = (await lab("shares")).result.resources;
        });

        it("the file-server VM serves NFS and SMB once Docker is set up on it; the container serves SMB from inside", () => {
            assert.deepStrictEqual(ofType(resources, "homelab:index:ShareServer").map((r) => r.name).sort(), ["files-shares", "scanner-shares"]);
            assert.deepStrictEqual(command("files-shares-nfs").dependsOn, [command("files-docker").urn]);
            assert.strictEqual(lastLine("files-shares-nfs"), 'bash "$f" --share /srv/shares/media:1000:1000 --config "$c"; rc=$?; rm -f "$f" "$c"; exit $rc');
            // The exports file rides in the command: open to the node and the player VM only.
            assert.ok(
                String(command("files-shares-nfs").inputs.create).includes(
                    "\n/srv/shares/media 192.168.20.2(rw,sync,no_subtree_check,all_squash,anonuid=1000,anongid=1000) 192.168.20.12(rw,sync,no_subtree_check,all_squash,anonuid=1000,anongid=1000)\n",
                ),
            );
            const samba = command("scanner-shares-samba");
            const container = one(resources, "proxmoxve:index/containerLegacy:ContainerLegacy", "scanner");
            assert.deepStrictEqual(samba.dependsOn, [container.urn]);
            assert.match(String(samba.inputs.create), /^pct exec 120 -- bash -c '/);
            assert.ok(String(samba.inputs.create).includes("path = /srv/scans/scans\n   valid users = scan paperless\n"));
            // The passwords go on stdin, as a secret.
            assert.deepStrictEqual(samba.secretPaths.sort(), ["connection", "stdin"]);
        });

        it("the LXC host mounts NFS and SMB shares on its node, the VM host mounts NFS itself, each after the share is served", () => {
            assert.strictEqual(lastLine("apps-mount-media"), 'bash "$f" --type nfs --name apps-media --server 192.168.20.10 --export /srv/shares/media --target /mnt/homelab/apps/media; rc=$?; rm -f "$f"; exit $rc');
            assert.strictEqual(lastLine("apps-mount-scans"), 'bash "$f" --name apps-scans --server 192.168.20.20 --share scans --target /mnt/homelab/apps/scans --uid 101000 --gid 101000; rc=$?; rm -f "$f"; exit $rc');
            assert.strictEqual(lastLine("apps-mount-projects"), 'bash "$f" --name apps-projects --server 192.168.20.10 --share projects --target /mnt/homelab/apps/projects --uid 101000 --gid 101000; rc=$?; rm -f "$f"; exit $rc');
            // An NFS mount has no secret; an SMB mount's credentials go on stdin.
            assert.strictEqual(command("apps-mount-media").inputs.stdin, undefined);
            assert.deepStrictEqual(command("apps-mount-scans").secretPaths.sort(), ["connection", "stdin"]);
            for (const m of ["apps-mount-media", "apps-mount-projects", "apps-mount-scans"]) {
                for (const served of ["files-shares-nfs", "files-shares-samba", "scanner-shares-samba"]) {
                    assert.ok(command(m).dependsOn.includes(command(served).urn), `${m} waits for ${served}`);
                }
            }
            assert.strictEqual(lastLine("player-mount-media"), 'bash "$f" --type nfs --name player-media --server 192.168.20.10 --export /srv/shares/media --target /mnt/media; rc=$?; rm -f "$f"; exit $rc');
            assert.deepStrictEqual(command("player-mount-media").dependsOn.sort(), [one(resources, "proxmoxve:index/vmLegacy:VmLegacy", "player").urn, command("files-shares-nfs").urn].sort());
        });

        it("provisions the VM host once Docker is set up, and its apps wait for it through the Docker provider", () => {
            const provision = command("player-provision");
            assert.strictEqual(provision.inputs.stdin, "os debian\npackage vainfo\n");
            assert.deepStrictEqual(provision.dependsOn, [command("player-docker").urn]);
            assert.ok(one(resources, "pulumi:providers:docker", "player").dependsOn.includes(provision.urn));
            assert.ok(!resources.some((r) => r.name === "apps-provision" || r.name === "files-provision"));
        });

        it("imports every service of the file server's own compose file as an app of that host", () => {
            const filebrowser = one(resources, "docker:index/container:Container", "filebrowser");
            assert.match(filebrowser.provider, /pulumi:providers:docker::files::/);
            assert.strictEqual(filebrowser.inputs.user, "1000:1000");
            assert.deepStrictEqual((filebrowser.inputs.volumes as Record<string, unknown>[]).map((v) => `${v.hostPath}:${v.containerPath}:${v.readOnly ? "ro" : "rw"}`), ["/srv/shares/media:/srv/media:ro"]);
            assert.match(one(resources, "docker:index/container:Container", "restic-server").provider, /pulumi:providers:docker::files::/);
        });

        it("the apps find the shares where their hosts mount them", () => {
            const binds = (name: string) => (one(resources, "docker:index/container:Container", name).inputs.volumes as Record<string, unknown>[]).filter((v) => v.hostPath).map((v) => `${v.hostPath}:${v.containerPath}:${v.readOnly ? "ro" : "rw"}`);
            assert.deepStrictEqual(binds("paperless"), ["/mnt/scans:/usr/src/paperless/consume:rw", "/mnt/projects:/projects:rw", "/mnt/media:/media:rw"]);
            assert.deepStrictEqual(binds("jellyfin"), ["/mnt/media:/media:ro"]);
        });
    });
});
