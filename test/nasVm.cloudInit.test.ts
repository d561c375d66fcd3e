// Provisioning a VM through cloud-init, checked by the real programs: `cloud-init schema` on the
// user data renderUserData makes from `provision`; apply-user-data.sh (the node side of a change)
// run by bash with stand-ins for Proxmox's `qm` and `pvesm` (no Proxmox here); and cloud-init
// itself, booted with systemd in a Debian bookworm root under systemd-nspawn with that user data
// as a NoCloud seed, the way Proxmox hands it to the VM: applied at the first boot, not again
// for the same instance id, and again for a changed user data (a new instance id).
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { nasScriptPaths } from "../components/nasVm";
import { renderUserData, UserDataArgs } from "../components/nasVm/userData";
import { KnownProvisionArgs, provisionCloudConfig } from "../components/provision";
import { debianRoot, localAptRepo } from "./helpers/debian";
import { requireTools, run, runOk } from "./helpers/exec";

const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKq8b3JlbmRlclVzZXJEYXRhVGVzdEtleQ homelab@test";

const provisioning: KnownProvisionArgs = {
    packages: ["homelab-hello"],
    files: [
        { path: "/etc/homelab/motd", content: "Managed by homelab\n", mode: "640", owner: "root:adm" },
        { path: "/usr/local/bin/hi", content: "#!/bin/sh\necho hi from $(hostname)\n", mode: "0755" },
    ],
    run: ["echo ran >> /root/ran.log", "hi > /root/hi.out"],
};
const args: UserDataArgs = { hostname: "nas", username: "admin", sshPublicKeys: [key], provision: provisioning };

describe("VM provisioning through cloud-init", function () {
    let work: string;
    before(function () {
        requireTools("cloud-init", "shellcheck");
        work = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-vm-provision-"));
    });
    after(() => fs.rmSync(work, { recursive: true, force: true }));

    const schema = (text: string) => {
        const f = path.join(work, "user-data");
        fs.writeFileSync(f, text);
        return run("cloud-init", ["schema", "--config-file", f], { timeoutMs: 60_000 });
    };

    describe("user data", function () {
        it("passes `cloud-init schema`", function () {
            const r = schema(renderUserData(args));
            assert.strictEqual(r.status, 0, r.stdout + r.stderr);
            assert.match(r.stdout, /Valid cloud-config/);
        });

        it("a broken variant fails `cloud-init schema` (control)", function () {
            const doc = YAML.parseDocument(renderUserData(args));
            doc.setIn(["write_files", 0, "defer"], 5);
            const r = schema(doc.toString());
            assert.notStrictEqual(r.status, 0);
            assert.match(r.stderr, /write_files.0.defer: 5 is not of type 'boolean'/);
        });

        it("packages join the NAS's, files become deferred write_files, commands follow the fixed runcmd", function () {
            const cfg = YAML.parse(renderUserData(args));
            assert.deepStrictEqual(cfg.packages, ["qemu-guest-agent", "mdadm", "samba", "homelab-hello"]);
            assert.deepStrictEqual(cfg.write_files, [
                { path: "/etc/homelab/motd", content: "Managed by homelab\n", permissions: "0640", owner: "root:adm", defer: true },
                { path: "/usr/local/bin/hi", content: "#!/bin/sh\necho hi from $(hostname)\n", permissions: "0755", owner: "root:root", defer: true },
            ]);
            assert.deepStrictEqual(cfg.runcmd, [["systemctl", "start", "qemu-guest-agent"], "echo ran >> /root/ran.log", "hi > /root/hi.out"]);
            assert.strictEqual(cfg.ssh_deletekeys, false, "a changed user data keeps the host keys");
        });

        it("without provisioning, the user data has no write_files and only the fixed command", function () {
            const cfg = YAML.parse(renderUserData({ ...args, provision: undefined }));
            assert.strictEqual(cfg.write_files, undefined);
            assert.deepStrictEqual(cfg.runcmd, [["systemctl", "start", "qemu-guest-agent"]]);
        });

        it("refuses what the guest's distribution could not install or write, naming the field", function () {
            assert.throws(() => provisionCloudConfig({ packages: ["Nginx"] }, "debian"), {
                message: "provision.packages[0]: 'Nginx' is not a Debian package name: lower-case letters, digits, '.', '+' and '-', at least two, such as curl",
            });
            assert.throws(() => renderUserData({ ...args, provision: { files: [{ path: "etc/motd", content: "" }] } }), {
                message: "provision.files[0].path: must be an absolute path of plain names (letters, digits, '.', '_', '-'), such as /etc/motd",
            });
        });
    });

    describe("apply-user-data.sh on the node (stand-in qm and pvesm)", function () {
        const script = nasScriptPaths.applyUserData;
        let bin: string;
        let snippet: string;
        let log: string;

        /** Stand-ins: `pvesm path` prints the snippet file; `qm status` prints the given state; `qm reboot` is logged. */
        function tools(state: string, uptime: number): void {
            fs.writeFileSync(path.join(bin, "pvesm"), `#!/bin/sh\n[ "$1 $2" = "path local:snippets/nas-user-data.yaml" ] || exit 2\necho ${snippet}\n`, { mode: 0o755 });
            fs.writeFileSync(
                path.join(bin, "qm"),
                `#!/bin/sh\necho "qm $*" >> ${log}\ncase "$1" in\nstatus) [ "$2" = 101 ] || exit 2; printf 'status: ${state}\\nuptime: ${uptime}\\n' ;;\nreboot) ;;\n*) exit 2 ;;\nesac\n`,
                { mode: 0o755 },
            );
        }
        const apply = (...extra: string[]) =>
            run("bash", [script, "--vmid", "101", "--snippet", "local:snippets/nas-user-data.yaml", "--digest", "sha256:x", ...extra], {
                env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
            });
        const calls = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "");

        before(function () {
            bin = fs.mkdtempSync(path.join(work, "bin-"));
            snippet = path.join(bin, "nas-user-data.yaml");
            log = path.join(bin, "calls.log");
            fs.writeFileSync(snippet, "#cloud-config\n");
        });
        beforeEach(() => fs.rmSync(log, { force: true }));

        it("passes shellcheck", function () {
            runOk("shellcheck", ["--severity=style", script]);
        });

        it("restarts a running VM that started before the snippet was written", function () {
            // Written 10 s ago; the VM has run for an hour.
            const t = Date.now() / 1000 - 10;
            fs.utimesSync(snippet, t, t);
            tools("running", 3600);
            const r = apply();
            assert.strictEqual(r.status, 0, r.stderr);
            assert.strictEqual(r.stdout, "homelab-user-data: restarted=yes\n");
            assert.strictEqual(calls(), "qm status 101 --verbose\nqm reboot 101 --timeout 600\n");
        });

        it("leaves alone a VM that started after the snippet was written (a re-run, or a new VM)", function () {
            const t = Date.now() / 1000 - 3600;
            fs.utimesSync(snippet, t, t);
            tools("running", 60);
            const r = apply();
            assert.strictEqual(r.status, 0, r.stderr);
            assert.strictEqual(r.stdout, "homelab-user-data: restarted=no\n");
            assert.strictEqual(calls(), "qm status 101 --verbose\n");
        });

        it("leaves alone a stopped VM: its next start reads the snippet", function () {
            tools("stopped", 0);
            const r = apply();
            assert.strictEqual(r.status, 0, r.stderr);
            assert.strictEqual(r.stdout, "homelab-user-data: restarted=no\n");
            assert.match(r.stderr, /VM 101 is stopped: its next start reads the new user data/);
            assert.doesNotMatch(calls(), /reboot/);
        });

        it("refuses bad arguments (exit 64) before calling qm", function () {
            tools("running", 3600);
            const bad = run("bash", [script, "--vmid", "42", "--snippet", "local:snippets/x.yaml"], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
            assert.strictEqual(bad.status, 64);
            assert.match(bad.stderr, /--vmid must be a guest id \(100 or more\), got '42'/);
            const notSnippet = run("bash", [script, "--vmid", "101", "--snippet", "local:iso/x.img"], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
            assert.strictEqual(notSnippet.status, 64);
            assert.strictEqual(calls(), "");
        });
    });

    describe("cloud-init applying it at boot (Debian bookworm under systemd-nspawn)", function () {
        this.timeout(1_200_000);
        let root: string;

        /**
         * Writes the NoCloud seed as Proxmox builds the drive (user data; instance id a digest of
         * it, as nocloud_gen_metadata does; no network config here) and boots the root once: a
         * unit after cloud-init's last stage records its status and powers off.
         */
        function boot(userData: string): { status: string; n: number } {
            const seed = path.join(root, "var/lib/cloud/seed/nocloud");
            fs.mkdirSync(seed, { recursive: true });
            fs.writeFileSync(path.join(seed, "user-data"), userData);
            fs.writeFileSync(path.join(seed, "meta-data"), `instance-id: ${crypto.createHash("sha1").update(userData).digest("hex")}\n`);
            const r = run("timeout", ["--kill-after=10", "240", "systemd-nspawn", "-q", "--register=no", "--keep-unit", "--private-network", "--console=pipe", "-b", "-D", root], {
                timeoutMs: 270_000,
            });
            const n = Number(fs.readFileSync(path.join(root, "root/boots"), "utf8").trim());
            const file = path.join(root, `root/status.${n}`);
            assert.ok(fs.existsSync(file), `the boot did not finish (nspawn exit ${r.status}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
            return { status: fs.readFileSync(file, "utf8"), n };
        }
        const read = (p: string) => fs.readFileSync(path.join(root, p), "utf8");
        const hostKey = () => read("etc/ssh/ssh_host_ed25519_key.pub");

        before(function () {
            requireTools("systemd-nspawn", "debootstrap", "dpkg-deb", "dpkg-scanpackages");
            root = debianRoot(["systemd-sysv", "cloud-init", "openssh-server"]);
            // The guest has no network: the NAS's own packages come as stand-ins (a no-op guest
            // agent unit, so that the fixed `systemctl start qemu-guest-agent` works), with the
            // provisioned one, from a local repository.
            localAptRepo(root, [
                { name: "homelab-hello" },
                { name: "homelab-hello2" },
                { name: "qemu-guest-agent", files: { "/lib/systemd/system/qemu-guest-agent.service": "[Service]\nType=oneshot\nExecStart=/bin/true\n" } },
                { name: "mdadm" },
                { name: "samba" },
            ]);
            // What a cloud image's own settings are here: the NoCloud seed, the local sources kept,
            // no network to configure in the container.
            fs.writeFileSync(
                path.join(root, "etc/cloud/cloud.cfg.d/90-homelab-test.cfg"),
                // (the minbase root has no locales package: C.UTF-8 is always there)
                "datasource_list: [ NoCloud, None ]\napt:\n  preserve_sources_list: true\nnetwork:\n  config: disabled\nlocale: C.UTF-8\n",
            );
            fs.writeFileSync(
                path.join(root, "etc/systemd/system/homelab-done.service"),
                [
                    "[Unit]",
                    "After=cloud-final.service",
                    "[Service]",
                    "Type=oneshot",
                    "ExecStart=/bin/sh -c 'n=$(($(cat /root/boots 2>/dev/null || echo 0) + 1)); echo $n > /root/boots; cloud-init status --long > /root/status.$n 2>&1; true'",
                    "ExecStartPost=/bin/systemctl poweroff --no-block",
                    "",
                ].join("\n"),
            );
            // Wanted by cloud-final itself: that unit runs after multi-user.target, which a unit it
            // wants would have to precede.
            fs.mkdirSync(path.join(root, "etc/systemd/system/cloud-final.service.wants"), { recursive: true });
            fs.symlinkSync("/etc/systemd/system/homelab-done.service", path.join(root, "etc/systemd/system/cloud-final.service.wants/homelab-done.service"));
        });
        after(() => {
            if (root) {
                fs.rmSync(root, { recursive: true, force: true });
            }
        });

        let key1: string;
        it("first boot: installs the package, writes the files with mode and owner, runs the commands, without errors", function () {
            const { status } = boot(renderUserData(args));
            assert.match(status, /status: done/, status);
            assert.deepStrictEqual(JSON.parse(read("var/lib/cloud/data/result.json")).v1.errors, []);
            assert.ok(fs.existsSync(path.join(root, "usr/share/homelab-hello/hello")), "homelab-hello is installed");
            assert.strictEqual(read("etc/homelab/motd"), "Managed by homelab\n");
            const motd = fs.statSync(path.join(root, "etc/homelab/motd"));
            assert.strictEqual(motd.mode & 0o7777, 0o640);
            const adm = read("etc/group").split("\n").find((l) => l.startsWith("adm:"))!.split(":")[2];
            assert.strictEqual([motd.uid, motd.gid].join(":"), `0:${adm}`);
            assert.strictEqual(fs.statSync(path.join(root, "usr/local/bin/hi")).mode & 0o7777, 0o755);
            assert.strictEqual(read("root/ran.log"), "ran\n");
            // The second command ran the file written before it.
            assert.match(read("root/hi.out"), /^hi from nas$/m);
            key1 = hostKey();
        });

        it("a boot with the same user data (same instance id) applies nothing again", function () {
            const { status } = boot(renderUserData(args));
            assert.match(status, /status: done/, status);
            assert.strictEqual(read("root/ran.log"), "ran\n");
        });

        it("a changed user data is a new instance: applied again at the next start, host keys kept", function () {
            fs.writeFileSync(path.join(root, "etc/homelab/motd"), "drifted\n");
            const changed = { ...provisioning, packages: ["homelab-hello", "homelab-hello2"], run: [...provisioning.run!, "echo third >> /root/ran.log"] };
            const { status } = boot(renderUserData({ ...args, provision: changed }));
            assert.match(status, /status: done/, status);
            assert.ok(fs.existsSync(path.join(root, "usr/share/homelab-hello2/hello")), "the new package is installed");
            assert.strictEqual(read("etc/homelab/motd"), "Managed by homelab\n");
            assert.strictEqual(read("root/ran.log"), "ran\nran\nthird\n");
            assert.strictEqual(hostKey(), key1, "ssh_deletekeys: false keeps the host key");
        });
    });
});
