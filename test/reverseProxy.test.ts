/**
 * ReverseProxy under the runtime mocks: its exact children and their key inputs, the token as a
 * secret, the Caddyfile it uploads, and the whole home stack: the proxy is the only container
 * publishing 80/443, and a route change touches only the config command.
 * (The real Caddy checks of the rendered file live in reverseProxy.caddy.test.ts.)
 */
import * as assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { ReverseProxy, ReverseProxyArgs, letsEncryptStagingCa } from "../components/reverseProxy";
import { proxyImage, renderCaddyfile, ProxyRoute } from "../components/reverseProxy/caddyfile";
import { scriptCommand } from "../components/remoteScript";
import { CapturedResource, captureApplyError, captureProgram, captureRefusal, captureStack, childrenOf, homeYaml, ofType, one, outputOf, stackFileConfig } from "./helpers/mocks";
import { capture } from "../scripts/capture";
import { loadProgram } from "../scripts/plan";
import * as fs from "fs";
import { installCaddyfileScriptPath } from "../components/reverseProxy";

const T = {
    component: "homelab:index:ReverseProxy",
    image: "docker:index/remoteImage:RemoteImage",
    volume: "docker:index/volume:Volume",
    container: "docker:index/container:Container",
    command: "command:remote:Command",
};
const domain = "thehomelab.site";
const routes: ProxyRoute[] = [
    { subdomain: "nextcloud", upstream: "nextcloud:80" },
    { subdomain: "heimdall", upstream: "heimdall:80" },
    { subdomain: "portainer", upstream: "portainer:9000" },
];
const acme = { mode: "acme-cloudflare", email: "admin@thehomelab.site" } as const;
const labNetworks = ["192.168.1.0/24"];
/** The reference lab's `proxy.allowFrom`: its LAN and VPN. */
const homeNetworks = ["192.168.1.0/24", "192.168.100.0/24"];

function args(over: Partial<ReverseProxyArgs> = {}): ReverseProxyArgs {
    return {
        domain,
        email: "admin@thehomelab.site",
        routes,
        address: "192.168.1.4",
        networks: ["apps"],
        connection: { privateKey: "PRIVATE KEY" },
        cloudflareApiToken: "cf-token",
        labNetworks,
        ...over,
    };
}

/** The Docker host's provider, as a ReverseProxy takes it: through its opts. */
function hostOpts(): pulumi.ComponentResourceOptions {
    return { providers: [new docker.Provider("docker", { host: "ssh://root@192.168.1.4" })] };
}

async function proxy(over: Partial<ReverseProxyArgs> = {}): Promise<CapturedResource[]> {
    const { resources } = await captureProgram(() => {
        new ReverseProxy("proxy", args(over), hostOpts());
    });
    return resources;
}

/** The value of an output of a resource under the mocks (whose state is the inputs): sees through secrets. */
function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => resolve(v)));
}

/** The script's arguments and stdin as the config command sends them. */
function expectedCreate(configPath = "/etc/homelab/proxy/Caddyfile", container = "proxy"): string {
    return scriptCommand(fs.readFileSync(installCaddyfileScriptPath, "utf8"), [
        "--path", configPath, "--container", container, "--image", proxyImage, "--mount", "/etc/caddy", "--token-env", "CLOUDFLARE_API_TOKEN",
    ]);
}

/** `host:port/proto` of every published port of a captured container. */
function published(c: CapturedResource): string[] {
    const ports = (c.inputs.ports as { external?: number; internal: number; ip?: string; protocol?: string }[] | undefined) ?? [];
    return ports.map((p) => `${p.ip ?? "0.0.0.0"}:${p.external}/${p.protocol ?? "tcp"}`).sort();
}

describe("ReverseProxy", () => {
    it("creates exactly the image, two volumes, the config command and the container, all under the component", async () => {
        const resources = await proxy();
        const component = one(resources, T.component, "proxy");
        assert.deepEqual(childrenOf(resources, component.urn), [
            `${T.command} proxy-config`,
            `${T.container} proxy`,
            `${T.image} proxy`,
            `${T.volume} proxy-caddyconfig`,
            `${T.volume} proxy-data`,
        ]);
        assert.deepEqual(one(resources, T.image, "proxy").inputs, { name: proxyImage, keepLocally: true });
        assert.equal(one(resources, T.volume, "proxy-data").inputs.name, "proxy-data");
        assert.equal(one(resources, T.volume, "proxy-caddyconfig").inputs.name, "proxy-config");
        // Every Docker child goes to the given host's provider, not a default one.
        for (const r of resources.filter((x) => x.type.startsWith("docker:index/") && x.custom)) {
            assert.match(r.provider, /::docker::/, `${r.type} ${r.name} uses provider ${r.provider}`);
        }
    });

    it("publishes exactly 80 and 443 over TCP on the host's LAN address, and 443/udp only with http3", async () => {
        assert.deepEqual(published(one(await proxy(), T.container, "proxy")), ["192.168.1.4:443/tcp", "192.168.1.4:80/tcp"]);
        assert.deepEqual(published(one(await proxy({ http3: true }), T.container, "proxy")), [
            "192.168.1.4:443/tcp",
            "192.168.1.4:443/udp",
            "192.168.1.4:80/tcp",
        ]);
        assert.deepEqual(published(one(await proxy({ ipv6Address: "2001:db8::4" }), T.container, "proxy")), [
            "192.168.1.4:443/tcp",
            "192.168.1.4:80/tcp",
            "2001:db8::4:443/tcp",
            "2001:db8::4:80/tcp",
        ]);
    });

    it("runs the pinned image with the Cloudflare token as a secret, the volumes and the config directory", async () => {
        const resources = await proxy();
        const c = one(resources, T.container, "proxy");
        assert.equal(c.inputs.name, "proxy");
        assert.equal(c.inputs.restart, "unless-stopped");
        assert.equal(c.inputs.envs, "[secret]");
        assert.deepEqual(c.secretPaths, ["envs"]);
        assert.deepEqual(c.inputs.networksAdvanced, [{ name: "apps" }]);
        assert.deepEqual(c.inputs.volumes, [
            { volumeName: "proxy-data", containerPath: "/data" },
            { volumeName: "proxy-config", containerPath: "/config" },
            { hostPath: "/etc/homelab/proxy", containerPath: "/etc/caddy", readOnly: true },
        ]);
        // It waits for the image (its id is the container's image) and for the config file.
        assert.ok(c.dependsOn.includes(one(resources, T.image, "proxy").urn));
        assert.ok(c.dependsOn.includes(one(resources, T.command, "proxy-config").urn));
        assert.deepEqual(c.options.ignoreChanges, []);
    });

    it("uploads the Caddyfile rendered from exactly the given routes and ACME by Cloudflare, over SSH to the host", async () => {
        const resources = await proxy();
        const cmd = one(resources, T.command, "proxy-config");
        assert.equal(cmd.inputs.stdin, renderCaddyfile({ domain, routes, tls: acme, labNetworks }));
        assert.equal(cmd.inputs.create, expectedCreate());
        assert.equal(cmd.inputs.update, cmd.inputs.create);
        // The command provider keeps the whole connection secret (it holds the key); stdin is not.
        assert.deepEqual(cmd.secretPaths, ["connection"]);
        // It waits for the host's Docker provider, which waits for the host and its Docker, and
        // for the image, whose caddy checks the file before it is put in place.
        assert.ok(cmd.dependsOn.some((urn) => urn.endsWith("pulumi:providers:docker::docker")), cmd.dependsOn.join(" "));
        assert.ok(cmd.dependsOn.includes(one(resources, T.image, "proxy").urn), cmd.dependsOn.join(" "));
    });

    it("connects to the host's address as root and sets the token variable the Caddyfile reads", async () => {
        let connection: unknown;
        let envs: unknown;
        await captureProgram(async () => {
            const p = new ReverseProxy("proxy", args(), hostOpts());
            connection = await valueOf(p.config.connection);
            envs = await valueOf(p.container.envs);
        });
        assert.deepEqual(connection, { host: "192.168.1.4", port: 22, user: "root", privateKey: "PRIVATE KEY", dialErrorLimit: 10, perDialTimeout: 15 });
        assert.deepEqual(envs, ["CLOUDFLARE_API_TOKEN=cf-token"]);
        assert.match(renderCaddyfile({ domain, routes, tls: acme, labNetworks }), /\{env\.CLOUDFLARE_API_TOKEN\}/);
    });

    it("takes a custom container name and config path into the mounts and the script's arguments", async () => {
        const resources = await proxy({ containerName: "caddy", configPath: "/srv/caddy/Caddyfile" });
        const c = one(resources, T.container, "proxy");
        assert.equal(c.inputs.name, "caddy");
        assert.deepEqual((c.inputs.volumes as unknown[])[2], { hostPath: "/srv/caddy", containerPath: "/etc/caddy", readOnly: true });
        assert.equal(one(resources, T.volume, "proxy-data").inputs.name, "caddy-data");
        assert.equal(one(resources, T.command, "proxy-config").inputs.create, expectedCreate("/srv/caddy/Caddyfile", "caddy"));
    });

    it("uses Let's Encrypt's staging CA only when staging is on", async () => {
        const prod = one(await proxy(), T.command, "proxy-config").inputs.stdin as string;
        const staging = one(await proxy({ staging: true }), T.command, "proxy-config").inputs.stdin as string;
        assert.doesNotMatch(prod, /acme_ca/);
        assert.equal(staging, renderCaddyfile({ domain, routes, tls: { ...acme, ca: letsEncryptStagingCa }, labNetworks }));
        assert.deepEqual(
            staging.split("\n").filter((l) => !prod.split("\n").includes(l)),
            [`\tacme_ca ${letsEncryptStagingCa}`],
        );
    });

    it("takes Outputs for staging, http3, the container name and the config path: the same resources as plain values", async () => {
        const plain = { staging: true, http3: true, containerName: "caddy", configPath: "/srv/caddy/Caddyfile" };
        const fromOutputs = () => ({ staging: outputOf("staging", true), http3: outputOf("http3", true), containerName: outputOf("name", "caddy"), configPath: outputOf("path", "/srv/caddy/Caddyfile") });
        const inputsOf = (rs: CapturedResource[]) => rs.filter((r) => r.parent !== "" && !r.type.startsWith("random:")).map((r) => [`${r.type} ${r.name}`, r.inputs]).sort(([x], [y]) => String(x).localeCompare(String(y)));
        const a = (await captureProgram(() => new ReverseProxy("proxy", args(plain), hostOpts()))).resources;
        const b = (await captureProgram(() => new ReverseProxy("proxy", args(fromOutputs()), hostOpts()))).resources;
        assert.deepEqual(inputsOf(b), inputsOf(a));
        assert.equal(one(b, T.container, "proxy").inputs.name, "caddy");
        assert.match(one(b, T.command, "proxy-config").inputs.stdin as string, /acme_ca https:\/\/acme-staging/);
        assert.ok(one(b, T.container, "proxy").dependsOn.includes(one(b, "random:index/randomId:RandomId", "dependency-name").urn));
    });

    for (const [what, over] of [
        ["a bad container name", { containerName: "-proxy" }],
        ["a relative config path", { configPath: "etc/Caddyfile" }],
    ] as [string, { containerName?: string; configPath?: string }][]) {
        it(`refuses ${what} when plain at construction and as an Output inside apply, with one message`, async () => {
            const { error, registered } = await captureRefusal(() => new ReverseProxy("proxy", args(over), hostOpts()));
            assert.deepEqual(registered, ["pulumi:pulumi:Stack homelab-test", "pulumi:providers:docker docker"]);
            const asOutputs = () => Object.fromEntries(Object.entries(over).map(([k, v]) => [k, outputOf(k, v)]));
            const inApply = await captureApplyError(() => new ReverseProxy("proxy", args(asOutputs()), hostOpts()));
            // The SDK names each property the error passed through on its way out (here several).
            assert.equal(inApply?.replace(/^(error serializing property "[^"]*": )+/, ""), error!.message);
        });
    }

    for (const [what, over, message] of [
        ["a bad container name", { containerName: "-proxy" }, 'ReverseProxy proxy: containerName must start with a letter or digit and hold only letters, digits, "_", "." and "-", got "-proxy"'],
        ["a relative config path", { configPath: "etc/Caddyfile" }, "ReverseProxy proxy: configPath 'etc/Caddyfile' must be an absolute file path of [A-Za-z0-9_./-], not directly under /"],
        ["a config path with ..", { configPath: "/etc/../Caddyfile" }, "ReverseProxy proxy: configPath '/etc/../Caddyfile' must be an absolute file path of [A-Za-z0-9_./-], not directly under /"],
        ["no network", { networks: [] }, "ReverseProxy proxy: networks must list the app network the upstream containers are on"],
        ["a bad e-mail", { email: "admin" }, 'renderCaddyfile: tls.email "admin" must be an e-mail address such as admin@example.org: one word, without spaces, quotes, braces or \'#\', and a domain with a top-level domain of letters'],
        ["a bad domain", { domain: "Home.Lab" }, 'renderCaddyfile: domain "Home.Lab" is not a lower-case DNS name'],
    ] as [string, Partial<ReverseProxyArgs>, string][]) {
        it(`refuses ${what} with an exact message`, async () => {
            await assert.rejects(captureProgram(() => new ReverseProxy("proxy", args(over), hostOpts())), { message });
        });
    }
});


describe("the home stack's reverse proxy", () => {
    let home: { resources: CapturedResource[]; outputs: Record<string, unknown> };
    before(async () => {
        home = (await captureStack()).result;
    });

    it("has one ReverseProxy on the docker host, and it is the only container publishing 80 or 443", () => {
        const proxies = ofType(home.resources, T.component);
        assert.deepEqual(proxies.map((p) => p.name), ["proxy"]);
        const containers = ofType(home.resources, T.container);
        const on80or443 = containers.filter((c) => published(c).some((p) => /:(80|443)\//.test(p)));
        assert.deepEqual(on80or443.map((c) => c.urn), [one(home.resources, T.container, "proxy").urn]);
        assert.equal(one(home.resources, T.container, "proxy").parent, proxies[0].urn);
        assert.deepEqual(published(one(home.resources, T.container, "proxy")), ["192.168.1.4:443/tcp", "192.168.1.4:80/tcp"]);
    });

    it("leaves Pi-hole's 53 as the only other published port, and minidlna as the only container on the host's network", () => {
        const containers = ofType(home.resources, T.container).filter((c) => c.name !== "proxy");
        const others = containers.flatMap((c) => published(c).map((p) => `${c.inputs.name}@${p.replace(/^.*:(\d+\/\w+)$/, "$1")}`)).sort();
        assert.deepEqual(others, ["pihole@53/tcp", "pihole@53/udp"]);
        // Host networking publishes whatever the container listens on: minidlna's 8200 and SSDP's 1900.
        assert.deepEqual(containers.filter((c) => c.inputs.networkMode === "host").map((c) => c.inputs.name), ["minidlna"]);
        assert.notEqual(one(home.resources, T.container, "proxy").inputs.networkMode, "host");
    });

    it("serves a route for every exposed app of the reference lab, and the plan shows them", () => {
        const stdin = one(home.resources, T.command, "proxy-config").inputs.stdin as string;
        const expected: ProxyRoute[] = [
            { subdomain: "pihole", upstream: "pihole:80" },
            { subdomain: "portainer", upstream: "portainer:9000" },
            { subdomain: "heimdall", upstream: "heimdall:80" },
            { subdomain: "checkmk", upstream: "checkmk:5000" },
            { subdomain: "nextcloud", upstream: "nextcloud:80" },
            { subdomain: "photoprism", upstream: "photoprism:2342" },
            { subdomain: "transmission", upstream: "transmission:9091" },
            { subdomain: "portfolio", upstream: "portfolio:8080" },
        ];
        assert.equal(stdin, renderCaddyfile({ domain, routes: expected, tls: acme, labNetworks: homeNetworks }));
        // Every route is private: it refuses any source outside the LAN and the VPN, and every
        // answer carries HSTS.
        assert.equal(stdin.split("\n").filter((l) => l === "\t\t@outside not remote_ip 192.168.1.0/24 192.168.100.0/24").length, expected.length);
        assert.ok(stdin.includes('\t\tStrict-Transport-Security "max-age=31536000"\n'));
        assert.deepEqual(
            home.outputs.routes,
            expected.map((r) => ({ url: `https://${r.subdomain}.${domain}`, upstream: r.upstream, public: false })),
        );
    });

    it("gives the container the zone-scoped ACME token, as a secret, not the admin token", async () => {
        // In a preview the minted token is unknown, and unknowns carry no secret flag: run as an update.
        const { config, secretKeys } = stackFileConfig(homeYaml());
        const { resources } = await capture(loadProgram(), { stack: "home", config, secretKeys, preview: false });
        const c = one(resources, T.container, "proxy");
        assert.equal(c.inputs.envs, "[secret]");
        assert.deepEqual(c.secretPaths, ["envs"]);
        const token = one(resources, "cloudflare:index/apiToken:ApiToken", "dns-acme");
        assert.ok(c.dependsOn.includes(token.urn), "the env comes from the minted token");
        const admin = one(resources, "pulumi:providers:cloudflare", "dns");
        assert.ok(!c.dependsOn.includes(admin.urn), "and not from the admin token's provider");
    });

    it("changes only the config command when an app's subdomain changes", async () => {
        const doc = parse(homeYaml()) as { config: Record<string, { name: string; subdomain?: string }[]> };
        doc.config["homelab:apps"].find((a) => a.name === "heimdall")!.subdomain = "start";
        // Both runs under the same stack name, so that the URNs match.
        const original = (await captureStack(homeYaml())).result;
        const changed = (await captureStack(stringify(doc))).result;
        const byUrn = (rs: CapturedResource[]) => new Map(rs.map((r) => [r.urn, r]));
        const before = byUrn(original.resources);
        const after = byUrn(changed.resources);
        const differs = [...before.keys()]
            .filter((urn) => after.has(urn))
            .filter((urn) => JSON.stringify(before.get(urn)!.inputs) !== JSON.stringify(after.get(urn)!.inputs))
            .map((urn) => `${before.get(urn)!.type} ${before.get(urn)!.name}`)
            .filter((r) => !r.startsWith("cloudflare:")); // the DNS records follow the name: cloudflareDns.test.ts
        assert.deepEqual(differs, [`${T.command} proxy-config`]);
        const stdin = after.get(one(changed.resources, T.command, "proxy-config").urn)!.inputs.stdin as string;
        assert.match(stdin, /^\t@app-start host start\.thehomelab\.site\n\thandle @app-start \{\n.*\n.*\n\t\treverse_proxy heimdall:80 \{$/m);
        assert.doesNotMatch(stdin, /heimdall\.thehomelab\.site/);
        // The proxy container's inputs are the same, so Pulumi neither updates nor replaces it.
        const c = one(original.resources, T.container, "proxy");
        assert.deepEqual(after.get(c.urn)!.inputs, c.inputs);
        assert.deepEqual(after.get(c.urn)!.dependsOn, c.dependsOn);
    });
});
