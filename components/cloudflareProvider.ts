// Where a Cloudflare component gets its provider: from opts (opts.provider, opts.providers or the
// parent's, as pulumi-eks and awsx take theirs), or built from an API token only when opts gives
// none. One rule for CloudflareDns and CloudflareTunnel.
import * as pulumi from "@pulumi/pulumi";
import * as cloudflare from "@pulumi/cloudflare";
import { providerIn } from "./inputs";

/**
 * The Cloudflare provider that `opts` gives `component` (e.g. `CloudflareDns dns`), or undefined
 * when it must build its own from `apiToken`. Throws when both or neither are given: with both,
 * one token would silently go unused. Call it before `super()`, so that a refusal registers nothing.
 */
export function cloudflareProviderIn(
    component: string,
    opts: pulumi.ComponentResourceOptions | undefined,
    apiToken: pulumi.Input<string> | undefined,
): cloudflare.Provider | undefined {
    const given = providerIn(opts, "cloudflare", cloudflare.Provider.isInstance);
    if (given && apiToken !== undefined) {
        throw new Error(`${component}: apiToken and a Cloudflare provider from opts are both given: drop apiToken (the provider's token is used)`);
    }
    if (!given && apiToken === undefined) {
        throw new Error(`${component}: no Cloudflare provider: pass one in opts, e.g. { providers: [cloudflareProvider] }, or set apiToken`);
    }
    return given;
}

/**
 * The provider `cloudflareProviderIn` found, else one of `parent`'s own named `name` with `apiToken`.
 * An explicit provider keeps the token from mixing with any ambient CLOUDFLARE_API_TOKEN; the
 * provider marks the token secret itself, and it is wrapped here as well.
 */
export function cloudflareProviderOf(given: cloudflare.Provider | undefined, name: string, apiToken: pulumi.Input<string> | undefined, parent: pulumi.Resource): cloudflare.Provider {
    return given ?? new cloudflare.Provider(name, { apiToken: pulumi.secret(apiToken!) }, { parent });
}
