import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderSmbConf } from "../components/nasVm/smbConf";
import { requireTools, run, runOk } from "./helpers/exec";
import {
    BootArgs,
    BootResult,
    bootGuest,
    buildRootImage,
    diskDigest,
    freePort,
    guestKernel,
    nasHostTools,
} from "./helpers/nasGuest";

/**
 * storage.sh and samba.sh, exactly as shipped, run by a test driver (helpers/nasDriver.sh) inside
 * a QEMU guest (the host kernel has no md driver). Five boots:
 *   0. "safety": disks with a past (a former RAID member, data between the blank check's
 *      samples), disks of different sizes, two runs at once, a wrong member path.
 *   1. "first": blank disks a+b, disk e holding an ext4 filesystem, disk p holding a partition
 *      table. Refusals, creation, a second run that changes nothing, a foreign array name.
 *   2. "reboot": same OS disk, disks a+b. The boot itself must assemble and mount the array;
 *      storage.sh then changes nothing; samba.sh installs shares and users, and the host talks
 *      to the guest's smbd with smbclient through a forwarded port.
 *   2b. "degradedboot": same OS disk, disk a only. Without storage.sh, the unit it installed
 *      must start the array degraded and mount it, and mdadm must mail about it.
 *   3. "degraded": a new OS disk (a re-created VM), disk a only, plus a blank disk c offered in
 *      place of the missing b. The array must be assembled degraded, never re-created.
 * Every data disk is digested before and after every boot, and before and after every
 * storage.sh run inside a boot (the guest waits while the host does it).
 */

const component = path.join(__dirname, "..", "components", "nasVm");
const read = (f: string) => fs.readFileSync(f, "utf8");
const mib = 1024 * 1024;
/**
 * Bound of one boot. A boot takes 1-3 minutes on an idle machine; TCG on a machine shared with
 * other work (2 cores, load 15+) was seen 10 times slower, so the bound is generous.
 */
const bootBoundMs = 20 * 60_000;
const gib = 1024 * mib;
/**
 * Where mdadm >= 4.1 puts the data of a new 1.2 array on a disk of 128 GiB or more (super1.c,
 * validate_geometry1: 128 MiB headroom + bitmap space + 6 KiB, rounded up to a MiB): 129 MiB,
 * just past the 128 MiB that storage.sh once sampled. Boot 1 checks it against the guest's mdadm.
 */
const mdDataOffset = 129 * mib;
/**
 * Where disk g's only data lies: a small filesystem between 4.5 and 5 MiB. storage.sh reads all
 * of a disk's first 4 MiB but only 128 KiB of each further MiB, so the disk looks blank; the new
 * array's own check reads all of the array's first 4 MiB, which on a disk this size are the
 * disk's bytes from mdadm's data offset (1 MiB) to 5 MiB. A filesystem signature cannot get this
 * far (every data offset this mdadm uses is probed on the disk itself): only data that the disk's
 * samples skip and the array's do not.
 */
const gapOffset = 4.5 * mib;

const users = [
    { name: "proxmox", password: "pw-proxmox-1", shares: ["backups"] },
    // A space in a password must survive the TAB-separated stdin contract.
    { name: "docker", password: "pw docker 2", shares: ["documents", "media"] },
];
const shareNames = ["backups", "documents", "media"];

function blankDisk(file: string, size = 128 * mib): void {
    fs.writeFileSync(file, "");
    fs.truncateSync(file, size);
}

/** A digest of every data disk of a boot, by serial. */
function digests(disks: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(disks).map(([serial, file]) => [serial, diskDigest(file)]));
}

/** The serials whose digest differs between two digests of the same disks. */
function differing(before: Record<string, string>, after: Record<string, string>): string[] {
    return Object.keys(before).filter((serial) => after[serial] !== before[serial]).sort();
}

interface DiffedBoot extends BootResult {
    /** Serials of the disks whose content changed in any way during the boot. */
    changed: string[];
    /**
     * Digests of every data disk taken while the guest waited, by label: the driver asks for
     * `<step>.before` and `<step>.after` around every storage.sh run (see checked in nasDriver.sh).
     */
    checkpoints: Map<string, Record<string, string>>;
}

/**
 * Boots the guest with digests of every data disk taken before and after the boot, and whenever
 * the driver asks for them (before and after every storage.sh run).
 */
async function bootAndDiff(args: BootArgs): Promise<DiffedBoot> {
    const before = digests(args.disks);
    const checkpoints = new Map<string, Record<string, string>>();
    const res = await bootGuest({
        ...args,
        onRequest: async (line) => {
            const label = /^digest (\S+)$/.exec(line)?.[1];
            if (!label || checkpoints.has(label)) {
                throw new Error(`unexpected request '${line}'`);
            }
            checkpoints.set(label, digests(args.disks));
            return "ok";
        },
    });
    return { ...res, changed: differing(before, digests(args.disks)), checkpoints };
}

/**
 * Asserts that the driver had every disk digested before and after each storage.sh run of the
 * boot (exactly the runs in `expected`), and that each run changed exactly the disks listed.
 */
function assertRunsChanged(res: DiffedBoot, expected: Record<string, string[]>): void {
    assert.strictEqual(res.results.get("checkpoint-errors"), undefined, res.results.get("checkpoint-errors"));
    const labels = [...res.checkpoints.keys()];
    assert.deepStrictEqual(labels, Object.keys(expected).flatMap((step) => [`${step}.before`, `${step}.after`]));
    const got = Object.fromEntries(
        Object.keys(expected).map((step) => [step, differing(res.checkpoints.get(`${step}.before`)!, res.checkpoints.get(`${step}.after`)!)]),
    );
    assert.deepStrictEqual(got, expected);
}

/** The last line of a storage.sh run, parsed into its key=value fields. */
function status(out: string | undefined): Record<string, string> {
    const line = (out ?? "").trim().split("\n").pop() ?? "";
    assert.match(line, /^homelab-storage: /, `no status line in:\n${out}`);
    return Object.fromEntries(
        line
            .replace(/^homelab-storage: /, "")
            .split(" ")
            .map((kv) => kv.split("=", 2) as [string, string]),
    );
}

/** Parses `KEY=value` lines (mdadm --export output). */
function exportVars(text: string | undefined): Record<string, string> {
    return Object.fromEntries(
        (text ?? "")
            .split("\n")
            .filter((l) => l.includes("="))
            .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
}

describe("NAS VM storage.sh and samba.sh in a QEMU guest", function () {
    // First run builds the Debian rootfs (about 2 minutes); boots are bounded one by one below.
    this.timeout(bootBoundMs + 5 * 60_000);

    let work: string;
    let boot: ReturnType<typeof guestKernel>;
    let rootImage: string;
    let pristineRoot: string;
    let safetyRoot: string;
    const disk: Record<string, string> = {};
    const hashBefore: Record<string, string> = {};

    before(function () {
        requireTools(...nasHostTools);
        work = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-nas-"));
        boot = guestKernel();
        const smbConf = renderSmbConf({
            shares: shareNames.map((name) => ({
                name,
                path: `/srv/data/${name}`,
                users: users.filter((u) => u.shares.includes(name)).map((u) => u.name),
            })),
        });
        rootImage = path.join(work, "root.img");
        buildRootImage(rootImage, {
            "/opt/homelab/driver.sh": read(path.join(__dirname, "helpers", "nasDriver.sh")),
            "/opt/homelab/storage.sh": read(path.join(component, "storage.sh")),
            "/opt/homelab/samba.sh": read(path.join(component, "samba.sh")),
            "/opt/homelab/smb.conf": smbConf,
            "/opt/homelab/users.tsv": users.map((u) => `${u.name}\t${u.password}\t${u.shares.join(",")}\n`).join(""),
            // Debian's mdadm mails through /usr/sbin/sendmail (its journal says "/usr/sbin/sendmail:
            // not found" without one); this stub keeps each mail.
            "/usr/sbin/sendmail": "#!/bin/sh\n{ cat; echo; } >>/var/log/homelab-mail\n",
        }, ["/usr/sbin/sendmail"]);
        // Boot 3 plays a re-created VM: a new OS disk, the same data disks. Boot 0 has its own.
        pristineRoot = path.join(work, "pristine-root.img");
        runOk("cp", ["--sparse=always", rootImage, pristineRoot]);
        safetyRoot = path.join(work, "safety-root.img");
        runOk("cp", ["--sparse=always", rootImage, safetyRoot]);
        // Boots 0 and 3 write mdadm.conf through storage.sh too. Their OS disks have no initrd (the
        // guest boots the host's copy of it), so storage.sh has none to refresh: under TCG that
        // rebuild takes minutes, and boot 1 shows it. debugfs edits the images unmounted.
        for (const image of [safetyRoot, pristineRoot]) {
            runOk("debugfs", ["-w", "-R", `rm /boot/${path.basename(boot.initrd)}`, image]);
            assert.doesNotMatch(runOk("debugfs", ["-R", "ls /boot", image]).stdout, /initrd\.img-/);
        }

        for (const d of ["a", "b", "c", "d", "e", "p"]) {
            disk[d] = path.join(work, `${d}.img`);
            blankDisk(disk[d]);
        }
        // x: a former member of an md RAID 1 (metadata 1.2, mdadm's defaults, on a 128 GiB disk)
        // whose first MiB was zeroed: only its ext4 at the array's data offset is left. y: blank,
        // the same size; s: blank, 130 GiB. m: scratch, for the guest's mdadm to show the offset it
        // really uses; t1, t2: scratch for a complete array.
        // g: data between the blank check's samples, h: its blank partner; w1, w2: blank, 64 and
        // 80 MiB, for an array of mismatched sizes.
        for (const [d, size] of [["x", 128 * gib], ["y", 128 * gib], ["s", 130 * gib], ["m", 128 * gib], ["t1", 64 * mib], ["t2", 64 * mib],
            ["g", 128 * mib], ["h", 128 * mib], ["w1", 64 * mib], ["w2", 80 * mib]] as const) {
            disk[d] = path.join(work, `${d}.img`);
            blankDisk(disk[d], size);
        }
        const oldFiles = path.join(work, "x-files");
        fs.mkdirSync(oldFiles);
        fs.writeFileSync(path.join(oldFiles, "photo-2019.txt"), "the only copy of a 2019 photo\n");
        runOk("mkfs.ext4", ["-q", "-F", "-L", "oldarray", "-E", `offset=${mdDataOffset},lazy_itable_init=1,lazy_journal_init=1`,
            "-d", oldFiles, disk.x, `${(128 * gib - mdDataOffset) / 1024}k`]);
        assert.strictEqual(run("blkid", ["-p", disk.x]).status, 2, "blkid -p must see nothing at the start of disk x");
        const gapFiles = path.join(work, "g-files");
        fs.mkdirSync(gapFiles);
        fs.writeFileSync(path.join(gapFiles, "notes.txt"), "notes kept on an old partition\n");
        runOk("mkfs.ext4", ["-q", "-F", "-b", "1024", "-O", "^has_journal", "-L", "gap", "-E", `offset=${gapOffset}`,
            "-d", gapFiles, disk.g, "512k"]);
        // e: somebody's existing disk with a file on it; p: a disk with a GPT and one partition.
        const files = path.join(work, "e-files");
        fs.mkdirSync(files);
        fs.writeFileSync(path.join(files, "precious.txt"), "grandma's recipes\n");
        runOk("mkfs.ext4", ["-q", "-F", "-L", "family", "-d", files, disk.e]);
        runOk("sfdisk", ["-q", disk.p], { input: "label: gpt\n,,L\n" });
        // d: an ext4 made at 40 MiB, well past the disk's first MiBs (a partition whose table was
        // zapped, or a disk "wiped" with a short dd): every signature scan of the disk sees nothing.
        const deep = path.join(work, "d-fs.img");
        blankDisk(deep, 16 * mib);
        runOk("mkfs.ext4", ["-q", "-F", "-L", "old", "-d", files, deep]);
        runOk("dd", [`if=${deep}`, `of=${disk.d}`, "bs=1M", "seek=40", "conv=notrunc", "status=none"]);
        assert.strictEqual(run("blkid", ["-p", disk.d]).status, 2, "blkid -p must see nothing on disk d");
        for (const d of ["c", "d", "e", "p", "x", "y", "s", "g", "h"]) {
            hashBefore[d] = diskDigest(disk[d]);
        }
    });

    after(function () {
        if (work && !process.env.HOMELAB_KEEP_TEST_DIR) {
            fs.rmSync(work, { recursive: true, force: true });
        }
    });

    describe("boot 0: disks with a past (a former RAID member), disks of different sizes, two runs at once, a wrong member path", function () {
        let r0: Map<string, string>;
        let changed0: string[];
        let boot0: DiffedBoot;

        before(async function () {
            this.timeout(bootBoundMs + 60_000);
            const res = await bootAndDiff({
                boot,
                root: safetyRoot,
                scenario: "safety",
                disks: {
                    "nas-x": disk.x, "nas-y": disk.y, "nas-s": disk.s, "nas-m": disk.m, "nas-t1": disk.t1, "nas-t2": disk.t2,
                    "nas-g": disk.g, "nas-h": disk.h, "nas-w1": disk.w1, "nas-w2": disk.w2,
                },
                workDir: work,
                timeoutMs: bootBoundMs,
            });
            console.log(`      (boot 0 took ${res.seconds}s)`);
            r0 = res.results;
            changed0 = res.changed;
            boot0 = res;
        });

        it("every storage.sh run changes no disk, but the one that makes an array of mismatched sizes (digests before and after each run)", function () {
            assertRunsChanged(boot0, {
                "reuse-blank-first": [],
                "reuse-old-first": [],
                "refuse-size": [],
                lock: [],
                mixed: ["nas-w1", "nas-w2"],
                gap: [],
                typo: [],
            });
        });

        it("the guest's mdadm puts a new 1.2 array's data on a 128 GiB disk where disk x's old filesystem is", function () {
            assert.match(r0.get("offset-examine") ?? "", new RegExp(`Data Offset : ${mdDataOffset / 512} sectors`), r0.get("offset-create"));
        });

        for (const [step, order] of [["reuse-blank-first", "blank disk first"], ["reuse-old-first", "former member first"]]) {
            it(`refuses a former md member whose first MiB was zeroed (${order}), naming its filesystem, and writes neither disk`, function () {
                assert.strictEqual(r0.get(`${step}.rc`)?.trim(), "2", `${r0.get(`${step}.err`)}\n${r0.get(`${step}.out`)}`);
                assert.strictEqual(status(r0.get(`${step}.out`)).state, "refused");
                const fsUuid = runOk("blkid", ["-p", "-O", String(mdDataOffset), "-s", "UUID", "-o", "value", disk.x]).stdout.trim();
                assert.match(
                    r0.get(`${step}.err`) ?? "",
                    new RegExp(`refusing: /dev/disk/by-id/virtio-nas-x \\(/dev/vd[a-z]\\) holds an ext4 filesystem \\(UUID ${fsUuid}, label "oldarray"\\) at 129 MiB into the disk`),
                );
                assert.doesNotMatch(r0.get(`${step}.err`) ?? "", /created md array|made an ext4/);
                assert.strictEqual(diskDigest(disk.x), hashBefore.x);
                assert.strictEqual(diskDigest(disk.y), hashBefore.y);
                assert.strictEqual(
                    runOk("debugfs", ["-R", "cat /photo-2019.txt", `${disk.x}?offset=${mdDataOffset}`]).stdout,
                    "the only copy of a 2019 photo\n",
                );
            });
        }

        it("refuses blank members whose sizes differ by more than 1%, saying what would be lost", function () {
            assert.strictEqual(r0.get("refuse-size.rc")?.trim(), "2", r0.get("refuse-size.err"));
            assert.match(
                r0.get("refuse-size.err") ?? "",
                /refusing: the members differ in size by more than 1% \(\/dev\/vd[a-z] 128\.0 GiB, \/dev\/vd[a-z] 130\.0 GiB\): the array would be at most 128\.0 GiB and leave 2048 MiB of the larger disk unused\. Use disks of the same size, or set allowSizeMismatch \(--allow-size-mismatch\) to accept it/,
            );
            assert.deepStrictEqual([status(r0.get("refuse-size.out")).state, status(r0.get("refuse-size.out")).size], ["refused", "-"]);
        });

        it("with allowSizeMismatch, makes an array of blank members 64 and 80 MiB, as large as the smaller, and says its usable size", function () {
            assert.strictEqual(r0.get("mixed.rc")?.trim(), "0", r0.get("mixed.err"));
            assert.match(
                r0.get("mixed.err") ?? "",
                /the members differ in size \(\/dev\/vd[a-z] 64 MiB, \/dev\/vd[a-z] 80 MiB\): the array will be at most 64 MiB, as allowed/,
            );
            const st = status(r0.get("mixed.out"));
            assert.deepStrictEqual([st.state, st.members], ["created", "2/2"]);
            // The host's mdadm reads the array size from the superblock the guest wrote (in KiB).
            const examined = runOk("mdadm", ["--examine", disk.w2]).stdout;
            const arrayKiB = Number(/Array Size : (\d+) KiB/.exec(examined)?.[1]);
            assert.ok(arrayKiB > 0, examined);
            assert.strictEqual(Number(st.size), arrayKiB * 1024, examined);
            assert.ok(Number(st.size) < 64 * mib && Number(st.size) > 60 * mib, st.size);
            assert.strictEqual(exportVars(r0.get("mixed-detail")).MD_UUID, st.uuid);
        });

        it("a new array that shows data its blank-looking members hid is stopped, and the members are put back byte for byte", function () {
            assert.strictEqual(r0.get("gap.rc")?.trim(), "2", `${r0.get("gap.err")}\n${r0.get("gap.out")}`);
            const err = r0.get("gap.err") ?? "";
            // Both disks passed the blank check: the array was made, then refused before mkfs.
            assert.match(err, /member \/dev\/disk\/by-id\/virtio-nas-g \(\/dev\/vd[a-z]\) holds nothing \(blank\)/);
            assert.match(err, /created md array 'gap'/);
            assert.match(
                err,
                /refusing: the new array 'gap' showed unknown data \(not all zero where an older use would show: see looks_unused in storage\.sh\), although every member looked blank: it was stopped and the first 4 MiB of \/dev\/vd[a-z] \/dev\/vd[a-z] put back as they were/,
            );
            assert.match(err, /the members are as they were before this run/);
            assert.doesNotMatch(err, /made an ext4/);
            assert.deepStrictEqual([status(r0.get("gap.out")).state, status(r0.get("gap.out")).changed], ["refused", "no"]);
            assert.doesNotMatch(r0.get("gap-arrays") ?? "", /^md\S* : /m, "an array is left running");
            assert.strictEqual(diskDigest(disk.g), hashBefore.g);
            assert.strictEqual(diskDigest(disk.h), hashBefore.h);
            assert.strictEqual(
                runOk("debugfs", ["-R", "cat /notes.txt", `${disk.g}?offset=${gapOffset}`]).stdout,
                "notes kept on an old partition\n",
            );
        });

        it("two runs at once: the second waits for the first's lock, then runs on its own", function () {
            assert.doesNotMatch(r0.get("lock-first.err") ?? "", /waiting/);
            assert.match(r0.get("lock-second.err") ?? "", /another storage\.sh run holds \/run\/homelab-storage\.lock: waiting for it to end/);
            assert.match(r0.get("lock-second.err") ?? "", /the other run ended: going on/);
            for (const step of ["lock-first", "lock-second"]) {
                assert.strictEqual(r0.get(`${step}.rc`)?.trim(), "2", r0.get(`${step}.err`));
                assert.strictEqual(status(r0.get(`${step}.out`)).state, "refused");
            }
        });

        it("a member path that does not exist while the array runs complete is a config error, said on stdout", function () {
            assert.strictEqual(r0.get("typo.rc")?.trim(), "64", `${r0.get("typo.err")}\n${r0.get("scratch-create")}`);
            assert.match(
                r0.get("typo.out") ?? "",
                /^homelab-storage: error: --member \/dev\/disk\/by-id\/virtio-nas-typo does not exist, while array 'scratch' \(\/dev\/md\d+\) runs on all its 2 disks without it: the member path is wrong\./m,
            );
            const st = status(r0.get("typo.out"));
            assert.deepStrictEqual([st.state, st.members], ["misconfigured", "2/2"]);
        });

        it("changes no disk but the scratch disks the driver itself made arrays on, and the mismatched pair", function () {
            assert.deepStrictEqual(changed0, ["nas-m", "nas-t1", "nas-t2", "nas-w1", "nas-w2"]);
        });
    });

    describe("boot 1: blank disks, a disk with ext4, a disk with a partition table, a disk with data deep inside", function () {
        let r: Map<string, string>;
        let created: Record<string, string>;
        let changed1: string[];
        let boot1: DiffedBoot;

        before(async function () {
            this.timeout(bootBoundMs + 60_000);
            const res = await bootAndDiff({
                boot,
                root: rootImage,
                scenario: "first",
                disks: { "nas-a": disk.a, "nas-b": disk.b, "nas-d": disk.d, "nas-e": disk.e, "nas-p": disk.p },
                workDir: work,
                timeoutMs: bootBoundMs,
            });
            console.log(`      (boot 1 took ${res.seconds}s)`);
            r = res.results;
            changed1 = res.changed;
            boot1 = res;
            created = status(r.get("create.out"));
        });

        it("changes no disk but the new array's two members", function () {
            assert.deepStrictEqual(changed1, ["nas-a", "nas-b"]);
        });

        it("only the run that creates the array changes disks, and only its members (digests before and after each run)", function () {
            assertRunsChanged(boot1, {
                "refuse-ext4": [],
                "refuse-parted": [],
                "refuse-deep": [],
                create: ["nas-a", "nas-b"],
                second: [],
                foreign: [],
            });
        });

        it("refuses a disk holding ext4, naming the disk and what is on it, and leaves it byte-for-byte unchanged", function () {
            assert.strictEqual(r.get("refuse-ext4.rc")?.trim(), "2", r.get("refuse-ext4.err"));
            const fsUuid = runOk("blkid", ["-p", "-s", "UUID", "-o", "value", disk.e]).stdout.trim();
            assert.match(
                r.get("refuse-ext4.err") ?? "",
                new RegExp(`refusing: /dev/disk/by-id/virtio-nas-e \\(/dev/vd[a-z]\\) holds an ext4 filesystem \\(UUID ${fsUuid}, label "family"\\)`),
            );
            assert.strictEqual(status(r.get("refuse-ext4.out")).state, "refused");
            assert.strictEqual(diskDigest(disk.e), hashBefore.e);
            // The file inside is still readable by the host's own ext4 tools.
            assert.strictEqual(runOk("debugfs", ["-R", "cat /precious.txt", disk.e]).stdout, "grandma's recipes\n");
        });

        it("refuses a disk holding a partition table, and leaves it byte-for-byte unchanged", function () {
            assert.strictEqual(r.get("refuse-parted.rc")?.trim(), "2", r.get("refuse-parted.err"));
            assert.match(r.get("refuse-parted.err") ?? "", /refusing: \/dev\/disk\/by-id\/virtio-nas-p \(\/dev\/vd[a-z]\) holds a partition table \(gpt\)/);
            assert.strictEqual(diskDigest(disk.p), hashBefore.p);
        });

        it("refuses a disk whose only data lies past its first MiBs, and leaves it byte-for-byte unchanged", function () {
            assert.strictEqual(r.get("refuse-deep.rc")?.trim(), "2", r.get("refuse-deep.err"));
            assert.match(r.get("refuse-deep.err") ?? "", /refusing: \/dev\/disk\/by-id\/virtio-nas-d \(\/dev\/vd[a-z]\) holds unknown data/);
            assert.strictEqual(diskDigest(disk.d), hashBefore.d);
        });

        it("creates a RAID 1 with ext4 on two blank disks, and states its usable size", function () {
            assert.strictEqual(r.get("create.rc")?.trim(), "0", r.get("create.err"));
            assert.strictEqual(created.state, "created");
            assert.strictEqual(created.members, "2/2");
            // The usable size is the md device's: a little under the disks' 128 MiB.
            assert.ok(Number(created.size) > 120 * mib && Number(created.size) < 128 * mib, created.size);
            const detail = exportVars(r.get("detail"));
            assert.strictEqual(detail.MD_LEVEL, "raid1");
            assert.strictEqual(detail.MD_METADATA, "1.2");
            assert.strictEqual(detail.MD_UUID, created.uuid);
            assert.strictEqual(detail.MD_NAME, "any:data");
            // The host's mdadm reads the superblocks that the guest wrote onto the raw images.
            for (const d of [disk.a, disk.b]) {
                const sb = exportVars(runOk("mdadm", ["--examine", "--export", d]).stdout);
                assert.strictEqual(sb.MD_UUID, created.uuid);
                assert.strictEqual(sb.MD_LEVEL, "raid1");
            }
        });

        it("runs a second time without changing anything: no file rewritten, the array active on 2 disks", function () {
            assert.strictEqual(r.get("second.rc")?.trim(), "0", r.get("second.err"));
            assert.match(r.get("second.err") ?? "", /changed nothing/);
            const second = status(r.get("second.out"));
            assert.deepStrictEqual(
                { state: second.state, changed: second.changed, members: second.members, uuid: second.uuid, fs: second.fs_uuid },
                { state: "clean", changed: "no", members: "2/2", uuid: created.uuid, fs: created.fs_uuid },
            );
            // Inode and mtime of fstab and mdadm.conf, before and after the second run.
            assert.strictEqual(r.get("files-after"), r.get("files-before"));
            assert.match(r.get("mdstat") ?? "", /md\d+ : active raid1 vd[a-z]\[\d\] vd[a-z]\[\d\]\n.*\[2\/2\] \[UU\]/);
        });

        it("refuses to treat the array as a different array name", function () {
            assert.strictEqual(r.get("foreign.rc")?.trim(), "2", r.get("foreign.err"));
            assert.match(r.get("foreign.err") ?? "", /refusing: \/dev\/disk\/by-id\/virtio-nas-a \(\/dev\/vd[a-z]\) holds a foreign md array 'any:data'/);
        });

        it("mounts by UUID through fstab (nofail), writes ARRAY and MAILADDR to mdadm.conf, runs mdadm's monitor", function () {
            // findmnt parsed fstab; mdadm --detail --scan matched the running array against mdadm.conf.
            assert.strictEqual(r.get("fstab-entry")?.trim().split(/\s+/).join(" "), `UUID=${created.fs_uuid} /srv/data ext4 defaults,nofail`);
            assert.match(r.get("mount") ?? "", new RegExp(`^/dev/md\\d+ ${created.fs_uuid} /srv/data$`, "m"));
            assert.match(r.get("conf-scan") ?? "", new RegExp(`^ARRAY /dev/md/data .*UUID=${created.uuid}`, "m"));
            assert.match(r.get("mdadm.conf") ?? "", /^MAILADDR root$/m);
            assert.strictEqual(r.get("mdmonitor")?.trim(), "active");
            assert.strictEqual(r.get("reminder")?.trim(), "enabled");
            assert.match(r.get("create.err") ?? "", /update-initramfs: Generating/);
            assert.doesNotMatch(r.get("second.err") ?? "", /initramfs/);
        });

        describe("boot 2: reboot, then Samba", function () {
            let r2: Map<string, string>;
            let changed2: string[];
            let boot2: DiffedBoot;
            const smb: Record<string, { status: number; out: string }> = {};
            const got: Record<string, string> = {};
            let smbError: Error | undefined;

            before(async function () {
                this.timeout(bootBoundMs + 60_000);
                const port = await freePort();
                const local = path.join(work, "smb");
                fs.mkdirSync(local, { recursive: true });
                const clientConf = path.join(local, "client.conf");
                fs.writeFileSync(clientConf, "[global]\n");
                const client = (share: string, user: string, password: string | null, cmds: string, max = "SMB3") => {
                    const res = run(
                        "smbclient",
                        [`//127.0.0.1/${share}`, "-p", String(port), "-s", clientConf, "-m", max, "-t", "30",
                            ...(password === null ? ["-N"] : ["-U", `${user}%${password}`]), "-c", cmds],
                        { timeoutMs: 60_000 },
                    );
                    return { status: res.status, out: res.stdout + res.stderr };
                };
                const res = await bootAndDiff({
                    boot,
                    root: rootImage,
                    scenario: "reboot",
                    disks: { "nas-a": disk.a, "nas-b": disk.b },
                    workDir: work,
                    smbPort: port,
                    timeoutMs: bootBoundMs,
                    whenReady: async () => {
                        try {
                            for (const u of users) {
                                for (const share of shareNames) {
                                    const name = `from-${u.name}.txt`;
                                    fs.writeFileSync(path.join(local, name), `${u.name} wrote this to ${share}\n`);
                                    const back = path.join(local, `${u.name}-${share}.back`);
                                    fs.rmSync(back, { force: true });
                                    smb[`${u.name}@${share}`] = client(share, u.name, u.password,
                                        `lcd ${local}; put ${name}; ls; get ${name} ${path.basename(back)}`);
                                    got[`${u.name}@${share}`] = fs.existsSync(back) ? read(back) : "";
                                }
                            }
                            smb.wrongPassword = client("backups", "proxmox", "not-the-password", "ls");
                            smb.anonymous = client("backups", "", null, "ls");
                            smb.smb2 = client("backups", "proxmox", users[0].password, "ls", "SMB2");
                        } catch (e) {
                            smbError = e as Error;
                        } finally {
                            // The flag lets the guest power off; without it, it does so at its own timeout.
                            fs.writeFileSync(path.join(local, "done"), "");
                            client("backups", "proxmox", users[0].password, `lcd ${local}; put done`);
                        }
                    },
                });
                console.log(`      (boot 2 took ${res.seconds}s)`);
                r2 = res.results;
                changed2 = res.changed;
                boot2 = res;
            });

            it("storage.sh after the reboot changes no disk (digests before and after the run)", function () {
                assertRunsChanged(boot2, { again: [] });
            });

            it("changes no disk but the array's members", function () {
                assert.deepStrictEqual(changed2, ["nas-a", "nas-b"]);
            });

            it("the boot itself assembles and mounts the array, from fstab and mdadm.conf", function () {
                assert.match(r2.get("boot-mount") ?? "", new RegExp(`^/dev/md\\d+ ${created.fs_uuid} /srv/data$`, "m"));
            });

            it("storage.sh after the reboot: clean, changed nothing, same array, files intact", function () {
                assert.strictEqual(r2.get("again.rc")?.trim(), "0", r2.get("again.err"));
                assert.match(r2.get("again.err") ?? "", /changed nothing/);
                const again = status(r2.get("again.out"));
                assert.deepStrictEqual(
                    [again.state, again.changed, again.members, again.uuid, again.fs_uuid],
                    ["clean", "no", "2/2", created.uuid, created.fs_uuid],
                );
                assert.strictEqual(r2.get("sums"), r.get("sums"));
            });

            it("samba.sh sets everything up once, and a second run reports no change", function () {
                assert.ifError(smbError);
                assert.strictEqual(r2.get("samba1.rc")?.trim(), "0", r2.get("samba1.err"));
                assert.match(r2.get("samba1.out") ?? "", /^homelab-samba: changed=yes users=2 shares=3$/m);
                assert.match(r2.get("samba1.err") ?? "", /disabled nmbd/);
                assert.strictEqual(r2.get("samba2.rc")?.trim(), "0", r2.get("samba2.err"));
                assert.match(r2.get("samba2.out") ?? "", /^homelab-samba: changed=no users=2 shares=3$/m);
                assert.match(r2.get("samba2.err") ?? "", /changed nothing/);
                assert.strictEqual(r2.get("smbd")?.trim(), "active");
            });

            for (const u of users) {
                for (const share of shareNames) {
                    const allowed = u.shares.includes(share);
                    it(`${u.name} ${allowed ? "can list, put and get on" : "is denied"} ${share}`, function () {
                        const res = smb[`${u.name}@${share}`];
                        assert.ok(res, "smbclient did not run");
                        if (allowed) {
                            assert.strictEqual(res.status, 0, res.out);
                            assert.match(res.out, new RegExp(`from-${u.name}\\.txt\\s+A`));
                            assert.strictEqual(got[`${u.name}@${share}`], `${u.name} wrote this to ${share}\n`);
                        } else {
                            assert.notStrictEqual(res.status, 0);
                            assert.match(res.out, /NT_STATUS_ACCESS_DENIED/);
                        }
                    });
                }
            }

            it("a wrong password, an anonymous login and an SMB2 client are all turned away", function () {
                assert.match(smb.wrongPassword.out, /NT_STATUS_LOGON_FAILURE/);
                assert.notStrictEqual(smb.wrongPassword.status, 0);
                assert.notStrictEqual(smb.anonymous.status, 0, smb.anonymous.out);
                assert.match(smb.anonymous.out, /NT_STATUS_(ACCESS_DENIED|LOGON_FAILURE)/);
                assert.notStrictEqual(smb.smb2.status, 0, smb.smb2.out);
                assert.match(smb.smb2.out, /NT_STATUS_/);
            });

            it("share directories are root:smb-<share> 2770 and files written over SMB keep the share's group", function () {
                const lines = (r2.get("share-files") ?? "").trim().split("\n");
                assert.deepStrictEqual(lines, [
                    "/srv/data/backups root smb-backups 2770",
                    "/srv/data/documents root smb-documents 2770",
                    "/srv/data/media root smb-media 2770",
                    "/srv/data/backups/from-proxmox.txt proxmox smb-backups 660",
                    "/srv/data/documents/from-docker.txt docker smb-documents 660",
                    "/srv/data/media/from-docker.txt docker smb-media 660",
                ]);
            });

            describe("boot 2b: the same OS disk, one member missing, no storage.sh run", function () {
                let rb: Map<string, string>;
                let changedB: string[];

                before(async function () {
                    this.timeout(bootBoundMs + 60_000);
                    const res = await bootAndDiff({
                        boot,
                        root: rootImage,
                        scenario: "degradedboot",
                        disks: { "nas-a": disk.a },
                        workDir: work,
                        timeoutMs: bootBoundMs,
                    });
                    console.log(`      (boot 2b took ${res.seconds}s)`);
                    rb = res.results;
                    changedB = res.changed;
                    assert.strictEqual(res.checkpoints.size, 0, "storage.sh ran in this boot");
                });

                it("the unit storage.sh installed starts the array degraded at boot and mounts it, files intact", function () {
                    assert.deepStrictEqual(exportVars(rb.get("unit")), { ActiveState: "active", Result: "success" });
                    assert.match(rb.get("boot-mount") ?? "", new RegExp(`^/dev/md\\d+ ${created.fs_uuid} /srv/data$`, "m"));
                    assert.strictEqual(exportVars(rb.get("detail")).MD_UUID, created.uuid);
                    assert.match(rb.get("mdstat") ?? "", /md\d+ : active raid1 vd[a-z]\[\d\]\n.*\[2\/1\] \[(U_|_U)\]/);
                    assert.strictEqual(rb.get("sums"), r.get("sums"));
                    // The array became active only after the unit had started (journal order).
                    const journal = rb.get("journal") ?? "";
                    const unitStart = journal.search(/Starting homelab-raid-data\.service/);
                    const active = journal.search(/md\/raid1:md\d+: active with 1 out of 2 mirrors/);
                    assert.ok(unitStart >= 0 && active > unitStart, `unit started at ${unitStart}, array active at ${active}`);
                    // It waits for udev by itself, not through the deprecated systemd-udev-settle.service.
                    assert.doesNotMatch(journal, /udev-settle\.service is deprecated|Starting systemd-udev-settle/);
                });

                it("the degraded array is mailed to MAILADDR by mdadm, as a failed disk is", function () {
                    assert.match(rb.get("mail") ?? "", /^To: root$/m);
                    assert.match(rb.get("mail") ?? "", /^Subject: DegradedArray event on \/dev\/md\/data/m);
                    assert.strictEqual(rb.get("mdmonitor")?.trim(), "active");
                });

                it("changes no disk but the surviving member (the array's event count and the filesystem's mount time)", function () {
                    assert.deepStrictEqual(changedB, ["nas-a"]);
                    assert.strictEqual(exportVars(runOk("mdadm", ["--examine", "--export", disk.a]).stdout).MD_UUID, created.uuid);
                });
            });

            describe("boot 3: a new OS disk, one member missing", function () {
                let r3: Map<string, string>;
                let changed3: string[];
                let boot3: DiffedBoot;

                before(async function () {
                    this.timeout(bootBoundMs + 60_000);
                    const res = await bootAndDiff({
                        boot,
                        root: pristineRoot,
                        scenario: "degraded",
                        disks: { "nas-a": disk.a, "nas-c": disk.c },
                        workDir: work,
                        timeoutMs: bootBoundMs,
                    });
                    console.log(`      (boot 3 took ${res.seconds}s)`);
                    r3 = res.results;
                    changed3 = res.changed;
                    boot3 = res;
                });

                it("assembling degraded changes only the surviving member; the run with a blank partner changes nothing (digests before and after each run)", function () {
                    assertRunsChanged(boot3, { degraded: ["nas-a"], "blank-partner": [] });
                });

                it("changes no disk but the surviving member", function () {
                    assert.deepStrictEqual(changed3, ["nas-a"]);
                });

                it("assembles the existing array degraded (never re-creates it), loudly, with the files intact", function () {
                    assert.strictEqual(r3.get("degraded.rc")?.trim(), "0", r3.get("degraded.err"));
                    const st = status(r3.get("degraded.out"));
                    assert.deepStrictEqual(
                        [st.state, st.members, st.uuid, st.fs_uuid],
                        ["degraded", "1/2", created.uuid, created.fs_uuid],
                    );
                    assert.match(r3.get("degraded.err") ?? "", /DEGRADED: array 'data' \(\/dev\/md\d+\) runs on 1 of 2 disks/);
                    assert.match(r3.get("degraded.err") ?? "", /DEGRADED: \/dev\/disk\/by-id\/virtio-nas-b is not in the array: it holds nothing \(the device does not exist\)/);
                    assert.doesNotMatch(r3.get("degraded.err") ?? "", /created md array|made an ext4/);
                    assert.strictEqual(exportVars(r3.get("detail")).MD_UUID, created.uuid);
                    assert.strictEqual(r3.get("sums"), r.get("sums"));
                });

                it("leaves a blank disk offered in place of the missing one untouched", function () {
                    assert.strictEqual(r3.get("blank-partner.rc")?.trim(), "0", r3.get("blank-partner.err"));
                    assert.strictEqual(status(r3.get("blank-partner.out")).state, "degraded");
                    assert.match(r3.get("blank-partner.err") ?? "", /virtio-nas-c is not in the array: it holds nothing \(blank\); left untouched/);
                    assert.strictEqual(diskDigest(disk.c), hashBefore.c);
                });
            });
        });
    });
});
