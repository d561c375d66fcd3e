// Apps from the stack config: each app's catalog entry merged with its config (`resolveApp`), and
// the result mapped onto App's own args (`appArgs`). SecretValues from the YAML end here: App
// takes plain Inputs, marked secret.
import * as pulumi from "@pulumi/pulumi";
import { AppArgs, appContainerArgs, appContainerFields, appFieldIssues, databaseEngineIssue } from "../components/app";
import { ContainerFields } from "../components/app/containerFields";
import { catalog, CatalogDatabase, CatalogEntry, CatalogPort, CatalogVolume, proxyEnvFor } from "../components/catalog";
import { AppConfig } from "./labConfig";
import { SecretValue } from "./secretValue";

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

/** An environment value of the config as an Input: a SecretValue becomes a secret. */
const envInput = (v: string | SecretValue): pulumi.Input<string> => (v instanceof SecretValue ? v.output() : v);
const envOf = (env: Record<string, string | SecretValue>) => Object.fromEntries(Object.entries(env).map(([k, v]) => [k, envInput(v)]));

/** The App args of a resolved app, without its host, remote route and dependencies (the lab's). Pure. */
export function appArgs(app: ResolvedApp): Omit<AppArgs, "host"> {
    return {
        containerName: app.name,
        image: app.image,
        port: app.port,
        route: app.expose ? { subdomain: app.subdomain, public: app.public, tlsUpstream: app.tlsUpstream } : undefined,
        env: envOf(app.env),
        volumes: app.volumes,
        ports: app.ports,
        database: app.database,
        dockerSocket: app.dockerSocket,
        healthcheck: app.healthcheck,
        container: appContainerArgs(app.fields),
        sidecars: app.sidecars.map((s) => ({ ...appContainerArgs(s), name: s.name, image: s.image, env: envOf(s.env), volumes: s.volumes })),
        registry: app.registry && { server: app.registry.server, username: app.registry.username, password: app.registry.password.output() },
    };
}
