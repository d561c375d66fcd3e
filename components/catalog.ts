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
    /** Environment variable names through which the app learns the database's host, name, user and password. */
    env: { host: string; name: string; user: string; password: string };
    /** Suffix appended to the host value, e.g. `:3306` for apps that want host:port. Defaults to none. */
    hostSuffix?: string;
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
    generic: {
        description: "Any image: set image (pinned), port, env and volumes in config",
        image: "",
    },
};
