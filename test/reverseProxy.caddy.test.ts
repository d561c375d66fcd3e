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
    proxyImage,
    reloadCommand,
    renderCaddyfile,
} from "../components/reverseProxy/caddyfile";
import { RunResult, requireTools, run } from "./helpers/exec";

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
function runAsync(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
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
    describe("renderCaddyfile and reloadCommand (pure)", () => {
        const base: CaddyfileArgs = { domain, routes: labRoutes, tls: acme };
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
                assert.ok(out.includes(`\treverse_proxy ${upstream}\n`), upstream);
            }
        });

        it("renders the same file whatever the order of the routes", () => {
            const sorted = renderCaddyfile({ ...base, routes: labRoutes });
            const reversed = renderCaddyfile({ ...base, routes: [...labRoutes].reverse() });
            const rotated = renderCaddyfile({ ...base, routes: [...labRoutes.slice(3), ...labRoutes.slice(0, 3)] });
            assert.equal(reversed, sorted);
            assert.equal(rotated, sorted);
            const siteOrder = sorted.split("\n").filter((l) => /^[a-z*].* \{$/.test(l)).map((l) => l.split(".")[0]);
            assert.deepEqual(siteOrder, [...labNames].sort().concat("*"));
        });

        it("builds the reload command and refuses names that would break out of it", () => {
            assert.equal(reloadCommand("proxy"), `docker exec proxy caddy reload --config ${caddyfilePath} --adapter caddyfile`);
            assert.throws(() => reloadCommand("proxy; reboot"), { message: 'reloadCommand: containerName "proxy; reboot" is not a Docker container name' });
            assert.throws(() => reloadCommand("proxy", "Caddyfile"), {
                message: 'reloadCommand: configPath "Caddyfile" is not an absolute path of [A-Za-z0-9_./-]',
            });
        });

        it("pins the proxy image to a release of a Caddy build with the Cloudflare DNS module", () => {
            assert.match(proxyImage, /^ghcr\.io\/caddybuilds\/caddy-cloudflare:\d+\.\d+\.\d+$/);
        });
    });

    describe("checked by the real caddy", () => {
        let dir = "";
        let env: NodeJS.ProcessEnv = {};
        const internal = renderCaddyfile({ domain, routes: labRoutes, tls: { mode: "internal" } });
        const cloudflare = renderCaddyfile({ domain, routes: labRoutes, tls: acme });

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

        it("rejects a broken render and names the broken line", () => {
            const line = lineOf(internal, "reverse_proxy nextcloud:80");
            const broken = internal.replace("reverse_proxy nextcloud:80", "reverse_proxi nextcloud:80");
            const file = write("broken.Caddyfile", broken);
            const r = caddy("validate", "--config", file, "--adapter", "caddyfile");
            assert.equal(r.status, 1);
            assert.ok(r.stderr.includes(`${file}:${line}: unrecognized directive: reverse_proxi`), r.stderr);
        });

        it("adapts to one HTTPS server: each app to its upstream, then the 404 catch-all", () => {
            const r = adapt(write("internal.Caddyfile", internal));
            assert.equal(r.status, 0, r.stderr);
            const json = JSON.parse(r.stdout);
            const servers = Object.values(json.apps.http.servers) as Array<{ listen: string[]; routes: any[] }>;
            assert.equal(servers.length, 1);
            assert.deepEqual(servers[0].listen, [":443"]);
            const seen = servers[0].routes.map((route) => {
                const handler = route.handle[0].routes[0].handle[0];
                const target = handler.handler === "reverse_proxy" ? handler.upstreams.map((u: { dial: string }) => u.dial).join(",") : handler.status_code;
                return `${route.match[0].host.join(",")} ${handler.handler} ${target}`;
            });
            // Caddy orders exact hosts by its own specificity rules; what matters is that the
            // wildcard comes last, after every exact name.
            assert.equal(seen[seen.length - 1], `*.${domain} static_response 404`);
            assert.deepEqual(
                seen.slice(0, -1).sort(),
                labRoutes.map((r) => `${r.subdomain}.${domain} reverse_proxy ${r.upstream}`).sort(),
            );
            assert.deepEqual(json.apps.tls.automation.policies[0].issuers, [{ module: "internal" }]);
            assert.equal(json.apps.pki.certificate_authorities.local.install_trust, false);
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
            const policy = acmeJson.apps.tls.automation.policies[0];
            assert.deepEqual([...policy.subjects].sort(), [...labNames.map((n) => `${n}.${domain}`), `*.${domain}`].sort());
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

        /** A backend that answers every request with its own name, and records who reached it. */
        function startStub(name: string): Promise<Stub> {
            const server = http.createServer((req, res) => {
                hits.push({ stub: name, host: req.headers.host ?? "", url: req.url ?? "" });
                res.end(`${name}\n`);
            });
            return new Promise((resolve) => server.listen(0, "127.0.0.1", () => {
                resolve({ name, server, port: (server.address() as net.AddressInfo).port });
            }));
        }

        const upstream = (stub: string) => `127.0.0.1:${stubs.get(stub)!.port}`;

        /** The lab's routes, with each app's upstream replaced by its stub (or by `overrides`). */
        function render(overrides: Record<string, string> = {}, extra: string[] = []): string {
            const routes = [...labNames, ...extra].map((n) => ({ subdomain: n, upstream: upstream(overrides[n] ?? n) }));
            return renderCaddyfile({
                domain,
                routes,
                tls: { mode: "internal" },
                listen: { bind: "127.0.0.1", httpPort, httpsPort, adminAddress: `127.0.0.1:${adminPort}` },
            });
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
            for (const name of [...labNames, "portfolio-v2", "status"]) {
                stubs.set(name, await startStub(name));
            }
            file = path.join(dir, "Caddyfile");
            fs.writeFileSync(file, render());
            const log = fs.openSync(path.join(dir, "caddy.log"), "a");
            caddy = spawn("caddy", ["run", "--config", file, "--adapter", "caddyfile"], { env, stdio: ["ignore", log, log] });
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
            assert.ok(s.requests >= 20_000, `only ${s.requests} requests`);
            assert.deepEqual(
                { connect: s.connect, read: s.read, write: s.write, status: s.status, timeout: s.timeout, non2xx: s.non2xx, wrongBody: s.wrong_body },
                { connect: 0, read: 0, write: 0, status: 0, timeout: 0, non2xx: 0, wrongBody: 0 },
            );
            // Every answer wrk counted came from the one backend, and no other app saw any traffic.
            assert.ok(hits.length >= s.requests, `${hits.length} backend hits < ${s.requests} answers`);
            assert.deepEqual([...new Set(hits.map((h) => h.stub))], [target]);
        });

        it("takes a route change with caddy reload, in the same process", async () => {
            const pid = caddy!.pid!;
            const before = await get(app("status"));
            assert.equal(before.status, 404, "the new name must not be served before the reload");

            // The command the ReverseProxy component runs, with `docker exec <name>` played by a shim
            // that checks the container name and runs the rest here.
            const bin = path.join(dir, "bin");
            fs.mkdirSync(bin, { recursive: true });
            fs.writeFileSync(
                path.join(bin, "docker"),
                '#!/bin/sh\n[ "$1" = exec ] && [ "$2" = homelab-proxy ] || { echo "unexpected: $*" >&2; exit 2; }\nshift 2\nexec "$@"\n',
                { mode: 0o755 },
            );
            fs.writeFileSync(file, render({ portfolio: "portfolio-v2" }, ["status"]));
            const reload = await runAsync("sh", ["-c", reloadCommand("homelab-proxy", file)], {
                env: { ...env, PATH: `${bin}:${process.env.PATH}` },
                timeoutMs: 15_000,
            });
            assert.equal(reload.status, 0, reload.stderr);

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
    });
});
