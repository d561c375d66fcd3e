// The published package from a consumer's side. `npm pack` (whose `prepare` is the build) makes
// the tarball; `npm install <tarball>` puts it into a fresh project that has the Pulumi TypeScript
// template's own dependencies, with npm resolving the package's declared dependencies and peer
// ranges itself, offline: the packages come from npm's cache, filled by the checkout's `npm ci`
// (here and in CI), their metadata from package-lock.json (serveLockedPackages says why), so a
// runtime need that sits in devDependencies is missing there. A strict-TS consumer program that
// uses `Lab` and single components, with Outputs in their args and providers through `opts`, is
// compiled by the consumer's tsc under the template's tsconfig, current and older, without
// skipLibCheck, and run under Pulumi's mocks.
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { labConfigFile, labConfigText } from "../scripts/publicTypes";
import { stackFileConfig } from "../scripts/plan";
import { RunResult, runAsync, runOk } from "./helpers/exec";
import { homeYaml, repoRoot } from "./helpers/mocks";

// The template's tsconfig.json (github.com/pulumi/templates, typescript/tsconfig.json): current
// since commit 81e65225 (2026-03-25, "Use moduleResolution: nodenext"); older, before a3029400
// (2024-04-12), es2016 with commonjs and node resolution. Neither sets skipLibCheck, so the
// consumer's compiler checks every .d.ts the package reaches: the package's own and its
// dependencies'. (That older template came without TypeScript, so Pulumi ran its vendored 3.8.3,
// on which today's @types/node already fails, pulumi/pulumi#15264: the settings are tested here
// with this checkout's TypeScript.)
const template = {
    strict: true,
    outDir: "bin",
    target: "es2020",
    module: "nodenext",
    moduleResolution: "nodenext",
    sourceMap: true,
    experimentalDecorators: true,
    pretty: true,
    noFallthroughCasesInSwitch: true,
    noImplicitReturns: true,
    forceConsistentCasingInFileNames: true,
};
const olderTemplate = { ...template, outDir: "bin-older", target: "es2016", module: "commonjs", moduleResolution: "node" };

// The consumer's program: what `pulumi up` would run.
const program = `
import * as pulumi from "@pulumi/pulumi";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import { DockerHost, Lab, LabConfig, loadLabConfig, NetworkConfig, ProxmoxHost } from "homelab";

export function main() {
    const cfg = new pulumi.Config("consumer");
    // The whole lab from the stack's homelab:* config (beside the project's own consumer:* keys
    // and the aws:* of a package the program would read).
    const config: LabConfig = loadLabConfig(process.cwd(), ["aws"]);
    const lan: NetworkConfig = config.networks[0];
    const lab = new Lab("home", config);

    // Single components on a cluster of the consumer's own, through its own provider.
    const endpoint: pulumi.Output<string> = pulumi.output("https://10.0.0.6:8006/");
    const mine = new proxmoxve.Provider("mine", { endpoint, apiToken: cfg.requireSecret("apiToken") });
    const edge = new ProxmoxHost(
        "edge",
        {
            sshPrivateKey: cfg.requireSecret("sshKey"),
            leastPrivilegeToken: false,
            nodes: [{ name: "pve9", address: pulumi.output("10.0.0.6"), bridges: [{ name: "vmbr7", ports: ["enp3s0"] }] }],
        },
        { provider: mine },
    );
    const docker = new DockerHost(
        "edge-docker",
        {
            nodeName: "pve9",
            nodeAddress: pulumi.output("10.0.0.6"),
            vmId: 9101,
            imageId: "local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst",
            // An Output of the other component: the bridge it made.
            bridge: edge.bridges["pve9"]["vmbr7"].name,
            ipv4: pulumi.output("10.0.0.20/24"),
            gateway: lan.gateway === undefined ? undefined : pulumi.output("10.0.0.1"),
            cores: 2,
            memoryMb: 2048,
            sshPublicKeys: pulumi.output(config.ssh.publicKeys),
            sshPrivateKey: cfg.requireSecret("sshKey"),
        },
        { providers: [mine] },
    );
    return { routes: lab.routes, dockerHost: docker.urn };
}
`;

// The consumer's unit test of that program under Pulumi's mocks: prints what was registered.
const harness = `
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import * as homelab from "homelab";
import { main } from "./index";

interface Registered {
    type: string;
    name: string;
    provider?: string;
    inputs: Record<string, unknown>;
}

const registered: Registered[] = [];
pulumi.runtime.setMocks(
    {
        newResource: (args: pulumi.runtime.MockResourceArgs) => {
            registered.push({ type: args.type, name: args.name, provider: args.provider, inputs: args.inputs });
            return { id: args.name + "-id", state: args.inputs };
        },
        call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
    },
    "consumer",
    "dev",
    false,
);
const given = JSON.parse(fs.readFileSync("config.json", "utf8")) as { config: Record<string, string>; secretKeys: string[] };
pulumi.runtime.setAllConfig(given.config, given.secretKeys);

async function run(): Promise<void> {
    await pulumi.runtime.runInPulumiStack(async () => main());
    // Every registration still on its way (those waiting for an Output in their args) lands first.
    await pulumi.runtime.disconnect();
    const components = Object.keys(homelab).filter((k) => {
        const v = (homelab as Record<string, unknown>)[k];
        return typeof v === "function" && v.prototype instanceof pulumi.ComponentResource;
    });
    fs.writeFileSync("registered.json", JSON.stringify({ registered, components: components.sort() }));
}
run();
`;

// Preloaded into the consumer's run: every file read from the installed package (not .js).
const traceReads = `
const fs = require("fs");
const read = fs.readFileSync;
const seen = new Set();
fs.readFileSync = function (file, ...rest) {
    if (typeof file === "string" && file.includes("node_modules/homelab/") && !file.endsWith(".js")) {
        seen.add(file.slice(file.indexOf("node_modules/homelab/")));
    }
    return read.call(this, file, ...rest);
};
process.on("exit", () => fs.writeFileSync("reads.json", JSON.stringify([...seen].sort())));
`;

interface LockEntry {
    name?: string;
    version?: string;
    integrity?: string;
    link?: boolean;
    [field: string]: unknown;
}

/**
 * A registry on 127.0.0.1 serving, for every package in this checkout's package-lock.json, the
 * versions locked there, with each version's metadata as the lock records it (dependencies,
 * optional and peer dependencies, engines, os, cpu, bin) and its integrity. npm resolves the
 * consumer's install against it (ranges, peers, dedupe: its own choices), and takes each tarball
 * from its cache by that integrity: `npm ci` put them there. A tarball request that reaches the
 * server means one was not in the cache: it is answered 404 and recorded, so the install fails.
 * Why not `npm install --offline` against the cache alone: `npm ci` caches the abbreviated
 * packuments (Accept: application/vnd.npm.install-v1+json), while `npm install` asks for full
 * ones (npm 11's arborist, build-ideal-tree.js #fetchManifest, fullMetadata: true), which a fresh
 * cache does not have: ENOTCACHED.
 */
async function serveLockedPackages(): Promise<{ url: string; tarballRequests: string[]; close: () => Promise<void> }> {
    const lock = JSON.parse(fs.readFileSync(path.join(repoRoot, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
    const packuments = new Map<string, { latest?: string; versions: Record<string, Record<string, unknown>> }>();
    const tarballRequests: string[] = [];
    const server = http.createServer((req, res) => {
        const name = decodeURIComponent((req.url ?? "/").slice(1));
        const packument = packuments.get(name);
        res.setHeader("cache-control", "no-store");
        if (req.method !== "GET" || packument === undefined) {
            if (name.includes("/-/")) {
                tarballRequests.push(name);
            }
            res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
            return;
        }
        const latest = packument.latest ?? Object.keys(packument.versions)[0];
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ name, "dist-tags": { latest }, versions: packument.versions }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    for (const [key, entry] of Object.entries(lock.packages)) {
        if (key === "" || entry.link || entry.version === undefined || entry.integrity === undefined) {
            continue;
        }
        const name = entry.name ?? key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
        const packument = packuments.get(name) ?? { versions: {} };
        packuments.set(name, packument);
        const { integrity, dev, devOptional, optional, peer, inBundle, resolved, license, ...fields } = entry;
        const file = `${name.slice(name.lastIndexOf("/") + 1)}-${entry.version}.tgz`;
        packument.versions[entry.version] = { ...fields, name, version: entry.version, dist: { integrity, tarball: `${url}${name}/-/${file}` } };
        if (key === `node_modules/${name}`) {
            packument.latest = entry.version;
        }
    }
    return { url, tarballRequests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("the packed package in a fresh consumer project", function () {
    this.timeout(600_000);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-pack-"));
    const consumer = path.join(work, "consumer");
    const installed = path.join(consumer, "node_modules", "homelab");
    const seconds: Record<string, number> = {};
    const timed = <T>(step: string, f: () => T): T => {
        const start = Date.now();
        try {
            return f();
        } finally {
            seconds[step] = (Date.now() - start) / 1000;
        }
    };

    // The consumer's own tsc, installed as the Pulumi TypeScript template installs it.
    const tsc = path.join(consumer, "node_modules", "typescript", "bin", "tsc");
    let tarballRequests: string[] = [];

    before(async () => {
        // `prepare` (the build) runs as part of `npm pack`.
        timed("npm pack (build)", () => runOk("npm", ["pack", "--pack-destination", work], { cwd: repoRoot, timeoutMs: 400_000 }));
        const tarball = fs.readdirSync(work).find((f) => f.endsWith(".tgz"));
        assert.ok(tarball, `npm pack left no .tgz in ${work}`);
        // The consumer's package.json as the Pulumi TypeScript template writes it, with the
        // provider SDK the program uses itself.
        fs.mkdirSync(consumer);
        const manifest = {
            name: "consumer",
            main: "index.ts",
            dependencies: { "@pulumi/pulumi": "^3.113.0", "@muhlba91/pulumi-proxmoxve": "^8.6.0" },
            devDependencies: { "@types/node": "^20", typescript: "^5.0.0" },
        };
        fs.writeFileSync(path.join(consumer, "package.json"), JSON.stringify(manifest, null, 2));
        const registry = await serveLockedPackages();
        try {
            // --ignore-scripts: the Pulumi provider SDKs' install scripts fetch their plugins with
            // the Pulumi CLI over the network; a run under mocks needs none.
            const start = Date.now();
            const args = ["install", path.join(work, tarball), "--registry", registry.url, "--ignore-scripts", "--no-audit", "--no-fund", "--no-update-notifier"];
            const install = await runAsync("npm", args, { cwd: consumer, timeoutMs: 400_000 });
            seconds["npm install"] = (Date.now() - start) / 1000;
            tarballRequests = registry.tarballRequests;
            const uncached = tarballRequests.length === 0 ? "" : `tarballs not in npm's cache (run \`npm ci\` in the checkout first): ${tarballRequests.join(" ")}\n`;
            assert.strictEqual(install.status, 0, `${uncached}npm ${args.join(" ")} exited ${install.status}\n${install.stdout}\n${install.stderr}`);
            console.log(`      npm install ${tarball}: ${install.stdout.trim()}`);
        } finally {
            await registry.close();
        }
        fs.writeFileSync(path.join(consumer, "Pulumi.yaml"), "name: consumer\nruntime: nodejs\n");
        fs.writeFileSync(path.join(consumer, "Pulumi.dev.yaml"), homeYaml());
        const { config, secretKeys } = stackFileConfig(homeYaml());
        const own = { "consumer:apiToken": "root@pam!edge=00000000-0000-0000-0000-000000000000", "consumer:sshKey": "-----BEGIN OPENSSH PRIVATE KEY-----", "aws:region": "eu-west-1" };
        fs.writeFileSync(path.join(consumer, "config.json"), JSON.stringify({ config: { ...config, ...own }, secretKeys: [...secretKeys, "consumer:apiToken", "consumer:sshKey"] }));
        fs.writeFileSync(path.join(consumer, "index.ts"), program);
        fs.writeFileSync(path.join(consumer, "test.ts"), harness);
        fs.writeFileSync(path.join(consumer, "trace-reads.js"), traceReads);
        for (const [file, compilerOptions] of [["tsconfig.json", template], ["tsconfig.older.json", olderTemplate]] as const) {
            fs.writeFileSync(path.join(consumer, file), JSON.stringify({ compilerOptions, files: ["index.ts", "test.ts"] }, null, 2));
        }
    });

    after(() => {
        console.log(`      seconds: ${Object.entries(seconds).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ")}`);
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("installs with npm from the tarball: each declared dependency resolved from npm's cache, one copy of each Pulumi SDK", async () => {
        assert.deepStrictEqual(tarballRequests, [], "tarballs npm did not find in its cache: run `npm ci` in the checkout first");
        const ls = await runAsync("npm", ["ls", "--all", "--json"], { cwd: consumer });
        const tree = JSON.parse(ls.stdout) as { problems?: string[]; dependencies: Record<string, unknown> };
        assert.deepStrictEqual([ls.status, tree.problems], [0, undefined], ls.stderr);
        // No dependency anywhere in the tree is missing or out of its declared range.
        const faults: string[] = [];
        const walk = (deps: Record<string, { missing?: boolean; invalid?: string; dependencies?: Record<string, any> }>, at: string) => {
            for (const [name, dep] of Object.entries(deps)) {
                if (dep.missing || dep.invalid) {
                    faults.push(`${at}${name}: ${dep.invalid ?? "missing"}`);
                }
                walk(dep.dependencies ?? {}, `${at}${name} > `);
            }
        };
        walk(tree.dependencies as Record<string, any>, "");
        assert.deepStrictEqual(faults, []);
        const written = JSON.parse(fs.readFileSync(path.join(consumer, "package.json"), "utf8")) as { dependencies: Record<string, string> };
        assert.match(written.dependencies.homelab, /^file:\.\.\/homelab-[0-9.]+\.tgz$/);
        // The package's ranges for the SDKs the consumer also uses meet the consumer's: one copy
        // of each, at the top (the consumer's proxmoxve provider is the type the components take).
        const locked = Object.keys((JSON.parse(fs.readFileSync(path.join(consumer, "package-lock.json"), "utf8")) as { packages: object }).packages);
        for (const sdk of ["@pulumi/pulumi", "@muhlba91/pulumi-proxmoxve"]) {
            assert.deepStrictEqual(locked.filter((k) => k.endsWith(`node_modules/${sdk}`)), [`node_modules/${sdk}`]);
        }
        assert.ok(locked.includes("node_modules/ajv") && locked.includes("node_modules/zod"), "the package's own dependencies are installed");
        assert.ok(!fs.lstatSync(installed).isSymbolicLink());
    });

    it("ships the build, the license, the changelog and the schema, and nothing of the sources or tests", () => {
        assert.deepStrictEqual(fs.readdirSync(installed).sort(), ["CHANGELOG.md", "LICENSE", "PulumiPlugin.yaml", "README.md", "components", "dist", "homelab.schema.json", "index.ts", "package.json", "stacks", "tsconfig.json"]);
        const shipped = JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8")) as Record<string, unknown>;
        assert.strictEqual(shipped.private, undefined);
        assert.deepStrictEqual(Object.keys(shipped.dependencies as object).filter((d) => d === "@viz-js/viz" || d === "typescript"), []);
    });

    it("ships every script, template and vendored schema beside the compiled component that reads it", () => {
        const assets = fs
            .readdirSync(path.join(repoRoot, "components"), { recursive: true, encoding: "utf8" })
            .filter((f) => !f.endsWith(".ts") && fs.statSync(path.join(repoRoot, "components", f)).isFile());
        assert.ok(assets.some((a) => a.endsWith("compose-spec.json")) && assets.some((a) => a.endsWith("storage.sh")), assets.join(" "));
        assert.deepStrictEqual(assets.filter((a) => !fs.existsSync(path.join(installed, "dist", "components", a))), []);
    });

    it("declares the stack config as plain interfaces with the fields' docs, as `npm run schema` writes them", () => {
        const labConfig = fs.readFileSync(path.join(installed, "dist", "stacks", "labConfig.d.ts"), "utf8");
        assert.match(labConfig, /export interface NetworkConfig \{/);
        assert.match(labConfig, /\/\*\* Default gateway, inside `cidr`\. Omit for an isolated network\. \*\/\n\s+gateway\?: string;/);
        // Written by `npm run schema` from the zod schema; config.ts also checks at compile time that the types are equal.
        timed("labConfig.ts check", () => assert.strictEqual(fs.readFileSync(labConfigFile, "utf8"), labConfigText(), "stacks/labConfig.ts is not what `npm run schema` writes: run it"));
    });

    describe("the consumer program, compiled by its tsc (strict, without skipLibCheck)", () => {
        // Both at once: each checks every declaration file the program reaches, the providers' too.
        let compiled: Record<string, RunResult & { files: string[] }>;
        before(async () => {
            const start = Date.now();
            const compile = async (config: string) => {
                const r = await runAsync(process.execPath, [tsc, "-p", path.join(consumer, config), "--listFiles"], { cwd: consumer });
                return { ...r, files: r.stdout.split("\n").filter((l) => l.startsWith("/")) };
            };
            const [current, older] = await Promise.all([compile("tsconfig.json"), compile("tsconfig.older.json")]);
            compiled = { current, older };
            seconds["both tsc"] = (Date.now() - start) / 1000;
        });

        it("under the current Pulumi template's tsconfig (nodenext)", () => {
            assert.strictEqual(compiled.current.status, 0, compiled.current.stdout);
            assert.ok(fs.existsSync(path.join(consumer, "bin", "test.js")));
        });

        it("under the older template's tsconfig (es2016, commonjs, node resolution)", () => {
            assert.strictEqual(compiled.older.status, 0, compiled.older.stdout);
            assert.ok(fs.existsSync(path.join(consumer, "bin-older", "test.js")));
        });

        it("reading no zod declaration: the package's public types are plain interfaces", () => {
            for (const { files } of Object.values(compiled)) {
                assert.ok(files.some((f) => f.endsWith("node_modules/homelab/dist/stacks/labConfig.d.ts")), files.filter((f) => f.includes("homelab")).join("\n"));
                assert.deepStrictEqual(files.filter((f) => /\/zod\//.test(fs.realpathSync(f))), []);
            }
        });

        it("runs under mocks: the Lab, and the single components through the caller's provider with Outputs in their args", () => {
            timed("run under mocks", () => runOk(process.execPath, ["-r", "./trace-reads.js", path.join("bin", "test.js")], { cwd: consumer, timeoutMs: 120_000 }));
            const out = JSON.parse(fs.readFileSync(path.join(consumer, "registered.json"), "utf8")) as {
                registered: { type: string; name: string; provider?: string; inputs: Record<string, any> }[];
                components: string[];
            };
            assert.deepStrictEqual(out.components, ["App", "BackupJob", "CloudflareAccess", "CloudflareDns", "CloudflareTunnel", "DockerHost", "Firewall", "HighAvailability", "Lab", "LxcContainer", "NasVm", "ProxmoxHost", "ReverseProxy", "ShareServer"]);
            const named = (type: string, name: string) => {
                const found = out.registered.filter((r) => r.type === type && r.name === name);
                assert.strictEqual(found.length, 1, `${type} ${name}: ${found.length} registered`);
                return found[0];
            };
            // The Lab and its parts, named from the Lab's name (Pulumi.home.yaml's hosts and apps).
            named("homelab:index:Lab", "home");
            named("homelab:index:ProxmoxHost", "home-proxmox");
            named("homelab:index:NasVm", "home-nas");
            named("homelab:index:DockerHost", "home-docker");
            named("homelab:index:App", "home-nextcloud");
            named("homelab:index:ReverseProxy", "home-proxy");
            named("homelab:index:Firewall", "home-firewall");
            // The consumer's own components made no provider: every proxmoxve resource is the caller's.
            assert.deepStrictEqual(out.registered.filter((r) => r.type === "pulumi:providers:proxmoxve" && r.name.startsWith("edge")).map((r) => r.name), []);
            const bridge = named("proxmoxve:network/linux/bridge:Bridge", "edge-pve9-vmbr7");
            const container = named("proxmoxve:index/containerLegacy:ContainerLegacy", "edge-docker");
            for (const r of [bridge, container]) {
                assert.match(r.provider ?? "", /\$pulumi:providers:proxmoxve::mine::/, `${r.type} ${r.name}: ${r.provider}`);
            }
            // Outputs in the args arrive resolved: the bridge the other component made, the address.
            assert.strictEqual(container.inputs.networkInterfaces[0].bridge, "vmbr7");
            assert.strictEqual(container.inputs.initialization.ipConfigs[0].ipv4.address, "10.0.0.20/24");
        // The Docker set-up runs from the node, logged in at the node address that came as an
        // Output, with the key from the consumer's secret config: the connection arrives as a
        // secret (Pulumi's secret signature).
        const connection = named("command:remote:Command", "edge-docker-docker").inputs.connection;
        assert.strictEqual(connection["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270");
        assert.strictEqual(connection.value.host, "10.0.0.6");
            // The scripts and templates the components read came from the installed package.
            const reads = JSON.parse(fs.readFileSync(path.join(consumer, "reads.json"), "utf8")) as string[];
            const read = ["nasVm/storage.sh", "nasVm/samba.sh", "nasVm/user-data.yaml", "dockerHost/install-docker.sh", "dockerHost/mount-shares.sh"];
        for (const asset of [...read, "dockerHost/container-mounts.sh", "proxmoxHost/ups-nut.sh", "reverseProxy/install-caddyfile.sh", "app/compose-spec/compose-spec.json"]) {
                assert.ok(reads.includes(`node_modules/homelab/dist/components/${asset}`), `${asset} not read from the package: ${reads.join(" ")}`);
            }


        });
    });
});
