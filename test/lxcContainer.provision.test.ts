// provision.sh run for real: inside a Debian bookworm root booted with systemd under
// systemd-nspawn, the way LxcContainer runs it (`sh -c SCRIPT provision`, the spec on stdin; on
// Proxmox that is `pct exec VMID -- ...`). Packages come from a local apt repository (the
// container has no network) holding one package built here with dpkg-deb (localAptRepo).
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { provisionScriptPath } from "../components/lxcContainer";
import { KnownProvisionArgs, renderProvisionSpec } from "../components/provision";
import { debianRoot, localAptRepo } from "./helpers/debian";
import { run, runOk } from "./helpers/exec";

const script = fs.readFileSync(provisionScriptPath, "utf8");

/** The spec of the first runs: a package from the repository, one already there, two files, two commands. */
const provisioning: KnownProvisionArgs = {
    packages: ["homelab-hello", "bash"],
    files: [
        { path: "/etc/homelab/motd", content: "Managed by homelab\n", mode: "0640", owner: "root:adm" },
        { path: "/usr/local/bin/hi", content: "#!/bin/sh\necho hi from $(hostname)\n", mode: "0755" },
    ],
    run: ["echo ran >> /root/ran.log", "hi > /root/hi.out"],
};

/**
 * A oneshot unit that, at boot, runs the script on /root/spec as LxcContainer does, keeps its
 * stdout, stderr and status as /root/{out,err,rc}.N for run N, and powers the container off.
 */
function bootUnit(root: string): void {
    fs.writeFileSync(path.join(root, "root", "provision.sh"), script);
    fs.writeFileSync(
        path.join(root, "root", "boot-run.sh"),
        [
            "#!/bin/sh",
            "n=$(($(cat /root/runs 2>/dev/null || echo 0) + 1))",
            "echo $n > /root/runs",
            'sh -c "$(cat /root/provision.sh)" provision < /root/spec > /root/out.$n 2> /root/err.$n',
            "echo $? > /root/rc.$n",
            "",
        ].join("\n"),
    );
    const unit = path.join(root, "etc", "systemd", "system", "homelab-provision.service");
    fs.writeFileSync(
        unit,
        "[Unit]\nDescription=provision.sh under test\n\n[Service]\nType=oneshot\nExecStart=/bin/sh /root/boot-run.sh\nExecStartPost=/bin/systemctl poweroff --no-block\n\n[Install]\nWantedBy=multi-user.target\n",
    );
    const wants = path.join(root, "etc", "systemd", "system", "multi-user.target.wants");
    fs.mkdirSync(wants, { recursive: true });
    fs.symlinkSync("/etc/systemd/system/homelab-provision.service", path.join(wants, "homelab-provision.service"));
}

/** Boots the root once (the unit runs the script and powers off); returns run N's output. */
function boot(root: string, spec: string): { rc: number; out: string; err: string } {
    fs.writeFileSync(path.join(root, "root", "spec"), spec);
    const r = run("timeout", ["--kill-after=10", "120", "systemd-nspawn", "-q", "--register=no", "--keep-unit", "--private-network", "--console=pipe", "-b", "-D", root], {
        timeoutMs: 150_000,
    });
    const n = fs.readFileSync(path.join(root, "root", "runs"), "utf8").trim();
    const read = (f: string) => fs.readFileSync(path.join(root, "root", `${f}.${n}`), "utf8");
    assert.ok(fs.existsSync(path.join(root, "root", `rc.${n}`)), `the unit did not finish (nspawn exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    return { rc: Number(read("rc")), out: read("out"), err: read("err") };
}

/** Runs a command in the (not booted) root. */
function inRoot(root: string, cmd: string[], input = ""): { status: number | string; stdout: string; stderr: string } {
    return run("systemd-nspawn", ["-q", "--register=no", "--keep-unit", "--private-network", "--console=pipe", "-D", root, ...cmd], { input, timeoutMs: 60_000 });
}

describe("provision.sh in a booted Debian container (systemd-nspawn)", function () {
    this.timeout(900_000);
    let root: string;
    const stat = (p: string) => fs.statSync(path.join(root, p));

    before(function () {
        root = debianRoot(["systemd-sysv"]);
        localAptRepo(root, [{ name: "homelab-hello" }]);
        bootUnit(root);
    });
    after(() => {
        if (root) {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("passes shellcheck as POSIX sh (an Alpine guest has no bash)", () => {
        runOk("shellcheck", ["-s", "sh", provisionScriptPath]);
    });

    let first: { rc: number; out: string; err: string };
    let motdTime: number;
    it("first run: installs the missing package, writes the files with mode and owner, runs the commands", () => {
        first = boot(root, renderProvisionSpec("debian", provisioning));
        assert.strictEqual(first.rc, 0, first.err);
        assert.strictEqual(first.out, "homelab-provision: changed=yes\n");
        assert.match(inRoot(root, ["dpkg-query", "-W", "-f=${Status}", "homelab-hello"]).stdout, /install ok installed/);
        assert.strictEqual(fs.readFileSync(path.join(root, "etc/homelab/motd"), "utf8"), "Managed by homelab\n");
        assert.strictEqual(stat("etc/homelab/motd").mode & 0o7777, 0o640);
        const group = inRoot(root, ["stat", "-c", "%U:%G", "/etc/homelab/motd"]).stdout.trim();
        assert.strictEqual(group, "root:adm");
        assert.strictEqual(stat("usr/local/bin/hi").mode & 0o7777, 0o755);
        assert.strictEqual(fs.readFileSync(path.join(root, "root/ran.log"), "utf8"), "ran\n");
        // The second command ran the file the first step wrote.
        assert.match(fs.readFileSync(path.join(root, "root/hi.out"), "utf8"), /^hi from /);
        assert.match(first.err, /installing homelab-hello\n/);
        motdTime = stat("etc/homelab/motd").mtimeMs;
    });

    it("second run of the same spec changes nothing: no install, no write, no command", () => {
        const second = boot(root, renderProvisionSpec("debian", provisioning));
        assert.strictEqual(second.rc, 0, second.err);
        assert.strictEqual(second.out, "homelab-provision: changed=no\n");
        assert.strictEqual(second.err, "");
        assert.strictEqual(fs.readFileSync(path.join(root, "root/ran.log"), "utf8"), "ran\n");
        assert.strictEqual(stat("etc/homelab/motd").mtimeMs, motdTime);
    });

    it("a changed spec runs again: a drifted file is put back and the commands re-run", () => {
        fs.chmodSync(path.join(root, "etc/homelab/motd"), 0o666);
        const changed = { ...provisioning, run: [...provisioning.run!, "echo third >> /root/ran.log"] };
        const third = boot(root, renderProvisionSpec("debian", changed));
        assert.strictEqual(third.rc, 0, third.err);
        assert.strictEqual(third.out, "homelab-provision: changed=yes\n");
        assert.strictEqual(stat("etc/homelab/motd").mode & 0o7777, 0o640);
        assert.strictEqual(fs.readFileSync(path.join(root, "root/ran.log"), "utf8"), "ran\nran\nthird\n");
        assert.doesNotMatch(third.err, /installing/);
    });

    it("refuses a distribution it has no package manager for, and a bad spec, touching nothing", () => {
        const spec = "os nixos\npackage curl\n";
        const r = inRoot(root, ["sh", "-c", script, "provision"], spec);
        assert.strictEqual(r.status, 2);
        // nspawn adds lines of its own on stderr.
        const said = (x: { stderr: string }) => x.stderr.split("\n").filter((l) => l.startsWith("provision:"));
        assert.deepStrictEqual(said(r), ["provision: cannot provision a 'nixos' guest: no package manager known for it"]);
        const bad = inRoot(root, ["sh", "-c", script, "provision"], "os debian\nfile /etc/x 0644 root:root aGkK\nfile ../etc 0644 root aGkK\n");
        assert.strictEqual(bad.status, 2);
        assert.deepStrictEqual(said(bad), ['provision: bad file path "../etc"']);
        assert.ok(!fs.existsSync(path.join(root, "etc/x")), "nothing is written before the whole spec is checked");
    });
});
