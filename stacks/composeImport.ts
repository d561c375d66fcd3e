// `compose:` entries of homelab:apps: each is replaced, in place, by the apps of its compose file
// (components/app/compose.ts), so that the imported apps are validated and built like any other.
import * as fs from "fs";
import * as path from "path";
import { composeApps } from "../components/app/compose";
import type { ConfigIssue } from "./validate";

/**
 * The raw config with every `compose:` app entry replaced by its services' apps, where each app
 * of the result came from (`homelab:apps[2]`, or `homelab:apps[1].compose (services.web)`), and
 * the problems of the imports. Paths are read from `dir` (the project directory) when relative.
 */
export function importCompose(raw: Record<string, unknown>, dir: string = process.cwd()): { raw: Record<string, unknown>; origins: string[]; issues: ConfigIssue[] } {
    const apps = Array.isArray(raw.apps) ? raw.apps : [];
    // A Docker host's own `compose:` is an app entry { compose, host: <it> } after the apps.
    const hosts = Array.isArray(raw.dockerHosts) ? raw.dockerHosts : [];
    const hostImports = hosts.flatMap((h, i) => (h && typeof h === "object" && "compose" in h ? [{ h: h as Record<string, unknown>, i }] : []));
    if (!apps.some((a) => a && typeof a === "object" && "compose" in a) && hostImports.length === 0) {
        return { raw, origins: apps.map((_, i) => `homelab:apps[${i}]`), issues: [] };
    }
    const issues: ConfigIssue[] = [];
    const out: unknown[] = [];
    const origins: string[] = [];
    /** Adds the services of `compose` as apps of `host`; problems are reported at `at`.compose. */
    const importFile = (compose: unknown, host: unknown, at: string) => {
        if (typeof compose !== "string") {
            issues.push({ path: `${at}.compose`, message: "must be the path of a docker-compose.yml" });
            return;
        }
        const file = path.resolve(dir, compose);
        let text: string;
        try {
            text = fs.readFileSync(file, "utf8");
        } catch (e) {
            issues.push({ path: `${at}.compose`, message: `cannot read ${compose} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): give the path from the project directory (beside Pulumi.yaml) or an absolute one` });
            return;
        }
        const imported = composeApps(text);
        for (const issue of imported.issues) {
            issues.push({ path: `${at}.compose`, message: `${compose}: ${issue.path}: ${issue.message}` });
        }
        for (const app of imported.apps) {
            out.push(host === undefined ? app : { ...app, host });
            origins.push(`${at}.compose (${compose} service ${String(app.name)})`);
        }
    };
    apps.forEach((a, i) => {
        const at = `homelab:apps[${i}]`;
        if (!a || typeof a !== "object" || !("compose" in a)) {
            out.push(a);
            origins.push(at);
            return;
        }
        const entry = a as Record<string, unknown>;
        const extra = Object.keys(entry).filter((k) => k !== "compose" && k !== "host");
        if (extra.length > 0) {
            issues.push({ path: `${at}.${extra[0]}`, message: "a compose import holds only compose and host: set the other fields in the compose file" });
            return;
        }
        importFile(entry.compose, entry.host, at);
    });
    for (const { h, i } of hostImports) {
        importFile(h.compose, h.hostname, `homelab:dockerHosts[${i}]`);
    }
    return { raw: { ...raw, apps: out }, origins, issues };
}

/** An issue's path with the index of an imported app replaced by where the app came from. */
export function originPath(p: string, origins: string[]): string {
    return p.replace(/^homelab:apps\[(\d+)\]/, (whole, i: string) => origins[Number(i)] ?? whole);
}
