import * as pulumi from "@pulumi/pulumi";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import { isShared, StorageInfo } from "./storage";

/** States Proxmox's HA manager keeps a guest in (bpg provider, proxmox/types/ha_resource_state.go). */
export const haStates = ["started", "stopped", "disabled", "ignored"] as const;
export type HaState = (typeof haStates)[number];

/** An HA group: the nodes a guest may run on, preferred first. */
export interface HaGroupArgs {
    /** Group id, e.g. `web`. */
    name: string;
    /** Member nodes, most preferred first (they get priorities n, n-1, ..., 1). */
    nodes: string[];
    /** Run the group's guests on its nodes only, never elsewhere. Defaults to false. */
    restricted?: boolean;
    /** Stay on a node after a failover instead of moving back to a preferred one. Defaults to false. */
    noFailback?: boolean;
}

/** One highly available guest. */
export interface HaGuestArgs {
    /** Name of the guest, for the resource names. */
    name: string;
    kind: "lxc" | "vm";
    vmId: number;
    /** HA group (from `groups`). Defaults to none: any node of the cluster. */
    group?: string;
    /** Defaults to started. */
    state?: HaState;
    /** Restarts on its node before it is relocated, 0-10. Defaults to 1 (Proxmox's). */
    maxRestart?: number;
    /** Relocations to other nodes before HA gives up, 0-10. Defaults to 1 (Proxmox's). */
    maxRelocate?: number;
    /**
     * Nodes its local ZFS volumes are copied to, so that it can start there ({@link haReplication}).
     * Defaults to none (its storage is shared).
     */
    replicateTo?: string[];
    /** The guest resource: HA and replication wait for it. */
    guest?: pulumi.Resource;
}

export interface HighAvailabilityArgs {
    groups?: HaGroupArgs[];
    guests: HaGuestArgs[];
    /** Every node of the cluster, in config order: a replication job's number is its target's place here, plus one. */
    nodes: string[];
    /** Replication schedule (systemd calendar event). Defaults to every 15 minutes, Proxmox's own. */
    replicationSchedule?: string;
}

/**
 * Proxmox HA for guests on a cluster: HA groups, one HA resource per guest, and ZFS replication
 * jobs that copy a guest's local volumes to the nodes it may fail over to. The proxmoxve provider
 * comes through `opts.provider` (HA needs Sys.Console on /: the lab passes the root one).
 */
export class HighAvailability extends pulumi.ComponentResource {
    readonly groups: Record<string, proxmoxve.Hagroup> = {};
    readonly resources: Record<string, proxmoxve.Haresource> = {};
    readonly replications: Record<string, proxmoxve.Replication[]> = {};

    constructor(name: string, args: HighAvailabilityArgs, opts?: pulumi.ComponentResourceOptions) {
        const problem = highAvailabilityProblem(args);
        if (problem !== undefined) {
            throw new Error(`HighAvailability ${name}: ${problem}`);
        }
        super("homelab:index:HighAvailability", name, {}, opts);
        for (const g of args.groups ?? []) {
            this.groups[g.name] = new proxmoxve.Hagroup(
                `${name}-${g.name}`,
                {
                    group: g.name,
                    nodes: Object.fromEntries(g.nodes.map((n, i) => [n, g.nodes.length - i])),
                    restricted: g.restricted ?? false,
                    noFailback: g.noFailback ?? false,
                    comment: "Managed by Pulumi (homelab)",
                },
                { parent: this },
            );
        }
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
                            resourceId: `${guest.vmId}-${args.nodes.indexOf(target) + 1}`,
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
                    resourceId: `${guest.kind === "lxc" ? "ct" : "vm"}:${guest.vmId}`,
                    state: guest.state ?? "started",
                    group: guest.group,
                    maxRestart: guest.maxRestart ?? 1,
                    maxRelocate: guest.maxRelocate ?? 1,
                    comment: "Managed by Pulumi (homelab)",
                },
                {
                    parent: this,
                    dependsOn: [...after, ...this.replications[guest.name], ...(guest.group ? [this.groups[guest.group]] : [])],
                },
            );
        }
        this.registerOutputs({});
    }
}

/** What is wrong with the args, or undefined. */
export function highAvailabilityProblem(args: HighAvailabilityArgs): string | undefined {
    const groups = new Set((args.groups ?? []).map((g) => g.name));
    for (const g of args.groups ?? []) {
        if (!/^[a-zA-Z][a-zA-Z0-9\-_.]*[a-zA-Z0-9]$/.test(g.name)) {
            return `group '${g.name}' must start with a letter and hold letters, digits, '-', '_' and '.' (at least 2)`;
        }
        const unknown = g.nodes.find((n) => !args.nodes.includes(n));
        if (g.nodes.length === 0 || unknown !== undefined) {
            return `group '${g.name}' needs nodes of the cluster (${args.nodes.join(", ")})${unknown ? `, not '${unknown}'` : ""}`;
        }
    }
    for (const guest of args.guests) {
        if (guest.group !== undefined && !groups.has(guest.group)) {
            return `guest '${guest.name}': unknown HA group '${guest.group}': use one of ${[...groups].join(", ") || "(none defined)"}`;
        }
        for (const [field, value] of [["maxRestart", guest.maxRestart], ["maxRelocate", guest.maxRelocate]] as const) {
            if (value !== undefined && !(Number.isInteger(value) && value >= 0 && value <= 10)) {
                return `guest '${guest.name}': ${field} must be from 0 to 10, got ${value}`;
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
        return { problem: `replicating storage '${storage.id}' needs a zfspool storage of that id on '${missing.node}' too: declare it in its storages, or restrict the guest's HA group to nodes that have it` };
    }
    if (others.length === 0) {
        return { problem: `the guest may run on '${guestNode}' only: give its HA group another node` };
    }
    return { replicateTo: others.map((n) => n.node) };
}
