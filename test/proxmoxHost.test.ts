import * as assert from "assert";
import { ProxmoxHost, ProxmoxHostArgs } from "../components/proxmoxHost";
import { scriptCommand } from "../components/remoteScript";
import { captureProgram, captureRefusal, childrenOf, one, ofType } from "./helpers/mocks";

const args = (over: Partial<ProxmoxHostArgs> = {}): ProxmoxHostArgs => ({
    endpoint: "https://192.168.1.6:8006/",
    // Plain strings: the tests prove that the component makes them secret.
    apiToken: "root@pam!pulumi=00000000-0000-0000-0000-000000000000",
    insecure: true,
    sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----",
    nodes: [
        {
            name: "pve1",
            address: "192.168.1.6",
            bridges: [
                { name: "vmbr0", ports: ["enp1s0"], existing: true },
                { name: "vmbr1", ports: ["enp2s0"], vlanAware: true },
            ],
            ups: { password: "nut-pass", shutdownPercent: 40 },
        },
        { name: "pve2", address: "192.168.1.7" },
    ],
    images: [
        { name: "debian-lxc", kind: "lxc", url: "http://example.test/debian.tar.zst", checksum: `sha512:${"a".repeat(128)}` },
        { name: "debian-cloud", kind: "vm", url: "http://example.test/debian.qcow2", fileName: "debian.img", checksum: `sha256:${"b".repeat(64)}`, nodes: ["pve2"] },
    ],
    ...over,
});

describe("ProxmoxHost", () => {
    it("creates exactly the provider, bridges, images, API user and UPS set-up", async () => {
        const { resources } = await captureProgram(() => new ProxmoxHost("pve", args()));
        const host = one(resources, "homelab:index:ProxmoxHost", "pve");
        assert.deepStrictEqual(childrenOf(resources, host.urn), [
            "command:remote:Command pve-pve1-ups",
            "proxmoxve:download/file:File pve-pve1-debian-lxc",
            "proxmoxve:download/file:File pve-pve2-debian-cloud",
            "proxmoxve:download/file:File pve-pve2-debian-lxc",
            "proxmoxve:index/acl:Acl pve-homelab-acl",
            "proxmoxve:index/roleLegacy:RoleLegacy pve-guest-admin",
            "proxmoxve:index/userLegacy:UserLegacy pve-homelab-user",
            "proxmoxve:network/linux/bridge:Bridge pve-pve1-vmbr1",
            "proxmoxve:user/token:Token pve-homelab-token",
            "pulumi:providers:proxmoxve pve",
            "pulumi:providers:proxmoxve pve-guests",
        ]);
    });

    it("passes the token and SSH key as secrets and tells the provider where each node is", async () => {
        const { resources } = await captureProgram(() => new ProxmoxHost("pve", args()));
        const provider = one(resources, "pulumi:providers:proxmoxve", "pve");
        assert.deepStrictEqual(provider.secretPaths.sort(), ["apiToken", "ssh"]);
        assert.strictEqual(provider.inputs.endpoint, "https://192.168.1.6:8006/");
        assert.ok(provider.urn.endsWith("homelab:index:ProxmoxHost$pulumi:providers:proxmoxve::pve"));
    });

    it("downloads images with their pinned checksum, never overwriting", async () => {
        const { resources } = await captureProgram(() => new ProxmoxHost("pve", args()));
        const files = ofType(resources, "proxmoxve:download/file:File");
        const cloud = one(resources, "proxmoxve:download/file:File", "pve-pve2-debian-cloud");
        assert.deepStrictEqual(
            { ...cloud.inputs },
            {
                nodeName: "pve2",
                datastoreId: "local",
                contentType: "iso",
                url: "http://example.test/debian.qcow2",
                fileName: "debian.img",
                checksum: "b".repeat(64),
                checksumAlgorithm: "sha256",
                overwrite: false,
            },
        );
        assert.strictEqual(one(resources, "proxmoxve:download/file:File", "pve-pve1-debian-lxc").inputs.contentType, "vztmpl");
        // Every download goes through the host's explicit provider, not a default one.
        for (const f of files) {
            assert.match(f.provider, /pulumi:providers:proxmoxve::pve::/);
        }
    });

    it("creates only bridges that do not exist yet, VLAN-aware where asked", async () => {
        const { resources } = await captureProgram(() => new ProxmoxHost("pve", args()));
        const bridges = ofType(resources, "proxmoxve:network/linux/bridge:Bridge");
        assert.deepStrictEqual(bridges.map((b) => b.inputs), [{ nodeName: "pve1", name: "vmbr1", ports: ["enp2s0"], vlanAware: true, autostart: true }]);
    });

    it("gives the least-privilege role no user, permission or storage-admin rights", async () => {
        const { resources } = await captureProgram(() => new ProxmoxHost("pve", args()));
        const role = one(resources, "proxmoxve:index/roleLegacy:RoleLegacy", "pve-guest-admin");
        const privileges = role.inputs.privileges as string[];
        for (const p of privileges) {
            assert.doesNotMatch(p, /^(User|Permissions|Realm|Group)\.|Datastore\.Allocate$|Sys\.PowerMgmt/);
        }
        assert.ok(privileges.includes("VM.Allocate"));
        const acl = one(resources, "proxmoxve:index/acl:Acl", "pve-homelab-acl");
        assert.strictEqual(acl.inputs.path, "/");
        assert.strictEqual(one(resources, "proxmoxve:user/token:Token", "pve-homelab-token").inputs.privilegesSeparation, false);
    });

    it("runs the NUT script on the node with the password on stdin only", async () => {
        const { resources } = await captureProgram(() => new ProxmoxHost("pve", args()));
        const ups = one(resources, "command:remote:Command", "pve-pve1-ups");
        assert.deepStrictEqual(ups.secretPaths.sort(), ["connection", "stdin"]);
        const create = ups.inputs.create as string;
        assert.ok(create.includes("--shutdown-percent 40"), create.slice(-300));
        assert.ok(!create.includes("nut-pass"));
        assert.strictEqual(ups.inputs.update, create);
    });

    it("skips the API user when asked", async () => {
        const { resources } = await captureProgram(() => new ProxmoxHost("pve", args({ leastPrivilegeToken: false })));
        assert.deepStrictEqual(ofType(resources, "proxmoxve:user/token:Token"), []);
        assert.strictEqual(ofType(resources, "pulumi:providers:proxmoxve").length, 1);
    });

    const bad: [string, Partial<ProxmoxHostArgs>, string][] = [
        ["no nodes", { nodes: [] }, "ProxmoxHost: nodes must list at least one node"],
        [
            "image on an unknown node",
            { images: [{ name: "x", kind: "lxc", url: "http://e.test/x", checksum: `sha256:${"c".repeat(64)}`, nodes: ["pve9"] }] },
            "ProxmoxHost: image 'x' names unknown node 'pve9'; nodes are pve1, pve2",
        ],
        [
            "a UPS threshold above 100",
            { nodes: [{ name: "pve1", address: "192.168.1.6", ups: { password: "p", shutdownPercent: 150 } }] },
            "ProxmoxHost: nodes[0] ('pve1').ups.shutdownPercent must be an integer from 0 to 100, got 150",
        ],
        ["unpinned image", { images: [{ name: "x", kind: "lxc", url: "http://e.test/x", checksum: "latest" }] }, "ProxmoxHost: image 'x' checksum must be sha256:<hex> or sha512:<hex>"],
    ];
    for (const [what, over, message] of bad) {
        it(`rejects ${what} before creating anything`, async () => {
            const { error, registered } = await captureRefusal(() => new ProxmoxHost("pve", args(over)));
            assert.strictEqual(error?.message, message);
            assert.deepStrictEqual(registered, ["pulumi:pulumi:Stack homelab-test"]);
        });
    }
});

describe("scriptCommand", () => {
    it("runs the script text byte for byte with quoted args and keeps its exit status", () => {
        const { spawnSync } = require("child_process") as typeof import("child_process");
        const script = 'printf "%s|" "$@"; read -r pw; echo "pw=$pw"; echo \'$HOME stays literal\'; exit 3\n';
        const r = spawnSync("bash", ["-c", scriptCommand(script, ["a b", "it's", "--x=1"])], { input: "s3cret\n", encoding: "utf8" });
        assert.strictEqual(r.status, 3);
        assert.strictEqual(r.stdout, "a b|it's|--x=1|pw=s3cret\n$HOME stays literal\n");
    });

    it("picks a here-document delimiter the script does not contain", () => {
        const script = "echo HOMELAB_SCRIPT\n";
        const { spawnSync } = require("child_process") as typeof import("child_process");
        const r = spawnSync("bash", ["-c", scriptCommand(script)], { encoding: "utf8" });
        assert.strictEqual(r.stdout, "HOMELAB_SCRIPT\n");
    });
});
