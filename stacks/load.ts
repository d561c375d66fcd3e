// Reads the `homelab:*` stack config the way `pulumi up` hands it to the program, and marks which
// values were stored as secrets, so that validation can refuse a password given in plain text.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { closest, distance } from "fastest-levenshtein";
import { parse, parseDocument } from "yaml";
import { configKeys } from "./config";
import { LabConfig } from "./labConfig";
import { SecretValue } from "./secretValue";
import { ConfigError, ConfigIssue, validateLab } from "./validate";

export const namespace = "homelab";

/**
 * The config namespaces a stack file may use: the program's own, those of the providers it uses
 * (each reads `<package>:*`, e.g. `proxmoxve:endpoint`) and Pulumi's own (`pulumi:tags`).
 * A key in any other namespace is read by nobody: a typo such as `homlab:apps`.
 */
export const knownNamespaces = [namespace, "proxmoxve", "cloudflare", "docker", "command", "random", "pulumi"];

/** The candidate nearest to `word`, when it is near enough to be what was meant. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
    if (candidates.length === 0) {
        return undefined;
    }
    const best = closest(word, candidates as string[]);
    return distance(word, best) <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/**
 * Issues for config keys (`ns:key`) that nobody reads: no namespace, or one not in `known` (the
 * namespaces the program uses).
 */
export function namespaceIssues(keys: readonly string[], known: readonly string[] = knownNamespaces): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    for (const key of keys) {
        const colon = key.indexOf(":");
        if (colon < 0) {
            const near = didYouMean(key, configKeys);
            issues.push({
                path: key,
                message: `a config key needs a namespace: did you mean ${near !== undefined ? `${namespace}:${near}` : `${namespace}:${key}`}? (the keys are ${configKeys.map((k) => `${namespace}:${k}`).join(", ")})`,
            });
            continue;
        }
        const ns = key.slice(0, colon);
        if (!known.includes(ns)) {
            const near = didYouMean(ns, known);
            issues.push({
                path: key,
                message: `unknown namespace '${ns}': ${near !== undefined ? `did you mean ${near}:${key.slice(colon + 1)}? ` : ""}nothing reads it; the namespaces are ${known.join(", ")}`,
            });
        }
    }
    return issues;
}

/**
 * validateLab, with the issues of the config's keys themselves (namespaceIssues) listed first:
 * every problem is reported at once.
 */
export function validateStack(raw: Record<string, unknown>, keys: readonly string[], known: readonly string[] = knownNamespaces): LabConfig {
    const keyIssues = namespaceIssues(keys, known);
    let cfg: LabConfig;
    try {
        cfg = validateLab(raw);
    } catch (e) {
        if (e instanceof ConfigError && keyIssues.length > 0) {
            throw new ConfigError([...keyIssues, ...e.issues]);
        }
        throw e;
    }
    if (keyIssues.length > 0) {
        throw new ConfigError(keyIssues);
    }
    return cfg;
}

/** What a stack file holds at the top: an error names the file as `path`. */
function notAStackFile(name: string, message: string): ConfigError {
    return new ConfigError([{ path: name, message }]);
}

/**
 * A YAML (or JSON) text read as Pulumi reads a stack file: merge keys (`<<: *anchor`) resolved, a
 * key given twice refused. Throws ConfigError (path: `name`, with line and column for a syntax
 * error) when it is not YAML.
 */
export function parseYamlText(text: string, name: string): unknown {
    const doc = parseDocument(text, { merge: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
        const lines = text.split(/\r?\n/);
        // The parser reports one broken line several ways (an unclosed flow, then what follows it):
        // one root cause, one line, so only the first error shown at each line is kept.
        const shownLines = new Set<number>();
        const issues = doc.errors.flatMap((e) => {
            const { line, col } = e.linePos?.[0] ?? { line: 0, col: 0 };
            // The offending line, or the last line with text before it (an unclosed quote is found at the end).
            let at = line;
            while (at > 1 && (lines[at - 1] ?? "").trim() === "") {
                at--;
            }
            if (shownLines.has(at)) {
                return [];
            }
            shownLines.add(at);
            const shown = lines[at - 1] !== undefined ? `: line ${at} is \`${lines[at - 1].replace(/\t/g, "\\t")}\`` : "";
            return [{ path: `${name}:${line}:${col}`, message: `YAML syntax error, ${e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "").replace(/:$/, "")}${shown}` }];
        });
        throw new ConfigError(issues);
    }
    try {
        return doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
        // Found while resolving aliases and merge keys (`<<: *x` of a scalar, an alias loop): no position.
        throw notAStackFile(name, `YAML error, ${(e as Error).message.split("\n")[0]}: fix the anchors (&name), aliases (*name) and merge keys (<<) it names`);
    }
}

/**
 * The `config:` mapping of a stack file's text, read as Pulumi reads it (parseYamlText). Throws
 * ConfigError (path: the file name, with line and column for a syntax error) when the text is
 * not a stack file.
 */
export function stackFileConfigMap(text: string, name = "the stack file"): Record<string, unknown> {
    const top = parseYamlText(text, name);
    const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
    if (!isMap(top)) {
        throw notAStackFile(name, "is not a stack file: a Pulumi.<stack>.yaml is a mapping whose `config:` key holds the homelab:* keys");
    }
    if (top.config === undefined) {
        const loose = Object.keys(top).filter((k) => k.startsWith(`${namespace}:`));
        throw notAStackFile(
            name,
            loose.length > 0
                ? `is not a stack file: its ${loose.join(", ")} must sit under a top-level \`config:\` key (indent them below a line \`config:\`)`
                : "is not a stack file: it has no top-level `config:` key holding the homelab:* keys",
        );
    }
    if (!isMap(top.config)) {
        throw notAStackFile(`${name}: config`, "must be a mapping of config keys such as homelab:domain");
    }
    return top.config;
}

/**
 * The paths (`nas.users[0].password`, keys without the namespace) of every `secure:` value in a
 * stack file's config. Pulumi hands the program decrypted objects and marks secrecy only per
 * top-level key, so the file is where the exact secret fields can be seen.
 */
export function securePaths(stackFileText: string): Set<string> {
    const doc = { config: stackFileConfigMap(stackFileText) };
    const out = new Set<string>();
    const walk = (value: unknown, p: string) => {
        if (isSecure(value)) {
            out.add(p);
        } else if (Array.isArray(value)) {
            value.forEach((v, i) => walk(v, `${p}[${i}]`));
        } else if (value !== null && typeof value === "object") {
            for (const [k, v] of Object.entries(value)) {
                walk(v, `${p}.${k}`);
            }
        }
    };
    for (const [key, value] of Object.entries(doc.config ?? {})) {
        if (key.startsWith(`${namespace}:`)) {
            walk(value, key.slice(namespace.length + 1));
        }
    }
    return out;
}

/** True for a `{ secure: "..." }` node of a stack file. */
export function isSecure(value: unknown): value is { secure: string } {
    return value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && typeof (value as { secure?: unknown }).secure === "string";
}

/** Wraps the values at `paths`, and every `{ secure: ... }` node, in SecretValue. */
export function markSecrets(raw: Record<string, unknown>, paths: Set<string>): Record<string, unknown> {
    const wrap = (value: unknown, p: string): unknown => {
        // The offline plan hands the program the stack file's values as they are: a `secure:`
        // node is then the ciphertext itself, opaque and secret.
        if (isSecure(value)) {
            return new SecretValue(value.secure);
        }
        if (paths.has(p) && (typeof value === "string" || typeof value === "number" || typeof value === "boolean")) {
            return new SecretValue(String(value));
        }
        if (Array.isArray(value)) {
            return value.map((v, i) => wrap(v, `${p}[${i}]`));
        }
        if (value !== null && typeof value === "object" && !(value instanceof SecretValue)) {
            return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wrap(v, `${p}.${k}`)]));
        }
        return value;
    };
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, wrap(v, k)]));
}

/** The raw `homelab:*` values of the running program's config, JSON-decoded where they are JSON. */
export function rawConfig(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, text] of Object.entries(pulumi.runtime.allConfig())) {
        if (!key.startsWith(`${namespace}:`)) {
            continue;
        }
        let value: unknown = text;
        try {
            value = JSON.parse(text);
        } catch {
            // A plain string value (e.g. homelab:domain) is not JSON.
        }
        out[key.slice(namespace.length + 1)] = value;
    }
    return out;
}

/**
 * Where Pulumi keeps the stack file of `stack`: `Pulumi.<stack>.yaml` beside the project's
 * Pulumi.yaml (searched from `dir` upwards), or in the project's `stackConfigDir` when it sets one.
 * Without a project file, `dir` itself.
 */
export function stackFilePath(stack: string, dir: string = process.cwd()): string {
    for (let d = path.resolve(dir); ; d = path.dirname(d)) {
        for (const ext of ["yaml", "yml"]) {
            const project = path.join(d, `Pulumi.${ext}`);
            if (fs.existsSync(project)) {
                const doc = (parse(fs.readFileSync(project, "utf8")) ?? {}) as { stackConfigDir?: unknown };
                const configDir = typeof doc.stackConfigDir === "string" ? path.resolve(d, doc.stackConfigDir) : d;
                return path.join(configDir, `Pulumi.${stack}.${ext}`);
            }
        }
        if (path.dirname(d) === d) {
            return path.join(path.resolve(dir), `Pulumi.${stack}.yaml`);
        }
    }
}

/** True when a value holds a `{ secure: ... }` node: the stack file's own text, not yet decrypted. */
export function holdsSecure(value: unknown): boolean {
    return isSecure(value) || (Array.isArray(value) ? value.some(holdsSecure) : value !== null && typeof value === "object" && Object.values(value).some(holdsSecure));
}

/**
 * Loads and validates the lab config of the running stack. Secret fields are recognised from the
 * stack file (see stackFilePath); a top-level key that Pulumi marks secret counts as secret as a
 * whole. Throws ConfigError with every problem, and a RunError naming the stack file when it is
 * needed (Pulumi handed over decrypted secrets) but missing: without it every secret would be
 * refused as plain text. A config key of a namespace nobody reads is refused: besides homelab's,
 * its providers' and the project's own (`new pulumi.Config()`), name in `otherNamespaces` those
 * your program reads (e.g. `["aws"]` for `aws:region`).
 */
export function loadLabConfig(dir: string = process.cwd(), otherNamespaces: readonly string[] = []): LabConfig {
    const raw = rawConfig();
    // Not in the SDK's typings, but exported: whether Pulumi holds a whole key as secret.
    const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret(k: string): boolean }).isConfigSecret;
    const file = stackFilePath(pulumi.getStack(), dir);
    let paths = new Set<string>();
    if (fs.existsSync(file)) {
        paths = securePaths(fs.readFileSync(file, "utf8"));
    } else if (Object.keys(raw).some((k) => isConfigSecret(`${namespace}:${k}`) && typeof raw[k] === "object" && !holdsSecure(raw[k]))) {
        throw new pulumi.RunError(
            `cannot tell which config values are secrets: the stack file ${file} does not exist. Run Pulumi in the project directory (beside Pulumi.yaml), or keep the stack file where Pulumi.yaml's stackConfigDir says`,
        );
    }
    for (const key of Object.keys(raw)) {
        if (isConfigSecret(`${namespace}:${key}`) && typeof raw[key] !== "object") {
            paths.add(key);
        }
    }
    const known = [...new Set([...knownNamespaces, pulumi.getProject(), ...otherNamespaces])];
    return validateStack(markSecrets(raw, paths), Object.keys(pulumi.runtime.allConfig()), known);
}

/** A config secret as a Pulumi secret Output. */
export function secretOf(value: SecretValue): pulumi.Output<string> {
    return value.output();
}
