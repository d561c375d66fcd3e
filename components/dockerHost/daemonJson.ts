// The Docker daemon's configuration (/etc/docker/daemon.json) and the arguments of
// install-docker.sh, as pure functions. The script renders the same file itself (a Docker host
// has no Node); these functions exist so that the Pulumi side can show the exact file in a
// preview and use it as the trigger that re-runs the script. Both sides apply the same rules with
// the same words, and test/dockerHost.install.test.ts proves they agree byte for byte.

/** What goes into daemon.json. */
export interface DaemonJsonArgs {
    /** The IPv4 range that Docker carves user-defined networks from, e.g. `10.10.10.0/24`. */
    addressPool: string;
    /**
     * Prefix length of each network carved from `addressPool`: between the pool's own prefix
     * (one network) and 30. Defaults to 24, or to the pool's prefix when that is longer.
     */
    poolSize?: number;
    /**
     * Address and prefix of the default bridge `docker0` (daemon.json `bip`). It must lie outside
     * `addressPool`: left unset, Docker gives docker0 the first network of the pool on a fresh
     * host, and a one-network pool then has no room for the apps' network.
     * Defaults to `172.17.0.1/16`, Docker's own choice on an unconfigured host.
     */
    bridgeIp?: string;
    /** Largest size of one container log file before it is rotated (json-file `max-size`). Defaults to `10m`. */
    logMaxSize?: string;
    /** How many rotated log files to keep per container (json-file `max-file`). Defaults to 3. */
    logMaxFile?: number;
    /** Where Docker keeps images, containers and volumes. Defaults to Docker's own `/var/lib/docker`. */
    dataRoot?: string;
}

/** Everything install-docker.sh takes. */
export interface InstallDockerArgs extends DaemonJsonArgs {
    /** A user (who must already exist on the host) to add to the `docker` group. Defaults to none. */
    user?: string;
}

export const defaultBridgeIp = "172.17.0.1/16";
export const defaultLogMaxSize = "10m";
export const defaultLogMaxFile = 3;
const defaultPoolSize = 24;
const maxPoolSize = 30;

interface Ipv4Net {
    address: number;
    prefix: number;
}

// Strict dotted quad with a prefix: no leading zeros, each part at most 255, prefix 0..32.
// install-docker.sh applies the same pattern.
function parseIpv4WithPrefix(text: string): Ipv4Net | undefined {
    const m = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\/(0|[1-9][0-9]?)$/.exec(text);
    if (!m) {
        return undefined;
    }
    const parts = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    if (parts.some((p) => p > 255) || prefix > 32) {
        return undefined;
    }
    return { address: parts.reduce((acc, p) => acc * 256 + p, 0), prefix };
}

function networkOf(address: number, prefix: number): number {
    const size = 2 ** (32 - prefix);
    return Math.floor(address / size) * size;
}

function formatIpv4(address: number, prefix: number): string {
    const parts = [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256);
    return `${parts.join(".")}/${prefix}`;
}

interface Resolved {
    addressPool: string;
    poolSize: number;
    bridgeIp: string;
    logMaxSize: string;
    logMaxFile: number;
    dataRoot?: string;
}

/** Applies the defaults and throws on the first invalid field, with the message the script prints. */
function resolve(args: DaemonJsonArgs): Resolved {
    const pool = parseIpv4WithPrefix(args.addressPool);
    if (!pool || pool.prefix > maxPoolSize) {
        throw new Error(`addressPool must be an IPv4 network with a prefix of at most 30, such as 10.10.10.0/24, got "${args.addressPool}"`);
    }
    const poolNetwork = networkOf(pool.address, pool.prefix);
    if (poolNetwork !== pool.address) {
        throw new Error(`addressPool has host bits set: the network is ${formatIpv4(poolNetwork, pool.prefix)}, got "${args.addressPool}"`);
    }
    const poolSize = args.poolSize ?? Math.max(defaultPoolSize, pool.prefix);
    if (!Number.isInteger(poolSize) || poolSize < pool.prefix || poolSize > maxPoolSize) {
        throw new Error(`poolSize must be a whole number between ${pool.prefix} (the address pool's prefix) and 30, got ${poolSize}`);
    }
    const bridgeIp = args.bridgeIp ?? defaultBridgeIp;
    const bridge = parseIpv4WithPrefix(bridgeIp);
    if (!bridge || bridge.prefix < 1 || bridge.prefix > maxPoolSize || networkOf(bridge.address, bridge.prefix) === bridge.address) {
        throw new Error(`bridgeIp must be an IPv4 host address with a prefix of 1 to 30, such as 172.17.0.1/16, got "${bridgeIp}"`);
    }
    // Two networks overlap when they agree on the bits of the shorter prefix.
    const common = Math.min(bridge.prefix, pool.prefix);
    if (networkOf(bridge.address, common) === networkOf(pool.address, common)) {
        throw new Error(`bridgeIp must lie outside the address pool ${args.addressPool}, got "${bridgeIp}"`);
    }
    const logMaxSize = args.logMaxSize ?? defaultLogMaxSize;
    if (!/^[1-9][0-9]{0,5}[kmg]$/.test(logMaxSize)) {
        throw new Error(`logMaxSize must be a whole number followed by k, m or g, such as 10m, got "${logMaxSize}"`);
    }
    const logMaxFile = args.logMaxFile ?? defaultLogMaxFile;
    if (!Number.isInteger(logMaxFile) || logMaxFile < 1 || logMaxFile > 100) {
        throw new Error(`logMaxFile must be a whole number between 1 and 100, got ${logMaxFile}`);
    }
    // Plain path characters only: the script writes the value into JSON without an escaper, and
    // "." / ".." parts would make two spellings of one directory compare unequal.
    if (args.dataRoot !== undefined && !/^(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$/.test(args.dataRoot)) {
        throw new Error(
            `dataRoot must be an absolute path of letters, digits, ".", "_" and "-" with no part starting with ".", got "${args.dataRoot}"`,
        );
    }
    return { addressPool: args.addressPool, poolSize, bridgeIp, logMaxSize, logMaxFile, dataRoot: args.dataRoot };
}

/**
 * The exact bytes install-docker.sh writes to /etc/docker/daemon.json for the same arguments:
 * keys in alphabetical order, two-space indent, trailing newline, so that an unchanged
 * configuration compares equal and a changed one shows as a readable diff.
 * Throws an Error naming the field when an argument is invalid.
 */
export function renderDaemonJson(args: DaemonJsonArgs): string {
    const r = resolve(args);
    const daemon = {
        bip: r.bridgeIp,
        ...(r.dataRoot !== undefined ? { "data-root": r.dataRoot } : {}),
        "default-address-pools": [{ base: r.addressPool, size: r.poolSize }],
        // Containers keep running while dockerd restarts to pick up a new daemon.json.
        "live-restore": true,
        "log-driver": "json-file",
        // Docker wants both options as strings.
        "log-opts": { "max-file": String(r.logMaxFile), "max-size": r.logMaxSize },
    };
    return `${JSON.stringify(daemon, null, 2)}\n`;
}

/**
 * The arguments for `bash -s -- ARGS` with install-docker.sh on stdin. Every daemon setting is
 * passed explicitly (defaults filled in here), so the script never falls back on a default of
 * its own and the command line shows the whole configuration.
 * Throws an Error naming the field when an argument is invalid.
 */
export function installDockerArgs(args: InstallDockerArgs): string[] {
    const r = resolve(args);
    if (args.user !== undefined && !/^[a-z_][a-z0-9_-]{0,31}$/.test(args.user)) {
        throw new Error(
            `user must be a Linux user name of at most 32 lowercase letters, digits, "_" and "-", starting with a letter or "_", got "${args.user}"`,
        );
    }
    return [
        "--address-pool", r.addressPool,
        "--pool-size", String(r.poolSize),
        "--bridge-ip", r.bridgeIp,
        "--log-max-size", r.logMaxSize,
        "--log-max-file", String(r.logMaxFile),
        ...(r.dataRoot !== undefined ? ["--data-root", r.dataRoot] : []),
        ...(args.user !== undefined ? ["--user", args.user] : []),
    ];
}
