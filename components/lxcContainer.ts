import * as pulumi from "@pulumi/pulumi";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import { StorageInfo, storageProblem } from "./storage";

/**
 * Proxmox's LXC `ostype` values a guest may declare (the ones the container API takes that this
 * library knows templates of). Proxmox writes the network, host name and DNS into the container
 * the way this distribution keeps them.
 */
export const lxcOsTypes = ["debian", "ubuntu", "alpine", "centos", "fedora", "opensuse", "archlinux", "nixos", "unmanaged"] as const;
export type LxcOsType = (typeof lxcOsTypes)[number];

/**
 * The distribution of a Proxmox template, from its file name, where the name says it for certain
 * (the names of Proxmox's own appliance index, `pveam available`): `debian-12-standard_*`,
 * `debian-12-turnkey-*`, `ubuntu-24.04-standard_*`, `alpine-3.20-default_*`,
 * `centos-9-stream-default_*`, `fedora-40-default_*`, `opensuse-15.6-default_*`,
 * `archlinux-base_*`. Undefined for any other name: then the image must say its `os`.
 */
export function lxcOsTypeOfFile(fileName: string): LxcOsType | undefined {
    const known: [RegExp, LxcOsType][] = [
        [/^debian-\d+-(standard|turnkey-[a-z0-9-]+)_[^/]+\.tar\.(gz|xz|zst)$/, "debian"],
        [/^ubuntu-\d{2}\.\d{2}-standard_[^/]+\.tar\.(gz|xz|zst)$/, "ubuntu"],
        [/^alpine-\d+\.\d+-default_[^/]+\.tar\.(gz|xz|zst)$/, "alpine"],
        [/^centos-\d+(-stream)?-default_[^/]+\.tar\.(gz|xz|zst)$/, "centos"],
        [/^fedora-\d+-default_[^/]+\.tar\.(gz|xz|zst)$/, "fedora"],
        [/^opensuse-\d+\.\d+-default_[^/]+\.tar\.(gz|xz|zst)$/, "opensuse"],
        [/^archlinux-base_[^/]+\.tar\.(gz|xz|zst)$/, "archlinux"],
    ];
    return known.find(([pattern]) => pattern.test(fileName))?.[1];
}

/** Where a guest's one NIC sits. */
export interface GuestNetworkArgs {
    /** Proxmox bridge of the NIC, e.g. vmbr0. */
    bridge: string;
    /** 802.1Q tag on a VLAN-aware bridge. Defaults to untagged. */
    vlan?: number;
    /** IPv4 address with prefix, e.g. 192.168.1.20/24. */
    address: string;
    /** IPv4 default gateway. Defaults to none (an isolated network). */
    gateway?: string;
    /** IPv6 address with prefix, e.g. 2001:db8::20/64. */
    ipv6?: string;
    /** IPv6 default gateway, used only with `ipv6`. Defaults to none. */
    ipv6Gateway?: string;
    /** DNS servers of the guest. Defaults to the node's (Proxmox copies the node's resolv.conf). */
    dns?: string[];
}

export interface LxcContainerArgs {
    /** Host name inside the container. */
    hostname: string;
    /** Proxmox guest id, unique in the cluster. */
    vmId: number;
    /** Node to place it on. */
    node: string;
    /** Template volume id (from `ProxmoxHost.imageId`). Exactly one of template and cloneOf. */
    template?: pulumi.Input<string>;
    /**
     * The distribution inside: the template's (`lxcOsTypeOfFile` tells it from a Proxmox template's
     * file name), or for a clone its template's. Sent as the container's `ostype` when it is made
     * from a template; a clone keeps its source's.
     */
    osType: LxcOsType;
    /** Clone this container (a template on the same node): a full clone, independent afterwards. */
    cloneOf?: { vmId: number; resource?: pulumi.Resource };
    /** Make this container a template for others to clone. Defaults to false. */
    isTemplate?: boolean;
    /** CPU cores. */
    cores: number;
    /** Memory in MB. */
    memoryMb: number;
    /** Root disk size in GB. Defaults to 8. */
    rootDiskGb?: number;
    /** Datastore for the root disk. Defaults to local-lvm. */
    diskStorage?: string;
    /**
     * What `diskStorage` is (its type and content), when known: the container then refuses a
     * storage that cannot hold its root disk, or (as a template) a base image. Defaults to unknown.
     */
    diskStorageInfo?: StorageInfo;
    /** The container's one NIC, `eth0`. */
    network: GuestNetworkArgs;
    /** Public keys allowed to log in as root. */
    sshPublicKeys: string[];
    /** Unprivileged (user namespaces). Defaults to true. */
    unprivileged?: boolean;
    /** The proxmoxve provider that creates the container. */
    provider: proxmoxve.Provider;
}

/**
 * A plain LXC guest: from a downloaded template, or cloned from a container that was made into a
 * template (a custom image built from a configured container).
 */
export class LxcContainer extends pulumi.ComponentResource {
    readonly container: proxmoxve.ContainerLegacy;
    readonly address: string;

    constructor(name: string, args: LxcContainerArgs, opts?: pulumi.ComponentResourceOptions) {
        if ((args.template === undefined) === (args.cloneOf === undefined)) {
            throw new Error(`LxcContainer ${name}: set exactly one of template and cloneOf`);
        }
        if (!(lxcOsTypes as readonly string[]).includes(args.osType)) {
            throw new Error(`LxcContainer ${name}: osType must be one of ${lxcOsTypes.join(", ")}, got "${args.osType}"`);
        }
        const info = args.diskStorageInfo;
        const storageIssue =
            info &&
            (storageProblem(info, { kind: "content", content: "rootdir", what: "a container's root disk" }) ??
                (args.isTemplate ? storageProblem(info, { kind: "template" }) : undefined));
        if (storageIssue) {
            throw new Error(`LxcContainer ${name}: ${storageIssue}`);
        }
        super("homelab:index:LxcContainer", name, {}, opts);
        const n = args.network;
        this.address = n.address.split("/")[0];
        this.container = new proxmoxve.ContainerLegacy(
            name,
            {
                nodeName: args.node,
                vmId: args.vmId,
                description: "Managed by Pulumi (homelab)",
                unprivileged: args.unprivileged ?? true,
                template: args.isTemplate ?? false,
                // A template is never started; its clones are.
                started: !(args.isTemplate ?? false),
                startOnBoot: !(args.isTemplate ?? false),
                clone: args.cloneOf && { vmId: args.cloneOf.vmId, nodeName: args.node },
                // The provider reads Proxmox's `ostype` back into operating_system.type, and that block
                // forces replacement (bpg/terraform-provider-proxmox,
                // proxmoxtf/resource/container/container.go: the `operating_system` schema in
                // Container() is ForceNew; containerRead sets its type from the config's OSType).
                // A type other than the template's would replace the container on every update.
                // A clone's block stays unset: containerRead leaves it out for clones.
                operatingSystem: args.template === undefined ? undefined : { templateFileId: args.template, type: args.osType },
                cpu: { cores: args.cores },
                memory: { dedicated: args.memoryMb },
                disk: { datastoreId: args.diskStorage ?? "local-lvm", size: args.rootDiskGb ?? 8 },
                networkInterfaces: [{ name: "eth0", bridge: n.bridge, vlanId: n.vlan, firewall: true }],
                initialization: {
                    hostname: args.hostname,
                    ipConfigs: [guestIpConfig(n)],
                    dns: n.dns ? { servers: n.dns } : undefined,
                    userAccount: { keys: args.sshPublicKeys },
                },
            },
            { parent: this, provider: args.provider, dependsOn: args.cloneOf?.resource ? [args.cloneOf.resource] : [] },
        );
        this.registerOutputs({ address: this.address });
    }
}

/**
 * The one `initialization.ipConfigs` entry of a guest with static addresses: IPv4 always, IPv6
 * only when `ipv6` is set. The same shape fits a ContainerLegacy and a VmLegacy.
 */
export function guestIpConfig(n: Pick<GuestNetworkArgs, "address" | "gateway" | "ipv6" | "ipv6Gateway">) {
    return {
        ipv4: { address: n.address, gateway: n.gateway },
        ipv6: n.ipv6 ? { address: n.ipv6, gateway: n.ipv6Gateway } : undefined,
    };
}
