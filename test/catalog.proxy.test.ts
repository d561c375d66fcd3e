// Each catalog web app is set up for the lab's HTTPS reverse proxy (catalog `proxyEnv`), as the
// image's documentation says (cited beside each entry in components/catalog.ts).
import * as assert from "assert";
import { resolveApp } from "../stacks/apps";
import { catalog, proxyEnvFor } from "../components/catalog";
import { appSchema, SecretValue } from "../stacks/config";
import { homeConfig } from "./helpers/mocks";

const s = (v: string) => new SecretValue(v);
const proxy = { domain: "thehomelab.site", proxies: "10.10.10.0/24" };
/** The settings each app of the reference lab gets behind the proxy, beyond its catalog env. */
const expected: Record<string, Record<string, string>> = {
    pihole: { VIRTUAL_HOST: "pihole.thehomelab.site" },
    portainer: {},
    heimdall: {},
    checkmk: {},
    nextcloud: {
        NEXTCLOUD_TRUSTED_DOMAINS: "nextcloud.thehomelab.site",
        OVERWRITEHOST: "nextcloud.thehomelab.site",
        OVERWRITEPROTOCOL: "https",
        OVERWRITECLIURL: "https://nextcloud.thehomelab.site",
        TRUSTED_PROXIES: "10.10.10.0/24",
        APACHE_DISABLE_REWRITE_IP: "1",
    },
    photoprism: { PHOTOPRISM_SITE_URL: "https://photoprism.thehomelab.site/", PHOTOPRISM_TRUSTED_PROXY: "10.10.10.0/24", PHOTOPRISM_DISABLE_TLS: "true" },
    transmission: { HOST_WHITELIST: "transmission.thehomelab.site" },
};

describe("catalog apps behind the reverse proxy", () => {
    for (const app of homeConfig().apps.filter((a) => expected[a.name] !== undefined)) {
        it(`${app.name}: the settings its image documents for https://${app.name}.thehomelab.site`, () => {
            const withProxy = resolveApp(app, proxy).env;
            const without = resolveApp(app).env;
            const added = Object.fromEntries(Object.entries(withProxy).filter(([k]) => !(k in without)));
            assert.deepStrictEqual(added, expected[app.name]);
        });
    }

    it("follows the app's own subdomain and the proxy's source, and lets the app's config win", () => {
        const app = appSchema.parse({
            name: "nextcloud",
            subdomain: "cloud",
            env: { NEXTCLOUD_ADMIN_PASSWORD: s("pw"), OVERWRITEPROTOCOL: "http" },
        });
        const env = resolveApp(app, { domain: "lab.example", proxies: "192.168.1.4" }).env;
        assert.strictEqual(env.NEXTCLOUD_TRUSTED_DOMAINS, "cloud.lab.example");
        assert.strictEqual(env.TRUSTED_PROXIES, "192.168.1.4");
        assert.strictEqual(env.OVERWRITEPROTOCOL, "http");
    });

    it("adds nothing to an app without a route", () => {
        const app = appSchema.parse({ name: "transmission", expose: false });
        assert.strictEqual(resolveApp(app, proxy).env.HOST_WHITELIST, undefined);
    });

    it("refuses an unknown placeholder", () => {
        assert.throws(() => proxyEnvFor({ proxyEnv: { X: "{hostname}" } }, { host: "a.b", proxies: "10.0.0.0/8" }), {
            message: "catalog proxyEnv X: unknown placeholder {hostname}: use {host}, {url} or {proxies}",
        });
    });

    it("uses only known placeholders in every entry", () => {
        for (const [name, entry] of Object.entries(catalog)) {
            assert.doesNotThrow(() => proxyEnvFor(entry, { host: "a.b", proxies: "10.0.0.0/8" }), name);
        }
    });
});
