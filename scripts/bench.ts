// The benchmark: how the real program (index.ts) behaves under the runtime mocks as a lab grows.
// Prints figures, never pass/fail: the README quotes them next to their targets.
//
//   npm run bench                 # the full set (a few minutes)
//   npm run bench -- --quick      # 3 runs each, no 1,000-app lab (for trying changes)
//   npm run bench -- --home       # the home lab alone
//
// Figures: registrations and median wall time of the `home` lab and of labs with 10, 100 and 1,000
// extra generic apps; peak RSS; time and registrations per added app; our time over a bare program
// that registers the same provider resources without components; the critical path of the
// dependency graph; the blast radius of changing one app's image; churn between two identical
// runs; the effect of Error.stackTraceLimit; and the start-up of `npm run plan` under tsx and precompiled.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { capture, CapturedResource, CaptureResult, providerUrn } from "./capture";
import { loadProgram, stackFileConfig } from "./plan";
import { compare, scenarios as changeScenarios } from "./changeTable";

/** A stack file's `config` map: `homelab:<key>` to its value, as in Pulumi.<stack>.yaml. */
export type StackConfig = Record<string, unknown>;

/**
 * The `home` config with `n` more apps: generic images with distinct names, subdomains, images and
 * ports, the simplest exposed app there is (one container, one route, one DNS name). Pure.
 */
export function withGeneratedApps(config: StackConfig, n: number): StackConfig {
    const apps = (config["homelab:apps"] as unknown[] | undefined) ?? [];
    const generated = Array.from({ length: n }, (_, i) => ({
        name: `gen${i}`,
        catalog: "generic",
        image: `registry.example.com/bench/app${i}:1.0.${i}`,
        subdomain: `gen${i}`,
        port: 1024 + i,
    }));
    return { ...config, "homelab:apps": [...apps, ...generated] };
}

/** The config map and secret keys Pulumi would hand the program for this stack config. */
function programConfig(config: StackConfig): { config: Record<string, string>; secretKeys: string[] } {
    // Same conversion as `npm run plan`: objects as JSON, `secure:` keys marked secret.
    return stackFileConfig(JSON.stringify({ config }));
}

/** One run of the real program under mocks, timed. */
async function runLab(config: StackConfig): Promise<{ ms: number; result: CaptureResult }> {
    const program = loadProgram();
    const start = process.hrtime.bigint();
    // Stack `bench`: no Pulumi.bench.yaml exists, so secrets are known from their `secure:` form only.
    const result = await capture(program, { stack: "bench", ...programConfig(config) });
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

let peakRss = 0;
let processPeakRss = 0;
const sampleRss = () => {
    const rss = process.memoryUsage().rss;
    peakRss = Math.max(peakRss, rss);
    processPeakRss = Math.max(processPeakRss, rss);
};

async function timed(config: StackConfig, runs: number): Promise<{ ms: number; result: CaptureResult; peakRss: number }> {
    const times: number[] = [];
    let result: CaptureResult | undefined;
    peakRss = 0;
    for (let i = 0; i < runs; i++) {
        const r = await runLab(config);
        sampleRss();
        times.push(r.ms);
        result = r.result;
    }
    return { ms: median(times), result: result!, peakRss };
}

/**
 * The same provider resources (types, names, inputs) registered flat, with no components, parents
 * or dependencies: what registering costs without our code, so that our time over it is the
 * components' own cost.
 */
function bareProgram(resources: CapturedResource[]): () => void {
    // The SDK's classes are abstract in its typings; these add nothing to them.
    class BareResource extends pulumi.CustomResource {}
    class BareProvider extends pulumi.ProviderResource {}
    const custom = resources.filter((r) => r.custom);
    return () => {
        for (const r of custom) {
            const provider = /^pulumi:providers:(.+)$/.exec(r.type);
            if (provider) {
                new BareProvider(provider[1], r.name, r.inputs);
            } else {
                new BareResource(r.type, r.name, r.inputs);
            }
        }
    };
}

async function timeBare(resources: CapturedResource[], config: StackConfig, runs: number): Promise<number> {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
        const start = process.hrtime.bigint();
        await capture(bareProgram(resources), { stack: "bench", ...programConfig(config) });
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
        sampleRss();
    }
    return median(times);
}

/**
 * The longest chain of provider resources that must wait for one another: edges are `dependsOn`
 * (explicit plus input dependencies, as the engine receives them) and each resource's provider
 * (a provider is created before anything that uses it). Components cost no time, so a chain
 * counts only the provider resources on it; parent-to-child is not a wait.
 */
export function criticalPath(resources: CapturedResource[]): CapturedResource[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const memo = new Map<string, CapturedResource[]>();
    const visiting = new Set<string>();
    const longest = (r: CapturedResource): CapturedResource[] => {
        const known = memo.get(r.urn);
        if (known) {
            return known;
        }
        if (visiting.has(r.urn)) {
            throw new Error(`dependency cycle through ${r.urn}`);
        }
        visiting.add(r.urn);
        let best: CapturedResource[] = [];
        const provider = providerUrn(r);
        for (const d of provider ? [...r.dependsOn, provider] : r.dependsOn) {
            const dep = byUrn.get(d);
            if (dep) {
                const chain = longest(dep);
                if (chain.length > best.length) {
                    best = chain;
                }
            }
        }
        visiting.delete(r.urn);
        const chain = r.custom ? [...best, r] : best;
        memo.set(r.urn, chain);
        return chain;
    };
    let best: CapturedResource[] = [];
    for (const r of resources) {
        const chain = longest(r);
        if (chain.length > best.length) {
            best = chain;
        }
    }
    return best;
}

/** URNs added, removed, or whose inputs differ between two captures of the same stack. */
export function diffInputs(a: CapturedResource[], b: CapturedResource[]): { changed: string[]; added: string[]; removed: string[] } {
    const before = new Map(a.map((r) => [r.urn, JSON.stringify(r.inputs)]));
    const after = new Map(b.map((r) => [r.urn, JSON.stringify(r.inputs)]));
    return {
        changed: [...after].filter(([u, v]) => before.has(u) && before.get(u) !== v).map(([u]) => u),
        added: [...after.keys()].filter((u) => !before.has(u)),
        removed: [...before.keys()].filter((u) => !after.has(u)),
    };
}

/** URNs of the resources that wait, directly or through others, on any of `urns` (not in `urns` themselves). */
export function dependents(resources: CapturedResource[], urns: Set<string>): string[] {
    const out = new Set<string>();
    let grew = true;
    while (grew) {
        grew = false;
        for (const r of resources) {
            if (!urns.has(r.urn) && !out.has(r.urn) && r.dependsOn.some((d) => urns.has(d) || out.has(d))) {
                out.add(r.urn);
                grew = true;
            }
        }
    }
    return [...out];
}

/** `type::name` of a URN, the readable part. */
const short = (urn: string) => urn.split("::").slice(-2).join("::").replace(/^.*\$/, "");

function table(rows: (string | number)[][]): string {
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
    return rows.map((r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  ")).join("\n");
}

/** Wall and CPU (user + system) seconds of a command run in the repository, as bash's `time` reports them. */
function timeCommand(cmd: string[], env: Record<string, string> = {}): { wall: number; cpu: number } {
    const r = spawnSync("bash", ["-c", 'TIMEFORMAT="%R %U %S"; { time "$@" >/dev/null 2>&1; } 2>&1', "bash", ...cmd], {
        cwd: path.join(__dirname, ".."),
        env: { ...process.env, ...env },
        encoding: "utf8",
    });
    const [wall, user, sys] = r.stdout.trim().split(/\s+/).map(Number);
    if (r.status !== 0 || [wall, user, sys].some((x) => Number.isNaN(x))) {
        throw new Error(`${cmd.join(" ")} failed (exit ${r.status}): ${r.stdout}${r.stderr}`);
    }
    return { wall, cpu: user + sys };
}

/**
 * `npm run plan` of the home lab as a user runs it, start to exit: under tsx (how it ran before)
 * and precompiled (scripts/precompiled.mjs, what it runs now), alternating, after one warm-up
 * run of each; and the precompiled plan's first run, which builds its cache.
 */
function startup(runs: number): string {
    const root = path.join(__dirname, "..");
    const tsx = [path.join(root, "node_modules", ".bin", "tsx"), "scripts/plan.ts"];
    const precompiled = [process.execPath, "scripts/precompiled.mjs", "plan"];
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-bench-scripts-"));
    try {
        const first = timeCommand(precompiled, { HOMELAB_SCRIPTS_CACHE: cache });
        timeCommand(tsx);
        const times = { tsx: [] as { wall: number; cpu: number }[], precompiled: [] as { wall: number; cpu: number }[] };
        for (let i = 0; i < runs; i++) {
            times.tsx.push(timeCommand(tsx));
            times.precompiled.push(timeCommand(precompiled, { HOMELAB_SCRIPTS_CACHE: cache }));
        }
        const row = (what: string, t: { wall: number; cpu: number }[]) => [what, median(t.map((x) => x.wall)).toFixed(2), median(t.map((x) => x.cpu)).toFixed(2)];
        const rows = [["npm run plan (home), start to exit", "wall s", "CPU s"], row("before: under tsx", times.tsx), row("after: precompiled", times.precompiled), row("precompiled, first run (builds the cache)", [first])];
        return `${table(rows)}\n  median of ${runs} runs each; CPU is user + system of the process and its children\n`;
    } finally {
        fs.rmSync(cache, { recursive: true, force: true });
    }
}

const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;
const f1 = (x: number) => x.toFixed(1);

async function main(): Promise<void> {
    const quick = process.argv.includes("--quick");
    const runs = quick ? 3 : 5;
    const began = Date.now();
    const homeText = fs.readFileSync(path.join(__dirname, "..", "Pulumi.home.yaml"), "utf8");
    const home = (parse(homeText) as { config: StackConfig }).config;
    const homeApps = (home["homelab:apps"] as unknown[]).length;
    // --home: the home lab alone (start-up, critical path, change table), for a quick re-measure.
    const homeOnly = process.argv.includes("--home");
    const sizes = homeOnly ? [0] : quick ? [0, 10, 100] : [0, 10, 100, 1000];
    // The 1,000-app lab takes seconds a run: 3 runs keep the whole bench within a few minutes on
    // a 2-core machine.
    const runsFor = (n: number) => (n >= 1000 ? 3 : runs);
    const label = (n: number) => (n === 0 ? "home" : `home+${n}`);
    // Lab registers its parts with Error.stackTraceLimit at HOMELAB_STACK_TRACE_LIMIT (0 when
    // unset) and leaves the process's own setting alone: the main figures use 0, as the program
    // ships; the last section compares Node's default of 10.
    process.env.HOMELAB_STACK_TRACE_LIMIT = "0";
    const monitor = setInterval(sampleRss, 10);

    process.stdout.write(`homelab bench: Node ${process.version}, median of ${runs} runs (3 for 1,000 apps), under runtime mocks\n\n`);
    process.stdout.write(`${startup(runs)}\n`);
    const rows: (string | number)[][] = [["lab", "apps", "registrations", "median ms", "bare ms", "ours/bare", "peak RSS"]];
    const figures = new Map<number, { ms: number; regs: number; result: CaptureResult }>();
    for (const n of sizes) {
        const config = withGeneratedApps(home, n);
        const t = await timed(config, runsFor(n));
        const bare = await timeBare(t.result.resources, config, runsFor(n));
        figures.set(n, { ms: t.ms, regs: t.result.resources.length, result: t.result });
        rows.push([label(n), homeApps + n, t.result.resources.length, f1(t.ms), f1(bare), `${(t.ms / bare).toFixed(2)}x`, mb(t.peakRss)]);
    }
    process.stdout.write(`${table(rows)}\n\n`);

    // Per added app: the slope from the home lab.
    const base = figures.get(0)!;
    // Only when apps were added (`--home` measures the home lab alone).
    if (sizes.some((x) => x > 0)) {
        const perApp = [["added apps", "registrations/app", "ms/app"]] as (string | number)[][];
        for (const n of sizes.filter((x) => x > 0)) {
            const f = figures.get(n)!;
            perApp.push([n, f1((f.regs - base.regs) / n), ((f.ms - base.ms) / n).toFixed(2)]);
        }
        process.stdout.write(`${table(perApp)}\n`);
        const biggest = figures.get(sizes[sizes.length - 1])!.result.resources;
        const one = biggest.filter((r) => /(^|-)gen0(-|$)/.test(r.name));
        process.stdout.write(`  one generated app (gen0) registers: ${one.map((r) => `${r.type} ${r.name}`).join(", ") || "(nothing named gen0)"}\n\n`);
    }

    // Critical path
    const crit = [["lab", "resources", "provider resources", "critical path"]] as (string | number)[][];
    for (const n of sizes) {
        const res = figures.get(n)!.result.resources;
        crit.push([label(n), res.length, res.filter((r) => r.custom).length, criticalPath(res).length]);
    }
    process.stdout.write(`${table(crit)}\n`);
    process.stdout.write(`  home's critical path: ${criticalPath(base.result.resources).map((r) => `${r.type.split(":").pop()} ${r.name}`).join(" -> ")}\n\n`);

    // Change table: each kind of change a user makes, and what the providers would do with it
    // (replacement from test/providerTruth.ts). Secret inputs are masked in the capture, so a
    // rotated secret shows only through the non-secret inputs it feeds.
    const changeRows = [["change", "added", "removed", "changed", "replaced", "unknown", "data lost"]] as (string | number)[][];
    let dataLost = 0;
    let reorderMoves = 0;
    for (const sc of changeScenarios) {
        const changed = structuredClone(home);
        sc.change(changed);
        const c = compare(base.result.resources, (await runLab(changed)).result.resources, sc.identity);
        dataLost += c.dataLost.length;
        if (sc.what.startsWith("reorder")) {
            reorderMoves += c.added.length + c.removed.length + c.providerChanged.length;
        }
        changeRows.push([sc.what, c.added.length, c.removed.length, Object.keys(c.changed).length, Object.keys(c.replaced).join(" ") || "-", Object.keys(c.unknown).length, c.dataLost.join(" ") || "0"]);
    }
    process.stdout.write(`${table(changeRows)}\n`);
    process.stdout.write(`  ${dataLost} replacements of data holders; ${reorderMoves} provider/URN changes under any reorder\n\n`);

    // Blast radius: change one app's config and count the resources whose inputs change. The mocks
    // give every resource an id derived from its name, so a resource fed by a changed one (the
    // container by its image) shows no input change: the resources that wait on a changed one are
    // listed as "downstream": they change only if they take one of its outputs.
    const scenarios: [string, (app: Record<string, unknown>) => void][] = [
        ["image tag", (app) => (app.image = "lscr.io/linuxserver/heimdall:2.6.4")],
        ["subdomain", (app) => (app.subdomain = "dashboard")],
    ];
    for (const [what, change] of scenarios) {
        const changedConfig = structuredClone(home);
        const app = (changedConfig["homelab:apps"] as Record<string, unknown>[]).find((a) => a.name === "heimdall")!;
        change(app);
        // Its own resources are named after the app, its DNS record after its (new) subdomain.
        const own = (urn: string) => /::(heimdall|dns-heimdall-)/.test(urn) || urn.includes(`::dns-${String(app.subdomain)}-`);
        const after = (await runLab(changedConfig)).result.resources;
        const blast = diffInputs(base.result.resources, after);
        const touched = new Set([...blast.changed, ...blast.added, ...blast.removed]);
        const downstream = dependents(after, touched);
        process.stdout.write(
            `blast radius of heimdall's ${what}: ${touched.size} resources with changed inputs (${blast.changed.length} changed, ${blast.added.length} added, ${blast.removed.length} removed), ${downstream.length} more downstream\n`,
        );
        for (const u of [...touched, ...downstream]) {
            process.stdout.write(`  ${touched.has(u) ? "inputs    " : "downstream"}  ${short(u)}${own(u) ? "" : "   (not heimdall's own)"}\n`);
        }
    }

    // Churn: two identical runs must register the same resources with the same inputs.
    const again = await runLab(home);
    const churn = diffInputs(base.result.resources, again.result.resources);
    const orderSame = base.result.resources.map((r) => r.urn).join() === again.result.resources.map((r) => r.urn).join();
    process.stdout.write(
        `two identical runs: ${churn.changed.length + churn.added.length + churn.removed.length} differences in inputs (registration order ${orderSame ? "identical" : "differs"})\n\n`,
    );

    // Error.stackTraceLimit: the SDK captures a stack trace for every resource it registers. Runs
    // with 10 (Node's default) and 0 (what Lab sets) alternate, so that warm-up and heap growth
    // weigh on both alike.
    const stl = [["lab", "stackTraceLimit=10 ms", "stackTraceLimit=0 ms", "speed-up"]] as (string | number)[][];
    for (const n of homeOnly ? [] : [0, sizes[sizes.length - 1]]) {
        const config = withGeneratedApps(home, n);
        const times: Record<number, number[]> = { 0: [], 10: [] };
        for (let i = 0; i < runsFor(n); i++) {
            for (const limit of [10, 0]) {
                process.env.HOMELAB_STACK_TRACE_LIMIT = String(limit);
                times[limit].push((await runLab(config)).ms);
            }
        }
        const ms10 = median(times[10]);
        const ms0 = median(times[0]);
        stl.push([label(n), f1(ms10), f1(ms0), `${(ms10 / ms0).toFixed(1)}x`]);
    }
    process.env.HOMELAB_STACK_TRACE_LIMIT = "0";
    if (!homeOnly) {
        process.stdout.write(`${table(stl)}\n\n`);
    }
    clearInterval(monitor);
    process.stdout.write(`bench took ${((Date.now() - began) / 1000).toFixed(0)} s; peak RSS of the process ${mb(processPeakRss)}\n`);
}

if (require.main === module) {
    main().catch((e) => {
        process.stderr.write(`bench: ${(e as Error).stack ?? e}\n`);
        process.exit(1);
    });
}
