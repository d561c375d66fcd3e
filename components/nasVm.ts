import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import { isKnown, whenKnown } from "./inputs";
import { commandConnection, remoteScript, shellQuote, SshConnection } from "./remoteScript";
import { hasProvisioning, ProvisionArgs, provisionProblems } from "./provision";
import { guestIpConfig } from "./lxcContainer";
import { imageSeedsOnly } from "./proxmoxHost";
import { renderSmbConf } from "./nasVm/smbConf";
import { renderUserData } from "./nasVm/userData";

/** The NAS VM's one network interface. */
export interface NasNetworkArgs {
    /** Proxmox bridge the NIC joins, e.g. vmbr0. */
    bridge: pulumi.Input<string>;
    /** 802.1Q tag on a VLAN-aware bridge. Defaults to untagged. */
    vlan?: pulumi.Input<number>;
    /** Static IPv4 address, e.g. 192.168.1.5: SSH set-up and every share use it. */
    address: pulumi.Input<string>;
    /** Prefix length of the network, e.g. 24. */
    prefixLength: pulumi.Input<number>;
    /** Default gateway. Defaults to none (an isolated network). */
    gateway?: pulumi.Input<string>;
    /** DNS servers. Defaults to the gateway, or none without one. */
    dns?: pulumi.Input<pulumi.Input<string>[]>;
    /** DNS search domain, e.g. thehomelab.site. Defaults to none. */
    domain?: pulumi.Input<string>;
    /** Static global IPv6 address. Defaults to none (no IPv6 configured). */
    ipv6?: NasIpv6Args;
}

/** The NAS's static global IPv6 address. */
export interface NasIpv6Args {
    /** The address, e.g. 2001:db8::5. */
    address: pulumi.Input<string>;
    /** Prefix length of the network, e.g. 64. */
    prefixLength: pulumi.Input<number>;
    /** IPv6 default gateway. Defaults to none. */
    gateway?: pulumi.Input<string>;
}

/** The RAID 1 array on the data disks. */
export interface NasRaidArgs {
    /** md array name (`/dev/md/<name>`) and ext4 label. Defaults to `data`. */
    name?: pulumi.Input<string>;
    /** Mount point; each share is a directory below it. Defaults to /srv/data. */
    mount?: pulumi.Input<string>;
    /** Where mdadm mails alerts (a degraded array). Defaults to root. */
    mailTo?: pulumi.Input<string>;
    /**
     * Create the array even when the disks' sizes differ by more than 1%. A RAID 1 is as large as
     * its smallest disk; the rest of the larger ones is unused. Only read when the array is
     * created. Defaults to false: storage.sh refuses such disks and says what would be lost.
     */
    allowSizeMismatch?: pulumi.Input<boolean>;
}

/** A Samba user. */
export interface NasUserArgs {
    /** Linux and Samba user name. Plain: shares name their users. */
    name: string;
    /** Samba password; sent to the VM on stdin only, never in a command line; made a secret here. */
    password: pulumi.Input<string>;
}

/** An SMB share: a directory `<mount>/<name>` on the array. */
export interface NasShareArgs {
    /** Share name (`//<address>/<name>`). Plain: it keys the `shares` output. */
    name: string;
    /** Users (from `users`) who may read and write it; nobody else may connect. Checked against `users` (when known). */
    users: pulumi.Input<pulumi.Input<string>[]>;
    /** Shown to clients that browse the server. Defaults to none. */
    comment?: pulumi.Input<string>;
}

/** How Pulumi logs in to the VM to set it up. */
export interface NasSshArgs {
    /** Admin user that cloud-init creates (key-only, passwordless sudo). Defaults to `homelab`. */
    user?: pulumi.Input<string>;
    /** OpenSSH public keys allowed to log in as `user`. */
    publicKeys: pulumi.Input<pulumi.Input<string>[]>;
    /** The private key Pulumi logs in with; made a secret here. */
    privateKey: pulumi.Input<string>;
}

/**
 * Args of a NasVm. The proxmoxve provider comes through `opts.provider`/`opts.providers` (or the
 * parent) and must carry root@pam's token (`ProxmoxHost.provider`): passthrough disks and snippet
 * uploads need root.
 */
export interface NasVmArgs {
    /** Proxmox node the VM runs on (where its data disks or controller are). */
    node: pulumi.Input<string>;
    /** Proxmox VM id. */
    vmId: pulumi.Input<number>;
    /** VM name and guest hostname (one DNS label). */
    hostname: pulumi.Input<string>;
    /** vCPUs. Defaults to 2. */
    cores?: pulumi.Input<number>;
    /** Memory in MB. Defaults to 2048. */
    memoryMb?: pulumi.Input<number>;
    /** Size of the OS disk in GB (grown from the cloud image). Defaults to 16. */
    osDiskGb?: pulumi.Input<number>;
    /** Datastore for the OS disk and the cloud-init drive. Defaults to local-lvm. */
    diskStorage?: pulumi.Input<string>;
    /** Datastore for the cloud-init user-data snippet; it needs the `snippets` content type. Defaults to local. */
    fileStorage?: pulumi.Input<string>;
    /**
     * Volume id of the cloud image that seeds the OS disk, as `ProxmoxHost.imageId(image, node)`
     * gives it (e.g. `local:iso/debian-12-genericcloud-amd64.img`). Only read when the VM is created.
     */
    imageId: pulumi.Input<string>;
    /** The VM's one network interface. */
    network: NasNetworkArgs;
    /**
     * The RAID 1 member disks, as `/dev/disk/by-id/<id>` whole-disk paths (at least two).
     *
     * Without `controllerMapping` each disk is passed through whole as a virtio disk with a serial
     * derived from its id ({@link diskSerial}), so the guest sees it as
     * `/dev/disk/by-id/virtio-<serial>`. Passing a host block device needs the provider to use
     * root@pam's API token (Proxmox allows arbitrary host paths to root@pam only).
     *
     * With `controllerMapping` nothing is passed per disk: these are the disks behind that
     * controller, which the guest drives itself and sees under the same by-id names (an ata- or
     * nvme- id is made from the disk's own model and serial number).
     *
     * Plain: they shape the VM's disk list, and are checked before anything is created.
     */
    disks: string[];
    /**
     * Pass a whole storage controller (SATA/HBA) through instead of single disks: the name of a PCI
     * hardware mapping (Datacenter > Resource Mappings) that points at it. Mapped devices work with
     * a non-root API token that has the Mapping.Use privilege; the VM then uses the q35 machine
     * type and a PCIe port. Defaults to none (per-disk passthrough).
     */
    controllerMapping?: pulumi.Input<string>;
    /** The array. Defaults: name `data`, mounted on /srv/data, alerts to root. */
    raid?: NasRaidArgs;
    /** Samba users (each must be in at least one share). */
    users: NasUserArgs[];
    /** SMB shares (at least one). */
    shares: NasShareArgs[];
    /** How Pulumi logs in to the VM to set it up. */
    ssh: NasSshArgs;
    /**
     * Packages, files and commands the VM is set up with, through its cloud-init user data
     * (renderUserData: `packages`, `write_files`, `runcmd`). cloud-init applies them once per
     * instance, and Proxmox makes a changed user data a new instance at the VM's next start: on a
     * change the node restarts the VM (nasVm/apply-user-data.sh), and cloud-init installs, writes
     * and runs them again. Defaults to none.
     */
    provision?: ProvisionArgs;
    /** SSH login on the node (root: `qm`), which restarts the VM when `provision` changes. Required with `provision`. */
    nodeConnection?: SshConnection;
}

/** Paths of the scripts shipped beside this component. */
export const nasScriptPaths = {
    storage: path.join(__dirname, "nasVm", "storage.sh"),
    samba: path.join(__dirname, "nasVm", "samba.sh"),
    applyUserData: path.join(__dirname, "nasVm", "apply-user-data.sh"),
};

const byIdPrefix = "/dev/disk/by-id/";

/**
 * The NAS: a VM from a cloud image with whole disks (or a whole controller) passed through,
 * an mdadm RAID 1 with ext4 on them, and Samba sharing one directory per share.
 *
 * The data disks hold the family's only copy of its photos and documents, so:
 * - the VM is `protect`ed: Pulumi refuses to delete or replace it;
 * - it is `retainOnDelete` (and so is its user-data snippet, which it needs to boot): when it is
 *   finally removed from the program (after `pulumi state unprotect`), `pulumi destroy` forgets
 *   it and calls no delete. The VM, its disks and the data on them stay exactly as they are:
 *   destroy does nothing to the data. (Proxmox never deletes a passed-through host disk anyway.)
 * - `deleteBeforeReplace`: the same disks cannot be attached to two running VMs, so a deliberate
 *   replacement must remove the old VM first. Because of `retainOnDelete` Pulumi does not do that
 *   itself: shut down and remove the old VM by hand (`qm destroy <id>`) before replacing.
 * - storage.sh only ever assembles the array already on the disks or creates one on provably
 *   blank disks; it refuses anything else.
 */
export class NasVm extends pulumi.ComponentResource {
    /** Assembles (or, on blank disks, creates) the array and mounts it. */
    readonly storage: command.remote.Command;
    /** Installs smb.conf, users, passwords and share directories. Depend on it before mounting a share. */
    readonly samba: command.remote.Command;
    /** The VM's IPv4 address. */
    readonly address: pulumi.Output<string>;
    /** Every share by name, as `//<address>/<share>`. */
    readonly shares: Record<string, pulumi.Output<string>>;
    /** Where the array is mounted in the VM. */
    readonly mount: pulumi.Output<string>;
    /** The array members as the VM sees them (`/dev/disk/by-id/...`). */
    readonly members: string[];

    /** The VM. A getter: proxmoxve resources are not in the multi-language schema. */
    get vm(): proxmoxve.VmLegacy {
        return handles.get(this)!.vm;
    }
    /** The cloud-init user-data snippet the VM boots with. */
    get userData(): proxmoxve.FileLegacy {
        return handles.get(this)!.userData;
    }

    constructor(name: string, args: NasVmArgs, opts?: pulumi.ComponentResourceOptions) {
        validateNasArgs(args);
        // Registered only now: bad args above leave nothing in the stack.
        super("homelab:index:NasVm", name, {}, opts);

        const raidName = args.raid?.name ?? "data";
        const mount = args.raid?.mount ?? "/srv/data";
        const mailTo = args.raid?.mailTo ?? "root";
        const allowSizeMismatch = args.raid?.allowSizeMismatch ?? false;
        const sshUser = args.ssh.user ?? "homelab";
        const diskStorage = args.diskStorage ?? "local-lvm";
        const net = args.network;
        const passthrough = args.controllerMapping === undefined;
        const own = { parent: this };

        const provision = hasProvisioning(args.provision) ? args.provision : undefined;
        // Rendered (and the provisioning checked) once every value is known; a secret file content keeps the user data secret.
        const userDataText = whenKnown({ hostname: args.hostname, username: sshUser, sshPublicKeys: args.ssh.publicKeys, provision }, (v) => {
            const problem = v.provision && provisionProblems(v.provision, "debian")[0];
            if (problem) {
                throw new Error(`NasVm: provision.${problem.field}: ${problem.message}`);
            }
            return renderUserData(v);
        });
        const userData = new proxmoxve.FileLegacy(
            `${name}-user-data`,
            {
                nodeName: args.node,
                datastoreId: args.fileStorage ?? "local",
                contentType: "snippets",
                sourceRaw: {
                    fileName: pulumi.interpolate`${args.hostname}-user-data.yaml`,
                    data: userDataText,
                },
            },
            // Proxmox reads the snippet at every VM start to build the cloud-init drive: deleting it
            // would leave a retained NAS that no longer boots.
            { ...own, retainOnDelete: true },
        );

        const osDisk: proxmoxve.types.input.VmLegacyDisk = {
            interface: "virtio0",
            datastoreId: diskStorage,
            // The downloads are `iso` content (ProxmoxHost); `importFrom` needs `import` content.
            fileId: args.imageId,
            size: args.osDiskGb ?? 16,
            discard: "on",
            iothread: true,
        };
        const dataDisks: proxmoxve.types.input.VmLegacyDisk[] = passthrough
            ? args.disks.map((disk, i) => ({
                  interface: `virtio${i + 1}`,
                  // An empty datastore and a host path: the whole block device, not a volume.
                  datastoreId: "",
                  pathInDatastore: disk,
                  serial: diskSerial(disk),
                  // vzdump would read the whole array into a backup stored on that same array.
                  backup: false,
                  replicate: false,
                  discard: "on",
                  iothread: true,
              }))
            : [];

        const vm = new proxmoxve.VmLegacy(
            name,
            {
                nodeName: args.node,
                vmId: args.vmId,
                name: args.hostname,
                description: "NAS (managed by Pulumi, homelab). Its data disks hold the only copy of the family's files.",
                tags: ["homelab", "nas"],
                // Before the Docker hosts (which mount its shares) at boot, and after them at shutdown.
                onBoot: true,
                startup: { order: 1 },
                // Shut down, never pull the plug: the guest must unmount the array cleanly.
                stopOnDestroy: false,
                agent: { enabled: true },
                cpu: { cores: args.cores ?? 2, type: "x86-64-v2-AES" },
                memory: { dedicated: args.memoryMb ?? 2048 },
                operatingSystem: { type: "l26" },
                // A controller passes through as a PCIe device, which needs the q35 machine type.
                machine: passthrough ? undefined : "q35",
                // Debian cloud images write their console to the first serial port.
                serialDevices: [{ device: "socket" }],
                disks: [osDisk, ...dataDisks],
                hostpcis: passthrough ? undefined : [{ device: "hostpci0", mapping: args.controllerMapping, pcie: true }],
                // firewall: the guest's Proxmox firewall (homelab:firewall) filters only marked NICs;
                // with no rules for this guest it stays off and the mark changes nothing.
                networkDevices: [{ bridge: net.bridge, vlanId: net.vlan, model: "virtio", firewall: true }],
                initialization: {
                    datastoreId: diskStorage,
                    ipConfigs: [
                        guestIpConfig({
                            address: pulumi.interpolate`${net.address}/${net.prefixLength}`,
                            gateway: net.gateway,
                            ipv6: net.ipv6 && pulumi.interpolate`${net.ipv6.address}/${net.ipv6.prefixLength}`,
                            ipv6Gateway: net.ipv6?.gateway,
                        }),
                    ],
                    dns: { servers: net.dns ?? (net.gateway !== undefined ? [net.gateway] : []), domain: net.domain },
                    userDataFileId: userData.id,
                },
            },
            {
                ...own,
                protect: true,
                deleteBeforeReplace: true,
                retainOnDelete: true,
                ignoreChanges: nasVmIgnoreChanges(passthrough ? args.disks.length : 0),
            },
        );

        this.members = passthrough ? args.disks.map((d) => guestDiskPath(d)) : [...args.disks];
        const connection: SshConnection = { host: net.address, user: sshUser, privateKey: args.ssh.privateKey };
        // A replaced VM (same id, same address) must get its array assembled and its shares set
        // up again, but no input of these commands would change. Proxmox gives a new VM a new MAC
        // address: naming it in the command makes a new VM re-run both (each script is idempotent).
        const instance = vm.networkDevices.apply((d) => d?.[0]?.macAddress ?? "");

        // A changed provisioning reaches the running VM at its next start (see `provision`).
        const applied = provision
            ? remoteScript(
                  `${name}-user-data`,
                  {
                      connection: args.nodeConnection!,
                      scriptPath: nasScriptPaths.applyUserData,
                      args: whenKnown({ vmId: args.vmId, snippet: userData.id, text: userDataText }, (v) => ["--vmid", String(v.vmId), "--snippet", v.snippet, "--digest", digest(v.text)]),
                  },
                  { parent: this, dependsOn: [vm, userData] },
              )
            : undefined;

        this.storage = sudoScript(
            `${name}-storage`,
            {
                connection,
                instance,
                script: fs.readFileSync(nasScriptPaths.storage, "utf8"),
                args: whenKnown({ name: raidName, mount, mailTo, allowSizeMismatch }, (v) => storageScriptArgs({ ...v, members: this.members })),
            },
            { parent: this, dependsOn: [vm, ...(applied ? [applied] : [])], protect: true },
        );

        const shares = sambaShares(args.users, args.shares, (problem) => new Error(`NasVm: ${problem}`));
        const smbConf = whenKnown({ mount, comments: args.shares.map((s) => s.comment), shares }, (v) =>
            renderSmbConf({ shares: v.shares.map((s, i) => ({ name: s.name, path: `${v.mount}/${s.name}`, users: s.users, comment: v.comments[i] })) }),
        );
        const passwords = pulumi.all([pulumi.all(args.users.map((u) => pulumi.output(u.password))), shares]);
        this.samba = sudoScript(
            `${name}-samba`,
            {
                connection,
                instance,
                script: fs.readFileSync(nasScriptPaths.samba, "utf8"),
                args: ["--mount", mount],
                config: smbConf,
                // Passwords only on stdin, and as a secret in state.
                stdin: pulumi.secret(passwords.apply(([pw, known]) => sambaUsersStdin(args.users.map((u, i) => ({ name: u.name, password: pw[i] })), known))),
            },
            { parent: this, dependsOn: [this.storage] },
        );

        handles.set(this, { vm, userData });
        this.address = pulumi.output(net.address);
        this.mount = pulumi.output(mount);
        this.shares = Object.fromEntries(args.shares.map((s) => [s.name, pulumi.interpolate`//${net.address}/${s.name}`]));
        this.registerOutputs({ address: this.address, shares: this.shares, mount: this.mount, members: this.members });
    }
}

// proxmoxve is not a @pulumi package, so the multi-language schema cannot carry its resources:
// TypeScript reaches them through getters, kept here rather than in fields.
const handles = new WeakMap<NasVm, { vm: proxmoxve.VmLegacy; userData: proxmoxve.FileLegacy }>();

/** Throws the first problem with `args`, naming the field. */
function validateNasArgs(args: NasVmArgs): void {
    args.disks.forEach((d, i) => {
        if (!d.startsWith(byIdPrefix) || !/^[^/\s]+$/.test(d.slice(byIdPrefix.length)) || /-part\d+$/.test(d)) {
            throw new Error(`NasVm: disks[${i}] must be a whole disk by id, /dev/disk/by-id/<id> (not a partition), got "${d}"`);
        }
    });
    if (args.disks.length < 2) {
        throw new Error(
            args.controllerMapping === undefined
                ? `NasVm: disks must list at least two whole disks for RAID 1, got ${args.disks.length}`
                : `NasVm: disks must list the at least two disks behind controllerMapping${typeof args.controllerMapping === "string" ? ` '${args.controllerMapping}'` : ""} (as /dev/disk/by-id/ paths) for RAID 1, got ${args.disks.length}`,
        );
    }
    const seen = new Set<string>();
    for (const d of args.disks) {
        if (seen.has(d)) {
            throw new Error(`NasVm: disks lists ${d} twice`);
        }
        seen.add(d);
    }
    if (args.controllerMapping === undefined) {
        const serials = new Map<string, string>();
        for (const d of args.disks) {
            const s = diskSerial(d);
            if (s === "") {
                throw new Error(`NasVm: disk ${d} gives no usable serial: its id needs letters or digits after the bus prefix`);
            }
            if (serials.has(s)) {
                throw new Error(`NasVm: disks ${serials.get(s)} and ${d} both end in serial "${s}": the guest could not tell them apart`);
            }
            serials.set(s, d);
        }
    }
    if (hasProvisioning(args.provision)) {
        if (args.nodeConnection === undefined) {
            throw new Error("NasVm: provision restarts the VM from its node when it changes (`qm reboot`): set nodeConnection");
        }
        const problem = provisionProblems(args.provision, "debian")[0];
        if (problem !== undefined) {
            throw new Error(`NasVm: provision.${problem.field}: ${problem.message}`);
        }
    }
    const accounts = sambaAccountsProblem(args.users, args.shares);
    if (accounts !== undefined) {
        throw new Error(`NasVm: ${accounts}`);
    }
}

/**
 * The first problem with a Samba server's users and shares (undefined when there is none): at
 * least one of each, no name twice, every share with users from `users`, every user in a share
 * (samba.sh takes each user with its shares; a user in no share could never log in). The one rule
 * of every Samba server here: NasVm and ShareServer both call it.
 */
export function sambaAccountsProblem(users: { name: string }[], shares: { name: string; users: pulumi.Input<pulumi.Input<string>[]> }[]): string | undefined {
    if (users.length === 0) {
        return "users must list at least one user";
    }
    if (shares.length === 0) {
        return "shares must list at least one share";
    }
    const names = new Set<string>();
    for (const u of users) {
        if (names.has(u.name)) {
            return `users lists '${u.name}' twice`;
        }
        names.add(u.name);
    }
    const shareNames = new Set<string>();
    for (const [i, s] of shares.entries()) {
        if (shareNames.has(s.name)) {
            return `shares lists '${s.name}' twice`;
        }
        shareNames.add(s.name);
        // A list still to come (an Output) is checked once known.
        if (!Array.isArray(s.users)) {
            continue;
        }
        if (s.users.length === 0) {
            return `shares[${i}] ('${s.name}') must list at least one user`;
        }
        for (const [j, u] of s.users.entries()) {
            if (typeof u === "string" && !names.has(u)) {
                return `shares[${i}].users[${j}] ('${u}' of share '${s.name}') is not in users: add it there or use one of ${[...names].join(", ")}`;
            }
        }
    }
    for (const u of names) {
        if (shares.every((s) => isKnown(s.users)) && !shares.some((s) => (s.users as string[]).includes(u))) {
            return `user '${u}' is in no share's users: add it to a share or remove it`;
        }
    }
    return undefined;
}

/**
 * ignoreChanges of the VM, with `passthroughDisks` host disks at `disks[1..]` (after the OS disk).
 * Exported so that the test asserts the exact list.
 */
export function nasVmIgnoreChanges(passthroughDisks: number): string[] {
    const paths = [
        // The image only seeds the OS disk when the VM is created (imageSeedsOnly).
        imageSeedsOnly.vm,
        // Provider-truth row "VmLegacy initialization.userDataFileId" (force-new). A rotated SSH key
        // or a changed provisioning replaces the snippet; its id (the same file name) is unknown
        // during a preview, and an unknown force-new field plans a replacement of this protected
        // VM, so `pulumi preview` would fail. Replacing the NAS over its user data is never wanted:
        // with `provision`, a changed snippet reaches the running VM through the `<name>-user-data`
        // step (apply-user-data.sh); without it, the snippet only matters at the first boot.
        "initialization.userDataFileId",
    ];
    for (let i = 1; i <= passthroughDisks; i++) {
        paths.push(
            // A passthrough disk has no size in the config; the provider reads back the device's real
            // size and then plans to "shrink" it to its default 8 GB on every run:
            // https://github.com/bpg/terraform-provider-proxmox/issues/2706
            // (fixed upstream by marking size computed, https://github.com/bpg/terraform-provider-proxmox/pull/2718;
            // kept until the bundled provider version is confirmed to include it).
            `disks[${i}].size`,
            // Read back as `raw` for a host device although none is set, a perpetual diff too:
            // https://github.com/bpg/terraform-provider-proxmox/issues/1525 (the workaround there:
            // ignore `size` and `file_format`).
            `disks[${i}].fileFormat`,
            // `pathInDatastore` is NOT ignored: no issue reports a diff on it, and a changed disk path
            // must show in the preview.
        );
    }
    return paths;
}

/**
 * The serial a passed-through disk gets, from its by-id path: the id without its bus prefix
 * (`ata-`, `nvme-`, `wwn-`, ...), reduced to letters, digits, `_` and `-`, its last 20 characters
 * (virtio-blk keeps 20 bytes), without leading `_`/`-`. The end of an id carries the disk's own
 * serial number, so the guest's name still points at the physical disk:
 * `ata-Samsung_SSD_870_EVO_1TB_S6PTNM0T100001A` -> `1TB_S6PTNM0T100001A`.
 */
export function diskSerial(byIdPath: string): string {
    const id = byIdPath.startsWith(byIdPrefix) ? byIdPath.slice(byIdPrefix.length) : byIdPath;
    return id
        .replace(/^[a-z0-9]+-/, "")
        .replace(/[^A-Za-z0-9_-]/g, "")
        .slice(-20)
        .replace(/^[_-]+/, "");
}

/** Where the guest finds a host disk passed through as a virtio disk: `/dev/disk/by-id/virtio-<serial>`. */
export function guestDiskPath(hostByIdPath: string): string {
    return `${byIdPrefix}virtio-${diskSerial(hostByIdPath)}`;
}

/** storage.sh's arguments (see its header). */
export function storageScriptArgs(a: { name: string; mount: string; members: string[]; mailTo: string; allowSizeMismatch?: boolean }): string[] {
    return [
        "--name", a.name, "--mount", a.mount, ...a.members.flatMap((m) => ["--member", m]), "--mail", a.mailTo,
        ...(a.allowSizeMismatch ? ["--allow-size-mismatch"] : []),
    ];
}

/** Directories of the NAS's own system that the data array must not be mounted over. */
const systemDirs = ["/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var"];

/**
 * Why the data array cannot be mounted at `mount` (undefined when it can): an absolute path of
 * plain names (storage.sh and smb.conf take it unquoted), not a directory of the system itself
 * (mounting over `/` or `/var` would hide the NAS's own files). The one rule: NasVm and config
 * validation both call it.
 */
export function nasMountProblem(mount: string): string | undefined {
    if (!/^(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$/.test(mount)) {
        return "must be an absolute path of plain names (letters, digits, '.', '_', '-'), without a trailing '/', such as /srv/data";
    }
    if (systemDirs.includes(mount)) {
        return `${mount} is a directory of the NAS's own system, which the array would hide: use a directory of its own, such as /srv/data`;
    }
    return undefined;
}

/**
 * Why samba.sh could not read this Samba password back (undefined when it can): it must be
 * non-empty and on one line of its stdin, so without a tab, line break or other control character.
 * Never names the password. The one rule: sambaUsersStdin and config validation both call it.
 */
export function sambaPasswordProblem(password: string): string | undefined {
    if (password === "") {
        return "is empty";
    }
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(password)) {
        return "holds a tab, line break or other control character";
    }
    return undefined;
}

/**
 * The shares with their users, once every list is known (then checked again with the users, by
 * sambaAccountsProblem, the error made by `refuse`): plain when all are plain (checked at
 * construction already), else an Output.
 */
export function sambaShares(
    users: { name: string }[],
    shares: NasShareArgs[],
    refuse: (problem: string) => Error,
): { name: string; users: string[] }[] | pulumi.Output<{ name: string; users: string[] }[]> {
    return whenKnown({ lists: shares.map((s) => s.users) }, (v) => {
        const known = shares.map((s, i) => ({ name: s.name, users: v.lists[i] }));
        const problem = sambaAccountsProblem(users, known);
        if (problem !== undefined) {
            throw refuse(problem);
        }
        return known;
    });
}

/**
 * samba.sh's stdin: one line `user<TAB>password<TAB>share,share` per user, with the shares that
 * list the user. Throws (without the password) on a password samba.sh could not read back.
 */
export function sambaUsersStdin(users: { name: string; password: string }[], shares: { name: string; users: string[] }[]): string {
    return users
        .map((u) => {
            const problem = sambaPasswordProblem(u.password);
            if (problem !== undefined) {
                throw new Error(`NasVm: the password of user '${u.name}' ${problem}: it must be non-empty, on one line, without control characters`);
            }
            const names = shares.filter((s) => s.users.includes(u.name)).map((s) => s.name);
            return `${u.name}\t${u.password}\t${names.join(",")}\n`;
        })
        .join("");
}

/** A quoted here-document that writes `text` to `target` (a shell word), with a delimiter not in `text`. */
function hereDoc(target: string, text: string, delimiter: string): string {
    while (text.includes(delimiter)) {
        delimiter += "_";
    }
    return `cat > ${target} <<'${delimiter}'\n${text.endsWith("\n") ? text : `${text}\n`}${delimiter}`;
}

/**
 * The shell command, run by the VM's admin user, that waits for cloud-init to finish (it installs
 * mdadm and samba on first boot), writes `script` (and `config`, if given) to a private temporary
 * directory, runs the script as root with `sudo -n` (root cannot log in; the admin user has
 * passwordless sudo), with `args` and, when there is a config, `--config <file>`, and removes the
 * directory, exiting with the script's status. stdin goes through to the script. `instance` is
 * written into a comment: see the NasVm constructor.
 */
export function sudoScriptCommand(script: string, args: string[], opts: { config?: string; instance?: string } = {}): string {
    const lines = [
        ...(opts.instance !== undefined ? [`# homelab: vm instance ${opts.instance.replace(/[^0-9A-Fa-f:]/g, "")}`] : []),
        // Exits non-zero when cloud-init reported errors; the script then fails on what is missing.
        // Bounded: on a host where cloud-init never ran, `--wait` would wait forever.
        "timeout 900 cloud-init status --wait >/dev/null 2>&1 || true",
        'd=$(mktemp -d) || exit 1',
        hereDoc('"$d/script"', script, "HOMELAB_SCRIPT"),
    ];
    const words = args.map(shellQuote);
    if (opts.config !== undefined) {
        lines.push(hereDoc('"$d/config"', opts.config, "HOMELAB_CONFIG"));
        words.push("--config", '"$d/config"');
    }
    lines.push(`sudo -n bash "$d/script"${words.map((w) => ` ${w}`).join("")}; rc=$?; rm -rf "$d"; exit $rc`);
    return lines.join("\n");
}

interface SudoScriptArgs {
    connection: SshConnection;
    /** Changes when the VM is a new one (its MAC address). */
    instance: pulumi.Input<string>;
    script: string;
    args: pulumi.Input<pulumi.Input<string>[]>;
    config?: pulumi.Input<string>;
    stdin?: pulumi.Input<string>;
}

/**
 * Like remoteScript, but as root through sudo and with an optional config file shipped along:
 * the NAS VM has no root login. Runs on create and whenever the command text or stdin changes.
 */
function sudoScript(name: string, a: SudoScriptArgs, opts: pulumi.CustomResourceOptions): command.remote.Command {
    const create = pulumi.all([a.instance, a.args, a.config]).apply(([instance, args, config]) => sudoScriptCommand(a.script, args, { config, instance }));
    return new command.remote.Command(
        name,
        {
            connection: commandConnection(a.connection),
            create,
            // Every shipped script is idempotent: an update is the same run.
            update: create,
            stdin: a.stdin,
            // No delete: removing the command from the program must never touch the array or shares.
            logging: a.stdin === undefined ? "stdoutAndStderr" : "stderr",
        },
        opts,
    );
}

/** A digest of the user data, passed to apply-user-data.sh so that a change re-runs it. */
function digest(text: string): string {
    return `sha256:${crypto.createHash("sha256").update(text).digest("hex")}`;
}
