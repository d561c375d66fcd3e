// A Docker host's `provision`: the step in the graph (after Docker, before the Docker provider and
// so before every app), and the exact commands the component sends, run for real. An LXC host's
// command runs on the node, where `pct exec` (test/helpers/fake-pct.sh) runs the script in a Debian
// root under systemd-nspawn; a VM host's command runs in that root itself, as the VM's shell would.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DockerHost, DockerHostArgs } from "../components/dockerHost";
import { KnownProvisionArgs, renderProvisionSpec } from "../components/provision";
import { capture } from "../scripts/capture";
import { debianRoot, localAptRepo } from "./helpers/debian";
import { run } from "./helpers/exec";
import { dockerHostArgs, pve } from "./helpers/dockerHostArgs";
import { CapturedResource, captureRefusal, one, repoRoot } from "./helpers/mocks";

const provisioning: KnownProvisionArgs = {
    packages: ["homelab-hello"],
    files: [{ path: "/etc/homelab/role", content: "docker host\n", mode: "0600" }],
    run: ["echo ran >> /root/ran.log"],
};

const args = (over: Partial<DockerHostArgs> = {}) => dockerHostArgs({ cores: 2, memoryMb: 2048, provision: provisioning, ...over });

describe("DockerHost provision", function () {
    this.timeout(900_000);
    let resources: CapturedResource[];
    before(async () => {
        ({ resources } = await capture(
            () => {
                new DockerHost("docker", args(), pve());
                new DockerHost("isolated", args({ kind: "vm", vmId: 110, ipv4: "192.168.1.20/24", imageId: "local:iso/debian-12-genericcloud-amd64.img" }), pve());
                new DockerHost("plain", args({ vmId: 120, ipv4: "192.168.1.21/24", provision: { packages: [], files: [], run: [] } }), pve());
            },
            { stack: "test", config: {}, preview: false },
        ));
    });

    describe("in the graph", () => {
        it("runs after Docker's set-up, with the spec on stdin, and the Docker provider waits for it", () => {
            for (const [host, os_] of [["docker", "debian"], ["isolated", "debian"]]) {
                const step = one(resources, "command:remote:Command", `${host}-provision`);
                assert.deepStrictEqual(step.dependsOn, [one(resources, "command:remote:Command", `${host}-docker`).urn], host);
                assert.strictEqual(step.inputs.stdin, renderProvisionSpec(os_ as "debian", provisioning), host);
                assert.ok(one(resources, "pulumi:providers:docker", host).dependsOn.includes(step.urn), host);
            }
        });

        it("runs an LXC host's inside it from the node (pct exec), a VM host's in the VM", () => {
            const step = (host: string, what: string) => one(resources, "command:remote:Command", `${host}-${what}`);
            assert.match(step("docker", "provision").inputs.create as string, /^pct exec 101 -- bash -c /);
            assert.match(step("isolated", "provision").inputs.create as string, /^f=\$\(mktemp\) && cat > "\$f" <<'HOMELAB_SCRIPT'\n#!\/bin\/sh\n# Sets up an LXC guest from inside/);
            for (const host of ["docker", "isolated"]) {
                // The connection is a secret (it holds the key), as for Docker's set-up.
                assert.deepStrictEqual(step(host, "provision").secretPaths, ["connection"], host);
                assert.deepStrictEqual(step(host, "docker").secretPaths, ["connection"], host);
            }
        });

        it("makes no step for an empty provisioning", () => {
            assert.ok(!resources.some((r) => r.name === "plain-provision"));
        });

        it("refuses a bad provisioning before anything is registered, naming the field", async () => {
            const { error, registered } = await captureRefusal(() => new DockerHost("docker", args({ provision: { packages: ["Bad_Name"] } }), pve()));
            assert.match(error?.message ?? "", /^DockerHost docker: provision\.packages\[0\]: /);
            // Only the stack and the test's own provider: neither the component nor a child.
            assert.deepStrictEqual(registered, ["pulumi:pulumi:Stack homelab-test", "pulumi:providers:proxmoxve pve"]);
        });
    });

    describe("run for real (Debian root under systemd-nspawn)", () => {
        let root: string;
        let nodeDir: string;
        before(function () {
            root = debianRoot([]);
            localAptRepo(root, [{ name: "homelab-hello" }]);
            nodeDir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-node-"));
            fs.mkdirSync(path.join(nodeDir, "bin"));
            fs.copyFileSync(path.join(repoRoot, "test", "helpers", "fake-pct.sh"), path.join(nodeDir, "bin", "pct"));
            fs.chmodSync(path.join(nodeDir, "bin", "pct"), 0o755);
        });
        after(() => {
            for (const d of [root, nodeDir]) {
                if (d) {
                    fs.rmSync(d, { recursive: true, force: true });
                }
            }
        });

        const create = (host: string) => (one(resources, "command:remote:Command", `${host}-provision`).inputs as { create: string }).create;
        const spec = renderProvisionSpec("debian", provisioning);
        /** The LXC host's command, run by the node's shell: `pct exec` runs the script in the root. */
        const onNode = () =>
            run("bash", ["-c", create("docker")], { input: spec, timeoutMs: 300_000, env: { ...process.env, PATH: `${nodeDir}/bin:${process.env.PATH}`, PCT_DIR: nodeDir, PCT_ROOT: root } });
        /** The VM host's command, run by the guest's own shell. */
        const inVm = () =>
            run("systemd-nspawn", ["-q", "--register=no", "--keep-unit", "--private-network", "--console=pipe", "-D", root, "bash", "-c", create("isolated")], { input: spec, timeoutMs: 300_000 });

        it("an LXC host's command installs the package, writes the file and runs the command; a second run changes nothing", () => {
            const first = onNode();
            assert.strictEqual(first.status, 0, first.stderr);
            assert.match(first.stdout, /^homelab-provision: changed=yes$/m);
            assert.match(fs.readFileSync(path.join(nodeDir, "calls"), "utf8"), /^pct exec 101 -- bash -c /m);
            assert.match(fs.readFileSync(path.join(root, "var/lib/dpkg/status"), "utf8"), /^Package: homelab-hello\nStatus: install ok installed$/m);
            assert.strictEqual(fs.readFileSync(path.join(root, "etc/homelab/role"), "utf8"), "docker host\n");
            assert.strictEqual(fs.statSync(path.join(root, "etc/homelab/role")).mode & 0o7777, 0o600);
            assert.strictEqual(fs.readFileSync(path.join(root, "root/ran.log"), "utf8"), "ran\n");
            const second = onNode();
            assert.strictEqual(second.status, 0, second.stderr);
            assert.match(second.stdout, /^homelab-provision: changed=no$/m);
            assert.strictEqual(fs.readFileSync(path.join(root, "root/ran.log"), "utf8"), "ran\n");
        });

        it("a VM host's command, run by the guest's shell, sees the same state and changes nothing", () => {
            const r = inVm();
            assert.strictEqual(r.status, 0, r.stderr);
            assert.match(r.stdout, /^homelab-provision: changed=no$/m);
            assert.strictEqual(fs.readFileSync(path.join(root, "root/ran.log"), "utf8"), "ran\n");
        });
    });
});
