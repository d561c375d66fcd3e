// LxcContainer under the runtime mocks, and its pure rules (the OS type of a template).
import * as assert from "assert";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import { LxcContainer, LxcContainerArgs, lxcOsTypeOfFile } from "../components/lxcContainer";
import { StorageInfo } from "../components/storage";
import * as pulumi from "@pulumi/pulumi";
import { renderProvisionSpec } from "../components/provision";
import { captureApplyError, CapturedResource, captureProgram, captureRefusal, one, outputOf } from "./helpers/mocks";

const args = (over: Partial<LxcContainerArgs> = {}): LxcContainerArgs => ({
    hostname: "web",
    vmId: 201,
    node: "pve1",
    template: "local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst",
    osType: "ubuntu",
    cores: 1,
    memoryMb: 512,
    network: { bridge: "vmbr0", address: "172.16.0.21/24", gateway: "172.16.0.1", dns: ["172.16.0.1"] },
    sshPublicKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey admin@laptop"],
    ...over,
});

// Through opts, the way Pulumi passes providers; created inside each mocked program.
const pve = () => ({ provider: new proxmoxve.Provider("pve", { endpoint: "https://172.16.0.11:8006/" }) });

const ct = "proxmoxve:index/containerLegacy:ContainerLegacy";

describe("lxcOsTypeOfFile", () => {
    const cases: [string, string | undefined][] = [
        ["debian-12-standard_12.12-1_amd64.tar.zst", "debian"],
        ["debian-13-standard_13.1-2_amd64.tar.zst", "debian"],
        ["debian-12-turnkey-nextcloud_18.0-1_amd64.tar.gz", "debian"],
        ["ubuntu-24.04-standard_24.04-2_amd64.tar.zst", "ubuntu"],
        ["ubuntu-22.04-standard_22.04-1_amd64.tar.zst", "ubuntu"],
        ["alpine-3.20-default_20240908_amd64.tar.xz", "alpine"],
        ["centos-9-stream-default_20240828_amd64.tar.xz", "centos"],
        ["fedora-40-default_20240909_amd64.tar.xz", "fedora"],
        ["opensuse-15.6-default_20240910_amd64.tar.xz", "opensuse"],
        ["archlinux-base_20240911-1_amd64.tar.zst", "archlinux"],
        // Not certain from the name: the image must say its os.
        ["rockylinux-9-default_20240912_amd64.tar.xz", undefined],
        ["my-golden-image.tar.zst", undefined],
        ["ubuntu-custom.tar.zst", undefined],
        ["debian-12-standard_12.12-1_amd64.img", undefined],
    ];
    for (const [file, os] of cases) {
        it(`${file} -> ${os ?? "(unknown)"}`, () => assert.strictEqual(lxcOsTypeOfFile(file), os));
    }
});

describe("LxcContainer", () => {
    let resources: CapturedResource[];
    before(async () => {
        ({ resources } = await captureProgram(() => {
            new LxcContainer("web", args(), pve());
            new LxcContainer("web2", args({ hostname: "web2", vmId: 202, template: undefined, cloneOf: { vmId: 900 }, network: { ...args().network, address: "172.16.0.22/24" } }), pve());
        }));
    });

    it("sends the template's own OS type, which the provider reads back (no replacement on the next update)", () => {
        assert.deepStrictEqual(one(resources, ct, "web").inputs.operatingSystem, {
            templateFileId: "local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst",
            type: "ubuntu",
        });
    });

    it("leaves a clone's OS to its source", () => {
        const clone = one(resources, ct, "web2").inputs;
        assert.strictEqual(clone.operatingSystem, undefined);
        assert.deepStrictEqual(clone.clone, { vmId: 900, nodeName: "pve1" });
        // No template of its own: nothing to ignore (an ignored path missing from the inputs would fail the update).
        assert.deepStrictEqual(one(resources, ct, "web2").options.ignoreChanges, []);
    });

    it("sends the DNS servers it is given", () => {
        assert.deepStrictEqual((one(resources, ct, "web").inputs.initialization as { dns: unknown }).dns, { servers: ["172.16.0.1"] });
    });

    it("creates the container with the proxmoxve provider given in opts", () => {
        assert.match(one(resources, ct, "web").provider, /pulumi:providers:proxmoxve::pve::/);
    });

    it("takes its node, id, address and the clone source's id from other resources' outputs", async () => {
        const { resources: r } = await captureProgram(() => {
            const template = new LxcContainer("tpl", args({ hostname: "tpl", vmId: outputOf("vmId", 900), node: outputOf("node", "pve3"), isTemplate: true }), pve());
            new LxcContainer(
                "web3",
                args({ hostname: "web3", vmId: 203, node: "pve3", template: undefined, cloneOf: { vmId: template.vmId }, network: { ...args().network, address: outputOf("address", "172.16.0.23/24") } }),
                pve(),
            );
        });
        const tpl = one(r, ct, "tpl");
        assert.deepStrictEqual([tpl.inputs.nodeName, tpl.inputs.vmId, tpl.inputs.template, tpl.inputs.started], ["pve3", 900, true, false]);
        const clone = one(r, ct, "web3");
        assert.deepStrictEqual(clone.inputs.clone, { vmId: 900, nodeName: "pve3" });
        // The clone waits for its source through the id it reads from it.
        assert.ok(clone.dependsOn.includes(tpl.urn), clone.dependsOn.join(" "));
        assert.strictEqual((clone.inputs.initialization as { ipConfigs: { ipv4: { address: string } }[] }).ipConfigs[0].ipv4.address, "172.16.0.23/24");
    });

    it("refuses an OS type Proxmox does not know, before registering anything", async () => {
        const { error, registered } = await captureRefusal(() => new LxcContainer("bad", args({ osType: "windows" as never }), pve()));
        assert.strictEqual(error?.message, 'LxcContainer bad: osType must be one of debian, ubuntu, alpine, centos, fedora, opensuse, archlinux, nixos, unmanaged, got "windows"');
        assert.deepStrictEqual(registered, ["pulumi:pulumi:Stack homelab-test", "pulumi:providers:proxmoxve pve"]);
    });

    it("refuses, with the storage rule validation uses, a template on thick LVM and a root disk where rootdir is not enabled", async () => {
        const lvm: StorageInfo = { id: "local-lvm", type: "lvm", content: ["images", "rootdir"] };
        const thick = await captureRefusal(() => new LxcContainer("base", args({ isTemplate: true, diskStorageInfo: lvm })));
        assert.strictEqual(
            thick.error?.message,
            `LxcContainer base: storage 'local-lvm' is thick LVM, and Proxmox "can't create base images in lvm storage": put the template's disk on an lvmthin, zfspool, btrfs or dir storage`,
        );
        const noRootdir = await captureRefusal(() => new LxcContainer("web", args({ diskStorageInfo: { id: "tank", type: "zfspool", content: ["images"] } })));
        assert.strictEqual(
            noRootdir.error?.message,
            "LxcContainer web: storage 'tank' (zfspool) has no 'rootdir' content, needed for a container's root disk: add it (pvesm set tank --content images,rootdir) or use a storage that has it",
        );
        // A plain container on thick LVM is fine: only base images cannot live there.
        const plain = await captureRefusal(() => new LxcContainer("web", args({ diskStorageInfo: lvm })));
        assert.strictEqual(plain.error, undefined);
    });

    it("provisions a template, then converts it, then clones it: each step waits for the one before", async () => {
        const node = { host: "172.16.0.11", privateKey: "key" };
        const { resources: rs } = await captureProgram(() => {
            const base = new LxcContainer("base", args({ vmId: 900, isTemplate: true, nodeConnection: node, provision: { packages: ["nginx"], run: ["systemctl enable nginx"] } }), pve());
            new LxcContainer("web1", args({ hostname: "web1", template: undefined, cloneOf: { vmId: base.vmId } }), pve());
        });
        const base = one(rs, ct, "base");
        const provision = one(rs, "command:remote:Command", "base-provision");
        const convert = one(rs, "command:remote:Command", "base-template");
        const web1 = one(rs, ct, "web1");
        assert.deepStrictEqual([provision.dependsOn, convert.dependsOn], [[base.urn], [provision.urn]]);
        // The clone's vmId input is the template's, known only once it is converted.
        assert.ok(web1.dependsOn.includes(convert.urn), "the clone waits for the conversion");
        assert.deepStrictEqual(web1.inputs.clone, { vmId: 900, nodeName: "pve1" });
        assert.strictEqual(provision.inputs.stdin, "os ubuntu\npackage nginx\nrun c3lzdGVtY3RsIGVuYWJsZSBuZ2lueA==\n");
        // The key reaches the command as a secret even when given as plain text.
        assert.deepStrictEqual(provision.secretPaths, ["connection"]);
        assert.match(String(base.inputs.description), /^Managed by Pulumi \(homelab\); provisioned sha256:[0-9a-f]{16}$/);
    });

    it("with the node's login, takes keys at creation only and writes later ones from the node (a key change would replace it); not for a template or without the login", async () => {
        const node = { host: "172.16.0.11", privateKey: "key" };
        const { resources: rs } = await captureProgram(() => {
            new LxcContainer("web", args({ nodeConnection: node }), pve());
            new LxcContainer("tpl", args({ vmId: 900, isTemplate: true, nodeConnection: node }), pve());
            new LxcContainer("bare", args({ vmId: 202 }), pve());
        });
        const web = one(rs, ct, "web");
        assert.deepStrictEqual(web.options.ignoreChanges, ["operatingSystem.templateFileId", "initialization.userAccount"]);
        const keys = one(rs, "command:remote:Command", "web-keys");
        assert.deepStrictEqual(keys.dependsOn, [web.urn]);
        assert.strictEqual(keys.inputs.stdin, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey admin@laptop\n");
        assert.ok(String(keys.inputs.create).endsWith('bash "$f" --vmid 201; rc=$?; rm -f "$f"; exit $rc'));
        for (const other of ["tpl", "bare"]) {
            // Only the template, which seeds the root disk at creation (imageSeedsOnly).
            assert.deepStrictEqual(one(rs, ct, other).options.ignoreChanges, ["operatingSystem.templateFileId"], other);
            assert.ok(!rs.some((r) => r.name === `${other}-keys`), other);
        }
    });

    it("renders a provisioning from Outputs (packages, a file's path, mode, owner and content, commands) once known; a secret content keeps the spec secret", async () => {
        const node = { host: "172.16.0.11", privateKey: "key" };
        const provisioning = (content: pulumi.Input<string>) => ({
            packages: outputOf("packages", ["nginx", "curl"]),
            files: [{ path: outputOf("path", "/etc/app.env"), content, mode: outputOf("mode", "0600"), owner: outputOf("owner", "www-data") }],
            run: [outputOf("run", "systemctl restart nginx")],
        });
        const { resources: rs } = await captureProgram(() => {
            new LxcContainer("web", args({ nodeConnection: node, provision: provisioning(outputOf("content", "MODE=prod\n")) }), pve());
            new LxcContainer("api", args({ hostname: "api", vmId: 202, nodeConnection: node, provision: provisioning(pulumi.secret(outputOf("secret", "TOKEN=s3cret\n"))) }), pve());
        });
        // The same spec as from plain values.
        const expected = renderProvisionSpec("ubuntu", {
            packages: ["nginx", "curl"],
            files: [{ path: "/etc/app.env", content: "MODE=prod\n", mode: "0600", owner: "www-data" }],
            run: ["systemctl restart nginx"],
        });
        const web = one(rs, "command:remote:Command", "web-provision");
        assert.strictEqual(web.inputs.stdin, expected);
        assert.deepStrictEqual(web.secretPaths, ["connection"]);
        assert.deepStrictEqual(one(rs, "command:remote:Command", "api-provision").secretPaths.sort(), ["connection", "stdin"]);
    });

    it("refuses a bad package name when plain at construction and as an Output inside apply, with one message", async () => {
        const node = { host: "172.16.0.11", privateKey: "key" };
        const web = (packages: pulumi.Input<string[]>) => new LxcContainer("web", args({ nodeConnection: node, provision: { packages, run: ["true"] } }), pve());
        const { error } = await captureRefusal(() => web(["Bad Name!"]));
        assert.strictEqual(error?.message, "LxcContainer web: provision.packages[0]: 'Bad Name!' is not a package name: letters, digits, '.', '+', '_' and '-', such as curl");
        assert.strictEqual(await captureApplyError(() => web(outputOf("packages", ["Bad Name!"]))), error.message);
    });

    it("refuses provisioning without the node's SSH login, and a distribution it cannot provision", async () => {
        const noNode = await captureRefusal(() => new LxcContainer("web", args({ provision: { packages: ["curl"] } }), pve()));
        assert.strictEqual(noNode.error?.message, "LxcContainer web: provision runs `pct exec` on the node: set nodeConnection");
        const nix = await captureRefusal(() => new LxcContainer("nix", args({ osType: "nixos", nodeConnection: { host: "h", privateKey: "k" }, provision: { packages: ["htop"] } }), pve()));
        assert.match(nix.error?.message ?? "", /^LxcContainer nix: cannot provision a 'nixos' guest: /);
    });
});
