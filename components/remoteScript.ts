// Runs a script file that ships beside a component on a host over SSH, as one @pulumi/command
// remote.Command. The script's text is part of the command, so editing the file re-runs it; secrets
// travel on stdin, never in the command line (which shows in `ps` and in Pulumi's state).
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { whenKnown } from "./inputs";

/** SSH login on a host whose address is given elsewhere. */
export interface SshLogin {
    /** User. Defaults to root. */
    user?: pulumi.Input<string>;
    /** Private key (OpenSSH format); always stored as a secret. */
    privateKey: pulumi.Input<string>;
    /** SSH port. Defaults to 22. */
    port?: pulumi.Input<number>;
}

/** SSH connection to a host. */
export interface SshConnection extends SshLogin {
    /** Address or name of the host. */
    host: pulumi.Input<string>;
}

/**
 * The `connection` input of a remote.Command: root unless told, and the private key always a
 * secret, so that a key given as a plain string never reaches the state in clear text.
 */
export function commandConnection(c: SshConnection): command.types.input.remote.ConnectionArgs {
    return { host: c.host, user: c.user ?? "root", privateKey: pulumi.secret(c.privateKey), port: c.port };
}

/** Quotes one shell word. */
export function shellQuote(word: string): string {
    return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A quoted here-document delimiter that does not occur in `text`. */
function delimiterFor(text: string, start: string): string {
    let delimiter = start;
    while (text.includes(delimiter)) {
        delimiter += "_";
    }
    return delimiter;
}

/**
 * The shell command that writes `script` to a private temporary file on the host, runs it with
 * bash and `args`, and removes it, exiting with the script's status. A quoted here-document keeps
 * the script byte for byte (no expansion); the delimiter is chosen to not occur in the script.
 * With `config`, that text goes to a second temporary file whose path the script gets as
 * `--config <file>` after `args`.
 */
export function scriptCommand(script: string, args: string[] = [], config?: string): string {
    const doc = (target: string, text: string, start: string) => {
        const delimiter = delimiterFor(text, start);
        return [`${target}=$(mktemp) && cat > "$${target}" <<'${delimiter}'`, `${text.endsWith("\n") ? text : `${text}\n`}${delimiter}`];
    };
    const words = args.map((a) => ` ${shellQuote(a)}`).join("");
    if (config === undefined) {
        return [...doc("f", script, "HOMELAB_SCRIPT"), `bash "$f"${words}; rc=$?; rm -f "$f"; exit $rc`].join("\n");
    }
    return [
        ...doc("f", script, "HOMELAB_SCRIPT"),
        ...doc("c", config, "HOMELAB_CONFIG"),
        `bash "$f"${words} --config "$c"; rc=$?; rm -f "$f" "$c"; exit $rc`,
    ].join("\n");
}

/**
 * The shell command, run on a Proxmox node, that runs `script` with bash and `args` inside the LXC
 * guest `vmId` with `pct exec` (the script is one argument of `bash -c`, byte for byte).
 */
export function pctScriptCommand(vmId: number, script: string, args: string[] = []): string {
    return [`pct exec ${vmId} -- bash -c`, shellQuote(script), "homelab-script", ...args.map(shellQuote)].join(" ");
}

/** `command` run inside LXC container `vmId` by `pct exec` on its node (stdin goes through). */
export function pctExecCommand(vmId: number, command: string): string {
    return `pct exec ${vmId} -- bash -c ${shellQuote(command)}`;
}

export interface RemoteScriptArgs {
    /** SSH login on the host that runs the script. */
    connection: SshConnection;
    /** Absolute path of the script file beside the component. */
    scriptPath: string;
    /** Arguments of the script, each quoted as one shell word. Defaults to none. */
    args?: pulumi.Input<pulumi.Input<string>[]>;
    /** Secret input for the script (passwords), sent on stdin. */
    stdin?: pulumi.Input<string>;
    /** Values whose change must re-run the script (besides the script and its args). */
    triggers?: pulumi.Input<unknown>[];
    /** A file the script reads, shipped along and passed as `--config <file>` after `args`. Defaults to none. */
    config?: pulumi.Input<string>;
    /**
     * Run the script inside this LXC guest (its id) with `pct exec` on the connection's host, a
     * Proxmox node, rather than on that host itself: no login into the guest is needed. Defaults
     * to the host.
     */
    inContainer?: pulumi.Input<number>;
}

/** A remote.Command that runs a shipped script on create and whenever the script, args or stdin change. */
export function remoteScript(name: string, args: RemoteScriptArgs, opts: pulumi.CustomResourceOptions): command.remote.Command {
    const script = fs.readFileSync(args.scriptPath, "utf8");
    const create = whenKnown({ words: args.args ?? [], config: args.config, vmId: args.inContainer }, (v) => {
        if (v.vmId === undefined) {
            return scriptCommand(script, v.words, v.config);
        }
        // A config file must be written inside the guest: the whole command runs there.
        return v.config === undefined ? pctScriptCommand(v.vmId, script, v.words) : pctExecCommand(v.vmId, scriptCommand(script, v.words, v.config));
    });
    return new command.remote.Command(
        name,
        {
            connection: commandConnection(args.connection),
            create,
            // Re-running with the same inputs is how a changed script or config reaches the host;
            // every shipped script is idempotent, so `update` is the same command.
            update: create,
            stdin: args.stdin,
            triggers: args.triggers,
            // The scripts print a status line; keep the output out of the logs when stdin is secret.
            logging: args.stdin === undefined ? "stdoutAndStderr" : "stderr",
        },
        opts,
    );
}
