// A real dockerd for tests (in a network namespace of its own, no bridge, no iptables), and the
// Engine API requests the Docker provider makes to create a container from docker.Container inputs.
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { spawn } from "child_process";
import { runOk } from "./exec";

/** A dockerd started by the test; `stop()` ends it by its pid. */
export interface Dockerd {
    dir: string;
    socket: string;
    /** Environment for the docker CLI: DOCKER_HOST at this daemon. */
    env: NodeJS.ProcessEnv;
    /** One Engine API call; resolves to the parsed JSON body (or the text), rejects on a status >= 400. */
    api(method: string, path: string, body?: unknown): Promise<unknown>;
    stop(): void;
}

/** Starts dockerd (bounded by `timeout`) with its data under a temporary directory; ready in about a second. */
export async function startDockerd(seconds = 600): Promise<Dockerd> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-dockerd-"));
    const socket = path.join(dir, "docker.sock");
    const log = fs.openSync(path.join(dir, "dockerd.log"), "w");
    // unshare --net: host-network containers get this daemon's namespace, not the machine's.
    const child = spawn(
        "timeout",
        [String(seconds), "unshare", "--net", "dockerd", "--data-root", `${dir}/data`, "--exec-root", `${dir}/exec`, "--pidfile", `${dir}/dockerd.pid`,
            "-H", `unix://${socket}`, "--bridge=none", "--iptables=false", "--ip6tables=false"],
        { stdio: ["ignore", log, log], detached: true },
    );
    child.unref();
    const api = (method: string, p: string, body?: unknown) =>
        new Promise<unknown>((resolve, reject) => {
            const data = body === undefined ? undefined : JSON.stringify(body);
            const req = http.request(
                { socketPath: socket, path: `/v1.41${p}`, method, headers: data ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(data) } : {} },
                (res) => {
                    let text = "";
                    res.on("data", (c) => (text += c));
                    res.on("end", () => {
                        const parsed = text && res.headers["content-type"]?.includes("json") ? JSON.parse(text) : text;
                        (res.statusCode! >= 400 ? reject(new Error(`${method} ${p}: ${res.statusCode} ${text}`)) : resolve(parsed));
                    });
                },
            );
            req.on("error", reject);
            req.end(data);
        });
    const deadline = Date.now() + 30_000;
    for (;;) {
        try {
            await api("GET", "/_ping");
            break;
        } catch (e) {
            if (Date.now() > deadline) {
                throw new Error(`dockerd did not come up: ${(e as Error).message}\n${fs.readFileSync(path.join(dir, "dockerd.log"), "utf8").slice(-2000)}`);
            }
            await new Promise((r) => setTimeout(r, 200));
        }
    }
    return {
        dir,
        socket,
        env: { ...process.env, DOCKER_HOST: `unix://${socket}` },
        api,
        stop() {
            const pidFile = path.join(dir, "dockerd.pid");
            if (fs.existsSync(pidFile)) {
                try {
                    process.kill(Number(fs.readFileSync(pidFile, "utf8")), "SIGTERM");
                } catch {
                    // already gone
                }
            }
        },
    };
}

/** An image made from scratch: a tree holding only a static busybox, imported as `name`. */
export function importScratchImage(d: Dockerd, name: string): void {
    const root = path.join(d.dir, "rootfs");
    for (const sub of ["bin", "dev", "proc", "sys", "etc", "tmp"]) {
        fs.mkdirSync(path.join(root, sub), { recursive: true });
    }
    fs.copyFileSync("/bin/busybox", path.join(root, "bin", "busybox"));
    fs.chmodSync(path.join(root, "bin", "busybox"), 0o755);
    runOk("sh", ["-c", `tar -C '${root}' -c . | docker import - '${name}'`], { env: d.env });
}

type Raw = Record<string, any>;

/** The docker.Container inputs this helper maps; any other input present is an error, not ignored. */
const mapped = new Set([
    "name", "image", "envs", "command", "entrypoints", "user", "labels", "restart", "logDriver", "privileged", "volumes", "hosts",
    "capabilities", "devices", "memory", "shmSize", "cpus", "networkMode", "sysctls", "networksAdvanced", "ports", "init",
]);

/**
 * The requests the provider makes for a docker.Container with these inputs, from
 * kreuzwerker/terraform-provider-docker v4, internal/provider/resource_docker_container_funcs.go,
 * resourceDockerContainerCreate: one ContainerCreate (Config + HostConfig, empty NetworkingConfig),
 * then, with networks_advanced, a disconnect from `bridge` and a NetworkConnect per network.
 * `image` stands for RemoteImage.imageId (the id of the pulled image).
 */
export function containerCreateRequests(inputs: Raw, image: string): { name: string; create: Raw; networks: string[] } {
    const unknown = Object.keys(inputs).filter((k) => !mapped.has(k) && inputs[k] !== undefined);
    if (unknown.length > 0) {
        throw new Error(`containerCreateRequests does not map ${unknown.join(", ")}`);
    }
    if ((inputs.ports ?? []).length > 0) {
        throw new Error("containerCreateRequests does not map published ports");
    }
    const config: Raw = { Image: image };
    if (inputs.envs?.length) config.Env = inputs.envs; // stringSetToStringSlice
    if (inputs.command?.length) config.Cmd = inputs.command;
    if (inputs.entrypoints?.length) config.Entrypoint = inputs.entrypoints;
    if (inputs.user) config.User = inputs.user;
    // labelSetToMap (helpers.go)
    if (inputs.labels?.length) config.Labels = Object.fromEntries((inputs.labels as Raw[]).map((l) => [l.label, l.value]));
    // volumeSetToDockerVolumes: `<volume name or host path>:<container path>:<ro|rw>` binds.
    const volumes = (inputs.volumes ?? []) as Raw[];
    if (volumes.length) config.Volumes = Object.fromEntries(volumes.map((v) => [v.containerPath, {}]));
    const hostConfig: Raw = {
        Privileged: inputs.privileged ?? false,
        RestartPolicy: { Name: inputs.restart ?? "no", MaximumRetryCount: 0 },
        LogConfig: { Type: inputs.logDriver ?? "json-file" },
        Init: inputs.init ?? false,
    };
    if (volumes.length) hostConfig.Binds = volumes.map((v) => `${v.volumeName ?? v.hostPath}:${v.containerPath}:${v.readOnly ? "ro" : "rw"}`);
    // extraHostsSetToContainerExtraHosts
    if (inputs.hosts?.length) hostConfig.ExtraHosts = (inputs.hosts as Raw[]).map((h) => `${h.host}:${h.ip}`);
    if (inputs.capabilities) {
        hostConfig.CapAdd = inputs.capabilities.adds ?? [];
        hostConfig.CapDrop = inputs.capabilities.drops ?? [];
    }
    // deviceSetToDockerDevices: container path defaults to the host path.
    if (inputs.devices?.length) {
        hostConfig.Devices = (inputs.devices as Raw[]).map((d) => ({ PathOnHost: d.hostPath, PathInContainer: d.containerPath ?? d.hostPath, CgroupPermissions: d.permissions ?? "rwm" }));
    }
    if (inputs.memory) hostConfig.Memory = inputs.memory * 1024 * 1024;
    if (inputs.shmSize) hostConfig.ShmSize = inputs.shmSize * 1024 * 1024;
    // opts.ParseCPUs: the decimal number of CPUs times 1e9.
    if (inputs.cpus) hostConfig.NanoCpus = Math.round(Number(inputs.cpus) * 1e9);
    if (inputs.networkMode) hostConfig.NetworkMode = inputs.networkMode;
    if (inputs.sysctls) hostConfig.Sysctls = inputs.sysctls; // mapTypeMapValsToString
    return {
        name: inputs.name,
        create: { ...config, HostConfig: hostConfig, NetworkingConfig: {} },
        networks: ((inputs.networksAdvanced ?? []) as Raw[]).map((n) => n.name),
    };
}

/** Creates and (unless `start` is false) starts the container as the provider would; returns its id. */
export async function createContainer(d: Dockerd, inputs: Raw, image: string, start = true): Promise<string> {
    const req = containerCreateRequests(inputs, image);
    const created = (await d.api("POST", `/containers/create?name=${encodeURIComponent(req.name)}`, req.create)) as { Id: string };
    if (req.networks.length > 0) {
        // The provider disconnects the default network and ignores "is not connected".
        await d.api("POST", "/networks/bridge/disconnect", { Container: created.Id }).catch(() => undefined);
        for (const n of req.networks) {
            await d.api("POST", `/networks/${encodeURIComponent(n)}/connect`, { Container: created.Id, EndpointConfig: { IPAMConfig: {} } });
        }
    }
    if (start) {
        await d.api("POST", `/containers/${created.Id}/start`);
    }
    return created.Id;
}
