#!/usr/bin/env bash
# Mounts one share, now and at every boot, as root: an SMB share with CIFS (the NAS's, or any
# guest's), or an NFSv4 export of a guest (ShareServer). The DockerHost
# component runs it on the Proxmox node for an LXC Docker host (the mount is then bind-mounted
# into the unprivileged container), or inside a VM Docker host. Safe to run again: a run that
# finds everything as wanted changes nothing and says so.
#
# Usage: bash mount-shares.sh ARGS < credentials
#   --type cifs|nfs   the protocol; default cifs
#   --name NAME       required; names the fstab entry (and the credentials file
#                     /etc/homelab/cifs/NAME.cred of a cifs mount)
#   --server HOST     required; the server's address, e.g. 192.168.1.5
#   --share SHARE     cifs: required; the share name on the server, e.g. media
#   --export DIR      nfs: required; the exported directory on the server, e.g. /srv/shares/media
#   --target DIR      required; where to mount it, e.g. /mnt/homelab/docker/media
#   --uid N --gid N   cifs: required; the owner every file appears to have. For an unprivileged
#                     container this is the HOST id: 100000 + the id inside the container.
#                     (An NFS export decides its files' owner itself: ShareServer squashes
#                     every client to the share's owner.)
#   --mode OCTAL      cifs: permissions of files and directories; default 0770
# stdin (cifs only): two lines, the SMB user name and its password. They are written to a
# root-only credentials file and never appear in a command line (which `ps` and Pulumi's state
# would show).
#
# Output: progress on stderr; on stdout exactly one line,
#   homelab-<cifs|nfs>: name=<NAME> changed=<yes|no>
# Exit status: 0 done, 2 bad arguments (nothing was touched), 1 anything else failed.
#
# While the share is not mounted, the empty target directory is made immutable (chattr +i): a
# container started before the NAS is up then fails to write into it instead of silently
# filling the node's own disk with data that belongs on the NAS.
set -euo pipefail

readonly cred_dir=/etc/homelab/cifs
readonly fstab=/etc/fstab

die() { # exit status, message
    echo "mount-shares: $2" >&2
    exit "$1"
}
log() { echo "mount-shares: $*" >&2; }

type=cifs
name=""
server=""
export_dir=""
share=""
target=""
uid=""
gid=""
mode="0770"

while [ "$#" -gt 0 ]; do
    case "$1" in
    --type | --name | --server | --share | --export | --target | --uid | --gid | --mode)
        [ "$#" -ge 2 ] || die 2 "$1 needs a value"
        case "$1" in
        --type) type="$2" ;;
        --export) export_dir="$2" ;;
        --name) name="$2" ;;
        --server) server="$2" ;;
        --share) share="$2" ;;
        --target) target="$2" ;;
        --uid) uid="$2" ;;
        --gid) gid="$2" ;;
        --mode) mode="$2" ;;
        esac
        shift 2
        ;;
    *) die 2 "unknown argument \"$1\"" ;;
    esac
done

# Every value ends up in /etc/fstab, where a space or comma would change its meaning.
[[ "$type" =~ ^(cifs|nfs)$ ]] || die 2 "--type must be cifs or nfs, got \"$type\""
[[ "$name" =~ ^[a-z0-9][a-z0-9-]{0,62}$ ]] || die 2 "--name must be lower-case letters, digits and '-', got \"$name\""
[[ "$server" =~ ^[A-Za-z0-9][A-Za-z0-9.:-]*$ ]] || die 2 "--server must be a host name or address, got \"$server\""
[[ "$target" =~ ^(/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$ ]] || die 2 "--target must be an absolute path of plain names, got \"$target\""
if [ "$type" = nfs ]; then
    [[ "$export_dir" =~ ^(/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$ ]] || die 2 "--export must be the exported directory, an absolute path of plain names, got \"$export_dir\""
    [ -z "$share$uid$gid" ] || die 2 "--share, --uid and --gid are for cifs; an NFS mount takes --export"
else
    [ -z "$export_dir" ] || die 2 "--export is for nfs; a cifs mount takes --share"
    [[ "$share" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die 2 "--share must be a share name of letters, digits, '.', '_' and '-', got \"$share\""
    [[ "$uid" =~ ^(0|[1-9][0-9]{0,9})$ ]] || die 2 "--uid must be a number, got \"$uid\""
    [[ "$gid" =~ ^(0|[1-9][0-9]{0,9})$ ]] || die 2 "--gid must be a number, got \"$gid\""
    [[ "$mode" =~ ^0[0-7]{3}$ ]] || die 2 "--mode must be an octal mode such as 0770, got \"$mode\""

    username=""
    password=""
    IFS= read -r username || true
    IFS= read -r password || true
    [ -n "$username" ] || die 2 "stdin must hold the SMB user name on its first line"
    [ -n "$password" ] || die 2 "stdin must hold the SMB password on its second line"
    # mount.cifs reads the credentials file line by line: a newline cannot be part of a value, and
    # the user name goes into the file verbatim.
    [[ "$username" =~ ^[A-Za-z0-9._-]+$ ]] || die 2 "the SMB user name must be letters, digits, '.', '_' and '-'"
fi

[ "$(id -u)" -eq 0 ] || die 1 "must run as root"

changed=no
# need PROGRAM PACKAGE: installs PACKAGE when PROGRAM is missing.
need() {
    if ! command -v "$1" >/dev/null 2>&1; then
        log "installing $2"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "$2" >&2
        changed=yes
    fi
}

credentials_changed=no
if [ "$type" = cifs ]; then
    # 1. mount.cifs. A Proxmox node has it (CIFS storage uses it); a fresh Debian VM may not.
    need mount.cifs cifs-utils

    # 2. The credentials file: root only, rewritten only when its content differs.
    cred="$cred_dir/$name.cred"
    install -d -m 0700 "$cred_dir"
    wanted=$(mktemp "$cred_dir/.new.XXXXXX")
    trap 'rm -f "$wanted"' EXIT
    chmod 0600 "$wanted"
    printf 'username=%s\npassword=%s\n' "$username" "$password" >"$wanted"
    if ! cmp -s "$wanted" "$cred"; then
        log "writing $cred"
        mv "$wanted" "$cred"
        credentials_changed=yes
        changed=yes
    fi
    source="//$server/$share"
    # _netdev: wait for the network; nofail: a server that is down must not stop the host from booting.
    line="$source $target cifs credentials=$cred,uid=$uid,gid=$gid,file_mode=$mode,dir_mode=$mode,vers=3.0,_netdev,nofail 0 0 # homelab:$name"
else
    # 1. mount.nfs4. A Proxmox node has it (NFS storage uses it); a fresh Debian VM may not.
    need mount.nfs4 nfs-common
    # An IPv6 address goes in brackets before the path.
    if [[ "$server" == *:* ]]; then source="[$server]:$export_dir"; else source="$server:$export_dir"; fi
    # hard: a write waits for a server that is away instead of failing half-way.
    line="$source $target nfs4 hard,_netdev,nofail 0 0 # homelab:$name"
fi

# 3. The fstab line, marked so that a later run finds and replaces exactly this one.
options_changed=no
if ! grep -qxF -- "$line" "$fstab"; then
    log "writing the fstab entry for $target"
    new=$(mktemp)
    grep -vE -- "# homelab:$name\$" "$fstab" >"$new" || true
    printf '%s\n' "$line" >>"$new"
    cat "$new" >"$fstab" # keeps the owner, mode and inode of /etc/fstab
    rm -f "$new"
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        systemctl daemon-reload # systemd generates mount units from fstab
    fi
    options_changed=yes
    changed=yes
fi

# 4. The mount itself: (re)mounted when anything about it changed, mounted when it is not.
if mountpoint -q "$target" && { [ "$options_changed" = yes ] || [ "$credentials_changed" = yes ]; }; then
    log "unmounting $target to mount it with the new settings"
    umount "$target"
fi
if ! mountpoint -q "$target"; then
    mkdir -p "$target"
    chattr +i "$target" 2>/dev/null || log "could not make $target immutable (filesystem without attributes)"
    log "mounting $source on $target"
    mount "$target" || die 1 "could not mount $source on $target: is the server up$([ "$type" = cifs ] && echo " and the password right" || echo " and this host on the export's clients")?"
    changed=yes
fi

echo "homelab-$type: name=$name changed=$changed"
