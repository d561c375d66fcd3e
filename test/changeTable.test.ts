import * as assert from "assert";
import { parse, stringify } from "yaml";
import { compare, ChangeResult, scenarios, StackConfig } from "../scripts/changeTable";
import { CapturedResource } from "../scripts/capture";
import { captureStack, homeYaml } from "./helpers/mocks";

/** The plan of the home lab with its config changed by `change`. */
async function planWith(change?: (c: StackConfig) => void): Promise<CapturedResource[]> {
    const doc = parse(homeYaml()) as { config: StackConfig };
    change?.(doc.config);
    return (await captureStack(stringify(doc))).result.resources;
}

// What each change must do, as the provider-truth rows say: [added, removed, replaced] by `type::name`.
const expected: Record<string, { added?: string[]; removed?: string[]; replaced?: string[] }> = {
    "reorder every list (and every list inside)": {},
    // A private app needs no record of its own: the wildcard record covers it.
    "add an app": { added: ["App::whoami", "Container::whoami", "RemoteImage::whoami"] },
    "remove an app": { removed: ["App::heimdall", "Container::heimdall", "RemoteImage::heimdall", "Volume::heimdall-config"] },
    "change an image tag": { replaced: ["RemoteImage::heimdall"] },
    "Docker host cores and memory": {},
    "Docker host data disk grown": {},
    "Docker host root disk grown": {},
    "NAS cores, memory and OS disk": {},
    // Only the downloads (delete first: the cloud image keeps its volume id); the NAS and the Docker
    // host were seeded by the old builds and keep them (imageSeedsOnly).
    "newer template and cloud image builds (re-pinned: new URLs and checksums)": { replaced: ["File::proxmox-proxmox1-debian-12-lxc", "File::proxmox-proxmox1-debian-12-cloud"] },
    "change the Docker host's vmId (its identity)": { replaced: ["ContainerLegacy::docker"] },
};

describe("change table (scripts/changeTable.ts)", function () {
    this.timeout(300_000);
    let base: CapturedResource[];
    const results = new Map<string, ChangeResult>();
    before(async () => {
        base = await planWith();
        for (const s of scenarios) {
            results.set(s.what, compare(base, await planWith(s.change), s.identity));
        }
    });

    for (const s of scenarios) {
        it(`${s.what}: replaces and removes nothing that holds data`, () => {
            assert.deepStrictEqual(results.get(s.what)!.dataLost, []);
        });
    }

    it("a reorder of every list changes no URN and no provider, and replaces nothing", () => {
        const r = results.get("reorder every list (and every list inside)")!;
        assert.deepStrictEqual([r.added, r.removed, r.providerChanged, Object.keys(r.replaced)], [[], [], [], []]);
        // Apps, hosts, mounts, networks, nodes, images and DNS names are keyed by name: none of
        // theirs changes. (Firewall rules are ordered by meaning; the NAS's disks and shares are
        // passed in config order: those inputs change, in place.)
        assert.deepStrictEqual(
            Object.keys(r.changed).filter((k) => !["RulesLegacy::firewall-nas-rules", "RulesLegacy::firewall-docker-rules", "VmLegacy::nas", "Command::nas-storage", "Command::nas-samba", "Command::proxy-config"].includes(k)),
            [],
        );
    });

    for (const [what, want] of Object.entries(expected)) {
        it(`${what}: adds, removes and replaces exactly what it must`, () => {
            const r = results.get(what)!;
            assert.deepStrictEqual(r.added.sort(), (want.added ?? []).sort(), "added");
            assert.deepStrictEqual(r.removed.sort(), (want.removed ?? []).sort(), "removed");
            assert.deepStrictEqual(Object.keys(r.replaced).sort(), (want.replaced ?? []).sort(), "replaced");
        });
    }

    it("grows the Docker host's data volume in place through container-mounts.sh, not the container", () => {
        const r = results.get("Docker host data disk grown")!;
        assert.deepStrictEqual(r.changed["ContainerLegacy::docker"], ["mountPoints[0].size"]);
        assert.ok(r.changed["Command::docker-mounts"]?.includes("create"), JSON.stringify(r.changed));
    });

    it("rotates the admin SSH key pair in place: authorized-keys.sh writes it, nothing is replaced", () => {
        const r = results.get("rotate the admin SSH key pair")!;
        // Only the NAS's user-data snippet, which holds the keys: retainOnDelete, so the new one
        // rewrites the same file (same name, same id) and the old one is never deleted.
        assert.deepStrictEqual(Object.keys(r.replaced), ["FileLegacy::nas-user-data"]);
        // The container's keys are ignored after creation (its row: force-new, never read back).
        assert.deepStrictEqual(r.changed["ContainerLegacy::docker"], ["initialization.userAccount.keys[0]"]);
        assert.deepStrictEqual(r.changed["Command::docker-keys"], ["stdin"]);
    });

    it("mounts a new share without touching the container", () => {
        const r = results.get("add a share and mount it")!;
        assert.strictEqual(r.changed["ContainerLegacy::docker"], undefined);
        assert.ok(r.added.includes("Command::docker-mount-music"), r.added.join());
        assert.ok(r.changed["Command::docker-mounts"]?.includes("create"));
    });
});
