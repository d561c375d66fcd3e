// The patch format of the bad-config corpus (see README.md beside this file): each case is a small
// YAML patch over the reference lab, so that a case shows only what it breaks and stays valid as
// the reference lab grows. Pure functions, no Pulumi.
import { parse, stringify } from "yaml";
import { ConfigIssue } from "../../stacks/validate";

/** One case of the corpus, as read from `bad-<what>.yaml`. */
export interface BadCase {
    /** File name without the folder. */
    file: string;
    /** What the case breaks, in words (the test's title). */
    what: string;
    /** Config paths to set, in file order. */
    set: [string, unknown][];
    /** Config paths to remove, applied after `set`. */
    delete: string[];
    /** The exact issues `validateLab` must report, in order. */
    expect: ConfigIssue[];
    /**
     * The rule is proposed, not yet in stacks/validate.ts: while validateLab accepts the config,
     * the case is reported pending; once the rule lands the case is checked like any other.
     */
    proposed?: string;
}

type Step = string | number;

/**
 * Splits `homelab:nas.disks[1]` (the path syntax of the ConfigError issues) into the stack file's
 * config key and the steps below it: ["homelab:nas", "disks", 1]. A key holding `.`, `[` or `]`
 * is written in quotes: `homelab:apps[0].env."a.b"`.
 */
export function parsePath(path: string): Step[] {
    const m = /^([a-z][\w-]*:[A-Za-z][\w-]*)(.*)$/.exec(path);
    if (!m) {
        throw new Error(`patch path '${path}' must start with a config key such as homelab:nas`);
    }
    const steps: Step[] = [m[1]];
    let rest = m[2];
    while (rest.length > 0) {
        const step = /^\.([^.[\]"]+)|^\."([^"]*)"|^\[(\d+)\]/.exec(rest);
        if (!step) {
            throw new Error(`patch path '${path}': cannot read '${rest}' (use .field, ."quoted.field" or [index])`);
        }
        steps.push(step[3] !== undefined ? Number(step[3]) : (step[1] ?? step[2]));
        rest = rest.slice(step[0].length);
    }
    return steps;
}

/** The container that holds the last step of `steps`, creating missing objects (or arrays) on the way. */
function parentOf(config: Record<string, unknown>, steps: Step[], path: string, create: boolean): Record<string | number, unknown> | undefined {
    let node: Record<string | number, unknown> = config;
    for (let i = 0; i < steps.length - 1; i++) {
        let next = node[steps[i]];
        if (next === undefined || next === null) {
            if (!create) {
                return undefined;
            }
            next = typeof steps[i + 1] === "number" ? [] : {};
            node[steps[i]] = next;
        }
        if (typeof next !== "object") {
            throw new Error(`patch path '${path}': '${steps.slice(0, i + 1).join(".")}' is a ${typeof next}, not an object or list`);
        }
        node = next as Record<string | number, unknown>;
    }
    return node;
}

/**
 * Applies one patch to a stack file's `config` map (mutates it). An index may be one past the end
 * of a list (appends); any other missing step is an error in the case, never silently created, so
 * a case cannot go stale when the reference lab changes and quietly stop breaking anything.
 */
export function applyPatch(config: Record<string, unknown>, c: Pick<BadCase, "set" | "delete">): void {
    for (const [path, value] of c.set) {
        const steps = parsePath(path);
        const parent = parentOf(config, steps, path, steps.length === 1);
        if (parent === undefined) {
            throw new Error(`patch path '${path}': a parent does not exist in the reference lab`);
        }
        const last = steps[steps.length - 1];
        if (typeof last === "number") {
            if (!Array.isArray(parent) || last > parent.length) {
                throw new Error(`patch path '${path}': index ${last} is past the end of the list (length ${Array.isArray(parent) ? parent.length : "not a list"})`);
            }
        } else if (Array.isArray(parent)) {
            throw new Error(`patch path '${path}': '${last}' names a field of a list`);
        }
        parent[last] = value;
    }
    for (const path of c.delete) {
        const steps = parsePath(path);
        const parent = parentOf(config, steps, path, false);
        const last = steps[steps.length - 1];
        if (parent === undefined || !(last in parent)) {
            throw new Error(`patch path '${path}': nothing to delete in the reference lab`);
        }
        if (Array.isArray(parent) && typeof last === "number") {
            parent.splice(last, 1);
        } else {
            delete parent[last];
        }
    }
}

/** Reads and checks one case file: unknown or missing fields are errors, so a typo cannot make a case vacuous. */
export function parseCase(file: string, text: string): BadCase {
    const doc = parse(text) as Record<string, unknown> | null;
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
        throw new Error(`${file}: must be a YAML mapping`);
    }
    const unknown = Object.keys(doc).filter((k) => !["what", "set", "delete", "expect", "proposed"].includes(k));
    if (unknown.length > 0) {
        throw new Error(`${file}: unknown field(s) ${unknown.join(", ")}: use what, set, delete, expect, proposed`);
    }
    if (typeof doc.what !== "string" || doc.what === "") {
        throw new Error(`${file}: needs what: <the one thing it breaks>`);
    }
    const set = doc.set ?? {};
    const del = doc.delete ?? [];
    if (typeof set !== "object" || Array.isArray(set) || !Array.isArray(del) || !del.every((d) => typeof d === "string")) {
        throw new Error(`${file}: set must be a mapping of path to value, delete a list of paths`);
    }
    if (Object.keys(set).length + del.length === 0) {
        throw new Error(`${file}: changes nothing: give set or delete`);
    }
    const expect = doc.expect;
    if (!Array.isArray(expect) || expect.length === 0) {
        throw new Error(`${file}: needs expect: a non-empty list of { path, message }`);
    }
    for (const e of expect) {
        if (e === null || typeof e !== "object" || typeof e.path !== "string" || typeof e.message !== "string" || Object.keys(e).length !== 2) {
            throw new Error(`${file}: each expect entry is exactly { path: string, message: string }`);
        }
    }
    if (doc.proposed !== undefined && typeof doc.proposed !== "string") {
        throw new Error(`${file}: proposed must be text naming the rule for stacks/validate.ts`);
    }
    return {
        file,
        what: doc.what,
        set: Object.entries(set as Record<string, unknown>),
        delete: del as string[],
        expect: expect as ConfigIssue[],
        proposed: doc.proposed as string | undefined,
    };
}

/** The stack file text with the patch applied to its `config`; comments and other top-level fields survive as data. */
export function patchStackFile(stackFileText: string, c: Pick<BadCase, "set" | "delete">): string {
    const doc = parse(stackFileText) as { config: Record<string, unknown> };
    applyPatch(doc.config, c);
    return stringify(doc);
}
