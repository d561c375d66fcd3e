// Validation of the whole stack config: structure (zod, config.ts) and the rules that relate
// fields to each other (this file). Every problem is reported at once, each with its path and fix.
import { z } from "zod";
import { appContainerFields, appFieldIssues, appOrder, databaseEngineIssue, envProblem } from "../components/app";
import { catalog } from "../components/catalog";
import { accessIssues } from "../components/cloudflareAccess";
import { appRecordTypes, hostRecordTypes, HostRecords, isNonRoutable, ttlProblem } from "../components/cloudflareDns";
import { defaultInternalPool, dockerHostOsRule } from "../components/dockerHost";
import { defaultBridgeIp } from "../components/dockerHost/daemonJson";
import { diskSerial } from "../components/nasVm";
import { upsNutCommandArgs } from "../components/proxmoxHost/upsNut";
import { importCompose, originPath } from "./composeImport";
import { configKeys, haPlacement, imageFileName, imageOs, labSchema } from "./config";
import { LabConfig } from "./labConfig";
import { SecretValue } from "./secretValue";
import { lxcOsTypes } from "../components/lxcContainer";
import { contentProblem, storageProblem, StorageUse } from "../components/storage";
import { haReplication, replicationJobNumberProblem } from "../components/highAvailability";
import { hasProvisioning, provisionOsRule, provisionProblems } from "../components/provision";
import { Cidr, contains, hostAddressProblem, isReserved, overlaps, parseCidr, parseIpv6 } from "../components/ip";
import { defaultDockerHost, defaultRoutePort } from "./routes";
import { appRecordsOf, dockerHostOrder, exposureOf, firewallArgs } from "./lab";
import { planFirewall } from "../components/firewall";
import { GuestSize, guestFitProblems, nodeLoad } from "../components/proxmoxHost/capacity";
import { imageFileProblem } from "../components/proxmoxHost";
import { cpusProblem } from "../components/app/containerFields";
import { shareServerProblem } from "../components/shareServer";

/**
 * Docker's own ranges on every Docker host: docker0 (daemonJson.ts's defaultBridgeIp) and the pool
 * it carves the apps' private networks from (DockerHost's default internalPool). An app network
 * inside either is refused by DockerHost, or by Docker when it creates the network.
 */
const dockerRanges: [string, string][] = [
    [defaultBridgeIp.replace(/\.1\//, ".0/"), "Docker's default bridge (docker0)"],
    [defaultInternalPool, "the pool Docker takes the apps' private networks from"],
];

/** One problem in the config: where (`homelab:nas.disks[1]`) and what to do about it. */
export interface ConfigIssue {
    path: string;
    message: string;
}

/** Thrown when the config is invalid; carries every issue found. */
export class ConfigError extends Error {
    constructor(readonly issues: ConfigIssue[]) {
        super(`invalid stack config (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n${issues.map((i) => `  ${i.path}: ${i.message}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

/** Formats a path of keys and indexes as `homelab:nas.disks[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
    if (path.length === 0) {
        return "homelab";
    }
    let out = `homelab:${String(path[0])}`;
    for (const p of path.slice(1)) {
        out += typeof p === "number" ? `[${p}]` : `.${String(p)}`;
    }
    return out;
}

/** The raw value at a path, or undefined when any step is missing. */
function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
    let v = raw;
    for (const p of path) {
        if (v === null || typeof v !== "object") {
            return undefined;
        }
        v = (v as Record<PropertyKey, unknown>)[p];
    }
    return v;
}

/** The message of a secret's value that its rule refuses: the rule's words, the fix, never the value. */
function secretValueMessage(path: string, problem: string): string {
    return `the secret ${problem}: set it again with \`pulumi config set --secret --path '${path}' <value>\``;
}

/** The issues of a secret in a union's branches that refused its value, if any. */
function secretValueIssue(issue: z.core.$ZodIssue): z.core.$ZodIssue | undefined {
    if (issue.code === "custom" && (issue.params as { homelab?: string } | undefined)?.homelab === "secret-value") {
        return issue;
    }
    if (issue.code === "invalid_union") {
        return issue.errors.flat().map(secretValueIssue).find((i) => i !== undefined);
    }
    return undefined;
}

/** The issue of a value that is not a secret where one belongs (the secret's type, not its value). */
function isSecretTypeIssue(issue: z.core.$ZodIssue): boolean {
    return issue.code === "custom" && (issue.params as { homelab?: string } | undefined)?.homelab === "secret";
}

/**
 * A union whose value has the shape of exactly one of its forms (no missing, extra or mistyped
 * field for it) reports that form's own issues, e.g. the storage id rule of `{ storage: "" }`.
 */
function expandUnions(issues: z.core.$ZodIssue[]): z.core.$ZodIssue[] {
    return issues.flatMap((issue) => {
        if (issue.code !== "invalid_union") {
            return [issue];
        }
        const shaped = issue.errors.filter((form) => form.length > 0 && form.every((i) => !["unrecognized_keys", "invalid_type", "invalid_union"].includes(i.code) && !isSecretTypeIssue(i)));
        return shaped.length === 1 ? expandUnions(shaped[0].map((i) => ({ ...i, path: [...issue.path, ...i.path] }))) : [issue];
    });
}

function zodIssues(error: z.ZodError, raw: Record<string, unknown>): ConfigIssue[] {
    // One line per path: a value that breaks two checks of one field (its form and a rule) has one cause.
    const seen = new Set<string>();
    return expandUnions(error.issues).filter((issue) => !seen.has(formatPath(issue.path)) && seen.add(formatPath(issue.path))).map((issue) => {
        const path = formatPath(issue.path);
        if (isSecretTypeIssue(issue)) {
            return { path, message: `must be a secret: run \`pulumi config set --secret --path '${path}' <value>\`` };
        }
        const refused = valueAt(raw, issue.path) instanceof SecretValue ? secretValueIssue(issue) : undefined;
        if (refused !== undefined) {
            return { path, message: secretValueMessage(path, refused.message) };
        }
        if (issue.code === "unrecognized_keys") {
            return { path, message: `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `'${k}'`).join(", ")}: remove or correct ${issue.keys.length > 1 ? "them" : "it"} (see the README's config reference)` };
        }
        // A field with a message of its own ("must be an IPv4 address") says so even when it is
        // simply missing: say what is wrong instead.
        if (issue.code === "invalid_type" && valueAt(raw, issue.path) === undefined) {
            const kinds: Record<string, string> = { string: "text", number: "a number", int: "a whole number", boolean: "true or false", array: "a list", object: "a mapping" };
            const last = issue.path[issue.path.length - 1];
            return { path, message: `is required: add ${typeof last === "string" ? `${last}: ` : ""}<${kinds[issue.expected] ?? issue.expected}> (see the README's config reference)` };
        }
        // A secret where plain text belongs: zod would only say the value has the wrong type or form.
        if (valueAt(raw, issue.path) instanceof SecretValue && issue.code !== "custom") {
            return { path, message: `must be plain text, not a secret: run \`pulumi config set --path '${path}' <value>\` (without --secret)` };
        }
        // zod's own words for these ("Invalid input", "must match pattern /.../") name no fix.
        if (issue.code === "invalid_union") {
            return { path, message: unionMessage(issue.path, valueAt(raw, issue.path)) };
        }
        if (issue.code === "invalid_format" && issue.format === "regex" && issue.message.startsWith("Invalid string")) {
            return { path, message: `has the wrong form (it must match ${issue.pattern}): see the README's config reference` };
        }
        return { path, message: stockPhrase.test(issue.message) ? ownWords(issue, valueAt(raw, issue.path)) : issue.message };
    });
}

/** zod's own wording ("Invalid input: expected boolean, received string", "Too big: ..."): never shown as is. */
export const stockPhrase = /^(Invalid |Too (big|small)|Unrecognized key)|expected .*, received /;

/** A value as a message may show it: short, and never a secret's. */
function shown(value: unknown): string {
    if (value instanceof SecretValue) {
        return "a secret";
    }
    if (typeof value === "string") {
        return `the text '${value.length > 40 ? `${value.slice(0, 40)}...` : value}'`;
    }
    if (Array.isArray(value)) {
        return "a list";
    }
    if (value === null) {
        return "nothing (null)";
    }
    return typeof value === "object" ? "a mapping" : String(value);
}

/** An issue that zod words in its own stock phrases, in the project's words with the fix. */
function ownWords(issue: z.core.$ZodIssue, value: unknown): string {
    const got = shown(value);
    const size = Array.isArray(value) ? `lists ${value.length} item${value.length === 1 ? "" : "s"}` : typeof value === "string" ? `is ${value.length} characters long` : `is ${got}`;
    switch (issue.code) {
        case "invalid_type":
            switch (issue.expected) {
                case "boolean":
                    return `must be true or false, got ${got}: write it without quotes`;
                case "number":
                    return `must be a number, got ${got}: write the plain number, without quotes or unit`;
                case "int":
                    return `must be a whole number, got ${got}`;
                case "string":
                    return `must be text, got ${got}: quote it, e.g. "${typeof value === "number" || typeof value === "boolean" ? String(value) : "text"}"`;
                case "array":
                    return `must be a list, got ${got}: write each item on its own line starting with '- '`;
                case "object":
                    return `must be a mapping of fields, got ${got}: write its fields indented below it (see the README's config reference)`;
                default:
                    return `must be of type ${issue.expected}, got ${got}`;
            }
        case "too_big":
            return `${size}; at most ${String(issue.maximum)}${issue.origin === "array" ? " items" : issue.origin === "string" ? " characters" : ""} ${issue.origin === "array" ? "are allowed: remove some" : "is allowed: use a smaller value"}`;
        case "too_small":
            return `${size}; at least ${String(issue.minimum)}${issue.origin === "array" ? " items are" : issue.origin === "string" ? " characters are" : " is"} needed${issue.origin === "array" ? ": add more" : ""}`;
        case "invalid_value":
            return `must be one of ${issue.values.map((v) => String(v)).join(", ")}, got ${got}`;
        case "not_multiple_of":
            return `must be a multiple of ${String(issue.divisor)}, got ${got}`;
        default:
            return `is not valid here (got ${got}): see the README's config reference`;
    }
}

/** What a value that fits none of a union's forms should look like, by where it is. */
function unionMessage(path: readonly PropertyKey[], value: unknown): string {
    const last = path[path.length - 1];
    if (path[0] === "apps" && path[path.length - 2] === "env") {
        const example = typeof value === "number" || typeof value === "boolean" ? `${String(last)}: "${String(value)}"` : `${String(last)}: "text"`;
        return `must be a string (quote numbers: ${example}) or a secret (pulumi config set --secret)`;
    }
    if (path[0] === "backup" && last === "target") {
        return "use { share, user } (a NAS share and a user allowed on it) or { storage } (an existing Proxmox storage id)";
    }
    if (path[0] === "apps" && path[path.length - 2] === "volumes") {
        return "use { name, path } (a named volume), { share, path } (a NAS share, with an optional subPath) or { hostPath, path } (a path of the Docker host, read-only unless readOnly: false)";
    }
    if (path[0] === "firewall" && last === "port") {
        return "must be a port number or a range first:last, such as 8000:8010";
    }
    return "matches none of the allowed forms: see the README's config reference";
}

/**
 * Parses and validates the raw `homelab:*` config values (secrets already wrapped as SecretValue).
 * Returns the typed config with defaults filled, or throws a ConfigError listing every problem.
 */
export function validateLab(written: Record<string, unknown>): LabConfig {
    // Compose imports become apps first; an issue of an imported app names its compose file.
    const imported = importCompose(written);
    const raw = imported.raw;
    const issues: ConfigIssue[] = [...imported.issues];
    for (const key of Object.keys(raw)) {
        if (!(configKeys as string[]).includes(key)) {
            issues.push({ path: `homelab:${key}`, message: `unknown config key: the keys are ${configKeys.map((k) => `homelab:${k}`).join(", ")}` });
        }
    }
    // Parse each key on its own, so that one broken key does not hide the rules of the others.
    const parsed: Partial<LabConfig> = {};
    const broken = new Set<string>();
    for (const key of configKeys) {
        const result = labSchema.shape[key].safeParse(raw[key]);
        if (result.success) {
            (parsed as Record<string, unknown>)[key] = result.data;
        } else {
            broken.add(key);
            issues.push(...zodIssues(new z.ZodError(result.error.issues.map((i) => ({ ...i, path: [key, ...i.path] }))), raw));
        }
    }
    if (imported.issues.length > 0) {
        broken.add("apps");
    }
    issues.push(...crossCheck(parsed as LabConfig, broken, raw));
    if (issues.length > 0) {
        throw new ConfigError(issues.map((i) => ({ ...i, path: originPath(i.path, imported.origins) })));
    }
    return parsed as LabConfig;
}

/** A guest or host that holds an address and a name. */
interface Holder {
    path: string;
    hostname: string;
    vmId?: number;
    node?: string;
    network: string;
    /** Absent only for an IPv6-only container. */
    address?: string;
    ipv6?: string;
    dns?: HostRecords;
}

/** Guests and nodes of the lab, with the config path of each: the basis of most cross-field rules. */
export function holders(cfg: Partial<LabConfig>): Holder[] {
    const out: Holder[] = [];
    cfg.nodes?.forEach((n, i) => out.push({ path: `homelab:nodes[${i}]`, hostname: n.name, network: n.network, address: n.address }));
    if (cfg.nas) {
        out.push({ path: "homelab:nas", ...cfg.nas });
    }
    cfg.dockerHosts?.forEach((h, i) => out.push({ path: `homelab:dockerHosts[${i}]`, ...h }));
    cfg.containers?.forEach((c, i) => out.push({ path: `homelab:containers[${i}]`, ...c }));
    return out;
}

/** Issues for items whose key repeats an earlier one's; `show` says what the message names (default the key). */
function duplicates<T>(items: T[], key: (t: T) => string | number | undefined, path: (t: T, i: number) => string, what: string, show: (t: T) => string = (t) => String(key(t))): ConfigIssue[] {
    const seen = new Map<string | number, string>();
    const issues: ConfigIssue[] = [];
    items.forEach((item, i) => {
        const k = key(item);
        if (k === undefined) {
            return;
        }
        const first = seen.get(k);
        if (first !== undefined) {
            issues.push({ path: path(item, i), message: `duplicate ${what} '${show(item)}' (also at ${first}): choose another` });
        } else {
            seen.set(k, path(item, i));
        }
    });
    return issues;
}

/** The rules that relate fields across keys. Keys that failed to parse are skipped. */
/** Just what address and name rules need of a guest; parsed loosely so that a guest with some other broken field still gets its address checked. */
const guestIdentity = z.object({
    hostname: z.string(),
    vmId: z.number().int(),
    node: z.string().optional(),
    network: z.string(),
    // Optional for IPv6-only containers; the schema itself requires it of the NAS and Docker hosts.
    address: z.ipv4().optional(),
    ipv6: z.ipv6().optional(),
    dns: z.union([z.boolean(), z.enum(["A", "AAAA"])]).optional(),
});

/** The guests of the raw config whose identity fields parse, whatever else is wrong with them. */
function salvageGuests(raw: Record<string, unknown>): Holder[] {
    const out: Holder[] = [];
    const take = (value: unknown, p: string) => {
        const r = guestIdentity.safeParse(value);
        if (r.success) {
            out.push({ path: p, ...r.data });
        }
    };
    if (raw.nas !== undefined) {
        take(raw.nas, "homelab:nas");
    }
    for (const key of ["dockerHosts", "containers"]) {
        if (Array.isArray(raw[key])) {
            (raw[key] as unknown[]).forEach((g, i) => take(g, `homelab:${key}[${i}]`));
        }
    }
    return out;
}

function crossCheck(cfg: LabConfig, broken: Set<string>, raw: Record<string, unknown>): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const add = (path: string, message: string) => issues.push({ path, message });
    const ok = (...keys: string[]) => keys.every((k) => !broken.has(k));

    // Networks
    const nets = new Map<string, { cidr: Cidr; v6?: Cidr; net: LabConfig["networks"][number] }>();
    /** Networks whose CIDR is refused: what refers to them gets no second line for the same cause. */
    const brokenNets = new Set<string>();
    if (ok("networks")) {
        issues.push(...duplicates(cfg.networks, (n) => n.name, (_, i) => `homelab:networks[${i}].name`, "network name"));
        cfg.networks.forEach((n, i) => {
            const cidr = parseCidr(n.cidr);
            if (!cidr) {
                brokenNets.add(n.name);
                add(`homelab:networks[${i}].cidr`, `must be a network address with its host bits zero, e.g. ${n.cidr.replace(/\.\d+\//, ".0/")}`);
                return;
            }
            const v6 = n.ipv6 ? parseCidr(n.ipv6.cidr) : undefined;
            if (n.ipv6 && !v6) {
                add(`homelab:networks[${i}].ipv6.cidr`, "must be an IPv6 network with its host bits zero");
            }
            if (n.gateway && (!contains(cidr, n.gateway) || isReserved(cidr, n.gateway))) {
                add(`homelab:networks[${i}].gateway`, `${n.gateway} is not a host address inside ${n.cidr}: use an address of that network`);
            }
            if (v6 && n.ipv6?.gateway && !contains(v6, n.ipv6.gateway) && !n.ipv6.gateway.toLowerCase().startsWith("fe80:")) {
                add(`homelab:networks[${i}].ipv6.gateway`, `${n.ipv6.gateway} is not inside ${n.ipv6.cidr} (nor link-local): use an address of that network`);
            }
            if (n.vlan !== undefined && !n.bridge) {
                add(`homelab:networks[${i}].vlan`, "a VLAN needs the VLAN-aware bridge that carries it: set bridge");
            }
            for (const [other, o] of nets) {
                if (overlaps(cidr, o.cidr)) {
                    add(`homelab:networks[${i}].cidr`, `${n.cidr} overlaps network '${other}' (${o.net.cidr}): networks must not share addresses`);
                }
                if (v6 && o.v6 && overlaps(v6, o.v6)) {
                    add(`homelab:networks[${i}].ipv6.cidr`, `${n.ipv6?.cidr} overlaps network '${other}' (${o.net.ipv6?.cidr}): networks must not share addresses`);
                }
                // One tag on one bridge is one segment: two networks there would be one broadcast domain.
                if (n.bridge !== undefined && n.vlan !== undefined && o.net.bridge === n.bridge && o.net.vlan === n.vlan) {
                    add(`homelab:networks[${i}].vlan`, `VLAN ${n.vlan} on bridge '${n.bridge}' already carries network '${other}': give each network its own VLAN id`);
                }
            }
            if (!nets.has(n.name)) {
                nets.set(n.name, { cidr, v6, net: n });
            }
        });
    }

    // Nodes and their bridges
    const nodeNames = new Set<string>();
    const bridges = new Map<string, { vlanAware: boolean; path: string }>();
    /** Each node's own bridges (a guest can only use a bridge of its node), and the node's path. */
    const nodeBridges = new Map<string, { path: string; bridges: Map<string, { vlanAware: boolean; path: string }> }>();
    if (ok("nodes")) {
        issues.push(...duplicates(cfg.nodes, (n) => n.name, (_, i) => `homelab:nodes[${i}].name`, "node name"));
        cfg.nodes.forEach((n, i) => {
            nodeNames.add(n.name);
            const own = new Map<string, { vlanAware: boolean; path: string }>();
            if (!nodeBridges.has(n.name)) {
                nodeBridges.set(n.name, { path: `homelab:nodes[${i}]`, bridges: own });
            }
            issues.push(...duplicates(n.bridges, (b) => b.name, (_, j) => `homelab:nodes[${i}].bridges[${j}].name`, "bridge"));
            n.bridges.forEach((b, j) => {
                const prev = bridges.get(b.name);
                if (!prev || b.vlanAware) {
                    bridges.set(b.name, { vlanAware: b.vlanAware, path: `homelab:nodes[${i}].bridges[${j}]` });
                }
                if (!own.has(b.name)) {
                    own.set(b.name, { vlanAware: b.vlanAware, path: `homelab:nodes[${i}].bridges[${j}]` });
                }
            });
            // ups-nut.sh refuses these on the node, after the lab's first resources: check them here, with its own rules.
            if (n.ups) {
                const u = n.ups;
                const fields: [string, () => unknown, string][] = [
                    ["name", () => upsNutCommandArgs({ name: u.name }), `'${u.name}' is not a NUT UPS name: use letters, digits, '_' and '-' only, e.g. ups`],
                    ["driver", () => upsNutCommandArgs({ name: "ups", driver: u.driver }), `'${u.driver}' is not a NUT driver name: use lower-case letters, digits, '_' and '-' only, e.g. nutdrv_qx or usbhid-ups`],
                    ["port", () => upsNutCommandArgs({ name: "ups", port: u.port }), "must be a driver port on one line, e.g. auto"],
                    ["description", () => upsNutCommandArgs({ name: "ups", description: u.description }), "must be on one line"],
                ];
                for (const [field, check, message] of fields) {
                    try {
                        check();
                    } catch {
                        add(`homelab:nodes[${i}].ups.${field}`, message);
                    }
                }
            }
        });
        if (ok("networks")) {
            cfg.networks.forEach((n, i) => {
                if (!n.bridge) {
                    return;
                }
                const b = bridges.get(n.bridge);
                if (!b) {
                    add(`homelab:networks[${i}].bridge`, `no node has bridge '${n.bridge}': add it to a node's bridges (with existing: true if the installer made it)`);
                } else if (n.vlan !== undefined && !b.vlanAware) {
                    add(`homelab:networks[${i}].vlan`, `bridge '${n.bridge}' is not VLAN-aware: set vlanAware: true at ${b.path}`);
                }
            });
        }
    }

    // Images
    const images = new Map<string, LabConfig["images"][number] & { index: number }>();
    if (ok("images")) {
        issues.push(...duplicates(cfg.images, (m) => m.name, (_, i) => `homelab:images[${i}].name`, "image name"));
        cfg.images.forEach((m, i) => {
            if (!images.has(m.name)) {
                images.set(m.name, { ...m, index: i });
            }
            m.nodes?.forEach((n, j) => {
                if (ok("nodes") && !nodeNames.has(n)) {
                    add(`homelab:images[${i}].nodes[${j}]`, `unknown node '${n}': use one of ${[...nodeNames].join(", ")}`);
                }
            });
            const file = imageFileName(m);
            const fileProblem = imageFileProblem(m.kind, file);
            if (fileProblem) {
                add(`homelab:images[${i}].${fileProblem.field}`, fileProblem.message);
            } else if (m.kind === "lxc" && imageOs(m) === undefined) {
                add(`homelab:images[${i}].os`, `the distribution of '${file}' cannot be told from its name: set os to one of ${lxcOsTypes.join(", ")}`);
            }
        });
    }

    // Guests: names, ids, addresses, placement
    const all = [...holders({ nodes: ok("nodes") ? cfg.nodes : undefined }), ...salvageGuests(raw)];
    const guests = all.filter((h) => !h.path.startsWith("homelab:nodes"));
    issues.push(...duplicates(all, (h) => h.hostname, (h) => `${h.path}.${h.path.startsWith("homelab:nodes") ? "name" : "hostname"}`, "hostname"));
    issues.push(...duplicates(guests, (h) => h.vmId, (h) => `${h.path}.vmId`, "VM/CT id"));
    issues.push(...duplicates(all, (h) => h.address, (h) => `${h.path}.address`, "address"));
    // By value: 2001:db8::5 and 2001:db8:0::5 are one address.
    const v6Key = (a: string) => parseIpv6(a)?.toString() ?? a.toLowerCase();
    issues.push(...duplicates(all.filter((h) => h.ipv6), (h) => v6Key(h.ipv6!), (h) => `${h.path}.ipv6`, "IPv6 address", (h) => h.ipv6!));
    const firstNode = ok("nodes") ? cfg.nodes[0]?.name : undefined;
    if (ok("networks")) {
        for (const h of all) {
            const n = nets.get(h.network);
            if (!n && brokenNets.has(h.network)) {
                continue;
            }
            if (!n) {
                add(`${h.path}.network`, `unknown network '${h.network}': use one of ${[...nets.keys()].join(", ")}`);
                continue;
            }
            if (h.address === undefined) {
                // An IPv6-only container (the schema lets only containers omit it, and reports the others).
                if (h.ipv6 === undefined && h.path.startsWith("homelab:containers")) {
                    add(`${h.path}.address`, "a guest needs an address: give `address` (IPv4), or `ipv6` on a network with ipv6 for an IPv6-only container");
                }
            } else {
                const problem = hostAddressProblem(h.address, { cidr: n.cidr, text: n.net.cidr, name: `network '${h.network}'`, gateway: n.net.gateway });
                if (problem !== undefined) {
                    add(`${h.path}.address`, problem);
                }
            }
            const records = hostRecordTypes(h.dns ?? false, h);
            if (records.problem) {
                add(`${h.path}.dns`, records.problem);
            }
            if (h.ipv6 !== undefined) {
                if (!n.v6) {
                    add(`${h.path}.ipv6`, `network '${h.network}' has no ipv6: add ipv6.cidr to it or remove this address`);
                } else if (!contains(n.v6, h.ipv6)) {
                    add(`${h.path}.ipv6`, `${h.ipv6} is not inside ${n.net.ipv6?.cidr} of network '${h.network}': use an address of that network`);
                } else if (isReserved(n.v6, h.ipv6)) {
                    add(`${h.path}.ipv6`, `${h.ipv6} is the subnet-router anycast address of ${n.net.ipv6?.cidr} (network '${h.network}'): use another address`);
                } else if (n.net.ipv6?.gateway !== undefined && v6Key(n.net.ipv6.gateway) === v6Key(h.ipv6)) {
                    add(`${h.path}.ipv6`, `${h.ipv6} is the IPv6 gateway of network '${h.network}': use another address`);
                }
            }
            if (!h.path.startsWith("homelab:nodes") && !n.net.bridge) {
                add(
                    `${h.path}.network`,
                    `network '${h.network}' has no bridge, so no guest can join it: ${bridges.size > 0 ? `set its bridge to one the nodes have (${[...bridges.keys()].join(", ")})` : "give a node a bridge and set it as the network's bridge"}, or choose another network`,
                );
            }
            // A guest's NIC is on a bridge of its own node: another node's bridge does not help it.
            const node = nodeBridges.get(h.node ?? firstNode ?? "");
            const bridge = n.net.bridge;
            if (!h.path.startsWith("homelab:nodes") && node && bridge !== undefined && bridges.has(bridge)) {
                const own = node.bridges.get(bridge);
                const nodeName = h.node ?? firstNode;
                if (!own) {
                    const others = [...nodeBridges].filter(([, b]) => b.bridges.has(bridge)).map(([name]) => name);
                    add(`${h.path}.network`, `network '${h.network}' is on bridge '${bridge}', which node '${nodeName}' does not have: add it to ${node.path}.bridges or place the guest on ${others.join(" or ")}`);
                } else if (n.net.vlan !== undefined && !own.vlanAware && bridges.get(bridge)!.vlanAware) {
                    add(`${h.path}.network`, `network '${h.network}' is VLAN ${n.net.vlan}, but bridge '${bridge}' of node '${nodeName}' is not VLAN-aware: set vlanAware: true at ${own.path}`);
                }
            }
        }
    }
    if (ok("nodes")) {
        for (const g of guests) {
            if (g.node !== undefined && !nodeNames.has(g.node)) {
                add(`${g.path}.node`, `unknown node '${g.node}': use one of ${[...nodeNames].join(", ")}`);
            }
        }
    }
    /** Checks a guest's image (at `guest`.image): defined, of the right kind, and downloaded to the guest's node. */
    const imageRef = (guest: string, ref: string | undefined, kind: "lxc" | "vm", node: string | undefined) => {
        if (ref === undefined || !ok("images")) {
            return;
        }
        const m = images.get(ref);
        const nodeName = node ?? firstNode;
        if (!m) {
            add(`${guest}.image`, `unknown image '${ref}': add it to homelab:images or use one of ${[...images.keys()].join(", ") || "(none defined)"}`);
        } else if (m.kind !== kind) {
            // Changing the image's kind would not make it another kind of file (imageFileProblem).
            const fitting = [...images.values()].filter((x) => x.kind === kind).map((x) => x.name);
            add(`${guest}.image`, `image '${ref}' is kind ${m.kind}, this guest needs kind ${kind}: ${fitting.length ? `use ${fitting.join(" or ")}, or add` : "add"} ${kind === "lxc" ? "an lxc template" : "a vm cloud image"} to homelab:images`);
        } else if (m.nodes !== undefined && nodeName !== undefined && nodeNames.has(nodeName) && !m.nodes.includes(nodeName)) {
            add(`${guest}.node`, `image '${ref}' is downloaded only to ${m.nodes.join(", ")}, not to '${nodeName}': place the guest on ${m.nodes.join(" or ")}, or add '${nodeName}' to homelab:images[${m.index}].nodes`);
        }
    };

    // NAS
    const shares = new Map<string, string[]>();
    if (cfg.nas && ok("nas")) {
        const nas = cfg.nas;
        imageRef("homelab:nas", nas.image, "vm", nas.node);
        if (nas.disks.length < 2) {
            add("homelab:nas.disks", `RAID 1 needs at least two disks, got ${nas.disks.length}: list both /dev/disk/by-id/ paths`);
        }
        issues.push(...duplicates(nas.disks, (d) => d, (_, i) => `homelab:nas.disks[${i}]`, "disk"));
        const serials = new Map<string, number>();
        nas.disks.forEach((d, i) => {
            const part = /-part\d+$/.exec(d);
            if (part) {
                add(`homelab:nas.disks[${i}]`, `is a partition, not a whole disk: drop the '${part[0]}' suffix`);
                return;
            }
            // NasVm names each passed-through disk by the end of its id (diskSerial): the guest
            // finds its array members by that name, so two disks must not share it.
            if (nas.controllerMapping !== undefined || nas.disks.indexOf(d) !== i) {
                return;
            }
            const serial = diskSerial(d);
            const first = serials.get(serial);
            if (serial === "") {
                add(`homelab:nas.disks[${i}]`, "gives no serial for the guest: the id needs letters or digits after its bus prefix (see `ls -l /dev/disk/by-id` on the node)");
            } else if (first !== undefined) {
                add(`homelab:nas.disks[${i}]`, `ends in the same serial '${serial}' as homelab:nas.disks[${first}], so the guest could not tell them apart: list each physical disk once, by one of its ids`);
            } else {
                serials.set(serial, i);
            }
        });
        // The NAS runs a Debian cloud image: Debian's package names.
        for (const p of provisionProblems(nas.provision ?? {}, "debian")) {
            add(`homelab:nas.provision.${p.field}`, p.message);
        }
        issues.push(...duplicates(nas.users, (u) => u.name, (_, i) => `homelab:nas.users[${i}].name`, "user"));
        issues.push(...duplicates(nas.shares, (s) => s.name, (_, i) => `homelab:nas.shares[${i}].name`, "share"));
        const users = new Set(nas.users.map((u) => u.name));
        nas.users.forEach((u, i) => {
            if (!nas.shares.some((s) => s.users.includes(u.name))) {
                add(`homelab:nas.users[${i}].name`, `user '${u.name}' is in no share: add it to a share's users or remove it`);
            }
        });
        nas.shares.forEach((s, i) => {
            shares.set(s.name, s.users);
            s.users.forEach((u, j) => {
                if (!users.has(u)) {
                    add(`homelab:nas.shares[${i}].users[${j}]`, `unknown user '${u}': add it to homelab:nas.users or use one of ${[...users].join(", ")}`);
                }
            });
        });
    }

    // Exports: folders guests serve (ShareServer's own rule), by hostname
    const exporters = new Map<string, { path: string; exports: NonNullable<LabConfig["containers"][number]["exports"]> }>();
    const serving = [
        ...(ok("dockerHosts") ? cfg.dockerHosts.map((h, i) => ({ g: h, path: `homelab:dockerHosts[${i}]`, kind: h.kind })) : []),
        ...(ok("containers") ? cfg.containers.map((c, i) => ({ g: c, path: `homelab:containers[${i}]`, kind: "lxc" as const })) : []),
    ];
    for (const { g, path, kind } of serving) {
        if (g.exports) {
            exporters.set(g.hostname, { path, exports: g.exports });
            const problem = shareServerProblem({ kind, ...g.exports });
            if (problem !== undefined) {
                add(`${path}.exports`, problem);
            }
        }
    }

    // Docker hosts
    const dockerHosts = new Map<string, LabConfig["dockerHosts"][number]>();
    if (ok("dockerHosts")) {
        cfg.dockerHosts.forEach((h, i) => {
            dockerHosts.set(h.hostname, h);
            imageRef(`homelab:dockerHosts[${i}]`, h.image, h.kind, h.node);
            const image = h.kind === "lxc" && ok("images") ? images.get(h.image) : undefined;
            const os = image?.kind === "lxc" ? imageOs(image) : undefined;
            const osProblem = os !== undefined ? dockerHostOsRule(os) : undefined;
            if (osProblem !== undefined) {
                add(`homelab:dockerHosts[${i}].image`, `image '${h.image}': ${osProblem}`);
            }
            // A VM host runs a Debian cloud image; an LXC host one of the distributions above.
            for (const p of provisionProblems(h.provision ?? {}, h.kind === "vm" ? "debian" : os)) {
                add(`homelab:dockerHosts[${i}].provision.${p.field}`, p.message);
            }
            const pool = parseCidr(h.appNetwork);
            if (!pool) {
                add(`homelab:dockerHosts[${i}].appNetwork`, "must be a network address with its host bits zero");
            } else {
                for (const [netName, n] of nets) {
                    if (overlaps(pool, n.cidr)) {
                        add(`homelab:dockerHosts[${i}].appNetwork`, `${h.appNetwork} overlaps network '${netName}' (${n.net.cidr}): choose a private range the lab does not use, e.g. 10.10.10.0/24`);
                    }
                }
                for (const [range, what] of dockerRanges) {
                    if (overlaps(pool, parseCidr(range)!)) {
                        add(`homelab:dockerHosts[${i}].appNetwork`, `${h.appNetwork} overlaps ${range}, ${what}: choose a range outside ${dockerRanges.map(([r]) => r).join(" and ")}, e.g. 10.10.10.0/24`);
                    }
                }
            }
            issues.push(...duplicates(h.mounts, (m) => m.share, (_, j) => `homelab:dockerHosts[${i}].mounts[${j}].share`, "share mount"));
            const mountPaths: { path: string; share: string; j: number }[] = [];
            h.mounts.forEach((m, j) => {
                const at = m.path !== undefined ? `homelab:dockerHosts[${i}].mounts[${j}].path` : `homelab:dockerHosts[${i}].mounts[${j}]`;
                const path = m.path ?? `/mnt/${m.share}`;
                // DockerHost's own rule: mount-shares.sh takes the path as a plain argument.
                if (m.path !== undefined && !/^(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$/.test(m.path)) {
                    add(at, `must be an absolute path of plain names (letters, digits, '.', '_', '-'), with no trailing '/' or '//', e.g. /mnt/${m.share}`);
                } else if (h.mounts.findIndex((o) => o.share === m.share) === j) {
                    for (const o of mountPaths) {
                        if (o.path === path) {
                            add(at, `${path} is also where share '${o.share}' is mounted (homelab:dockerHosts[${i}].mounts[${o.j}]): give each share its own path`);
                        } else if (path.startsWith(`${o.path}/`) || o.path.startsWith(`${path}/`)) {
                            add(at, `${path} and ${o.path} (share '${o.share}', homelab:dockerHosts[${i}].mounts[${o.j}]) are one inside the other: mount shares side by side, e.g. /mnt/${m.share}`);
                        }
                    }
                    mountPaths.push({ path, share: m.share, j });
                }
                if (m.from !== undefined) {
                    mountFromGuest(h, m, `homelab:dockerHosts[${i}].mounts[${j}]`);
                    return;
                }
                if (!ok("nas")) {
                    return;
                }
                if (!cfg.nas) {
                    add(`homelab:dockerHosts[${i}].mounts[${j}].share`, `share '${m.share}' needs a NAS: define homelab:nas with share '${m.share}', or remove the mount`);
                } else if (!shares.has(m.share)) {
                    add(`homelab:dockerHosts[${i}].mounts[${j}].share`, `unknown share '${m.share}': use one of ${[...shares.keys()].join(", ")}`);
                }
            });
        });
    }

    /**
     * A mount of a share a guest serves: the guest serves it, and an NFS share is open to the
     * address that mounts it (the node's, for an LXC host: DockerHost mounts there).
     */
    function mountFromGuest(h: LabConfig["dockerHosts"][number], m: LabConfig["dockerHosts"][number]["mounts"][number], at: string): void {
        const src = exporters.get(m.from!);
        if (m.from === h.hostname) {
            add(`${at}.from`, `'${h.hostname}' would mount a share it serves itself: give its apps the directory as a volume { hostPath: ${src?.exports.root ?? "/srv/shares"}/${m.share}, readOnly: false, path: ... } instead`);
            return;
        }
        if (src === undefined) {
            if (ok("dockerHosts", "containers")) {
                const names = [...exporters.keys()];
                add(`${at}.from`, `'${m.from}' serves no shares: ${names.length > 0 ? `use one of ${names.join(", ")}` : "give a Docker host or container exports"}`);
            }
            return;
        }
        const k = src.exports.nfs.findIndex((s) => s.name === m.share);
        if (k < 0) {
            if (!src.exports.shares.some((s) => s.name === m.share)) {
                add(`${at}.share`, `'${m.from}' serves no share '${m.share}': use one of ${[...src.exports.shares, ...src.exports.nfs].map((s) => s.name).join(", ")}`);
            }
            return;
        }
        if (!ok("nodes")) {
            return;
        }
        const node = cfg.nodes.find((n) => n.name === (h.node ?? cfg.nodes[0].name));
        const mounter = h.kind === "lxc" ? node && { name: node.name, address: node.address, what: `node '${node.name}', which mounts it for LXC host '${h.hostname}'` } : { name: h.hostname, address: h.address, what: `'${h.hostname}'` };
        if (mounter === undefined) {
            return;
        }
        const clients = src.exports.nfs[k].clients;
        const covered = clients.some((c) => {
            const net = c.includes("/") ? parseCidr(c) : undefined;
            return c === mounter.address || c === mounter.name || (net !== undefined && contains(net, mounter.address));
        });
        if (!covered) {
            add(`${at}.share`, `NFS share '${m.share}' of '${m.from}' is not open to ${mounter.what} (${mounter.address}): add ${mounter.address} to ${src.path}.exports.nfs[${k}].clients`);
        }
    }

    if (ok("dockerHosts")) {
        const { cycle } = dockerHostOrder(cfg);
        if (cycle !== undefined) {
            add("homelab:dockerHosts", `the share mounts form a cycle (${cycle.join(" mounts from ")}): each host waits for the other's shares; serve them from one side only`);
        }
    }

    // Containers: template or clone
    if (ok("containers")) {
        const templates = new Set(cfg.containers.filter((c) => c.template).map((c) => c.hostname));
        const byName = new Map(cfg.containers.map((c) => [c.hostname, c]));
        cfg.containers.forEach((c, i) => {
            if ((c.image === undefined) === (c.cloneOf === undefined)) {
                add(`homelab:containers[${i}]`, "set exactly one of image (a template from homelab:images) and cloneOf (a container with template: true)");
            }
            imageRef(`homelab:containers[${i}]`, c.image, "lxc", c.node);
            if (c.provision) {
                // A clone is of its template's distribution.
                const image = ok("images") ? images.get(c.image ?? byName.get(c.cloneOf ?? "")?.image ?? "") : undefined;
                const os = image?.kind === "lxc" ? imageOs(image) : undefined;
                for (const p of provisionProblems(c.provision, os)) {
                    add(`homelab:containers[${i}].provision.${p.field}`, p.message);
                }
                const osProblem = os !== undefined && hasProvisioning(c.provision) ? provisionOsRule(os) : undefined;
                if (osProblem !== undefined) {
                    add(`homelab:containers[${i}].provision`, `image '${image!.name}' is ${os}: ${osProblem}`);
                }
            }
            if (c.cloneOf === undefined) {
                return;
            }
            const source = byName.get(c.cloneOf);
            if (c.cloneOf === c.hostname) {
                add(`homelab:containers[${i}].cloneOf`, "a container cannot clone itself: set image (a template from homelab:images) instead, or name another container with template: true");
            } else if (!templates.has(c.cloneOf) || !source) {
                add(`homelab:containers[${i}].cloneOf`, `'${c.cloneOf}' is not a container with template: true: use one of ${[...templates].join(", ") || "(none defined)"}`);
            } else if (source.cloneOf !== undefined && source.cloneOf !== source.hostname) {
                // One level only: every source is then a template made from an image, and building
                // those first (lab.ts) builds each source before its clones, whatever the config order.
                add(`homelab:containers[${i}].cloneOf`, `'${c.cloneOf}' is itself a clone (of '${source.cloneOf}'): clone a template made from an image instead, such as '${source.cloneOf}'`);
            } else if (ok("nodes") && (c.node ?? firstNode) !== (source.node ?? firstNode)) {
                add(`homelab:containers[${i}].node`, `a clone is made on its template's node: template '${source.hostname}' is on '${source.node ?? firstNode}', so set node: ${source.node ?? firstNode}`);
            }
        });
    }

    // Apps
    // Placement never depends on list order (routes.ts): with several Docker hosts, an app or the
    // proxy without `host` has no default but the proxy's named host.
    const hostnames = ok("dockerHosts") ? (cfg.dockerHosts ?? []).map((h) => h.hostname) : [];
    const hostOf = (h: string | undefined) => h ?? defaultDockerHost(hostnames, ok("proxy") ? cfg.proxy?.host : undefined);
    const noHost = (what: "app" | "proxy") =>
        hostnames.length === 0
            ? `no Docker host to run the ${what} on: add one to homelab:dockerHosts`
            : `with several Docker hosts, the first in the list is no default (a reorder would move the ${what}): set host to one of ${hostnames.join(", ")}${what === "app" ? ", or set homelab:proxy.host, which apps without host follow" : ""}`;
    if (ok("apps")) {
        issues.push(...duplicates(cfg.apps, (a) => a.name, (_, i) => `homelab:apps[${i}].name`, "app name"));
        const routed = cfg.apps.map((a, i) => ({ a, i })).filter(({ a }) => {
            const entry = catalog[a.catalog ?? a.name];
            return a.expose ?? (entry?.port !== undefined || a.port !== undefined);
        });
        issues.push(...duplicates(routed, ({ a }) => a.subdomain ?? a.name, ({ i }) => `homelab:apps[${i}].subdomain`, "subdomain"));
        const dnsNames = new Set(all.filter((h) => h.path.startsWith("homelab:nodes") || h.dns).map((h) => h.hostname));
        for (const { a, i } of routed) {
            const sub = a.subdomain ?? a.name;
            if (dnsNames.has(sub)) {
                add(`homelab:apps[${i}].subdomain`, `'${sub}' is also a guest's DNS name: choose another subdomain`);
            }
        }
        const published = new Map<string, string>();
        cfg.apps.forEach((a, i) => {
            const entryName = a.catalog ?? a.name;
            const entry = catalog[entryName];
            if (!entry) {
                add(`homelab:apps[${i}]${a.catalog ? ".catalog" : ".name"}`, `unknown catalog entry '${entryName}': use one of ${Object.keys(catalog).join(", ")} (generic runs any image)`);
            } else if (entryName === "generic" && !a.image) {
                add(`homelab:apps[${i}].image`, "a generic app needs image: set a pinned image such as nginx:1.27.3");
            }
            entry?.secretEnv?.forEach((key) => {
                const value = a.env[key];
                const path = `homelab:apps[${i}].env.${key}`;
                if (value === undefined) {
                    add(path, `is required by catalog entry '${entryName}' and must be a secret: run \`pulumi config set --secret --path '${path}' <value>\``);
                } else if (!(value instanceof SecretValue)) {
                    add(path, `must be a secret: run \`pulumi config set --secret --path '${path}' <value>\``);
                }
            });
            // Docker's rule for variable names (and NUL in values), at the config's own keys.
            const envAt = (at: string, env: Record<string, unknown>) =>
                Object.entries(env).forEach(([key, value]) => {
                    const problem = envProblem(key, typeof value === "string" ? value : undefined);
                    if (problem) {
                        add(`${at}.${/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key)}`, problem);
                    }
                });
            envAt(`homelab:apps[${i}].env`, a.env);
            a.sidecars?.forEach((sc, k) => envAt(`homelab:apps[${i}].sidecars[${k}].env`, sc.env));
            for (const [field, name] of Object.entries(a.database?.env ?? {})) {
                const problem = envProblem(name, undefined);
                if (problem) {
                    add(`homelab:apps[${i}].database.env.${field}`, problem);
                }
            }
            const fields = appContainerFields(entry ?? {}, a);
            const dbIssue = entry && databaseEngineIssue(entryName, entry, a.database?.engine);
            if (dbIssue) {
                add(`homelab:apps[${i}].database.engine`, dbIssue);
            }
            for (const issue of appFieldIssues(fields, a.ports?.length ?? 0, a.volumes ?? entry?.volumes ?? [], a.sidecars ?? entry?.sidecars ?? [])) {
                add(`homelab:apps[${i}].${issue.field}`, issue.message);
            }
            if (a.expose && fields.networkMode === "host") {
                add(`homelab:apps[${i}].expose`, "an app on the host's network is not on the apps' network, so the proxy cannot reach it: set expose: false");
            }
            if (a.expose && !entry?.port && !a.port) {
                add(`homelab:apps[${i}].port`, "an exposed app needs the container port the proxy forwards to: set port");
            }
            const host = hostOf(a.host);
            if (ok("dockerHosts")) {
                if (host === undefined) {
                    add(`homelab:apps[${i}].host`, noHost("app"));
                } else if (!dockerHosts.has(host)) {
                    add(`homelab:apps[${i}].host`, `unknown Docker host '${host}': use one of ${[...dockerHosts.keys()].join(", ")}`);
                }
            }
            const hostConfig = dockerHosts.get(host ?? "");
            if (hostConfig) {
                const sidecars = (a.sidecars ?? entry?.sidecars ?? []).map((sc, k) => ({ cpus: sc.cpus, at: a.sidecars ? `homelab:apps[${i}].sidecars[${k}].cpus` : `homelab:apps[${i}]` }));
                for (const { cpus, at } of [{ cpus: fields.cpus, at: a.cpus !== undefined ? `homelab:apps[${i}].cpus` : `homelab:apps[${i}]` }, ...sidecars]) {
                    const problem = cpus !== undefined ? cpusProblem(cpus, hostConfig.cores, hostConfig.hostname, ok("nodes") ? cfg.nodes.find((n) => n.name === (hostConfig.node ?? cfg.nodes[0]?.name))?.cores : undefined) : undefined;
                    if (problem) {
                        add(at, problem);
                    }
                }
            }
            const mounted = new Set(hostConfig?.mounts.map((m) => m.share) ?? []);
            /**
             * What is missing for a share volume (after "share 'x' "), with the fix that works: mounting a share the NAS
             * does not have (or with no NAS) would only move the error to the mount.
             */
            const shareProblem = (share: string): string | undefined => {
                if (!ok("dockerHosts") || !dockerHosts.has(host ?? "") || mounted.has(share) || !ok("nas")) {
                    return undefined;
                }
                if (!cfg.nas) {
                    return `needs a NAS, and there is none: define homelab:nas with share '${share}' and mount it on Docker host '${host}', or use a named volume`;
                }
                if (!shares.has(share)) {
                    return `is on no NAS: use one of ${[...shares.keys()].join(", ")}, or add '${share}' to homelab:nas.shares; then mount it on Docker host '${host}' (add { share: ${share} } to its mounts)`;
                }
                return `is not mounted on Docker host '${host}': add { share: ${share} } to its mounts`;
            };
            // Each at the path the user wrote: the app's own volumes, its sidecars', or the catalog entry's.
            const shareVolumes = (volumes: object[], at: (j: number) => string, say: (share: string, problem: string) => string) =>
                volumes.forEach((v, j) => {
                    const share = "share" in v ? String(v.share) : undefined;
                    const problem = share !== undefined ? shareProblem(share) : undefined;
                    if (problem) {
                        add(at(j), say(share!, problem));
                    }
                });
            shareVolumes(a.volumes ?? [], (j) => `homelab:apps[${i}].volumes[${j}].share`, (sh, p) => `share '${sh}' ${p}`);
            (a.sidecars ?? []).forEach((sc, k) => shareVolumes(sc.volumes, (j) => `homelab:apps[${i}].sidecars[${k}].volumes[${j}].share`, (sh, p) => `share '${sh}' ${p}`));
            if (!a.volumes) {
                shareVolumes(entry?.volumes ?? [], () => `homelab:apps[${i}]`, (sh, p) => `catalog entry '${entryName}' uses share '${sh}', which ${p}, or override volumes`);
            }
            (a.ports ?? entry?.ports ?? []).forEach((p, j) => {
                const key = `${host}:${p.host}/${p.protocol ?? "tcp"}`;
                if ((p.host === 80 || p.host === 443) && (p.protocol ?? "tcp") === "tcp") {
                    add(`homelab:apps[${i}].ports[${j}]`, `port ${p.host}/tcp belongs to the reverse proxy: expose the app through its route instead`);
                } else if (published.has(key)) {
                    add(`homelab:apps[${i}].ports[${j}]`, `port ${p.host}/${p.protocol ?? "tcp"} on '${host}' is already published by ${published.get(key)}`);
                } else {
                    published.set(key, `homelab:apps[${i}]`);
                }
            });
        });
        for (const issue of appOrder(cfg.apps.map((a) => ({ ...a, host: hostOf(a.host) }))).issues) {
            add(`homelab:apps[${issue.index}].${issue.field}`, issue.message);
        }
        // Apps on another Docker host than the proxy's are reached on a port of their host (lab.ts):
        // that port must be free there, of the other routes and of the ports apps publish.
        const proxyHost = ok("proxy") && cfg.proxy ? hostOf(cfg.proxy.host) : undefined;
        const remote = routed.filter(({ a }) => proxyHost !== undefined && hostOf(a.host) !== proxyHost && (a.port ?? catalog[a.catalog ?? a.name]?.port) !== undefined);
        const routePorts = new Map<string, string>();
        for (const { a, i } of remote) {
            const host = hostOf(a.host)!;
            const port = a.routePort ?? defaultRoutePort(a.name);
            const how = a.routePort !== undefined ? `route port ${port}` : `its default route port ${port} (derived from its name)`;
            const key = `${host}:${port}/tcp`;
            const other = published.has(key) ? `the ports published by ${published.get(key)}` : routePorts.get(key);
            if (other !== undefined) {
                add(`homelab:apps[${i}].routePort`, `${how} is already used on '${host}' by ${other}: set routePort to a free port`);
            } else {
                routePorts.set(key, `the route of homelab:apps[${i}]`);
            }
        }
        // Only an app with a route can be public: the proxy is the one way in.
        cfg.apps.forEach((a, i) => {
            for (const field of ["publicVia", "access"] as const) {
                if (a[field] !== undefined && !a.public) {
                    // Only an app with a route can be made public (below): otherwise removing is the one fix.
                    add(`homelab:apps[${i}].${field}`, `applies to public apps only: ${routed.some((r) => r.i === i) ? "set public: true, or " : ""}remove ${field}`);
                }
            }
            if (a.public && !routed.some((r) => r.i === i)) {
                add(`homelab:apps[${i}].public`, "a public app is reached through the proxy, but this app has no route: set port (and expose: true), or set public: false");
            }
            if (a.access) {
                for (const issue of accessIssues(a.access)) {
                    add(`homelab:apps[${i}].${issue.field}`, issue.message);
                }
            }
        });
        // CloudflareDns's own rule for an app's records, against the proxy's host (the same one lab.ts uses).
        const proxyGuest = proxyHost !== undefined && ok("dockerHosts") ? cfg.dockerHosts.find((h) => h.hostname === proxyHost) : undefined;
        cfg.apps.forEach((a, i) => {
            if (a.dns === undefined) {
                return;
            }
            if (!routed.some((r) => r.i === i)) {
                add(`homelab:apps[${i}].dns`, "only an app with a route has a name: set port (and expose: true), or remove dns");
                return;
            }
            const problem = proxyGuest && appRecordTypes({ exposure: exposureOf(a), records: appRecordsOf(a) }, { address: proxyGuest.address, ipv6: proxyGuest.ipv6, publicAddress: cfg.proxy?.publicAddress }).problem;
            if (problem) {
                add(`homelab:apps[${i}].dns`, problem);
            }
        });
        const forwarded = routed.filter(({ a }) => exposureOf(a) === "port-forward");
        for (const { i } of forwarded) {
            if (ok("proxy") && cfg.proxy && !cfg.proxy.publicAddress) {
                add(`homelab:apps[${i}].publicVia`, "a port forward needs the address Cloudflare sends to: set homelab:proxy.publicAddress (the router's WAN address forwarding 443 to the proxy), or use publicVia: tunnel");
            }
        }
        // CloudflareDns's own rule, checked before anything is registered.
        const publicAddress = ok("proxy") ? cfg.proxy?.publicAddress : undefined;
        if (forwarded.length > 0 && publicAddress !== undefined && isNonRoutable(publicAddress)) {
            add("homelab:proxy.publicAddress", `${publicAddress} is a private address, which Cloudflare cannot proxy to (port-forwarded apps: ${forwarded.map(({ a }) => a.name).join(", ")}): set the router's public WAN address (forwarding 443 to the proxy), or use publicVia: tunnel on those apps`);
        }
        if (routed.length > 0 && ok("proxy") && !cfg.proxy) {
            add(
                "homelab:proxy",
                `apps ${routed.map(({ a }) => a.name).join(", ")} are exposed but there is no proxy: add homelab:proxy${ok("cloudflare") && !cfg.cloudflare ? " and homelab:cloudflare (the proxy gets its certificates through it)" : ""} (or set expose: false on them)`,
            );
        }
    }

    // Proxy and DNS
    if (cfg.proxy && ok("proxy", "dockerHosts")) {
        const host = hostOf(cfg.proxy.host);
        if (host === undefined || !dockerHosts.has(host)) {
            add("homelab:proxy.host", host === undefined ? noHost("proxy") : `unknown Docker host '${host}': use one of ${[...dockerHosts.keys()].join(", ")}`);
        }
        if (ok("cloudflare") && !cfg.cloudflare) {
            add("homelab:cloudflare", "the proxy gets its certificates by DNS-01 through Cloudflare: add homelab:cloudflare");
        }
        if (ok("networks")) {
            cfg.proxy.allowFrom?.forEach((n, i) => {
                if (!brokenNets.has(n) && !nets.has(n)) {
                    add(`homelab:proxy.allowFrom[${i}]`, `unknown network '${n}': use one of ${[...nets.keys()].join(", ")}`);
                }
            });
        }
    }

    if (cfg.cloudflare && ok("cloudflare")) {
        // CloudflareDns's own rule.
        const problem = ttlProblem(cfg.cloudflare.ttl);
        if (problem !== undefined) {
            add("homelab:cloudflare.ttl", `${problem}: use 1, or a value such as 300`);
        }
    }

    // Backups
    if (cfg.backup && ok("backup")) {
        const t = cfg.backup.target;
        if ("share" in t && ok("nas")) {
            if (!cfg.nas) {
                add("homelab:backup.target.share", `a share target needs a NAS: define homelab:nas with share '${t.share}' and user '${t.user}' on it, or use { storage: <id> }`);
            } else if (!shares.has(t.share)) {
                add("homelab:backup.target.share", `unknown share '${t.share}': use one of ${[...shares.keys()].join(", ")}`);
            } else if (!cfg.nas.users.some((u) => u.name === t.user)) {
                add(
                    "homelab:backup.target.user",
                    `unknown user '${t.user}': use one of ${shares.get(t.share)!.join(", ")} (the users of share '${t.share}'), or add it to homelab:nas.users and to that share's users`,
                );
            } else if (!shares.get(t.share)!.includes(t.user)) {
                add("homelab:backup.target.user", `user '${t.user}' may not use share '${t.share}': add it to that share's users`);
            }
        }
        const names = new Set(guests.map((g) => g.hostname));
        cfg.backup.exclude?.forEach((h, i) => {
            if (ok("nas", "dockerHosts", "containers") && !names.has(h)) {
                add(`homelab:backup.exclude[${i}]`, `unknown guest '${h}': use one of ${[...names].join(", ")}`);
            }
        });
    }

    // Firewall: what the rules mean is the Firewall component's own rule (planFirewall).
    if (cfg.firewall && ok("firewall", "networks", "nodes", "nas", "dockerHosts", "containers") && brokenNets.size === 0) {
        const fw = cfg.firewall;
        const args = firewallArgs(cfg);
        const plan = planFirewall("firewall", args);
        for (const p of plan.problems) {
            add(`homelab:firewall.rules[${p.rule}].${p.field}`, p.message);
        }
        if (fw.enabled && fw.rules.length > 0 && fw.inputPolicy === undefined) {
            add(
                "homelab:firewall.inputPolicy",
                "say what reaches a guest the rules protect when no rule matches: `inputPolicy: DROP` (only what rules accept gets in) or `inputPolicy: ACCEPT` (only what DROP/REJECT rules name is stopped)",
            );
        }
        for (const host of Object.keys(fw.policies)) {
            if (!plan.rules.has(host)) {
                const known = [...plan.rules.keys()];
                add(`homelab:firewall.policies.${host}`, `'${host}' is not a guest the rules protect, so it has no firewall policy to set: use one of ${known.join(", ") || "(none: no rule covers a guest)"}`);
            }
        }
    }
    // Node capacity: a guest that cannot fit its node at all (the total is the plan's warning).
    if (ok("nodes")) {
        for (const g of sizedGuests(cfg, ok)) {
            const node = cfg.nodes.find((n) => n.name === (g.node ?? cfg.nodes[0]?.name));
            for (const p of node ? guestFitProblems(node, g) : []) {
                add(`${g.path}.${p.field}`, p.message);
            }
        }
    }
    // Storage: only where a node declares its storages (see storage.ts for what each can hold)
    if (ok("nodes")) {
        issues.push(...storageIssues(cfg, ok));
    }
    if (ok("nodes", "haGroups", "haRules", "containers", "dockerHosts")) {
        issues.push(...haIssues(cfg));
    }
    return issues;
}

/** The guests that ask their node for cores and memory (of the keys that parsed), with their config paths. */
function sizedGuests(cfg: Partial<LabConfig>, ok: (...keys: string[]) => boolean): (GuestSize & { path: string; node?: string; template: boolean })[] {
    return [
        ...(cfg.nas && ok("nas") ? [{ ...cfg.nas, path: "homelab:nas", template: false }] : []),
        ...(ok("dockerHosts") ? (cfg.dockerHosts ?? []).map((h, i) => ({ ...h, path: `homelab:dockerHosts[${i}]`, template: false })) : []),
        ...(ok("containers") ? (cfg.containers ?? []).map((c, i) => ({ ...c, path: `homelab:containers[${i}]` })) : []),
    ];
}

/**
 * The plan's capacity warnings: each node whose running guests (templates never run) ask more
 * cores or memory in total than the node gives (nodeLoad, beside ProxmoxHost).
 */
export function capacityWarnings(cfg: LabConfig): string[] {
    const guests = sizedGuests(cfg, () => true).filter((g) => !g.template);
    return cfg.nodes.flatMap((n) => nodeLoad(n, guests.filter((g) => (g.node ?? cfg.nodes[0]?.name) === n.name)).warnings);
}

/** HA on a cluster: known groups, rules and nodes, a guest inside its restricted group or strict rule, and disks that can follow it. */
function haIssues(cfg: LabConfig): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const add = (path: string, message: string) => issues.push({ path, message });
    const nodeNames = cfg.nodes.map((n) => n.name);
    issues.push(...duplicates(cfg.haGroups, (g) => g.name, (_, i) => `homelab:haGroups[${i}].name`, "HA group"));
    issues.push(...duplicates(cfg.haRules, (r) => r.name, (_, i) => `homelab:haRules[${i}].name`, "HA rule"));
    if (cfg.haGroups.length > 0 && cfg.haRules.length > 0) {
        add("homelab:haRules", "HA groups are Proxmox VE 8's and HA rules Proxmox VE 9's (which has no groups): keep homelab:haGroups on VE 8 or homelab:haRules on VE 9, not both");
    }
    const jobs = replicationJobNumberProblem(nodeNames);
    if (jobs !== undefined) {
        add("homelab:nodes", jobs);
    }
    const unknownNodes = (nodes: string[], at: string) =>
        nodes.forEach((n, j) => {
            if (!nodeNames.includes(n)) {
                add(`${at}.nodes[${j}]`, `unknown node '${n}': use one of ${nodeNames.join(", ")}`);
            }
        });
    cfg.haGroups.forEach((g, i) => unknownNodes(g.nodes, `homelab:haGroups[${i}]`));
    const guests = [
        ...cfg.containers.map((c, i) => ({ g: c, path: `homelab:containers[${i}]`, template: c.template })),
        ...cfg.dockerHosts.map((h, i) => ({ g: h, path: `homelab:dockerHosts[${i}]`, template: false })),
    ];
    const haGuests = guests.filter(({ g, template }) => g.ha && !template).map(({ g }) => g.hostname);
    cfg.haRules.forEach((r, i) => {
        if (r.type === "node-affinity") {
            unknownNodes(r.nodes, `homelab:haRules[${i}]`);
            return;
        }
        r.guests.forEach((h, j) => {
            if (!haGuests.includes(h)) {
                add(`homelab:haRules[${i}].guests[${j}]`, `'${h}' is not a highly available guest (a rule only places guests HA manages): give it ha, or use one of ${haGuests.join(", ") || "(none)"}`);
            }
        });
        issues.push(...duplicates(r.guests, (h) => h, (_, j) => `homelab:haRules[${i}].guests[${j}]`, "guest"));
    });
    const nodeRules = cfg.haRules.filter((r) => r.type === "node-affinity").map((r) => r.name);
    for (const { g, path, template } of guests) {
        if (!g.ha) {
            continue;
        }
        const placement = haPlacement(cfg, g.node, g.ha);
        const within = g.ha.group !== undefined ? `HA group '${g.ha.group}' is restricted` : `HA rule '${g.ha.rule}' is strict`;
        if (cfg.nodes.length < 2) {
            add(`${path}.ha`, "HA needs a cluster of at least two nodes: add the other nodes to homelab:nodes, or remove ha");
        } else if (template) {
            add(`${path}.ha`, "a template never runs, so it cannot be highly available: remove ha (its clones may have it)");
        } else if (g.ha.group !== undefined && g.ha.rule !== undefined) {
            add(`${path}.ha`, "set group (Proxmox VE 8) or rule (Proxmox VE 9), not both");
        } else if (g.ha.group !== undefined && !cfg.haGroups.some((x) => x.name === g.ha!.group)) {
            add(`${path}.ha.group`, `unknown HA group '${g.ha.group}': add it to homelab:haGroups or use one of ${cfg.haGroups.map((x) => x.name).join(", ") || "(none defined)"}`);
        } else if (g.ha.rule !== undefined && !nodeRules.includes(g.ha.rule)) {
            add(`${path}.ha.rule`, `'${g.ha.rule}' is not a node-affinity rule: add it to homelab:haRules (type: node-affinity) or use one of ${nodeRules.join(", ") || "(none defined)"}`);
        } else if (placement.outsideGroup) {
            add(`${path}.node`, `${within} to ${placement.runsOn.map((n) => n.node).join(", ")}: place the guest on one of them`);
        } else if (placement.storage === undefined) {
            add(`${path}.ha`, `HA needs to know where the guest's disks are: declare the storages of node '${placement.node}' (its diskStorage '${placement.diskStorage}' among them)`);
        } else {
            const r = haReplication(placement.node, placement.storage, placement.runsOn);
            if ("problem" in r) {
                add(`${path}.ha`, r.problem);
            }
        }
    }
    return issues;
}

/** The storage rules: declared storages are consistent, and every guest, image and backup fits the storage it lands on. */
function storageIssues(cfg: LabConfig, ok: (...keys: string[]) => boolean): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const add = (path: string, message: string) => issues.push({ path, message });
    /** A declared storage of a node, with the config path that names it. */
    const storageOf = (nodeName: string | undefined, id: string) => {
        const i = cfg.nodes.findIndex((n) => n.name === (nodeName ?? cfg.nodes[0]?.name));
        const s = cfg.nodes[i]?.storages?.find((x) => x.id === id);
        return s && { s, node: cfg.nodes[i].name };
    };
    cfg.nodes.forEach((n, i) => {
        if (n.storages === undefined) {
            return;
        }
        issues.push(...duplicates(n.storages, (s) => s.id, (_, j) => `homelab:nodes[${i}].storages[${j}].id`, "storage id"));
        n.storages.forEach((s, j) =>
            s.content.forEach((c, k) => {
                const problem = contentProblem(s, c);
                if (problem) {
                    add(`homelab:nodes[${i}].storages[${j}].content[${k}]`, problem);
                }
            }),
        );
        for (const field of ["diskStorage", "fileStorage"] as const) {
            if (!n.storages.some((s) => s.id === n[field])) {
                add(`homelab:nodes[${i}].${field}`, `'${n[field]}' is not among this node's storages: declare it in homelab:nodes[${i}].storages or use one of ${n.storages.map((s) => s.id).join(", ")}`);
            }
        }
    });
    /** Checks the storage `id` of `node` (when declared) for `use`, reporting at `path`. */
    const check = (path: string, node: string | undefined, id: string, use: StorageUse) => {
        const found = storageOf(node, id);
        const problem = found && storageProblem(found.s, use);
        if (problem) {
            add(path, `on node '${found.node}': ${problem}`);
        }
    };
    const nodeOf = (name: string | undefined) => cfg.nodes.find((n) => n.name === (name ?? cfg.nodes[0]?.name));
    if (ok("images")) {
        cfg.images.forEach((m, i) => {
            const content = m.kind === "lxc" ? "vztmpl" : "iso";
            for (const n of cfg.nodes.filter((x) => !m.nodes || m.nodes.includes(x.name))) {
                check(`homelab:images[${i}]`, n.name, n.fileStorage, { kind: "content", content, what: `downloading ${m.kind} image '${m.name}'` });
            }
        });
    }
    if (cfg.nas && ok("nas")) {
        const n = nodeOf(cfg.nas.node);
        if (n) {
            check("homelab:nas", n.name, n.diskStorage, { kind: "content", content: "images", what: "the NAS VM's disks" });
            check("homelab:nas", n.name, n.fileStorage, { kind: "content", content: "snippets", what: "the NAS VM's cloud-init user data" });
        }
    }
    if (ok("dockerHosts")) {
        cfg.dockerHosts.forEach((h, i) => {
            const n = nodeOf(h.node);
            if (n) {
                const use = h.kind === "lxc" ? ({ content: "rootdir", what: "a container's root disk" } as const) : ({ content: "images", what: "a VM's disk" } as const);
                check(`homelab:dockerHosts[${i}]`, n.name, n.diskStorage, { kind: "content", ...use });
            }
        });
    }
    if (ok("containers")) {
        cfg.containers.forEach((c, i) => {
            const n = nodeOf(c.node);
            if (n) {
                check(`homelab:containers[${i}]`, n.name, n.diskStorage, { kind: "content", content: "rootdir", what: "a container's root disk" });
                if (c.template) {
                    check(`homelab:containers[${i}].template`, n.name, n.diskStorage, { kind: "template" });
                }
            }
        });
    }
    if (cfg.backup && ok("backup", "dockerHosts", "containers")) {
        const b = cfg.backup;
        if ("storage" in b.target) {
            for (const n of cfg.nodes) {
                check("homelab:backup.target.storage", n.name, b.target.storage, { kind: "content", content: "backup", what: "the nightly backups" });
            }
        }
        if (cfg.nas && ok("nas")) {
            check("homelab:backup.nasStorage", cfg.nas.node, b.nasStorage, { kind: "content", content: "backup", what: "the NAS VM's own backup" });
        }
        if (b.mode === "snapshot") {
            const excluded = new Set(b.exclude ?? []);
            const lxcs = [...cfg.dockerHosts.filter((h) => h.kind === "lxc"), ...cfg.containers.filter((c) => !c.template)].filter((g) => !excluded.has(g.hostname));
            const reported = new Set<string>();
            for (const g of lxcs) {
                const n = nodeOf(g.node);
                const key = `${n?.name}/${n?.diskStorage}`;
                if (n && !reported.has(key)) {
                    reported.add(key);
                    check("homelab:backup.mode", n.name, n.diskStorage, { kind: "snapshotBackup" });
                }
            }
        }
    }
    return issues;
}
