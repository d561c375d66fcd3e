import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import { DockerHost } from "../components/dockerHost";
import { sambaUsersStdin } from "../components/nasVm";
import { nfsScriptPath, ShareServer, ShareServerArgs } from "../components/shareServer";
import { capture } from "../scripts/capture";
import { derivedTarball } from "./helpers/debian";
import { requireTools } from "./helpers/exec";
import { one } from "./helpers/mocks";
import { bootGuest, BootResult, buildRootImage, guestKernel, nasGuestPackages } from "./helpers/nasGuest";

/**
 * A guest that serves shares, for real: the exact commands ShareServer sends (nfs.sh with the
 * rendered exports file, the NAS's samba.sh with the rendered smb.conf) run as root in one QEMU
 * guest (the kernel NFS server needs a kernel of its own; exportfs checks the file against it).
 * Clients are network namespaces of that guest joined by veth pairs (helpers/shareDriver.sh).
 * One boot, on the NAS tests' cached root filesystem with the NFS server and smbclient added.
 */

const users = [
    { name: "alice", password: "alice-pw-1" },
    { name: "bob", password: "bob-pw-2" },
];
const serverArgs: ShareServerArgs = {
    kind: "vm",
    connection: { host: "10.99.0.1", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----" },
    address: "10.99.0.1",
    users: users.map((u) => ({ name: u.name, password: pulumi.secret(u.password) })),
    shares: [
        { name: "projects", users: ["alice"] },
        { name: "scratch", users: ["bob"] },
    ],
    nfs: [
        { name: "media", clients: ["10.99.0.2"] },
        { name: "archive", clients: ["10.99.0.0/24", "2001:db8::/64"], readOnly: true, uid: 2000 },
    ],
};
const bootBoundMs = 20 * 60_000;

describe("ShareServer in a QEMU guest: NFSv4 checked by exportfs and mounted from a namespace, SMB by smbclient", function () {
    this.timeout(bootBoundMs + 10 * 60_000);
    let work: string;
    let res: BootResult;
    let commands: { nfs: string; samba: string; mount: string };
    const r = (name: string) => res.results.get(name) ?? assert.fail(`no result ${name}; have ${[...res.results.keys()].join(", ")}`);

    before(async function () {
        requireTools("qemu-system-x86_64", "debootstrap", "mke2fs", "tar");
        const { resources } = await capture(() => new ShareServer("srv", serverArgs), { stack: "test", config: {}, preview: false });
        // A Docker VM that mounts the media share: its mount command runs in client c1.
        const client = await capture(
            () =>
                new DockerHost(
                    "player",
                    {
                        kind: "vm",
                        nodeName: "pve",
                        nodeAddress: "10.99.0.100",
                        vmId: 112,
                        imageId: "local:iso/debian-12-genericcloud-amd64.img",
                        ipv4: "10.99.0.2/24",
                        cores: 1,
                        memoryMb: 1024,
                        sshPublicKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey admin@laptop"],
                        sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----",
                        mounts: [{ share: "media", server: "10.99.0.1", protocol: "nfs", exportPath: "/srv/shares/media", path: "/mnt/media" }],
                    },
                    { provider: new proxmoxve.Provider("pve", { endpoint: "https://10.99.0.100:8006/" }) },
                ),
            { stack: "test", config: {}, preview: false },
        );
        commands = {
            nfs: String(one(resources, "command:remote:Command", "srv-nfs").inputs.create),
            samba: String(one(resources, "command:remote:Command", "srv-samba").inputs.create),
            mount: String(one(client.resources, "command:remote:Command", "player-mount-media").inputs.create),
        };
        work = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-shares-"));
        const tarball = derivedTarball(nasGuestPackages, ["nfs-kernel-server", "nfs-common", "iproute2", "smbclient"]);
        const root = path.join(work, "root.img");
        buildRootImage(
            root,
            {
                "/opt/homelab/driver.sh": fs.readFileSync(path.join(__dirname, "helpers", "shareDriver.sh"), "utf8"),
                "/opt/homelab/nfs.sh": fs.readFileSync(nfsScriptPath, "utf8"),
                "/opt/homelab/nfs.cmd": commands.nfs,
                "/opt/homelab/samba.cmd": commands.samba,
                "/opt/homelab/mount.cmd": commands.mount,
                // What the component sends on stdin (the capture masks secrets): the same function.
                "/opt/homelab/users.tsv": sambaUsersStdin(users, serverArgs.shares!.map((s) => ({ name: s.name, users: s.users as string[] }))),
                // An option exportfs does not know.
                "/opt/homelab/bad.exports": "/srv/shares/media 10.99.0.2(rw,sync,no_subtree_check,bogus_option)\n",
            },
            [],
            tarball,
        );
        res = await bootGuest({ boot: guestKernel(), root, scenario: "shares", disks: {}, workDir: work, timeoutMs: bootBoundMs });
    });

    after(function () {
        if (work && !process.env.HOMELAB_KEEP_TEST_DIR) {
            fs.rmSync(work, { recursive: true, force: true });
        }
    });

    it("nfs.sh installs the exports; exportfs takes every line and the server exports exactly them", function () {
        assert.strictEqual(r("nfs-first.rc").trim(), "0", r("nfs-first.err"));
        assert.strictEqual(r("nfs-first.out"), "homelab-nfs: changed=yes exports=2\n");
        assert.strictEqual(r("nfs-active").trim(), "active");
        // exportfs -v: each path, then each client with every option the kernel applies.
        const exported = [...r("exportfs").matchAll(/(\/\S+)\s+(\S+?)\(([^)]*)\)/g)].map((m) => ({ path: m[1], client: m[2], options: m[3].split(",").sort() }));
        const applied = (own: string[]) => [...own, "hide", "root_squash", "sec=sys", "secure", "wdelay"].sort();
        assert.deepStrictEqual(exported, [
            { path: "/srv/shares/media", client: "10.99.0.2", options: applied(["rw", "sync", "no_subtree_check", "all_squash", "anonuid=1000", "anongid=1000"]) },
            { path: "/srv/shares/archive", client: "10.99.0.0/24", options: applied(["ro", "sync", "no_subtree_check", "all_squash", "anonuid=2000", "anongid=2000"]) },
            { path: "/srv/shares/archive", client: "[2001:db8::]/64", options: applied(["ro", "sync", "no_subtree_check", "all_squash", "anonuid=2000", "anongid=2000"]) },
        ]);
        assert.strictEqual(r("dirs"), "/srv/shares/media 1000:1000 2770\n/srv/shares/archive 2000:2000 2770\n");
    });

    it("a second run changes nothing", function () {
        assert.strictEqual(r("nfs-again.rc").trim(), "0", r("nfs-again.err"));
        assert.strictEqual(r("nfs-again.out"), "homelab-nfs: changed=no exports=2\n");
    });

    it("an allowed client mounts over NFSv4 and writes as the share's owner, whatever its own user", function () {
        assert.strictEqual(r("c1-media.rc").trim(), "0", r("c1-media.err"));
        assert.strictEqual(r("c1-media.out"), "from-c1\n");
        assert.strictEqual(r("note-owner").trim(), "1000:1000");
    });

    it("a Docker VM's own mount command (mount-shares.sh --type nfs) mounts it over NFSv4, once, with an fstab line", function () {
        assert.strictEqual(r("c1-dockerhost-mount.rc").trim(), "0", r("c1-dockerhost-mount.err"));
        // findmnt pads its columns.
        assert.strictEqual(r("c1-dockerhost-mount.out").replace(/ +/g, " "), "homelab-nfs: name=player-media changed=yes\nhomelab-nfs: name=player-media changed=no\nfrom-c1\nnfs4 10.99.0.1:/srv/shares/media\n");
        assert.strictEqual(r("fstab"), "10.99.0.1:/srv/shares/media /mnt/media nfs4 hard,_netdev,nofail 0 0 # homelab:player-media\n");
    });

    it("the read-only share mounts and refuses a write", function () {
        assert.strictEqual(r("c1-archive-mount.rc").trim(), "0", r("c1-archive-mount.err"));
        assert.notStrictEqual(r("c1-archive-write.rc").trim(), "0");
        assert.match(r("c1-archive-write.err"), /Read-only file system/);
    });

    it("a client on no list is refused, and nobody gets NFSv3", function () {
        assert.notStrictEqual(r("c2-media.rc").trim(), "0");
        assert.match(r("c2-media.err"), /access denied|Permission denied/i);
        assert.notStrictEqual(r("c1-v3.rc").trim(), "0");
        assert.match(r("c1-v3.err"), /requested NFS version or transport protocol is not supported/);
    });

    it("a file exportfs refuses is not left installed; the previous exports stay", function () {
        assert.strictEqual(r("nfs-bad.rc").trim(), "1");
        assert.match(r("nfs-bad.err"), /bogus_option/);
        assert.match(r("nfs-bad.err"), /the previous exports are back in place/);
        assert.strictEqual(r("installed-after-bad"), r("installed"));
        assert.strictEqual(r("exportfs-after-bad"), r("exportfs"));
    });

    it("SMB from the same guest: the NAS's samba.sh and smb.conf, each share open to its own users only", function () {
        assert.strictEqual(r("samba-first.rc").trim(), "0", r("samba-first.err"));
        assert.match(r("samba-first.out"), /^homelab-samba: changed=yes users=2 shares=2$/m);
        assert.strictEqual(r("smb-alice-projects.rc").trim(), "0", r("smb-alice-projects.out") + r("smb-alice-projects.err"));
        assert.match(r("smb-bob-projects.out") + r("smb-bob-projects.err"), /NT_STATUS_ACCESS_DENIED/);
        assert.match(r("smb-bob-wrong.out") + r("smb-bob-wrong.err"), /NT_STATUS_LOGON_FAILURE/);
        assert.strictEqual(r("smb-file"), "alice:smb-projects 660\nroot:smb-projects 2770\n");
    });
});
