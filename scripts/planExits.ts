// The measure of issue 12's "done when": `npm run plan --file X` ends with 0 or 2 on any file, and
// registers nothing on 2. Runs the plan's own code path in this one process (readStackFile, then
// validation, then the program under the runtime mocks with every registration recorded: fuzz.ts's
// runCase) over:
//
//   - every case of test/invalid (patched over the reference lab) and of test/valid, every stack file
//     of test/labs, and the reference lab;
//   - every file of test/invalid, test/valid and test/labs as it is on disk (case files, READMEs,
//     TypeScript, a Compose file: none is a stack file);
//   - a directory, a missing file, a file that is not YAML, an empty file, /dev/null;
//   - fast-check's generated stack files (fuzz.ts, seed 12);
//
// and, for the odd files, the real CLI (`node scripts/precompiled.mjs plan --file X`, what `npm run
// plan` runs) in a process of its own, whose exit must be the in-process one. Prints, per source and in
// all: cases, exit-0, exit-2, other, registrations on failure. Exits 1 unless other and
// registrations on failure are both 0.
//
//   npm run exits                      # 200 generated files
//   npm run exits -- --fuzz 1000       # more
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CaseOutcome, fuzz, runCase } from "./fuzz";
import { loadProgram, readStackFile } from "./plan";
import { ConfigError } from "../stacks/validate";
import { parse } from "yaml";
import { patchStackFile } from "../test/invalid/patch";

const root = path.join(__dirname, "..");

/** One input: a file given to --file, or a stack file's text. */
type Input = { source: string; name: string } & ({ file: string } | { text: string });

/** The outcome of `npm run plan --file <file>`, in process: an unreadable file ends as readStackFile says. */
export async function runFile(file: string, program: () => unknown): Promise<CaseOutcome> {
    let text: string;
    try {
        text = readStackFile(file);
    } catch (e) {
        return e instanceof ConfigError ? { exit: 2, registeredOnFailure: 0, messages: e.issues.map((i) => i.message) } : { exit: "other", registeredOnFailure: 0, messages: [], why: String(e) };
    }
    return runCase(text, program);
}

/** Every file under `dir`, recursively, sorted. */
function filesUnder(dir: string): string[] {
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]))
        .sort();
}

/** The inputs of every source but the generated files. */
export function inputs(scratch: string): Input[] {
    const home = fs.readFileSync(path.join(root, "Pulumi.home.yaml"), "utf8");
    const rel = (f: string) => path.relative(root, f);
    const corpus = (dir: string) => filesUnder(path.join(root, "test", dir)).filter((f) => /^(bad|good)-.*\.yaml$/.test(path.basename(f)));
    // A case of either corpus is a set/delete patch over the reference lab (test/invalid/README.md).
    const patch = (f: string) => {
        const doc = parse(fs.readFileSync(f, "utf8")) as { set?: Record<string, unknown>; delete?: string[] };
        return patchStackFile(home, { set: Object.entries(doc.set ?? {}), delete: doc.delete ?? [] });
    };
    const odd: [string, string | undefined][] = [
        ["a directory", undefined],
        ["a missing file", undefined],
        ["not YAML", "config:\n  homelab:domain: [unclosed\n\t- tab: {\n"],
        ["binary", "\u0000\u0001\u00ff\u00fe PK\u0003\u0004"],
        ["empty", ""],
    ];
    const oddFiles = odd.map(([name, content]) => {
        const file = path.join(scratch, `Pulumi.${name.replace(/\W+/g, "-")}.yaml`);
        if (name === "a directory") {
            fs.mkdirSync(file);
        } else if (content !== undefined) {
            fs.writeFileSync(file, content, "latin1");
        }
        return { source: "odd files", name, file };
    });
    return [
        { source: "reference lab", name: "Pulumi.home.yaml", file: path.join(root, "Pulumi.home.yaml") },
        ...corpus("invalid").map((f) => ({ source: "test/invalid cases", name: rel(f), text: patch(f) })),
        ...corpus("valid").map((f) => ({ source: "test/valid cases", name: rel(f), text: patch(f) })),
        ...filesUnder(path.join(root, "test", "labs")).map((f) => ({ source: "test/labs files", name: rel(f), file: f })),
        ...["invalid", "valid"].flatMap((d) => filesUnder(path.join(root, "test", d)).map((f) => ({ source: `test/${d} files as they are`, name: rel(f), file: f }))),
        ...oddFiles,
        { source: "odd files", name: "/dev/null", file: "/dev/null" },
    ];
}

interface Tally {
    cases: number;
    exit0: number;
    exit2: number;
    other: number;
    registrationsOnFailure: number;
}

const line = (what: string, t: Tally) =>
    `${what.padEnd(34)} cases ${String(t.cases).padStart(4)}, exit-0 ${String(t.exit0).padStart(4)}, exit-2 ${String(t.exit2).padStart(4)}, other ${t.other}, registrations on failure ${t.registrationsOnFailure}`;

async function main(): Promise<number> {
    const args = process.argv.slice(2);
    const i = args.indexOf("--fuzz");
    const runs = i >= 0 ? Number(args[i + 1]) : 200;
    Error.stackTraceLimit = 0;
    const started = Date.now();
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-exits-"));
    const tallies = new Map<string, Tally>();
    const add = (source: string, o: { exit: 0 | 2 | "other"; registeredOnFailure: number }) => {
        const t = tallies.get(source) ?? { cases: 0, exit0: 0, exit2: 0, other: 0, registrationsOnFailure: 0 };
        t.cases++;
        if (o.exit === 0) t.exit0++;
        else if (o.exit === 2) t.exit2++;
        else t.other++;
        t.registrationsOnFailure += o.registeredOnFailure;
        tallies.set(source, t);
    };
    const program = loadProgram();
    const failures: string[] = [];
    try {
        const all = inputs(scratch);
        for (const input of all) {
            const o = "file" in input ? await runFile(input.file, program) : await runCase(input.text, program);
            add(input.source, o);
            if (o.exit === "other" || o.registeredOnFailure > 0) {
                failures.push(`${input.name}: ${o.why ?? `${o.registeredOnFailure} registrations on failure`}`);
            }
            // The odd files also through the real CLI, in a process of its own: the same exit.
            if (input.source === "odd files" && "file" in input) {
                const r = spawnSync(process.execPath, [path.join(root, "scripts", "precompiled.mjs"), "plan", "--file", input.file], { cwd: root, encoding: "utf8", timeout: 120_000 });
                const exit = r.status === 0 || r.status === 2 ? r.status : "other";
                add("odd files, real CLI", { exit, registeredOnFailure: 0 });
                if (exit !== o.exit) {
                    failures.push(`${input.name}: the CLI exits ${r.status} (${r.stderr.trim().split("\n")[0]}), in process ${o.exit}`);
                }
            }
        }
        const generated = await fuzz({ seed: 12, runs, seconds: 3600 });
        tallies.set(`generated (fast-check, seed 12)`, generated);
        failures.push(...generated.failures.map((f) => `generated: ${f.why}`));
    } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
    }
    const total: Tally = { cases: 0, exit0: 0, exit2: 0, other: 0, registrationsOnFailure: 0 };
    for (const [source, t] of tallies) {
        process.stdout.write(`${line(source, t)}\n`);
        for (const k of Object.keys(total) as (keyof Tally)[]) {
            total[k] += t[k];
        }
    }
    process.stdout.write(`${line("all", total)}  (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
    for (const f of failures.slice(0, 20)) {
        process.stdout.write(`  ! ${f}\n`);
    }
    return total.other === 0 && total.registrationsOnFailure === 0 ? 0 : 1;
}

if (require.main === module) {
    main().then(
        (code) => (process.exitCode = code),
        (e) => {
            process.stderr.write(`exits: ${(e as Error).stack ?? e}\n`);
            process.exit(1);
        },
    );
}
