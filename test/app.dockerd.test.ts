// The container fields on a real dockerd: two Apps (one with a sidecar, one on the host's network
// and privileged) planned under the runtime mocks, their docker.Container inputs sent to the Engine
// API as the Docker provider sends them (test/helpers/dockerEngine.ts), then read back with
// `docker inspect` and checked from inside the running containers.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as docker from "@pulumi/docker";
import { App, AppHost } from "../components/app";
import { appArgs, resolveApp } from "../stacks/apps";
import { appSchema } from "../stacks/config";
import { kernelCapabilities } from "../components/app/containerFields";
import { requireTools, run, runOk } from "./helpers/exec";
import { createContainer, Dockerd, importScratchImage, startDockerd } from "./helpers/dockerEngine";
import { captureProgram, CapturedResource, one } from "./helpers/mocks";

const image = "local/homelab-scratch:1";
type Raw = Record<string, any>;

/** Capabilities named in a /proc/<pid>/status mask such as `CapBnd: 00000000a80425fb`. */
function capsOf(status: string, field: string): string[] {
    const hex = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, "m").exec(status)![1];
    const mask = BigInt(`0x${hex}`);
    return kernelCapabilities.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/** Whether this process may hand out every capability (a privileged container needs that). */
function fullBoundingSet(): boolean {
    return capsOf(fs.readFileSync("/proc/self/status", "utf8"), "CapBnd").length === kernelCapabilities.length;
}

describe("App container fields on a real dockerd", function () {
    this.timeout(180_000);
    let d: Dockerd;
    let resources: CapturedResource[];
    let hostDir: string;
    const inspect = (name: string): Raw => JSON.parse(runOk("docker", ["inspect", name], { env: d.env }).stdout)[0];
    const exec = (name: string, ...cmd: string[]) => run("docker", ["exec", name, "/bin/busybox", ...cmd], { env: d.env, timeoutMs: 30_000 });

    before(async () => {
        requireTools("dockerd", "docker", "unshare", "timeout");
        assert.ok(fs.existsSync("/bin/busybox"), "needs a static /bin/busybox (Debian busybox-static)");
        d = await startDockerd(600);
        importScratchImage(d, image);
        hostDir = path.join(d.dir, "srv");
        fs.mkdirSync(path.join(hostDir, "config"), { recursive: true });
        fs.mkdirSync(path.join(hostDir, "cache"), { recursive: true });
        fs.chmodSync(path.join(hostDir, "cache"), 0o777);
        fs.writeFileSync(path.join(hostDir, "config", "app.conf"), "answer=42\n");
        // The apps' network, as the Docker host makes it.
        runOk("docker", ["network", "create", "--internal", "apps"], { env: d.env });

        ({ resources } = await captureProgram(() => {
            const provider = new docker.Provider("host", { host: "unix:///var/run/docker.sock" });
            const host: AppHost = {
                hostname: "docker",
                appNetwork: new docker.Network("host-apps", { name: "apps" }, { provider }),
                sharePaths: {},
                dockerHostUrl: "unix:///var/run/docker.sock",
                sshOpts: [],
            };
            const tools = resolveApp(
                appSchema.parse({
                    name: "tools",
                    catalog: "generic",
                    image,
                    env: { GREETING: "hello" },
                    entrypoint: ["/bin/busybox"],
                    command: ["sleep", "600"],
                    user: "1000:1000",
                    capabilities: { add: ["SYS_PTRACE", "net_admin"], drop: ["MKNOD", "CAP_CHOWN"] },
                    devices: ["/dev/null:/dev/homelab-null:rw"],
                    volumes: [
                        { hostPath: path.join(hostDir, "config"), path: "/config" },
                        { hostPath: path.join(hostDir, "cache"), path: "/cache", readOnly: false },
                        { name: "data", path: "/data" },
                    ],
                    memory: "64m",
                    cpus: 0.5,
                    sysctls: { "net.ipv4.ip_unprivileged_port_start": "80" },
                    shmSize: "128m",
                    extraHosts: ["printer.lan:192.168.1.30"],
                    labels: { "org.example.role": "tools" },
                    sidecars: [{ name: "helper", image, entrypoint: ["/bin/busybox"], command: ["sleep", "600"], user: "2000" }],
                }),
            );
            const app = new App("tools", { ...appArgs(tools), host }, { provider });
            const hostnet = resolveApp(
                appSchema.parse({
                    name: "hostnet",
                    catalog: "generic",
                    image,
                    entrypoint: ["/bin/busybox"],
                    command: ["sleep", "600"],
                    networkMode: "host",
                    sysctls: { "kernel.shmmax": "1073741824" },
                    dependsOn: ["tools"],
                }),
            );
            new App("hostnet", { ...appArgs(hostnet), host, dependsOn: [app] }, { provider });
            const privileged = resolveApp(
                appSchema.parse({
                    name: "privileged",
                    catalog: "generic",
                    image,
                    entrypoint: ["/bin/busybox"],
                    command: ["sleep", "600"],
                    privileged: { reason: "reads every counter of the host for its dashboard" },
                }),
            );
            new App("privileged", { ...appArgs(privileged), host }, { provider });
        }));
        // In the order the plan creates them: the app, its sidecar, then the app that waits for it.
        // The privileged one is created, not started, when this machine cannot grant every
        // capability (runc: "unable to apply caps"; containers here may lack CAP_SYS_RESOURCE).
        for (const name of ["tools", "tools-helper", "hostnet", "privileged"]) {
            const c = one(resources, "docker:index/container:Container", name);
            assert.strictEqual(one(resources, "docker:index/remoteImage:RemoteImage", name).inputs.name, image);
            await createContainer(d, c.inputs, image, name !== "privileged" || fullBoundingSet());
        }
    });

    after(() => {
        if (d) {
            run("sh", ["-c", "docker rm -f tools tools-helper hostnet privileged >/dev/null 2>&1"], { env: d.env });
            d.stop();
        }
    });

    it("runs each container", () => {
        for (const name of ["tools", "tools-helper", "hostnet"]) {
            assert.strictEqual(inspect(name).State.Status, "running", name);
        }
    });

    it("docker inspect shows the command, entrypoint, user, labels and env", () => {
        const c = inspect("tools");
        assert.deepStrictEqual(c.Config.Entrypoint, ["/bin/busybox"]);
        assert.deepStrictEqual(c.Config.Cmd, ["sleep", "600"]);
        assert.strictEqual(c.Config.User, "1000:1000");
        assert.strictEqual(c.Config.Labels["org.example.role"], "tools");
        assert.ok(c.Config.Env.includes("GREETING=hello"));
        assert.strictEqual(inspect("tools-helper").Config.User, "2000");
    });

    it("docker inspect shows capabilities, devices, limits, sysctls, /dev/shm and extra hosts", () => {
        const h = inspect("tools").HostConfig;
        assert.deepStrictEqual(h.CapAdd, ["CAP_SYS_PTRACE", "CAP_NET_ADMIN"]);
        assert.deepStrictEqual(h.CapDrop, ["CAP_MKNOD", "CAP_CHOWN"]);
        assert.deepStrictEqual(h.Devices, [{ PathOnHost: "/dev/null", PathInContainer: "/dev/homelab-null", CgroupPermissions: "rw" }]);
        assert.strictEqual(h.Memory, 64 * 1024 * 1024);
        assert.strictEqual(h.NanoCpus, 500_000_000);
        assert.strictEqual(h.ShmSize, 128 * 1024 * 1024);
        assert.deepStrictEqual(h.Sysctls, { "net.ipv4.ip_unprivileged_port_start": "80" });
        assert.deepStrictEqual(h.ExtraHosts, ["printer.lan:192.168.1.30"]);
        assert.strictEqual(h.Privileged, false);
        assert.deepStrictEqual(Object.keys(inspect("tools").NetworkSettings.Networks), ["apps"]);
        assert.deepStrictEqual(Object.keys(inspect("tools-helper").NetworkSettings.Networks), ["apps"]);
    });

    it("docker inspect shows host paths read-only unless asked, and the named volume", () => {
        const mounts = (inspect("tools").Mounts as Raw[]).map((m) => `${m.Type} ${m.Name ?? m.Source} ${m.Destination} ${m.RW ? "rw" : "ro"}`).sort();
        assert.deepStrictEqual(mounts, [
            `bind ${hostDir}/cache /cache rw`,
            `bind ${hostDir}/config /config ro`,
            "volume tools-data /data rw",
        ]);
    });

    it("inside: the user, the bounding capabilities, the device, the sysctl, /dev/shm and /etc/hosts", () => {
        assert.strictEqual(exec("tools", "id", "-u").stdout.trim(), "1000");
        assert.strictEqual(exec("tools", "id", "-g").stdout.trim(), "1000");
        const bounding = capsOf(exec("tools", "cat", "/proc/1/status").stdout, "CapBnd");
        assert.ok(bounding.includes("SYS_PTRACE") && bounding.includes("NET_ADMIN"), bounding.join(" "));
        assert.ok(!bounding.includes("MKNOD") && !bounding.includes("CHOWN"), bounding.join(" "));
        assert.match(exec("tools", "ls", "-l", "/dev/homelab-null").stdout, /^c.* 1, +3 /);
        assert.strictEqual(exec("tools", "cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start").stdout.trim(), "80");
        assert.match(exec("tools", "df", "-m", "/dev/shm").stdout, /shm\s+128\s/);
        assert.match(exec("tools", "cat", "/etc/hosts").stdout, /^192\.168\.1\.30\s+printer\.lan$/m);
    });

    it("inside: a read-only host path refuses writes, a writable one takes them", () => {
        assert.strictEqual(exec("tools", "cat", "/config/app.conf").stdout, "answer=42\n");
        const ro = exec("tools", "sh", "-c", "echo x > /config/new");
        assert.notStrictEqual(ro.status, 0);
        assert.match(ro.stderr, /Read-only file system/);
        assert.strictEqual(exec("tools", "sh", "-c", "echo written > /cache/out").status, 0);
        assert.strictEqual(fs.readFileSync(path.join(hostDir, "cache", "out"), "utf8"), "written\n");
    });

    it("the host-network app runs in the daemon's network namespace, with its IPC sysctl", () => {
        const c = inspect("hostnet");
        assert.strictEqual(c.HostConfig.NetworkMode, "host");
        assert.strictEqual(c.HostConfig.Privileged, false);
        assert.deepStrictEqual(Object.keys(c.NetworkSettings.Networks), ["host"]);
        assert.strictEqual(exec("hostnet", "cat", "/proc/sys/kernel/shmmax").stdout.trim(), "1073741824");
        // The daemon's own namespace (unshare --net): the same network namespace inode.
        const daemonPid = fs.readFileSync(path.join(d.dir, "dockerd.pid"), "utf8").trim();
        assert.strictEqual(exec("hostnet", "readlink", "/proc/1/ns/net").stdout.trim(), fs.readlinkSync(`/proc/${daemonPid}/ns/net`));
    });

    it("the privileged app is privileged (and, where this machine can grant it, has every capability)", () => {
        assert.strictEqual(inspect("privileged").HostConfig.Privileged, true);
        if (fullBoundingSet()) {
            assert.deepStrictEqual(capsOf(exec("privileged", "cat", "/proc/1/status").stdout, "CapEff"), [...kernelCapabilities]);
        }
    });
});
