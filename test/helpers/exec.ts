import { spawn, SpawnOptions, spawnSync, SpawnSyncOptions } from "child_process";

export interface RunResult {
    status: number;
    stdout: string;
    stderr: string;
}

/**
 * Runs a program to completion (bounded by `timeoutMs`) and returns its exit status and output.
 * Never throws on a non-zero exit: tests assert on the status themselves.
 */
export function run(cmd: string, args: string[], opts: SpawnSyncOptions & { timeoutMs?: number } = {}): RunResult {
    const r = spawnSync(cmd, args, {
        encoding: "utf8",
        timeout: opts.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
        ...opts,
    });
    if (r.error) {
        throw new Error(`${cmd} ${args.join(" ")}: ${r.error.message}`);
    }
    return { status: r.status ?? -1, stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? "") };
}

/** Like `run`, but throws with the program's output when it exits non-zero. */
export function runOk(cmd: string, args: string[], opts: SpawnSyncOptions & { timeoutMs?: number } = {}): RunResult {
    const r = run(cmd, args, opts);
    if (r.status !== 0) {
        throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    }
    return r;
}

/** Like `run`, without blocking: for programs that may run side by side. */
export function runAsync(cmd: string, args: string[], opts: SpawnOptions & { timeoutMs?: number } = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { timeout: opts.timeoutMs ?? 300_000, ...opts, stdio: ["ignore", "pipe", "pipe"] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout!.on("data", (b: Buffer) => out.push(b));
        child.stderr!.on("data", (b: Buffer) => err.push(b));
        child.on("error", (e) => reject(new Error(`${cmd} ${args.join(" ")}: ${e.message}`)));
        child.on("close", (status) => resolve({ status: status ?? -1, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
    });
}

/** True when `cmd` is on the PATH. */
export function have(cmd: string): boolean {
    return spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).status === 0;
}

/** Throws one error naming every missing program, with the fix (tests never skip silently). */
export function requireTools(...tools: string[]): void {
    const missing = tools.filter((t) => !have(t));
    if (missing.length > 0) {
        throw new Error(`missing programs: ${missing.join(", ")} (run scripts/install-test-tools.sh as root)`);
    }
}
