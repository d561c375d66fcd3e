// The multi-language component package: Pulumi's own component analyzer (what `pulumi package add`
// runs on this package, see PulumiPlugin.yaml) must accept every component the plugin entry serves
// and document every arg. Run in-process through the SDK's ComponentProvider, as the plugin host
// (@pulumi/pulumi cmd/run-plugin) does: the components exported by package.json `main`, analyzed
// from the sources in the package's directory. No CLI needed.
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental/provider";
import { stringify } from "yaml";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import { capture } from "../scripts/capture";
import { stackFileLab } from "../scripts/plan";
import { Lab } from "../stacks/lab";
import { LabArgs, labDocumentConfig } from "../stacks/labDocument";
import { isSecure, stackFileConfigMap } from "../stacks/load";
import { homeConfig, homeYaml, repoRoot } from "./helpers/mocks";

// The provider server's own decoding of a construct request's inputs (internal, exported), and
// the protobuf Struct the engine sends them in.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { deserializeInputs } = require("@pulumi/pulumi/provider/server") as { deserializeInputs(inputs: unknown, dependencies: Map<string, unknown>): Promise<Record<string, unknown>> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Struct } = require("google-protobuf/google/protobuf/struct_pb") as { Struct: { fromJavaScript(value: unknown): unknown } };

/**
 * The inputs a component's constructor gets when the engine asks the plugin for it: the engine's
 * wire form (each secret an output value marked secret, or the whole map one secret), decoded by
 * the provider server as in its `construct`.
 */
function engineInputs(config: string, secrets: Record<string, string>, wholeMapSecret = false): Promise<Record<string, unknown>> {
    const sig = rpc.specialSigKey;
    const wire = wholeMapSecret
        ? { [sig]: rpc.specialSecretSig, value: secrets }
        : Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, { [sig]: rpc.specialOutputValueSig, value: v, secret: true }]));
    return deserializeInputs(Struct.fromJavaScript({ config, secrets: wire }), new Map());
}

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
    resources: Record<string, { isComponent?: boolean; description?: string; inputProperties?: Record<string, SchemaProperty>; requiredInputs?: string[]; properties?: Record<string, SchemaProperty> }>;
    types: Record<string, { properties?: Record<string, SchemaProperty>; enum?: { name: string; value: string }[] }>;
}

describe("the multi-language component package", function () {
    this.timeout(240_000);
    let served: string[];
    let schema: Schema;
    let provider: ComponentProvider;

    before(async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const classes = getPulumiComponents(require("../components/plugin"));
        served = classes.map((c) => c.name).sort();
        provider = new ComponentProvider({ name: "homelab", dirname: repoRoot, components: classes });
        schema = JSON.parse(await provider.getSchema()) as Schema;
    });

    it("is what the plugin host loads: PulumiPlugin.yaml names the runtime, package.json main the plugin entry", () => {
        assert.strictEqual(fs.readFileSync(path.join(repoRoot, "PulumiPlugin.yaml"), "utf8"), "runtime: nodejs\n");
        const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { main: string; exports: { ".": { default: string } } };
        // The build compiles components/plugin.ts to this file; `import "homelab"` still resolves through `exports`.
        assert.strictEqual(pkg.main, "dist/components/plugin.js");
        assert.strictEqual(pkg.exports["."].default, "./dist/components/index.js");
    });

    it("serves every component of the library, Lab included", () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const library = getPulumiComponents(require("../components")).map((c) => c.name);
        assert.deepStrictEqual(served, library.sort());
        assert.deepStrictEqual(served, [
            "App", "BackupJob", "CloudflareAccess", "CloudflareDns", "CloudflareTunnel", "DockerHost", "Firewall",
            "HighAvailability", "Lab", "LxcContainer", "NasVm", "ProxmoxHost", "ReverseProxy", "ShareServer",
        ]);
    });

    it("takes the served Lab's args, a config document and its secrets, not the TypeScript Lab's typed config", () => {
        const lab = schema.resources["homelab:index:Lab"];
        assert.deepStrictEqual(Object.keys(lab.inputProperties!).sort(), ["config", "secrets"]);
        assert.deepStrictEqual(lab.requiredInputs, ["config"]);
        // The document decides which resources exist: plain. A secret may come from another resource: not plain.
        assert.strictEqual(lab.inputProperties!.config.plain, true);
        assert.strictEqual(lab.inputProperties!.secrets.additionalProperties?.type, "string");
        assert.strictEqual(lab.inputProperties!.secrets.plain, undefined);
        assert.strictEqual(lab.properties!.routes.items?.$ref, "#/types/homelab:index:LabRoute");
    });

    it("is analyzed from the packed files alone: `pulumi package add` on the installed package reads the sources it ships", async () => {
        // What `npm pack` puts in the tarball (without building: the analyzer reads no dist/ file), in a directory of its own.
        const listed = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--ignore-scripts", "--json"], { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })) as { files: { path: string }[] }[];
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-packed-"));
        try {
            for (const { path: file } of listed[0].files) {
                fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
                fs.copyFileSync(path.join(repoRoot, file), path.join(dir, file));
            }
            // Its dependencies, as a consumer's node_modules holds them.
            fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const packed = new ComponentProvider({ name: "homelab", dirname: dir, components: getPulumiComponents(require("../components/plugin")) });
            assert.deepStrictEqual(JSON.parse(await packed.getSchema()), schema);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
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

    describe("the served Lab, constructed as the plugin host does", () => {
        /**
         * Pulumi.home.yaml as a Lab document: the homelab: keys without the prefix, each `secure:`
         * value a `{ secret: <name> }` and its value (the ciphertext the TypeScript path gets) in secrets.
         */
        const homeDocument = (): { document: Record<string, unknown>; secrets: Record<string, string> } => {
            const secrets: Record<string, string> = {};
            const walk = (v: unknown): unknown => {
                if (isSecure(v)) {
                    const name = v.secure.replace("v1:placeholder-", "");
                    secrets[name] = v.secure;
                    return { secret: name };
                }
                if (Array.isArray(v)) {
                    return v.map(walk);
                }
                return v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)])) : v;
            };
            const map = stackFileConfigMap(homeYaml());
            const document = Object.fromEntries(Object.entries(map).filter(([k]) => k.startsWith("homelab:")).map(([k, v]) => [k.slice("homelab:".length), walk(v)]));
            return { document, secrets };
        };
        const typeNames = (rs: { type: string; name: string }[]) => rs.map((r) => `${r.type} ${r.name}`).sort();

        it("registers the same resources as the TypeScript Lab for the home config, secrets sent as the engine sends them (each an output value marked secret)", async () => {
            const { document, secrets } = homeDocument();
            assert.ok(Object.keys(secrets).length >= 10, Object.keys(secrets).join(", "));
            let state: Record<string, unknown> = {};
            const served = await capture(async () => {
                const inputs = await engineInputs(stringify(document), secrets);
                // Decoded: the document a string, each secret an Output marked secret.
                assert.strictEqual(typeof inputs.config, "string");
                const proxmoxToken = (inputs.secrets as Record<string, pulumi.Output<string>>)["proxmox-api-token"];
                assert.ok(pulumi.Output.isInstance(proxmoxToken) && (await pulumi.isSecret(proxmoxToken)));
                ({ state } = await provider.construct("home", "homelab:index:Lab", inputs as never, {}));
            }, { stack: "test", config: {} });
            const typed = await capture(() => new Lab("home", homeConfig()), { stack: "test", config: {} });
            assert.ok(typed.resources.length >= 100, `${typed.resources.length}`);
            assert.deepStrictEqual(typeNames(served.resources), typeNames(typed.resources));
            // The same parents, by type and name.
            const parents = (rs: typeof typed.resources) => rs.map((r) => `${r.type} ${r.name} <- ${rs.find((p) => p.urn === r.parent)?.name ?? "stack"}`).sort();
            assert.deepStrictEqual(parents(served.resources), parents(typed.resources));
            // Secrets stay secret: the SMB password of the Docker host's mount, from secrets.smb-docker-password.
            const secretInputs = (rs: typeof typed.resources) => rs.map((r) => `${r.type} ${r.name} ${r.secretPaths.sort().join(",")}`).sort();
            assert.deepStrictEqual(secretInputs(served.resources), secretInputs(typed.resources));
            assert.ok(served.resources.filter((r) => r.secretPaths.length > 0).length >= 10);
            // The outputs the schema lists, as the provider returns them to the engine.
            assert.deepStrictEqual(Object.keys(state).sort(), ["guestApiToken", "routes"]);
            assert.ok((state.routes as { url: string }[]).some((r) => r.url === "https://nextcloud.thehomelab.site"), JSON.stringify(state.routes));
        });

        it("takes the secrets as one secret map too (the engine's form when the map is secret as a whole), and JSON", async () => {
            const { document, secrets } = homeDocument();
            const served = await capture(async () => {
                const inputs = await engineInputs(JSON.stringify(document), secrets, true);
                assert.ok(pulumi.Output.isInstance(inputs.secrets) && (await pulumi.isSecret(inputs.secrets as pulumi.Output<unknown>)));
                await provider.construct("home", "homelab:index:Lab", inputs as never, {});
            }, { stack: "test", config: {} });
            const typed = await capture(() => new Lab("home", homeConfig()), { stack: "test", config: {} });
            assert.deepStrictEqual(typeNames(served.resources), typeNames(typed.resources));
        });

        it("refuses a bad document with the stack config's messages before anything is registered", async () => {
            const { document, secrets } = homeDocument();
            const bad = { ...document, domain: "not a domain", nodes: [{ ...(document.nodes as object[])[0], address: "999.1.1.1" }] };
            // The same config as a stack file: what validation says of it there.
            const stackFile = stringify({ config: Object.fromEntries(Object.entries(stackFileConfigMap(homeYaml())).map(([k, v]) => [k, k === "homelab:domain" ? bad.domain : k === "homelab:nodes" ? [{ ...(v as object[])[0], address: "999.1.1.1" }] : v])) });
            const expected = (() => {
                try {
                    stackFileLab(stackFile);
                } catch (e) {
                    return (e as Error).message;
                }
                return "no error";
            })();
            assert.match(expected, /homelab:domain: .*\n.*homelab:nodes\[0\]\.address/s);
            let error: Error | undefined;
            const { resources } = await capture(async () => {
                try {
                    await provider.construct("home", "homelab:index:Lab", (await engineInputs(stringify(bad), secrets)) as never, {});
                } catch (e) {
                    error = e as Error;
                }
            }, { stack: "test", config: {} });
            assert.strictEqual(error?.message, expected);
            assert.deepStrictEqual(typeNames(resources), ["pulumi:pulumi:Stack homelab-test"]);
        });

        it("says how a document names a secret: plain text, ciphertext and unknown names refused with the fix", () => {
            const { document, secrets } = homeDocument();
            const proxmox = document.proxmox as Record<string, unknown>;
            const refused = (args: LabArgs) => {
                try {
                    labDocumentConfig(args);
                } catch (e) {
                    return (e as Error).message.split("\n").slice(1);
                }
                return [];
            };
            assert.deepStrictEqual(refused({ config: stringify({ ...document, proxmox: { ...proxmox, apiToken: "root@pam!x=y" } }), secrets }), [
                "  homelab:proxmox.apiToken: must be a secret: write it as `{ secret: <name> }` with its value in the Lab's secrets",
            ]);
            assert.deepStrictEqual(refused({ config: stringify({ ...document, proxmox: { ...proxmox, apiToken: { secure: "v1:abc" } } }), secrets }), [
                "  homelab:proxmox.apiToken: is ciphertext of a stack file: in a Lab document write the secret as `{ secret: <name> }` with its value in the Lab's secrets",
            ]);
            assert.deepStrictEqual(refused({ config: stringify({ ...document, proxmox: { ...proxmox, apiToken: { secret: "tokne" } } }), secrets: { token: "x" } }).slice(0, 1), [
                "  homelab:proxmox.apiToken: names the secret 'tokne', which the Lab's secrets do not hold: pass it there (they hold token)",
            ]);
            assert.deepStrictEqual(refused({ config: stringify({ ...document, proxmox: { ...proxmox, insecure: { secret: "proxmox-api-token" } } }), secrets }), [
                "  homelab:proxmox.insecure: must be plain text, not a secret: write the value itself, not `{ secret: <name> }`",
            ]);
            const syntax = refused({ config: "domain: [", secrets });
            assert.strictEqual(syntax.length, 1, syntax.join("\n"));
            assert.match(syntax[0], /^ {2}the Lab document:1:\d+: YAML syntax error, .*: line 1 is `domain: \[`$/);
            // The document decides which resources exist: an Output (unknown in a preview) cannot.
            assert.deepStrictEqual(refused({ config: pulumi.output(stringify(document)) as never, secrets }), [
                "  the Lab document (config): must be plain text when the Lab is made: it decides which resources exist. Pass a text, and its secrets in secrets",
            ]);
            assert.deepStrictEqual(refused({ config: "- a list", secrets }), ["  the Lab document: is not a mapping: it holds the keys of a stack file's homelab: namespace without the prefix (domain, proxmox, nodes, ...)"]);
        });

        it("checks a secret that comes from another resource by its field's rule once known: a plain one at once", async () => {
            const { document, secrets } = homeDocument();
            const cfg = labDocumentConfig({ config: stringify(document), secrets: { ...secrets, "smb-docker-password": pulumi.secret(""), "smb-proxmox-password": pulumi.secret(secrets["smb-proxmox-password"]) } });
            // The check fails the Output, as an update fails when a value is refused: every promise
            // of the Output chain rejects, which mocha would count against the test. Recorded here instead.
            const others = process.listeners("unhandledRejection");
            const rejected: string[] = [];
            process.removeAllListeners("unhandledRejection");
            process.on("unhandledRejection", (e) => rejected.push((e as Error).message));
            try {
                const password = cfg.nas!.users.find((u) => u.name === "docker")!.password.output();
                await assert.rejects((password as unknown as { promise(): Promise<string> }).promise(), /homelab:nas\.users\[1\]\.password: the secret is empty: pass another value in the Lab's secrets/);
                await new Promise((resolve) => setTimeout(resolve, 100));
            } finally {
                process.removeAllListeners("unhandledRejection");
                others.forEach((l) => process.on("unhandledRejection", l));
            }
            assert.ok(rejected.every((m) => m.includes("homelab:nas.users[1].password: the secret is empty")), rejected.join("\n"));
            // The other secrets pass their rules, and stay secret.
            const other = cfg.nas!.users[0].password.output();
            assert.strictEqual(await pulumi.isSecret(other), true);
            assert.strictEqual(await (other as unknown as { promise(): Promise<string> }).promise(), secrets["smb-proxmox-password"]);
            // A name the secret map (an Output as a whole) lacks: found once the map is known.
            const { ["smb-docker-password"]: dropped, ...fewer } = secrets;
            const lacking = labDocumentConfig({ config: stringify(document), secrets: pulumi.secret(fewer) });
            assert.strictEqual(dropped, secrets["smb-docker-password"]);
            const rejectedToo: string[] = [];
            process.removeAllListeners("unhandledRejection");
            process.on("unhandledRejection", (e) => rejectedToo.push((e as Error).message));
            try {
                await assert.rejects(
                    (lacking.nas!.users[1].password.output() as unknown as { promise(): Promise<string> }).promise(),
                    /homelab:nas\.users\[1\]\.password: names the secret 'smb-docker-password', which the Lab's secrets do not hold: pass it there/,
                );
                await new Promise((resolve) => setTimeout(resolve, 100));
            } finally {
                process.removeAllListeners("unhandledRejection");
                others.forEach((l) => process.on("unhandledRejection", l));
            }
            // Known when the Lab is made: refused then, with the stack config's message.
            assert.throws(() => labDocumentConfig({ config: stringify(document), secrets: { ...secrets, "smb-docker-password": "" } }), /homelab:nas\.users\[1\]\.password: the secret is empty: pass another value in the Lab's secrets/);
        });
    });
});
