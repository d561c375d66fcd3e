import * as pulumi from "@pulumi/pulumi";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";

/** Where a guest's one NIC sits. */
export interface GuestNetworkArgs {
    bridge: string;
    /** 802.1Q tag on a VLAN-aware bridge. Defaults to untagged. */
    vlan?: number;
    /** IPv4 address with prefix, e.g. 192.168.1.20/24. */
    address: string;
    gateway?: string;
    /** IPv6 address with prefix, e.g. 2001:db8::20/64. */
    ipv6?: string;
    ipv6Gateway?: string;
    dns?: string[];
}

export interface LxcContainerArgs {
    hostname: string;
    vmId: number;
    /** Node to place it on. */
    node: string;
    /** Template volume id (from `ProxmoxHost.imageId`). Exactly one of template and cloneOf. */
    template?: pulumi.Input<string>;
    /** Clone this container (a template on the same node): a full clone, independent afterwards. */
    cloneOf?: { vmId: number; resource?: pulumi.Resource };
    /** Make this container a template for others to clone. Defaults to false. */
    isTemplate?: boolean;
    cores: number;
    memoryMb: number;
    /** Root disk size in GB. Defaults to 8. */
    rootDiskGb?: number;
    /** Datastore for the root disk. Defaults to local-lvm. */
    diskStorage?: string;
    network: GuestNetworkArgs;
    sshPublicKeys: string[];
    /** Unprivileged (user namespaces). Defaults to true. */
    unprivileged?: boolean;
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
                operatingSystem: args.template === undefined ? undefined : { templateFileId: args.template, type: "debian" },
                cpu: { cores: args.cores },
                memory: { dedicated: args.memoryMb },
                disk: { datastoreId: args.diskStorage ?? "local-lvm", size: args.rootDiskGb ?? 8 },
                networkInterfaces: [{ name: "eth0", bridge: n.bridge, vlanId: n.vlan, firewall: true }],
                initialization: {
                    hostname: args.hostname,
                    ipConfigs: [
                        {
                            ipv4: { address: n.address, gateway: n.gateway },
                            ipv6: n.ipv6 ? { address: n.ipv6, gateway: n.ipv6Gateway } : undefined,
                        },
                    ],
                    dns: n.dns ? { servers: n.dns } : undefined,
                    userAccount: { keys: args.sshPublicKeys },
                },
            },
            { parent: this, provider: args.provider, dependsOn: args.cloneOf?.resource ? [args.cloneOf.resource] : [] },
        );
        this.registerOutputs({ address: this.address });
    }
}
