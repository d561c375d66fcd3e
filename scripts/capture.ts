// Runs a Pulumi program under the SDK's runtime mocks and records every resource registration the
// way the engine would receive it: type, name, parent, inputs (secrets masked and listed),
// dependencies and resource options. The offline plan, the benchmark and the tests all use this.
import * as pulumi from "@pulumi/pulumi";

/** Resource options that matter for safety, as the engine receives them. */
export interface CapturedOptions {
    protect: boolean;
    retainOnDelete: boolean;
    deleteBeforeReplace: boolean;
    ignoreChanges: string[];
}

export interface CapturedResource {
    urn: string;
    type: string;
    name: string;
    /** URN of the parent ("" for the stack itself). */
    parent: string;
    custom: boolean;
    /** Inputs with every secret replaced by "[secret]". */
    inputs: Record<string, unknown>;
    /** Paths (`password`, `connection.privateKey`) of inputs that arrived as secrets. */
    secretPaths: string[];
    /** URNs this resource waits for (explicit dependsOn plus the resources its inputs come from). */
    dependsOn: string[];
    /** Provider reference `urn::id` ("" for the default provider or a component). */
    provider: string;
    options: CapturedOptions;
    /** The URNs this resource was known by before (its aliases, inherited ones included), when CaptureOptions.aliasUrns is set. */
    aliases?: string[];
}

export interface CaptureResult {
    resources: CapturedResource[];
    /** Stack outputs the program returned (secrets masked). */
    outputs: Record<string, unknown>;
}

export interface CaptureOptions {
    project?: string;
    stack: string;
    /** Config map `homelab:key` -> value as Pulumi hands it to a program (objects as JSON text). */
    config: Record<string, string>;
    secretKeys?: string[];
    /** Preview (true, like `pulumi preview`) or update. Defaults to true. */
    preview?: boolean;
    /**
     * Record every resource's aliases as full URNs. The SDK then computes them itself, inherited
     * ones included, as it does for an engine without alias specs (the engine does the same from
     * the specs). Defaults to false.
     */
    aliasUrns?: boolean;
}

/** The URN of the provider a resource uses (its `urn::id` reference), or undefined for the default. */
export function providerUrn(r: CapturedResource): string | undefined {
    return r.provider ? r.provider.slice(0, r.provider.lastIndexOf("::")) : undefined;
}

/** Masks secrets in a deserialized value and collects the paths where they were. */
export function maskSecrets(value: unknown, path: string, secretPaths: string[]): unknown {
    if (pulumi.runtime.isRpcSecret(value)) {
        secretPaths.push(path || "(value)");
        return "[secret]";
    }
    if (Array.isArray(value)) {
        return value.map((v, i) => maskSecrets(v, `${path}[${i}]`, secretPaths));
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v, path ? `${path}.${k}` : k, secretPaths)]));
    }
    return value;
}

interface MonitorRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getObject(): unknown;
    getDependenciesList(): string[];
    getProvider(): string;
    getProtect(): boolean | undefined;
    getRetainondelete(): boolean | undefined;
    getDeletebeforereplace(): boolean;
    getIgnorechangesList(): string[];
    getAliasurnsList(): string[];
}

/**
 * A downloaded file's id as Proxmox gives it, `<storage>:<content>/<file name>` (bpg
 * fwprovider/nodes/resource_download_file.go, Create: the id is the volume id), so that a new
 * build of an image changes the id its guests see, as it does on a real node.
 */
function downloadFileId(inputs: Record<string, unknown>): string {
    const file = (inputs.fileName as string | undefined) ?? String(inputs.url).split("/").pop()!;
    return `${inputs.datastoreId}:${inputs.contentType}/${file}`;
}

/** Mock ids and outputs: each resource's state is its inputs plus a stable id derived from its name (a download's from its volume). */
const mocks: pulumi.runtime.Mocks = {
    newResource: (args) => ({
        id: args.type === "proxmoxve:download/file:File" ? downloadFileId(args.inputs) : `${args.name}-id`,
        // Generated passwords are provider outputs, not inputs: give them a stand-in value.
        state: args.type === "random:index/randomPassword:RandomPassword" ? { ...args.inputs, result: `generated-${args.name}` } : args.inputs,
    }),
    call: (args) => args.inputs,
};

/**
 * Runs `program` (a function that creates resources and may return stack outputs) under mocks with
 * the given config, and returns every registration in order. The SDK keeps one global runtime:
 * calls must not overlap.
 */
export async function capture(program: () => unknown, opts: CaptureOptions): Promise<CaptureResult> {
    const project = opts.project ?? "homelab";
    await pulumi.runtime.setMocks(mocks, project, opts.stack, opts.preview ?? true);
    pulumi.runtime.setAllConfig(opts.config, opts.secretKeys ?? []);
    const resources: CapturedResource[] = [];
    const monitor = pulumi.runtime.getMonitor() as unknown as {
        registerResource(req: MonitorRequest, cb: (err: unknown, res: unknown) => void): void;
        newUrn(parent: string, type: string, name: string): string;
        supportsFeature(req: { getId(): string }, cb: (err: unknown, res: unknown) => void): void;
    };
    const register = monitor.registerResource.bind(monitor);
    if (opts.aliasUrns) {
        // The SDK asks the monitor which features it has when the program starts: without alias
        // specs it computes every alias to a URN itself and sends those.
        const supports = monitor.supportsFeature.bind(monitor);
        monitor.supportsFeature = (req, cb) => (req.getId() === "aliasSpecs" ? cb(null, { getHassupport: () => false }) : supports(req, cb));
    }
    monitor.registerResource = (req, cb) => {
        const secretPaths: string[] = [];
        const raw = pulumi.runtime.deserializeProperties(req.getObject() as never) as Record<string, unknown>;
        resources.push({
            urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
            type: req.getType(),
            name: req.getName(),
            parent: req.getParent(),
            custom: req.getCustom(),
            inputs: maskSecrets(raw, "", secretPaths) as Record<string, unknown>,
            secretPaths,
            dependsOn: [...new Set(req.getDependenciesList())].sort(),
            provider: req.getProvider(),
            options: {
                protect: req.getProtect() ?? false,
                retainOnDelete: req.getRetainondelete() ?? false,
                deleteBeforeReplace: req.getDeletebeforereplace(),
                ignoreChanges: req.getIgnorechangesList(),
            },
            ...(opts.aliasUrns ? { aliases: req.getAliasurnsList() } : {}),
        });
        register(req, cb);
    };
    const outputs: Record<string, unknown> = {};
    let returned: unknown;
    // The stack's own output is unknown as a whole in a preview when any part is; keep each
    // returned value apart instead.
    await pulumi.runtime.runInPulumiStack(async () => (returned = await program()));
    // Not in the SDK's typings, but exported: resolves once every registration has been answered.
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    for (const [k, v] of Object.entries((returned ?? {}) as Record<string, unknown>)) {
        const out = pulumi.output(v) as pulumi.Output<unknown> & { isKnown: Promise<boolean> };
        if (!(await out.isKnown)) {
            outputs[k] = "[unknown]";
        } else if (await pulumi.isSecret(out)) {
            outputs[k] = "[secret]";
        } else {
            outputs[k] = await new Promise((resolve) => out.apply((x) => resolve(x)));
        }
    }
    return { resources, outputs };
}
