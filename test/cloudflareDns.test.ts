/**
 * CloudflareDns under the runtime mocks: its exact children, the records (one wildcard for the
 * private apps, proxied records for public ones only, guests' own), the proxy's DNS-01 token scoped
 * to one zone, secrets; and the home stack's records, with and without IPv6.
 */
import * as assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { appRecordTypes, CloudflareDns, CloudflareDnsArgs, isNonRoutable } from "../components/cloudflareDns";
import { CapturedResource, captureApplyError, captureProgram, captureStack, childrenOf, homeYaml, ofType, one, outputOf } from "./helpers/mocks";

const T = {
    component: "homelab:index:CloudflareDns",
    provider: "pulumi:providers:cloudflare",
    record: "cloudflare:index/dnsRecord:DnsRecord",
    token: "cloudflare:index/apiToken:ApiToken",
};
const zoneId = "fedcba9876543210fedcba9876543210";
const domain = "thehomelab.site";
const onlyPolicy = [
    {
        effect: "allow",
        permissionGroups: [{ id: "4755a26eedb94da69e1066d98aa820be" }, { id: "c8fed203ed3043cba015a93ad1616f1f" }],
        resources: JSON.stringify({ [`com.cloudflare.api.account.zone.${zoneId}`]: "*" }),
    },
];

function args(over: Partial<CloudflareDnsArgs> = {}): CloudflareDnsArgs {
    return {
        domain,
        zoneId,
        apiToken: "cf-admin-token",
        proxy: { address: "192.168.1.4" },
        apps: [{ subdomain: "nextcloud" }, { subdomain: "heimdall" }],
        hosts: [{ hostname: "nas", address: "192.168.1.5" }],
        ...over,
    };
}

async function dns(over: Partial<CloudflareDnsArgs> = {}): Promise<CapturedResource[]> {
    return (await captureProgram(() => {
        new CloudflareDns("dns", args(over));
    })).resources;
}

/** `name type content [proxied] ttl` of every record, sorted. */
function records(resources: CapturedResource[]): string[] {
    return ofType(resources, T.record)
        .map((r) => `${r.inputs.name} ${r.inputs.type} ${r.inputs.content}${r.inputs.proxied ? " proxied" : ""} ttl=${r.inputs.ttl}`)
        .sort();
}

describe("CloudflareDns", () => {
    it("creates exactly its provider, one record per name and the ACME token, all under the component", async () => {
        const resources = await dns();
        const component = one(resources, T.component, "dns");
        assert.deepEqual(childrenOf(resources, component.urn), [
            `${T.token} dns-acme`,
            `${T.record} dns-nas-a`,
            `${T.record} dns-wildcard-a`,
            `${T.provider} dns`,
        ]);
        const provider = one(resources, T.provider, "dns");
        assert.deepEqual(provider.secretPaths, ["apiToken"]);
        // Records and token go through the explicit provider, never a default one.
        for (const r of [...ofType(resources, T.record), ...ofType(resources, T.token)]) {
            assert.equal(r.provider, `${provider.urn}::dns-id`, `${r.name}`);
        }
    });

    it("names no private app: one wildcard record at the proxy, every guest at itself, unproxied, with the given ttl", async () => {
        const resources = await dns({ ttl: 120 });
        assert.deepEqual(records(resources), [
            "*.thehomelab.site A 192.168.1.4 ttl=120",
            "nas.thehomelab.site A 192.168.1.5 ttl=120",
        ]);
        const r = one(resources, T.record, "dns-wildcard-a");
        assert.deepEqual(r.inputs, {
            zoneId,
            name: "*.thehomelab.site",
            type: "A",
            content: "192.168.1.4",
            proxied: false,
            ttl: 120,
            comment: "Managed by Pulumi (homelab)",
        });
        assert.deepEqual(r.dependsOn, [], "a record needs nothing but its values: it is created in parallel with the rest");
    });

    it("adds AAAA records next to A ones where there is an IPv6 address", async () => {
        const resources = await dns({
            proxy: { address: "192.168.1.4", ipv6: "2001:db8::4" },
            hosts: [{ hostname: "nas", address: "192.168.1.5", ipv6: "2001:db8::5" }, { hostname: "pi", address: "192.168.1.7" }],
        });
        assert.deepEqual(records(resources), [
            "*.thehomelab.site A 192.168.1.4 ttl=300",
            "*.thehomelab.site AAAA 2001:db8::4 ttl=300",
            "nas.thehomelab.site A 192.168.1.5 ttl=300",
            "nas.thehomelab.site AAAA 2001:db8::5 ttl=300",
            "pi.thehomelab.site A 192.168.1.7 ttl=300",
        ]);
        assert.equal(one(resources, T.record, "dns-wildcard-aaaa").inputs.type, "AAAA");
        assert.equal(one(resources, T.record, "dns-nas-aaaa").inputs.content, "2001:db8::5");
    });

    it("gives public apps proxied records only: a port-forwarded one the public address, a tunnelled one a CNAME to the tunnel", async () => {
        const resources = await dns({
            proxy: { address: "192.168.1.4", ipv6: "2001:db8::4", publicAddress: "203.0.113.4", tunnelTarget: "6ff42ae2-765d-4adf-8112-31c55c1551ef.cfargotunnel.com" },
            apps: [{ subdomain: "shop", exposure: "port-forward" }, { subdomain: "nextcloud", exposure: "tunnel" }, { subdomain: "heimdall" }, { subdomain: "portainer", exposure: "private" }],
        });
        assert.deepEqual(records(resources), [
            "*.thehomelab.site A 192.168.1.4 ttl=300",
            "*.thehomelab.site AAAA 2001:db8::4 ttl=300",
            "nas.thehomelab.site A 192.168.1.5 ttl=300",
            "nextcloud.thehomelab.site CNAME 6ff42ae2-765d-4adf-8112-31c55c1551ef.cfargotunnel.com proxied ttl=1",
            "shop.thehomelab.site A 203.0.113.4 proxied ttl=1",
        ]);
    });

    it("has no wildcard when every app is public", async () => {
        const resources = await dns({ proxy: { address: "203.0.113.4" }, apps: [{ subdomain: "nextcloud", exposure: "port-forward" }] });
        assert.deepEqual(records(resources), ["nas.thehomelab.site A 192.168.1.5 ttl=300", "nextcloud.thehomelab.site A 203.0.113.4 proxied ttl=1"]);
    });

    it("mints the ACME token with one policy: DNS edit (and the zone read it needs) on this one zone", async () => {
        const resources = await dns();
        const token = one(resources, T.token, "dns-acme");
        assert.deepEqual(token.inputs.policies, onlyPolicy);
        assert.equal(token.inputs.name, "homelab thehomelab.site DNS-01 (reverse proxy)");
        assert.deepEqual(Object.keys(token.inputs).sort(), ["name", "policies"], "no condition, expiry or other policy");
    });

    it("outputs the token as a secret, and mints none when asked not to", async () => {
        let secret: boolean | undefined;
        await captureProgram(async () => {
            secret = await pulumi.isSecret(new CloudflareDns("dns", args()).acmeToken!);
        });
        assert.equal(secret, true);
        const without = await dns({ acmeToken: false });
        assert.deepEqual(ofType(without, T.token), []);
    });

    it("takes Outputs for the domain and the ttl: the same records, token and names", async () => {
        let names: string[] = [];
        const made = async (over: () => Partial<CloudflareDnsArgs>) =>
            (await captureProgram(() => {
                new CloudflareDns("dns", args(over())).names.apply((n) => (names = n));
            })).resources;
        const plain = await made(() => ({ ttl: 120, apps: [{ subdomain: "nextcloud", exposure: "port-forward" }], proxy: { address: "203.0.113.4" } }));
        const plainNames = names;
        const fromOutputs = await made(() => ({ domain: outputOf("domain", domain), ttl: outputOf("ttl", 120), apps: [{ subdomain: "nextcloud", exposure: "port-forward" }], proxy: { address: "203.0.113.4" } }));
        assert.deepEqual(records(fromOutputs), records(plain));
        assert.deepEqual(records(fromOutputs), ["nas.thehomelab.site A 192.168.1.5 ttl=120", "nextcloud.thehomelab.site A 203.0.113.4 proxied ttl=1"]);
        assert.equal(one(fromOutputs, T.token, "dns-acme").inputs.name, "homelab thehomelab.site DNS-01 (reverse proxy)");
        assert.deepEqual(names, plainNames);
        assert.deepEqual(names, ["nas.thehomelab.site", "nextcloud.thehomelab.site"]);
    });

    it("refuses a bad domain from an Output inside apply, with the message of a plain one", async () => {
        const message = await captureApplyError(() => new CloudflareDns("dns", args({ domain: outputOf("domain", "lab") })));
        assert.equal(message?.replace(/^(error serializing property "[^"]*": )+/, ""), "CloudflareDns dns: domain 'lab' must be a lower-case DNS zone name such as thehomelab.site");
    });

    it("refuses a bad ttl from an Output inside apply, with the message of a plain one", async () => {
        const message = await captureApplyError(() => new CloudflareDns("dns", args({ ttl: outputOf("ttl", 10) })));
        assert.equal(message?.replace(/^(error serializing property "[^"]*": )+/, ""), "CloudflareDns dns: ttl must be 1 (automatic) or from 30 to 86400 seconds, got 10");
    });

    for (const [what, over, message] of [
        ["a ttl Cloudflare refuses", { ttl: 10 }, "CloudflareDns dns: ttl must be 1 (automatic) or from 30 to 86400 seconds, got 10"],
        ["a domain that is no zone name", { domain: "TheHomeLab.site" }, "CloudflareDns dns: domain 'TheHomeLab.site' must be a lower-case DNS zone name such as thehomelab.site"],
        ["a name given twice", { hosts: [{ hostname: "heimdall", address: "192.168.1.9" }] }, "CloudflareDns dns: 'heimdall.thehomelab.site' is given twice"],
        ["a bad label", { apps: [{ subdomain: "Next_Cloud" }] }, "CloudflareDns dns: 'Next_Cloud' is not a DNS label (a-z, 0-9, inner hyphens, at most 63 characters)"],
        ["apps without a proxy", { proxy: undefined }, "CloudflareDns dns: apps nextcloud, heimdall need proxy.address to point at"],
        ["an IPv6 proxy address as IPv4", { proxy: { address: "2001:db8::4" } }, "CloudflareDns dns: proxy.address '2001:db8::4' is not an IPv4 address"],
        ["a host IPv4 address as IPv6", { hosts: [{ hostname: "nas", address: "192.168.1.5", ipv6: "192.168.1.5" }] }, "CloudflareDns dns: host 'nas' ipv6 '192.168.1.5' is not an IPv6 address"],
        [
            "a port-forwarded app behind a private address",
            { apps: [{ subdomain: "nextcloud", exposure: "port-forward" }] },
            "CloudflareDns dns: app 'nextcloud' is public through a port forward, but Cloudflare cannot proxy to the private address 192.168.1.4: set homelab:proxy.publicAddress (the router's WAN address forwarding 443 to the proxy) or make it public through the tunnel",
        ],
        ["a tunnelled app without the tunnel", { apps: [{ subdomain: "nextcloud", exposure: "tunnel" }] }, "CloudflareDns dns: apps nextcloud are public through the tunnel: give proxy.tunnelTarget"],
    ] as [string, Partial<CloudflareDnsArgs>, string][]) {
        it(`refuses ${what} with an exact message`, async () => {
            await assert.rejects(captureProgram(() => new CloudflareDns("dns", args(over))), { message });
        });
    }
});

describe("isNonRoutable", () => {
    const cases: [string, boolean][] = [
        ["192.168.1.4", true],
        ["10.10.10.2", true],
        ["172.31.255.1", true],
        ["172.32.0.1", false],
        ["100.64.0.1", true],
        ["127.0.0.1", true],
        ["203.0.113.4", false],
        ["fd00::1", true],
        ["fe80::1", true],
        ["2001:db8::4", false],
        ["not-an-ip", false],
    ];
    for (const [ip, expected] of cases) {
        it(`${ip} -> ${expected}`, () => assert.equal(isNonRoutable(ip), expected));
    }
});

describe("the home stack's DNS", () => {
    const webApps = ["checkmk", "heimdall", "nextcloud", "photoprism", "pihole", "portainer", "portfolio", "transmission"];

    it("names no app (all private): one wildcard record at the proxy's 192.168.1.4, and one per guest with dns: true", async () => {
        const { result } = await captureStack();
        assert.deepEqual(
            records(result.resources),
            ["*.thehomelab.site A 192.168.1.4 ttl=300", "docker.thehomelab.site A 192.168.1.4 ttl=300", "nas.thehomelab.site A 192.168.1.5 ttl=300"],
        );
        for (const app of webApps) {
            assert.ok(!ofType(result.resources, T.record).some((r) => String(r.inputs.name).startsWith(`${app}.`)), `a record names ${app}`);
        }
        const component = one(result.resources, T.component, "dns");
        assert.deepEqual(childrenOf(result.resources, component.urn).filter((c) => c.startsWith(T.token)), [`${T.token} dns-acme`]);
        assert.deepEqual(one(result.resources, T.token, "dns-acme").inputs.policies, onlyPolicy);
        // The records wait for nothing: not the proxy container, not the Docker host.
        for (const r of ofType(result.resources, T.record)) {
            assert.deepEqual(r.dependsOn, [], r.name);
        }
        assert.deepEqual(one(result.resources, T.provider, "dns").secretPaths, ["apiToken"]);
    });

    it("adds AAAA records for the wildcard and the guests when the network and the hosts have IPv6", async () => {
        const doc = parse(homeYaml()) as { config: Record<string, unknown> };
        const c = doc.config as {
            "homelab:networks": { name: string; ipv6?: unknown }[];
            "homelab:dockerHosts": { ipv6?: string }[];
            "homelab:nas": { ipv6?: string };
        };
        c["homelab:networks"].find((n) => n.name === "lan")!.ipv6 = { cidr: "2001:db8:1::/64", gateway: "2001:db8:1::1" };
        c["homelab:dockerHosts"][0].ipv6 = "2001:db8:1::4";
        c["homelab:nas"].ipv6 = "2001:db8:1::5";
        const { result } = await captureStack(stringify(doc));
        assert.deepEqual(
            records(result.resources),
            [
                "*.thehomelab.site A 192.168.1.4 ttl=300",
                "*.thehomelab.site AAAA 2001:db8:1::4 ttl=300",
                "docker.thehomelab.site A 192.168.1.4 ttl=300",
                "docker.thehomelab.site AAAA 2001:db8:1::4 ttl=300",
                "nas.thehomelab.site A 192.168.1.5 ttl=300",
                "nas.thehomelab.site AAAA 2001:db8:1::5 ttl=300",
            ].sort(),
        );
        assert.equal(one(result.resources, T.record, "dns-wildcard-aaaa").inputs.content, "2001:db8:1::4");
    });
});

describe("appRecordTypes (an app's own records, the guests' rule)", () => {
    const proxy = { address: "192.168.1.4", ipv6: "2001:db8::4", publicAddress: "198.51.100.7" };
    const cases: [string, Parameters<typeof appRecordTypes>[0], Parameters<typeof appRecordTypes>[1], ReturnType<typeof appRecordTypes>][] = [
        ["a private app: the wildcard", { exposure: "private" }, proxy, { types: [] }],
        ["a private app asking for AAAA", { exposure: "private", records: "AAAA" }, proxy, { types: ["AAAA"] }],
        ["a private app asking for both", { records: "both" }, proxy, { types: ["A", "AAAA"] }],
        ["a port-forwarded app: A by default", { exposure: "port-forward" }, proxy, { types: ["A"] }],
        ["a port-forwarded app asking for both", { exposure: "port-forward", records: "both" }, proxy, { types: ["A", "AAAA"] }],
        ["AAAA without an IPv6 proxy", { records: "AAAA" }, { address: "192.168.1.4" }, { types: [], problem: "an AAAA record needs an `ipv6` address of the proxy's host: give one (on a network with ipv6), or use `dns: A`" }],
        ["a tunnelled app with records", { exposure: "tunnel", records: "A" }, proxy, { types: [], problem: "a tunnelled app's name is one CNAME to the tunnel, which answers A and AAAA alike: drop dns" }],
    ];
    for (const [what, app, p, expected] of cases) {
        it(what, () => assert.deepStrictEqual(appRecordTypes(app, p), expected));
    }
});
