/**
 * Renders the Caddyfile of the lab's one reverse proxy.
 *
 * The proxy is the only web entry of the lab: every app gets `https://<subdomain>.<domain>`, and the
 * proxy forwards to the app's container over the internal Docker network by container name and
 * port. This module is pure (no Pulumi, no I/O) so that the real `caddy` can be run on its output in
 * the tests; the `ReverseProxy` component uploads the result and runs `reloadCommand`.
 */
import { isIP } from "net";

/** One app behind the proxy. */
export interface ProxyRoute {
    /** The app's DNS label under the domain: `nextcloud` serves `https://nextcloud.<domain>`. */
    subdomain: string;
    /** Where the app listens, as `host:port`: a container name on the Docker network (`nextcloud:80`) or an IP. */
    upstream: string;
}

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
const safePath = /^\/[A-Za-z0-9_./-]+$/;

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
    const seen = new Map<string, number>();
    args.routes.forEach((route, i) => {
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

/**
 * Renders the proxy's Caddyfile: one site per route (sorted by subdomain, so that reordering the
 * apps in config does not change the file and so does not trigger a reload), and a catch-all for
 * every other name under the domain that answers 404 itself, so that an unknown or mistyped name
 * never reaches an app. Plain HTTP only redirects to HTTPS (Caddy's automatic HTTPS does that).
 * Throws an Error naming the offending field when an argument is invalid.
 */
export function renderCaddyfile(args: CaddyfileArgs): string {
    validate(args);
    const listen = args.listen ?? {};
    const global = [
        ...(listen.adminAddress !== undefined ? [`admin ${listen.adminAddress}`] : []),
        ...(listen.httpPort !== undefined ? [`http_port ${listen.httpPort}`] : []),
        ...(listen.httpsPort !== undefined ? [`https_port ${listen.httpsPort}`] : []),
        // default_bind also covers the HTTP->HTTPS redirect listener, which a per-site `bind` does not.
        ...(listen.bind !== undefined ? [`default_bind ${listen.bind}`] : []),
        ...tlsOptions(args.tls),
    ];
    const routes = [...args.routes].sort((a, b) => (a.subdomain < b.subdomain ? -1 : a.subdomain > b.subdomain ? 1 : 0));
    const lines = [
        "# Rendered by homelab (components/reverseProxy/caddyfile.ts): change the routes in the stack config, not here.",
        "{",
        ...global.map((line) => `\t${line}`),
        "}",
    ];
    for (const route of routes) {
        lines.push("", `${route.subdomain}.${args.domain} {`, `\treverse_proxy ${route.upstream}`, "}");
    }
    // Caddy matches exact host names before wildcards, so this only catches names no route has.
    lines.push("", "# Any other name under the domain: answered here, never passed to an app.", `*.${args.domain} {`, "\trespond 404", "}");
    return `${lines.join("\n")}\n`;
}

/**
 * The shell command, run on the Docker host, that makes the proxy container load a new Caddyfile
 * without restarting: Caddy swaps its config in place, keeping its listeners, so no app restarts
 * and open connections finish. `caddy reload` finds the admin API from the file's own `admin`
 * option. Throws when an argument could break out of the command.
 */
export function reloadCommand(containerName: string, configPath: string = caddyfilePath): string {
    if (!dockerName.test(containerName)) {
        throw new Error(`reloadCommand: containerName "${containerName}" is not a Docker container name`);
    }
    if (!safePath.test(configPath)) {
        throw new Error(`reloadCommand: configPath "${configPath}" is not an absolute path of [A-Za-z0-9_./-]`);
    }
    return `docker exec ${containerName} caddy reload --config ${configPath} --adapter caddyfile`;
}
