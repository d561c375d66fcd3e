#!/usr/bin/env bash
# The mount points of an LXC Docker host that its Pulumi resource leaves alone, set with `pct` on
# the Proxmox node: the bind mounts of the NAS shares, and the size of the data volume (mp0,
# /var/lib/docker). The provider replaces a container on ANY change of its mount points (see
# test/providerTruth.ts, row "ContainerLegacy mountPoints"): a replacement would wipe Docker's
# data, so these changes are made here instead, in place. Safe to run again: a run that finds
# everything as wanted changes nothing and says so.
#
# Usage: bash container-mounts.sh ARGS
#   --vmid N              required; the container's id
#   --managed DIR         required; the node directory under which every bind-mount source of
#                         this host lies (e.g. /mnt/homelab/docker). A bind mount from under it
#                         that is not wanted any more is removed; other mount points are never touched.
#   --bind SOURCE:PATH    a wanted bind mount: node directory SOURCE (under --managed) at PATH
#                         inside the container. Repeat for each; none means remove them all.
#   --data-gb N           the wanted size of the data volume (the mount point at /var/lib/docker)
#                         in GiB; it is grown to it, never shrunk. Default: leave it alone.
#
# A bind mount keeps its mpN slot across runs (found by its source or its path), so the order of
# the --bind arguments changes nothing. A mount point Proxmox cannot hotplug into the running
# container stays pending: the container is then restarted once, so that no app writes into an
# empty directory where a share should be.
#
# Output: progress on stderr; on stdout exactly one line,
#   homelab-mounts: vmid=<N> changed=<yes|no>
# Exit status: 0 done, 2 bad arguments (nothing was touched), 1 anything else failed.
set -euo pipefail

die() { # exit status, message
    echo "container-mounts: $2" >&2
    exit "$1"
}
log() { echo "container-mounts: $*" >&2; }

readonly path_re='^(/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$'
vmid=""
managed=""
data_gb=""
binds=()
while [ "$#" -gt 0 ]; do
    case "$1" in
    --vmid | --managed | --bind | --data-gb)
        [ "$#" -ge 2 ] || die 2 "$1 needs a value"
        case "$1" in
        --vmid) vmid="$2" ;;
        --managed) managed="$2" ;;
        --bind) binds+=("$2") ;;
        --data-gb) data_gb="$2" ;;
        esac
        shift 2
        ;;
    *) die 2 "unknown argument \"$1\"" ;;
    esac
done

[[ "$vmid" =~ ^[1-9][0-9]{2,8}$ ]] || die 2 "--vmid must be a guest id such as 101, got \"$vmid\""
[[ "$managed" =~ $path_re ]] || die 2 "--managed must be an absolute path of plain names, got \"$managed\""
[ -z "$data_gb" ] || [[ "$data_gb" =~ ^[1-9][0-9]{0,5}$ ]] || die 2 "--data-gb must be a whole number of GiB, got \"$data_gb\""
declare -A want_path=() # source -> path
declare -A seen_path=()
for b in "${binds[@]}"; do
    src="${b%%:*}"
    dst="${b#*:}"
    [[ "$src" =~ $path_re && "$dst" =~ $path_re ]] || die 2 "--bind must be SOURCE:PATH, two absolute paths of plain names, got \"$b\""
    [[ "$src" == "$managed"/* ]] || die 2 "--bind source $src must lie under --managed $managed"
    [ -z "${want_path[$src]+x}" ] || die 2 "--bind source $src is given twice"
    [ -z "${seen_path[$dst]+x}" ] || die 2 "--bind path $dst is given twice"
    want_path[$src]="$dst"
    seen_path[$dst]=1
done

command -v pct >/dev/null 2>&1 || die 1 "pct not found: run this on the Proxmox node"

# The mount points as `pct config` lists them (pending values included): "mpN: VOLUME,mp=PATH,...".
declare -A slot_volume=() slot_path=() slot_size=()
read_config() {
    local line key value
    while IFS= read -r line; do
        [[ "$line" =~ ^(mp[0-9]+):\ (.*)$ ]] || continue
        key="${BASH_REMATCH[1]}"
        value="${BASH_REMATCH[2]}"
        slot_volume[$key]="${value%%,*}"
        if [[ ",$value," =~ ,mp=([^,]*), ]]; then
            slot_path[$key]="${BASH_REMATCH[1]}"
        fi
        if [[ ",$value," =~ ,size=([^,]*), ]]; then
            slot_size[$key]="${BASH_REMATCH[1]}"
        fi
    done < <(pct config "$vmid")
}
read_config

changed=no

# 1. The data volume: grown, never shrunk (Proxmox cannot shrink a volume).
if [ -n "$data_gb" ]; then
    data_slot=""
    for k in "${!slot_path[@]}"; do
        [ "${slot_path[$k]}" = /var/lib/docker ] && data_slot="$k"
    done
    [ -n "$data_slot" ] || die 1 "container $vmid has no mount point at /var/lib/docker"
    size="${slot_size[$data_slot]:-0G}"
    case "$size" in
    *T) have_gb=$((${size%T} * 1024)) ;;
    *G) have_gb=${size%G} ;;
    *M) have_gb=$((${size%M} / 1024)) ;;
    *) die 1 "cannot read the size \"$size\" of $data_slot" ;;
    esac
    if [ "$have_gb" -lt "$data_gb" ]; then
        log "growing $data_slot (/var/lib/docker) from $size to ${data_gb}G"
        pct resize "$vmid" "$data_slot" "${data_gb}G" >&2
        changed=yes
    elif [ "$have_gb" -gt "$data_gb" ]; then
        die 1 "the data volume $data_slot is $size: it cannot shrink to ${data_gb}G; set dataDiskGb to $have_gb or more"
    fi
fi

# 2. Bind mounts no longer wanted: only ours (source under --managed), never anything else.
for k in "${!slot_volume[@]}"; do
    src="${slot_volume[$k]}"
    if [[ "$src" == "$managed"/* ]] && [ -z "${want_path[$src]+x}" ]; then
        log "removing $k ($src)"
        pct set "$vmid" --delete "$k" >&2
        unset "slot_volume[$k]" "slot_path[$k]"
        changed=yes
    fi
done

# 3. Wanted bind mounts: kept in their slot; a changed one is set in the slot of its source or
# path; a new one takes the lowest free slot.
for src in $(printf '%s\n' "${!want_path[@]}" | sort); do
    dst="${want_path[$src]}"
    slot=""
    for k in "${!slot_volume[@]}"; do
        if [ "${slot_volume[$k]}" = "$src" ] || [ "${slot_path[$k]:-}" = "$dst" ]; then
            slot="$k"
        fi
    done
    if [ -n "$slot" ] && [ "${slot_volume[$slot]}" = "$src" ] && [ "${slot_path[$slot]:-}" = "$dst" ]; then
        continue
    fi
    if [ -z "$slot" ]; then
        for i in $(seq 0 255); do
            if [ -z "${slot_volume[mp$i]+x}" ]; then
                slot="mp$i"
                break
            fi
        done
        [ -n "$slot" ] || die 1 "container $vmid has no free mount point slot"
    fi
    log "setting $slot: $src at $dst"
    pct set "$vmid" "-$slot" "$src,mp=$dst" >&2
    slot_volume[$slot]="$src"
    slot_path[$slot]="$dst"
    changed=yes
done

# 4. What Proxmox could not hotplug is pending until the container restarts: restart it now,
# while nothing has used the new mounts yet.
if [ "$changed" = yes ] && pct status "$vmid" | grep -q running; then
    wanted=$(pct config "$vmid" | grep -E '^mp[0-9]+: ' | sort || true)
    current=$(pct config "$vmid" --current | grep -E '^mp[0-9]+: ' | sort || true)
    if [ "$wanted" != "$current" ]; then
        log "restarting container $vmid: its mount point changes could not be applied while it runs"
        pct reboot "$vmid" >&2
    fi
fi

echo "homelab-mounts: vmid=$vmid changed=$changed"
