#!/usr/bin/env bash
# nfs.sh: makes a guest serve its NFSv4 exports: the kernel NFS server, the share directories and
# the exports file, touching no file inside a share.
#
# Usage (as root):
#   nfs.sh --config FILE [--share DIR:UID:GID]...
#
#   --config FILE      the complete exports file (see exports.ts), installed as
#                      /etc/exports.d/homelab.exports.
#   --share DIR:UID:GID  a directory the file exports and the ids its clients are squashed to:
#                      created if missing as UID:GID mode 2770; an existing directory gets only
#                      its own owner, group and mode fixed, never anything below it.
#
# What it does:
#   - installs nfs-kernel-server with apt-get if exportfs is missing;
#   - serves NFSv4 only (/etc/nfs.conf.d/homelab.conf: no NFSv3, so no rpcbind or mountd port
#     on the network);
#   - installs FILE and re-exports with `exportfs -ra`; when exportfs reports any problem with it,
#     the previous file is put back and exported again, and the script fails: a bad file never
#     stays installed;
#   - enables and starts nfs-server, and restarts it when the NFS version settings changed.
# Output: progress on stderr, and as the last line on stdout:
#   homelab-nfs: changed=yes|no exports=N
# Exit codes: 0 done, 64 bad arguments, 1 any other failure (including a file exportfs refused).
set -euo pipefail
umask 022
export LC_ALL=C
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

readonly installed=/etc/exports.d/homelab.exports
readonly conf=/etc/nfs.conf.d/homelab.conf

log() { printf 'nfs: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}
usage() {
    log "usage: $*"
    log "usage: nfs.sh --config FILE [--share DIR:UID:GID]..."
    exit 64
}

config=""
shares=()
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage "$1 needs a value"
    case "$1" in
    --config) config=$2 ;;
    --share) shares+=("$2") ;;
    *) usage "unknown argument $1" ;;
    esac
    shift 2
done
[ -n "$config" ] || usage "--config is required"
[ -f "$config" ] || usage "--config $config is not a file"
for s in "${shares[@]}"; do
    [[ "$s" =~ ^(/[A-Za-z0-9_-][A-Za-z0-9._-]*)+:[1-9][0-9]{0,4}:[1-9][0-9]{0,4}$ ]] ||
        usage "--share must be DIR:UID:GID with an absolute path of plain names, got \"$s\""
done
[ "$(id -u)" -eq 0 ] || die "must run as root"

changed=no
note_change() {
    changed=yes
    log "$*"
}

if ! command -v exportfs >/dev/null 2>&1; then
    note_change "installing nfs-kernel-server"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends nfs-kernel-server >&2
fi

# The directories first: exportfs refuses to export a path that does not exist.
for s in "${shares[@]}"; do
    dir=${s%%:*}
    ids=${s#*:}
    uid=${ids%%:*}
    gid=${ids#*:}
    if [ ! -d "$dir" ]; then
        note_change "creating $dir"
        install -d -m 2770 -o "$uid" -g "$gid" "$dir"
    fi
    if [ "$(stat -c '%u:%g %a' "$dir")" != "$uid:$gid 2770" ]; then
        note_change "setting owner $uid:$gid and mode 2770 of $dir"
        chown "$uid:$gid" "$dir"
        chmod 2770 "$dir"
    fi
done

# NFSv4 only: clients need port 2049 and nothing else.
install -d -m 0755 "$(dirname "$conf")"
conf_wanted=$'# Written by homelab (components/shareServer/nfs.sh): NFSv4 only.\n[nfsd]\nvers3=n\n'
conf_changed=no
if [ "$(cat "$conf" 2>/dev/null || true)"$'\n' != "$conf_wanted" ]; then
    note_change "writing $conf"
    printf '%s' "$conf_wanted" >"$conf"
    conf_changed=yes
fi

install -d -m 0755 "$(dirname "$installed")"
if ! cmp -s "$config" "$installed"; then
    note_change "installing $installed"
    backup=""
    if [ -f "$installed" ]; then
        backup=$(mktemp)
        cp "$installed" "$backup"
    fi
    install -m 0644 "$config" "$installed"
    # exportfs exits 0 on some bad lines (an unknown option is skipped with a message): any
    # output on stderr counts as a refusal.
    if ! out=$(exportfs -ra 2>&1) || [ -n "$out" ]; then
        log "exportfs refused the new exports:"
        printf '%s\n' "$out" >&2
        if [ -n "$backup" ]; then
            mv "$backup" "$installed"
        else
            rm -f "$installed"
        fi
        exportfs -ra >&2 || true
        die "the previous exports are back in place"
    fi
    [ -z "$backup" ] || rm -f "$backup"
fi

if ! systemctl is-enabled --quiet nfs-server 2>/dev/null; then
    note_change "enabling nfs-server"
    systemctl enable nfs-server >&2
fi
if ! systemctl is-active --quiet nfs-server; then
    note_change "starting nfs-server"
    systemctl start nfs-server
elif [ "$conf_changed" = yes ]; then
    log "restarting nfs-server for the new NFS versions"
    systemctl restart nfs-server
fi
# The running server's table must hold what the file says (a server started before the file
# existed exports it now).
exportfs -ra

echo "homelab-nfs: changed=$changed exports=$(grep -c '^/' "$installed")"
