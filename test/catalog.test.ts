// Every catalog entry: its shape (pinned image, ports, paths, healthcheck, database engines,
// container fields that pass App's own rule), and that it plans as an App on a Docker host.
import * as assert from "assert";
import { App, appFieldIssues } from "../components/app";
import { appArgs, resolveApp } from "../stacks/apps";
import { standInAppHost } from "./helpers/appHost";
import { catalog, databaseImages, proxyEnvFor } from "../components/catalog";
import { appSchema, SecretValue } from "../stacks/config";
import { captureProgram, CapturedResource, childrenOf, one } from "./helpers/mocks";

type Raw = Record<string, any>;
const entries = Object.entries(catalog).filter(([name]) => name !== "generic");
/** A pinned image: a registry path and a version tag (not latest, not a bare major such as `15`). */
const pinned = /^[a-z0-9.-]+(\/[a-z0-9._-]+)+:(v?\d+\.\d+[A-Za-z0-9._-]*|pg\d+-v\d+\.\d+\.\d+|\d{6})$|^[a-z0-9-]+:\d+\.\d+[A-Za-z0-9._-]*$/;

describe("catalog: every entry's shape", () => {
    it("holds the apps homelab owners run most", () => {
        for (const name of ["netdata", "jellyfin", "plex", "homeassistant", "uptime-kuma", "vaultwarden", "gitea", "paperless-ngx", "immich", "grafana", "prometheus", "syncthing", "adguardhome", "wg-easy"]) {
            assert.ok(catalog[name], name);
        }
    });

    for (const [name, e] of entries) {
        it(`${name}: pinned images, valid ports and paths, fields App accepts`, () => {
            assert.match(name, /^[a-z][a-z0-9-]{0,62}$/, "an entry's name is an app name");
            assert.ok(e.description.length > 0);
            for (const image of [e.image, ...(e.sidecars ?? []).map((s) => s.image), ...(e.database?.image ? [e.database.image] : [])]) {
                assert.match(image, pinned, `${name}: ${image} is not pinned to a version`);
            }
            if (e.port !== undefined) {
                assert.ok(Number.isInteger(e.port) && e.port > 0 && e.port < 65536);
            }
            for (const p of e.ports ?? []) {
                assert.ok(p.host > 0 && p.host < 65536 && p.container > 0 && p.container < 65536, JSON.stringify(p));
                assert.ok(!((p.host === 80 || p.host === 443) && (p.protocol ?? "tcp") === "tcp"), "80/443 are the proxy's");
            }
            for (const v of [...(e.volumes ?? []), ...(e.sidecars ?? []).flatMap((s) => s.volumes)]) {
                assert.match(v.path, /^\/[^\s:]*$/, `${name}: ${v.path}`);
            }
            // A host-network app cannot be routed; any other app with a web port is.
            assert.ok(!(e.networkMode === "host" && e.port !== undefined), `${name}: a host-network entry has no port for the proxy`);
            assert.deepStrictEqual(appFieldIssues(e, 0, e.volumes ?? [], (e.sidecars ?? []) as never), []);
            if (e.database) {
                assert.ok((e.databaseEngines ?? [e.database.engine]).includes(e.database.engine), `${name}: supports its own engine`);
            }
            // Its proxy settings name only known placeholders.
            proxyEnvFor(e, { host: `${name}.lab.test`, proxies: "10.10.10.0/24" });
            const names = (e.sidecars ?? []).map((s) => s.name);
            assert.deepStrictEqual([...new Set(names)], names, "sidecar names are distinct");
        });
    }

    it("gives a healthcheck to every entry whose image has one (all but these)", () => {
        const without = entries.filter(([, e]) => !e.healthcheck).map(([n]) => n);
        // No HEALTHCHECK in these images and no HTTP client to write one with (Portainer and
        // AdGuard Home are single static binaries; Heimdall, Checkmk, Photoprism, Transmission,
        // minidlna and rclone are the seed lab's entries, unchanged).
        assert.deepStrictEqual(without, ["portainer", "heimdall", "checkmk", "photoprism", "transmission", "minidlna", "rclone", "adguardhome"]);
    });

    it("gives each app with a database only engines it supports", () => {
        const engines = Object.fromEntries(entries.filter(([, e]) => e.database).map(([n, e]) => [n, e.databaseEngines ?? [e.database!.engine]]));
        assert.deepStrictEqual(engines, {
            nextcloud: ["mariadb"],
            photoprism: ["mariadb"],
            gitea: ["postgres", "mariadb"],
            "paperless-ngx": ["postgres", "mariadb"],
            immich: ["postgres"],
        });
        assert.throws(() => resolveApp(appSchema.parse({ name: "immich", database: { engine: "mariadb", env: { host: "H", name: "N", user: "U", password: "P" } } })), {
            message: "app 'immich': database.engine: catalog entry 'immich' supports postgres, not mariadb: use postgres",
        });
        assert.throws(() => resolveApp(appSchema.parse({ name: "jellyfin", database: { engine: "postgres", env: { host: "H", name: "N", user: "U", password: "P" } } })), {
            message: "app 'jellyfin': database.engine: catalog entry 'jellyfin' uses no database of this kind: remove database",
        });
    });
});

describe("catalog: every entry plans as an App", () => {
    let resources: CapturedResource[];
    before(async () => {
        ({ resources } = await captureProgram(() => {
            const host = standInAppHost();
            for (const [name, e] of entries) {
                const env = Object.fromEntries((e.secretEnv ?? []).map((k) => [k, new SecretValue(`placeholder-${k}`)]));
                new App(name, { ...appArgs(resolveApp(appSchema.parse({ name, env }))), host }, { provider: host.provider });
            }
        }));
    });

    for (const [name, e] of entries) {
        it(`${name}: its image, container, volumes, sidecars and database`, () => {
            const app = one(resources, "homelab:index:App", name);
            const want = [
                `docker:index/container:Container ${name}`,
                `docker:index/remoteImage:RemoteImage ${name}`,
                ...(e.volumes ?? []).filter((v) => "name" in v).map((v) => `docker:index/volume:Volume ${name}-${(v as { name: string }).name}`),
                ...(e.sidecars ?? []).flatMap((s) => [
                    `docker:index/container:Container ${name}-${s.name}`,
                    `docker:index/remoteImage:RemoteImage ${name}-${s.name}`,
                    ...s.volumes.filter((v) => "name" in v).map((v) => `docker:index/volume:Volume ${name}-${s.name}-${(v as { name: string }).name}`),
                ]),
                ...(e.database
                    ? [
                          `docker:index/container:Container ${name}-db`,
                          `docker:index/network:Network ${name}-db`,
                          `docker:index/remoteImage:RemoteImage ${name}-db`,
                          `docker:index/volume:Volume ${name}-db-data`,
                          `random:index/randomPassword:RandomPassword ${name}-db-password`,
                          ...(e.database.engine === "mariadb" ? [`random:index/randomPassword:RandomPassword ${name}-db-root-password`] : []),
                      ]
                    : []),
            ].sort();
            assert.deepStrictEqual(childrenOf(resources, app.urn), want);
            assert.strictEqual(one(resources, "docker:index/remoteImage:RemoteImage", name).inputs.name, e.image);
            const c = one(resources, "docker:index/container:Container", name).inputs;
            assert.strictEqual(c.name, name);
            if (e.networkMode === "host") {
                assert.strictEqual(c.networkMode, "host");
                assert.deepStrictEqual(c.ports, []);
            } else {
                assert.deepStrictEqual(((c.ports ?? []) as Raw[]).map((p) => `${p.external}:${p.internal}/${p.protocol}`), (e.ports ?? []).map((p) => `${p.host}:${p.container}/${p.protocol ?? "tcp"}`));
            }
            if (e.healthcheck) {
                assert.deepStrictEqual((c.healthcheck as Raw).tests, ["CMD-SHELL", e.healthcheck]);
            }
            if (e.database) {
                assert.strictEqual(one(resources, "docker:index/remoteImage:RemoteImage", `${name}-db`).inputs.name, e.database.image ?? databaseImages[e.database.engine]);
            }
        });
    }

    it("gives Netdata its host paths read-only, its capabilities and an init", () => {
        const c = one(resources, "docker:index/container:Container", "netdata").inputs;
        assert.deepStrictEqual(c.capabilities, { adds: ["CAP_SYS_PTRACE", "CAP_SYS_ADMIN"], drops: [] });
        assert.strictEqual(c.init, true);
        const hostPaths = (c.volumes as Raw[]).filter((v) => v.hostPath).map((v) => `${v.hostPath}:${v.containerPath}:${v.readOnly ? "ro" : "rw"}`);
        assert.deepStrictEqual(hostPaths, [
            "/etc/passwd:/host/etc/passwd:ro",
            "/etc/group:/host/etc/group:ro",
            "/etc/localtime:/etc/localtime:ro",
            "/proc:/host/proc:ro",
            "/sys:/host/sys:ro",
            "/etc/os-release:/host/etc/os-release:ro",
            "/var/log:/host/var/log:ro",
        ]);
    });

    it("gives wg-easy NET_ADMIN, SYS_MODULE and the forwarding sysctls, and Home Assistant the host's network", () => {
        const wg = one(resources, "docker:index/container:Container", "wg-easy").inputs;
        assert.deepStrictEqual(wg.capabilities, { adds: ["CAP_NET_ADMIN", "CAP_SYS_MODULE"], drops: [] });
        assert.deepStrictEqual(wg.sysctls, { "net.ipv4.ip_forward": "1", "net.ipv4.conf.all.src_valid_mark": "1" });
        const ha = one(resources, "docker:index/container:Container", "homeassistant").inputs;
        assert.strictEqual(ha.networkMode, "host");
        assert.strictEqual(ha.networksAdvanced, undefined);
    });

    it("runs Immich's machine learning and Redis, and Paperless's broker, as sidecars named as the app expects them", () => {
        // (The containers' env lists hold the database password: secret as a whole, so read the resolved app.)
        const immich = resolveApp(appSchema.parse({ name: "immich" })).env;
        assert.deepStrictEqual(immich, { IMMICH_MACHINE_LEARNING_URL: "http://immich-machine-learning:3003", REDIS_HOSTNAME: "immich-redis" });
        assert.strictEqual(one(resources, "docker:index/container:Container", "immich-machine-learning").inputs.name, "immich-machine-learning");
        assert.strictEqual(one(resources, "docker:index/container:Container", "immich-redis").inputs.name, "immich-redis");
        assert.strictEqual(one(resources, "docker:index/container:Container", "paperless-ngx-broker").inputs.name, "paperless-ngx-broker");
        const paperless = resolveApp(appSchema.parse({ name: "paperless-ngx", env: { PAPERLESS_SECRET_KEY: new SecretValue("k") } })).env;
        assert.strictEqual(paperless.PAPERLESS_REDIS, "redis://paperless-ngx-broker:6379");
    });
});
