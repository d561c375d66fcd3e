// The lab's local DNS records, checked by the real dnsmasq (--test) and served by it on loopback,
// asked with the real dig.
import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderLocalDns } from "../components/localDns";
import { requireTools, run } from "./helpers/exec";

const records = [
    { name: "portainer.thehomelab.site", ipv4: "192.168.1.4" },
    { name: "nextcloud.thehomelab.site", ipv4: "192.168.1.4", ipv6: "2001:db8:1::4" },
    { name: "nas.thehomelab.site", ipv4: "192.168.1.5" },
];

describe("local DNS records (dnsmasq)", function () {
    this.timeout(30_000);

    it("renders one host-record per name, sorted", () => {
        assert.equal(
            renderLocalDns(records),
            [
                "# Rendered by homelab (components/localDns.ts): the lab's own names, private apps included.",
                "host-record=nas.thehomelab.site,192.168.1.5",
                "host-record=nextcloud.thehomelab.site,192.168.1.4,2001:db8:1::4",
                "host-record=portainer.thehomelab.site,192.168.1.4",
                "",
            ].join("\n"),
        );
        assert.equal(renderLocalDns([...records].reverse()), renderLocalDns(records));
    });

    for (const [what, bad, message] of [
        ["an upper-case name", [{ name: "Nas.lab.site", ipv4: "192.168.1.5" }], 'renderLocalDns: records[0].name "Nas.lab.site" is not a lower-case DNS name'],
        ["a name that would start a new option", [{ name: "a.lab.site\naddress=/#/6.6.6.6", ipv4: "192.168.1.5" }], 'renderLocalDns: records[0].name "a.lab.site\naddress=/#/6.6.6.6" is not a lower-case DNS name'],
        ["a name twice", [records[0], records[0]], 'renderLocalDns: records[1].name "portainer.thehomelab.site" is given twice'],
        ["an IPv6 address as IPv4", [{ name: "a.lab.site", ipv4: "::1" }], 'renderLocalDns: records[0].ipv4 "::1" is not an IPv4 address'],
        ["an IPv4 address as IPv6", [{ name: "a.lab.site", ipv4: "192.168.1.5", ipv6: "192.168.1.5" }], 'renderLocalDns: records[0].ipv6 "192.168.1.5" is not an IPv6 address'],
    ] as [string, { name: string; ipv4: string; ipv6?: string }[], string][]) {
        it(`refuses ${what}`, () => assert.throws(() => renderLocalDns(bad), { message }));
    }

    describe("with the real dnsmasq", () => {
        let dir = "";
        let conf = "";
        let server: ChildProcess | undefined;
        const port = 15353 + (process.pid % 1000);

        before(() => {
            requireTools("dnsmasq", "dig");
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-dnsmasq-"));
            conf = path.join(dir, "02-homelab.conf");
            fs.writeFileSync(conf, renderLocalDns(records));
        });
        after(() => {
            if (server?.pid !== undefined && server.exitCode === null) process.kill(server.pid, "SIGTERM");
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        });

        it("accepts the file (dnsmasq --test), and refuses a broken one", () => {
            const ok = run("dnsmasq", ["--test", `--conf-file=${conf}`]);
            assert.equal(ok.status, 0, ok.stderr);
            assert.match(ok.stderr + ok.stdout, /syntax check OK/);
            const broken = path.join(dir, "broken.conf");
            fs.writeFileSync(broken, renderLocalDns(records).replace("host-record=nas", "host-recrd=nas"));
            const bad = run("dnsmasq", ["--test", `--conf-file=${broken}`]);
            assert.notEqual(bad.status, 0);
            assert.match(bad.stderr, /bad option/);
        });

        it("answers the names from the file on 127.0.0.1, and nothing else", async () => {
            server = spawn("dnsmasq", [
                "--keep-in-foreground", `--conf-file=${conf}`, `--port=${port}`, "--listen-address=127.0.0.1", "--bind-interfaces",
                "--no-resolv", "--no-hosts", `--pid-file=${path.join(dir, "dnsmasq.pid")}`, "--user=root",
            ], { stdio: "ignore" });
            const dig = (...a: string[]) => run("dig", ["@127.0.0.1", "-p", String(port), "+short", "+tries=1", "+time=1", ...a]).stdout.trim();
            const deadline = Date.now() + 5_000;
            while (dig("nas.thehomelab.site") === "" && Date.now() < deadline) {
                await new Promise((r) => setTimeout(r, 100));
            }
            assert.equal(dig("nas.thehomelab.site"), "192.168.1.5");
            assert.equal(dig("nextcloud.thehomelab.site"), "192.168.1.4");
            assert.equal(dig("AAAA", "nextcloud.thehomelab.site"), "2001:db8:1::4");
            assert.equal(dig("portainer.thehomelab.site"), "192.168.1.4");
            assert.equal(dig("-x", "192.168.1.5"), "nas.thehomelab.site.");
            assert.equal(dig("heimdall.thehomelab.site"), "", "a name not in the file is not answered");
        });
    });
});
