#!/usr/bin/env bash
# storage.sh: brings up the NAS data array (mdadm RAID 1 with ext4 on it) and mounts it, and never
# destroys data. The disks hold the family's only copy of its photos and documents, so every path
# through this script either finds the array that is already on the disks, or creates one on disks
# that are provably blank, or refuses and changes nothing.
#
# Usage (as root):
#   storage.sh --name NAME --mount DIR --member DEV --member DEV [--member DEV ...] [--mail ADDR]
#
#   --name NAME    md array name (the array appears as /dev/md/NAME) and ext4 label.
#                  Letters, digits, '_' and '-', at most 16 characters (the ext4 label limit).
#   --mount DIR    absolute mount point, e.g. /srv/data. Mounted by filesystem UUID via /etc/fstab.
#   --member DEV   a whole disk of the array; repeat for each disk. Use stable paths
#                  (/dev/disk/by-id/...). A member that does not exist counts as missing.
#   --mail ADDR    where mdadm's monitor sends alerts (mdadm.conf MAILADDR). Defaults to root.
#
# What it does, in this order:
#   1. Inspects every member read-only (mdadm --examine, blkid -p, wipefs --no-act, kernel
#      partitions, and the first and last 4 MiB being zero).
#   2. If any member carries an md array named NAME: assembles that array (never re-creates it),
#      with --run so that it starts even when a member is missing, blank or stale. A degraded
#      array is reported loudly on stderr and in the status line. It is NOT rebuilt automatically,
#      not even onto a blank disk: a rebuild reads the whole surviving disk, and a disk that "looks
#      blank" in its first and last MiBs is not proof that nobody needs it. Replacing a disk is a
#      human decision; the message prints the exact mdadm command for it.
#   3. Otherwise, only if every member is present and completely blank: creates a RAID 1
#      (metadata 1.2, --homehost=any so that a re-created VM with another hostname still sees
#      /dev/md/NAME) and an ext4 filesystem labelled NAME. Anything else is refused with exit code
#      2 and a message naming each disk and what it holds; no disk is written.
#   4. Adds the mount to /etc/fstab (UUID=..., nofail) and mounts it; writes the ARRAY and MAILADDR
#      lines of /etc/mdadm/mdadm.conf; starts mdadm's monitor (mdmonitor.service, which Debian's
#      udev rules start at every boot once an array exists) and enables its daily reminder timer
#      for degraded arrays; rebuilds the initramfs only when mdadm.conf is newer than it.
#   Files are rewritten only when their content differs, so a second run changes nothing.
#
# Output: progress on stderr, and as the last line on stdout one machine-readable status:
#   homelab-storage: state=created|clean|degraded|refused changed=yes|no members=ACTIVE/TOTAL
#                    uuid=MD_UUID fs_uuid=FS_UUID device=/dev/mdN mount=DIR     (one line)
# Exit codes: 0 array up (created, clean or degraded), 2 refused (disks left untouched),
#             64 bad arguments, 1 any other failure.
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
    log "usage: storage.sh --name NAME --mount DIR --member DEV --member DEV [--mail ADDR]"
    exit 64
}

name=""
mount_dir=""
mail="root"
members=()
while [ $# -gt 0 ]; do
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
for tool in mdadm blkid wipefs blockdev mkfs.ext4 findmnt mountpoint cmp; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done

# Temporary files for atomic rewrites live beside their target; none is left behind on failure.
tmp=""
trap 'rm -f "$tmp"' EXIT

changed=no
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

# True when $3 bytes of $1 from byte $2 on are all zero.
zero_at() {
    dd if="$1" bs=64K iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none | cmp -s -n "$3" - /dev/zero
}

# True when $1 reads as zero wherever an older use of the disk would show: all of its first and
# last $blank_check_bytes (signatures sit at either end: GPT keeps a backup header at the end, md
# metadata 0.90/1.0 and some RAID controllers too), 128 KiB at every MiB of its first 128 MiB (the
# superblock of a filesystem in a partition, even after the partition table was zapped: partitions
# start on a MiB), and 1 MiB at every GiB (data whose every signature was erased). A few seconds
# on a large disk, and run only while a disk still looks blank, so only before an array is made.
looks_unused() {
    local dev=$1 size off
    size=$(blockdev --getsize64 "$dev")
    [ "$size" -ge $((2 * blank_check_bytes)) ] || return 1
    zero_at "$dev" 0 "$blank_check_bytes" || return 1
    zero_at "$dev" $((size - blank_check_bytes)) "$blank_check_bytes" || return 1
    for ((off = blank_check_bytes; off < 128 * mib && off + 128 * 1024 <= size - blank_check_bytes; off += mib)); do
        zero_at "$dev" "$off" $((128 * 1024)) || return 1
    done
    for ((off = 1024 * mib; off + mib <= size - blank_check_bytes; off += 1024 * mib)); do
        zero_at "$dev" "$off" "$mib" || return 1
    done
}

# Prints why $1 is not blank (one phrase, completing "DEV holds ..."), or nothing when it is blank.
# Called for devices that carry no md superblock.
non_blank_reason() {
    local dev=$1 probe rc=0 type="" pttype="" uuid="" label="" kname part sigs
    probe=$(blkid -p -o export "$dev" 2>/dev/null) || rc=$?
    # blkid -p: 0 = something found, 2 = nothing found, 8 = several conflicting signatures.
    if [ "$rc" -eq 8 ]; then
        echo "several conflicting signatures (blkid -p is ambivalent)"
        return
    elif [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
        echo "something blkid -p could not probe (exit $rc)"
        return
    fi
    type=$(sed -n 's/^TYPE=//p' <<<"$probe")
    pttype=$(sed -n 's/^PTTYPE=//p' <<<"$probe")
    uuid=$(sed -n 's/^UUID=//p' <<<"$probe")
    label=$(sed -n 's/^LABEL=//p' <<<"$probe")
    if [ -n "$type" ]; then
        echo "an $type filesystem (UUID ${uuid:-none}${label:+, label \"$label\"})"
        return
    fi
    if [ -n "$pttype" ]; then
        echo "a partition table ($pttype)"
        return
    fi
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
    # $1 state, then optional: active members, md uuid, fs uuid, device
    printf 'homelab-storage: state=%s changed=%s members=%s/%s uuid=%s fs_uuid=%s device=%s mount=%s\n' \
        "$1" "$changed" "${2:-0}" "$total" "${3:--}" "${4:--}" "${5:--}" "$mount_dir"
}
refuse() {
    log "refusing: $*"
    if [ "$changed" = no ]; then
        log "no disk was written. Nothing here ever wipes a disk: if a disk really is to be reused," \
            "wipe it by hand (wipefs -a, blkdiscard) and run again."
    else
        log "this run already made the changes logged above; it writes nothing more."
    fi
    status refused
    exit 2
}

# --- 2./3. Decide: assemble what is there, or create on blank disks, or refuse ----------------

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
    log "every member is blank: creating RAID 1 '$name' on ${devs[*]}"
    # --run: no interactive question (the disks were just proven blank); stdin closed in any case.
    mdadm --create "/dev/md/$name" --run --level=1 --raid-devices="${#devs[@]}" --metadata=1.2 \
        --name="$name" --homehost=any "${devs[@]}" </dev/null >&2
    udevadm settle 2>/dev/null || true
    created=yes
    note_change "created md array '$name'"
    ours=("${devs[@]}")
    array_uuid=$(mdadm --examine --export "${devs[0]}" | sed -n 's/^MD_UUID=//p')
fi

# The md device (kernel name, e.g. md127) that holds member $1, if any.
holder_of() {
    local h
    for h in /sys/class/block/"$(basename "$1")"/holders/md*; do
        [ -e "$h" ] && basename "$h"
    done
    return 0
}

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

# The initramfs carries a copy of mdadm.conf; it is stale exactly when mdadm.conf is newer.
initrd=/boot/initrd.img-$(uname -r)
if [ -f "$initrd" ] && command -v update-initramfs >/dev/null && [ "$mdadm_conf" -nt "$initrd" ]; then
    log "mdadm.conf is newer than $initrd: updating the initramfs"
    update-initramfs -u -k "$(uname -r)" >&2
    note_change "updated $initrd"
fi

[ "$changed" = no ] && log "changed nothing"
status "$state" "$active" "$array_uuid" "$fs_uuid" "$md_dev"
