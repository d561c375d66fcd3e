import * as assert from "assert";
import { ProxmoxHost, ProxmoxHostArgs } from "../components/proxmoxHost";
import { scriptCommand } from "../components/remoteScript";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import { captureProgram, captureRefusal, childrenOf, one, ofType, outputOf } from "./helpers/mocks";

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

    it("names its role and API user from its own name, so that two hosts do not clash", async () => {
        const { resources } = await captureProgram(() => {
            new ProxmoxHost("pve", args());
            new ProxmoxHost("lab2", args());
        });
        const roles = ofType(resources, "proxmoxve:index/roleLegacy:RoleLegacy").map((r) => r.inputs.roleId);
        const users = ofType(resources, "proxmoxve:index/userLegacy:UserLegacy").map((r) => r.inputs.userId);
        assert.deepStrictEqual(roles, ["pve-guest-admin", "lab2-guest-admin"]);
        assert.deepStrictEqual(users, ["pve-guests@pve", "lab2-guests@pve"]);
        const named = await captureProgram(() => new ProxmoxHost("pve", args({ guestRoleId: "HomelabGuestAdmin", guestUserId: "homelab@pve" })));
        assert.strictEqual(one(named.resources, "proxmoxve:index/roleLegacy:RoleLegacy", "pve-guest-admin").inputs.roleId, "HomelabGuestAdmin");
        assert.strictEqual(one(named.resources, "proxmoxve:index/userLegacy:UserLegacy", "pve-homelab-user").inputs.userId, "homelab@pve");
    });

    it("uses the provider given in opts and builds none of its own", async () => {
        const { resources } = await captureProgram(() => {
            const mine = new proxmoxve.Provider("mine", { endpoint: "https://10.0.0.2:8006/", apiToken: "t" });
            new ProxmoxHost("pve", args({ apiToken: undefined, leastPrivilegeToken: false }), { provider: mine });
        });
        assert.deepStrictEqual(
            ofType(resources, "pulumi:providers:proxmoxve").map((p) => p.name),
            ["mine"],
        );
        for (const r of resources.filter((x) => x.type.startsWith("proxmoxve:"))) {
            assert.match(r.provider, /pulumi:providers:proxmoxve::mine::/, r.name);
        }
        // Through `providers` too, and with the least-privilege provider built beside it.
        const viaMap = await captureProgram(() => {
            const mine = new proxmoxve.Provider("mine", { endpoint: "https://10.0.0.2:8006/", apiToken: "t" });
            new ProxmoxHost("pve", args({ apiToken: undefined }), { providers: { proxmoxve: mine } });
        });
        assert.deepStrictEqual(ofType(viaMap.resources, "pulumi:providers:proxmoxve").map((p) => p.name), ["mine", "pve-guests"]);
        assert.match(one(viaMap.resources, "proxmoxve:index/roleLegacy:RoleLegacy", "pve-guest-admin").provider, /::mine::/);
    });

    it("takes addresses, the endpoint, the token and image data from other resources' outputs", async () => {
        const { resources } = await captureProgram(() =>
            new ProxmoxHost(
                "pve",
                args({
                    endpoint: outputOf("endpoint", "https://10.0.0.9:8006/"),
                    apiToken: outputOf("token", "root@pam!x=y"),
                    nodes: [{ name: "pve1", address: outputOf("address", "10.0.0.9"), ups: { password: "p", shutdownPercent: outputOf("percent", 55) } }],
                    images: [{ name: "img", kind: outputOf("kind", "vm" as const), url: outputOf("url", "http://e.test/i.img"), checksum: outputOf("sum", `sha256:${"d".repeat(64)}`) }],
                }),
            ),
        );
        const provider = one(resources, "pulumi:providers:proxmoxve", "pve");
        assert.strictEqual(provider.inputs.endpoint, "https://10.0.0.9:8006/");
        assert.ok(provider.secretPaths.includes("apiToken"));
        const file = one(resources, "proxmoxve:download/file:File", "pve-pve1-img");
        assert.deepStrictEqual(
            [file.inputs.contentType, file.inputs.url, file.inputs.checksum, file.inputs.checksumAlgorithm],
            ["iso", "http://e.test/i.img", "d".repeat(64), "sha256"],
        );
        assert.ok(file.dependsOn.some((u) => u.endsWith("::dependency-sum")), file.dependsOn.join(" "));
        const ups = one(resources, "command:remote:Command", "pve-pve1-ups");
        assert.ok((ups.inputs.create as string).includes("--shutdown-percent 55"));
        assert.ok(ups.dependsOn.some((u) => u.endsWith("::dependency-address")));
    });

    const bad: [string, Partial<ProxmoxHostArgs>, string][] = [
        ["neither a token nor a provider", { apiToken: undefined }, "ProxmoxHost: set endpoint and apiToken, or pass a proxmoxve provider in opts.provider"],
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
        [
            "an installer ISO as a container template",
            { images: [{ name: "x", kind: "lxc", url: "http://e.test/netinst.iso", checksum: `sha256:${"c".repeat(64)}` }] },
            "ProxmoxHost: image 'x' url: 'netinst.iso' is an ISO (an installer), not a container template: give the URL of a Proxmox template (.tar.zst, .tar.xz, .tar.gz or .tar.bz2, e.g. from http://download.proxmox.com/images/system/)",
        ],
        [
            "a container template as a vm image",
            { images: [{ name: "x", kind: "vm", url: "http://e.test/x", fileName: "debian-12-standard_12.12-1_amd64.tar.zst", checksum: `sha256:${"c".repeat(64)}` }] },
            "ProxmoxHost: image 'x' kind: 'debian-12-standard_12.12-1_amd64.tar.zst' is a container template, not a VM disk image: set kind: lxc, or give the URL of a cloud disk image (.qcow2 or .img)",
        ],
        ["unpinned image", { images: [{ name: "x", kind: "lxc", url: "http://e.test/x", checksum: "latest" }] }, "ProxmoxHost: image 'x' checksum must be sha256:<64 hex digits> or sha512:<128 hex digits>, as the image's SHA256SUMS or SHA512SUMS file lists it"],
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
