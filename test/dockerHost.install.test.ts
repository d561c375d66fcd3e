// install-docker.sh run for real: on a Debian bookworm root booted with systemd under
// systemd-nspawn, exactly as the DockerHost component runs it over SSH (`bash -s -- ARGS`, the
// script on stdin), followed by checks with the real docker CLI inside that container.
// Plus the pure side (daemonJson.ts), whose output must equal what the script wrote.
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DaemonJsonArgs, installDockerArgs, InstallDockerArgs, renderDaemonJson } from "../components/dockerHost/daemonJson";
import { debianRoot } from "./helpers/debian";
import { run, RunResult, runOk } from "./helpers/exec";

const scriptPath = path.join(__dirname, "..", "components", "dockerHost", "install-docker.sh");
const script = fs.readFileSync(scriptPath, "utf8");

// docker.io and ca-certificates are what the script would install: preinstalled, because the
// container has no network, and the script must then run no apt command at all.
const rootPackages = ["docker.io", "ca-certificates", "systemd-sysv"];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// A Debian root booted with systemd under systemd-nspawn, standing in for the lab's unprivileged
// LXC container with nesting=1 and keyctl=1.
// ---------------------------------------------------------------------------------------------

/**
 * nspawn options that give the container what Proxmox's LXC features give the Docker host:
 * - a writable, delegated cgroup v2 tree (nesting=1; Proxmox 7+ is cgroup v2 only). This host
 *   mounts cgroup v1 controllers, which nspawn hands in read-only, so runc could not create a
 *   container's cgroup; SYSTEMD_NSPAWN_UNIFIED_HIERARCHY makes nspawn use cgroup v2 instead;
 * - the keyring syscalls (keyctl=1): runc creates a session keyring for every container;
 * - bpf and the full capability set (nesting=1): runc enforces device rules on cgroup v2 with a
 *   BPF program.
 * Nothing here changes what the script does: it runs with its production arguments.
 */
const nspawnOptions = [
    "-q",
    "--register=no",
    "--keep-unit",
    "--private-network",
    "--console=read-only",
    "--capability=all",
    "--system-call-filter=add_key keyctl request_key bpf",
    "--machine=dockerhost",
];

/** Mount points of the cgroup hierarchies nspawn puts itself in (cgroup2 and name=systemd). */
function nspawnCgroupDirs(): string[] {
    const mounts = fs.readFileSync("/proc/self/mounts", "utf8").split("\n").map((l) => l.split(" "));
    const own = fs.readFileSync("/proc/self/cgroup", "utf8").split("\n");
    const dirs: string[] = [];
    for (const [, mountPoint, type, options] of mounts) {
        const isV2 = type === "cgroup2";
        const isSystemd = type === "cgroup" && options.split(",").includes("name=systemd");
        if (!isV2 && !isSystemd) {
            continue;
        }
        const line = own.find((l) => (isV2 ? l.startsWith("0::") : l.includes(":name=systemd:")));
        if (line !== undefined) {
            dirs.push(path.join(mountPoint, line.slice(line.lastIndexOf(":") + 1)));
        }
    }
    return dirs;
}

/** Removes a cgroup directory tree bottom-up (cgroup directories go with rmdir, not unlink). */
function removeCgroup(dir: string): void {
    if (!fs.existsSync(dir)) {
        return;
    }
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) {
            removeCgroup(path.join(dir, e.name));
        }
    }
    fs.rmdirSync(dir);
}

/** The longest a test container may live, even when nobody stops it. */
const containerLifetimeSeconds = 600;

function readProc(pid: number, file: string): string {
    try {
        return fs.readFileSync(`/proc/${pid}/${file}`, "utf8").trim();
    } catch {
        return ""; // gone, or not started yet
    }
}

/** The first child of a process, or 0. */
function childOf(pid: number): number {
    return pid > 0 ? Number(readProc(pid, `task/${pid}/children`).split(" ")[0]) || 0 : 0;
}

class BootedDebian {
    private nspawn?: ChildProcess;
    private exited?: Promise<void>;
    private leader = 0;
    private readonly cgroups: string[] = [];
    readonly log: string;

    constructor(readonly root: string) {
        this.log = `${root}.boot.log`;
    }

    async start(): Promise<void> {
        // nspawn without a host systemd creates its "payload" and "supervisor" cgroups inside its
        // own cgroup; started from the root cgroup, two containers would share (and on shutdown
        // kill) each other's units. So it gets a cgroup of its own first.
        const name = `homelab-docker-test-${process.pid}`;
        for (const base of nspawnCgroupDirs()) {
            const dir = path.join(base, name);
            fs.mkdirSync(dir);
            this.cgroups.push(dir);
        }
        const logFd = fs.openSync(this.log, "w");
        const joinThenExec = 'while [ "$1" != -- ]; do echo $$ > "$1/cgroup.procs"; shift; done; shift; exec "$@"';
        this.nspawn = spawn(
            "sh",
            // `timeout` powers the container off even if this test process dies without stop().
            ["-c", joinThenExec, "cgjoin", ...this.cgroups, "--", "timeout", "--kill-after=30", String(containerLifetimeSeconds), "systemd-nspawn", ...nspawnOptions, "-b", "-D", this.root],
            { stdio: ["ignore", logFd, logFd], env: { ...process.env, SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: "1" } },
        );
        fs.closeSync(logFd);
        const nspawn = this.nspawn;
        this.exited = new Promise((resolve) => nspawn.once("exit", () => resolve()));

        // The container's init is the only child of nspawn, the only child of timeout.
        const deadline = Date.now() + 20_000;
        while (this.leader === 0) {
            if (nspawn.exitCode !== null || Date.now() > deadline) {
                throw new Error(`systemd-nspawn did not start a container:\n${fs.readFileSync(this.log, "utf8")}`);
            }
            const init = childOf(childOf(nspawn.pid ?? 0));
            if (init > 0 && readProc(init, "comm") === "systemd") {
                this.leader = init;
            } else {
                await sleep(100);
            }
        }
        // "degraded" is fine (a unit that needs hardware may fail); "starting" is not.
        while (true) {
            const state = this.exec(["systemctl", "is-system-running", "--wait"], { timeoutMs: 60_000 }).stdout.trim();
            if (state === "running" || state === "degraded") {
                return;
            }
            if (Date.now() > deadline + 60_000) {
                throw new Error(`the container did not finish booting (state "${state}"):\n${fs.readFileSync(this.log, "utf8")}`);
            }
            await sleep(200); // systemd's bus is not up yet
        }
    }

    /**
     * Runs a command inside the container, as root with a login-like environment (what an SSH
     * session gives the script), not the test's environment.
     */
    exec(cmd: string[], opts: { input?: string; timeoutMs?: number } = {}): RunResult {
        return run(
            "nsenter",
            ["-t", String(this.leader), "-a", "env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8", ...cmd],
            { input: opts.input ?? "", timeoutMs: opts.timeoutMs ?? 60_000 },
        );
    }

    execOk(cmd: string[], opts: { input?: string; timeoutMs?: number } = {}): string {
        const r = this.exec(cmd, opts);
        if (r.status !== 0) {
            throw new Error(`${cmd.join(" ")} exited ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
        }
        return r.stdout;
    }

    /** Runs install-docker.sh the way the DockerHost component does: `bash -s -- ARGS`. */
    installDocker(args: string[]): RunResult {
        return this.exec(["bash", "-s", "--", ...args], { input: script, timeoutMs: 120_000 });
    }

    /**
     * Powers the container off (timeout passes SIGTERM on to nspawn, which halts the container
     * cleanly), then kills it if it hangs.
     */
    async stop(): Promise<void> {
        const nspawn = this.nspawn;
        if (nspawn && nspawn.exitCode === null && nspawn.signalCode === null) {
            nspawn.kill("SIGTERM");
            let timer: NodeJS.Timeout | undefined;
            const timedOut = await Promise.race([
                this.exited!.then(() => false),
                new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 30_000))),
            ]);
            clearTimeout(timer); // a pending timer would keep mocha from exiting
            if (timedOut) {
                // Killing the container's init ends its whole PID namespace; nspawn and timeout
                // then exit by themselves (killing them first would orphan the container).
                process.kill(this.leader > 0 ? this.leader : nspawn.pid!, "SIGKILL");
                await this.exited;
            }
        }
        for (const dir of this.cgroups.reverse()) {
            removeCgroup(dir);
        }
    }
}

// ---------------------------------------------------------------------------------------------

const labArgs: InstallDockerArgs = {
    addressPool: "10.10.10.0/24",
    poolSize: 24,
    logMaxSize: "10m",
    logMaxFile: 3,
    dataRoot: "/srv/docker",
    user: "alice",
};

/**
 * Invalid values: renderDaemonJson must throw `<field> <rule>` and the script must print
 * `install-docker: <flag> <rule>` and exit 2, so both sides speak with the same words.
 */
const badArgs: { field: keyof InstallDockerArgs; flag: string; value: string | number; rule: string }[] = [
    { field: "addressPool", flag: "--address-pool", value: "10.10.10.0", rule: 'must be an IPv4 network with a prefix of at most 30, such as 10.10.10.0/24, got "10.10.10.0"' },
    { field: "addressPool", flag: "--address-pool", value: "10.10.010.0/24", rule: 'must be an IPv4 network with a prefix of at most 30, such as 10.10.10.0/24, got "10.10.010.0/24"' },
    { field: "addressPool", flag: "--address-pool", value: "10.10.256.0/24", rule: 'must be an IPv4 network with a prefix of at most 30, such as 10.10.10.0/24, got "10.10.256.0/24"' },
    { field: "addressPool", flag: "--address-pool", value: "10.10.10.0/31", rule: 'must be an IPv4 network with a prefix of at most 30, such as 10.10.10.0/24, got "10.10.10.0/31"' },
    { field: "addressPool", flag: "--address-pool", value: "10.10.10.5/24", rule: 'has host bits set: the network is 10.10.10.0/24, got "10.10.10.5/24"' },
    { field: "poolSize", flag: "--pool-size", value: 23, rule: "must be a whole number between 24 (the address pool's prefix) and 30, got 23" },
    { field: "poolSize", flag: "--pool-size", value: 31, rule: "must be a whole number between 24 (the address pool's prefix) and 30, got 31" },
    { field: "bridgeIp", flag: "--bridge-ip", value: "10.10.10.1/24", rule: 'must lie outside the address pool 10.10.10.0/24, got "10.10.10.1/24"' },
    { field: "bridgeIp", flag: "--bridge-ip", value: "10.0.0.1/8", rule: 'must lie outside the address pool 10.10.10.0/24, got "10.0.0.1/8"' },
    { field: "bridgeIp", flag: "--bridge-ip", value: "172.17.0.0/16", rule: 'must be an IPv4 host address with a prefix of 1 to 30, such as 172.17.0.1/16, got "172.17.0.0/16"' },
    { field: "logMaxSize", flag: "--log-max-size", value: "10MB", rule: 'must be a whole number followed by k, m or g, such as 10m, got "10MB"' },
    { field: "logMaxFile", flag: "--log-max-file", value: 0, rule: "must be a whole number between 1 and 100, got 0" },
    { field: "logMaxFile", flag: "--log-max-file", value: 101, rule: "must be a whole number between 1 and 100, got 101" },
    { field: "dataRoot", flag: "--data-root", value: "var/lib/docker", rule: 'must be an absolute path of letters, digits, ".", "_" and "-" with no part starting with ".", got "var/lib/docker"' },
    { field: "dataRoot", flag: "--data-root", value: "/srv/../etc", rule: 'must be an absolute path of letters, digits, ".", "_" and "-" with no part starting with ".", got "/srv/../etc"' },
    { field: "user", flag: "--user", value: "Bob", rule: 'must be a Linux user name of at most 32 lowercase letters, digits, "_" and "-", starting with a letter or "_", got "Bob"' },
];

/** Script arguments for a bad case: the lab's pool, then the bad flag (a later flag wins). */
function badScriptArgs(c: (typeof badArgs)[number]): string[] {
    return c.flag === "--address-pool" ? [c.flag, String(c.value)] : ["--address-pool", "10.10.10.0/24", c.flag, String(c.value)];
}

describe("install-docker.sh", () => {
    it("passes shellcheck", () => {
        const r = run("shellcheck", ["--shell=bash", "--severity=style", scriptPath]);
        assert.strictEqual(r.stdout + r.stderr, "");
        assert.strictEqual(r.status, 0);
    });
});

describe("renderDaemonJson and installDockerArgs", () => {
    it("renders the lab's daemon.json with sorted keys, the default bridge outside the pool and a trailing newline", () => {
        assert.strictEqual(
            renderDaemonJson(labArgs),
            [
                "{",
                '  "bip": "172.17.0.1/16",',
                '  "data-root": "/srv/docker",',
                '  "default-address-pools": [',
                "    {",
                '      "base": "10.10.10.0/24",',
                '      "size": 24',
                "    }",
                "  ],",
                '  "live-restore": true,',
                '  "log-driver": "json-file",',
                '  "log-opts": {',
                '    "max-file": "3",',
                '    "max-size": "10m"',
                "  }",
                "}",
                "",
            ].join("\n"),
        );
    });

    const defaults: { args: DaemonJsonArgs; pool: object; bip: string; logOpts: object }[] = [
        { args: { addressPool: "10.10.10.0/24" }, pool: { base: "10.10.10.0/24", size: 24 }, bip: "172.17.0.1/16", logOpts: { "max-file": "3", "max-size": "10m" } },
        { args: { addressPool: "10.10.0.0/16" }, pool: { base: "10.10.0.0/16", size: 24 }, bip: "172.17.0.1/16", logOpts: { "max-file": "3", "max-size": "10m" } },
        { args: { addressPool: "10.10.10.0/26" }, pool: { base: "10.10.10.0/26", size: 26 }, bip: "172.17.0.1/16", logOpts: { "max-file": "3", "max-size": "10m" } },
        {
            args: { addressPool: "192.168.200.0/22", poolSize: 28, bridgeIp: "10.99.0.1/24", logMaxSize: "512k", logMaxFile: 10 },
            pool: { base: "192.168.200.0/22", size: 28 },
            bip: "10.99.0.1/24",
            logOpts: { "max-file": "10", "max-size": "512k" },
        },
    ];
    for (const d of defaults) {
        it(`fills defaults for ${JSON.stringify(d.args)}`, () => {
            const json = JSON.parse(renderDaemonJson(d.args));
            assert.deepStrictEqual(json["default-address-pools"], [d.pool]);
            assert.strictEqual(json.bip, d.bip);
            assert.deepStrictEqual(json["log-opts"], d.logOpts);
            assert.strictEqual("data-root" in json, false);
        });
    }

    it("passes every setting to the script explicitly", () => {
        assert.deepStrictEqual(installDockerArgs(labArgs), [
            "--address-pool", "10.10.10.0/24",
            "--pool-size", "24",
            "--bridge-ip", "172.17.0.1/16",
            "--log-max-size", "10m",
            "--log-max-file", "3",
            "--data-root", "/srv/docker",
            "--user", "alice",
        ]);
        assert.deepStrictEqual(installDockerArgs({ addressPool: "10.10.0.0/16" }), [
            "--address-pool", "10.10.0.0/16",
            "--pool-size", "24",
            "--bridge-ip", "172.17.0.1/16",
            "--log-max-size", "10m",
            "--log-max-file", "3",
        ]);
    });

    for (const c of badArgs) {
        it(`rejects ${c.field} ${JSON.stringify(c.value)}`, () => {
            const args = { addressPool: "10.10.10.0/24", [c.field]: c.value } as InstallDockerArgs;
            assert.throws(() => installDockerArgs(args), { message: `${c.field} ${c.rule}` });
            if (c.field !== "user") {
                assert.throws(() => renderDaemonJson(args), { message: `${c.field} ${c.rule}` });
            }
        });
    }
});

describe("install-docker.sh on Debian bookworm booted under systemd-nspawn", function () {
    this.timeout(120_000);
    let host: BootedDebian;
    let version = "";

    before(async function () {
        this.timeout(600_000); // the first run builds the cached root filesystem
        const root = debianRoot(rootPackages);
        host = new BootedDebian(root);
        // Installed but never started, as on a host where the package came with the image: then
        // docker0 is created from whatever daemon.json says, which is where a missing `bip`
        // would take the whole pool.
        for (const link of ["etc/systemd/system/multi-user.target.wants/docker.service", "etc/systemd/system/sockets.target.wants/docker.socket"]) {
            fs.rmSync(path.join(root, link));
        }
        runOk("useradd", ["--root", root, "--no-create-home", "alice"]);
        await host.start();
    });

    after(async function () {
        this.timeout(60_000);
        if (host) {
            await host.stop();
            fs.rmSync(host.root, { recursive: true, force: true });
            fs.rmSync(host.log, { force: true });
        }
    });

    it("sets Docker up on the first run, without apt, and prints its status line", () => {
        assert.strictEqual(host.exec(["systemctl", "is-active", "docker.service"]).stdout.trim(), "inactive");
        const r = host.installDocker(installDockerArgs(labArgs));
        assert.strictEqual(r.status, 0, r.stderr);
        const m = /^homelab-docker: changed=yes version=(\S+)\n$/.exec(r.stdout);
        assert.ok(m, r.stdout);
        version = m[1];
        assert.strictEqual(version, host.execOk(["docker", "version", "--format", "{{.Server.Version}}"]).trim());
        // No "installing" line: with the packages present the script runs no apt command.
        assert.strictEqual(
            r.stderr,
            [
                "install-docker: writing /etc/docker/daemon.json",
                "install-docker: adding alice to the docker group",
                "install-docker: enabling docker.service",
                "install-docker: (re)starting docker.service",
                "",
            ].join("\n"),
        );
        assert.strictEqual(host.execOk(["systemctl", "is-enabled", "docker.service"]).trim(), "enabled");
    });

    it("writes exactly renderDaemonJson's output, and dockerd runs with it", () => {
        const written = fs.readFileSync(path.join(host.root, "etc/docker/daemon.json"), "utf8");
        assert.strictEqual(written, renderDaemonJson(labArgs));
        const info = host.execOk(["docker", "info", "--format", "{{.LoggingDriver}} {{.LiveRestoreEnabled}} {{.DockerRootDir}}"]);
        assert.strictEqual(info.trim(), "json-file true /srv/docker");
    });

    it("adds the user to the docker group", () => {
        assert.ok(host.execOk(["id", "-nG", "alice"]).trim().split(" ").includes("docker"));
    });

    it("keeps docker0 out of the pool, so an app network gets 10.10.10.0/24", () => {
        const subnet = (net: string) => host.execOk(["docker", "network", "inspect", "--format", "{{(index .IPAM.Config 0).Subnet}}", net]).trim();
        assert.strictEqual(subnet("bridge"), "172.17.0.0/16");
        host.execOk(["docker", "network", "create", "apps"]);
        assert.strictEqual(subnet("apps"), "10.10.10.0/24");
    });

    it("runs a container on that network (an image imported from the container's own bash)", () => {
        // No registry is reachable: the image is bash and its libraries, taken from the host.
        host.execOk(["bash", "-c", 'tar -chf - /usr/bin/bash $(ldd /usr/bin/bash | grep -o "/[^ ]*") 2>/dev/null | docker import - local/bash']);
        const out = host.execOk([
            "docker", "run", "--rm", "--network", "apps", "local/bash", "/usr/bin/bash", "-c",
            'echo "hello from $HOSTNAME"; while read -r l; do echo "$l"; done < /proc/net/fib_trie',
        ]);
        assert.match(out, /^hello from [0-9a-f]{12}\n/);
        // fib_trie lists each local address as "|-- ADDR" followed by "/32 host LOCAL", once in
        // the main table and once in the local one.
        const local = new Set([...out.matchAll(/\|-- ([0-9.]+)\n\/32 host LOCAL/g)].map((x) => x[1]).filter((a) => !a.startsWith("127.")));
        assert.strictEqual(local.size, 1, out);
        const [address] = local;
        assert.match(address, /^10\.10\.10\.([2-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-4])$/);
    });

    it("changes nothing on a second run and says so", () => {
        const pid = host.execOk(["systemctl", "show", "--value", "--property=MainPID", "docker.service"]).trim();
        const mtime = fs.statSync(path.join(host.root, "etc/docker/daemon.json")).mtimeMs;
        const r = host.installDocker(installDockerArgs(labArgs));
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.stdout, `homelab-docker: changed=no version=${version}\n`);
        assert.strictEqual(r.stderr, "install-docker: Docker was already set up as wanted: nothing changed\n");
        assert.strictEqual(host.execOk(["systemctl", "show", "--value", "--property=MainPID", "docker.service"]).trim(), pid);
        assert.strictEqual(fs.statSync(path.join(host.root, "etc/docker/daemon.json")).mtimeMs, mtime);
    });

    it("restarts dockerd for a changed setting, and live-restore keeps a running container up", () => {
        host.execOk(["docker", "run", "-d", "-i", "--name", "keeper", "local/bash", "/usr/bin/bash", "-c", "read -r line"]);
        const containerPid = host.execOk(["docker", "inspect", "--format", "{{.State.Pid}}", "keeper"]).trim();
        const dockerdPid = host.execOk(["systemctl", "show", "--value", "--property=MainPID", "docker.service"]).trim();
        const changed = { ...labArgs, logMaxFile: 5 };
        const r = host.installDocker(installDockerArgs(changed));
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.stdout, `homelab-docker: changed=yes version=${version}\n`);
        assert.strictEqual(fs.readFileSync(path.join(host.root, "etc/docker/daemon.json"), "utf8"), renderDaemonJson(changed));
        assert.notStrictEqual(host.execOk(["systemctl", "show", "--value", "--property=MainPID", "docker.service"]).trim(), dockerdPid);
        assert.strictEqual(host.execOk(["docker", "inspect", "--format", "{{.State.Running}} {{.State.Pid}}", "keeper"]).trim(), `true ${containerPid}`);
        host.execOk(["docker", "rm", "-f", "keeper"]);
    });

    it("starts a stopped dockerd", () => {
        host.execOk(["systemctl", "stop", "docker.service", "docker.socket"]);
        const r = host.installDocker(installDockerArgs({ ...labArgs, logMaxFile: 5 }));
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.stdout, `homelab-docker: changed=yes version=${version}\n`);
        assert.strictEqual(host.execOk(["systemctl", "is-active", "docker.service"]).trim(), "active");
    });

    it("rejects bad arguments with the same words as renderDaemonJson, touching nothing", () => {
        const before = fs.readFileSync(path.join(host.root, "etc/docker/daemon.json"), "utf8");
        const cases: { args: string[]; message: string }[] = [
            ...badArgs.map((c) => ({ args: badScriptArgs(c), message: `${c.flag} ${c.rule}` })),
            { args: [], message: "--address-pool is required" },
            { args: ["--address-pool", "10.10.10.0/24", "--pool-size"], message: "--pool-size needs a value" },
            { args: ["--address-pool", "10.10.10.0/24", "--source", "docker"], message: 'unknown argument "--source"' },
            { args: ["--address-pool", "10.10.10.0/24", "--user", "bob"], message: "--user bob: no such user on this host" },
        ];
        for (const c of cases) {
            const r = host.installDocker(c.args);
            assert.deepStrictEqual(
                { args: c.args, status: r.status, stdout: r.stdout, stderr: r.stderr },
                { args: c.args, status: 2, stdout: "", stderr: `install-docker: ${c.message}\n` },
            );
        }
        assert.strictEqual(fs.readFileSync(path.join(host.root, "etc/docker/daemon.json"), "utf8"), before);
    });
});
