// NasVm: its pure helpers (tables), the command it runs on the VM (run for real by sh and bash),
// and the component under Pulumi's runtime mocks: exact children, key inputs, options, secrets,
// dependencies and validation messages; then the whole home stack.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type * as NasVmModule from "../components/nasVm";
import { planJson } from "../scripts/plan";
import { captureApplyError, CapturedResource, captureProgram, captureRefusal, captureStack, childrenOf, one, outputOf } from "./helpers/mocks";
import { have, run } from "./helpers/exec";

const diskA = "/dev/disk/by-id/ata-Samsung_SSD_870_EVO_1TB_S6PTNM0T100001A";
const diskB = "/dev/disk/by-id/ata-Samsung_SSD_870_EVO_1TB_S6PTNM0T100002B";
const memberA = "/dev/disk/by-id/virtio-1TB_S6PTNM0T100001A";
const memberB = "/dev/disk/by-id/virtio-1TB_S6PTNM0T100002B";
const passwords = { proxmox: "pw-Proxmox-7f3a", docker: "pw-Docker-91c2" };

const T = {
    nas: "homelab:index:NasVm",
    vm: "proxmoxve:index/vmLegacy:VmLegacy",
    file: "proxmoxve:index/fileLegacy:FileLegacy",
    cmd: "command:remote:Command",
};

describe("NasVm helpers", () => {
    let m: typeof NasVmModule;
    before(async () => {
        m = await import("../components/nasVm");
    });

    const serials: [string, string][] = [
        [diskA, "1TB_S6PTNM0T100001A"],
        ["/dev/disk/by-id/wwn-0x5002538e40a1b2c3", "0x5002538e40a1b2c3"],
        ["/dev/disk/by-id/nvme-eui.0025388b91b2c3d4", "eui0025388b91b2c3d4"],
        ["/dev/disk/by-id/nvme-Samsung_SSD_970_EVO_Plus_1TB_S4EWNX0R123456_1", "1TB_S4EWNX0R123456_1"],
        ["/dev/disk/by-id/usb-WD_Elements_25A3_ABC123-0:0", "ments_25A3_ABC123-00"],
        ["/dev/disk/by-id/ata-X", "X"],
    ];
    for (const [disk, serial] of serials) {
        it(`derives serial ${serial} from ${path.basename(disk)}`, () => {
            assert.strictEqual(m.diskSerial(disk), serial);
        });
    }

    it("names the guest's by-id path after the serial", () => {
        assert.strictEqual(m.guestDiskPath(diskA), memberA);
    });

    it("builds storage.sh's arguments with every member", () => {
        assert.deepStrictEqual(m.storageScriptArgs({ name: "data", mount: "/srv/data", members: [memberA, memberB], mailTo: "root" }), [
            "--name", "data",
            "--mount", "/srv/data",
            "--member", memberA,
            "--member", memberB,
            "--mail", "root",
        ]);
        assert.deepStrictEqual(
            m.storageScriptArgs({ name: "data", mount: "/srv/data", members: [memberA, memberB], mailTo: "root", allowSizeMismatch: true }).slice(-3),
            ["--mail", "root", "--allow-size-mismatch"],
        );
    });

    it("writes samba.sh's stdin: one line per user with that user's shares", () => {
        const shares = [
            { name: "backups", users: ["proxmox"] },
            { name: "documents", users: ["docker", "proxmox"] },
            { name: "media", users: ["docker"] },
        ];
        assert.strictEqual(
            m.sambaUsersStdin([{ name: "proxmox", password: "a b" }, { name: "docker", password: "x'y" }], shares),
            "proxmox\ta b\tbackups,documents\ndocker\tx'y\tdocuments,media\n",
        );
    });

    const empty = "is empty";
    const control = "holds a tab, line break or other control character";
    for (const [what, password, problem] of [["empty", "", empty], ["with a tab", "a\tb", control], ["with a newline", "a\nb", control], ["with an escape", "a\u001bb", control]] as const) {
        it(`rejects a password ${what} without printing it`, () => {
            assert.strictEqual(m.sambaPasswordProblem(password), problem);
            assert.throws(() => m.sambaUsersStdin([{ name: "docker", password }], [{ name: "media", users: ["docker"] }]), {
                message: `NasVm: the password of user 'docker' ${problem}: it must be non-empty, on one line, without control characters`,
            });
        });
    }

    it("ignores exactly the OS disk's image and each passthrough disk's size and format", () => {
        assert.deepStrictEqual(m.nasVmIgnoreChanges(0), ["disks[0].fileId", "initialization.userDataFileId"]);
        assert.deepStrictEqual(m.nasVmIgnoreChanges(2), ["disks[0].fileId", "initialization.userDataFileId", "disks[1].size", "disks[1].fileFormat", "disks[2].size", "disks[2].fileFormat"]);
    });
});

/**
 * The command runs for real: `sudo` and `cloud-init` are shims on the PATH (sudo drops `-n` and
 * runs the rest as the same user), so the test sees exactly what the script would get as root.
 */
describe("NasVm's command on the VM (sh and bash)", () => {
    let m: typeof NasVmModule;
    let dir = "";
    before(async () => {
        m = await import("../components/nasVm");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-nas-cmd-"));
        fs.mkdirSync(path.join(dir, "bin"));
        fs.writeFileSync(path.join(dir, "bin", "sudo"), '#!/bin/sh\n[ "$1" = -n ] || exit 90\nshift\necho sudo >> "$OUT/calls"\nexec "$@"\n', { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "bin", "cloud-init"), '#!/bin/sh\necho "cloud-init $*" >> "$OUT/calls"\nexit 2\n', { mode: 0o755 });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    // Records its arguments, the config file's content, stdin and its own directory; exits 3.
    const script = [
        "#!/usr/bin/env bash",
        'printf "%s\\n" "$@" > "$OUT/args"',
        'while [ $# -gt 0 ]; do [ "$1" = --config ] && cp "$2" "$OUT/config"; shift; done',
        'cat > "$OUT/stdin"',
        'dirname "$0" > "$OUT/dir"',
        "echo 'HOMELAB_SCRIPT HOMELAB_CONFIG'",
        "exit 3",
    ].join("\n");
    const config = "[global]\n   workgroup = WORKGROUP\n# HOMELAB_CONFIG in the text must not end the here-document\n";

    for (const shell of ["sh", "bash"]) {
        it(`under ${shell}: runs the script through sudo with its args and config, passes stdin, keeps the exit code, cleans up`, () => {
            const out = fs.mkdtempSync(path.join(dir, `${shell}-`));
            const cmd = m.sudoScriptCommand(script, ["--mount", "/srv/data", "--comment", "it's"], { config, instance: "BC:24:11:AA:BB:CC" });
            const r = run(shell, ["-c", cmd], { input: "docker\tpw\tmedia\n", env: { PATH: `${dir}/bin:/usr/bin:/bin`, OUT: out }, timeoutMs: 20_000 });
            assert.strictEqual(r.status, 3, r.stderr);
            assert.strictEqual(r.stdout, "HOMELAB_SCRIPT HOMELAB_CONFIG\n");
            const read = (f: string) => fs.readFileSync(path.join(out, f), "utf8");
            assert.strictEqual(read("calls"), "cloud-init status --wait\nsudo\n");
            assert.deepStrictEqual(read("args").split("\n").slice(0, 5), ["--mount", "/srv/data", "--comment", "it's", "--config"]);
            assert.strictEqual(read("config"), config);
            assert.strictEqual(read("stdin"), "docker\tpw\tmedia\n");
            assert.ok(!fs.existsSync(read("dir").trim()), "the temporary directory is removed");
        });
    }

    it("passes shellcheck", function () {
        if (!have("shellcheck")) {
            throw new Error("shellcheck is not installed (Debian package shellcheck)");
        }
        const file = path.join(dir, "cmd.sh");
        fs.writeFileSync(file, `#!/bin/sh\n${m.sudoScriptCommand("echo hi", ["--x", "y"], { config: "a = b", instance: "" })}\n`);
        const r = run("shellcheck", ["--severity=info", file]);
        assert.strictEqual(r.status, 0, r.stdout);
    });
});

describe("NasVm under runtime mocks", function () {
    this.timeout(60_000);
    let m: typeof NasVmModule;
    let proxmoxve: typeof import("@muhlba91/pulumi-proxmoxve");
    let pulumi: typeof import("@pulumi/pulumi");

    before(async () => {
        pulumi = await import("@pulumi/pulumi");
        proxmoxve = await import("@muhlba91/pulumi-proxmoxve");
        m = await import("../components/nasVm");
    });

    /** The root@pam provider, through opts as Pulumi passes providers; made inside the program. */
    const root = () => ({ provider: new proxmoxve.Provider("root", { endpoint: "https://192.168.1.6:8006/", apiToken: pulumi.secret("root@pam!lab=token") }) });

    /** The reference lab's NAS, built inside the program (secrets are Outputs of the mocked runtime). */
    function args(overrides: Partial<NasVmModule.NasVmArgs> = {}): NasVmModule.NasVmArgs {
        return {
            node: "proxmox1",
            vmId: 100,
            hostname: "nas",
            cores: 2,
            memoryMb: 3072,
            imageId: "local:iso/debian-12-genericcloud-amd64.img",
            network: { bridge: "vmbr0", address: "192.168.1.5", prefixLength: 24, gateway: "192.168.1.1" },
            disks: [diskA, diskB],
            users: [
                { name: "proxmox", password: pulumi.secret(passwords.proxmox) },
                { name: "docker", password: pulumi.secret(passwords.docker) },
            ],
            shares: [
                { name: "backups", users: ["proxmox"], comment: "vzdump" },
                { name: "documents", users: ["docker"] },
                { name: "media", users: ["docker"] },
            ],
            ssh: { publicKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITestKey admin@laptop"], privateKey: pulumi.secret("PRIVATE-KEY") },
            ...overrides,
        };
    }

    async function build(overrides: Partial<NasVmModule.NasVmArgs> = {}): Promise<{ resources: CapturedResource[]; nas: NasVmModule.NasVm }> {
        let nas: NasVmModule.NasVm | undefined;
        const { resources } = await captureProgram(() => {
            nas = new m.NasVm("nas", args(overrides), root());
        });
        return { resources, nas: nas! };
    }

    describe("with disks passed through", () => {
        let resources: CapturedResource[] = [];
        let nas: NasVmModule.NasVm;
        before(async () => {
            ({ resources, nas } = await build());
        });
        const component = () => one(resources, T.nas, "nas");
        const vm = () => one(resources, T.vm, "nas");
        const storage = () => one(resources, T.cmd, "nas-storage");
        const samba = () => one(resources, T.cmd, "nas-samba");

        it("creates exactly the user data, the VM, storage and samba", () => {
            assert.deepStrictEqual(childrenOf(resources, component().urn), [
                `${T.cmd} nas-samba`,
                `${T.cmd} nas-storage`,
                `${T.file} nas-user-data`,
                `${T.vm} nas`,
            ]);
        });

        it("parents the VM to the component (URN type chain)", () => {
            assert.ok(vm().urn.endsWith("::homelab:index:NasVm$proxmoxve:index/vmLegacy:VmLegacy::nas"), vm().urn);
            assert.strictEqual(vm().parent, component().urn);
            // The root@pam provider that was passed in, not a default provider.
            assert.strictEqual(vm().provider, `${one(resources, "pulumi:providers:proxmoxve", "root").urn}::root-id`);
        });

        it("passes both disks through whole, out of backups and replication, as virtio1 and virtio2", () => {
            const disks = vm().inputs.disks as Record<string, unknown>[];
            assert.deepStrictEqual(disks[0], {
                interface: "virtio0",
                datastoreId: "local-lvm",
                fileId: "local:iso/debian-12-genericcloud-amd64.img",
                size: 16,
                discard: "on",
                iothread: true,
            });
            assert.deepStrictEqual(disks.slice(1), [
                { interface: "virtio1", datastoreId: "", pathInDatastore: diskA, serial: "1TB_S6PTNM0T100001A", backup: false, replicate: false, discard: "on", iothread: true },
                { interface: "virtio2", datastoreId: "", pathInDatastore: diskB, serial: "1TB_S6PTNM0T100002B", backup: false, replicate: false, discard: "on", iothread: true },
            ]);
            assert.strictEqual(vm().inputs.hostpcis, undefined);
            assert.strictEqual(vm().inputs.machine, undefined);
        });

        it("boots first with the agent, a static address and the user-data snippet", () => {
            const i = vm().inputs;
            assert.strictEqual(i.vmId, 100);
            assert.strictEqual(i.nodeName, "proxmox1");
            assert.strictEqual(i.onBoot, true);
            assert.deepStrictEqual(i.startup, { order: 1 });
            assert.strictEqual(i.stopOnDestroy, false);
            assert.deepStrictEqual(i.agent, { enabled: true });
            assert.deepStrictEqual(i.memory, { dedicated: 3072 });
            assert.deepStrictEqual(i.networkDevices, [{ bridge: "vmbr0", model: "virtio", firewall: true }]);
            assert.deepStrictEqual(i.initialization, {
                datastoreId: "local-lvm",
                ipConfigs: [{ ipv4: { address: "192.168.1.5/24", gateway: "192.168.1.1" } }],
                dns: { servers: ["192.168.1.1"] },
                userDataFileId: "nas-user-data-id",
            });
            const file = one(resources, T.file, "nas-user-data");
            assert.strictEqual(file.inputs.contentType, "snippets");
            assert.strictEqual(file.inputs.datastoreId, "local");
            const raw = file.inputs.sourceRaw as { data: string; fileName: string };
            assert.strictEqual(raw.fileName, "nas-user-data.yaml");
            assert.ok(raw.data.startsWith("#cloud-config\n"));
            for (const needle of ["hostname: nas", "name: homelab", "qemu-guest-agent", "mdadm", "samba", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITestKey"]) {
                assert.ok(raw.data.includes(needle), `user data lacks ${needle}`);
            }
        });

        it("protects the VM, replaces it delete-first, retains it on delete and ignores exactly the known diffs", () => {
            assert.deepStrictEqual(vm().options, {
                protect: true,
                retainOnDelete: true,
                deleteBeforeReplace: true,
                ignoreChanges: ["disks[0].fileId", "initialization.userDataFileId", "disks[1].size", "disks[1].fileFormat", "disks[2].size", "disks[2].fileFormat"],
            });
            // The VM needs its snippet at every start, so the snippet outlives a destroy too.
            assert.deepStrictEqual(one(resources, T.file, "nas-user-data").options, { protect: false, retainOnDelete: true, deleteBeforeReplace: false, ignoreChanges: [] });
            assert.deepStrictEqual(storage().options, { protect: true, retainOnDelete: false, deleteBeforeReplace: false, ignoreChanges: [] });
        });

        it("runs storage after the VM and samba after storage", () => {
            assert.ok(storage().dependsOn.includes(vm().urn), storage().dependsOn.join(", "));
            assert.ok(samba().dependsOn.includes(storage().urn), samba().dependsOn.join(", "));
            assert.ok(!storage().dependsOn.includes(samba().urn));
        });

        it("runs storage.sh as root with both members as the guest sees them", () => {
            const create = String(storage().inputs.create);
            assert.strictEqual(
                create.split("\n").pop(),
                `sudo -n bash "$d/script" --name data --mount /srv/data --member ${memberA} --member ${memberB} --mail root; rc=$?; rm -rf "$d"; exit $rc`,
            );
            assert.ok(create.includes(fs.readFileSync(m.nasScriptPaths.storage, "utf8")), "ships storage.sh byte for byte");
            assert.strictEqual(storage().inputs.update, create);
            assert.strictEqual(storage().inputs.delete, undefined, "no delete command: removing it never touches the array");
            assert.deepStrictEqual(storage().secretPaths, ["connection"]);
        });

        it("runs samba.sh with the rendered smb.conf and the users on stdin", () => {
            const create = String(samba().inputs.create);
            assert.strictEqual(create.split("\n").pop(), `sudo -n bash "$d/script" --mount /srv/data --config "$d/config"; rc=$?; rm -rf "$d"; exit $rc`);
            assert.ok(create.includes(fs.readFileSync(m.nasScriptPaths.samba, "utf8")), "ships samba.sh byte for byte");
            for (const needle of ["[backups]", "   path = /srv/data/backups", "   valid users = proxmox", "   comment = vzdump", "[media]", "   valid users = docker"]) {
                assert.ok(create.includes(`${needle}\n`), `smb.conf lacks ${needle}`);
            }
            assert.strictEqual(samba().inputs.logging, "stderr");
        });

        it("sends every password as a secret, and nowhere in plain text", () => {
            assert.deepStrictEqual(samba().secretPaths.sort(), ["connection", "stdin"]);
            assert.strictEqual(samba().inputs.stdin, "[secret]");
            const all = JSON.stringify(resources.map((r) => r.inputs));
            for (const pw of [...Object.values(passwords), "PRIVATE-KEY"]) {
                assert.ok(!all.includes(pw), "a secret shows in plain text");
            }
        });

        it("exposes the address, the shares and the members", async () => {
            const value = <T>(o: import("@pulumi/pulumi").Output<T>) => new Promise<T>((resolve) => o.apply(resolve));
            assert.strictEqual(await value(nas.address), "192.168.1.5");
            assert.deepStrictEqual(await value(pulumi.all(nas.shares)), { backups: "//192.168.1.5/backups", documents: "//192.168.1.5/documents", media: "//192.168.1.5/media" });
            assert.deepStrictEqual(nas.members, [memberA, memberB]);
            assert.strictEqual(await value(nas.mount), "/srv/data");
        });
    });

    it("takes its node, id, address and passwords from other resources' outputs", async () => {
        const { resources } = await build({
            node: outputOf("node", "pve9"),
            vmId: outputOf("vmId", 140),
            network: { bridge: "vmbr0", address: outputOf("address", "10.0.0.5"), prefixLength: 24, gateway: outputOf("gateway", "10.0.0.1") },
            users: [
                { name: "proxmox", password: outputOf("pw-proxmox", "from-a-vault-1") },
                { name: "docker", password: outputOf("pw-docker", "from-a-vault-2") },
            ],
        });
        const vm = one(resources, T.vm, "nas");
        assert.deepStrictEqual([vm.inputs.nodeName, vm.inputs.vmId], ["pve9", 140]);
        const init = vm.inputs.initialization as { ipConfigs: { ipv4: { address: string; gateway: string } }[]; dns: { servers: string[] } };
        assert.deepStrictEqual(init.ipConfigs[0].ipv4, { address: "10.0.0.5/24", gateway: "10.0.0.1" });
        // The DNS default (the gateway) follows the output too.
        assert.deepStrictEqual(init.dns.servers, ["10.0.0.1"]);
        const samba = one(resources, T.cmd, "nas-samba");
        assert.deepStrictEqual(samba.secretPaths.filter((p) => p === "stdin"), ["stdin"]);
        assert.ok(!JSON.stringify(resources.map((r) => r.inputs)).includes("from-a-vault"));
        for (const dep of ["pw-proxmox", "pw-docker", "address"]) {
            assert.ok(samba.dependsOn.some((u) => u.endsWith(`::dependency-${dep}`)), `${dep}: ${samba.dependsOn.join(" ")}`);
        }
    });

    describe("with a controller mapping", () => {
        let resources: CapturedResource[] = [];
        before(async () => {
            ({ resources } = await build({ controllerMapping: "nas-hba", raid: { name: "family", mount: "/srv/family", mailTo: "admin@example.org", allowSizeMismatch: true } }));
        });

        it("passes the mapped controller, no single disk, and ignores only the image", () => {
            const vm = one(resources, T.vm, "nas");
            assert.deepStrictEqual(vm.inputs.hostpcis, [{ device: "hostpci0", mapping: "nas-hba", pcie: true }]);
            assert.strictEqual(vm.inputs.machine, "q35");
            const disks = vm.inputs.disks as Record<string, unknown>[];
            assert.deepStrictEqual(disks.map((d) => d.interface), ["virtio0"]);
            assert.ok(!JSON.stringify(disks).includes("pathInDatastore"));
            assert.deepStrictEqual(vm.options.ignoreChanges, ["disks[0].fileId", "initialization.userDataFileId"]);
        });

        it("assembles the disks behind the controller under their own by-id names", () => {
            const create = String(one(resources, T.cmd, "nas-storage").inputs.create);
            assert.strictEqual(
                create.split("\n").pop(),
                `sudo -n bash "$d/script" --name family --mount /srv/family --member ${diskA} --member ${diskB} --mail admin@example.org --allow-size-mismatch; rc=$?; rm -rf "$d"; exit $rc`,
            );
            assert.ok(String(one(resources, T.cmd, "nas-samba").inputs.create).includes("   path = /srv/family/media\n"));
        });
    });

    it("takes share users from Outputs: the same Samba set-up as from plain values; an unknown user refused inside apply with the construction's message", async () => {
        const shares = (v: (name: string, x: string[]) => unknown) => [
            { name: "backups", users: v("backups", ["proxmox"]) as string[], comment: "vzdump" },
            { name: "documents", users: v("documents", ["docker"]) as string[] },
            { name: "media", users: ["docker"] },
        ];
        const fromOutputs = await build({ shares: shares((name, x) => outputOf(name, x)) });
        const fromPlain = await build({ shares: shares((_, x) => x) });
        const [o, p] = [fromOutputs, fromPlain].map((r) => one(r.resources, T.cmd, "nas-samba"));
        assert.strictEqual(o.inputs.create, p.inputs.create);
        assert.deepStrictEqual(o.secretPaths.sort(), ["connection", "stdin"]);
        const bad = (v: (name: string, x: string[]) => unknown) => args({ shares: [{ name: "backups", users: ["proxmox"] }, { name: "media", users: v("media", ["docker", "guest"]) as string[] }] });
        const { error } = await captureRefusal(() => new m.NasVm("nas", bad((_, x) => x), root()));
        assert.strictEqual(error?.message, "NasVm: shares[1].users[1] ('guest' of share 'media') is not in users: add it there or use one of proxmox, docker");
        assert.strictEqual(await captureApplyError(() => new m.NasVm("nas", bad((name, x) => outputOf(name, x)), root())), error.message);
    });

    it("takes allowSizeMismatch from an Output, into storage.sh's arguments", async () => {
        const { resources } = await build({ raid: { allowSizeMismatch: outputOf("mismatch", true) } });
        assert.match(String(one(resources, T.cmd, "nas-storage").inputs.create), / --allow-size-mismatch; rc=\$\?;/);
    });

    describe("with provisioning", () => {
        let resources: CapturedResource[] = [];
        before(async () => {
            ({ resources } = await build({
                provision: { packages: ["smartmontools"], files: [{ path: "/etc/motd", content: "NAS\n" }], run: ["smartctl --scan"] },
                nodeConnection: { host: "192.168.1.6", privateKey: "NODE-KEY" },
            }));
        });

        it("puts it in the user data: the package, the file (deferred) and the command", () => {
            const data = (one(resources, T.file, "nas-user-data").inputs.sourceRaw as { data: string }).data;
            assert.match(data, /^packages:\n  - qemu-guest-agent\n  - mdadm\n  - samba\n  - smartmontools\n/m);
            assert.match(data, /^write_files:\n  - path: \/etc\/motd\n    content: \|\n      NAS\n    permissions: "0644"\n    owner: root:root\n    defer: true\n/m);
            assert.match(data, /^  - smartctl --scan$/m);
        });

        it("restarts the VM from its node after the snippet, before the array is assembled", () => {
            const apply = one(resources, T.cmd, "nas-user-data");
            const vm = one(resources, T.vm, "nas");
            const file = one(resources, T.file, "nas-user-data");
            assert.deepStrictEqual([...apply.dependsOn].sort(), [file.urn, vm.urn].sort());
            assert.match(apply.inputs.create as string, /^f=\$\(mktemp\) && cat > "\$f" <<'HOMELAB_SCRIPT'\n#!\/usr\/bin\/env bash\n# Runs on the Proxmox node/);
            assert.match(apply.inputs.create as string, /bash "\$f" --vmid 100 --snippet [^ ]+ --digest sha256:[0-9a-f]{64}; rc=/);
            assert.deepStrictEqual(apply.secretPaths, ["connection"]);
            assert.deepStrictEqual([...one(resources, T.cmd, "nas-storage").dependsOn].sort(), [apply.urn, vm.urn].sort());
        });

        it("takes the provisioning from Outputs, rendered into the user data once known; a secret file content keeps the user data secret", async () => {
            const provisioning = (content: unknown) => ({
                packages: outputOf("packages", ["smartmontools"]),
                files: [{ path: outputOf("path", "/etc/motd"), content: content as string, mode: outputOf("mode", "0640"), owner: outputOf("owner", "root:adm") }],
                run: outputOf("run", ["smartctl --scan"]),
            });
            const nodeConnection = { host: "192.168.1.6", privateKey: "NODE-KEY" };
            const plainData = await build({ provision: provisioning(outputOf("content", "NAS\n")), nodeConnection });
            const file = one(plainData.resources, T.file, "nas-user-data");
            const data = (file.inputs.sourceRaw as { data: string }).data;
            assert.match(data, /^  - smartmontools\n/m);
            assert.match(data, /^write_files:\n  - path: \/etc\/motd\n    content: \|\n      NAS\n    permissions: "0640"\n    owner: root:adm\n    defer: true\n/m);
            assert.match(data, /^  - smartctl --scan$/m);
            assert.deepStrictEqual(file.secretPaths, []);
            const secret = await build({ provision: provisioning(pulumi.secret(outputOf("content", "TOKEN=s3cret\n"))), nodeConnection });
            assert.deepStrictEqual(one(secret.resources, T.file, "nas-user-data").secretPaths, ["sourceRaw"]);
        });

        it("refuses a bad file mode when plain at construction and as an Output inside apply, with one message", async () => {
            const nodeConnection = { host: "192.168.1.6", privateKey: "NODE-KEY" };
            const nas = (mode: unknown) => new m.NasVm("nas", args({ provision: { files: [{ path: "/etc/motd", content: "NAS\n", mode: mode as string }] }, nodeConnection }), root());
            const { error } = await captureRefusal(() => nas("999"));
            assert.strictEqual(error?.message, "NasVm: provision.files[0].mode: must be an octal mode such as \"0644\" (quoted), got '999'");
            assert.strictEqual(await captureApplyError(() => nas(outputOf("mode", "999"))), error.message);
        });

        it("without provisioning there is no restart step", async () => {
            const plain = await build();
            assert.strictEqual(plain.resources.filter((r) => r.name === "nas-user-data" && r.type === T.cmd).length, 0);
        });
    });

    describe("validation", () => {
        const cases: [string, Partial<NasVmModule.NasVmArgs>, string][] = [
            ["one disk", { disks: [diskA] }, "NasVm: disks must list at least two whole disks for RAID 1, got 1"],
            ["no disk with a controller", { disks: [], controllerMapping: "hba" }, "NasVm: disks must list the at least two disks behind controllerMapping 'hba' (as /dev/disk/by-id/ paths) for RAID 1, got 0"],
            ["the same disk twice", { disks: [diskA, diskB, diskA] }, `NasVm: disks lists ${diskA} twice`],
            ["a /dev/sdX path", { disks: [diskA, "/dev/sdb"] }, 'NasVm: disks[1] must be a whole disk by id, /dev/disk/by-id/<id> (not a partition), got "/dev/sdb"'],
            ["a partition", { disks: [`${diskA}-part1`, diskB] }, `NasVm: disks[0] must be a whole disk by id, /dev/disk/by-id/<id> (not a partition), got "${diskA}-part1"`],
            [
                "two disks with one serial",
                { disks: ["/dev/disk/by-id/ata-A_SERIAL0000000000001", "/dev/disk/by-id/ata-B_SERIAL0000000000001"] },
                'NasVm: disks /dev/disk/by-id/ata-A_SERIAL0000000000001 and /dev/disk/by-id/ata-B_SERIAL0000000000001 both end in serial "SERIAL0000000000001": the guest could not tell them apart',
            ],
            ["no shares", { shares: [] }, "NasVm: shares must list at least one share"],
            [
                "a share user not in users",
                { shares: [{ name: "media", users: ["docker", "guest"] }, { name: "backups", users: ["proxmox"] }] },
                "NasVm: shares[0].users[1] ('guest' of share 'media') is not in users: add it there or use one of proxmox, docker",
            ],
            ["a share twice", { shares: [{ name: "media", users: ["docker"] }, { name: "media", users: ["proxmox"] }] }, "NasVm: shares lists 'media' twice"],
            ["a user in no share", { shares: [{ name: "media", users: ["docker"] }] }, "NasVm: user 'proxmox' is in no share's users: add it to a share or remove it"],
            ["provision without the node's login", { provision: { packages: ["smartmontools"] } }, "NasVm: provision restarts the VM from its node when it changes (`qm reboot`): set nodeConnection"],
            [
                "a package Debian cannot name",
                { provision: { packages: ["SmartMonTools"] }, nodeConnection: { host: "192.168.1.6", privateKey: "k" } },
                "NasVm: provision.packages[0]: 'SmartMonTools' is not a Debian package name: lower-case letters, digits, '.', '+' and '-', at least two, such as curl",
            ],
        ];

        it("throws the exact message for each bad argument, naming the field", async () => {
            const got: string[] = [];
            await captureProgram(() => {
                cases.forEach(([, overrides], i) => {
                    try {
                        new m.NasVm(`bad${i}`, args(overrides));
                        got.push("(no error)");
                    } catch (e) {
                        got.push((e as Error).message);
                    }
                });
            });
            assert.deepStrictEqual(
                got.map((message, i) => `${cases[i][0]}: ${message}`),
                cases.map(([what, , message]) => `${what}: ${message}`),
            );
        });

        it("throws before registering anything, not even itself", async () => {
            const { error, registered } = await captureRefusal(() => new m.NasVm("bad", args({ disks: [diskA] }), root()));
            assert.ok(error, "no error thrown");
            // Only the stack and the provider that args() made are there.
            assert.deepStrictEqual(registered, ["pulumi:pulumi:Stack homelab-test", "pulumi:providers:proxmoxve root"]);
        });
    });
});

describe("the home stack's NAS", function () {
    this.timeout(120_000);

    it("shows the NasVm and its four children in the plan JSON", async () => {
        const { result } = await captureStack();
        const plan = planJson("home", result) as { resources: { urn: string; type: string; name: string; parent: string; options: { protect: boolean } }[] };
        const nas = plan.resources.filter((r) => r.type === T.nas);
        assert.deepStrictEqual(nas.map((r) => r.name), ["nas"]);
        assert.ok(nas[0].parent.endsWith("homelab:index:Lab::homelab"));
        const children = plan.resources.filter((r) => r.parent === nas[0].urn).map((r) => `${r.type} ${r.name}${r.options.protect ? " (protected)" : ""}`);
        assert.deepStrictEqual(children.sort(), [`${T.cmd} nas-samba`, `${T.cmd} nas-storage (protected)`, `${T.file} nas-user-data`, `${T.vm} nas (protected)`]);
        const vm = one(result.resources, T.vm, "nas");
        assert.deepStrictEqual(
            (vm.inputs.disks as { pathInDatastore?: string }[]).map((d) => d.pathInDatastore),
            [undefined, diskA, diskB],
        );
        // Both SMB passwords of the reference lab travel only as secrets.
        assert.deepStrictEqual(one(result.resources, T.cmd, "nas-samba").secretPaths.sort(), ["connection", "stdin"]);
        // The VM waits for the image it is made from.
        assert.ok(vm.dependsOn.some((u) => u.endsWith("proxmoxve:download/file:File::proxmox-proxmox1-debian-12-cloud")), vm.dependsOn.join(", "));
    });
});
