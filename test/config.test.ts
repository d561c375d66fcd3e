import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { readStackFile, stackFileConfig, stackFileLab } from "../scripts/plan";
import { configKeys, SecretValue, stackFileJsonSchema } from "../stacks/config";
import { markSecrets, namespaceIssues, securePaths } from "../stacks/load";
import { defaultDockerHost, defaultRoutePort } from "../stacks/routes";
import { ConfigError, ConfigIssue, formatPath, validateLab } from "../stacks/validate";
import { homeYaml } from "./helpers/mocks";

/** The reference lab's raw config (keys without `homelab:`), as a fresh mutable copy. */
function homeRaw(): Record<string, any> {
    const doc = parse(homeYaml()) as { config: Record<string, unknown> };
    return Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k.replace(/^homelab:/, ""), v]));
}

function issuesOf(raw: Record<string, unknown>): ConfigIssue[] {
    try {
        validateLab(markSecrets(raw, new Set()));
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
        return e.issues;
    }
    return [];
}

describe("stack config", () => {
    it("accepts the reference lab and fills documented defaults", () => {
        const cfg = validateLab(markSecrets(homeRaw(), new Set()));
        assert.strictEqual(cfg.domain, "thehomelab.site");
        assert.strictEqual(cfg.nas?.disks.length, 2);
        assert.ok(cfg.nas?.users[0].password instanceof SecretValue);
        assert.strictEqual(cfg.containers.length, 0);
        assert.strictEqual(cfg.dockerHosts[0].kind, "lxc");
        assert.strictEqual(cfg.apps.find((a) => a.name === "heimdall")?.public, false);
        assert.strictEqual(cfg.backup?.nasStorage, "local");
    });

    it("formats paths as homelab:key.field[index]", () => {
        assert.strictEqual(formatPath(["nas", "disks", 1]), "homelab:nas.disks[1]");
        assert.strictEqual(formatPath(["apps", 0, "env", "X"]), "homelab:apps[0].env.X");
    });

    // Each case breaks the reference lab in one way and names the exact issue it must produce.
    const cases: { name: string; mutate: (c: Record<string, any>) => void; issue: ConfigIssue }[] = [
        {
            name: "plain-text password",
            mutate: (c) => (c.nas.users[0].password = "hunter2"),
            issue: { path: "homelab:nas.users[0].password", message: "must be a secret: run `pulumi config set --secret --path 'homelab:nas.users[0].password' <value>`" },
        },
        {
            name: "plain-text API token",
            mutate: (c) => (c.proxmox.apiToken = "root@pam!x=1"),
            issue: { path: "homelab:proxmox.apiToken", message: "must be a secret: run `pulumi config set --secret --path 'homelab:proxmox.apiToken' <value>`" },
        },
        {
            name: "disk not by id",
            mutate: (c) => (c.nas.disks[1] = "/dev/sdb"),
            issue: { path: "homelab:nas.disks[1]", message: "must be a whole disk by id, /dev/disk/by-id/<id> (see `ls -l /dev/disk/by-id` on the node)" },
        },
        {
            name: "same disk twice",
            mutate: (c) => (c.nas.disks[1] = c.nas.disks[0]),
            issue: { path: "homelab:nas.disks[1]", message: "duplicate disk '/dev/disk/by-id/ata-Samsung_SSD_870_EVO_1TB_S6PTNM0T100001A' (also at homelab:nas.disks[0]): choose another" },
        },
        {
            name: "RAID 1 with one disk",
            mutate: (c) => c.nas.disks.pop(),
            issue: { path: "homelab:nas.disks", message: "RAID 1 needs at least two disks, got 1: list both /dev/disk/by-id/ paths" },
        },
        {
            name: "address outside its network",
            mutate: (c) => (c.nas.address = "192.168.2.5"),
            issue: { path: "homelab:nas.address", message: "192.168.2.5 is not a host address inside network 'lan' (192.168.1.0/24): use an address of that network" },
        },
        {
            name: "duplicate address",
            mutate: (c) => (c.dockerHosts[0].address = "192.168.1.5"),
            issue: { path: "homelab:dockerHosts[0].address", message: "duplicate address '192.168.1.5' (also at homelab:nas.address): choose another" },
        },
        {
            name: "duplicate VM id",
            mutate: (c) => (c.dockerHosts[0].vmId = 100),
            issue: { path: "homelab:dockerHosts[0].vmId", message: "duplicate VM/CT id '100' (also at homelab:nas.vmId): choose another" },
        },
        {
            name: "duplicate hostname",
            mutate: (c) => (c.containers = [{ hostname: "nas", vmId: 300, network: "lan", address: "192.168.1.50", cores: 1, memoryMb: 512, image: "debian-12-lxc" }]),
            issue: { path: "homelab:containers[0].hostname", message: "duplicate hostname 'nas' (also at homelab:nas.hostname): choose another" },
        },
        {
            name: "duplicate subdomain",
            mutate: (c) => (c.apps[1].subdomain = "pihole"),
            issue: { path: "homelab:apps[1].subdomain", message: "duplicate subdomain 'pihole' (also at homelab:apps[0].subdomain): choose another" },
        },
        {
            name: "gateway outside its network",
            mutate: (c) => (c.networks[0].gateway = "192.168.7.1"),
            issue: { path: "homelab:networks[0].gateway", message: "192.168.7.1 is not a host address inside 192.168.1.0/24: use an address of that network" },
        },
        {
            name: "app network overlapping the LAN",
            mutate: (c) => (c.dockerHosts[0].appNetwork = "192.168.1.128/25"),
            issue: { path: "homelab:dockerHosts[0].appNetwork", message: "192.168.1.128/25 overlaps network 'lan' (192.168.1.0/24): choose a private range the lab does not use, e.g. 10.10.10.0/24" },
        },
        {
            name: "share user that does not exist",
            mutate: (c) => (c.nas.shares[1].users = ["mallory"]),
            issue: { path: "homelab:nas.shares[1].users[0]", message: "unknown user 'mallory': add it to homelab:nas.users or use one of proxmox, docker" },
        },
        {
            name: "mount of a share that does not exist",
            mutate: (c) => c.dockerHosts[0].mounts.push({ share: "music" }),
            issue: { path: "homelab:dockerHosts[0].mounts[3].share", message: "unknown share 'music': use one of backups, documents, media" },
        },
        {
            name: "unknown catalog app",
            mutate: (c) => c.apps.push({ name: "jellyfish" }),
            issue: { path: "homelab:apps[10].name", message: "unknown catalog entry 'jellyfish': use one of pihole, portainer, heimdall, checkmk, nextcloud, photoprism, transmission, minidlna, rclone, netdata, jellyfin, plex, homeassistant, uptime-kuma, vaultwarden, gitea, paperless-ngx, immich, grafana, prometheus, syncthing, adguardhome, wg-easy, generic (generic runs any image)" },
        },
        {
            name: "app on an unknown host",
            mutate: (c) => (c.apps[2].host = "docker2"),
            issue: { path: "homelab:apps[2].host", message: "unknown Docker host 'docker2': use one of docker" },
        },
        {
            name: "subdomain that is not a DNS label",
            mutate: (c) => (c.apps[2].subdomain = "Heim_dall"),
            issue: { path: "homelab:apps[2].subdomain", message: "must be a DNS label: lower-case letters, digits and '-', 1-63 characters, not starting or ending with '-'" },
        },
        {
            name: "bad domain",
            mutate: (c) => (c.domain = "not a domain"),
            issue: { path: "homelab:domain", message: "must be a lower-case DNS zone name such as thehomelab.site" },
        },
        {
            name: "VLAN id out of range",
            mutate: (c) => (c.networks[0].vlan = 5000),
            issue: { path: "homelab:networks[0].vlan", message: "must be a VLAN id from 1 to 4094" },
        },
        {
            name: "VLAN on a bridge that is not VLAN-aware",
            mutate: (c) => (c.networks[0].vlan = 20),
            issue: { path: "homelab:networks[0].vlan", message: "bridge 'vmbr0' is not VLAN-aware: set vlanAware: true at homelab:nodes[0].bridges[0]" },
        },
        {
            name: "missing required field",
            mutate: (c) => delete c.nas.vmId,
            issue: { path: "homelab:nas.vmId", message: "is required: add vmId: <a number> (see the README's config reference)" },
        },
        {
            name: "wrong type",
            mutate: (c) => (c.nas.cores = "two"),
            issue: { path: "homelab:nas.cores", message: "must be a number, got the text 'two': write the plain number, without quotes or unit" },
        },
        {
            name: "unknown field",
            mutate: (c) => (c.nas.raidLevel = 5),
            issue: { path: "homelab:nas", message: "unknown field 'raidLevel': remove or correct it (see the README's config reference)" },
        },
        {
            name: "unknown key",
            mutate: (c) => (c.nass = {}),
            issue: { path: "homelab:nass", message: "unknown config key: the keys are homelab:domain, homelab:proxmox, homelab:ssh, homelab:networks, homelab:nodes, homelab:images, homelab:nas, homelab:dockerHosts, homelab:containers, homelab:apps, homelab:proxy, homelab:cloudflare, homelab:backup, homelab:firewall, homelab:haGroups, homelab:haRules" },
        },
        {
            name: "guest on an unknown node",
            mutate: (c) => (c.nas.node = "proxmox2"),
            issue: { path: "homelab:nas.node", message: "unknown node 'proxmox2': use one of proxmox1" },
        },
        {
            name: "backup user not allowed on the share",
            mutate: (c) => (c.backup.target.user = "docker"),
            issue: { path: "homelab:backup.target.user", message: "user 'docker' may not use share 'backups': add it to that share's users" },
        },
        {
            name: "IPv6 address without an IPv6 network",
            mutate: (c) => (c.nas.ipv6 = "2001:db8::5"),
            issue: { path: "homelab:nas.ipv6", message: "network 'lan' has no ipv6: add ipv6.cidr to it or remove this address" },
        },
        {
            name: "published port 443 taken from the proxy",
            mutate: (c) => (c.apps[2].ports = [{ host: 443, container: 443 }]),
            issue: { path: "homelab:apps[2].ports[0]", message: "port 443/tcp belongs to the reverse proxy: expose the app through its route instead" },
        },
    ];
    for (const c of cases) {
        it(`rejects ${c.name}`, () => {
            const raw = homeRaw();
            c.mutate(raw);
            assert.deepStrictEqual(issuesOf(raw), [c.issue]);
        });
    }

    it("reports every problem at once, across keys", () => {
        const raw = homeRaw();
        raw.nas.disks = ["/dev/sdb"];
        raw.apps[0].name = "pi hole";
        raw.dockerHosts[0].address = "10.9.9.9";
        const paths = issuesOf(raw).map((i) => i.path);
        assert.deepStrictEqual(paths, ["homelab:nas.disks[0]", "homelab:apps[0].name", "homelab:dockerHosts[0].address"]);
    });

    it("finds the exact secret paths of a stack file", () => {
        const paths = securePaths(homeYaml());
        assert.ok(paths.has("nas.users[1].password"));
        assert.ok(paths.has("apps[0].env.WEBPASSWORD"));
        assert.ok(!paths.has("apps[0].env"));
        assert.ok(!paths.has("domain"));
    });

    it("treats values Pulumi decrypted as secrets when the stack file says secure", () => {
        const raw = homeRaw();
        raw.nas.users[0].password = "decrypted";
        const cfg = validateLab(markSecrets(raw, new Set(["nas.users[0].password"])));
        assert.strictEqual((cfg.nas!.users[0].password as SecretValue).value, "decrypted");
        assert.strictEqual(String(cfg.nas!.users[0].password), "[secret]");
    });

    it("gives a remote app a default route port from its name alone, in 20000-29999, pinned forever", () => {
        // A changed value would move published ports, which replaces containers: these stay.
        const cases: [string, number][] = [
            ["heimdall", 26576],
            ["portainer", 25431],
            ["vaultwarden", 26261],
            ["nextcloud", 29324],
        ];
        for (const [name, port] of cases) {
            assert.strictEqual(defaultRoutePort(name), port, name);
        }
    });

    it("places an app or the proxy without host only where no reorder can move it", () => {
        const cases: [string[], string | undefined, string | undefined][] = [
            [["docker"], undefined, "docker"],
            [["docker", "vault"], "vault", "vault"],
            [["docker", "vault"], undefined, undefined],
            [["docker"], "nope", "docker"],
            [["docker", "vault"], "nope", undefined],
            [["vault", "docker"], undefined, undefined],
            [[], undefined, undefined],
        ];
        for (const [hosts, proxy, want] of cases) {
            assert.strictEqual(defaultDockerHost(hosts, proxy), want, `${hosts.join(",")} proxy ${proxy}`);
        }
    });

    it("emits a JSON Schema with every config key and secrets as secure objects", () => {
        const schema = stackFileJsonSchema() as { properties: { config: { properties: Record<string, any> } } };
        const keys = Object.keys(schema.properties.config.properties);
        assert.deepStrictEqual(keys, ["domain", "proxmox", "ssh", "networks", "nodes", "images", "nas", "dockerHosts", "containers", "apps", "proxy", "cloudflare", "backup", "firewall", "haGroups", "haRules"].map((k) => `homelab:${k}`));
        const apiToken = schema.properties.config.properties["homelab:proxmox"].properties.apiToken;
        assert.deepStrictEqual(apiToken.required, ["secure"]);
    });
});

describe("the stack file itself", () => {
    /** The issues stackFileLab reports for a stack file's text ([] when it accepts it). */
    function fileIssues(text: string, name = "Pulumi.x.yaml"): ConfigIssue[] {
        try {
            stackFileLab(text, name);
        } catch (e) {
            assert.ok(e instanceof ConfigError, `expected ConfigError, got ${(e as Error).stack ?? e}`);
            return e.issues;
        }
        return [];
    }

    const syntax: [string, string, ConfigIssue][] = [
        ["tab indentation", "config:\n\thomelab:domain: lab.site\n", { path: "Pulumi.x.yaml:2:1", message: "YAML syntax error, Tabs are not allowed as indentation: line 2 is `\\thomelab:domain: lab.site`" }],
        ["an unclosed quote", 'config:\n  homelab:domain: "lab.site\n', { path: "Pulumi.x.yaml:3:1", message: 'YAML syntax error, Missing closing "quote: line 2 is `  homelab:domain: "lab.site`' }],
        ["a key given twice", "config:\n  homelab:domain: a.site\n  homelab:domain: b.site\n", { path: "Pulumi.x.yaml:3:3", message: "YAML syntax error, Map keys must be unique: line 3 is `  homelab:domain: b.site`" }],
        // The parser reports this line five ways; one cause, one line.
        [
            "an unclosed flow on a tab-indented line",
            "config:\n  homelab:domain: [unclosed\n\t- tab: {\n",
            { path: "Pulumi.x.yaml:3:2", message: "YAML syntax error, Flow sequence in block collection must be sufficiently indented and end with a ]: line 3 is `\\t- tab: {`" },
        ],
    ];
    for (const [what, text, issue] of syntax) {
        it(`reports a YAML syntax error with file, line, column and the line: ${what}`, () => {
            assert.deepStrictEqual(fileIssues(text), [issue]);
        });
    }

    it("says when a file is not a stack file", () => {
        assert.deepStrictEqual(fileIssues("- homelab:domain\n"), [
            { path: "Pulumi.x.yaml", message: "is not a stack file: a Pulumi.<stack>.yaml is a mapping whose `config:` key holds the homelab:* keys" },
        ]);
        assert.deepStrictEqual(fileIssues("homelab:domain: lab.site\nhomelab:nodes: []\n"), [
            { path: "Pulumi.x.yaml", message: "is not a stack file: its homelab:domain, homelab:nodes must sit under a top-level `config:` key (indent them below a line `config:`)" },
        ]);
        assert.deepStrictEqual(fileIssues("encryptionsalt: x\n"), [{ path: "Pulumi.x.yaml", message: "is not a stack file: it has no top-level `config:` key holding the homelab:* keys" }]);
        assert.deepStrictEqual(fileIssues("config: [a]\n"), [{ path: "Pulumi.x.yaml: config", message: "must be a mapping of config keys such as homelab:domain" }]);
    });

    it("resolves YAML merge keys as Pulumi's reader does", () => {
        const text = homeYaml()
            .replace("      - { from: lan, to: docker, proto: tcp, port: 443, comment: apps through the proxy }\n", "      - &web { from: lan, to: docker, proto: tcp, port: 443, comment: apps through the proxy }\n")
            .replace("      - { from: lan, to: docker, proto: tcp, port: 80, comment: redirect to https }\n", "      - { <<: *web, port: 80, comment: redirect to https }\n");
        assert.notStrictEqual(text, homeYaml());
        assert.deepStrictEqual(stackFileLab(text), stackFileLab(homeYaml()));
        assert.deepStrictEqual(stackFileConfig(text), stackFileConfig(homeYaml()));
    });

    it("refuses keys nobody reads, with the key that was meant", () => {
        const text = homeYaml().replace("  homelab:firewall:", "  homlab:firewall:").replace("  homelab:backup:", "  backup:");
        assert.deepStrictEqual(fileIssues(text), [
            { path: "backup", message: "a config key needs a namespace: did you mean homelab:backup? (the keys are " + configKeys.map((k) => `homelab:${k}`).join(", ") + ")" },
            { path: "homlab:firewall", message: "unknown namespace 'homlab': did you mean homelab:firewall? nothing reads it; the namespaces are homelab, proxmoxve, cloudflare, docker, command, random, pulumi" },
        ]);
        assert.deepStrictEqual(namespaceIssues(["proxmoxve:endpoint", "pulumi:tags", "cloudflare:apiToken"]), []);
        assert.deepStrictEqual(namespaceIssues(["zzzzzz:x"]), [{ path: "zzzzzz:x", message: "unknown namespace 'zzzzzz': nothing reads it; the namespaces are homelab, proxmoxve, cloudflare, docker, command, random, pulumi" }]);
    });

    it("refuses a --file that is a directory or missing, as a config error", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-stackfile-"));
        try {
            assert.throws(() => readStackFile(dir), (e: unknown) => e instanceof ConfigError && e.issues[0].message === "is a directory, not a stack file: pass --file PATH of a Pulumi.<stack>.yaml");
            assert.throws(() => readStackFile(path.join(dir, "nope.yaml")), (e: unknown) => e instanceof ConfigError && /^no such file/.test(e.issues[0].message));
        } finally {
            fs.rmSync(dir, { recursive: true });
        }
    });
});
