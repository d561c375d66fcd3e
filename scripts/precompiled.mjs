// Runs a script of scripts/ (`plan`) from JavaScript compiled once and cached, so that tsx is not
// in the hot path: under tsx every module the plan loads, @pulumi/pulumi's hundreds included,
// goes through tsx's loader.
//
//   node scripts/precompiled.mjs plan [ARGS]     # what `npm run plan` runs
//
// The cache is node_modules/.cache/homelab-scripts/<script>/ (gone with node_modules, so a fresh
// `npm ci` starts clean; HOMELAB_SCRIPTS_CACHE names another directory). Its manifest.json lists every file the build was made from (each
// TypeScript module reached from scripts/<script>.ts, and the files beside the components that
// they read at run time) with its SHA-256; the build is used only while every one of them is
// unchanged, else it is made again. A module newly imported is imported by an edited one, so the
// manifest always notices it. Each module is transpiled on its own (TypeScript's transpileModule,
// no type check: `npm run typecheck` and `npm test` check types), which takes a second or two.
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "package.json"));
/** Bump when the build's layout changes, so that an old cache is not used. */
const layout = 1;

const sha = (file) => createHash("sha256").update(readFileSync(file)).digest("hex");
const posix = (p) => p.split(sep).join("/");

/** The cached build of `script` when every file it was made from is unchanged, else undefined. */
function upToDate(dir) {
    try {
        const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
        if (manifest.layout !== layout) {
            return false;
        }
        return Object.entries(manifest.files).every(([rel, hash]) => existsSync(join(root, rel)) && sha(join(root, rel)) === hash);
    } catch {
        return false;
    }
}

/** The TypeScript file a relative require of `from` names, or undefined (a JSON file or a package). */
function resolveTs(from, spec) {
    const base = resolve(dirname(from), spec);
    return [`${base}.ts`, join(base, "index.ts")].find((f) => existsSync(f));
}

/** Transpiles every module reached from scripts/<script>.ts into `out`; returns the manifest. */
function build(script, out) {
    let ts;
    try {
        ts = require("typescript");
    } catch {
        throw new Error("TypeScript is not installed: run `npm ci` (or `npm install`) first; it is a dev dependency.");
    }
    const { options } = ts.convertCompilerOptionsFromJson(JSON.parse(readFileSync(join(root, "tsconfig.json"), "utf8")).compilerOptions, root);
    const compilerOptions = { ...options, declaration: false, sourceMap: false, noEmit: false };
    const files = {};
    const queue = [join(root, "scripts", `${script}.ts`)];
    while (queue.length > 0) {
        const file = queue.pop();
        const rel = posix(relative(root, file));
        if (files[rel] !== undefined) {
            continue;
        }
        const source = readFileSync(file, "utf8");
        files[rel] = createHash("sha256").update(source).digest("hex");
        const js = ts.transpileModule(source, { compilerOptions, fileName: file }).outputText;
        const target = join(out, rel.replace(/\.ts$/, ".js"));
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, js);
        // Relative requires (imports and `import()` compile to them): the modules it loads.
        for (const [, spec] of js.matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)) {
            const next = resolveTs(file, spec);
            if (next !== undefined) {
                queue.push(next);
            } else if (spec.endsWith(".json")) {
                const json = resolve(dirname(file), spec);
                files[posix(relative(root, json))] = sha(json);
                cpSync(json, join(out, relative(root, json)));
            }
        }
    }
    // What the components read beside themselves at run time (scripts, templates, schemas).
    const copy = (dir) => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
            const path = join(dir, entry.name);
            if (entry.isDirectory()) {
                copy(path);
            } else if (!entry.name.endsWith(".ts")) {
                const rel = posix(relative(root, path));
                files[rel] = sha(path);
                mkdirSync(dirname(join(out, rel)), { recursive: true });
                cpSync(path, join(out, rel));
            }
        }
    };
    for (const entry of readdirSync(join(root, "components"), { withFileTypes: true }).filter((d) => d.isDirectory())) {
        copy(join(root, "components", entry.name));
    }
    files["tsconfig.json"] = sha(join(root, "tsconfig.json"));
    return { layout, typescript: ts.version, files };
}

/** The directory of an up-to-date build of `script`, building it when needed. */
export function compiled(script) {
    const cache = process.env.HOMELAB_SCRIPTS_CACHE ?? join(root, "node_modules", ".cache", "homelab-scripts");
    const dir = join(cache, script);
    if (upToDate(dir)) {
        return dir;
    }
    // Built aside and renamed into place: a run in parallel never sees half a build.
    const tmp = join(cache, `${script}.${process.pid}.tmp`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const manifest = build(script, tmp);
    if (relative(root, cache).startsWith("..")) {
        // A cache outside the package: the packages are found through a link to its node_modules.
        symlinkSync(join(root, "node_modules"), join(tmp, "node_modules"), "dir");
    }
    writeFileSync(join(tmp, "manifest.json"), `${JSON.stringify(manifest, null, 1)}\n`);
    const old = join(cache, `${script}.${process.pid}.old`);
    if (existsSync(dir)) {
        renameSync(dir, old);
    }
    renameSync(tmp, dir);
    rmSync(old, { recursive: true, force: true });
    return dir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
    const [script, ...args] = process.argv.slice(2);
    if (!/^[a-z][A-Za-z0-9]*$/.test(script ?? "") || !existsSync(join(root, "scripts", `${script}.ts`))) {
        console.error(`precompiled: usage: node scripts/precompiled.mjs SCRIPT [ARGS], SCRIPT one of scripts/*.ts (e.g. plan)`);
        process.exit(2);
    }
    let dir;
    try {
        dir = compiled(script);
    } catch (e) {
        console.error(`precompiled: ${e.message}`);
        process.exit(1);
    }
    // The script sees its own arguments, as under tsx.
    process.argv = [process.argv[0], join(dir, "scripts", `${script}.js`), ...args];
    const { cli } = require(join(dir, "scripts", `${script}.js`));
    if (typeof cli !== "function") {
        console.error(`precompiled: scripts/${script}.ts exports no cli() to run`);
        process.exit(2);
    }
    cli();
}
