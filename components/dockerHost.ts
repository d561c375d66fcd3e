import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import * as docker from "@pulumi/docker";
import { remoteScript } from "./remoteScript";
import { guestIpConfig, LxcOsType } from "./lxcContainer";
import { installDockerArgs, renderDaemonJson } from "./dockerHost/daemonJson";
import { overlaps, parseCidr } from "../stacks/ip";

/** The node-side CIFS mount script beside this file. */
export const mountSharesScriptPath = path.join(__dirname, "dockerHost", "mount-shares.sh");
/** The node-side script that sets an LXC host's bind mounts and data volume size with `pct`. */
export const containerMountsScriptPath = path.join(__dirname, "dockerHost", "container-mounts.sh");
/** The Docker set-up script beside this file (its own tests live in dockerHost.install.test.ts). */
export const installDockerScriptPath = path.join(__dirname, "dockerHost", "install-docker.sh");

/** A NAS share the apps on this host use. */
export interface ShareMountArgs {
    /** Share name on the NAS, e.g. `media`. */
    share: string;
    /** NAS address (IP or name) that serves the share. Plain: it is an argument of the mount script. */
    server: string;
    /** SMB user allowed on the share. */
    username: string;
    /** That user's SMB password; sent to the mount script on stdin. */
    password: pulumi.Input<string>;
    /** Path inside the Docker host where apps find the share. Defaults to `/mnt/<share>`. */
    path?: string;
    /** User id (inside the Docker host) that owns every file of the share. Defaults to 1000. */
    uid?: number;
    /** Group id (inside the Docker host) of every file of the share. Defaults to `uid`. */
    gid?: number;
}

export interface DockerHostArgs {
    /** `lxc`: an unprivileged container (default). `vm`: a VM, for apps that need their own kernel. */
    kind?: "lxc" | "vm";
    /** Host name of the guest. Defaults to the component name. */
    hostname?: string;
    /** Proxmox node the guest runs on. */
    nodeName: string;
    /** Node management address: the share mounts of an LXC host are made there over SSH. */
    nodeAddress: pulumi.Input<string>;
    /** SSH user on the node. Defaults to root (only root may mount shares and set bind mounts). */
    nodeSshUser?: string;
    /** Proxmox guest id. */
    vmId: number;
    /**
     * The proxmoxve provider. For `lxc` it must use a root@pam token: only root may set the
     * keyctl feature and bind mount points.
     */
    provider: proxmoxve.Provider;
    /** Template (lxc, `local:vztmpl/...`) or cloud image (vm, `local:iso/....img`) volume id, e.g. `ProxmoxHost.imageId()`. */
    imageId: pulumi.Input<string>;
    /**
     * The distribution of an `lxc` host's template (its `ostype`): `debian` or `ubuntu`, the ones
     * install-docker.sh sets up with apt ({@link dockerHostOsRule}). Defaults to debian.
     */
    osType?: LxcOsType;
    /** Bridge of the guest's one NIC. Defaults to vmbr0. */
    bridge?: string;
    /** 802.1Q tag of the NIC. Defaults to untagged. */
    vlanId?: number;
    /** Static IPv4 address with prefix, e.g. `192.168.1.4/24`. */
    ipv4: string;
    /** IPv4 default gateway. Omit on an isolated network. */
    gateway?: string;
    /** Static global IPv6 address with prefix, e.g. `2001:db8::4/64`. */
    ipv6?: string;
    /** IPv6 default gateway, used only with `ipv6`. Defaults to none. */
    ipv6Gateway?: string;
    /** DNS servers of the guest. Defaults to the node's (Proxmox copies the node's resolv.conf). */
    dnsServers?: string[];
    /** CPU cores of the guest. */
    cores: number;
    /** Memory of the guest in MB (an LXC host gets no swap). */
    memoryMb: number;
    /** Datastore of the guest's disks. Defaults to local-lvm. */
    diskStorage?: string;
    /** Root disk in GB. Defaults to 8. */
    rootDiskGb?: number;
    /**
     * Disk for /var/lib/docker (images, containers, named volumes with the databases) in GB.
     * Defaults to 32. An LXC host gets it as a separate mount point that the nightly backup
     * includes; a VM host gets one disk of rootDiskGb + dataDiskGb, so that no code ever has to
     * partition or format a disk.
     */
    dataDiskGb?: number;
    /** Proxmox start order. Defaults to 2: after the NAS (order 1), whose shares it mounts. */
    startupOrder?: number;
    /** Public keys allowed to log in as root. */
    sshPublicKeys: string[];
    /** Private key Pulumi uses to run the set-up scripts on the node and the guest. */
    sshPrivateKey: pulumi.Input<string>;
    /**
     * Private key FILE for the Docker provider's `ssh://` connection. The Docker provider runs
     * the `ssh` program and cannot take a key's text, so without this the operator's ssh-agent
     * (or ~/.ssh/config) must offer the admin key. Defaults to none.
     */
    sshIdentityFile?: string;
    /** The internal network every app on this host joins. Defaults to 10.10.10.0/24. */
    appNetwork?: string;
    /**
     * The range Docker carves networks without an explicit subnet from (each app's private
     * database network), in /24 pieces. It must not overlap `appNetwork` or any LAN network.
     * Defaults to 172.18.0.0/16, inside Docker's own default ranges.
     */
    internalPool?: string;
    /** NAS shares the apps use. */
    mounts?: ShareMountArgs[];
    /**
     * What the share mounts wait for: the NAS's Samba set-up (`NasVm.samba`). Explicit, because a
     * component's own `dependsOn` does not reach its children's registrations. Defaults to none.
     */
    mountsAfter?: pulumi.Resource[];
    /** First host uid of the unprivileged container's id map. Defaults to Proxmox's 100000. */
    idmapBase?: number;
}

const defaultAppNetwork = "10.10.10.0/24";
export const defaultInternalPool = "172.18.0.0/16";
const defaultIdmapBase = 100000;

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
 * A VM host mounts its shares itself with the same script.
 */
export class DockerHost extends pulumi.ComponentResource {
    /** The guest's IPv4 address (no prefix): SSH, the Docker API and published ports. */
    readonly address: string;
    readonly hostname: string;
    /** The guest: a ContainerLegacy (lxc) or VmLegacy (vm). */
    readonly guest: proxmoxve.ContainerLegacy | proxmoxve.VmLegacy;
    /** The Docker set-up command; the provider waits for it. */
    readonly install: pulumi.Resource;
    /** Docker provider for everything that runs on this host. */
    readonly provider: docker.Provider;
    /** The internal network every app joins (name `apps`). */
    readonly appNetwork: docker.Network;
    /** Where each mounted share is inside the host, by share name. */
    readonly sharePaths: Record<string, string>;
    /**
     * What a container using a share must wait for, by share name: the share mounted and visible
     * inside the host. Nothing else on the host waits for the NAS.
     */
    readonly shareReady: Record<string, pulumi.Resource>;
    /** The `ssh://` URL of the Docker API, and the ssh options: for providers with registry credentials. */
    readonly dockerHostUrl: string;
    readonly sshOpts: string[];

    constructor(name: string, args: DockerHostArgs, opts?: pulumi.ComponentResourceOptions) {
        const kind = args.kind ?? "lxc";
        const hostname = args.hostname ?? name;
        const address = args.ipv4.split("/")[0];
        if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(args.ipv4)) {
            throw new Error(`DockerHost ${name}: ipv4 must be an address with prefix such as 192.168.1.4/24, got "${args.ipv4}"`);
        }
        if (args.ipv6 !== undefined && !/^[0-9a-fA-F:]+\/\d{1,3}$/.test(args.ipv6)) {
            throw new Error(`DockerHost ${name}: ipv6 must be an address with prefix such as 2001:db8::4/64, got "${args.ipv6}"`);
        }
        if (args.sshPublicKeys.length === 0) {
            throw new Error(`DockerHost ${name}: sshPublicKeys must hold at least one key, or Pulumi could not set the host up`);
        }
        const osProblem = kind === "lxc" ? dockerHostOsRule(args.osType ?? "debian") : undefined;
        if (osProblem !== undefined) {
            throw new Error(`DockerHost ${name}: osType ${osProblem}`);
        }
        const mounts = args.mounts ?? [];
        const seen = new Set<string>();
        for (const m of mounts) {
            if (seen.has(m.share)) {
                throw new Error(`DockerHost ${name}: share '${m.share}' is mounted twice: list each share once in mounts`);
            }
            seen.add(m.share);
            if (m.path !== undefined && !/^(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$/.test(m.path)) {
                throw new Error(`DockerHost ${name}: mount path of share '${m.share}' must be an absolute path of plain names, got "${m.path}"`);
            }
        }
        const appNetwork = args.appNetwork ?? defaultAppNetwork;
        const appNet = parseCidr(appNetwork);
        if (appNet?.version !== 4) {
            throw new Error(`DockerHost ${name}: appNetwork must be an IPv4 network with its host bits zero, such as 10.10.10.0/24, got "${appNetwork}"`);
        }
        const internalPool = args.internalPool ?? defaultInternalPool;
        // A pool that does not parse is refused just below, by installDockerArgs.
        const pool = parseCidr(internalPool);
        if (pool !== undefined && overlaps(appNet, pool)) {
            throw new Error(`DockerHost ${name}: internalPool ${internalPool} overlaps appNetwork ${appNetwork}: choose ranges apart`);
        }
        // Fails early, with the field named, on a pool the script would refuse.
        const installArgs = installDockerArgs({ addressPool: internalPool });
        const daemonJson = renderDaemonJson({ addressPool: internalPool });
        // Registered only now: bad args above leave nothing in the stack.
        super("homelab:index:DockerHost", name, {}, opts);
        const idmapBase = args.idmapBase ?? defaultIdmapBase;
        const diskStorage = args.diskStorage ?? "local-lvm";
        const rootDiskGb = args.rootDiskGb ?? 8;
        const dataDiskGb = args.dataDiskGb ?? 32;
        const startup = { order: args.startupOrder ?? 2 };
        const guestConnection = { host: address, user: "root", privateKey: args.sshPrivateKey };
        const ipConfig = guestIpConfig({ address: args.ipv4, gateway: args.gateway, ipv6: args.ipv6, ipv6Gateway: args.ipv6Gateway });

        this.sharePaths = Object.fromEntries(mounts.map((m) => [m.share, m.path ?? `/mnt/${m.share}`]));
        // The two stdin lines mount-shares.sh reads.
        const credentials = (m: ShareMountArgs) => pulumi.secret(pulumi.interpolate`${m.username}\n${m.password}\n`);
        const mountArgs = (m: ShareMountArgs, target: string, base: number) => [
            "--name", `${hostname}-${m.share}`,
            "--server", m.server,
            "--share", m.share,
            "--target", target,
            "--uid", String(base + (m.uid ?? 1000)),
            "--gid", String(base + (m.gid ?? m.uid ?? 1000)),
        ];

        const shareReady: Record<string, pulumi.Resource> = {};
        if (kind === "lxc") {
            // The CIFS mounts on the node wait for Samba; the container does not wait for them: its
            // bind mounts are set afterwards by container-mounts.sh. While a share is not mounted,
            // mount-shares.sh keeps its directory immutable, so nothing writes there meanwhile.
            const nodeConnection = { host: args.nodeAddress, user: args.nodeSshUser ?? "root", privateKey: args.sshPrivateKey };
            const nodeMounts = mounts.map((m) =>
                remoteScript(
                    `${name}-mount-${m.share}`,
                    {
                        connection: nodeConnection,
                        scriptPath: mountSharesScriptPath,
                        args: mountArgs(m, nodeMountPath(hostname, m.share), idmapBase),
                        stdin: credentials(m),
                    },
                    { parent: this, dependsOn: args.mountsAfter ?? [] },
                ),
            );
            this.guest = new proxmoxve.ContainerLegacy(
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
                    operatingSystem: { templateFileId: args.imageId, type: args.osType ?? "debian" },
                    cpu: { cores: args.cores },
                    memory: { dedicated: args.memoryMb, swap: 0 },
                    disk: { datastoreId: diskStorage, size: rootDiskGb },
                    // A volume of its own, in the nightly backup: the databases' named volumes live here.
                    // Only at creation: later changes of it and the share bind mounts are made in place
                    // by container-mounts.sh (below).
                    mountPoints: [{ volume: diskStorage, size: `${dataDiskGb}G`, path: "/var/lib/docker", backup: true }],
                    networkInterfaces: [{ name: "eth0", bridge: args.bridge ?? "vmbr0", vlanId: args.vlanId, firewall: true }],
                    initialization: {
                        hostname,
                        ipConfigs: [ipConfig],
                        dns: args.dnsServers ? { servers: args.dnsServers } : undefined,
                        userAccount: { keys: args.sshPublicKeys },
                    },
                    startOnBoot: true,
                    started: true,
                    startup,
                },
                {
                    parent: this,
                    provider: args.provider,
                    // test/providerTruth.ts, row "ContainerLegacy mountPoints": the provider reads back
                    // every mpN of the container (so also the bind mounts set by container-mounts.sh) and
                    // replaces the container on any difference. Replacing would wipe /var/lib/docker.
                    ignoreChanges: ["mountPoints"],
                },
            );
            // One step for all mounts: it allocates mpN slots, which parallel steps would race for.
            // Its arguments are sorted, so reordering the mounts in config does not re-run it.
            const binds = [...mounts]
                .sort((a, b) => a.share.localeCompare(b.share))
                .flatMap((m) => ["--bind", `${nodeMountPath(hostname, m.share)}:${this.sharePaths[m.share]}`]);
            const containerMounts = remoteScript(
                `${name}-mounts`,
                {
                    connection: nodeConnection,
                    scriptPath: containerMountsScriptPath,
                    args: ["--vmid", String(args.vmId), "--managed", nodeMountPath(hostname), "--data-gb", String(dataDiskGb), ...binds],
                },
                { parent: this, dependsOn: [this.guest, ...nodeMounts] },
            );
            for (const m of mounts) {
                shareReady[m.share] = containerMounts;
            }
        } else {
            this.guest = new proxmoxve.VmLegacy(
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
                    disks: [{ interface: "scsi0", datastoreId: diskStorage, fileId: args.imageId, size: rootDiskGb + dataDiskGb, discard: "on", iothread: true }],
                    // The cloud image's console is the serial port.
                    serialDevices: [{ device: "socket" }],
                    networkDevices: [{ bridge: args.bridge ?? "vmbr0", vlanId: args.vlanId, model: "virtio", firewall: true }],
                    initialization: {
                        datastoreId: diskStorage,
                        ipConfigs: [ipConfig],
                        dns: args.dnsServers ? { servers: args.dnsServers } : undefined,
                        // cloud-init leaves root's keys usable when root is the configured user.
                        userAccount: { username: "root", keys: args.sshPublicKeys },
                    },
                    onBoot: true,
                    started: true,
                    startup,
                },
                { parent: this, provider: args.provider },
            );
            for (const m of mounts) {
                shareReady[m.share] = remoteScript(
                    `${name}-mount-${m.share}`,
                    {
                        connection: guestConnection,
                        scriptPath: mountSharesScriptPath,
                        // A VM has no id map: the ids are the VM's own.
                        args: mountArgs(m, this.sharePaths[m.share], 0),
                        stdin: credentials(m),
                    },
                    { parent: this, dependsOn: [this.guest, ...(args.mountsAfter ?? [])] },
                );
            }
        }

        this.shareReady = shareReady;
        this.install = remoteScript(
            `${name}-docker`,
            {
                connection: guestConnection,
                scriptPath: installDockerScriptPath,
                args: installArgs,
                // daemon.json is what the script writes: showing it in the plan explains a re-run.
                triggers: [daemonJson],
            },
            { parent: this, dependsOn: [this.guest] },
        );

        this.dockerHostUrl = `ssh://root@${address}`;
        this.sshOpts = sshOptions(args.sshIdentityFile);
        this.provider = new docker.Provider(
            name,
            { host: this.dockerHostUrl, sshOpts: this.sshOpts },
            { parent: this, dependsOn: [this.install] },
        );
        this.appNetwork = new docker.Network(
            `${name}-apps`,
            {
                name: "apps",
                driver: "bridge",
                ipamConfigs: [{ subnet: appNetwork }],
                // Apps reach the internet (updates, ACME, mail); the LAN reaches them only through
                // the proxy, the one container that publishes 80/443.
                internal: false,
            },
            { parent: this, provider: this.provider },
        );

        this.address = address;
        this.hostname = hostname;
        this.registerOutputs({ address, hostname, sharePaths: this.sharePaths, appNetwork: this.appNetwork.name });
    }
}

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
