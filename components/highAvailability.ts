import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import { isKnown, whenKnown } from "./inputs";
import { isShared, StorageInfo } from "./storage";

/** States Proxmox's HA manager keeps a guest in (bpg provider, proxmox/types/ha_resource_state.go). */
export const HaState = {
    /** Kept running: restarted, or relocated when its node fails. */
    started: "started",
    /** Kept stopped. */
    stopped: "stopped",
    /** Stopped, and not relocated when its node fails. */
    disabled: "disabled",
    /** Left alone by the HA manager, as if not managed. */
    ignored: "ignored",
} as const;
export type HaState = (typeof HaState)[keyof typeof HaState];
/** Every HaState, for the config schema. */
export const haStates = Object.values(HaState) as [HaState, ...HaState[]];

/** What a highly available guest is. */
export const HaGuestKind = {
    /** An LXC container (HA resource `ct:<id>`). */
    lxc: "lxc",
    /** A VM (HA resource `vm:<id>`). */
    vm: "vm",
} as const;
export type HaGuestKind = (typeof HaGuestKind)[keyof typeof HaGuestKind];

/** What an HA rule (Proxmox VE 9) does. */
export const HaRuleType = {
    /** The nodes its guests prefer (`nodes`, `strict`), like an HA group. */
    nodeAffinity: "node-affinity",
    /** Guests (`guests`) kept on one node or on different nodes (`affinity`). */
    resourceAffinity: "resource-affinity",
} as const;
export type HaRuleType = (typeof HaRuleType)[keyof typeof HaRuleType];

/** Whether a resource-affinity rule keeps its guests together or apart. */
export const HaAffinity = {
    /** On one node. */
    positive: "positive",
    /** On different nodes. */
    negative: "negative",
} as const;
export type HaAffinity = (typeof HaAffinity)[keyof typeof HaAffinity];

/** An HA group: the nodes a guest may run on, preferred first. */
export interface HaGroupArgs {
    /** Group id, e.g. `web`. */
    name: string;
    /** Member nodes, most preferred first (they get priorities n, n-1, ..., 1); nodes of the cluster. */
    nodes: pulumi.Input<pulumi.Input<string>[]>;
    /** Run the group's guests on its nodes only, never elsewhere. Defaults to false. */
    restricted?: pulumi.Input<boolean>;
    /** Stay on a node after a failover instead of moving back to a preferred one. Defaults to false. */
    noFailback?: pulumi.Input<boolean>;
}

/**
 * An HA rule (Proxmox VE 9, which replaced HA groups with rules). `node-affinity`: the nodes its
 * guests prefer (most preferred first), like a group; `resource-affinity`: guests kept on one node
 * (`positive`) or on different nodes (`negative`). The fields of the other type are refused.
 */
export interface HaRuleArgs {
    /** Rule id, e.g. `prefer-pve1`: a letter first, then letters, digits, '-', '_' and '.' (at least 2). */
    name: string;
    /** `node-affinity` or `resource-affinity` (see HaRuleType). */
    type: HaRuleType;
    /** node-affinity: nodes of the cluster, most preferred first (they get priorities n, n-1, ..., 1). At least one. */
    nodes?: pulumi.Input<pulumi.Input<string>[]>;
    /** node-affinity: run its guests on these nodes only. Defaults to false. */
    strict?: pulumi.Input<boolean>;
    /** resource-affinity: `positive` (together) or `negative` (apart). Required for that type. */
    affinity?: pulumi.Input<HaAffinity>;
    /** resource-affinity: the guests (by `HaGuestArgs.name`, at least two) it keeps together or apart. */
    guests?: string[];
}

/** One highly available guest. */
export interface HaGuestArgs {
    /** Name of the guest, for the resource names. */
    name: string;
    /** `lxc` or `vm` (see HaGuestKind). */
    kind: HaGuestKind;
    /** Proxmox guest id. */
    vmId: pulumi.Input<number>;
    /** HA group (from `groups`; Proxmox VE 8). Defaults to none: any node of the cluster. */
    group?: string;
    /** Node-affinity HA rule (from `rules`; Proxmox VE 9) it belongs to. Defaults to none: any node. */
    rule?: string;
    /** Defaults to started. */
    state?: pulumi.Input<HaState>;
    /** Restarts on its node before it is relocated, 0-10. Defaults to 1 (Proxmox's). */
    maxRestart?: pulumi.Input<number>;
    /** Relocations to other nodes before HA gives up, 0-10. Defaults to 1 (Proxmox's). */
    maxRelocate?: pulumi.Input<number>;
    /**
     * Nodes its local ZFS volumes are copied to, so that it can start there ({@link haReplication}).
     * Defaults to none (its storage is shared). Plain: each target names a replication job.
     */
    replicateTo?: string[];
    /** The guest resource: HA and replication wait for it. */
    guest?: pulumi.Resource;
}

export interface HighAvailabilityArgs {
    /** HA groups, for Proxmox VE 8. Not with `rules`. Defaults to none. */
    groups?: HaGroupArgs[];
    /** HA rules, for Proxmox VE 9 (which has no groups). Not with `groups`. Defaults to none. */
    rules?: HaRuleArgs[];
    /** The highly available guests. */
    guests: HaGuestArgs[];
    /**
     * Every node of the cluster (a replication job's number comes from its target's name: {@link replicationJobNumber}).
     * Plain: the other args are checked against it.
     */
    nodes: string[];
    /** Replication schedule (systemd calendar event). Defaults to every 15 minutes, Proxmox's own. */
    replicationSchedule?: pulumi.Input<string>;
}

/**
 * Proxmox HA for guests on a cluster: HA groups (Proxmox VE 8) or HA rules (Proxmox VE 9), one HA
 * resource per guest, and ZFS replication jobs that copy a guest's local volumes to the nodes it
 * may fail over to. The proxmoxve provider comes through `opts.provider` (HA needs Sys.Console on
 * /: the lab passes the root one).
 */
export class HighAvailability extends pulumi.ComponentResource {
    // Getters: proxmoxve resources are not in the multi-language schema (the analyzer takes
    // resource references of @pulumi packages only).
    /** HA groups by name. */
    get groups(): Record<string, proxmoxve.Hagroup> {
        return handles.get(this)!.groups;
    }
    /** HA rules by name (those some guest uses). */
    get rules(): Record<string, proxmoxve.Harule> {
        return handles.get(this)!.rules;
    }
    /** HA resources by guest name. */
    get resources(): Record<string, proxmoxve.Haresource> {
        return handles.get(this)!.resources;
    }
    /** Replication jobs by guest name. */
    get replications(): Record<string, proxmoxve.Replication[]> {
        return handles.get(this)!.replications;
    }

    constructor(name: string, args: HighAvailabilityArgs, opts?: pulumi.ComponentResourceOptions) {
        const problem = highAvailabilityProblem(args);
        if (problem !== undefined) {
            throw new Error(`HighAvailability ${name}: ${problem}`);
        }
        super("homelab:index:HighAvailability", name, {}, opts);
        handles.set(this, { groups: {}, rules: {}, resources: {}, replications: {} });
        // What highAvailabilityProblem could not check yet (Outputs) is checked here once known.
        const checked = <T>(problem: string | undefined, value: T): T => {
            if (problem !== undefined) {
                throw new Error(`HighAvailability ${name}: ${problem}`);
            }
            return value;
        };
        const priorities = (owner: string, nodes: pulumi.Input<pulumi.Input<string>[]>) =>
            whenKnown({ nodes }, (v) => checked(haNodesProblem(owner, v.nodes, args.nodes), Object.fromEntries(v.nodes.map((n, i, all) => [n, all.length - i]))));
        const retries = (guest: HaGuestArgs, field: "maxRestart" | "maxRelocate") =>
            whenKnown({ value: guest[field] ?? 1 }, (v) => checked(haRetriesProblem(guest.name, field, v.value), v.value));
        for (const g of args.groups ?? []) {
            this.groups[g.name] = new proxmoxve.Hagroup(
                `${name}-${g.name}`,
                {
                    group: g.name,
                    nodes: priorities(`group '${g.name}'`, g.nodes),
                    restricted: g.restricted ?? false,
                    noFailback: g.noFailback ?? false,
                    comment: "Managed by Pulumi (homelab)",
                },
                { parent: this },
            );
        }
        const haId = (g: HaGuestArgs) => whenKnown({ vmId: g.vmId }, (v) => `${g.kind === "lxc" ? "ct" : "vm"}:${v.vmId}`);
        for (const guest of args.guests) {
            const after = guest.guest ? [guest.guest] : [];
            // Replicated first: HA may start the guest on a target only once its volumes are there.
            this.replications[guest.name] = (guest.replicateTo ?? []).map(
                (target) =>
                    new proxmoxve.Replication(
                        `${name}-${guest.name}-to-${target}`,
                        {
                            // bpg provider, fwprovider/cluster/replication/resource.go `Schema`: the id
                            // (<guest>-<job>), target and type force a new job when they change.
                            // The job number comes from the target's name, not its place in the
                            // node list: adding or reordering nodes replaces no job.
                            resourceId: whenKnown({ vmId: guest.vmId }, (v) => `${v.vmId}-${replicationJobNumber(target)}`),
                            target,
                            type: "local",
                            schedule: args.replicationSchedule ?? "*/15",
                            comment: "Managed by Pulumi (homelab): HA failover copy",
                        },
                        { parent: this, dependsOn: after },
                    ),
            );
            this.resources[guest.name] = new proxmoxve.Haresource(
                `${name}-${guest.name}`,
                {
                    resourceId: haId(guest),
                    state: guest.state ?? "started",
                    group: guest.group,
                    maxRestart: retries(guest, "maxRestart"),
                    maxRelocate: retries(guest, "maxRelocate"),
                    comment: "Managed by Pulumi (homelab)",
                },
                {
                    parent: this,
                    dependsOn: [...after, ...this.replications[guest.name], ...(guest.group ? [this.groups[guest.group]] : [])],
                },
            );
        }
        // A rule names HA resources, which must exist first (bpg provider,
        // fwprovider/cluster/ha/resource_harule.go, Schema(): "The resources must already be
        // managed by HA"). Its `rule` and `type` force a new rule when they change (same Schema()).
        for (const r of args.rules ?? []) {
            const members = args.guests.filter((g) => (r.type === HaRuleType.nodeAffinity ? g.rule === r.name : (r.guests ?? []).includes(g.name)));
            if (members.length === 0) {
                continue;
            }
            this.rules[r.name] = new proxmoxve.Harule(
                `${name}-${r.name}`,
                {
                    rule: r.name,
                    type: r.type,
                    resources: whenKnown({ ids: members.map(haId) }, (v) => [...v.ids].sort()),
                    ...(r.type === HaRuleType.nodeAffinity
                        ? { nodes: priorities(`rule '${r.name}'`, r.nodes!), strict: r.strict ?? false }
                        : { affinity: r.affinity }),
                    comment: "Managed by Pulumi (homelab)",
                },
                { parent: this, dependsOn: members.map((g) => this.resources[g.name]) },
            );
        }
        this.registerOutputs({});
    }
}

const handles = new WeakMap<
    HighAvailability,
    { groups: Record<string, proxmoxve.Hagroup>; rules: Record<string, proxmoxve.Harule>; resources: Record<string, proxmoxve.Haresource>; replications: Record<string, proxmoxve.Replication[]> }
>();

/**
 * The number of the replication job to `target`, from its name alone (the first 32 bits of its
 * SHA-256, below 10^9): Proxmox's job ids are `<guest>-<number>` with a number of at most nine
 * digits (proxmox/pve-guest-common, src/PVE/ReplicationConfig.pm, parse_replication_job_id and
 * the pve-replication-id pattern), and the provider replaces a job whose id changes (bpg provider,
 * fwprovider/cluster/replication/resource.go, Schema()).
 */
export function replicationJobNumber(target: string): number {
    return crypto.createHash("sha256").update(target).digest().readUInt32BE(0) % 1_000_000_000;
}

/** Why these nodes cannot each have their own job number (two names give one), or undefined. */
export function replicationJobNumberProblem(nodes: readonly string[]): string | undefined {
    const seen = new Map<number, string>();
    for (const n of nodes) {
        const other = seen.get(replicationJobNumber(n));
        if (other !== undefined && other !== n) {
            return `nodes '${other}' and '${n}' give the same replication job number: rename one of them`;
        }
        seen.set(replicationJobNumber(n), n);
    }
    return undefined;
}

/** Why `nodes` of `owner` (`group 'web'`, `rule 'prefer-pve1'`) are not nodes of the `cluster`, or undefined. */
function haNodesProblem(owner: string, nodes: readonly string[], cluster: readonly string[]): string | undefined {
    const unknown = nodes.find((n) => !cluster.includes(n));
    return nodes.length === 0 || unknown !== undefined ? `${owner} needs nodes of the cluster (${cluster.join(", ")})${unknown ? `, not '${unknown}'` : ""}` : undefined;
}

/** Why a guest's maxRestart or maxRelocate cannot be `value`, or undefined. */
function haRetriesProblem(guest: string, field: "maxRestart" | "maxRelocate", value: number): string | undefined {
    return Number.isInteger(value) && value >= 0 && value <= 10 ? undefined : `guest '${guest}': ${field} must be from 0 to 10, got ${value}`;
}

/** What is wrong with the args (those known yet: the component checks Outputs once known), or undefined. */
export function highAvailabilityProblem(args: HighAvailabilityArgs): string | undefined {
    const groups = new Set((args.groups ?? []).map((g) => g.name));
    const rules = new Map((args.rules ?? []).map((r) => [r.name, r]));
    if (groups.size > 0 && rules.size > 0) {
        return "use HA groups (Proxmox VE 8) or HA rules (Proxmox VE 9), not both: Proxmox VE 9 has no groups, 8 no rules";
    }
    const jobs = replicationJobNumberProblem(args.nodes);
    if (jobs !== undefined) {
        return jobs;
    }
    for (const r of args.rules ?? []) {
        if (!/^[a-zA-Z][a-zA-Z0-9\-_.]*[a-zA-Z0-9]$/.test(r.name)) {
            return `rule '${r.name}' must start with a letter and hold letters, digits, '-', '_' and '.' (at least 2)`;
        }
        if (!Object.values(HaRuleType).includes(r.type)) {
            return `rule '${r.name}': type '${r.type}' is none of ${Object.values(HaRuleType).join(", ")}`;
        }
        // A field of the other type: an arg nobody would read is a mistake.
        const foreign = (r.type === HaRuleType.nodeAffinity ? (["affinity", "guests"] as const) : (["nodes", "strict"] as const)).find((f) => r[f] !== undefined);
        if (foreign !== undefined) {
            return `rule '${r.name}': ${foreign} is not a field of a ${r.type} rule: remove it or change the type`;
        }
        if (r.type === HaRuleType.nodeAffinity) {
            const nodes = r.nodes ?? [];
            const problem = isKnown(nodes) ? haNodesProblem(`rule '${r.name}'`, nodes as string[], args.nodes) : undefined;
            if (problem !== undefined) {
                return problem;
            }
        } else {
            if (r.affinity === undefined) {
                return `rule '${r.name}' needs affinity: positive (together) or negative (apart)`;
            }
            const guests = r.guests ?? [];
            const unknown = guests.find((g) => !args.guests.some((x) => x.name === g));
            if (guests.length < 2 || unknown !== undefined) {
                return `rule '${r.name}' needs at least two of the highly available guests (${args.guests.map((g) => g.name).join(", ")})${unknown ? `, not '${unknown}'` : ""}`;
            }
        }
    }
    for (const g of args.groups ?? []) {
        if (!/^[a-zA-Z][a-zA-Z0-9\-_.]*[a-zA-Z0-9]$/.test(g.name)) {
            return `group '${g.name}' must start with a letter and hold letters, digits, '-', '_' and '.' (at least 2)`;
        }
        const problem = isKnown(g.nodes) ? haNodesProblem(`group '${g.name}'`, g.nodes as string[], args.nodes) : undefined;
        if (problem !== undefined) {
            return problem;
        }
    }
    for (const guest of args.guests) {
        if (guest.group !== undefined && !groups.has(guest.group)) {
            return `guest '${guest.name}': unknown HA group '${guest.group}': use one of ${[...groups].join(", ") || "(none defined)"}`;
        }
        if (guest.rule !== undefined && rules.get(guest.rule)?.type !== HaRuleType.nodeAffinity) {
            const known = [...rules.values()].filter((r) => r.type === HaRuleType.nodeAffinity).map((r) => r.name);
            return `guest '${guest.name}': '${guest.rule}' is not a node-affinity HA rule: use one of ${known.join(", ") || "(none defined)"}`;
        }
        for (const field of ["maxRestart", "maxRelocate"] as const) {
            const value = guest[field];
            const problem = value !== undefined && isKnown(value) ? haRetriesProblem(guest.name, field, value as number) : undefined;
            if (problem !== undefined) {
                return problem;
            }
        }
        const target = (guest.replicateTo ?? []).find((t) => !args.nodes.includes(t));
        if (target !== undefined) {
            return `guest '${guest.name}': cannot replicate to '${target}', not a node of the cluster`;
        }
    }
    return undefined;
}

/**
 * Where an HA guest's volumes must be copied so that it can start on each node it may run on,
 * or why it cannot be highly available. Shared storage needs no copy; local ZFS is replicated
 * (Proxmox's storage replication works on zfspool only) to every other node, which must have a
 * zfspool storage of the same id; any other local storage cannot fail over.
 */
export function haReplication(
    guestNode: string,
    storage: StorageInfo,
    runsOn: { node: string; storages?: readonly StorageInfo[] }[],
): { replicateTo: string[] } | { problem: string } {
    if (isShared(storage)) {
        return { replicateTo: [] };
    }
    if (storage.type !== "zfspool") {
        return {
            problem: `storage '${storage.id}' (${storage.type}) on '${guestNode}' is neither shared nor replicated, so the guest could not start on another node: put its disks on shared storage (nfs, cifs, or one marked shared) or on a zfspool storage, which is replicated`,
        };
    }
    const others = runsOn.filter((n) => n.node !== guestNode);
    const missing = others.find((n) => !n.storages?.some((s) => s.id === storage.id && s.type === "zfspool"));
    if (missing !== undefined) {
        return { problem: `replicating storage '${storage.id}' needs a zfspool storage of that id on '${missing.node}' too: declare it in its storages, or restrict the guest's HA group (or make its node-affinity rule strict) to nodes that have it` };
    }
    if (others.length === 0) {
        return { problem: `the guest may run on '${guestNode}' only: give its HA group or rule another node` };
    }
    return { replicateTo: others.map((n) => n.node) };
}
