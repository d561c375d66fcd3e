// The multi-language component package: Pulumi's own component analyzer (what `pulumi package add`
// runs on this package, see PulumiPlugin.yaml) must accept every component the plugin entry serves
// and document every arg. Run in-process through the SDK's ComponentProvider, as the plugin host
// (@pulumi/pulumi cmd/run-plugin) does: the components exported by package.json `main`, analyzed
// from the sources in the package's directory. No CLI needed.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental/provider";
import { repoRoot } from "./helpers/mocks";

interface SchemaProperty {
    description?: string;
    $ref?: string;
    type?: string;
    plain?: boolean;
    items?: SchemaProperty;
    additionalProperties?: SchemaProperty;
}
interface Schema {
    name: string;
    resources: Record<string, { isComponent?: boolean; description?: string; inputProperties?: Record<string, SchemaProperty>; requiredInputs?: string[] }>;
    types: Record<string, { properties?: Record<string, SchemaProperty>; enum?: { name: string; value: string }[] }>;
}

describe("the multi-language component package", function () {
    this.timeout(240_000);
    let served: string[];
    let schema: Schema;

    before(async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const classes = getPulumiComponents(require("../components/plugin"));
        served = classes.map((c) => c.name).sort();
        const provider = new ComponentProvider({ name: "homelab", dirname: repoRoot, components: classes });
        schema = JSON.parse(await provider.getSchema()) as Schema;
    });

    it("is what the plugin host loads: PulumiPlugin.yaml names the runtime, package.json main the plugin entry", () => {
        assert.strictEqual(fs.readFileSync(path.join(repoRoot, "PulumiPlugin.yaml"), "utf8"), "runtime: nodejs\n");
        const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { main: string; exports: { ".": { default: string } } };
        // The build compiles components/plugin.ts to this file; `import "homelab"` still resolves through `exports`.
        assert.strictEqual(pkg.main, "dist/components/plugin.js");
        assert.strictEqual(pkg.exports["."].default, "./dist/components/index.js");
    });

    it("serves every component of the library but Lab (TypeScript only: its argument is the YAML-shaped stack config)", () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const library = getPulumiComponents(require("../components")).map((c) => c.name);
        assert.deepStrictEqual(served, library.filter((c) => c !== "Lab").sort());
        assert.ok(served.length >= 9, served.join(", "));
    });

    it("has every served component in the schema, each with a description and inputs", () => {
        const inSchema = Object.keys(schema.resources).filter((k) => schema.resources[k].isComponent).sort();
        assert.deepStrictEqual(inSchema, served.map((c) => `homelab:index:${c}`));
        for (const c of inSchema) {
            assert.ok(schema.resources[c].description, `${c} has no description`);
            assert.ok(Object.keys(schema.resources[c].inputProperties ?? {}).length > 0, `${c} has no inputs`);
        }
    });

    it("documents every arg of every component and every field of the arg types", () => {
        const missing: string[] = [];
        for (const [token, r] of Object.entries(schema.resources)) {
            missing.push(...Object.entries(r.inputProperties ?? {}).filter(([, p]) => !p.description).map(([k]) => `${token}.${k}`));
        }
        for (const [token, t] of Object.entries(schema.types)) {
            missing.push(...Object.entries(t.properties ?? {}).filter(([, p]) => !p.description).map(([k]) => `${token}.${k}`));
        }
        assert.deepStrictEqual(missing, []);
    });

    it("types the reshaped args as the analyzer should: enums for choices, blocks for groups, Inputs for values", () => {
        const dns = schema.resources["homelab:index:CloudflareDns"].inputProperties!;
        assert.strictEqual(dns.proxy.$ref, "#/types/homelab:index:DnsProxyArgs");
        const exposure = schema.types["homelab:index:ProxyExposure"].enum!.map((e) => e.value);
        assert.deepStrictEqual(exposure, ["private", "tunnel", "port-forward"]);
        const app = schema.resources["homelab:index:App"].inputProperties!;
        // An Input is not plain: another language may pass an output of another resource.
        assert.strictEqual(app.image.plain, undefined);
        assert.strictEqual(app.env.additionalProperties?.plain, undefined);
        assert.strictEqual(app.containerName.plain, true);
        assert.strictEqual(schema.types["homelab:index:AppContainer"].properties!.hostNetwork.type, "boolean");
    });
});
