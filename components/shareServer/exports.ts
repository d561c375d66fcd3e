/**
 * /etc/exports.d/homelab.exports of a guest that serves NFSv4: one line per share, open only to
 * the clients it lists, every client's user squashed to the share's owner. `nfs.sh` installs the
 * result after the kernel's `exportfs` accepts it (see its header).
 */
import { isIP } from "net";

/** One NFS export. */
export interface NfsExport {
    /** Absolute path of the exported directory, e.g. `/srv/shares/media`. Plain names only. */
    path: string;
    /**
     * The only hosts that may mount it: IPv4 or IPv6 addresses, networks in CIDR notation
     * (`192.168.1.0/24`, `2001:db8::/64`) or host names. At least one; never `*`.
     */
    clients: string[];
    /** Mount read-only. Defaults to false. */
    readOnly?: boolean;
    /** The user every client's access is squashed to (and the owner of the directory). Defaults to 1000. */
    uid?: number;
    /** The group every client's access is squashed to. Defaults to `uid`. */
    gid?: number;
}

const hostName = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * Why exportfs would not take `client` as one allowed client (undefined when it would): an
 * address, a network with its prefix (host bits zero) or a host name. Wildcards and netgroups are
 * refused: a share is open to the hosts named, never to "everyone". The one rule: renderExports
 * and config validation both call it.
 */
export function nfsClientProblem(client: string): string | undefined {
    if (client === "*" || client.includes("*") || client.includes("?") || client.startsWith("@")) {
        return `'${client}' is a wildcard or netgroup: list the clients by address, network (CIDR) or host name, so that the share is open to them only`;
    }
    const [addr, prefix, ...rest] = client.split("/");
    const family = isIP(addr);
    if (family !== 0) {
        if (rest.length > 0 || (prefix !== undefined && !/^\d{1,3}$/.test(prefix))) {
            return `'${client}' is not an address or a network such as 192.168.1.0/24`;
        }
        const max = family === 4 ? 32 : 128;
        if (prefix !== undefined && Number(prefix) > max) {
            return `'${client}' has a prefix longer than ${max}`;
        }
        if (prefix !== undefined && !hostBitsZero(addr, Number(prefix), family)) {
            return `'${client}' has host bits set: write the network address, such as ${family === 4 ? "192.168.1.0/24" : "2001:db8::/64"}`;
        }
        return undefined;
    }
    if (prefix === undefined && hostName.test(client)) {
        return undefined;
    }
    return `'${client}' is not an address, a network (CIDR) or a host name`;
}

/** True when every bit of `addr` past `prefix` is zero. */
function hostBitsZero(addr: string, prefix: number, family: number): boolean {
    let bits: string;
    if (family === 4) {
        bits = addr
            .split(".")
            .map((o) => Number(o).toString(2).padStart(8, "0"))
            .join("");
    } else {
        const [head, tail = ""] = addr.split("::");
        const groups = (s: string) => (s === "" ? [] : s.split(":"));
        const h = groups(head);
        const t = groups(tail);
        const all = addr.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
        bits = all.map((g) => parseInt(g, 16).toString(2).padStart(16, "0")).join("");
    }
    return !bits.slice(prefix).includes("1");
}

/**
 * Why `path` cannot be exported (undefined when it can): an absolute path of plain names
 * (the exports file and nfs.sh take it unquoted), not `/` or a directory of the system itself.
 */
export function exportPathProblem(path: string): string | undefined {
    if (!/^(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$/.test(path)) {
        return "must be an absolute path of plain names (letters, digits, '.', '_', '-'), without a trailing '/', such as /srv/shares";
    }
    if (["/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/root", "/run", "/sbin", "/sys", "/usr", "/var"].some((d) => path === d || path.startsWith(`${d}/`))) {
        return `${path} is in the guest's own system: export a directory of its own, such as /srv/shares`;
    }
    return undefined;
}

/** Why `id` cannot own an export (undefined when it can): a user or group id from 1 to 65533 (not root, not nobody). */
export function exportIdProblem(id: number): string | undefined {
    return Number.isInteger(id) && id >= 1 && id <= 65533 ? undefined : `${id} must be a user or group id from 1 to 65533: root (0) would let every client act as root`;
}

/** Formats one client for the exports file: IPv6 addresses and networks go in brackets. */
function clientSpec(client: string): string {
    const [addr, prefix] = client.split("/");
    return isIP(addr) === 6 ? `[${addr}]${prefix !== undefined ? `/${prefix}` : ""}` : client;
}

/** Renders the complete exports file for `exports`. Throws on anything exportfs would misread or that would open a share too wide. */
export function renderExports(exports: NfsExport[]): string {
    if (exports.length === 0) {
        throw new Error("renderExports: at least one export is required");
    }
    const seen = new Set<string>();
    const lines = ["# Written by homelab (components/shareServer/exports.ts); changes here are overwritten."];
    for (const e of exports) {
        const pathProblem = exportPathProblem(e.path);
        if (pathProblem !== undefined) {
            throw new Error(`export ${e.path}: path ${pathProblem}`);
        }
        if (seen.has(e.path)) {
            throw new Error(`export ${e.path} is listed twice`);
        }
        seen.add(e.path);
        if (e.clients.length === 0) {
            throw new Error(`export ${e.path} has no clients: list the hosts or networks that may mount it`);
        }
        for (const c of e.clients) {
            const p = nfsClientProblem(c);
            if (p !== undefined) {
                throw new Error(`export ${e.path}: client ${p}`);
            }
        }
        const uid = e.uid ?? 1000;
        const gid = e.gid ?? uid;
        for (const id of [uid, gid]) {
            const p = exportIdProblem(id);
            if (p !== undefined) {
                throw new Error(`export ${e.path}: owner ${p}`);
            }
        }
        // sync: a write is on disk when the client is told so. no_subtree_check: the export is a
        // whole directory tree, and subtree checks break renamed open files. all_squash with the
        // owner's ids: NFS (sec=sys) trusts whatever user id a client claims, so every client
        // acts as the share's owner and nobody, root included, as anyone else.
        const options = [e.readOnly ? "ro" : "rw", "sync", "no_subtree_check", "all_squash", `anonuid=${uid}`, `anongid=${gid}`].join(",");
        lines.push(`${e.path} ${e.clients.map((c) => `${clientSpec(c)}(${options})`).join(" ")}`);
    }
    return lines.join("\n") + "\n";
}
