import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as random from "@pulumi/random";
import * as path from "path";
import { CatalogDatabase, CatalogEntry, databaseImages } from "./catalog";
import { ContainerFieldInputs, ContainerFields, ContainerOptions, containerFieldIssues, containerOptionInputs, FieldIssue } from "./app/containerFields";
import { isKnown, knownPart, providerIn, whenKnown } from "./inputs";


const fieldNames = ["command", "entrypoint", "user", "capabilities", "devices", "networkMode", "privileged", "memory", "cpus", "sysctls", "shmSize", "extraHosts", "labels", "init"] as const;

/** The container fields of an app: each config field replaces the entry's; sysctls and labels merge (config wins). Pure. */
export function appContainerFields(entry: ContainerFields, config: ContainerFields): ContainerFields {
    const fields: ContainerFields = {};
    for (const key of fieldNames) {
        const value = config[key] ?? entry[key];
        if (value !== undefined) {
            (fields as Record<string, unknown>)[key] = value;
        }
    }
    for (const key of ["sysctls", "labels"] as const) {
        if (entry[key] || config[key]) {
            fields[key] = { ...entry[key], ...config[key] };
        }
    }
    return fields;
}

/**
 * Every problem with an app's container fields, host paths and sidecars, each at its field
 * (relative to the app). `published` is the number of ports the config publishes. Pure: App and
 * the stack's validation both call it.
 */
export function appFieldIssues(fields: ContainerFields, published: number, volumes: AppVolume[], sidecars: SidecarFields[]): FieldIssue[] {
    const issues = [...containerFieldIssues(fields, published), ...volumeIssues(volumes, "volumes")];
    const seen = new Set<string>();
    sidecars.forEach((s, i) => {
        if (seen.has(s.name)) {
            issues.push({ field: `sidecars[${i}].name`, message: `another sidecar is named '${s.name}': give each its own name` });
        }
        seen.add(s.name);
        if (s.image === "") {
            issues.push({ field: `sidecars[${i}].image`, message: "set a pinned image such as busybox:1.37.0" });
        }
        if (s.networkMode === "host" && fields.networkMode !== "host") {
            issues.push({ field: `sidecars[${i}].networkMode`, message: "a sidecar runs on its app's networks: set networkMode on the app, or run it as an app of its own" });
        }
        for (const issue of [...containerFieldIssues(s, 0), ...volumeIssues(s.volumes, "volumes")]) {
            issues.push({ field: `sidecars[${i}].${issue.field}`, message: issue.message });
        }
    });
    return issues;
}

/**
 * Why the app cannot have a database of `engine` (from its config), or undefined when it can:
 * the entry's `databaseEngines` (default: its own database's engine; any for `generic`). Pure.
 */
export function databaseEngineIssue(entryName: string, entry: CatalogEntry, engine: CatalogDatabase["engine"] | undefined): string | undefined {
    if (engine === undefined || entryName === "generic") {
        return undefined;
    }
    const supported = entry.databaseEngines ?? (entry.database ? [entry.database.engine] : []);
    if (supported.includes(engine)) {
        return undefined;
    }
    return supported.length === 0
        ? `catalog entry '${entryName}' uses no database of this kind: remove database`
        : `catalog entry '${entryName}' supports ${supported.join(" or ")}, not ${engine}: use ${supported.join(" or ")}`;
}

/**
 * Why Docker cannot give a container the variable `name` with `value` (undefined when it can).
 * The daemon refuses a blank name (moby opts/env.go, ValidateEnv, called for every variable by
 * verifyContainerSettings); a name holding `=` is cut at its first `=` (the docker provider and
 * the daemon pass `NAME=value` strings), so the app would see another name; a NUL byte cannot pass
 * through the environment block of exec. Pure: App and the stack's validation both call it.
 */
export function envProblem(name: string, value: string | undefined): string | undefined {
    if (name.trim() === "") {
        return "an environment variable needs a name: Docker refuses a blank one";
    }
    if (name.includes("=")) {
        return `'${name}' holds '=': Docker reads the name up to the first '=', so the app would get '${name.slice(0, name.indexOf("="))}': rename the variable`;
    }
    if (name.includes("\u0000") || value?.includes("\u0000")) {
        return `the ${name.includes("\u0000") ? "name" : "value"} holds a NUL character, which no process environment can carry: remove it`;
    }
    return undefined;
}

/** A sidecar as the rules see it: its container fields, name, image and volumes. */
export type SidecarFields = ContainerFields & { name: string; image: pulumi.Input<string>; volumes: AppVolume[] };

/** Each volume is one of a named volume, a share or a host path; host paths are absolute and plain: no `..`, no `//`, no trailing `/`. */
function volumeIssues(volumes: AppVolume[], at: string): FieldIssue[] {
    const issues: FieldIssue[] = [];
    volumes.forEach((v, j) => {
        const kinds = [v.name, v.share, v.hostPath].filter((k) => k !== undefined).length;
        if (kinds !== 1) {
            issues.push({ field: `${at}[${j}]`, message: "give exactly one of name (a Docker volume), share (a NAS share) or hostPath (a path of the Docker host)" });
        }
        if (typeof v.hostPath === "string" && (!/^\/[^\s:]*$/.test(v.hostPath) || path.posix.normalize(v.hostPath) !== v.hostPath || (v.hostPath.length > 1 && v.hostPath.endsWith("/")))) {
            issues.push({ field: `${at}[${j}].hostPath`, message: `'${v.hostPath}' is not a plain absolute path of the Docker host: use one such as /srv/app/config (no '..', spaces or ':')` });
        }
    });
    return issues;
}

/**
 * The order to create apps in, each after the apps it depends on, and every problem with the
 * dependencies: an unknown app, one on another Docker host, a cycle. `host` is each app's Docker
 * host. Pure: lab.ts creates apps in this order; the stack's validation reports the issues.
 */
export function appOrder(apps: { name: string; host?: string; dependsOn?: string[] }[]): { order: string[]; issues: { index: number; field: string; message: string }[] } {
    const byName = new Map(apps.map((a, i) => [a.name, { a, i }]));
    const issues: { index: number; field: string; message: string }[] = [];
    apps.forEach((a, i) => {
        a.dependsOn?.forEach((d, j) => {
            const other = byName.get(d);
            if (!other) {
                issues.push({ index: i, field: `dependsOn[${j}]`, message: `unknown app '${d}': use the name of an app of the same Docker host` });
            } else if (other.a.host !== a.host) {
                issues.push({ index: i, field: `dependsOn[${j}]`, message: `'${d}' runs on Docker host '${other.a.host}', not on '${a.host}': an app can only wait for apps of its own host` });
            } else if (d === a.name) {
                issues.push({ index: i, field: `dependsOn[${j}]`, message: "an app cannot depend on itself: remove it" });
            }
        });
    });
    // Depth-first, in config order: each app after its dependencies; a dependency met again while
    // its own dependencies are still being visited closes a cycle.
    const order: string[] = [];
    const state = new Map<string, "visiting" | "done">();
    const visit = (name: string, trail: string[]) => {
        if (state.get(name) === "done") return;
        if (state.get(name) === "visiting") {
            const cycle = [...trail.slice(trail.indexOf(name)), name];
            const { i } = byName.get(name)!;
            if (!issues.some((x) => x.message.includes("cycle"))) {
                issues.push({ index: i, field: "dependsOn", message: `the apps wait for each other in a cycle (${cycle.join(" -> ")}): remove one of these dependencies` });
            }
            return;
        }
        state.set(name, "visiting");
        for (const d of byName.get(name)!.a.dependsOn ?? []) {
            if (byName.has(d) && d !== name) visit(d, [...trail, name]);
        }
        state.set(name, "done");
        order.push(name);
    };
    apps.forEach((a) => visit(a.name, []));
    return { order, issues };
}

/**
 * What an App needs of its Docker host (a DockerHost has all of it). The host's Docker provider
 * comes through the App's `opts` (`{ providers: [dockerHost.provider] }`), as Pulumi passes providers.
 */
export interface AppHost {
    /** Host name of the Docker host. */
    hostname: pulumi.Input<string>;
    /** The network every app on the host joins. */
    appNetwork: docker.Network;
    /** Where each mounted share is inside the host, by share name. */
    sharePaths: Record<string, pulumi.Input<string>>;
    /** What a container using a share waits for, by share name (the share visible inside the host). Defaults to nothing. */
    shareReady?: Record<string, command.remote.Command>;
    /** `ssh://root@<address>`: a private registry needs a provider of its own. */
    dockerHostUrl: pulumi.Input<string>;
    /** The ssh options of the host's Docker provider. */
    sshOpts: pulumi.Input<pulumi.Input<string>[]>;
}

/** Transport protocol of a published port. */
export const PortProtocol = {
    /** TCP. */
    tcp: "tcp",
    /** UDP. */
    udp: "udp",
} as const;
export type PortProtocol = (typeof PortProtocol)[keyof typeof PortProtocol];

/** Database engine of an app's own database. */
export const DatabaseEngine = {
    /** MariaDB (`MARIADB_*` variables). */
    mariadb: "mariadb",
    /** PostgreSQL (`POSTGRES_*` variables). */
    postgres: "postgres",
} as const;
export type DatabaseEngine = (typeof DatabaseEngine)[keyof typeof DatabaseEngine];

/** A port published on the Docker host's LAN address. */
export interface AppPort {
    /** Port on the Docker host (never 80 or 443 over TCP, the proxy's; checked when plain, else once known). */
    host: pulumi.Input<number>;
    /** Port in the container. */
    container: pulumi.Input<number>;
    /** Protocol. Defaults to tcp. */
    protocol?: pulumi.Input<PortProtocol>;
}

/**
 * A volume of a container: exactly one of `name` (a Docker volume `<container>-<name>`, kept
 * when the app goes), `share` (a NAS share mounted on the Docker host) or `hostPath`.
 */
export interface AppVolume {
    /** Where it is mounted in the container. */
    path: pulumi.Input<string>;
    /** Role of a Docker volume of the app's own, e.g. `config`: the volume is `<container>-<name>`. */
    name?: string;
    /** A NAS share the Docker host mounts (`AppHost.sharePaths`). */
    share?: string;
    /** Folder inside the share. Defaults to the share's root. */
    subPath?: pulumi.Input<string>;
    /** A folder or file of the Docker host (an absolute path, such as /proc or /etc/localtime); checked when plain. */
    hostPath?: pulumi.Input<string>;
    /** Mount it read-only. Defaults to false for a share, true for a host path. */
    readOnly?: pulumi.Input<boolean>;
    /** The user id (inside the container) that writes to a share; the lab mounts the share as that user. Defaults to none. */
    uid?: number;
}

/** Names of the environment variables through which an app learns its database. */
export interface DatabaseEnvNames {
    /** Variable with the database's host name. */
    host: string;
    /** Variable with the database's name. */
    name: string;
    /** Variable with the database user. */
    user: string;
    /** Variable with the (generated, secret) password. */
    password: string;
}

/** The app's own database: its own container, on a network only the app and it join. */
export interface AppDatabase {
    /** Engine. */
    engine: DatabaseEngine;
    /** A pinned image of the engine. Defaults to `databaseImages[engine]`. */
    image?: pulumi.Input<string>;
    /** Environment variable names the app reads the database's host, name, user and password from. */
    env: DatabaseEnvNames;
    /** Suffix appended to the host value, e.g. `:3306` for apps that want host:port. Defaults to none. */
    hostSuffix?: pulumi.Input<string>;
}

/**
 * What a container runs as and with, beyond image, env and volumes: the container fields
 * (components/app/containerFields.ts documents and checks them), with host networking and
 * privileges as plain switches.
 */
export interface AppContainer extends ContainerOptions {
    /** Run in the Docker host's network namespace (nothing published; the proxy cannot reach it). Defaults to false: the apps' network. */
    hostNetwork?: boolean;
    /** Run privileged (every device and capability of the host); refused without `privilegedReason`. Defaults to false. */
    privileged?: boolean;
    /** Why devices and capabilities are not enough: required with `privileged`. */
    privilegedReason?: string;
}

/** A container beside its app, on the app's networks: `<container>-<name>`. */
export interface AppSidecar extends AppContainer {
    /** Its name beside the app's. */
    name: string;
    /** Pinned image. */
    image: pulumi.Input<string>;
    /** Environment; mark secret values with `pulumi.secret`. Defaults to none. */
    env?: Record<string, pulumi.Input<string>>;
    /** Volumes. Defaults to none. */
    volumes?: AppVolume[];
}

/** Credentials of a private registry, used for this app's image pulls only. */
export interface AppRegistry {
    /** Registry address, e.g. `ghcr.io`. */
    server: pulumi.Input<string>;
    /** User name. */
    username: pulumi.Input<string>;
    /** Password or token; always stored as a secret. */
    password: pulumi.Input<string>;
}

/** How the reverse proxy serves the app: `https://<subdomain>.<domain>`. */
export interface AppRouteArgs {
    /** The DNS label, e.g. `nextcloud`. */
    subdomain: string;
    /** Proxied through Cloudflare (public) rather than a LAN-only name. Defaults to false. */
    public?: boolean;
    /** The app serves TLS itself. Defaults to false. */
    tlsUpstream?: boolean;
}

/** Where the proxy on another Docker host reaches the app: its host's LAN address and a published port. */
export interface AppRemoteRoute {
    /** LAN address of this app's Docker host. */
    hostAddress: string;
    /** Port published there for the web port. */
    hostPort: number;
}

export interface AppArgs {
    /** The container's name, which the proxy and other apps reach it by; names its volumes and database too. */
    containerName: string;
    /** Pinned image, e.g. `nginx:1.27.3`. */
    image: pulumi.Input<string>;
    /** Container port of the web UI. Required with `route`. Defaults to none. */
    port?: number;
    /** Served by the reverse proxy. Defaults to none (not routed). */
    route?: AppRouteArgs;
    /** Environment; mark secret values with `pulumi.secret` (e.g. from `config.requireSecret`). Defaults to none. */
    env?: Record<string, pulumi.Input<string>>;
    /** Volumes. Defaults to none. */
    volumes?: AppVolume[];
    /** Ports published on the host's LAN address (never 80/443, the proxy's). Defaults to none. */
    ports?: AppPort[];
    /** A database of its own. Defaults to none. */
    database?: AppDatabase;
    /** Mount the Docker socket (the app manages containers). Defaults to false. */
    dockerSocket?: boolean;
    /** Readiness command run in the container (`CMD-SHELL`). Defaults to the image's. */
    healthcheck?: pulumi.Input<string>;
    /** Command, user, capabilities, devices, limits... Defaults to the image's. */
    container?: AppContainer;
    /** Containers beside the app. Defaults to none. */
    sidecars?: AppSidecar[];
    /** Private registry of the image. Defaults to none (public images). */
    registry?: AppRegistry;
    /** The Docker host the app runs on (a DockerHost). */
    host: AppHost;
    /**
     * The reverse proxy runs on another Docker host and cannot reach this app's container by name:
     * publish the web port on this host's LAN address at `hostPort` and route the proxy there.
     * Defaults to none (the proxy shares the app network).
     */
    remoteRoute?: AppRemoteRoute;
    /** Resources (other apps of the host) the app's containers wait for. Defaults to none. */
    dependsOn?: pulumi.Resource[];
}

/** App's container fields in the shape the rules and `containerFieldInputs` take. Pure. */
export function containerFieldsOf(c: AppContainer): ContainerFieldInputs {
    const { hostNetwork, privileged, privilegedReason, ...rest } = c;
    const fields: ContainerFieldInputs = { ...rest };
    if (hostNetwork) {
        fields.networkMode = "host";
    }
    if (privileged) {
        fields.privileged = privilegedReason !== undefined ? { reason: privilegedReason } : true;
    }
    return fields;
}

/** The reverse of `containerFieldsOf`: config container fields as App's. Pure. */
export function appContainerArgs(f: ContainerFields): AppContainer {
    const { networkMode, privileged, ...rest } = f;
    return {
        ...rest,
        ...(networkMode === "host" ? { hostNetwork: true } : {}),
        ...(privileged === true ? { privileged: true } : typeof privileged === "object" ? { privileged: true, privilegedReason: privileged.reason } : {}),
    };
}

/** Where each database engine keeps its data, its port, and its readiness check. */
const engines = {
    mariadb: { dataPath: "/var/lib/mysql", port: 3306, healthcheck: "healthcheck.sh --connect --innodb_initialized" },
    postgres: { dataPath: "/var/lib/postgresql/data", port: 5432, healthcheck: 'pg_isready -U "$POSTGRES_USER" -d "$POSTGRES_DB"' },
} as const;

/** A route for the reverse proxy. */
export interface AppRoute {
    /** `nextcloud` serves `https://nextcloud.<domain>`. */
    subdomain: string;
    /** Container name and port on the apps' network, e.g. `nextcloud:80`. */
    upstream: string;
    /** The app serves TLS itself. */
    tlsUpstream: boolean;
    /** Proxied through Cloudflare (public) rather than a LAN-only name. */
    public: boolean;
}

/**
 * One app on a Docker host: its pinned image, its container on the hosts' apps network, its named
 * volumes and NAS share paths, and its own database when it needs one. It publishes on the LAN
 * only the entry's ports and, with `remoteRoute`, its web port at `hostPort`; never 80/443 (the
 * proxy's). A database sits on a network of its own that only the app and the database join
 * (`internal`: no way out), and publishes nothing.
 */
export class App extends pulumi.ComponentResource {
    readonly container: docker.Container;
    /** The database container, when the app has one. */
    readonly database?: docker.Container;
    /** Sidecar containers, by sidecar name. */
    readonly sidecars: Record<string, docker.Container> = {};
    /** How the proxy reaches it; undefined when not exposed. */
    readonly route?: AppRoute;

    constructor(name: string, args: AppArgs, opts?: pulumi.ComponentResourceOptions) {
        const host = args.host;
        const containerName = args.containerName;
        const volumesOf = (list: AppVolume[] | undefined) => list ?? [];
        const fields = containerFieldsOf(args.container ?? {});
        const sidecars = (args.sidecars ?? []).map((s) => ({ ...s, fields: containerFieldsOf(s), volumes: volumesOf(s.volumes) }));
        for (const v of [...volumesOf(args.volumes), ...sidecars.flatMap((s) => s.volumes)]) {
            if (v.share !== undefined && host.sharePaths[v.share] === undefined) {
                throw new Error(
                    `App ${name}: share '${v.share}' is not mounted on ${typeof host.hostname === "string" ? `Docker host '${host.hostname}'` : "its Docker host"}: add { share: ${v.share} } to its mounts`,
                );
            }
        }
        // Ports of a host-network app are the ones it occupies there (catalog), never published.
        // The plain fields are checked now, all of them again once the Outputs among them are known.
        const check = (app: ContainerFields, sidecarFields: ContainerFields[]) => {
            const issue = appFieldIssues(
                app,
                0,
                volumesOf(args.volumes),
                sidecars.map((s, i) => ({ ...sidecarFields[i], name: s.name, image: s.image, volumes: s.volumes })),
            )[0];
            if (issue) {
                throw new Error(`App ${name}: ${issue.field}: ${issue.message}`);
            }
            return true as const;
        };
        check(knownPart(fields) as ContainerFields, sidecars.map((s) => knownPart(s.fields) as ContainerFields));
        const checked = whenKnown({ app: fields, sidecars: sidecars.map((s) => s.fields) }, (v) => check(v.app as ContainerFields, v.sidecars as ContainerFields[]));
        const envNames: [string, unknown][] = [
            ...Object.entries(args.env ?? {}),
            ...(args.sidecars ?? []).flatMap((s) => Object.entries(s.env ?? {})),
            ...Object.values(args.database?.env ?? {}).map((n): [string, unknown] => [n, undefined]),
        ];
        for (const [key, value] of envNames) {
            // A value still unknown (an Output) is checked by the stack's validation where it is written.
            const problem = envProblem(key, typeof value === "string" ? value : undefined);
            if (problem) {
                throw new Error(`App ${name}: env '${key}': ${problem}`);
            }
        }
        const hostNetwork = fields.networkMode === "host";
        if (args.route && args.port === undefined) {
            throw new Error(`App ${name}: a routed app needs the container port the proxy forwards to: set port`);
        }
        if (args.route && hostNetwork) {
            throw new Error(`App ${name}: an app on the host's network is not on the apps' network, so the proxy cannot reach it: remove route`);
        }
        // Plain ports are checked now, the others where the container takes them.
        const proxyPortProblem = (host: number, protocol: string) =>
            (host === 80 || host === 443) && protocol === "tcp" ? `App ${name}: port ${host}/tcp belongs to the reverse proxy: route the app through the proxy instead` : undefined;
        for (const p of args.ports ?? []) {
            const problem = isKnown(p.host) && isKnown(p.protocol) ? proxyPortProblem(p.host as number, (p.protocol as string | undefined) ?? "tcp") : undefined;
            if (problem !== undefined) {
                throw new Error(problem);
            }
        }
        const provider = providerIn(opts, "docker", docker.Provider.isInstance);
        if (!provider) {
            throw new Error(`App ${name}: no Docker provider: pass the Docker host's in opts, e.g. { providers: [dockerHost.provider] }`);
        }
        // Registered only now: bad args above leave nothing in the stack.
        super("homelab:index:App", name, {}, opts);
        const own = { parent: this, provider };

        // A private registry's credentials belong to the pull only: a provider of its own for
        // this one image, so that no other app's pulls see them.
        const registry = args.registry;
        const pullProvider = registry
            ? new docker.Provider(
                  `${name}-registry`,
                  {
                      host: host.dockerHostUrl,
                      sshOpts: host.sshOpts,
                      registryAuth: [{ address: registry.server, username: registry.username, password: pulumi.secret(registry.password) }],
                  },
                  { parent: this, dependsOn: [provider] },
              )
            : provider;
        // keepLocally: removing the resource must not delete an image a running container uses.
        const image = new docker.RemoteImage(name, { name: args.image, keepLocally: true }, { parent: this, provider: pullProvider });

        const env = envInputs(args.env ?? {});
        const networks: docker.types.input.ContainerNetworksAdvanced[] = hostNetwork ? [] : [{ name: host.appNetwork.name }];
        const dependsOn: pulumi.Resource[] = [...(args.dependsOn ?? [])];
        if (args.database) {
            const db = this.createDatabase(name, containerName, args.database, own);
            env.push(...db.env);
            networks.push({ name: db.network.name });
            dependsOn.push(db.container);
            this.database = db.container;
        }

        const volumes = this.volumeInputs(name, containerName, volumesOf(args.volumes), host, own, dependsOn);
        if (args.dockerSocket) {
            volumes.push({ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" });
        }

        this.container = new docker.Container(
            name,
            {
                ...containerOptionInputs(fields, checked),
                name: containerName,
                image: image.imageId,
                restart: "unless-stopped",
                envs: env,
                ...(hostNetwork ? { networkMode: "host" } : { networksAdvanced: networks }),
                // What the entry or config lists, and the web port for a proxy on another host
                // (never 80/443, the proxy's). With host networking the ports are the host's
                // already, and Docker refuses to publish them.
                ports: hostNetwork
                    ? []
                    : [
                          ...(args.ports ?? []).map((p) => ({
                              internal: p.container,
                              external: whenKnown({ host: p.host, protocol: p.protocol ?? "tcp" }, (v) => {
                                  const problem = proxyPortProblem(v.host, v.protocol);
                                  if (problem !== undefined) {
                                      throw new Error(problem);
                                  }
                                  return v.host;
                              }),
                              protocol: p.protocol ?? "tcp",
                          })),
                          ...(args.remoteRoute && args.port !== undefined
                              ? [{ internal: args.port, external: args.remoteRoute.hostPort, ip: args.remoteRoute.hostAddress, protocol: "tcp" }]
                              : []),
                      ],
                volumes,
                healthcheck: args.healthcheck !== undefined ? healthcheck(args.healthcheck) : undefined,
                logDriver: "json-file",
            },
            { ...own, dependsOn },
        );

        // Sidecars: on the app's networks (or the host's, with the app), started after it.
        for (const s of sidecars) {
            const sidecarDependsOn: pulumi.Resource[] = [this.container];
            const sidecarImage = new docker.RemoteImage(`${name}-${s.name}`, { name: s.image, keepLocally: true }, { parent: this, provider: pullProvider });
            this.sidecars[s.name] = new docker.Container(
                `${name}-${s.name}`,
                {
                    ...containerOptionInputs(s.fields, checked),
                    name: `${containerName}-${s.name}`,
                    image: sidecarImage.imageId,
                    restart: "unless-stopped",
                    envs: envInputs(s.env ?? {}),
                    ...(hostNetwork ? { networkMode: "host" } : { networksAdvanced: networks }),
                    ports: [],
                    volumes: this.volumeInputs(`${name}-${s.name}`, `${containerName}-${s.name}`, s.volumes, host, own, sidecarDependsOn),
                    logDriver: "json-file",
                },
                { ...own, dependsOn: sidecarDependsOn },
            );
        }

        if (args.route && args.port !== undefined) {
            const upstream = args.remoteRoute ? `${args.remoteRoute.hostAddress}:${args.remoteRoute.hostPort}` : `${containerName}:${args.port}`;
            this.route = { subdomain: args.route.subdomain, upstream, tlsUpstream: args.route.tlsUpstream ?? false, public: args.route.public ?? false };
        }
        this.registerOutputs({ container: this.container.name, route: this.route });
    }

    /** Named volumes (created here as `<volumePrefix>-<name>`), share paths and host paths of one container. */
    private volumeInputs(
        name: string,
        volumePrefix: string,
        list: AppVolume[],
        host: AppHost,
        own: pulumi.CustomResourceOptions,
        /** Gets the mount of each share used: only the containers that use a share wait for it (and so for the NAS). */
        dependsOn: pulumi.Resource[],
    ): docker.types.input.ContainerVolume[] {
        return list.map((v) => {
            if (v.share !== undefined) {
                const ready = host.shareReady?.[v.share];
                if (ready && !dependsOn.includes(ready)) {
                    dependsOn.push(ready);
                }
                const hostPath = v.subPath ? pulumi.interpolate`${host.sharePaths[v.share]}/${v.subPath}` : host.sharePaths[v.share];
                return { hostPath, containerPath: v.path, readOnly: v.readOnly ?? false };
            }
            if (v.hostPath !== undefined) {
                // Read-only unless asked: an app reads the host's files (Netdata's /proc, a clock).
                return { hostPath: v.hostPath, containerPath: v.path, readOnly: v.readOnly ?? true };
            }
            // retainOnDelete: removing or renaming the app leaves its data on the host; the same
            // app added again gets it back (Docker returns an existing volume of that name).
            const volume = new docker.Volume(`${name}-${v.name}`, { name: `${volumePrefix}-${v.name}` }, { ...own, retainOnDelete: true });
            return { volumeName: volume.name, containerPath: v.path };
        });
    }

    /** The app's own database: password, private network, data volume, image, container. */
    private createDatabase(name: string, containerName: string, db: AppDatabase, own: pulumi.CustomResourceOptions) {
        const engine = engines[db.engine];
        const dbName = containerName.replace(/-/g, "_");
        const password = generatedPassword(`${name}-db-password`, this);
        const network = new docker.Network(
            `${name}-db`,
            // internal: the database has no way out and nothing outside the network reaches it.
            { name: `${containerName}-db`, driver: "bridge", internal: true },
            own,
        );
        // Kept when the app goes, like its other volumes.
        const data = new docker.Volume(`${name}-db-data`, { name: `${containerName}-db-data` }, { ...own, retainOnDelete: true });
        const image = new docker.RemoteImage(`${name}-db`, { name: db.image ?? databaseImages[db.engine], keepLocally: true }, own);
        const dbEnv: pulumi.Input<string>[] =
            db.engine === "mariadb"
                ? [
                      `MARIADB_DATABASE=${dbName}`,
                      `MARIADB_USER=${dbName}`,
                      pulumi.secret(pulumi.interpolate`MARIADB_PASSWORD=${password}`),
                      pulumi.secret(pulumi.interpolate`MARIADB_ROOT_PASSWORD=${generatedPassword(`${name}-db-root-password`, this)}`),
                  ]
                : [`POSTGRES_DB=${dbName}`, `POSTGRES_USER=${dbName}`, pulumi.secret(pulumi.interpolate`POSTGRES_PASSWORD=${password}`)];
        const container = new docker.Container(
            `${name}-db`,
            {
                name: `${containerName}-db`,
                image: image.imageId,
                restart: "unless-stopped",
                envs: dbEnv,
                networksAdvanced: [{ name: network.name }],
                // No ports: only the app, on the database's own network, reaches it.
                ports: [],
                volumes: [{ volumeName: data.name, containerPath: engine.dataPath }],
                healthcheck: healthcheck(engine.healthcheck),
                logDriver: "json-file",
            },
            own,
        );
        const env: pulumi.Input<string>[] = [
            whenKnown({ suffix: db.hostSuffix ?? "" }, (v) => `${db.env.host}=${containerName}-db${v.suffix}`),
            `${db.env.name}=${dbName}`,
            `${db.env.user}=${dbName}`,
            pulumi.secret(pulumi.interpolate`${db.env.password}=${password}`),
        ];
        return { container, network, env };
    }
}

/** `KEY=value` for each variable, sorted; a secret value's entry stays secret. */
function envInputs(env: Record<string, pulumi.Input<string>>): pulumi.Input<string>[] {
    return Object.entries(env)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => (typeof v === "string" ? `${k}=${v}` : pulumi.interpolate`${k}=${v}`));
}

function healthcheck(cmd: pulumi.Input<string>): docker.types.input.ContainerHealthcheck {
    return { tests: ["CMD-SHELL", cmd], interval: "30s", timeout: "10s", retries: 3, startPeriod: "60s" };
}

/**
 * A random password made once and kept in the state as a secret: the database keeps the password
 * it was initialised with. 32 characters of [A-Za-z0-9], safe in env files, URLs and connection strings.
 */
export function generatedPassword(name: string, parent: pulumi.Resource): pulumi.Output<string> {
    return new random.RandomPassword(name, { length: 32, special: false }, { parent }).result;
}
