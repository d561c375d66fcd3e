import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { sambaUsersStdin, sudoScriptCommand } from "../components/nasVm";
import { upsNutScriptPath } from "../components/proxmoxHost/upsNut";
import { scriptCommand } from "../components/remoteScript";
import { have, run, runOk, RunResult } from "./helpers/exec";

/**
 * The commands that @pulumi/command's remote.Command sends, run over a real OpenSSH server on
 * 127.0.0.1. remote.Command opens one session, sets stdin to the `stdin` input (no PTY) and calls
 * `session.Run(create)`: the OpenSSH client with the command as ONE argument and stdin piped sends
 * the same exec request, so the remote login shell runs exactly the string the library built.
 *
 * sshd runs as root from this process (it needs root to log anyone in), with its own host key,
 * pid file and authorized_keys in a temporary directory and a client key made for this run.
 */
describe("remote commands over a real sshd on 127.0.0.1", function () {
    this.timeout(60_000);

    let dir = "";
    let port = 0;
    let sshd: ChildProcess | undefined;
    let sshdLog = "";

    /** A free TCP port on 127.0.0.1 (the kernel picks it; closed again before sshd binds it). */
    function freePort(): Promise<number> {
        return new Promise((resolve, reject) => {
            const server = net.createServer();
            server.once("error", reject);
            server.listen(0, "127.0.0.1", () => {
                const p = (server.address() as net.AddressInfo).port;
                server.close(() => resolve(p));
            });
        });
    }

    /** Runs `command` as root over SSH, as one remote command string, with `input` on stdin. */
    function ssh(command: string, input = "", timeoutMs = 30_000): RunResult {
        return run(
            "ssh",
            [
                "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null",
                // Keeps "Permanently added ..." out of stderr, which the tests compare exactly.
                "-o", "LogLevel=ERROR",
                "-o", "ConnectTimeout=5",
                "-o", "IdentitiesOnly=yes",
                "-i", path.join(dir, "key"),
                "-p", String(port),
                "root@127.0.0.1",
                command,
            ],
            { input, timeoutMs },
        );
    }

    before(async function () {
        this.timeout(60_000);
        for (const cmd of ["/usr/sbin/sshd", "ssh", "ssh-keygen", "sudo", "ps", "base64", "sha256sum"]) {
            assert.ok(have(cmd), `${cmd} is not installed (Debian packages openssh-server, openssh-client, sudo, procps, coreutils)`);
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-sshd-"));
        runOk("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "homelab-test", "-f", path.join(dir, "key")], { timeoutMs: 10_000 });
        runOk("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "host_key")], { timeoutMs: 10_000 });
        fs.copyFileSync(path.join(dir, "key.pub"), path.join(dir, "authorized_keys"));

        // This machine has cloud-init installed but never booted with it, so the real
        // `cloud-init status --wait` that sudoScriptCommand starts with would wait forever
        // (`status: not run`). On the NAS cloud-init runs at first boot and the wait ends when it
        // is done. A stand-in first on the session's PATH answers like a finished cloud-init and
        // records how it was called.
        fs.mkdirSync(path.join(dir, "bin"));
        fs.writeFileSync(
            path.join(dir, "bin", "cloud-init"),
            `#!/bin/sh\necho "$*" >> ${dir}/cloud-init.calls\necho "status: done"\n`,
            { mode: 0o755 },
        );

        port = await freePort();
        const config = path.join(dir, "sshd_config");
        fs.writeFileSync(
            config,
            [
                `Port ${port}`,
                "ListenAddress 127.0.0.1",
                `HostKey ${dir}/host_key`,
                `PidFile ${dir}/sshd.pid`,
                `AuthorizedKeysFile ${dir}/authorized_keys`,
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password",
                "UsePAM no",
                "StrictModes no",
                `SetEnv PATH=${dir}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
                "",
            ].join("\n"),
        );
        fs.mkdirSync("/run/sshd", { recursive: true });
        runOk("/usr/sbin/sshd", ["-t", "-f", config], { timeoutMs: 10_000 });
        sshd = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
        sshd.stderr!.on("data", (d) => (sshdLog += String(d)));

        const deadline = Date.now() + 20_000;
        for (;;) {
            if (sshd.exitCode !== null) {
                throw new Error(`sshd exited ${sshd.exitCode}:\n${sshdLog}`);
            }
            const r = ssh("true", "", 10_000);
            if (r.status === 0) {
                break;
            }
            if (Date.now() > deadline) {
                throw new Error(`sshd did not accept the key within 20 s: ${r.stderr}\n${sshdLog}`);
            }
            await new Promise((res) => setTimeout(res, 200));
        }
    });

    after(async function () {
        this.timeout(20_000);
        if (sshd?.pid !== undefined && sshd.exitCode === null && sshd.signalCode === null) {
            const exited = new Promise((r) => sshd!.once("exit", r));
            // The listener only: each session's own sshd ended with its command.
            process.kill(sshd.pid, "SIGTERM");
            const timer = setTimeout(() => sshd?.pid !== undefined && process.kill(sshd.pid, "SIGKILL"), 10_000);
            await exited;
            clearTimeout(timer);
        }
        if (dir !== "") {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    describe("scriptCommand", () => {
        // Every kind of word the quoting must keep: spaces, quotes, expansions, globs, an empty
        // word, a newline, non-ASCII, a leading dash.
        const args = [
            "plain",
            "two words",
            "it's",
            "$HOME",
            "",
            'a"b',
            "semi;colon && echo injected",
            "*",
            "new\nline",
            "ünï-cödé",
            "--flag=x,y",
            "back\\slash",
            "`id`",
            "-",
        ];
        const secret = "s3cr3t on stdin 'q' $x";
        const secretSha = crypto.createHash("sha256").update(secret).digest("hex");
        // The script's text holds the here-document delimiter scriptCommand starts from, as a
        // line of its own: were it not lengthened, the command would end the script there. It
        // also holds text a shell would expand, and has no final newline.
        const script = [
            "set -u",
            'status=$1; shift',
            'echo "tmpfile=$0" >&2',
            'printf "%d args\\n" "$#"',
            'for a in "$@"; do printf "[%s]\\n" "$a"; done',
            "IFS= read -r secret",
            'printf "secret: %d chars, sha256 %s\\n" "${#secret}" "$(printf %s "$secret" | sha256sum | cut -d" " -f1)"',
            "cat <<'HOMELAB_SCRIPT'",
            "a here-document of the script itself: $HOME `id` \\n",
            "HOMELAB_SCRIPT",
            // What any other user on the host could see while the script runs.
            'echo "--- ps" >&2',
            "ps -eo args >&2",
            'exit "$status"',
        ].join("\n");

        for (const status of [0, 7]) {
            it(`gives back the exact stdout and exit status ${status}, keeps the secret out of ps and removes the temp file`, () => {
                const command = scriptCommand(script, [String(status), ...args]);
                const r = ssh(command, `${secret}\n`);
                assert.strictEqual(r.status, status, r.stderr);
                const tmpfile = /^tmpfile=(\/tmp\/tmp\.[A-Za-z0-9]+)$/m.exec(r.stderr)?.[1];
                assert.ok(tmpfile, r.stderr);
                const ps = r.stderr.slice(r.stderr.indexOf("--- ps\n"));
                // The process list shows command lines (the script's own, with its arguments,
                // and the whole remote command): exactly why the secret travels on stdin.
                assert.ok(ps.includes(`bash ${tmpfile} ${status} plain two words it's $HOME  a"b semi;colon && echo injected *`), ps);
                assert.ok(ps.includes("f=$(mktemp) && cat > \"$f\" <<'HOMELAB_SCRIPT_'"), ps);
                assert.ok(!r.stderr.includes(secret), "the secret shows in the remote process list");
                assert.ok(!r.stderr.includes("s3cr3t"), "part of the secret shows in the remote process list");
                assert.strictEqual(
                    r.stdout,
                    [
                        `${args.length} args`,
                        ...args.map((a) => `[${a}]`),
                        `secret: ${secret.length} chars, sha256 ${secretSha}`,
                        "a here-document of the script itself: $HOME `id` \\n",
                        "",
                    ].join("\n"),
                );

                const gone = ssh(`test -e ${tmpfile}`);
                assert.strictEqual(gone.status, 1, `${tmpfile} is still on the host`);
            });
        }

        it("gives the script an empty stdin when there is none (remote.Command without stdin)", () => {
            const r = ssh(scriptCommand('if IFS= read -r line; then echo "read: $line"; else echo "eof"; fi\n'), "");
            assert.strictEqual(r.status, 0, r.stderr);
            assert.strictEqual(r.stdout, "eof\n");
            assert.strictEqual(r.stderr, "");
        });

        // The real ups-nut.sh (ProxmoxHost runs it this way): bad arguments fail before it looks
        // for NUT, so these need no NUT on this machine.
        const upsScript = fs.readFileSync(upsNutScriptPath, "utf8");
        const badUps: [string, string[], string, string][] = [
            ["a flag without its value", ["--help"], "", "homelab-ups: error: --help needs a value"],
            ["an unknown argument", ["--colour", "red"], "pw\n", "homelab-ups: error: unknown argument '--colour'"],
            ["no password on stdin", ["--name", "ups"], "", "homelab-ups: error: the upsmon password must be given on stdin (one line)"],
            ["a percent above 100", ["--shutdown-percent", "150"], "pw\n", "homelab-ups: error: --shutdown-percent must be an integer from 0 to 100, got '150'"],
            ["a name with a space", ["--name", "my ups"], "pw\n", "homelab-ups: error: --name must match [A-Za-z0-9_-]+, got 'my ups'"],
        ];
        for (const [what, upsArgs, stdin, message] of badUps) {
            it(`runs the real ups-nut.sh: ${what} fails with exit 1 and the exact message`, () => {
                const r = ssh(scriptCommand(upsScript, upsArgs), stdin);
                assert.strictEqual(r.status, 1, r.stdout + r.stderr);
                assert.strictEqual(r.stderr, `${message}\n`);
                assert.strictEqual(r.stdout, "");
            });
        }
    });

    describe("sudoScriptCommand (the NAS's variant)", () => {
        // Reports what reached it: its user (through sudo), its arguments, and the config file and
        // stdin as base64, so that every byte can be compared.
        const script = [
            "#!/usr/bin/env bash",
            "set -euo pipefail",
            'status=$1; shift',
            'printf "uid=%s sudo_user=%s\\n" "$(id -u)" "${SUDO_USER:-none}"',
            'for a in "$@"; do printf "[%s]\\n" "$a"; done',
            'config=""',
            'while [ "$#" -gt 0 ]; do [ "$1" = --config ] && config=$2; shift; done',
            'echo "dir=$(dirname "$0")"',
            'echo "config-dir=$(dirname "$config")"',
            'echo "config=$(base64 -w0 "$config")"',
            'echo "stdin=$(base64 -w0)"',
            'exit "$status"',
            "",
        ].join("\n");
        // Tabs, trailing blanks, expansions, a CR, both here-document delimiters on lines of their own.
        const config = "[global]\n\tworkgroup = HOMELAB\n  trailing blanks   \n$HOME `id` \\n \\\\\nHOMELAB_CONFIG\nHOMELAB_SCRIPT\nünï\r\nlast line\n";
        const stdin = sambaUsersStdin(
            [{ name: "alice", password: "pw with 'quotes' $x \\ `id`" }, { name: "bob", password: "p2" }],
            [{ name: "media", users: ["alice", "bob"] }, { name: "photos", users: ["alice"] }],
        );

        for (const status of [0, 5]) {
            it(`runs the script as root through sudo -n with the config byte for byte and stdin, exit ${status}`, () => {
                fs.rmSync(path.join(dir, "cloud-init.calls"), { force: true });
                const command = sudoScriptCommand(script, [String(status), "--mount", "/srv/data", "two words"], {
                    config,
                    instance: "BC:24:11:AA:BB:CC",
                });
                assert.ok(command.startsWith("# homelab: vm instance BC:24:11:AA:BB:CC\n"), command.slice(0, 80));
                const r = ssh(command, stdin);
                assert.strictEqual(r.status, status, r.stdout + r.stderr);
                assert.strictEqual(r.stderr, "");
                const lines = r.stdout.split("\n");
                assert.deepStrictEqual(lines.slice(0, 5), ["uid=0 sudo_user=root", "[--mount]", "[/srv/data]", "[two words]", "[--config]"]);
                assert.match(lines[5], /^\[\/tmp\/tmp\.[A-Za-z0-9]+\/config\]$/);
                const field = (key: string) => {
                    const line = lines.find((l) => l.startsWith(`${key}=`));
                    assert.ok(line !== undefined, `${key}= missing from\n${r.stdout}`);
                    return line.slice(key.length + 1);
                };
                assert.ok(Buffer.from(field("config"), "base64").equals(Buffer.from(config)), Buffer.from(field("config"), "base64").toString());
                assert.ok(Buffer.from(field("stdin"), "base64").equals(Buffer.from(stdin)), Buffer.from(field("stdin"), "base64").toString());
                // Script and config share one private directory, removed afterwards whatever the status.
                assert.strictEqual(field("dir"), field("config-dir"));
                assert.strictEqual(ssh(`test -e ${field("dir")}`).status, 1, `${field("dir")} is still on the host`);
                // It waited for cloud-init first.
                assert.strictEqual(fs.readFileSync(path.join(dir, "cloud-init.calls"), "utf8"), "status --wait\n");
            });
        }
    });
});
