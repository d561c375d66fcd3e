// Lab: the whole lab as one component. A stack made before Lab existed keeps every URN (through
// aliases), and two Labs fit in one program.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { capture, providerUrn } from "../scripts/capture";
import { loadProgram } from "../scripts/plan";
import { Lab } from "../stacks/lab";
import { CapturedResource, captureProgram, homeConfig, homeYaml, one, repoRoot, stackFileConfig } from "./helpers/mocks";
import { engineUrns } from "./helpers/urns";
import { patchStackFile } from "./invalid/patch";

const labType = "homelab:index:Lab";

/**
 * A resource's aliases as the engine computes them. The SDK derives an alias whose parent is given
 * as a URN from that URN; under the mocks a child of the stack (the Lab) has the stack's type in
 * its URN (see helpers/urns.ts), which the engine leaves out.
 */
function engineAliases(r: CapturedResource): string[] {
    return (r.aliases ?? []).map((a) => a.replace("::pulumi:pulumi:Stack$", "::"));
}

describe("Lab", function () {
    this.timeout(60_000);

    describe("the home stack, made before Lab existed", () => {
        // Every URN of the home stack as `buildLab` registered it (main at 45a802c, before Lab):
        // the state of a running lab. Regenerate only together with aliases for what moved.
        const oldUrns = fs.readFileSync(path.join(repoRoot, "test/fixtures/home-urns-before-lab.txt"), "utf8").trim().split("\n").filter((l) => !l.startsWith("#"));
        let resources: CapturedResource[];
        let urns: Map<string, string>;

        before(async () => {
            resources = (await capture(loadProgram(), { stack: "home", ...stackFileConfig(homeYaml()), aliasUrns: true })).resources;
            urns = engineUrns(resources);
        });

        it("has one Lab at the root, parent of every part", () => {
            const lab = one(resources, labType, "homelab");
            assert.strictEqual(resources.find((r) => r.urn === lab.parent)?.type, "pulumi:pulumi:Stack");
            const roots = resources.filter((r) => r.parent === lab.parent && r.type !== labType);
            assert.deepStrictEqual(roots, [], "nothing but the Lab sits at the root");
            const parts = resources.filter((r) => r.parent === lab.urn).map((r) => `${r.type.split(":").pop()} ${r.name}`);
            assert.ok(parts.includes("ProxmoxHost proxmox") && parts.includes("NasVm nas") && parts.includes("CloudflareDns dns"), parts.join(", "));
        });

        it("keeps every old URN: each is the new URN or an alias of exactly one resource, so nothing is replaced", () => {
            assert.ok(oldUrns.length >= 100, `${oldUrns.length} URNs in the fixture`);
            const claims = new Map<string, string[]>();
            for (const r of resources) {
                for (const u of new Set([urns.get(r.urn)!, ...(r.aliases ?? [])])) {
                    claims.set(u, [...(claims.get(u) ?? []), urns.get(r.urn)!]);
                }
            }
            const lost = oldUrns.filter((u) => !claims.has(u));
            assert.deepStrictEqual(lost, [], "old URNs no resource answers to");
            const twice = oldUrns.filter((u) => claims.get(u)!.length > 1);
            assert.deepStrictEqual(twice, [], "old URNs claimed by two resources");
            // The aliases are real: the old URN of a part differs from its new one.
            const proxmox = one(resources, "homelab:index:ProxmoxHost", "proxmox");
            assert.strictEqual(urns.get(proxmox.urn), "urn:pulumi:home::homelab::homelab:index:Lab$homelab:index:ProxmoxHost::proxmox");
            assert.deepStrictEqual(proxmox.aliases, ["urn:pulumi:home::homelab::homelab:index:ProxmoxHost::proxmox"]);
            const samba = one(resources, "command:remote:Command", "nas-samba");
            assert.deepStrictEqual(samba.aliases, ["urn:pulumi:home::homelab::homelab:index:NasVm$command:remote:Command::nas-samba"]);
        });

        it("builds the Cloudflare provider in the Lab, aliased to where CloudflareDns built it, and every Cloudflare resource uses it", () => {
            const providers = resources.filter((r) => r.type === "pulumi:providers:cloudflare");
            assert.deepStrictEqual(providers.map((p) => urns.get(p.urn)), ["urn:pulumi:home::homelab::homelab:index:Lab$pulumi:providers:cloudflare::dns"]);
            assert.deepStrictEqual(providers[0].secretPaths, ["apiToken"]);
            assert.deepStrictEqual(engineAliases(providers[0]).sort(), [
                // homelab 0.1's buildLab (the fixture's), and Lab's before the providers came through opts.
                "urn:pulumi:home::homelab::homelab:index:CloudflareDns$pulumi:providers:cloudflare::dns",
                "urn:pulumi:home::homelab::homelab:index:Lab$homelab:index:CloudflareDns$pulumi:providers:cloudflare::dns",
            ]);
            const users = resources.filter((r) => r.type.startsWith("cloudflare:"));
            assert.ok(users.length >= 3, `${users.length} Cloudflare resources`);
            for (const r of users) {
                assert.strictEqual(providerUrn(r), providers[0].urn, `${r.type} ${r.name}`);
            }
        });
    });

    describe("a stack with a tunnel and Access, made before the providers came through opts", () => {
        // `<urn> <provider urn>` of every resource as main registered them just before (see the file).
        const old = fs
            .readFileSync(path.join(repoRoot, "test/fixtures/tunnel-urns-before-providers.txt"), "utf8")
            .trim()
            .split("\n")
            .filter((l) => !l.startsWith("#"))
            .map((l) => l.split(" ") as [string, string]);
        let resources: CapturedResource[];
        let urns: Map<string, string>;

        before(async () => {
            const c = parse(fs.readFileSync(path.join(repoRoot, "test/valid/good-public-tunnel-access.yaml"), "utf8"));
            const text = patchStackFile(homeYaml(), { set: Object.entries(c.set ?? {}), delete: c.delete ?? [] });
            resources = (await capture(loadProgram(), { stack: "home", ...stackFileConfig(text), aliasUrns: true })).resources;
            urns = engineUrns(resources);
        });

        it("keeps every URN and every resource's provider: the same one, or one aliased to it, so nothing is replaced", () => {
            assert.ok(old.length >= 100, `${old.length} URNs in the fixture`);
            // The engine takes a provider as unchanged when the new one is an alias of the old
            // (pulumi/pulumi pkg/resource/deploy/step_generator.go, stepGenerator.providerChanged).
            const claims = new Map<string, CapturedResource[]>();
            for (const r of resources) {
                for (const u of new Set([urns.get(r.urn)!, ...engineAliases(r)])) {
                    claims.set(u, [...(claims.get(u) ?? []), r]);
                }
            }
            const byUrn = new Map(resources.map((r) => [r.urn, r]));
            const lost: string[] = [];
            const moved: string[] = [];
            for (const [urn, provider] of old) {
                const now = claims.get(urn) ?? [];
                if (now.length !== 1) {
                    lost.push(`${urn} (claimed ${now.length} times)`);
                    continue;
                }
                const p = providerUrn(now[0]);
                const nowProvider = p === undefined ? "-" : urns.get(p)!;
                const answers = p === undefined ? ["-"] : [nowProvider, ...engineAliases(byUrn.get(p)!)];
                if (!answers.includes(provider)) {
                    moved.push(`${urn}: ${provider} -> ${nowProvider}`);
                }
            }
            assert.deepStrictEqual(lost, []);
            assert.deepStrictEqual(moved, []);
            // And the tunnel's provider is its own, aliased to where CloudflareTunnel built it.
            const tunnel = one(resources, "pulumi:providers:cloudflare", "tunnel");
            assert.strictEqual(urns.get(tunnel.urn), "urn:pulumi:home::homelab::homelab:index:Lab$pulumi:providers:cloudflare::tunnel");
            assert.ok(engineAliases(tunnel).includes("urn:pulumi:home::homelab::homelab:index:Lab$homelab:index:CloudflareTunnel$pulumi:providers:cloudflare::tunnel"));
        });
    });

    describe("two Labs in one program", () => {
        let resources: CapturedResource[];
        before(async () => {
            const cfg = homeConfig();
            resources = (
                await capture(
                    () => {
                        new Lab("home", cfg, { adoptRootResources: true });
                        new Lab("office", cfg);
                        new Lab("cabin", cfg);
                    },
                    { stack: "test", config: {}, aliasUrns: true },
                )
            ).resources;
        });

        it("register every part of each, with no URN or alias in common", () => {
            const urns = engineUrns(resources);
            const labs = resources.filter((r) => r.type === labType).map((r) => r.name);
            assert.deepStrictEqual(labs, ["home", "office", "cabin"]);
            const of = (lab: string) => {
                const labUrn = one(resources, labType, lab).urn;
                const inLab = (r: CapturedResource): boolean => r.parent === labUrn || resources.some((p) => p.urn === r.parent && inLab(p));
                return resources.filter(inLab);
            };
            const [home, office, cabin] = ["home", "office", "cabin"].map(of);
            assert.ok(home.length >= 100);
            assert.strictEqual(office.length, home.length);
            assert.strictEqual(cabin.length, home.length);
            // The engine refuses a URN twice and two resources aliased to the same URN: no name, old
            // or new, may be claimed twice (the provider SDKs add type aliases of their own).
            const claims = resources.flatMap((r) => [...new Set([urns.get(r.urn)!, ...(r.aliases ?? [])])]);
            assert.deepStrictEqual(claims.filter((c, i) => claims.indexOf(c) !== i), [], "claimed twice");
            // Only the adopting Lab's parts answer to their old root-parented URNs.
            const rootAliases = (rs: CapturedResource[]) => rs.filter((r) => (r.aliases ?? []).some((a) => !a.includes(`${labType}$`))).length;
            assert.strictEqual(rootAliases(home), home.length);
            assert.strictEqual(rootAliases(office) + rootAliases(cabin), 0);
        });

        it("names the parts of a Lab after it and keeps the names the hosts get", () => {
            const names = (lab: string) => resources.filter((r) => r.parent === one(resources, labType, lab).urn).map((r) => r.name).sort();
            assert.ok(names("office").every((n) => n.startsWith("office-")), names("office").join(", "));
            assert.deepStrictEqual(
                names("office").map((n) => n.slice("office-".length)),
                names("home"),
            );
            const docker = one(resources, "proxmoxve:index/containerLegacy:ContainerLegacy", "office-docker");
            assert.strictEqual((docker.inputs.initialization as { hostname: string }).hostname, "docker");
            assert.strictEqual(one(resources, "docker:index/container:Container", "office-nextcloud").inputs.name, "nextcloud");
        });
    });

    it("leaves Error.stackTraceLimit as it found it", async () => {
        const cfg = homeConfig();
        const limit = Error.stackTraceLimit;
        try {
            Error.stackTraceLimit = 7;
            await captureProgram(() => new Lab("lab", cfg), {});
            assert.strictEqual(Error.stackTraceLimit, 7);
        } finally {
            Error.stackTraceLimit = limit;
        }
    });
});
