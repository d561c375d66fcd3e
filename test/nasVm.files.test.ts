import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { renderSmbConf, SmbConfArgs } from "../components/nasVm/smbConf";
import { renderUserData, UserDataArgs } from "../components/nasVm/userData";
import { debianRoot } from "./helpers/debian";
import { requireTools, run } from "./helpers/exec";
import { nasGuestPackages } from "./helpers/nasGuest";

/**
 * The files the NAS VM component ships, checked by the programs that will read them:
 * shellcheck for the scripts, cloud-init for the user data, testparm for smb.conf. The scripts'
 * argument and input checks run in a chroot (they must fail before touching anything).
 * Running the scripts for real is test/nasVm.raid.test.ts.
 */

const component = path.join(__dirname, "..", "components", "nasVm");
const scripts = [path.join(component, "storage.sh"), path.join(component, "samba.sh"), path.join(__dirname, "helpers", "nasDriver.sh")];

const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKq8b3JlbmRlclVzZXJEYXRhVGVzdEtleQ homelab@test";

describe("NAS VM files", function () {
    let work: string;
    before(function () {
        requireTools("shellcheck", "cloud-init", "testparm");
        work = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-nas-files-"));
    });
    after(function () {
        fs.rmSync(work, { recursive: true, force: true });
    });

    /** Writes `text` to a new file in the test directory and returns its path. */
    function file(name: string, text: string): string {
        const f = path.join(work, name);
        fs.writeFileSync(f, text);
        return f;
    }

    describe("NAS VM shell scripts", function () {
        for (const script of scripts) {
            it(`${path.basename(script)} passes shellcheck`, function () {
                const r = run("shellcheck", ["--severity=style", script]);
                assert.strictEqual(r.status, 0, r.stdout + r.stderr);
            });
        }

        it("shellcheck does fail a script with an unquoted expansion (control)", function () {
            const r = run("shellcheck", [file("bad.sh", "#!/bin/bash\nrm -rf $1/*\n")]);
            assert.notStrictEqual(r.status, 0);
            assert.match(r.stdout, /SC2115|SC2086/);
        });

        it("both scripts start with bash strict mode", function () {
            for (const script of scripts.slice(0, 2)) {
                const text = fs.readFileSync(script, "utf8");
                assert.match(text, /^#!\/usr\/bin\/env bash\n/);
                assert.match(text, /^set -euo pipefail$/m);
            }
        });
    });

    describe("NAS VM scripts refuse bad arguments before touching anything (in a chroot)", function () {
        this.timeout(15 * 60_000); // the first run builds the cached rootfs
        let root: string;
        const conf = "/opt/smb.conf";

        before(function () {
            root = debianRoot(nasGuestPackages);
            fs.mkdirSync(path.join(root, "opt"), { recursive: true });
            for (const s of ["storage.sh", "samba.sh"]) {
                fs.copyFileSync(path.join(component, s), path.join(root, "opt", s));
            }
        });
        after(function () {
            if (root) {
                fs.rmSync(root, { recursive: true, force: true });
            }
        });

        const inRoot = (args: string[], input = "") => run("chroot", [root, "bash", ...args], { input, timeoutMs: 60_000 });

        const usage: [string, string[], RegExp][] = [
            ["no members", ["--name", "data", "--mount", "/srv/data"], /at least two --member/],
            ["one member", ["--name", "data", "--mount", "/srv/data", "--member", "/dev/x"], /at least two --member/],
            ["a label too long for ext4", ["--name", "a-very-long-name-x", "--mount", "/srv/data", "--member", "/dev/x", "--member", "/dev/y"], /--name must be 1-16/],
            ["a relative mount point", ["--name", "data", "--mount", "srv/data", "--member", "/dev/x", "--member", "/dev/y"], /--mount must be an absolute path/],
            ["an unknown option", ["--name", "data", "--wipe", "yes"], /unknown argument --wipe/],
            ["an option without value", ["--name"], /--name needs a value/],
        ];
        for (const [what, args, message] of usage) {
            it(`storage.sh exits 64 on ${what}`, function () {
                const r = inRoot(["/opt/storage.sh", ...args]);
                assert.strictEqual(r.status, 64, r.stderr);
                assert.match(r.stderr, message);
            });
        }

        it("storage.sh refuses to create an array while a member is missing (exit 2)", function () {
            const r = inRoot(["/opt/storage.sh", "--name", "data", "--mount", "/srv/data", "--member", "/dev/disk/by-id/none-1", "--member", "/dev/disk/by-id/none-2"]);
            assert.strictEqual(r.status, 2, r.stderr);
            assert.match(r.stderr, /refusing: \/dev\/disk\/by-id\/none-1 does not exist/);
            assert.match(r.stdout, /^homelab-storage: state=refused changed=no /m);
        });

        it("samba.sh refuses a config with an unknown parameter and does not install it", function () {
            const before = fs.readFileSync(path.join(root, "etc/samba/smb.conf"), "utf8");
            fs.writeFileSync(
                path.join(root, conf.slice(1)),
                renderSmbConf({ shares: [{ name: "media", path: "/srv/data/media", users: ["docker"] }], extraGlobal: { "valid userz": "x" } }),
            );
            const r = inRoot(["/opt/samba.sh", "--config", conf], "docker\tpw\tmedia\n");
            assert.strictEqual(r.status, 1, r.stderr);
            assert.match(r.stderr, /Unknown parameter encountered: "valid userz"/);
            assert.match(r.stderr, /testparm finds unknown parameters/);
            assert.strictEqual(fs.readFileSync(path.join(root, "etc/samba/smb.conf"), "utf8"), before);
        });

        const badInput: [string, string, RegExp][] = [
            ["a line without TABs", "docker pw media\n", /expected user<TAB>password<TAB>shares/],
            ["an empty password", "docker\t\tmedia\n", /empty password for docker/],
            ["a bad user name", "Docker!\tpw\tmedia\n", /bad user name/],
            ["a user given twice", "docker\tpw\tmedia\ndocker\tpw2\tmedia\n", /docker given twice/],
            ["a share the config lacks", "docker\tpw\tphotos\n", /share 'photos', which .* does not define/],
        ];
        for (const [what, input, message] of badInput) {
            it(`samba.sh exits 64 on ${what} and installs nothing`, function () {
                const before = fs.readFileSync(path.join(root, "etc/samba/smb.conf"), "utf8");
                fs.writeFileSync(path.join(root, conf.slice(1)), renderSmbConf({ shares: [{ name: "media", path: "/srv/data/media", users: ["docker"] }] }));
                const r = inRoot(["/opt/samba.sh", "--config", conf], input);
                assert.strictEqual(r.status, 64, r.stderr);
                assert.match(r.stderr, message);
                assert.strictEqual(fs.readFileSync(path.join(root, "etc/samba/smb.conf"), "utf8"), before);
                assert.strictEqual(run("chroot", [root, "getent", "passwd", "docker"]).status, 2, "docker was created");
            });
        }

        it("samba.sh refuses (exit 2) when the data mount is not mounted", function () {
            fs.writeFileSync(path.join(root, conf.slice(1)), renderSmbConf({ shares: [{ name: "media", path: "/srv/data/media", users: ["docker"] }] }));
            fs.mkdirSync(path.join(root, "srv/data"), { recursive: true });
            const r = inRoot(["/opt/samba.sh", "--config", conf, "--mount", "/srv/data"], "docker\tpw\tmedia\n");
            assert.strictEqual(r.status, 2, r.stderr);
            assert.match(r.stderr, /refusing: \/srv\/data is not mounted/);
            assert.ok(!fs.existsSync(path.join(root, "srv/data/media")));
        });
    });

    describe("NAS VM cloud-init user data", function () {
        const args: UserDataArgs = { hostname: "nas", username: "admin", sshPublicKeys: [key], packages: ["smartmontools", "mdadm"] };

        const schema = (text: string) => run("cloud-init", ["schema", "--config-file", file("user-data", text)], { timeoutMs: 60_000 });

        it("passes `cloud-init schema`", function () {
            const r = schema(renderUserData(args));
            assert.strictEqual(r.status, 0, r.stdout + r.stderr);
            assert.match(r.stdout, /Valid cloud-config/);
        });

        it("the template file itself passes `cloud-init schema`", function () {
            const r = run("cloud-init", ["schema", "--config-file", path.join(component, "user-data.yaml")]);
            assert.strictEqual(r.status, 0, r.stdout + r.stderr);
        });

        it("a broken variant fails `cloud-init schema` (control)", function () {
            const doc = YAML.parseDocument(renderUserData(args));
            doc.set("packages", 42);
            const r = schema(doc.toString());
            assert.notStrictEqual(r.status, 0);
            assert.match(r.stderr, /packages: 42 is not of type 'array'/);
            const noHeader = schema(renderUserData(args).replace("#cloud-config\n", ""));
            assert.notStrictEqual(noHeader.status, 0);
        });

        it("fills hostname, user, keys and packages (base packages first, no duplicates)", function () {
            const text = renderUserData(args);
            assert.ok(text.startsWith("#cloud-config\n"));
            const cfg = YAML.parse(text);
            assert.strictEqual(cfg.hostname, "nas");
            assert.strictEqual(cfg.users.length, 1);
            assert.strictEqual(cfg.users[0].name, "admin");
            assert.deepStrictEqual(cfg.users[0].ssh_authorized_keys, [key]);
            assert.strictEqual(cfg.users[0].lock_passwd, true);
            assert.strictEqual(cfg.ssh_pwauth, false);
            assert.deepStrictEqual(cfg.packages, ["qemu-guest-agent", "mdadm", "samba", "smartmontools"]);
            assert.deepStrictEqual(cfg.runcmd, [["systemctl", "start", "qemu-guest-agent"]]);
            assert.strictEqual(cfg.network, undefined, "the address comes from Proxmox's network config");
        });

        const bad: [string, Partial<UserDataArgs>, string][] = [
            ["an upper-case hostname", { hostname: "NAS" }, 'hostname "NAS" must be one lower-case DNS label'],
            ["root as user", { username: "root" }, 'username "root" is not a valid non-root Linux user name'],
            ["no SSH key", { sshPublicKeys: [] }, "sshPublicKeys must hold at least one key: password login is disabled"],
            ["a private key pasted as public", { sshPublicKeys: ["-----BEGIN OPENSSH PRIVATE KEY-----"] }, '"-----BEGIN OPENSSH PRIVATE KEY...": must be an OpenSSH public key line \'<type> <base64> [comment]\' (the .pub file), of type ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com'],
            ["a key with a line break", { sshPublicKeys: [`${key}\nssh-rsa AAAA x`] }, `"${key.slice(0, 30)}...": must be an OpenSSH public key line '<type> <base64> [comment]' (the .pub file), of type ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com`],
            ["a package with a space", { packages: ["vim; rm"] }, '"vim; rm" is not a Debian package name'],
        ];
        for (const [what, override, message] of bad) {
            it(`throws on ${what}`, function () {
                assert.throws(() => renderUserData({ ...args, ...override }), { message });
            });
        }
    });

    describe("NAS VM smb.conf", function () {
        const lab: SmbConfArgs = {
            shares: [
                { name: "backups", path: "/srv/data/backups", users: ["proxmox"], comment: "Proxmox backups (vzdump)" },
                { name: "documents", path: "/srv/data/documents", users: ["docker"] },
                { name: "media", path: "/srv/data/media", users: ["docker", "alice"] },
            ],
            workgroup: "HOME",
        };

        /** One parameter's value as testparm (Samba's own parser) resolves it, defaults included. */
        function param(conf: string, section: string, name: string): string {
            const r = run("testparm", ["-s", `--section-name=${section}`, `--parameter-name=${name}`, conf]);
            assert.strictEqual(r.status, 0, r.stderr);
            return r.stdout.trim();
        }

        it("testparm accepts it without an unknown parameter", function () {
            const r = run("testparm", ["-s", file("smb.conf", renderSmbConf(lab))]);
            assert.strictEqual(r.status, 0, r.stderr);
            assert.doesNotMatch(r.stderr, /Unknown parameter|Ignoring unknown|WARNING/i);
        });

        it("testparm reports an unknown parameter on stderr (the gate samba.sh uses)", function () {
            const r = run("testparm", ["-s", file("smb-bad.conf", renderSmbConf({ ...lab, extraGlobal: { "map to guests": "bad user" } }))]);
            assert.match(r.stderr, /Unknown parameter encountered: "map to guests"/);
        });

        it("is SMB3-only, without guest access, as testparm resolves it", function () {
            const conf = file("smb.conf", renderSmbConf(lab));
            assert.strictEqual(param(conf, "global", "server min protocol"), "SMB3");
            assert.strictEqual(param(conf, "global", "map to guest"), "Never");
            assert.strictEqual(param(conf, "global", "restrict anonymous"), "2");
            assert.strictEqual(param(conf, "global", "server role"), "standalone server");
            assert.strictEqual(param(conf, "global", "workgroup"), "HOME");
            assert.strictEqual(param(conf, "global", "disable netbios"), "Yes");
            assert.strictEqual(param(conf, "global", "load printers"), "No");
        });

        for (const share of lab.shares) {
            it(`share ${share.name}: path, only ${share.users.join(" and ")}, writable, no guests, group-writable masks`, function () {
                const conf = file("smb.conf", renderSmbConf(lab));
                assert.strictEqual(param(conf, share.name, "path"), share.path);
                assert.strictEqual(param(conf, share.name, "valid users"), share.users.join(" "));
                assert.strictEqual(param(conf, share.name, "guest ok"), "No");
                assert.strictEqual(param(conf, share.name, "read only"), "No");
                assert.strictEqual(param(conf, share.name, "create mask"), "0660");
                assert.strictEqual(param(conf, share.name, "directory mask"), "0770");
                assert.strictEqual(param(conf, share.name, "comment"), share.comment ?? "");
                assert.strictEqual(param(conf, share.name, "vfs objects"), "");
            });
        }

        it("lists exactly the given shares, in order", function () {
            const r = run("testparm", ["-s", file("smb.conf", renderSmbConf(lab))]);
            const sections = [...r.stdout.matchAll(/^\[(.+)\]$/gm)].map((m) => m[1]);
            assert.deepStrictEqual(sections, ["global", "backups", "documents", "media"]);
        });

        it("extraGlobal adds and replaces [global] parameters (a test server's ports and dirs)", function () {
            const conf = file(
                "smb.conf",
                renderSmbConf({ ...lab, extraGlobal: { "smb ports": "14445", interfaces: "127.0.0.1", "bind interfaces only": "yes", "Private Dir": "/tmp/x/private" } }),
            );
            assert.strictEqual(param(conf, "global", "smb ports"), "14445");
            assert.strictEqual(param(conf, "global", "interfaces"), "127.0.0.1");
            assert.strictEqual(param(conf, "global", "private dir"), "/tmp/x/private");
            const r = run("testparm", ["-s", conf]);
            assert.strictEqual((r.stdout.match(/smb ports/g) ?? []).length, 1, "smb ports appears once");
        });

        const share = (over: object) => ({ shares: [{ name: "media", path: "/srv/data/media", users: ["docker"], ...over }] });
        const bad: [string, SmbConfArgs, string][] = [
            ["no shares", { shares: [] }, "renderSmbConf: at least one share is required"],
            ["a share name with a space", share({ name: "my media" }), 'share name "my media" must be 1-64 letters, digits, \'_\' or \'-\''],
            ["a reserved share name", share({ name: "Homes" }), 'share name "Homes" \'Homes\' is a section Samba reserves (global, homes, printers): choose another name, such as homes-share'],
            ["a user name longer than Linux takes", share({ users: ["a".repeat(33)] }), `share "media": user name "${"a".repeat(33)}" is 33 characters long; a Linux user name has at most 32: shorten it`],
            ["a duplicate share (Samba ignores case)", { shares: [...share({}).shares, ...share({ name: "MEDIA" }).shares] }, 'share "MEDIA" is defined twice'],
            ["a relative path", share({ path: "srv/media" }), 'share "media": path must be absolute, without spaces or quotes'],
            ["a share without users", share({ users: [] }), 'share "media" has no users'],
            ["a user list smuggled into one name", share({ users: ["docker, root"] }), 'share "media": user name "docker, root" must be a Linux user name: lower-case letters, digits, \'_\' and \'-\', starting with a letter or \'_\''],
            ["a comment that opens a new section", share({ comment: "x\n[root]\npath = /" }), 'share "media": comment must be one line of text without control characters: write it on one line (a YAML block scalar `>` or `|` ends in a line break; use `>-`)'],
            ["a comment with a tab", share({ comment: "a\tb" }), 'share "media": comment must be one line of text without control characters: write it on one line (a YAML block scalar `>` or `|` ends in a line break; use `>-`)'],
            ["weakening the protocol floor", { ...share({}), extraGlobal: { "Server Min Protocol": "NT1" } }, 'extraGlobal may not override "Server Min Protocol"'],
            ["enabling guests globally", { ...share({}), extraGlobal: { "map to guest": "bad user" } }, 'extraGlobal may not override "map to guest"'],
            ["a value with a line break", { ...share({}), extraGlobal: { interfaces: "lo\n[x]" } }, 'extraGlobal "interfaces" must not contain a line break'],
        ];
        for (const [what, args, message] of bad) {
            it(`throws on ${what}`, function () {
                assert.throws(() => renderSmbConf(args), { message });
            });
        }
    });
});
