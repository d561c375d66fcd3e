// The package build, on any OS: compile components/ and stacks/ to dist/, then copy every
// script and template a component ships (the files beside it that are not TypeScript) to the
// same place under dist/, where the compiled component looks for them.
import { spawnSync } from "node:child_process";
import { cpSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
let tsc;
try {
    tsc = createRequire(join(root, "package.json")).resolve("typescript/bin/tsc");
} catch {
    console.error("homelab build: TypeScript is not installed: run `npm ci` (or `npm install`) in the package first; it is a dev dependency.");
    process.exit(1);
}
const r = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
if (r.status !== 0) {
    process.exit(r.status ?? 1);
}
let copied = 0;
for (const dir of readdirSync(join(root, "components"), { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const file of readdirSync(join(root, "components", dir.name)).filter((f) => !f.endsWith(".ts"))) {
        cpSync(join(root, "components", dir.name, file), join(root, "dist", "components", dir.name, file), { recursive: true });
        copied++;
    }
}
console.log(`homelab build: dist/ compiled, ${copied} component files copied`);
