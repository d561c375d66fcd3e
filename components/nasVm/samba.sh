#!/usr/bin/env bash
# samba.sh: installs the NAS's smb.conf, its Samba users and its share directories, touching no
# file inside a share: the shares hold the family's data.
#
# Usage (as root):
#   samba.sh --config FILE [--mount DIR]  < users
#
#   --config FILE  the complete smb.conf to install as /etc/samba/smb.conf (see smbConf.ts).
#   --mount DIR    optional but recommended: the data array's mount point. The script then
#                  refuses (exit 2) unless DIR is a mounted filesystem and every share path lies
#                  under it, so that nothing is ever written to the OS disk in the array's place.
#   stdin          one line per user, three fields separated by one TAB each:
#                      user<TAB>password<TAB>share1,share2
#                  user: [a-z_][a-z0-9_-]*, at most 32 chars; password: any text without TAB or
#                  newline; shares: section names of the config. Empty lines are ignored. Users
#                  missing from stdin are left as they are (never deleted), but lose their share
#                  groups.
#
# What it does:
#   - installs samba with apt-get if smbd, testparm, pdbedit or smbpasswd is missing;
#   - validates FILE with `testparm -s` (failing on any "Unknown parameter") before installing it;
#   - creates each user if missing as a system user without home and with a nologin shell;
#   - gives each share a group "smb-<share>" whose members are exactly that share's users, and
#     creates the share directory as root:smb-<share> mode 2770 (setgid, so files made inside
#     keep the share's group). An existing directory gets only its own owner/group/mode fixed,
#     never anything below it: nothing is chowned or chmodded recursively;
#   - sets each user's Samba password (smbpasswd -a -s) and reports a change only when the stored
#     NT hash differs afterwards;
#   - restarts smbd only when smb.conf changed (starts and enables it if it is not running), and
#     stops nmbd when the config disables NetBIOS (it would otherwise fail at every start).
# Output: progress on stderr, and as the last line on stdout:
#   homelab-samba: changed=yes|no users=N shares=M
# Exit codes: 0 done, 2 refused (array not mounted, share outside it), 64 bad arguments or input,
#             1 any other failure (including an invalid config, which is then not installed).
set -euo pipefail
umask 022
export LC_ALL=C
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

readonly installed_conf=/etc/samba/smb.conf
readonly group_prefix=smb-

log() { printf 'samba: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}
usage() {
    log "usage: $*"
    log "usage: samba.sh --config FILE [--mount DIR] < lines of user<TAB>password<TAB>share,share"
    exit 64
}

config=""
mount_dir=""
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage "$1 needs a value"
    case "$1" in
    --config) config=$2 ;;
    --mount) mount_dir=$2 ;;
    *) usage "unknown argument $1" ;;
    esac
    shift 2
done
[ -n "$config" ] || usage "--config is required"
[ -f "$config" ] || usage "--config $config is not a file"
[ "$(id -u)" -eq 0 ] || die "must run as root"

changed=no
note_change() {
    changed=yes
    log "$*"
}

# --- read and check the users first, so that bad input changes nothing ------------------------

users=()
declare -A password_of=() shares_of=()
line_no=0
while IFS= read -r line || [ -n "$line" ]; do
    line_no=$((line_no + 1))
    [ -n "$line" ] || continue
    # Split on single TABs by hand: with IFS=$'\t', read would merge empty fields.
    [[ "$line" == *$'\t'*$'\t'* ]] || usage "stdin line $line_no: expected user<TAB>password<TAB>shares"
    user=${line%%$'\t'*}
    rest=${line#*$'\t'}
    password=${rest%%$'\t'*}
    shares=${rest#*$'\t'}
    [[ "$user" =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || usage "stdin line $line_no: bad user name"
    [ -n "$password" ] || usage "stdin line $line_no: empty password for $user"
    [[ "$shares" =~ ^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$ ]] || usage "stdin line $line_no: bad share list for $user"
    [ -z "${password_of[$user]+set}" ] || usage "stdin line $line_no: $user given twice"
    users+=("$user")
    password_of[$user]=$password
    shares_of[$user]=",$shares,"
done

# --- samba itself -----------------------------------------------------------------------------

samba_installed() {
    command -v smbd >/dev/null && command -v testparm >/dev/null &&
        command -v pdbedit >/dev/null && command -v smbpasswd >/dev/null
}
if ! samba_installed; then
    log "installing samba"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends samba >&2
    samba_installed || die "samba is still missing after apt-get install"
    note_change "installed samba"
fi

# --- validate the config with testparm, the parser smbd itself uses --------------------------

errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
if ! testparm -s "$config" >/dev/null 2>"$errors"; then
    cat "$errors" >&2
    die "testparm rejects $config"
fi
# testparm exits 0 on unknown parameters and only warns, but smbd then ignores the line: an
# ignored "valid users" would open a share to everyone.
if grep -q 'Unknown parameter' "$errors"; then
    grep 'Unknown parameter' "$errors" >&2
    die "testparm finds unknown parameters in $config"
fi

# The share sections, as testparm reads them (comments, case and continuation lines resolved).
param() { testparm -s --section-name="$1" --parameter-name="$2" "$config" 2>/dev/null; }
mapfile -t sections <<<"$(testparm -s "$config" 2>/dev/null | sed -n 's/^\[\(.*\)\]$/\1/p')"
share_names=()
for s in "${sections[@]}"; do
    case "$s" in
    global | homes | printers | print\$) continue ;;
    esac
    [[ "$s" =~ ^[A-Za-z0-9_-]+$ ]] || die "share name [$s] cannot name a group; use letters, digits, '_', '-'"
    share_names+=("$s")
done
declare -A path_of=()
for s in "${share_names[@]}"; do
    path_of[$s]=$(param "$s" path)
    [[ "${path_of[$s]}" == /* ]] || die "share [$s] has no absolute path"
done
for user in "${users[@]}"; do
    IFS=, read -r -a wanted <<<"${shares_of[$user]#,}"
    for s in "${wanted[@]}"; do
        [ -n "${path_of[$s]+set}" ] || usage "$user is given share '$s', which $config does not define"
    done
done

if [ -n "$mount_dir" ]; then
    if ! mountpoint -q "$mount_dir"; then
        log "refusing: $mount_dir is not mounted; share directories would land on the OS disk"
        exit 2
    fi
    for s in "${share_names[@]}"; do
        case "${path_of[$s]}" in
        "${mount_dir%/}"/?*) ;;
        *)
            log "refusing: share [$s] path ${path_of[$s]} is not under $mount_dir"
            exit 2
            ;;
        esac
    done
fi

if [ -f "$installed_conf" ] && cmp -s "$config" "$installed_conf"; then
    conf_changed=no
else
    install -m 644 "$config" "$installed_conf.homelab-new"
    mv -f "$installed_conf.homelab-new" "$installed_conf"
    conf_changed=yes
    note_change "installed $installed_conf"
fi

# --- users and groups -------------------------------------------------------------------------

for user in "${users[@]}"; do
    if ! getent passwd "$user" >/dev/null; then
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
        note_change "created system user $user"
    fi
done

for s in "${share_names[@]}"; do
    group=$group_prefix$s
    if ! getent group "$group" >/dev/null; then
        groupadd --system "$group"
        note_change "created group $group"
    fi
    wanted=()
    for user in "${users[@]}"; do
        [[ "${shares_of[$user]}" == *",$s,"* ]] && wanted+=("$user")
    done
    want=$(printf '%s\n' "${wanted[@]}" | sed '/^$/d' | sort | paste -sd, -)
    have=$(getent group "$group" | cut -d: -f4 | tr , '\n' | sed '/^$/d' | sort | paste -sd, -)
    if [ "$want" != "$have" ]; then
        gpasswd -M "$want" "$group" >/dev/null
        note_change "group $group now has members: ${want:-none}"
    fi
done

# --- share directories: the directory itself only, never its content ---------------------------

for s in "${share_names[@]}"; do
    dir=${path_of[$s]}
    group=$group_prefix$s
    if [ -L "$dir" ]; then
        die "share [$s] path $dir is a symbolic link; not following it"
    elif [ ! -e "$dir" ]; then
        install -d -o root -g "$group" -m 2770 "$dir"
        note_change "created $dir (root:$group 2770)"
    elif [ ! -d "$dir" ]; then
        die "share [$s] path $dir exists and is not a directory"
    elif [ "$(stat -c '%U:%G %a' "$dir")" != "root:$group 2770" ]; then
        chown root:"$group" "$dir"
        chmod 2770 "$dir"
        note_change "set $dir itself to root:$group 2770 (its content is untouched)"
    fi
done

# --- Samba passwords --------------------------------------------------------------------------

# The NT hash that Samba stores for $1 (unsalted, so equal passwords give equal hashes).
nt_hash() { pdbedit -L -w -u "$1" 2>/dev/null | cut -d: -f4 || true; }
for user in "${users[@]}"; do
    before=$(nt_hash "$user")
    printf '%s\n%s\n' "${password_of[$user]}" "${password_of[$user]}" | smbpasswd -a -s "$user" >/dev/null
    if pdbedit -L -w -u "$user" | cut -d: -f5 | grep -q D; then
        smbpasswd -e "$user" >/dev/null
        note_change "enabled Samba account $user"
    fi
    if [ "$(nt_hash "$user")" != "$before" ]; then
        note_change "set the Samba password of $user"
    fi
done

# --- daemons ----------------------------------------------------------------------------------

if [ -d /run/systemd/system ]; then
    if ! systemctl -q is-enabled smbd.service; then
        systemctl enable smbd.service 2>&1 | sed 's/^/samba: /' >&2
        note_change "enabled smbd"
    fi
    if ! systemctl -q is-active smbd.service; then
        systemctl start smbd.service
        note_change "started smbd"
    elif [ "$conf_changed" = yes ]; then
        # A restart, not a reload: global settings such as ports and protocols need one.
        systemctl restart smbd.service
        note_change "restarted smbd for the new smb.conf"
    fi
    if [ "$(param global 'disable netbios')" = Yes ] && systemctl -q is-enabled nmbd.service 2>/dev/null; then
        systemctl disable --now nmbd.service 2>&1 | sed 's/^/samba: /' >&2
        note_change "disabled nmbd (the config disables NetBIOS)"
    fi
else
    log "warning: systemd is not running; smbd was not (re)started"
fi

[ "$changed" = no ] && log "changed nothing"
printf 'homelab-samba: changed=%s users=%s shares=%s\n' "$changed" "${#users[@]}" "${#share_names[@]}"
