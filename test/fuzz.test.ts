// The property test of issue 12 (scripts/fuzz.ts): stack files generated from the labs' own with
// fast-check, valid and broken, each through validation and the real program under mocks. Every
// one ends as exit 0 with a plan or exit 2 with nothing but the stack registered. Fixed seed and a
// budget of about a minute here; `npm run fuzz` runs more.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { fuzz, FuzzReport, runCase } from "../scripts/fuzz";
import { loadProgram } from "../scripts/plan";
import { stockPhrase } from "../stacks/validate";
import { parseCase } from "./invalid/patch";
import { homeYaml } from "./helpers/mocks";

describe("property: every stack file plans (exit 0) or is refused before any registration (exit 2)", function () {
    this.timeout(180_000);
    let report: FuzzReport;
    let limit: number;

    before(async () => {
        limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        report = await fuzz({ seed: 12, runs: 400, seconds: Number(process.env.HOMELAB_FUZZ_SECONDS ?? 50) });
        Error.stackTraceLimit = limit;
    });

    it("the check counts a program that registers and then fails as a failure with registrations", async () => {
        // A control: the invariant must be able to fail.
        const o = await runCase(homeYaml(), () => {
            new pulumi.ComponentResource("test:index:Early", "early");
            throw new Error("late");
        });
        assert.strictEqual(o.exit, "other");
        assert.strictEqual(o.registeredOnFailure, 1);
        const ok = await runCase(homeYaml(), loadProgram());
        assert.strictEqual(ok.exit, 0, ok.why);
    });

    it("generated files: no outcome but exit 0 or exit 2, no registration on failure", () => {
        const summary = `cases ${report.cases}, exit-0 ${report.exit0}, exit-2 ${report.exit2}, other ${report.other}, registrations on failure ${report.registrationsOnFailure}`;
        console.log(`      ${summary}`);
        assert.deepStrictEqual(
            report.failures.map((f) => `${f.why}\n  mutations: ${JSON.stringify(f.c.mutations)}`),
            [],
            summary,
        );
        assert.strictEqual(report.registrationsOnFailure, 0);
    });

    it("no message, of the generated files or of the bad-config corpus, is in zod's stock wording", () => {
        const corpus = fs
            .readdirSync(path.join(__dirname, "invalid"))
            .filter((f) => f.endsWith(".yaml"))
            .flatMap((f) => parseCase(f, fs.readFileSync(path.join(__dirname, "invalid", f), "utf8")).expect.map((e) => e.message));
        assert.ok(stockPhrase.test("Invalid input: expected boolean, received string") && stockPhrase.test("Too big: expected number to be <=999999999"));
        assert.ok(report.messages.size > 20, `only ${report.messages.size} distinct messages`);
        assert.deepStrictEqual([...report.messages, ...corpus].filter((m) => stockPhrase.test(m)), []);
    });

    it("generated files: both outcomes occur, in a sample of at least 100 cases", () => {
        assert.ok(report.cases >= 100, `only ${report.cases} cases in the budget`);
        assert.ok(report.exit0 >= 5, `only ${report.exit0} valid files`);
        assert.ok(report.exit2 >= 5, `only ${report.exit2} refused files`);
    });
});

