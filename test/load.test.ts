import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { capture, CapturedResource } from "../scripts/capture";
import { loadProgram } from "../scripts/plan";
import * as pulumi from "@pulumi/pulumi";
import { isSecure, loadLabConfig, stackFilePath } from "../stacks/load";
import { captureStack, homeYaml, repoRoot } from "./helpers/mocks";

/**
 * The program as `pulumi up` runs it: Pulumi hands it decrypted values (objects as JSON text) and
 * marks secrecy per top-level key only; stacks/load.ts finds the exact secret fields in the stack
 * file. The offline plan takes the other road (`secure:` nodes as they are), so this checks that
 * both roads mark the same inputs secret, and that no decrypted value reaches an input in clear.
 */

/** The stack file's config as Pulumi would decrypt it: each `secure:` node becomes a distinct clear value. */
function decrypted(text: string): { config: Record<string, string>; secretKeys: string[]; clear: string[] } {
    const doc = parse(text) as { config: Record<string, unknown> };
    const clear: string[] = [];
    const decrypt = (v: unknown): unknown => {
        if (isSecure(v)) {
            clear.push(`clear-secret-${clear.length}-value`);
            return clear[clear.length - 1];
        }
        if (Array.isArray(v)) {
            return v.map(decrypt);
        }
        if (v !== null && typeof v === "object") {
            return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decrypt(x)]));
        }
        return v;
    };
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, value] of Object.entries(doc.config)) {
        const before = clear.length;
        const plain = decrypt(value);
        config[key] = typeof plain === "string" ? plain : JSON.stringify(plain);
        if (clear.length > before) {
            secretKeys.push(key);
        }
    }
    return { config, secretKeys, clear };
}

/** `type name` -> secret input paths, for every resource. */
function secretMap(resources: CapturedResource[]): Record<string, string[]> {
    return Object.fromEntries(resources.map((r) => [`${r.type} ${r.name}`, [...r.secretPaths].sort()]));
}

/** Runs the program of index.ts with `dir` as the working directory (where Pulumi runs it). */
async function runIn(dir: string, stack: string, text: string) {
    const { config, secretKeys, clear } = decrypted(text);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
        return { clear, result: await capture(loadProgram(), { stack, config, secretKeys }) };
    } finally {
        process.chdir(cwd);
    }
}

describe("the program with decrypted config, as pulumi up runs it", function () {
    this.timeout(120_000);

    it("registers the same resources with the same secret inputs as the offline plan, and no clear secret", async () => {
        const { clear, result } = await runIn(repoRoot, "home", homeYaml());
        const plan = (await captureStack()).result;
        assert.ok(clear.length >= 10, `only ${clear.length} secure values in Pulumi.home.yaml`);
        assert.deepStrictEqual(secretMap(result.resources), secretMap(plan.resources));
        const everything = JSON.stringify(result.resources.map((r) => r.inputs));
        for (const value of clear) {
            assert.ok(!everything.includes(value), `a decrypted secret (${value}) reached an input in clear`);
        }
    });

    it("refuses decrypted secrets when the stack file is missing, naming the file it looked for", async () => {
        const { config, secretKeys } = decrypted(homeYaml());
        let error: unknown;
        await capture(() => loadLabConfig(), { stack: "nofile", config, secretKeys }).catch((e) => (error = e));
        assert.ok(error instanceof pulumi.RunError, `expected a RunError, got ${error}`);
        assert.strictEqual(
            error.message,
            `cannot tell which config values are secrets: the stack file ${path.join(repoRoot, "Pulumi.nofile.yaml")} does not exist. Run Pulumi in the project directory (beside Pulumi.yaml), or keep the stack file where Pulumi.yaml's stackConfigDir says`,
        );
    });

    it("finds the stack file beside Pulumi.yaml, from a subfolder too, or in its stackConfigDir", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-stackfile-"));
        try {
            const project = path.join(root, "project");
            fs.mkdirSync(path.join(project, "src"), { recursive: true });
            fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: homelab\nruntime: nodejs\n");
            assert.strictEqual(stackFilePath("home", project), path.join(project, "Pulumi.home.yaml"));
            assert.strictEqual(stackFilePath("home", path.join(project, "src")), path.join(project, "Pulumi.home.yaml"));
            fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: homelab\nruntime: nodejs\nstackConfigDir: stacks\n");
            assert.strictEqual(stackFilePath("home", path.join(project, "src")), path.join(project, "stacks", "Pulumi.home.yaml"));
            // No project file anywhere above: the folder itself.
            const loose = path.join(root, "loose");
            fs.mkdirSync(loose);
            assert.strictEqual(stackFilePath("home", loose), path.join(loose, "Pulumi.home.yaml"));
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("refuses a password that the stack file holds in plain text", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-load-"));
        try {
            const doc = parse(homeYaml()) as { config: Record<string, { users: { password: unknown }[] }> };
            doc.config["homelab:nas"].users[0].password = "hunter2-in-plain-text";
            const text = stringify(doc);
            fs.copyFileSync(path.join(repoRoot, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
            fs.writeFileSync(path.join(dir, "Pulumi.plain.yaml"), text);
            await assert.rejects(runIn(dir, "plain", text), (e: Error) => {
                assert.match(e.message, /homelab:nas\.users\[0\]\.password: .*pulumi config set --secret/);
                assert.ok(!e.message.includes("hunter2-in-plain-text"), "the error prints the password");
                return true;
            });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
