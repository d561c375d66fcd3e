// The whole lab from one validated config: hypervisor, NAS, Docker hosts, apps, proxy and DNS.
// Dependencies are only the real ones, so that independent parts provision in parallel.
import * as pulumi from "@pulumi/pulumi";
import { BackupJob } from "../components/backupJob";
import { CloudflareDns } from "../components/cloudflareDns";
import { App, appOrder, AppRoute, ResolvedApp, resolveApp, shareOwners } from "../components/app";
import { DockerHost } from "../components/dockerHost";
import { Firewall, FirewallArgs } from "../components/firewall";
import { LxcContainer } from "../components/lxcContainer";
import { NasVm } from "../components/nasVm";
import { ProxmoxHost } from "../components/proxmoxHost";
import { ReverseProxy } from "../components/reverseProxy";
import { imageOs, LabConfig, NetworkConfig, SecretValue } from "./config";
import { defaultDockerHost, defaultRoutePort } from "./routes";

/** A config secret as a Pulumi secret. */
export const secret = (s: SecretValue): pulumi.Output<string> => pulumi.secret(s.value);

/** Stack outputs of the lab. */
export interface LabOutputs {
    /** Every proxy route: `https://<app>.<domain>` and the container it reaches. */
    routes: { url: string; upstream: string }[];
    /** The least-privilege Proxmox API token, for tools that need no root. */
    guestApiToken?: pulumi.Output<string>;
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
export function firewallArgs(cfg: LabConfig): Omit<FirewallArgs, "provider"> {
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
        rules: fw.rules,
        inputPolicy: fw.inputPolicy,
        managementSources: cfg.networks.filter((n) => nodeNets.has(n.name)).map((n) => n.cidr),
    };
}

/** The lab's own networks (IPv4 and IPv6 CIDRs): `proxy.allowFrom`, or every network. */
function labNetworks(cfg: LabConfig): string[] {
    const names = cfg.proxy?.allowFrom ?? cfg.networks.map((n) => n.name);
    return cfg.networks.filter((n) => names.includes(n.name)).flatMap((n) => [n.cidr, ...(n.ipv6 ? [n.ipv6.cidr] : [])]);
}

export function buildLab(cfg: LabConfig): LabOutputs {
    /** The distribution of an lxc image (validate.ts guarantees one). */
    const osOf = (image: string) => imageOs(cfg.images.find((m) => m.name === image)!)!;
    const sshPrivateKey = secret(cfg.ssh.privateKey);
    const hypervisor = new ProxmoxHost("proxmox", {
        endpoint: cfg.proxmox.endpoint,
        apiToken: secret(cfg.proxmox.apiToken),
        insecure: cfg.proxmox.insecure,
        sshUser: cfg.proxmox.sshUser,
        sshPrivateKey,
        leastPrivilegeToken: cfg.proxmox.leastPrivilegeToken,
        // The names a running lab already has: the component's own defaults derive from its name.
        guestRoleId: "HomelabGuestAdmin",
        guestUserId: "homelab@pve",
        nodes: cfg.nodes.map((n) => ({
            name: n.name,
            address: n.address,
            fileStorage: n.fileStorage,
            bridges: n.bridges,
            ups: n.ups && { ...n.ups, password: secret(n.ups.password) },
        })),
        images: cfg.images,
    });

    // --- NAS ---
    // Docker hosts mount its shares and backups go to its `backups` share: wait for `nas.samba`.
    let nas: NasVm | undefined;
    if (cfg.nas) {
        const n = cfg.nas;
        // The image id already carries the dependency on its download.
        const { node, net, bridge, prefix, ipv6Prefix, waitFor } = placementOf(cfg, hypervisor, n);
        nas = new NasVm(
            n.hostname,
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
                raid: { mount: n.mount, mailTo: n.mailTo },
                users: n.users.map((u) => ({ name: u.name, password: secret(u.password) })),
                shares: n.shares,
                ssh: { publicKeys: cfg.ssh.publicKeys, privateKey: sshPrivateKey },
            },
            // Passthrough disks and snippet uploads need the root@pam token.
            { provider: hypervisor.provider, dependsOn: waitFor },
        );
    }

    // --- Docker hosts and apps ---
    // Keyed by hostname and app name, never by position: reordering the config replaces nothing.
    const dockerHosts: Record<string, DockerHost> = {};
    const routes: AppRoute[] = [];
    // validate.ts guarantees a host: named, the proxy's, or the only one (never "the first").
    const defaultHost = defaultDockerHost(cfg.dockerHosts.map((h) => h.hostname), cfg.proxy?.host);
    const hostOfApp = (a: { host?: string }) => (a.host ?? defaultHost)!;
    const proxyHostname = cfg.proxy ? defaultHost : undefined;
    // The proxy reaches an app on its own host over that host's app network, and any other app
    // through its host's LAN address (masqueraded to the proxy host's address).
    const proxyOf = (a: { host?: string }) => {
        const h = cfg.dockerHosts.find((d) => d.hostname === proxyHostname);
        return h && { domain: cfg.domain, proxies: hostOfApp(a) === h.hostname ? h.appNetwork : h.address };
    };
    const apps = cfg.apps.map((a) => resolveApp(a, proxyOf(a)));
    for (const h of cfg.dockerHosts) {
        const { node, net, bridge, prefix, ipv6Prefix, waitFor } = placementOf(cfg, hypervisor, h);
        // One CIFS mount has one owner: the user the apps on this host write the share as.
        const owners = shareOwners(apps.filter((a) => hostOfApp(a) === h.hostname));
        const mounts = h.mounts.map((m) => {
            // validate.ts guarantees the NAS and the share; the share's first user mounts it.
            const user = cfg.nas!.shares.find((s) => s.name === m.share)!.users[0];
            const password = cfg.nas!.users.find((u) => u.name === user)!.password;
            return { share: m.share, path: m.path, server: cfg.nas!.address, username: user, password: secret(password), uid: owners[m.share] };
        });
        dockerHosts[h.hostname] = new DockerHost(
            h.hostname,
            {
                kind: h.kind,
                nodeName: node.name,
                nodeAddress: node.address,
                nodeSshUser: cfg.proxmox.sshUser,
                vmId: h.vmId,
                imageId: hypervisor.imageId(h.image, node.name),
                osType: h.kind === "lxc" ? osOf(h.image) : undefined,
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
                sshPublicKeys: cfg.ssh.publicKeys,
                sshPrivateKey,
                appNetwork: h.appNetwork,
                // The name a running lab already has (the component's default derives from its name).
                appNetworkName: "apps",
                mounts,
                mountsAfter: nas ? [nas.samba] : [],
            },
            // Not on the NAS: only the share mounts (mountsAfter) and the apps using a share wait for it.
            // Bind mount points and the keyctl feature need the root@pam token.
            { provider: hypervisor.provider, dependsOn: waitFor },
        );
    }
    // Apps on another host than the proxy's are reached through a port published on their host:
    // `routePort` if set, else a port derived from the app's name alone.
    const remote = apps.filter((a) => proxyHostname !== undefined && hostOfApp(a) !== proxyHostname && a.expose && a.port !== undefined);
    const remotePort = (a: ResolvedApp) => cfg.apps.find((x) => x.name === a.name)?.routePort ?? defaultRoutePort(a.name);
    // Each app after the apps it depends on (validation refused cycles and other hosts' apps).
    const created: Record<string, App> = {};
    for (const appName of appOrder(apps.map((a) => ({ ...a, host: hostOfApp(a) }))).order) {
        const a = apps.find((x) => x.name === appName)!;
        const host = cfg.dockerHosts.find((h) => h.hostname === hostOfApp(a))!;
        const remoteRoute = remote.includes(a) ? { hostAddress: host.address, hostPort: remotePort(a) } : undefined;
        const dependsOn = a.dependsOn.map((d) => created[d]);
        created[a.name] = new App(a.name, { app: a, host: dockerHosts[hostOfApp(a)], remoteRoute, dependsOn });
    }
    for (const a of apps) {
        if (created[a.name].route) {
            routes.push(created[a.name].route!);
        }
    }

    // --- Reverse proxy and DNS ---
    // The records use the addresses from config, so they wait for nothing and are created while the
    // guests are still being built; only the proxy container waits for its token.
    const proxyHost = cfg.proxy && cfg.dockerHosts.find((h) => h.hostname === proxyHostname)!;
    const tlsRoute = routes.find((r) => r.tlsUpstream);
    if (proxyHost && tlsRoute) {
        // renderCaddyfile has no HTTPS upstreams yet; a plain-HTTP route to a TLS port would only ever answer 502.
        throw new Error(`app route '${tlsRoute.subdomain}': the reverse proxy cannot forward to a TLS upstream yet`);
    }
    let dns: CloudflareDns | undefined;
    if (cfg.cloudflare) {
        dns = new CloudflareDns("dns", {
            domain: cfg.domain,
            zoneId: cfg.cloudflare.zoneId,
            apiToken: secret(cfg.cloudflare.apiToken),
            ttl: cfg.cloudflare.ttl,
            proxy: proxyHost && { address: proxyHost.address, ipv6: proxyHost.ipv6, publicAddress: cfg.proxy?.publicAddress },
            apps: proxyHost ? routes.map((r) => ({ subdomain: r.subdomain, public: r.public })) : [],
            hosts: [...(cfg.nas ? [cfg.nas] : []), ...cfg.dockerHosts, ...cfg.containers]
                .filter((g) => g.dns)
                .map((g) => ({ hostname: g.hostname, address: g.address, ipv6: g.ipv6 })),
            acmeToken: cfg.proxy !== undefined,
        });
    }
    if (cfg.proxy && proxyHost) {
        const host = dockerHosts[proxyHost.hostname];
        new ReverseProxy("proxy", {
            domain: cfg.domain,
            email: cfg.proxy.email,
            routes: routes.map((r) => ({ subdomain: r.subdomain, upstream: r.upstream, exposure: r.public ? ("port-forward" as const) : ("private" as const) })),
            address: host.address,
            ipv6Address: proxyHost.ipv6,
            provider: host.provider,
            networks: [host.appNetwork.name],
            connection: { privateKey: sshPrivateKey },
            // validate.ts requires homelab:cloudflare whenever there is a proxy.
            cloudflareApiToken: dns!.acmeToken!,
            staging: cfg.proxy.staging,
            labNetworks: labNetworks(cfg),
        });
    }

    // --- Plain containers (templates first, so that clones can wait for them) ---
    const containers: Record<string, LxcContainer> = {};
    // Validation allows clones of templates made from an image only, so those go first.
    const fromImage = (c: (typeof cfg.containers)[number]) => c.template && c.cloneOf === undefined;
    const ordered = [...cfg.containers.filter(fromImage), ...cfg.containers.filter((c) => !fromImage(c))];
    for (const c of ordered) {
        const { node, net, bridge, prefix, ipv6Prefix, waitFor } = placementOf(cfg, hypervisor, c);
        const source = c.cloneOf !== undefined ? cfg.containers.find((t) => t.hostname === c.cloneOf)! : undefined;
        containers[c.hostname] = new LxcContainer(
            c.hostname,
            {
                hostname: c.hostname,
                vmId: c.vmId,
                node: node.name,
                template: c.image !== undefined ? hypervisor.imageId(c.image, node.name) : undefined,
                // A clone's distribution is its template's.
                osType: osOf(c.image ?? source!.image!),
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
                    address: `${c.address}/${prefix}`,
                    gateway: net.gateway,
                    ipv6: c.ipv6 !== undefined && ipv6Prefix !== undefined ? `${c.ipv6}/${ipv6Prefix}` : undefined,
                    ipv6Gateway: net.ipv6?.gateway,
                    dns: dnsServersOf(net),
                },
                sshPublicKeys: cfg.ssh.publicKeys,
                provision: c.provision,
                nodeConnection: { host: node.address, user: cfg.proxmox.sshUser, privateKey: sshPrivateKey },
            },
            // Plain containers need no root-only feature: the least-privilege token creates them.
            { provider: hypervisor.guestProvider, dependsOn: waitFor },
        );
    }

    // --- Firewall ---
    if (cfg.firewall?.enabled && cfg.firewall.rules.length > 0) {
        new Firewall("firewall", { ...firewallArgs(cfg), provider: hypervisor.provider });
    }

    // --- Backups ---
    if (cfg.backup) {
        const b = cfg.backup;
        const byName = new Map([...(cfg.nas ? [cfg.nas] : []), ...cfg.dockerHosts, ...cfg.containers].map((g) => [g.hostname, g.vmId]));
        // The NAS is never in the main job (its target may be a share the NAS serves): BackupJob
        // gives it a job of its own.
        const exclude = (b.exclude ?? []).filter((h) => h !== cfg.nas?.hostname);
        const share = "share" in b.target ? b.target : undefined;
        const password = share && cfg.nas?.users.find((u) => u.name === share.user)?.password;
        new BackupJob(
            "backup",
            {
                target:
                    share && cfg.nas && password
                        ? { cifs: { storageId: `nas-${share.share}`, server: cfg.nas.address, share: share.share, username: share.user, password: secret(password) } }
                        : { storage: "storage" in b.target ? b.target.storage : "local" },
                nodes: cfg.nodes.map((n) => n.name),
                schedule: b.schedule,
                mode: b.mode,
                keepDaily: b.keepDaily,
                keepWeekly: b.keepWeekly,
                keepMonthly: b.keepMonthly,
                excludeIds: exclude.map((h) => byName.get(h)!),
                nas: cfg.nas ? { vmId: cfg.nas.vmId, storage: b.nasStorage, schedule: b.nasSchedule } : undefined,
                provider: hypervisor.provider,
            },
            // The CIFS storage needs the share served: wait for Samba on the NAS, nothing else.
            { dependsOn: nas ? [nas.samba] : [] },
        );
    }

    return {
        routes: proxyHost ? routes.map((r) => ({ url: `https://${r.subdomain}.${cfg.domain}`, upstream: r.upstream })) : [],
        guestApiToken: hypervisor.guestApiToken,
    };
}
