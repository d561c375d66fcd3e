import * as pulumi from "@pulumi/pulumi";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import * as command from "@pulumi/command";
import { isKnown, providerIn, whenKnown } from "./inputs";
import { remoteScript } from "./remoteScript";
import { upsNutCommandArgs, upsNutScriptPath } from "./proxmoxHost/upsNut";

/** A Linux bridge on a node. */
export interface BridgeArgs {
    /** Bridge name, e.g. vmbr1. Plain: it names the bridge's resource. */
    name: string;
    /** Physical ports enslaved to it. Defaults to none (a bridge internal to the node). */
    ports?: pulumi.Input<pulumi.Input<string>[]>;
    /** Carry tagged VLANs to guests. Defaults to false. */
    vlanAware?: pulumi.Input<boolean>;
    /** The bridge exists already (the installer made vmbr0): it is referenced, not created. Defaults to false. */
    existing?: boolean;
    /** Shown beside the bridge in the Proxmox UI. Defaults to none. */
    comment?: pulumi.Input<string>;
}

/** NUT set-up for a UPS attached to a node by USB. */
export interface UpsArgs {
    /** NUT name of the UPS. Defaults to `ups`. */
    name?: pulumi.Input<string>;
    /** NUT driver. Defaults to nutdrv_qx. */
    driver?: pulumi.Input<string>;
    /** Driver port. Defaults to auto. */
    port?: pulumi.Input<string>;
    /** Free text for ups.conf. Defaults to none. */
    description?: pulumi.Input<string>;
    /** Shut the node down when the battery charge falls to this percentage. Defaults to 30. */
    shutdownPercent?: pulumi.Input<number>;
    /** Password of NUT's upsmon user on the node. Made a secret here. */
    password: pulumi.Input<string>;
}

/** One Proxmox VE node. */
export interface NodeArgs {
    /** Node name as Proxmox knows it. Plain: it names the node's resources. */
    name: string;
    /** Management address (SSH and the NUT set-up go there). */
    address: pulumi.Input<string>;
    /** Datastore for templates and images. Defaults to local. */
    fileStorage?: pulumi.Input<string>;
    /** Bridges of the node. Defaults to none. */
    bridges?: BridgeArgs[];
    /** A UPS attached to the node. Defaults to none. */
    ups?: UpsArgs;
}

/** What a downloaded image is. */
export const ImageKind = {
    /** An LXC container template (`vztmpl` content). */
    lxc: "lxc",
    /** A VM cloud disk image (`iso` content). */
    vm: "vm",
} as const;
export type ImageKind = (typeof ImageKind)[keyof typeof ImageKind];

/** A template or cloud image to download to the nodes' file storage. */
export interface ImageArgs {
    /** Image name, e.g. debian-12-lxc. Plain: it names the download resources. */
    name: string;
    /** `lxc` (container template) or `vm` (cloud disk image). */
    kind: pulumi.Input<ImageKind>;
    /** Where Proxmox downloads it from. */
    url: pulumi.Input<string>;
    /** File name on the storage. Defaults to the last part of the URL. */
    fileName?: pulumi.Input<string>;
    /** `sha256:<hex>` or `sha512:<hex>`, verified by Proxmox after download. */
    checksum: pulumi.Input<string>;
    /** Nodes to download to. Defaults to every node. Plain: each is a resource. */
    nodes?: string[];
}

export interface ProxmoxHostArgs {
    /**
     * API endpoint, e.g. https://192.168.1.6:8006/. Needed unless a proxmoxve provider comes
     * through `opts.provider`/`opts.providers`, and always with `leastPrivilegeToken` (the
     * guests' provider is built on it).
     */
    endpoint?: pulumi.Input<string>;
    /**
     * API token `user@realm!id=secret`, made a secret here. Needed when no proxmoxve provider
     * comes through `opts`. Passthrough disks and bind mounts need it to be root@pam's.
     */
    apiToken?: pulumi.Input<string>;
    /** Accept a self-signed API certificate. Defaults to false. */
    insecure?: pulumi.Input<boolean>;
    /** SSH user for the operations the API cannot do. Defaults to root. */
    sshUser?: pulumi.Input<string>;
    /** SSH private key for those operations, made a secret here. */
    sshPrivateKey: pulumi.Input<string>;
    /** The cluster's nodes (at least one). */
    nodes: NodeArgs[];
    /** Images to download. Defaults to none. */
    images?: ImageArgs[];
    /** Create a least-privilege role, user and API token for guests that do not need root. Defaults to true. */
    leastPrivilegeToken?: boolean;
    /** Id of the least-privilege role. Defaults to `<name>-guest-admin`. */
    guestRoleId?: pulumi.Input<string>;
    /** The least-privilege user, `<user>@pve`. Defaults to `<name>-guests@pve`. */
    guestUserId?: pulumi.Input<string>;
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

// proxmoxve is not a @pulumi package, so the multi-language schema (PulumiPlugin.yaml) cannot
// carry its resources: TypeScript reaches them through getters, kept here rather than in fields.
const handles = new WeakMap<
    ProxmoxHost,
    {
        provider: proxmoxve.Provider;
        guestProvider: proxmoxve.Provider;
        bridges: Record<string, Record<string, proxmoxve.network.linux.Bridge>>;
        ups: Record<string, command.remote.Command>;
    }
>();

/**
 * The hypervisor: the proxmoxve provider, each node's bridges, the templates and cloud images on
 * its storage, a least-privilege API user, and UPS shutdown with NUT. Guests are placed on a named
 * node with `imageId(image, node)` and `provider`.
 */
export class ProxmoxHost extends pulumi.ComponentResource {
    /** Downloaded files by image name and node name: the volume id guests refer to. */
    readonly images: Record<string, Record<string, pulumi.Output<string>>>;
    /** The least-privilege API token `<user>!lab=<secret>`, when created. */
    readonly guestApiToken?: pulumi.Output<string>;
    /** Names of the nodes. */
    readonly nodeNames: string[];
    /** The root provider: from `opts`, or built from `endpoint` and `apiToken`. For passthrough disks and bind mounts. */
    get provider(): proxmoxve.Provider {
        return handles.get(this)!.provider;
    }
    /** Provider with the least-privilege token, when created; otherwise the root provider. */
    get guestProvider(): proxmoxve.Provider {
        return handles.get(this)!.guestProvider;
    }
    /** Bridges created by this component, by node and bridge name. */
    get bridges(): Record<string, Record<string, proxmoxve.network.linux.Bridge>> {
        return handles.get(this)!.bridges;
    }
    /** NUT set-up commands by node name. */
    get ups(): Record<string, command.remote.Command> {
        return handles.get(this)!.ups;
    }

    constructor(name: string, args: ProxmoxHostArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validate before registering anything, so that bad args leave no trace in the stack.
        validateProxmoxHostArgs(args);
        // The provider the caller gave (as pulumi-eks and awsx take theirs), else one of our own.
        const given = providerIn(opts, "proxmoxve", proxmoxve.Provider.isInstance);
        if (!given && (args.endpoint === undefined || args.apiToken === undefined)) {
            throw new Error("ProxmoxHost: set endpoint and apiToken, or pass a proxmoxve provider in opts.provider");
        }
        if ((args.leastPrivilegeToken ?? true) && args.endpoint === undefined) {
            throw new Error("ProxmoxHost: endpoint is needed for the least-privilege provider: set it, or set leastPrivilegeToken: false");
        }
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

        const provider =
            given ??
            new proxmoxve.Provider(name, { endpoint: args.endpoint, apiToken: pulumi.secret(args.apiToken!), insecure: args.insecure ?? false, ssh }, { parent: this });
        const own = { parent: this, provider };

        const bridges: Record<string, Record<string, proxmoxve.network.linux.Bridge>> = {};
        for (const node of args.nodes) {
            bridges[node.name] = {};
            for (const b of node.bridges ?? []) {
                if (b.existing) {
                    continue;
                }
                bridges[node.name][b.name] = new proxmoxve.network.linux.Bridge(
                    `${name}-${node.name}-${b.name}`,
                    { nodeName: node.name, name: b.name, ports: b.ports ?? [], vlanAware: b.vlanAware ?? false, comment: b.comment, autostart: true },
                    own,
                );
            }
        }

        this.images = {};
        for (const image of args.images ?? []) {
            this.images[image.name] = {};
            const checksum = whenKnown({ checksum: image.checksum }, (v) => imageChecksum(image.name, v.checksum));
            for (const node of args.nodes.filter((n) => !image.nodes || image.nodes.includes(n.name))) {
                const file = new proxmoxve.download.File(
                    `${name}-${node.name}-${image.name}`,
                    {
                        nodeName: node.name,
                        datastoreId: node.fileStorage ?? "local",
                        contentType: whenKnown({ kind: image.kind }, ({ kind }) => (kind === ImageKind.lxc ? "vztmpl" : "iso")),
                        url: image.url,
                        fileName: image.fileName,
                        checksum: pulumi.output(checksum).apply((c) => c.hex),
                        checksumAlgorithm: pulumi.output(checksum).apply((c) => c.algorithm),
                        // A pinned checksum identifies the file: never fetch it again because the
                        // server's copy changed size or date.
                        overwrite: false,
                    },
                    // A new URL or checksum under the same file name is the same volume: created first,
                    // the new download would fail on the old file (bpg fwprovider/nodes/
                    // resource_download_file.go, Create: "File already exists in the datastore" unless
                    // overwrite_unmanaged), and the old one's delete would then remove the new file.
                    // Guests are not replaced with it: they ignore their image after creation
                    // (imageSeedsOnly), and Pulumi's delete-before-replace cascades only to dependents
                    // whose own diff, under their ignoreChanges, replaces them (pulumi/pulumi
                    // pkg/resource/deploy/step_generator.go, calculateDependentReplacements).
                    { ...own, deleteBeforeReplace: true },
                );
                this.images[image.name][node.name] = file.id;
            }
        }

        let guestProvider = provider;
        if (args.leastPrivilegeToken ?? true) {
            const role = new proxmoxve.RoleLegacy(`${name}-guest-admin`, { roleId: args.guestRoleId ?? `${name}-guest-admin`, privileges: guestAdminPrivileges }, own);
            const user = new proxmoxve.UserLegacy(
                `${name}-homelab-user`,
                { userId: args.guestUserId ?? `${name}-guests@pve`, comment: "Managed by Pulumi (homelab): guests that need no root", enabled: true },
                own,
            );
            const token = new proxmoxve.user.Token(`${name}-homelab-token`, { userId: user.userId, tokenName: "lab", privilegesSeparation: false, comment: "homelab guests" }, own);
            new proxmoxve.Acl(`${name}-homelab-acl`, { path: "/", roleId: role.roleId, userId: user.userId, propagate: true }, own);
            this.guestApiToken = pulumi.secret(pulumi.interpolate`${token.userId}!${token.tokenName}=${token.value}`);
            guestProvider = new proxmoxve.Provider(
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

        const ups: Record<string, command.remote.Command> = {};
        args.nodes.forEach((node, i) => {
            const u = node.ups;
            if (!u) {
                return;
            }
            ups[node.name] = remoteScript(
                `${name}-${node.name}-ups`,
                {
                    connection: { host: node.address, user: sshUser, privateKey: args.sshPrivateKey },
                    scriptPath: upsNutScriptPath,
                    args: upsArgs(node, i),
                    stdin: pulumi.secret(pulumi.output(u.password).apply((p) => `${p}\n`)),
                },
                { parent: this },
            );
        });

        handles.set(this, { provider, guestProvider, bridges, ups });
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

/**
 * The input by which each kind of guest names its image, for `ignoreChanges`. An image (an LXC
 * template or a VM's cloud image) only seeds a guest's disk when the guest is created. A newer
 * image, re-pinned under the same file name or under a new one, is for guests created after it: the
 * provider would replace a guest whose image changed (test/providerTruth.ts, rows
 * "ContainerLegacy operatingSystem.templateFileId" and "VmLegacy disks.fileId": force-new), and a
 * guest's disk holds its data. During a preview a re-pinned image's id is unknown, and an unknown
 * force-new input would plan that replacement too. To rebuild a guest from a newer image on
 * purpose: `pulumi up --replace <the guest's URN>`.
 */
export const imageSeedsOnly = { container: "operatingSystem.templateFileId", vm: "disks[0].fileId" } as const;

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
        if (isKnown(image.checksum)) {
            imageChecksum(image.name, image.checksum as string);
        }
        const file = image.fileName ?? (isKnown(image.url) ? (image.url as string).split("/").pop() : undefined);
        const problem = isKnown(image.kind) && isKnown(file) && file !== undefined ? imageFileProblem(image.kind as ImageKind, file as string) : undefined;
        if (problem) {
            throw new Error(`ProxmoxHost: image '${image.name}' ${problem.field}: ${problem.message}`);
        }
    }
}

/**
 * Why an image of `kind` cannot be stored under `file` (undefined when it can), and which field to
 * change. ProxmoxHost downloads an lxc image as `vztmpl` content and a vm image as `iso` content;
 * download-url refuses any other extension ("wrong file extension": pve-storage
 * src/PVE/API2/Storage/Status.pm, download_url, with $VZTMPL_EXT_RE_1 and $ISO_EXT_RE_0 of
 * src/PVE/Storage.pm). The kind is told by the extension: a template given as a vm image or a disk
 * image as an lxc template is the wrong kind, and an installer ISO is no cloud disk image at all.
 * The one rule: ProxmoxHost and config validation both call it.
 */
export function imageFileProblem(kind: ImageKind, file: string): { field: "kind" | "fileName" | "url"; message: string } | undefined {
    const template = /\.tar\.(gz|xz|zst|bz2)$/i.test(file);
    const iso = /\.iso$/i.test(file);
    const disk = /\.(img|qcow2|raw)$/i.test(file);
    const templates = ".tar.zst, .tar.xz, .tar.gz or .tar.bz2";
    if (kind === ImageKind.lxc) {
        if (template) return undefined;
        if (iso) {
            return { field: "url", message: `'${file}' is an ISO (an installer), not a container template: give the URL of a Proxmox template (${templates}, e.g. from http://download.proxmox.com/images/system/)` };
        }
        if (disk) {
            return { field: "kind", message: `'${file}' is a VM disk image, not a container template: set kind: vm, or give the URL of a Proxmox template (${templates})` };
        }
        return { field: "fileName", message: `a container template is stored as ${templates}: set fileName to the template's name with its extension (got '${file}')` };
    }
    if (template) {
        return { field: "kind", message: `'${file}' is a container template, not a VM disk image: set kind: lxc, or give the URL of a cloud disk image (.qcow2 or .img)` };
    }
    if (iso) {
        return { field: "url", message: `'${file}' is an installer ISO, not a cloud disk image: give the URL of the distribution's cloud image (.qcow2 or .img, e.g. debian-12-genericcloud-amd64.qcow2)` };
    }
    if (!/\.img$/i.test(file)) {
        const base = disk ? file.replace(/\.[^.]+$/, "") : file;
        return { field: "fileName", message: `Proxmox stores a downloaded disk image only as .img: set fileName: ${base}.img (got '${file}')` };
    }
    return undefined;
}

/** An image's pinned checksum split in two; throws on anything but `sha256:<hex>` or `sha512:<hex>`. */
/**
 * Why `checksum` is not a pinned checksum the download takes (undefined when it is):
 * `sha256:<64 hex digits>` or `sha512:<128 hex digits>`, the digits in lower case as Proxmox's
 * download-url compares them. The one rule: ProxmoxHost and config validation both call it.
 */
export function checksumProblem(checksum: string): string | undefined {
    const m = /^(sha256|sha512):([0-9a-fA-F]*)$/.exec(checksum);
    if (!m) {
        return "must be sha256:<64 hex digits> or sha512:<128 hex digits>, as the image's SHA256SUMS or SHA512SUMS file lists it";
    }
    const digits = m[1] === "sha256" ? 64 : 128;
    if (m[2].length !== digits) {
        return `a ${m[1]} checksum has ${digits} hex digits, this one ${m[2].length}: copy the whole checksum`;
    }
    if (m[2] !== m[2].toLowerCase()) {
        return `write the hex digits in lower case: ${m[1]}:${m[2].toLowerCase()}`;
    }
    return undefined;
}

function imageChecksum(image: string, checksum: string): { algorithm: string; hex: string } {
    const problem = checksumProblem(checksum);
    if (problem !== undefined) {
        throw new Error(`ProxmoxHost: image '${image}' checksum ${problem}`);
    }
    const [algorithm, hex] = checksum.split(":");
    return { algorithm, hex };
}

/**
 * ups-nut.sh's arguments for `node`'s UPS (none without one); a bad value names the node's field.
 * Checked now when the values are plain, else when they are known.
 */
function upsArgs(node: NodeArgs, index: number): pulumi.Input<string[]> {
    if (!node.ups) {
        return [];
    }
    const u = node.ups;
    return whenKnown({ name: u.name ?? "ups", driver: u.driver, port: u.port, description: u.description, shutdownPercent: u.shutdownPercent }, (v) => {
        try {
            return upsNutCommandArgs(v);
        } catch (e) {
            throw new Error(`ProxmoxHost: nodes[${index}] ('${node.name}').ups.${(e as Error).message.replace(/^upsNut: /, "")}`);
        }
    });
}
