#!/usr/bin/env bash
# Root's SSH keys in an LXC guest (a Docker host, a plain container), written from the Proxmox
# node with `pct exec`. The provider replaces a container whenever its keys change
# (test/providerTruth.ts, row "ContainerLegacy initialization.userAccount"): a replacement would
# wipe the guest's data (a Docker host's /var/lib/docker), so the keys given at creation are kept
# current here instead, in place. Running on the node, it needs
# no login into the container: a rotated key pair works even though the old key is gone.
#
# Usage: bash authorized-keys.sh --vmid N < KEYS
#   --vmid N     required; the container's id (it must be running)
#   stdin        the wanted keys, one OpenSSH public key a line ("type base64 [comment]"); at
#                least one, or nobody could log in. They replace /root/.ssh/authorized_keys whole,
#                so a key removed from the list can no longer log in.
#
# Output: progress on stderr; on stdout exactly one line,
#   homelab-keys: vmid=<N> changed=<yes|no>
# Exit status: 0 done, 2 bad arguments or keys (nothing was touched), 1 anything else failed.
set -euo pipefail

die() { # exit status, message
    echo "authorized-keys: $2" >&2
    exit "$1"
}

if [ "$#" -ne 2 ] || [ "$1" != --vmid ]; then die 2 "usage: authorized-keys.sh --vmid N < KEYS"; fi
vmid="$2"
[[ "$vmid" =~ ^[1-9][0-9]{2,8}$ ]] || die 2 "--vmid must be a guest id such as 101, got \"$vmid\""

want=""
n=0
while IFS= read -r line || [ -n "$line" ]; do
    line="${line%$'\r'}"
    [ -n "${line//[[:space:]]/}" ] || continue
    # A key line: its type, then base64; an options prefix or anything else is refused.
    [[ "$line" =~ ^(ssh-[a-z0-9-]+|ecdsa-sha2-nistp[0-9]+|sk-[a-z0-9@.-]+)\ [A-Za-z0-9+/]+=*(\ .*)?$ ]] ||
        die 2 "line $((n + 1)) of stdin is not an OpenSSH public key (type, base64, optional comment): \"${line:0:40}\""
    want+="$line"$'\n'
    n=$((n + 1))
done
[ "$n" -gt 0 ] || die 2 "stdin holds no key: give at least one, or nobody could log in"

have=$(pct exec "$vmid" -- cat /root/.ssh/authorized_keys 2>/dev/null || true)
if [ "$have"$'\n' = "$want" ]; then
    echo "homelab-keys: vmid=$vmid changed=no"
    exit 0
fi
echo "authorized-keys: writing $n key(s) to /root/.ssh/authorized_keys of $vmid" >&2
# Written beside the old file and renamed over it: sshd never reads half a file.
printf '%s' "$want" | pct exec "$vmid" -- sh -c 'umask 077 && mkdir -p /root/.ssh && cat >/root/.ssh/authorized_keys.homelab && mv -f /root/.ssh/authorized_keys.homelab /root/.ssh/authorized_keys'
echo "homelab-keys: vmid=$vmid changed=yes"
