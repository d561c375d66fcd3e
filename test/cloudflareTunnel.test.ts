// CloudflareTunnel's args from other resources under the mocks: the public names and the
// container's name may be Outputs; a bad list is refused with one message, at construction when
// plain, inside apply when an Output. (Its providers: providers.test.ts; in a lab: labs.test.ts.)
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as cloudflare from "@pulumi/cloudflare";
import * as docker from "@pulumi/docker";
import { CloudflareTunnel, CloudflareTunnelArgs } from "../components/cloudflareTunnel";
import { CapturedResource, captureApplyError, captureProgram, captureRefusal, one, outputOf } from "./helpers/mocks";

const T = {
    config: "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig",
    container: "docker:index/container:Container",
};

function tunnel(over: Partial<CloudflareTunnelArgs>): CloudflareTunnel {
    const providers = [new docker.Provider("host", { host: "ssh://root@192.168.1.4" }), new cloudflare.Provider("cloudflare", { apiToken: pulumi.secret("cf-token") })];
    return new CloudflareTunnel(
        "tunnel",
        { accountId: "0123456789abcdef0123456789abcdef", hostnames: ["b.thehomelab.site", "a.thehomelab.site"], service: "https://proxy:443", networks: ["apps"], ...over },
        { providers },
    );
}

const withoutPrefixes = (m: string | undefined) => m?.replace(/^(error serializing property "[^"]*": )+/, "");

describe("CloudflareTunnel args from other resources", () => {
    it("takes Outputs for the public names and the container's name: the same ingress rules and container", async () => {
        const made = async (over: () => Partial<CloudflareTunnelArgs>): Promise<CapturedResource[]> => (await captureProgram(() => tunnel(over()))).resources;
        const plain = await made(() => ({ containerName: "connector" }));
        const fromOutputs = await made(() => ({
            hostnames: [outputOf("b", "b.thehomelab.site"), "a.thehomelab.site"],
            containerName: outputOf("name", "connector"),
        }));
        const ingresses = (rs: CapturedResource[]) => (one(rs, T.config, "tunnel").inputs.config as { ingresses: unknown }).ingresses;
        assert.deepEqual(ingresses(fromOutputs), ingresses(plain));
        assert.deepEqual(ingresses(plain), [
            { hostname: "a.thehomelab.site", service: "https://proxy:443", originRequest: { originServerName: "a.thehomelab.site" } },
            { hostname: "b.thehomelab.site", service: "https://proxy:443", originRequest: { originServerName: "b.thehomelab.site" } },
            { service: "http_status:404" },
        ]);
        assert.equal(one(fromOutputs, T.container, "tunnel").inputs.name, "connector");
    });

    for (const [what, hostnames, message] of [
        ["no public name", [], "CloudflareTunnel tunnel: hostnames is empty: a tunnel serves at least one public name"],
        ["a name twice", ["a.thehomelab.site", "a.thehomelab.site"], "CloudflareTunnel tunnel: hostnames lists a name twice: a.thehomelab.site, a.thehomelab.site"],
    ] as [string, string[], string][]) {
        it(`refuses ${what}: plain at construction, before registering the component; as an Output inside apply; one message`, async () => {
            const { error, registered } = await captureRefusal(() => tunnel({ hostnames }));
            assert.equal(error?.message, message);
            assert.ok(!registered.some((r) => r.startsWith("homelab:index:CloudflareTunnel")), registered.join(", "));
            assert.equal(withoutPrefixes(await captureApplyError(() => tunnel({ hostnames: outputOf("hostnames", hostnames) }))), message);
        });
    }
});
