import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import * as docker from "@pulumi/docker";
import * as command from "@pulumi/command";
import { whenKnown } from "./inputs";
import { remoteScript } from "./remoteScript";
import { authorizedKeys, authorizedKeysScriptPath, guestIpConfig, LxcOsType, provisionScriptPath } from "./lxcContainer";
import { hasProvisioning, ProvisionArgs, provisionProblems, renderProvisionSpec } from "./provision";
import { installDockerArgs, renderDaemonJson } from "./dockerHost/daemonJson";
import { hostAddressProblem, overlaps, parseCidr, parseIpv4WithPrefix } from "./ip";
import { imageSeedsOnly } from "./proxmoxHost";

/** The node-side CIFS mount script beside this file. */
export const mountSharesScriptPath = path.join(__dirname, "dockerHost", "mount-shares.sh");
/** The node-side script that sets an LXC host's bind mounts and data volume size with `pct`. */
export const containerMountsScriptPath = path.join(__dirname, "dockerHost", "container-mounts.sh");
/** The Docker set-up script beside this file (its own tests live in dockerHost.install.test.ts). */
export const installDockerScriptPath = path.join(__dirname, "dockerHost", "install-docker.sh");

/** How a share is mounted. */
export const ShareProtocol = {
    /** SMB 3, with CIFS and the share's user and password. */
    smb: "smb",
    /** NFSv4 (a ShareServer's `nfs` shares). */
    nfs: "nfs",
} as const;
export type ShareProtocol = (typeof ShareProtocol)[keyof typeof ShareProtocol];

/** A share the apps on this host use: the NAS's, or one a guest serves (ShareServer). */
export interface ShareMountArgs {
    /** Share name on its server, e.g. `media`. Plain: it names the mount's resources. */
    share: string;
    /** Address (IP or name) of the server: the NAS, or the guest that serves the share. */
    server: pulumi.Input<string>;
    /** `smb` (CIFS, the default) or `nfs` (NFSv4). Plain: it decides what the mount needs. */
    protocol?: ShareProtocol;
    /** nfs: the exported directory on the server (`ShareServer.exportPaths`), e.g. /srv/shares/media. */
    exportPath?: pulumi.Input<string>;
    /** smb: the SMB user allowed on the share. */
    username?: pulumi.Input<string>;
    /** smb: that user's SMB password; sent to the mount script on stdin, made a secret here. */
    password?: pulumi.Input<string>;
    /** Path inside the Docker host where apps find the share. Defaults to `/mnt/<share>`. */
    path?: pulumi.Input<string>;
    /** smb: user id (inside the Docker host) that owns every file of the share. Defaults to 1000. (An NFS server decides its files' owner.) */
    uid?: pulumi.Input<number>;
    /** smb: group id (inside the Docker host) of every file of the share. Defaults to `uid`. */
    gid?: pulumi.Input<number>;
}

/** What a Docker host runs in. */
export const DockerHostKind = {
    /** An unprivileged LXC container. */
    lxc: "lxc",
    /** A VM, for apps that need their own kernel. */
    vm: "vm",
} as const;
export type DockerHostKind = (typeof DockerHostKind)[keyof typeof DockerHostKind];

/**
 * Args of a DockerHost. The proxmoxve provider comes through `opts.provider`/`opts.providers` (or
 * the parent); for `lxc` it must use a root@pam token: only root may set the keyctl feature and
 * bind mount points.
 */
export interface DockerHostArgs {
    /** `lxc`: an unprivileged container (default). `vm`: a VM, for apps that need their own kernel. Plain: it decides the guest's resource type. */
    kind?: DockerHostKind;
    /** Host name of the guest. Defaults to the component name. */
    hostname?: pulumi.Input<string>;
    /** Proxmox node the guest runs on. */
    nodeName: pulumi.Input<string>;
    /** Node management address: the share mounts of an LXC host are made there over SSH. */
    nodeAddress: pulumi.Input<string>;
    /** SSH user on the node. Defaults to root (only root may mount shares and set bind mounts). */
    nodeSshUser?: pulumi.Input<string>;
    /** Proxmox guest id. */
    vmId: pulumi.Input<number>;
    /** Template (lxc, `local:vztmpl/...`) or cloud image (vm, `local:iso/....img`) volume id, e.g. `ProxmoxHost.imageId()`. */
    imageId: pulumi.Input<string>;
    /**
     * The distribution of an `lxc` host's template (its `ostype`): `debian` or `ubuntu`, the ones
     * install-docker.sh sets up with apt ({@link dockerHostOsRule}). Defaults to debian.
     */
    osType?: pulumi.Input<LxcOsType>;
    /** Bridge of the guest's one NIC. Defaults to vmbr0. */
    bridge?: pulumi.Input<string>;
    /** 802.1Q tag of the NIC. Defaults to untagged. */
    vlanId?: pulumi.Input<number>;
    /** Static IPv4 address with prefix, e.g. `192.168.1.4/24`. */
    ipv4: pulumi.Input<string>;
    /** IPv4 default gateway. Omit on an isolated network. */
    gateway?: pulumi.Input<string>;
    /** Static global IPv6 address with prefix, e.g. `2001:db8::4/64`. Defaults to none. */
    ipv6?: pulumi.Input<string>;
    /** IPv6 default gateway, used only with `ipv6`. Defaults to none. */
    ipv6Gateway?: pulumi.Input<string>;
    /** DNS servers of the guest. Defaults to the node's (Proxmox copies the node's resolv.conf). */
    dnsServers?: pulumi.Input<pulumi.Input<string>[]>;
    /** CPU cores of the guest. */
    cores: pulumi.Input<number>;
    /** Memory of the guest in MB (an LXC host gets no swap). */
    memoryMb: pulumi.Input<number>;
    /** Datastore of the guest's disks. Defaults to local-lvm. */
    diskStorage?: pulumi.Input<string>;
    /** Root disk in GB. Defaults to 8. */
    rootDiskGb?: pulumi.Input<number>;
    /**
     * Disk for /var/lib/docker (images, containers, named volumes with the databases) in GB.
     * Defaults to 32. An LXC host gets it as a separate mount point that the nightly backup
     * includes; a VM host gets one disk of rootDiskGb + dataDiskGb, so that no code ever has to
     * partition or format a disk.
     */
    dataDiskGb?: pulumi.Input<number>;
    /** Proxmox start order. Defaults to 2: after the NAS (order 1), whose shares it mounts. */
    startupOrder?: pulumi.Input<number>;
    /** Public keys allowed to log in as root (at least one). */
    sshPublicKeys: pulumi.Input<pulumi.Input<string>[]>;
    /** Private key Pulumi uses to run the set-up scripts on the node and the guest; made a secret here. */
    sshPrivateKey: pulumi.Input<string>;
    /**
     * Private key FILE for the Docker provider's `ssh://` connection. The Docker provider runs
     * the `ssh` program and cannot take a key's text, so without this the operator's ssh-agent
     * (or ~/.ssh/config) must offer the admin key. Defaults to none.
     */
    sshIdentityFile?: pulumi.Input<string>;
    /** The internal network every app on this host joins. Defaults to 10.10.10.0/24. */
    appNetwork?: pulumi.Input<string>;
    /** Docker's name of that network. Defaults to `<name>-apps`. */
    appNetworkName?: pulumi.Input<string>;
    /**
     * The range Docker carves networks without an explicit subnet from (each app's private
     * database network), in /24 pieces. It must not overlap `appNetwork` or any LAN network.
     * Defaults to 172.18.0.0/16, inside Docker's own default ranges.
     */
    internalPool?: pulumi.Input<string>;
    /**
     * Packages, files and commands the host is set up with once Docker is (components/provision.ts),
     * again whenever they change: `lxcContainer/provision.sh` runs inside the host, through
     * `pct exec` from the node for an `lxc` host and over SSH for a `vm`. The Docker provider, and
     * so every app, waits for it. Defaults to nothing.
     */
    provision?: ProvisionArgs;
    /** Shares the apps use. Defaults to none. */
    mounts?: ShareMountArgs[];
    /**
     * What the share mounts wait for: the servers' set-up (`NasVm.samba`, `ShareServer.ready`).
     * Explicit, because a component's own `dependsOn` does not reach its children's
     * registrations. Defaults to none.
     */
    mountsAfter?: command.remote.Command[];
    /** First host uid of the unprivileged container's id map. Defaults to Proxmox's 100000. */
    idmapBase?: pulumi.Input<number>;
}

const defaultAppNetwork = "10.10.10.0/24";
export const defaultInternalPool = "172.18.0.0/16";
const defaultIdmapBase = 100000;

/**
 * Why `cidr` is too small for the apps' Docker network (undefined when it is not): Docker takes
 * the first host address as the gateway, so a /31 or /32 leaves no address for a container, and
 * anything past /28 leaves room for a dozen at most. The one rule: DockerHost and config
 * validation both call it.
 */
export function appNetworkSizeProblem(cidr: string): string | undefined {
    const prefix = Number(cidr.split("/")[1]);
    return prefix > 28 ? `/${prefix} holds ${Math.max(0, 2 ** (32 - prefix) - 3)} container addresses besides Docker's gateway: use a /24 such as 10.10.10.0/24 (at most /28)` : undefined;
}

/**
 * A Docker Engine on Proxmox: an unprivileged LXC container (nesting + keyctl, the way Docker runs
 * in LXC) or a VM, Docker installed over SSH, a Docker provider that reaches it over SSH, and the
 * internal network its apps share.
 *
 * NAS shares and an LXC host: the share is mounted with CIFS on the Proxmox NODE (an fstab entry
 * and a root-only credentials file, written by mount-shares.sh over SSH), owned by the container's
 * mapped id (host uid 100000 + uid), and bind-mounted into the container as a mount point. The
 * container stays unprivileged with no extra mount rights. The price: only root@pam may set bind
 * mount points, so `provider` must carry a root@pam token. The alternative, mounting inside the
 * container, needs a privileged container or the `mount=cifs` feature, both of which hand the
 * container kernel-level mount rights and weaken the isolation the LXC is there for.
 * A VM host mounts its shares itself with the same script. An NFS share of a guest (ShareServer)
 * is mounted the same way, with NFSv4: on the node for an LXC host (so the node's address must be
 * on the export's clients), in the VM for a VM host.
 */
export class DockerHost extends pulumi.ComponentResource {
    /** The guest's IPv4 address (no prefix): SSH, the Docker API and published ports. */
    readonly address: pulumi.Output<string>;
    /** Host name of the guest. */
    readonly hostname: pulumi.Output<string>;
    /** The Docker set-up command; the provider waits for it. */
    readonly install: command.remote.Command;
    /** Docker provider for everything that runs on this host. */
    readonly provider: docker.Provider;
    /** The internal network every app joins. */
    readonly appNetwork: docker.Network;
    /** Where each mounted share is inside the host, by share name. */
    readonly sharePaths: Record<string, pulumi.Output<string>>;
    /**
     * What a container using a share must wait for, by share name: the share mounted and visible
     * inside the host. Nothing else on the host waits for the NAS.
     */
    readonly shareReady: Record<string, command.remote.Command>;
    /** The `ssh://` URL of the Docker API, and the ssh options: for providers with registry credentials. */
    readonly dockerHostUrl: pulumi.Output<string>;
    /** The ssh options of the Docker provider. */
    readonly sshOpts: pulumi.Output<string[]>;

    /** The guest: a ContainerLegacy (lxc) or VmLegacy (vm). A getter: proxmoxve resources are not in the multi-language schema. */
    get guest(): proxmoxve.ContainerLegacy | proxmoxve.VmLegacy {
        return guests.get(this)!;
    }

    constructor(name: string, args: DockerHostArgs, opts?: pulumi.ComponentResourceOptions) {
        const kind = args.kind ?? DockerHostKind.lxc;
        const hostname = args.hostname ?? name;
        // Checked now when plain (before anything is registered), else once known.
        const address = whenKnown({ ipv4: args.ipv4, gateway: args.gateway }, ({ ipv4, gateway }) => {
            const parsed = parseIpv4WithPrefix(ipv4);
            if (parsed === undefined) {
                throw new Error(`DockerHost ${name}: ipv4 must be an address with prefix such as 192.168.1.4/24, got "${ipv4}"`);
            }
            const problem = hostAddressProblem(parsed.address, { cidr: parsed.net, text: parsed.netText, name: "its network", gateway });
            if (problem !== undefined) {
                throw new Error(`DockerHost ${name}: ipv4 ${problem}`);
            }
            return parsed.address;
        });
        const ipv6 = args.ipv6 === undefined ? undefined : whenKnown({ ipv6: args.ipv6 }, ({ ipv6 }) => {
            if (!/^[0-9a-fA-F:]+\/\d{1,3}$/.test(ipv6)) {
                throw new Error(`DockerHost ${name}: ipv6 must be an address with prefix such as 2001:db8::4/64, got "${ipv6}"`);
            }
            return ipv6;
        });
        const sshPublicKeys = whenKnown({ keys: args.sshPublicKeys }, ({ keys }) => {
            if (keys.length === 0) {
                throw new Error(`DockerHost ${name}: sshPublicKeys must hold at least one key, or Pulumi could not set the host up`);
            }
            return keys;
        });
        const osType = whenKnown({ osType: args.osType ?? "debian" }, (v) => {
            const osProblem = kind === DockerHostKind.lxc ? dockerHostOsRule(v.osType) : undefined;
            if (osProblem !== undefined) {
                throw new Error(`DockerHost ${name}: osType ${osProblem}`);
            }
            return v.osType;
        });
        // A VM host runs the Debian cloud image, set up with apt as a `debian` guest is. The plain
        // values are checked now, beside Outputs too; all of them rendered (and checked) once known.
        const provisionOs = kind === DockerHostKind.lxc ? osType : "debian";
        const provisionProblem = hasProvisioning(args.provision) ? provisionProblems(args.provision, typeof provisionOs === "string" ? provisionOs : undefined)[0] : undefined;
        if (provisionProblem !== undefined) {
            throw new Error(`DockerHost ${name}: provision.${provisionProblem.field}: ${provisionProblem.message}`);
        }
        const provisionSpec = hasProvisioning(args.provision)
            ? whenKnown({ os: provisionOs, provision: args.provision }, (v) => {
                  try {
                      return renderProvisionSpec(v.os, v.provision);
                  } catch (e) {
                      throw new Error(`DockerHost ${name}: ${(e as Error).message}`);
                  }
              })
            : undefined;
        const mounts = args.mounts ?? [];
        const seen = new Set<string>();
        const sharePaths: Record<string, pulumi.Input<string>> = {};
        for (const m of mounts) {
            if (seen.has(m.share)) {
                throw new Error(`DockerHost ${name}: share '${m.share}' is mounted twice: list each share once in mounts`);
            }
            seen.add(m.share);
            const protocol = m.protocol ?? "smb";
            if (protocol === "smb" ? m.username === undefined || m.password === undefined || m.exportPath !== undefined : m.exportPath === undefined || m.username !== undefined || m.password !== undefined || m.uid !== undefined || m.gid !== undefined) {
                throw new Error(
                    protocol === "smb"
                        ? `DockerHost ${name}: SMB share '${m.share}' needs username and password (and no exportPath)`
                        : `DockerHost ${name}: NFS share '${m.share}' needs exportPath, and takes no username, password, uid or gid (the server decides the files' owner)`,
                );
            }
            sharePaths[m.share] = whenKnown({ path: m.path ?? `/mnt/${m.share}` }, ({ path }) => {
                if (!/^(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$/.test(path)) {
                    throw new Error(`DockerHost ${name}: mount path of share '${m.share}' must be an absolute path of plain names, got "${path}"`);
                }
                return path;
            });
        }
        const appNetwork = args.appNetwork ?? defaultAppNetwork;
        const internalPool = args.internalPool ?? defaultInternalPool;
        const docker_ = whenKnown({ appNetwork, internalPool }, (v) => {
            const appNet = parseCidr(v.appNetwork);
            if (appNet?.version !== 4) {
                throw new Error(`DockerHost ${name}: appNetwork must be an IPv4 network with its host bits zero, such as 10.10.10.0/24, got "${v.appNetwork}"`);
            }
            const sizeProblem = appNetworkSizeProblem(v.appNetwork);
            if (sizeProblem !== undefined) {
                throw new Error(`DockerHost ${name}: appNetwork ${sizeProblem}`);
            }
            // A pool that does not parse is refused just below, by installDockerArgs.
            const pool = parseCidr(v.internalPool);
            if (pool !== undefined && overlaps(appNet, pool)) {
                throw new Error(`DockerHost ${name}: internalPool ${v.internalPool} overlaps appNetwork ${v.appNetwork}: choose ranges apart`);
            }
            // Fails early, with the field named, on a pool the script would refuse.
            return { installArgs: installDockerArgs({ addressPool: v.internalPool }), daemonJson: renderDaemonJson({ addressPool: v.internalPool }) };
        });
        // Registered only now: bad args above leave nothing in the stack.
        super("homelab:index:DockerHost", name, {}, opts);
        const idmapBase = args.idmapBase ?? defaultIdmapBase;
        const diskStorage = args.diskStorage ?? "local-lvm";
        const rootDiskGb = args.rootDiskGb ?? 8;
        const dataDiskGb = args.dataDiskGb ?? 32;
        const startup = { order: args.startupOrder ?? 2 };
        const guestConnection = { host: address, user: "root", privateKey: args.sshPrivateKey };
        const ipConfig = guestIpConfig({ address: args.ipv4, gateway: args.gateway, ipv6, ipv6Gateway: args.ipv6Gateway });

        // The two stdin lines mount-shares.sh reads (SMB only: an NFS mount has no secret).
        const credentials = (m: ShareMountArgs) => (m.protocol === "nfs" ? undefined : pulumi.secret(pulumi.interpolate`${m.username}\n${m.password}\n`));
        const mountArgs = (m: ShareMountArgs, target: pulumi.Input<string>, base: pulumi.Input<number>) =>
            m.protocol === "nfs"
                ? whenKnown({ hostname, server: m.server, target, exportPath: m.exportPath! }, (v) => [
                      "--type", "nfs",
                      "--name", `${v.hostname}-${m.share}`,
                      "--server", v.server,
                      "--export", v.exportPath,
                      "--target", v.target,
                  ])
                : whenKnown({ hostname, server: m.server, target, base, uid: m.uid ?? 1000, gid: m.gid ?? m.uid ?? 1000 }, (v) => [
                      "--name", `${v.hostname}-${m.share}`,
                      "--server", v.server,
                      "--share", m.share,
                      "--target", v.target,
                      "--uid", String(v.base + v.uid),
                      "--gid", String(v.base + v.gid),
                  ]);
        const nodePath = (share?: string) => whenKnown({ hostname }, (v) => nodeMountPath(v.hostname, share));

        const shareReady: Record<string, command.remote.Command> = {};
        let guest: proxmoxve.ContainerLegacy | proxmoxve.VmLegacy;
        const nodeConnection = { host: args.nodeAddress, user: args.nodeSshUser ?? "root", privateKey: args.sshPrivateKey };
        // An LXC host's keys after creation: written by authorized-keys.sh (below).
        let keys: command.remote.Command | undefined;
        if (kind === DockerHostKind.lxc) {
            // The CIFS mounts on the node wait for Samba; the container does not wait for them: its
            // bind mounts are set afterwards by container-mounts.sh. While a share is not mounted,
            // mount-shares.sh keeps its directory immutable, so nothing writes there meanwhile.
            const nodeMounts = mounts.map((m) =>
                remoteScript(
                    `${name}-mount-${m.share}`,
                    {
                        connection: nodeConnection,
                        scriptPath: mountSharesScriptPath,
                        args: mountArgs(m, nodePath(m.share), idmapBase),
                        stdin: credentials(m),
                    },
                    { parent: this, dependsOn: args.mountsAfter ?? [] },
                ),
            );
            guest = new proxmoxve.ContainerLegacy(
                name,
                {
                    nodeName: args.nodeName,
                    vmId: args.vmId,
                    description: "Docker host (managed by Pulumi, homelab)",
                    unprivileged: true,
                    // Docker in LXC: nesting for its own namespaces and /proc, keyctl for the
                    // kernel keyring that runc uses in an unprivileged container.
                    features: { nesting: true, keyctl: true },
                    // The template's own type: the provider reads it back, and a different one would
                    // force a replacement (see LxcContainer's operatingSystem).
                    operatingSystem: { templateFileId: args.imageId, type: osType },
                    cpu: { cores: args.cores },
                    memory: { dedicated: args.memoryMb, swap: 0 },
                    disk: { datastoreId: diskStorage, size: rootDiskGb },
                    // A volume of its own, in the nightly backup: the databases' named volumes live here.
                    // Only at creation: later changes of it and the share bind mounts are made in place
                    // by container-mounts.sh (below).
                    mountPoints: [{ volume: diskStorage, size: pulumi.interpolate`${dataDiskGb}G`, path: "/var/lib/docker", backup: true }],
                    networkInterfaces: [{ name: "eth0", bridge: args.bridge ?? "vmbr0", vlanId: args.vlanId, firewall: true }],
                    initialization: {
                        hostname,
                        ipConfigs: [ipConfig],
                        dns: args.dnsServers ? { servers: args.dnsServers } : undefined,
                        userAccount: { keys: sshPublicKeys },
                    },
                    startOnBoot: true,
                    started: true,
                    startup,
                },
                {
                    parent: this,
                    // test/providerTruth.ts, row "ContainerLegacy mountPoints": the provider reads back
                    // every mpN of the container (so also the bind mounts set by container-mounts.sh) and
                    // replaces the container on any difference. Replacing would wipe /var/lib/docker.
                    // Row "ContainerLegacy initialization.userAccount": the keys are sent at creation
                    // only and never read back, yet a change of them replaces the container; later
                    // keys are written by authorized-keys.sh (below). The template seeds the root disk
                    // at creation only (imageSeedsOnly).
                    ignoreChanges: ["mountPoints", "initialization.userAccount", imageSeedsOnly.container],
                },
            );
            keys = remoteScript(
                `${name}-keys`,
                {
                    connection: nodeConnection,
                    scriptPath: authorizedKeysScriptPath,
                    args: whenKnown({ vmId: args.vmId }, (v) => ["--vmid", String(v.vmId)]),
                    stdin: authorizedKeys(sshPublicKeys),
                },
                { parent: this, dependsOn: [guest] },
            );
            // One step for all mounts: it allocates mpN slots, which parallel steps would race for.
            // Its arguments are sorted, so reordering the mounts in config does not re-run it.
            const binds = [...mounts].sort((a, b) => a.share.localeCompare(b.share));
            const containerMounts = remoteScript(
                `${name}-mounts`,
                {
                    connection: nodeConnection,
                    scriptPath: containerMountsScriptPath,
                    args: whenKnown(
                        { vmId: args.vmId, managed: nodePath(), dataDiskGb, binds: binds.map((m) => ({ from: nodePath(m.share), to: sharePaths[m.share] })) },
                        (v) => ["--vmid", String(v.vmId), "--managed", v.managed, "--data-gb", String(v.dataDiskGb), ...v.binds.flatMap((b) => ["--bind", `${b.from}:${b.to}`])],
                    ),
                },
                { parent: this, dependsOn: [guest, ...nodeMounts] },
            );
            for (const m of mounts) {
                shareReady[m.share] = containerMounts;
            }
        } else {
            guest = new proxmoxve.VmLegacy(
                name,
                {
                    nodeName: args.nodeName,
                    vmId: args.vmId,
                    name: hostname,
                    description: "Docker host (managed by Pulumi, homelab)",
                    cpu: { cores: args.cores, type: "x86-64-v2-AES" },
                    memory: { dedicated: args.memoryMb },
                    // The Debian cloud image has no guest agent: the address is static, so nothing waits for one.
                    agent: { enabled: false },
                    operatingSystem: { type: "l26" },
                    scsiHardware: "virtio-scsi-single",
                    disks: [
                        {
                            interface: "scsi0",
                            datastoreId: diskStorage,
                            fileId: args.imageId,
                            size: whenKnown({ rootDiskGb, dataDiskGb }, (v) => v.rootDiskGb + v.dataDiskGb),
                            discard: "on",
                            iothread: true,
                        },
                    ],
                    // The cloud image's console is the serial port.
                    serialDevices: [{ device: "socket" }],
                    networkDevices: [{ bridge: args.bridge ?? "vmbr0", vlanId: args.vlanId, model: "virtio", firewall: true }],
                    initialization: {
                        datastoreId: diskStorage,
                        ipConfigs: [ipConfig],
                        dns: args.dnsServers ? { servers: args.dnsServers } : undefined,
                        // cloud-init leaves root's keys usable when root is the configured user.
                        userAccount: { username: "root", keys: sshPublicKeys },
                    },
                    onBoot: true,
                    started: true,
                    startup,
                },
                // The cloud image seeds the disk at creation only: /var/lib/docker lives on it.
                { parent: this, ignoreChanges: [imageSeedsOnly.vm] },
            );
            for (const m of mounts) {
                shareReady[m.share] = remoteScript(
                    `${name}-mount-${m.share}`,
                    {
                        connection: guestConnection,
                        scriptPath: mountSharesScriptPath,
                        // A VM has no id map: the ids are the VM's own.
                        args: mountArgs(m, sharePaths[m.share], 0),
                        stdin: credentials(m),
                    },
                    { parent: this, dependsOn: [guest, ...(args.mountsAfter ?? [])] },
                );
            }
        }
        guests.set(this, guest);

        this.shareReady = shareReady;
        const setup = pulumi.output(docker_);
        // An LXC host is set up from its node with `pct exec`: no login into it is needed, so the
        // set-up does not wait for its keys, which are rotated in place (authorized-keys.sh).
        const inside = kind === DockerHostKind.lxc ? { connection: nodeConnection, inContainer: args.vmId } : { connection: guestConnection };
        this.install = remoteScript(
            `${name}-docker`,
            {
                ...inside,
                scriptPath: installDockerScriptPath,
                args: setup.installArgs,
                // daemon.json is what the script writes: showing it in the plan explains a re-run.
                triggers: [setup.daemonJson],
            },
            { parent: this, dependsOn: [guest] },
        );
        const provisioned =
            provisionSpec === undefined
                ? undefined
                : remoteScript(`${name}-provision`, { ...inside, scriptPath: provisionScriptPath, stdin: provisionSpec }, { parent: this, dependsOn: [this.install] });

        this.dockerHostUrl = pulumi.interpolate`ssh://root@${address}`;
        this.sshOpts = pulumi.output(whenKnown({ file: args.sshIdentityFile }, (v) => sshOptions(v.file)));
        this.provider = new docker.Provider(
            name,
            { host: this.dockerHostUrl, sshOpts: this.sshOpts },
            // The provider logs in over SSH: with the host's keys in place.
            { parent: this, dependsOn: [this.install, ...(provisioned ? [provisioned] : []), ...(keys ? [keys] : [])] },
        );
        this.appNetwork = new docker.Network(
            `${name}-apps`,
            {
                name: args.appNetworkName ?? `${name}-apps`,
                driver: "bridge",
                ipamConfigs: [{ subnet: appNetwork }],
                // Apps reach the internet (updates, ACME, mail); the LAN reaches them only through
                // the proxy, the one container that publishes 80/443.
                internal: false,
            },
            { parent: this, provider: this.provider },
        );

        this.address = pulumi.output(address);
        this.hostname = pulumi.output(hostname);
        this.sharePaths = Object.fromEntries(Object.entries(sharePaths).map(([k, v]) => [k, pulumi.output(v)]));
        this.registerOutputs({ address: this.address, hostname: this.hostname, sharePaths: this.sharePaths, appNetwork: this.appNetwork.name });
    }
}

// proxmoxve is not a @pulumi package, so the multi-language schema cannot carry its resources:
// TypeScript reaches the guest through a getter, kept here rather than in a field.
const guests = new WeakMap<DockerHost, proxmoxve.ContainerLegacy | proxmoxve.VmLegacy>();

/** Distributions install-docker.sh sets Docker up on (it installs Debian's packages with apt). */
export const dockerHostOsTypes: readonly LxcOsType[] = ["debian", "ubuntu"];

/** What is wrong with an LXC Docker host of this distribution, or undefined when it is supported. */
export function dockerHostOsRule(osType: string): string | undefined {
    return dockerHostOsTypes.includes(osType as LxcOsType)
        ? undefined
        : `'${osType}' is not supported: install-docker.sh sets Docker up with apt, so use a ${dockerHostOsTypes.join(" or ")} template`;
}

/** Where an LXC host's share is mounted on the node (without `share`: the host's directory of them), before the bind mount into the container. */
export function nodeMountPath(hostname: string, share?: string): string {
    return share === undefined ? `/mnt/homelab/${hostname}` : `/mnt/homelab/${hostname}/${share}`;
}

/** ssh options for the Docker provider: never prompt, pin a new guest's host key on first use. */
export function sshOptions(identityFile?: string): string[] {
    return [
        "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=accept-new",
        ...(identityFile !== undefined ? ["-i", identityFile, "-o", "IdentitiesOnly=yes"] : []),
    ];
}
