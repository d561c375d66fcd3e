// Compose import: the services of a docker-compose.yml as app configs. The file is parsed by
// `yaml`, checked against the Compose Specification's own JSON Schema (compose-spec/, vendored),
// then each service field the App supports is translated; any other field is refused at its path.
import Ajv from "ajv";
import { parse as parseShell } from "shell-quote";
import { parseDocument } from "yaml";
import composeSpec from "./compose-spec/compose-spec.json";

/** One problem with a compose file: where in the file (`services.web.build`) and what to do. */
export interface ComposeIssue {
    path: string;
    message: string;
}

type Raw = Record<string, unknown>;

/**
 * Service fields translated into app fields. Fields not listed here (and not `x-*` extensions)
 * are refused.
 */
const supported = new Set([
    "image", "command", "entrypoint", "user", "cap_add", "cap_drop", "devices", "network_mode", "privileged", "mem_limit", "cpus",
    "sysctls", "shm_size", "extra_hosts", "labels", "depends_on", "init", "environment", "ports", "volumes", "networks",
    "restart", "healthcheck", "container_name", "deploy",
]);

let validator: ReturnType<Ajv["compile"]> | undefined;
function schemaValidator() {
    if (!validator) {
        // The schema names draft-07 by its https URL, which Ajv does not know by that name; the
        // schema itself is not checked (it is the specification's), and formats such as
        // `duration` are the specification's own words, not Ajv's formats.
        const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false, validateFormats: false });
        const { $schema: _, ...schema } = composeSpec as Raw;
        validator = ajv.compile(schema);
    }
    return validator;
}

/** `/services/web/ports/0` -> `services.web.ports[0]`. */
function dotted(pointer: string): string {
    return pointer
        .split("/")
        .slice(1)
        .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
        .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), "");
}

/** A command as Compose splits it: a list as is, a string by shell words (no operators, no expansion). */
function words(value: unknown, at: string, issues: ComposeIssue[]): string[] | undefined {
    if (Array.isArray(value)) {
        return value.map(String);
    }
    if (typeof value !== "string") {
        return undefined;
    }
    const parts = parseShell(value, (name) => `$${name}`);
    if (parts.some((p) => typeof p !== "string")) {
        issues.push({ path: at, message: "holds shell operators or globs: write it as a list of arguments, or as [sh, -c, '<command>']" });
        return undefined;
    }
    return parts as string[];
}

/** `K=V` lists and maps as a map of strings (a null value: the key without a value, refused). */
function stringMap(value: unknown, at: string, issues: ComposeIssue[], sep = "="): Record<string, string> {
    const out: Record<string, string> = {};
    if (Array.isArray(value)) {
        value.forEach((item, i) => {
            const s = String(item);
            const at2 = s.indexOf(sep);
            if (at2 < 0) {
                issues.push({ path: `${at}[${i}]`, message: `'${s}' has no value: write KEY${sep}value (values from the shell's environment are not imported)` });
            } else {
                out[s.slice(0, at2)] = s.slice(at2 + 1);
            }
        });
    } else if (value && typeof value === "object") {
        for (const [k, v] of Object.entries(value as Raw)) {
            if (v === null || v === undefined) {
                issues.push({ path: `${at}.${k}`, message: "has no value: give it one (values from the shell's environment are not imported)" });
            } else {
                out[k] = String(v);
            }
        }
    }
    return out;
}

/** The apps of a compose file, each a raw app config (`homelab:apps[]` entry), or the problems. */
export function composeApps(text: string): { apps: Raw[]; issues: ComposeIssue[] } {
    const issues: ComposeIssue[] = [];
    const doc = parseDocument(text, { merge: true });
    if (doc.errors.length > 0) {
        const e = doc.errors[0];
        return { apps: [], issues: [{ path: `line ${e.linePos?.[0]?.line ?? "?"}`, message: `is not YAML: ${e.message.split("\n")[0]}` }] };
    }
    const file = doc.toJS() as Raw;
    if (text.includes("${") || /\$[A-Za-z_]/.test(text.replace(/\$\$/g, ""))) {
        // Interpolation reads the environment of whoever runs Compose: the lab would not be the same on each run.
        issues.push({ path: "(file)", message: "uses ${VARIABLE} interpolation, which the import does not do: write the values (run `docker compose config` to see them)" });
        return { apps: [], issues };
    }
    // `$$` is Compose's escape of a literal `$`: the container sees one.
    const unescape = (v: unknown): unknown =>
        typeof v === "string" ? v.replace(/\$\$/g, "$") : Array.isArray(v) ? v.map(unescape) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unescape(x)])) : v;
    const validate = schemaValidator();
    if (!validate(file)) {
        for (const e of validate.errors ?? []) {
            const extra = e.keyword === "additionalProperties" ? ` '${(e.params as { additionalProperty: string }).additionalProperty}'` : "";
            issues.push({ path: dotted(e.instancePath) || "(file)", message: `the Compose Specification's schema refuses it: ${e.message}${extra}` });
        }
        return { apps: [], issues };
    }
    for (const key of Object.keys(file)) {
        if (!["services", "volumes", "networks", "name", "version"].includes(key) && !key.startsWith("x-")) {
            issues.push({ path: key, message: `top-level ${key} is not imported: remove it (apps get secrets through env set with pulumi config set --secret)` });
        }
    }
    const volumes = (file.volumes ?? {}) as Raw;
    for (const [name, v] of Object.entries(volumes)) {
        if (v && Object.keys(v as Raw).length > 0) {
            issues.push({ path: `volumes.${name}`, message: "only plain named volumes are imported (no driver, options or external): remove its settings" });
        }
    }
    // Every app of the import joins its Docker host's one apps' network, where services reach each
    // other by name, as on a compose network: plain declared networks stand for that one.
    const networks = (file.networks ?? {}) as Raw;
    for (const [name, n] of Object.entries(networks)) {
        if (n && Object.keys(n as Raw).length > 0) {
            issues.push({ path: `networks.${name}`, message: "only plain networks are imported (every app joins its Docker host's apps' network): remove its settings" });
        }
    }
    const apps: Raw[] = [];
    for (const [service, rawService] of Object.entries((file.services ?? {}) as Raw)) {
        const s = unescape(rawService) as Raw;
        const at = `services.${service}`;
        const before = issues.length;
        for (const key of Object.keys(s)) {
            if (!supported.has(key) && !key.startsWith("x-")) {
                const fix = key === "build" ? "build the image and push it to a registry, then set image to its pinned tag" : "remove it, or run the app as a catalog entry or generic app written by hand";
                issues.push({ path: `${at}.${key}`, message: `is not supported by the import: ${fix}` });
            }
        }
        const app: Raw = { name: (s.container_name as string | undefined) ?? service, catalog: "generic" };
        if (typeof s.image !== "string") {
            issues.push({ path: `${at}.image`, message: "is required: set the pinned image the service runs" });
        } else {
            app.image = s.image;
        }
        for (const [from, to] of [["command", "command"], ["entrypoint", "entrypoint"]] as const) {
            if (s[from] !== undefined && s[from] !== null) {
                const w = words(s[from], `${at}.${from}`, issues);
                if (w) app[to] = w;
            }
        }
        if (s.user !== undefined) app.user = String(s.user);
        if (s.cap_add || s.cap_drop) {
            app.capabilities = { ...(s.cap_add ? { add: s.cap_add } : {}), ...(s.cap_drop ? { drop: s.cap_drop } : {}) };
        }
        if (s.devices) {
            app.devices = (s.devices as unknown[]).map((d) => {
                if (typeof d === "string") return d;
                const o = d as Raw;
                return [o.source, o.target, o.permissions].filter((x) => x !== undefined).join(":");
            });
        }
        if (s.network_mode !== undefined) {
            if (s.network_mode === "host") app.networkMode = "host";
            else issues.push({ path: `${at}.network_mode`, message: `'${String(s.network_mode)}' is not imported: only host (or none of it: the apps' network)` });
        }
        if (s.networks !== undefined) {
            const names = Array.isArray(s.networks) ? s.networks.map(String) : Object.keys(s.networks as Raw);
            names.forEach((n) => {
                if (n !== "default" && !(n in networks)) {
                    issues.push({ path: `${at}.networks`, message: `unknown network '${n}': declare it under networks (every app joins its Docker host's apps' network)` });
                }
            });
            if (!Array.isArray(s.networks) && Object.values(s.networks as Raw).some((v) => v && Object.keys(v as Raw).length > 0)) {
                issues.push({ path: `${at}.networks`, message: "per-network settings (aliases, addresses) are not imported: list the networks without settings" });
            }
        }
        // The schema lets booleans be strings (for interpolation).
        const bool = (v: unknown) => (v === "true" ? true : v === "false" ? false : v);
        if (s.privileged !== undefined) app.privileged = bool(s.privileged);
        const limits = ((s.deploy as Raw | undefined)?.resources as Raw | undefined)?.limits as Raw | undefined;
        if (s.deploy !== undefined) {
            const d = s.deploy as Raw;
            const other = Object.keys(d).filter((k) => k !== "resources");
            const res = (d.resources ?? {}) as Raw;
            const otherRes = [...Object.keys(res).filter((k) => k !== "limits"), ...Object.keys(limits ?? {}).filter((k) => k !== "memory" && k !== "cpus").map((k) => `limits.${k}`)];
            for (const k of [...other, ...otherRes.map((k) => `resources.${k}`)]) {
                issues.push({ path: `${at}.deploy.${k}`, message: "is not supported by the import: only deploy.resources.limits memory and cpus are" });
            }
        }
        const memory = s.mem_limit ?? limits?.memory;
        if (memory !== undefined) app.memory = String(memory);
        const cpus = s.cpus ?? limits?.cpus;
        if (cpus !== undefined) app.cpus = Number(cpus);
        if (s.sysctls !== undefined) app.sysctls = stringMap(s.sysctls, `${at}.sysctls`, issues);
        if (s.shm_size !== undefined) app.shmSize = String(s.shm_size);
        if (s.extra_hosts !== undefined) {
            app.extraHosts = Array.isArray(s.extra_hosts)
                ? s.extra_hosts.map(String)
                : Object.entries(s.extra_hosts as Raw).map(([h, ip]) => `${h}:${Array.isArray(ip) ? ip[0] : String(ip)}`);
        }
        if (s.labels !== undefined) app.labels = stringMap(s.labels, `${at}.labels`, issues);
        if (s.depends_on !== undefined) app.dependsOn = Array.isArray(s.depends_on) ? s.depends_on.map(String) : Object.keys(s.depends_on as Raw);
        if (s.init !== undefined) app.init = bool(s.init);
        if (s.environment !== undefined) app.env = stringMap(s.environment, `${at}.environment`, issues);
        if (s.restart !== undefined && !["unless-stopped", "always"].includes(String(s.restart))) {
            issues.push({ path: `${at}.restart`, message: `'${String(s.restart)}' is not imported: apps restart unless stopped (use unless-stopped or always)` });
        }
        if (s.healthcheck !== undefined) {
            const h = s.healthcheck as Raw;
            const test = h.test;
            if (h.disable === true || (Array.isArray(test) && test[0] === "NONE")) {
                // No healthcheck: the app's default.
            } else if (typeof test === "string") {
                app.healthcheck = test;
            } else if (Array.isArray(test) && test[0] === "CMD-SHELL" && test.length === 2) {
                app.healthcheck = String(test[1]);
            } else {
                issues.push({ path: `${at}.healthcheck.test`, message: "only a shell command is imported: write test as a string or [CMD-SHELL, '<command>']" });
            }
        }
        if (s.ports !== undefined) {
            const ports: Raw[] = [];
            (s.ports as unknown[]).forEach((p, i) => {
                const port = composePort(p);
                if (port) ports.push(port);
                else issues.push({ path: `${at}.ports[${i}]`, message: `'${typeof p === "object" ? JSON.stringify(p) : String(p)}' is not imported: publish one port as HOST:CONTAINER[/udp] (no address, no range)` });
            });
            app.ports = ports;
        }
        if (s.volumes !== undefined) {
            const list: Raw[] = [];
            (s.volumes as unknown[]).forEach((v, i) => {
                const m = composeVolume(v, volumes);
                if ("message" in m) issues.push({ path: `${at}.volumes[${i}]`, message: m.message });
                else list.push(m);
            });
            app.volumes = list;
        }
        if (issues.length === before) {
            apps.push(app);
        }
    }
    // A compose volume shared by services would be one volume per app here (`<app>-<name>`).
    const users = new Map<string, string[]>();
    for (const [service, rawService] of Object.entries((file.services ?? {}) as Raw)) {
        for (const v of ((rawService as Raw).volumes ?? []) as unknown[]) {
            const m = composeVolume(v, volumes);
            if ("name" in m) users.set(m.name, [...(users.get(m.name) ?? []), service]);
        }
    }
    for (const [name, services] of users) {
        if (services.length > 1) {
            issues.push({ path: `volumes.${name}`, message: `is shared by services ${services.join(", ")}: each app gets volumes of its own; share data through an absolute host path instead` });
        }
    }
    return { apps: issues.length > 0 ? [] : apps, issues };
}

/** `8080:80`, `53:53/udp`, `{ target: 80, published: 8080, protocol: tcp }`; undefined for other forms. */
function composePort(p: unknown): Raw | undefined {
    if (typeof p === "object" && p !== null) {
        const o = p as Raw;
        const published = Number(o.published);
        if (o.host_ip !== undefined || !Number.isInteger(published) || Object.keys(o).some((k) => !["target", "published", "protocol", "mode"].includes(k))) {
            return undefined;
        }
        return { host: published, container: Number(o.target), protocol: (o.protocol as string | undefined) ?? "tcp" };
    }
    const m = /^(\d+):(\d+)(?:\/(tcp|udp))?$/.exec(String(p));
    return m ? { host: Number(m[1]), container: Number(m[2]), protocol: m[3] ?? "tcp" } : undefined;
}

/** `name:/path`, `/host:/path[:ro|rw]` and the long forms, as app volumes; or why not. */
function composeVolume(v: unknown, named: Raw): { hostPath: string; path?: string; readOnly: boolean } | { name: string; path?: string } | { message: string } {
    let type: string, source: string | undefined, target: string | undefined, readOnly = false;
    if (typeof v === "string") {
        const parts = v.split(":");
        if (parts.length === 1) {
            return { message: `'${v}' is an anonymous volume: name it (name:${v}) so that its data survives the container` };
        }
        [source, target] = parts;
        const mode = parts[2];
        if (parts.length > 3 || (mode !== undefined && !["ro", "rw"].includes(mode))) {
            return { message: `'${v}': only the modes ro and rw are imported` };
        }
        readOnly = mode === "ro";
        type = source.startsWith("/") || source.startsWith(".") || source.startsWith("~") ? "bind" : "volume";
    } else {
        const o = v as Raw;
        type = String(o.type);
        source = o.source as string | undefined;
        target = o.target as string | undefined;
        readOnly = o.read_only === true;
        const extra = Object.keys(o).filter((k) => !["type", "source", "target", "read_only"].includes(k));
        if (extra.length > 0) {
            return { message: `volume settings ${extra.join(", ")} are not imported: remove them` };
        }
    }
    if (type === "bind") {
        if (!source?.startsWith("/")) {
            return { message: `host path '${source}' is relative: use an absolute path of the Docker host (the compose file's folder is not on it)` };
        }
        return { hostPath: source, path: target, readOnly };
    }
    if (type === "volume" && source !== undefined) {
        if (!(source in named)) {
            return { message: `unknown volume '${source}': declare it under volumes` };
        }
        if (readOnly) {
            return { message: `named volume '${source}' read-only is not imported: mount it read-write` };
        }
        return { name: source, path: target };
    }
    return { message: `a ${type} mount is not imported: use a named volume or an absolute host path` };
}
