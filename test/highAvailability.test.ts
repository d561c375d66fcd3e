// HighAvailability's pure rules (where a guest's disks must be copied) and its refusals.
import * as assert from "assert";
import { haReplication, HighAvailability } from "../components/highAvailability";
import { StorageInfo } from "../components/storage";
import { captureRefusal } from "./helpers/mocks";

const zfs: StorageInfo = { id: "local-zfs", type: "zfspool", content: ["images", "rootdir"] };
const nfs: StorageInfo = { id: "vmstore", type: "nfs", content: ["images", "rootdir"] };
const thin: StorageInfo = { id: "local-lvm", type: "lvmthin", content: ["images", "rootdir"] };

describe("haReplication", () => {
    it("copies local ZFS to every other node the guest may run on", () => {
        assert.deepStrictEqual(haReplication("pve1", zfs, [{ node: "pve1", storages: [zfs] }, { node: "pve2", storages: [zfs] }, { node: "pve3", storages: [zfs] }]), { replicateTo: ["pve2", "pve3"] });
    });
    it("copies nothing from shared storage, even to nodes that do not list it", () => {
        assert.deepStrictEqual(haReplication("pve3", nfs, [{ node: "pve1" }, { node: "pve3", storages: [nfs] }]), { replicateTo: [] });
        assert.deepStrictEqual(haReplication("pve1", { ...thin, shared: true }, [{ node: "pve1" }, { node: "pve2" }]), { replicateTo: [] });
    });
    it("refuses local storage that cannot be replicated, ZFS missing on a target, and a guest with nowhere to go", () => {
        assert.match((haReplication("pve1", thin, [{ node: "pve1" }, { node: "pve2" }]) as { problem: string }).problem, /^storage 'local-lvm' \(lvmthin\) on 'pve1' is neither shared nor replicated/);
        assert.match((haReplication("pve1", zfs, [{ node: "pve1", storages: [zfs] }, { node: "pve2", storages: [thin] }]) as { problem: string }).problem, /needs a zfspool storage of that id on 'pve2' too/);
        assert.deepStrictEqual(haReplication("pve1", zfs, [{ node: "pve1", storages: [zfs] }]), { problem: "the guest may run on 'pve1' only: give its HA group another node" });
    });
});

describe("HighAvailability", () => {
    it("refuses an unknown group, a retry count out of range and a replication target outside the cluster, registering nothing", async () => {
        const nodes = ["pve1", "pve2"];
        const cases: [ConstructorParameters<typeof HighAvailability>[1], string][] = [
            [{ nodes, guests: [{ name: "web", kind: "lxc", vmId: 201, group: "web" }] }, "HighAvailability ha: guest 'web': unknown HA group 'web': use one of (none defined)"],
            [{ nodes, guests: [{ name: "web", kind: "lxc", vmId: 201, maxRestart: 11 }] }, "HighAvailability ha: guest 'web': maxRestart must be from 0 to 10, got 11"],
            [{ nodes, guests: [{ name: "web", kind: "lxc", vmId: 201, replicateTo: ["pve9"] }] }, "HighAvailability ha: guest 'web': cannot replicate to 'pve9', not a node of the cluster"],
            [{ nodes, groups: [{ name: "pair", nodes: ["pve1", "pve7"] }], guests: [] }, "HighAvailability ha: group 'pair' needs nodes of the cluster (pve1, pve2), not 'pve7'"],
        ];
        for (const [args, message] of cases) {
            const { error, registered } = await captureRefusal(() => new HighAvailability("ha", args));
            assert.strictEqual(error?.message, message);
            assert.deepStrictEqual(registered, ["pulumi:pulumi:Stack homelab-test"]);
        }
    });
});
