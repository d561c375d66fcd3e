import { BlockList, isIP } from "net";
import * as pulumi from "@pulumi/pulumi";
import * as cloudflare from "@pulumi/cloudflare";
import { cloudflareProviderIn, cloudflareProviderOf } from "./cloudflareProvider";
import { whenKnown } from "./inputs";
import { ProxyExposure } from "./reverseProxy/caddyfile";

/** An app's name under the domain. */
export interface DnsAppArgs {
    /** The DNS label: `nextcloud` makes `nextcloud.<domain>`. */
    subdomain: string;
    /**
     * - `private` (the default): no record names it; the one wildcard record `*.<domain>` (to the
     *   proxy's LAN address) and the lab's own DNS resolve it, so the name appears nowhere public;
     * - `tunnel`: a proxied CNAME to the Cloudflare Tunnel (`proxy.tunnelTarget`);
     * - `port-forward`: a proxied A record to `proxy.publicAddress` (Cloudflare forwards to the
     *   router, which forwards 443 to the proxy).
     */
    exposure?: ProxyExposure;
    /**
     * The app's own records: `A`, `AAAA` or `both`, pointing at the proxy (proxied, for a
     * port-forwarded app). A private app with records is named in the zone instead of being
     * covered by the wildcard, so it answers only the families asked for. Not for a tunnelled app
     * (its one CNAME answers both). Defaults to the wildcard for a private app and `A` for a
     * port-forwarded one.
     */
    records?: AppRecords;
}

/** Which records an app's name gets. */
export const AppRecords = {
    a: "A",
    aaaa: "AAAA",
    both: "both",
} as const;
export type AppRecords = (typeof AppRecords)[keyof typeof AppRecords];

/**
 * The records of an app's own name (none: the wildcard covers it), or the problem with its
 * choice, through the guests' rule (hostRecordTypes) against the addresses the name would point
 * at. The one rule: CloudflareDns and the lab's validation both call it.
 */
export function appRecordTypes(
    app: Pick<DnsAppArgs, "exposure" | "records">,
    proxy: { address?: unknown; ipv6?: unknown; publicAddress?: unknown },
): { types: ("A" | "AAAA")[]; problem?: string } {
    const exposure = app.exposure ?? "private";
    if (exposure === "tunnel") {
        return app.records === undefined ? { types: [] } : { types: [], problem: "a tunnelled app's name is one CNAME to the tunnel, which answers A and AAAA alike: drop dns" };
    }
    if (exposure === "private" && app.records === undefined) {
        return { types: [] };
    }
    const choice = app.records === undefined ? "A" : app.records === "both" ? true : app.records;
    const target = exposure === "port-forward" ? { address: proxy.publicAddress ?? proxy.address, ipv6: proxy.ipv6 } : proxy;
    const r = hostRecordTypes(choice, target);
    return r.problem === undefined ? r : { types: [], problem: r.problem.replace("the guest's IPv4 `address`", "an IPv4 address of the proxy's host").replace("the guest's `ipv6` address", "an `ipv6` address of the proxy's host") };
}

/** A guest with a name of its own (`dns:` in the config). Each address given gets its record. */
export interface DnsHostArgs {
    /** The DNS label: `nas` makes `nas.<domain>`. */
    hostname: string;
    /** Its IPv4 address: an A record. Defaults to none (an IPv6-only name). */
    address?: pulumi.Input<string>;
    /** Its global IPv6 address: an AAAA record. Defaults to none. */
    ipv6?: pulumi.Input<string>;
}

/** Which records a guest's name gets: `true` every address it has, `A` or `AAAA` one family only. */
export type HostRecords = boolean | "A" | "AAAA";

/**
 * The records of a guest's name, or the problem with the choice: the one rule the lab's
 * validation reports and the lab follows, so that no name is asked for that cannot be made.
 */
export function hostRecordTypes(choice: HostRecords, has: { address?: unknown; ipv6?: unknown }): { types: ("A" | "AAAA")[]; problem?: string } {
    const v4 = has.address !== undefined;
    const v6 = has.ipv6 !== undefined;
    if (choice === false) {
        return { types: [] };
    }
    if (choice === "A" && !v4) {
        return { types: [], problem: "an A record needs the guest's IPv4 `address`: give one, or use `dns: AAAA` for its IPv6 address" };
    }
    if (choice === "AAAA" && !v6) {
        return { types: [], problem: "an AAAA record needs the guest's `ipv6` address: give one (on a network with ipv6), or use `dns: A`" };
    }
    const types: ("A" | "AAAA")[] = [];
    if (v4 && choice !== "AAAA") {
        types.push("A");
    }
    if (v6 && choice !== "A") {
        types.push("AAAA");
    }
    return { types };
}

/** Where the apps' names point: the reverse proxy. */
export interface DnsProxyArgs {
    /** The proxy's IPv4 address (the Docker host's LAN address). */
    address: pulumi.Input<string>;
    /** The proxy's global IPv6 address, when its host has one: every app then gets an AAAA record too. */
    ipv6?: pulumi.Input<string>;
    /**
     * The public IPv4 address that reaches the proxy (the router's WAN address, forwarding
     * 443 to it). Port-forwarded apps point there, proxied by Cloudflare. Defaults to
     * `address`, which must then be a public address itself.
     */
    publicAddress?: pulumi.Input<string>;
    /** The Cloudflare Tunnel's name, `<id>.cfargotunnel.com`: tunnelled apps are CNAMEs to it. Required by such apps. */
    tunnelTarget?: pulumi.Input<string>;
}

export interface CloudflareDnsArgs {
    /** The zone's name, e.g. thehomelab.site. */
    domain: pulumi.Input<string>;
    /** The zone's id (32 hex digits). */
    zoneId: pulumi.Input<string>;
    /**
     * For a Cloudflare provider of the component's own, when `opts` gives none: a token with DNS
     * edit on the zone, and API Tokens edit when `acmeToken` is on. Always stored as a secret.
     * Defaults to none: the provider comes from `opts` (giving both is refused).
     */
    apiToken?: pulumi.Input<string>;
    /** TTL of the records in seconds: 1 (automatic) or 30 to 86400; checked when known. Defaults to 300. Proxied records always get 1. */
    ttl?: pulumi.Input<number>;
    /** Where every app's name points: the reverse proxy's address. Required when `apps` is not empty. */
    proxy?: DnsProxyArgs;
    /** The apps behind the proxy. Defaults to none. */
    apps?: DnsAppArgs[];
    /** Guests with names of their own. Defaults to none. */
    hosts?: DnsHostArgs[];
    /** Mint a token that can edit DNS records of this one zone only, for the proxy's DNS-01 challenge. Defaults to true. */
    acmeToken?: boolean;
}

/**
 * Cloudflare API permission group ids, as listed by the "List permission groups" endpoint
 * (https://developers.cloudflare.com/fundamentals/api/reference/permissions/ links it; the ids are
 * global and stable). Constants rather than a `getApiTokenPermissionGroupsList` lookup: a lookup
 * is one more API call on every run, needs a permission of its own, and answers nothing useful
 * under the test mocks.
 */
export const permissionGroups = {
    /** "DNS Write" (Zone scope): create, edit and delete the zone's DNS records. */
    dnsWrite: "4755a26eedb94da69e1066d98aa820be",
    /** "Zone Read" (Zone scope): read the zone itself. */
    zoneRead: "c8fed203ed3043cba015a93ad1616f1f",
} as const;

const label = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** What Cloudflare refuses in a record's TTL, or undefined: 1 (automatic) or 30 to 86400 seconds. The rule of CloudflareDns and of `homelab:cloudflare.ttl`. */
export function ttlProblem(ttl: number): string | undefined {
    return ttl === 1 || (Number.isInteger(ttl) && ttl >= 30 && ttl <= 86400) ? undefined : `must be 1 (automatic) or from 30 to 86400 seconds, got ${ttl}`;
}

/** A zone name (`thehomelab.site`), as CloudflareDns and `homelab:domain` take it (a pattern, so that the JSON Schema carries it). */
export const domainRule = {
    pattern: /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    message: "must be a lower-case DNS zone name such as thehomelab.site",
};

// Addresses Cloudflare refuses as the target of a proxied record (API error 9003,
// "Target <ip> is not allowed for a proxied record").
const nonRoutable = new BlockList();
for (const [net, prefix] of [["10.0.0.0", 8], ["172.16.0.0", 12], ["192.168.0.0", 16], ["127.0.0.0", 8], ["169.254.0.0", 16], ["100.64.0.0", 10], ["0.0.0.0", 8]] as const) {
    nonRoutable.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [["fc00::", 7], ["fe80::", 10], ["::1", 128], ["::", 128]] as const) {
    nonRoutable.addSubnet(net, prefix, "ipv6");
}

/** True for a private, loopback, link-local or CGNAT address: one that Cloudflare cannot proxy to. */
export function isNonRoutable(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && nonRoutable.check(address, family === 4 ? "ipv4" : "ipv6");
}

/**
 * The lab's names in its Cloudflare zone: an A (and, with IPv6, AAAA) record per app pointing at the
 * reverse proxy, one per guest that wants a name, and a token for the proxy's DNS-01 challenge
 * that can touch this one zone's DNS records and nothing else. The Cloudflare provider comes from
 * `opts` (`{ providers: [cloudflareProvider] }`); given none, the component builds one from `apiToken`.
 */
export class CloudflareDns extends pulumi.ComponentResource {
    /** The Cloudflare provider of the records and the token: the one from `opts`, else the component's own. */
    readonly provider: cloudflare.Provider;
    /** Every record, by `<name>/<type>` (e.g. `nextcloud/CNAME`, `wildcard/A`). */
    readonly records: Record<string, cloudflare.DnsRecord>;
    /** The proxy's DNS-01 token (secret), when minted. */
    readonly acmeToken?: pulumi.Output<string>;
    /** Fully qualified names with records of their own (public apps, guests), sorted. */
    readonly names: pulumi.Output<string[]>;

    constructor(name: string, args: CloudflareDnsArgs, opts?: pulumi.ComponentResourceOptions) {
        const apps = args.apps ?? [];
        const hosts = args.hosts ?? [];
        const ttl = whenKnown({ ttl: args.ttl ?? 300 }, ({ ttl }) => {
            const problem = ttlProblem(ttl);
            if (problem !== undefined) {
                throw new Error(`CloudflareDns ${name}: ttl ${problem}`);
            }
            return ttl;
        });
        const domain = whenKnown({ domain: args.domain }, (v) => {
            if (!domainRule.pattern.test(v.domain)) {
                throw new Error(`CloudflareDns ${name}: domain '${v.domain}' ${domainRule.message}`);
            }
            return v.domain;
        });
        /** `label` under the domain (a plain string when the domain is). */
        const under = (label: string) => (typeof domain === "string" ? `${label}.${domain}` : pulumi.interpolate`${label}.${domain}`);
        const seen = new Set<string>();
        for (const l of [...apps.map((a) => a.subdomain), ...hosts.map((h) => h.hostname)]) {
            if (!label.test(l)) {
                throw new Error(`CloudflareDns ${name}: '${l}' is not a DNS label (a-z, 0-9, inner hyphens, at most 63 characters)`);
            }
            if (seen.has(l)) {
                throw new Error(`CloudflareDns ${name}: '${typeof domain === "string" ? `${l}.${domain}` : l}' is given twice`);
            }
            seen.add(l);
        }
        const family = (what: string, value: pulumi.Input<string> | undefined, v: 4 | 6) => {
            if (typeof value === "string" && isIP(value) !== v) {
                throw new Error(`CloudflareDns ${name}: ${what} '${value}' is not an IPv${v} address`);
            }
        };
        family("proxy.address", args.proxy?.address, 4);
        family("proxy.ipv6", args.proxy?.ipv6, 6);
        for (const h of hosts) {
            if (h.address === undefined && h.ipv6 === undefined) {
                throw new Error(`CloudflareDns ${name}: host '${h.hostname}' has no address: give address (an A record), ipv6 (an AAAA record) or both`);
            }
            family(`host '${h.hostname}' address`, h.address, 4);
            family(`host '${h.hostname}' ipv6`, h.ipv6, 6);
        }
        const proxy = args.proxy;
        if (apps.length > 0 && !proxy) {
            throw new Error(`CloudflareDns ${name}: apps ${apps.map((a) => a.subdomain).join(", ")} need proxy.address to point at`);
        }
        for (const a of apps.filter((x) => x.exposure === "port-forward")) {
            for (const target of [proxy?.publicAddress ?? proxy?.address]) {
                if (typeof target === "string" && isNonRoutable(target)) {
                    throw new Error(
                        `CloudflareDns ${name}: app '${a.subdomain}' is public through a port forward, but Cloudflare cannot proxy to the private address ${target}: set homelab:proxy.publicAddress (the router's WAN address forwarding 443 to the proxy) or make it public through the tunnel`,
                    );
                }
            }
        }
        for (const a of apps) {
            const problem = appRecordTypes(a, proxy ?? {}).problem;
            if (problem !== undefined) {
                throw new Error(`CloudflareDns ${name}: app '${a.subdomain}' records: ${problem}`);
            }
        }
        const tunnelled = apps.filter((x) => x.exposure === "tunnel");
        if (tunnelled.length > 0 && proxy?.tunnelTarget === undefined) {
            throw new Error(`CloudflareDns ${name}: apps ${tunnelled.map((a) => a.subdomain).join(", ")} are public through the tunnel: give proxy.tunnelTarget`);
        }

        const given = cloudflareProviderIn(`CloudflareDns ${name}`, opts, args.apiToken);

        // Registered only now: bad args above leave nothing in the stack.
        super("homelab:index:CloudflareDns", name, {}, opts);
        this.provider = cloudflareProviderOf(given, name, args.apiToken, this);
        const own = { parent: this, provider: this.provider };

        this.records = {};
        const record = (key: string, fqdn: pulumi.Input<string>, type: "A" | "AAAA" | "CNAME", content: pulumi.Input<string>, proxied: boolean) => {
            this.records[`${key}/${type}`] = new cloudflare.DnsRecord(
                `${name}-${key}-${type.toLowerCase()}`,
                {
                    zoneId: args.zoneId,
                    name: fqdn,
                    type,
                    content,
                    proxied,
                    // Cloudflare stores 1 (automatic) for every proxied record whatever is sent, so
                    // anything else would show as a change on every run.
                    ttl: proxied ? 1 : ttl,
                    comment: "Managed by Pulumi (homelab)",
                },
                own,
            );
        };
        // Private apps share one wildcard record: no record (and, with the proxy's one wildcard
        // certificate, no certificate) names a private app. Names with records of their own win
        // over the wildcard.
        if (apps.some((a) => (a.exposure ?? "private") === "private" && a.records === undefined)) {
            record("wildcard", under("*"), "A", proxy!.address, false);
            if (proxy!.ipv6 !== undefined) {
                record("wildcard", under("*"), "AAAA", proxy!.ipv6, false);
            }
        }
        for (const a of apps) {
            const fqdn = under(a.subdomain);
            if (a.exposure === "tunnel") {
                record(a.subdomain, fqdn, "CNAME", proxy!.tunnelTarget!, true);
                continue;
            }
            // A public app's records are proxied: its address is Cloudflare's, never the lab's.
            const forwarded = a.exposure === "port-forward";
            for (const type of appRecordTypes(a, proxy!).types) {
                record(a.subdomain, fqdn, type, type === "A" ? (forwarded ? (proxy!.publicAddress ?? proxy!.address) : proxy!.address) : proxy!.ipv6!, forwarded);
            }
        }
        for (const h of hosts) {
            const fqdn = under(h.hostname);
            // A guest's own name is never proxied: it is for SSH, SMB and the like, not HTTP.
            if (h.address !== undefined) {
                record(h.hostname, fqdn, "A", h.address, false);
            }
            if (h.ipv6 !== undefined) {
                record(h.hostname, fqdn, "AAAA", h.ipv6, false);
            }
        }

        if (args.acmeToken ?? true) {
            const token = new cloudflare.ApiToken(
                `${name}-acme`,
                {
                    name: pulumi.interpolate`homelab ${domain} DNS-01 (reverse proxy)`,
                    policies: [acmeTokenPolicy(args.zoneId)],
                },
                own,
            );
            this.acmeToken = pulumi.secret(token.value);
        }

        const named = [...apps.filter((a) => (a.exposure ?? "private") !== "private" || a.records !== undefined).map((a) => a.subdomain), ...hosts.map((h) => h.hostname)];
        this.names = pulumi.output(domain).apply((d) => named.sort().map((l) => `${l}.${d}`));
        this.registerOutputs({ acmeToken: this.acmeToken, names: this.names });
    }
}

/**
 * The one policy of the proxy's DNS-01 token: on the one zone only, edit its DNS records and read
 * the zone. Caddy's Cloudflare module (libdns/cloudflare) looks the zone id up by name before it
 * writes the `_acme-challenge` TXT record, which needs Zone Read; its README lists exactly
 * "Zone / Zone / Read" and "Zone / DNS / Edit" (https://github.com/libdns/cloudflare), and the
 * lookup works with a token scoped to one zone since Cloudflare's change of May 2020
 * (https://github.com/pfsense/pfsense/pull/4482).
 */
export function acmeTokenPolicy(zoneId: pulumi.Input<string>): cloudflare.types.input.ApiTokenPolicy {
    return {
        effect: "allow",
        permissionGroups: [{ id: permissionGroups.dnsWrite }, { id: permissionGroups.zoneRead }],
        resources: pulumi.output(zoneId).apply((z) => JSON.stringify({ [`com.cloudflare.api.account.zone.${z}`]: "*" })),
    };
}
