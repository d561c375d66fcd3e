// The whole lab from one validated config: hypervisor, NAS, Docker hosts, apps, proxy and DNS.
// `Lab` is a component that delegates each part to a small function below; dependencies are only
// the real ones, so that independent parts provision in parallel.
import * as pulumi from "@pulumi/pulumi";
import * as cloudflare from "@pulumi/cloudflare";
import { BackupJob } from "../components/backupJob";
import { CloudflareAccess } from "../components/cloudflareAccess";
import { AppRecords, CloudflareDns, DnsHostArgs, hostRecordTypes } from "../components/cloudflareDns";
import { CloudflareTunnel } from "../components/cloudflareTunnel";
import { cloudflareRanges, ProxyExposure } from "../components/reverseProxy/caddyfile";
import { App, appOrder, AppRoute } from "../components/app";
import { appArgs, ResolvedApp, resolveApp, shareOwners } from "./apps";
import { DockerHost } from "../components/dockerHost";
import { haReplication, HighAvailability } from "../components/highAvailability";
import { Firewall, FirewallArgs } from "../components/firewall";
import { LxcContainer } from "../components/lxcContainer";
import { NasVm } from "../components/nasVm";
import { ProxmoxHost } from "../components/proxmoxHost";
import { ReverseProxy } from "../components/reverseProxy";
import { ShareServer } from "../components/shareServer";
import { haPlacement, imageOs } from "./config";
import { LabConfig, NetworkConfig } from "./labConfig";
import { SecretValue } from "./secretValue";

type ExportsConfig = NonNullable<LabConfig["containers"][number]["exports"]>;
import { defaultDockerHost, defaultRoutePort } from "./routes";

/** A config secret as a Pulumi secret. */
export const secret = (s: SecretValue): pulumi.Output<string> => s.output();

/** A proxy route of the lab. */
export interface LabRoute {
    /** `https://<app>.<domain>`. */
    url: string;
    /** What it reaches: `<container>:<port>` (e.g. `nextcloud:80`), or `<address>:<port>` of an app on another host. */
    upstream: string;
    /** Reachable from the internet. */
    public: boolean;
    /** A public app: through the Cloudflare Tunnel (else a port forward). */
    tunnel?: boolean;
    /** A public app: behind Cloudflare Access. */
    access?: boolean;
}

/** Stack outputs of the lab. */
export interface LabOutputs {
    /** Every proxy route: `https://<app>.<domain>`, the container it reaches, and its exposure. */
    routes: LabRoute[];
    /** The least-privilege Proxmox API token, for tools that need no root. */
    guestApiToken?: pulumi.Output<string>;
}

/** Options of a Lab: Pulumi's own, and how its parts are named. */
export interface LabOptions extends pulumi.ComponentResourceOptions {
    /**
     * Take over the resources of a stack made by homelab 0.1's `buildLab`, whose parts sat at the
     * stack's root: each part keeps its old name (`proxmox`, `dns`, `proxy`, `firewall`, `backup`,
     * the hostnames and the app names) and gets an alias to its old root-parented URN, so that
     * `pulumi up` moves the whole lab under this Lab and replaces nothing. Only one Lab of a
     * stack can do this. Defaults to false: parts are named `<name>-<part>`, so that several Labs
     * fit in one program.
     */
    adoptRootResources?: boolean;
}

/** How the Lab names a part and the options every part gets. */
interface Parts {
    cfg: LabConfig;
    /** True when the Lab takes over a stack made by `buildLab` (LabOptions.adoptRootResources). */
    adopted: boolean;
    /** The part's resource name. */
    name(role: string): string;
    /** The part's options: the Lab as parent, and the alias of an adopted stack. */
    opts(extra?: pulumi.ComponentResourceOptions): pulumi.ComponentResourceOptions;
}

/**
 * Lab's base, nothing more than a ComponentResource. Pulumi's component analyzer takes, for each
 * component the plugin serves, the first class of that name it meets that extends
 * ComponentResource directly: with this step between, that is the served Lab
 * (stacks/labDocument.ts), whose args it can express, and not this one, whose typed config it
 * cannot (unions). test/analyzer.test.ts checks which one it took.
 */
abstract class TypedLabBase extends pulumi.ComponentResource {}

/**
 * A whole homelab: the Proxmox hosts, the NAS, the Docker hosts and their apps, plain containers,
 * the reverse proxy, Cloudflare DNS, the firewall and the backups, from one config (see
 * `loadLabConfig` for reading it from the stack's config, `validateLab` for checking one).
 *
 * The SDK captures a stack trace for every resource it registers; with Node's default depth a large
 * lab plans several times slower (see the README's benchmark). The Lab registers its parts with
 * `Error.stackTraceLimit` at 0 (or HOMELAB_STACK_TRACE_LIMIT when set, for debugging) and restores
 * it after.
 */
export class Lab extends TypedLabBase {
    /** The Proxmox side: providers, bridges, images, tokens, UPS. */
    public readonly hypervisor!: ProxmoxHost;
    /** The NAS, when the config has one. */
    public readonly nas?: NasVm;
    /** Docker hosts by hostname. */
    public readonly dockerHosts!: Record<string, DockerHost>;
    /** Apps by name. */
    public readonly apps!: Record<string, App>;
    /** Plain containers by hostname. */
    public readonly containers!: Record<string, LxcContainer>;
    /** What each guest with `exports` serves, by hostname. */
    public readonly shareServers!: Record<string, ShareServer>;
    /** DNS records and the proxy's token, when the config has `cloudflare`. */
    public readonly dns?: CloudflareDns;
    /** The reverse proxy, when the config has `proxy`. */
    public readonly proxy?: ReverseProxy;
    /** Every proxy route: `https://<app>.<domain>`, the container it reaches, and its exposure (LabOutputs.routes). */
    public readonly routes!: LabOutputs["routes"];
    /** The least-privilege Proxmox API token, for tools that need no root. */
    public readonly guestApiToken?: pulumi.Output<string>;

    constructor(name: string, config: LabConfig, opts: LabOptions = {}) {
        const { adoptRootResources, ...resourceOpts } = opts;
        super("homelab:index:Lab", name, {}, resourceOpts);
        Object.assign(this, createLabParts(this, name, config, adoptRootResources ?? false));
        this.registerOutputs({ routes: this.routes, guestApiToken: this.guestApiToken });
    }
}

/** What a Lab holds: its parts, routes and token. */
export type LabParts = Pick<Lab, "hypervisor" | "nas" | "dockerHosts" | "apps" | "containers" | "shareServers" | "dns" | "proxy" | "routes" | "guestApiToken">;

/**
 * Registers every part of the lab of `config` as children of `lab`: the Lab's own body, shared
 * with the Lab that the component plugin serves to other languages (stacks/labDocument.ts), so
 * that both make the same resources. `adoptRootResources`: see LabOptions.
 */
export function createLabParts(lab: pulumi.ComponentResource, name: string, config: LabConfig, adoptRootResources: boolean): LabParts {
    const parts: Parts = {
        cfg: config,
        adopted: adoptRootResources,
        name: (role) => (adoptRootResources ? role : `${name}-${role}`),
        opts: (extra = {}) => ({ ...extra, parent: lab, ...(adoptRootResources ? { aliases: [{ parent: pulumi.rootStackResource }] } : {}) }),
    };
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = Number(process.env.HOMELAB_STACK_TRACE_LIMIT ?? 0);
    try {
        const hypervisor = createHypervisor(parts);
        const nas = createNas(parts, hypervisor);
        const containers = createContainers(parts, hypervisor);
        const shareServers: Record<string, ShareServer> = {};
        for (const c of config.containers.filter((x) => x.exports)) {
            shareServers[c.hostname] = createShareServer(parts, { ...c, kind: "lxc" }, hypervisor, containers[c.hostname]);
        }
        const dockerHosts = createDockerHosts(parts, hypervisor, nas, shareServers);
        const apps = createApps(parts, dockerHosts);
        const edge = createProxyAndDns(parts, dockerHosts, apps.routes);
        createHighAvailability(parts, hypervisor, containers, dockerHosts);
        createFirewall(parts, hypervisor);
        createBackup(parts, hypervisor, nas);
        return { hypervisor, nas, containers, shareServers, dockerHosts, apps: apps.apps, dns: edge.dns, proxy: edge.proxy, routes: edge.routes, guestApiToken: hypervisor.guestApiToken };
    } finally {
        Error.stackTraceLimit = limit;
    }
}

/** The lab of a config, as stack outputs. Kept for programs written against homelab 0.1: prefer `new Lab(...)`. */
export function buildLab(cfg: LabConfig, name = "lab"): LabOutputs {
    const lab = new Lab(name, cfg, { adoptRootResources: true });
    return { routes: lab.routes, guestApiToken: lab.guestApiToken };
}

/**
 * Where a guest sits: its node, its network (validate.ts guarantees both, and a bridge), and the
 * bridge it must wait for when this stack creates it.
 */
function placementOf(cfg: LabConfig, hypervisor: ProxmoxHost, guest: { node?: string; network: string }) {
    const node = cfg.nodes.find((n) => n.name === (guest.node ?? cfg.nodes[0].name))!;
    const net = cfg.networks.find((n) => n.name === guest.network)!;
    const bridge = hypervisor.bridges[node.name]?.[net.bridge!];
    return {
        node,
        net,
        bridge: net.bridge!,
        prefix: Number(net.cidr.split("/")[1]),
        ipv6Prefix: net.ipv6 ? Number(net.ipv6.cidr.split("/")[1]) : undefined,
        waitFor: bridge ? [bridge] : [],
    };
}

/** A guest's DNS servers: its network's `dns`, else its gateway (as config.ts documents), else none. */
function dnsServersOf(net: NetworkConfig): string[] | undefined {
    return net.dns ?? (net.gateway ? [net.gateway] : undefined);
}

/**
 * The firewall's view of the lab: its networks, guests (with their addresses and network), the
 * nodes as sources, and the rules. validate.ts hands the same args to `planFirewall`, so a config
 * that validates is one the component accepts.
 */
export function firewallArgs(cfg: LabConfig): FirewallArgs {
    const fw = cfg.firewall!;
    const guests = [
        ...(cfg.nas ? [{ ...cfg.nas, kind: "vm" as const }] : []),
        ...cfg.dockerHosts,
        ...cfg.containers.map((c) => ({ ...c, kind: "lxc" as const })),
    ];
    const addresses = (h: { address?: string; ipv6?: string }) => [h.address, h.ipv6].filter((a): a is string => a !== undefined);
    const nodeNets = new Set(cfg.nodes.map((n) => n.network));
    return {
        networks: cfg.networks.map((n) => ({ name: n.name, cidrs: [n.cidr, ...(n.ipv6 ? [n.ipv6.cidr] : [])] })),
        guests: guests.map((g) => ({
            hostname: g.hostname,
            node: g.node ?? cfg.nodes[0].name,
            vmId: g.vmId,
            kind: g.kind,
            addresses: addresses(g),
            network: g.network,
            inputPolicy: fw.policies[g.hostname],
        })),
        hosts: cfg.nodes.map((n) => ({ name: n.name, addresses: [n.address] })),
        rules: [...fw.rules, ...cloudflareEdgeRules(cfg)].map((r) => ({ ...r, port: r.port === undefined ? undefined : String(r.port) })),
        inputPolicy: fw.inputPolicy,
        managementSources: cfg.networks.filter((n) => nodeNets.has(n.name)).map((n) => n.cidr),
    };
}

/** The records an app's `dns` asks for (CloudflareDns' AppRecords). */
export function appRecordsOf(app: { dns?: true | "A" | "AAAA" }): AppRecords | undefined {
    return app.dns === true ? "both" : app.dns;
}

/** An app's exposure: private, or public through the tunnel (the default) or a port forward. */
export function exposureOf(app: { public: boolean; publicVia?: "tunnel" | "port-forward" }): ProxyExposure {
    return app.public ? (app.publicVia ?? "tunnel") : "private";
}

/**
 * With port-forwarded apps, the proxy's host must admit Cloudflare's edge on 443: one rule per
 * range, added only where the config's own rules already turn that host's firewall on (its name
 * or its network as `to`); a host without a firewall admits them anyway.
 */
function cloudflareEdgeRules(cfg: LabConfig): NonNullable<LabConfig["firewall"]>["rules"] {
    // Called by validate.ts on a config whose other parts may have failed: every list may be missing.
    const hosts = cfg.dockerHosts ?? [];
    const proxyHost = hosts.find((h) => h.hostname === defaultDockerHost(hosts.map((x) => x.hostname), cfg.proxy?.host));
    const forwarded = (cfg.apps ?? []).some((a) => exposureOf(a) === "port-forward");
    const covered = proxyHost && (cfg.firewall?.rules ?? []).some((r) => r.to === proxyHost.hostname || r.to === proxyHost.network);
    if (!cfg.proxy || !forwarded || !covered) {
        return [];
    }
    return cloudflareRanges.map((from) => ({ from, to: proxyHost.hostname, action: "ACCEPT" as const, proto: "tcp" as const, port: 443, comment: "Cloudflare's edge to port-forwarded apps" }));
}

/** The lab's own networks (IPv4 and IPv6 CIDRs): `proxy.allowFrom`, or every network. */
function labNetworks(cfg: LabConfig): string[] {
    const names = cfg.proxy?.allowFrom ?? cfg.networks.map((n) => n.name);
    return cfg.networks.filter((n) => names.includes(n.name)).flatMap((n) => [n.cidr, ...(n.ipv6 ? [n.ipv6.cidr] : [])]);
}

/** The guests with names of their own, each with just the addresses its `dns:` asks records for. */
export function dnsHosts(cfg: LabConfig): DnsHostArgs[] {
    return [...(cfg.nas ? [cfg.nas] : []), ...cfg.dockerHosts, ...cfg.containers].flatMap((g) => {
        // validate.ts reported any choice hostRecordTypes refuses.
        const { types } = hostRecordTypes(g.dns, g);
        return types.length === 0 ? [] : [{ hostname: g.hostname, address: types.includes("A") ? g.address : undefined, ipv6: types.includes("AAAA") ? g.ipv6 : undefined }];
    });
}

/** The distribution of an lxc image (validate.ts guarantees one). */
function osOf(cfg: LabConfig, image: string) {
    return imageOs(cfg.images.find((m) => m.name === image)!)!;
}

/** The Proxmox side: providers, bridges, images, the least-privilege token, UPS shutdown. */
function createHypervisor({ cfg, adopted, name, opts }: Parts): ProxmoxHost {
    return new ProxmoxHost(
        name("proxmox"),
        {
            endpoint: cfg.proxmox.endpoint,
            apiToken: secret(cfg.proxmox.apiToken),
            insecure: cfg.proxmox.insecure,
            sshUser: cfg.proxmox.sshUser,
            sshPrivateKey: secret(cfg.ssh.privateKey),
            leastPrivilegeToken: cfg.proxmox.leastPrivilegeToken,
            // The names a running lab already has; otherwise the component's defaults, derived from its name.
            ...(adopted ? { guestRoleId: "HomelabGuestAdmin", guestUserId: "homelab@pve" } : {}),
            nodes: cfg.nodes.map((n) => ({
                name: n.name,
                address: n.address,
                fileStorage: n.fileStorage,
                bridges: n.bridges,
                ups: n.ups && { ...n.ups, password: secret(n.ups.password) },
            })),
            images: cfg.images,
        },
        opts(),
    );
}

/** The NAS. Docker hosts mount its shares and backups go to its `backups` share: they wait for `nas.samba`. */
function createNas({ cfg, name, opts }: Parts, hypervisor: ProxmoxHost): NasVm | undefined {
    const n = cfg.nas;
    if (!n) {
        return undefined;
    }
    // The image id already carries the dependency on its download.
    const { node, net, bridge, prefix, ipv6Prefix, waitFor } = placementOf(cfg, hypervisor, n);
    return new NasVm(
        name(n.hostname),
        {
            node: node.name,
            vmId: n.vmId,
            hostname: n.hostname,
            cores: n.cores,
            memoryMb: n.memoryMb,
            osDiskGb: n.osDiskGb,
            diskStorage: node.diskStorage,
            fileStorage: node.fileStorage,
            imageId: hypervisor.imageId(n.image, node.name),
            network: {
                bridge,
                vlan: net.vlan,
                address: n.address,
                prefixLength: prefix,
                gateway: net.gateway,
                dns: dnsServersOf(net),
                domain: cfg.domain,
                ipv6: n.ipv6 !== undefined && ipv6Prefix !== undefined ? { address: n.ipv6, prefixLength: ipv6Prefix, gateway: net.ipv6?.gateway } : undefined,
            },
            disks: n.disks,
            controllerMapping: n.controllerMapping,
            raid: { mount: n.mount, mailTo: n.mailTo, allowSizeMismatch: n.allowSizeMismatch },
            users: n.users.map((u) => ({ name: u.name, password: secret(u.password) })),
            shares: n.shares,
            ssh: { publicKeys: cfg.ssh.publicKeys, privateKey: secret(cfg.ssh.privateKey) },
            provision: n.provision,
            nodeConnection: { host: node.address, user: cfg.proxmox.sshUser, privateKey: secret(cfg.ssh.privateKey) },
        },
        // Passthrough disks and snippet uploads need the root@pam token.
        opts({ provider: hypervisor.provider, dependsOn: waitFor }),
    );
}

/** The Docker host of an app or proxy without `host`: validate.ts guarantees one (named, the proxy's, or the only one; never "the first"). */
const defaultHostOf = (cfg: LabConfig) => defaultDockerHost(cfg.dockerHosts.map((h) => h.hostname), cfg.proxy?.host);

/** The host an app runs on: its own `host`, else the default one. */
const hostOfApp = (cfg: LabConfig, a: { host?: string }) => (a.host ?? defaultHostOf(cfg))!;

/** The Docker host the proxy runs on. */
const proxyHostnameOf = (cfg: LabConfig) => (cfg.proxy ? defaultHostOf(cfg) : undefined);

/**
 * Every app with its catalog entry and defaults. The proxy reaches an app on its own host over
 * that host's app network, and any other app through its host's LAN address (masqueraded to the
 * proxy host's address).
 */
function resolvedApps(cfg: LabConfig): ResolvedApp[] {
    const proxyHost = cfg.dockerHosts.find((d) => d.hostname === proxyHostnameOf(cfg));
    const proxyOf = (a: { host?: string }) => proxyHost && { domain: cfg.domain, proxies: hostOfApp(cfg, a) === proxyHost.hostname ? proxyHost.appNetwork : proxyHost.address };
    return cfg.apps.map((a) => resolveApp(a, proxyOf(a)));
}

/**
 * What a guest with `exports` serves. A Docker host's set-up logs in to it as root once Docker is
 * installed; a container's runs inside it with `pct exec` on its node, once it is made and set up.
 */
function createShareServer({ cfg, name, opts }: Parts, g: { hostname: string; kind: "vm" | "lxc"; node?: string; address?: string; ipv6?: string; vmId: number; exports?: ExportsConfig }, hypervisor: ProxmoxHost, guest: DockerHost | LxcContainer): ShareServer {
    const e = g.exports!;
    const node = cfg.nodes.find((n) => n.name === (g.node ?? cfg.nodes[0].name))!;
    const privateKey = secret(cfg.ssh.privateKey);
    const onDockerHost = guest instanceof DockerHost;
    return new ShareServer(
        name(`${g.hostname}-shares`),
        {
            kind: g.kind,
            connection: onDockerHost ? { host: guest.address, privateKey } : { host: node.address, user: cfg.proxmox.sshUser, privateKey },
            inContainer: onDockerHost ? undefined : g.vmId,
            address: (g.address ?? g.ipv6)!,
            root: e.root,
            users: e.users.map((u) => ({ name: u.name, password: secret(u.password) })),
            shares: e.shares,
            nfs: e.nfs,
            after: onDockerHost ? [guest.install] : [(guest as LxcContainer).provisioned ?? (guest as LxcContainer).container],
        },
        opts(),
    );
}

/** The Docker hosts in an order where a host that serves shares comes before the hosts that mount them (validate.ts refuses a cycle). */
export function dockerHostOrder(cfg: Pick<LabConfig, "dockerHosts">): { order: string[]; cycle?: string[] } {
    const byName = new Map(cfg.dockerHosts.map((h) => [h.hostname, h]));
    const order: string[] = [];
    const state = new Map<string, "visiting" | "done">();
    let cycle: string[] | undefined;
    const visit = (n: string, trail: string[]) => {
        if (state.get(n) === "done" || cycle) {
            return;
        }
        if (state.get(n) === "visiting") {
            cycle = [...trail.slice(trail.indexOf(n)), n];
            return;
        }
        state.set(n, "visiting");
        for (const m of byName.get(n)!.mounts) {
            if (m.from !== undefined && byName.has(m.from) && m.from !== n) {
                visit(m.from, [...trail, n]);
            }
        }
        state.set(n, "done");
        order.push(n);
    };
    for (const h of cfg.dockerHosts) {
        visit(h.hostname, []);
    }
    return { order, cycle };
}

/** Docker hosts, keyed by hostname (never by position: reordering the config replaces nothing), with what those that have `exports` serve added to `shareServers`. */
function createDockerHosts(parts: Parts, hypervisor: ProxmoxHost, nas: NasVm | undefined, shareServers: Record<string, ShareServer>): Record<string, DockerHost> {
    const { cfg, adopted, name, opts } = parts;
    const dockerHosts: Record<string, DockerHost> = {};
    const apps = resolvedApps(cfg);
    for (const hostname of dockerHostOrder(cfg).order) {
        const h = cfg.dockerHosts.find((x) => x.hostname === hostname)!;
        const { node, net, bridge, prefix, ipv6Prefix, waitFor } = placementOf(cfg, hypervisor, h);
        // One CIFS mount has one owner: the user the apps on this host write the share as.
        const owners = shareOwners(apps.filter((a) => hostOfApp(cfg, a) === h.hostname));
        const after = new Set(nas ? [nas.samba] : []);
        const mounts = h.mounts.map((m) => {
            if (m.from === undefined) {
                // validate.ts guarantees the NAS and the share; the share's first user mounts it.
                const user = cfg.nas!.shares.find((s) => s.name === m.share)!.users[0];
                const password = cfg.nas!.users.find((u) => u.name === user)!.password;
                return { share: m.share, path: m.path, server: cfg.nas!.address, username: user, password: secret(password), uid: owners[m.share] };
            }
            // validate.ts guarantees the guest and its share; hosts that serve come first (dockerHostOrder).
            const src = [...cfg.dockerHosts, ...cfg.containers].find((g) => g.hostname === m.from)!;
            const server = shareServers[m.from];
            after.add(server.ready[m.share]);
            const address = (src.address ?? src.ipv6)!;
            if (src.exports!.nfs.some((s) => s.name === m.share)) {
                return { share: m.share, path: m.path, server: address, protocol: "nfs" as const, exportPath: server.exportPaths[m.share] };
            }
            // As on the NAS: the share's first user mounts it.
            const user = src.exports!.shares.find((s) => s.name === m.share)!.users[0];
            const password = src.exports!.users.find((u) => u.name === user)!.password;
            return { share: m.share, path: m.path, server: address, username: user, password: secret(password), uid: owners[m.share] };
        });
        dockerHosts[h.hostname] = new DockerHost(
            name(h.hostname),
            {
                kind: h.kind,
                hostname: h.hostname,
                nodeName: node.name,
                nodeAddress: node.address,
                nodeSshUser: cfg.proxmox.sshUser,
                vmId: h.vmId,
                imageId: hypervisor.imageId(h.image, node.name),
                osType: h.kind === "lxc" ? osOf(cfg, h.image) : undefined,
                bridge,
                vlanId: net.vlan,
                ipv4: `${h.address}/${prefix}`,
                gateway: net.gateway,
                ipv6: h.ipv6 !== undefined && ipv6Prefix !== undefined ? `${h.ipv6}/${ipv6Prefix}` : undefined,
                ipv6Gateway: net.ipv6?.gateway,
                dnsServers: dnsServersOf(net),
                cores: h.cores,
                memoryMb: h.memoryMb,
                diskStorage: node.diskStorage,
                rootDiskGb: h.rootDiskGb,
                dataDiskGb: h.dataDiskGb,
                provision: h.provision,
                sshPublicKeys: cfg.ssh.publicKeys,
                sshPrivateKey: secret(cfg.ssh.privateKey),
                appNetwork: h.appNetwork,
                // The name a running lab already has (the component's default derives from its name).
                ...(adopted ? { appNetworkName: "apps" } : {}),
                mounts,
                mountsAfter: [...after],
            },
            // Not on the NAS: only the share mounts (mountsAfter) and the apps using a share wait for it.
            // Bind mount points and the keyctl feature need the root@pam token.
            opts({ provider: hypervisor.provider, dependsOn: waitFor }),
        );
        if (h.exports) {
            shareServers[h.hostname] = createShareServer(parts, h, hypervisor, dockerHosts[h.hostname]);
        }
    }
    return dockerHosts;
}

/**
 * The apps, keyed by name, and their routes. Apps on another host than the proxy's are reached
 * through a port published on their host: `routePort` if set, else a port derived from the app's
 * name alone.
 */
function createApps({ cfg, name, opts }: Parts, dockerHosts: Record<string, DockerHost>): { apps: Record<string, App>; routes: AppRoute[] } {
    const apps = resolvedApps(cfg);
    const proxyHostname = proxyHostnameOf(cfg);
    const remote = apps.filter((a) => proxyHostname !== undefined && hostOfApp(cfg, a) !== proxyHostname && a.expose && a.port !== undefined);
    const remotePort = (a: ResolvedApp) => cfg.apps.find((x) => x.name === a.name)?.routePort ?? defaultRoutePort(a.name);
    // Each app after the apps it depends on (validation refused cycles and other hosts' apps).
    const created: Record<string, App> = {};
    for (const appName of appOrder(apps.map((a) => ({ ...a, host: hostOfApp(cfg, a) }))).order) {
        const a = apps.find((x) => x.name === appName)!;
        const host = cfg.dockerHosts.find((h) => h.hostname === hostOfApp(cfg, a))!;
        const remoteRoute = remote.includes(a) ? { hostAddress: host.address, hostPort: remotePort(a) } : undefined;
        const dependsOn = a.dependsOn.map((d) => created[d]);
        const dockerHost = dockerHosts[hostOfApp(cfg, a)];
        created[a.name] = new App(name(a.name), { ...appArgs(a), host: dockerHost, remoteRoute, dependsOn }, opts({ providers: [dockerHost.provider] }));
    }
    const routes: AppRoute[] = [];
    for (const a of apps) {
        if (created[a.name].route) {
            routes.push(created[a.name].route!);
        }
    }
    return { apps: created, routes };
}

/**
 * DNS records and the reverse proxy. The records use the addresses from config, so they wait for
 * nothing and are created while the guests are still being built; only the proxy container waits
 * for its token.
 */
function createProxyAndDns(
    parts: Parts,
    dockerHosts: Record<string, DockerHost>,
    routes: AppRoute[],
): { dns?: CloudflareDns; proxy?: ReverseProxy; routes: LabOutputs["routes"] } {
    const { cfg, name, opts } = parts;
    const proxyHost = cfg.proxy && cfg.dockerHosts.find((h) => h.hostname === proxyHostnameOf(cfg))!;
    const tlsRoute = routes.find((r) => r.tlsUpstream);
    if (proxyHost && tlsRoute) {
        // renderCaddyfile has no HTTPS upstreams yet; a plain-HTTP route to a TLS port would only ever answer 502.
        throw new Error(`app route '${tlsRoute.subdomain}': the reverse proxy cannot forward to a TLS upstream yet`);
    }
    // Each route's app config (by its subdomain, unique by validation) says how it is exposed.
    const configOf = (r: AppRoute) => cfg.apps.find((a) => (a.subdomain ?? a.name) === r.subdomain)!;
    const exposed = routes.map((r) => ({ route: r, exposure: exposureOf(configOf(r)), access: configOf(r).access }));
    const tunnelled = exposed.filter((e) => e.exposure === "tunnel");
    // validate.ts requires homelab:cloudflare for public apps and a proxy.
    let tunnel: CloudflareTunnel | undefined;
    if (cfg.cloudflare && cfg.proxy && proxyHost && tunnelled.length > 0) {
        const host = dockerHosts[proxyHost.hostname];
        tunnel = new CloudflareTunnel(
            name("tunnel"),
            {
                accountId: cfg.cloudflare.accountId,
                hostnames: tunnelled.map((e) => `${e.route.subdomain}.${cfg.domain}`),
                // The proxy container by name on its app network (the ReverseProxy below).
                service: `https://${name("proxy")}:443`,
                networks: [host.appNetwork.name],
            },
            opts({ providers: [host.provider, cloudflareProvider(parts, "tunnel", "homelab:index:CloudflareTunnel")] }),
        );
    }
    let dns: CloudflareDns | undefined;
    if (cfg.cloudflare) {
        const provider = cloudflareProvider(parts, "dns", "homelab:index:CloudflareDns");
        dns = new CloudflareDns(
            name("dns"),
            {
                domain: cfg.domain,
                zoneId: cfg.cloudflare.zoneId,
                ttl: cfg.cloudflare.ttl,
                proxy: proxyHost && { address: proxyHost.address, ipv6: proxyHost.ipv6, publicAddress: cfg.proxy?.publicAddress, tunnelTarget: tunnel?.target },
                apps: proxyHost ? exposed.map((e) => ({ subdomain: e.route.subdomain, exposure: e.exposure, records: appRecordsOf(configOf(e.route)) })) : [],
                hosts: dnsHosts(cfg),
                acmeToken: cfg.proxy !== undefined,
            },
            opts({ providers: [provider] }),
        );
        for (const e of exposed.filter((x) => x.exposure !== "private" && x.access)) {
            new CloudflareAccess(
                name(`access-${e.route.subdomain}`),
                { accountId: cfg.cloudflare.accountId, hostname: `${e.route.subdomain}.${cfg.domain}`, emails: e.access!.emails, emailDomains: e.access!.emailDomains },
                opts({ providers: [provider] }),
            );
        }
    }
    let proxy: ReverseProxy | undefined;
    if (cfg.proxy && proxyHost) {
        const host = dockerHosts[proxyHost.hostname];
        proxy = new ReverseProxy(
            name("proxy"),
            {
                domain: cfg.domain,
                email: cfg.proxy.email,
                routes: exposed.map((e) => ({ subdomain: e.route.subdomain, upstream: e.route.upstream, exposure: e.exposure })),
                address: host.address,
                ipv6Address: proxyHost.ipv6,
                networks: [host.appNetwork.name],
                connection: { privateKey: secret(cfg.ssh.privateKey) },
                // validate.ts requires homelab:cloudflare whenever there is a proxy.
                cloudflareApiToken: dns!.acmeToken!,
                staging: cfg.proxy.staging,
                labNetworks: labNetworks(cfg),
                // The tunnel's connector reaches the proxy over the proxy's app network.
                tunnelSources: tunnel ? [proxyHost.appNetwork] : undefined,
            },
            opts({ providers: [host.provider] }),
        );
    }
    return {
        dns,
        proxy,
        routes: proxy
            ? exposed.map((e) => ({
                  url: `https://${e.route.subdomain}.${cfg.domain}`,
                  upstream: e.route.upstream,
                  public: e.exposure !== "private",
                  ...(e.exposure !== "private" ? { tunnel: e.exposure === "tunnel", access: e.access !== undefined } : {}),
              }))
            : [],
    };
}

/**
 * The Cloudflare provider of the part `role` (a component of `type`), with the config's token,
 * passed to the part through opts. Each part built its own inside itself before (homelab 0.1, and
 * Lab until the providers came through opts): the aliases to those URNs keep a running lab's
 * provider, and the engine takes an aliased provider as the same one, so nothing using it is
 * replaced (pulumi/pulumi pkg/resource/deploy/step_generator.go, stepGenerator.providerChanged).
 * One provider per part, not one shared: the tunnel's resources stay with the provider they have.
 */
function cloudflareProvider({ cfg, adopted, name, opts }: Parts, role: "dns" | "tunnel", type: string): cloudflare.Provider {
    const lab = opts().parent!;
    const oldParents = [pulumi.createUrn(name(role), type, lab), ...(adopted ? [pulumi.createUrn(role, type)] : [])];
    return new cloudflare.Provider(name(role), { apiToken: secret(cfg.cloudflare!.apiToken) }, { parent: lab, aliases: oldParents.map((parent) => ({ parent })) });
}

/** Plain containers, keyed by hostname; templates made from an image first, so that clones can wait for them. */
function createContainers({ cfg, name, opts }: Parts, hypervisor: ProxmoxHost): Record<string, LxcContainer> {
    const containers: Record<string, LxcContainer> = {};
    // Validation allows clones of templates made from an image only, so those go first.
    const fromImage = (c: (typeof cfg.containers)[number]) => c.template && c.cloneOf === undefined;
    const ordered = [...cfg.containers.filter(fromImage), ...cfg.containers.filter((c) => !fromImage(c))];
    for (const c of ordered) {
        const { node, net, bridge, prefix, ipv6Prefix, waitFor } = placementOf(cfg, hypervisor, c);
        const source = c.cloneOf !== undefined ? cfg.containers.find((t) => t.hostname === c.cloneOf)! : undefined;
        containers[c.hostname] = new LxcContainer(
            name(c.hostname),
            {
                hostname: c.hostname,
                vmId: c.vmId,
                node: node.name,
                template: c.image !== undefined ? hypervisor.imageId(c.image, node.name) : undefined,
                // A clone's distribution is its template's.
                osType: osOf(cfg, c.image ?? source!.image!),
                cloneOf: source && { vmId: containers[source.hostname].vmId },
                isTemplate: c.template,
                cores: c.cores,
                memoryMb: c.memoryMb,
                rootDiskGb: c.rootDiskGb,
                diskStorage: node.diskStorage,
                diskStorageInfo: node.storages?.find((s) => s.id === node.diskStorage),
                unprivileged: c.unprivileged,
                network: {
                    bridge,
                    vlan: net.vlan,
                    address: c.address === undefined ? undefined : `${c.address}/${prefix}`,
                    gateway: net.gateway,
                    ipv6: c.ipv6 !== undefined && ipv6Prefix !== undefined ? `${c.ipv6}/${ipv6Prefix}` : undefined,
                    ipv6Gateway: net.ipv6?.gateway,
                    dns: dnsServersOf(net),
                },
                sshPublicKeys: cfg.ssh.publicKeys,
                provision: c.provision,
                nodeConnection: { host: node.address, user: cfg.proxmox.sshUser, privateKey: secret(cfg.ssh.privateKey) },
            },
            // Plain containers need no root-only feature: the least-privilege token creates them.
            opts({ provider: hypervisor.guestProvider, dependsOn: waitFor }),
        );
    }
    return containers;
}

/** HA of the guests that ask for it (validate.ts guarantees a cluster, the groups and storage that can follow each guest). */
function createHighAvailability(
    { cfg, name, opts }: Parts,
    hypervisor: ProxmoxHost,
    containers: Record<string, LxcContainer>,
    dockerHosts: Record<string, DockerHost>,
): HighAvailability | undefined {
    const guests = [
        ...cfg.containers.filter((c) => c.ha).map((c) => ({ g: c, kind: "lxc" as const, guest: containers[c.hostname].container as pulumi.Resource })),
        ...cfg.dockerHosts.filter((h) => h.ha).map((h) => ({ g: h, kind: h.kind, guest: dockerHosts[h.hostname].guest as pulumi.Resource })),
    ];
    if (guests.length === 0) {
        return undefined;
    }
    return new HighAvailability(
        name("ha"),
        {
            nodes: cfg.nodes.map((n) => n.name),
            groups: cfg.haGroups.filter((grp) => guests.some(({ g }) => g.ha!.group === grp.name)),
            rules: cfg.haRules,
            guests: guests.map(({ g, kind, guest }) => {
                const p = haPlacement(cfg, g.node, g.ha!);
                const r = haReplication(p.node, p.storage!, p.runsOn);
                return { name: g.hostname, kind, vmId: g.vmId, ...g.ha!, replicateTo: "replicateTo" in r ? r.replicateTo : [], guest };
            }),
        },
        // HA resources and replication jobs are datacenter-wide: the root token.
        opts({ provider: hypervisor.provider }),
    );
}

/** Who may talk to whom, on the guests' firewalls, when the config turns it on and has rules. */
function createFirewall({ cfg, name, opts }: Parts, hypervisor: ProxmoxHost): Firewall | undefined {
    if (!cfg.firewall?.enabled || cfg.firewall.rules.length === 0) {
        return undefined;
    }
    // The datacenter firewall needs Sys.Modify on /: the root provider.
    return new Firewall(name("firewall"), firewallArgs(cfg), opts({ provider: hypervisor.provider }));
}

/** The nightly backup job, and the NAS's own job (the NAS is never in the main job: its target may be a share the NAS serves). */
function createBackup({ cfg, name, opts }: Parts, hypervisor: ProxmoxHost, nas: NasVm | undefined): BackupJob | undefined {
    const b = cfg.backup;
    if (!b) {
        return undefined;
    }
    const byName = new Map([...(cfg.nas ? [cfg.nas] : []), ...cfg.dockerHosts, ...cfg.containers].map((g) => [g.hostname, g.vmId]));
    const exclude = (b.exclude ?? []).filter((h) => h !== cfg.nas?.hostname);
    const share = "share" in b.target ? b.target : undefined;
    const password = share && cfg.nas?.users.find((u) => u.name === share.user)?.password;
    return new BackupJob(
        name("backup"),
        {
            ...(share && cfg.nas && password
                ? { cifs: { storageId: `nas-${share.share}`, server: cfg.nas.address, share: share.share, username: share.user, password: secret(password) } }
                : { storage: "storage" in b.target ? b.target.storage : "local" }),
            nodes: cfg.nodes.map((n) => n.name),
            schedule: b.schedule,
            mode: b.mode,
            keepDaily: b.keepDaily,
            keepWeekly: b.keepWeekly,
            keepMonthly: b.keepMonthly,
            excludeIds: exclude.map((h) => byName.get(h)!),
            nas: cfg.nas ? { vmId: cfg.nas.vmId, storage: b.nasStorage, schedule: b.nasSchedule } : undefined,
        },
        // The CIFS storage needs the share served: wait for Samba on the NAS, nothing else.
        // Storage and jobs are datacenter-wide: the root provider.
        opts({ provider: hypervisor.provider, dependsOn: nas ? [nas.samba] : [] }),
    );
}
