// What a Proxmox storage can hold, by its type and declared content: the one set of rules that
// the guest components and the stack validation both ask before anything is created.

/**
 * Why `id` is not a Proxmox storage id (undefined when it is): a letter first, then letters,
 * digits, `-`, `_` or `.`, ending in a letter or digit, as the API's `pve-storage-id` format
 * checks it (pve-common src/PVE/JSONSchema.pm, parse_storage_id).
 */
export function storageIdProblem(id: string): string | undefined {
    if (!/^[a-z][a-z0-9._-]*[a-z0-9]$/i.test(id)) {
        return `${id === "" ? "is empty" : `'${id}' is not a Proxmox storage id`}: start with a letter, then letters, digits, '-', '_' or '.', ending in a letter or digit, e.g. local-lvm (see Datacenter > Storage)`;
    }
    return undefined;
}

/** Proxmox storage types a node may declare (`pvesm status`, column Type). */
export const StorageType = {
    /** A directory of the node's file system. */
    dir: "dir",
    /** An LVM volume group (thick volumes). */
    lvm: "lvm",
    /** An LVM thin pool. */
    lvmthin: "lvmthin",
    /** A ZFS pool. */
    zfspool: "zfspool",
    /** A Btrfs file system. */
    btrfs: "btrfs",
    /** An NFS export. */
    nfs: "nfs",
    /** An SMB/CIFS share. */
    cifs: "cifs",
    /** A Proxmox Backup Server datastore. */
    pbs: "pbs",
} as const;
export type StorageType = (typeof StorageType)[keyof typeof StorageType];
export const storageTypes: StorageType[] = Object.values(StorageType);

/** Proxmox content types (`pvesm set <id> --content ...`). */
export const StorageContent = {
    /** VM disks. */
    images: "images",
    /** Container root file systems. */
    rootdir: "rootdir",
    /** Container templates. */
    vztmpl: "vztmpl",
    /** ISO images. */
    iso: "iso",
    /** Backups (vzdump). */
    backup: "backup",
    /** Snippets (cloud-init files, hook scripts). */
    snippets: "snippets",
    /** Disk images to import. */
    import: "import",
} as const;
export type StorageContent = (typeof StorageContent)[keyof typeof StorageContent];
export const storageContents: StorageContent[] = Object.values(StorageContent);

/**
 * The content each storage type can be given. Block storages (LVM, thin LVM, ZFS) hold only guest
 * volumes; a Proxmox Backup Server only backups; file storages anything.
 */
export const contentOfType: Record<StorageType, readonly StorageContent[]> = {
    dir: storageContents,
    btrfs: storageContents,
    nfs: storageContents,
    cifs: storageContents,
    lvm: ["images", "rootdir"],
    lvmthin: ["images", "rootdir"],
    zfspool: ["images", "rootdir"],
    pbs: ["backup"],
};

/** One storage of a node, as Proxmox has it. */
export interface StorageInfo {
    /** Storage id, e.g. local-lvm. */
    id: string;
    /** Its type. */
    type: StorageType;
    /** The content types enabled on it. */
    content: StorageContent[];
    /** Reachable from every node (network storage, or a shared LVM). Defaults to true for nfs, cifs and pbs. */
    shared?: boolean;
}

/** Whether every node sees the same storage: a guest on it may run on any node without copying. */
export function isShared(s: StorageInfo): boolean {
    return s.shared ?? (s.type === "nfs" || s.type === "cifs" || s.type === "pbs");
}

/** Storage types whose volumes a container snapshot (and a snapshot-mode vzdump of a container) can use. */
export const snapshotTypes: readonly StorageType[] = ["lvmthin", "zfspool", "btrfs"];

/** What a storage is asked to do for a guest or an image. */
export type StorageUse =
    | { kind: "content"; content: StorageContent; what: string }
    /** The root disk of a container that is made into a template (a base image). */
    | { kind: "template" }
    /** A container's volumes in a snapshot-mode backup. */
    | { kind: "snapshotBackup" };

/**
 * Why `s` cannot serve `use`, with the fix; undefined when it can. Proxmox itself refuses these
 * half-way through `pulumi up` (or, for a backup, quietly falls back to another mode).
 */
export function storageProblem(s: StorageInfo, use: StorageUse): string | undefined {
    switch (use.kind) {
        case "content":
            return s.content.includes(use.content)
                ? undefined
                : `storage '${s.id}' (${s.type}) has no '${use.content}' content, needed for ${use.what}: add it (pvesm set ${s.id} --content ${[...s.content, use.content].join(",")}) or use a storage that has it`;
        case "template":
            // PVE::Storage::LVMPlugin::create_base dies with this message.
            return s.type === "lvm"
                ? `storage '${s.id}' is thick LVM, and Proxmox "can't create base images in lvm storage": put the template's disk on an lvmthin, zfspool, btrfs or dir storage`
                : undefined;
        case "snapshotBackup":
            return snapshotTypes.includes(s.type)
                ? undefined
                : `storage '${s.id}' (${s.type}) cannot snapshot a container's volumes, so vzdump would not back it up in snapshot mode: set homelab:backup.mode to suspend or stop, or keep containers on ${snapshotTypes.join(", ")} storage`;
    }
}

/** Why a declared content list does not fit the storage type, or undefined. */
export function contentProblem(s: Pick<StorageInfo, "type">, content: StorageContent): string | undefined {
    const allowed = contentOfType[s.type];
    return allowed.includes(content) ? undefined : `'${content}' is not a content type of ${s.type} storage: use ${allowed.join(", ")}`;
}
