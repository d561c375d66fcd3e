import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { containerMountsScriptPath, DockerHost, DockerHostArgs, mountSharesScriptPath, nodeMountPath, sshOptions } from "../components/dockerHost";
import { installDockerArgs } from "../components/dockerHost/daemonJson";
import { authorizedKeysScriptPath } from "../components/lxcContainer";
import { capture } from "../scripts/capture";
import { have, run, runOk } from "./helpers/exec";
import { debianRoot } from "./helpers/debian";
import { dockerHostArgs, pve } from "./helpers/dockerHostArgs";
import { CapturedResource, captureRefusal, childrenOf, one, outputOf } from "./helpers/mocks";

// Plain passwords: the component, not the caller, must make them secret.
const documents = { share: "documents", server: "192.168.1.5", username: "docker", password: "smb-pass", uid: 33 };
const media = { share: "media", server: "192.168.1.5", username: "docker", password: "smb-pass", path: "/srv/media" };

const args = (over: Partial<DockerHostArgs> = {}): DockerHostArgs => dockerHostArgs({ dataDiskGb: 64, mounts: [documents, media], ...over });

// Update mode, not preview: outputs computed from inputs are then known, so secrets stay visible
// as secrets in every input that carries them.
const run_ = (program: () => unknown) => capture(program, { stack: "test", config: {}, preview: false });

const prefix = "urn:pulumi:test::homelab::homelab:index:DockerHost$";

describe("DockerHost (lxc)", () => {
    let resources: CapturedResource[];
    before(async () => {
        ({ resources } = await run_(() => new DockerHost("docker", args(), pve())));
    });

    it("creates exactly the node mounts, the container, the Docker set-up, the provider and the apps network", () => {
        const host = one(resources, "homelab:index:DockerHost", "docker");
        assert.deepStrictEqual(childrenOf(resources, host.urn), [
            "command:remote:Command docker-docker",
            "command:remote:Command docker-keys",
            "command:remote:Command docker-mount-documents",
            "command:remote:Command docker-mount-media",
            "command:remote:Command docker-mounts",
            "docker:index/network:Network docker-apps",
            "proxmoxve:index/containerLegacy:ContainerLegacy docker",
            "pulumi:providers:docker docker",
        ]);
    });

    it("makes an unprivileged container with nesting and keyctl, started at boot after the NAS", () => {
        const ct = one(resources, "proxmoxve:index/containerLegacy:ContainerLegacy", "docker").inputs;
        assert.strictEqual(ct.unprivileged, true);
        assert.deepStrictEqual(ct.features, { nesting: true, keyctl: true });
        assert.strictEqual(ct.startOnBoot, true);
        assert.deepStrictEqual(ct.startup, { order: 2 });
        assert.deepStrictEqual(ct.operatingSystem, { templateFileId: "local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst", type: "debian" });
        assert.deepStrictEqual(ct.disk, { datastoreId: "local-lvm", size: 8 });
        assert.deepStrictEqual(ct.initialization, {
            hostname: "docker",
            ipConfigs: [{ ipv4: { address: "192.168.1.4/24", gateway: "192.168.1.1" } }],
            userAccount: { keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey admin@laptop"] },
        });
        assert.deepStrictEqual(ct.networkInterfaces, [{ name: "eth0", bridge: "vmbr0", firewall: true }]);
    });

    it("creates /var/lib/docker as its own backed-up volume, and leaves later mount point changes to container-mounts.sh", () => {
        const ct = one(resources, "proxmoxve:index/containerLegacy:ContainerLegacy", "docker");
        assert.deepStrictEqual(ct.inputs.mountPoints, [{ volume: "local-lvm", size: "64G", path: "/var/lib/docker", backup: true }]);
        // The provider replaces a container on any mount point or key change (test/providerTruth.ts).
        // The template seeds the root disk at creation only (imageSeedsOnly).
        assert.deepStrictEqual(ct.options.ignoreChanges, ["mountPoints", "initialization.userAccount", "operatingSystem.templateFileId"]);
        // The container waits for no share mount, so not for the NAS.
        assert.deepStrictEqual(ct.dependsOn, []);
    });

    it("sets the bind mounts and the data volume size on the node after the container and the share mounts, sorted by share", () => {
        const step = one(resources, "command:remote:Command", "docker-mounts");
        assert.ok(
            String(step.inputs.create).endsWith(
                'bash "$f" --vmid 101 --managed /mnt/homelab/docker --data-gb 64 --bind /mnt/homelab/docker/documents:/mnt/documents --bind /mnt/homelab/docker/media:/srv/media; rc=$?; rm -f "$f"; exit $rc',
            ),
            String(step.inputs.create).slice(-300),
        );
        assert.deepStrictEqual(step.dependsOn, [
            `${prefix}command:remote:Command::docker-mount-documents`,
            `${prefix}command:remote:Command::docker-mount-media`,
            `${prefix}proxmoxve:index/containerLegacy:ContainerLegacy::docker`,
        ]);
    });

    it("mounts each share on the node as the container's mapped id, with the credentials on stdin as a secret", () => {
        const docs = one(resources, "command:remote:Command", "docker-mount-documents");
        assert.deepStrictEqual(docs.secretPaths.sort(), ["connection", "stdin"]);
        const create = String(docs.inputs.create);
        assert.ok(
            create.endsWith(
                'bash "$f" --name docker-documents --server 192.168.1.5 --share documents --target /mnt/homelab/docker/documents --uid 100033 --gid 100033; rc=$?; rm -f "$f"; exit $rc',
            ),
            create.slice(-300),
        );
        assert.ok(!create.includes("smb-pass"));
        const media = String(one(resources, "command:remote:Command", "docker-mount-media").inputs.create);
        assert.ok(media.includes("--target /mnt/homelab/docker/media --uid 101000 --gid 101000;"), media.slice(-300));
    });

    it("installs Docker in the container from the node with pct exec after it exists (no login into it), with the internal pool apart from the apps network", () => {
        const install = one(resources, "command:remote:Command", "docker-docker");
        assert.deepStrictEqual(install.dependsOn, [`${prefix}proxmoxve:index/containerLegacy:ContainerLegacy::docker`]);
        const create = String(install.inputs.create);
        assert.ok(create.startsWith("pct exec 101 -- bash -c '#!/usr/bin/env bash\n"), create.slice(0, 80));
        assert.ok(create.endsWith(` homelab-script ${installDockerArgs({ addressPool: "172.18.0.0/16" }).join(" ")}`), create.slice(-200));
        assert.deepStrictEqual(install.secretPaths, ["connection"]);
    });

    it("writes root's keys from the node after the container exists (the container ignores later keys)", () => {
        const keys = one(resources, "command:remote:Command", "docker-keys");
        assert.deepStrictEqual(keys.dependsOn, [`${prefix}proxmoxve:index/containerLegacy:ContainerLegacy::docker`]);
        assert.ok(String(keys.inputs.create).includes(fs.readFileSync(authorizedKeysScriptPath, "utf8")));
        assert.ok(String(keys.inputs.create).endsWith('bash "$f" --vmid 101; rc=$?; rm -f "$f"; exit $rc'));
        assert.strictEqual(keys.inputs.stdin, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey admin@laptop\n");
    });

    it("reaches Docker over SSH as root, only after the set-up and the keys", () => {
        const provider = one(resources, "pulumi:providers:docker", "docker");
        assert.strictEqual(provider.inputs.host, "ssh://root@192.168.1.4");
        assert.strictEqual(provider.inputs.sshOpts, JSON.stringify(["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new"]));
        assert.deepStrictEqual(provider.dependsOn, [`${prefix}command:remote:Command::docker-docker`, `${prefix}command:remote:Command::docker-keys`]);
    });

    it("creates the apps network with the configured subnet, on this host's Docker", () => {
        const net = one(resources, "docker:index/network:Network", "docker-apps");
        // Named from the component, so that two hosts' networks never clash by default.
        assert.deepStrictEqual(net.inputs, { name: "docker-apps", driver: "bridge", ipamConfigs: [{ subnet: "10.10.10.0/24" }], internal: false });
        assert.ok(net.provider.startsWith(`${prefix}pulumi:providers:docker::docker::`), net.provider);
    });

    it("creates its guest with the proxmoxve provider given in opts", () => {
        assert.match(one(resources, "proxmoxve:index/containerLegacy:ContainerLegacy", "docker").provider, /pulumi:providers:proxmoxve::pve::/);
    });
});

describe("DockerHost with args from other resources", () => {
    let resources: CapturedResource[];
    before(async () => {
        ({ resources } = await run_(
            () =>
                new DockerHost(
                    "docker",
                    args({
                        nodeName: outputOf("node", "pve7"),
                        nodeAddress: outputOf("nodeAddress", "10.0.0.2"),
                        vmId: outputOf("vmId", 150),
                        ipv4: outputOf("ipv4", "10.0.0.4/24"),
                        sshPublicKeys: outputOf("keys", ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOther ops@ci"]),
                        appNetwork: outputOf("appNetwork", "10.20.0.0/24"),
                        appNetworkName: "apps",
                        mounts: [{ ...documents, server: outputOf("nas", "10.0.0.5"), password: outputOf("password", "from-elsewhere") }],
                    }),
                    pve(),
                ),
        ));
    });

    it("places the guest on the node, id and address the outputs give", () => {
        const ct = one(resources, "proxmoxve:index/containerLegacy:ContainerLegacy", "docker");
        assert.strictEqual(ct.inputs.nodeName, "pve7");
        assert.strictEqual(ct.inputs.vmId, 150);
        const init = ct.inputs.initialization as { ipConfigs: { ipv4: { address: string } }[]; userAccount: { keys: string[] } };
        assert.strictEqual(init.ipConfigs[0].ipv4.address, "10.0.0.4/24");
        assert.deepStrictEqual(init.userAccount.keys, ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOther ops@ci"]);
        for (const dep of ["node", "vmId", "ipv4", "keys"]) {
            assert.ok(ct.dependsOn.some((u) => u.endsWith(`::dependency-${dep}`)), `${dep}: ${ct.dependsOn.join(" ")}`);
        }
    });

    it("reaches Docker at the address from the output, and names the network as told", () => {
        assert.strictEqual(one(resources, "pulumi:providers:docker", "docker").inputs.host, "ssh://root@10.0.0.4");
        assert.deepStrictEqual(one(resources, "docker:index/network:Network", "docker-apps").inputs.ipamConfigs, [{ subnet: "10.20.0.0/24" }]);
        assert.strictEqual(one(resources, "docker:index/network:Network", "docker-apps").inputs.name, "apps");
    });

    it("mounts from the NAS address of the output, with the password from the output on stdin as a secret", () => {
        const mount = one(resources, "command:remote:Command", "docker-mount-documents");
        assert.ok((mount.inputs.create as string).includes("--server 10.0.0.5"));
        assert.ok(!(mount.inputs.create as string).includes("from-elsewhere"));
        assert.ok(mount.secretPaths.includes("stdin"));
        // The connection (a secret, for its key) goes to the node address of the output.
        assert.ok(mount.dependsOn.some((u) => u.endsWith("::dependency-nodeAddress")), mount.dependsOn.join(" "));
        assert.ok((one(resources, "command:remote:Command", "docker-mounts").inputs.create as string).includes("--vmid 150"));
    });
});

describe("DockerHost (vm)", () => {
    let resources: CapturedResource[];
    before(async () => {
        ({ resources } = await run_(
            () =>
                new DockerHost(
                    "isolated",
                    args({ kind: "vm", vmId: 120, ipv4: "192.168.1.20/24", imageId: "local:iso/debian-12-genericcloud-amd64.img", mounts: [media] }),
                    pve(),
                ),
        ));
    });

    it("creates exactly the VM, the share mount inside it, the Docker set-up, the provider and the network", () => {
        assert.deepStrictEqual(childrenOf(resources, one(resources, "homelab:index:DockerHost", "isolated").urn), [
            "command:remote:Command isolated-docker",
            "command:remote:Command isolated-mount-media",
            "docker:index/network:Network isolated-apps",
            "proxmoxve:index/vmLegacy:VmLegacy isolated",
            "pulumi:providers:docker isolated",
        ]);
    });

    it("boots the cloud image with root's keys and one disk for system and Docker data, seeded by the image at creation only", () => {
        const vmResource = one(resources, "proxmoxve:index/vmLegacy:VmLegacy", "isolated");
        // A newer cloud image must not replace the VM and its Docker data (imageSeedsOnly).
        assert.deepStrictEqual(vmResource.options.ignoreChanges, ["disks[0].fileId"]);
        const vm = vmResource.inputs as Record<string, any>;
        assert.deepStrictEqual(vm.disks, [
            { interface: "scsi0", datastoreId: "local-lvm", fileId: "local:iso/debian-12-genericcloud-amd64.img", size: 72, discard: "on", iothread: true },
        ]);
        assert.deepStrictEqual(vm.initialization.userAccount, { username: "root", keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey admin@laptop"] });
        assert.deepStrictEqual(vm.initialization.ipConfigs, [{ ipv4: { address: "192.168.1.20/24", gateway: "192.168.1.1" } }]);
        assert.strictEqual(vm.onBoot, true);
        assert.deepStrictEqual(vm.startup, { order: 2 });
    });

    it("mounts the share inside the VM with the VM's own ids, before Docker is used", () => {
        const mount = one(resources, "command:remote:Command", "isolated-mount-media");
        assert.ok(String(mount.inputs.create).includes("--target /srv/media --uid 1000 --gid 1000;"));
        assert.deepStrictEqual(mount.dependsOn, [`${prefix}proxmoxve:index/vmLegacy:VmLegacy::isolated`]);
        // Docker does not wait for the NAS: only the apps that use the share wait for its mount.
        assert.deepStrictEqual(one(resources, "pulumi:providers:docker", "isolated").dependsOn, [`${prefix}command:remote:Command::isolated-docker`]);
    });
});

describe("DockerHost arguments", () => {
    const bad: [string, Partial<DockerHostArgs>, string][] = [
        ["an address without prefix", { ipv4: "192.168.1.4" }, 'DockerHost docker: ipv4 must be an address with prefix such as 192.168.1.4/24, got "192.168.1.4"'],
        // The address rule the stack's validation uses too (components/ip.ts hostAddressProblem).
        ["an address part above 255 and a prefix above 32", { ipv4: "999.1.1.1/99" }, 'DockerHost docker: ipv4 must be an address with prefix such as 192.168.1.4/24, got "999.1.1.1/99"'],
        ["the network's own address", { ipv4: "192.168.1.0/24" }, "DockerHost docker: ipv4 192.168.1.0 is not a host address inside its network (192.168.1.0/24): use an address of that network"],
        ["the broadcast address", { ipv4: "192.168.1.255/24" }, "DockerHost docker: ipv4 192.168.1.255 is not a host address inside its network (192.168.1.0/24): use an address of that network"],
        ["the gateway's address", { ipv4: "192.168.1.1/24" }, "DockerHost docker: ipv4 192.168.1.1 is the gateway of its network: use another address"],
        ["no SSH keys", { sshPublicKeys: [] }, "DockerHost docker: sshPublicKeys must hold at least one key, or Pulumi could not set the host up"],
        ["an internal pool over the apps network", { internalPool: "10.10.0.0/16" }, "DockerHost docker: internalPool 10.10.0.0/16 overlaps appNetwork 10.10.10.0/24: choose ranges apart"],
        ["an apps network that is not a network", { appNetwork: "banana" }, 'DockerHost docker: appNetwork must be an IPv4 network with its host bits zero, such as 10.10.10.0/24, got "banana"'],
        ["an apps network without prefix", { appNetwork: "10.10.10.0" }, 'DockerHost docker: appNetwork must be an IPv4 network with its host bits zero, such as 10.10.10.0/24, got "10.10.10.0"'],
        [
            "a share mounted twice",
            { mounts: [documents, documents] },
            "DockerHost docker: share 'documents' is mounted twice: list each share once in mounts",
        ],
        [
            "a mount path with a space",
            { mounts: [{ ...documents, path: "/mnt/my docs" }] },
            'DockerHost docker: mount path of share \'documents\' must be an absolute path of plain names, got "/mnt/my docs"',
        ],
    ];
    for (const [what, over, message] of bad) {
        it(`rejects ${what} before registering anything`, async () => {
            const { error, registered } = await captureRefusal(() => new DockerHost("docker", args(over), pve()));
            assert.strictEqual(error?.message, message);
            // Only the stack and the test's own provider: neither the component nor a child.
            assert.deepStrictEqual(registered, ["pulumi:pulumi:Stack homelab-test", "pulumi:providers:proxmoxve pve"]);
        });
    }

    it("sshOptions() adds the identity file only when given", () => {
        assert.deepStrictEqual(sshOptions("/home/me/.ssh/lab"), [
            "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new", "-i", "/home/me/.ssh/lab", "-o", "IdentitiesOnly=yes",
        ]);
        assert.strictEqual(nodeMountPath("docker", "media"), "/mnt/homelab/docker/media");
    });
});

describe("mount-shares.sh", () => {
    it("passes shellcheck", () => {
        assert.ok(have("shellcheck"), "shellcheck is not installed (Debian package shellcheck)");
        runOk("shellcheck", ["--severity=info", mountSharesScriptPath]);
    });

    const good = ["--name", "docker-media", "--server", "192.168.1.5", "--share", "media", "--target", "/mnt/homelab/docker/media", "--uid", "101000", "--gid", "101000"];
    const refused: [string, string[], string, string][] = [
        ["a target with a space", ["--target", "/mnt/a b"], "", '--target must be an absolute path of plain names, got "/mnt/a b"'],
        ["a comma in the share (it would add mount options)", ["--share", "media,uid=0"], "", "--share must be a share name of letters, digits, '.', '_' and '-', got \"media,uid=0\""],
        ["a non-numeric uid", ["--uid", "root"], "", '--uid must be a number, got "root"'],
        ["a mode that is not octal", ["--mode", "0999"], "", '--mode must be an octal mode such as 0770, got "0999"'],
        ["no password on stdin", [], "docker\n", "stdin must hold the SMB password on its second line"],
        ["an unknown argument", ["--password", "x"], "", 'unknown argument "--password"'],
    ];
    for (const [what, over, stdin, message] of refused) {
        it(`refuses ${what} with exit 2 before touching anything`, () => {
            // Later flags win, so appending an override replaces the good value.
            const r = run("bash", [mountSharesScriptPath, ...good, ...over], { input: stdin });
            assert.strictEqual(r.status, 2, r.stderr);
            assert.strictEqual(r.stderr.trim(), `mount-shares: ${message}`);
            assert.strictEqual(r.stdout, "");
        });
    }
});

describe("container-mounts.sh (against a stand-in pct)", () => {
    const fakePct = path.join(__dirname, "helpers", "fake-pct.sh");
    let dir: string;
    const data = "mp0: local-lvm:vm-101-disk-1,mp=/var/lib/docker,backup=1,size=64G";
    const other = "mp3: /srv/elsewhere,mp=/mnt/other";
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "container-mounts-"));
        fs.mkdirSync(path.join(dir, "bin"));
        fs.symlinkSync(fakePct, path.join(dir, "bin", "pct"));
        // A container as Proxmox created it, plus a mount point someone else made.
        fs.writeFileSync(path.join(dir, "pending"), `arch: amd64\n${data}\n${other}\n`);
        fs.copyFileSync(path.join(dir, "pending"), path.join(dir, "current"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const mounts = (args: string[], env: Record<string, string> = {}) =>
        run("bash", [containerMountsScriptPath, "--vmid", "101", "--managed", "/mnt/homelab/docker", ...args], {
            env: { ...process.env, PATH: `${dir}/bin:${process.env.PATH}`, PCT_DIR: dir, ...env },
        });
    const config = (which = "pending") => fs.readFileSync(path.join(dir, which), "utf8").trim().split("\n").sort();
    const calls = () => (fs.existsSync(path.join(dir, "calls")) ? fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n") : []);
    const docs = ["--bind", "/mnt/homelab/docker/documents:/mnt/documents"];
    const media = ["--bind", "/mnt/homelab/docker/media:/mnt/media"];

    it("passes shellcheck", () => {
        runOk("shellcheck", ["--severity=info", containerMountsScriptPath, fakePct]);
    });

    it("adds bind mounts in free slots, then changes nothing on a second run or with the mounts reordered", () => {
        const first = mounts([...docs, ...media]);
        assert.strictEqual(first.status, 0, first.stderr);
        assert.strictEqual(first.stdout, "homelab-mounts: vmid=101 changed=yes\n");
        assert.deepStrictEqual(config(), [
            "arch: amd64",
            data,
            "mp1: /mnt/homelab/docker/documents,mp=/mnt/documents",
            "mp2: /mnt/homelab/docker/media,mp=/mnt/media",
            other,
        ]);
        const before = calls().length;
        for (const args of [[...docs, ...media], [...media, ...docs]]) {
            const again = mounts([...args, "--data-gb", "64"]);
            assert.strictEqual(again.stdout, "homelab-mounts: vmid=101 changed=no\n", again.stderr);
        }
        // Only reads: no set, resize or reboot.
        assert.deepStrictEqual(calls().slice(before).filter((c) => !/^pct (config|status) /.test(c)), []);
    });

    it("removes only its own bind mounts, keeps the others' slots, and reuses a freed slot", () => {
        assert.strictEqual(mounts([...docs, ...media]).status, 0);
        assert.strictEqual(mounts([...media]).status, 0);
        assert.deepStrictEqual(config(), ["arch: amd64", data, "mp2: /mnt/homelab/docker/media,mp=/mnt/media", other]);
        assert.strictEqual(mounts([...media, "--bind", "/mnt/homelab/docker/backups:/mnt/backups"]).status, 0);
        assert.ok(config().includes("mp1: /mnt/homelab/docker/backups,mp=/mnt/backups"), config().join("\n"));
        // A new path for a share moves it in its own slot.
        assert.strictEqual(mounts(["--bind", "/mnt/homelab/docker/media:/srv/media"]).status, 0);
        assert.deepStrictEqual(config(), ["arch: amd64", data, "mp2: /mnt/homelab/docker/media,mp=/srv/media", other]);
    });

    it("grows the data volume and refuses to shrink it", () => {
        const grow = mounts(["--data-gb", "100"]);
        assert.strictEqual(grow.status, 0, grow.stderr);
        assert.ok(calls().includes("pct resize 101 mp0 100G"), calls().join("\n"));
        const shrink = mounts(["--data-gb", "32"]);
        assert.strictEqual(shrink.status, 1);
        assert.strictEqual(shrink.stderr.trim(), "container-mounts: the data volume mp0 is 100G: it cannot shrink to 32G; set dataDiskGb to 100 or more");
    });

    it("restarts the container once when Proxmox could not hotplug a mount", () => {
        const r = mounts([...docs], { PCT_HOTPLUG: "no" });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.ok(calls().includes("pct reboot 101"), calls().join("\n"));
        assert.deepStrictEqual(config("current"), config("pending"));
        const hot = mounts([...docs, ...media]);
        assert.strictEqual(hot.status, 0, hot.stderr);
        assert.strictEqual(calls().filter((c) => c === "pct reboot 101").length, 1);
    });

    const refused: [string, string[], string][] = [
        ["a source outside the managed directory", ["--bind", "/etc:/mnt/etc"], "--bind source /etc must lie under --managed /mnt/homelab/docker"],
        ["a path with a comma (it would add mount options)", ["--bind", "/mnt/homelab/docker/a:/mnt/a,ro=1"], '--bind must be SOURCE:PATH, two absolute paths of plain names, got "/mnt/homelab/docker/a:/mnt/a,ro=1"'],
        ["a path given twice", [...docs, "--bind", "/mnt/homelab/docker/x:/mnt/documents"], "--bind path /mnt/documents is given twice"],
        ["a size that is not a number", ["--data-gb", "64G"], '--data-gb must be a whole number of GiB, got "64G"'],
    ];
    for (const [what, args, message] of refused) {
        it(`refuses ${what} with exit 2 before calling pct`, () => {
            const r = mounts(args);
            assert.strictEqual(r.status, 2, r.stderr);
            assert.strictEqual(r.stderr.trim(), `container-mounts: ${message}`);
            assert.deepStrictEqual(calls(), []);
        });
    }
});

describe("authorized-keys.sh (a stand-in pct whose exec runs in a Debian container)", function () {
    this.timeout(300_000);
    const fakePct = path.join(__dirname, "helpers", "fake-pct.sh");
    let dir: string;
    let root: string;
    const keyFile = (name: string) => {
        runOk("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `${name}@laptop`, "-f", path.join(dir, name)]);
        return fs.readFileSync(path.join(dir, `${name}.pub`), "utf8").trim();
    };
    before(() => {
        root = debianRoot(["systemd-sysv"]);
    });
    after(() => root && fs.rmSync(root, { recursive: true, force: true }));
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "authorized-keys-"));
        fs.mkdirSync(path.join(dir, "bin"));
        fs.symlinkSync(fakePct, path.join(dir, "bin", "pct"));
        fs.rmSync(path.join(root, "root", ".ssh"), { recursive: true, force: true });
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const keys = (stdin: string, args = ["--vmid", "101"]) =>
        run("bash", [authorizedKeysScriptPath, ...args], { input: stdin, env: { ...process.env, PATH: `${dir}/bin:${process.env.PATH}`, PCT_DIR: dir, PCT_ROOT: root } });
    const calls = () => (fs.existsSync(path.join(dir, "calls")) ? fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n") : []);
    const file = () => path.join(root, "root", ".ssh", "authorized_keys");

    it("passes shellcheck", () => {
        runOk("shellcheck", ["--severity=info", authorizedKeysScriptPath, fakePct]);
    });

    it("writes root's keys (0600 in a 0700 .ssh) that ssh-keygen reads, changes nothing the second time, and a rotation leaves only the new key", () => {
        const old = keyFile("old");
        const first = keys(`${old}\n`);
        assert.strictEqual(first.status, 0, first.stderr);
        assert.strictEqual(first.stdout, "homelab-keys: vmid=101 changed=yes\n");
        assert.strictEqual(fs.readFileSync(file(), "utf8"), `${old}\n`);
        assert.strictEqual(fs.statSync(file()).mode & 0o777, 0o600);
        assert.strictEqual(fs.statSync(path.dirname(file())).mode & 0o777, 0o700);
        // OpenSSH's own reader of an authorized_keys file lists the key by its fingerprint.
        const fingerprint = runOk("ssh-keygen", ["-l", "-f", path.join(dir, "old.pub")]).stdout;
        assert.strictEqual(runOk("ssh-keygen", ["-l", "-f", file()]).stdout, fingerprint);

        const before = calls().length;
        const again = keys(`${old}\n`);
        assert.strictEqual(again.stdout, "homelab-keys: vmid=101 changed=no\n", again.stderr);
        assert.deepStrictEqual(calls().slice(before), ["pct exec 101 -- cat /root/.ssh/authorized_keys"]);

        const fresh = keyFile("new");
        const rotated = keys(`${fresh}\r\n\n`);
        assert.strictEqual(rotated.stdout, "homelab-keys: vmid=101 changed=yes\n", rotated.stderr);
        assert.strictEqual(fs.readFileSync(file(), "utf8"), `${fresh}\n`);
    });

    const refused: [string, string, string[], string][] = [
        ["no key at all", "\n", ["--vmid", "101"], "stdin holds no key: give at least one, or nobody could log in"],
        ["a line with options before the key", 'command="/bin/sh" ssh-ed25519 AAAA x\n', ["--vmid", "101"], 'line 1 of stdin is not an OpenSSH public key (type, base64, optional comment): "command="/bin/sh" ssh-ed25519 AAAA x"'],
        ["a bad vmid", "", ["--vmid", "1"], '--vmid must be a guest id such as 101, got "1"'],
    ];
    for (const [what, stdin, args, message] of refused) {
        it(`refuses ${what} with exit 2 before calling pct`, () => {
            const r = keys(stdin, args);
            assert.strictEqual(r.status, 2, r.stderr);
            assert.strictEqual(r.stderr.trim(), `authorized-keys: ${message}`);
            assert.deepStrictEqual(calls(), []);
        });
    }
});
