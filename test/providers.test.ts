// Providers the Pulumi way: each component that runs on a Docker host or in Cloudflare takes its
// provider through opts.provider, opts.providers or its parent (as pulumi-eks and awsx do), hands
// exactly that one to every child of the provider's package, refuses to start without one (before
// registering anything), and names its children from its own name, so two fit in one program.
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as cloudflare from "@pulumi/cloudflare";
import * as docker from "@pulumi/docker";
import { App } from "../components/app";
import { CloudflareAccess } from "../components/cloudflareAccess";
import { CloudflareDns, CloudflareDnsArgs } from "../components/cloudflareDns";
import { CloudflareTunnel, CloudflareTunnelArgs } from "../components/cloudflareTunnel";
import { ReverseProxy } from "../components/reverseProxy";
import { providerUrn } from "../scripts/capture";
import { CapturedResource, captureProgram, captureRefusal, one } from "./helpers/mocks";
import { engineUrns } from "./helpers/urns";

interface Case {
    /** The component's type token. */
    type: string;
    /** The package of the provider under test. */
    pkg: string;
    /** That provider, made in the program. */
    provider(name: string): pulumi.ProviderResource;
    /** Providers of other packages the component needs too, made in the program. */
    others(): pulumi.ProviderResource[];
    /** The component named `name`; `p` is the provider under test (for resources the test makes beside it). */
    make(name: string, opts: pulumi.ComponentResourceOptions, p: pulumi.ProviderResource): pulumi.ComponentResource;
    /** How many children of the provider's package one instance has. */
    children: number;
    /** The message of a component given no provider of the package. */
    refusal(name: string): string;
}

const dockerProvider = (name: string) => new docker.Provider(name, { host: "ssh://root@192.168.1.4" });
const cloudflareProvider = (name: string) => new cloudflare.Provider(name, { apiToken: pulumi.secret("cf-token") });
const accountId = "0123456789abcdef0123456789abcdef";
const dnsArgs = (over: Partial<CloudflareDnsArgs> = {}): CloudflareDnsArgs => ({
    domain: "thehomelab.site",
    zoneId: "fedcba9876543210fedcba9876543210",
    proxy: { address: "192.168.1.4" },
    apps: [{ subdomain: "nextcloud" }],
    hosts: [{ hostname: "nas", address: "192.168.1.5" }],
    ...over,
});
const tunnelArgs = (over: Partial<CloudflareTunnelArgs> = {}): CloudflareTunnelArgs => ({
    accountId,
    hostnames: ["nextcloud.thehomelab.site"],
    service: "https://proxy:443",
    networks: ["apps"],
    ...over,
});
const noCloudflare = (component: string) => `${component}: no Cloudflare provider: pass one in opts, e.g. { providers: [cloudflareProvider] }, or set apiToken`;

const cases: Case[] = [
    {
        type: "homelab:index:App",
        pkg: "docker",
        provider: dockerProvider,
        others: () => [],
        make: (name, opts, p) =>
            new App(
                name,
                {
                    containerName: name,
                    image: "nginx:1.27.3",
                    port: 80,
                    volumes: [{ name: "data", path: "/data" }],
                    database: { engine: "postgres", env: { host: "DB_HOST", name: "DB_NAME", user: "DB_USER", password: "DB_PASSWORD" } },
                    host: {
                        hostname: "docker",
                        appNetwork: new docker.Network(`${name}-apps`, { name: `${name}-apps` }, { provider: p }),
                        sharePaths: {},
                        dockerHostUrl: "ssh://root@192.168.1.4",
                        sshOpts: [],
                    },
                },
                opts,
            ),
        // Image, container, volume; the database's network, volume, image and container.
        children: 7,
        refusal: (name) => `App ${name}: no Docker provider: pass the Docker host's in opts, e.g. { providers: [dockerHost.provider] }`,
    },
    {
        type: "homelab:index:ReverseProxy",
        pkg: "docker",
        provider: dockerProvider,
        others: () => [],
        make: (name, opts) =>
            new ReverseProxy(
                name,
                {
                    domain: "thehomelab.site",
                    email: "admin@thehomelab.site",
                    routes: [{ subdomain: "nextcloud", upstream: "nextcloud:80" }],
                    address: "192.168.1.4",
                    networks: ["apps"],
                    connection: { privateKey: "PRIVATE KEY" },
                    cloudflareApiToken: "cf-token",
                    labNetworks: ["192.168.1.0/24"],
                },
                opts,
            ),
        // Image, two volumes, container.
        children: 4,
        refusal: (name) => `ReverseProxy ${name}: no Docker provider: pass the proxy host's in opts, e.g. { providers: [dockerHost.provider] }`,
    },
    {
        type: "homelab:index:CloudflareDns",
        pkg: "cloudflare",
        provider: cloudflareProvider,
        others: () => [],
        make: (name, opts) => new CloudflareDns(name, dnsArgs(), opts),
        // The wildcard record, the guest's record, the ACME token.
        children: 3,
        refusal: (name) => noCloudflare(`CloudflareDns ${name}`),
    },
    {
        type: "homelab:index:CloudflareTunnel",
        pkg: "cloudflare",
        provider: cloudflareProvider,
        others: () => [dockerProvider("host")],
        make: (name, opts) => new CloudflareTunnel(name, tunnelArgs(), opts),
        // The tunnel and its configuration.
        children: 2,
        refusal: (name) => noCloudflare(`CloudflareTunnel ${name}`),
    },
    {
        type: "homelab:index:CloudflareTunnel",
        pkg: "docker",
        provider: dockerProvider,
        others: () => [cloudflareProvider("cloudflare")],
        make: (name, opts) => new CloudflareTunnel(name, tunnelArgs(), opts),
        // The connector's image and container.
        children: 2,
        refusal: (name) => `CloudflareTunnel ${name}: no Docker provider: pass the proxy host's in opts, e.g. { providers: [dockerHost.provider] }`,
    },
    {
        type: "homelab:index:CloudflareAccess",
        pkg: "cloudflare",
        provider: cloudflareProvider,
        others: () => [],
        make: (name, opts) => new CloudflareAccess(name, { accountId, hostname: "nextcloud.thehomelab.site", emails: ["admin@thehomelab.site"] }, opts),
        // The policy and the application.
        children: 2,
        refusal: (name) => `CloudflareAccess ${name}: no Cloudflare provider: pass one in opts, e.g. { providers: [cloudflareProvider] }`,
    },
];

/** Every resource under `urn`, at any depth. */
function descendants(resources: CapturedResource[], urn: string): CapturedResource[] {
    const direct = resources.filter((r) => r.parent === urn);
    return [...direct, ...direct.flatMap((r) => descendants(resources, r.urn))];
}

const ways: [string, (p: pulumi.ProviderResource, others: pulumi.ProviderResource[], name: string) => pulumi.ComponentResourceOptions][] = [
    ["opts.provider", (p, others) => ({ provider: p, providers: others })],
    ["opts.providers", (p, others) => ({ providers: [p, ...others] })],
    ["its parent", (p, others, name) => ({ parent: new pulumi.ComponentResource("test:index:Parent", `${name}-parent`, {}, { providers: [p, ...others] }) })],
];

for (const c of cases) {
    const short = c.type.split(":").pop()!;
    describe(`${short}: the ${c.pkg} provider from opts`, () => {
        for (const [way, optsOf] of ways) {
            it(`through ${way}: every ${c.pkg} child uses exactly that provider, and the component made none`, async () => {
                const { resources } = await captureProgram(() => {
                    const p = c.provider("given");
                    c.make("edge", optsOf(p, c.others(), "edge"), p);
                });
                const given = one(resources, `pulumi:providers:${c.pkg}`, "given");
                const component = one(resources, c.type, "edge");
                const children = descendants(resources, component.urn).filter((r) => r.custom && r.type.startsWith(`${c.pkg}:`));
                assert.equal(children.length, c.children, children.map((r) => `${r.type} ${r.name}`).join(", "));
                for (const r of children) {
                    assert.equal(providerUrn(r), given.urn, `${r.type} ${r.name}`);
                }
                assert.deepEqual(descendants(resources, component.urn).filter((r) => r.type === `pulumi:providers:${c.pkg}`), []);
            });
        }

        it("refuses to start without one, with the exact message, before registering anything", async () => {
            const { error, registered } = await captureRefusal(() => c.make("edge", { providers: c.others() }, c.provider("beside")));
            assert.equal(error?.message, c.refusal("edge"));
            assert.ok(registered.every((r) => !r.startsWith(c.type)), registered.join(", "));
        });

        it("fits twice in one program: children named from the component's name, no URN twice", async () => {
            const { resources } = await captureProgram(() => {
                const p = c.provider("given");
                const others = c.others();
                c.make("first", { providers: [p, ...others] }, p);
                c.make("second", { providers: [p, ...others] }, p);
            });
            const urns = [...engineUrns(resources).values()];
            assert.deepEqual(urns.filter((u, i) => urns.indexOf(u) !== i), []);
            for (const name of ["first", "second"]) {
                const names = descendants(resources, one(resources, c.type, name).urn).map((r) => r.name);
                assert.ok(names.length > 0 && names.every((n) => n.startsWith(name)), names.join(", "));
            }
        });
    });
}

// CloudflareDns and CloudflareTunnel build a provider of their own from apiToken, and only when
// opts gives none: what a program without a provider of its own writes.
const withToken: [string, string, (opts: pulumi.ComponentResourceOptions, apiToken?: pulumi.Input<string>) => unknown][] = [
    ["homelab:index:CloudflareDns", "CloudflareDns", (opts, apiToken) => new CloudflareDns("edge", dnsArgs({ apiToken }), opts)],
    ["homelab:index:CloudflareTunnel", "CloudflareTunnel", (opts, apiToken) => new CloudflareTunnel("edge", tunnelArgs({ apiToken }), { ...opts, providers: [dockerProvider("host"), ...((opts.providers as pulumi.ProviderResource[]) ?? [])] })],
];
for (const [type, short, make] of withToken) {
    describe(`${short}: a Cloudflare provider of its own from apiToken`, () => {
        it("only when opts gives none: one provider, named from the component, under it, with the token as a secret", async () => {
            const { resources } = await captureProgram(() => make({}, "cf-admin-token"));
            const component = one(resources, type, "edge");
            const own = one(resources, "pulumi:providers:cloudflare", "edge");
            assert.equal(own.parent, component.urn);
            assert.deepEqual(own.secretPaths, ["apiToken"]);
            const children = descendants(resources, component.urn).filter((r) => r.custom && r.type.startsWith("cloudflare:"));
            assert.ok(children.length >= 2);
            for (const r of children) {
                assert.equal(providerUrn(r), own.urn, `${r.type} ${r.name}`);
            }
        });

        it("refuses apiToken beside a provider from opts, before registering anything", async () => {
            const { error, registered } = await captureRefusal(() => make({ providers: [cloudflareProvider("given")] }, "cf-admin-token"));
            assert.equal(error?.message, `${short} edge: apiToken and a Cloudflare provider from opts are both given: drop apiToken (the provider's token is used)`);
            assert.ok(registered.every((r) => !r.startsWith(type)), registered.join(", "));
        });
    });
}
