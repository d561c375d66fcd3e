// scripts/planExits.ts, the measure of issue 12 (`npm run exits`): its inputs cover every source
// it names, and the files that are no stack file at all end as exit 2 with nothing registered.
// The whole measure (about two minutes) is run by hand; its figures are in the README.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { inputs, runFile } from "../scripts/planExits";
import { loadProgram } from "../scripts/plan";

describe("plan exits measure (scripts/planExits.ts)", function () {
    this.timeout(120_000);
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-exits-test-"));
    after(() => fs.rmSync(scratch, { recursive: true, force: true }));

    it("takes every corpus case, every file of the corpus and lab folders, and the odd files", () => {
        const all = inputs(fs.mkdtempSync(path.join(scratch, "a-")));
        const count = (source: string) => all.filter((i) => i.source === source).length;
        const yamls = (dir: string) => fs.readdirSync(path.join(__dirname, dir)).filter((f) => /^(bad|good)-.*\.yaml$/.test(f)).length;
        assert.strictEqual(count("test/invalid cases"), yamls("invalid"));
        assert.strictEqual(count("test/valid cases"), yamls("valid"));
        assert.ok(count("test/labs files") >= 5);
        assert.deepStrictEqual(
            all.filter((i) => i.source === "odd files").map((i) => i.name),
            ["a directory", "a missing file", "not YAML", "binary", "empty", "/dev/null"],
        );
    });

    it("a directory, a missing file, a file that is not YAML, binary, empty or /dev/null: exit 2, nothing registered", async () => {
        const program = loadProgram();
        for (const input of inputs(fs.mkdtempSync(path.join(scratch, "b-"))).filter((i) => i.source === "odd files")) {
            const o = await runFile((input as { file: string }).file, program);
            assert.strictEqual(o.exit, 2, `${input.name}: ${o.why}`);
            assert.strictEqual(o.registeredOnFailure, 0);
            assert.ok(o.messages.length > 0, input.name);
        }
    });
});
