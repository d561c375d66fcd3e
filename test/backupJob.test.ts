import * as assert from "assert";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import { BackupJob, BackupJobArgs } from "../components/backupJob";
import { CapturedResource, captureProgram, captureRefusal, captureStack, childrenOf, homeYaml, one, outputOf } from "./helpers/mocks";

const T = {
    component: "homelab:index:BackupJob",
    job: "proxmoxve:backup/job:Job",
    cifs: "proxmoxve:storage/cifs:Cifs",
};
const keep = { "keep-daily": "7", "keep-monthly": "3", "keep-weekly": "4" };

describe("BackupJob", () => {
    function run(over: Partial<BackupJobArgs> = {}): Promise<CapturedResource[]> {
        return captureProgram(() => {
            const provider = new proxmoxve.Provider("root", { endpoint: "https://192.168.1.6:8006/", apiToken: "root@pam!lab=token" });
            new BackupJob(
                "backup",
                {
                    // A plain string: the component must make it secret.
                    cifs: { storageId: "nas-backups", server: "192.168.1.5", share: "backups", username: "proxmox", password: "smb-pass" },
                    nodes: ["pve1", "pve2"],
                    ...over,
                },
                // Through opts, as Pulumi passes providers.
                { provider },
            );
        }).then((r) => r.resources);
    }

    it("adds the share as CIFS storage, marks its password secret, and backs up every guest to it", async () => {
        const resources = await run();
        const component = one(resources, T.component, "backup");
        assert.deepStrictEqual(childrenOf(resources, component.urn), [`${T.job} backup`, `${T.cifs} backup-storage`]);
        const storage = one(resources, T.cifs, "backup-storage");
        assert.deepStrictEqual(storage.inputs, {
            contents: ["backup"],
            nodes: ["pve1", "pve2"],
            password: "[secret]",
            resourceId: "nas-backups",
            server: "192.168.1.5",
            share: "backups",
            username: "proxmox",
        });
        assert.deepStrictEqual(storage.secretPaths, ["password"]);
        // A rotated password replaces the storage under the same id (test/providerTruth.ts, row "Cifs password").
        assert.strictEqual(storage.options.deleteBeforeReplace, true);
        const job = one(resources, T.job, "backup");
        assert.deepStrictEqual(job.inputs, {
            all: true,
            compress: "zstd",
            enabled: true,
            excludes: [],
            mailnotification: "failure",
            mode: "snapshot",
            pruneBackups: keep,
            resourceId: "backup",
            schedule: "02:00",
            storage: "nas-backups",
        });
        assert.deepStrictEqual(job.dependsOn, [storage.urn]);
        assert.match(job.provider, /::root::root-id$/);
    });

    it("never puts the NAS in the main job, listed in excludeIds or not, and gives it its own job", async () => {
        const cases: [number[] | undefined, string[]][] = [
            [undefined, ["100"]],
            [[], ["100"]],
            [[130], ["130", "100"]],
            [[100, 130], ["100", "130"]],
        ];
        for (const [excludeIds, expected] of cases) {
            const resources = await run({ excludeIds, nas: { vmId: 100, storage: "local", schedule: "sun 03:00" } });
            assert.deepStrictEqual(one(resources, T.job, "backup").inputs.excludes, expected, `excludeIds ${JSON.stringify(excludeIds)}`);
            const nasJob = one(resources, T.job, "backup-nas");
            assert.deepStrictEqual(nasJob.inputs, {
                compress: "zstd",
                enabled: true,
                mailnotification: "failure",
                mode: "snapshot",
                pruneBackups: keep,
                resourceId: "backup-nas",
                schedule: "sun 03:00",
                storage: "local",
                vmids: ["100"],
            });
        }
    });

    it("uses an existing storage without creating one", async () => {
        const resources = await run({ cifs: undefined, storage: "pbs" });
        assert.deepStrictEqual(childrenOf(resources, one(resources, T.component, "backup").urn), [`${T.job} backup`]);
        assert.strictEqual(one(resources, T.job, "backup").inputs.storage, "pbs");
    });

    it("takes the NAS address, password, nodes and ids from other resources' outputs", async () => {
        const resources = await run({
            cifs: { storageId: "nas-backups", server: outputOf("nas", "10.0.0.5"), share: "backups", username: "proxmox", password: outputOf("pw", "from-a-vault") },
            nodes: outputOf("nodes", ["pve7"]),
            excludeIds: [outputOf("id", 105)],
            nas: { vmId: outputOf("nasId", 100), storage: "local", schedule: "03:00" },
        });
        const storage = one(resources, T.cifs, "backup-storage");
        assert.deepStrictEqual([storage.inputs.server, storage.inputs.nodes, storage.inputs.password], ["10.0.0.5", ["pve7"], "[secret]"]);
        assert.deepStrictEqual(one(resources, T.job, "backup").inputs.excludes, ["105", "100"]);
        assert.deepStrictEqual(one(resources, T.job, "backup-nas").inputs.vmids, ["100"]);
        assert.match(one(resources, T.job, "backup").provider, /pulumi:providers:proxmoxve::root::/);
    });

    it("refuses both or neither of cifs and storage", async () => {
        const { error } = await captureRefusal(() => new BackupJob("backup", { nodes: ["pve1"] }));
        assert.strictEqual(error?.message, "BackupJob: set exactly one of cifs (a NAS share) and storage (an existing storage id)");
    });

    it("rejects an empty node list before registering anything", async () => {
        const { error, registered } = await captureRefusal(() => {
            const provider = new proxmoxve.Provider("root", { endpoint: "https://192.168.1.6:8006/", apiToken: "root@pam!lab=token" });
            new BackupJob("backup", { storage: "local", nodes: [] }, { provider });
        });
        assert.strictEqual(error?.message, "BackupJob: nodes must list at least one node");
        assert.deepStrictEqual(registered, ["pulumi:pulumi:Stack homelab-test", "pulumi:providers:proxmoxve root"]);
    });
});

describe("the home stack's backups", function () {
    this.timeout(120_000);

    it("keep the NAS out of the nightly job even when exclude lists other guests only", async () => {
        const text = homeYaml().replace("    exclude: [nas]\n", "    exclude: [docker]\n");
        assert.notStrictEqual(text, homeYaml(), "the home stack's backup exclude line moved: update this test");
        const { resources } = (await captureStack(text)).result;
        assert.deepStrictEqual(one(resources, T.job, "backup").inputs.excludes, ["101", "100"]);
        assert.deepStrictEqual(one(resources, T.job, "backup-nas").inputs.vmids, ["100"]);
        // The share is added as storage only once Samba serves it.
        assert.deepStrictEqual(one(resources, T.component, "backup").dependsOn, [
            one(resources, "command:remote:Command", "nas-samba").urn,
        ]);
    });
});
