// The container fields of apps and sidecars (command, user, capabilities, devices, host paths,
// host network, privileges, limits, sysctls, /dev/shm, extra hosts, labels, dependsOn): the rule,
// the mapping onto docker.Container inputs under the runtime mocks, and the stack's validation.
import * as assert from "assert";
import { run } from "./helpers/exec";
import { App, appOrder } from "../components/app";
import { appArgs, resolveApp } from "../stacks/apps";
import { standInAppHost } from "./helpers/appHost";
import { ContainerFields, containerFieldInputs, containerFieldIssues, kernelCapabilities, parseDevice, sizeMiB } from "../components/app/containerFields";
import { AppConfig, appSchema, SecretValue } from "../stacks/config";
import { captureProgram, CapturedResource, childrenOf, one } from "./helpers/mocks";

const appConfig = (raw: Record<string, unknown>): AppConfig => appSchema.parse(raw);

describe("container fields: the rule", () => {
    it("knows exactly the kernel's capabilities (as libcap's capsh names them)", () => {
        // 41 capabilities: bits 0 to 40. capsh decodes every bit it knows.
        const out = run("capsh", ["--decode=0x1ffffffffff"]).stdout.trim();
        const names = out.split("=")[1].split(",").map((c) => c.replace(/^cap_/, "").toUpperCase());
        assert.deepStrictEqual(names, [...kernelCapabilities]);
    });

    const good: [string, ContainerFields][] = [
        ["nothing", {}],
        ["a command and an entrypoint", { command: ["tunnel", "run"], entrypoint: ["/bin/sh", "-c"] }],
        ["users", { user: "1000:1000" }],
        ["a user name and group", { user: "app:video" }],
        ["capabilities with and without CAP_, any case", { capabilities: { add: ["SYS_PTRACE", "cap_net_admin"], drop: ["ALL"] } }],
        ["devices", { devices: ["/dev/dri", "/dev/ttyUSB0:/dev/zigbee", "/dev/sda:/dev/xvda:r", "/dev/net/tun:rwm"] }],
        ["host network without ports", { networkMode: "host" }],
        ["privileged with a reason", { privileged: { reason: "mounts filesystems for its backups" } }],
        ["privileged false", { privileged: false }],
        ["limits", { memory: "512m", cpus: 1.5, shmSize: "1g" }],
        ["namespaced sysctls", { sysctls: { "net.ipv4.ip_unprivileged_port_start": "0", "kernel.shmmax": "68719476736", "fs.mqueue.msg_max": "20" } }],
        ["IPC sysctls with the host network", { networkMode: "host", sysctls: { "kernel.sem": "250 32000 100 128" } }],
        ["extra hosts, IPv4 and IPv6", { extraHosts: ["printer.lan:192.168.1.30", "nas=192.168.1.5", "router:2001:db8::1"] }],
        ["labels", { labels: { "org.example.role": "dns", "com.centurylinklabs.watchtower.enable": "false" } }],
    ];
    for (const [what, f] of good) {
        it(`accepts ${what}`, () => {
            assert.deepStrictEqual(containerFieldIssues(f, 0), []);
        });
    }

    const bad: [string, ContainerFields, number, string[]][] = [
        ["an empty command argument", { command: ["run", ""] }, 0, ["command[1]: must not be empty: remove it, or quote the empty argument inside a shell command"]],
        ["a user with spaces", { user: "my user" }, 0, ["user: 'my user' is not a user: use a name or uid, optionally with a group (1000, 1000:1000, nobody, app:app)"]],
        [
            "an unknown capability",
            { capabilities: { add: ["SYS_PTRACE", "SUPERPOWER"] } },
            0,
            ["capabilities.add[1]: 'SUPERPOWER' is not a Linux capability: use one of the kernel's (such as SYS_PTRACE, NET_ADMIN; see capabilities(7)) or ALL"],
        ],
        ["a capability added and dropped", { capabilities: { add: ["NET_ADMIN"], drop: ["CAP_NET_ADMIN"] } }, 0, ["capabilities: CAP_NET_ADMIN is both added and dropped: keep it in one list"]],
        [
            "a device outside /dev",
            { devices: ["/sys/class/gpio"] },
            0,
            ["devices[0]: '/sys/class/gpio' is not a device: use a path under /dev, optionally with the path in the container and permissions (/dev/dri, /dev/ttyUSB0:/dev/zigbee, /dev/sda:/dev/xvda:r)"],
        ],
        [
            "a device escaping /dev",
            { devices: ["/dev/../etc/shadow"] },
            0,
            ["devices[0]: '/dev/../etc/shadow' is not a device: use a path under /dev, optionally with the path in the container and permissions (/dev/dri, /dev/ttyUSB0:/dev/zigbee, /dev/sda:/dev/xvda:r)"],
        ],
        ["device permissions", { devices: ["/dev/dri:/dev/dri:rwx"] }, 0, ["devices[0]: 'rwx' are not device permissions: use letters of rwm (r read, w write, m mknod), such as rw"]],
        ["a relative device path in the container", { devices: ["/dev/dri:dri:rw"] }, 0, ["devices[0]: 'dri' is not an absolute path in the container: use a path such as /dev/zigbee"]],
        [
            "host network with published ports",
            { networkMode: "host" },
            2,
            ["networkMode: an app on the host's network uses the host's ports directly and Docker publishes nothing: remove ports, or the host network"],
        ],
        [
            "privileged without a reason",
            { privileged: true },
            0,
            ["privileged: a privileged container gets every device and capability of the Docker host: list what it needs in devices and capabilities instead, or allow it with privileged: { reason: <why those are not enough> }"],
        ],
        ["privileged with an empty reason", { privileged: { reason: " " } }, 0, ["privileged.reason: say why the app must run privileged (at least a few words), so that a reviewer can judge it"]],
        ["a memory limit in bytes that is no whole MiB", { memory: "1000k" }, 0, ["memory: '1000k' is not a memory limit: use whole MiB of at least 6, such as 512m or 2g"]],
        ["a memory limit under Docker's minimum", { memory: "4m" }, 0, ["memory: '4m' is not a memory limit: use whole MiB of at least 6, such as 512m or 2g"]],
        ["a memory limit without a number", { memory: "lots" }, 0, ["memory: 'lots' is not a memory limit: use whole MiB of at least 6, such as 512m or 2g"]],
        ["zero CPUs", { cpus: 0 }, 0, ["cpus: 0 is not a CPU limit: use a positive number of CPUs with at most two decimals, such as 0.5 or 2"]],
        ["a CPU limit too fine", { cpus: 0.125 }, 0, ["cpus: 0.125 is not a CPU limit: use a positive number of CPUs with at most two decimals, such as 0.5 or 2"]],
        ["a /dev/shm size", { shmSize: "64x" }, 0, ["shmSize: '64x' is not a size: use whole MiB, such as 256m or 1g"]],
        [
            "a sysctl of the host's kernel",
            { sysctls: { "vm.max_map_count": "262144" } },
            0,
            ["sysctls.vm.max_map_count: Docker sets only sysctls of the container's own namespaces: net.*, kernel.msg*/sem/shm*, fs.mqueue.*; set others on the Docker host"],
        ],
        [
            "a net sysctl on the host network",
            { networkMode: "host", sysctls: { "net.core.somaxconn": "1024" } },
            0,
            ["sysctls.net.core.somaxconn: a net.* sysctl sets the network namespace, which on the host's network is the host's own: set it on the Docker host, or drop the host network"],
        ],
        ["an extra host without an address", { extraHosts: ["printer.lan"] }, 0, ["extraHosts[0]: 'printer.lan' is not a host entry: use name:address, such as printer.lan:192.168.1.30"]],
        ["an extra host with a bad address", { extraHosts: ["printer.lan:192.168.1.300"] }, 0, ["extraHosts[0]: 'printer.lan:192.168.1.300' is not a host entry: use name:address, such as printer.lan:192.168.1.30"]],
        ["a label key with a space", { labels: { "my label": "x" } }, 0, ["labels.my label: must be a label key of letters, digits, '.', '_', '/' and '-', such as org.example.role"]],
    ];
    for (const [what, f, ports, want] of bad) {
        it(`refuses ${what}`, () => {
            assert.deepStrictEqual(
                containerFieldIssues(f, ports).map((i) => `${i.field}: ${i.message}`),
                want,
            );
        });
    }

    it("reads sizes as Compose does (plain numbers are bytes) in whole MiB", () => {
        const table: [string, number | undefined][] = [
            ["512m", 512], ["2g", 2048], ["1.5g", 1536], ["2GB", 2048], ["64MiB", 64], ["1048576", 1], ["1024k", 1], ["1000", undefined], ["1.1m", undefined], ["m", undefined],
        ];
        assert.deepStrictEqual(table.map(([s]) => [s, sizeMiB(s)]), table);
    });

    it("reads devices as Compose does: host[:container][:permissions]", () => {
        assert.deepStrictEqual(parseDevice("/dev/dri"), { hostPath: "/dev/dri", containerPath: "/dev/dri", permissions: "rwm" });
        assert.deepStrictEqual(parseDevice("/dev/ttyUSB0:/dev/zigbee"), { hostPath: "/dev/ttyUSB0", containerPath: "/dev/zigbee", permissions: "rwm" });
        assert.deepStrictEqual(parseDevice("/dev/sda:r"), { hostPath: "/dev/sda", containerPath: "/dev/sda", permissions: "r" });
        assert.deepStrictEqual(parseDevice("/dev/sda:/dev/xvda:rw"), { hostPath: "/dev/sda", containerPath: "/dev/xvda", permissions: "rw" });
    });
});

describe("container fields: docker.Container inputs", () => {
    it("maps every field onto the provider's inputs", () => {
        assert.deepStrictEqual(
            containerFieldInputs({
                command: ["--config", "/etc/x.yml"],
                entrypoint: ["/x"],
                user: "1000:44",
                capabilities: { add: ["sys_ptrace", "CAP_NET_ADMIN"], drop: ["all"] },
                devices: ["/dev/dri", "/dev/ttyUSB0:/dev/zigbee:rw"],
                networkMode: "host",
                privileged: { reason: "needs every device of the host" },
                memory: "1.5g",
                cpus: 1.5,
                sysctls: { "kernel.shmmax": "1000000" },
                shmSize: "256m",
                extraHosts: ["printer.lan:192.168.1.30", "router:[2001:db8::1]"],
                labels: { b: "2", a: "1" },
            }),
            {
                command: ["--config", "/etc/x.yml"],
                entrypoints: ["/x"],
                user: "1000:44",
                capabilities: { adds: ["CAP_SYS_PTRACE", "CAP_NET_ADMIN"], drops: ["ALL"] },
                devices: [
                    { hostPath: "/dev/dri", containerPath: "/dev/dri", permissions: "rwm" },
                    { hostPath: "/dev/ttyUSB0", containerPath: "/dev/zigbee", permissions: "rw" },
                ],
                networkMode: "host",
                privileged: true,
                memory: 1536,
                cpus: "1.5",
                sysctls: { "kernel.shmmax": "1000000" },
                shmSize: 256,
                hosts: [
                    { host: "printer.lan", ip: "192.168.1.30" },
                    { host: "router", ip: "2001:db8::1" },
                ],
                labels: [
                    { label: "a", value: "1" },
                    { label: "b", value: "2" },
                ],
            },
        );
        assert.deepStrictEqual(containerFieldInputs({ privileged: false }), {});
    });
});

type Raw = Record<string, any>;

describe("App with container fields (mocks)", () => {
    let resources: CapturedResource[];
    before(async () => {
        ({ resources } = await captureProgram(() => {
            const host = standInAppHost({ media: "/mnt/media" });
            const jellyfin = new App(
                "jellyfin",
                {
                    ...appArgs(resolveApp(
                        appConfig({
                            name: "jellyfin",
                            catalog: "generic",
                            image: "jellyfin/jellyfin:10.10.3",
                            port: 8096,
                            user: "1000:1000",
                            devices: ["/dev/dri/renderD128"],
                            capabilities: { drop: ["NET_RAW"] },
                            memory: "2g",
                            cpus: 2,
                            shmSize: "256m",
                            volumes: [
                                { name: "config", path: "/config" },
                                { share: "media", path: "/media" },
                                { hostPath: "/etc/localtime", path: "/etc/localtime" },
                                { hostPath: "/srv/jellyfin/cache", path: "/cache", readOnly: false },
                            ],
                            extraHosts: ["nas.lan:192.168.1.5"],
                            labels: { "org.example.tier": "media" },
                            sysctls: { "net.ipv4.ip_unprivileged_port_start": "0" },
                            sidecars: [
                                {
                                    name: "exporter",
                                    image: "example/exporter:1.2.0",
                                    command: ["--listen", ":9100"],
                                    env: { TOKEN: new SecretValue("placeholder-token") },
                                    volumes: [{ name: "state", path: "/state" }, { hostPath: "/proc", path: "/host/proc" }],
                                    capabilities: { add: ["SYS_PTRACE"] },
                                },
                            ],
                        }),
                    )),
                    host,
                },
                { provider: host.provider },
            );
            const netdata = new App(
                "netdata",
                {
                    ...appArgs(resolveApp(
                        appConfig({
                            name: "netdata",
                            catalog: "generic",
                            image: "netdata/netdata:v2.1.0",
                            networkMode: "host",
                            command: ["-W", "set", "global", "hostname", "docker"],
                            entrypoint: ["/usr/sbin/run.sh"],
                            privileged: { reason: "reads every host counter for the homelab dashboard" },
                            dependsOn: ["jellyfin"],
                        }),
                    )),
                    host,
                    dependsOn: [jellyfin],
                },
                { provider: host.provider },
            );
            void netdata;
        }));
    });

    it("creates exactly the app's image, volumes, container and its sidecar's", () => {
        assert.deepStrictEqual(childrenOf(resources, one(resources, "homelab:index:App", "jellyfin").urn), [
            "docker:index/container:Container jellyfin",
            "docker:index/container:Container jellyfin-exporter",
            "docker:index/remoteImage:RemoteImage jellyfin",
            "docker:index/remoteImage:RemoteImage jellyfin-exporter",
            "docker:index/volume:Volume jellyfin-config",
            "docker:index/volume:Volume jellyfin-exporter-state",
        ]);
        assert.strictEqual(one(resources, "docker:index/volume:Volume", "jellyfin-exporter-state").inputs.name, "jellyfin-exporter-state");
    });

    it("gives the container each field as the provider's input", () => {
        const c = one(resources, "docker:index/container:Container", "jellyfin").inputs;
        assert.strictEqual(c.user, "1000:1000");
        assert.deepStrictEqual(c.devices, [{ hostPath: "/dev/dri/renderD128", containerPath: "/dev/dri/renderD128", permissions: "rwm" }]);
        assert.deepStrictEqual(c.capabilities, { adds: [], drops: ["CAP_NET_RAW"] });
        assert.strictEqual(c.memory, 2048);
        assert.strictEqual(c.cpus, "2");
        assert.strictEqual(c.shmSize, 256);
        assert.deepStrictEqual(c.hosts, [{ host: "nas.lan", ip: "192.168.1.5" }]);
        assert.deepStrictEqual(c.labels, [{ label: "org.example.tier", value: "media" }]);
        assert.deepStrictEqual(c.sysctls, { "net.ipv4.ip_unprivileged_port_start": "0" });
        assert.deepStrictEqual((c.networksAdvanced as Raw[]).map((n) => n.name), ["apps"]);
        assert.strictEqual(c.privileged, undefined);
        assert.strictEqual(c.networkMode, undefined);
    });

    it("mounts host paths read-only unless asked, beside volumes and shares", () => {
        const c = one(resources, "docker:index/container:Container", "jellyfin").inputs;
        assert.deepStrictEqual(c.volumes, [
            { volumeName: "jellyfin-config", containerPath: "/config" },
            { hostPath: "/mnt/media", containerPath: "/media", readOnly: false },
            { hostPath: "/etc/localtime", containerPath: "/etc/localtime", readOnly: true },
            { hostPath: "/srv/jellyfin/cache", containerPath: "/cache", readOnly: false },
        ]);
    });

    it("runs the sidecar on the app's networks, after the app, with its own fields and secret env", () => {
        const s = one(resources, "docker:index/container:Container", "jellyfin-exporter");
        assert.strictEqual(s.inputs.name, "jellyfin-exporter");
        assert.deepStrictEqual(s.inputs.command, ["--listen", ":9100"]);
        assert.deepStrictEqual(s.inputs.capabilities, { adds: ["CAP_SYS_PTRACE"], drops: [] });
        assert.deepStrictEqual((s.inputs.networksAdvanced as Raw[]).map((n) => n.name), ["apps"]);
        assert.deepStrictEqual(s.inputs.ports, []);
        assert.deepStrictEqual(s.inputs.volumes, [
            { volumeName: "jellyfin-exporter-state", containerPath: "/state" },
            { hostPath: "/proc", containerPath: "/host/proc", readOnly: true },
        ]);
        assert.deepStrictEqual(s.secretPaths, ["envs"]);
        assert.ok(!JSON.stringify(s.inputs).includes("placeholder-token"));
        assert.ok(s.dependsOn.includes(one(resources, "docker:index/container:Container", "jellyfin").urn), s.dependsOn.join(", "));
        assert.strictEqual(one(resources, "docker:index/remoteImage:RemoteImage", "jellyfin-exporter").inputs.name, "example/exporter:1.2.0");
    });

    it("runs a host-network app privileged (with its reason) and with its command, after the app it depends on", () => {
        const c = one(resources, "docker:index/container:Container", "netdata");
        assert.strictEqual(c.inputs.networkMode, "host");
        assert.strictEqual(c.inputs.networksAdvanced, undefined);
        assert.deepStrictEqual(c.inputs.ports, []);
        assert.strictEqual(c.inputs.privileged, true);
        assert.deepStrictEqual(c.inputs.command, ["-W", "set", "global", "hostname", "docker"]);
        assert.deepStrictEqual(c.inputs.entrypoints, ["/usr/sbin/run.sh"]);
        // Waiting for the App component waits for every resource in it.
        for (const child of ["container:Container::jellyfin", "container:Container::jellyfin-exporter"]) {
            assert.ok(c.dependsOn.some((u) => u.endsWith(child)), `${child} in ${c.dependsOn.join(", ")}`);
        }
    });
});

describe("App refuses bad container fields before registering", () => {
    const cases: [string, Record<string, unknown>, string][] = [
        ["privileged without a reason", { privileged: true }, "app 'x': privileged: a privileged container gets every device and capability of the Docker host: list what it needs in devices and capabilities instead, or allow it with privileged: { reason: <why those are not enough> }"],
        ["host network with ports", { networkMode: "host", ports: [{ host: 8080, container: 80 }] }, "app 'x': networkMode: an app on the host's network uses the host's ports directly and Docker publishes nothing: remove ports, or the host network"],
        ["a host path with ..", { volumes: [{ hostPath: "/srv/../etc", path: "/x" }] }, "app 'x': volumes[0].hostPath: '/srv/../etc' is not a plain absolute path of the Docker host: use one such as /srv/app/config (no '..', spaces or ':')"],
        ["a relative host path", { volumes: [{ hostPath: "data", path: "/x" }] }, "app 'x': volumes[0].hostPath: 'data' is not a plain absolute path of the Docker host: use one such as /srv/app/config (no '..', spaces or ':')"],
        ["a sidecar's device outside /dev", { sidecars: [{ name: "s", image: "a/s:1", devices: ["/tmp/x"] }] }, "app 'x': sidecars[0].devices[0]: '/tmp/x' is not a device: use a path under /dev, optionally with the path in the container and permissions (/dev/dri, /dev/ttyUSB0:/dev/zigbee, /dev/sda:/dev/xvda:r)"],
        ["two sidecars of one name", { sidecars: [{ name: "s", image: "a/s:1" }, { name: "s", image: "a/s:1" }] }, "app 'x': sidecars[1].name: another sidecar is named 's': give each its own name"],
        ["a sidecar on the host network alone", { sidecars: [{ name: "s", image: "a/s:1", networkMode: "host" }] }, "app 'x': sidecars[0].networkMode: a sidecar runs on its app's networks: set networkMode on the app, or run it as an app of its own"],
    ];
    for (const [what, extra, message] of cases) {
        it(`refuses ${what}`, () => {
            assert.throws(() => resolveApp(appConfig({ name: "x", catalog: "generic", image: "a/b:1", ...extra })), { message });
        });
    }
});

describe("appOrder", () => {
    it("orders each app after the apps it depends on, else in config order", () => {
        const { order, issues } = appOrder([
            { name: "web", host: "a", dependsOn: ["api"] },
            { name: "api", host: "a", dependsOn: ["cache"] },
            { name: "cache", host: "a" },
            { name: "other", host: "b" },
        ]);
        assert.deepStrictEqual(order, ["cache", "api", "web", "other"]);
        assert.deepStrictEqual(issues, []);
    });

    it("reports unknown apps, apps of other hosts, itself and cycles", () => {
        const { issues } = appOrder([
            { name: "a", host: "h1", dependsOn: ["b", "nope", "c", "a"] },
            { name: "b", host: "h1", dependsOn: ["a"] },
            { name: "c", host: "h2" },
        ]);
        assert.deepStrictEqual(issues, [
            { index: 0, field: "dependsOn[1]", message: "unknown app 'nope': use the name of an app of the same Docker host" },
            { index: 0, field: "dependsOn[2]", message: "'c' runs on Docker host 'h2', not on 'h1': an app can only wait for apps of its own host" },
            { index: 0, field: "dependsOn[3]", message: "an app cannot depend on itself: remove it" },
            { index: 0, field: "dependsOn", message: "the apps wait for each other in a cycle (a -> b -> a): remove one of these dependencies" },
        ]);
    });
});
