import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { upsNutCommandArgs, upsNutScriptPath } from "../components/proxmoxHost/upsNut";
import { debianRoot } from "./helpers/debian";
import { have, run, runOk, RunResult } from "./helpers/exec";

const defaultArgs = [
    "--name", "ups",
    "--driver", "nutdrv_qx",
    "--port", "auto",
    "--description", "",
    "--shutdown-percent", "30",
    "--shutdown-runtime", "0",
    "--admin-user", "upsmon",
];

describe("upsNutCommandArgs", () => {
    it("fills every documented default", () => {
        assert.deepStrictEqual(upsNutCommandArgs({ name: "ups" }), defaultArgs);
    });

    it("passes every given value through", () => {
        assert.deepStrictEqual(
            upsNutCommandArgs({
                name: "rack_1",
                driver: "blazer_usb",
                port: "/dev/ttyUSB0",
                description: "PowerWalker VI 1000 STL",
                shutdownPercent: 0,
                shutdownRuntimeSeconds: 300,
                monitorUser: "monitor",
            }),
            [
                "--name", "rack_1",
                "--driver", "blazer_usb",
                "--port", "/dev/ttyUSB0",
                "--description", "PowerWalker VI 1000 STL",
                "--shutdown-percent", "0",
                "--shutdown-runtime", "300",
                "--admin-user", "monitor",
            ],
        );
    });

    const bad: [string, Parameters<typeof upsNutCommandArgs>[0], string][] = [
        ["a percent above 100", { name: "ups", shutdownPercent: 150 }, "upsNut: shutdownPercent must be an integer from 0 to 100, got 150"],
        ["a negative percent", { name: "ups", shutdownPercent: -1 }, "upsNut: shutdownPercent must be an integer from 0 to 100, got -1"],
        ["a fractional percent", { name: "ups", shutdownPercent: 12.5 }, "upsNut: shutdownPercent must be an integer from 0 to 100, got 12.5"],
        ["a runtime above an hour", { name: "ups", shutdownRuntimeSeconds: 3601 }, "upsNut: shutdownRuntimeSeconds must be an integer from 0 to 3600, got 3601"],
        ["a name with a space", { name: "my ups" }, 'upsNut: name must match ^[A-Za-z0-9_-]+$, got "my ups"'],
        ["a driver with a slash", { name: "ups", driver: "../x" }, 'upsNut: driver must match ^[a-z0-9_-]+$, got "../x"'],
        ["a user with a colon", { name: "ups", monitorUser: "a:b" }, 'upsNut: monitorUser must match ^[A-Za-z0-9_-]+$, got "a:b"'],
        ["an empty port", { name: "ups", port: "" }, 'upsNut: port must be non-empty and on one line, got ""'],
        ["a two-line description", { name: "ups", description: "a\nb" }, "upsNut: description must be on one line"],
    ];
    for (const [what, args, message] of bad) {
        it(`rejects ${what}`, () => {
            assert.throws(() => upsNutCommandArgs(args), { message });
        });
    }

    it("points at the script beside it", () => {
        assert.ok(path.isAbsolute(upsNutScriptPath));
        assert.ok(fs.existsSync(upsNutScriptPath), upsNutScriptPath);
    });
});

describe("ups-nut.sh", () => {
    it("passes shellcheck", () => {
        assert.ok(have("shellcheck"), "shellcheck is not installed (Debian package shellcheck)");
        runOk("shellcheck", ["--severity=info", upsNutScriptPath]);
    });
});

/**
 * The script runs for real on Debian bookworm booted with systemd inside systemd-nspawn, since it
 * enables and restarts NUT's systemd units. The container has no network, so `nut` is
 * preinstalled in the cached root filesystem. Commands enter the container with nsenter (the
 * container is not registered with machined, so machinectl cannot reach it).
 *
 * The cases run in order on one container, each starting from the state the previous one left:
 * first run without a UPS, unchanged second run, bad arguments, then the full chain with the
 * dummy-ups driver and a simulated power failure.
 */
describe("ups-nut.sh in a booted Debian bookworm container", function () {
    this.timeout(120_000);

    const password = "Secr3t-pw!";
    const script = fs.readFileSync(upsNutScriptPath, "utf8");
    const files = ["nut.conf", "ups.conf", "upsd.conf", "upsd.users", "upsmon.conf"];
    const marker = "/run/homelab-ups-shutdown";
    const dummyArgs = [
        ...upsNutCommandArgs({ name: "ups", driver: "dummy-ups", port: "dummy.dev", shutdownPercent: 30 }),
        "--shutdown-cmd", `touch ${marker}`,
    ];
    let root = "";
    let nspawn: ChildProcess | undefined;
    let initPid = 0;

    function inContainer(cmd: string[], input = "", timeoutMs = 60_000): RunResult {
        return run("nsenter", ["-t", String(initPid), "-m", "-u", "-i", "-n", "-p", "--", ...cmd], { input, timeoutMs });
    }

    function sh(command: string): string {
        const r = inContainer(["sh", "-c", command]);
        assert.strictEqual(r.status, 0, `${command}\n${r.stdout}${r.stderr}`);
        return r.stdout;
    }

    /** Polls `check` every 250 ms until it returns true or `ms` pass. */
    async function waitFor(what: string, ms: number, check: () => boolean): Promise<void> {
        const deadline = Date.now() + ms;
        while (!check()) {
            if (Date.now() > deadline) {
                throw new Error(`timed out after ${ms} ms waiting for ${what}`);
            }
            await new Promise((r) => setTimeout(r, 250));
        }
    }

    function upsc(variable: string): string {
        return inContainer(["upsc", "ups@127.0.0.1", variable]).stdout.trim();
    }

    function fileState(): string {
        return sh(`cd /etc/nut && stat -c '%a %U:%G %n' ${files.join(" ")} && sha256sum ${files.join(" ")}`);
    }

    before(async function () {
        this.timeout(900_000);
        for (const cmd of ["systemd-nspawn", "nsenter", "debootstrap"]) {
            assert.ok(have(cmd), `${cmd} is not installed`);
        }
        root = debianRoot(["nut", "systemd-sysv"]);
        // The cached tarball keeps the 0700 mode of its build directory on "/", which would lock
        // the nut user out of everything (upsd could not even load its libraries).
        fs.chmodSync(root, 0o755);
        nspawn = spawn(
            "systemd-nspawn",
            ["-q", "--register=no", "--keep-unit", "--private-network", "--console=pipe", "-D", root, "-b"],
            { stdio: ["ignore", "ignore", "ignore"] },
        );
        const nspawnPid = nspawn.pid ?? 0;
        await waitFor("the container's systemd", 30_000, () => {
            const children = fs.readFileSync(`/proc/${nspawnPid}/task/${nspawnPid}/children`, "utf8").trim();
            initPid = Number(children.split(" ")[0] || 0);
            return initPid > 0 && fs.readFileSync(`/proc/${initPid}/comm`, "utf8").trim() === "systemd";
        });
        await waitFor("the container to finish booting", 60_000, () =>
            /^(running|degraded)$/m.test(inContainer(["systemctl", "is-system-running"]).stdout),
        );
    });

    after(async function () {
        this.timeout(60_000);
        if (nspawn?.pid !== undefined && nspawn.exitCode === null) {
            const exited = new Promise((r) => nspawn!.once("exit", r));
            // SIGTERM makes systemd-nspawn power the booted container off cleanly.
            nspawn.kill("SIGTERM");
            const timer = setTimeout(() => nspawn!.kill("SIGKILL"), 20_000);
            await exited;
            clearTimeout(timer);
        }
        if (root !== "") {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("installs the configuration without a UPS, warns about the driver and exits 0 (bash -s)", () => {
        // The ProxmoxHost way: the script text on stdin for `bash -s`, the password line after it.
        const r = inContainer(["bash", "-s", "--", ...upsNutCommandArgs({ name: "ups", description: "PowerWalker VI 1000 STL" })], `${script}${password}\n`);
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
        assert.deepStrictEqual(r.stdout.trim().split("\n"), [
            ...files.map((f) => `homelab-ups: wrote /etc/nut/${f}`),
            "homelab-ups: changed=5",
        ]);
        assert.match(r.stderr, /homelab-ups: warning: driver 'nutdrv_qx' for UPS 'ups' is not running \(is the UPS plugged in\?\)/);

        assert.strictEqual(
            sh(`cd /etc/nut && stat -c '%a %U:%G %n' ${files.join(" ")}`),
            files.map((f) => `640 root:nut ${f}\n`).join(""),
        );
        assert.strictEqual(sh("cat /etc/nut/nut.conf"), "MODE=standalone\n");
        assert.strictEqual(
            sh("cat /etc/nut/ups.conf"),
            [
                "[ups]",
                "    driver = nutdrv_qx",
                '    port = "auto"',
                '    desc = "PowerWalker VI 1000 STL"',
                "    ignorelb",
                "    override.battery.charge.low = 30",
                "",
            ].join("\n"),
        );
        assert.strictEqual(sh("cat /etc/nut/upsd.conf"), "LISTEN 127.0.0.1 3493\n");
        assert.strictEqual(sh("cat /etc/nut/upsd.users"), `[upsmon]\n    password = "${password}"\n    upsmon primary\n`);
        assert.strictEqual(
            sh("cat /etc/nut/upsmon.conf"),
            [
                `MONITOR ups@127.0.0.1 1 upsmon "${password}" primary`,
                "MINSUPPLIES 1",
                'SHUTDOWNCMD "/sbin/shutdown -h +0"',
                "POWERDOWNFLAG /etc/killpower",
                "",
            ].join("\n"),
        );
        assert.strictEqual(sh("systemctl is-enabled nut-server nut-monitor"), "enabled\nenabled\n");
        assert.strictEqual(sh("systemctl is-active nut-server nut-monitor"), "active\nactive\n");
        // upsd serves the UPS even while its driver is down.
        assert.strictEqual(sh("upsc -l 127.0.0.1 2>/dev/null"), "ups\n");
    });

    it("changes and restarts nothing on a second run (script as a file)", () => {
        fs.writeFileSync(path.join(root, "root/ups-nut.sh"), script);
        const before = fileState();
        const pids = sh("systemctl show -p MainPID --value nut-server nut-monitor");
        const r = inContainer(
            ["bash", "/root/ups-nut.sh", ...upsNutCommandArgs({ name: "ups", description: "PowerWalker VI 1000 STL" })],
            `${password}\n`,
        );
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
        assert.deepStrictEqual(r.stdout.trim().split("\n"), ["homelab-ups: no change", "homelab-ups: changed=0"]);
        assert.strictEqual(fileState(), before);
        assert.strictEqual(sh("systemctl show -p MainPID --value nut-server nut-monitor"), pids);
    });

    const badRuns: [string, string[], string, string][] = [
        ["a percent above 100", ["--shutdown-percent", "150"], password, "homelab-ups: error: --shutdown-percent must be an integer from 0 to 100, got '150'"],
        ["an unknown driver", ["--driver", "nosuch"], password, "homelab-ups: error: unknown NUT driver 'nosuch' (no /lib/nut/nosuch)"],
        ["an unknown argument", ["--colour", "red"], password, "homelab-ups: error: unknown argument '--colour'"],
        ["no password", [], "", "homelab-ups: error: the upsmon password must be given on stdin (one line)"],
        ["a password with a space", [], "two words", "homelab-ups: error: the upsmon password must not contain whitespace, quotes, backslashes or #"],
    ];
    for (const [what, extra, stdin, message] of badRuns) {
        it(`fails on ${what} with the exact message and touches nothing`, () => {
            const before = fileState();
            const r = inContainer(["bash", "/root/ups-nut.sh", ...defaultArgs, ...extra], `${stdin}\n`);
            assert.strictEqual(r.status, 1, r.stdout + r.stderr);
            assert.strictEqual(r.stderr, `${message}\n`);
            assert.strictEqual(r.stdout, "");
            assert.strictEqual(fileState(), before);
        });
    }

    it("runs the whole chain with dummy-ups: driver -> upsd -> upsmon logged in as primary", () => {
        sh("printf 'battery.charge: 80\\nups.status: OL\\n' > /etc/nut/dummy.dev");
        const r = inContainer(["bash", "/root/ups-nut.sh", ...dummyArgs], `${password}\n`);
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
        assert.deepStrictEqual(r.stdout.trim().split("\n"), [
            "homelab-ups: wrote /etc/nut/ups.conf",
            "homelab-ups: wrote /etc/nut/upsmon.conf",
            "homelab-ups: ups@127.0.0.1 status: OL",
            "homelab-ups: changed=2",
        ]);
        assert.doesNotMatch(r.stderr, /warning/);
        assert.strictEqual(upsc("battery.charge"), "80");
        assert.strictEqual(upsc("battery.charge.low"), "30");
        assert.strictEqual(upsc("driver.flag.ignorelb"), "enabled");
        // upsd lists logged-in upsmon clients; the script already waited for this login.
        assert.strictEqual(inContainer(["upsc", "-c", "ups@127.0.0.1"]).stdout, "127.0.0.1\n");
    });

    it("stays up on battery above --shutdown-percent and shuts down below it", async () => {
        const monitorLog = () => sh("journalctl -q -u nut-monitor --no-pager -o cat");
        sh("printf 'battery.charge: 50\\nups.status: OB\\n' > /etc/nut/dummy.dev");
        await waitFor("upsmon to see the UPS on battery", 30_000, () => /UPS ups@127.0.0.1 on battery/.test(monitorLog()));
        assert.strictEqual(upsc("ups.status"), "OB");
        assert.strictEqual(inContainer(["test", "-e", marker]).status, 1, "shut down at 50 % charge");

        // 20 % is below the threshold: the driver adds LB (ignorelb), upsmon sets FSD and runs SHUTDOWNCMD.
        sh("printf 'battery.charge: 20\\nups.status: OB\\n' > /etc/nut/dummy.dev");
        await waitFor("SHUTDOWNCMD to run", 45_000, () => inContainer(["test", "-e", marker]).status === 0);
        assert.strictEqual(upsc("ups.status"), "FSD OB LB");
        const log = monitorLog();
        assert.match(log, /UPS ups@127.0.0.1 battery is low/);
        assert.match(log, /Executing automatic power-fail shutdown/);
    });
});
