// The Lab that the component plugin serves to other languages (components/plugin.ts): the stack
// config as a YAML or JSON document plus its secrets, validated as the stack config is, then the
// same parts as TypeScript's Lab (stacks/lab.ts, createLabParts). Pulumi's component analyzer
// takes no unions, which the config has throughout: a text and a map of secrets is what every
// language can pass. TypeScript programs use stacks/lab.ts's Lab with a typed config, or
// labDocumentConfig to read a document.
import * as pulumi from "@pulumi/pulumi";
import { LabConfig } from "./labConfig";
import { createLabParts, LabRoute } from "./lab";
import { isSecure, parseYamlText } from "./load";
import { SecretValue } from "./secretValue";
import { ConfigError, ConfigIssue, formatPath, validateLab } from "./validate";

/** Args of the Lab served to other languages. */
export interface LabArgs {
    /**
     * The lab's config as a YAML (or JSON) document: the keys of the `homelab:` namespace of a
     * Pulumi.<stack>.yaml without the prefix (`domain`, `proxmox`, `nodes`, `apps`, ...: see the
     * README's config reference), validated with the same rules and messages. A secret is written
     * `{ secret: <name> }` and its value given in `secrets`. Plain text: it decides which resources
     * exist.
     */
    config: string;
    /**
     * The values of the secrets the document names, by name: e.g. `{ nasPassword: <a config
     * secret> }`. Each becomes a Pulumi secret. Checked by the rule of its field when the Lab is
     * made, or once known when it comes from another resource. Defaults to none.
     */
    secrets?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Where a document names a secret: `{ secret: <name> }`. */
function secretName(value: unknown): string | undefined {
    if (value === null || typeof value !== "object" || Array.isArray(value) || Object.keys(value).length !== 1) {
        return undefined;
    }
    const name = (value as { secret?: unknown }).secret;
    return typeof name === "string" ? name : undefined;
}

/**
 * A secret whose value is not known when the Lab is made (an Output of another resource, or of
 * the engine): the rules of its field run once it is. `value` is empty: use `output()`.
 */
class PendingSecret extends SecretValue {
    private readonly rules: ((value: string) => string | undefined)[] = [];

    constructor(
        private readonly path: string,
        private readonly input: pulumi.Output<unknown>,
    ) {
        super("");
    }

    override check(rule: (value: string) => string | undefined): string | undefined {
        this.rules.push(rule);
        return undefined;
    }

    override output(): pulumi.Output<string> {
        return pulumi.secret(
            this.input.apply((v) => {
                const problem = typeof v === "string" ? this.rules.map((rule) => rule(v)).find((p) => p !== undefined) : "is not text";
                if (problem !== undefined) {
                    throw new ConfigError([{ path: this.path, message: `the secret ${problem}: pass another value in the Lab's secrets` }]);
                }
                return v as string;
            }),
        );
    }
}

/** A validation message with the fix a document's author makes (the stack file's is a `pulumi config set`). */
function documentWords(message: string): string {
    return message
        .replace(/run `pulumi config set --secret --path '[^']*' <value>`/g, "write it as `{ secret: <name> }` with its value in the Lab's secrets")
        .replace(/set it again with `pulumi config set --secret[^`]*`/g, "pass another value in the Lab's secrets")
        .replace(/run `pulumi config set --path '[^']*' <value>` \(without --secret\)/g, "write the value itself, not `{ secret: <name> }`")
        .replace(/\(pulumi config set --secret\)/g, "(`{ secret: <name> }`)");
}

/**
 * The document with every `{ secret: <name> }` a SecretValue of `secrets`, and the issues of the
 * names (unknown, or ciphertext where a name belongs).
 */
function withSecrets(document: unknown, secrets: LabArgs["secrets"]): { raw: unknown; issues: ConfigIssue[] } {
    const issues: ConfigIssue[] = [];
    // A plain map is checked now; an Output of the whole map (the engine sends one when the map is secret as a whole) once known.
    const known = secrets === undefined || (typeof secrets === "object" && !pulumi.Output.isInstance(secrets) && !(secrets instanceof Promise)) ? ((secrets ?? {}) as Record<string, pulumi.Input<string>>) : undefined;
    const walk = (value: unknown, at: (string | number)[]): unknown => {
        const path = formatPath(at);
        if (isSecure(value)) {
            issues.push({ path, message: "is ciphertext of a stack file: in a Lab document write the secret as `{ secret: <name> }` with its value in the Lab's secrets" });
            return new PendingSecret(path, pulumi.output(""));
        }
        const name = secretName(value);
        if (name !== undefined) {
            if (known === undefined) {
                const input = pulumi.output(secrets!).apply((all) => {
                    if (!(name in all)) {
                        throw new ConfigError([{ path, message: `names the secret '${name}', which the Lab's secrets do not hold: pass it there` }]);
                    }
                    return all[name];
                });
                return new PendingSecret(path, input);
            }
            if (!Object.prototype.hasOwnProperty.call(known, name)) {
                const held = Object.keys(known);
                issues.push({ path, message: `names the secret '${name}', which the Lab's secrets do not hold: pass it there (they hold ${held.length > 0 ? held.join(", ") : "none"})` });
                return new PendingSecret(path, pulumi.output(""));
            }
            const given = known[name];
            return typeof given === "string" ? new SecretValue(given) : new PendingSecret(path, pulumi.output(given));
        }
        if (Array.isArray(value)) {
            return value.map((v, i) => walk(v, [...at, i]));
        }
        if (value !== null && typeof value === "object") {
            return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...at, k])]));
        }
        return value;
    };
    const raw = document !== null && typeof document === "object" && !Array.isArray(document) ? Object.fromEntries(Object.entries(document).map(([k, v]) => [k, walk(v, [k])])) : document;
    return { raw, issues };
}

/**
 * The validated config of a Lab document (LabArgs): every problem at once, as a ConfigError
 * whose paths are those of the stack file (`homelab:nas.users[0].password`). A secret whose value
 * is not known yet is checked once it is.
 */
export function labDocumentConfig(args: LabArgs): LabConfig {
    const what = "the Lab document";
    if (typeof args.config !== "string") {
        throw new ConfigError([{ path: `${what} (config)`, message: "must be plain text when the Lab is made: it decides which resources exist. Pass a text, and its secrets in secrets" }]);
    }
    const document = parseYamlText(args.config, what);
    if (document === null || typeof document !== "object" || Array.isArray(document)) {
        throw new ConfigError([{ path: what, message: "is not a mapping: it holds the keys of a stack file's homelab: namespace without the prefix (domain, proxmox, nodes, ...)" }]);
    }
    const { raw, issues } = withSecrets(document, args.secrets);
    const words = (all: ConfigIssue[]) => all.map((i) => ({ ...i, message: documentWords(i.message) }));
    let cfg: LabConfig;
    try {
        cfg = validateLab(raw as Record<string, unknown>);
    } catch (e) {
        if (e instanceof ConfigError) {
            throw new ConfigError(words([...issues, ...e.issues]));
        }
        throw e;
    }
    if (issues.length > 0) {
        throw new ConfigError(words(issues));
    }
    return cfg;
}

/**
 * A whole homelab from one config document: the Proxmox hosts, the NAS, the Docker hosts and their
 * apps, plain containers, the reverse proxy, Cloudflare DNS, the firewall and the backups. The
 * same component and resources as TypeScript's `new Lab(name, config)`; here the config is a YAML
 * or JSON document with the keys of a stack file's `homelab:` namespace, and its secrets a map.
 * An invalid document is refused, with every problem, before anything is registered.
 */
export class Lab extends pulumi.ComponentResource {
    /** Every proxy route: `https://<app>.<domain>`, the container it reaches, and its exposure. */
    readonly routes: LabRoute[];
    /** The least-privilege Proxmox API token, for tools that need no root (when the config asks for it). */
    readonly guestApiToken?: pulumi.Output<string>;

    constructor(name: string, args: LabArgs, opts?: pulumi.ComponentResourceOptions) {
        const config = labDocumentConfig(args);
        super("homelab:index:Lab", name, {}, opts);
        const parts = createLabParts(this, name, config, false);
        this.routes = parts.routes;
        this.guestApiToken = parts.guestApiToken;
        this.registerOutputs({ routes: this.routes, guestApiToken: this.guestApiToken });
    }
}
