import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { isKnown, whenKnown } from "./inputs";
import { nasScriptPaths, NasShareArgs, NasUserArgs, sambaAccountsProblem, sambaShares, sambaUsersStdin } from "./nasVm";
import { exportPathProblem, NfsExport, renderExports } from "./shareServer/exports";
import { renderSmbConf, shareNameProblem } from "./nasVm/smbConf";
import { remoteScript, SshConnection } from "./remoteScript";

/** The script beside this component that sets up the kernel NFS server and its exports. */
export const nfsScriptPath = path.join(__dirname, "shareServer", "nfs.sh");

/** An NFSv4 share: the directory `<root>/<name>`, exported to the listed clients only. */
export interface NfsShareArgs {
    /** Share name: names its directory and the mounts of it. Plain. */
    name: string;
    /**
     * The only hosts that may mount it: addresses, networks (CIDR) or host names (exports.ts,
     * `nfsClientProblem`). A Docker host in an LXC container mounts through its Proxmox node: list
     * the node. Checked before anything is registered when plain, once known when an Output.
     */
    clients: pulumi.Input<pulumi.Input<string>[]>;
    /** Export it read-only. Defaults to false. */
    readOnly?: pulumi.Input<boolean>;
    /** The user id every client acts as (all_squash), and the directory's owner. Defaults to 1000. */
    uid?: pulumi.Input<number>;
    /** The group id every client acts as. Defaults to `uid`. */
    gid?: pulumi.Input<number>;
}

/** What a guest is: only a VM runs the kernel NFS server. */
export const ShareServerKind = {
    /** A VM: SMB and NFS. */
    vm: "vm",
    /** An LXC container: SMB only (nfsd needs the host's kernel, which a container shares). */
    lxc: "lxc",
} as const;
export type ShareServerKind = (typeof ShareServerKind)[keyof typeof ShareServerKind];

/** Args of a ShareServer. */
export interface ShareServerArgs {
    /** `vm` or `lxc` (see ShareServerKind). Plain: it decides what may be served. */
    kind: ShareServerKind;
    /**
     * How Pulumi runs the set-up as root: an SSH login on the guest itself, or (with
     * `inContainer`) on the Proxmox node of the container.
     */
    connection: SshConnection;
    /** Run the set-up inside this LXC container (its id) with `pct exec` on the node. Defaults to on the guest itself. */
    inContainer?: pulumi.Input<number>;
    /** The guest's address, as clients mount from it. */
    address: pulumi.Input<string>;
    /** Directory of the shares: each is `<root>/<name>`; checked when plain, else once known. Defaults to /srv/shares. */
    root?: pulumi.Input<string>;
    /** Samba users (each in at least one SMB share), as the NAS's. Defaults to none. */
    users?: NasUserArgs[];
    /** SMB shares, with the NAS's per-user rules (as NasVmArgs.shares). Defaults to none. */
    shares?: NasShareArgs[];
    /** NFSv4 shares (a VM only). Defaults to none. */
    nfs?: NfsShareArgs[];
    /**
     * What the set-up waits for: the guest made and set up (e.g. `DockerHost.install`). Explicit,
     * because a component's own `dependsOn` does not reach its children. Defaults to none.
     */
    after?: pulumi.Resource[];
}

/**
 * Folders a guest (a VM or an LXC container) serves to the lab's other hosts: SMB shares with the
 * NAS's own smb.conf, users and rules (samba.sh, renderSmbConf and sambaAccountsProblem are the
 * NAS's), and NFSv4 exports open to listed clients only (nfs.sh and exports.ts beside this file).
 * Hosts mount them as they mount the NAS's shares (DockerHost `mounts`).
 *
 * Nothing is ever deleted: removing a share from the program stops serving it and leaves its
 * directory and files as they are.
 */
export class ShareServer extends pulumi.ComponentResource {
    /** Every share by name: `//<address>/<name>` (SMB) or `<address>:<root>/<name>` (NFS). */
    readonly shares: Record<string, pulumi.Output<string>>;
    /** The directory of each NFS share on the guest, by name. */
    readonly exportPaths: Record<string, pulumi.Input<string>>;
    /** What a mount of each share must wait for, by name: the step that serves it. */
    readonly ready: Record<string, command.remote.Command>;
    /** The Samba set-up, when there are SMB shares. */
    readonly samba?: command.remote.Command;
    /** The NFS set-up, when there are NFS shares. */
    readonly nfs?: command.remote.Command;

    constructor(name: string, args: ShareServerArgs, opts?: pulumi.ComponentResourceOptions) {
        const rootArg = args.root ?? "/srv/shares";
        const users = args.users ?? [];
        const smb = args.shares ?? [];
        const nfs = args.nfs ?? [];
        const rule = (root: string | undefined) => shareServerProblem({ kind: args.kind, root, users, shares: smb, nfs });
        const problem = rule(isKnown(rootArg) ? (rootArg as string) : undefined);
        if (problem !== undefined) {
            throw new Error(`ShareServer ${name}: ${problem}`);
        }
        // A root from an Output: the whole rule again once it is known, where the paths are made.
        const root = whenKnown({ root: rootArg }, (v) => {
            const p = rule(v.root);
            if (p !== undefined) {
                throw new Error(`ShareServer ${name}: ${p}`);
            }
            return v.root;
        });
        const pathOf = (share: string) => whenKnown({ root }, (v) => `${v.root}/${share}`);
        const exportPaths = Object.fromEntries(nfs.map((s) => [s.name, pathOf(s.name)]));
        // Rendered now when every value is plain, so that anything exportfs would misread throws
        // here; the shares whose values are all plain are checked now in any case.
        const exportOf = (s: NfsShareArgs) => ({ path: exportPaths[s.name], clients: s.clients, readOnly: s.readOnly, uid: s.uid, gid: s.gid });
        const knownExports = nfs.map(exportOf).filter(isKnown);
        if (knownExports.length > 0) {
            renderExports(knownExports as NfsExport[]);
        }
        const exportsFile = nfs.length > 0 ? whenKnown({ exports: nfs.map(exportOf) }, (v) => renderExports(v.exports)) : undefined;
        super("homelab:index:ShareServer", name, {}, opts);

        const ready: Record<string, command.remote.Command> = {};
        if (smb.length > 0) {
            const shares = sambaShares(users, smb, (problem) => new Error(`ShareServer ${name}: ${problem}`));
            const smbConf = whenKnown({ comments: smb.map((s) => s.comment), shares, root }, (v) =>
                renderSmbConf({ shares: v.shares.map((s, i) => ({ name: s.name, path: `${v.root}/${s.name}`, users: s.users, comment: v.comments[i] })) }),
            );
            const passwords = pulumi.all([pulumi.all(users.map((u) => pulumi.output(u.password))), shares]);
            this.samba = remoteScript(
                `${name}-samba`,
                {
                    connection: args.connection,
                    inContainer: args.inContainer,
                    scriptPath: nasScriptPaths.samba,
                    config: smbConf,
                    // Passwords only on stdin, and as a secret in state.
                    stdin: pulumi.secret(passwords.apply(([pw, known]) => sambaUsersStdin(users.map((u, i) => ({ name: u.name, password: pw[i] })), known))),
                },
                { parent: this, dependsOn: args.after ?? [] },
            );
            for (const s of smb) {
                ready[s.name] = this.samba;
            }
        }
        if (exportsFile !== undefined) {
            this.nfs = remoteScript(
                `${name}-nfs`,
                {
                    connection: args.connection,
                    scriptPath: nfsScriptPath,
                    args: whenKnown({ ids: nfs.map((s) => ({ uid: s.uid, gid: s.gid })), root }, (v) => nfsScriptArgs(nfs.map((s, i) => ({ name: s.name, ...v.ids[i] })), v.root)),
                    config: exportsFile,
                },
                { parent: this, dependsOn: args.after ?? [] },
            );
            for (const s of nfs) {
                ready[s.name] = this.nfs;
            }
        }
        this.ready = ready;
        this.exportPaths = exportPaths;
        this.shares = Object.fromEntries([
            ...smb.map((s) => [s.name, pulumi.interpolate`//${args.address}/${s.name}`] as const),
            ...nfs.map((s) => [s.name, pulumi.interpolate`${args.address}:${exportPaths[s.name]}`] as const),
        ]);
        this.registerOutputs({ shares: this.shares, exportPaths: this.exportPaths });
    }
}

/** nfs.sh's `--share DIR:UID:GID` arguments (the exports file goes as `--config`). */
export function nfsScriptArgs(nfs: { name: string; uid?: number; gid?: number }[], root: string): string[] {
    return nfs.flatMap((s) => ["--share", `${root}/${s.name}:${s.uid ?? 1000}:${s.gid ?? s.uid ?? 1000}`]);
}

/**
 * The first problem with what a guest would serve (undefined when there is none): a root
 * directory exportfs and smb.conf take, share names Samba takes and no name twice across SMB and
 * NFS (they name one directory each), NFS from a VM only, and the NAS's rules for Samba users and
 * shares. The one rule: ShareServer and config validation both call it.
 */
export function shareServerProblem(a: { kind: ShareServerKind; root: string | undefined; users: { name: string }[]; shares: NasShareArgs[]; nfs: { name: string }[] }): string | undefined {
    // An undefined root is not known yet (an Output): the component checks it again once it is.
    const rootProblem = a.root === undefined ? undefined : exportPathProblem(a.root);
    if (rootProblem !== undefined) {
        return `root ${rootProblem}`;
    }
    if (a.shares.length === 0 && a.nfs.length === 0) {
        return "serves nothing: list at least one SMB share (shares) or NFS share (nfs)";
    }
    const seen = new Set<string>();
    for (const s of [...a.shares, ...a.nfs]) {
        const p = shareNameProblem(s.name);
        if (p !== undefined) {
            return `share name '${s.name}' ${p}`;
        }
        if (seen.has(s.name)) {
            return `share '${s.name}' is listed twice: each share (SMB or NFS) is a directory of its own, ${a.root ?? "<root>"}/${s.name}; give each its own name`;
        }
        seen.add(s.name);
    }
    if (a.nfs.length > 0 && a.kind !== ShareServerKind.vm) {
        return `NFS share '${a.nfs[0].name}' needs a VM: the kernel NFS server does not run in an LXC container; serve it over SMB or from a VM`;
    }
    if (a.shares.length > 0 || a.users.length > 0) {
        return sambaAccountsProblem(a.users, a.shares);
    }
    return undefined;
}
