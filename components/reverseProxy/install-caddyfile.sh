#!/usr/bin/env bash
# install-caddyfile.sh - put the reverse proxy's Caddyfile (read from stdin) in place on the Docker
# host and, when the proxy container is running, make Caddy load it in place. Run over SSH by
# ReverseProxy (components/reverseProxy.ts) on create and whenever the rendered Caddyfile changes.
#
# Arguments (all "--flag value", all required):
#   --path FILE        the Caddyfile on the host; its directory is bind-mounted into the container
#   --container NAME   the proxy container
#   --reload COMMAND   the shell command that reloads Caddy inside the container
#                      (reloadCommand() in caddyfile.ts)
#
# Why this shape:
# - The file is written to a temporary file in the same directory and renamed over the old one,
#   so nothing (Caddy starting, a reload) ever reads a half-written file. The container mounts the
#   DIRECTORY, not the file: a bind-mounted single file keeps pointing at the old inode after a
#   rename, so the container would never see the new file.
# - A reload keeps Caddy's listeners and swaps the config in place: no app container and not the
#   proxy container restarts. If Caddy rejects the new file, the previous file is put back (Caddy
#   keeps running the previous config anyway) and the script fails, so `pulumi up` shows the error
#   and a later restart of the container does not trip over a file Caddy cannot load.
# - A container that does not exist or is stopped reads the file when it starts: nothing to reload.
set -euo pipefail

path="" container="" reload=""
while [ $# -gt 0 ]; do
    case "$1" in
        --path) path=${2:?--path needs a value}; shift 2 ;;
        --container) container=${2:?--container needs a value}; shift 2 ;;
        --reload) reload=${2:?--reload needs a value}; shift 2 ;;
        *) echo "install-caddyfile: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
if [ -z "$path" ] || [ -z "$container" ] || [ -z "$reload" ]; then
    echo "install-caddyfile: usage: install-caddyfile.sh --path FILE --container NAME --reload COMMAND < Caddyfile" >&2
    exit 2
fi

dir=$(dirname "$path")
mkdir -p "$dir"
tmp=$(mktemp "$dir/.Caddyfile.XXXXXX")
trap 'rm -f "$tmp"' EXIT
cat >"$tmp"
if [ ! -s "$tmp" ]; then
    echo "install-caddyfile: empty Caddyfile on stdin; $path left as it was" >&2
    exit 1
fi
# mktemp creates 0600; Caddy in the container reads the file as whatever user the image runs as.
chmod 0644 "$tmp"

previous=""
if [ -f "$path" ]; then
    if cmp -s "$tmp" "$path"; then
        echo "install-caddyfile: $path is already up to date"
        exit 0
    fi
    previous="$dir/.Caddyfile.previous"
    cp -p "$path" "$previous"
fi
mv -f "$tmp" "$path"
trap - EXIT

running=$(docker inspect --format '{{.State.Running}}' "$container" 2>/dev/null || true)
if [ "$running" != "true" ]; then
    echo "install-caddyfile: $path installed; $container is not running, it reads the file when it starts"
    exit 0
fi
if ! sh -c "$reload"; then
    if [ -n "$previous" ]; then
        mv -f "$previous" "$path"
        echo "install-caddyfile: Caddy rejected the new $path; the previous file is back in place" >&2
    else
        echo "install-caddyfile: Caddy rejected $path" >&2
    fi
    exit 1
fi
rm -f "$dir/.Caddyfile.previous"
echo "install-caddyfile: $path installed and $container reloaded"
