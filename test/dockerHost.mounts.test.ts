import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { DockerHost, mountSharesScriptPath, ShareMountArgs } from "../components/dockerHost";
import { scriptCommand } from "../components/remoteScript";
import { capture } from "../scripts/capture";
import { have, run, runOk, RunResult } from "./helpers/exec";
import { dockerHostArgs, pve } from "./helpers/dockerHostArgs";
import { CapturedResource, one } from "./helpers/mocks";
import { debianRoot } from "./helpers/debian";

describe("mount-shares.sh (shellcheck)", () => {
    it("passes shellcheck", () => {
        assert.ok(have("shellcheck"), "shellcheck is not installed (Debian package shellcheck)");
        runOk("shellcheck", ["--severity=info", mountSharesScriptPath]);
    });
});

const password = "p@ss w'rd $x,=";
const newPassword = "n3w-p@ss,uid=0";
const media = (over: Partial<ShareMountArgs> = {}): ShareMountArgs => ({
    share: "media",
    server: "192.168.1.5",
    username: "docker",
    password: pulumi.secret(password),
    path: "/srv/media",
    ...over,
});
const documents: ShareMountArgs = { share: "documents", server: "192.168.1.5", username: "docker", password: pulumi.secret(password), uid: 33 };

/** The `create` command of every share mount an LXC DockerHost registers, by share (what remote.Command sends to the node). */
async function mountCommands(mounts: ShareMountArgs[]): Promise<Record<string, string>> {
    const { resources } = await capture(() => new DockerHost("docker", dockerHostArgs({ mounts }), pve()), { stack: "test", config: {}, preview: false });
    return Object.fromEntries(
        mounts.map((m) => {
            const r: CapturedResource = one(resources, "command:remote:Command", `docker-mount-${m.share}`);
            // stdin is masked by the capture; it must be a secret, and the command must not hold the password.
            assert.deepStrictEqual(r.secretPaths.sort(), ["connection", "stdin"]);
            return [m.share, String(r.inputs.create)];
        }),
    );
}

/** DockerHost's stdin for mount-shares.sh (its `credentials`): the user name and the password, one line each. */
const credentials = (pw: string) => `docker\n${pw}\n`;

/**
 * mount-shares.sh run for real on Debian bookworm booted with systemd inside systemd-nspawn (the
 * script runs `systemctl daemon-reload` after changing fstab on a systemd host), with exactly the
 * command that DockerHost gives remote.Command for an LXC host's share mount on the node, through
 * `bash -c` as the node's login shell runs it, and the credentials on stdin.
 *
 * STUBBED: the kernel of the development machines has no CIFS support (`modprobe cifs` finds no
 * module, /proc/filesystems lists no cifs), and the container has no network and no NAS to mount
 * from anyway. So /usr/sbin/mount.cifs (the helper that mount(8) runs for a `cifs` fstab line)
 * is replaced by a stand-in that
 *   1. records the arguments mount(8) gave it,
 *   2. fails unless the credentials file named in its options exists as mode 0600 root:root,
 *   3. runs the REAL mount.cifs (moved to /usr/lib/homelab-test/, as it must keep its name) with
 *      --verbose: it reads the credentials file and prints the options it would hand to the kernel (user=..., pass=*****),
 *      then fails only at the mount(2) call itself ("cifs filesystem not supported", or, with a
 *      CIFS-capable kernel, no route to the NAS); the stand-in requires that options line,
 *   4. mounts a tmpfs on the target instead, so that `mountpoint` and `umount` behave as after a
 *      real mount.
 * Everything else (mount(8) reading fstab, chattr, systemd) is real.
 *
 * The cases run in order on one container, each starting from the state the previous one left.
 */
describe("mount-shares.sh in a booted Debian bookworm container", function () {
    this.timeout(120_000);

    const mediaTarget = "/mnt/homelab/docker/media";
    const docsTarget = "/mnt/homelab/docker/documents";
    const mediaLine = `//192.168.1.5/media ${mediaTarget} cifs credentials=/etc/homelab/cifs/docker-media.cred,uid=101000,gid=101000,file_mode=0770,dir_mode=0770,vers=3.0,_netdev,nofail 0 0 # homelab:docker-media`;
    const docsLine = `//192.168.1.5/documents ${docsTarget} cifs credentials=/etc/homelab/cifs/docker-documents.cred,uid=100033,gid=100033,file_mode=0770,dir_mode=0770,vers=3.0,_netdev,nofail 0 0 # homelab:docker-documents`;
    const stubLog = "/root/mount.cifs.log";
    const stub = `#!/bin/bash
# Test stand-in for mount.cifs: see test/dockerHost.mounts.test.ts (this kernel has no CIFS).
set -u
log=${stubLog}
{ printf 'argv:'; printf ' [%s]' "$@"; echo; } >>"$log"
source=$1 target=$2
opts=""
while [ "$#" -gt 0 ]; do
    if [ "$1" = -o ]; then opts=$2; shift; fi
    shift
done
cred=\${opts#*credentials=}
cred=\${cred%%,*}
owner=$(stat -c '%a %U:%G' "$cred" 2>&1)
echo "credentials: $cred $owner" >>"$log"
[ "$owner" = "600 root:root" ] || { echo "mount.cifs stand-in: bad credentials file $cred: $owner" >&2; exit 1; }
[ ! -e /root/fail-mount ] || { echo "mount error(112): Host is down" >&2; exit 32; }
real=$(/usr/lib/homelab-test/mount.cifs "$source" "$target" --verbose -o "$opts" 2>&1)
rc=$?
kernel=$(printf '%s\\n' "$real" | grep '^mount.cifs kernel mount options: ')
[ "$rc" -eq 32 ] && [ -n "$kernel" ] || { printf 'mount.cifs stand-in: the real mount.cifs said (%s):\\n%s\\n' "$rc" "$real" >&2; exit 1; }
echo "$kernel" >>"$log"
mount -t tmpfs -o mode=0770 homelab-cifs-stand-in "$target"
`;

    let root = "";
    let original = "";
    let commands: Record<string, string> = {};
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

    /** What the node's login shell does with remote.Command's `create`. */
    function runMount(command: string, stdin: string): RunResult {
        return inContainer(["bash", "-c", command], stdin);
    }

    const read = (p: string) => fs.readFileSync(path.join(root, p), "utf8");
    const stubCalls = () => (fs.existsSync(path.join(root, stubLog)) ? read(stubLog) : "");

    /** Mode, owner and content of the credentials and fstab files, and the mounts. */
    function state(): string {
        return sh("stat -c '%a %U:%G %i %n' /etc/fstab /etc/homelab/cifs /etc/homelab/cifs/*.cred && sha256sum /etc/fstab /etc/homelab/cifs/*.cred && findmnt -rn -o TARGET,FSTYPE -t tmpfs | grep homelab || true");
    }

    async function waitFor(what: string, ms: number, check: () => boolean): Promise<void> {
        const deadline = Date.now() + ms;
        while (!check()) {
            if (Date.now() > deadline) {
                throw new Error(`timed out after ${ms} ms waiting for ${what}`);
            }
            await new Promise((r) => setTimeout(r, 250));
        }
    }

    before(async function () {
        this.timeout(900_000);
        for (const cmd of ["systemd-nspawn", "nsenter", "debootstrap", "chattr"]) {
            assert.ok(have(cmd), `${cmd} is not installed`);
        }
        commands = await mountCommands([media(), documents]);
        root = debianRoot(["cifs-utils", "e2fsprogs", "systemd-sysv"]);
        fs.chmodSync(root, 0o755);
        original = read("etc/fstab");
        // The real helper keeps its name: it derives the file system type (cifs or smb3) from it.
        fs.mkdirSync(path.join(root, "usr/lib/homelab-test"));
        fs.renameSync(path.join(root, "usr/sbin/mount.cifs"), path.join(root, "usr/lib/homelab-test/mount.cifs"));
        fs.writeFileSync(path.join(root, "usr/sbin/mount.cifs"), stub, { mode: 0o755 });
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
            // SIGTERM makes systemd-nspawn power the booted container off cleanly (its mounts go with it).
            nspawn.kill("SIGTERM");
            const timer = setTimeout(() => nspawn!.kill("SIGKILL"), 20_000);
            await exited;
            clearTimeout(timer);
        }
        if (root !== "") {
            // An immutable directory cannot be removed.
            for (const t of [mediaTarget, docsTarget]) {
                if (fs.existsSync(path.join(root, t))) {
                    run("chattr", ["-i", path.join(root, t)]);
                }
            }
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("gets from DockerHost the command for the node: the script and its arguments, no password", () => {
        assert.strictEqual(
            commands.media,
            scriptCommand(fs.readFileSync(mountSharesScriptPath, "utf8"), [
                "--name", "docker-media",
                "--server", "192.168.1.5",
                "--share", "media",
                "--target", mediaTarget,
                "--uid", "101000",
                "--gid", "101000",
            ]),
        );
        assert.ok(commands.documents.endsWith(`--target ${docsTarget} --uid 100033 --gid 100033; rc=$?; rm -f "$f"; exit $rc`));
        for (const c of Object.values(commands)) {
            assert.ok(!c.includes(password) && !c.includes("p@ss"), "the password is in the command");
        }
    });

    it("writes the fstab line and a root-only credentials file, and mounts the share (first run)", () => {
        const r = runMount(commands.media, credentials(password));
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
        assert.strictEqual(r.stdout, "homelab-cifs: name=docker-media changed=yes\n");
        assert.strictEqual(
            r.stderr,
            [
                "mount-shares: writing /etc/homelab/cifs/docker-media.cred",
                `mount-shares: writing the fstab entry for ${mediaTarget}`,
                `mount-shares: mounting //192.168.1.5/media on ${mediaTarget}`,
                "",
            ].join("\n"),
        );

        assert.strictEqual(read("etc/fstab"), `${original}${mediaLine}\n`);
        assert.strictEqual(read("etc/homelab/cifs/docker-media.cred"), `username=docker\npassword=${password}\n`);
        assert.strictEqual(sh("stat -c '%a %U:%G' /etc/homelab/cifs /etc/homelab/cifs/docker-media.cred"), "700 root:root\n600 root:root\n");
        // No temporary credentials left beside it.
        assert.strictEqual(sh("ls -A /etc/homelab/cifs"), "docker-media.cred\n");

        // What mount(8) handed the helper, and what the real mount.cifs made of the file.
        assert.strictEqual(
            stubCalls(),
            [
                `argv: [//192.168.1.5/media] [${mediaTarget}] [-o] [rw,credentials=/etc/homelab/cifs/docker-media.cred,uid=101000,gid=101000,file_mode=0770,dir_mode=0770,vers=3.0,_netdev,nofail]`,
                "credentials: /etc/homelab/cifs/docker-media.cred 600 root:root",
                "mount.cifs kernel mount options: ip=192.168.1.5,unc=\\\\192.168.1.5\\media,file_mode=0770,dir_mode=0770,vers=3.0,uid=101000,gid=101000,user=docker,pass=********",
                "",
            ].join("\n"),
        );
        assert.ok(!stubCalls().includes("p@ss"), "the password reached the helper's command line");
        assert.ok(!read("etc/fstab").includes("p@ss"), "the password is in fstab");
        assert.strictEqual(sh(`mountpoint ${mediaTarget}`), `${mediaTarget} is a mountpoint\n`);
        // systemd-fstab-generator made a unit of the new line: the script's daemon-reload ran. (The
        // generated file, not `systemctl show`: once mounted, systemd reports the stand-in's source.)
        assert.strictEqual(
            sh("grep -E '^(SourcePath|What|Where|Type)=' /run/systemd/generator/mnt-homelab-docker-media.mount | sort"),
            `SourcePath=/etc/fstab\nType=cifs\nWhat=//192.168.1.5/media\nWhere=${mediaTarget}\n`,
        );
    });

    it("mounts a second share beside it with its own line and file", () => {
        const r = runMount(commands.documents, credentials(password));
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
        assert.strictEqual(r.stdout, "homelab-cifs: name=docker-documents changed=yes\n");
        assert.strictEqual(read("etc/fstab"), `${original}${mediaLine}\n${docsLine}\n`);
        assert.strictEqual(sh("ls -A /etc/homelab/cifs"), "docker-documents.cred\ndocker-media.cred\n");
    });

    it("changes nothing on a second run: fstab and credentials byte-identical, no remount", () => {
        const before = state();
        const calls = stubCalls();
        const r = runMount(commands.media, credentials(password));
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
        assert.strictEqual(r.stdout, "homelab-cifs: name=docker-media changed=no\n");
        assert.strictEqual(r.stderr, "");
        assert.strictEqual(state(), before);
        assert.strictEqual(stubCalls(), calls);
    });

    it("on a changed password rewrites only the credentials file and remounts", async () => {
        const changed = await mountCommands([media({ password: pulumi.secret(newPassword) }), documents]);
        // The command is the same: Pulumi re-runs it because its (secret) stdin changed.
        assert.strictEqual(changed.media, commands.media);
        const fstab = read("etc/fstab");
        const docsCred = read("etc/homelab/cifs/docker-documents.cred");
        const calls = stubCalls();

        const r = runMount(changed.media, credentials(newPassword));
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
        assert.strictEqual(r.stdout, "homelab-cifs: name=docker-media changed=yes\n");
        assert.strictEqual(
            r.stderr,
            [
                "mount-shares: writing /etc/homelab/cifs/docker-media.cred",
                `mount-shares: unmounting ${mediaTarget} to mount it with the new settings`,
                `mount-shares: mounting //192.168.1.5/media on ${mediaTarget}`,
                "",
            ].join("\n"),
        );
        assert.strictEqual(read("etc/fstab"), fstab);
        assert.strictEqual(read("etc/homelab/cifs/docker-media.cred"), `username=docker\npassword=${newPassword}\n`);
        assert.strictEqual(sh("stat -c '%a %U:%G' /etc/homelab/cifs/docker-media.cred"), "600 root:root\n");
        assert.strictEqual(read("etc/homelab/cifs/docker-documents.cred"), docsCred);
        assert.ok(stubCalls().startsWith(calls) && stubCalls().slice(calls.length).startsWith("argv: [//192.168.1.5/media]"), stubCalls());
        assert.ok(!stubCalls().includes("n3w-p@ss"), "the password reached the helper's command line");
        assert.strictEqual(sh(`mountpoint ${mediaTarget}`), `${mediaTarget} is a mountpoint\n`);
    });

    it("leaves the target an empty immutable directory while the share is not mounted", () => {
        sh(`umount ${mediaTarget}`);
        // ext4 under the test's temporary directory supports attributes; skip only this check where it does not.
        const attrs = inContainer(["lsattr", "-d", mediaTarget]);
        if (attrs.status === 0) {
            const [flags, file] = attrs.stdout.trim().split(" ");
            assert.strictEqual(file, mediaTarget);
            assert.ok(flags.includes("i"), `not immutable: ${attrs.stdout}`);
            const write = inContainer(["touch", `${mediaTarget}/lost-data`]);
            assert.strictEqual(write.status, 1);
            assert.match(write.stderr, /Operation not permitted/);
        } else {
            console.log(`      (skipped: lsattr cannot read attributes here: ${attrs.stderr.trim()})`);
        }
        assert.strictEqual(sh(`ls -A ${mediaTarget}`), "");
    });

    it("mounts it again on the next run, changing neither file", () => {
        const fstab = read("etc/fstab");
        const cred = read("etc/homelab/cifs/docker-media.cred");
        const r = runMount(commands.media, credentials(newPassword));
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
        assert.strictEqual(r.stdout, "homelab-cifs: name=docker-media changed=yes\n");
        assert.strictEqual(r.stderr, `mount-shares: mounting //192.168.1.5/media on ${mediaTarget}\n`);
        assert.strictEqual(read("etc/fstab"), fstab);
        assert.strictEqual(read("etc/homelab/cifs/docker-media.cred"), cred);
        assert.strictEqual(sh(`mountpoint ${mediaTarget}`), `${mediaTarget} is a mountpoint\n`);
    });

    it("replaces its own fstab line when an option changes, leaving the other share's line", async () => {
        const changed = await mountCommands([media({ uid: 1001, password: pulumi.secret(newPassword) }), documents]);
        const r = runMount(changed.media, credentials(newPassword));
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
        assert.strictEqual(r.stdout, "homelab-cifs: name=docker-media changed=yes\n");
        assert.strictEqual(read("etc/fstab"), `${original}${docsLine}\n${mediaLine.replace(/101000/g, "101001")}\n`);
        // And back, for the cases below.
        assert.strictEqual(runMount(commands.media, credentials(newPassword)).status, 0);
        assert.strictEqual(read("etc/fstab"), `${original}${docsLine}\n${mediaLine}\n`);
    });

    it("fails with exit 1 and says so when the share cannot be mounted, leaving the target immutable and empty", () => {
        sh(`umount ${mediaTarget} && touch /root/fail-mount`);
        try {
            const r = runMount(commands.media, credentials(newPassword));
            assert.strictEqual(r.status, 1, r.stdout + r.stderr);
            assert.strictEqual(r.stdout, "");
            assert.strictEqual(
                r.stderr,
                [
                    `mount-shares: mounting //192.168.1.5/media on ${mediaTarget}`,
                    "mount error(112): Host is down",
                    `mount-shares: could not mount //192.168.1.5/media on ${mediaTarget}: is the server up and the password right?`,
                    "",
                ].join("\n"),
            );
            assert.strictEqual(inContainer(["mountpoint", "-q", mediaTarget]).status, 32);
            assert.strictEqual(sh(`ls -A ${mediaTarget}`), "");
            const attrs = inContainer(["lsattr", "-d", mediaTarget]);
            // As above: only where the file system keeps attributes.
            if (attrs.status === 0) {
                assert.ok(attrs.stdout.split(" ")[0].includes("i"), `not immutable: ${attrs.stdout}`);
            }
        } finally {
            sh("rm -f /root/fail-mount");
        }
    });

    const refused: [string, string[], string, number, string][] = [
        ["a target with a space", ["--target", "/mnt/a b"], credentials(password), 2, '--target must be an absolute path of plain names, got "/mnt/a b"'],
        ["a comma in the share", ["--share", "media,uid=0"], credentials(password), 2, "--share must be a share name of letters, digits, '.', '_' and '-', got \"media,uid=0\""],
        ["a non-numeric uid", ["--uid", "root"], credentials(password), 2, '--uid must be a number, got "root"'],
        ["an unknown argument", ["--password", "x"], credentials(password), 2, 'unknown argument "--password"'],
        ["a flag without its value", ["--mode"], credentials(password), 2, "--mode needs a value"],
        ["no password on stdin", [], "docker\n", 2, "stdin must hold the SMB password on its second line"],
        ["an empty stdin", [], "", 2, "stdin must hold the SMB user name on its first line"],
        ["a user name with a space", [], `two words\n${password}\n`, 2, "the SMB user name must be letters, digits, '.', '_' and '-'"],
        ["an unknown protocol", ["--type", "smb"], credentials(password), 2, '--type must be cifs or nfs, got "smb"'],
        ["an NFS mount given a share name and ids", ["--type", "nfs", "--export", "/srv/shares/media"], "", 2, "--share, --uid and --gid are for cifs; an NFS mount takes --export"],
        ["an NFS export that is not an absolute path", ["--type", "nfs", "--export", "srv/media"], "", 2, '--export must be the exported directory, an absolute path of plain names, got "srv/media"'],
        ["a CIFS mount given an export", ["--export", "/srv/shares/media"], credentials(password), 2, "--export is for nfs; a cifs mount takes --share"],
    ];
    const good = ["--name", "docker-media", "--server", "192.168.1.5", "--share", "media", "--target", mediaTarget, "--uid", "101000", "--gid", "101000"];
    for (const [what, over, stdin, status, message] of refused) {
        it(`refuses ${what} with exit ${status} and the exact message, touching nothing`, () => {
            const before = state();
            // Later flags win, so appending an override replaces the good value.
            const r = runMount(scriptCommand(fs.readFileSync(mountSharesScriptPath, "utf8"), [...good, ...over]), stdin);
            assert.strictEqual(r.status, status, r.stdout + r.stderr);
            assert.strictEqual(r.stderr, `mount-shares: ${message}\n`);
            assert.strictEqual(r.stdout, "");
            assert.strictEqual(state(), before);
        });
    }

    it("refuses to run as anyone but root", () => {
        const before = state();
        const r = inContainer(["runuser", "-u", "nobody", "--", "bash", "-c", commands.media], credentials(password));
        assert.strictEqual(r.status, 1, r.stdout + r.stderr);
        assert.strictEqual(r.stderr, "mount-shares: must run as root\n");
        assert.strictEqual(state(), before);
    });
});
