import * as pulumi from "@pulumi/pulumi";
import * as cloudflare from "@pulumi/cloudflare";
import { providerIn } from "./inputs";

export interface CloudflareAccessArgs {
    /** The Cloudflare account (32 hex digits). */
    accountId: pulumi.Input<string>;
    /** The public name Access guards, e.g. `nextcloud.thehomelab.site`. */
    hostname: pulumi.Input<string>;
    /** E-mail addresses let in. Defaults to none. */
    emails?: pulumi.Input<string>[];
    /** E-mail domains whose every address is let in. Defaults to none. */
    emailDomains?: pulumi.Input<string>[];
    /** How long a login lasts. Defaults to 24h. */
    sessionDuration?: pulumi.Input<string>;
}

/** Who Access lets in, as the field and what is wrong; empty when the rule holds. Pure: CloudflareAccess and validate.ts call it. */
export function accessIssues(access: { emails?: unknown[]; emailDomains?: unknown[] }): { field: string; message: string }[] {
    if ((access.emails ?? []).length === 0 && (access.emailDomains ?? []).length === 0) {
        return [{ field: "access", message: "lets no one in: list emails or emailDomains" }];
    }
    return [];
}

/**
 * Cloudflare Access in front of one public name: a reusable policy that allows the listed e-mail
 * addresses and domains, and a self-hosted application on the name that uses it. Cloudflare asks
 * for a login (one-time code by e-mail) before a request reaches the lab at all.
 * The Cloudflare provider comes from `opts` (`opts.provider`, `opts.providers` or the parent's):
 * a token with Access: Apps and Policies edit on the account.
 */
export class CloudflareAccess extends pulumi.ComponentResource {
    readonly policy: cloudflare.ZeroTrustAccessPolicy;
    readonly application: cloudflare.ZeroTrustAccessApplication;

    constructor(name: string, args: CloudflareAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        const issue = accessIssues(args)[0];
        if (issue) {
            throw new Error(`CloudflareAccess ${name}: ${issue.field} ${issue.message}`);
        }
        const provider = providerIn(opts, "cloudflare", cloudflare.Provider.isInstance);
        if (!provider) {
            throw new Error(`CloudflareAccess ${name}: no Cloudflare provider: pass one in opts, e.g. { providers: [cloudflareProvider] }`);
        }
        super("homelab:index:CloudflareAccess", name, {}, opts);
        const own = { parent: this, provider };
        this.policy = new cloudflare.ZeroTrustAccessPolicy(
            name,
            {
                accountId: args.accountId,
                name: pulumi.interpolate`homelab ${args.hostname}`,
                decision: "allow",
                // Include rules are ORed: any listed address or domain gets in.
                includes: [
                    ...(args.emails ?? []).map((email) => ({ email: { email } })),
                    ...(args.emailDomains ?? []).map((domain) => ({ emailDomain: { domain } })),
                ],
            },
            own,
        );
        this.application = new cloudflare.ZeroTrustAccessApplication(
            name,
            {
                accountId: args.accountId,
                name: pulumi.interpolate`homelab ${args.hostname}`,
                type: "self_hosted",
                domain: args.hostname,
                sessionDuration: args.sessionDuration ?? "24h",
                policies: [{ id: this.policy.id, precedence: 1 }],
            },
            own,
        );
        this.registerOutputs({ application: this.application.id });
    }
}
