// The rules that components and config validation share (issue 12): tables of values each rule
// takes and refuses, and, where the real program is here, that it agrees (ssh-keygen).
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { calendarEventProblem } from "../components/backupJob/calendarEvent";
import { firewallPortProblem } from "../components/firewall";
import { sshKeyTypes, sshPublicKeyProblem } from "../components/nasVm/userData";
import { storageIdProblem } from "../components/storage";
import { envProblem } from "../components/app";
import { cpusProblem } from "../components/app/containerFields";
import { imageFileProblem } from "../components/proxmoxHost";
import { guestFitProblems, nodeLoad } from "../components/proxmoxHost/capacity";
import { run } from "./helpers/exec";

describe("shared rules", () => {
    it("calendar events: takes Proxmox's documented forms, refuses cron, free text and out-of-range values", () => {
        for (const ok of ["02:00", "sun 03:00", "mon..fri 22:30", "sat,sun 1:30", "*-*-01 04:00", "2030-01-01", "*/5", "*/2:00", "mon,wed 1,13:00/30", "daily", "Weekly", "semi-annually", "sat *-1..7 15:00"]) {
            assert.strictEqual(calendarEventProblem(ok), undefined, ok);
        }
        const refused: [string, RegExp][] = [
            ["0 2 * * *", /'2 \* \* \*' is left over/],
            ["25:00", /hour 25 is out of range 0\.\.23/],
            ["12:60", /minute 60 is out of range/],
            ["every night", /'every' is not a weekday/],
            ["mon..xyz 02:00", /'mon\.\.xyz' is not a weekday/],
            ["5..1:00", /the hour range 5\.\.1 runs backwards/],
            ["*-13-01", /month 13 is out of range 1\.\.12/],
            ["*/0", /has step 0/],
            ["", /^is empty/],
        ];
        for (const [bad, why] of refused) {
            assert.match(calendarEventProblem(bad) ?? "", why, bad);
        }
    });

    it("firewall ports: every form, as pve-firewall reads a dport", () => {
        for (const ok of [1, 443, 65535, "80", "8000:8010", "80,443", "139,445,8000:8010", "1:65535"]) {
            assert.strictEqual(firewallPortProblem(ok), undefined, String(ok));
        }
        assert.strictEqual(firewallPortProblem(0), "port 0 is out of range: use a port 1-65535, a range first:last such as 8000:8010, or a list such as 80,443");
        assert.strictEqual(firewallPortProblem("65536"), "port 65536 is out of range: use a port 1-65535, a range first:last such as 8000:8010, or a list such as 80,443");
        assert.strictEqual(firewallPortProblem("90:80"), "the range 90:80 runs backwards: write 80:90");
        assert.strictEqual(firewallPortProblem("80-90"), "'80-90' is not a port, range or list of them: use a port 1-65535, a range first:last such as 8000:8010, or a list such as 80,443");
        assert.strictEqual(firewallPortProblem(1.5), "'1.5' is not a port, range or list of them: use a port 1-65535, a range first:last such as 8000:8010, or a list such as 80,443");
        assert.match(firewallPortProblem("1,2,3,4,5,6,7,8,9,10,11,12,13,14:15,16") ?? "", /lists 16 ports/);
    });

    it("storage ids: pve-storage-id", () => {
        for (const ok of ["local", "local-lvm", "nas-backups", "pbs.1", "a1"]) {
            assert.strictEqual(storageIdProblem(ok), undefined, ok);
        }
        for (const bad of ["", "1local", "local-", "my storage", "x"]) {
            assert.notStrictEqual(storageIdProblem(bad), undefined, bad);
        }
    });

    it("SSH public keys: every type OpenSSH takes, FIDO keys included, as ssh-keygen reads them", function () {
        this.timeout(60_000);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-keys-"));
        try {
            const lines: string[] = [];
            for (const [t, bits] of [["ed25519", ""], ["rsa", "2048"], ["ecdsa", "256"], ["ecdsa", "384"], ["ecdsa", "521"]]) {
                const f = path.join(dir, `k-${t}${bits}`);
                assert.strictEqual(run("ssh-keygen", ["-q", "-t", t, ...(bits ? ["-b", bits] : []), "-N", "", "-C", "x@y", "-f", f]).status, 0);
                lines.push(fs.readFileSync(`${f}.pub`, "utf8").trim());
            }
            // FIDO keys need the token to be made; their public form is the type, the key and the application.
            const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length].slice(-4)), b]);
            const sk = (type: string, key: Buffer[]) => `${type} ${Buffer.concat([str(Buffer.from(type)), ...key.map(str), str(Buffer.from("ssh:"))]).toString("base64")} admin@yubikey`;
            lines.push(sk("sk-ssh-ed25519@openssh.com", [Buffer.alloc(32, 7)]));
            lines.push(sk("sk-ecdsa-sha2-nistp256@openssh.com", [Buffer.from("nistp256"), Buffer.concat([Buffer.from([4]), Buffer.from(lines[2].split(" ")[1], "base64").subarray(-64)])]));
            assert.deepStrictEqual(new Set(lines.map((l) => l.split(" ")[0])), new Set(sshKeyTypes));
            const mislabelled = `ssh-rsa ${lines[0].split(" ")[1]} x@y`;
            for (const [line, accepted] of [...lines.map((l) => [l, true] as const), [mislabelled, false] as const, ["ssh-ed25519 AAAA", false] as const]) {
                const f = path.join(dir, "one.pub");
                fs.writeFileSync(f, `${line}\n`);
                const r = run("ssh-keygen", ["-l", "-f", f]);
                assert.strictEqual(r.status === 0, accepted, `ssh-keygen on ${line.slice(0, 40)}: ${r.stderr}`);
                assert.strictEqual(sshPublicKeyProblem(line) === undefined, accepted, `${line.slice(0, 40)}: ${sshPublicKeyProblem(line)}`);
            }
        } finally {
            fs.rmSync(dir, { recursive: true });
        }
    });
    it("image files: the kind by the extension, as Proxmox's download-url takes iso and vztmpl content", () => {
        for (const ok of ["debian-12-standard_12.12-1_amd64.tar.zst", "alpine-3.20-default_20240908_amd64.tar.xz", "x.tar.gz", "X.TAR.BZ2"]) {
            assert.strictEqual(imageFileProblem("lxc", ok), undefined, ok);
        }
        assert.strictEqual(imageFileProblem("vm", "debian-12-genericcloud-amd64.img"), undefined);
        const refused: ["lxc" | "vm", string, string, RegExp][] = [
            ["lxc", "debian-12.12.0-amd64-netinst.iso", "url", /is an ISO \(an installer\), not a container template/],
            ["lxc", "debian.qcow2", "kind", /is a VM disk image, not a container template: set kind: vm/],
            ["lxc", "download", "fileName", /a container template is stored as \.tar\.zst/],
            ["lxc", "x.tgz", "fileName", /got 'x\.tgz'/],
            ["vm", "debian-12-standard_12.12-1_amd64.tar.zst", "kind", /is a container template, not a VM disk image: set kind: lxc/],
            ["vm", "netinst.iso", "url", /is an installer ISO, not a cloud disk image/],
            ["vm", "debian.qcow2", "fileName", /only as \.img: set fileName: debian\.img \(got 'debian\.qcow2'\)/],
            ["vm", "debian.raw", "fileName", /set fileName: debian\.img/],
            ["vm", "image", "fileName", /set fileName: image\.img/],
        ];
        for (const [kind, file, field, why] of refused) {
            const p = imageFileProblem(kind, file);
            assert.strictEqual(p?.field, field, `${kind} ${file}`);
            assert.match(p!.message, why, `${kind} ${file}`);
        }
    });

    it("node capacity: a guest above its node is refused, a total above it is a warning, a node without sizes is not checked", () => {
        const node = { name: "pve1", cores: 4, memoryGb: 16 };
        assert.deepStrictEqual(guestFitProblems(node, { hostname: "a", cores: 4, memoryMb: 16384 }), []);
        assert.deepStrictEqual(
            guestFitProblems(node, { hostname: "a", cores: 5, memoryMb: 16385 }).map((p) => p.field),
            ["cores", "memoryMb"],
        );
        assert.deepStrictEqual(guestFitProblems({ name: "pve1" }, { hostname: "a", cores: 64, memoryMb: 1 << 20 }), []);
        assert.deepStrictEqual(guestFitProblems({ name: "pve1", memoryGb: 1.5 }, { hostname: "a", cores: 1, memoryMb: 1537 })[0].message, "node 'pve1' has 1.5 GB (1536 MB), less than the 1537 MB asked: use at most 1536, or place the guest on a bigger node");
        const within = nodeLoad(node, [{ hostname: "a", cores: 2, memoryMb: 8192 }, { hostname: "b", cores: 2, memoryMb: 8192 }]);
        assert.deepStrictEqual(within, { cores: 4, memoryMb: 16384, warnings: [] });
        const over = nodeLoad(node, [{ hostname: "a", cores: 3, memoryMb: 8192 }, { hostname: "b", cores: 2, memoryMb: 8193 }]);
        assert.strictEqual(over.warnings.length, 2);
        assert.match(over.warnings[0], /^node 'pve1': its guests \(a, b\) have 5 cores in all, the node 4 CPUs/);
        assert.match(over.warnings[1], /^node 'pve1': its guests \(a, b\) have 16385 MB of memory in all, the node 16384 MB/);
        assert.deepStrictEqual(nodeLoad({ name: "pve1" }, [{ hostname: "a", cores: 99, memoryMb: 99999 }]).warnings, []);
    });

    it("Docker env names: refused blank, with '=' or NUL; anything else Docker passes on", () => {
        for (const ok of ["PATH", "lower_case", "spring.datasource.url", "WITH SPACE", "_"]) {
            assert.strictEqual(envProblem(ok, "v"), undefined, ok);
        }
        assert.strictEqual(envProblem("", "v"), "an environment variable needs a name: Docker refuses a blank one");
        assert.strictEqual(envProblem("  ", "v"), "an environment variable needs a name: Docker refuses a blank one");
        assert.match(envProblem("A=B", "v") ?? "", /so the app would get 'A'/);
        assert.match(envProblem("A\u0000B", "v") ?? "", /^the name holds a NUL/);
        assert.match(envProblem("A", "x\u0000y") ?? "", /^the value holds a NUL/);
    });

    it("app CPU limits: at most the Docker host's cores, as the daemon checks NanoCPUs", () => {
        assert.strictEqual(cpusProblem(2, 2, "docker"), undefined);
        assert.strictEqual(cpusProblem(0.5, 1, "docker"), undefined);
        assert.strictEqual(cpusProblem(2.5, 2, "docker"), "2.5 CPUs is more than Docker host 'docker' has (cores: 2), which Docker refuses: use at most 2, or give the host more cores");
        assert.strictEqual(cpusProblem(2.5, 2, "docker", 4), "2.5 CPUs is more than Docker host 'docker' has (cores: 2), which Docker refuses: use at most 2, or give the host more cores");
        assert.strictEqual(cpusProblem(2.5, 2, "docker", 2), "2.5 CPUs is more than Docker host 'docker' has (cores: 2), which Docker refuses: use at most 2");
    });
});
