// Runs the real plan CLI (scripts/plan.ts, its own main()) once per stack file given on the command
// line, all in this one process, and prints a JSON list of { file, status, stdout, stderr }.
//
//   tsx test/invalid/planLoop.ts --stack bad FILE...
//
// Why: each fresh `tsx scripts/plan.ts` spends about 1.5 s of CPU starting TypeScript and loading
// the Pulumi SDK before it reads the config, so 80 cases on CI's 2 cores took over a minute. Here
// that cost is paid once. plan.ts runs main() only as the main module, so each run loads it afresh
// as the main module with its own argv, and its writes and exit code are collected.
// test/plan.test.ts keeps a fresh-process run of a broken stack file.
import * as path from "path";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Module = require("module") as { _load(request: string, parent: unknown, isMain: boolean): unknown };

interface Run {
    file: string;
    status: number | string | undefined;
    stdout: string;
    stderr: string;
}

const planPath = require.resolve(path.join(__dirname, "..", "..", "scripts", "plan.ts"));

async function runOne(stack: string, file: string): Promise<Run> {
    const out = { stdout: "", stderr: "" };
    const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
    const exit = process.exit;
    const collect = (key: "stdout" | "stderr") =>
        ((chunk: string | Uint8Array) => {
            out[key] += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
            return true;
        }) as typeof process.stdout.write;
    let exited: number | undefined;
    process.stdout.write = collect("stdout");
    process.stderr.write = collect("stderr");
    // plan.ts calls process.exit(1) on an unexpected error: record it instead of ending the loop.
    process.exit = ((code?: number) => {
        exited = code ?? 0;
    }) as typeof process.exit;
    process.exitCode = undefined;
    const argv = process.argv;
    process.argv = [argv[0], planPath, "--stack", stack, "--file", file];
    try {
        delete require.cache[planPath];
        Module._load(planPath, null, true);
        // main() is asynchronous and reports by setting process.exitCode (or calling exit).
        for (let i = 0; i < 2000 && process.exitCode === undefined && exited === undefined; i++) {
            await new Promise((r) => setTimeout(r, i < 50 ? 0 : 5));
        }
    } finally {
        process.argv = argv;
        process.stdout.write = writes.stdout;
        process.stderr.write = writes.stderr;
        process.exit = exit;
    }
    const status = exited ?? process.exitCode ?? "timeout";
    process.exitCode = undefined;
    return { file, status: status as number | string, ...out };
}

async function main(): Promise<void> {
    const [flag, stack, ...files] = process.argv.slice(2);
    if (flag !== "--stack" || !stack || files.length === 0) {
        process.stderr.write("usage: tsx test/invalid/planLoop.ts --stack NAME FILE...\n");
        process.exitCode = 2;
        return;
    }
    const runs: Run[] = [];
    for (const file of files) {
        runs.push(await runOne(stack, file));
    }
    process.stdout.write(`${JSON.stringify(runs)}\n`);
}

main();
