// Compose import: a homelab owner's docker-compose.yml translated into apps, the same apps from
// the real `docker-compose config` output of that file (Debian's docker-compose, which parses
// without an engine), and every refusal at its field's path.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { composeApps } from "../components/app/compose";
import { ConfigError } from "../stacks/validate";
import { stackFileLab } from "../scripts/plan";
import { requireTools, runOk } from "./helpers/exec";
import { homeYaml } from "./helpers/mocks";
import { parse, stringify } from "yaml";

const fixture = path.join(__dirname, "labs", "compose", "home.yml");

const expected = [
    {
        name: "zigbee2mqtt",
        catalog: "generic",
        image: "koenkk/zigbee2mqtt:1.42.0",
        devices: ["/dev/serial/by-id/usb-ITead_Sonoff_Zigbee_3.0-if00:/dev/ttyACM0"],
        dependsOn: ["mosquitto"],
        env: { TZ: "Europe/Berlin", ZIGBEE2MQTT_CONFIG_MQTT_SERVER: "mqtt://mosquitto:1883" },
        volumes: [
            { name: "z2m-data", path: "/app/data" },
            { hostPath: "/run/udev", path: "/run/udev", readOnly: true },
        ],
    },
    {
        name: "mosquitto",
        catalog: "generic",
        image: "eclipse-mosquitto:2.0.20",
        command: ["mosquitto", "-c", "/mosquitto-no-auth.conf"],
        user: "1883:1883",
        healthcheck: "mosquitto_sub -t '$SYS/#' -C 1 -W 3 || exit 1",
        ports: [
            { host: 1883, container: 1883, protocol: "tcp" },
            { host: 9001, container: 9001, protocol: "tcp" },
        ],
        volumes: [{ name: "mosquitto-data", path: "/mosquitto/data" }],
    },
    {
        name: "glances",
        catalog: "generic",
        image: "nicolargo/glances:4.2.1",
        capabilities: { add: ["SYS_PTRACE"], drop: ["MKNOD"] },
        networkMode: "host",
        memory: "256m",
        cpus: 0.5,
        labels: { "org.example.role": "monitoring" },
        init: true,
        env: { GLANCES_OPT: "-w" },
        volumes: [
            { hostPath: "/var/run/docker.sock", path: "/var/run/docker.sock", readOnly: true },
            { hostPath: "/etc/os-release", path: "/etc/os-release", readOnly: true },
        ],
    },
    {
        name: "cloudflared",
        catalog: "generic",
        image: "cloudflare/cloudflared:2024.12.2",
        command: ["tunnel", "run", "--url", "http://homepage:3000"],
        entrypoint: ["cloudflared", "--no-autoupdate"],
        memory: "128M",
        cpus: 0.25,
        sysctls: { "net.ipv4.ping_group_range": "0 2147483647" },
        shmSize: "64m",
        extraHosts: ["nas.lan:192.168.1.5"],
    },
];

/** Apps keyed by name with their fields in a stable order, to compare imports of two spellings. */
function canonical(apps: Record<string, unknown>[]): Record<string, unknown> {
    const sortKeys = (v: unknown): unknown =>
        Array.isArray(v) ? v.map(sortKeys) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)])) : v;
    return Object.fromEntries(apps.map((a) => [a.name, sortKeys(a)]));
}

describe("compose import", () => {
    it("translates every supported field of the fixture", () => {
        const { apps, issues } = composeApps(fs.readFileSync(fixture, "utf8"));
        assert.deepStrictEqual(issues, []);
        assert.deepStrictEqual(apps, expected);
    });

    it("reads the file as docker-compose config does: the normalized output imports to the same apps", function () {
        this.timeout(60_000);
        requireTools("docker-compose");
        // docker-compose 1.29 checks the file against its own copy of the Compose schema and writes
        // it back normalized: long forms of ports, maps of environment, labels and depends_on.
        const normalized = runOk("docker-compose", ["-f", fixture, "config"], { timeoutMs: 60_000, env: { ...process.env, COMPOSE_PROJECT_NAME: "home" } }).stdout;
        const doc = parse(normalized) as { services: Record<string, Record<string, unknown>> };
        assert.deepStrictEqual(Object.keys(doc.services).sort(), expected.map((a) => a.name).sort());
        const fromCompose = composeApps(normalized);
        assert.deepStrictEqual(fromCompose.issues, []);
        assert.deepStrictEqual(canonical(fromCompose.apps), canonical(expected));
        // The normalized forms really differ from the written ones.
        assert.deepStrictEqual(doc.services.zigbee2mqtt.depends_on, { mosquitto: { condition: "service_started" } });
        assert.deepStrictEqual(doc.services.glances.labels, { "org.example.role": "monitoring" });
    });

    const refused: [string, string, { path: string; message: string }[]][] = [
        ["build instead of an image", "services:\n  web:\n    build: .\n", [
            { path: "services.web.build", message: "is not supported by the import: build the image and push it to a registry, then set image to its pinned tag" },
            { path: "services.web.image", message: "is required: set the pinned image the service runs" },
        ]],
        ["an unknown network", "services:\n  web:\n    image: nginx:1.27.3\n    networks: [backend]\n", [
            { path: "services.web.networks", message: "unknown network 'backend': declare it under networks (every app joins its Docker host's apps' network)" },
        ]],
        ["a network with settings", "services:\n  web:\n    image: nginx:1.27.3\nnetworks:\n  lan:\n    driver: macvlan\n", [
            { path: "networks.lan", message: "only plain networks are imported (every app joins its Docker host's apps' network): remove its settings" },
        ]],
        ["a relative host path", "services:\n  web:\n    image: nginx:1.27.3\n    volumes: ['./html:/usr/share/nginx/html:ro']\n", [
            { path: "services.web.volumes[0]", message: "host path './html' is relative: use an absolute path of the Docker host (the compose file's folder is not on it)" },
        ]],
        ["a port bound to an address", "services:\n  web:\n    image: nginx:1.27.3\n    ports: ['127.0.0.1:8080:80']\n", [
            { path: "services.web.ports[0]", message: "'127.0.0.1:8080:80' is not imported: publish one port as HOST:CONTAINER[/udp] (no address, no range)" },
        ]],
        ["a field the App lacks", "services:\n  web:\n    image: nginx:1.27.3\n    pid: host\n", [
            { path: "services.web.pid", message: "is not supported by the import: remove it, or run the app as a catalog entry or generic app written by hand" },
        ]],
        ["a field the schema does not know", "services:\n  web:\n    image: nginx:1.27.3\n    imagee: x\n", [
            { path: "services.web", message: "the Compose Specification's schema refuses it: must NOT have additional properties 'imagee'" },
        ]],
        ["a wrong type", "services:\n  web:\n    image: nginx:1.27.3\n    ports: 8080\n", [
            { path: "services.web.ports", message: "the Compose Specification's schema refuses it: must be array" },
        ]],
        ["interpolation", "services:\n  web:\n    image: nginx:${TAG}\n", [
            { path: "(file)", message: "uses ${VARIABLE} interpolation, which the import does not do: write the values (run `docker compose config` to see them)" },
        ]],
        ["top-level secrets", "services:\n  web:\n    image: nginx:1.27.3\nsecrets:\n  pw:\n    file: ./pw.txt\n", [
            { path: "secrets", message: "top-level secrets is not imported: remove it (apps get secrets through env set with pulumi config set --secret)" },
        ]],
        ["a restart policy apps do not have", "services:\n  web:\n    image: nginx:1.27.3\n    restart: 'no'\n", [
            { path: "services.web.restart", message: "'no' is not imported: apps restart unless stopped (use unless-stopped or always)" },
        ]],
        ["a shell operator in a command string", "services:\n  web:\n    image: nginx:1.27.3\n    command: nginx && sleep 1\n", [
            { path: "services.web.command", message: "holds shell operators or globs: write it as a list of arguments, or as [sh, -c, '<command>']" },
        ]],
        ["a named volume two services share", "services:\n  a:\n    image: nginx:1.27.3\n    volumes: ['d:/x']\n  b:\n    image: nginx:1.27.3\n    volumes: ['d:/y']\nvolumes:\n  d:\n", [
            { path: "volumes.d", message: "is shared by services a, b: each app gets volumes of its own; share data through an absolute host path instead" },
        ]],
    ];
    for (const [what, text, issues] of refused) {
        it(`refuses ${what} at its path`, () => {
            const got = composeApps(text);
            assert.deepStrictEqual(got.issues, issues);
            assert.deepStrictEqual(got.apps, []);
        });
    }
});

describe("compose import in the stack config", () => {
    /** The reference lab with one more app entry. */
    function labWith(entry: Record<string, unknown>): string {
        const doc = parse(homeYaml()) as { config: Record<string, unknown[]> };
        doc.config["homelab:apps"] = [...doc.config["homelab:apps"], entry];
        return stringify(doc);
    }

    it("turns the entry into the compose file's apps on its host, in its place", () => {
        const cfg = stackFileLab(labWith({ compose: path.relative(process.cwd(), fixture), host: "docker" }));
        const imported = cfg.apps.slice(-4);
        assert.deepStrictEqual(imported.map((a) => [a.name, a.host, a.catalog]), [
            ["zigbee2mqtt", "docker", "generic"],
            ["mosquitto", "docker", "generic"],
            ["glances", "docker", "generic"],
            ["cloudflared", "docker", "generic"],
        ]);
        assert.deepStrictEqual(imported[2].capabilities, { add: ["SYS_PTRACE"], drop: ["MKNOD"] });
    });

    it("reports a problem of an imported app at the compose entry, naming the file and service", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-compose-"));
        const file = path.join(dir, "docker-compose.yml");
        fs.writeFileSync(file, "services:\n  tools:\n    image: busybox:1.37.0\n    cap_add: [SUPERPOWER]\n    build: .\n");
        assert.throws(() => stackFileLab(labWith({ compose: file })), (e: unknown) => {
            assert.ok(e instanceof ConfigError);
            assert.deepStrictEqual(e.issues.filter((i) => i.path.startsWith("homelab:apps[10]")), [
                { path: "homelab:apps[10].compose", message: `${file}: services.tools.build: is not supported by the import: build the image and push it to a registry, then set image to its pinned tag` },
            ]);
            return true;
        });
        fs.writeFileSync(file, "services:\n  tools:\n    image: busybox:1.37.0\n    cap_add: [SUPERPOWER]\n");
        assert.throws(() => stackFileLab(labWith({ compose: file })), (e: unknown) => {
            assert.ok(e instanceof ConfigError);
            assert.deepStrictEqual(e.issues, [
                {
                    path: `homelab:apps[10].compose (${file} service tools).capabilities.add[0]`,
                    message: "'SUPERPOWER' is not a Linux capability: use one of the kernel's (such as SYS_PTRACE, NET_ADMIN; see capabilities(7)) or ALL",
                },
            ]);
            return true;
        });
        assert.throws(() => stackFileLab(labWith({ compose: path.join(dir, "missing.yml") })), (e: unknown) => {
            assert.ok(e instanceof ConfigError);
            assert.strictEqual(e.issues[0].path, "homelab:apps[10].compose");
            assert.match(e.issues[0].message, /^cannot read .*missing\.yml \(ENOENT\): give the path from the project directory/);
            return true;
        });
        assert.throws(() => stackFileLab(labWith({ compose: file, name: "x" })), (e: unknown) => {
            assert.ok(e instanceof ConfigError);
            assert.deepStrictEqual(e.issues[0], { path: "homelab:apps[10].name", message: "a compose import holds only compose and host: set the other fields in the compose file" });
            return true;
        });
    });
});
