// The property behind "a config that validates never throws later": stack files generated from
// the lab's own (the reference lab and test/labs), mutated at random paths with values of every
// kind (fast-check), each run through the real plan path: validation as the plan CLI does it, then
// the program (index.ts) under the runtime mocks, recording every registration.
//
// Invariant, for every generated file: exit 0 (validates, and the program builds the lab without
// an error) or exit 2 (ConfigError, and the program stops with a RunError having registered
// nothing but the stack). Anything else counts as `other`; a failure after registrations counts
// under `registrations on failure`.
//
//   npm run fuzz                          # 2000 cases, seed 12
//   npm run fuzz -- --runs 500 --seed 7   # another sample
//   npm run fuzz -- --seconds 60          # stop after a time budget
//
// test/fuzz.test.ts runs a fixed seed within about a minute in CI.
import * as fs from "fs";
import * as path from "path";
import * as fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import { parse, stringify } from "yaml";
import { capture } from "./capture";
import { loadProgram, stackFileConfig, stackFileLab } from "./plan";
import { ConfigError } from "../stacks/validate";

const root = path.join(__dirname, "..");

/** The stack files mutations start from: the reference lab and the other labs the project serves. */
export const baseFiles = [path.join(root, "Pulumi.home.yaml"), path.join(root, "test", "labs", "Pulumi.cluster.yaml"), path.join(root, "test", "labs", "Pulumi.vlans.yaml")];

type Step = string | number;

/** One change to a stack file's `config:` (the JSON form), or to its text. */
export type Mutation =
    | { op: "set"; path: Step[]; value: unknown }
    | { op: "delete"; path: Step[] }
    | { op: "rename"; path: Step[]; to: string }
    | { op: "text"; at: number; insert: string; cut: number };

/** A generated case: which base file, and the changes made to it. */
export interface FuzzCase {
    base: number;
    mutations: Mutation[];
}

/** Every path of a JSON value: objects' keys and arrays' indexes, inner nodes included. */
function pathsOf(value: unknown, prefix: Step[] = []): Step[][] {
    const out: Step[][] = [];
    if (Array.isArray(value)) {
        value.forEach((v, i) => out.push([...prefix, i], ...pathsOf(v, [...prefix, i])));
    } else if (value !== null && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) {
            out.push([...prefix, k], ...pathsOf(v, [...prefix, k]));
        }
    }
    return out;
}

/** Every leaf value of a JSON value (for cross-references: a hostname where a share belongs). */
function leavesOf(value: unknown): unknown[] {
    if (Array.isArray(value)) {
        return value.flatMap(leavesOf);
    }
    if (value !== null && typeof value === "object") {
        return Object.values(value).flatMap(leavesOf);
    }
    return [value];
}

/** Values that break things: the edges of what each consumer (Proxmox, Samba, Caddy, Docker, the kernel) takes. */
const edgeStrings = [
    "", " ", "a\n", "x\ty", "\u0000", "ÄÖ", "UPPER", "-lead", "trail-", "a".repeat(33), "a".repeat(64), "x".repeat(300),
    "homes", "Global", "printers", "root", "/", "/srv/data/", "/../x", "relative/path", "/a b",
    "o'brien@thehomelab.site", "admin@localhost", "admin@thehomelab.site",
    "sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIAcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHAAAABHNzaDo= key",
    "ssh-dss AAAAB3NzaC1kc3MAAACBAP1 old", "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIHomeLab wrong",
    "0", "-1", "65536", "1:0", "0:10", "80:70", "8000:8010", "22,80", "80-90",
    "*/5 * * * *", "25:00", "mon..fri 02:00", "sun 03:00", "daily", "02:00", "hourly",
    "10.0.0.0/32", "10.0.0.0/31", "10.0.0.1/24", "192.168.1.0/24", "172.17.0.0/16", "0.0.0.0/0", "192.168.1.255", "::1", "2001:db8::/64",
    "vmbr0", "vmbr1", "lan", "vpn", "guest", "docker", "nas", "proxmox1", "local", "local-lvm", "nas-backups", "my storage",
    "debian-12-lxc", "debian-12-cloud", "image.iso", "http://x.site/t.iso", "https://x.site/a.img",
    "sha256:" + "A".repeat(64), "sha256:" + "a".repeat(64), "md5:abc",
    "mariadb", "postgres", "generic", "nginx:1.27.3", "1BAD", "BAD-NAME", "ok_NAME",
];
const edgeNumbers = [0, -1, 1, 2, 5, 30, 99, 100, 128, 1023, 1024, 4094, 4095, 65535, 65536, 86400, 999_999_999, 1e12, 1.5, 2 ** 31];
const secrets = [{ secure: "" }, { secure: "a\tb" }, { secure: "line\n" }, { secure: "v1:fuzz" }];

/** The values a mutation may set: edges, random JSON, and values found elsewhere in the lab. */
function valueArb(leaves: unknown[], nodes: unknown[]): fc.Arbitrary<unknown> {
    return fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...edgeStrings) },
        { weight: 3, arbitrary: fc.constantFrom(...edgeNumbers) },
        { weight: 3, arbitrary: fc.constantFrom(...leaves) },
        { weight: 1, arbitrary: fc.constantFrom(...nodes) },
        { weight: 1, arbitrary: fc.constantFrom<unknown>(true, false, null, [], {}, ...secrets) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    );
}

/** The cases: a base file and one to three mutations of it, deterministic for a seed. */
export function caseArb(bases: Record<string, unknown>[], texts: string[]): fc.Arbitrary<FuzzCase> {
    return fc.integer({ min: 0, max: bases.length - 1 }).chain((base) => {
        const config = bases[base];
        const paths = pathsOf(config);
        const leaves = [...new Set(leavesOf(config).map((v) => JSON.stringify(v)))].map((v) => JSON.parse(v) as unknown);
        const nodes = paths.map((p) => valueAtPath(config, p)).filter((v) => v !== null && typeof v === "object");
        const pathArb = fc.constantFrom(...paths);
        // Same-named fields elsewhere in the lab (another guest's cores, another share's users):
        // values of the right kind, which often keep the lab valid and recombine its references.
        const byField = new Map<Step, unknown[]>();
        for (const p of paths) {
            const key = p[p.length - 1];
            byField.set(key, [...(byField.get(key) ?? []), valueAtPath(config, p)]);
        }
        const swaps = paths.filter((p) => typeof p[p.length - 1] === "string" && (byField.get(p[p.length - 1])?.length ?? 0) > 1);
        const mutation: fc.Arbitrary<Mutation> = fc.oneof(
            {
                weight: 10,
                arbitrary: fc.constantFrom(...swaps).chain((p) =>
                    fc.record({ op: fc.constant("set" as const), path: fc.constant(p), value: fc.constantFrom(...byField.get(p[p.length - 1])!) }),
                ),
            },
            { weight: 12, arbitrary: fc.record({ op: fc.constant("set" as const), path: pathArb, value: valueArb(leaves, nodes) }) },
            { weight: 3, arbitrary: fc.record({ op: fc.constant("delete" as const), path: pathArb }) },
            {
                weight: 2,
                arbitrary: fc.record({
                    op: fc.constant("rename" as const),
                    path: pathArb.filter((p) => typeof p[p.length - 1] === "string"),
                    to: fc.constantFrom("homlab:apps", "firewall", "backup", "nmae", "hostName", "proxmoxve:endpoint", "<<", "x"),
                }),
            },
            {
                weight: 1,
                arbitrary: fc.record({
                    op: fc.constant("text" as const),
                    at: fc.integer({ min: 0, max: texts[base].length }),
                    insert: fc.constantFrom("\t", '"', "'", ": ", "\n  - ", "{", "&a ", "*a", "<<: *x\n", ""),
                    cut: fc.integer({ min: 0, max: 20 }),
                }),
            },
        );
        return fc.record({ base: fc.constant(base), mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }) });
    });
}

function valueAtPath(value: unknown, p: Step[]): unknown {
    let v = value;
    for (const s of p) {
        v = (v as Record<Step, unknown>)?.[s];
    }
    return v;
}

/** The stack file text of a case. Mutations whose path a previous one removed are skipped. */
export function caseText(c: FuzzCase, bases: Record<string, unknown>[], texts: string[]): string {
    const config = JSON.parse(JSON.stringify(bases[c.base])) as Record<string, unknown>;
    const textual = c.mutations.filter((m): m is Extract<Mutation, { op: "text" }> => m.op === "text");
    for (const m of c.mutations) {
        if (m.op === "text") {
            continue;
        }
        const parent = valueAtPath(config, m.path.slice(0, -1)) as Record<Step, unknown> | unknown[] | undefined;
        const last = m.path[m.path.length - 1];
        if (parent === null || typeof parent !== "object" || !(last in parent)) {
            continue;
        }
        if (m.op === "set") {
            (parent as Record<Step, unknown>)[last] = m.value;
        } else if (m.op === "delete") {
            if (Array.isArray(parent)) {
                parent.splice(last as number, 1);
            } else {
                delete (parent as Record<Step, unknown>)[last];
            }
        } else if (!Array.isArray(parent) && !(m.to in parent)) {
            parent[m.to] = parent[last as string];
            delete parent[last as string];
        }
    }
    if (textual.length === 0) {
        return stringify({ config });
    }
    let text = c.mutations.length === textual.length ? texts[c.base] : stringify({ config });
    for (const m of textual) {
        const at = Math.min(m.at, text.length);
        text = text.slice(0, at) + m.insert + text.slice(Math.min(text.length, at + m.cut));
    }
    return text;
}

/** What a registration-recording run of the program saw. */
export interface ProgramRun {
    error?: unknown;
    /** `type name` of every registration, in order. */
    registered: string[];
    /** Rejections nobody handled while the program ran (the SDK's own, and any crash in an apply). */
    unhandled: unknown[];
}

/**
 * Runs the program under capture() with a stack file's config and records every registration at
 * the mock monitor: when the program rejects, capture() returns nothing, yet whatever it
 * registered before failing is what `pulumi up` would have created.
 */
export async function registrationsOf(text: string, stack: string, program: () => unknown = loadProgram()): Promise<ProgramRun> {
    const { config, secretKeys } = stackFileConfig(text);
    const registered: string[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    const recording = () => {
        const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: { getType(): string; getName(): string }, cb: unknown): void };
        const register = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req, cb) => {
            registered.push(`${req.getType()} ${req.getName()}`);
            register(req, cb);
        };
        return program();
    };
    let error: unknown;
    try {
        await capture(recording, { stack, config, secretKeys }).catch((e) => (error = e));
        await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs().catch(() => undefined);
        await new Promise((r) => setImmediate(r));
    } finally {
        process.off("unhandledRejection", onUnhandled);
    }
    return { error, registered, unhandled };
}

/** The outcome of one case, as the plan CLI would end. */
export interface CaseOutcome {
    exit: 0 | 2 | "other";
    /** Registrations beyond the stack made by a program that then failed. */
    registeredOnFailure: number;
    /** The ConfigError's issue messages (exit 2). */
    messages: string[];
    /** Why the case is `other`. */
    why?: string;
}

/** Runs one stack file through validation and the program, and checks the invariant. */
export async function runCase(text: string, program: () => unknown): Promise<CaseOutcome> {
    let validated = false;
    let messages: string[] = [];
    try {
        stackFileLab(text, "Pulumi.fuzz.yaml");
        validated = true;
    } catch (e) {
        if (!(e instanceof ConfigError)) {
            return { exit: "other", registeredOnFailure: 0, messages, why: `validation threw ${(e as Error).stack ?? e}` };
        }
        messages = e.issues.map((i) => i.message);
        if (e.issues.some((i) => i.path.startsWith("Pulumi.fuzz.yaml"))) {
            // Not a stack file Pulumi could read: `pulumi up` would stop before the program starts.
            return { exit: 2, registeredOnFailure: 0, messages };
        }
    }
    const run = await registrationsOf(text, "fuzz", program);
    const extra = run.registered.filter((r) => !r.startsWith("pulumi:pulumi:Stack "));
    const unhandled = run.unhandled.filter((u) => !(run.error instanceof Error && u instanceof Error && u.message === run.error.message));
    if (validated) {
        if (run.error === undefined && unhandled.length === 0) {
            return { exit: 0, registeredOnFailure: 0, messages };
        }
        const err = run.error ?? unhandled[0];
        return { exit: "other", registeredOnFailure: extra.length, messages, why: `validated, then the program failed after ${extra.length} registrations: ${(err as Error)?.message ?? err}` };
    }
    if (run.error instanceof pulumi.RunError && /^invalid stack config/.test(run.error.message) && extra.length === 0 && unhandled.length === 0) {
        return { exit: 2, registeredOnFailure: 0, messages };
    }
    return {
        exit: "other",
        registeredOnFailure: run.error !== undefined || unhandled.length > 0 ? extra.length : 0,
        messages,
        why: `refused by validation, but the program ${run.error === undefined ? "succeeded" : `failed with ${(run.error as Error).message?.split("\n")[0]}`} after ${extra.length} registrations${unhandled.length ? `, unhandled: ${String(unhandled[0])}` : ""}`,
    };
}

export interface FuzzReport {
    cases: number;
    exit0: number;
    exit2: number;
    other: number;
    registrationsOnFailure: number;
    /** Every issue message seen (for the stock-wording check). */
    messages: Set<string>;
    /** The first failing cases, with their text, for reproduction. */
    failures: { c: FuzzCase; text: string; why: string }[];
}

/** Generates and runs cases for `seed` until `runs` cases or `seconds` have passed. */
export async function fuzz(opts: { seed: number; runs: number; seconds: number; onCase?: (n: number, o: CaseOutcome) => void }): Promise<FuzzReport> {
    const texts = baseFiles.map((f) => fs.readFileSync(f, "utf8"));
    const bases = texts.map((t) => (parse(t) as { config: Record<string, unknown> }).config);
    const program = loadProgram();
    const report: FuzzReport = { cases: 0, exit0: 0, exit2: 0, other: 0, registrationsOnFailure: 0, messages: new Set(), failures: [] };
    const deadline = Date.now() + opts.seconds * 1000;
    const samples = fc.sample(caseArb(bases, texts), { seed: opts.seed, numRuns: opts.runs });
    for (const c of samples) {
        if (Date.now() > deadline) {
            break;
        }
        const text = caseText(c, bases, texts);
        const o = await runCase(text, program);
        report.cases++;
        if (o.exit === 0) report.exit0++;
        else if (o.exit === 2) report.exit2++;
        else report.other++;
        report.registrationsOnFailure += o.registeredOnFailure;
        o.messages.forEach((m) => report.messages.add(m));
        if (o.exit === "other" && report.failures.length < 20) {
            report.failures.push({ c, text, why: o.why ?? "" });
        }
        opts.onCase?.(report.cases, o);
    }
    return report;
}

async function main(): Promise<number> {
    const args = process.argv.slice(2);
    const num = (flag: string, dflt: number) => {
        const i = args.indexOf(flag);
        return i >= 0 ? Number(args[i + 1]) : dflt;
    };
    const seed = num("--seed", 12);
    const runs = num("--runs", 2000);
    const seconds = num("--seconds", 3600);
    Error.stackTraceLimit = 0;
    const started = Date.now();
    const r = await fuzz({
        seed,
        runs,
        seconds,
        onCase: (n) => n % 100 === 0 && process.stderr.write(`fuzz: ${n} cases, ${((Date.now() - started) / 1000).toFixed(0)} s\n`),
    });
    for (const f of r.failures.slice(0, 5)) {
        process.stdout.write(`--- other: ${f.why}\n    mutations: ${JSON.stringify(f.c.mutations)}\n`);
    }
    process.stdout.write(
        `seed ${seed}: cases ${r.cases}, exit-0 ${r.exit0}, exit-2 ${r.exit2}, other ${r.other}, registrations on failure ${r.registrationsOnFailure} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`,
    );
    return r.other === 0 && r.registrationsOnFailure === 0 ? 0 : 1;
}

if (require.main === module) {
    main().then(
        (code) => (process.exitCode = code),
        (e) => {
            process.stderr.write(`fuzz: ${(e as Error).stack ?? e}\n`);
            process.exit(1);
        },
    );
}
