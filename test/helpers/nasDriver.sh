#!/usr/bin/env bash
# nasDriver.sh: runs inside the QEMU guest of test/nasVm.raid.test.ts (a oneshot unit starts it
# at boot, and the guest powers off when it returns). It calls the real storage.sh and samba.sh
# the way the NasVm component will, records what they print and what the system looks like
# afterwards into /run/homelab-results, and writes that directory as a tar archive onto the raw
# disk with serial "results" for the host to read. It asserts nothing itself: the mocha test does.
#
# The scenario comes from the kernel command line:
# homelab.scenario=safety|first|reboot|degradedboot|degraded.
# Data disks are addressed by /dev/disk/by-id/virtio-<serial>, as production uses by-id paths.
# Every storage.sh run goes through `checked`: the host takes a digest of every data disk right
# before and right after it (see checkpoint).
set -uo pipefail

readonly out=/run/homelab-results
readonly bin=/opt/homelab
readonly id=/dev/disk/by-id/virtio
readonly data=/srv/data
mkdir -p "$out"

# step NAME CMD...: runs CMD, keeping its stdout, stderr and exit code as NAME.{out,err,rc}.
step() {
    local name=$1 started
    shift
    started=$(date +%s)
    "$@" >"$out/$name.out" 2>"$out/$name.err"
    echo $? >"$out/$name.rc"
    echo $(($(date +%s) - started)) >"$out/$name.seconds"
}
# The host's end of the control port (ttyS1): one line out, one line back.
exec 7<>/dev/ttyS1
stty -F /dev/ttyS1 raw -echo
# checkpoint LABEL: lets the disks come to rest, then has the host take a digest of every data
# disk (its answer is "ok" once it has). At rest: nothing dirty in the page cache, no md sync
# running, no ext4 inode tables still being zeroed in the background (ext4lazyinit), and md's
# "clean" superblock write, 200 ms after the last write, done.
checkpoint() {
    local reply="" md
    sync
    for md in /dev/md[0-9]*; do
        [ -b "$md" ] && mdadm --wait "$md" >/dev/null 2>&1
    done
    for _ in $(seq 600); do
        grep -qsx ext4lazyinit /proc/[0-9]*/comm || break
        sleep 1
    done
    sleep 1
    sync
    echo "digest $1" >&7
    read -r -t 900 reply <&7
    [ "$reply" = ok ] || echo "$1: ${reply:-no answer}" >>"$out/checkpoint-errors"
}
# checked NAME CMD...: step NAME, with the disks digested before and after.
checked() {
    checkpoint "$1.before"
    step "$@"
    checkpoint "$1.after"
}
storage() { "$bin/storage.sh" --name data --mount "$data" --mail root "$@"; }
# The former-array disks are offered under another array name: whatever a run does to them stays
# apart from the 'data' array of the later steps.
reuse() { "$bin/storage.sh" --name reuse --mount /srv/reuse --mail root "$@"; }
# Undoes what a wrong run on them would have left running (nothing, when storage.sh refuses).
unreuse() {
    umount /srv/reuse 2>/dev/null
    mdadm --stop /dev/md/reuse 2>/dev/null
    return 0
}
# record NAME CMD...: keeps CMD's combined output as NAME (for facts, not for steps under test).
record() {
    local name=$1
    shift
    "$@" >"$out/$name" 2>&1
}
sums() { (cd "$data" && sha256sum photo.bin notes/doc.txt); }

scenario=$(sed -n 's/.*homelab\.scenario=\([a-z]*\).*/\1/p' /proc/cmdline)
echo "$scenario" >"$out/scenario"
udevadm settle --timeout=30

case "$scenario" in
safety)
    # Disk x was a member of an md RAID 1 (metadata 1.2, mdadm's defaults) holding ext4, and only
    # its first MiB was zeroed; disk y is blank. Both orders must refuse and write nothing.
    checked reuse-blank-first reuse --member "$id-nas-y" --member "$id-nas-x"
    unreuse
    checked reuse-old-first reuse --member "$id-nas-x" --member "$id-nas-y"
    unreuse
    # The data offset this mdadm really gives a new array on a disk of x's size (disk m is scratch).
    mdadm --create /dev/md/offset --run --level=1 --raid-devices=2 --metadata=1.2 "$id-nas-m" missing \
        </dev/null >"$out/offset-create" 2>&1
    record offset-examine mdadm --examine "$id-nas-m"
    mdadm --stop /dev/md/offset >>"$out/offset-create" 2>&1
    # Blank disks of 128 and 130 GiB (1.6% apart).
    checked refuse-size reuse --member "$id-nas-y" --member "$id-nas-s"
    # Two runs at once: the second starts once the first holds the lock, and must wait for it.
    # The disks are digested before the first starts and after both have ended.
    checkpoint lock.before
    step lock-first reuse --member "$id-nas-y" --member "$id-nas-x" &
    # (Seen in /proc/locks, by the lock file's inode: trying the lock here would take it.)
    for _ in $(seq 300); do
        [ -e /run/homelab-storage.lock ] && grep -q ":$(stat -c %i /run/homelab-storage.lock) " /proc/locks && break
        sleep 0.1
    done
    step lock-second reuse --member "$id-nas-y" --member "$id-nas-x" &
    wait
    checkpoint lock.after
    # Blank disks of 64 and 80 MiB, with allowSizeMismatch: an array as large as the smaller one.
    checked mixed "$bin/storage.sh" --name mixed --mount /srv/mixed --allow-size-mismatch \
        --member "$id-nas-w1" --member "$id-nas-w2"
    record mixed-detail mdadm --detail --export /dev/md/mixed
    umount /srv/mixed
    mdadm --stop /dev/md/mixed >/dev/null 2>&1
    # Disk g holds data only between the windows the blank check samples (see the test): the
    # check of the new array itself sees it, and the members are put back as they were.
    checked gap "$bin/storage.sh" --name gap --mount /srv/gap --member "$id-nas-g" --member "$id-nas-h"
    record gap-arrays cat /proc/mdstat
    # A complete array (made here on scratch disks t1, t2) and a member path that does not exist.
    mdadm --create /dev/md/scratch --run --level=1 --raid-devices=2 --metadata=1.2 --name=scratch \
        --homehost=any "$id-nas-t1" "$id-nas-t2" </dev/null >"$out/scratch-create" 2>&1
    udevadm settle
    checked typo "$bin/storage.sh" --name scratch --mount /srv/scratch --member "$id-nas-t1" --member "$id-nas-typo"
    mdadm --stop /dev/md/scratch >>"$out/scratch-create" 2>&1
    ;;
first)
    checked refuse-ext4 storage --member "$id-nas-e" --member "$id-nas-a"
    checked refuse-parted storage --member "$id-nas-b" --member "$id-nas-p"
    checked refuse-deep storage --member "$id-nas-a" --member "$id-nas-d"
    checked create storage --member "$id-nas-a" --member "$id-nas-b"
    mkdir -p "$data/notes"
    head -c 5M /dev/urandom >"$data/photo.bin"
    echo "family notes" >"$data/notes/doc.txt"
    sync
    record sums sums
    record files-before stat -c '%n %i %Y' /etc/fstab /etc/mdadm/mdadm.conf
    checked second storage --member "$id-nas-a" --member "$id-nas-b"
    record files-after stat -c '%n %i %Y' /etc/fstab /etc/mdadm/mdadm.conf
    checked foreign "$bin/storage.sh" --name other --mount /srv/other --member "$id-nas-a" --member "$id-nas-b"
    record detail mdadm --detail --export /dev/md/data
    record fstab-entry findmnt --fstab -n -o SOURCE,TARGET,FSTYPE,OPTIONS --target "$data"
    record mount findmnt -n -o SOURCE,UUID,TARGET --mountpoint "$data"
    record conf-scan mdadm --detail --scan --config=/etc/mdadm/mdadm.conf
    cp /etc/mdadm/mdadm.conf "$out/mdadm.conf"
    record mdmonitor systemctl is-active mdmonitor.service
    record reminder systemctl is-enabled mdmonitor-oneshot.timer
    ;;
reboot)
    # fstab and mdadm.conf from the first boot should bring the array up without storage.sh.
    for _ in $(seq 60); do
        mountpoint -q "$data" && break
        sleep 1
    done
    record boot-mount findmnt -n -o SOURCE,UUID,TARGET --mountpoint "$data"
    checked again storage --member "$id-nas-a" --member "$id-nas-b"
    record sums sums
    record detail mdadm --detail --export /dev/md/data
    step samba1 "$bin/samba.sh" --config "$bin/smb.conf" --mount "$data" <"$bin/users.tsv"
    step samba2 "$bin/samba.sh" --config "$bin/smb.conf" --mount "$data" <"$bin/users.tsv"
    record smbd systemctl is-active smbd.service
    # Tell the host that smbd is ready, then wait for it to drop the flag file over SMB.
    echo "HOMELAB-READY" >/dev/ttyS0
    for _ in $(seq 300); do
        [ -e "$data/backups/done" ] && break
        sleep 1
    done
    record share-files stat -c '%n %U %G %a' "$data/backups" "$data/documents" "$data/media" \
        "$data/backups/from-proxmox.txt" "$data/documents/from-docker.txt" "$data/media/from-docker.txt"
    ;;
degradedboot)
    # Member b is gone. storage.sh does not run here: the unit it installed on the first boot must
    # start the array degraded and mount it, and mdadm must mail about it.
    unit=homelab-raid-data.service
    for _ in $(seq 600); do
        case "$(systemctl show -p ActiveState --value "$unit")" in active | failed) break ;; esac
        sleep 1
    done
    record unit systemctl show -p ActiveState,Result "$unit"
    record boot-mount findmnt -n -o SOURCE,UUID,TARGET --mountpoint "$data"
    record sums sums
    record detail mdadm --detail --export /dev/md/data
    record mdmonitor systemctl is-active mdmonitor.service
    cp /var/log/homelab-mail "$out/mail" 2>/dev/null
    ;;
degraded)
    checked degraded storage --member "$id-nas-a" --member "$id-nas-b"
    record sums sums
    record detail mdadm --detail --export /dev/md/data
    # A blank disk in place of the missing one is reported, not used.
    checked blank-partner storage --member "$id-nas-a" --member "$id-nas-c"
    ;;
*)
    echo "unknown scenario '$scenario'" >"$out/error"
    ;;
esac

cat /proc/mdstat >"$out/mdstat" 2>&1
journalctl -b --no-pager -o short-monotonic >"$out/journal" 2>&1
tar -C "$out" -cf "$id-results" .
sync
