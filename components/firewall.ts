import { BlockList, isIP } from "net";
import * as pulumi from "@pulumi/pulumi";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import { isKnown, whenKnown } from "./inputs";

/** What reaches a protected guest that no rule names. */
export const InputPolicy = {
    /** Dropped. */
    DROP: "DROP",
    /** Let through. */
    ACCEPT: "ACCEPT",
} as const;
export type InputPolicy = (typeof InputPolicy)[keyof typeof InputPolicy];

/** What a rule does with matching traffic. */
export const FirewallAction = {
    /** Let it through. */
    ACCEPT: "ACCEPT",
    /** Drop it silently. */
    DROP: "DROP",
    /** Refuse it with an answer. */
    REJECT: "REJECT",
} as const;
export type FirewallAction = (typeof FirewallAction)[keyof typeof FirewallAction];

/** The protocol a rule matches. */
export const FirewallProto = {
    /** TCP. */
    tcp: "tcp",
    /** UDP. */
    udp: "udp",
    /** ICMP (no ports). */
    icmp: "icmp",
} as const;
export type FirewallProto = (typeof FirewallProto)[keyof typeof FirewallProto];

/** What a guest is. */
export const GuestKind = {
    /** An LXC container. */
    lxc: "lxc",
    /** A virtual machine. */
    vm: "vm",
} as const;
export type GuestKind = (typeof GuestKind)[keyof typeof GuestKind];

/** A network that rules may name on either side: a cluster IP set when a rule takes traffic from it. */
export interface FirewallNetwork {
    /** The name rules use. */
    name: string;
    /** Its prefixes, IPv4 and IPv6 (`10.0.20.0/24`, `2001:db8:20::/64`): the entries of its IP set. */
    cidrs: pulumi.Input<pulumi.Input<string>[]>;
}

/** A guest that rules may protect (`to`) or name as a source (`from`). */
export interface FirewallGuest {
    /** The name rules use. Plain: it names the guest's rule resources. */
    hostname: string;
    /** Its Proxmox node. */
    node: pulumi.Input<string>;
    /** Its guest id. */
    vmId: pulumi.Input<number>;
    /** `lxc` for containers, `vm` for virtual machines. Plain: it decides which id field is sent. */
    kind: GuestKind;
    /** Its addresses, IPv4 and IPv6: its side of a rule, and what a `to` CIDR matches. Plain: rules are planned from them. */
    addresses: string[];
    /** The network (of `networks`) its NIC joins: a rule `to` that network protects it. Defaults to none. */
    network?: string;
    /** What reaches it when no rule matches, once protected. Defaults to the firewall's `inputPolicy`. */
    inputPolicy?: pulumi.Input<InputPolicy>;
}

/** A host that rules may name as a source only (a Proxmox node keeps its own firewall). */
export interface FirewallHost {
    /** The name rules use. */
    name: string;
    /** Its addresses, IPv4 and IPv6: a rule from the host is set once per address. */
    addresses: pulumi.Input<pulumi.Input<string>[]>;
}

/** One rule: traffic from `from` to `to` on `proto`/`port`. */
export interface FirewallRuleArgs {
    /** A network or guest of the args, a host, or a CIDR (`192.168.50.0/24`, `2001:db8::/48`). */
    from: string;
    /**
     * A guest, a network (every guest on it) or a CIDR (every guest with an address inside). Proxmox
     * filters at each guest's NIC, so the rule is set on the firewall of each guest it covers.
     */
    to: string;
    /** What the rule does with matching traffic. Defaults to ACCEPT. */
    action?: pulumi.Input<FirewallAction>;
    /** Protocol. Defaults to any. A port needs tcp or udp (checked when both are known). */
    proto?: pulumi.Input<FirewallProto>;
    /** Destination port or range (`443`, `8000:8100`); needs proto tcp or udp. Defaults to any. */
    port?: pulumi.Input<string>;
    /** Shown beside the rule in the Proxmox UI. Defaults to none. */
    comment?: pulumi.Input<string>;
}

/** Args of a Firewall. The proxmoxve provider comes through `opts` (or the parent); the datacenter firewall needs Sys.Modify on /, so the lab passes the root provider. */
export interface FirewallArgs {
    /** Networks that rules name. Defaults to none. */
    networks?: FirewallNetwork[];
    /** Every guest a rule may name. */
    guests: FirewallGuest[];
    /** Hosts (Proxmox nodes) rules may name as a source. Defaults to none. */
    hosts?: FirewallHost[];
    /** The rules, in order; each guest they cover gets its firewall turned on. */
    rules: FirewallRuleArgs[];
    /** What reaches a protected guest when no rule matches (unless the guest says otherwise). Defaults to DROP. */
    inputPolicy?: pulumi.Input<InputPolicy>;
    /** Networks from which SSH (22/tcp) always reaches a protected guest: Pulumi configures guests over SSH. */
    managementSources: pulumi.Input<pulumi.Input<string>[]>;
}

/** One rule as set on one guest's firewall. */
export interface GuestRule {
    action: pulumi.Input<FirewallAction>;
    proto?: pulumi.Input<string>;
    dport?: pulumi.Input<string>;
    /** An address, a CIDR or `+<ip set>`; a host's addresses still to come (an Output): the rule once per address. */
    source: string | pulumi.Output<string[]>;
    comment?: pulumi.Input<string>;
}

/** What the rules come to: each protected guest's rules in order, and the IP sets they use. */
export interface FirewallPlan {
    /** Problems, each with the rule's index and field, and the fix. Empty when the rules can be set. */
    problems: { rule: number; field: "from" | "to" | "port"; message: string }[];
    /** Protected guests (by hostname, sorted) and the configured rules on each, in config order. */
    rules: Map<string, GuestRule[]>;
    /** Cluster IP sets the rules reference: one per network named as a source. */
    ipSets: { name: string; network: string; cidrs: pulumi.Input<pulumi.Input<string>[]> }[];
}

/** Parses `address/prefix` for a BlockList, or undefined. */
function cidrOf(text: string): { address: string; prefix: number; type: "ipv4" | "ipv6" } | undefined {
    const [address, len, extra] = text.split("/");
    const v = isIP(address);
    const prefix = Number(len);
    if (!v || extra !== undefined || !/^\d{1,3}$/.test(len ?? "") || prefix > (v === 4 ? 32 : 128)) {
        return undefined;
    }
    return { address, prefix, type: v === 4 ? "ipv4" : "ipv6" };
}

/** Whether `address` lies in `cidr`. */
function inside(cidr: { address: string; prefix: number; type: "ipv4" | "ipv6" }, address: string): boolean {
    const v = isIP(address);
    if ((v === 4) !== (cidr.type === "ipv4") || !v) {
        return false;
    }
    const list = new BlockList();
    list.addSubnet(cidr.address, cidr.prefix, cidr.type);
    return list.check(address, cidr.type);
}

/**
 * The one place that decides what firewall rules mean: which names a rule's sides may use, which
 * guests a rule covers, and which IP sets it needs. The component sets what this returns, and
 * config validation reports its `problems`, so the two cannot disagree.
 */
/**
 * Why `port` is not a destination port the Proxmox firewall takes (undefined when it is): a port
 * 1-65535, a range `first:last` with first <= last, or a comma list of those of at most 15 numbers
 * (a range counts two), as pve-firewall's parse_port_name_number_or_range checks a rule's dport
 * (src/PVE/Firewall.pm; service names from /etc/services are left out: give numbers). The one
 * rule: planFirewall and config validation both call it.
 */
export function firewallPortProblem(port: number | string): string | undefined {
    const fix = "use a port 1-65535, a range first:last such as 8000:8010, or a list such as 80,443";
    const items = String(port).split(",");
    let count = 0;
    for (const item of items) {
        const m = /^(\d+)(?::(\d+))?$/.exec(item.trim());
        if (!m) {
            return `'${port}' is not a port, range or list of them: ${fix}`;
        }
        const [first, last] = [Number(m[1]), Number(m[2] ?? m[1])];
        if (first < 1 || first > 65535 || last < 1 || last > 65535) {
            return `port ${first < 1 || first > 65535 ? first : last} is out of range: ${fix}`;
        }
        if (first > last) {
            return `the range ${item.trim()} runs backwards: write ${last}:${first}`;
        }
        count += m[2] !== undefined ? 2 : 1;
    }
    return count > 15 ? `'${port}' lists ${count} ports; the Proxmox firewall takes at most 15 in one rule (a range counts two): split the rule` : undefined;
}

export function planFirewall(name: string, args: Pick<FirewallArgs, "networks" | "guests" | "hosts" | "rules">): FirewallPlan {
    const networks = new Map((args.networks ?? []).map((n) => [n.name, n]));
    const guests = new Map(args.guests.map((g) => [g.hostname, g]));
    const hosts = new Map((args.hosts ?? []).map((h) => [h.name, h]));
    const names = [...networks.keys(), ...guests.keys(), ...hosts.keys()];
    const plan: FirewallPlan = { problems: [], rules: new Map(), ipSets: [] };
    const setName = (network: string) => `${name}-${network}`;

    const sourcesOf = (ref: string): GuestRule["source"][] | undefined => {
        if (networks.has(ref)) {
            if (!plan.ipSets.some((s) => s.network === ref)) {
                plan.ipSets.push({ name: setName(ref), network: ref, cidrs: networks.get(ref)!.cidrs });
            }
            return [`+${setName(ref)}`];
        }
        const holder = guests.get(ref)?.addresses ?? hosts.get(ref)?.addresses;
        if (holder) {
            return isKnown(holder) ? (holder as string[]) : [pulumi.output(holder)];
        }
        return cidrOf(ref) ? [ref] : undefined;
    };
    const targetsOf = (ref: string): string[] | undefined => {
        if (guests.has(ref)) {
            return [ref];
        }
        if (networks.has(ref)) {
            return args.guests.filter((g) => g.network === ref).map((g) => g.hostname);
        }
        const cidr = cidrOf(ref);
        return cidr && args.guests.filter((g) => g.addresses.some((a) => inside(cidr, a))).map((g) => g.hostname);
    };

    args.rules.forEach((r, i) => {
        const sources = sourcesOf(r.from);
        if (!sources) {
            plan.problems.push({ rule: i, field: "from", message: `'${r.from}' is no network, guest or node of the lab, nor a CIDR: use one of ${names.join(", ")}, or a network such as 192.168.50.0/24` });
        }
        const targets = targetsOf(r.to);
        if (!targets) {
            const hint = hosts.has(r.to) ? `'${r.to}' is a node, which keeps its own firewall` : `'${r.to}' is no guest or network of the lab, nor a CIDR`;
            plan.problems.push({ rule: i, field: "to", message: `${hint}: name a guest (${[...guests.keys()].join(", ")}), a network or a CIDR with guests in it` });
        } else if (targets.length === 0) {
            plan.problems.push({ rule: i, field: "to", message: `no guest of the lab is in '${r.to}', and Proxmox filters at guests' NICs: this rule would protect nothing; name a network or CIDR with guests in it` });
        }
        // A port or proto from an output is checked once known, where the rule takes the port.
        const portProblem = (port: string, proto: string | undefined) =>
            firewallPortProblem(port) ?? (proto === undefined || proto === "icmp" ? "a port needs proto tcp or udp: add `proto: tcp` or `proto: udp`" : undefined);
        const plainProblem = r.port !== undefined && isKnown(r.port) && isKnown(r.proto) ? portProblem(r.port as string, r.proto as string | undefined) : undefined;
        const dport =
            r.port === undefined || plainProblem !== undefined
                ? r.port
                : whenKnown({ port: r.port, proto: r.proto }, (v) => {
                      const problem = portProblem(v.port, v.proto);
                      if (problem !== undefined) {
                          throw new Error(`Firewall: rules[${i}].port: ${problem}`);
                      }
                      return v.port;
                  });
        if (plainProblem !== undefined) {
            plan.problems.push({ rule: i, field: "port", message: plainProblem });
        }
        for (const host of targets ?? []) {
            const list = plan.rules.get(host) ?? [];
            for (const source of sources ?? []) {
                list.push({ action: r.action ?? "ACCEPT", proto: r.proto, dport, source, comment: r.comment });
            }
            plan.rules.set(host, list);
        }
    });
    plan.rules = new Map([...plan.rules].sort((a, b) => a[0].localeCompare(b[0])));
    return plan;
}

/**
 * Proxmox firewall rules deciding who may talk to whom. A rule's source is a network (a cluster IP
 * set), a guest, a node or a CIDR; its destination a guest, a network or a CIDR, and the rule is set
 * on every guest it covers. Each protected guest gets its firewall turned on with its input policy
 * (stated in the args, never implied), SSH from the management networks, and its rules in order.
 * The datacenter firewall is switched on (guest firewalls do nothing without it) with an ACCEPT
 * input policy, so no node loses its web UI or SSH.
 */
export class Firewall extends pulumi.ComponentResource {
    /** Input policy of each protected guest, by hostname. */
    readonly policies: Record<string, pulumi.Input<string>>;

    /** The datacenter firewall. A getter: proxmoxve resources are not in the multi-language schema. */
    get cluster(): proxmoxve.cluster.FirewallLegacy {
        return handles.get(this)!.cluster;
    }
    /** Rule sets by guest hostname. */
    get rules(): Record<string, proxmoxve.firewall.RulesLegacy> {
        return handles.get(this)!.rules;
    }
    /** Cluster IP sets by network name. */
    get ipSets(): Record<string, proxmoxve.firewall.IpsetLegacy> {
        return handles.get(this)!.ipSets;
    }

    constructor(name: string, args: FirewallArgs, opts?: pulumi.ComponentResourceOptions) {
        const plan = planFirewall(name, args);
        if (plan.problems.length > 0) {
            const p = plan.problems[0];
            throw new Error(`Firewall: rules[${p.rule}].${p.field}: ${p.message}`);
        }
        super("homelab:index:Firewall", name, {}, opts);
        const own = { parent: this };
        const byName = new Map(args.guests.map((g) => [g.hostname, g]));

        const cluster = new proxmoxve.cluster.FirewallLegacy(name, { enabled: true, inputPolicy: "ACCEPT", outputPolicy: "ACCEPT" }, own);
        const ipSets: Record<string, proxmoxve.firewall.IpsetLegacy> = {};
        const rules: Record<string, proxmoxve.firewall.RulesLegacy> = {};
        handles.set(this, { cluster, ipSets, rules });

        for (const s of plan.ipSets) {
            // Cluster level (no node or guest id), so every guest's rules can reference `+<name>`.
            // bpg provider, proxmoxtf/resource/firewall/ipset.go `IPSet`: `cidr` is force-new and
            // compared ignoring order (SuppressIfListsOfMapsAreEqualIgnoringOrderByKey); `ipSetRead`
            // reads each entry back as the API lists it. Only a change of a network's prefixes
            // replaces it, and then the old set goes first: its id is its name, and `ipSetCreate`
            // adopts an existing set of that name without adding the new entries, after which
            // `ipSetDelete` of the old one would empty and remove the set the new one points to.
            ipSets[s.network] = new proxmoxve.firewall.IpsetLegacy(
                s.name,
                { name: s.name, comment: `homelab: network ${s.network}`, cidrs: whenKnown({ cidrs: s.cidrs }, (v) => v.cidrs.map((c) => ({ name: c }))) },
                { ...own, dependsOn: [cluster], deleteBeforeReplace: true },
            );
        }

        const policies: Record<string, pulumi.Input<InputPolicy>> = {};
        for (const [host, configured] of plan.rules) {
            const g = byName.get(host)!;
            const id = g.kind === "lxc" ? { containerId: g.vmId } : { vmId: g.vmId };
            const ssh = pulumi.output(args.managementSources).apply((sources) =>
                sources.map((source) => ({
                    type: "in",
                    action: "ACCEPT",
                    proto: "tcp",
                    dport: "22",
                    source,
                    comment: "homelab: Pulumi configures this guest over SSH",
                })),
            );
            // bpg provider, proxmoxtf/resource/firewall/rules.go `RulesRead` -> `baseRuleToMap`: each
            // field (source `+<set>` included) is read back as the API returns the rule at its position.
            rules[host] = new proxmoxve.firewall.RulesLegacy(
                `${name}-${host}-rules`,
                { nodeName: g.node, ...id, rules: pulumi
                    .all([ssh, configured.map((r) => ({ type: "in", ...r }))])
                    // A host's addresses that came as an Output: one rule per address, as when plain.
                    .apply(([a, b]) => [...a, ...b.flatMap((r) => (Array.isArray(r.source) ? r.source.map((source) => ({ ...r, source })) : [{ ...r, source: r.source }]))]) },
                { ...own, dependsOn: [cluster, ...Object.values(ipSets)] },
            );
            // The policy only once the rules are in place: a DROP turned on first would cut the
            // guest off (SSH included, which other set-up steps use) until they are.
            policies[host] = g.inputPolicy ?? args.inputPolicy ?? "DROP";
            new proxmoxve.firewall.OptionsLegacy(
                `${name}-${host}`,
                { nodeName: g.node, ...id, enabled: true, inputPolicy: policies[host], outputPolicy: "ACCEPT", dhcp: false, ndp: true },
                { ...own, dependsOn: [rules[host]] },
            );
        }
        this.policies = policies;
        this.registerOutputs({ protected: policies });
    }
}

// proxmoxve is not a @pulumi package, so the multi-language schema cannot carry its resources:
// TypeScript reaches them through getters, kept here rather than in fields.
const handles = new WeakMap<
    Firewall,
    { cluster: proxmoxve.cluster.FirewallLegacy; ipSets: Record<string, proxmoxve.firewall.IpsetLegacy>; rules: Record<string, proxmoxve.firewall.RulesLegacy> }
>();
