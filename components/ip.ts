// Address arithmetic for validation and the address plan. Pure functions, no dependencies.

/** A parsed network: IPv4 or IPv6, as a base address and prefix length. */
export interface Cidr {
    version: 4 | 6;
    base: bigint;
    prefix: number;
}

/** Parses an IPv4 address to a number, or returns undefined. */
export function parseIpv4(text: string): bigint | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
    if (!m) {
        return undefined;
    }
    let value = 0n;
    for (const part of m.slice(1)) {
        const n = Number(part);
        if (n > 255 || (part.length > 1 && part.startsWith("0"))) {
            return undefined;
        }
        value = (value << 8n) | BigInt(n);
    }
    return value;
}

/** Parses an IPv6 address (with `::` shorthand and an optional embedded IPv4 tail, no zone) or returns undefined. */
export function parseIpv6(text: string): bigint | undefined {
    // `::ffff:192.168.1.5` and `2001:db8::192.168.1.5`: the dotted tail is the last two groups.
    const dotted = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
    if (dotted) {
        const v4 = parseIpv4(dotted[2]);
        return v4 === undefined ? undefined : parseIpv6(`${dotted[1]}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`);
    }
    if (!/^[0-9a-fA-F:]+$/.test(text) || text.split("::").length > 2) {
        return undefined;
    }
    const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
    const headParts = head === "" ? [] : head.split(":");
    const tailParts = tail === undefined || tail === "" ? [] : tail.split(":");
    const missing = 8 - headParts.length - tailParts.length;
    if ((tail === undefined && missing !== 0) || (tail !== undefined && missing < 1)) {
        return undefined;
    }
    const groups = [...headParts, ...Array(tail === undefined ? 0 : missing).fill("0"), ...tailParts];
    let value = 0n;
    for (const g of groups) {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) {
            return undefined;
        }
        value = (value << 16n) | BigInt(parseInt(g, 16));
    }
    return value;
}

/** Parses `address/prefix` (IPv4 or IPv6). Host bits must be zero. */
export function parseCidr(text: string): Cidr | undefined {
    const [addr, len, extra] = text.split("/");
    if (len === undefined || extra !== undefined || !/^\d{1,3}$/.test(len)) {
        return undefined;
    }
    const prefix = Number(len);
    const v4 = parseIpv4(addr);
    const version = v4 !== undefined ? 4 : 6;
    const base = v4 ?? parseIpv6(addr);
    const bits = version === 4 ? 32 : 128;
    if (base === undefined || prefix > bits) {
        return undefined;
    }
    const hostMask = (1n << BigInt(bits - prefix)) - 1n;
    if ((base & hostMask) !== 0n) {
        return undefined;
    }
    return { version, base, prefix };
}

function bitsOf(c: Cidr): number {
    return c.version === 4 ? 32 : 128;
}

/** True when `address` (plain IPv4 or IPv6) lies inside `net`. */
export function contains(net: Cidr, address: string): boolean {
    const value = net.version === 4 ? parseIpv4(address) : parseIpv6(address);
    if (value === undefined) {
        return false;
    }
    const shift = BigInt(bitsOf(net) - net.prefix);
    return value >> shift === net.base >> shift;
}

/** True when two networks share any address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
    if (a.version !== b.version) {
        return false;
    }
    const shift = BigInt(bitsOf(a) - Math.min(a.prefix, b.prefix));
    return a.base >> shift === b.base >> shift;
}

/** True for the network's own address and (IPv4) its broadcast address, which no host may use. */
export function isReserved(net: Cidr, address: string): boolean {
    const value = net.version === 4 ? parseIpv4(address) : parseIpv6(address);
    if (value === undefined) {
        return false;
    }
    const hostMask = (1n << BigInt(bitsOf(net) - net.prefix)) - 1n;
    if (net.prefix >= bitsOf(net) - 1) {
        return false;
    }
    return value === net.base || (net.version === 4 && value === (net.base | hostMask));
}

/** A network as a guest's address is checked against it: parsed, as written, and how messages name it. */
export interface HostNetwork {
    cidr: Cidr;
    /** As written, e.g. 192.168.1.0/24. */
    text: string;
    /** How a message names it, e.g. `network 'lan'`. */
    name: string;
    gateway?: string;
}

/**
 * Why `address` cannot be a guest's address on `net` (undefined when it can): outside it, its
 * network or broadcast address, or its gateway. The one rule: the guest components and the stack's
 * validation both call it.
 */
export function hostAddressProblem(address: string, net: HostNetwork): string | undefined {
    if (!contains(net.cidr, address) || isReserved(net.cidr, address)) {
        return `${address} is not a host address inside ${net.name} (${net.text}): use an address of that network`;
    }
    if (address === net.gateway) {
        return `${address} is the gateway of ${net.name}: use another address`;
    }
    return undefined;
}

/**
 * An IPv4 address with its prefix length (`192.168.1.4/24`) as the address and its network, or
 * undefined when it is not one (a part above 255, a prefix above 32, no prefix).
 */
export function parseIpv4WithPrefix(text: string): { address: string; net: Cidr; netText: string } | undefined {
    const m = /^([0-9.]+)\/(\d{1,2})$/.exec(text);
    const value = m ? parseIpv4(m[1]) : undefined;
    const prefix = Number(m?.[2]);
    if (!m || value === undefined || prefix > 32) {
        return undefined;
    }
    const base = prefix === 0 ? 0n : (value >> BigInt(32 - prefix)) << BigInt(32 - prefix);
    const netText = `${[24n, 16n, 8n, 0n].map((s) => (base >> s) & 255n).join(".")}/${prefix}`;
    return { address: m[1], net: { version: 4, base, prefix }, netText };
}
