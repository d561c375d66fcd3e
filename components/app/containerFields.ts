// What a container runs as and with, beyond image, env and volumes: the fields of a Compose
// service that a homelab app needs (command, user, capabilities, devices, host networking,
// privileges, limits, sysctls, /dev/shm, extra hosts, labels). One rule checks them all
// (`containerFieldIssues`, called by App and by the stack's validation) and one mapping turns them
// into `docker.Container` inputs (`containerFieldInputs`).
import { isIP } from "net";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { guestLimits } from "../proxmoxHost/capacity";
import { afterCheck, isKnown } from "../inputs";

/** Linux capabilities to add to or drop from Docker's default set. */
export interface Capabilities {
    /** Capabilities to add, e.g. `SYS_PTRACE` or `CAP_NET_ADMIN`. Defaults to none. */
    add?: pulumi.Input<pulumi.Input<string>[]>;
    /** Capabilities to drop; `ALL` for every one. Defaults to none. */
    drop?: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * The container fields that App takes as they are (ContainerFields and App's AppContainer add
 * networking and privileges). Each may come from another resource: App checks a plain value at
 * construction and an Output when it is known (`containerOptionInputs`).
 */
export interface ContainerOptions {
    /** Replace the image's command (`CMD`). Each element one argument; none empty. */
    command?: pulumi.Input<pulumi.Input<string>[]>;
    /** Replace the image's entrypoint. */
    entrypoint?: pulumi.Input<pulumi.Input<string>[]>;
    /** User (and group) of the first process: `1000`, `1000:1000`, `nobody`, `app:app`. Defaults to the image's. */
    user?: pulumi.Input<string>;
    /** Linux capabilities to add to or drop from Docker's default set, e.g. `SYS_PTRACE` or `CAP_NET_ADMIN`; `ALL` for every one. */
    capabilities?: Capabilities;
    /** Host devices, as Compose writes them: `/dev/dri`, `/dev/ttyUSB0:/dev/zigbee`, `/dev/sda:/dev/xvda:r`. Paths under /dev. */
    devices?: pulumi.Input<pulumi.Input<string>[]>;
    /** Memory limit in whole MiB: `512m`, `2g`. Defaults to none. */
    memory?: pulumi.Input<string>;
    /** CPU limit in CPUs, e.g. 1.5. Defaults to none. */
    cpus?: pulumi.Input<number>;
    /** Namespaced kernel parameters, e.g. `net.ipv4.ip_unprivileged_port_start: "0"`. */
    sysctls?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Size of /dev/shm in whole MiB: `256m`, `1g`. Defaults to Docker's 64m. */
    shmSize?: pulumi.Input<string>;
    /** Extra /etc/hosts entries `name:address`, e.g. `printer.lan:192.168.1.30`. */
    extraHosts?: pulumi.Input<pulumi.Input<string>[]>;
    /** Container labels. */
    labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Run an init process as PID 1 that reaps zombies and forwards signals (Compose `init`). Defaults to false. */
    init?: pulumi.Input<boolean>;
}

/** The container options with their values known: what catalog entries and the config hold, and what the rules check. */
export type KnownContainerOptions = pulumi.UnwrappedObject<ContainerOptions>;

/** Container fields shared by catalog entries, app config, sidecars and Compose services. */
export interface ContainerFields extends KnownContainerOptions {
    /** `host`: run in the Docker host's network namespace (nothing published; the proxy cannot reach it). Defaults to the apps' network. */
    networkMode?: "host";
    /**
     * Run privileged: every device and capability of the Docker host. Refused unless given as
     * `{ reason }` saying why devices and capabilities are not enough. Defaults to false.
     */
    privileged?: boolean | { reason: string };
}

/** One problem with a container field: the field (path relative to the app) and the fix. */
export interface FieldIssue {
    field: string;
    message: string;
}

/**
 * The kernel's capabilities (include/uapi/linux/capability.h, CAP_CHOWN = 0 to
 * CAP_CHECKPOINT_RESTORE = 40), without the `CAP_` prefix. Docker takes them with or without it.
 */
export const kernelCapabilities = [
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
    "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
    "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
    "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
    "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
    "CHECKPOINT_RESTORE",
] as const;

/** `sys_ptrace`, `CAP_SYS_PTRACE` -> `CAP_SYS_PTRACE`; `all` -> `ALL`; undefined when not a capability. */
export function normalCapability(cap: string): string | undefined {
    const upper = cap.toUpperCase();
    if (upper === "ALL") {
        return "ALL";
    }
    const bare = upper.replace(/^CAP_/, "");
    return (kernelCapabilities as readonly string[]).includes(bare) ? `CAP_${bare}` : undefined;
}

/**
 * The sysctls Docker lets a container set (its own namespaces): IPC (`kernel.msg*`, `kernel.sem`,
 * `kernel.shm*`, `fs.mqueue.*`) and network (`net.*`, not with the host's network).
 */
const ipcSysctl = /^(kernel\.(msgmax|msgmnb|msgmni|sem|shmall|shmmax|shmmni|shm_rmid_forced)|fs\.mqueue\.[a-z0-9_]+)$/;
const netSysctl = /^net\.[a-z0-9_]+(\.[a-zA-Z0-9_.-]+)*$/;

/** A size such as `512m` or `2g` in whole MiB; undefined when not one. Plain numbers are bytes, as in Compose. */
export function sizeMiB(size: string): number | undefined {
    const m = /^(\d+(?:\.\d+)?)\s*([bkmg]?)i?b?$/i.exec(size.trim());
    if (!m) {
        return undefined;
    }
    const unit = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as "" | "b" | "k" | "m" | "g"];
    const bytes = Number(m[1]) * unit;
    return Number.isInteger(bytes / 1024 ** 2) ? bytes / 1024 ** 2 : undefined;
}

/**
 * Why a CPU limit of `cpus` cannot run on a Docker host with `hostCores` CPUs (undefined when it
 * can): the daemon refuses NanoCPUs above its CPUs ("Range of CPUs is from 0.01 to N.00, as there
 * are only N CPUs available", moby daemon/daemon_unix.go, verifyPlatformContainerResources), and
 * a Docker host sees the cores its guest config gives it. `nodeCores`: what the host's node has, when known.
 */
export function cpusProblem(cpus: number, hostCores: number, host: string, nodeCores?: number): string | undefined {
    if (cpus <= hostCores) {
        return undefined;
    }
    // More cores for the host is a fix only while its node has more to give.
    const more = nodeCores === undefined || nodeCores > hostCores ? ", or give the host more cores" : "";
    return `${cpus} CPUs is more than Docker host '${host}' has (cores: ${hostCores}), which Docker refuses: use at most ${hostCores}${more}`;
}

/** A device `/dev/x[:/dev/y[:rwm]]` as the provider's device block; undefined when malformed. */
export function parseDevice(spec: string): { hostPath: string; containerPath: string; permissions: string } | undefined {
    const parts = spec.split(":");
    if (parts.length > 3) {
        return undefined;
    }
    const [hostPath, second, third] = parts;
    if (second === undefined) {
        return { hostPath, containerPath: hostPath, permissions: "rwm" };
    }
    // `/dev/sda:r`: of two parts, the second is the permissions when it is not a path.
    if (third === undefined && !second.startsWith("/")) {
        return { hostPath, containerPath: hostPath, permissions: second };
    }
    return { hostPath, containerPath: second, permissions: third ?? "rwm" };
}

const devPath = /^\/dev(\/[A-Za-z0-9_.+-]+)+$/;
const userPart = /^([a-z_][a-z0-9_-]*\$?|\d+)$/;
const hostName = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Every problem with a container's fields, each with its field and the fix. `ports` is the
 * number of ports the container publishes (refused with the host's network). Pure.
 */
export function containerFieldIssues(f: ContainerFields, ports: number): FieldIssue[] {
    const issues: FieldIssue[] = [];
    const add = (field: string, message: string) => issues.push({ field, message });
    for (const key of ["command", "entrypoint"] as const) {
        f[key]?.forEach((arg, i) => {
            if (arg === "") {
                // The provider refuses an empty command value (resourceDockerContainerCreate).
                add(`${key}[${i}]`, "must not be empty: remove it, or quote the empty argument inside a shell command");
            }
        });
    }
    if (f.user !== undefined) {
        const parts = f.user.split(":");
        if (parts.length > 2 || !parts.every((p) => userPart.test(p))) {
            add("user", `'${f.user}' is not a user: use a name or uid, optionally with a group (1000, 1000:1000, nobody, app:app)`);
        }
    }
    const caps: Record<"add" | "drop", string[]> = { add: [], drop: [] };
    for (const side of ["add", "drop"] as const) {
        f.capabilities?.[side]?.forEach((cap, i) => {
            const normal = normalCapability(cap);
            if (normal === undefined) {
                add(`capabilities.${side}[${i}]`, `'${cap}' is not a Linux capability: use one of the kernel's (such as SYS_PTRACE, NET_ADMIN; see capabilities(7)) or ALL`);
            } else {
                caps[side].push(normal);
            }
        });
    }
    for (const cap of caps.add.filter((c) => caps.drop.includes(c) && c !== "ALL")) {
        add("capabilities", `${cap} is both added and dropped: keep it in one list`);
    }
    f.devices?.forEach((spec, i) => {
        const d = parseDevice(spec);
        if (d === undefined || !devPath.test(d.hostPath) || d.hostPath.split("/").includes("..")) {
            add(`devices[${i}]`, `'${spec}' is not a device: use a path under /dev, optionally with the path in the container and permissions (/dev/dri, /dev/ttyUSB0:/dev/zigbee, /dev/sda:/dev/xvda:r)`);
        } else if (!/^\/[^\s:]*$/.test(d.containerPath) || d.containerPath.split("/").includes("..")) {
            add(`devices[${i}]`, `'${d.containerPath}' is not an absolute path in the container: use a path such as /dev/zigbee`);
        } else if (!/^(?!.*(.).*\1)[rwm]{1,3}$/.test(d.permissions)) {
            add(`devices[${i}]`, `'${d.permissions}' are not device permissions: use letters of rwm (r read, w write, m mknod), such as rw`);
        }
    });
    if (f.networkMode === "host" && ports > 0) {
        add("networkMode", "an app on the host's network uses the host's ports directly and Docker publishes nothing: remove ports, or the host network");
    }
    if (f.privileged === true) {
        add("privileged", "a privileged container gets every device and capability of the Docker host: list what it needs in devices and capabilities instead, or allow it with privileged: { reason: <why those are not enough> }");
    } else if (typeof f.privileged === "object" && f.privileged.reason.trim().length < 10) {
        add("privileged.reason", "say why the app must run privileged (at least a few words), so that a reviewer can judge it");
    }
    if (f.memory !== undefined) {
        const mib = sizeMiB(f.memory);
        // Docker refuses a limit under 6 MiB.
        if (mib === undefined || mib < 6) {
            add("memory", `'${f.memory}' is not a memory limit: use whole MiB of at least 6, such as 512m or 2g`);
        } else if (mib > guestLimits.memoryMb) {
            add("memory", `'${f.memory}' is more than the 4 TiB any Docker host here can have: use a limit such as 512m or 2g`);
        }
    }
    if (f.cpus !== undefined && !(f.cpus > 0 && Number.isInteger(f.cpus * 100))) {
        add("cpus", `${f.cpus} is not a CPU limit: use a positive number of CPUs with at most two decimals, such as 0.5 or 2`);
    }
    if (f.shmSize !== undefined) {
        const mib = sizeMiB(f.shmSize);
        if (mib === undefined || mib < 1) {
            add("shmSize", `'${f.shmSize}' is not a size: use whole MiB, such as 256m or 1g`);
        } else if (mib > guestLimits.memoryMb) {
            add("shmSize", `'${f.shmSize}' is more than the 4 TiB any Docker host here can have: use a size such as 256m or 1g`);
        }
    }
    for (const key of Object.keys(f.sysctls ?? {})) {
        if (netSysctl.test(key)) {
            if (f.networkMode === "host") {
                add(`sysctls.${key}`, "a net.* sysctl sets the network namespace, which on the host's network is the host's own: set it on the Docker host, or drop the host network");
            }
        } else if (!ipcSysctl.test(key)) {
            add(`sysctls.${key}`, "Docker sets only sysctls of the container's own namespaces: net.*, kernel.msg*/sem/shm*, fs.mqueue.*; set others on the Docker host");
        }
    }
    f.extraHosts?.forEach((entry, i) => {
        // `name:address` (Compose also writes `name=address`); an IPv6 address holds colons itself.
        const m = /^([^:=]+)[:=](.+)$/.exec(entry);
        if (!m || !hostName.test(m[1]) || isIP(m[2].replace(/^\[(.*)\]$/, "$1")) === 0) {
            add(`extraHosts[${i}]`, `'${entry}' is not a host entry: use name:address, such as printer.lan:192.168.1.30`);
        }
    });
    for (const key of Object.keys(f.labels ?? {})) {
        if (!/^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/.test(key)) {
            add(`labels.${key}`, "must be a label key of letters, digits, '.', '_', '/' and '-', such as org.example.role");
        }
    }
    return issues;
}

/**
 * The `docker.Container` inputs of the fields (valid ones: see `containerFieldIssues`). Each input
 * as kreuzwerker/terraform-provider-docker (v4, internal/provider/resource_docker_container_funcs.go,
 * resourceDockerContainerCreate) sends it to the Engine API:
 * - command, entrypoints, user: Config.Cmd, Config.Entrypoint, Config.User as given;
 * - capabilities.adds/drops: HostConfig.CapAdd/CapDrop;
 * - devices: HostConfig.Devices, containerPath defaulting to hostPath (deviceSetToDockerDevices);
 * - networkMode: HostConfig.NetworkMode; privileged: HostConfig.Privileged;
 * - memory, shmSize: MB, multiplied by 1024*1024 into HostConfig.Memory/ShmSize (bytes);
 * - cpus: a decimal string parsed by opts.ParseCPUs into HostConfig.NanoCPUs;
 * - sysctls: HostConfig.Sysctls as a map (mapTypeMapValsToString);
 * - hosts: HostConfig.ExtraHosts as `host:ip` (extraHostsSetToContainerExtraHosts);
 * - labels: Config.Labels as a map (labelSetToMap, helpers.go);
 * - init: HostConfig.Init.
 */
export function containerFieldInputs(f: ContainerFields): Partial<docker.ContainerArgs> {
    const inputs: Partial<docker.ContainerArgs> = {};
    if (f.command) inputs.command = f.command;
    if (f.entrypoint) inputs.entrypoints = f.entrypoint;
    if (f.user !== undefined) inputs.user = f.user;
    const adds = (f.capabilities?.add ?? []).map((c) => normalCapability(c)!);
    const drops = (f.capabilities?.drop ?? []).map((c) => normalCapability(c)!);
    if (adds.length + drops.length > 0) {
        inputs.capabilities = { adds, drops };
    }
    if (f.devices?.length) {
        inputs.devices = f.devices.map((d) => parseDevice(d)!);
    }
    if (f.networkMode) inputs.networkMode = f.networkMode;
    if (typeof f.privileged === "object") inputs.privileged = true;
    if (f.memory !== undefined) inputs.memory = sizeMiB(f.memory);
    if (f.cpus !== undefined) inputs.cpus = String(f.cpus);
    if (f.sysctls && Object.keys(f.sysctls).length > 0) inputs.sysctls = f.sysctls;
    if (f.shmSize !== undefined) inputs.shmSize = sizeMiB(f.shmSize);
    if (f.extraHosts?.length) {
        inputs.hosts = f.extraHosts.map((e) => {
            const m = /^([^:=]+)[:=](.+)$/.exec(e)!;
            return { host: m[1], ip: m[2].replace(/^\[(.*)\]$/, "$1") };
        });
    }
    if (f.labels && Object.keys(f.labels).length > 0) {
        inputs.labels = Object.entries(f.labels)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([label, value]) => ({ label, value }));
    }
    if (f.init) inputs.init = true;
    return inputs;
}

/** The `docker.Container` input each container field sets (`containerFieldInputs`). */
const dockerInputOf = {
    command: "command",
    entrypoint: "entrypoints",
    user: "user",
    capabilities: "capabilities",
    devices: "devices",
    networkMode: "networkMode",
    privileged: "privileged",
    memory: "memory",
    cpus: "cpus",
    sysctls: "sysctls",
    shmSize: "shmSize",
    extraHosts: "hosts",
    labels: "labels",
    init: "init",
} as const satisfies Record<keyof ContainerFields, keyof docker.ContainerArgs>;

/** Container fields whose options may still be Outputs (App's args). */
export type ContainerFieldInputs = ContainerOptions & Pick<ContainerFields, "networkMode" | "privileged">;

/**
 * `containerFieldInputs` of fields that may hold Outputs, once `checked` (the rules over them, a
 * `whenKnown` result) has passed: all plain when every field is known; else each field's input is
 * an Output of that field alone, so that a secret field stays secret and makes no other one secret.
 */
export function containerOptionInputs(f: ContainerFieldInputs, checked: true | pulumi.Output<true>): Partial<docker.ContainerArgs> {
    if (checked === true && isKnown(f)) {
        return containerFieldInputs(f as ContainerFields);
    }
    const inputs: Record<string, unknown> = {};
    for (const key of Object.keys(dockerInputOf) as (keyof ContainerFields)[]) {
        const value = f[key];
        if (value !== undefined) {
            const input = dockerInputOf[key];
            inputs[input] = afterCheck(checked, value as pulumi.Input<unknown>, (v) => containerFieldInputs({ [key]: v } as ContainerFields)[input]);
        }
    }
    return inputs as Partial<docker.ContainerArgs>;
}
