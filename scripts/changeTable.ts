// The change table: for each kind of change a user makes to a running lab's config, what the plan
// would do: resources added and removed, inputs changed, and which resources the provider would
// replace (from the provider-truth rows in test/providerTruth.ts). Used by the change-table test
// and printed by the bench.
import { CapturedResource, providerUrn } from "./capture";
import { rowFor } from "../test/providerTruth";

/** A stack file's config map (`homelab:<key>` to its value), changed in place by a scenario. */
export type StackConfig = Record<string, unknown>;

type Obj = Record<string, unknown>;
const list = (c: StackConfig, key: string) => c[`homelab:${key}`] as Obj[];
const find = (c: StackConfig, key: string, field: string, value: string) => list(c, key).find((x) => x[field] === value)!;
const reverseAll = (v: unknown): unknown =>
    Array.isArray(v) ? [...v].reverse().map(reverseAll) : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reverseAll(x)])) : v;

export interface Scenario {
    what: string;
    change: (c: StackConfig) => void;
    /**
     * Resources (`type::name` without the parent chain) this change may replace because it
     * changes their identity: a data holder not listed here must never be replaced.
     */
    identity?: string[];
}

/** The kinds of change a user makes to the `home` lab. */
export const scenarios: Scenario[] = [
    { what: "reorder every list (and every list inside)", change: (c) => Object.keys(c).forEach((k) => (c[k] = reverseAll(c[k]))) },
    { what: "add an app", change: (c) => list(c, "apps").push({ name: "whoami", catalog: "generic", image: "traefik/whoami:v1.10.3", port: 80 }) },
    { what: "remove an app", change: (c) => (c["homelab:apps"] = list(c, "apps").filter((a) => a.name !== "heimdall")) },
    { what: "rename an app", change: (c) => Object.assign(find(c, "apps", "name", "heimdall"), { name: "dashboard", catalog: "heimdall" }) },
    { what: "change an image tag", change: (c) => Object.assign(find(c, "apps", "name", "heimdall"), { image: "lscr.io/linuxserver/heimdall:2.6.4" }) },
    {
        what: "add a share and mount it",
        change: (c) => {
            (c["homelab:nas"] as { shares: Obj[] }).shares.push({ name: "music", users: ["docker"] });
            (list(c, "dockerHosts")[0].mounts as Obj[]).push({ share: "music" });
        },
    },
    {
        what: "remove a mount (and the app that used it)",
        change: (c) => {
            c["homelab:apps"] = list(c, "apps").filter((a) => a.name !== "rclone");
            list(c, "dockerHosts")[0].mounts = (list(c, "dockerHosts")[0].mounts as Obj[]).filter((m) => m.share !== "backups");
        },
    },
    {
        what: "add a Docker host (apps stay on theirs)",
        change: (c) => list(c, "dockerHosts").push({ hostname: "docker2", vmId: 102, node: "proxmox1", network: "lan", address: "192.168.1.7", cores: 2, memoryMb: 2048, image: "debian-12-lxc" }),
    },
    { what: "Docker host cores and memory", change: (c) => Object.assign(list(c, "dockerHosts")[0], { cores: 4, memoryMb: 8192 }) },
    { what: "Docker host data disk grown", change: (c) => Object.assign(list(c, "dockerHosts")[0], { dataDiskGb: 128 }) },
    { what: "Docker host root disk grown", change: (c) => Object.assign(list(c, "dockerHosts")[0], { rootDiskGb: 16 }) },
    { what: "NAS cores, memory and OS disk", change: (c) => Object.assign(c["homelab:nas"] as Obj, { cores: 4, memoryMb: 4096, osDiskGb: 32 }) },
    { what: "DNS names: the NAS and Docker host names off, an app's subdomain changed", change: (c) => Object.assign(c["homelab:nas"] as Obj, { dns: false }) && Object.assign(list(c, "dockerHosts")[0], { dns: false }) && Object.assign(find(c, "apps", "name", "heimdall"), { subdomain: "home" }) },
    { what: "make an app public", change: (c) => { Object.assign(find(c, "apps", "name", "heimdall"), { public: true }); Object.assign(c["homelab:proxy"] as Obj, { publicAddress: "203.0.113.10" }); } },
    { what: "rotate a password", change: (c) => Object.assign((c["homelab:nas"] as { users: Obj[] }).users[1], { password: { secure: "v1:rotated-smb-docker-password" } }) },
    {
        what: "rotate the admin SSH key pair",
        change: (c) => Object.assign(c["homelab:ssh"] as Obj, { publicKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIRotatedAdminKey admin@new-laptop"], privateKey: { secure: "v1:rotated-ssh-private-key" } }),
    },
    { what: "rotate an app secret", change: (c) => Object.assign(find(c, "apps", "name", "nextcloud").env as Obj, { NEXTCLOUD_ADMIN_PASSWORD: { secure: "v1:rotated" } }) },
    {
        what: "newer template and cloud image builds (re-pinned: new URLs and checksums)",
        change: (c) => {
            const [lxc, vm] = ["debian-12-lxc", "debian-12-cloud"].map((n) => find(c, "images", "name", n));
            Object.assign(lxc, { url: String(lxc.url).replace("12.12-1", "12.13-1"), checksum: `sha512:${"a".repeat(128)}` });
            // The cloud image keeps its fileName: the same volume, downloaded again.
            Object.assign(vm, { url: String(vm.url).replace(/20250210-2019/g, "20250601-2100"), checksum: `sha512:${"b".repeat(128)}` });
        },
    },
    { what: "change the Docker host's vmId (its identity)", change: (c) => Object.assign(list(c, "dockerHosts")[0], { vmId: 111 }), identity: ["ContainerLegacy::docker"] },
];

/** What holds data: losing one of these loses the user's files or databases. */
export function holdsData(r: CapturedResource): boolean {
    return (
        (r.type === "proxmoxve:index/vmLegacy:VmLegacy" && (r.urn.includes("homelab:index:NasVm$") || r.urn.includes("homelab:index:DockerHost$"))) ||
        (r.type === "proxmoxve:index/containerLegacy:ContainerLegacy" && r.urn.includes("homelab:index:DockerHost$")) ||
        r.type === "docker:index/volume:Volume" ||
        (r.type === "docker:index/container:Container" && r.name.endsWith("-db"))
    );
}

/** `type::name`, the readable part of a URN. */
export const shortUrn = (urn: string) => {
    const [type, name] = urn.split("::").slice(-2);
    return `${type.split("$").pop()!.split(":").pop()}::${name}`;
};

/** Leaf paths (`disk.size`, `ports[0].external`) whose values differ between two inputs. */
export function changedPaths(a: unknown, b: unknown, path = ""): string[] {
    if (JSON.stringify(a) === JSON.stringify(b)) {
        return [];
    }
    const isObj = (x: unknown) => x !== null && typeof x === "object";
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
        return a.flatMap((x, i) => changedPaths(x, b[i], `${path}[${i}]`));
    }
    if (isObj(a) && isObj(b) && !Array.isArray(a) && !Array.isArray(b)) {
        const keys = [...new Set([...Object.keys(a as Obj), ...Object.keys(b as Obj)])].sort();
        return keys.flatMap((k) => changedPaths((a as Obj)[k], (b as Obj)[k], path ? `${path}.${k}` : k));
    }
    return [path || "(value)"];
}

const valueAt = (v: unknown, path: string): unknown =>
    path.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== "").reduce<unknown>((x, k) => (x as Obj | undefined)?.[k], v);

export interface ChangeResult {
    added: string[];
    removed: string[];
    /** `type::name`: changed input paths. */
    changed: Record<string, string[]>;
    /** `type::name` the provider would replace, with why. */
    replaced: Record<string, string>;
    /** `type::name`: changed paths of inputs without a provider-truth row (the outcome is unknown). */
    unknown: Record<string, string[]>;
    /** Data holders replaced or removed though the change is not about their identity. */
    dataLost: string[];
    /** Resources whose provider changed (a replacement). */
    providerChanged: string[];
}

/** Compares two captures of the same stack: the plan operations the change would cause. */
export function compare(before: CapturedResource[], after: CapturedResource[], identity: string[] = []): ChangeResult {
    const key = (r: CapturedResource) => r.urn.replace(/^urn:pulumi:[^:]+::/, "");
    const a = new Map(before.map((r) => [key(r), r]));
    const b = new Map(after.map((r) => [key(r), r]));
    const out: ChangeResult = { added: [], removed: [], changed: {}, replaced: {}, unknown: {}, dataLost: [], providerChanged: [] };
    for (const [k, r] of b) {
        if (!a.has(k)) {
            out.added.push(shortUrn(r.urn));
        }
    }
    for (const [k, r] of a) {
        const s = shortUrn(r.urn);
        const next = b.get(k);
        if (!next) {
            out.removed.push(s);
            // A retained resource leaves Pulumi's state but keeps its data.
            if (holdsData(r) && !r.options.retainOnDelete && !identity.includes(s)) {
                out.dataLost.push(`${s} (removed)`);
            }
            continue;
        }
        if (!r.custom) {
            continue;
        }
        const paths = changedPaths(r.inputs, next.inputs);
        const why: string[] = [];
        if (providerUrn(r) !== providerUrn(next)) {
            out.providerChanged.push(s);
            why.push("provider");
        }
        if (paths.length > 0) {
            out.changed[s] = paths;
        }
        const ignored = (p: string) => r.options.ignoreChanges.some((i) => p === i || p.startsWith(`${i}.`) || p.startsWith(`${i}[`));
        for (const p of paths.filter((x) => !ignored(x))) {
            const row = rowFor(r.type, p);
            if (!row) {
                (out.unknown[s] ??= []).push(p);
            } else if (row.replaces === "always" || (row.replaces === "shrink" && Number(valueAt(next.inputs, p)) < Number(valueAt(r.inputs, p)))) {
                why.push(p);
            }
        }
        if (why.length > 0) {
            out.replaced[s] = why.join(", ");
            if (holdsData(r) && !identity.includes(s)) {
                out.dataLost.push(`${s} (replaced: ${why.join(", ")})`);
            }
        }
    }
    return out;
}
