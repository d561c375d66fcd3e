#!/usr/bin/env bash
# Runs on the Proxmox node (as root). Restarts a running VM that booted before its cloud-init
# user-data snippet was last written, so that the new user data reaches it.
#
# Why a restart: Proxmox builds a VM's cloud-init drive when it starts the VM (vm_start_nolock in
# qemu-server's PVE/QemuServer.pm), and with a user-data snippet its instance id is a digest of that
# user data (nocloud_gen_metadata in PVE/QemuServer/Cloudinit.pm). A changed snippet is therefore a
# new instance to cloud-init at the next start, which then runs its per-instance modules again
# (packages, write_files, runcmd). A reboot inside the guest would not do: the QEMU process, and
# with it the old drive, stays.
#
# Usage: apply-user-data.sh --vmid ID --snippet VOLUME_ID [--digest TEXT]
#   --snippet  the snippet's volume id, e.g. local:snippets/nas-user-data.yaml
#   --digest   ignored; the caller passes the user data's digest so that a change re-runs this
#
# Safe to run again: a VM that started after the snippet was written, or that is not running (its
# next start reads the snippet), is left alone.
# Output: one line on stdout, `homelab-user-data: restarted=<yes|no>`.
# Exit status: 0 done, 64 bad arguments, 1 a step failed.
set -euo pipefail

die() { # status, message
    echo "apply-user-data: $2" >&2
    exit "$1"
}

vmid=""
snippet=""
while [ $# -gt 0 ]; do
    case "$1" in
    --vmid) vmid="${2:-}" ;;
    --snippet) snippet="${2:-}" ;;
    --digest) ;;
    *) die 64 "unknown argument '$1'" ;;
    esac
    shift 2 || die 64 "$1 needs a value"
done
[[ "$vmid" =~ ^[1-9][0-9]{2,8}$ ]] || die 64 "--vmid must be a guest id (100 or more), got '$vmid'"
[[ "$snippet" =~ ^[A-Za-z][A-Za-z0-9._-]*:snippets/[A-Za-z0-9._-]+$ ]] || die 64 "--snippet must be a snippet volume id such as local:snippets/nas-user-data.yaml, got '$snippet'"

file=$(pvesm path "$snippet") || die 1 "cannot find $snippet"
[ -f "$file" ] || die 1 "$snippet ($file) is not a file"
written=$(stat -c %Y "$file")

status=$(qm status "$vmid" --verbose) || die 1 "no VM $vmid on this node"
state=$(awk '$1 == "status:" { print $2 }' <<<"$status")
if [ "$state" != running ]; then
    echo "apply-user-data: VM $vmid is $state: its next start reads the new user data" >&2
    echo "homelab-user-data: restarted=no"
    exit 0
fi
uptime=$(awk '$1 == "uptime:" { print $2 }' <<<"$status")
[[ "$uptime" =~ ^[0-9]+$ ]] || die 1 "cannot read the uptime of VM $vmid"
started=$(($(date +%s) - uptime))
if [ "$started" -ge "$written" ]; then
    echo "homelab-user-data: restarted=no"
    exit 0
fi

echo "apply-user-data: VM $vmid started before $snippet changed: restarting it" >&2
# Shuts the guest down cleanly (ACPI), then starts it again, which rebuilds the cloud-init drive.
qm reboot "$vmid" --timeout 600 >&2 || die 1 "qm reboot $vmid failed"
echo "homelab-user-data: restarted=yes"
