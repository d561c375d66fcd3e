/**
 * Renders the Caddyfile of the lab's one reverse proxy.
 *
 * The proxy is the only web entry of the lab: every app gets `https://<subdomain>.<domain>`, and the
 * proxy forwards to the app's container over the internal Docker network by container name and
 * port. This module is pure (no Pulumi, no I/O) so that the real `caddy` can be run on its output in
 * the tests; the `ReverseProxy` component uploads the result with install-caddyfile.sh.
 */
import { isIP } from "net";

/**
 * Who may reach a route, by the address the proxy sees the request come from:
 * - `private`: the lab's own networks only (LAN, VPN, VLANs);
 * - `tunnel`: public through a Cloudflare Tunnel, whose connector reaches the proxy from
 *   `tunnelSources`; the lab's networks too;
 * - `port-forward`: public through the router's forwarded 443 and Cloudflare's proxy, so from
 *   Cloudflare's ranges; the lab's networks too. Nothing else on the internet gets past Cloudflare.
 */
export const ProxyExposure = {
    /** The lab's own networks only. */
    private: "private",
    /** Public through a Cloudflare Tunnel. */
    tunnel: "tunnel",
    /** Public through the router's forwarded 443 and Cloudflare's proxy. */
    portForward: "port-forward",
} as const;
export type ProxyExposure = (typeof ProxyExposure)[keyof typeof ProxyExposure];

/** One app behind the proxy. */
export interface ProxyRoute {
    /** The app's DNS label under the domain: `nextcloud` serves `https://nextcloud.<domain>`. */
    subdomain: string;
    /** Where the app listens, as `host:port`: a container name on the Docker network (`nextcloud:80`) or an IP. */
    upstream: string;
    /** Who may reach it. Defaults to `private`. */
    exposure?: ProxyExposure;
}

/**
 * Cloudflare's edge addresses, from https://www.cloudflare.com/ips-v4 and /ips-v6 (the list
 * Cloudflare publishes for allow-listing its proxy at the origin). A port-forwarded public route
 * admits them, and the proxy trusts their X-Forwarded-For.
 */
export const cloudflareRanges: readonly string[] = [
    "173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22", "141.101.64.0/18", "108.162.192.0/18",
    "190.93.240.0/20", "188.114.96.0/20", "197.234.240.0/22", "198.41.128.0/17", "162.158.0.0/15", "104.16.0.0/13",
    "104.24.0.0/14", "172.64.0.0/13", "131.0.72.0/22",
    "2400:cb00::/32", "2606:4700::/32", "2803:f800::/32", "2405:b500::/32", "2405:8100::/32", "2a06:98c0::/29", "2c0f:f248::/32",
];

/**
 * Request headers through which a client could claim another address. The proxy removes them
 * before any app sees the request; X-Forwarded-For, -Proto and -Host are Caddy's own, which it
 * rewrites itself and takes from a client only when the client is a trusted proxy.
 */
export const strippedRequestHeaders: readonly string[] = ["X-Real-IP", "Forwarded", "CF-Connecting-IP", "True-Client-IP", "X-Client-IP"];

/** Response headers on every route: `?` keeps an app's own value, the others replace it. */
export const securityHeaders: readonly [string, string][] = [
    ["Strict-Transport-Security", '"max-age=31536000"'],
    ["X-Content-Type-Options", "nosniff"],
    ["?Referrer-Policy", "strict-origin-when-cross-origin"],
];

/** How the proxy gets its certificates. */
export type ProxyTls =
    | {
          /** Let's Encrypt through the ACME DNS-01 challenge, answered with Cloudflare DNS records. */
          mode: "acme-cloudflare";
          /** The ACME account's contact address (Let's Encrypt mails expiry warnings to it). */
          email: string;
          /**
           * The environment variable of the proxy container that holds the Cloudflare API token
           * (Zone:Read and DNS:Edit on the zone). The token itself never enters the Caddyfile.
           * Defaults to `CLOUDFLARE_API_TOKEN`.
           */
          tokenEnv?: string;
          /** ACME directory URL, e.g. Let's Encrypt's staging CA for trying things out. Defaults to Caddy's own choice (Let's Encrypt). */
          ca?: string;
      }
    | {
          /** Caddy's own local CA: for tests and for labs with no public domain. */
          mode: "internal";
      };

/** Where the proxy listens. Every field defaults to what the proxy container needs. */
export interface ProxyListen {
    /** The one IP address that every site listens on. Defaults to all interfaces. */
    bind?: string;
    /** The plain HTTP port, which only redirects to HTTPS. Defaults to 80. */
    httpPort?: number;
    /** The HTTPS port. Defaults to 443. */
    httpsPort?: number;
    /**
     * The admin API's `host:port`, which `caddy reload` talks to. Defaults to Caddy's own
     * `localhost:2019`, inside the container and so out of the LAN's reach.
     */
    adminAddress?: string;
}

export interface CaddyfileArgs {
    /** The lab's domain, e.g. `thehomelab.site`; every app is a name directly under it. */
    domain: string;
    /** The apps to serve. Their order does not matter: the output is sorted by subdomain. */
    routes: ProxyRoute[];
    /** Where certificates come from. */
    tls: ProxyTls;
    /** Listening addresses. Defaults to ports 80/443 on all interfaces, admin API on localhost:2019. */
    listen?: ProxyListen;
    /** The lab's own networks (CIDRs or addresses): the only sources a private route answers. At least one. */
    labNetworks: string[];
    /** Where the Cloudflare Tunnel connector's requests come from (its Docker network). Required when a route is `tunnel`. */
    tunnelSources?: string[];
    /** Cloudflare's ranges, for `port-forward` routes. Defaults to `cloudflareRanges`. */
    cloudflareRanges?: readonly string[];
    /**
     * udp/443 is published, so HTTP/3 is offered (Caddy advertises it in `Alt-Svc`). Defaults to
     * false: only HTTP/1.1 and HTTP/2, so no browser is sent to a UDP port that nothing forwards.
     */
    http3?: boolean;
}

/**
 * A Caddy build with the `dns.providers.cloudflare` module, which the DNS-01 challenge needs and the
 * official image lacks. CaddyBuilds rebuilds it for every Caddy release; pinned to one release so
 * that a proxy re-creation never changes Caddy underneath the config. Not pullable from the test
 * machines (no registry is reachable there).
 */
export const proxyImage = "ghcr.io/caddybuilds/caddy-cloudflare:2.8.4";

/** Where the Caddy images read their config from; the component mounts the rendered file here. */
export const caddyfilePath = "/etc/caddy/Caddyfile";

/** Default environment variable for the Cloudflare API token. */
export const defaultTokenEnv = "CLOUDFLARE_API_TOKEN";

const dnsLabel = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// Docker container names (the upstream hosts) allow upper case, `_` and `.`, unlike DNS labels.
const dockerName = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Anything that could end a Caddyfile token or open a block is refused, not escaped.
// eslint-disable-next-line no-control-regex
const emailLocal = /^[^\s\u0000-\u001f\u007f@{}"'`#\\]+$/;

/** True for an IPv4/IPv6 address or a CIDR of one. */
export function isAddressOrCidr(value: string): boolean {
    const [address, prefix, ...rest] = value.split("/");
    const family = isIP(address);
    if (family === 0 || rest.length > 0) {
        return false;
    }
    return prefix === undefined || (/^(0|[1-9][0-9]{0,2})$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

function isDnsName(name: string): boolean {
    return name.length <= 253 && name.split(".").every((label) => dnsLabel.test(label));
}

function isPort(port: number): boolean {
    return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** True for `host:port` where host is a container/DNS name, an IPv4 address or a bracketed IPv6 address. */
function isHostPort(value: string): boolean {
    const m = /^(\[[^\]]+\]|[^:[\]]+):([1-9][0-9]{0,4})$/.exec(value);
    if (!m || !isPort(Number(m[2]))) {
        return false;
    }
    const host = m[1];
    if (host.startsWith("[")) {
        return isIP(host.slice(1, -1)) === 6;
    }
    return isIP(host) === 4 || (host.length <= 253 && dockerName.test(host));
}

/**
 * Why this cannot be the ACME account's e-mail (undefined when it can): one `local@domain` token
 * that the Caddyfile holds unquoted (no space, quote, brace, `#`, `\\` or control character), no
 * dot at either end of the local part nor two in a row, and a domain of DNS labels ending in a
 * top-level domain of letters, as Let's Encrypt requires of a contact address. The one rule:
 * renderCaddyfile and config validation both call it.
 */
export function emailProblem(email: string): string | undefined {
    const at = email.lastIndexOf("@");
    const local = email.slice(0, at);
    const domain = email.slice(at + 1).toLowerCase();
    const labels = domain.split(".");
    const ok =
        at > 0 &&
        email.length <= 254 &&
        emailLocal.test(local) &&
        !local.startsWith(".") &&
        !local.endsWith(".") &&
        !local.includes("..") &&
        labels.length >= 2 &&
        isDnsName(domain) &&
        /^[a-z]{2,63}$/.test(labels[labels.length - 1]);
    return ok ? undefined : "must be an e-mail address such as admin@example.org: one word, without spaces, quotes, braces or '#', and a domain with a top-level domain of letters";
}

function validate(args: CaddyfileArgs): void {
    if (!isDnsName(args.domain)) {
        throw new Error(`renderCaddyfile: domain "${args.domain}" is not a lower-case DNS name`);
    }
    if (args.tls.mode === "acme-cloudflare") {
        const problem = emailProblem(args.tls.email);
        if (problem !== undefined) {
            throw new Error(`renderCaddyfile: tls.email "${args.tls.email}" ${problem}`);
        }
        if (args.tls.ca !== undefined && !/^https:\/\/[A-Za-z0-9.-]+(:\d+)?\/[A-Za-z0-9._~/-]*$/.test(args.tls.ca)) {
            throw new Error(`renderCaddyfile: tls.ca "${args.tls.ca}" is not an https URL`);
        }
        if (args.tls.tokenEnv !== undefined && !envName.test(args.tls.tokenEnv)) {
            throw new Error(`renderCaddyfile: tls.tokenEnv "${args.tls.tokenEnv}" is not an environment variable name`);
        }
    }
    const listen = args.listen ?? {};
    if (listen.bind !== undefined && isIP(listen.bind) === 0) {
        throw new Error(`renderCaddyfile: listen.bind "${listen.bind}" is not an IP address`);
    }
    for (const field of ["httpPort", "httpsPort"] as const) {
        const port = listen[field];
        if (port !== undefined && !isPort(port)) {
            throw new Error(`renderCaddyfile: listen.${field} ${port} is not a TCP port (1-65535)`);
        }
    }
    if ((listen.httpPort ?? 80) === (listen.httpsPort ?? 443)) {
        throw new Error(`renderCaddyfile: listen.httpPort and listen.httpsPort are both ${listen.httpPort ?? 80}`);
    }
    if (listen.adminAddress !== undefined && !isHostPort(listen.adminAddress)) {
        throw new Error(`renderCaddyfile: listen.adminAddress "${listen.adminAddress}" is not host:port`);
    }
    if (args.labNetworks.length === 0) {
        throw new Error("renderCaddyfile: labNetworks is empty: a private route would answer no one; give the lab's LAN (and VPN) CIDRs");
    }
    for (const field of ["labNetworks", "tunnelSources", "cloudflareRanges"] as const) {
        (args[field] ?? []).forEach((v, i) => {
            if (!isAddressOrCidr(v)) {
                throw new Error(`renderCaddyfile: ${field}[${i}] "${v}" is not an IP address or CIDR`);
            }
        });
    }
    const seen = new Map<string, number>();
    args.routes.forEach((route, i) => {
        if (route.exposure === "tunnel" && (args.tunnelSources ?? []).length === 0) {
            throw new Error(`renderCaddyfile: routes[${i}] "${route.subdomain}" is public through the tunnel, but tunnelSources is empty: give the tunnel connector's network`);
        }
        if (!dnsLabel.test(route.subdomain)) {
            throw new Error(
                `renderCaddyfile: routes[${i}].subdomain "${route.subdomain}" is not a DNS label (a-z, 0-9, inner hyphens, at most 63 characters)`,
            );
        }
        const first = seen.get(route.subdomain);
        if (first !== undefined) {
            throw new Error(`renderCaddyfile: routes[${i}].subdomain "${route.subdomain}" is already used by routes[${first}]`);
        }
        seen.set(route.subdomain, i);
        if (!isHostPort(route.upstream)) {
            throw new Error(`renderCaddyfile: routes[${i}].upstream "${route.upstream}" is not host:port`);
        }
    });
}

/**
 * The global options that choose the certificate issuer. Kept as the last lines of the global
 * block and the only lines that differ between modes, because Debian's caddy (the one the tests
 * can run) has no DNS provider modules: the tests validate the `internal` render and can then
 * trust that the `acme-cloudflare` render differs only here.
 */
function tlsOptions(tls: ProxyTls): string[] {
    if (tls.mode === "internal") {
        // skip_install_trust: the proxy must never try to write its CA into the host's trust store.
        return ["local_certs", "skip_install_trust"];
    }
    // DNS-01 rather than HTTP-01: the proxy is on a LAN that Let's Encrypt cannot reach, and it is
    // the only challenge that can issue the wildcard certificate of the catch-all site.
    return [`email ${tls.email}`, ...(tls.ca ? [`acme_ca ${tls.ca}`] : []), `acme_dns cloudflare {env.${tls.tokenEnv ?? defaultTokenEnv}}`];
}

/** The sources a route admits, by its exposure. */
export function routeSources(args: Pick<CaddyfileArgs, "labNetworks" | "tunnelSources" | "cloudflareRanges">, exposure: ProxyExposure = "private"): string[] {
    const extra = exposure === "tunnel" ? (args.tunnelSources ?? []) : exposure === "port-forward" ? (args.cloudflareRanges ?? cloudflareRanges) : [];
    return [...new Set([...args.labNetworks, ...extra])];
}

/**
 * Renders the proxy's Caddyfile: ONE site, `*.<domain>`, so that the proxy holds one wildcard
 * certificate and no app's name is ever written to Certificate Transparency logs. Inside it, one
 * `handle` per route (sorted by subdomain, so that reordering the apps in config does not change
 * the file and so does not trigger a reload) that first refuses any source its exposure does not
 * admit (403, before the app is reached), then forwards with the client-supplied forwarding
 * headers removed; every answer carries HSTS, nosniff and a referrer policy; a name no route has
 * gets 404 from the proxy itself. Plain HTTP only redirects to HTTPS (Caddy's automatic HTTPS).
 * Throws an Error naming the offending field when an argument is invalid.
 */
export function renderCaddyfile(args: CaddyfileArgs): string {
    validate(args);
    const listen = args.listen ?? {};
    const portForwarded = args.routes.some((r) => r.exposure === "port-forward");
    const server = [
        // Caddy offers HTTP/3 (and says so in Alt-Svc) unless told otherwise.
        `protocols h1 h2${args.http3 ? " h3" : ""}`,
        // Only Cloudflare's edge may say who the client is (X-Forwarded-For), and only when an app
        // is reached through it: Caddy then appends to that header instead of replacing it.
        ...(portForwarded ? [`trusted_proxies static ${(args.cloudflareRanges ?? cloudflareRanges).join(" ")}`] : []),
    ];
    const global = [
        ...(listen.adminAddress !== undefined ? [`admin ${listen.adminAddress}`] : []),
        ...(listen.httpPort !== undefined ? [`http_port ${listen.httpPort}`] : []),
        ...(listen.httpsPort !== undefined ? [`https_port ${listen.httpsPort}`] : []),
        // default_bind also covers the HTTP->HTTPS redirect listener, which a per-site `bind` does not.
        ...(listen.bind !== undefined ? [`default_bind ${listen.bind}`] : []),
        "servers {",
        ...server.map((l) => `\t${l}`),
        "}",
        ...tlsOptions(args.tls),
    ];
    const routes = [...args.routes].sort((a, b) => (a.subdomain < b.subdomain ? -1 : a.subdomain > b.subdomain ? 1 : 0));
    const lines = [
        "# Rendered by homelab (components/reverseProxy/caddyfile.ts): change the routes in the stack config, not here.",
        "{",
        ...global.map((line) => `\t${line}`),
        "}",
        "",
        "# Client-supplied forwarding headers never reach an app.",
        "(forwarding) {",
        ...strippedRequestHeaders.map((h) => `\theader_up -${h}`),
        "}",
        "",
        "# One site and one wildcard certificate for every app: no app's name goes to Certificate Transparency logs.",
        `*.${args.domain} {`,
        "\theader {",
        ...securityHeaders.map(([name, value]) => `\t\t${name} ${value}`),
        // Applied to the app's answer (not before it), so a replaced header is not sent twice.
        "\t\tdefer",
        "\t}",
    ];
    for (const route of routes) {
        const exposure = route.exposure ?? "private";
        const m = matcherName(route.subdomain);
        lines.push(
            "",
            `\t# ${exposure}`,
            `\t@${m} host ${route.subdomain}.${args.domain}`,
            `\thandle @${m} {`,
            `\t\t@outside not remote_ip ${routeSources(args, exposure).join(" ")}`,
            "\t\trespond @outside 403",
            `\t\treverse_proxy ${route.upstream} {`,
            "\t\t\timport forwarding",
            "\t\t}",
            "\t}",
        );
    }
    // Caddy tries the named handles first; this only catches names no route has.
    lines.push("", "\t# Any other name under the domain: answered here, never passed to an app.", "\thandle {", "\t\trespond 404", "\t}", "}");
    return `${lines.join("\n")}\n`;
}

/** A Caddyfile matcher name for a subdomain (a DNS label: letters, digits and hyphens are all allowed). */
function matcherName(subdomain: string): string {
    return `app-${subdomain}`;
}
