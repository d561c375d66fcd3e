import * as pulumi from "@pulumi/pulumi";
import * as cloudflare from "@pulumi/cloudflare";
import * as docker from "@pulumi/docker";
import * as random from "@pulumi/random";
import { cloudflareProviderIn, cloudflareProviderOf } from "./cloudflareProvider";
import { providerIn, whenKnown } from "./inputs";

/** The connector image, pinned. */
export const cloudflaredImage = "cloudflare/cloudflared:2024.12.2";

export interface CloudflareTunnelArgs {
    /** The Cloudflare account (32 hex digits) that owns the tunnel. */
    accountId: pulumi.Input<string>;
    /**
     * For a Cloudflare provider of the component's own, when `opts` gives none: a token with
     * Cloudflare Tunnel edit on the account. Always stored as a secret. Defaults to none: the
     * provider comes from `opts` (giving both is refused).
     */
    apiToken?: pulumi.Input<string>;
    /** The public names served through the tunnel, e.g. `nextcloud.thehomelab.site`. At least one, each once; checked when known. */
    hostnames: pulumi.Input<pulumi.Input<string>[]>;
    /** Where the connector sends every name: the reverse proxy on the Docker network, e.g. `https://proxy:443`. Checked when known. */
    service: pulumi.Input<string>;
    /** Docker networks the connector joins: the proxy's app network. */
    networks: pulumi.Input<string>[];
    /** Name of the connector container. Defaults to `name`. */
    containerName?: pulumi.Input<string>;
}

/**
 * A Cloudflare Tunnel to the lab's reverse proxy: the tunnel (its secret made here), its remotely
 * managed configuration (one ingress rule per public name, all to the proxy, then 404), and the
 * `cloudflared` connector container on the proxy's Docker host, which dials out to Cloudflare: no
 * port is forwarded and the lab needs no public address. Each public name is a proxied CNAME to
 * `target` (CloudflareDns makes it). The providers come from `opts`: the Docker host's (required)
 * and a Cloudflare one (else built from `apiToken`), e.g. `{ providers: [dockerHost.provider, cloudflareProvider] }`.
 */
export class CloudflareTunnel extends pulumi.ComponentResource {
    readonly tunnel: cloudflare.ZeroTrustTunnelCloudflared;
    readonly config: cloudflare.ZeroTrustTunnelCloudflaredConfig;
    readonly container: docker.Container;
    /** What the public names point at: `<tunnel id>.cfargotunnel.com`. */
    readonly target: pulumi.Output<string>;

    constructor(name: string, args: CloudflareTunnelArgs, opts?: pulumi.ComponentResourceOptions) {
        // One ingress rule per name, sorted (the order of the apps in config changes nothing). The
        // proxy's certificate is for *.<domain>: the connector checks it against the name.
        const ingresses = whenKnown({ hostnames: args.hostnames, service: args.service }, ({ hostnames, service }) => {
            if (hostnames.length === 0) {
                throw new Error(`CloudflareTunnel ${name}: hostnames is empty: a tunnel serves at least one public name`);
            }
            if (new Set(hostnames).size !== hostnames.length) {
                throw new Error(`CloudflareTunnel ${name}: hostnames lists a name twice: ${hostnames.join(", ")}`);
            }
            if (!/^https?:\/\/[A-Za-z0-9_.-]+:\d+$/.test(service)) {
                throw new Error(`CloudflareTunnel ${name}: service '${service}' must be http(s)://<container>:<port>, such as https://proxy:443`);
            }
            return [
                ...[...hostnames].sort().map((hostname) => ({ hostname, service, originRequest: { originServerName: hostname } })),
                // Cloudflare requires a last rule without a hostname: anything else is 404.
                { service: "http_status:404" },
            ];
        });
        const dockerProvider = providerIn(opts, "docker", docker.Provider.isInstance);
        if (!dockerProvider) {
            throw new Error(`CloudflareTunnel ${name}: no Docker provider: pass the proxy host's in opts, e.g. { providers: [dockerHost.provider] }`);
        }
        const given = cloudflareProviderIn(`CloudflareTunnel ${name}`, opts, args.apiToken);
        super("homelab:index:CloudflareTunnel", name, {}, opts);
        const cf = { parent: this, provider: cloudflareProviderOf(given, name, args.apiToken, this) };

        // 32 random bytes, base64: the form the provider's tunnel_secret takes
        // (terraform-provider-cloudflare, internal/services/zero_trust_tunnel_cloudflared/testdata/tunnelmanaged.tf).
        const secret = new random.RandomBytes(`${name}-secret`, { length: 32 }, { parent: this });
        this.tunnel = new cloudflare.ZeroTrustTunnelCloudflared(
            name,
            {
                accountId: args.accountId,
                name,
                // "cloudflare": the ingress rules live in Cloudflare (the config below), so the
                // connector needs only its token (schema.go of the same service).
                configSrc: "cloudflare",
                tunnelSecret: secret.base64,
            },
            cf,
        );
        this.config = new cloudflare.ZeroTrustTunnelCloudflaredConfig(
            name,
            {
                accountId: args.accountId,
                tunnelId: this.tunnel.id,
                source: "cloudflare",
                config: { ingresses },
            },
            cf,
        );
        const token = cloudflare.getZeroTrustTunnelCloudflaredTokenOutput({ accountId: args.accountId, tunnelId: this.tunnel.id }, cf).token;

        const own = { parent: this, provider: dockerProvider };
        const image = new docker.RemoteImage(name, { name: cloudflaredImage, keepLocally: true }, own);
        this.container = new docker.Container(
            name,
            {
                name: args.containerName ?? name,
                image: image.imageId,
                restart: "unless-stopped",
                // `tunnel run` reads the token from TUNNEL_TOKEN; with it the connector fetches its
                // ingress rules from Cloudflare. --no-autoupdate: the image is pinned.
                command: ["tunnel", "--no-autoupdate", "run"],
                envs: [pulumi.secret(pulumi.interpolate`TUNNEL_TOKEN=${token}`)],
                networksAdvanced: args.networks.map((n) => ({ name: n })),
                // Outbound only: nothing is published.
                ports: [],
                logDriver: "json-file",
            },
            // The proxy must know the hostnames before Cloudflare sends them.
            { ...own, dependsOn: [this.config] },
        );
        this.target = pulumi.interpolate`${this.tunnel.id}.cfargotunnel.com`;
        this.registerOutputs({ target: this.target });
    }
}
