#!/bin/sh
# Sets up an LXC guest from inside: installs packages, writes files, runs commands. The
# LxcContainer component runs it on the Proxmox node as `pct exec VMID -- sh -c SCRIPT provision`,
# with the spec on stdin; POSIX sh, because an Alpine guest has no bash.
#
# Spec (stdin), one record a line, fields separated by one space:
#   os DISTRIBUTION                       Proxmox's ostype; picks the package manager
#   package NAME                          installed when missing, never removed
#   file PATH MODE OWNER BASE64           PATH (absolute) holds exactly the decoded content, with
#                                         octal MODE and OWNER (user or user:group)
#   run BASE64                            a shell command (decoded), run with sh -c
#
# Safe to run again. Packages already there and files already as wanted are left alone. The
# commands run when the spec differs from the last one that ran to the end (its sha256 is kept in
# /var/lib/homelab/provision.sha256): a second run of the same spec changes nothing.
#
# Output: progress on stderr; on stdout exactly one line,
#   homelab-provision: changed=<yes|no>
# Exit status: 0 done, 2 bad spec or unsupported distribution (nothing was touched), 1 a step failed.
set -eu

die() { # exit status, message
    echo "provision: $2" >&2
    exit "$1"
}
log() { echo "provision: $*" >&2; }

state_dir=/var/lib/homelab
stamp="$state_dir/provision.sha256"
spec=$(mktemp)
scratch=$(mktemp)
trap 'rm -f "$spec" "$scratch"' EXIT
cat >"$spec"

# Check the whole spec before touching anything.
os=""
packages=""
while IFS=' ' read -r kind a b c d extra; do
    case "$kind" in
    os) os="$a" ;;
    package)
        printf '%s\n' "$a" | grep -Eq '^[A-Za-z0-9][A-Za-z0-9.+_-]*$' || die 2 "bad package name \"$a\""
        packages="$packages $a"
        ;;
    file)
        printf '%s\n' "$a" | grep -Eq '^(/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$' || die 2 "bad file path \"$a\""
        printf '%s\n' "$b" | grep -Eq '^0?[0-7]{3,4}$' || die 2 "bad mode \"$b\" for $a"
        printf '%s\n' "$c" | grep -Eq '^[a-z_][a-z0-9_-]*(:[a-z_][a-z0-9_-]*)?$' || die 2 "bad owner \"$c\" for $a"
        [ -z "$extra" ] || die 2 "bad file record for $a"
        ;;
    run) [ -n "$a" ] || die 2 "empty run record" ;;
    "") ;;
    *) die 2 "unknown spec record \"$kind\"" ;;
    esac
    : "$d"
done <"$spec"

case "$os" in
debian | ubuntu)
    installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q ' installed$'; }
    install() {
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
    }
    ;;
alpine)
    installed() { apk info -e "$1" >/dev/null 2>&1; }
    install() { apk add --no-cache "$@" >&2; }
    ;;
fedora | centos)
    installed() { rpm -q "$1" >/dev/null 2>&1; }
    install() { dnf install -y -q "$@" >&2; }
    ;;
opensuse)
    installed() { rpm -q "$1" >/dev/null 2>&1; }
    install() { zypper --non-interactive install "$@" >&2; }
    ;;
"") die 2 "the spec names no os" ;;
*) die 2 "cannot provision a '$os' guest: no package manager known for it" ;;
esac

changed=no

# Packages: only the missing ones, in one transaction.
missing=""
for p in $packages; do
    installed "$p" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    log "installing$missing"
    # shellcheck disable=SC2086 # one word per package name, checked above
    install $missing || die 1 "installing$missing failed"
    changed=yes
fi

# Files: content, then mode and owner, each only when it differs.
while IFS=' ' read -r kind path mode owner data; do
    [ "$kind" = file ] || continue
    printf '%s' "$data" | base64 -d >"$scratch" || die 1 "the content of $path is not base64"
    if [ ! -f "$path" ] || ! cmp -s "$scratch" "$path"; then
        mkdir -p "$(dirname "$path")"
        tmp="$path.homelab-new"
        cp "$scratch" "$tmp"
        chmod "$mode" "$tmp"
        chown "$owner" "$tmp" || die 1 "cannot give $path to $owner"
        mv -f "$tmp" "$path"
        log "wrote $path"
        changed=yes
    fi
    want_mode=$(printf '%s' "$mode" | sed 's/^0*//')
    if [ "$(stat -c %a "$path")" != "${want_mode:-0}" ]; then
        chmod "$mode" "$path"
        log "set mode $mode on $path"
        changed=yes
    fi
    case "$owner" in
    *:*) have=$(stat -c %U:%G "$path") ;;
    *) have=$(stat -c %U "$path") ;;
    esac
    if [ "$have" != "$owner" ]; then
        chown "$owner" "$path" || die 1 "cannot give $path to $owner"
        log "set owner $owner on $path"
        changed=yes
    fi
done <"$spec"

# Commands: when this spec has not run to the end before.
sum=$(sha256sum "$spec" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$sum" ]; then
    while IFS=' ' read -r kind data; do
        [ "$kind" = run ] || continue
        cmd=$(printf '%s' "$data" | base64 -d) || die 1 "a run record is not base64"
        log "running: $cmd"
        sh -c "$cmd" </dev/null >&2 || die 1 "command failed: $cmd"
    done <"$spec"
    mkdir -p "$state_dir"
    printf '%s\n' "$sum" >"$stamp"
    changed=yes
fi

echo "homelab-provision: changed=$changed"
