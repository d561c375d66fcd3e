// Valid variants of the reference lab (test/valid/, format in its README.md): each must validate
// and run through the whole program under mocks, registering what it lists. A check that only a
// component makes, after others have registered resources, fails here before it fails a user.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { capture, CapturedResource } from "../scripts/capture";
import { loadProgram, stackFileConfig, stackFileLab } from "../scripts/plan";
import { patchStackFile } from "./invalid/patch";
import { homeYaml } from "./helpers/mocks";

interface GoodCase {
    what: string;
    set?: Record<string, unknown>;
    delete?: string[];
    has: { resource: string; inputs?: Record<string, unknown> }[];
    hasNot?: string[];
}

const dir = path.join(__dirname, "valid");
const cases = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => ({ file: f, c: parse(fs.readFileSync(path.join(dir, f), "utf8")) as GoodCase }));

/** `expected` holds for `actual` when every key it gives matches, recursively (arrays exactly). */
function subset(actual: unknown, expected: unknown): boolean {
    if (expected !== null && typeof expected === "object" && !Array.isArray(expected)) {
        return (
            actual !== null &&
            typeof actual === "object" &&
            Object.entries(expected).every(([k, v]) => subset((actual as Record<string, unknown>)[k], v))
        );
    }
    if (Array.isArray(expected)) {
        return Array.isArray(actual) && actual.length === expected.length && expected.every((v, i) => subset(actual[i], v));
    }
    return actual === expected;
}

describe("valid variants (test/valid)", function () {
    this.timeout(120_000);

    it("has cases", () => assert.ok(cases.length >= 5, `${cases.length} cases`));

    for (const { file, c } of cases) {
        it(`${file}: ${c.what}`, async () => {
            assert.ok(Array.isArray(c.has) && c.has.length > 0, `${file}: give has: the resources the variant must register`);
            const text = patchStackFile(homeYaml(), { set: Object.entries(c.set ?? {}), delete: c.delete ?? [] });
            assert.notStrictEqual(text, patchStackFile(homeYaml(), { set: [], delete: [] }), `${file} changes nothing`);
            stackFileLab(text);
            const { resources } = await capture(loadProgram(), { stack: "valid", ...stackFileConfig(text) });
            const byName = new Map<string, CapturedResource>(resources.map((r) => [`${r.type} ${r.name}`, r]));
            for (const h of c.has) {
                const r = byName.get(h.resource);
                assert.ok(r, `${h.resource} is not registered`);
                assert.ok(subset(r.inputs, h.inputs ?? {}), `${h.resource} inputs ${JSON.stringify(r.inputs)} do not hold ${JSON.stringify(h.inputs)}`);
            }
            for (const name of c.hasNot ?? []) {
                assert.ok(!byName.has(name), `${name} is registered`);
            }
        });
    }
});
