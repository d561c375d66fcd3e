/**
 * The lab's names for its own DNS server (Pi-hole, which runs dnsmasq): private apps have no public
 * record naming them, so the lab resolves them itself. Pure: the output is a dnsmasq config file
 * (Pi-hole reads every file in /etc/dnsmasq.d), checked in the tests by the real `dnsmasq --test`
 * and served by a real dnsmasq answering `dig`.
 */
import { isIP } from "net";

/** One name and its addresses. */
export interface LocalDnsRecord {
    /** Fully qualified name, e.g. `nextcloud.thehomelab.site`. */
    name: string;
    /** Its IPv4 address. */
    ipv4: string;
    /** Its IPv6 address, when it has one. */
    ipv6?: string;
}

const fqdn = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * A dnsmasq config with one `host-record` per name (A, and AAAA with IPv6; dnsmasq also answers
 * the reverse lookup), sorted by name so that reordering the config changes nothing. Throws on a
 * name that is not a lower-case DNS name, a bad address, or a name given twice.
 */
export function renderLocalDns(records: LocalDnsRecord[]): string {
    const seen = new Set<string>();
    records.forEach((r, i) => {
        if (!fqdn.test(r.name)) {
            throw new Error(`renderLocalDns: records[${i}].name "${r.name}" is not a lower-case DNS name`);
        }
        if (seen.has(r.name)) {
            throw new Error(`renderLocalDns: records[${i}].name "${r.name}" is given twice`);
        }
        seen.add(r.name);
        if (isIP(r.ipv4) !== 4) {
            throw new Error(`renderLocalDns: records[${i}].ipv4 "${r.ipv4}" is not an IPv4 address`);
        }
        if (r.ipv6 !== undefined && isIP(r.ipv6) !== 6) {
            throw new Error(`renderLocalDns: records[${i}].ipv6 "${r.ipv6}" is not an IPv6 address`);
        }
    });
    const lines = [...records]
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .map((r) => `host-record=${r.name},${r.ipv4}${r.ipv6 ? `,${r.ipv6}` : ""}`);
    return ["# Rendered by homelab (components/localDns.ts): the lab's own names, private apps included.", ...lines, ""].join("\n");
}
