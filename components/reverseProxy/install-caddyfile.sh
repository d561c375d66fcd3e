#!/usr/bin/env bash
# install-caddyfile.sh - check the reverse proxy's new Caddyfile (read from stdin) with the proxy
# image's own Caddy, then put it in place on the Docker host and, when the proxy container is
# running, make Caddy load it in place. Run over SSH by ReverseProxy (components/reverseProxy.ts)
# on create and whenever the rendered Caddyfile changes.
#
# Arguments (all "--flag value", all required):
#   --path FILE          the Caddyfile on the host; its directory is bind-mounted into the container
#   --container NAME     the proxy container
#   --image IMAGE        the proxy container's image (already pulled), whose caddy checks the file
#   --mount DIR          where the container sees the directory of FILE (e.g. /etc/caddy)
#   --token-env NAME     the environment variable holding the Cloudflare token (the Caddyfile reads it)
#
# Why this shape:
# - The new file is written next to the old one under a temporary name and checked there by the
#   same Caddy that will run it: `docker exec` in the running container, or a throw-away
#   `docker run --rm` of the image when the container is stopped or not created yet. Only a file
#   that Caddy accepts is renamed over the old one (atomic: nothing ever reads half a file). A
#   rejected file is deleted and the old one keeps serving, so a container that starts or restarts
#   later never trips over a file it cannot load.
# - The container mounts the DIRECTORY, not the file: a bind-mounted single file keeps pointing at
#   the old inode after a rename, so the container would never see the new file.
# - A reload keeps Caddy's listeners and swaps the config in place: no container restarts. Should
#   Caddy still refuse the checked file (say, a port taken since), the previous file is put back.
# - Every temporary file is removed on exit, whatever happens; one run at a time (flock).
set -euo pipefail

path="" container="" image="" mount="" token_env=""
while [ $# -gt 0 ]; do
    case "$1" in
        --path) path=${2:?--path needs a value}; shift 2 ;;
        --container) container=${2:?--container needs a value}; shift 2 ;;
        --image) image=${2:?--image needs a value}; shift 2 ;;
        --mount) mount=${2:?--mount needs a value}; shift 2 ;;
        --token-env) token_env=${2:?--token-env needs a value}; shift 2 ;;
        *) echo "install-caddyfile: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
if [ -z "$path" ] || [ -z "$container" ] || [ -z "$image" ] || [ -z "$mount" ] || [ -z "$token_env" ]; then
    echo "install-caddyfile: usage: install-caddyfile.sh --path FILE --container NAME --image IMAGE --mount DIR --token-env NAME < Caddyfile" >&2
    exit 2
fi

dir=$(dirname "$path")
name=$(basename "$path")
mkdir -p "$dir"
exec 9>"$dir/.$name.lock"
flock 9
# Left by an older version of this script, or by a run that was killed before its trap ran.
rm -f "$dir/.$name.previous" "$dir/.$name".new.* "$dir/.$name".old.*

new=$(mktemp "$dir/.$name.new.XXXXXX")
old=""
trap 'rm -f "$new" ${old:+"$old"}' EXIT
cat >"$new"
if [ ! -s "$new" ]; then
    echo "install-caddyfile: empty Caddyfile on stdin; $path left as it was" >&2
    exit 1
fi
# mktemp creates 0600; Caddy in the container reads the file as whatever user the image runs as.
chmod 0644 "$new"
if [ -f "$path" ] && cmp -s "$new" "$path"; then
    echo "install-caddyfile: $path is already up to date"
    exit 0
fi

running=$(docker inspect --format '{{.State.Running}}' "$container" 2>/dev/null || true)
checked="$mount/$(basename "$new")"
if [ "$running" = "true" ]; then
    check=(docker exec "$container" caddy validate --config "$checked" --adapter caddyfile)
else
    # The token the container would have (it exists but is stopped), else a stand-in: validating
    # provisions the DNS module, which reads the variable but calls no API.
    token=$(docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$container" 2>/dev/null | sed -n "s/^$token_env=//p" || true)
    export "$token_env=${token:-validation-only-stand-in-for-the-api-token}"
    check=(docker run --rm --network none -e "$token_env" -v "$dir:$mount:ro" "$image" caddy validate --config "$checked" --adapter caddyfile)
fi
if ! out=$("${check[@]}" 2>&1); then
    printf '%s\n' "$out" >&2
    echo "install-caddyfile: Caddy rejected the new Caddyfile; $path left as it was and the rejected file deleted" >&2
    exit 1
fi

if [ -f "$path" ]; then
    old=$(mktemp "$dir/.$name.old.XXXXXX")
    cp -p "$path" "$old"
fi
mv -f "$new" "$path"
if [ "$running" != "true" ]; then
    echo "install-caddyfile: $path checked and installed; $container is not running, it reads the file when it starts"
    exit 0
fi
if ! docker exec "$container" caddy reload --config "$mount/$name" --adapter caddyfile; then
    if [ -n "$old" ]; then
        mv -f "$old" "$path"
        echo "install-caddyfile: Caddy did not load the new $path; the previous file is back in place" >&2
    else
        echo "install-caddyfile: Caddy did not load $path" >&2
    fi
    exit 1
fi
echo "install-caddyfile: $path checked, installed and $container reloaded"
