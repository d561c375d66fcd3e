import * as pulumi from "@pulumi/pulumi";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";

/** A guest that rules protect: the firewall of its NIC decides what reaches it. */
export interface FirewallGuest {
    hostname: string;
    node: string;
    vmId: number;
    /** `lxc` for containers, `vm` for virtual machines. */
    kind: "lxc" | "vm";
}

/** One rule: traffic from `sources` to `to` on `proto`/`port`. */
export interface FirewallRuleArgs {
    /** Source addresses or networks (IPv4 and IPv6 both allowed; one rule each). */
    sources: string[];
    /** Hostname of the guest the rule protects. */
    to: string;
    /** What the rule does with matching traffic. Defaults to ACCEPT. */
    action?: "ACCEPT" | "DROP" | "REJECT";
    /** Protocol. Defaults to any. */
    proto?: "tcp" | "udp" | "icmp";
    /** Destination port or range (`8000:8100`); needs proto tcp or udp. Defaults to any. */
    port?: number | string;
    /** Shown beside the rule in the Proxmox UI. Defaults to none. */
    comment?: string;
}

export interface FirewallArgs {
    /** Every guest a rule may name (by hostname). */
    guests: FirewallGuest[];
    /** The rules, in order; each guest they name gets its firewall turned on. */
    rules: FirewallRuleArgs[];
    /** Networks from which SSH (22/tcp) always reaches a protected guest: Pulumi configures guests over SSH. */
    managementSources: string[];
    /** The proxmoxve provider. The datacenter firewall needs Sys.Modify on /: the lab passes the root provider. */
    provider: proxmoxve.Provider;
}

/**
 * Proxmox firewall rules deciding who may talk to whom. Every guest named as a destination gets its
 * own firewall turned on with input policy DROP, SSH from the management network, and the rules
 * that name it, in config order. The datacenter firewall is switched on (guest firewalls do nothing
 * without it) with an ACCEPT input policy, so no node loses its web UI or SSH.
 */
export class Firewall extends pulumi.ComponentResource {
    readonly cluster: proxmoxve.cluster.FirewallLegacy;
    /** Rule sets by guest hostname. */
    readonly rules: Record<string, proxmoxve.firewall.RulesLegacy>;

    constructor(name: string, args: FirewallArgs, opts?: pulumi.ComponentResourceOptions) {
        const byName = new Map(args.guests.map((g) => [g.hostname, g]));
        args.rules.forEach((r, i) => {
            if (!byName.has(r.to)) {
                throw new Error(`Firewall: rules[${i}].to '${r.to}' is not a guest; guests are ${[...byName.keys()].join(", ")}`);
            }
            if (r.port !== undefined && (r.proto === undefined || r.proto === "icmp")) {
                throw new Error(`Firewall: rules[${i}].port needs proto tcp or udp`);
            }
        });
        super("homelab:index:Firewall", name, {}, opts);
        const own = { parent: this, provider: args.provider };

        this.cluster = new proxmoxve.cluster.FirewallLegacy(name, { enabled: true, inputPolicy: "ACCEPT", outputPolicy: "ACCEPT" }, own);

        this.rules = {};
        const targets = [...new Set(args.rules.map((r) => r.to))].sort();
        for (const host of targets) {
            const g = byName.get(host)!;
            const id = g.kind === "lxc" ? { containerId: g.vmId } : { vmId: g.vmId };
            const ssh = args.managementSources.map((source) => ({
                type: "in",
                action: "ACCEPT",
                proto: "tcp",
                dport: "22",
                source,
                comment: "homelab: Pulumi configures this guest over SSH",
            }));
            const configured = args.rules
                .filter((r) => r.to === host)
                .flatMap((r) =>
                    r.sources.map((source) => ({
                        type: "in",
                        action: r.action ?? "ACCEPT",
                        proto: r.proto,
                        dport: r.port === undefined ? undefined : String(r.port),
                        source,
                        comment: r.comment,
                    })),
                );
            this.rules[host] = new proxmoxve.firewall.RulesLegacy(
                `${name}-${host}-rules`,
                { nodeName: g.node, ...id, rules: [...ssh, ...configured] },
                { ...own, dependsOn: [this.cluster] },
            );
            // The DROP policy only once the rules are in place: turned on first, it would cut the
            // guest off (SSH included, which other set-up steps use) until they are.
            new proxmoxve.firewall.OptionsLegacy(
                `${name}-${host}`,
                { nodeName: g.node, ...id, enabled: true, inputPolicy: "DROP", outputPolicy: "ACCEPT", dhcp: false, ndp: true },
                { ...own, dependsOn: [this.rules[host]] },
            );
        }
        this.registerOutputs({ protected: targets });
    }
}
