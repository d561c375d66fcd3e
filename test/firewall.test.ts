// What firewall rules mean (planFirewall), as a table of cases: the one function the Firewall
// component sets and config validation reports.
import * as assert from "assert";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import { Firewall, FirewallArgs, planFirewall } from "../components/firewall";
import * as pulumi from "@pulumi/pulumi";
import { captureApplyError, captureProgram, captureRefusal, one, outputOf } from "./helpers/mocks";

const lab: Pick<FirewallArgs, "networks" | "guests" | "hosts" | "rules"> = {
    networks: [
        { name: "lan", cidrs: ["192.168.1.0/24", "2001:db8:1::/64"] },
        { name: "iot", cidrs: ["10.0.30.0/24"] },
        { name: "empty", cidrs: ["10.0.40.0/24"] },
    ],
    guests: [
        { hostname: "nas", node: "pve", vmId: 100, kind: "vm", addresses: ["192.168.1.5"], network: "lan" },
        { hostname: "web", node: "pve", vmId: 101, kind: "lxc", addresses: ["192.168.1.4", "2001:db8:1::4"], network: "lan" },
        { hostname: "mqtt", node: "pve", vmId: 102, kind: "lxc", addresses: ["10.0.30.10"], network: "iot" },
    ],
    hosts: [{ name: "pve", addresses: ["192.168.1.6"] }],
    rules: [],
};

const plan = (rules: FirewallArgs["rules"]) => planFirewall("fw", { ...lab, rules });
const table = (p: ReturnType<typeof plan>) => Object.fromEntries([...p.rules].map(([h, rs]) => [h, rs.map((r) => `${r.action} ${r.source}${r.dport ? ` ${r.proto}/${r.dport}` : ""}`)]));

describe("planFirewall", () => {
    it("sets a network-to-network rule on every guest of the destination, from the source's IP set", () => {
        const p = plan([{ from: "iot", to: "lan", action: "DROP" }]);
        assert.deepStrictEqual(p.problems, []);
        assert.deepStrictEqual(table(p), { nas: ["DROP +fw-iot"], web: ["DROP +fw-iot"] });
        assert.deepStrictEqual(p.ipSets, [{ name: "fw-iot", network: "iot", cidrs: ["10.0.30.0/24"] }]);
    });

    it("covers the guests with an address inside a destination CIDR, IPv4 or IPv6", () => {
        assert.deepStrictEqual(table(plan([{ from: "10.9.0.0/16", to: "192.168.1.4/32", proto: "tcp", port: "443" }])), { web: ["ACCEPT 10.9.0.0/16 tcp/443"] });
        assert.deepStrictEqual(table(plan([{ from: "pve", to: "2001:db8:1::/64", proto: "tcp", port: "8000:8010" }])), { web: ["ACCEPT 192.168.1.6 tcp/8000:8010"] });
    });

    it("takes a guest's addresses, both families, as a source, and keeps config order per guest", () => {
        const p = plan([
            { from: "web", to: "nas", proto: "tcp", port: "445" },
            { from: "lan", to: "nas", action: "REJECT" },
        ]);
        assert.deepStrictEqual(table(p), { nas: ["ACCEPT 192.168.1.4 tcp/445", "ACCEPT 2001:db8:1::4 tcp/445", "REJECT +fw-lan"] });
        assert.deepStrictEqual(p.ipSets, [{ name: "fw-lan", network: "lan", cidrs: ["192.168.1.0/24", "2001:db8:1::/64"] }]);
    });

    it("reports each problem with its rule, field and fix", () => {
        const p = plan([
            { from: "nowhere", to: "pve" },
            { from: "lan", to: "empty" },
            { from: "lan", to: "10.0.99.0/24" },
            { from: "lan", to: "nas", port: "22" },
            { from: "10.0.0.0/40", to: "ghost" },
        ]);
        assert.deepStrictEqual(
            p.problems.map((x) => `${x.rule}.${x.field}: ${x.message}`),
            [
                "0.from: 'nowhere' is no network, guest or node of the lab, nor a CIDR: use one of lan, iot, empty, nas, web, mqtt, pve, or a network such as 192.168.50.0/24",
                "0.to: 'pve' is a node, which keeps its own firewall: name a guest (nas, web, mqtt), a network or a CIDR with guests in it",
                "1.to: no guest of the lab is in 'empty', and Proxmox filters at guests' NICs: this rule would protect nothing; name a network or CIDR with guests in it",
                "2.to: no guest of the lab is in '10.0.99.0/24', and Proxmox filters at guests' NICs: this rule would protect nothing; name a network or CIDR with guests in it",
                "3.port: a port needs proto tcp or udp: add `proto: tcp` or `proto: udp`",
                "4.from: '10.0.0.0/40' is no network, guest or node of the lab, nor a CIDR: use one of lan, iot, empty, nas, web, mqtt, pve, or a network such as 192.168.50.0/24",
                "4.to: 'ghost' is no guest or network of the lab, nor a CIDR: name a guest (nas, web, mqtt), a network or a CIDR with guests in it",
            ],
        );
    });
});

describe("Firewall", () => {
    it("replaces a network's IP set by deleting it first: a new one under the same name would be adopted empty, then deleted with the old", async () => {
        const { resources } = await captureProgram(() => {
            const root = new proxmoxve.Provider("root", { endpoint: "https://192.168.1.6:8006/" });
            new Firewall("fw", { ...lab, rules: [{ from: "iot", to: "lan", action: "DROP" }], managementSources: ["192.168.1.0/24"] }, { provider: root });
        });
        const set = one(resources, "proxmoxve:firewall/ipsetLegacy:IpsetLegacy", "fw-iot");
        assert.deepStrictEqual(set.inputs.cidrs, [{ name: "10.0.30.0/24" }]);
        assert.strictEqual(set.options.deleteBeforeReplace, true);
    });

    it("sets the rules through the provider given in opts, with node, id, port and SSH sources from other resources' outputs", async () => {
        const { resources } = await captureProgram(() => {
            const root = new proxmoxve.Provider("root", { endpoint: "https://192.168.1.6:8006/" });
            new Firewall(
                "fw",
                {
                    ...lab,
                    guests: [{ hostname: "web", node: outputOf("node", "pve2"), vmId: outputOf("vmId", 111), kind: "lxc", addresses: ["192.168.1.4"], network: "lan" }],
                    rules: [{ from: "pve", to: "web", proto: "tcp", port: outputOf("port", "8443") }],
                    managementSources: outputOf("mgmt", ["192.168.1.0/24"]),
                },
                { provider: root },
            );
        });
        const rules = one(resources, "proxmoxve:firewall/rulesLegacy:RulesLegacy", "fw-web-rules");
        assert.deepStrictEqual([rules.inputs.nodeName, rules.inputs.containerId], ["pve2", 111]);
        assert.deepStrictEqual(
            (rules.inputs.rules as { source: string; dport: string }[]).map((r) => `${r.source} ${r.dport}`),
            ["192.168.1.0/24 22", "192.168.1.6 8443"],
        );
        for (const r of resources.filter((x) => x.type.startsWith("proxmoxve:"))) {
            assert.match(r.provider, /pulumi:providers:proxmoxve::root::/, r.name);
        }
    });

    it("takes a network's prefixes, a node's addresses, a proto and the input policies from Outputs; a secret node address stays secret", async () => {
        const { resources } = await captureProgram(() => {
            new Firewall("fw", {
                ...lab,
                networks: [{ name: "iot", cidrs: outputOf("cidrs", ["10.0.30.0/24", "2001:db8:30::/64"]) }],
                guests: [
                    { hostname: "web", node: "pve", vmId: 101, kind: "lxc", addresses: ["192.168.1.4"], network: "lan", inputPolicy: outputOf("policy", "ACCEPT" as const) },
                    { hostname: "nas", node: "pve", vmId: 100, kind: "vm", addresses: ["192.168.1.5"], network: "lan" },
                ],
                hosts: [{ name: "pve", addresses: pulumi.secret(outputOf("pve", ["192.168.1.6", "2001:db8:1::6"])) }],
                rules: [
                    { from: "iot", to: "web", action: "DROP" },
                    { from: "pve", to: "nas", proto: outputOf("proto", "tcp" as const), port: "8006" },
                ],
                inputPolicy: outputOf("default", "DROP" as const),
                managementSources: ["192.168.1.0/24"],
            });
        });
        const ipSet = one(resources, "proxmoxve:firewall/ipsetLegacy:IpsetLegacy", "fw-iot");
        assert.deepStrictEqual(ipSet.inputs.cidrs, [{ name: "10.0.30.0/24" }, { name: "2001:db8:30::/64" }]);
        const nas = one(resources, "proxmoxve:firewall/rulesLegacy:RulesLegacy", "fw-nas-rules");
        // The secret addresses make the rules that carry them secret, and nothing else.
        assert.deepStrictEqual(nas.secretPaths, ["rules"]);
        assert.deepStrictEqual(one(resources, "proxmoxve:firewall/rulesLegacy:RulesLegacy", "fw-web-rules").secretPaths, []);
        assert.deepStrictEqual(
            [one(resources, "proxmoxve:firewall/optionsLegacy:OptionsLegacy", "fw-web").inputs.inputPolicy, one(resources, "proxmoxve:firewall/optionsLegacy:OptionsLegacy", "fw-nas").inputs.inputPolicy],
            ["ACCEPT", "DROP"],
        );
    });

    it("sets a rule from a node whose addresses come from an Output once per address, with the proto given", async () => {
        const { resources } = await captureProgram(() => {
            new Firewall("fw", {
                ...lab,
                hosts: [{ name: "pve", addresses: outputOf("pve", ["192.168.1.6", "2001:db8:1::6"]) }],
                rules: [{ from: "pve", to: "nas", proto: outputOf("proto", "tcp" as const), port: "8006" }],
                managementSources: ["192.168.1.0/24"],
            });
        });
        const rules = one(resources, "proxmoxve:firewall/rulesLegacy:RulesLegacy", "fw-nas-rules");
        assert.deepStrictEqual(
            (rules.inputs.rules as { source: string; proto: string; dport: string }[]).map((r) => `${r.source} ${r.proto}/${r.dport}`),
            ["192.168.1.0/24 tcp/22", "192.168.1.6 tcp/8006", "2001:db8:1::6 tcp/8006"],
        );
    });

    it("refuses a port without tcp or udp when the proto is plain at construction, and as an Output inside apply, with one message", async () => {
        const fw = (proto: pulumi.Input<"icmp">) =>
            new Firewall("fw", { ...lab, rules: [{ from: "pve", to: "nas", proto, port: "8006" }], managementSources: ["192.168.1.0/24"] });
        const { error } = await captureRefusal(() => fw("icmp"));
        assert.strictEqual(error?.message, "Firewall: rules[0].port: a port needs proto tcp or udp: add `proto: tcp` or `proto: udp`");
        assert.strictEqual(await captureApplyError(() => fw(outputOf("proto", "icmp" as const))), error.message);
    });
});
