import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as random from "@pulumi/random";
import * as path from "path";
import { catalog, CatalogDatabase, CatalogEntry, CatalogPort, CatalogVolume, databaseImages, proxyEnvFor } from "./catalog";
import { ContainerFields, containerFieldInputs, containerFieldIssues, FieldIssue } from "./app/containerFields";
import { AppConfig, SecretValue } from "../stacks/config";

/** A container beside its app, on the app's networks: `<app>-<name>`. */
export interface Sidecar extends ContainerFields {
    name: string;
    /** Pinned image. */
    image: string;
    env: Record<string, string | SecretValue>;
    volumes: CatalogVolume[];
}

/** A catalog entry merged with an app's config: everything `App` needs, as plain data. */
export interface ResolvedApp {
    /** App name: the container's name, which the proxy and other apps reach it by. */
    name: string;
    /** The catalog entry it came from. */
    catalog: string;
    /** Pinned image. */
    image: string;
    /** Container port of the web UI. */
    port?: number;
    /** Routed through the reverse proxy. */
    expose: boolean;
    subdomain: string;
    public: boolean;
    tlsUpstream: boolean;
    /** Environment: catalog defaults, then config (config wins). SecretValues stay secret. */
    env: Record<string, string | SecretValue>;
    volumes: CatalogVolume[];
    /** Ports published on the host's LAN address (with hostNetwork: occupied there, not published). */
    ports: Required<CatalogPort>[];
    database?: CatalogDatabase;
    dockerSocket: boolean;
    /** Runs in the Docker host's network namespace (no Docker network, nothing published). */
    hostNetwork: boolean;
    healthcheck?: string;
    /** Command, user, capabilities, devices, limits...: the entry's, each replaced by the config's. */
    fields: ContainerFields;
    /** Apps of the same host created before this one. */
    dependsOn: string[];
    sidecars: Sidecar[];
    registry?: { server: string; username: string; password: SecretValue };
    /** Docker host (hostname), when the config names one. */
    host?: string;
}

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
export function appFieldIssues(fields: ContainerFields, published: number, volumes: CatalogVolume[], sidecars: Sidecar[]): FieldIssue[] {
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

/** Host paths must be absolute and plain: no `..`, no `//`, no trailing `/`. */
function volumeIssues(volumes: CatalogVolume[], at: string): FieldIssue[] {
    const issues: FieldIssue[] = [];
    volumes.forEach((v, j) => {
        if ("hostPath" in v && (!/^\/[^\s:]*$/.test(v.hostPath) || path.posix.normalize(v.hostPath) !== v.hostPath || (v.hostPath.length > 1 && v.hostPath.endsWith("/")))) {
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

/** Where an app's route is served, for the catalog's `proxyEnv`. */
export interface AppProxy {
    /** The lab's domain: the app is `https://<subdomain>.<domain>`. */
    domain: string;
    /** Where the proxy's requests come from (its app network, or its host's address for an app on another host). */
    proxies: string;
}

/**
 * Merges the catalog entry of `app` with the app's config (image, env, volumes, port, ports,
 * database, expose, subdomain, container fields). With `proxy`, an app with a route also gets the
 * entry's `proxyEnv` (under the app's own env, which wins). Pure. Throws on an app that cannot run as configured.
 */
export function resolveApp(app: AppConfig, proxy?: AppProxy): ResolvedApp {
    const entryName = app.catalog ?? app.name;
    const entry: CatalogEntry | undefined = catalog[entryName];
    if (!entry) {
        throw new Error(`app '${app.name}': unknown catalog entry '${entryName}': use one of ${Object.keys(catalog).join(", ")}`);
    }
    const image = app.image ?? entry.image;
    if (!image) {
        throw new Error(`app '${app.name}': catalog entry '${entryName}' has no image: set image to a pinned image such as nginx:1.27.3`);
    }
    const port = app.port ?? entry.port;
    const expose = app.expose ?? port !== undefined;
    const subdomain = app.subdomain ?? app.name;
    const behindProxy = proxy && expose ? proxyEnvFor(entry, { host: `${subdomain}.${proxy.domain}`, proxies: proxy.proxies }) : {};
    const env: Record<string, string | SecretValue> = { ...(entry.env ?? {}), ...behindProxy, ...app.env };
    for (const key of entry.secretEnv ?? []) {
        if (!(env[key] instanceof SecretValue)) {
            throw new Error(
                `app '${app.name}': env ${key} must be set as a secret: pulumi config set --secret --path 'homelab:apps[<index of ${app.name}>].env.${key}' <value>`,
            );
        }
    }
    const ports = (app.ports ?? entry.ports ?? []).map((p) => ({ host: p.host, container: p.container, protocol: p.protocol ?? "tcp" }));
    for (const p of ports) {
        if ((p.host === 80 || p.host === 443) && p.protocol === "tcp") {
            throw new Error(`app '${app.name}': port ${p.host}/tcp belongs to the reverse proxy: expose the app through its route instead`);
        }
    }
    const fields = appContainerFields(entry, app);
    const volumes = app.volumes ?? entry.volumes ?? [];
    const sidecars: Sidecar[] = (app.sidecars ?? entry.sidecars ?? []).map((s) => ({ ...s }));
    const dbIssue = databaseEngineIssue(entryName, entry, app.database?.engine);
    if (dbIssue) {
        throw new Error(`app '${app.name}': database.engine: ${dbIssue}`);
    }
    const issue = appFieldIssues(fields, app.ports?.length ?? 0, volumes, sidecars)[0];
    if (issue) {
        throw new Error(`app '${app.name}': ${issue.field}: ${issue.message}`);
    }
    if (expose && port === undefined) {
        throw new Error(`app '${app.name}': an exposed app needs the container port the proxy forwards to: set port`);
    }
    const hostNetwork = fields.networkMode === "host";
    if (expose && hostNetwork) {
        throw new Error(`app '${app.name}': an app on the host's network is not on the apps' network, so the proxy cannot reach it: set expose: false`);
    }
    return {
        name: app.name,
        catalog: entryName,
        image,
        port,
        expose,
        subdomain,
        public: app.public,
        tlsUpstream: entry.tlsUpstream ?? false,
        env,
        volumes,
        ports,
        database: app.database ?? entry.database,
        dockerSocket: entry.dockerSocket ?? false,
        hostNetwork,
        healthcheck: app.healthcheck ?? entry.healthcheck,
        fields,
        dependsOn: app.dependsOn ?? [],
        sidecars,
        registry: app.registry,
        host: app.host,
    };
}

/**
 * The user id each share must be mounted as on a Docker host, from the apps on it that write to
 * the share (catalog `uid`). Shares no app claims are absent (the host's default applies).
 * Throws when two apps want the same share owned by different users: one CIFS mount has one owner.
 */
export function shareOwners(apps: ResolvedApp[]): Record<string, number> {
    const owners: Record<string, { uid: number; app: string }> = {};
    for (const app of apps) {
        for (const v of app.volumes) {
            if (!("share" in v) || v.uid === undefined) {
                continue;
            }
            const prev = owners[v.share];
            if (prev && prev.uid !== v.uid) {
                throw new Error(
                    `apps '${prev.app}' and '${app.name}' want share '${v.share}' owned by different users (${prev.uid} and ${v.uid}) on one Docker host: run them on different hosts or give one its own share`,
                );
            }
            owners[v.share] = prev ?? { uid: v.uid, app: app.name };
        }
    }
    return Object.fromEntries(Object.entries(owners).map(([share, o]) => [share, o.uid]));
}

/** What an App needs of its Docker host (a DockerHost has all of it). */
export interface AppHost {
    /** Host name of the Docker host. */
    hostname: pulumi.Input<string>;
    /** Docker provider of the host. */
    provider: docker.Provider;
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

export interface AppArgs {
    /** The app, from `resolveApp`. */
    app: ResolvedApp;
    /** The Docker host the app runs on (a DockerHost). */
    host: AppHost;
    /**
     * The reverse proxy runs on another Docker host and cannot reach this app's container by name:
     * publish the web port on this host's LAN address at `hostPort` and route the proxy there.
     * Defaults to none (the proxy shares the app network).
     */
    remoteRoute?: { hostAddress: string; hostPort: number };
    /** Resources (other apps of the host) the app's containers wait for. Defaults to none. */
    dependsOn?: pulumi.Resource[];
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
        const app = args.app;
        const host = args.host;
        for (const v of [...app.volumes, ...app.sidecars.flatMap((s) => s.volumes)]) {
            if ("share" in v && host.sharePaths[v.share] === undefined) {
                throw new Error(
                    `App ${name}: share '${v.share}' is not mounted on ${typeof host.hostname === "string" ? `Docker host '${host.hostname}'` : "its Docker host"}: add { share: ${v.share} } to its mounts`,
                );
            }
        }
        // Ports of a host-network app are the ones it occupies there (catalog), never published.
        const issue = appFieldIssues(app.fields, 0, app.volumes, app.sidecars)[0];
        if (issue) {
            throw new Error(`App ${name}: ${issue.field}: ${issue.message}`);
        }
        // Registered only now: bad args above leave nothing in the stack.
        super("homelab:index:App", name, {}, opts);
        const own = { parent: this, provider: host.provider };

        // A private registry's credentials belong to the pull only: a provider of its own for
        // this one image, so that no other app's pulls see them.
        const pullProvider = app.registry
            ? new docker.Provider(
                  `${name}-registry`,
                  {
                      host: host.dockerHostUrl,
                      sshOpts: host.sshOpts,
                      registryAuth: [{ address: app.registry.server, username: app.registry.username, password: pulumi.secret(app.registry.password.value) }],
                  },
                  { parent: this, dependsOn: [host.provider] },
              )
            : host.provider;
        // keepLocally: removing the resource must not delete an image a running container uses.
        const image = new docker.RemoteImage(name, { name: app.image, keepLocally: true }, { parent: this, provider: pullProvider });

        const env = envInputs(app.env);
        const networks: docker.types.input.ContainerNetworksAdvanced[] = app.hostNetwork ? [] : [{ name: host.appNetwork.name }];
        const dependsOn: pulumi.Resource[] = [...(args.dependsOn ?? [])];
        if (app.database) {
            const db = this.createDatabase(name, app, app.database, own);
            env.push(...db.env);
            networks.push({ name: db.network.name });
            dependsOn.push(db.container);
            this.database = db.container;
        }

        const volumes = this.volumeInputs(name, app.name, app.volumes, host, own, dependsOn);
        if (app.dockerSocket) {
            volumes.push({ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" });
        }

        this.container = new docker.Container(
            name,
            {
                ...containerFieldInputs(app.fields),
                name: app.name,
                image: image.imageId,
                restart: "unless-stopped",
                envs: env,
                ...(app.hostNetwork ? { networkMode: "host" } : { networksAdvanced: networks }),
                // What the entry or config lists, and the web port for a proxy on another host
                // (never 80/443, the proxy's). With host networking the ports are the host's
                // already, and Docker refuses to publish them.
                ports: app.hostNetwork
                    ? []
                    : [
                          ...app.ports.map((p) => ({ internal: p.container, external: p.host, protocol: p.protocol })),
                          ...(args.remoteRoute && app.port !== undefined
                              ? [{ internal: app.port, external: args.remoteRoute.hostPort, ip: args.remoteRoute.hostAddress, protocol: "tcp" }]
                              : []),
                      ],
                volumes,
                healthcheck: app.healthcheck ? healthcheck(app.healthcheck) : undefined,
                logDriver: "json-file",
            },
            { ...own, dependsOn },
        );

        // Sidecars: on the app's networks (or the host's, with the app), started after it.
        for (const s of app.sidecars) {
            const sidecarDependsOn: pulumi.Resource[] = [this.container];
            const sidecarImage = new docker.RemoteImage(`${name}-${s.name}`, { name: s.image, keepLocally: true }, { parent: this, provider: pullProvider });
            this.sidecars[s.name] = new docker.Container(
                `${name}-${s.name}`,
                {
                    ...containerFieldInputs(s),
                    name: `${app.name}-${s.name}`,
                    image: sidecarImage.imageId,
                    restart: "unless-stopped",
                    envs: envInputs(s.env),
                    ...(app.hostNetwork ? { networkMode: "host" } : { networksAdvanced: networks }),
                    ports: [],
                    volumes: this.volumeInputs(`${name}-${s.name}`, `${app.name}-${s.name}`, s.volumes, host, own, sidecarDependsOn),
                    logDriver: "json-file",
                },
                { ...own, dependsOn: sidecarDependsOn },
            );
        }

        if (app.expose && app.port !== undefined) {
            const upstream = args.remoteRoute ? `${args.remoteRoute.hostAddress}:${args.remoteRoute.hostPort}` : `${app.name}:${app.port}`;
            this.route = { subdomain: app.subdomain, upstream, tlsUpstream: app.tlsUpstream, public: app.public };
        }
        this.registerOutputs({ container: this.container.name, route: this.route });
    }

    /** Named volumes (created here as `<volumePrefix>-<name>`), share paths and host paths of one container. */
    private volumeInputs(
        name: string,
        volumePrefix: string,
        list: CatalogVolume[],
        host: AppHost,
        own: pulumi.CustomResourceOptions,
        /** Gets the mount of each share used: only the containers that use a share wait for it (and so for the NAS). */
        dependsOn: pulumi.Resource[],
    ): docker.types.input.ContainerVolume[] {
        return list.map((v) => {
            if ("share" in v) {
                const ready = host.shareReady?.[v.share];
                if (ready && !dependsOn.includes(ready)) {
                    dependsOn.push(ready);
                }
                const hostPath = v.subPath ? pulumi.interpolate`${host.sharePaths[v.share]}/${v.subPath}` : host.sharePaths[v.share];
                return { hostPath, containerPath: v.path, readOnly: v.readOnly ?? false };
            }
            if ("hostPath" in v) {
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
    private createDatabase(name: string, app: ResolvedApp, db: CatalogDatabase, own: pulumi.CustomResourceOptions) {
        const engine = engines[db.engine];
        const dbName = app.name.replace(/-/g, "_");
        const password = generatedPassword(`${name}-db-password`, this);
        const network = new docker.Network(
            `${name}-db`,
            // internal: the database has no way out and nothing outside the network reaches it.
            { name: `${app.name}-db`, driver: "bridge", internal: true },
            own,
        );
        // Kept when the app goes, like its other volumes.
        const data = new docker.Volume(`${name}-db-data`, { name: `${app.name}-db-data` }, { ...own, retainOnDelete: true });
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
                name: `${app.name}-db`,
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
            `${db.env.host}=${app.name}-db${db.hostSuffix ?? ""}`,
            `${db.env.name}=${dbName}`,
            `${db.env.user}=${dbName}`,
            pulumi.secret(pulumi.interpolate`${db.env.password}=${password}`),
        ];
        return { container, network, env };
    }
}

/** `KEY=value` for each variable, sorted; a SecretValue's entry is a secret. */
function envInputs(env: Record<string, string | SecretValue>): pulumi.Input<string>[] {
    return Object.entries(env)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => (v instanceof SecretValue ? pulumi.secret(`${k}=${v.value}`) : `${k}=${v}`));
}

function healthcheck(cmd: string): docker.types.input.ContainerHealthcheck {
    return { tests: ["CMD-SHELL", cmd], interval: "30s", timeout: "10s", retries: 3, startPeriod: "60s" };
}

/**
 * A random password made once and kept in the state as a secret: the database keeps the password
 * it was initialised with. 32 characters of [A-Za-z0-9], safe in env files, URLs and connection strings.
 */
export function generatedPassword(name: string, parent: pulumi.Resource): pulumi.Output<string> {
    return new random.RandomPassword(name, { length: 32, special: false }, { parent }).result;
}
