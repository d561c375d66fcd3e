// `import { ProxmoxHost } from "homelab"` from another project: the built package resolves through
// its `exports` entry, exports every component, runs no program, and ships the scripts its
// components upload.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runOk } from "./helpers/exec";
import { repoRoot } from "./helpers/mocks";

describe("the homelab package", function () {
    this.timeout(180_000);

    it("builds, resolves as `homelab` and exports the components without creating anything", () => {
        runOk("npm", ["run", "build", "--silent"], { cwd: repoRoot, timeoutMs: 170_000 });
        const consumer = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-consumer-"));
        fs.mkdirSync(path.join(consumer, "node_modules"));
        fs.symlinkSync(repoRoot, path.join(consumer, "node_modules", "homelab"));
        // Every script and template a component reads from beside itself must ship in the package.
        const assets = fs
            .readdirSync(path.join(repoRoot, "components"), { withFileTypes: true })
            .filter((d) => d.isDirectory())
            .flatMap((d) => fs.readdirSync(path.join(repoRoot, "components", d.name)).filter((f) => /\.(sh|yaml)$/.test(f)).map((f) => `${d.name}/${f}`));
        assert.ok(assets.length >= 6, assets.join(" "));
        const probe = `
            const m = require("homelab");
            const fs = require("fs");
            const dir = require("path").dirname(require.resolve("homelab"));
            console.log(JSON.stringify({
                classes: Object.keys(m).filter((k) => typeof m[k] === "function" && /^[A-Z]/.test(k) && m[k].prototype && m[k].prototype.registerOutputs).sort(),
                assets: ${JSON.stringify(assets)}.filter((a) => !fs.existsSync(require("path").join(dir, a))),
            }));`;
        const out = JSON.parse(runOk("node", ["-e", probe], { cwd: consumer }).stdout);
        assert.deepStrictEqual(out.classes, ["App", "BackupJob", "CloudflareDns", "DockerHost", "Firewall", "Lab", "LxcContainer", "NasVm", "ProxmoxHost", "ReverseProxy", "ShareServer"]);
        assert.deepStrictEqual(out.assets, []);
    });
});
