import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runOk } from "./exec";

/**
 * Where built Debian root filesystems (and other slow-to-build test fixtures) are cached between
 * runs. Outside the repository on purpose: a clean checkout must not carry them, and a second
 * run on the same machine must not pay for them again.
 */
export const cacheDir = process.env.HOMELAB_TEST_CACHE ?? path.join(os.homedir(), ".cache", "homelab-test");

const mirror = process.env.HOMELAB_DEBIAN_MIRROR ?? "http://deb.debian.org/debian";

/**
 * Returns a tarball of a Debian bookworm root filesystem (debootstrap minbase) with `packages`
 * installed, building it on first use and caching it under `cacheDir` keyed by the package list.
 */
export function debianTarball(packages: string[]): string {
    const key = crypto.createHash("sha256").update(["bookworm", ...[...packages].sort()].join(" ")).digest("hex").slice(0, 12);
    const tarball = path.join(cacheDir, `bookworm-${key}.tar`);
    if (fs.existsSync(tarball)) {
        return tarball;
    }
    fs.mkdirSync(cacheDir, { recursive: true });
    const root = fs.mkdtempSync(path.join(cacheDir, "build-"));
    try {
        runOk("debootstrap", ["--variant=minbase", "bookworm", root, mirror], { timeoutMs: 600_000 });
        if (packages.length > 0) {
            installInRoot(root, packages);
        }
        packRoot(root, tarball);
        return tarball;
    } finally {
        fs.rmSync(root, { recursive: true, force: true });
    }
}

/**
 * A tarball of the cached `base` root filesystem with `extra` packages installed on top, built once
 * and cached like `debianTarball`. The base keeps its kernel: a guest booted with the base's
 * kernel (helpers/nasGuest.ts guestKernel) finds its modules in the derived root too.
 */
export function derivedTarball(base: string[], extra: string[]): string {
    const baseTarball = debianTarball(base);
    const key = crypto.createHash("sha256").update([path.basename(baseTarball), "+", ...[...extra].sort()].join(" ")).digest("hex").slice(0, 12);
    const tarball = path.join(cacheDir, `bookworm-${key}.tar`);
    if (fs.existsSync(tarball)) {
        return tarball;
    }
    const root = fs.mkdtempSync(path.join(cacheDir, "build-"));
    try {
        runOk("tar", ["-C", root, "-xf", baseTarball], { timeoutMs: 600_000 });
        installInRoot(root, extra);
        packRoot(root, tarball);
        return tarball;
    } finally {
        fs.rmSync(root, { recursive: true, force: true });
    }
}

/** Writes the root filesystem at `root` to `tarball`, whole or not at all. */
function packRoot(root: string, tarball: string): void {
    // mkdtemp made the build root 0700; as `/` of a guest it must be world-readable.
    fs.chmodSync(root, 0o755);
    const tmp = `${tarball}.tmp`;
    runOk("tar", ["-C", root, "-cf", tmp, "."], { timeoutMs: 600_000 });
    fs.renameSync(tmp, tarball);
}

/** Installs `packages` with apt in the root filesystem at `root`, starting no service. */
function installInRoot(root: string, packages: string[]): void {
    // Package install scripts must not start services in the build root.
    fs.writeFileSync(path.join(root, "usr/sbin/policy-rc.d"), "#!/bin/sh\nexit 101\n", { mode: 0o755 });
    const mounts = ["proc", "sys", "dev"];
    for (const m of mounts) {
        runOk("mount", ["--bind", `/${m}`, path.join(root, m)]);
    }
    try {
        runOk("chroot", [root, "apt-get", "update", "-qq"], { timeoutMs: 600_000 });
        runOk("chroot", [root, "apt-get", "install", "-y", "-qq", "--no-install-recommends", ...packages], {
            timeoutMs: 900_000,
            env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
        });
        runOk("chroot", [root, "apt-get", "clean"]);
    } finally {
        for (const m of mounts.reverse()) {
            runOk("umount", ["-l", path.join(root, m)]);
        }
        fs.rmSync(path.join(root, "usr/sbin/policy-rc.d"), { force: true });
    }
}

/** Extracts a fresh copy of the cached root filesystem with `packages` into a new temporary directory. */
export function debianRoot(packages: string[]): string {
    const tarball = debianTarball(packages);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-root-"));
    runOk("tar", ["-C", root, "-xf", tarball], { timeoutMs: 600_000 });
    return root;
}

/** A package built by {@link localAptRepo}: a name and the files it installs (path: content). */
export interface LocalPackage {
    name: string;
    files?: Record<string, string>;
}

/**
 * Builds an apt repository of `packages` (made here with dpkg-deb) at `<root>/srv/repo` and makes
 * it the root's only source: a guest with no network installs from it.
 */
export function localAptRepo(root: string, packages: LocalPackage[]): void {
    const repo = path.join(root, "srv", "repo");
    fs.mkdirSync(repo, { recursive: true });
    for (const p of packages) {
        const pkg = path.join(root, "tmp", p.name);
        fs.mkdirSync(path.join(pkg, "DEBIAN"), { recursive: true });
        for (const [file, content] of Object.entries(p.files ?? { [`/usr/share/${p.name}/hello`]: "hello\n" })) {
            fs.mkdirSync(path.dirname(path.join(pkg, file)), { recursive: true });
            fs.writeFileSync(path.join(pkg, file), content);
        }
        fs.writeFileSync(
            path.join(pkg, "DEBIAN", "control"),
            `Package: ${p.name}\nVersion: 1.0\nArchitecture: all\nMaintainer: homelab tests <tests@example.net>\nDescription: test package ${p.name}\n`,
        );
        runOk("dpkg-deb", ["--root-owner-group", "--build", pkg, path.join(repo, `${p.name}_1.0_all.deb`)]);
        fs.rmSync(pkg, { recursive: true });
    }
    const index = runOk("dpkg-scanpackages", ["--multiversion", "."], { cwd: repo }).stdout;
    fs.writeFileSync(path.join(repo, "Packages"), index);
    fs.rmSync(path.join(root, "etc", "apt", "sources.list.d"), { recursive: true, force: true });
    fs.mkdirSync(path.join(root, "etc", "apt", "sources.list.d"));
    fs.writeFileSync(path.join(root, "etc", "apt", "sources.list"), "deb [trusted=yes] file:/srv/repo ./\n");
}
