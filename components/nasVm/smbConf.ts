/**
 * smb.conf of the NAS VM: standalone server, SMB3 only, no guest access, one share per purpose,
 * each share open only to its own users. `samba.sh` installs the result after `testparm` accepts it
 * and backs each share with a group `smb-<share>` on the directory (setgid, mode 2770).
 */

/** One SMB share. */
export interface SmbShare {
    /** Share name as clients see it (`\\nas\<name>`), and the `smb-<name>` group on the host. Letters, digits, `_`, `-`. */
    name: string;
    /** Absolute path of the share's directory on the NAS, under the data array's mount (e.g. `/srv/data/backups`). */
    path: string;
    /** The only users who may connect to this share (Samba user names; at least one). */
    users: string[];
    /** Free text shown to clients browsing the server. Defaults to none. */
    comment?: string;
}

/** Arguments of {@link renderSmbConf}. */
export interface SmbConfArgs {
    /** The shares, in the order they appear in the file. Names must be unique (case-insensitively, as Samba compares them). */
    shares: SmbShare[];
    /** NetBIOS workgroup name shown to Windows clients. Defaults to `WORKGROUP`. */
    workgroup?: string;
    /**
     * Extra `[global]` parameters (e.g. `interfaces`, `smb ports`, the private/lock/state dirs of a
     * test server). A key equal to a default replaces it; the security settings
     * (`server min protocol`, `map to guest`, `restrict anonymous`, `guest ok`) cannot be changed.
     * Defaults to none.
     */
    extraGlobal?: Record<string, string>;
}

/** Settings that make the server what the lab needs; `extraGlobal` may not weaken them. */
const lockedGlobal: [string, string][] = [
    ["server min protocol", "SMB3"],
    ["map to guest", "never"],
    ["restrict anonymous", "2"],
];

const shareName = /^[A-Za-z0-9_-]{1,64}$/;
const paramKey = /^[A-Za-z][A-Za-z0-9 :]*[A-Za-z0-9]$/;

/** Samba treats parameter names case- and space-insensitively ("Map To Guest" = "maptoguest"). */
function normalizeKey(key: string): string {
    return key.toLowerCase().replace(/\s+/g, "");
}

/** Section names Samba gives a meaning of its own (compared case-insensitively). */
const reservedShareNames = ["global", "homes", "printers"];

/**
 * Why Samba cannot serve a share of this name (undefined when it can): 1-64 letters, digits, `_`
 * or `-`, and not a section Samba reserves. The one rule: renderSmbConf and config validation both call it.
 */
export function shareNameProblem(name: string): string | undefined {
    if (!shareName.test(name)) {
        return "must be 1-64 letters, digits, '_' or '-'";
    }
    if (reservedShareNames.includes(name.toLowerCase())) {
        return `'${name}' is a section Samba reserves (${reservedShareNames.join(", ")}): choose another name, such as ${name.toLowerCase()}-share`;
    }
    return undefined;
}

/**
 * Why this text cannot be a share's comment (undefined when it can): smb.conf takes a value on one
 * line, and a line break or other control character would start a new parameter or be cut.
 */
export function shareCommentProblem(comment: string): string | undefined {
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(comment)) {
        return "must be one line of text without control characters: write it on one line (a YAML block scalar `>` or `|` ends in a line break; use `>-`)";
    }
    return undefined;
}

/**
 * Why this is not a Linux user name that useradd and Samba accept (undefined when it is):
 * lower-case letters, digits, `_` and `-`, starting with a letter or `_`, at most 32 characters.
 */
export function linuxUserNameProblem(name: string): string | undefined {
    if (!/^[a-z_][a-z0-9_-]*$/.test(name)) {
        return "must be a Linux user name: lower-case letters, digits, '_' and '-', starting with a letter or '_'";
    }
    if (name.length > 32) {
        return `is ${name.length} characters long; a Linux user name has at most 32: shorten it`;
    }
    return undefined;
}

/** A value goes on one line; a newline would let it start a new parameter or section. */
function assertOneLine(what: string, value: string): void {
    if (/[\r\n]/.test(value)) {
        throw new Error(`${what} must not contain a line break`);
    }
}

/** Renders the complete smb.conf for `args`. Throws on anything Samba would misread. */
export function renderSmbConf(args: SmbConfArgs): string {
    if (args.shares.length === 0) {
        throw new Error("renderSmbConf: at least one share is required");
    }
    const seen = new Set<string>();
    for (const share of args.shares) {
        const nameProblem = shareNameProblem(share.name);
        if (nameProblem !== undefined) {
            throw new Error(`share name "${share.name}" ${nameProblem}`);
        }
        if (seen.has(share.name.toLowerCase())) {
            throw new Error(`share "${share.name}" is defined twice`);
        }
        seen.add(share.name.toLowerCase());
        if (!share.path.startsWith("/") || /[\s"]/.test(share.path)) {
            throw new Error(`share "${share.name}": path must be absolute, without spaces or quotes`);
        }
        if (share.users.length === 0) {
            throw new Error(`share "${share.name}" has no users`);
        }
        for (const user of share.users) {
            const userProblem = linuxUserNameProblem(user);
            if (userProblem !== undefined) {
                throw new Error(`share "${share.name}": user name "${user}" ${userProblem}`);
            }
        }
        const commentProblem = shareCommentProblem(share.comment ?? "");
        if (commentProblem !== undefined) {
            throw new Error(`share "${share.name}": comment ${commentProblem}`);
        }
    }
    const workgroup = args.workgroup ?? "WORKGROUP";
    if (!/^[A-Za-z0-9_-]{1,15}$/.test(workgroup)) {
        throw new Error(`workgroup "${workgroup}" must be 1-15 letters, digits, '_' or '-'`);
    }

    const global = new Map<string, [string, string]>();
    const set = (key: string, value: string) => global.set(normalizeKey(key), [key, value]);
    set("server role", "standalone server");
    set("workgroup", workgroup);
    for (const [key, value] of lockedGlobal) {
        set(key, value);
    }
    // Accounts live in Samba's own database; the Linux users only own files and have no login.
    set("security", "user");
    set("passdb backend", "tdbsam");
    // Windows finds SMB3 servers by name or WS-Discovery; NetBIOS would only add an open port.
    set("disable netbios", "yes");
    set("smb ports", "445");
    // No printers on a NAS: without this, smbd keeps polling a print system that does not exist.
    set("load printers", "no");
    set("printing", "bsd");
    set("printcap name", "/dev/null");
    set("disable spoolss", "yes");
    set("log file", "/var/log/samba/log.%m");
    set("max log size", "1000");
    const locked = new Set([...lockedGlobal.map(([k]) => normalizeKey(k)), normalizeKey("guest ok")]);
    for (const [key, value] of Object.entries(args.extraGlobal ?? {})) {
        if (!paramKey.test(key)) {
            throw new Error(`extraGlobal key "${key}" is not a Samba parameter name`);
        }
        if (locked.has(normalizeKey(key))) {
            throw new Error(`extraGlobal may not override "${key}"`);
        }
        assertOneLine(`extraGlobal "${key}"`, value);
        set(key, value);
    }

    const lines = ["# Written by homelab (components/nasVm/smbConf.ts); changes here are overwritten.", "[global]"];
    for (const [key, value] of global.values()) {
        lines.push(`   ${key} = ${value}`);
    }
    for (const share of args.shares) {
        lines.push("", `[${share.name}]`);
        if (share.comment) {
            lines.push(`   comment = ${share.comment}`);
        }
        lines.push(
            `   path = ${share.path}`,
            `   valid users = ${share.users.join(" ")}`,
            "   guest ok = no",
            "   read only = no",
            "   browseable = yes",
            // Group-writable files and directories: the share's group (inherited through the
            // setgid directory that samba.sh creates) is how several users share one share.
            "   create mask = 0660",
            "   directory mask = 0770",
        );
    }
    return lines.join("\n") + "\n";
}
