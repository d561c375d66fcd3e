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

/**
 * The shell command that writes `script` to a private temporary file on the host, runs it with
 * bash and `args`, and removes it, exiting with the script's status. A quoted here-document keeps
 * the script byte for byte (no expansion); the delimiter is chosen to not occur in the script.
 */
export function scriptCommand(script: string, args: string[] = []): string {
    let delimiter = "HOMELAB_SCRIPT";
    while (script.includes(delimiter)) {
        delimiter += "_";
    }
    const body = script.endsWith("\n") ? script : `${script}\n`;
    return [
        `f=$(mktemp) && cat > "$f" <<'${delimiter}'`,
        `${body}${delimiter}`,
        `bash "$f"${args.map((a) => ` ${shellQuote(a)}`).join("")}; rc=$?; rm -f "$f"; exit $rc`,
    ].join("\n");
}

/**
 * The shell command, run on a Proxmox node, that runs `script` with bash and `args` inside the LXC
 * guest `vmId` with `pct exec` (the script is one argument of `bash -c`, byte for byte).
 */
export function pctScriptCommand(vmId: number, script: string, args: string[] = []): string {
    return [`pct exec ${vmId} -- bash -c`, shellQuote(script), "homelab-script", ...args.map(shellQuote)].join(" ");
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
    const create = whenKnown({ words: args.args ?? [], vmId: args.inContainer }, ({ words, vmId }) =>
        vmId === undefined ? scriptCommand(script, words) : pctScriptCommand(vmId, script, words),
    );
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
