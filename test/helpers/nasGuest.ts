import { spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { cacheDir, debianTarball } from "./debian";
import { runOk } from "./exec";

/**
 * QEMU guests for the NAS tests: a Debian bookworm system with mdadm and samba, booted under TCG
 * (KVM is not usable on the test machines) with data disks that carry stable serial numbers, so
 * that the guest sees them as /dev/disk/by-id/virtio-<serial> like the real NAS sees its SSDs.
 */

/** What the NAS guest needs installed; the rootfs with these is built once and cached. */
export const nasGuestPackages = [
    "linux-image-amd64",
    "initramfs-tools",
    "systemd-sysv",
    "udev",
    "mdadm",
    "kmod",
    "samba",
    "e2fsprogs",
    "util-linux",
];

/** Host programs the NAS guest tests run; a missing one fails the suite with this list. */
export const nasHostTools = ["qemu-system-x86_64", "debootstrap", "mke2fs", "mkfs.ext4", "sfdisk", "debugfs", "mdadm", "tar", "smbclient"];


export interface GuestBoot {
    kernel: string;
    initrd: string;
}

/** Kernel and initrd of the cached rootfs, extracted once next to it. */
export function guestKernel(): GuestBoot {
    const tarball = debianTarball(nasGuestPackages);
    const dir = path.join(cacheDir, `${path.basename(tarball, ".tar")}-boot`);
    if (!fs.existsSync(path.join(dir, "done"))) {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir, { recursive: true });
        runOk("tar", ["-C", dir, "-xf", tarball, "--wildcards", "./boot/vmlinuz-*", "./boot/initrd.img-*"]);
        fs.writeFileSync(path.join(dir, "done"), "");
    }
    const boot = path.join(dir, "boot");
    const find = (prefix: string) => {
        const f = fs.readdirSync(boot).find((n) => n.startsWith(prefix));
        if (!f) {
            throw new Error(`no ${prefix}* in ${boot}`);
        }
        return path.join(boot, f);
    };
    return { kernel: find("vmlinuz-"), initrd: find("initrd.img-") };
}

/** The unit that runs the driver once at boot and powers the guest off when it is done. */
const driverUnit = `[Unit]
Description=homelab NAS test driver
After=basic.target local-fs.target systemd-udev-settle.service
SuccessAction=poweroff-force
FailureAction=poweroff-force

[Service]
Type=oneshot
ExecStart=/opt/homelab/driver.sh
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=1800

[Install]
WantedBy=multi-user.target
`;

/**
 * Builds a fresh 2 GB root filesystem image at `image` from the cached rootfs, with `files`
 * (absolute guest path -> content, executable when the path ends in `.sh` or is listed in
 * `executables`) added, the driver
 * unit enabled, and a static address on the QEMU user network (10.0.2.15). `tarball` is the root
 * filesystem to start from: the NAS guest's, or one derived from it (helpers/debian.ts derivedTarball).
 */
export function buildRootImage(image: string, files: Record<string, string>, executables: string[] = [], tarball = debianTarball(nasGuestPackages)): void {
    const root = fs.mkdtempSync(path.join(path.dirname(image), "rootfs-"));
    try {
        runOk("tar", ["-C", root, "-xf", tarball], { timeoutMs: 300_000 });
        const put = (p: string, content: string, mode = 0o644) => {
            const target = path.join(root, p);
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.writeFileSync(target, content, { mode });
            fs.chmodSync(target, mode);
        };
        put("/etc/fstab", "LABEL=root / ext4 defaults 0 1\n");
        put("/etc/hostname", "nas\n");
        put("/etc/systemd/network/10-qemu.network", "[Match]\nName=en*\n\n[Network]\nAddress=10.0.2.15/24\nGateway=10.0.2.2\n");
        put("/etc/systemd/system/homelab-driver.service", driverUnit);
        // storage.sh rebuilds the initramfs when it changes mdadm.conf. With Debian's defaults
        // (every module, zstd) that takes minutes under TCG; only this test guest trims it. The
        // guest boots the cached host-side initrd anyway.
        put("/etc/initramfs-tools/conf.d/homelab-test.conf", "MODULES=dep\nCOMPRESS=gzip\n");
        const wants = path.join(root, "etc/systemd/system/multi-user.target.wants");
        fs.mkdirSync(wants, { recursive: true });
        fs.symlinkSync("/etc/systemd/system/homelab-driver.service", path.join(wants, "homelab-driver.service"));
        // The network is up at boot as on the real NAS: without it, Debian's nmbd (enabled by the
        // samba package) waits 90 s for an interface before failing, and smbd waits for nmbd.
        fs.symlinkSync("/lib/systemd/system/systemd-networkd.service", path.join(wants, "systemd-networkd.service"));
        const sockets = path.join(root, "etc/systemd/system/sockets.target.wants");
        fs.mkdirSync(sockets, { recursive: true });
        fs.symlinkSync("/lib/systemd/system/systemd-networkd.socket", path.join(sockets, "systemd-networkd.socket"));
        for (const [p, content] of Object.entries(files)) {
            put(p, content, p.endsWith(".sh") || executables.includes(p) ? 0o755 : 0o644);
        }
        fs.rmSync(image, { force: true });
        runOk("mke2fs", ["-q", "-t", "ext4", "-L", "root", "-d", root, image, "2G"], { timeoutMs: 300_000 });
    } finally {
        fs.rmSync(root, { recursive: true, force: true });
    }
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; QEMU binds it right after). */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

export interface BootArgs {
    boot: GuestBoot;
    root: string;
    /** Value of homelab.scenario= on the kernel command line. */
    scenario: string;
    /** Data disks: serial (guest sees /dev/disk/by-id/virtio-<serial>) -> raw image. */
    disks: Record<string, string>;
    /** Directory for the serial log, the result disk and the extracted results. */
    workDir: string;
    /** Forward 127.0.0.1:<port> on the host to the guest's port 445. Defaults to no network. */
    smbPort?: number;
    /** Kills the guest (by PID) after this long. */
    timeoutMs: number;
    /** Runs on the host once the guest prints `HOMELAB-READY` on its serial console. */
    whenReady?: () => Promise<void>;
    /**
     * Answers, one line each and in order, the lines the guest writes on its second serial port
     * (/dev/ttyS1, a Unix socket on the host). The guest waits for each answer, so the host can
     * look at the disk images while the guest does nothing.
     */
    onRequest?: (line: string) => Promise<string>;
}

export interface BootResult {
    /** The files the driver wrote, by name. */
    results: Map<string, string>;
    serialLog: string;
    seconds: number;
}

/** Boots the guest once, waits for it to power off (or kills it at the timeout), reads its results. */
export async function bootGuest(args: BootArgs): Promise<BootResult> {
    const tag = args.scenario;
    const serial = path.join(args.workDir, `${tag}.serial.log`);
    const resultDisk = path.join(args.workDir, `${tag}.results.img`);
    fs.writeFileSync(resultDisk, "");
    fs.truncateSync(resultDisk, 64 * 1024 * 1024);
    const drive = (id: string, file: string, serialNo: string) => [
        "-drive",
        `file=${file},format=raw,if=none,id=${id},cache=unsafe`,
        "-device",
        `virtio-blk-pci,drive=${id},serial=${serialNo}`,
    ];
    const qemuArgs = [
        // -nodefaults: no floppy or CD drive for the kernel to probe (and wait for) at boot.
        "-nodefaults", "-accel", "tcg", "-m", "1024", "-smp", "2",
        "-display", "none", "-monitor", "none", "-serial", `file:${serial}`, "-no-reboot",
        "-kernel", args.boot.kernel, "-initrd", args.boot.initrd,
        // By label: the order of virtio disks on the PCI bus decides which one is vda.
        "-append", `root=LABEL=root rw console=ttyS0 panic=-1 homelab.scenario=${args.scenario}`,
        "-drive", `file=${args.root},format=raw,if=virtio,cache=unsafe`,
        ...Object.entries(args.disks).flatMap(([serialNo, file], i) => drive(`d${i}`, file, serialNo)),
        ...drive("results", resultDisk, "results"),
        ...(args.smbPort
            ? ["-nic", `user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:${args.smbPort}-:445`]
            : ["-nic", "none"]),
    ];
    const control = args.onRequest ? await controlServer(path.join(args.workDir, `${tag}.control.sock`), args.onRequest) : undefined;
    if (control) {
        // QEMU connects to it at start as the guest's second serial port, ttyS1.
        qemuArgs.push("-chardev", `socket,id=control,path=${control.socketPath}`, "-serial", "chardev:control");
    }
    const started = Date.now();
    const qemu = spawn("qemu-system-x86_64", qemuArgs, { stdio: ["ignore", "ignore", "pipe"] });
    let qemuErr = "";
    qemu.stderr.on("data", (d) => (qemuErr += String(d)));
    const exited = new Promise<number | null>((resolve) => qemu.on("exit", (code) => resolve(code)));
    let done = false;
    void exited.then(() => (done = true));
    const killer = setTimeout(() => {
        if (qemu.pid !== undefined && !done) {
            process.kill(qemu.pid, "SIGKILL");
        }
    }, args.timeoutMs);
    try {
        if (args.whenReady) {
            while (!done && !readText(serial).includes("HOMELAB-READY")) {
                await new Promise((r) => setTimeout(r, 500));
            }
            if (!done) {
                await args.whenReady();
            }
        }
        const code = await exited;
        const seconds = (Date.now() - started) / 1000;
        const serialLog = readText(serial);
        if (code !== 0) {
            throw new Error(`qemu exited ${code} after ${seconds}s (killed at the timeout?)\n${qemuErr}\n${tail(serialLog)}`);
        }
        const dir = path.join(args.workDir, `${tag}.results`);
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir);
        try {
            runOk("tar", ["-C", dir, "-xf", resultDisk]);
        } catch (e) {
            throw new Error(`the guest wrote no results (${(e as Error).message})\n${tail(serialLog)}`);
        }
        const results = new Map<string, string>();
        for (const f of fs.readdirSync(dir)) {
            results.set(f, fs.readFileSync(path.join(dir, f), "utf8"));
        }
        return { results, serialLog, seconds };
    } finally {
        control?.close();
        clearTimeout(killer);
        if (!done && qemu.pid !== undefined) {
            process.kill(qemu.pid, "SIGKILL");
        }
    }
}

/**
 * A Unix socket server for one guest's control port: each line received is handed to `answer`,
 * one at a time in the order received, and its result written back as one line. An answer that
 * throws is written back as `error: <message>`, which the guest records.
 */
async function controlServer(socketPath: string, answer: (line: string) => Promise<string>) {
    fs.rmSync(socketPath, { force: true });
    const server = net.createServer((conn) => {
        let buffered = "";
        let queue = Promise.resolve();
        conn.on("data", (chunk) => {
            buffered += String(chunk);
            let nl: number;
            while ((nl = buffered.indexOf("\n")) >= 0) {
                const line = buffered.slice(0, nl).replace(/\r$/, "");
                buffered = buffered.slice(nl + 1);
                queue = queue.then(async () => {
                    let reply: string;
                    try {
                        reply = await answer(line);
                    } catch (e) {
                        reply = `error: ${(e as Error).message.split("\n")[0]}`;
                    }
                    conn.write(`${reply}\n`);
                });
            }
        });
        conn.on("error", () => undefined);
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(socketPath, resolve);
    });
    return { socketPath, close: () => server.close() };
}

function readText(file: string): string {
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
}

function tail(text: string): string {
    return `--- serial log (tail)\n${text.split("\n").slice(-60).join("\n")}`;
}

/**
 * A digest of a disk image's content: sha256 of a GNU tar --sparse archive of a sparse copy of it.
 * cp --sparse=always skips the image's holes (SEEK_DATA/SEEK_HOLE, so a sparse 128 GiB image takes
 * milliseconds) and leaves every all-zero block of the copy a hole, so the archive holds the map of
 * non-zero blocks and their bytes, whatever the image's own allocation (mke2fs leaves unwritten
 * extents, which SEEK_DATA reports as data once anything, even the guest's reads, cached them).
 */
export function diskDigest(file: string): string {
    const script = 'set -eo pipefail; copy=$(mktemp -p "$(dirname "$1")"); trap \'rm -f "$copy"\' EXIT; '
        + 'cp --sparse=always "$1" "$copy"; '
        + 'tar --sparse --hole-detection=seek --numeric-owner --owner=0 --group=0 --mtime=@0 --mode=0644 '
        + '--transform="s,.*,disk," -C "$(dirname "$copy")" -cf - "$(basename "$copy")" | sha256sum';
    return runOk("bash", ["-c", script, "digest", file], { timeoutMs: 120_000 }).stdout.split(" ")[0];
}
