import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import { hasProvisioning, ProvisionArgs, provisionProblems, renderProvisionSpec } from "./provision";
import { commandConnection, remoteScript, shellQuote, SshConnection } from "./remoteScript";
import { StorageInfo, storageProblem } from "./storage";
import { whenKnown } from "./inputs";
import { imageSeedsOnly } from "./proxmoxHost";

/** The script that sets a container up from inside (run with `pct exec` on the node). */
export const provisionScriptPath = path.join(__dirname, "lxcContainer", "provision.sh");
/** The node script that keeps root's SSH keys of a running container current with `pct exec`. */
export const authorizedKeysScriptPath = path.join(__dirname, "lxcContainer", "authorized-keys.sh");
/** The node script that turns a provisioned container into a template. */
export const makeTemplateScriptPath = path.join(__dirname, "lxcContainer", "make-template.sh");

/**
 * Proxmox's LXC `ostype` values a guest may declare (the ones the container API takes that this
 * library knows templates of). Proxmox writes the network, host name and DNS into the container
 * the way this distribution keeps them.
 */
export const LxcOsType = {
    debian: "debian",
    ubuntu: "ubuntu",
    alpine: "alpine",
    centos: "centos",
    fedora: "fedora",
    opensuse: "opensuse",
    archlinux: "archlinux",
    nixos: "nixos",
    unmanaged: "unmanaged",
} as const;
export type LxcOsType = (typeof LxcOsType)[keyof typeof LxcOsType];
/** Every LxcOsType, in order. */
export const lxcOsTypes: readonly LxcOsType[] = Object.values(LxcOsType);

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
    bridge: pulumi.Input<string>;
    /** 802.1Q tag on a VLAN-aware bridge. Defaults to untagged. */
    vlan?: pulumi.Input<number>;
    /** IPv4 address with prefix, e.g. 192.168.1.20/24. Defaults to none: an IPv6-only guest, which needs `ipv6`. */
    address?: pulumi.Input<string>;
    /** IPv4 default gateway. Defaults to none (an isolated network). */
    gateway?: pulumi.Input<string>;
    /** IPv6 address with prefix, e.g. 2001:db8::20/64. Defaults to none. */
    ipv6?: pulumi.Input<string>;
    /** IPv6 default gateway, used only with `ipv6`. Defaults to none. */
    ipv6Gateway?: pulumi.Input<string>;
    /** DNS servers of the guest. Defaults to the node's (Proxmox copies the node's resolv.conf). */
    dns?: pulumi.Input<pulumi.Input<string>[]>;
}

/** The container an LXC guest is cloned from. */
export interface LxcCloneArgs {
    /** Its guest id: pass the source's `LxcContainer.vmId`, so that the clone waits for it. */
    vmId: pulumi.Input<number>;
}

/** Args of an LxcContainer. The proxmoxve provider comes through `opts.provider`/`opts.providers` (or the parent). */
export interface LxcContainerArgs {
    /** Host name inside the container. */
    hostname: pulumi.Input<string>;
    /** Proxmox guest id, unique in the cluster. */
    vmId: pulumi.Input<number>;
    /** Node to place it on. */
    node: pulumi.Input<string>;
    /** Template volume id (from `ProxmoxHost.imageId`). Exactly one of template and cloneOf. */
    template?: pulumi.Input<string>;
    /**
     * The distribution inside: the template's (`lxcOsTypeOfFile` tells it from a Proxmox template's
     * file name), or for a clone its template's. Sent as the container's `ostype` when it is made
     * from a template; a clone keeps its source's.
     */
    osType: pulumi.Input<LxcOsType>;
    /** Clone this container (a template on the same node): a full clone, independent afterwards. */
    cloneOf?: LxcCloneArgs;
    /** Make this container a template for others to clone. Defaults to false. */
    isTemplate?: pulumi.Input<boolean>;
    /** CPU cores. */
    cores: pulumi.Input<number>;
    /** Memory in MB. */
    memoryMb: pulumi.Input<number>;
    /** Root disk size in GB. Defaults to 8. */
    rootDiskGb?: pulumi.Input<number>;
    /** Datastore for the root disk. Defaults to local-lvm. */
    diskStorage?: pulumi.Input<string>;
    /**
     * What `diskStorage` is (its type and content), when known: the container then refuses a
     * storage that cannot hold its root disk, or (as a template) a base image. Defaults to unknown.
     */
    diskStorageInfo?: StorageInfo;
    /** The container's one NIC, `eth0`. */
    network: GuestNetworkArgs;
    /** Public keys allowed to log in as root. */
    sshPublicKeys: pulumi.Input<pulumi.Input<string>[]>;
    /** Unprivileged (user namespaces). Defaults to true. */
    unprivileged?: pulumi.Input<boolean>;
    /**
     * Packages, files and commands set up inside after it is made (by `pct exec` on the node, see
     * lxcContainer/provision.sh), again whenever they change. A template is provisioned first,
     * then made a template, so that its clones start from it. Defaults to none.
     */
    provision?: ProvisionArgs;
    /**
     * SSH login on the node (root: `pct` needs it). Required with `provision`. With it, a
     * container that is not a template takes `sshPublicKeys` at creation only and later ones from
     * authorized-keys.sh (the provider would replace it on a key change). Defaults to none: then a
     * key change replaces the container.
     */
    nodeConnection?: SshConnection;
}

/**
 * A plain LXC guest: from a downloaded template, or cloned from a container that was made into a
 * template (a custom image built from a configured container).
 */
export class LxcContainer extends pulumi.ComponentResource {
    /** The IPv4 address (no prefix); undefined for an IPv6-only container. */
    readonly address: pulumi.Output<string | undefined>;
    /**
     * The guest id, once the container exists (and, for a provisioned template, once it is a
     * template): what a clone passes as `cloneOf.vmId`, so that the clone waits for that.
     */
    readonly vmId: pulumi.Output<number>;
    /** The provisioning step, when there is one. */
    readonly provisioned?: command.remote.Command;

    /** The container. A getter: proxmoxve resources are not in the multi-language schema. */
    get container(): proxmoxve.ContainerLegacy {
        return containers.get(this)!;
    }

    constructor(name: string, args: LxcContainerArgs, opts?: pulumi.ComponentResourceOptions) {
        if ((args.template === undefined) === (args.cloneOf === undefined)) {
            throw new Error(`LxcContainer ${name}: set exactly one of template and cloneOf`);
        }
        if (args.network.address === undefined && args.network.ipv6 === undefined) {
            throw new Error(`LxcContainer ${name}: network needs an address, ipv6 or both`);
        }
        const osType = whenKnown({ osType: args.osType }, (v) => {
            if (!lxcOsTypes.includes(v.osType)) {
                throw new Error(`LxcContainer ${name}: osType must be one of ${lxcOsTypes.join(", ")}, got "${v.osType}"`);
            }
            return v.osType;
        });
        const info = args.diskStorageInfo;
        const storageIssue = (template: boolean) =>
            info &&
            (storageProblem(info, { kind: "content", content: "rootdir", what: "a container's root disk" }) ??
                (template ? storageProblem(info, { kind: "template" }) : undefined));
        // Checked now when isTemplate is plain, else once known (where `started` is computed).
        const isTemplate = args.isTemplate ?? false;
        const runs = whenKnown({ isTemplate }, (v) => {
            const issue = storageIssue(v.isTemplate);
            if (issue) {
                throw new Error(`LxcContainer ${name}: ${issue}`);
            }
            // A template is never started; its clones are.
            return !v.isTemplate;
        });
        const provision = hasProvisioning(args.provision) ? args.provision : undefined;
        let spec: string | pulumi.Output<string> | undefined;
        if (provision) {
            if (args.nodeConnection === undefined) {
                throw new Error(`LxcContainer ${name}: provision runs \`pct exec\` on the node: set nodeConnection`);
            }
            // Whether a conversion step follows decides what is created: it must be known now.
            if (typeof isTemplate !== "boolean") {
                throw new Error(`LxcContainer ${name}: with provision, isTemplate must be a plain boolean`);
            }
            // The plain values now, beside Outputs too; all of them rendered (and checked) once
            // known. A secret file content keeps the spec secret.
            const problem = provisionProblems(provision, typeof args.osType === "string" ? args.osType : undefined)[0];
            if (problem !== undefined) {
                throw new Error(`LxcContainer ${name}: provision.${problem.field}: ${problem.message}`);
            }
            spec = whenKnown({ osType: args.osType, provision }, (v) => {
                try {
                    return renderProvisionSpec(v.osType, v.provision);
                } catch (e) {
                    throw new Error(`LxcContainer ${name}: ${(e as Error).message}`);
                }
            });
        }
        super("homelab:index:LxcContainer", name, {}, opts);
        // A provisioned template is made as a running container, set up, and only then converted
        // (by make-template.sh): the provider itself would convert it at creation, before anything
        // could run inside.
        const convertLater = isTemplate === true && spec !== undefined;
        // Keys in place need a running container and the node: not for a template.
        const keysInPlace = args.nodeConnection !== undefined && isTemplate === false;
        const n = args.network;
        const container = new proxmoxve.ContainerLegacy(
            name,
            {
                nodeName: args.node,
                vmId: args.vmId,
                // A provisioned template cannot be set up again once converted: its description
                // carries the provisioning's digest, and a change of it replaces the template.
                description: convertLater ? pulumi.output(spec!).apply((t) => `Managed by Pulumi (homelab); provisioned ${digest(t)}`) : "Managed by Pulumi (homelab)",
                unprivileged: args.unprivileged ?? true,
                template: convertLater ? false : isTemplate,
                // A provisioned template runs until it is set up and converted.
                started: convertLater ? true : runs,
                startOnBoot: runs,
                clone: args.cloneOf && { vmId: args.cloneOf.vmId, nodeName: args.node },
                // The provider reads Proxmox's `ostype` back into operating_system.type, and that block
                // forces replacement (bpg/terraform-provider-proxmox,
                // proxmoxtf/resource/container/container.go: the `operating_system` schema in
                // Container() is ForceNew; containerRead sets its type from the config's OSType).
                // A type other than the template's would replace the container on every update.
                // A clone's block stays unset: containerRead leaves it out for clones.
                operatingSystem: args.template === undefined ? undefined : { templateFileId: args.template, type: osType },
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
            {
                parent: this,
                ignoreChanges: [
                    // The template seeds the root disk at creation only (imageSeedsOnly); a linked
                    // clone of a template also needs the template's disk to stay.
                    ...(args.template === undefined ? [] : [imageSeedsOnly.container]),
                    // make-template.sh turns it into a stopped template; the provider reads that
                    // back, and `template` forces replacement (container.go, Container() schema):
                    // both are this component's doing, not drift.
                    ...(convertLater ? ["template", "started"] : []),
                    // test/providerTruth.ts, row "ContainerLegacy initialization.userAccount": keys are
                    // sent at creation only, never read back, and a change replaces the container.
                    ...(keysInPlace ? ["initialization.userAccount"] : []),
                ],
                ...(convertLater ? { replaceOnChanges: ["description"], deleteBeforeReplace: true } : {}),
            },
        );
        containers.set(this, container);
        if (keysInPlace) {
            remoteScript(
                `${name}-keys`,
                {
                    connection: args.nodeConnection!,
                    scriptPath: authorizedKeysScriptPath,
                    args: whenKnown({ vmId: args.vmId }, (v) => ["--vmid", String(v.vmId)]),
                    stdin: authorizedKeys(args.sshPublicKeys),
                },
                { parent: this, dependsOn: [container] },
            );
        }
        this.address = pulumi.output(n.address).apply((a) => a?.split("/")[0]);
        // The last step a clone must wait for: the container, its provisioning, or its conversion.
        let last: pulumi.Output<unknown> = container.vmId;
        if (spec !== undefined) {
            const create = pulumi.interpolate`pct exec ${args.vmId} -- sh -c ${shellQuote(fs.readFileSync(provisionScriptPath, "utf8"))} provision`;
            this.provisioned = new command.remote.Command(
                `${name}-provision`,
                {
                    connection: commandConnection(args.nodeConnection!),
                    create,
                    // provision.sh is idempotent: a changed spec (stdin) or script re-runs it.
                    update: create,
                    stdin: spec,
                    logging: "stdoutAndStderr",
                },
                { parent: this, dependsOn: [container] },
            );
            // Its URN: known even in a preview, and carrying the dependency on the step.
            last = this.provisioned.urn;
            if (convertLater) {
                const convert = remoteScript(
                    `${name}-template`,
                    { connection: args.nodeConnection!, scriptPath: makeTemplateScriptPath, args: ["--vmid", pulumi.output(args.vmId).apply(String)] },
                    { parent: this, dependsOn: [this.provisioned] },
                );
                last = convert.urn;
            }
        }
        // The id the container was created with (the state echoes it): a clone's input then waits
        // for it, and through `last` for the step that makes it ready.
        this.vmId = pulumi.all([container.vmId, args.vmId, last]).apply(([created, given]) => created ?? given);
        this.registerOutputs({ address: this.address, vmId: this.vmId });
    }
}

// proxmoxve is not a @pulumi package, so the multi-language schema cannot carry its resources:
// TypeScript reaches the container through a getter, kept here rather than in a field.
const containers = new WeakMap<LxcContainer, proxmoxve.ContainerLegacy>();

/** The stdin of authorized-keys.sh: one key a line. */
export function authorizedKeys(keys: pulumi.Input<pulumi.Input<string>[]>): pulumi.Input<string> {
    return whenKnown({ keys }, (v) => v.keys.map((k) => `${k.trim()}\n`).join(""));
}

/** A short digest of a provisioning spec, shown in a provisioned template's description. */
function digest(spec: string): string {
    return `sha256:${crypto.createHash("sha256").update(spec).digest("hex").slice(0, 16)}`;
}

/**
 * The one `initialization.ipConfigs` entry of a guest with static addresses: IPv4 and IPv6 each
 * when set (an IPv6-only guest has no IPv4 block). The same shape fits a ContainerLegacy and a VmLegacy.
 */
export function guestIpConfig(n: Pick<GuestNetworkArgs, "address" | "gateway" | "ipv6" | "ipv6Gateway">) {
    return {
        ipv4: n.address === undefined ? undefined : { address: n.address, gateway: n.gateway },
        ipv6: n.ipv6 ? { address: n.ipv6, gateway: n.ipv6Gateway } : undefined,
    };
}
