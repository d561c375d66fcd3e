import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { nfsScriptPath, ShareServer, ShareServerArgs, shareServerProblem } from "../components/shareServer";
import { exportIdProblem, exportPathProblem, nfsClientProblem, renderExports } from "../components/shareServer/exports";
import { capture } from "../scripts/capture";
import { have, runOk } from "./helpers/exec";
import { captureApplyError, childrenOf, one, outputOf } from "./helpers/mocks";

// The exports file and nfs.sh run for real in test/shareServer.qemu.test.ts (exportfs, mounts).

describe("nfs.sh (shellcheck)", () => {
    it("passes shellcheck", () => {
        assert.ok(have("shellcheck"), "shellcheck is not installed (Debian package shellcheck)");
        runOk("shellcheck", ["--severity=info", nfsScriptPath]);
    });
});

describe("NFS exports rules", () => {
    const clients: [string, string | undefined][] = [
        ["192.168.1.4", undefined],
        ["192.168.1.0/24", undefined],
        ["2001:db8::/64", undefined],
        ["2001:db8::5", undefined],
        ["docker.lab.example", undefined],
        ["*", "'*' is a wildcard or netgroup: list the clients by address, network (CIDR) or host name, so that the share is open to them only"],
        ["*.lab.example", "'*.lab.example' is a wildcard or netgroup: list the clients by address, network (CIDR) or host name, so that the share is open to them only"],
        ["@trusted", "'@trusted' is a wildcard or netgroup: list the clients by address, network (CIDR) or host name, so that the share is open to them only"],
        ["192.168.1.4/24", "'192.168.1.4/24' has host bits set: write the network address, such as 192.168.1.0/24"],
        ["2001:db8::1/64", "'2001:db8::1/64' has host bits set: write the network address, such as 2001:db8::/64"],
        ["10.0.0.0/33", "'10.0.0.0/33' has a prefix longer than 32"],
        ["10.0.0.0/x", "'10.0.0.0/x' is not an address or a network such as 192.168.1.0/24"],
        ["docker(rw)", "'docker(rw)' is not an address, a network (CIDR) or a host name"],
    ];
    for (const [client, problem] of clients) {
        it(`client ${client}: ${problem ?? "taken"}`, () => assert.strictEqual(nfsClientProblem(client), problem));
    }

    it("paths and ids", () => {
        assert.strictEqual(exportPathProblem("/srv/shares"), undefined);
        assert.strictEqual(exportPathProblem("/srv/shares/"), "must be an absolute path of plain names (letters, digits, '.', '_', '-'), without a trailing '/', such as /srv/shares");
        assert.strictEqual(exportPathProblem("/etc/shares"), "/etc/shares is in the guest's own system: export a directory of its own, such as /srv/shares");
        assert.strictEqual(exportIdProblem(1000), undefined);
        assert.strictEqual(exportIdProblem(0), "0 must be a user or group id from 1 to 65533: root (0) would let every client act as root");
        assert.strictEqual(exportIdProblem(65534), "65534 must be a user or group id from 1 to 65533: root (0) would let every client act as root");
    });

    it("renders one line per export, IPv6 clients in brackets, every client squashed to the owner", () => {
        assert.strictEqual(
            renderExports([
                { path: "/srv/shares/media", clients: ["192.168.1.6", "2001:db8::/64"] },
                { path: "/srv/shares/archive", clients: ["backup.lab.example"], readOnly: true, uid: 2000, gid: 100 },
            ]),
            [
                "# Written by homelab (components/shareServer/exports.ts); changes here are overwritten.",
                "/srv/shares/media 192.168.1.6(rw,sync,no_subtree_check,all_squash,anonuid=1000,anongid=1000) [2001:db8::]/64(rw,sync,no_subtree_check,all_squash,anonuid=1000,anongid=1000)",
                "/srv/shares/archive backup.lab.example(ro,sync,no_subtree_check,all_squash,anonuid=2000,anongid=100)",
                "",
            ].join("\n"),
        );
    });

    const refused: [string, Parameters<typeof renderExports>[0], string][] = [
        ["no export", [], "renderExports: at least one export is required"],
        ["no client", [{ path: "/srv/a", clients: [] }], "export /srv/a has no clients: list the hosts or networks that may mount it"],
        ["a path twice", [{ path: "/srv/a", clients: ["10.0.0.1"] }, { path: "/srv/a", clients: ["10.0.0.2"] }], "export /srv/a is listed twice"],
        ["a wildcard", [{ path: "/srv/a", clients: ["*"] }], "export /srv/a: client '*' is a wildcard or netgroup: list the clients by address, network (CIDR) or host name, so that the share is open to them only"],
        ["root as owner", [{ path: "/srv/a", clients: ["10.0.0.1"], uid: 0 }], "export /srv/a: owner 0 must be a user or group id from 1 to 65533: root (0) would let every client act as root"],
        ["a path with a space", [{ path: "/srv/a b", clients: ["10.0.0.1"] }], "export /srv/a b: path must be an absolute path of plain names (letters, digits, '.', '_', '-'), without a trailing '/', such as /srv/shares"],
    ];
    for (const [what, exports, message] of refused) {
        it(`refuses ${what}`, () => assert.throws(() => renderExports(exports), { message }));
    }
});

describe("ShareServer", () => {
    const base: ShareServerArgs = {
        kind: "vm",
        connection: { host: "192.168.1.10", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----" },
        address: "192.168.1.10",
        users: [{ name: "alice", password: "pw-alice" }],
        shares: [{ name: "projects", users: ["alice"] }],
        nfs: [{ name: "media", clients: ["192.168.1.6"] }],
    };
    const plan = (args: ShareServerArgs) => capture(() => new ShareServer("files", args), { stack: "test", config: {}, preview: false });

    it("sets up Samba and NFS as two commands, the passwords on stdin as a secret, nothing deleted on removal", async () => {
        const { resources } = await plan(base);
        const server = one(resources, "homelab:index:ShareServer", "files");
        assert.deepStrictEqual(childrenOf(resources, server.urn), ["command:remote:Command files-nfs", "command:remote:Command files-samba"]);
        const samba = one(resources, "command:remote:Command", "files-samba");
        assert.deepStrictEqual(samba.secretPaths.sort(), ["connection", "stdin"]);
        assert.strictEqual(samba.inputs.delete, undefined);
        assert.ok(!String(samba.inputs.create).includes("pw-alice"));
        assert.ok(String(samba.inputs.create).includes("\n[projects]\n   path = /srv/shares/projects\n   valid users = alice\n"));
        const nfs = one(resources, "command:remote:Command", "files-nfs");
        assert.deepStrictEqual(nfs.secretPaths, ["connection"]);
        assert.strictEqual(nfs.inputs.stdin, undefined);
        assert.match(String(nfs.inputs.create), /\nbash "\$f" --share \/srv\/shares\/media:1000:1000 --config "\$c"; rc=\$\?; rm -f "\$f" "\$c"; exit \$rc$/);
    });

    it("runs inside a container with pct exec on its node", async () => {
        const { resources } = await plan({ ...base, kind: "lxc", nfs: [], inContainer: 120 });
        assert.match(String(one(resources, "command:remote:Command", "files-samba").inputs.create), /^pct exec 120 -- bash -c 'f=\$\(mktemp\) && cat > "\$f" <<'\\''HOMELAB_SCRIPT'\\''\n/);
    });

    it("names every share as clients reach it", async () => {
        const shares: Record<string, string> = {};
        await capture(
            () => {
                const s = new ShareServer("files", base);
                for (const [k, v] of Object.entries(s.shares)) {
                    v.apply((x) => (shares[k] = x));
                }
            },
            { stack: "test", config: {}, preview: false },
        );
        assert.deepStrictEqual(shares, { projects: "//192.168.1.10/projects", media: "192.168.1.10:/srv/shares/media" });
    });

    const refused: [string, Partial<ShareServerArgs>, string][] = [
        ["NFS from a container", { kind: "lxc" }, "ShareServer files: NFS share 'media' needs a VM: the kernel NFS server does not run in an LXC container; serve it over SMB or from a VM"],
        ["one name over both protocols", { nfs: [{ name: "projects", clients: ["192.168.1.6"] }] }, "ShareServer files: share 'projects' is listed twice: each share (SMB or NFS) is a directory of its own, /srv/shares/projects; give each its own name"],
        ["nothing to serve", { shares: [], nfs: [], users: [] }, "ShareServer files: serves nothing: list at least one SMB share (shares) or NFS share (nfs)"],
        ["an SMB user in no share (the NAS's rule)", { users: [{ name: "alice", password: "a" }, { name: "bob", password: "b" }] }, "ShareServer files: user 'bob' is in no share's users: add it to a share or remove it"],
        ["a root inside the system", { root: "/var/shares" }, "ShareServer files: root /var/shares is in the guest's own system: export a directory of its own, such as /srv/shares"],
        ["a wildcard client", { nfs: [{ name: "media", clients: ["*"] }] }, "export /srv/shares/media: client '*' is a wildcard or netgroup: list the clients by address, network (CIDR) or host name, so that the share is open to them only"],
    ];
    for (const [what, over, message] of refused) {
        it(`refuses ${what} before registering anything`, () => {
            assert.throws(() => new ShareServer("files", { ...base, ...over }), { message });
        });
    }

    it("shareServerProblem is the rule validation calls", () => {
        assert.strictEqual(shareServerProblem({ kind: "vm", root: "/srv/shares", users: [], shares: [], nfs: [{ name: "media" }] }), undefined);
        assert.strictEqual(
            shareServerProblem({ kind: "vm", root: "/srv/shares", users: [], shares: [{ name: "global", users: ["a"] }], nfs: [] }),
            "share name 'global' 'global' is a section Samba reserves (global, homes, printers): choose another name, such as global-share",
        );
    });

    it("takes the root, NFS clients, read-only, ids and SMB share users from Outputs: the same commands as from plain values", async () => {
        const over = (v: <T>(name: string, x: T) => pulumi.Input<T>): Partial<ShareServerArgs> => ({
            root: v("root", "/srv/files"),
            shares: [{ name: "projects", users: v("users", ["alice"]) }],
            nfs: [
                { name: "media", clients: v("clients", ["192.168.1.6", "2001:db8::/64"]), readOnly: v("ro", true), uid: v("uid", 1001), gid: v("gid", 1002) },
                { name: "backups", clients: ["192.168.1.7"], uid: v("uid2", 1003) },
            ],
        });
        const fromOutputs = await plan({ ...base, ...over((name, x) => outputOf(name, x)) });
        const fromPlain = await plan({ ...base, ...over((_, x) => x) });
        for (const step of ["files-nfs", "files-samba"]) {
            const [o, p] = [fromOutputs, fromPlain].map((r) => one(r.resources, "command:remote:Command", step));
            assert.strictEqual(o.inputs.create, p.inputs.create, step);
            assert.deepStrictEqual(o.secretPaths, p.secretPaths, step);
        }
        const create = String(one(fromPlain.resources, "command:remote:Command", "files-nfs").inputs.create);
        assert.ok(create.includes("/srv/files/media 192.168.1.6(ro,sync,no_subtree_check,all_squash,anonuid=1001,anongid=1002) [2001:db8::]/64(ro,"));
        assert.match(create, /--share \/srv\/files\/media:1001:1002 --share \/srv\/files\/backups:1003:1003 --config/);
    });

    it("keeps the NFS set-up secret when a client list is a secret", async () => {
        const { resources } = await plan({ ...base, nfs: [{ name: "media", clients: pulumi.secret(outputOf("clients", ["192.168.1.6"])) }] });
        assert.deepStrictEqual(one(resources, "command:remote:Command", "files-nfs").secretPaths.sort(), ["connection", "create", "update"]);
    });

    // The same bad value, plain and as an Output: the same message, at construction or inside apply.
    const bad: [string, (v: <T>(name: string, x: T) => pulumi.Input<T>) => Partial<ShareServerArgs>][] = [
        ["a wildcard NFS client", (v) => ({ nfs: [{ name: "media", clients: v("clients", ["*"]) }] })],
        ["an NFS owner out of range", (v) => ({ nfs: [{ name: "media", clients: ["192.168.1.6"], uid: v("uid", -1) }] })],
        ["an SMB share user not in users", (v) => ({ shares: [{ name: "projects", users: v("users", ["alice", "bob"]) }] })],
        ["a root inside the system", (v) => ({ root: v("root", "/var/shares") })],
    ];
    for (const [what, over] of bad) {
        it(`refuses ${what} when plain at construction and as an Output inside apply, with one message`, async () => {
            let error: string | undefined;
            try {
                new ShareServer("files", { ...base, ...over((_, x) => x) });
            } catch (e) {
                error = (e as Error).message;
            }
            assert.ok(error);
            assert.strictEqual(await captureApplyError(() => new ShareServer("files", { ...base, ...over((name, x) => outputOf(name, x)) })), error);
        });
    }
});
