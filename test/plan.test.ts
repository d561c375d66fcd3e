import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { schemaFile, schemaText } from "../scripts/schema";
import { run } from "./helpers/exec";
import { homeYaml, repoRoot } from "./helpers/mocks";

/** Runs `npm run plan -- ARGS` as a user would (scripts/precompiled.mjs), in the repository. */
function plan(args: string[], env: Record<string, string> = {}) {
    return run(process.execPath, ["scripts/precompiled.mjs", "plan", ...args], { cwd: repoRoot, timeoutMs: 120_000, env: { ...process.env, ...env } });
}

describe("npm run plan, precompiled (scripts/precompiled.mjs)", function () {
    this.timeout(300_000);
    let cache: string;
    before(() => {
        cache = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-scripts-"));
    });
    after(() => fs.rmSync(cache, { recursive: true, force: true }));
    const manifestFile = () => path.join(cache, "plan", "manifest.json");
    const manifest = () => JSON.parse(fs.readFileSync(manifestFile(), "utf8")) as { files: Record<string, string> };

    it("is what package.json's plan script runs", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { scripts: Record<string, string> };
        assert.strictEqual(pkg.scripts.plan, "node scripts/precompiled.mjs plan");
    });

    it("prints exactly what the plan under tsx prints, in text and JSON, and exits as it does", () => {
        for (const args of [[], ["--json"], ["--stack", "nope"]]) {
            const fast = plan(args, { HOMELAB_SCRIPTS_CACHE: cache });
            const tsx = run(path.join(repoRoot, "node_modules/.bin/tsx"), ["scripts/plan.ts", ...args], { cwd: repoRoot, timeoutMs: 120_000 });
            assert.deepStrictEqual([fast.status, fast.stdout, fast.stderr], [tsx.status, tsx.stdout, tsx.stderr], args.join(" "));
        }
    });

    it("builds from every module the plan loads and every file beside the components, each with its SHA-256", () => {
        const files = manifest().files;
        for (const f of ["scripts/plan.ts", "index.ts", "stacks/lab.ts", "components/dockerHost.ts", "scripts/diagram.ts", "components/lxcContainer/authorized-keys.sh", "components/nasVm/user-data.yaml", "tsconfig.json"]) {
            assert.match(files[f] ?? "", /^[0-9a-f]{64}$/, f);
        }
        // Tests and the other scripts are not part of the plan.
        assert.deepStrictEqual(Object.keys(files).filter((f) => f.startsWith("test/") || /^scripts\/(bench|fuzz|schema)/.test(f)), []);
    });

    it("uses the build while its sources are unchanged, and builds again when one changed", () => {
        const marker = path.join(cache, "plan", "marker");
        fs.writeFileSync(marker, "");
        assert.strictEqual(plan(["--json"], { HOMELAB_SCRIPTS_CACHE: cache }).status, 0);
        assert.ok(fs.existsSync(marker), "an up-to-date build was made again");
        // As if stacks/lab.ts had changed since the build.
        const m = manifest();
        m.files["stacks/lab.ts"] = "0".repeat(64);
        fs.writeFileSync(manifestFile(), JSON.stringify(m));
        const again = plan(["--json"], { HOMELAB_SCRIPTS_CACHE: cache });
        assert.strictEqual(again.status, 0, again.stderr);
        assert.ok(!fs.existsSync(marker), "a stale build was used");
        assert.match(manifest().files["stacks/lab.ts"], /^[0-9a-f]{64}$/);
        assert.notStrictEqual(manifest().files["stacks/lab.ts"], "0".repeat(64));
        assert.deepStrictEqual(fs.readdirSync(cache), ["plan"]);
    });
});

describe("npm run plan", function () {
    this.timeout(120_000);

    it("prints the home lab's resources, address plan, DNS names, routes and counts", () => {
        const r = plan([]);
        assert.strictEqual(r.status, 0, r.stderr);
        for (const heading of ["== Resources", "== Address plan", "== DNS names", "== Firewall", "== Proxy routes", "== Counts"]) {
            assert.ok(r.stdout.includes(heading), `missing ${heading}`);
        }
        assert.match(r.stdout, /^  192\.168\.1\.5 +nas {2}\(nas 100 on proxmox1\)$/m);
        assert.match(r.stdout, /[├└]─ homelab:index:ProxmoxHost {2}proxmox$/m);
        // Each protected guest's input policy is stated, with its rules under it.
        assert.match(r.stdout, /^ {2}firewall-docker {2}\(CT 101 on proxmox1\) {2}input policy DROP\n {4}ACCEPT 192\.168\.1\.0\/24 +tcp\/22 /m);
    });

    it("never prints a secret, in text or JSON", () => {
        for (const args of [[], ["--json"]]) {
            const r = plan(args);
            assert.strictEqual(r.status, 0, r.stderr);
            assert.doesNotMatch(r.stdout, /placeholder/);
            assert.doesNotMatch(r.stdout, /v1:/);
        }
    });

    it("--json gives every resource with urn, type, parent, inputs, dependsOn, provider and safety options", () => {
        const r = plan(["--json"]);
        assert.strictEqual(r.status, 0, r.stderr);
        const doc = JSON.parse(r.stdout) as { stack: string; resources: Record<string, unknown>[] };
        assert.strictEqual(doc.stack, "home");
        for (const res of doc.resources) {
            assert.deepStrictEqual(Object.keys(res), ["urn", "type", "name", "parent", "inputs", "dependsOn", "provider", "options"]);
            assert.deepStrictEqual(Object.keys(res.options as object), ["protect", "retainOnDelete", "deleteBeforeReplace", "ignoreChanges"]);
        }
        const provider = doc.resources.find((x) => x.type === "pulumi:providers:proxmoxve" && x.name === "proxmox")!;
        assert.strictEqual((provider.inputs as Record<string, unknown>).apiToken, "[secret]");
        assert.ok(doc.resources.some((x) => x.type === "proxmoxve:download/file:File"));
        const nextcloud = doc.resources.find((x) => x.type === "docker:index/container:Container" && x.name === "nextcloud")!;
        assert.strictEqual(nextcloud.provider, "urn:pulumi:home::homelab::homelab:index:DockerHost$pulumi:providers:docker::docker");
    });

    it("is the same on a second run (no churn)", () => {
        const a = plan(["--json"]);
        const b = plan(["--json"]);
        assert.strictEqual(a.stdout, b.stdout);
    });

    it("exits 2 with the full error list and no stack trace for a broken stack file", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-plan-"));
        const broken = homeYaml()
            .replace("address: 192.168.1.5", "address: 192.168.9.5")
            .replace("- /dev/disk/by-id/ata-Samsung_SSD_870_EVO_1TB_S6PTNM0T100002B", "- /dev/sdc")
            .replace("domain: thehomelab.site", "domain: The Home Lab");
        const file = path.join(dir, "Pulumi.broken.yaml");
        fs.writeFileSync(file, broken);
        const r = plan(["--stack", "broken", "--file", file]);
        assert.strictEqual(r.status, 2, r.stdout + r.stderr);
        assert.strictEqual(r.stdout, "");
        assert.match(r.stderr, /invalid stack config \(3 problems\)/);
        assert.match(r.stderr, /homelab:domain: must be a lower-case DNS zone name/);
        assert.match(r.stderr, /homelab:nas\.disks\[1\]: must be a whole disk by id/);
        assert.match(r.stderr, /homelab:nas\.address: 192\.168\.9\.5 is not a host address inside network 'lan'/);
        assert.doesNotMatch(r.stderr, /^\s+at /m);
    });

    it("exits 2 on an unknown argument or a missing stack file", () => {
        assert.strictEqual(plan(["--frobnicate"]).status, 2);
        const r = plan(["--stack", "nosuchstack"]);
        assert.strictEqual(r.status, 2);
        assert.match(r.stderr, /no stack file .*Pulumi\.nosuchstack\.yaml/);
    });

    it("keeps homelab.schema.json in step with the config schema (run `npm run schema`)", () => {
        assert.strictEqual(fs.readFileSync(schemaFile, "utf8"), schemaText());
    });
});
