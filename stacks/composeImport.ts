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
    const apps = raw.apps;
    if (!Array.isArray(apps) || !apps.some((a) => a && typeof a === "object" && "compose" in a)) {
        return { raw, origins: Array.isArray(apps) ? apps.map((_, i) => `homelab:apps[${i}]`) : [], issues: [] };
    }
    const issues: ConfigIssue[] = [];
    const out: unknown[] = [];
    const origins: string[] = [];
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
        if (typeof entry.compose !== "string") {
            issues.push({ path: `${at}.compose`, message: "must be the path of a docker-compose.yml" });
            return;
        }
        const file = path.resolve(dir, entry.compose);
        let text: string;
        try {
            text = fs.readFileSync(file, "utf8");
        } catch (e) {
            issues.push({ path: `${at}.compose`, message: `cannot read ${entry.compose} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): give the path from the project directory (beside Pulumi.yaml) or an absolute one` });
            return;
        }
        const imported = composeApps(text);
        for (const issue of imported.issues) {
            issues.push({ path: `${at}.compose`, message: `${entry.compose}: ${issue.path}: ${issue.message}` });
        }
        for (const app of imported.apps) {
            out.push(entry.host === undefined ? app : { ...app, host: entry.host });
            origins.push(`${at}.compose (${entry.compose} service ${String(app.name)})`);
        }
    });
    return { raw: { ...raw, apps: out }, origins, issues };
}

/** An issue's path with the index of an imported app replaced by where the app came from. */
export function originPath(p: string, origins: string[]): string {
    return p.replace(/^homelab:apps\[(\d+)\]/, (whole, i: string) => origins[Number(i)] ?? whole);
}
