// What a node can give its guests: CPUs and memory. Pure: config validation refuses a guest that
// cannot fit its node at all, and the plan warns when the guests of a node ask more in total.
//
// Proxmox counts a node's CPUs as its logical CPUs (threads, `nproc`, the node Summary's "CPU(s)").
// qemu-server refuses to start a VM with more vCPUs than that (PVE/QemuServer.pm, config_to_command:
// "MAX $allowed_vcpus vcpus allowed per VM on this node"); a container cannot use more either. A guest
// with more memory than its node can never hold it. The total of several guests above the node is
// allowed (Proxmox does not check it), so it is a warning, not an error.

/** What the config says a node has. Both optional: a node without them is not checked. */
export interface NodeCapacity {
    name: string;
    /** Logical CPUs (threads). */
    cores?: number;
    /** Memory in GB (GiB: 16 means 16384 MB). */
    memoryGb?: number;
}

/** What a guest asks of its node. */
export interface GuestSize {
    hostname: string;
    cores: number;
    memoryMb: number;
}

/** The largest guest the schema takes: Proxmox's own limits for memory (MB) and cores. */
export const guestLimits = {
    /** qemu-server's largest VM memory (PVE/QemuServer/Memory.pm, $MAX_MEM: 4 TiB). */
    memoryMb: 4 * 1024 * 1024,
    cores: 128,
} as const;

/** Why `guest` cannot run on `node`, by field (none when it fits or the node gives no size). */
export function guestFitProblems(node: NodeCapacity, guest: GuestSize): { field: "cores" | "memoryMb"; message: string }[] {
    const out: { field: "cores" | "memoryMb"; message: string }[] = [];
    if (node.cores !== undefined && guest.cores > node.cores) {
        out.push({
            field: "cores",
            message: `node '${node.name}' has ${node.cores} CPUs, fewer than the ${guest.cores} cores asked (Proxmox refuses to start a VM with more): use at most ${node.cores}, or place the guest on a bigger node`,
        });
    }
    const nodeMb = node.memoryGb !== undefined ? Math.floor(node.memoryGb * 1024) : undefined;
    if (nodeMb !== undefined && guest.memoryMb > nodeMb) {
        out.push({
            field: "memoryMb",
            message: `node '${node.name}' has ${node.memoryGb} GB (${nodeMb} MB), less than the ${guest.memoryMb} MB asked: use at most ${nodeMb}, or place the guest on a bigger node`,
        });
    }
    return out;
}

/** What the guests of one node ask in total, and a warning for each resource they ask more of than the node has. */
export function nodeLoad(node: NodeCapacity, guests: GuestSize[]): { cores: number; memoryMb: number; warnings: string[] } {
    const cores = guests.reduce((s, g) => s + g.cores, 0);
    const memoryMb = guests.reduce((s, g) => s + g.memoryMb, 0);
    const names = guests.map((g) => g.hostname).join(", ");
    const warnings: string[] = [];
    if (node.cores !== undefined && cores > node.cores) {
        warnings.push(`node '${node.name}': its guests (${names}) have ${cores} cores in all, the node ${node.cores} CPUs: they share them, so a busy guest slows the others`);
    }
    const nodeMb = node.memoryGb !== undefined ? Math.floor(node.memoryGb * 1024) : undefined;
    if (nodeMb !== undefined && memoryMb > nodeMb) {
        warnings.push(
            `node '${node.name}': its guests (${names}) have ${memoryMb} MB of memory in all, the node ${nodeMb} MB: when they all use it, the node swaps or the kernel stops one; lower memoryMb or move a guest to another node`,
        );
    }
    return { cores, memoryMb, warnings };
}
