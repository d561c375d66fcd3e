import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { parse, stringify } from "yaml";
import { App, AppContainer, AppHost } from "../components/app";
import { appArgs, ResolvedApp, resolveApp, shareOwners } from "../stacks/apps";
import { databaseImages } from "../components/catalog";
import { AppConfig, appSchema, SecretValue } from "../stacks/config";
import { capture } from "../scripts/capture";
import { standInAppHost } from "./helpers/appHost";
import { captureApplyError, captureRefusal, captureStack, CapturedResource, childrenOf, homeConfig, homeYaml, ofType, one, outputOf } from "./helpers/mocks";

/** An app as the config loader hands it over (defaults filled). */
const appConfig = (raw: Record<string, unknown>): AppConfig => appSchema.parse(raw);
const s = (v: string) => new SecretValue(v);

describe("resolveApp", () => {
    const ok: [string, Record<string, unknown>, Partial<ResolvedApp>][] = [
        [
            "a catalog app with its defaults",
            { name: "pihole", env: { WEBPASSWORD: s("pw") } },
            {
                catalog: "pihole",
                image: "pihole/pihole:2024.07.0",
                port: 80,
                expose: true,
                subdomain: "pihole",
                hostNetwork: false,
                ports: [
                    { host: 53, container: 53, protocol: "tcp" },
                    { host: 53, container: 53, protocol: "udp" },
                ],
            },
        ],
        [
            "overrides of image, port, subdomain and expose",
            { name: "heimdall", image: "lscr.io/linuxserver/heimdall:2.6.1", port: 8080, subdomain: "home", expose: false },
            { image: "lscr.io/linuxserver/heimdall:2.6.1", port: 8080, subdomain: "home", expose: false },
        ],
        [
            "config env over catalog env",
            { name: "heimdall", env: { TZ: "Europe/Berlin", EXTRA: "1" } },
            { env: { PUID: "1000", PGID: "1000", TZ: "Europe/Berlin", EXTRA: "1" } },
        ],
        [
            "config volumes instead of the catalog's",
            { name: "transmission", volumes: [{ share: "media", subPath: "torrents", path: "/downloads" }] },
            { volumes: [{ share: "media", subPath: "torrents", path: "/downloads" }] },
        ],
        [
            "config ports instead of the catalog's",
            { name: "pihole", env: { WEBPASSWORD: s("pw") }, ports: [{ host: 5353, container: 53, protocol: "udp" }] },
            { ports: [{ host: 5353, container: 53, protocol: "udp" }] },
        ],
        [
            "a generic image with its own database, not exposed without a port",
            { name: "worker", catalog: "generic", image: "example/worker:1.0", database: { engine: "postgres", env: { host: "H", name: "N", user: "U", password: "P" } } },
            { catalog: "generic", image: "example/worker:1.0", port: undefined, expose: false, database: { engine: "postgres", env: { host: "H", name: "N", user: "U", password: "P" } } },
        ],
        ["the catalog's database", { name: "nextcloud", env: { NEXTCLOUD_ADMIN_PASSWORD: s("pw") } }, { database: { engine: "mariadb", env: { host: "MYSQL_HOST", name: "MYSQL_DATABASE", user: "MYSQL_USER", password: "MYSQL_PASSWORD" } } }],
        [
            "minidlna on the host's network, not routed, with the LAN ports it occupies",
            { name: "minidlna" },
            {
                hostNetwork: true,
                expose: false,
                port: undefined,
                ports: [
                    { host: 8200, container: 8200, protocol: "tcp" },
                    { host: 1900, container: 1900, protocol: "udp" },
                ],
            },
        ],
        ["portainer with the Docker socket", { name: "portainer" }, { dockerSocket: true, expose: true, port: 9000 }],
    ];
    for (const [what, raw, want] of ok) {
        it(`resolves ${what}`, () => {
            const got = resolveApp(appConfig(raw)) as unknown as Record<string, unknown>;
            for (const [k, v] of Object.entries(want)) {
                assert.deepStrictEqual(got[k], v, k);
            }
        });
    }

    const bad: [string, Record<string, unknown>, string][] = [
        ["an unknown catalog entry", { name: "plexx" }, "app 'plexx': unknown catalog entry 'plexx': use one of pihole, portainer, heimdall, checkmk, nextcloud, photoprism, transmission, minidlna, rclone, netdata, jellyfin, plex, homeassistant, uptime-kuma, vaultwarden, gitea, paperless-ngx, immich, grafana, prometheus, syncthing, adguardhome, wg-easy, generic"],
        ["a generic app without image", { name: "x", catalog: "generic", port: 80 }, "app 'x': catalog entry 'generic' has no image: set image to a pinned image such as nginx:1.27.3"],
        [
            "a required secret given in plain text",
            { name: "pihole", env: { WEBPASSWORD: "plain" } },
            "app 'pihole': env WEBPASSWORD must be set as a secret: pulumi config set --secret --path 'homelab:apps[<index of pihole>].env.WEBPASSWORD' <value>",
        ],
        ["a required secret left out", { name: "rclone" }, "app 'rclone': env RCLONE_REMOTE must be set as a secret: pulumi config set --secret --path 'homelab:apps[<index of rclone>].env.RCLONE_REMOTE' <value>"],
        ["publishing 443", { name: "heimdall", ports: [{ host: 443, container: 443 }] }, "app 'heimdall': port 443/tcp belongs to the reverse proxy: expose the app through its route instead"],
        ["exposing an app without a port", { name: "x", catalog: "generic", image: "a/b:1", expose: true }, "app 'x': an exposed app needs the container port the proxy forwards to: set port"],
        ["exposing a host-network app", { name: "minidlna", expose: true, port: 8200 }, "app 'minidlna': an app on the host's network is not on the apps' network, so the proxy cannot reach it: set expose: false"],
    ];
    for (const [what, raw, message] of bad) {
        it(`rejects ${what}`, () => {
            assert.throws(() => resolveApp(appConfig(raw)), { message });
        });
    }
});

describe("shareOwners", () => {
    it("mounts each share as the user its writing app runs as (reference lab)", () => {
        assert.deepStrictEqual(shareOwners(homeConfig().apps.map((a) => resolveApp(a))), { documents: 33, media: 1000 });
    });

    it("refuses two apps that want one share owned by different users", () => {
        const apps = [
            resolveApp(appConfig({ name: "transmission" })),
            resolveApp(appConfig({ name: "dl", catalog: "generic", image: "a/b:1", volumes: [{ share: "media", path: "/x" }] })),
            resolveApp(appConfig({ name: "nextcloud", env: { NEXTCLOUD_ADMIN_PASSWORD: s("pw") }, volumes: [{ share: "media", path: "/var/www/html/data" }] })),
        ];
        // Config volumes carry no uid: only the catalog says who writes, so build the conflict from it.
        apps[2].volumes = [{ share: "media", path: "/var/www/html/data", uid: 33 }];
        assert.throws(() => shareOwners(apps), {
            message: "apps 'transmission' and 'nextcloud' want share 'media' owned by different users (1000 and 33) on one Docker host: run them on different hosts or give one its own share",
        });
    });
});

/** Pulumi's marker of a secret in a serialized value. */
const secretSig = "1b47061264138c4ac30d75fd1eb44270";
const sigKey = "4dabf18193072939515e22adb298388d";
type Raw = Record<string, any>;
const isSecret = (v: unknown) => typeof v === "object" && v !== null && (v as Raw)[sigKey] === secretSig;

/**
 * Records each registration's inputs as serialized, before the SDK folds a secret list element
 * into a secret list: that is where one env entry can be seen to be secret and its neighbours not.
 */
function recordRawInputs(): Map<string, Raw> {
    const raw = new Map<string, Raw>();
    const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: any, cb: unknown): void };
    const inner = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
        raw.set(`${req.getType()} ${req.getName()}`, req.getObject().toJavaScript());
        inner(req, cb);
    };
    return raw;
}

/** The reference lab's apps on a stand-in Docker host, in update mode so that generated passwords are known. */
async function referenceApps(): Promise<{ resources: CapturedResource[]; raw: Map<string, Raw>; apps: Record<string, App> }> {
    let raw = new Map<string, Raw>();
    const apps: Record<string, App> = {};
    const { resources } = await capture(
        () => {
            raw = recordRawInputs();
            const host = standInAppHost();
            for (const a of homeConfig().apps) {
                apps[a.name] = new App(a.name, { ...appArgs(resolveApp(a)), host }, { provider: host.provider });
            }
        },
        { stack: "test", config: {}, preview: false },
    );
    return { resources, raw, apps };
}

/** `KEY` or `KEY (secret)` for each env entry of a container, sorted. */
function envKeys(raw: Raw): string[] {
    return (raw.envs as unknown[])
        .map((e) => (isSecret(e) ? `${String((e as Raw).value).split("=")[0]} (secret)` : String(e).split("=")[0]))
        .sort();
}

function volumes(inputs: Raw): string[] {
    return ((inputs.volumes ?? []) as Raw[]).map((v) => `${v.volumeName ?? v.hostPath}:${v.containerPath}${v.readOnly ? ":ro" : ""}`);
}

describe("App (the reference lab's apps)", () => {
    let resources: CapturedResource[];
    let raw: Map<string, Raw>;
    let apps: Record<string, App>;
    before(async () => {
        ({ resources, raw, apps } = await referenceApps());
    });

    it("creates exactly the image, volumes, database and container of an app with a database", () => {
        assert.deepStrictEqual(childrenOf(resources, one(resources, "homelab:index:App", "nextcloud").urn), [
            "docker:index/container:Container nextcloud",
            "docker:index/container:Container nextcloud-db",
            "docker:index/network:Network nextcloud-db",
            "docker:index/remoteImage:RemoteImage nextcloud",
            "docker:index/remoteImage:RemoteImage nextcloud-db",
            "docker:index/volume:Volume nextcloud-db-data",
            "docker:index/volume:Volume nextcloud-html",
            "random:index/randomPassword:RandomPassword nextcloud-db-password",
            "random:index/randomPassword:RandomPassword nextcloud-db-root-password",
        ]);
        assert.deepStrictEqual(childrenOf(resources, one(resources, "homelab:index:App", "portfolio").urn), [
            "docker:index/container:Container portfolio",
            "docker:index/container:Container portfolio-db",
            "docker:index/network:Network portfolio-db",
            "docker:index/remoteImage:RemoteImage portfolio",
            "docker:index/remoteImage:RemoteImage portfolio-db",
            "docker:index/volume:Volume portfolio-db-data",
            "pulumi:providers:docker portfolio-registry",
            "random:index/randomPassword:RandomPassword portfolio-db-password",
        ]);
        assert.deepStrictEqual(childrenOf(resources, one(resources, "homelab:index:App", "heimdall").urn), [
            "docker:index/container:Container heimdall",
            "docker:index/remoteImage:RemoteImage heimdall",
            "docker:index/volume:Volume heimdall-config",
        ]);
    });

    const table: Record<string, { image: string; networks: string[]; volumes: string[]; env: string[]; ports: string[] }> = {
        pihole: {
            image: "pihole/pihole:2024.07.0",
            networks: ["apps"],
            volumes: ["pihole-etc:/etc/pihole", "pihole-dnsmasq:/etc/dnsmasq.d"],
            env: ["DNSMASQ_LISTENING", "TZ", "WEBPASSWORD (secret)"],
            ports: ["53:53/tcp", "53:53/udp"],
        },
        portainer: {
            image: "portainer/portainer-ce:2.21.5",
            networks: ["apps"],
            volumes: ["portainer-data:/data", "/var/run/docker.sock:/var/run/docker.sock"],
            env: [],
            ports: [],
        },
        heimdall: { image: "lscr.io/linuxserver/heimdall:2.6.3", networks: ["apps"], volumes: ["heimdall-config:/config"], env: ["PGID", "PUID", "TZ"], ports: [] },
        checkmk: { image: "checkmk/check-mk-raw:2.3.0p24", networks: ["apps"], volumes: ["checkmk-sites:/omd/sites"], env: ["CMK_PASSWORD (secret)", "CMK_SITE_ID"], ports: [] },
        nextcloud: {
            image: "nextcloud:30.0.4-apache",
            networks: ["apps", "nextcloud-db"],
            volumes: ["nextcloud-html:/var/www/html", "/mnt/documents/nextcloud:/var/www/html/data"],
            env: ["MYSQL_DATABASE", "MYSQL_HOST", "MYSQL_PASSWORD (secret)", "MYSQL_USER", "NEXTCLOUD_ADMIN_PASSWORD (secret)", "NEXTCLOUD_ADMIN_USER", "NEXTCLOUD_DATA_DIR"],
            ports: [],
        },
        photoprism: {
            image: "photoprism/photoprism:240915",
            networks: ["apps", "photoprism-db"],
            volumes: ["photoprism-storage:/photoprism/storage", "/mnt/media/photos:/photoprism/originals"],
            env: [
                "PHOTOPRISM_ADMIN_PASSWORD (secret)",
                "PHOTOPRISM_DATABASE_DRIVER",
                "PHOTOPRISM_DATABASE_NAME",
                "PHOTOPRISM_DATABASE_PASSWORD (secret)",
                "PHOTOPRISM_DATABASE_SERVER",
                "PHOTOPRISM_DATABASE_USER",
            ],
            ports: [],
        },
        transmission: {
            image: "lscr.io/linuxserver/transmission:4.0.6",
            networks: ["apps"],
            volumes: ["transmission-config:/config", "/mnt/media/downloads:/downloads"],
            env: ["PGID", "PUID", "TZ"],
            ports: [],
        },
        portfolio: {
            image: "registry.thehomelab.site/portfolio-manager:1.4.2",
            networks: ["apps", "portfolio-db"],
            volumes: [],
            env: ["DB_HOST", "DB_NAME", "DB_PASSWORD (secret)", "DB_USER"],
            ports: [],
        },
        // On the host's network (SSDP multicast): nothing published, no Docker network joined.
        minidlna: { image: "vladgh/minidlna:0.3.3", networks: [], volumes: ["/mnt/media:/media:ro"], env: ["MINIDLNA_FRIENDLY_NAME", "MINIDLNA_MEDIA_DIR"], ports: [] },
        rclone: { image: "rclone/rclone:1.68.2", networks: ["apps"], volumes: ["rclone-config:/config/rclone", "/mnt/backups:/data:ro"], env: ["RCLONE_REMOTE (secret)"], ports: [] },
    };
    for (const [name, want] of Object.entries(table)) {
        it(`runs ${name} from its pinned image with exactly its networks, volumes, env and ports`, () => {
            assert.strictEqual(one(resources, "docker:index/remoteImage:RemoteImage", name).inputs.name, want.image);
            assert.strictEqual(one(resources, "docker:index/remoteImage:RemoteImage", name).inputs.keepLocally, true);
            const c = one(resources, "docker:index/container:Container", name);
            assert.strictEqual(c.inputs.name, name);
            assert.strictEqual(c.inputs.restart, "unless-stopped");
            assert.deepStrictEqual(((c.inputs.networksAdvanced ?? []) as Raw[]).map((n) => n.name), want.networks);
            assert.deepStrictEqual(volumes(c.inputs), want.volumes);
            assert.deepStrictEqual(envKeys(raw.get(`docker:index/container:Container ${name}`)!), want.env);
            assert.deepStrictEqual(((c.inputs.ports ?? []) as Raw[]).map((p) => `${p.external}:${p.internal}/${p.protocol}`), want.ports);
            assert.ok(c.provider.includes("$pulumi:providers:docker::host::"), c.provider);
        });
    }

    it("runs minidlna in the host's network namespace, and nothing else there", () => {
        const host = ofType(resources, "docker:index/container:Container").filter((c) => c.inputs.networkMode === "host");
        assert.deepStrictEqual(host.map((c) => c.name), ["minidlna"]);
    });

    it("gives each database its pinned image, a data volume, no port, and only its app's internal network", () => {
        const dbs = { nextcloud: "mariadb", photoprism: "mariadb", portfolio: "postgres" } as const;
        const containers = ofType(resources, "docker:index/container:Container");
        for (const [app, engine] of Object.entries(dbs)) {
            assert.strictEqual(one(resources, "docker:index/remoteImage:RemoteImage", `${app}-db`).inputs.name, databaseImages[engine]);
            const db = one(resources, "docker:index/container:Container", `${app}-db`);
            assert.deepStrictEqual(db.inputs.ports, []);
            assert.deepStrictEqual((db.inputs.networksAdvanced as Raw[]).map((n) => n.name), [`${app}-db`]);
            assert.deepStrictEqual(one(resources, "docker:index/network:Network", `${app}-db`).inputs, { name: `${app}-db`, driver: "bridge", internal: true });
            // Only the app and its database join the database's network.
            const members = containers.filter((c) => ((c.inputs.networksAdvanced ?? []) as Raw[]).some((n) => n.name === `${app}-db`)).map((c) => c.name);
            assert.deepStrictEqual(members.sort(), [app, `${app}-db`]);
        }
        assert.deepStrictEqual(ofType(resources, "docker:index/container:Container").filter((c) => c.name.endsWith("-db")).map((c) => c.name).sort(), [
            "nextcloud-db",
            "photoprism-db",
            "portfolio-db",
        ]);
    });

    it("tells each app its database's host, name, user and password, the password a secret and the same as the database's", () => {
        const envOf = (key: string) => (raw.get(key)!.envs as unknown[]).map((e) => (isSecret(e) ? `${(e as Raw).value} (secret)` : String(e)));
        assert.deepStrictEqual(envOf("docker:index/container:Container nextcloud-db").sort(), [
            "MARIADB_DATABASE=nextcloud",
            "MARIADB_PASSWORD=generated-nextcloud-db-password (secret)",
            "MARIADB_ROOT_PASSWORD=generated-nextcloud-db-root-password (secret)",
            "MARIADB_USER=nextcloud",
        ]);
        const photoprism = envOf("docker:index/container:Container photoprism");
        for (const e of ["PHOTOPRISM_DATABASE_SERVER=photoprism-db:3306", "PHOTOPRISM_DATABASE_NAME=photoprism", "PHOTOPRISM_DATABASE_USER=photoprism"]) {
            assert.ok(photoprism.includes(e), e);
        }
        assert.deepStrictEqual(envOf("docker:index/container:Container portfolio-db").sort(), ["POSTGRES_DB=portfolio", "POSTGRES_PASSWORD=generated-portfolio-db-password (secret)", "POSTGRES_USER=portfolio"]);
        assert.ok(envOf("docker:index/container:Container portfolio").includes("DB_HOST=portfolio-db"));
        // The generated password: 32 letters and digits, safe in env files and connection strings.
        const pw = raw.get("random:index/randomPassword:RandomPassword portfolio-db-password")!;
        assert.deepStrictEqual({ length: pw.length, special: pw.special }, { length: 32, special: false });
    });

    it("pulls the private image with the registry password as a secret, through a provider of its own", () => {
        const registry = one(resources, "pulumi:providers:docker", "portfolio-registry");
        assert.deepStrictEqual(registry.secretPaths, ["registryAuth"]);
        const auth = raw.get("pulumi:providers:docker portfolio-registry")!.registryAuth;
        assert.ok(isSecret(auth) && JSON.stringify(auth).includes("placeholder-registry-password"));
        assert.ok(one(resources, "docker:index/remoteImage:RemoteImage", "portfolio").provider.includes("portfolio-registry"));
        // Everyone else pulls without it.
        assert.ok(one(resources, "docker:index/remoteImage:RemoteImage", "heimdall").provider.includes("::host::"));
    });

    it("never puts a config secret anywhere but in a secret input", () => {
        for (const r of resources) {
            assert.ok(!JSON.stringify(r.inputs).includes("placeholder"), `${r.type} ${r.name}: ${JSON.stringify(r.inputs)}`);
        }
    });

    it("routes exposed apps to <name>:<port> and nothing else", () => {
        const routes = Object.values(apps).filter((a) => a.route).map((a) => `${a.route!.subdomain} ${a.route!.upstream}`);
        assert.deepStrictEqual(routes, [
            "pihole pihole:80",
            "portainer portainer:9000",
            "heimdall heimdall:80",
            "checkmk checkmk:5000",
            "nextcloud nextcloud:80",
            "photoprism photoprism:2342",
            "transmission transmission:9091",
            "portfolio portfolio:8080",
        ]);
    });

    it("refuses a share the Docker host does not mount", async () => {
        await assert.rejects(
            capture(
                () => {
                    const provider = new docker.Provider("host", {});
                    const host: AppHost = { hostname: "docker", appNetwork: new docker.Network("n", {}, { provider }), sharePaths: {}, dockerHostUrl: "ssh://root@h", sshOpts: [] };
                    new App("minidlna", { ...appArgs(resolveApp(appConfig({ name: "minidlna" }))), host }, { provider });
                },
                { stack: "test", config: {} },
            ),
            { message: "App minidlna: share 'media' is not mounted on Docker host 'docker': add { share: media } to its mounts" },
        );
    });
});

describe("home stack: Docker hosts and apps", () => {
    let resources: CapturedResource[];
    before(async () => {
        ({ result: { resources } } = await captureStack());
    });

    it("runs Docker in an unprivileged LXC with nesting and keyctl; only the share mounts wait for the NAS", () => {
        const ct = one(resources, "proxmoxve:index/containerLegacy:ContainerLegacy", "docker");
        assert.strictEqual(ct.inputs.unprivileged, true);
        assert.deepStrictEqual(ct.inputs.features, { nesting: true, keyctl: true });
        assert.strictEqual(ct.inputs.vmId, 101);
        // The Docker host waits for no part of the NAS (only for its template download).
        assert.deepStrictEqual(ct.dependsOn.filter((d) => d.includes("NasVm")), []);
        assert.deepStrictEqual(one(resources, "homelab:index:DockerHost", "docker").dependsOn, []);
        // The node mounts wait for the NAS's Samba set-up: before it, there is no share to mount.
        const mount = one(resources, "command:remote:Command", "docker-mount-documents");
        assert.deepStrictEqual(mount.dependsOn, ["urn:pulumi:home::homelab::homelab:index:NasVm$command:remote:Command::nas-samba"]);
        // Each share mounted with the user of the share, the password from the NAS users as a secret.
        assert.ok(String(mount.inputs.create).includes("--server 192.168.1.5 --share documents --target /mnt/homelab/docker/documents --uid 100033 --gid 100033;"));
        assert.deepStrictEqual(mount.secretPaths.sort(), ["connection", "stdin"]);
    });

    it("makes exactly the apps that use a share wait for the host's mounts", () => {
        const mounts = "urn:pulumi:home::homelab::homelab:index:DockerHost$command:remote:Command::docker-mounts";
        const waiting = ofType(resources, "docker:index/container:Container").filter((c) => c.dependsOn.includes(mounts)).map((c) => c.name).sort();
        const sharing = homeConfig().apps.map((a) => resolveApp(a)).filter((a) => a.volumes.some((v) => "share" in v)).map((a) => a.name).sort();
        assert.ok(sharing.length > 0);
        assert.deepStrictEqual(waiting, sharing);
    });

    it("has one container per app and per database, each on the Docker host's provider", () => {
        const names = ofType(resources, "docker:index/container:Container").map((c) => c.name).sort();
        const apps = homeConfig().apps.map((a) => a.name);
        const dbs = ["nextcloud-db", "photoprism-db", "portfolio-db"];
        // Other components (the reverse proxy) may add containers of their own; every app and database is there once.
        for (const n of [...apps, ...dbs]) {
            assert.strictEqual(names.filter((x) => x === n).length, 1, n);
        }
        for (const n of [...apps, ...dbs]) {
            assert.ok(one(resources, "docker:index/container:Container", n).provider.startsWith("urn:pulumi:home::homelab::homelab:index:DockerHost$pulumi:providers:docker::docker::"), n);
        }
    });

    it("publishes no database port and no app port but Pi-hole's DNS (minidlna uses the host's network)", () => {
        for (const c of ofType(resources, "docker:index/container:Container")) {
            const ports = ((c.inputs.ports ?? []) as Raw[]).map((p) => `${p.external}/${p.protocol}`);
            if (c.name.endsWith("-db")) {
                assert.deepStrictEqual(ports, [], c.name);
            } else if (c.urn.includes("homelab:index:App$")) {
                assert.deepStrictEqual(ports, c.name === "pihole" ? ["53/tcp", "53/udp"] : [], c.name);
            }
        }
    });

    it("keeps every resource of apps and hosts when the apps are reordered, and adds only the new app's", async () => {
        const doc = parse(homeYaml()) as { config: Record<string, unknown[]> };
        // The stack's own URN carries the stack name; everything else is compared as is.
        const urns = (rs: CapturedResource[]) => new Set(rs.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => r.urn.replace(/^urn:pulumi:[^:]+::/, "urn:pulumi:S::")));
        const before = urns(resources);

        doc.config["homelab:apps"] = [...doc.config["homelab:apps"]].reverse();
        const reordered = urns((await captureStack(stringify(doc))).result.resources);
        assert.deepStrictEqual([...reordered].sort(), [...before].sort());

        doc.config["homelab:apps"].push({ name: "whoami", catalog: "generic", image: "traefik/whoami:v1.10.3", expose: false });
        const added = [...urns((await captureStack(stringify(doc))).result.resources)].filter((u) => !reordered.has(u));
        assert.deepStrictEqual(added.sort(), [
            "urn:pulumi:S::homelab::homelab:index:App$docker:index/container:Container::whoami",
            "urn:pulumi:S::homelab::homelab:index:App$docker:index/remoteImage:RemoteImage::whoami",
            "urn:pulumi:S::homelab::homelab:index:Lab$homelab:index:App::whoami",
        ]);
    });
});

describe("App args from other resources (a consumer's program)", () => {
    it("takes Outputs for the image, env values, ports and host paths; a secret env value stays secret", async () => {
        let raw = new Map<string, Raw>();
        const { resources } = await capture(
            () => {
                raw = recordRawInputs();
                const host = standInAppHost();
                new App("api", {
                    containerName: "api",
                    image: outputOf("image", "ghcr.io/example/api:1.2.3"),
                    port: 8080,
                    route: { subdomain: "api" },
                    // What `config.requireSecret("token")` gives: a secret Output.
                    env: { TOKEN: pulumi.secret(outputOf("token", "s3cret")), MODE: "prod" },
                    ports: [{ host: outputOf("port", 9000), container: 9000 }],
                    volumes: [{ hostPath: outputOf("path", "/srv/api"), path: "/data", readOnly: false }],
                    host,
                }, { provider: host.provider });
            },
            { stack: "test", config: {}, preview: false },
        );
        const container = one(resources, "docker:index/container:Container", "api");
        assert.strictEqual(one(resources, "docker:index/remoteImage:RemoteImage", "api").inputs.name, "ghcr.io/example/api:1.2.3");
        assert.deepStrictEqual(envKeys(raw.get("docker:index/container:Container api")!), ["MODE", "TOKEN (secret)"]);
        assert.deepStrictEqual((raw.get("docker:index/container:Container api")!.envs as Raw[]).map((e) => (isSecret(e) ? e.value : e)), ["MODE=prod", "TOKEN=s3cret"]);
        assert.deepStrictEqual(container.inputs.ports, [{ internal: 9000, external: 9000, protocol: "tcp" }]);
        assert.deepStrictEqual(volumes(container.inputs), ["/srv/api:/data"]);
        // Each Output's source resource is a dependency of what uses it.
        assert.ok(container.dependsOn.includes(one(resources, "random:index/randomId:RandomId", "dependency-token").urn));
    });

    it("takes Outputs for the container's and a sidecar's options; a secret option stays secret and makes no other one secret", async () => {
        const { resources } = await capture(
            () => {
                const host = standInAppHost();
                new App("api", {
                    containerName: "api",
                    image: "ghcr.io/example/api:1.2.3",
                    container: {
                        command: outputOf("command", ["serve", "--port", "8080"]),
                        entrypoint: [outputOf("entrypoint", "/bin/api")],
                        user: pulumi.secret(outputOf("user", "1000:1000")),
                        capabilities: { add: outputOf("add", ["sys_ptrace"]), drop: ["ALL"] },
                        memory: outputOf("memory", "512m"),
                        cpus: outputOf("cpus", 1.5),
                        sysctls: { "net.core.somaxconn": outputOf("somaxconn", "1024") },
                        extraHosts: outputOf("hosts", ["printer.lan:192.168.1.30"]),
                        labels: outputOf("labels", { "org.example.role": "api" }),
                        init: outputOf("init", true),
                    },
                    sidecars: [{ name: "worker", image: "ghcr.io/example/worker:1.2.3", devices: outputOf("devices", ["/dev/dri"]), shmSize: outputOf("shm", "256m") }],
                    host,
                }, { provider: host.provider });
            },
            { stack: "test", config: {}, preview: false },
        );
        const container = one(resources, "docker:index/container:Container", "api");
        assert.deepStrictEqual(
            {
                command: container.inputs.command,
                entrypoints: container.inputs.entrypoints,
                capabilities: container.inputs.capabilities,
                memory: container.inputs.memory,
                cpus: container.inputs.cpus,
                sysctls: container.inputs.sysctls,
                hosts: container.inputs.hosts,
                labels: container.inputs.labels,
                init: container.inputs.init,
            },
            {
                command: ["serve", "--port", "8080"],
                entrypoints: ["/bin/api"],
                capabilities: { adds: ["CAP_SYS_PTRACE"], drops: ["ALL"] },
                memory: 512,
                cpus: "1.5",
                sysctls: { "net.core.somaxconn": "1024" },
                hosts: [{ host: "printer.lan", ip: "192.168.1.30" }],
                labels: [{ label: "org.example.role", value: "api" }],
                init: true,
            },
        );
        assert.strictEqual(container.inputs.user, "[secret]");
        assert.deepStrictEqual(container.secretPaths, ["user"]);
        const worker = one(resources, "docker:index/container:Container", "api-worker");
        assert.deepStrictEqual(worker.inputs.devices, [{ hostPath: "/dev/dri", containerPath: "/dev/dri", permissions: "rwm" }]);
        assert.strictEqual(worker.inputs.shmSize, 256);
        assert.deepStrictEqual(worker.secretPaths, []);
        // Each Output's source resource is a dependency of the container it sets.
        assert.ok(container.dependsOn.includes(one(resources, "random:index/randomId:RandomId", "dependency-memory").urn));
    });

    // The same bad value, plain and as an Output: the same message, at construction or inside apply.
    const badOptions: [string, (v: <T>(name: string, x: T) => T | pulumi.Output<T>) => AppContainer][] = [
        ["a memory limit under 6 MiB", (v) => ({ memory: v("memory", "5m") })],
        ["an unknown capability", (v) => ({ capabilities: { add: v("add", ["NOT_A_CAP"]) } })],
        ["a capability both added and dropped", (v) => ({ capabilities: { add: v("add", ["NET_ADMIN"]), drop: ["NET_ADMIN"] } })],
        ["a net.* sysctl on the host's network", (v) => ({ hostNetwork: true, sysctls: v("sysctls", { "net.core.somaxconn": "1024" }) })],
    ];
    for (const [what, container] of badOptions) {
        it(`refuses ${what} when plain at construction and as an Output inside apply, with one message`, async () => {
            const app = (c: AppContainer) => {
                const host = standInAppHost();
                return new App("api", { containerName: "api", image: "x:1", container: c, host }, { provider: host.provider });
            };
            const { error } = await captureRefusal(() => app(container((_, x) => x)));
            assert.match(error?.message ?? "", /^App api: /);
            assert.strictEqual(await captureApplyError(() => app(container((name, x) => outputOf(name, x)))), error!.message);
        });
    }

    it("takes a port's protocol and the database host suffix from Outputs; a proxy port from an Output is refused inside apply with the construction's message", async () => {
        let raw = new Map<string, Raw>();
        const { resources } = await capture(
            () => {
                raw = recordRawInputs();
                const host = standInAppHost();
                new App(
                    "api",
                    {
                        containerName: "api",
                        image: "x:1",
                        ports: [{ host: 443, container: 443, protocol: outputOf("protocol", "udp" as const) }],
                        database: { engine: "postgres", env: { host: "DB_HOST", name: "DB_NAME", user: "DB_USER", password: "DB_PASSWORD" }, hostSuffix: outputOf("suffix", ":5432") },
                        host,
                    },
                    { provider: host.provider },
                );
            },
            { stack: "test", config: {}, preview: false },
        );
        const container = one(resources, "docker:index/container:Container", "api");
        assert.deepStrictEqual(container.inputs.ports, [{ internal: 443, external: 443, protocol: "udp" }]);
        assert.ok((raw.get("docker:index/container:Container api")!.envs as unknown[]).includes("DB_HOST=api-db:5432"));
        const app = (protocol: pulumi.Input<"tcp">, port: pulumi.Input<number>) => {
            const host = standInAppHost();
            return new App("api", { containerName: "api", image: "x:1", ports: [{ host: port, container: 8443, protocol }], host }, { provider: host.provider });
        };
        const { error } = await captureRefusal(() => app("tcp", 443));
        assert.strictEqual(error?.message, "App api: port 443/tcp belongs to the reverse proxy: route the app through the proxy instead");
        assert.strictEqual(await captureApplyError(() => app(outputOf("protocol", "tcp" as const), 443)), error.message);
        assert.strictEqual(await captureApplyError(() => app("tcp", outputOf("port", 443))), error.message);
    });
});
