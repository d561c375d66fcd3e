#!/usr/bin/env bash
# storage.sh: brings up the NAS data array (mdadm RAID 1 with ext4 on it) and mounts it, and never
# destroys data. The disks hold the family's only copy of its photos and documents, so every path
# through this script either finds the array that is already on the disks, or creates one on disks
# that are provably blank, or refuses and changes nothing.
#
# Usage (as root):
#   storage.sh --name NAME --mount DIR --member DEV --member DEV [--member DEV ...] [--mail ADDR]
#              [--allow-size-mismatch]
#
#   --name NAME    md array name (the array appears as /dev/md/NAME) and ext4 label.
#                  Letters, digits, '_' and '-', at most 16 characters (the ext4 label limit).
#   --mount DIR    absolute mount point, e.g. /srv/data. Mounted by filesystem UUID via /etc/fstab.
#   --member DEV   a whole disk of the array; repeat for each disk. Use stable paths
#                  (/dev/disk/by-id/...). A member that does not exist counts as missing while
#                  the array lacks a disk; while the array runs complete without it, the path is
#                  wrong and the run fails (exit 64).
#   --mail ADDR    where mdadm's monitor sends alerts (mdadm.conf MAILADDR). Defaults to root.
#   --allow-size-mismatch
#                  create the array even when the members' sizes differ by more than 1% (a RAID 1
#                  is as large as its smallest member; the rest of the larger disks is unused).
#
# What it does, in this order (one run at a time: a second run waits for the first, see the lock):
#   1. Inspects every member read-only (mdadm --examine, blkid -p at the disk's start and at every
#      offset where md, LVM or a partition keeps data, wipefs --no-act, kernel partitions, and
#      zeros where an older use would show: see non_blank_reason).
#   2. If any member carries an md array named NAME: assembles that array (never re-creates it),
#      with --run so that it starts even when a member is missing, blank or stale. A degraded
#      array is reported loudly on stderr and in the status line. It is NOT rebuilt automatically,
#      not even onto a blank disk: a rebuild reads the whole surviving disk, and a disk that "looks
#      blank" in its first and last MiBs is not proof that nobody needs it. Replacing a disk is a
#      human decision; the message prints the exact mdadm command for it.
#   3. Otherwise, only if every member is present and completely blank, and their sizes differ by
#      at most 1% (or --allow-size-mismatch): creates a RAID 1 (metadata 1.2, --homehost=any so
#      that a re-created VM with another hostname still sees /dev/md/NAME), probes the new array
#      itself before anything is written to it (a filesystem or partition table there stops the
#      array and puts the members' first MiBs back as they were), then makes an ext4 filesystem
#      labelled NAME. Anything else is refused with exit code 2 and a message naming each disk and
#      what it holds; no disk is written.
#   4. Adds the mount to /etc/fstab (UUID=..., nofail) and mounts it; writes the ARRAY and MAILADDR
#      lines of /etc/mdadm/mdadm.conf; starts mdadm's monitor (mdmonitor.service, which Debian's
#      udev rules start at every boot once an array exists) and enables its daily reminder timer
#      for degraded arrays; installs homelab-raid-NAME.service, which at every boot starts the
#      array even with a member missing (udev leaves it inactive) and mounts it; rebuilds the
#      initramfs only when mdadm.conf is newer than it.
#   Files are rewritten only when their content differs, so a second run changes nothing.
#
# Output: progress on stderr, and as the last line on stdout one machine-readable status:
#   homelab-storage: state=created|clean|degraded|refused|misconfigured changed=yes|no
#                    members=ACTIVE/TOTAL size=BYTES uuid=MD_UUID fs_uuid=FS_UUID device=/dev/mdN
#                    mount=DIR     (one line; size is the array's usable size, - when none)
# Exit codes: 0 array up (created, clean or degraded), 2 refused (disks left untouched),
#             64 bad arguments (with state=misconfigured: a member path that cannot be right),
#             1 any other failure.
set -euo pipefail
umask 022
export LC_ALL=C
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

readonly blank_check_bytes=$((4 * 1024 * 1024))
readonly mib=$((1024 * 1024))
readonly fstab=/etc/fstab
readonly mdadm_conf=/etc/mdadm/mdadm.conf

log() { printf 'storage: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}
usage() {
    log "usage: $*"
    log "usage: storage.sh --name NAME --mount DIR --member DEV --member DEV [--mail ADDR] [--allow-size-mismatch]"
    exit 64
}

name=""
mount_dir=""
mail="root"
members=()
allow_size_mismatch=no
while [ $# -gt 0 ]; do
    if [ "$1" = --allow-size-mismatch ]; then
        allow_size_mismatch=yes
        shift
        continue
    fi
    [ $# -ge 2 ] || usage "$1 needs a value"
    case "$1" in
    --name) name=$2 ;;
    --mount) mount_dir=$2 ;;
    --member) members+=("$2") ;;
    --mail) mail=$2 ;;
    *) usage "unknown argument $1" ;;
    esac
    shift 2
done
[[ "$name" =~ ^[A-Za-z0-9_-]{1,16}$ ]] || usage "--name must be 1-16 letters, digits, '_' or '-'"
[[ "$mount_dir" =~ ^/[A-Za-z0-9_./-]*[A-Za-z0-9_-]$ ]] || usage "--mount must be an absolute path"
[[ "$mail" =~ ^[A-Za-z0-9_.@+-]+$ ]] || usage "--mail must be one address or user name"
[ "${#members[@]}" -ge 2 ] || usage "a RAID 1 needs at least two --member disks"
[ "$(id -u)" -eq 0 ] || die "must run as root"
for tool in mdadm blkid wipefs blockdev mkfs.ext4 findmnt mountpoint cmp flock perl; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done

# One run at a time: two runs at once would race on mdadm --create/--assemble, fstab, mdadm.conf
# and the initramfs rebuild. The lock is the open file itself, so it goes with the process.
readonly lock_file=/run/homelab-storage.lock
exec 9>"$lock_file"
if ! flock -n 9; then
    log "another storage.sh run holds $lock_file: waiting for it to end (at most 30 minutes)"
    flock -w 1800 9 || die "another storage.sh run still holds $lock_file after 30 minutes"
    log "the other run ended: going on"
fi

# Temporary files for atomic rewrites live beside their target; none is left behind on failure.
tmp=""
trap 'rm -f "$tmp"' EXIT

changed=no
# yes once a new array was stopped and its members' first MiBs put back (see the check below).
restored=no
note_change() {
    changed=yes
    log "$*"
}

# --- 1. Inspect every member, read-only -----------------------------------------------------

# Per member (indexed like $members): its resolved device, its kind and, for humans, what it holds.
#   kind: missing | blank | ours (md array named $name) | foreign (anything else: other array,
#   filesystem, partition table, unknown data)
dev_of=()
kind_of=()
what_of=()
uuid_of=()

# Where an earlier use of a disk keeps its data, in bytes from the disk's start: a filesystem, an
# LVM physical volume, LUKS or a partition table there is data even when the disk's own start
# (md superblock, partition table) was overwritten. md's data offsets, from mdadm's super1.c:
#   - 0.90 and 1.0 (superblock at the end): data at 0.
#   - mdadm <= 3.1, write_init_super1(): 1.1 at 4 KiB + bitmap space, 1.2 at 8 KiB + bitmap
#     space, with choose_bm_space() giving 0, 4, 64 or 128 KiB by disk size: 4, 8, 12, 68, 72,
#     132 and 136 KiB.
#   - mdadm 3.2, write_init_super1(): the reserved space rounded up to 1 MiB.
#   - mdadm 3.3 to 4.0, validate_geometry1(): 6 KiB + bitmap space + headroom, rounded down to
#     a MiB, where headroom starts at 128 MiB and halves while 1024 x headroom exceeds the disk:
#     1, 2, 4, ..., 128 MiB (128 MiB from a 128 GiB disk on).
#   - mdadm >= 4.1 (commit "super1: Always round data offset to 1M"), validate_geometry1(): the
#     same rounded up: 2, 3, 5, 9, 17, 33, 65, 129 MiB (129 MiB from a 128 GiB disk on).
# LVM's first physical extent and the first partition of parted, fdisk and zpool sit at 1 MiB;
# LUKS2 data at 16 MiB. Offsets below 4 MiB are also inside the fully checked first 4 MiB.
probe_offsets=""
for kib in 4 8 12 68 72 132 136; do probe_offsets+=" $((kib * 1024))"; done
for m_ in 1 2 3 4 5 8 9 16 17 32 33 64 65 128 129; do probe_offsets+=" $((m_ * mib))"; done
readonly probe_offsets

# Prints what libblkid finds at byte $2 of $1 ("TYPE (UUID ..., label ...)", "a partition table
# (gpt)", "several conflicting signatures"), or nothing. blkid -p ignores the cache and probes
# filesystems, RAID members (md, LVM, ZFS, LUKS...) and partition tables; -O sets the offset.
probe_at() {
    local dev=$1 off=$2 probe rc=0 type pttype uuid label
    probe=$(blkid -p -O "$off" -o export "$dev" 2>/dev/null) || rc=$?
    # blkid -p: 0 = something found, 2 = nothing found, 8 = several conflicting signatures.
    case "$rc" in
    0) ;;
    2) return 0 ;;
    8) echo "several conflicting signatures (blkid -p is ambivalent)" && return 0 ;;
    *) echo "something blkid -p could not probe (exit $rc)" && return 0 ;;
    esac
    type=$(sed -n 's/^TYPE=//p' <<<"$probe")
    pttype=$(sed -n 's/^PTTYPE=//p' <<<"$probe")
    uuid=$(sed -n 's/^UUID=//p' <<<"$probe")
    label=$(sed -n 's/^LABEL=//p' <<<"$probe")
    if [ -n "$type" ]; then
        echo "an $type filesystem (UUID ${uuid:-none}${label:+, label \"$label\"})"
    elif [ -n "$pttype" ]; then
        echo "a partition table ($pttype)"
    else
        echo "a signature blkid -p does not name: $(tr '\n' ' ' <<<"$probe")"
    fi
}

# Bytes as a phrase for messages: "129 MiB", "136 KiB", "0".
human_offset() {
    if [ "$1" -ge "$mib" ] && [ $(($1 % mib)) -eq 0 ]; then
        echo "$(($1 / mib)) MiB"
    elif [ "$1" -gt 0 ]; then
        echo "$(($1 / 1024)) KiB"
    else
        echo 0
    fi
}

# True when $1 reads as zero wherever an older use of the disk would show:
#   - all of its first and last $blank_check_bytes (partition tables, GPT's backup header at the
#     end, md 0.90/1.0 superblocks at the end, ZFS labels at both ends, LUKS headers);
#   - 128 KiB at every MiB of its first $sampled_bytes (any filesystem, LVM or LUKS header that
#     starts on a MiB: md's data offsets above, partitions whose table was zapped);
#   - 1 MiB at every GiB (data whose every signature was erased).
# About 1100 reads of one perl process (perl-base is in every Debian; a process per read is
# minutes on a slow CPU); run only while a disk still looks blank, so only before an array is made.
readonly sampled_bytes=$((1024 * mib))
looks_unused() {
    local dev=$1 size off
    size=$(blockdev --getsize64 "$dev")
    [ "$size" -ge $((2 * blank_check_bytes)) ] || return 1
    {
        echo "0 $blank_check_bytes"
        echo "$((size - blank_check_bytes)) $blank_check_bytes"
        for ((off = blank_check_bytes; off < sampled_bytes && off + 128 * 1024 <= size - blank_check_bytes; off += mib)); do
            echo "$off $((128 * 1024))"
        done
        for ((off = sampled_bytes; off + mib <= size - blank_check_bytes; off += 1024 * mib)); do
            echo "$off $mib"
        done
    } | perl -e '
        # Each line: OFFSET LENGTH. Exit 0 when all read as zero, 1 at the first other byte, 2 when
        # a read fails (which counts as not blank too).
        open(my $disk, "<:raw", $ARGV[0]) or exit 2;
        while (my $line = <STDIN>) {
            my ($offset, $length) = split " ", $line;
            sysseek($disk, $offset, 0) or exit 2;
            my $bytes = "";
            while (length($bytes) < $length) {
                sysread($disk, $bytes, $length - length($bytes), length($bytes)) or exit 2;
            }
            exit 1 if $bytes =~ /[^\0]/;
        }' "$dev"
}

# Prints why $1 is not blank (one phrase, completing "DEV holds ..."), or nothing when it is blank.
# Called for devices that carry no md superblock. "Blank" is: nothing that blkid -p knows at the
# start or at any offset listed above, no partition the kernel sees, no signature wipefs knows,
# and zeros wherever looks_unused reads.
non_blank_reason() {
    local dev=$1 found kname part sigs off
    found=$(probe_at "$dev" 0)
    if [ -n "$found" ]; then
        echo "$found"
        return
    fi
    for off in $probe_offsets; do
        found=$(probe_at "$dev" "$off")
        if [ -n "$found" ]; then
            echo "$found at $(human_offset "$off") into the disk (where an md array, LVM or a partition keeps its data)"
            return
        fi
    done
    kname=$(basename "$dev")
    for part in /sys/class/block/"$kname"/"$kname"*; do
        if [ -e "$part/partition" ]; then
            echo "a partition table (the kernel sees partition $(basename "$part"))"
            return
        fi
    done
    sigs=$(wipefs --no-act --noheadings --output TYPE,OFFSET "$dev" | tr -s ' \n' ' ' | sed 's/ $//')
    if [ -n "$sigs" ]; then
        echo "signatures found by wipefs: $sigs"
        return
    fi
    if ! looks_unused "$dev"; then
        echo "unknown data (not all zero where an older use would show: see looks_unused in storage.sh)"
        return
    fi
}

# Disks that are still being probed have no by-id link yet and would count as missing.
udevadm settle --timeout=60 2>/dev/null || true
for i in "${!members[@]}"; do
    m=${members[$i]}
    dev_of[i]=""
    uuid_of[i]=""
    if [ ! -e "$m" ]; then
        kind_of[i]=missing
        what_of[i]="nothing (the device does not exist)"
        continue
    fi
    dev=$(readlink -f "$m")
    [ -b "$dev" ] || die "$m is not a block device"
    kname=$(basename "$dev")
    # A whole disk only: not a partition, and not a device-mapper, md or loop device (no "device").
    [ -e "/sys/class/block/$kname/partition" ] && usage "$m is a partition ($dev): give the whole disk"
    [ -e "/sys/class/block/$kname/device" ] || usage "$m ($dev) is not a whole disk (no device behind it): give the disk's own /dev/disk/by-id/ path"
    for j in "${!dev_of[@]}"; do
        [ "$j" -lt "$i" ] && [ "${dev_of[j]}" = "$dev" ] && usage "$m and ${members[j]} are the same disk ($dev)"
    done
    dev_of[i]=$dev
    if md=$(mdadm --examine --export "$dev" 2>/dev/null) && grep -q '^MD_UUID=' <<<"$md"; then
        md_name=$(sed -n 's/^MD_NAME=//p' <<<"$md")
        md_level=$(sed -n 's/^MD_LEVEL=//p' <<<"$md")
        uuid_of[i]=$(sed -n 's/^MD_UUID=//p' <<<"$md")
        # Names are stored as "homehost:name"; the homehost part does not identify the array. Only
        # a RAID 1 of that name is ours: any other level is somebody else's array.
        if [ "${md_name##*:}" = "$name" ] && [ "$md_level" = raid1 ]; then
            kind_of[i]=ours
            what_of[i]="md array '$name' (UUID ${uuid_of[i]})"
        else
            kind_of[i]=foreign
            what_of[i]="a foreign md array '${md_name:-unnamed}' (${md_level:-unknown level}, UUID ${uuid_of[i]})"
        fi
        continue
    fi
    reason=$(non_blank_reason "$dev")
    if [ -z "$reason" ]; then
        kind_of[i]=blank
        what_of[i]="nothing (blank)"
    else
        kind_of[i]=foreign
        what_of[i]=$reason
    fi
done

for i in "${!members[@]}"; do
    shown=${members[$i]}
    [ -n "${dev_of[i]}" ] && [ "${dev_of[i]}" != "$shown" ] && shown="$shown (${dev_of[i]})"
    log "member $shown holds ${what_of[i]}"
done

total=${#members[@]}
status() {
    # $1 state, then optional: active members, usable bytes, md uuid, fs uuid, device
    printf 'homelab-storage: state=%s changed=%s members=%s/%s size=%s uuid=%s fs_uuid=%s device=%s mount=%s\n' \
        "$1" "$changed" "${2:-0}" "$total" "${3:--}" "${4:--}" "${5:--}" "${6:--}" "$mount_dir"
}
refuse() {
    log "refusing: $*"
    if [ "$restored" = yes ]; then
        log "the members are as they were before this run. Nothing here ever wipes a disk: if a disk" \
            "really is to be reused, wipe it by hand (wipefs -a, blkdiscard) and run again."
    elif [ "$changed" = no ]; then
        log "no disk was written. Nothing here ever wipes a disk: if a disk really is to be reused," \
            "wipe it by hand (wipefs -a, blkdiscard) and run again."
    else
        log "this run already made the changes logged above; it writes nothing more."
    fi
    status refused
    exit 2
}

# --- 2./3. Decide: assemble what is there, or create on blank disks, or refuse ----------------

# The md device (kernel name, e.g. md127) that holds member $1, if any.
holder_of() {
    local h
    for h in /sys/class/block/"$(basename "$1")"/holders/md*; do
        [ -e "$h" ] && basename "$h"
    done
    return 0
}

# Bytes for people: whole MiB below 10 GiB, else GiB with one decimal.
human_size() {
    local tenths=$(($1 * 10 / 1024 / mib))
    if [ "$tenths" -lt 100 ]; then
        echo "$(($1 / mib)) MiB"
    else
        echo "$((tenths / 10)).$((tenths % 10)) GiB"
    fi
}

array_uuid=""
ours=()
for i in "${!members[@]}"; do
    [ "${kind_of[i]}" = ours ] || continue
    if [ -n "$array_uuid" ] && [ "${uuid_of[i]}" != "$array_uuid" ]; then
        refuse "${members[$i]} holds another array also named '$name' (UUID ${uuid_of[i]}," \
            "not $array_uuid); which one is right is for a human to decide"
    fi
    array_uuid=${uuid_of[i]}
    ours+=("${dev_of[i]}")
done

created=no
if [ -z "$array_uuid" ]; then
    problems=()
    for i in "${!members[@]}"; do
        case "${kind_of[i]}" in
        blank) ;;
        missing) problems+=("${members[$i]} does not exist (an array is only created with every member present)") ;;
        *) problems+=("${members[$i]}${dev_of[i]:+ (${dev_of[i]})} holds ${what_of[i]}") ;;
        esac
    done
    if [ "${#problems[@]}" -gt 0 ]; then
        for p in "${problems[@]}"; do
            log "refusing: $p"
        done
        refuse "no md array '$name' found and not every member is blank: not creating anything"
    fi
    devs=()
    for i in "${!members[@]}"; do devs+=("${dev_of[i]}"); done
    # A RAID 1 is as large as its smallest member: mdadm only warns about the rest (and --run
    # hides even that), so a mismatch is refused unless asked for.
    smallest=0 largest=0 sizes=""
    for dev in "${devs[@]}"; do
        size=$(blockdev --getsize64 "$dev")
        sizes+="${sizes:+, }$dev $(human_size "$size")"
        [ "$smallest" -ne 0 ] && [ "$size" -ge "$smallest" ] || smallest=$size
        [ "$size" -le "$largest" ] || largest=$size
    done
    if [ $((largest * 100)) -gt $((smallest * 101)) ]; then
        if [ "$allow_size_mismatch" = no ]; then
            refuse "the members differ in size by more than 1% ($sizes): the array would be at most" \
                "$(human_size "$smallest") and leave $(human_size $((largest - smallest))) of the larger disk unused." \
                "Use disks of the same size, or set allowSizeMismatch (--allow-size-mismatch) to accept it"
        fi
        log "the members differ in size ($sizes): the array will be at most $(human_size "$smallest"), as allowed"
    fi
    log "every member is blank: creating RAID 1 '$name' on ${devs[*]}"
    # mdadm writes the superblock, bitmap and bad-block log between 4 KiB and the data offset, all
    # within the first MiB (super1.c, write_init_super1), and nothing else with --assume-clean
    # (no initial sync yet): keep each member's first 4 MiB to put back if the array is refused.
    heads=$(mktemp -d /run/homelab-storage-heads.XXXXXX)
    trap 'rm -f "$tmp"; rm -rf "$heads"' EXIT
    for i in "${!devs[@]}"; do
        dd if="${devs[i]}" of="$heads/$i" bs=1M count=4 status=none
    done
    # --run: no interactive question (the disks were just proven blank); stdin closed in any case.
    mdadm --create "/dev/md/$name" --run --assume-clean --level=1 --raid-devices="${#devs[@]}" \
        --metadata=1.2 --name="$name" --homehost=any "${devs[@]}" </dev/null >&2
    udevadm settle 2>/dev/null || true
    created=yes
    note_change "created md array '$name'"
    ours=("${devs[@]}")
    array_uuid=$(mdadm --examine --export "${devs[0]}" | sed -n 's/^MD_UUID=//p')
    new_md=$(holder_of "${devs[0]}")
    [ -n "$new_md" ] || die "mdadm --create made no array holding ${devs[0]}"
    # The array's own content, before anything is written to it: blank members make a blank array.
    # Whatever shows here (an old filesystem at the data offset of this mdadm) would be formatted
    # over or adopted as if new, so the array is stopped and the members put back as they were.
    found=$(non_blank_reason "/dev/$new_md")
    if [ -n "$found" ]; then
        mdadm --stop "/dev/$new_md" >&2
        for i in "${!devs[@]}"; do
            dd if="$heads/$i" of="${devs[i]}" bs=1M conv=notrunc,fsync status=none
        done
        udevadm settle 2>/dev/null || true
        restored=yes
        changed=no
        refuse "the new array '$name' showed $found, although every member looked blank: it was" \
            "stopped and the first 4 MiB of ${devs[*]} put back as they were"
    fi
    # The initial sync that --assume-clean skipped: copies the first member onto the others.
    if ! echo repair 2>/dev/null >"/sys/block/$new_md/md/sync_action"; then
        log "warning: could not start the first sync of /dev/$new_md; start it with: echo repair >/sys/block/$new_md/md/sync_action"
    fi
fi

md=""
for dev in "${ours[@]}"; do
    h=$(holder_of "$dev")
    [ -n "$h" ] || continue
    if [ -n "$md" ] && [ "$h" != "$md" ]; then
        die "the members of '$name' are split over /dev/$md and /dev/$h; stop and inspect by hand"
    fi
    md=$h
done
if [ -n "$md" ] && [ "$(cat "/sys/block/$md/md/array_state")" = inactive ]; then
    # udev's incremental assembly collected some members but did not start the array (it waits
    # for all of them). Stopping an inactive array writes nothing; assembling below starts it.
    log "/dev/$md is an inactive, partly assembled '$name': stopping it to assemble it properly"
    mdadm --stop "/dev/$md" >&2
    md=""
fi
if [ -z "$md" ]; then
    log "assembling '$name' from ${ours[*]}"
    # --run starts the array even with members missing; never --create here, never --force.
    mdadm --assemble "/dev/md/$name" --run --uuid="$array_uuid" "${ours[@]}" </dev/null >&2
    udevadm settle 2>/dev/null || true
    note_change "assembled md array '$name'"
    for dev in "${ours[@]}"; do
        h=$(holder_of "$dev")
        [ -n "$h" ] && md=$h && break
    done
    [ -n "$md" ] || die "mdadm assembled nothing for '$name'"
fi
md_dev=/dev/$md
detail=$(mdadm --detail --export "$md_dev")
running_uuid=$(sed -n 's/^MD_UUID=//p' <<<"$detail")
# An adopted array may use another superblock version; mdadm.conf must name the one it has.
metadata=$(sed -n 's/^MD_METADATA=//p' <<<"$detail")
[ "$running_uuid" = "$array_uuid" ] || die "$md_dev has UUID $running_uuid, expected $array_uuid"

raid_disks=$(cat "/sys/block/$md/md/raid_disks")
missing_count=$(cat "/sys/block/$md/md/degraded")
active=$((raid_disks - missing_count))
array_size=$(blockdev --getsize64 "$md_dev")
# A member path that does not exist, while the array has all its disks without it, is not a
# failed disk but a wrong path in the config: a run that called this clean would hide it.
if [ "$missing_count" -eq 0 ]; then
    for i in "${!members[@]}"; do
        if [ "${kind_of[i]}" = missing ]; then
            echo "homelab-storage: error: --member ${members[$i]} does not exist, while array '$name'" \
                "($md_dev) runs on all its $raid_disks disks without it: the member path is wrong." \
                "Fix it in the config (ls -l /dev/disk/by-id shows the disks' paths)."
            log "error: --member ${members[$i]} does not exist, while array '$name' runs complete without it"
            status misconfigured "$active" "$array_size" "$array_uuid" - "$md_dev"
            exit 64
        fi
    done
fi
state=clean
[ "$created" = yes ] && state=created
if [ "$missing_count" -gt 0 ]; then
    state=degraded
    log "DEGRADED: array '$name' ($md_dev) runs on $active of $raid_disks disks; the data is NOT redundant."
    for i in "${!members[@]}"; do
        if [ -z "${dev_of[i]}" ] || [ -z "$(holder_of "${dev_of[i]}")" ]; then
            log "DEGRADED: ${members[$i]} is not in the array: it holds ${what_of[i]}; left untouched."
        fi
    done
    log "DEGRADED: to rebuild onto a new, blank disk (this copies the whole surviving disk onto it):"
    log "DEGRADED:   mdadm --manage /dev/md/$name --add /dev/disk/by-id/<new disk>"
fi
# All members present is not yet redundant while the first sync or a rebuild runs.
sync_action=$(cat "/sys/block/$md/md/sync_action" 2>/dev/null || echo idle)
if [ "$sync_action" != idle ]; then
    log "SYNCING: array '$name' ($md_dev) is in $sync_action: the data is redundant only when it ends (see /proc/mdstat)."
fi

# --- filesystem -------------------------------------------------------------------------------

fs_probe=$(blkid -p -o export "$md_dev" 2>/dev/null || true)
fs_type=$(sed -n 's/^TYPE=//p' <<<"$fs_probe")
if [ -z "$fs_type" ]; then
    # Only a freshly created array, or one whose first run stopped before mkfs, gets a filesystem,
    # and only if its start and end are still zero.
    if [ "$created" = no ] && ! looks_unused "$md_dev"; then
        refuse "array '$name' ($md_dev) holds no filesystem but is not blank either"
    fi
    # nodiscard: mkfs would otherwise TRIM the whole array, and through the VM's discard=on the
    # real disks. Nothing may ever erase more than the filesystem's own metadata writes.
    mkfs.ext4 -q -E nodiscard -L "$name" "$md_dev" </dev/null >&2
    note_change "made an ext4 filesystem labelled '$name' on $md_dev"
    fs_probe=$(blkid -p -o export "$md_dev")
    fs_type=$(sed -n 's/^TYPE=//p' <<<"$fs_probe")
fi
fs_uuid=$(sed -n 's/^UUID=//p' <<<"$fs_probe")
[ -n "$fs_uuid" ] || die "$md_dev holds a $fs_type filesystem without a UUID"

# Replaces $1 by the content of $2 only when they differ; keeps the file's mode. True if replaced.
install_if_changed() {
    local target=$1 new=$2
    if [ -f "$target" ] && cmp -s "$target" "$new"; then
        rm -f "$new"
        return 1
    fi
    chmod 644 "$new"
    if [ -f "$target" ]; then chmod --reference="$target" "$new"; fi
    mv -f "$new" "$target"
}

# --- 4. fstab and mount -------------------------------------------------------------------------

# Something else mounted there stops the run before fstab loses that mount's own line.
if mountpoint -q "$mount_dir"; then
    mounted_uuid=$(findmnt -n -o UUID --mountpoint "$mount_dir" || true)
    [ "$mounted_uuid" = "$fs_uuid" ] ||
        die "$mount_dir is a mount of something else (UUID ${mounted_uuid:-unknown}), not $md_dev"
fi

fstab_line="UUID=$fs_uuid $mount_dir $fs_type defaults,nofail 0 2"
tmp=$(mktemp "$fstab.homelab.XXXXXX")
{
    # Keep every line except an older entry for this mount point or this filesystem.
    if [ -f "$fstab" ]; then
        awk -v dir="$mount_dir" -v src="UUID=$fs_uuid" \
            '$1 !~ /^#/ && ($2 == dir || $1 == src) { next } { print }' "$fstab"
    fi
    echo "$fstab_line"
} >"$tmp"
if install_if_changed "$fstab" "$tmp"; then
    note_change "wrote $fstab: $fstab_line"
    # systemd generates mount units from fstab; without a reload it would act on the old ones.
    if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
fi

if ! mountpoint -q "$mount_dir"; then
    mkdir -p "$mount_dir"
    if [ -n "$(ls -A "$mount_dir")" ]; then
        log "warning: $mount_dir already has files on the OS disk; the array's mount will hide them"
    fi
    mount "$mount_dir"
    note_change "mounted $md_dev on $mount_dir"
fi

# --- mdadm.conf, monitor, initramfs ---------------------------------------------------------------

mkdir -p "$(dirname "$mdadm_conf")"
tmp=$(mktemp "$mdadm_conf.homelab.XXXXXX")
{
    # Keep everything (comments, HOMEHOST, other arrays) but MAILADDR and this array's ARRAY line
    # (with its indented continuation lines), then append ours: the result is the same every run.
    if [ -f "$mdadm_conf" ]; then
        awk -v uuid="UUID=$array_uuid" -v dev="/dev/md/$name" '
            /^[ \t]/ && skip { next }
            { skip = 0 }
            /^MAILADDR([ \t]|$)/ { next }
            /^ARRAY([ \t]|$)/ && ($2 == dev || index($0, uuid)) { skip = 1; next }
            { print }' "$mdadm_conf"
    fi
    echo "ARRAY /dev/md/$name metadata=${metadata:-1.2} UUID=$array_uuid"
    echo "MAILADDR $mail"
} >"$tmp"
if install_if_changed "$mdadm_conf" "$tmp"; then
    note_change "wrote $mdadm_conf (ARRAY /dev/md/$name UUID=$array_uuid, MAILADDR $mail)"
fi

if [ -d /run/systemd/system ]; then
    # Debian's udev rules pull in mdmonitor.service at boot whenever an array exists; on the run
    # that creates the array, and after a manual stop, it has to be started here.
    if ! systemctl -q is-active mdmonitor.service; then
        systemctl start mdmonitor.service
        note_change "started mdmonitor.service (mdadm --monitor --scan, mails $mail)"
    fi
    # Debian ships this daily reminder for degraded arrays but leaves it disabled.
    if ! systemctl -q is-enabled mdmonitor-oneshot.timer 2>/dev/null; then
        systemctl enable --now mdmonitor-oneshot.timer 2>&1 | sed 's/^/storage: /' >&2
        note_change "enabled mdmonitor-oneshot.timer (daily mail while an array is degraded)"
    fi
fi

# At boot, udev assembles the array as its disks appear, but starts it only once all of them are
# there; Debian's last-resort timer (udev-md-raid-assembly.rules) then starts a partial array only
# if its homehost is this host's, which --homehost=any never is. So with a disk missing the array
# would stay inactive, and unmounted, until the next run. This unit starts whatever udev left
# partly assembled (mdadm --incremental --run --scan), mounts the array, and has mdadm check the
# arrays once (--oneshot, as Debian's daily reminder does), which mails MAILADDR about a degraded
# array as the running monitor does about a failed disk. It waits for udev's queue itself (udevadm
# settle after the coldplug trigger) rather than through systemd-udev-settle.service, which systemd
# deprecates and warns about on every boot.
boot_unit=/etc/systemd/system/homelab-raid-$name.service
tmp=$(mktemp "$boot_unit.homelab.XXXXXX")
cat >"$tmp" <<EOF
# Written by homelab's storage.sh: starts md array '$name' at boot even with a member missing.
[Unit]
Description=Start md array $name even with a member missing, and mount it on $mount_dir
After=systemd-udev-trigger.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStartPre=/bin/udevadm settle
ExecStart=/sbin/mdadm --incremental --run --scan
ExecStart=/bin/udevadm settle
ExecStart=/bin/sh -c 'mountpoint -q $mount_dir || mount $mount_dir || mountpoint -q $mount_dir'
ExecStart=/sbin/mdadm --monitor --scan --oneshot

[Install]
WantedBy=multi-user.target
EOF
if install_if_changed "$boot_unit" "$tmp"; then
    note_change "wrote $boot_unit (starts the array at boot even with a member missing)"
    if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
fi
if [ -d /run/systemd/system ] && ! systemctl -q is-enabled "$(basename "$boot_unit")" 2>/dev/null; then
    systemctl enable "$(basename "$boot_unit")" 2>&1 | sed 's/^/storage: /' >&2
    note_change "enabled $(basename "$boot_unit")"
fi

# The initramfs carries a copy of mdadm.conf; it is stale exactly when mdadm.conf is newer.
initrd=/boot/initrd.img-$(uname -r)
if [ -f "$initrd" ] && command -v update-initramfs >/dev/null && [ "$mdadm_conf" -nt "$initrd" ]; then
    log "mdadm.conf is newer than $initrd: updating the initramfs"
    update-initramfs -u -k "$(uname -r)" >&2
    note_change "updated $initrd"
fi

[ "$changed" = no ] && log "changed nothing"
status "$state" "$active" "$array_size" "$array_uuid" "$fs_uuid" "$md_dev"
