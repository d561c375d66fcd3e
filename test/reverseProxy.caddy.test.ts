/**
 * The reverse proxy's Caddyfile, checked by the real Caddy (Debian's 2.6): validated and adapted,
 * then served on loopback in front of stub backends, hammered with wrk, and reloaded in place.
 *
 * Needs the Debian packages caddy, curl, wrk and util-linux (unshare, mount), and root: wrk has no
 * `--resolve`, so it runs in a private mount namespace whose /etc/hosts maps the app names to
 * 127.0.0.1 (the machine's own /etc/hosts is never touched).
 */
import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import {
    CaddyfileArgs,
    ProxyRoute,
    caddyfilePath,
    cloudflareRanges,
    proxyImage,
    renderCaddyfile,
} from "../components/reverseProxy/caddyfile";
import { RunResult, requireTools, run } from "./helpers/exec";
import { installCaddyfileArgs, installCaddyfileScriptPath } from "../components/reverseProxy";
import { scriptCommand } from "../components/remoteScript";

const domain = "thehomelab.site";

/** The reference lab's apps, by container name and the port each image listens on. */
const labRoutes: ProxyRoute[] = [
    { subdomain: "pihole", upstream: "pihole:80" },
    { subdomain: "portainer", upstream: "portainer:9000" },
    { subdomain: "heimdall", upstream: "heimdall:80" },
    { subdomain: "checkmk", upstream: "checkmk:5000" },
    { subdomain: "nextcloud", upstream: "nextcloud:80" },
    { subdomain: "photoprism", upstream: "photoprism:2342" },
    { subdomain: "transmission", upstream: "transmission:9091" },
    { subdomain: "portfolio", upstream: "portfolio:8080" },
];
const labNames = labRoutes.map((r) => r.subdomain);
const acme = { mode: "acme-cloudflare", email: "admin@thehomelab.site" } as const;
/** The reference lab's LAN and VPN: the only sources its private routes answer. */
const labNetworks = ["192.168.1.0/24", "192.168.100.0/24"];


/** The render without its `trusted_proxies` line, which Debian's caddy 2.6.2 cannot parse (see its test). */
function withoutTrustedProxies(caddyfile: string): string {
    return caddyfile.replace(/^\t\ttrusted_proxies .*\n/m, "");
}

/** Everything after the global options block: the part that both TLS modes must share. */
function sites(caddyfile: string): string {
    return caddyfile.slice(caddyfile.indexOf("\n}\n") + 3);
}

/** 1-based number of the first line of `text` that starts with `prefix` (after indentation). */
function lineOf(text: string, prefix: string): number {
    const i = text.split("\n").findIndex((l) => l.trimStart().startsWith(prefix));
    assert.ok(i >= 0, `no line starting with ${prefix}`);
    return i + 1;
}

/**
 * Runs a program without blocking the event loop (the stub backends live in this process and
 * must keep answering while curl or wrk waits on them). Killed by PID after `timeoutMs`.
 */
function runAsync(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
        child.stdin?.end(opts.input);
        let stdout = "";
        let stderr = "";
        child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 20_000);
        child.on("error", (e) => {
            clearTimeout(timer);
            reject(e);
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ status: code ?? -1, stdout, stderr });
        });
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The proxy container's name in these tests. */
const proxyContainer = "homelab-proxy";

/**
 * Runs the ReverseProxy component's config command (install-caddyfile.sh with its arguments, as
 * sent over SSH) with `text` on stdin, against test/helpers/caddy-docker-shim.sh as `docker`: the
 * container's and the image's caddy are the local caddy, the container in `state`.
 */
function installCaddyfile(file: string, text: string, state: "running" | "stopped" | "absent", env: NodeJS.ProcessEnv, log: string): Promise<RunResult> {
    const bin = path.join(path.dirname(log), "shim-bin");
    if (!fs.existsSync(bin)) {
        fs.mkdirSync(bin);
        fs.symlinkSync(path.join(__dirname, "helpers", "caddy-docker-shim.sh"), path.join(bin, "docker"));
    }
    return runAsync("bash", ["-c", scriptCommand(fs.readFileSync(installCaddyfileScriptPath, "utf8"), installCaddyfileArgs(file, proxyContainer))], {
        input: text,
        timeoutMs: 30_000,
        env: {
            ...env,
            PATH: `${bin}:${process.env.PATH}`,
            SHIM_STATE: state,
            SHIM_CONTAINER: proxyContainer,
            SHIM_IMAGE: proxyImage,
            SHIM_DIR: path.dirname(file),
            SHIM_MOUNT: path.posix.dirname(caddyfilePath),
            SHIM_TOKEN: "token-of-the-stopped-container",
            SHIM_LOG: log,
        },
    });
}

/** Distinct free loopback ports, all held open together so that none is handed out twice. */
async function freePorts(n: number): Promise<number[]> {
    const servers = await Promise.all(
        Array.from({ length: n }, () => new Promise<net.Server>((resolve) => {
            const s = net.createServer();
            s.listen(0, "127.0.0.1", () => resolve(s));
        })),
    );
    const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    return ports;
}

describe("reverse proxy Caddyfile", () => {
    describe("renderCaddyfile (pure)", () => {
        const base: CaddyfileArgs = { domain, routes: labRoutes, tls: acme, labNetworks };
        const cases: Array<[string, Partial<CaddyfileArgs>, string]> = [
            ["upper-case domain", { domain: "TheHomeLab.site" }, 'renderCaddyfile: domain "TheHomeLab.site" is not a lower-case DNS name'],
            ["domain label with a leading hyphen", { domain: "-lab.site" }, 'renderCaddyfile: domain "-lab.site" is not a lower-case DNS name'],
            ["upper-case subdomain", { routes: [{ subdomain: "Pihole", upstream: "pihole:80" }] },
                'renderCaddyfile: routes[0].subdomain "Pihole" is not a DNS label (a-z, 0-9, inner hyphens, at most 63 characters)'],
            ["subdomain with an underscore", { routes: [{ subdomain: "my_app", upstream: "app:80" }] },
                'renderCaddyfile: routes[0].subdomain "my_app" is not a DNS label (a-z, 0-9, inner hyphens, at most 63 characters)'],
            ["subdomain of two labels", { routes: [{ subdomain: "a.b", upstream: "app:80" }] },
                'renderCaddyfile: routes[0].subdomain "a.b" is not a DNS label (a-z, 0-9, inner hyphens, at most 63 characters)'],
            ["empty subdomain", { routes: [{ subdomain: "", upstream: "app:80" }] },
                'renderCaddyfile: routes[0].subdomain "" is not a DNS label (a-z, 0-9, inner hyphens, at most 63 characters)'],
            ["64-character subdomain", { routes: [{ subdomain: "a".repeat(64), upstream: "app:80" }] },
                `renderCaddyfile: routes[0].subdomain "${"a".repeat(64)}" is not a DNS label (a-z, 0-9, inner hyphens, at most 63 characters)`],
            ["duplicate subdomain", { routes: [...labRoutes, { subdomain: "heimdall", upstream: "other:80" }] },
                'renderCaddyfile: routes[8].subdomain "heimdall" is already used by routes[2]'],
            ["upstream without a port", { routes: [{ subdomain: "pihole", upstream: "pihole" }] },
                'renderCaddyfile: routes[0].upstream "pihole" is not host:port'],
            ["upstream with a scheme", { routes: [{ subdomain: "pihole", upstream: "http://pihole:80" }] },
                'renderCaddyfile: routes[0].upstream "http://pihole:80" is not host:port'],
            ["upstream port 0", { routes: [{ subdomain: "pihole", upstream: "pihole:0" }] },
                'renderCaddyfile: routes[0].upstream "pihole:0" is not host:port'],
            ["upstream port 65536", { routes: [{ subdomain: "pihole", upstream: "pihole:65536" }] },
                'renderCaddyfile: routes[0].upstream "pihole:65536" is not host:port'],
            ["upstream that opens a Caddyfile block", { routes: [{ subdomain: "pihole", upstream: "pihole:80 {" }] },
                'renderCaddyfile: routes[0].upstream "pihole:80 {" is not host:port'],
            ["upstream with an unbracketed IPv6 address", { routes: [{ subdomain: "pihole", upstream: "::1:80" }] },
                'renderCaddyfile: routes[0].upstream "::1:80" is not host:port'],
            ["email without a domain", { tls: { mode: "acme-cloudflare", email: "admin" } },
                'renderCaddyfile: tls.email "admin" must be an e-mail address such as admin@example.org: one word, without spaces, quotes, braces or \'#\', and a domain with a top-level domain of letters'],
            ["email that would end the global block", { tls: { mode: "acme-cloudflare", email: "a@lab.site}" } },
                'renderCaddyfile: tls.email "a@lab.site}" must be an e-mail address such as admin@example.org: one word, without spaces, quotes, braces or \'#\', and a domain with a top-level domain of letters'],
            ["token variable with a hyphen", { tls: { mode: "acme-cloudflare", email: "a@lab.site", tokenEnv: "CF-TOKEN" } },
                'renderCaddyfile: tls.tokenEnv "CF-TOKEN" is not an environment variable name'],
            ["bind to a name", { listen: { bind: "localhost" } }, 'renderCaddyfile: listen.bind "localhost" is not an IP address'],
            ["HTTP port 0", { listen: { httpPort: 0 } }, "renderCaddyfile: listen.httpPort 0 is not a TCP port (1-65535)"],
            ["fractional HTTPS port", { listen: { httpsPort: 443.5 } }, "renderCaddyfile: listen.httpsPort 443.5 is not a TCP port (1-65535)"],
            ["HTTP port equal to the default HTTPS port", { listen: { httpPort: 443 } },
                "renderCaddyfile: listen.httpPort and listen.httpsPort are both 443"],
            ["admin address without a host", { listen: { adminAddress: "2019" } },
                'renderCaddyfile: listen.adminAddress "2019" is not host:port'],
            ["no lab network", { labNetworks: [] },
                "renderCaddyfile: labNetworks is empty: a private route would answer no one; give the lab's LAN (and VPN) CIDRs"],
            ["a lab network that is a name", { labNetworks: ["lan"] }, 'renderCaddyfile: labNetworks[0] "lan" is not an IP address or CIDR'],
            ["a lab network with a prefix too long", { labNetworks: ["192.168.1.0/33"] }, 'renderCaddyfile: labNetworks[0] "192.168.1.0/33" is not an IP address or CIDR'],
            ["a Cloudflare range that would end the line", { cloudflareRanges: ["1.2.3.0/24 {"] }, 'renderCaddyfile: cloudflareRanges[0] "1.2.3.0/24 {" is not an IP address or CIDR'],
            ["a tunnelled route with no tunnel source", { routes: [{ subdomain: "nextcloud", upstream: "nextcloud:80", exposure: "tunnel" }] },
                'renderCaddyfile: routes[0] "nextcloud" is public through the tunnel, but tunnelSources is empty: give the tunnel connector\'s network'],
        ];
        for (const [name, change, message] of cases) {
            it(`rejects ${name}`, () => {
                assert.throws(() => renderCaddyfile({ ...base, ...change }), { name: "Error", message });
            });
        }

        it("accepts container names, IPv4 and bracketed IPv6 upstreams", () => {
            const out = renderCaddyfile({
                ...base,
                routes: [
                    { subdomain: "a", upstream: "My_App.v2:8080" },
                    { subdomain: "b", upstream: "10.10.10.7:80" },
                    { subdomain: "c", upstream: "[fd00::7]:80" },
                ],
            });
            for (const upstream of ["My_App.v2:8080", "10.10.10.7:80", "[fd00::7]:80"]) {
                assert.ok(out.includes(`\t\treverse_proxy ${upstream} {\n`), upstream);
            }
        });

        it("renders the same file whatever the order of the routes", () => {
            const sorted = renderCaddyfile({ ...base, routes: labRoutes });
            const reversed = renderCaddyfile({ ...base, routes: [...labRoutes].reverse() });
            const rotated = renderCaddyfile({ ...base, routes: [...labRoutes.slice(3), ...labRoutes.slice(0, 3)] });
            assert.equal(reversed, sorted);
            assert.equal(rotated, sorted);
            const handleOrder = sorted.split("\n").filter((l) => /^\thandle /.test(l)).map((l) => l.trim());
            assert.deepEqual(handleOrder, [...labNames].sort().map((n) => `handle @app-${n} {`).concat("handle {"));
            // One site, the wildcard: one certificate, and no app's name in a site address.
            assert.deepEqual(sorted.split("\n").filter((l) => /^\S.* \{$/.test(l)), ["(forwarding) {", `*.${domain} {`]);
        });

        it("pins the proxy image to a release of a Caddy build with the Cloudflare DNS module", () => {
            assert.match(proxyImage, /^ghcr\.io\/caddybuilds\/caddy-cloudflare:\d+\.\d+\.\d+$/);
        });
    });

    describe("checked by the real caddy", () => {
        let dir = "";
        let env: NodeJS.ProcessEnv = {};
        const internal = renderCaddyfile({ domain, routes: labRoutes, tls: { mode: "internal" }, labNetworks });
        const cloudflare = renderCaddyfile({ domain, routes: labRoutes, tls: acme, labNetworks });

        const write = (name: string, text: string) => {
            const file = path.join(dir, name);
            fs.writeFileSync(file, text);
            return file;
        };
        const caddy = (...args: string[]) => run("caddy", args, { env, timeoutMs: 30_000 });
        const adapt = (file: string) => caddy("adapt", "--pretty", "--config", file, "--adapter", "caddyfile");

        before(() => {
            requireTools("caddy");
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-caddy-"));
            // validate provisions the local CA: keep its keys in the test dir, not in ~/.local/share.
            env = { ...process.env, XDG_DATA_HOME: path.join(dir, "data"), XDG_CONFIG_HOME: path.join(dir, "config") };
        });
        after(() => {
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        });

        it("is already in caddy fmt's layout (no 'not formatted' warnings on the host)", () => {
            for (const [name, text] of [["internal", internal], ["cloudflare", cloudflare]]) {
                const r = caddy("fmt", write(`${name}.Caddyfile`, text));
                assert.equal(r.status, 0, r.stderr);
                assert.equal(r.stdout, text, name);
            }
        });

        it("validates the internal-TLS render", () => {
            const r = caddy("validate", "--config", write("internal.Caddyfile", internal), "--adapter", "caddyfile");
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout + r.stderr, /Valid configuration/);
            assert.doesNotMatch(r.stderr, /not formatted/);
        });

        it("rejects a broken render and names the broken directive and the block it is in", () => {
            const broken = internal.replace("reverse_proxy nextcloud:80", "reverse_proxi nextcloud:80");
            const file = write("broken.Caddyfile", broken);
            const r = caddy("validate", "--config", file, "--adapter", "caddyfile");
            assert.equal(r.status, 1);
            // Caddy 2.6 names the line that closes the `handle` block holding the bad directive.
            const m = new RegExp(`${file}:(\\d+) - Error during parsing: unrecognized directive: reverse_proxi`).exec(r.stderr);
            assert.ok(m, r.stderr);
            const handle = lineOf(internal, "handle @app-nextcloud");
            assert.equal(broken.split("\n")[Number(m[1]) - 1], "\t}");
            assert.ok(Number(m[1]) > handle && Number(m[1]) <= handle + 6, `line ${m[1]} is not in nextcloud's handle (line ${handle})`);
        });

        it("adapts to one HTTPS server and one wildcard site: each app to its upstream behind its source check, then the 404 catch-all", () => {
            const r = adapt(write("internal.Caddyfile", internal));
            assert.equal(r.status, 0, r.stderr);
            const json = JSON.parse(r.stdout);
            const servers = Object.values(json.apps.http.servers) as Array<{ listen: string[]; routes: any[]; protocols: string[] }>;
            assert.equal(servers.length, 1);
            assert.deepEqual(servers[0].listen, [":443"]);
            // HTTP/3 is off: nothing publishes udp/443.
            assert.deepEqual(servers[0].protocols, ["h1", "h2"]);
            assert.equal(servers[0].routes.length, 1);
            assert.deepEqual(servers[0].routes[0].match, [{ host: [`*.${domain}`] }]);
            const [headers, ...handles] = servers[0].routes[0].handle[0].routes;
            assert.deepEqual(headers.handle, [
                { handler: "headers", response: { deferred: true, set: { "Strict-Transport-Security": ["max-age=31536000"], "X-Content-Type-Options": ["nosniff"] } } },
                { handler: "headers", response: { require: { headers: { "Referrer-Policy": null } }, set: { "Referrer-Policy": ["strict-origin-when-cross-origin"] } } },
            ]);
            const seen = handles.map((h: any) => {
                const inner = h.handle[0].routes;
                if (!h.match) return `* ${inner[0].handle[0].handler} ${inner[0].handle[0].status_code}`;
                const [refuse, forward] = inner;
                assert.deepEqual(refuse.handle, [{ handler: "static_response", status_code: 403 }]);
                const proxy = forward.handle[0];
                assert.deepEqual(proxy.headers, { request: { delete: ["X-Real-IP", "Forwarded", "CF-Connecting-IP", "True-Client-IP", "X-Client-IP"] } });
                return `${h.match[0].host.join(",")} ${proxy.upstreams.map((u: { dial: string }) => u.dial).join(",")} not ${refuse.match[0].not[0].remote_ip.ranges.join(" ")}`;
            });
            assert.deepEqual(seen, [
                ...[...labRoutes].sort((a, b) => a.subdomain.localeCompare(b.subdomain)).map((r) => `${r.subdomain}.${domain} ${r.upstream} not ${labNetworks.join(" ")}`),
                "* static_response 404",
            ]);
            assert.deepEqual(json.apps.tls.automation.policies[0].issuers, [{ module: "internal" }]);
            assert.equal(json.apps.pki.certificate_authorities.local.install_trust, false);
        });

        it("turns HTTP/3 on only when asked (udp/443 published)", () => {
            const r = adapt(write("h3.Caddyfile", renderCaddyfile({ domain, routes: labRoutes, tls: { mode: "internal" }, labNetworks, http3: true })));
            assert.equal(r.status, 0, r.stderr);
            const servers = Object.values(JSON.parse(r.stdout).apps.http.servers) as Array<{ protocols: string[] }>;
            assert.deepEqual(servers[0].protocols, ["h1", "h2", "h3"]);
        });

        it("admits Cloudflare's ranges to port-forwarded routes and trusts them as proxies only when such a route exists", () => {
            const routes: ProxyRoute[] = [
                { subdomain: "nextcloud", upstream: "nextcloud:80", exposure: "port-forward" },
                { subdomain: "portfolio", upstream: "portfolio:8080", exposure: "tunnel" },
                { subdomain: "portainer", upstream: "portainer:9000" },
            ];
            const text = renderCaddyfile({ domain, routes, tls: { mode: "internal" }, labNetworks, tunnelSources: ["10.10.10.0/24"] });
            assert.ok(text.includes(`\t\ttrusted_proxies static ${cloudflareRanges.join(" ")}\n`));
            assert.ok(!internal.includes("trusted_proxies"));
            // Debian's caddy 2.6.2 predates the Caddyfile's `trusted_proxies static` (Caddy 2.6.3+,
            // the image runs 2.8.4): without that one line it adapts the rest.
            const r = adapt(write("public.Caddyfile", withoutTrustedProxies(text)));
            assert.equal(r.status, 0, r.stderr);
            const handles = (Object.values(JSON.parse(r.stdout).apps.http.servers) as any[])[0].routes[0].handle[0].routes.slice(1, -1);
            const ranges = handles.map((h: any) => `${h.match[0].host[0]}: ${h.handle[0].routes[0].match[0].not[0].remote_ip.ranges.join(" ")}`);
            assert.deepEqual(ranges, [
                `nextcloud.${domain}: ${[...labNetworks, ...cloudflareRanges].join(" ")}`,
                `portainer.${domain}: ${labNetworks.join(" ")}`,
                `portfolio.${domain}: ${[...labNetworks, "10.10.10.0/24"].join(" ")}`,
            ]);
        });

        it("fails to adapt the Cloudflare render only for want of the DNS module Debian's caddy lacks", () => {
            const file = write("cloudflare.Caddyfile", cloudflare);
            const r = adapt(file);
            assert.equal(r.status, 1);
            assert.ok(
                r.stderr.includes(
                    `${file}:${lineOf(cloudflare, "acme_dns")} - Error during parsing: getting module named 'dns.providers.cloudflare': module not registered: dns.providers.cloudflare`,
                ),
                r.stderr,
            );
            assert.doesNotMatch(caddy("list-modules").stdout, /^dns\.providers\./m);

            // The rest of the file is what the internal render already proved: same sites, byte for byte,
            // and without the one acme_dns line caddy adapts it to the same HTTP app with ACME issuers.
            assert.equal(sites(cloudflare), sites(internal));
            const withoutDns = adapt(write("cloudflare-nodns.Caddyfile", cloudflare.replace(/^\tacme_dns .*\n/m, "")));
            assert.equal(withoutDns.status, 0, withoutDns.stderr);
            const acmeJson = JSON.parse(withoutDns.stdout);
            const internalJson = JSON.parse(adapt(write("internal.Caddyfile", internal)).stdout);
            assert.deepEqual(acmeJson.apps.http, internalJson.apps.http);
            // One certificate, the wildcard (DNS-01 can issue it): no app's name is in a certificate.
            const policy = acmeJson.apps.tls.automation.policies[0];
            assert.deepEqual(policy.subjects, [`*.${domain}`]);
            assert.deepEqual(policy.issuers[0], { module: "acme", email: acme.email });
            assert.ok(cloudflare.includes("\tacme_dns cloudflare {env.CLOUDFLARE_API_TOKEN}\n"));
        });
    });

    describe("served by the real caddy on 127.0.0.1", function () {
        this.timeout(30_000);

        interface Stub { name: string; server: http.Server; port: number }
        interface Hit { stub: string; host: string; url: string }

        let dir = "";
        let env: NodeJS.ProcessEnv = {};
        let caddy: ChildProcess | undefined;
        let caddyExited = false;
        let file = "";
        let rootCert = "";
        let httpPort = 0;
        let httpsPort = 0;
        let adminPort = 0;
        const stubs = new Map<string, Stub>();
        const hits: Hit[] = [];
        /** The request headers of each hit, in the same order. */
        const hitHeaders: http.IncomingHttpHeaders[] = [];

        // The test lab's sources, all on loopback: its own network is 127.0.0.1 only; 127.0.0.2 is
        // the internet, 127.0.0.3 plays Cloudflare's edge and 127.0.0.4 the tunnel's connector.
        const sources = { lab: "127.0.0.1", outsider: "127.0.0.2", cloudflare: "127.0.0.3", tunnel: "127.0.0.4" };
        /** Public apps of the test lab besides the reference lab's (all private). */
        const publicRoutes: ProxyRoute[] = [
            { subdomain: "shop", upstream: "", exposure: "port-forward" },
            { subdomain: "blog", upstream: "", exposure: "tunnel" },
        ];

        /** A backend that answers every request with its own name, and records who reached it. */
        function startStub(name: string): Promise<Stub> {
            const server = http.createServer((req, res) => {
                hits.push({ stub: name, host: req.headers.host ?? "", url: req.url ?? "" });
                hitHeaders.push(req.headers);
                // One app with security headers of its own: the proxy keeps its referrer policy.
                if (name === "photoprism") {
                    res.setHeader("Referrer-Policy", "no-referrer");
                    res.setHeader("Strict-Transport-Security", "max-age=60");
                }
                res.end(`${name}\n`);
            });
            return new Promise((resolve) => server.listen(0, "127.0.0.1", () => {
                resolve({ name, server, port: (server.address() as net.AddressInfo).port });
            }));
        }

        const upstream = (stub: string) => `127.0.0.1:${stubs.get(stub)!.port}`;

        /** The lab's routes, with each app's upstream replaced by its stub (or by `overrides`). */
        function render(overrides: Record<string, string> = {}, extra: string[] = []): string {
            const routes: ProxyRoute[] = [
                ...[...labNames, ...extra].map((n) => ({ subdomain: n, upstream: upstream(overrides[n] ?? n) })),
                ...publicRoutes.map((r) => ({ ...r, upstream: upstream(r.subdomain) })),
            ];
            return renderCaddyfile({
                domain,
                routes,
                tls: { mode: "internal" },
                listen: { bind: "127.0.0.1", httpPort, httpsPort, adminAddress: `127.0.0.1:${adminPort}` },
                labNetworks: [`${sources.lab}/32`],
                tunnelSources: [`${sources.tunnel}/32`],
                cloudflareRanges: [`${sources.cloudflare}/32`],
            });
        }

        /**
         * The render as Debian's caddy 2.6.2 can run it: adapted without the server's `trusted_proxies
         * static` line (Caddyfile syntax of later releases; the image runs 2.8.4), whose ranges are
         * then put back where 2.6.2 keeps them, on each reverse_proxy handler (its JSON field
         * `trusted_proxies`), with the same meaning: whose X-Forwarded-For to keep.
         */
        function runnableJson(caddyfile: string): string {
            const trusted = /^\t\ttrusted_proxies static (.*)$/m.exec(caddyfile);
            assert.ok(trusted, "the render has port-forwarded routes, so it trusts Cloudflare's ranges");
            const src = path.join(dir, "adapt.Caddyfile");
            fs.writeFileSync(src, withoutTrustedProxies(caddyfile));
            const r = run("caddy", ["adapt", "--config", src, "--adapter", "caddyfile"], { env, timeoutMs: 30_000 });
            assert.equal(r.status, 0, r.stderr);
            const json = JSON.parse(r.stdout);
            let handlers = 0;
            const visit = (node: unknown): void => {
                if (Array.isArray(node)) return node.forEach(visit);
                if (node === null || typeof node !== "object") return;
                const o = node as Record<string, unknown>;
                if (o.handler === "reverse_proxy") {
                    o.trusted_proxies = trusted[1].split(" ");
                    handlers++;
                }
                Object.values(o).forEach(visit);
            };
            visit(json.apps.http);
            assert.ok(handlers > 0);
            return JSON.stringify(json);
        }

        /** curl over the real name: `--resolve` points it at the loopback proxy, SNI and Host stay real. */
        async function get(url: string, extra: string[] = []) {
            const host = new URL(url).hostname;
            const r = await runAsync("curl", [
                "-sS", "--max-time", "5", "--cacert", rootCert,
                "--resolve", `${host}:${httpsPort}:127.0.0.1`, "--resolve", `${host}:${httpPort}:127.0.0.1`,
                "-w", "\n%{http_code} %{redirect_url}", ...extra, url,
            ]);
            const cut = r.stdout.lastIndexOf("\n");
            const [status, location] = r.stdout.slice(cut + 1).split(" ");
            return { exit: r.status, status: Number(status), location, body: r.stdout.slice(0, cut), stderr: r.stderr };
        }
        const app = (name: string, p = "/") => `https://${name}.${domain}:${httpsPort}${p}`;

        before(async function () {
            requireTools("caddy", "curl");
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-caddy-serve-"));
            env = { ...process.env, XDG_DATA_HOME: path.join(dir, "data"), XDG_CONFIG_HOME: path.join(dir, "config") };
            rootCert = path.join(dir, "data/caddy/pki/authorities/local/root.crt");
            [httpPort, httpsPort, adminPort] = await freePorts(3);
            for (const name of [...labNames, ...publicRoutes.map((r) => r.subdomain), "portfolio-v2", "status"]) {
                stubs.set(name, await startStub(name));
            }
            file = path.join(dir, "Caddyfile");
            const json = path.join(dir, "caddy.json");
            fs.writeFileSync(json, runnableJson(render()));
            const log = fs.openSync(path.join(dir, "caddy.log"), "a");
            caddy = spawn("caddy", ["run", "--config", json], { env, stdio: ["ignore", log, log] });
            fs.closeSync(log);
            caddy.on("exit", () => (caddyExited = true));

            // Caddy issues the sites' certificates from its local CA in the background: wait until
            // every name (and the catch-all) completes a TLS handshake, then forget the warm-up hits.
            const deadline = Date.now() + 15_000;
            for (const name of [...labNames, "warmup-unknown"]) {
                for (;;) {
                    if (caddyExited) throw new Error(`caddy exited:\n${fs.readFileSync(path.join(dir, "caddy.log"), "utf8")}`);
                    if (fs.existsSync(rootCert) && (await get(app(name))).exit === 0) break;
                    if (Date.now() > deadline) throw new Error(`${name}.${domain} not served within 15 s`);
                    await sleep(100);
                }
            }
            hits.length = 0;
            hitHeaders.length = 0;
        });

        after(async () => {
            if (caddy?.pid !== undefined && !caddyExited) {
                const exited = new Promise((r) => caddy!.once("exit", r));
                process.kill(caddy.pid, "SIGTERM");
                await Promise.race([exited, sleep(5_000)]);
                if (!caddyExited) process.kill(caddy.pid, "SIGKILL");
            }
            await Promise.all([...stubs.values()].map((s) => new Promise((r) => s.server.close(r))));
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        });

        beforeEach(() => {
            hits.length = 0;
            hitHeaders.length = 0;
        });

        it("answers a private app only from the lab's networks: an outside source gets 403 and never reaches the app", async () => {
            for (const name of labNames) {
                const outside = await get(app(name, "/admin"), ["--interface", sources.outsider]);
                assert.equal(outside.exit, 0, outside.stderr);
                assert.equal(outside.status, 403, name);
                assert.equal(outside.body, "");
            }
            assert.deepEqual(hits, [], "no request from outside reached a backend");
            for (const name of labNames) {
                const inside = await get(app(name, "/admin"), ["--interface", sources.lab]);
                assert.equal(inside.status, 200, name);
                assert.equal(inside.body, `${name}\n`);
            }
            assert.deepEqual((hits as Hit[]).map((h) => h.stub), labNames);
        });

        it("admits each source to exactly the routes its exposure allows", async () => {
            // route -> sources that reach it; every other pair must get 403 and reach nothing.
            const admitted: Record<string, string[]> = {
                portainer: [sources.lab],
                shop: [sources.lab, sources.cloudflare],
                blog: [sources.lab, sources.tunnel],
            };
            const table: string[] = [];
            for (const name of Object.keys(admitted)) {
                for (const source of Object.values(sources)) {
                    const before = hits.length;
                    const r = await get(app(name), ["--interface", source]);
                    assert.equal(r.exit, 0, r.stderr);
                    table.push(`${name} from ${source}: ${r.status}, backend hits ${hits.length - before}`);
                }
            }
            const expected = Object.entries(admitted).flatMap(([name, allowed]) =>
                Object.values(sources).map((source) => `${name} from ${source}: ${allowed.includes(source) ? "200, backend hits 1" : "403, backend hits 0"}`),
            );
            assert.deepEqual(table, expected);
        });

        it("sends HSTS, nosniff and a referrer policy on every answer (app, refusal, unknown name), keeps an app's own referrer policy, and offers no HTTP/3", async () => {
            const headersOf = async (url: string, extra: string[] = []) => {
                const host = new URL(url).hostname;
                const r = await runAsync("curl", [
                    "-sS", "--max-time", "5", "--cacert", rootCert, "--resolve", `${host}:${httpsPort}:127.0.0.1`,
                    "-o", "/dev/null", "-D", "-", ...extra, url,
                ]);
                assert.equal(r.status, 0, r.stderr);
                const lines = r.stdout.split("\r\n").filter((l) => l.includes(":"));
                const all = (name: string) => lines.filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`)).map((l) => l.slice(name.length + 1).trim());
                return { status: Number(/^HTTP\/\S+ (\d+)/.exec(r.stdout)?.[1]), all };
            };
            const answers = {
                app: await headersOf(app("heimdall")),
                refused: await headersOf(app("heimdall"), ["--interface", sources.outsider]),
                unknown: await headersOf(app("nosuchapp")),
                ownPolicy: await headersOf(app("photoprism")),
            };
            assert.deepEqual(Object.values(answers).map((a) => a.status), [200, 403, 404, 200]);
            for (const [what, a] of Object.entries(answers)) {
                assert.deepEqual(a.all("Strict-Transport-Security"), ["max-age=31536000"], what);
                assert.deepEqual(a.all("X-Content-Type-Options"), ["nosniff"], what);
                assert.deepEqual(a.all("Referrer-Policy"), [what === "ownPolicy" ? "no-referrer" : "strict-origin-when-cross-origin"], what);
                assert.deepEqual(a.all("Alt-Svc"), [], `${what}: HTTP/3 advertised although udp/443 is not published`);
            }
        });

        it("replaces client-supplied forwarding headers; only Cloudflare's edge may name the client", async () => {
            const forged = [
                "X-Real-IP: 6.6.6.6", "Forwarded: for=6.6.6.6", "CF-Connecting-IP: 6.6.6.6", "True-Client-IP: 6.6.6.6",
                "X-Client-IP: 6.6.6.6", "X-Forwarded-For: 6.6.6.6",
            ].flatMap((h) => ["-H", h]);
            const fromLab = await get(app("nextcloud"), [...forged, "--interface", sources.lab]);
            const viaTunnel = await get(app("blog"), [...forged, "--interface", sources.tunnel]);
            const viaCloudflare = await get(app("shop"), [...forged.slice(0, -2), "-H", "X-Forwarded-For: 203.0.113.7", "--interface", sources.cloudflare]);
            assert.deepEqual([fromLab.status, viaTunnel.status, viaCloudflare.status], [200, 200, 200]);
            const seen = hitHeaders.map((h) => ({
                xff: h["x-forwarded-for"],
                forged: ["x-real-ip", "forwarded", "cf-connecting-ip", "true-client-ip", "x-client-ip"].filter((k) => h[k] !== undefined),
                proto: h["x-forwarded-proto"],
            }));
            assert.deepEqual(seen, [
                { xff: sources.lab, forged: [], proto: "https" },
                { xff: sources.tunnel, forged: [], proto: "https" },
                // A trusted proxy's X-Forwarded-For is kept, with the proxy appended.
                { xff: `203.0.113.7, ${sources.cloudflare}`, forged: [], proto: "https" },
            ]);
        });

        it("serves every app's name from that app's own backend", async () => {
            for (const name of labNames) {
                const r = await get(app(name, `/from-${name}`));
                assert.equal(r.exit, 0, r.stderr);
                assert.equal(r.status, 200, name);
                assert.equal(r.body, `${name}\n`);
            }
            assert.deepEqual(
                hits,
                labNames.map((n) => ({ stub: n, host: `${n}.${domain}:${httpsPort}`, url: `/from-${n}` })),
            );
        });

        it("never passes a name that no route has to any app", async () => {
            // Under the domain: the catch-all's wildcard certificate lets TLS succeed, then it answers 404 itself.
            const unknown = await get(app("nosuchapp"));
            assert.equal(unknown.exit, 0, unknown.stderr);
            assert.equal(unknown.status, 404);
            // An app's SNI with another Host header is routed by Host, so it lands in the catch-all too.
            const smuggled = await get(app("pihole"), ["-H", `Host: nosuchapp.${domain}`]);
            assert.equal(smuggled.status, 404);
            // Names no certificate covers fail the handshake (curl exit 35: SSL connect error).
            for (const name of [`https://${domain}:${httpsPort}/`, app("a.pihole"), `https://pihole.example.com:${httpsPort}/`]) {
                const r = await get(name);
                assert.equal(r.exit, 35, `${name}: ${r.stderr}`);
            }
            assert.deepEqual(hits, []);
        });

        it("redirects plain HTTP to HTTPS without reaching the app", async () => {
            for (const name of labNames) {
                const r = await get(`http://${name}.${domain}:${httpPort}/login?next=%2F`);
                assert.equal(r.status, 308, name);
                // Caddy leaves the port out when it is its configured https_port: the public 443.
                assert.equal(r.location, `https://${name}.${domain}/login?next=%2F`);
            }
            assert.deepEqual(hits, []);
            // Following it (with 443 mapped to the test port) ends at the app.
            const followed = await get(`http://pihole.${domain}:${httpPort}/login?next=%2F`, [
                "-L", "--connect-to", `pihole.${domain}:443:127.0.0.1:${httpsPort}`,
            ]);
            assert.equal(followed.status, 200);
            assert.equal(followed.body, "pihole\n");
            assert.deepEqual(hits, [{ stub: "pihole", host: `pihole.${domain}`, url: "/login?next=%2F" }]);
        });

        it("carries a bounded wrk load over HTTPS with no errors", async function () {
            requireTools("wrk", "unshare");
            assert.equal(process.getuid?.(), 0, "wrk needs a private /etc/hosts: run as root");
            const target = "nextcloud";
            const hosts = path.join(dir, "hosts");
            fs.writeFileSync(hosts, `127.0.0.1 localhost\n127.0.0.1 ${target}.${domain}\n`);
            const script = path.join(dir, "count.lua");
            // Counts, over all threads, answers that are not 2xx or not from the expected backend.
            fs.writeFileSync(script, [
                "local threads = {}",
                "function setup(thread) table.insert(threads, thread) end",
                'function init(args) expected = args[1] .. "\\n"; bad_status = 0; bad_body = 0 end',
                "function response(status, headers, body)",
                "  if status < 200 or status > 299 then bad_status = bad_status + 1 end",
                "  if body ~= expected then bad_body = bad_body + 1 end",
                "end",
                "function done(summary, latency, requests)",
                "  local s, b = 0, 0",
                '  for _, t in ipairs(threads) do s = s + t:get("bad_status"); b = b + t:get("bad_body") end',
                "  local e = summary.errors",
                '  io.write(string.format(\'RESULT {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"non2xx":%d,"wrong_body":%d,"mean_us":%.0f,"p50_us":%d,"p99_us":%d,"max_us":%d}\\n\',',
                "    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, s, b,",
                "    latency.mean, latency:percentile(50), latency:percentile(99), latency.max))",
                "end",
            ].join("\n"));
            // Only wrk sees the private /etc/hosts: unshare gives it its own mount namespace.
            const r = await runAsync("unshare", [
                "--mount", "--", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec wrk "$@"', hosts,
                "-t2", "-c50", "-d10s", "--timeout", "5s", "-s", script, `https://${target}.${domain}:${httpsPort}/`, "--", target,
            ], { timeoutMs: 25_000 });
            assert.equal(r.status, 0, r.stderr);
            const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
            assert.ok(line, r.stdout);
            const s = JSON.parse(line.slice("RESULT ".length));
            const rps = s.requests / (s.duration_us / 1e6);
            console.log(
                `      wrk 2 threads x 50 connections, ${(s.duration_us / 1e6).toFixed(1)} s: ${s.requests} requests, ` +
                `${rps.toFixed(0)} req/s, latency mean ${(s.mean_us / 1000).toFixed(2)} ms, ` +
                `p50 ${(s.p50_us / 1000).toFixed(2)} ms, p99 ${(s.p99_us / 1000).toFixed(2)} ms, max ${(s.max_us / 1000).toFixed(2)} ms`,
            );
            // A floor, not a benchmark: the test machines are shared, so throughput varies 2x
            // between runs; what must hold is that no request failed.
            assert.ok(s.requests >= 5_000, `only ${s.requests} requests`);
            assert.deepEqual(
                { connect: s.connect, read: s.read, write: s.write, status: s.status, timeout: s.timeout, non2xx: s.non2xx, wrongBody: s.wrong_body },
                { connect: 0, read: 0, write: 0, status: 0, timeout: 0, non2xx: 0, wrongBody: 0 },
            );
            // Every answer wrk counted came from the one backend, and no other app saw any traffic.
            assert.ok(hits.length >= s.requests, `${hits.length} backend hits < ${s.requests} answers`);
            assert.deepEqual([...new Set(hits.map((h) => h.stub))], [target]);
        });

        it("takes a route change through install-caddyfile.sh: checked in the container, then reloaded in the same process", async () => {
            const pid = caddy!.pid!;
            const before = await get(app("status"));
            assert.equal(before.status, 404, "the new name must not be served before the reload");

            // The component's config command, with `docker` played by the shim (the running
            // container is this caddy): it checks the file with `docker exec ... caddy validate`,
            // puts it in place and reloads.
            const log = path.join(dir, "docker.log");
            const installed = await installCaddyfile(file, withoutTrustedProxies(render({ portfolio: "portfolio-v2" }, ["status"])), "running", env, log);
            assert.equal(installed.status, 0, installed.stderr);
            assert.match(installed.stdout, /checked, installed and homelab-proxy reloaded/);
            const calls = fs.readFileSync(log, "utf8").split("\n").filter((l) => l !== "");
            assert.deepEqual(calls.map((c) => c.replace(/\.Caddyfile\.new\.\w+/, ".Caddyfile.new.X")), [
                "inspect --format {{.State.Running}} homelab-proxy",
                "exec homelab-proxy caddy validate --config /etc/caddy/.Caddyfile.new.X --adapter caddyfile",
                "exec homelab-proxy caddy reload --config /etc/caddy/Caddyfile --adapter caddyfile",
            ]);
            assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith(".Caddyfile")), [".Caddyfile.lock"], "no copy left beside the file");

            // The new site's certificate is issued after the reload: allow it a moment.
            const deadline = Date.now() + 10_000;
            let added = await get(app("status"));
            while (added.status !== 200 && Date.now() < deadline) {
                await sleep(100);
                added = await get(app("status"));
            }
            assert.equal(added.body, "status\n");
            assert.equal((await get(app("portfolio"))).body, "portfolio-v2\n");
            assert.equal((await get(app("pihole"))).body, "pihole\n");

            assert.equal(caddyExited, false);
            assert.equal(caddy!.pid, pid);
            const listening = run("ss", ["-Hltnp", `sport = :${httpsPort}`]);
            assert.match(listening.stdout, new RegExp(`pid=${pid},`), "the HTTPS socket belongs to the same caddy process");
            assert.equal(hits.filter((h) => h.stub === "portfolio").length, 0, "the old portfolio backend is no longer used");
        });

        it("refuses a Caddyfile that the running caddy rejects: the old file stays and keeps serving, the rejected one is deleted", async () => {
            const serving = fs.readFileSync(file, "utf8");
            const broken = withoutTrustedProxies(render({ portfolio: "portfolio-v2", broken: "status" }, ["status", "broken"])).replace(/reverse_proxy (127\.0\.0\.1:\d+) \{\n(\t+import forwarding\n\t+\})/, "reverse_proxi $1 {\n$2");
            assert.notEqual(broken, serving);
            const log = path.join(dir, "docker.log");
            fs.rmSync(log, { force: true });
            const r = await installCaddyfile(file, broken, "running", env, log);
            assert.equal(r.status, 1);
            assert.match(r.stderr, /unrecognized directive: reverse_proxi/);
            assert.match(r.stderr, /Caddy rejected the new Caddyfile; .*Caddyfile left as it was and the rejected file deleted/);
            assert.equal(fs.readFileSync(file, "utf8"), serving);
            assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith(".Caddyfile")), [".Caddyfile.lock"]);
            assert.doesNotMatch(fs.readFileSync(log, "utf8"), /caddy reload/, "nothing was reloaded");
            // The same process still serves the routes of the old file, and not the new one's.
            assert.equal(caddyExited, false);
            assert.equal((await get(app("status"))).body, "status\n");
            assert.equal((await get(app("broken"))).status, 404);
        });
    });

    describe("install-caddyfile.sh with the container stopped or not created yet", function () {
        this.timeout(60_000);
        let dir = "";
        let env: NodeJS.ProcessEnv = {};
        let file = "";
        let log = "";
        const good = renderCaddyfile({ domain, routes: labRoutes, tls: { mode: "internal" }, labNetworks });
        const changed = renderCaddyfile({ domain, routes: labRoutes.slice(1), tls: { mode: "internal" }, labNetworks });
        const broken = good.replace("reverse_proxy nextcloud:80", "reverse_proxi nextcloud:80");
        const onDisk = () => fs.readdirSync(path.dirname(file)).sort();
        const calls = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter((l) => l !== "").map((c) => c.replace(/\.Caddyfile\.new\.\w+/, ".Caddyfile.new.X")) : []);

        beforeEach(() => {
            requireTools("caddy", "bash", "flock");
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-install-caddyfile-"));
            env = { ...process.env, XDG_DATA_HOME: path.join(dir, "data"), XDG_CONFIG_HOME: path.join(dir, "config") };
            file = path.join(dir, "etc", "homelab", "proxy", "Caddyfile");
            log = path.join(dir, "docker.log");
        });
        afterEach(() => {
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        });
        const validateInImage = `run --rm --network none -e CLOUDFLARE_API_TOKEN -v ${"DIR"}:/etc/caddy:ro ${proxyImage} caddy validate --config /etc/caddy/.Caddyfile.new.X --adapter caddyfile`;
        const expectedRun = () => validateInImage.replace("DIR", path.dirname(file));

        it("first deploy (no container, no file): checks the file with the image's caddy, then installs it 0644", async () => {
            const r = await installCaddyfile(file, good, "absent", env, log);
            assert.equal(r.status, 0, r.stderr);
            assert.equal(fs.readFileSync(file, "utf8"), good);
            assert.equal(fs.statSync(file).mode & 0o777, 0o644);
            assert.deepEqual(calls(), [
                "inspect --format {{.State.Running}} homelab-proxy",
                "inspect --format {{range .Config.Env}}{{println .}}{{end}} homelab-proxy",
                expectedRun(),
                // No container yet: the throw-away one gets a stand-in token.
                "token seen by the throw-away container: validation-only-stand-in-for-the-api-token",
            ]);
            assert.deepEqual(onDisk(), [".Caddyfile.lock", "Caddyfile"]);
        });

        it("first deploy with a file caddy rejects: fails, and leaves no file at all", async () => {
            const r = await installCaddyfile(file, broken, "absent", env, log);
            assert.equal(r.status, 1);
            assert.match(r.stderr, /unrecognized directive: reverse_proxi/);
            assert.deepEqual(onDisk(), [".Caddyfile.lock"]);
        });

        it("stopped container: a rejected file never replaces the old one; an accepted one does, checked with the container's own token", async () => {
            assert.equal((await installCaddyfile(file, good, "stopped", env, log)).status, 0);
            const rejected = await installCaddyfile(file, broken, "stopped", env, log);
            assert.equal(rejected.status, 1);
            assert.match(rejected.stderr, /Caddy rejected the new Caddyfile/);
            assert.equal(fs.readFileSync(file, "utf8"), good);
            assert.deepEqual(onDisk(), [".Caddyfile.lock", "Caddyfile"]);
            fs.rmSync(log);
            const accepted = await installCaddyfile(file, changed, "stopped", env, log);
            assert.equal(accepted.status, 0, accepted.stderr);
            assert.match(accepted.stdout, /homelab-proxy is not running, it reads the file when it starts/);
            assert.equal(fs.readFileSync(file, "utf8"), changed);
            assert.deepEqual(calls().slice(2), [expectedRun(), "token seen by the throw-away container: token-of-the-stopped-container"]);
            assert.ok(!calls().some((c) => c.startsWith("exec ")), "nothing runs inside a stopped container");
            assert.deepEqual(onDisk(), [".Caddyfile.lock", "Caddyfile"]);
        });

        it("does nothing when the file is already the same, refuses an empty stdin, and clears copies older runs left", async () => {
            assert.equal((await installCaddyfile(file, good, "stopped", env, log)).status, 0);
            fs.writeFileSync(path.join(path.dirname(file), ".Caddyfile.previous"), "stale");
            fs.writeFileSync(path.join(path.dirname(file), ".Caddyfile.new.AbC123"), "killed run");
            fs.rmSync(log);
            const same = await installCaddyfile(file, good, "running", env, log);
            assert.equal(same.status, 0, same.stderr);
            assert.match(same.stdout, /already up to date/);
            assert.deepEqual(calls(), [], "no docker call");
            const empty = await installCaddyfile(file, "", "stopped", env, log);
            assert.equal(empty.status, 1);
            assert.match(empty.stderr, /empty Caddyfile on stdin/);
            assert.equal(fs.readFileSync(file, "utf8"), good);
            assert.deepEqual(onDisk(), [".Caddyfile.lock", "Caddyfile"]);
        });
    });
});
