// The app catalog: what each known app needs, so that adding one to a lab is a few lines of config.
// Images are pinned to a version tag; a lab overrides `image`, `env` or `volumes` in its config.
import { ContainerFields } from "./app/containerFields";

/**
 * A volume: a named Docker volume (`name` is its role; the Docker volume is `<app>-<name>`), or a
 * path on a NAS share mounted on the Docker host.
 */
export type CatalogVolume =
    | { name: string; path: string }
    | {
          share: string;
          /** Folder inside the share. Defaults to the share's root. */
          subPath?: string;
          path: string;
          /** Mount it read-only: the app only reads the share. Defaults to false. */
          readOnly?: boolean;
          /**
           * The user id (inside the app container) that writes to the share. A CIFS mount shows
           * every file with one owner, so the Docker host mounts the share as this user. Defaults
           * to none: root in the container, which may write to any file of the share.
           */
          uid?: number;
      }
    | {
          /** A folder or file of the Docker host (an absolute path, such as /proc or /etc/localtime). */
          hostPath: string;
          path: string;
          /** Defaults to true: the app reads the host's files; set false where it must write. */
          readOnly?: boolean;
      };

/** A port published on the Docker host's LAN address. */
export interface CatalogPort {
    host: number;
    container: number;
    protocol?: "tcp" | "udp";
}

/** A database the app gets for itself: its own container, reachable from the app only. */
export interface CatalogDatabase {
    engine: "mariadb" | "postgres";
    /** A pinned image of the engine with what the app needs in it (an extension). Defaults to `databaseImages[engine]`. */
    image?: string;
    /** Environment variable names through which the app learns the database's host, name, user and password. */
    env: { host: string; name: string; user: string; password: string };
    /** Suffix appended to the host value, e.g. `:3306` for apps that want host:port. Defaults to none. */
    hostSuffix?: string;
}

/** A container that runs beside its app (a cache, a worker): `<app>-<name>`, on the app's networks. */
export interface CatalogSidecar extends ContainerFields {
    name: string;
    /** Pinned image. */
    image: string;
    env: Record<string, string>;
    volumes: CatalogVolume[];
}

export interface CatalogEntry extends ContainerFields {
    description: string;
    /** Pinned image. */
    image: string;
    /** Container port of the web UI the proxy forwards to. Omitted: the app has no web route. */
    port?: number;
    /**
     * Whether the web port speaks TLS itself. Defaults to false. The reverse proxy cannot forward
     * to a TLS upstream yet: the stack refuses such an app while it has a route through the proxy.
     */
    tlsUpstream?: boolean;
    env?: Record<string, string>;
    /** Environment variables that must be set as secrets in the app's config (`env`). */
    secretEnv?: string[];
    volumes?: CatalogVolume[];
    database?: CatalogDatabase;
    /**
     * What the image needs to work behind the lab's HTTPS reverse proxy at `https://<subdomain>.<domain>`,
     * as environment variables. Values may hold `{host}` (the app's name, `nextcloud.thehomelab.site`),
     * `{url}` (`https://{host}`) and `{proxies}` (the network or address the proxy's requests come
     * from, to trust its `X-Forwarded-*` headers). Applied only to an app with a route; the app's
     * config `env` wins. Cite the image's documentation beside each entry. Defaults to none.
     */
    proxyEnv?: Record<string, string>;
    /**
     * The database engines the app supports, for a config that gives it a database of its own
     * choice. Defaults to the engine of `database` alone (none for an entry without one; any for `generic`).
     */
    databaseEngines?: CatalogDatabase["engine"][];
    /** Containers that run beside the app. */
    sidecars?: CatalogSidecar[];
    /** Mount the Docker socket (container managers). Defaults to false. */
    dockerSocket?: boolean;
    /** Healthcheck command (CMD-SHELL). */
    healthcheck?: string;
    /**
     * With `networkMode: host` (services that must see the LAN's multicast: DLNA/SSDP discovery
     * does not cross Docker's NAT), `ports` lists the ports the app occupies on the host, for
     * conflict checks; nothing is published.
     */
    ports?: CatalogPort[];
}

/** Pinned database images. */
export const databaseImages = {
    mariadb: "mariadb:11.4.4",
    postgres: "postgres:16.6",
} as const;

/** What `proxyEnv` placeholders stand for, for one app behind the proxy. */
export interface ProxyContext {
    /** The app's fully qualified name, e.g. `nextcloud.thehomelab.site`. */
    host: string;
    /** Where the proxy's requests come from: its app network (same host) or its host's address. */
    proxies: string;
}

/** An entry's `proxyEnv` with `{host}`, `{url}` and `{proxies}` filled in. Throws on an unknown placeholder. */
export function proxyEnvFor(entry: Pick<CatalogEntry, "proxyEnv">, ctx: ProxyContext): Record<string, string> {
    const values: Record<string, string> = { host: ctx.host, url: `https://${ctx.host}`, proxies: ctx.proxies };
    return Object.fromEntries(
        Object.entries(entry.proxyEnv ?? {}).map(([key, template]) => [
            key,
            template.replace(/\{([a-z]+)\}/g, (_, name: string) => {
                if (values[name] === undefined) {
                    throw new Error(`catalog proxyEnv ${key}: unknown placeholder {${name}}: use {host}, {url} or {proxies}`);
                }
                return values[name];
            }),
        ]),
    );
}

const mysqlEnv = (prefix: string) => ({ host: `${prefix}HOST`, name: `${prefix}DATABASE`, user: `${prefix}USER`, password: `${prefix}PASSWORD` });

export const catalog: Record<string, CatalogEntry> = {
    pihole: {
        description: "Network ad blocker and local DNS",
        image: "pihole/pihole:2024.07.0",
        port: 80,
        env: { TZ: "Etc/UTC", DNSMASQ_LISTENING: "all" },
        // docker-pi-hole's README (v5 images, "Environment variables"): VIRTUAL_HOST is the name the
        // admin UI is reached by; its CORS/host checks accept that name besides pi.hole.
        proxyEnv: { VIRTUAL_HOST: "{host}" },
        secretEnv: ["WEBPASSWORD"],
        volumes: [
            { name: "etc", path: "/etc/pihole" },
            { name: "dnsmasq", path: "/etc/dnsmasq.d" },
        ],
        // DNS is the one service the LAN reaches directly.
        ports: [
            { host: 53, container: 53, protocol: "tcp" },
            { host: 53, container: 53, protocol: "udp" },
        ],
        healthcheck: "dig +short +norecurse +retry=0 @127.0.0.1 pi.hole || exit 1",
    },
    portainer: {
        description: "Container management UI",
        image: "portainer/portainer-ce:2.21.5",
        // Plain HTTP on 9000 (https://docs.portainer.io/advanced/reverse-proxy/traefik proxies to
        // it): links are relative to the request and the console's WebSocket passes through
        // Caddy's reverse_proxy unchanged. No setting is needed.
        port: 9000,
        volumes: [{ name: "data", path: "/data" }],
        dockerSocket: true,
    },
    heimdall: {
        description: "Dashboard of all apps",
        image: "lscr.io/linuxserver/heimdall:2.6.3",
        // Heimdall's app/Http/Middleware/TrustProxies.php (linuxserver/Heimdall) trusts X-Forwarded-*
        // from 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 and 127.0.0.1, which holds the proxy's app
        // network: it builds https links from X-Forwarded-Proto with no setting.
        port: 80,
        env: { PUID: "1000", PGID: "1000", TZ: "Etc/UTC" },
        volumes: [{ name: "config", path: "/config" }],
    },
    checkmk: {
        description: "Monitoring (Checkmk Raw)",
        image: "checkmk/check-mk-raw:2.3.0p24",
        // The site's web UI is at /<CMK_SITE_ID>/check_mk/ on the container's port 5000
        // (https://docs.checkmk.com/latest/en/introduction_docker.html); the Docker guide names no
        // proxy setting. The route serves https://checkmk.<domain>/cmk/check_mk/.
        port: 5000,
        env: { CMK_SITE_ID: "cmk" },
        secretEnv: ["CMK_PASSWORD"],
        volumes: [{ name: "sites", path: "/omd/sites" }],
    },
    nextcloud: {
        description: "Files and collaboration",
        image: "nextcloud:30.0.4-apache",
        port: 80,
        env: { NEXTCLOUD_DATA_DIR: "/var/www/html/data" },
        // The nextcloud image's README (github.com/nextcloud/docker, "Using the apache image behind a
        // reverse proxy and auto configure server host and protocol"): the trusted domain, the
        // overwrite host/protocol/CLI URL, and the proxy in TRUSTED_PROXIES with APACHE_DISABLE_REWRITE_IP
        // so that Nextcloud itself reads the client address from X-Forwarded-For of that proxy only.
        proxyEnv: {
            NEXTCLOUD_TRUSTED_DOMAINS: "{host}",
            OVERWRITEHOST: "{host}",
            OVERWRITEPROTOCOL: "https",
            OVERWRITECLIURL: "{url}",
            TRUSTED_PROXIES: "{proxies}",
            APACHE_DISABLE_REWRITE_IP: "1",
        },
        secretEnv: ["NEXTCLOUD_ADMIN_PASSWORD"],
        volumes: [
            { name: "html", path: "/var/www/html" },
            // Apache runs Nextcloud as www-data (33), which must own its data directory.
            { share: "documents", subPath: "nextcloud", path: "/var/www/html/data", uid: 33 },
        ],
        database: { engine: "mariadb", env: mysqlEnv("MYSQL_") },
        healthcheck: "curl -fsS http://127.0.0.1/status.php || exit 1",
    },
    photoprism: {
        description: "Photo library",
        image: "photoprism/photoprism:240915",
        port: 2342,
        env: { PHOTOPRISM_DATABASE_DRIVER: "mysql" },
        // https://docs.photoprism.app/getting-started/config-options/: PHOTOPRISM_SITE_URL is the
        // public URL links and sharing use; PHOTOPRISM_TRUSTED_PROXY the ranges whose X-Forwarded-*
        // headers it trusts; PHOTOPRISM_DISABLE_TLS keeps port 2342 plain HTTP although the site URL
        // is https (the proxy terminates TLS).
        proxyEnv: { PHOTOPRISM_SITE_URL: "{url}/", PHOTOPRISM_TRUSTED_PROXY: "{proxies}", PHOTOPRISM_DISABLE_TLS: "true" },
        secretEnv: ["PHOTOPRISM_ADMIN_PASSWORD"],
        volumes: [
            { name: "storage", path: "/photoprism/storage" },
            { share: "media", subPath: "photos", path: "/photoprism/originals" },
        ],
        database: {
            engine: "mariadb",
            env: { host: "PHOTOPRISM_DATABASE_SERVER", name: "PHOTOPRISM_DATABASE_NAME", user: "PHOTOPRISM_DATABASE_USER", password: "PHOTOPRISM_DATABASE_PASSWORD" },
            hostSuffix: ":3306",
        },
    },
    transmission: {
        description: "BitTorrent client",
        image: "lscr.io/linuxserver/transmission:4.0.6",
        port: 9091,
        env: { PUID: "1000", PGID: "1000", TZ: "Etc/UTC" },
        // linuxserver/docker-transmission README: HOST_WHITELIST fills rpc-host-whitelist, which
        // Transmission checks against the Host header (DNS-rebinding protection): the app's name.
        proxyEnv: { HOST_WHITELIST: "{host}" },
        volumes: [
            { name: "config", path: "/config" },
            { share: "media", subPath: "downloads", path: "/downloads", uid: 1000 },
        ],
    },
    minidlna: {
        description: "DLNA server: the media share to the TV",
        image: "vladgh/minidlna:0.3.3",
        env: { MINIDLNA_MEDIA_DIR: "/media", MINIDLNA_FRIENDLY_NAME: "homelab" },
        volumes: [{ share: "media", path: "/media", readOnly: true }],
        // TVs find a DLNA server by SSDP multicast (M-SEARCH and NOTIFY to 239.255.255.250:1900),
        // which Docker's port publishing does not carry: the server runs in the host's network
        // namespace, and these are the ports it occupies there (the stream and SSDP).
        networkMode: "host",
        ports: [
            { host: 8200, container: 8200, protocol: "tcp" },
            { host: 1900, container: 1900, protocol: "udp" },
        ],
    },
    rclone: {
        description: "Off-site copy of the backups share on a schedule",
        image: "rclone/rclone:1.68.2",
        // RCLONE_REMOTE is a whole remote as an rclone connection string, e.g.
        // `:b2,account=ID,key=KEY:bucket/homelab`, so no rclone.conf is needed.
        secretEnv: ["RCLONE_REMOTE"],
        volumes: [
            { name: "config", path: "/config/rclone" },
            { share: "backups", path: "/data", readOnly: true },
        ],
        // Once at start and then every 24 hours: make the remote an exact copy of the backups
        // share (backups that Proxmox prunes disappear off-site as well). A failed run is logged
        // and retried the next day; restarting the container starts a run at once.
        entrypoint: ["/bin/sh", "-c"],
        command: [
            'while true; do echo "rclone: sync started $(date -u +%FT%TZ)"; ' +
                'if rclone sync /data "$RCLONE_REMOTE" --config /config/rclone/rclone.conf --stats-one-line --stats 0; ' +
                'then echo "rclone: sync done"; else echo "rclone: sync FAILED, next try in 24 h"; fi; sleep 86400; done',
        ],
    },
    // Netdata, packaging/docker/README.md of netdata/netdata: the agent reads the host through
    // read-only host paths; SYS_PTRACE and SYS_ADMIN for the apps and cgroups plugins; without
    // `pid: host` it must run with an init. Web UI on 19999 (plain HTTP, behind the proxy).
    // On the apps' network (routable): host network mode would add only per-interface traffic.
    netdata: {
        description: "Real-time monitoring of the Docker host and its containers",
        image: "netdata/netdata:v2.10.3",
        port: 19999,
        volumes: [
            { name: "config", path: "/etc/netdata" },
            { name: "lib", path: "/var/lib/netdata" },
            { name: "cache", path: "/var/cache/netdata" },
            { hostPath: "/etc/passwd", path: "/host/etc/passwd" },
            { hostPath: "/etc/group", path: "/host/etc/group" },
            { hostPath: "/etc/localtime", path: "/etc/localtime" },
            { hostPath: "/proc", path: "/host/proc" },
            { hostPath: "/sys", path: "/host/sys" },
            { hostPath: "/etc/os-release", path: "/host/etc/os-release" },
            { hostPath: "/var/log", path: "/host/var/log" },
        ],
        capabilities: { add: ["SYS_PTRACE", "SYS_ADMIN"] },
        init: true,
        // The image's own HEALTHCHECK runs /usr/sbin/health.sh (the agent's /api/v1/info).
        healthcheck: "/usr/sbin/health.sh",
    },
    // Jellyfin (jellyfin.org/docs/general/installation/container): /config and /cache, media
    // read-only; hardware transcoding through the render device /dev/dri (set `devices` to the
    // node's device once passed into the Docker host). Web on 8096, /health answers "Healthy".
    jellyfin: {
        description: "Media server: films, series and music from the media share",
        image: "jellyfin/jellyfin:10.10.7",
        port: 8096,
        volumes: [
            { name: "config", path: "/config" },
            { name: "cache", path: "/cache" },
            { share: "media", path: "/media", readOnly: true },
        ],
        healthcheck: "curl -fsS http://127.0.0.1:8096/health || exit 1",
    },
    // Plex (README.md of plexinc/pms-docker): /config, /transcode, media at /data; bridge
    // networking publishes 32400 (the primary port, also for remote access through the router)
    // and the proxy routes the web app; `PLEX_CLAIM` (plex.tv/claim) logs the server in on first
    // start. Quick Sync transcoding: `devices: [/dev/dri]`. The tag is a PMS release (the image's
    // `public`/`latest` tags download PMS at start); its HEALTHCHECK runs /healthcheck.sh.
    plex: {
        description: "Media server (Plex Media Server)",
        image: "plexinc/pms-docker:1.42.2.10156-f737b826c",
        port: 32400,
        env: { TZ: "Etc/UTC", PLEX_UID: "1000", PLEX_GID: "1000" },
        volumes: [
            { name: "config", path: "/config" },
            { name: "transcode", path: "/transcode" },
            { share: "media", path: "/data", readOnly: true },
        ],
        ports: [{ host: 32400, container: 32400, protocol: "tcp" }],
        healthcheck: "/healthcheck.sh",
    },
    // Home Assistant (home-assistant.io/installation/linux, "Docker Compose"): host networking
    // for discovery (mDNS, SSDP, Bluetooth), /config, the host's clock and D-Bus read-only; web on
    // 8123 of the Docker host (the proxy cannot reach a host-network app: reach it on the host's
    // address). Zigbee/Z-Wave sticks: `devices: [/dev/serial/by-id/...]` instead of privileged.
    homeassistant: {
        description: "Home automation",
        image: "ghcr.io/home-assistant/home-assistant:2024.12.5",
        networkMode: "host",
        env: { TZ: "Etc/UTC" },
        volumes: [
            { name: "config", path: "/config" },
            { hostPath: "/etc/localtime", path: "/etc/localtime" },
            { hostPath: "/run/dbus", path: "/run/dbus" },
        ],
        ports: [{ host: 8123, container: 8123, protocol: "tcp" }],
        healthcheck: "curl -fsS http://127.0.0.1:8123/manifest.json || exit 1",
    },
    // Uptime Kuma (compose.yaml of louislam/uptime-kuma): data in /app/data, web on 3001 (it uses
    // WebSockets, which the proxy passes through). The image's HEALTHCHECK runs extra/healthcheck.
    "uptime-kuma": {
        description: "Uptime monitoring and status pages",
        image: "louislam/uptime-kuma:1.23.16",
        port: 3001,
        volumes: [{ name: "data", path: "/app/data" }],
        healthcheck: "extra/healthcheck",
    },
    // Vaultwarden (README.md and the wiki of dani-garcia/vaultwarden): data in /data, web (and
    // WebSocket notifications) on 80; DOMAIN is the https URL it is served at; SQLite by default
    // (its DATABASE_URL takes a URL, not the separate variables a database of its own gives).
    // The image's HEALTHCHECK runs /healthcheck.sh.
    vaultwarden: {
        description: "Password manager (Bitwarden-compatible server)",
        image: "vaultwarden/server:1.37.2",
        port: 80,
        env: { SIGNUPS_ALLOWED: "false" },
        // DOMAIN: the https URL it is served at (attachments, WebAuthn and e-mail links need it).
        proxyEnv: { DOMAIN: "{url}" },
        secretEnv: ["ADMIN_TOKEN"],
        volumes: [{ name: "data", path: "/data" }],
        healthcheck: "/healthcheck.sh",
    },
    // Gitea (docs.gitea.com/installation/install-with-docker): /data, web on 3000, SSH on 22
    // (published on 2222); PostgreSQL or MySQL/MariaDB through GITEA__database__* variables.
    gitea: {
        description: "Git hosting",
        image: "gitea/gitea:1.22.6",
        port: 3000,
        env: { USER_UID: "1000", USER_GID: "1000", GITEA__database__DB_TYPE: "postgres" },
        // ROOT_URL: the public URL in clone links and redirects (docs: "Reverse Proxies").
        proxyEnv: { GITEA__server__ROOT_URL: "{url}/", GITEA__server__DOMAIN: "{host}" },
        volumes: [{ name: "data", path: "/data" }],
        ports: [{ host: 2222, container: 22, protocol: "tcp" }],
        database: {
            engine: "postgres",
            env: { host: "GITEA__database__HOST", name: "GITEA__database__NAME", user: "GITEA__database__USER", password: "GITEA__database__PASSWD" },
            hostSuffix: ":5432",
        },
        // MySQL support covers MariaDB: set GITEA__database__DB_TYPE to mysql with it.
        databaseEngines: ["postgres", "mariadb"],
        healthcheck: "curl -fsS http://127.0.0.1:3000/api/healthz || exit 1",
    },
    // Paperless-ngx (docker/compose/docker-compose.postgres.yml of paperless-ngx/paperless-ngx):
    // data, media, export and consume folders, web on 8000, a Redis broker (a sidecar here) and
    // PostgreSQL or MariaDB (PAPERLESS_DBENGINE says which).
    "paperless-ngx": {
        description: "Document archive with OCR",
        image: "ghcr.io/paperless-ngx/paperless-ngx:2.20.15",
        port: 8000,
        env: { PAPERLESS_REDIS: "redis://paperless-ngx-broker:6379", PAPERLESS_DBENGINE: "postgresql" },
        // PAPERLESS_URL: the public URL (CSRF and allowed hosts follow it; docs: configuration, "Hosting & Security").
        proxyEnv: { PAPERLESS_URL: "{url}" },
        secretEnv: ["PAPERLESS_SECRET_KEY"],
        volumes: [
            { name: "data", path: "/usr/src/paperless/data" },
            { name: "media", path: "/usr/src/paperless/media" },
            { share: "documents", subPath: "paperless/export", path: "/usr/src/paperless/export" },
            { share: "documents", subPath: "paperless/consume", path: "/usr/src/paperless/consume" },
        ],
        database: {
            engine: "postgres",
            env: { host: "PAPERLESS_DBHOST", name: "PAPERLESS_DBNAME", user: "PAPERLESS_DBUSER", password: "PAPERLESS_DBPASS" },
        },
        databaseEngines: ["postgres", "mariadb"],
        sidecars: [{ name: "broker", image: "docker.io/library/redis:7.4.1", env: {}, volumes: [{ name: "data", path: "/data" }] }],
        healthcheck: "curl -fsS http://127.0.0.1:8000 || exit 1",
    },
    // Immich (docker/docker-compose.yml of immich-app/immich, v1.123): the server on 2283, the
    // uploads folder, machine learning and Redis beside it, and PostgreSQL with the pgvecto.rs
    // extension (only that image: plain PostgreSQL lacks the vector search it needs).
    immich: {
        description: "Photo and video backup",
        image: "ghcr.io/immich-app/immich-server:v1.123.0",
        port: 2283,
        env: { REDIS_HOSTNAME: "immich-redis", IMMICH_MACHINE_LEARNING_URL: "http://immich-machine-learning:3003" },
        volumes: [
            { share: "media", subPath: "immich", path: "/usr/src/app/upload" },
            { hostPath: "/etc/localtime", path: "/etc/localtime" },
        ],
        database: {
            engine: "postgres",
            image: "docker.io/tensorchord/pgvecto-rs:pg14-v0.2.0",
            env: { host: "DB_HOSTNAME", name: "DB_DATABASE_NAME", user: "DB_USERNAME", password: "DB_PASSWORD" },
        },
        sidecars: [
            {
                name: "machine-learning",
                image: "ghcr.io/immich-app/immich-machine-learning:v1.123.0",
                env: {},
                volumes: [{ name: "model-cache", path: "/cache" }],
            },
            { name: "redis", image: "docker.io/library/redis:6.2-alpine", env: {}, volumes: [] },
        ],
        // The image's HEALTHCHECK runs immich-healthcheck.
        healthcheck: "immich-healthcheck",
    },
    // Grafana (grafana.com/docs/grafana/latest/setup-grafana/installation/docker): /var/lib/grafana,
    // web on 3000, the admin password from GF_SECURITY_ADMIN_PASSWORD; SQLite by default.
    grafana: {
        description: "Dashboards (pairs with prometheus)",
        image: "grafana/grafana:11.4.0",
        port: 3000,
        secretEnv: ["GF_SECURITY_ADMIN_PASSWORD"],
        // GF_SERVER_ROOT_URL: the public URL for redirects and links (docs: "Run Grafana behind a reverse proxy").
        proxyEnv: { GF_SERVER_ROOT_URL: "{url}/" },
        volumes: [{ name: "data", path: "/var/lib/grafana" }],
        user: "472",
        healthcheck: "wget -qO- http://127.0.0.1:3000/api/health || exit 1",
    },
    // Prometheus (prometheus.io/docs/prometheus/latest/installation, "Using Docker"): the TSDB in
    // /prometheus, web and API on 9090 (Grafana's data source: http://prometheus:9090).
    prometheus: {
        description: "Metrics database (Grafana's data source)",
        image: "prom/prometheus:v3.1.0",
        port: 9090,
        volumes: [{ name: "data", path: "/prometheus" }],
        healthcheck: "wget -qO- http://127.0.0.1:9090/-/healthy || exit 1",
    },
    // Syncthing (README-Docker.md of syncthing/syncthing): /var/syncthing, the GUI on 8384, sync on
    // 22000 tcp and udp, local discovery on 21027/udp; its HEALTHCHECK asks /rest/noauth/health.
    syncthing: {
        description: "File synchronisation between devices",
        image: "syncthing/syncthing:1.29.2",
        port: 8384,
        env: { PUID: "1000", PGID: "1000" },
        volumes: [{ name: "data", path: "/var/syncthing" }],
        ports: [
            { host: 22000, container: 22000, protocol: "tcp" },
            { host: 22000, container: 22000, protocol: "udp" },
            { host: 21027, container: 21027, protocol: "udp" },
        ],
        healthcheck: "curl -fkLsS -m 2 127.0.0.1:8384/rest/noauth/health | grep -o OK || exit 1",
    },
    // AdGuard Home (README.md of AdguardTeam/AdGuardHome, Docker Hub page): work and conf folders,
    // DNS on 53; the set-up wizard and then the web UI on 3000 (keep 3000 as the web port in the
    // wizard: it is the port the proxy routes to). Not with pihole on the same Docker host (53).
    adguardhome: {
        description: "Network ad blocker and DNS (an alternative to pihole)",
        image: "adguard/adguardhome:v0.107.55",
        port: 3000,
        volumes: [
            { name: "work", path: "/opt/adguardhome/work" },
            { name: "conf", path: "/opt/adguardhome/conf" },
        ],
        ports: [
            { host: 53, container: 53, protocol: "tcp" },
            { host: 53, container: 53, protocol: "udp" },
        ],
    },
    // wg-easy (docker-compose.yml and README.md of wg-easy/wg-easy): WireGuard on 51820/udp, the
    // web UI on 51821; NET_ADMIN and SYS_MODULE, the host's kernel modules read-only, IP forwarding
    // sysctls. In an LXC Docker host the Proxmox node must have the wireguard module loaded.
    // The image's HEALTHCHECK checks `wg show` lists the interface.
    "wg-easy": {
        description: "WireGuard VPN with a web UI",
        image: "ghcr.io/wg-easy/wg-easy:15.1.0",
        port: 51821,
        volumes: [
            { name: "config", path: "/etc/wireguard" },
            { hostPath: "/lib/modules", path: "/lib/modules" },
        ],
        ports: [{ host: 51820, container: 51820, protocol: "udp" }],
        capabilities: { add: ["NET_ADMIN", "SYS_MODULE"] },
        sysctls: {
            "net.ipv4.ip_forward": "1",
            "net.ipv4.conf.all.src_valid_mark": "1",
        },
        healthcheck: "wg show | grep -q interface || exit 1",
    },
    generic: {
        description: "Any image: set image (pinned), port, env and volumes in config",
        image: "",
    },
};
