// The offline plan: runs the real program (index.ts) under Pulumi's runtime mocks with a stack's
// config file and prints what `pulumi up` would create. Needs no Proxmox, Cloudflare or Pulumi CLI.
//
//   npm run plan                          # stack `home`: Pulumi.home.yaml
//   npm run plan -- --stack NAME          # Pulumi.NAME.yaml
//   npm run plan -- --json                # machine-readable resources
//   npm run plan -- --diagram lab.svg     # the lab drawn from config
//   npm run plan -- --file path/to.yaml   # any stack file (the stack name is taken from --stack)
import * as fs from "fs";
import * as path from "path";
import { capture, CapturedResource, CaptureResult, providerUrn } from "./capture";
import { holdsSecure, markSecrets, namespace, stackFileConfigMap, validateStack } from "../stacks/load";
import { capacityWarnings, ConfigError, holders } from "../stacks/validate";
import { nodeLoad } from "../components/proxmoxHost/capacity";
import { LabConfig } from "../stacks/config";

/** Config map and secret keys that `pulumi up` would hand the program for this stack file. */
export function stackFileConfig(text: string): { config: Record<string, string>; secretKeys: string[] } {
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, value] of Object.entries(stackFileConfigMap(text))) {
        // Pulumi passes plain strings as they are and everything else as JSON.
        config[key] = typeof value === "string" ? value : JSON.stringify(value);
        if (holdsSecure(value)) {
            secretKeys.push(key);
        }
    }
    return { config, secretKeys };
}

/** The program of index.ts as a function, loaded fresh. */
export function loadProgram(): () => Promise<unknown> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("../index") as () => Promise<unknown>;
}

/**
 * The validated lab config of a stack file, as the program will see it. Throws ConfigError;
 * `name` (the file's name) is where a YAML syntax error is reported.
 */
export function stackFileLab(text: string, name?: string): LabConfig {
    const map = stackFileConfigMap(text, name);
    const raw: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(map)) {
        if (key.startsWith(`${namespace}:`)) {
            raw[key.slice(namespace.length + 1)] = value;
        }
    }
    return validateStack(markSecrets(raw, new Set()), Object.keys(map));
}

/** The text of the stack file at `file`. Throws ConfigError when it is no readable file. */
export function readStackFile(file: string): string {
    let stat: fs.Stats;
    try {
        stat = fs.statSync(file);
    } catch {
        throw new ConfigError([{ path: file, message: "no such file: create it, or pass --stack NAME / --file PATH of a stack file" }]);
    }
    if (!stat.isFile()) {
        throw new ConfigError([{ path: file, message: `is ${stat.isDirectory() ? "a directory" : "not a regular file"}, not a stack file: pass --file PATH of a Pulumi.<stack>.yaml` }]);
    }
    try {
        return fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new ConfigError([{ path: file, message: `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): check its permissions` }]);
    }
}

/**
 * Validates a stack file, then runs the program with it under mocks. Rejects with ConfigError
 * (before any resource is registered) when the config is invalid.
 */
export async function planStack(stack: string, file: string): Promise<{ cfg: LabConfig; result: CaptureResult }> {
    const text = readStackFile(file);
    const cfg = stackFileLab(text, path.basename(file));
    const { config, secretKeys } = stackFileConfig(text);
    return { cfg, result: await capture(loadProgram(), { stack, config, secretKeys }) };
}

/** The resources as a tree of `type name` lines, children under their parent. */
export function resourceTree(resources: CapturedResource[]): string {
    const children = new Map<string, CapturedResource[]>();
    for (const r of resources) {
        children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
    }
    const lines: string[] = [];
    const walk = (r: CapturedResource, prefix: string, last: boolean, root: boolean) => {
        const flags = [
            r.options.protect ? "protect" : "",
            r.options.deleteBeforeReplace ? "deleteBeforeReplace" : "",
            r.options.retainOnDelete ? "retainOnDelete" : "",
            r.secretPaths.length > 0 ? `secrets: ${r.secretPaths.join(", ")}` : "",
        ].filter(Boolean);
        lines.push(`${root ? "" : `${prefix}${last ? "└─ " : "├─ "}`}${r.type}  ${r.name}${flags.length ? `  [${flags.join("; ")}]` : ""}`);
        const kids = children.get(r.urn) ?? [];
        kids.forEach((k, i) => walk(k, root ? "" : `${prefix}${last ? "   " : "│  "}`, i === kids.length - 1, false));
    };
    for (const r of children.get("") ?? []) {
        walk(r, "", true, true);
    }
    return lines.join("\n");
}

/** Every network with the addresses used in it: the address plan. */
export function addressPlan(cfg: LabConfig): string {
    const lines: string[] = [];
    const all = holders(cfg);
    for (const n of cfg.networks) {
        const where = [n.bridge ? `bridge ${n.bridge}` : "no bridge", n.vlan !== undefined ? `VLAN ${n.vlan}` : "untagged"].join(", ");
        lines.push(`${n.name}  ${n.cidr}${n.ipv6 ? ` + ${n.ipv6.cidr}` : ""}  (${where})${n.description ? `  ${n.description}` : ""}`);
        const rows: [string, string][] = [];
        if (n.gateway) {
            rows.push([n.gateway, "gateway"]);
        }
        for (const h of all.filter((x) => x.network === n.name)) {
            const what = h.path.startsWith("homelab:nodes")
                ? "Proxmox node"
                : `${h.path.replace(/^homelab:/, "").replace(/\[\d+\]$/, "")} ${h.vmId}${h.node ? ` on ${h.node}` : ""}`;
            // An IPv6-only container is listed by its IPv6 address, after the IPv4 ones.
            rows.push(h.address ? [h.address, `${h.hostname}  (${what})${h.ipv6 ? `  ${h.ipv6}` : ""}`] : [h.ipv6!, `${h.hostname}  (${what}, IPv6 only)`]);
        }
        const key = (a: string) => (a.includes(":") ? 2 ** 32 : a.split(".").reduce((acc, p) => acc * 256 + Number(p), 0));
        rows.sort((a, b) => key(a[0]) - key(b[0]));
        for (const [addr, text] of rows) {
            lines.push(`  ${addr.padEnd(16)}${text}`);
        }
    }
    for (const h of cfg.dockerHosts) {
        lines.push(`${h.hostname}/apps  ${h.appNetwork}  (internal Docker network on ${h.hostname})`);
    }
    return lines.join("\n");
}

/** What each node's guests ask of it, against what the node has (when the config says), and the warnings. */
export function capacitySummary(cfg: LabConfig): string {
    const lines: string[] = [];
    for (const n of cfg.nodes) {
        const guests = [...(cfg.nas ? [cfg.nas] : []), ...cfg.dockerHosts, ...cfg.containers.filter((c) => !c.template)].filter((g) => (g.node ?? cfg.nodes[0].name) === n.name);
        const load = nodeLoad(n, guests);
        const of = (have: number | undefined) => (have !== undefined ? ` of ${have}` : "");
        lines.push(`  ${n.name}  cores ${load.cores}${of(n.cores)}, memory ${load.memoryMb}${of(n.memoryGb !== undefined ? Math.floor(n.memoryGb * 1024) : undefined)} MB  (${guests.length} running guests)`);
    }
    for (const w of capacityWarnings(cfg)) {
        lines.push(`  warning: ${w}`);
    }
    return lines.join("\n");
}

function counts(resources: CapturedResource[]): string {
    const byType = new Map<string, number>();
    for (const r of resources) {
        byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
    }
    const components = resources.filter((r) => !r.custom).length;
    const lines = [`${resources.length} resources: ${components} components (incl. the stack), ${resources.length - components} provider resources`];
    for (const [t, n] of [...byType].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
        lines.push(`  ${String(n).padStart(4)}  ${t}`);
    }
    return lines.join("\n");
}

/** Each protected guest's input policy and rules, as registered: nothing is implied. */
export function firewallSummary(resources: CapturedResource[]): string {
    const options = resources.filter((r) => r.type === "proxmoxve:firewall/optionsLegacy:OptionsLegacy");
    if (options.length === 0) {
        return "  (no guest firewall)";
    }
    const lines: string[] = [];
    for (const o of options) {
        const rules = resources.find((r) => o.dependsOn.includes(r.urn) && r.type === "proxmoxve:firewall/rulesLegacy:RulesLegacy");
        const guest = `${o.inputs.containerId !== undefined ? "CT" : "VM"} ${o.inputs.containerId ?? o.inputs.vmId} on ${o.inputs.nodeName}`;
        lines.push(`  ${o.name}  (${guest})  input policy ${o.inputs.inputPolicy}`);
        for (const r of (rules?.inputs.rules as Record<string, unknown>[] | undefined) ?? []) {
            const what = [r.proto, r.dport].filter((x) => x !== undefined).join("/") || "any";
            lines.push(`    ${String(r.action).padEnd(7)}${String(r.source).padEnd(24)}${what}${r.comment ? `  ${r.comment}` : ""}`);
        }
    }
    return lines.join("\n");
}

/** The human-readable plan. */
export function renderPlan(stack: string, cfg: LabConfig, result: CaptureResult): string {
    const records = result.resources.filter((r) => r.type === "cloudflare:index/dnsRecord:DnsRecord");
    const dns = records.map((r) => `  ${String(r.inputs.name).padEnd(32)}${String(r.inputs.type).padEnd(6)}${String(r.inputs.content)}${r.inputs.proxied ? "  (proxied)" : ""}`);
    const routes = (result.outputs.routes as { url: string; upstream: string }[] | undefined) ?? [];
    return [
        `homelab plan: stack ${stack} (offline, under runtime mocks: nothing was contacted)`,
        "",
        "== Resources",
        resourceTree(result.resources),
        "",
        "== Address plan",
        addressPlan(cfg),
        "",
        "== Capacity",
        capacitySummary(cfg),
        "",
        "== DNS names",
        dns.length ? dns.join("\n") : "  (none)",
        "",
        "== Firewall",
        firewallSummary(result.resources),
        "",
        "== Proxy routes",
        routes.length ? routes.map((r) => `  ${r.url.padEnd(40)}-> ${r.upstream}`).join("\n") : "  (none)",
        "",
        "== Counts",
        counts(result.resources),
    ].join("\n");
}

/** The `--json` form: stable keys, secrets masked. */
export function planJson(stack: string, result: CaptureResult): object {
    return {
        stack,
        resources: result.resources.map((r) => ({
            urn: r.urn,
            type: r.type,
            name: r.name,
            parent: r.parent,
            inputs: r.inputs,
            dependsOn: r.dependsOn,
            // A resource whose provider changes is replaced: the plan shows which one it uses.
            provider: providerUrn(r) ?? "",
            options: r.options,
        })),
        outputs: result.outputs,
    };
}

function parseArgs(argv: string[]): { stack: string; file?: string; json: boolean; diagram?: string } {
    const out: { stack: string; file?: string; json: boolean; diagram?: string } = { stack: "home", json: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            const v = argv[++i];
            if (v === undefined) {
                throw new Error(`${a} needs a value`);
            }
            return v;
        };
        if (a === "--stack") out.stack = value();
        else if (a === "--file") out.file = value();
        else if (a === "--json") out.json = true;
        else if (a === "--diagram") out.diagram = value();
        else throw new Error(`unknown argument '${a}': use --stack NAME, --file PATH, --json, --diagram FILE.svg`);
    }
    return out;
}

async function main(): Promise<number> {
    // The SDK captures a stack trace for every Output; the plan never shows them.
    Error.stackTraceLimit = 0;
    let args;
    try {
        args = parseArgs(process.argv.slice(2));
    } catch (e) {
        process.stderr.write(`plan: ${(e as Error).message}\n`);
        return 2;
    }
    const file = args.file ?? path.join(process.cwd(), `Pulumi.${args.stack}.yaml`);
    if (!fs.existsSync(file)) {
        process.stderr.write(`plan: no stack file ${file}: create it or pass --stack NAME / --file PATH\n`);
        return 2;
    }
    let planned: { cfg: LabConfig; result: CaptureResult };
    try {
        planned = await planStack(args.stack, file);
    } catch (e) {
        if (e instanceof ConfigError) {
            process.stderr.write(`${path.basename(file)}: ${e.message}\n`);
            return 2;
        }
        throw e;
    }
    const { cfg, result } = planned;
    for (const w of capacityWarnings(cfg)) {
        process.stderr.write(`plan: warning: ${w}\n`);
    }
    if (args.diagram) {
        const { renderDiagramSvg } = await import("./diagram");
        fs.writeFileSync(args.diagram, await renderDiagramSvg(cfg));
        process.stderr.write(`plan: diagram written to ${args.diagram}\n`);
    }
    process.stdout.write(args.json ? `${JSON.stringify(planJson(args.stack, result), null, 2)}\n` : `${renderPlan(args.stack, cfg, result)}\n`);
    return 0;
}

/** Runs the plan CLI with process.argv: `npm run plan` (scripts/precompiled.mjs) and tsx call it. */
export function cli(): void {
    // exitCode, not exit(): exit() would cut off output still queued for a pipe.
    main().then(
        (code) => (process.exitCode = code),
        (e) => {
            process.stderr.write(`plan: ${(e as Error).stack ?? e}\n`);
            process.exit(1);
        },
    );
}

if (require.main === module) {
    cli();
}
