#!/usr/bin/env bash
# Turns a provisioned container into a template, on the Proxmox node: shuts it down (stops it if
# it does not shut down in time) and runs `pct template`. Safe to run again: a container that is
# already a template is left as it is.
#
# Usage: bash make-template.sh --vmid N
# Output: progress on stderr; on stdout exactly one line,
#   homelab-template: vmid=<N> changed=<yes|no>
# Exit status: 0 done, 2 bad arguments, 1 anything else failed.
set -euo pipefail

die() { # exit status, message
    echo "make-template: $2" >&2
    exit "$1"
}

vmid=""
while [ "$#" -gt 0 ]; do
    case "$1" in
    --vmid)
        [ "$#" -ge 2 ] || die 2 "--vmid needs a value"
        vmid="$2"
        shift 2
        ;;
    *) die 2 "unknown argument \"$1\"" ;;
    esac
done
[[ "$vmid" =~ ^[1-9][0-9]{2,8}$ ]] || die 2 "--vmid must be a guest id such as 900, got \"$vmid\""
command -v pct >/dev/null 2>&1 || die 1 "pct not found: run this on the Proxmox node"

config=$(pct config "$vmid") || die 1 "no container $vmid on this node"
if grep -qx 'template: 1' <<<"$config"; then
    echo "homelab-template: vmid=$vmid changed=no"
    exit 0
fi
if [ "$(pct status "$vmid")" != "status: stopped" ]; then
    echo "make-template: shutting $vmid down" >&2
    pct shutdown "$vmid" --timeout 120 >&2 || pct stop "$vmid" >&2
fi
pct template "$vmid" >&2
echo "homelab-template: vmid=$vmid changed=yes"
