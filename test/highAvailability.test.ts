// HighAvailability's pure rules (where a guest's disks must be copied) and its refusals.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { haReplication, HighAvailability, replicationJobNumber, replicationJobNumberProblem } from "../components/highAvailability";
import { StorageInfo } from "../components/storage";
import { captureApplyError, captureProgram, captureRefusal, one, ofType, outputOf } from "./helpers/mocks";

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
        assert.deepStrictEqual(haReplication("pve1", zfs, [{ node: "pve1", storages: [zfs] }]), { problem: "the guest may run on 'pve1' only: give its HA group or rule another node" });
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
            [
                { nodes, groups: [{ name: "pair", nodes }], rules: [{ name: "pair9", type: "node-affinity", nodes }], guests: [] },
                "HighAvailability ha: use HA groups (Proxmox VE 8) or HA rules (Proxmox VE 9), not both: Proxmox VE 9 has no groups, 8 no rules",
            ],
            [{ nodes, rules: [{ name: "apart", type: "resource-affinity", affinity: "negative", guests: ["web"] }], guests: [{ name: "web", kind: "lxc", vmId: 201 }] }, "HighAvailability ha: rule 'apart' needs at least two of the highly available guests (web)"],
            [{ nodes, rules: [{ name: "apart", type: "resource-affinity", affinity: "negative", guests: ["web", "db"] }], guests: [{ name: "web", kind: "lxc", vmId: 201, rule: "apart" }] }, "HighAvailability ha: rule 'apart' needs at least two of the highly available guests (web), not 'db'"],
            [{ nodes, rules: [{ name: "apart", type: "resource-affinity", affinity: "negative", guests: ["web", "db"] }], guests: [{ name: "web", kind: "lxc", vmId: 201, rule: "apart" }, { name: "db", kind: "vm", vmId: 202 }] }, "HighAvailability ha: guest 'web': 'apart' is not a node-affinity HA rule: use one of (none defined)"],
            // One rule shape for both types (the multi-language schema has no unions): the other type's fields are refused.
            [{ nodes, rules: [{ name: "prefer", type: "node-affinity", nodes, guests: ["web", "db"] }], guests: [] }, "HighAvailability ha: rule 'prefer': guests is not a field of a node-affinity rule: remove it or change the type"],
            [{ nodes, rules: [{ name: "apart", type: "resource-affinity", strict: true, affinity: "negative", guests: ["web", "db"] }], guests: [] }, "HighAvailability ha: rule 'apart': strict is not a field of a resource-affinity rule: remove it or change the type"],
            [{ nodes, rules: [{ name: "apart", type: "resource-affinity", guests: ["web", "db"] }], guests: [] }, "HighAvailability ha: rule 'apart' needs affinity: positive (together) or negative (apart)"],
            [{ nodes, rules: [{ name: "prefer", type: "node-affinity" }], guests: [] }, "HighAvailability ha: rule 'prefer' needs nodes of the cluster (pve1, pve2)"],
        ];
        for (const [args, message] of cases) {
            const { error, registered } = await captureRefusal(() => new HighAvailability("ha", args));
            assert.strictEqual(error?.message, message);
            assert.deepStrictEqual(registered, ["pulumi:pulumi:Stack homelab-test"]);
        }
    });
});

describe("replication job numbers", () => {
    it("come from the target's name alone: the same in any node order, at most nine digits", () => {
        assert.deepStrictEqual(["pve1", "pve2", "pve3"].map(replicationJobNumber), [566157455, 950747572, 165669510]);
        for (const n of ["a", "pve1", "node-with-a-long-name-0123456789"]) {
            assert.match(String(replicationJobNumber(n)), /^(0|[1-9][0-9]{0,8})$/);
        }
        assert.strictEqual(replicationJobNumberProblem(["pve1", "pve2", "pve3"]), undefined);
    });

    it("a job keeps its id when nodes are added before or reordered", async () => {
        const ids = async (nodes: string[]) => {
            const { resources } = await captureProgram(() => {
                new HighAvailability("ha", { nodes, guests: [{ name: "web", kind: "lxc", vmId: 201, replicateTo: ["pve2"] }] });
            });
            return one(resources, "proxmoxve:index/replication:Replication", "ha-web-to-pve2").inputs.resourceId;
        };
        assert.strictEqual(await ids(["pve1", "pve2"]), "201-950747572");
        assert.strictEqual(await ids(["pve0", "pve2", "pve1"]), "201-950747572");
    });
});

describe("HA rules (Proxmox VE 9)", () => {
    it("makes a node-affinity rule of the guests naming it and a resource-affinity rule of the guests it lists, after their HA resources", async () => {
        const { resources } = await captureProgram(() => {
            new HighAvailability("ha", {
                nodes: ["pve1", "pve2", "pve3"],
                rules: [
                    { name: "prefer", type: "node-affinity", nodes: ["pve2", "pve1"] },
                    { name: "apart", type: "resource-affinity", affinity: "negative", guests: ["web", "db"] },
                    { name: "unused", type: "node-affinity", nodes: ["pve3"] },
                ],
                guests: [
                    { name: "web", kind: "lxc", vmId: 201, rule: "prefer" },
                    { name: "db", kind: "vm", vmId: 300 },
                ],
            });
        });
        const prefer = one(resources, "proxmoxve:index/harule:Harule", "ha-prefer");
        assert.deepStrictEqual(prefer.inputs, { rule: "prefer", type: "node-affinity", resources: ["ct:201"], nodes: { pve2: 2, pve1: 1 }, strict: false, comment: "Managed by Pulumi (homelab)" });
        const apart = one(resources, "proxmoxve:index/harule:Harule", "ha-apart");
        assert.deepStrictEqual(apart.inputs, { rule: "apart", type: "resource-affinity", resources: ["ct:201", "vm:300"], affinity: "negative", comment: "Managed by Pulumi (homelab)" });
        const res = (n: string) => one(resources, "proxmoxve:index/haresource:Haresource", `ha-${n}`).urn;
        assert.deepStrictEqual(apart.dependsOn, [res("db"), res("web")].sort());
        // A rule no guest uses is not made (Proxmox needs at least one resource in it).
        assert.deepStrictEqual(ofType(resources, "proxmoxve:index/harule:Harule").map((r) => r.name).sort(), ["ha-apart", "ha-prefer"]);
        assert.strictEqual(one(resources, "proxmoxve:index/haresource:Haresource", "ha-web").inputs.group, undefined);
    });
});

describe("HighAvailability args from other resources", () => {
    it("takes Outputs for guest ids, states, retries, group and rule nodes and switches, and the schedule; a secret id stays secret", async () => {
        const { resources } = await captureProgram(() => {
            new HighAvailability("ha", {
                nodes: ["pve1", "pve2"],
                groups: [{ name: "pair", nodes: outputOf("pair", ["pve2", "pve1"]), restricted: outputOf("restricted", true), noFailback: outputOf("noFailback", true) }],
                guests: [
                    {
                        name: "web",
                        kind: "lxc",
                        vmId: pulumi.secret(outputOf("vmId", 201)),
                        group: "pair",
                        state: outputOf("state", "stopped" as const),
                        maxRestart: outputOf("maxRestart", 3),
                        maxRelocate: outputOf("maxRelocate", 0),
                        replicateTo: ["pve2"],
                    },
                ],
                replicationSchedule: outputOf("schedule", "*/5"),
            });
        });
        const group = one(resources, "proxmoxve:index/hagroup:Hagroup", "ha-pair");
        assert.deepStrictEqual([group.inputs.nodes, group.inputs.restricted, group.inputs.noFailback], [{ pve2: 2, pve1: 1 }, true, true]);
        const web = one(resources, "proxmoxve:index/haresource:Haresource", "ha-web");
        assert.deepStrictEqual([web.inputs.state, web.inputs.maxRestart, web.inputs.maxRelocate, web.secretPaths], ["stopped", 3, 0, ["resourceId"]]);
        const job = one(resources, "proxmoxve:index/replication:Replication", "ha-web-to-pve2");
        assert.deepStrictEqual([job.inputs.schedule, job.secretPaths], ["*/5", ["resourceId"]]);
        assert.ok(web.dependsOn.includes(one(resources, "random:index/randomId:RandomId", "dependency-maxRestart").urn));
    });

    it("takes a resource-affinity rule's affinity from an Output", async () => {
        const { resources } = await captureProgram(() => {
            new HighAvailability("ha", {
                nodes: ["pve1", "pve2"],
                rules: [{ name: "apart", type: "resource-affinity", affinity: outputOf("affinity", "negative" as const), guests: ["web", "db"] }],
                guests: [
                    { name: "web", kind: "lxc", vmId: 201 },
                    { name: "db", kind: "vm", vmId: 300 },
                ],
            });
        });
        assert.strictEqual(one(resources, "proxmoxve:index/harule:Harule", "ha-apart").inputs.affinity, "negative");
    });

    it("takes a node-affinity rule's nodes and strictness from Outputs, and sorts ids from Outputs", async () => {
        const { resources } = await captureProgram(() => {
            new HighAvailability("ha", {
                nodes: ["pve1", "pve2"],
                rules: [{ name: "prefer", type: "node-affinity", nodes: outputOf("prefer", ["pve2", "pve1"]), strict: outputOf("strict", true) }],
                guests: [
                    { name: "web", kind: "lxc", vmId: outputOf("web", 301), rule: "prefer" },
                    { name: "db", kind: "vm", vmId: outputOf("db", 300), rule: "prefer" },
                ],
            });
        });
        const prefer = one(resources, "proxmoxve:index/harule:Harule", "ha-prefer");
        assert.deepStrictEqual([prefer.inputs.resources, prefer.inputs.nodes, prefer.inputs.strict], [["ct:301", "vm:300"], { pve2: 2, pve1: 1 }, true]);
    });

    // The same bad value, plain and as an Output: the same message, at construction or inside apply.
    const bad: [string, (v: <T>(name: string, x: T) => pulumi.Input<T>) => ConstructorParameters<typeof HighAvailability>[1]][] = [
        ["a retry count out of range", (v) => ({ nodes: ["pve1", "pve2"], guests: [{ name: "web", kind: "lxc", vmId: 201, maxRelocate: v("maxRelocate", 11) }] })],
        ["a group node outside the cluster", (v) => ({ nodes: ["pve1", "pve2"], groups: [{ name: "pair", nodes: v("pair", ["pve1", "pve7"]) }], guests: [] })],
        ["a rule without nodes", (v) => ({ nodes: ["pve1", "pve2"], rules: [{ name: "prefer", type: "node-affinity", nodes: v("prefer", [] as string[]) }], guests: [{ name: "web", kind: "lxc", vmId: 201, rule: "prefer" }] })],
    ];
    for (const [what, args] of bad) {
        it(`refuses ${what} when plain at construction and as an Output inside apply, with one message`, async () => {
            const { error } = await captureRefusal(() => new HighAvailability("ha", args((_, x) => x)));
            assert.match(error?.message ?? "", /^HighAvailability ha: /);
            assert.strictEqual(await captureApplyError(() => new HighAvailability("ha", args((name, x) => outputOf(name, x)))), error!.message);
        });
    }
});
