// The typed stack config: one zod schema per `homelab:<key>` in Pulumi.<stack>.yaml.
// Structure and types live here; rules that relate fields to each other live in validate.ts.
import { z } from "zod";
import { LxcOsType, lxcOsTypeOfFile, lxcOsTypes } from "../components/lxcContainer";
import { StorageContent, storageContents, storageIdProblem, StorageType, storageTypes } from "../components/storage";
import { haStates } from "../components/highAvailability";
import { calendarEventProblem } from "../components/backupJob/calendarEvent";
import { firewallPortProblem } from "../components/firewall";
import { appNetworkSizeProblem } from "../components/dockerHost";
import { nasMountProblem, sambaPasswordProblem } from "../components/nasVm";
import { checksumProblem } from "../components/proxmoxHost";
import { guestLimits } from "../components/proxmoxHost/capacity";
import { linuxUserNameProblem, shareCommentProblem, shareNameProblem } from "../components/nasVm/smbConf";
import { exportIdProblem, exportPathProblem, nfsClientProblem } from "../components/shareServer/exports";
import { sshPublicKeyProblem } from "../components/nasVm/userData";
import { emailProblem } from "../components/reverseProxy/caddyfile";
import { domainRule } from "../components/cloudflareDns";
import { LabConfig } from "./labConfig";
import { SecretValue } from "./secretValue";

export { LabConfig, SecretValue };

/**
 * Why a secret's value cannot be used (undefined when it can): empty, or, unless it may span lines
 * (a private key, an app's environment), holding a control character. Never names the value.
 */
export function secretValueProblem(value: string, multiLine: boolean): string | undefined {
    if (value === "") {
        return "is empty";
    }
    // eslint-disable-next-line no-control-regex
    if ((multiLine ? /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/ : /[\u0000-\u001f\u007f]/).test(value)) {
        return multiLine ? "holds a control character other than tab and line break" : "holds a tab, line break or other control character";
    }
    return undefined;
}

/**
 * Marks a field that must be set with `pulumi config set --secret`; `problem` is the rule its
 * value must pass (defaults to one non-empty line). validate.ts words both issues with the fix.
 */
const secret = (problem: (value: string) => string | undefined = (v) => secretValueProblem(v, false)) =>
    z.custom<SecretValue>((v) => v instanceof SecretValue, { params: { homelab: "secret" } }).superRefine((v, ctx) => {
        const p = v instanceof SecretValue ? v.check(problem) : undefined;
        if (p !== undefined) {
            ctx.addIssue({ code: "custom", message: p, params: { homelab: "secret-value" } });
        }
    });

/** A string that must also pass `problem`, the rule of the component that consumes it. */
const ruled = <S extends z.ZodType<string>>(schema: S, problem: (value: string) => string | undefined) =>
    schema.superRefine((v, ctx) => {
        const p = typeof v === "string" ? problem(v) : undefined;
        if (p !== undefined) {
            ctx.addIssue({ code: "custom", message: p });
        }
    });

const label = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const dnsLabel = () =>
    z.string().regex(label, "must be a DNS label: lower-case letters, digits and '-', 1-63 characters, not starting or ending with '-'");
const name = () =>
    z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, "must start with a letter and hold only lower-case letters, digits and '-' (at most 63)");
const guestId = () => z.number().int().min(100, "must be a Proxmox guest id from 100 to 999999999").max(999_999_999);
/** A disk size in GB: whole, at least `min`, at most 64 TiB (a guard against a size typed in MB or bytes). */
const diskGb = (min: number) =>
    z
        .number()
        .int("must be a whole number of GB")
        .min(min, `must be at least ${min} GB`)
        .max(65536, "must be at most 65536 GB (64 TiB): check the unit, sizes here are in GB");
const ipv4 = () => z.ipv4({ message: "must be an IPv4 address such as 192.168.1.5" });
const ipv6 = () => z.ipv6({ message: "must be an IPv6 address such as 2001:db8::5" });
const cidr4 = () => z.cidrv4({ message: "must be an IPv4 network such as 192.168.1.0/24" });
const cidr6 = () => z.cidrv6({ message: "must be an IPv6 network such as 2001:db8::/64" });

/** `homelab:domain`: the DNS zone the lab's names live under (a Cloudflare zone). */
export const domainSchema = z.string().regex(domainRule.pattern, domainRule.message);

/** `homelab:proxmox`: how Pulumi reaches the Proxmox VE API (and the node shells, for what the API cannot do). */
export const proxmoxSchema = z.strictObject({
    /** API endpoint, e.g. https://192.168.1.6:8006/. */
    endpoint: z.url({ protocol: /^https$/, message: "must be an https URL such as https://192.168.1.6:8006/" }),
    /** Accept the node's self-signed certificate. Defaults to false. */
    insecure: z.boolean().default(false),
    /** API token `user@realm!id=uuid`. Passthrough disks and bind mounts need a root@pam token. */
    apiToken: secret(),
    /** SSH user on the nodes, for the operations the API does not offer (uploading snippets, NUT). Defaults to root. */
    sshUser: z
        .string()
        .regex(/^[a-z_][a-z0-9_-]{0,31}$/, "must be a Linux user name: lower-case letters, digits, '_' and '-', starting with a letter or '_' (e.g. root)")
        .default("root"),
    /** Create a least-privilege role, user and token (`homelab@pve`) for what does not need root. Defaults to true. */
    leastPrivilegeToken: z.boolean().default(true),
});

/** `homelab:ssh`: the admin key put on every guest and used to configure them. */
export const sshSchema = z.strictObject({
    /** Public keys allowed to log in to every guest. */
    publicKeys: z.array(ruled(z.string(), sshPublicKeyProblem)).min(1, "needs at least one public key: Pulumi and you log in to the guests with it"),
    /** The private key Pulumi uses to run set-up commands on the nodes and guests. */
    privateKey: secret((v) => secretValueProblem(v, true)),
});

/** One IP network of the lab (`homelab:networks[]`). */
export const networkSchema = z.strictObject({
    /** Name other entries refer to (e.g. `lan`). */
    name: name(),
    /** IPv4 network, e.g. 192.168.1.0/24. */
    cidr: cidr4(),
    /** Default gateway, inside `cidr`. Omit for an isolated network. */
    gateway: ipv4().optional(),
    /** Proxmox bridge that carries this network to guests. Omit for networks that no guest joins (e.g. a VPN). */
    bridge: z.string().regex(/^vmbr\d{1,4}$/, "must be a Proxmox bridge name such as vmbr0").optional(),
    /** 802.1Q tag; the bridge must be VLAN-aware. */
    vlan: z.number().int().min(1, "must be a VLAN id from 1 to 4094").max(4094, "must be a VLAN id from 1 to 4094").optional(),
    /** DNS servers handed to guests. Defaults to the gateway. */
    dns: z.array(ipv4()).optional(),
    /** Global IPv6 on this network. */
    ipv6: z.strictObject({ cidr: cidr6(), gateway: ipv6().optional() }).optional(),
    /** Free text shown in the plan and diagram. */
    description: z.string().optional(),
});

/** A Linux bridge on a node. */
export const bridgeSchema = z.strictObject({
    name: z.string().regex(/^vmbr\d{1,4}$/, "must be a Proxmox bridge name such as vmbr0"),
    /** Physical ports (NICs or bonds) enslaved to the bridge. */
    ports: z.array(z.string()).default([]),
    /** Carry tagged VLANs to guests. Defaults to false. */
    vlanAware: z.boolean().default(false),
    /** The bridge already exists (the installer made it): reference it, do not create it. Defaults to false. */
    existing: z.boolean().default(false),
    comment: z.string().optional(),
});

/** NUT settings for a UPS on a node's USB port. */
export const upsSchema = z.strictObject({
    /** NUT name of the UPS. Defaults to `ups`. */
    name: z.string().default("ups"),
    /** NUT driver. Defaults to nutdrv_qx (Megatec/Q1 units such as PowerWalker VI STL). */
    driver: z.string().default("nutdrv_qx"),
    /** Driver port. Defaults to auto (USB). */
    port: z.string().default("auto"),
    description: z.string().optional(),
    /** Shut down when the charge falls to this percentage. Defaults to 30. */
    shutdownPercent: z.number().int().min(5, "must be from 5 to 95").max(95, "must be from 5 to 95").default(30),
    /** The upsmon password (NUT's own user, on the node only). */
    password: secret(),
});

/** A storage of a node as Proxmox has it (Datacenter > Storage, or `pvesm status`). */
export const storageSchema = z.strictObject({
    /** Storage id, e.g. local-lvm. */
    id: ruled(z.string(), storageIdProblem),
    type: z.enum(StorageType, { message: `must be one of ${storageTypes.join(", ")}` }),
    /** Content types enabled on it. */
    content: z.array(z.enum(StorageContent, { message: `must be one of ${storageContents.join(", ")}` })).min(1, "needs at least one content type"),
    /** Every node sees it (a shared LVM, a dir on a cluster file system). Defaults to true for nfs, cifs and pbs. */
    shared: z.boolean().optional(),
});

/** One Proxmox VE node (`homelab:nodes[]`). */
export const nodeSchema = z.strictObject({
    /** Node name as Proxmox knows it, e.g. proxmox1. */
    name: name(),
    /** Management address. */
    address: ipv4(),
    /** The network `address` is on. */
    network: name(),
    /** The CPU's name, shown in the plan and diagram (e.g. `Intel Celeron J5040`). */
    cpu: z.string().optional(),
    /**
     * Logical CPUs (threads) as Proxmox counts them (`nproc`, the node Summary's "CPU(s)"). A guest
     * with more cores than this is refused (Proxmox would not start it); guests with more in total
     * are a warning in the plan. Defaults to none: not checked.
     */
    cores: z.number().int().min(1, "must be the node's logical CPUs (`nproc` on the node), at least 1").max(8192, "must be the node's logical CPUs (`nproc` on the node), at most 8192").optional(),
    /**
     * Memory in GB (GiB: 16 is 16384 MB). A guest with more memory is refused; guests with more in
     * total are a warning in the plan. Defaults to none: not checked.
     */
    memoryGb: z.number().positive("must be the node's memory in GB, such as 16").max(65536, "must be the node's memory in GB, at most 65536 (64 TiB)").optional(),
    /** Datastore for guest disks. Defaults to local-lvm. */
    diskStorage: ruled(z.string(), storageIdProblem).default("local-lvm"),
    /** Datastore for templates, images and snippets (needs those content types). Defaults to local. */
    fileStorage: ruled(z.string(), storageIdProblem).default("local"),
    /**
     * The node's storages, as they are: then validation refuses what Proxmox would refuse
     * half-way through `up` (a template on thick LVM, a disk on a storage without its content
     * type, ...). Defaults to none declared: nothing is checked against storage.
     */
    storages: z.array(storageSchema).optional(),
    bridges: z.array(bridgeSchema).default([]),
    ups: upsSchema.optional(),
});

/** An LXC template or cloud image downloaded to the nodes (`homelab:images[]`). */
export const imageSchema = z.strictObject({
    name: name(),
    /** `lxc` (vztmpl) or `vm` (a cloud disk image, imported as a VM disk). */
    kind: z.enum(["lxc", "vm"]),
    url: z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }),
    /** File name on the storage. Defaults to the last part of the URL (an lxc template ends in .tar.zst, .tar.xz, .tar.gz or .tar.bz2; a vm image must be stored as .img). */
    fileName: z.string().optional(),
    /** Pinned checksum `sha256:<hex>` or `sha512:<hex>`: the download is verified and never repeated. */
    checksum: ruled(z.string(), checksumProblem),
    /** Nodes to download to. Defaults to every node. */
    nodes: z.array(name()).optional(),
    /**
     * The distribution inside, as Proxmox names it (an LXC's `ostype`). Defaults, for an lxc
     * image, to what a Proxmox template's file name says (`debian-12-standard_*`,
     * `ubuntu-24.04-standard_*`, `alpine-3.20-default_*`, ...); required for any other lxc template.
     */
    os: z.enum(lxcOsTypes, { message: `must be one of ${lxcOsTypes.join(", ")}` }).optional(),
});

/** Where and how a guest sits on the network. */
const guestFields = {
    /** Node the guest runs on. Defaults to the first node. */
    node: name().optional(),
    /** The network (by name) its one NIC joins. */
    network: name(),
    /** Static IPv4 address inside the network. */
    address: ipv4(),
    /** Static global IPv6 address inside the network's ipv6.cidr. */
    ipv6: ipv6().optional(),
    /** Virtual CPUs; at most the node's `cores` when the node gives them. */
    cores: z.number().int().min(1, "must be at least 1 core").max(guestLimits.cores, `must be at most ${guestLimits.cores} cores, the most a guest is given here`),
    /** Memory in MB; at most the node's `memoryGb` when the node gives it. */
    memoryMb: z
        .number()
        .int()
        .min(128, "must be at least 128 MB")
        .max(guestLimits.memoryMb, `must be at most ${guestLimits.memoryMb} MB (4 TiB), the most Proxmox gives a VM: check the unit, memoryMb is in MB`),
    /**
     * Give the guest a name `<hostname>.<domain>`: `true` for a record per address it has (A, and
     * AAAA with `ipv6`), `A` or `AAAA` for one family only. Defaults to false (no record).
     */
    dns: z.union([z.boolean(), z.enum(["A", "AAAA"])], { message: "must be true, false, A or AAAA" }).default(false),
};

export const shareSchema = z.strictObject({
    name: ruled(name(), shareNameProblem),
    /** Users (from `users`) allowed to read and write the share. */
    users: z.array(name()).min(1, "needs at least one user"),
    /** Free text shown to clients browsing the server, on one line. */
    comment: ruled(z.string(), shareCommentProblem).optional(),
});

/** Packages, files and commands a guest is set up with after it is made (see components/provision.ts). */
export const provisionSchema = z.strictObject({
    /** Distribution packages, installed when missing. Defaults to none. */
    packages: z.array(z.string()).default([]),
    /** Files the guest must hold exactly. Defaults to none. */
    files: z
        .array(
            z.strictObject({
                path: z.string(),
                content: z.string(),
                /** Octal, quoted: "0644". Defaults to 0644. */
                mode: z.string().optional(),
                /** user or user:group. Defaults to root:root. */
                owner: z.string().optional(),
            }),
        )
        .default([]),
    /** Shell commands, run in order, again whenever the provisioning changes. Defaults to none. */
    run: z.array(z.string()).default([]),
});

/** `homelab:nas`: the NAS VM. */
export const nasSchema = z.strictObject({
    hostname: dnsLabel(),
    vmId: guestId(),
    ...guestFields,
    /** Size of the OS disk in GB. Defaults to 16. */
    osDiskGb: diskGb(4).default(16),
    /** Cloud image (from `homelab:images`, kind vm) for the OS disk. */
    image: name(),
    /**
     * Data disks passed through whole, by `/dev/disk/by-id/...`, joined into RAID 1. Name each
     * physical disk once, by its `ata-`/`nvme-` id: the same disk under its `wwn-` id as well
     * cannot be told apart here and would make a RAID 1 of one disk.
     */
    disks: z.array(z.string().regex(/^\/dev\/disk\/by-id\/[^/\s]+$/, "must be a whole disk by id, /dev/disk/by-id/<id> (see `ls -l /dev/disk/by-id` on the node)")),
    /** Pass a whole disk controller instead: a PCI hardware mapping name (works with an API token). */
    controllerMapping: z.string().optional(),
    /** Mount point of the array. Defaults to /srv/data. */
    mount: ruled(z.string(), nasMountProblem).default("/srv/data"),
    /** Alert mails from mdadm go here. Defaults to root. */
    mailTo: z.string().default("root"),
    /** Create the array on disks whose sizes differ by more than 1% (the rest of the larger is unused). Defaults to false. */
    allowSizeMismatch: z.boolean().default(false),
    users: z.array(z.strictObject({ name: ruled(name(), linuxUserNameProblem), password: secret(sambaPasswordProblem) })).min(1, "needs at least one user"),
    shares: z.array(shareSchema).min(1, "needs at least one share"),
    /**
     * Set it up through its cloud-init user data (packages, files, commands); on a change the node
     * restarts the VM, and cloud-init applies it again. Defaults to nothing.
     */
    provision: provisionSchema.optional(),
});

/** A share mounted into a Docker host: the NAS's, or one a guest serves (`exports`). */
export const shareMountSchema = z.strictObject({
    share: name(),
    /** Hostname of the guest (Docker host or container) whose `exports` serve the share. Defaults to the NAS. */
    from: dnsLabel().optional(),
    /** Path inside the Docker host. Defaults to /mnt/<share>. */
    path: z.string().regex(/^\/[^\s]*$/, "must be an absolute path without spaces, such as /mnt/media").optional(),
});

/** A user or group id an NFS export squashes its clients to (exports.ts, `exportIdProblem`). */
const exportId = () =>
    z.number().superRefine((v, ctx) => {
        const p = exportIdProblem(v);
        if (p !== undefined) {
            ctx.addIssue({ code: "custom", message: p });
        }
    });

/**
 * `exports` of a Docker host or container: folders it serves to the lab's other hosts, each the
 * directory `<root>/<name>`. SMB shares follow the NAS's rules (users with passwords, each share
 * open to its own users); NFSv4 shares (a VM only) are open to the listed clients, every client
 * acting as the share's owner. Hosts mount them with `mounts: [{ share, from: <hostname> }]`.
 */
export const exportsSchema = z.strictObject({
    /** Directory of the shares. Defaults to /srv/shares. */
    root: ruled(z.string(), exportPathProblem).default("/srv/shares"),
    /** Samba users, as homelab:nas.users. Defaults to none. */
    users: z.array(z.strictObject({ name: ruled(name(), linuxUserNameProblem), password: secret(sambaPasswordProblem) })).default([]),
    /** SMB shares, as homelab:nas.shares. Defaults to none. */
    shares: z.array(shareSchema).default([]),
    /** NFSv4 shares (a VM only). Defaults to none. */
    nfs: z
        .array(
            z.strictObject({
                name: ruled(name(), shareNameProblem),
                /** Addresses, networks (CIDR) or host names that may mount it. An LXC Docker host mounts through its node: list the node. */
                clients: z.array(ruled(z.string(), nfsClientProblem)).min(1, "needs at least one client"),
                /** Defaults to false. */
                readOnly: z.boolean().default(false),
                /** User id every client acts as, and the directory's owner. Defaults to 1000. */
                uid: exportId().default(1000),
                /** Group id every client acts as. Defaults to uid. */
                gid: exportId().optional(),
            }),
        )
        .default([]),
});

/**
 * High availability of a guest on a cluster: Proxmox restarts it, or starts it on another node
 * when its node fails. Its disks must be on shared storage, or on local ZFS (then replicated to
 * the other nodes it may run on).
 */
export const haSchema = z.strictObject({
    /** HA group (from homelab:haGroups, Proxmox VE 8) of the nodes it may run on. Defaults to none: any node. */
    group: z.string().optional(),
    /** Node-affinity HA rule (from homelab:haRules, Proxmox VE 9) of the nodes it may run on. Defaults to none: any node. */
    rule: z.string().optional(),
    /** Defaults to started. */
    state: z.enum(haStates, { message: `must be one of ${haStates.join(", ")}` }).default("started"),
    /** Restarts on its node before it is moved. Defaults to 1. */
    maxRestart: z.number().int().min(0, "must be from 0 to 10").max(10, "must be from 0 to 10").default(1),
    /** Moves to other nodes before HA gives up. Defaults to 1. */
    maxRelocate: z.number().int().min(0, "must be from 0 to 10").max(10, "must be from 0 to 10").default(1),
});

/** `homelab:haGroups[]`: nodes a highly available guest may run on, most preferred first. */
export const haGroupSchema = z.strictObject({
    name: z.string().regex(/^[a-zA-Z][a-zA-Z0-9\-_.]*[a-zA-Z0-9]$/, "must start with a letter and hold letters, digits, '-', '_' and '.' (at least 2), such as web"),
    nodes: z.array(name()).min(1, "needs at least one node"),
    /** Its guests run on these nodes only. Defaults to false. */
    restricted: z.boolean().default(false),
    /** After a failover, stay instead of moving back to a preferred node. Defaults to false. */
    noFailback: z.boolean().default(false),
});

const haRuleName = () =>
    z.string().regex(/^[a-zA-Z][a-zA-Z0-9\-_.]*[a-zA-Z0-9]$/, "must start with a letter and hold letters, digits, '-', '_' and '.' (at least 2), such as web");

/**
 * `homelab:haRules[]`: HA rules, for Proxmox VE 9 (which replaced HA groups with them; use
 * homelab:haGroups on Proxmox VE 8, never both). `node-affinity`: the nodes its guests (those whose
 * `ha.rule` names it) prefer, most preferred first; `resource-affinity`: highly available guests
 * kept on one node (`positive`) or on different nodes (`negative`).
 */
export const haRuleSchema = z.discriminatedUnion("type", [
    z.strictObject({
        name: haRuleName(),
        type: z.literal("node-affinity"),
        nodes: z.array(name()).min(1, "needs at least one node"),
        /** Its guests run on these nodes only. Defaults to false. */
        strict: z.boolean().default(false),
    }),
    z.strictObject({
        name: haRuleName(),
        type: z.literal("resource-affinity"),
        affinity: z.enum(["positive", "negative"], { message: "must be positive (on one node) or negative (on different nodes)" }),
        /** Hostnames of highly available guests, at least two. */
        guests: z.array(dnsLabel()).min(2, "needs at least two guests"),
    }),
]);

/** `homelab:dockerHosts[]`: a Docker Engine in an LXC (default) or a VM. */
export const dockerHostSchema = z.strictObject({
    hostname: dnsLabel(),
    /** `lxc` (unprivileged container) or `vm` (for apps that need isolation). Defaults to lxc. */
    kind: z.enum(["lxc", "vm"]).default("lxc"),
    vmId: guestId(),
    ...guestFields,
    /** Template (lxc) or cloud image (vm) from `homelab:images`. */
    image: name(),
    /** Root disk in GB. Defaults to 8. */
    rootDiskGb: diskGb(2).default(8),
    /** Separate disk for /var/lib/docker in GB. Defaults to 32. */
    dataDiskGb: diskGb(1).default(32),
    /** Shares mounted for apps: the NAS's, or other guests' (`from`). */
    mounts: z.array(shareMountSchema).default([]),
    /** Folders this host serves to others (SMB; NFS from a `vm` host). Defaults to none. */
    exports: exportsSchema.optional(),
    /**
     * A docker-compose.yml (from the project directory, or absolute) whose every service becomes an
     * app of this host, as an app entry `{ compose, host }` would. Defaults to none.
     */
    compose: z.string().optional(),
    /**
     * Packages, files and commands the host is set up with once Docker is, again whenever they
     * change; the apps wait for it. Defaults to nothing.
     */
    provision: provisionSchema.optional(),
    /** The internal Docker network all apps on this host join. Defaults to 10.10.10.0/24. */
    appNetwork: ruled(cidr4(), appNetworkSizeProblem).default("10.10.10.0/24"),
    /** Keep it running on the cluster (see haSchema). Defaults to none. */
    ha: haSchema.optional(),
});

/** `homelab:containers[]`: plain LXC guests, from a template or cloned from another container. */
export const containerSchema = z.strictObject({
    hostname: dnsLabel(),
    vmId: guestId(),
    ...guestFields,
    /** Static IPv4 address inside the network. Omit it for an IPv6-only container (then `ipv6` is required). */
    address: ipv4().optional(),
    /** Template from `homelab:images` (kind lxc). Exactly one of image and cloneOf. */
    image: name().optional(),
    /** Hostname of a container with `template: true` to clone. */
    cloneOf: dnsLabel().optional(),
    /** Turn this container into a template others clone. Defaults to false. */
    template: z.boolean().default(false),
    rootDiskGb: diskGb(2).default(8),
    unprivileged: z.boolean().default(true),
    /**
     * Set it up inside once made (`pct exec` on its node), again when this changes. A template is
     * provisioned before it becomes a template, so its clones start set up. Defaults to nothing.
     */
    provision: provisionSchema.optional(),
    /** Folders this container serves to others (SMB only: NFS needs a VM). Defaults to none. */
    exports: exportsSchema.optional(),
    /** Keep it running on the cluster (see haSchema). Defaults to none. */
    ha: haSchema.optional(),
});

const containerPath = () => z.string().regex(/^\//, "must be an absolute path in the container, such as /data");
const volumeSchema = z.union([
    z.strictObject({ name: name(), path: containerPath() }),
    z.strictObject({ share: name(), subPath: z.string().optional(), path: containerPath() }),
    /** A folder or file of the Docker host, read-only unless `readOnly: false`. */
    z.strictObject({ hostPath: z.string(), path: containerPath(), readOnly: z.boolean().optional() }),
]);

/**
 * The container fields of an app or a sidecar (components/app/containerFields.ts documents each
 * and holds the rule that checks them).
 */
const containerFields = {
    command: z.array(z.string()).optional(),
    entrypoint: z.array(z.string()).optional(),
    user: z.string().optional(),
    capabilities: z.strictObject({ add: z.array(z.string()).optional(), drop: z.array(z.string()).optional() }).optional(),
    devices: z.array(z.string()).optional(),
    networkMode: z.literal("host").optional(),
    privileged: z.union([z.boolean(), z.strictObject({ reason: z.string() })]).optional(),
    memory: z.string().optional(),
    cpus: z.number().optional(),
    sysctls: z.record(z.string(), z.string()).optional(),
    shmSize: z.string().optional(),
    extraHosts: z.array(z.string()).optional(),
    labels: z.record(z.string(), z.string()).optional(),
    init: z.boolean().optional(),
};

/** A container that runs beside its app (same networks), named `<app>-<name>`. */
const sidecarSchema = z.strictObject({
    name: name(),
    /** Pinned image. */
    image: z.string(),
    env: z.record(z.string(), z.union([z.string(), secret()])).default({}),
    volumes: z.array(volumeSchema).default([]),
    ...containerFields,
});

/** `homelab:apps[]`: an app from the catalog (or any image) on a Docker host. */
export const appSchema = z.strictObject({
    name: name(),
    /** Catalog entry. Defaults to `name`; `generic` runs `image` as given. */
    catalog: z.string().optional(),
    /** Docker host (hostname). Defaults to the proxy's `host`, or the only Docker host; with several and no proxy host, required. */
    host: dnsLabel().optional(),
    /** Override the catalog's pinned image. */
    image: z.string().optional(),
    /** Subdomain of the app's route. Defaults to `name`. */
    subdomain: dnsLabel().optional(),
    /** Route it through the proxy and give it a DNS name. Defaults to true for apps with a web port. */
    expose: z.boolean().optional(),
    /**
     * Reachable from the internet. Defaults to false: private, answered only from the lab's own
     * networks (homelab:proxy.allowFrom), with no public DNS record naming it.
     */
    public: z.boolean().default(false),
    /**
     * How a public app is reached: `tunnel` (a Cloudflare Tunnel from the proxy's Docker host: no
     * port forward, no public address needed) or `port-forward` (the router forwards 443 to the
     * proxy; needs homelab:proxy.publicAddress). Only with public: true. Defaults to tunnel.
     */
    publicVia: z.enum(["tunnel", "port-forward"]).optional(),
    /**
     * The app's own DNS records: `true` (A and AAAA), `A` or `AAAA`, pointing at the proxy. A private
     * app is then named in the zone instead of covered by the wildcard. Not for a tunnelled app.
     * Defaults to the wildcard (private) or A (port-forward).
     */
    dns: z.union([z.literal(true), z.enum(["A", "AAAA"])], { message: "must be true, A or AAAA" }).optional(),
    /** Cloudflare Access in front of a public app: only these people get through, after a login by e-mail code. Only with public: true. */
    access: z
        .strictObject({
            /** E-mail addresses let in. */
            emails: z.array(z.email({ message: "must be an e-mail address" })).default([]),
            /** E-mail domains whose every address is let in, e.g. example.com. */
            emailDomains: z.array(z.string().regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "must be a lower-case domain such as example.com")).default([]),
        })
        .optional(),
    /** The container port the proxy forwards to (overrides the catalog). */
    port: z.number().int().min(1).max(65535).optional(),
    /**
     * Host port for the proxy's route when the app runs on another Docker host than the proxy
     * (its web port is then published on its host's LAN address). Defaults to a port in
     * 20000-29999 derived from the app's name alone (validation refuses two apps on one port).
     */
    routePort: z.number().int().min(1024).max(65535).optional(),
    /** Extra environment; secrets must be `secure:`. */
    env: z.record(z.string(), z.union([z.string(), secret((v) => secretValueProblem(v, true))])).default({}),
    /** Override or add volumes: a named volume or a NAS share path. */
    volumes: z.array(volumeSchema).optional(),
    /** Give the app its own database (overrides the catalog), e.g. for a generic image. */
    database: z
        .strictObject({
            engine: z.enum(["mariadb", "postgres"]),
            /** Variable names through which the app learns host, database name, user and password. */
            env: z.strictObject({ host: z.string(), name: z.string(), user: z.string(), password: z.string() }),
        })
        .optional(),
    /** Credentials for a private registry. */
    registry: z.strictObject({ server: z.string(), username: z.string(), password: secret() }).optional(),
    /** Ports published on the host's LAN address (only where the app must: DNS, for example). */
    ports: z
        .array(
            z.strictObject({
                host: z.number().int().min(1).max(65535),
                container: z.number().int().min(1).max(65535),
                protocol: z.enum(["tcp", "udp"]).default("tcp"),
            }),
        )
        .optional(),
    ...containerFields,
    /** Healthcheck shell command (CMD-SHELL), e.g. `curl -fsS http://127.0.0.1:8080/health || exit 1`. Defaults to the catalog's. */
    healthcheck: z.string().optional(),
    /**
     * Import a docker-compose.yml (a path from the project directory, beside Pulumi.yaml, or
     * absolute): each of its services becomes an app of this entry's `host`. Such an entry holds
     * only `compose` and `host`.
     */
    compose: z.string().optional(),
    /** Apps of the same Docker host that must be created first. */
    dependsOn: z.array(name()).optional(),
    /** Containers that run beside the app, on its networks. */
    sidecars: z.array(sidecarSchema).optional(),
});

/** `homelab:proxy`: the one reverse proxy. */
export const proxySchema = z.strictObject({
    /** Docker host (hostname) that runs it. Defaults to the only Docker host; with several, required. */
    host: dnsLabel().optional(),
    /** ACME account e-mail for Let's Encrypt. */
    email: ruled(z.string(), emailProblem),
    /**
     * Public IPv4 address that reaches the proxy (the router's WAN address with 443 forwarded to
     * it). Needed for apps with `public: true`, whose names Cloudflare proxies there.
     */
    publicAddress: ipv4().optional(),
    /** Use Let's Encrypt's staging CA (for trying things out). Defaults to false. */
    staging: z.boolean().default(false),
    /**
     * The lab's own networks (names from homelab:networks: LAN, VPN, VLANs): the only sources a
     * private app answers; any other address gets 403 from the proxy. Defaults to every network.
     */
    allowFrom: z.array(name()).min(1, "needs at least one network").optional(),
});

/** `homelab:cloudflare`: the zone and the token Pulumi uses. */
export const cloudflareSchema = z.strictObject({
    accountId: z.string().regex(/^[0-9a-f]{32}$/, "must be the 32-hex-digit Cloudflare account id"),
    zoneId: z.string().regex(/^[0-9a-f]{32}$/, "must be the 32-hex-digit Cloudflare zone id"),
    /** Token with Zone:DNS:Edit on the zone and User:API Tokens:Edit (to mint the proxy's DNS-01 token). */
    apiToken: secret(),
    /** TTL of the records in seconds (1 = automatic). Defaults to 300. */
    ttl: z.number().int().min(1).default(300),
});

/** `homelab:backup`: the nightly vzdump job. */
export const backupSchema = z.strictObject({
    /** systemd calendar event. Defaults to 02:00. */
    schedule: ruled(z.string(), calendarEventProblem).default("02:00"),
    /** Target: a NAS share (added as CIFS storage `nas-<share>`) or an existing storage id. */
    target: z.union([z.strictObject({ share: name(), user: name() }), z.strictObject({ storage: ruled(z.string(), storageIdProblem) })]),
    /** vzdump mode. Defaults to snapshot. */
    mode: z.enum(["snapshot", "suspend", "stop"]).default("snapshot"),
    keepDaily: z.number().int().min(0).default(7),
    keepWeekly: z.number().int().min(0).default(4),
    keepMonthly: z.number().int().min(0).default(3),
    /** Hostnames never backed up by this job. The NAS never is, listed or not: it gets a job of its own. Defaults to none. */
    exclude: z.array(dnsLabel()).optional(),
    /** Storage for the NAS VM's own (OS disk) backup, which cannot go to the NAS. Defaults to local. */
    nasStorage: ruled(z.string(), storageIdProblem).default("local"),
    /** Schedule of the NAS VM's own backup. Defaults to weekly, Sunday 03:00. */
    nasSchedule: ruled(z.string(), calendarEventProblem).default("sun 03:00"),
});

/** `homelab:firewall`: who may talk to whom, as Proxmox cluster firewall rules. */
export const firewallSchema = z.strictObject({
    enabled: z.boolean().default(true),
    /**
     * What reaches a protected guest (one that a rule covers) when no rule matches: `DROP` (only
     * what rules accept gets in) or `ACCEPT` (only what DROP/REJECT rules name is stopped).
     * Required when there are rules: turning a guest's firewall on must never decide it silently.
     */
    inputPolicy: z.enum(["DROP", "ACCEPT"]).optional(),
    /** The input policy of single guests, by hostname, where it differs from `inputPolicy`. */
    policies: z.record(z.string(), z.enum(["DROP", "ACCEPT"])).default({}),
    rules: z
        .array(
            z.strictObject({
                /** A network, a node or a guest (by name), or a CIDR such as 192.168.50.0/24. */
                from: z.string(),
                /**
                 * A guest (by hostname), a network (every guest on it) or a CIDR (every guest with an
                 * address inside): the rule is set on each such guest's firewall (a node keeps its own).
                 */
                to: z.string(),
                action: z.enum(["ACCEPT", "DROP", "REJECT"]).default("ACCEPT"),
                proto: z.enum(["tcp", "udp", "icmp"]).optional(),
                port: z
                    .union([z.number(), z.string()])
                    .superRefine((v, ctx) => {
                        const p = firewallPortProblem(v);
                        if (p !== undefined) {
                            ctx.addIssue({ code: "custom", message: p });
                        }
                    })
                    .optional(),
                comment: z.string().optional(),
            }),
        )
        .default([]),
});

/** Every `homelab:<key>` the program reads, with its schema. Keys not listed here are an error. */
export const labSchema = z.strictObject({
    domain: domainSchema,
    proxmox: proxmoxSchema,
    ssh: sshSchema,
    networks: z.array(networkSchema).min(1, "needs at least one network"),
    nodes: z.array(nodeSchema).min(1, "needs at least one Proxmox node"),
    images: z.array(imageSchema).default([]),
    nas: nasSchema.optional(),
    dockerHosts: z.array(dockerHostSchema).default([]),
    containers: z.array(containerSchema).default([]),
    apps: z.array(appSchema).default([]),
    proxy: proxySchema.optional(),
    cloudflare: cloudflareSchema.optional(),
    backup: backupSchema.optional(),
    firewall: firewallSchema.optional(),
    haGroups: z.array(haGroupSchema).default([]),
    haRules: z.array(haRuleSchema).default([]),
});

/** What the schema parses a stack's config into; scripts/publicTypes.ts writes it out as plain interfaces (labConfig.ts). */
type ParsedLabConfig = z.output<typeof labSchema>;
/** True when A and B are the same type (not only assignable both ways: an extra optional field differs). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** labConfig.ts is the schema's output: when this fails to compile, run `npm run schema`. */
export const labConfigInStep: Same<ParsedLabConfig, LabConfig> = true;
export type NetworkConfig = LabConfig["networks"][number];
export type NodeConfig = LabConfig["nodes"][number];
export type ImageConfig = LabConfig["images"][number];

/**
 * Where an HA guest may run: its node, that node's disk storage (when declared), the nodes its
 * restricted group or strict node-affinity rule allows (with their storages; else every node), and
 * whether its own node is outside them.
 */
export function haPlacement(cfg: Pick<LabConfig, "nodes" | "haGroups" | "haRules">, nodeName: string | undefined, ha: { group?: string; rule?: string }) {
    const node = cfg.nodes.find((n) => n.name === (nodeName ?? cfg.nodes[0]?.name)) ?? cfg.nodes[0];
    const g = cfg.haGroups.find((x) => x.name === ha.group);
    const r = cfg.haRules.find((x) => x.name === ha.rule);
    const only = g?.restricted ? g.nodes : r?.type === "node-affinity" && r.strict ? r.nodes : undefined;
    const allowed = only ? cfg.nodes.filter((n) => only.includes(n.name)) : cfg.nodes;
    return {
        node: node.name,
        diskStorage: node.diskStorage,
        storage: node.storages?.find((s) => s.id === node.diskStorage),
        runsOn: allowed.map((n) => ({ node: n.name, storages: n.storages })),
        outsideGroup: only !== undefined && !only.includes(node.name),
    };
}

/** The file name an image is stored under: `fileName`, or the last part of its URL. */
export function imageFileName(m: Pick<ImageConfig, "fileName" | "url">): string {
    return m.fileName ?? m.url.split("/").pop() ?? "";
}

/** The image's distribution: its `os`, or what its file name says (validate.ts requires one of them for lxc images). */
export function imageOs(m: Pick<ImageConfig, "fileName" | "url" | "os">): LxcOsType | undefined {
    return m.os ?? lxcOsTypeOfFile(imageFileName(m));
}
export type NasConfig = NonNullable<LabConfig["nas"]>;
export type DockerHostConfig = LabConfig["dockerHosts"][number];
export type ContainerConfig = LabConfig["containers"][number];
export type AppConfig = LabConfig["apps"][number];
export type UpsConfig = NonNullable<NodeConfig["ups"]>;
export type BackupConfig = NonNullable<LabConfig["backup"]>;

/** The config keys, in the order the plan and errors list them. */
export const configKeys = Object.keys(labSchema.shape) as (keyof LabConfig)[];

/** JSON Schema of one `Pulumi.<stack>.yaml` file, for editor completion. */
export function stackFileJsonSchema(): object {
    const properties: Record<string, unknown> = {};
    for (const key of configKeys) {
        properties[`homelab:${key}`] = z.toJSONSchema(labSchema.shape[key], {
            io: "input",
            unrepresentable: "any",
            override: (ctx) => {
                const params = (ctx.zodSchema as { _zod?: { def?: { params?: { homelab?: string } } } })._zod?.def?.params;
                if (params?.homelab === "secret") {
                    Object.assign(ctx.jsonSchema, {
                        type: "object",
                        description: "A secret: set it with `pulumi config set --secret --path ...`.",
                        properties: { secure: { type: "string" } },
                        required: ["secure"],
                    });
                }
            },
        });
    }
    return {
        $schema: "https://json-schema.org/draft/2020-12/schema",
        title: "homelab stack config (Pulumi.<stack>.yaml)",
        type: "object",
        properties: {
            secretsprovider: { type: "string" },
            encryptedkey: { type: "string" },
            config: { type: "object", properties, additionalProperties: true },
        },
    };
}
