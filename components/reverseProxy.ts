import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as command from "@pulumi/command";
import { providerIn, whenKnown } from "./inputs";
import { remoteScript, SshLogin } from "./remoteScript";
import { caddyfilePath, defaultTokenEnv, ProxyRoute, proxyImage, renderCaddyfile } from "./reverseProxy/caddyfile";

/** The script that installs the rendered Caddyfile on the Docker host and reloads Caddy (see its header). */
export const installCaddyfileScriptPath = path.join(__dirname, "reverseProxy", "install-caddyfile.sh");

/** Let's Encrypt's staging CA: untrusted certificates, but rate limits that allow trying things out. */
export const letsEncryptStagingCa = "https://acme-staging-v02.api.letsencrypt.org/directory";

export interface ReverseProxyArgs {
    /** The lab's domain (a Cloudflare zone): every route is served as `https://<subdomain>.<domain>`. Checked when known. */
    domain: pulumi.Input<string>;
    /** ACME account e-mail: Let's Encrypt sends certificate expiry warnings there. Checked when known. */
    email: pulumi.Input<string>;
    /** The apps behind the proxy, each with its exposure (defaults to private). Their order does not matter (the Caddyfile is sorted). */
    routes: pulumi.Input<pulumi.Input<ProxyRoute>[]>;
    /** The lab's own networks (LAN, VPN, VLANs; CIDRs): the only sources a private route answers. At least one. */
    labNetworks: pulumi.Input<string>[];
    /** Where the Cloudflare Tunnel connector's requests come from (the proxy's app network). Needed by tunnelled routes. Defaults to none. */
    tunnelSources?: pulumi.Input<string>[];
    /** The Docker host's LAN address: ports 80 and 443 are published on it only, and the Caddyfile is uploaded to it over SSH. */
    address: pulumi.Input<string>;
    /** The Docker host's global IPv6 address, when it has one: 80 and 443 are published on it too (the AAAA records point there). */
    ipv6Address?: pulumi.Input<string>;
    /** Docker networks the proxy joins: the app network of its host, where every upstream container is reachable by name. */
    networks: pulumi.Input<string>[];
    /** SSH login on the Docker host (at `address`), for uploading the Caddyfile. */
    connection: SshLogin;
    /** Cloudflare API token with DNS edit on the zone, for the DNS-01 challenge. Always stored as a secret. */
    cloudflareApiToken: pulumi.Input<string>;
    /** Get certificates from Let's Encrypt's staging CA (untrusted, for trying things out). Defaults to false. */
    staging?: pulumi.Input<boolean>;
    /** Also publish 443/udp, for HTTP/3. Defaults to false: browsers fall back to HTTP/2 over TCP, and a LAN firewall rule for 443/tcp is then all the proxy needs. */
    http3?: pulumi.Input<boolean>;
    /** Name of the container (and the prefix of its volumes) on the Docker host; checked when known. Defaults to `name`. */
    containerName?: pulumi.Input<string>;
    /** Where the Caddyfile lives on the Docker host (its directory is mounted into the container); checked when known. Defaults to /etc/homelab/proxy/Caddyfile. */
    configPath?: pulumi.Input<string>;
}

const containerNamePattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * The lab's one reverse proxy: a Caddy container (with the Cloudflare DNS module) that is the only
 * container publishing 80 and 443 on the Docker host's LAN address, with Let's Encrypt
 * certificates by DNS-01 through Cloudflare. Routes live in a Caddyfile on the host: changing
 * them rewrites the file and reloads Caddy in place, without restarting any container.
 * The Docker provider of the host comes through `opts` (`{ providers: [dockerHost.provider] }`).
 */
export class ReverseProxy extends pulumi.ComponentResource {
    /** The proxy container. */
    readonly container: docker.Container;
    /** The command that installs the Caddyfile and reloads Caddy. */
    readonly config: command.remote.Command;
    /** The Caddyfile as uploaded. */
    readonly caddyfile: pulumi.Output<string>;
    /** Where the Caddyfile lives on the Docker host. */
    readonly configPath: pulumi.Output<string>;
    /** Name of the proxy container on the Docker host. */
    readonly containerName: pulumi.Output<string>;

    constructor(name: string, args: ReverseProxyArgs, opts?: pulumi.ComponentResourceOptions) {
        // The container's name and the Caddyfile's path: checked now when plain, else once known.
        const place = whenKnown({ containerName: args.containerName ?? name, configPath: args.configPath ?? "/etc/homelab/proxy/Caddyfile" }, (p) => {
            if (!containerNamePattern.test(p.containerName)) {
                throw new Error(
                    `ReverseProxy ${name}: containerName must start with a letter or digit and hold only letters, digits, "_", "." and "-", got "${p.containerName}"`,
                );
            }
            if (!/^\/[A-Za-z0-9_./-]+\/[A-Za-z0-9_.-]+$/.test(p.configPath) || p.configPath.split("/").includes("..")) {
                throw new Error(`ReverseProxy ${name}: configPath '${p.configPath}' must be an absolute file path of [A-Za-z0-9_./-], not directly under /`);
            }
            return p;
        });
        /** `f` of the checked name and path: plain when they are. */
        const fromPlace = <R>(f: (p: { containerName: string; configPath: string }) => R) => whenKnown({ place }, (v) => f(v.place));
        if (args.networks.length === 0) {
            throw new Error(`ReverseProxy ${name}: networks must list the app network the upstream containers are on`);
        }
        const settings = {
            domain: args.domain,
            email: args.email,
            labNetworks: args.labNetworks,
            tunnelSources: args.tunnelSources ?? [],
            staging: args.staging ?? false,
            http3: args.http3 ?? false,
        };
        const render = (s: pulumi.Unwrap<typeof settings>, routes: ProxyRoute[]) =>
            renderCaddyfile({
                domain: s.domain,
                routes,
                tls: { mode: "acme-cloudflare", email: s.email, ca: s.staging ? letsEncryptStagingCa : undefined },
                labNetworks: s.labNetworks,
                tunnelSources: s.tunnelSources,
                http3: s.http3,
            });
        // Renders once with no routes so that a bad domain, e-mail or network fails here (when
        // they are plain), with the renderer's own message, instead of later inside an apply.
        whenKnown(settings, (s) => render(s, []));
        const provider = providerIn(opts, "docker", docker.Provider.isInstance);
        if (!provider) {
            throw new Error(`ReverseProxy ${name}: no Docker provider: pass the proxy host's in opts, e.g. { providers: [dockerHost.provider] }`);
        }

        // Registered only now: bad args above leave nothing in the stack.
        super("homelab:index:ReverseProxy", name, {}, opts);
        const own = { parent: this, provider };
        const image = new docker.RemoteImage(name, { name: proxyImage, keepLocally: true }, own);
        // Certificates, ACME account and OCSP staples: on volumes, so a re-created container does
        // not order new certificates (Let's Encrypt allows 5 duplicate certificates a week).
        const data = new docker.Volume(`${name}-data`, { name: fromPlace((p) => `${p.containerName}-data`) }, own);
        // Caddy's /config (its autosaved JSON config); named apart from the `-config` command.
        const caddyConfig = new docker.Volume(`${name}-caddyconfig`, { name: fromPlace((p) => `${p.containerName}-config`) }, own);

        this.caddyfile = pulumi
            .all([pulumi.output(args.routes), pulumi.output(settings)])
            .apply(([routes, s]) => render(s, routes.map((r) => ({ subdomain: r.subdomain, upstream: r.upstream, exposure: r.exposure }))));
        this.config = remoteScript(
            `${name}-config`,
            {
                connection: { ...args.connection, host: args.address },
                scriptPath: installCaddyfileScriptPath,
                args: fromPlace((p) => installCaddyfileArgs(p.configPath, p.containerName)),
                // The Caddyfile holds no secret (the token is an environment variable), but as it
                // goes on stdin remoteScript logs only the script's stderr.
                stdin: this.caddyfile,
            },
            // The host's address is plain config, so nothing else orders this after the host: the
            // Docker provider stands for "the host is up and Docker is installed" (it waits for
            // the host's set-up), and the script needs both. The image's own caddy checks the
            // file before it is put in place, so the image must be pulled first.
            { parent: this, dependsOn: [provider, image] },
        );

        const binds = [args.address, ...(args.ipv6Address !== undefined ? [args.ipv6Address] : [])];
        const ports = whenKnown({ binds, http3: settings.http3 }, (v) =>
            v.binds.flatMap((ip) => [
                { internal: 80, external: 80, ip, protocol: "tcp" },
                { internal: 443, external: 443, ip, protocol: "tcp" },
                ...(v.http3 ? [{ internal: 443, external: 443, ip, protocol: "udp" }] : []),
            ]),
        );
        this.container = new docker.Container(
            name,
            {
                name: fromPlace((p) => p.containerName),
                image: image.imageId,
                restart: "unless-stopped",
                ports,
                networksAdvanced: args.networks.map((n) => ({ name: n })),
                envs: [pulumi.secret(pulumi.interpolate`${defaultTokenEnv}=${args.cloudflareApiToken}`)],
                volumes: [
                    { volumeName: data.name, containerPath: "/data" },
                    { volumeName: caddyConfig.name, containerPath: "/config" },
                    // The directory, not the file: the script replaces the file by rename, and a
                    // single-file bind keeps showing the old inode.
                    { hostPath: fromPlace((p) => path.posix.dirname(p.configPath)), containerPath: path.posix.dirname(caddyfilePath), readOnly: true },
                ],
            },
            {
                ...own,
                // No input of the container comes from the routes: a route change updates only the
                // config command, which rewrites the file and reloads Caddy in place. Were the
                // Caddyfile (or a hash of it) an input, Docker could only apply it by replacing the
                // container, dropping every open connection. The dependency only orders the first
                // start after the file exists, so Caddy never starts without its config.
                dependsOn: [this.config],
            },
        );

        this.configPath = pulumi.output(fromPlace((p) => p.configPath));
        this.containerName = pulumi.output(fromPlace((p) => p.containerName));
        this.registerOutputs({ caddyfile: this.caddyfile, configPath: this.configPath, containerName: this.containerName });
    }
}

/**
 * The arguments of install-caddyfile.sh: the file on the host, the container, the image whose caddy
 * checks a new file, where the container sees the file's directory, and the token's variable.
 */
export function installCaddyfileArgs(configPath: string, containerName: string): string[] {
    return [
        "--path", configPath,
        "--container", containerName,
        "--image", proxyImage,
        "--mount", path.posix.dirname(caddyfilePath),
        "--token-env", defaultTokenEnv,
    ];
}
