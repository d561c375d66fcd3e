#!/usr/bin/env bash
# A stand-in for Proxmox's `pct`, for tests of scripts that run on the node: it keeps one
# container's config as `pct config` prints it, in $PCT_DIR/pending (what `pct config` shows) and
# $PCT_DIR/current (what `pct config --current` shows), and logs every call to $PCT_DIR/calls.
# With PCT_HOTPLUG=no a `set` stays pending until `pct reboot`, as for a mount point Proxmox cannot
# hotplug into a running container. `pct exec VMID -- CMD...` runs CMD, stdin passed through, in
# a container made from the Debian root filesystem at $PCT_ROOT (systemd-nspawn).
set -euo pipefail
dir="${PCT_DIR:?}"
echo "pct $*" >>"$dir/calls"
touch "$dir/pending" "$dir/current"
edit() { # file key [value]: drop the key's line, then add "key: value" when given
    grep -v "^$2: " "$1" >"$1.new" || true
    if [ "$#" -eq 3 ]; then printf '%s: %s\n' "$2" "$3" >>"$1.new"; fi
    mv "$1.new" "$1"
}
cmd="$1"
shift
shift # the vmid
case "$cmd" in
config) if [ "${1:-}" = --current ]; then cat "$dir/current"; else cat "$dir/pending"; fi ;;
status) echo "status: running" ;;
reboot) cp "$dir/pending" "$dir/current" ;;
resize)
    for f in pending current; do
        line=$(grep "^$1: " "$dir/$f")
        edit "$dir/$f" "$1" "$(sed -E "s/^$1: //; s/size=[^,]*/size=$2/" <<<"$line")"
    done
    ;;
set)
    files=(pending)
    [ "${PCT_HOTPLUG:-yes}" = no ] || files+=(current)
    for f in "${files[@]}"; do
        if [ "$1" = --delete ]; then edit "$dir/$f" "$2"; else edit "$dir/$f" "${1#-}" "$2"; fi
    done
    ;;
exec)
    [ "${1:-}" != -- ] || shift
    exec systemd-nspawn -q --register=no --keep-unit --private-network --console=pipe -D "${PCT_ROOT:?fake pct: exec needs PCT_ROOT}" -- "$@"
    ;;
*) echo "fake pct: unknown command $cmd" >&2; exit 2 ;;
esac
