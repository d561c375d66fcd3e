import * as pulumi from "@pulumi/pulumi";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import { remoteScript } from "./remoteScript";
import { upsNutCommandArgs, upsNutScriptPath } from "./proxmoxHost/upsNut";

/** A Linux bridge on a node. */
export interface BridgeArgs {
    /** Bridge name, e.g. vmbr1. */
    name: string;
    /** Physical ports enslaved to it. Defaults to none (a bridge internal to the node). */
    ports?: string[];
    /** Carry tagged VLANs to guests. Defaults to false. */
    vlanAware?: boolean;
    /** The bridge exists already (the installer made vmbr0): it is referenced, not created. Defaults to false. */
    existing?: boolean;
    comment?: string;
}

/** NUT set-up for a UPS attached to a node by USB. */
export interface UpsArgs {
    /** NUT name of the UPS. Defaults to `ups`. */
    name?: string;
    /** NUT driver. Defaults to nutdrv_qx. */
    driver?: string;
    /** Driver port. Defaults to auto. */
    port?: string;
    description?: string;
    /** Shut the node down when the battery charge falls to this percentage. Defaults to 30. */
    shutdownPercent?: number;
    /** Password of NUT's upsmon user on the node. */
    password: pulumi.Input<string>;
}

/** One Proxmox VE node. */
export interface NodeArgs {
    /** Node name as Proxmox knows it. */
    name: string;
    /** Management address (SSH and the NUT set-up go there). */
    address: string;
    /** Datastore for templates and images. Defaults to local. */
    fileStorage?: string;
    bridges?: BridgeArgs[];
    ups?: UpsArgs;
}

/** A template or cloud image to download to the nodes' file storage. */
export interface ImageArgs {
    name: string;
    /** `lxc` (container template) or `vm` (cloud disk image). */
    kind: "lxc" | "vm";
    url: string;
    /** File name on the storage. Defaults to the last part of the URL. */
    fileName?: string;
    /** `sha256:<hex>` or `sha512:<hex>`, verified by Proxmox after download. */
    checksum: string;
    /** Nodes to download to. Defaults to every node. */
    nodes?: string[];
}

export interface ProxmoxHostArgs {
    /** API endpoint, e.g. https://192.168.1.6:8006/. */
    endpoint: pulumi.Input<string>;
    /** API token `user@realm!id=secret`. Passthrough disks and bind mounts need it to be root@pam's. */
    apiToken: pulumi.Input<string>;
    /** Accept a self-signed API certificate. Defaults to false. */
    insecure?: boolean;
    /** SSH user for the operations the API cannot do. Defaults to root. */
    sshUser?: string;
    /** SSH private key for those operations. */
    sshPrivateKey: pulumi.Input<string>;
    nodes: NodeArgs[];
    images?: ImageArgs[];
    /** Create a least-privilege role, user and API token for guests that do not need root. Defaults to true. */
    leastPrivilegeToken?: boolean;
}

/** Privileges of the least-privilege role: enough to create, configure and run guests, nothing more. */
export const guestAdminPrivileges = [
    "Datastore.AllocateSpace",
    "Datastore.AllocateTemplate",
    "Datastore.Audit",
    "Pool.Audit",
    "SDN.Use",
    "Sys.Audit",
    "Sys.Console",
    "Sys.Modify",
    "VM.Allocate",
    "VM.Audit",
    "VM.Clone",
    "VM.Config.CDROM",
    "VM.Config.CPU",
    "VM.Config.Cloudinit",
    "VM.Config.Disk",
    "VM.Config.HWType",
    "VM.Config.Memory",
    "VM.Config.Network",
    "VM.Config.Options",
    "VM.Migrate",
    "VM.PowerMgmt",
];

/**
 * The hypervisor: the proxmoxve provider, each node's bridges, the templates and cloud images on
 * its storage, a least-privilege API user, and UPS shutdown with NUT. Guests are placed on a named
 * node with `imageId(image, node)` and `provider`.
 */
export class ProxmoxHost extends pulumi.ComponentResource {
    /** Provider with the configured (root@pam) token: for passthrough disks and bind mounts. */
    readonly provider: proxmoxve.Provider;
    /** Provider with the least-privilege token, when created; otherwise the root provider. */
    readonly guestProvider: proxmoxve.Provider;
    /** Downloaded files by image name and node name: the volume id guests refer to. */
    readonly images: Record<string, Record<string, pulumi.Output<string>>>;
    /** Bridges created by this component, by node and bridge name. */
    readonly bridges: Record<string, Record<string, proxmoxve.network.linux.Bridge>>;
    /** The least-privilege API token `homelab@pve!lab=<secret>`, when created. */
    readonly guestApiToken?: pulumi.Output<string>;
    /** NUT set-up commands by node name. */
    readonly ups: Record<string, pulumi.Resource>;
    readonly nodeNames: string[];

    constructor(name: string, args: ProxmoxHostArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validate before registering anything, so that bad args leave no trace in the stack.
        validateProxmoxHostArgs(args);
        super("homelab:index:ProxmoxHost", name, {}, opts);
        const nodeNames = args.nodes.map((n) => n.name);
        const sshUser = args.sshUser ?? "root";
        // The provider SSHes to the nodes for uploads and disk imports. It marks only its token
        // secret itself: the key is wrapped here, or a plain-string key would sit in the state.
        const ssh = {
            username: sshUser,
            privateKey: pulumi.secret(args.sshPrivateKey),
            nodes: args.nodes.map((n) => ({ name: n.name, address: n.address })),
        };

        this.provider = new proxmoxve.Provider(
            name,
            { endpoint: args.endpoint, apiToken: pulumi.secret(args.apiToken), insecure: args.insecure ?? false, ssh },
            { parent: this },
        );
        const own = { parent: this, provider: this.provider };

        this.bridges = {};
        for (const node of args.nodes) {
            this.bridges[node.name] = {};
            for (const b of node.bridges ?? []) {
                if (b.existing) {
                    continue;
                }
                this.bridges[node.name][b.name] = new proxmoxve.network.linux.Bridge(
                    `${name}-${node.name}-${b.name}`,
                    { nodeName: node.name, name: b.name, ports: b.ports ?? [], vlanAware: b.vlanAware ?? false, comment: b.comment, autostart: true },
                    own,
                );
            }
        }

        this.images = {};
        for (const image of args.images ?? []) {
            this.images[image.name] = {};
            const [algorithm, checksum] = image.checksum.split(":");
            for (const node of args.nodes.filter((n) => !image.nodes || image.nodes.includes(n.name))) {
                const file = new proxmoxve.download.File(
                    `${name}-${node.name}-${image.name}`,
                    {
                        nodeName: node.name,
                        datastoreId: node.fileStorage ?? "local",
                        contentType: image.kind === "lxc" ? "vztmpl" : "iso",
                        url: image.url,
                        fileName: image.fileName,
                        checksum,
                        checksumAlgorithm: algorithm,
                        // A pinned checksum identifies the file: never fetch it again because the
                        // server's copy changed size or date.
                        overwrite: false,
                    },
                    own,
                );
                this.images[image.name][node.name] = file.id;
            }
        }

        this.guestProvider = this.provider;
        if (args.leastPrivilegeToken ?? true) {
            const role = new proxmoxve.RoleLegacy(`${name}-guest-admin`, { roleId: "HomelabGuestAdmin", privileges: guestAdminPrivileges }, own);
            const user = new proxmoxve.UserLegacy(`${name}-homelab-user`, { userId: "homelab@pve", comment: "Managed by Pulumi (homelab): guests that need no root", enabled: true }, own);
            const token = new proxmoxve.user.Token(`${name}-homelab-token`, { userId: user.userId, tokenName: "lab", privilegesSeparation: false, comment: "homelab guests" }, own);
            new proxmoxve.Acl(`${name}-homelab-acl`, { path: "/", roleId: role.roleId, userId: user.userId, propagate: true }, own);
            this.guestApiToken = pulumi.secret(pulumi.interpolate`${token.userId}!${token.tokenName}=${token.value}`);
            this.guestProvider = new proxmoxve.Provider(
                `${name}-guests`,
                {
                    endpoint: args.endpoint,
                    apiToken: this.guestApiToken,
                    insecure: args.insecure ?? false,
                    ssh,
                },
                { parent: this },
            );
        }

        this.ups = {};
        args.nodes.forEach((node, i) => {
            const ups = node.ups;
            if (!ups) {
                return;
            }
            this.ups[node.name] = remoteScript(
                `${name}-${node.name}-ups`,
                {
                    connection: { host: node.address, user: sshUser, privateKey: args.sshPrivateKey },
                    scriptPath: upsNutScriptPath,
                    args: upsArgs(node, i),
                    stdin: pulumi.secret(pulumi.output(ups.password).apply((p) => `${p}\n`)),
                },
                { parent: this },
            );
        });

        this.nodeNames = nodeNames;
        this.registerOutputs({ images: this.images, guestApiToken: this.guestApiToken, nodeNames });
    }

    /** The volume id of `image` on `node` (e.g. `local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst`). */
    imageId(image: string, node: string): pulumi.Output<string> {
        const id = this.images[image]?.[node];
        if (!id) {
            throw new Error(`ProxmoxHost: image '${image}' is not downloaded to node '${node}'`);
        }
        return id;
    }
}

/** Throws an exact message for args that cannot describe a Proxmox installation. */
export function validateProxmoxHostArgs(args: ProxmoxHostArgs): void {
    if (args.nodes.length === 0) {
        throw new Error("ProxmoxHost: nodes must list at least one node");
    }
    // ups-nut.sh's arguments are checked here, before anything is registered.
    args.nodes.forEach(upsArgs);
    const nodeNames = args.nodes.map((n) => n.name);
    for (const image of args.images ?? []) {
        for (const n of image.nodes ?? []) {
            if (!nodeNames.includes(n)) {
                throw new Error(`ProxmoxHost: image '${image.name}' names unknown node '${n}'; nodes are ${nodeNames.join(", ")}`);
            }
        }
        if (!/^(sha256|sha512):[0-9a-f]+$/.test(image.checksum)) {
            throw new Error(`ProxmoxHost: image '${image.name}' checksum must be sha256:<hex> or sha512:<hex>`);
        }
    }
}

/** ups-nut.sh's arguments for `node`'s UPS (none without one); a bad value names the node's field. */
function upsArgs(node: NodeArgs, index: number): string[] {
    if (!node.ups) {
        return [];
    }
    const u = node.ups;
    try {
        return upsNutCommandArgs({ name: u.name ?? "ups", driver: u.driver, port: u.port, description: u.description, shutdownPercent: u.shutdownPercent });
    } catch (e) {
        throw new Error(`ProxmoxHost: nodes[${index}] ('${node.name}').ups.${(e as Error).message.replace(/^upsNut: /, "")}`);
    }
}
