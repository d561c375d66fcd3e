#!/bin/sh
# A stand-in for `docker` on the proxy's host, for install-caddyfile.sh under test: the proxy
# container is a caddy the test runs (or none), and the image's caddy is the local caddy (Debian's,
# not the image's 2.8 build: no registry is reachable from the test machines).
#   SHIM_STATE      running | stopped | absent: the proxy container's state
#   SHIM_CONTAINER  the proxy container's name; SHIM_IMAGE the image's name
#   SHIM_DIR        the host directory the container mounts (exec maps its mount point there)
#   SHIM_MOUNT      where the container sees SHIM_DIR
#   SHIM_TOKEN      the token in the (stopped) container's environment
#   SHIM_LOG        every call is appended here, one line each
set -eu
echo "$*" >>"$SHIM_LOG"
case "$1" in
    inspect)
        eval "name=\${$#}"
        # shellcheck disable=SC2154 # set by the eval above
        if [ "$SHIM_STATE" = absent ] || [ "$name" != "$SHIM_CONTAINER" ]; then
            echo "Error: No such object: $name" >&2
            exit 1
        fi
        case "$3" in
            *State.Running*) if [ "$SHIM_STATE" = running ]; then echo true; else echo false; fi ;;
            *Config.Env*) printf 'PATH=/usr/local/bin:/usr/bin\nCLOUDFLARE_API_TOKEN=%s\n\n' "$SHIM_TOKEN" ;;
            *) echo "shim: unexpected inspect $*" >&2; exit 64 ;;
        esac
        ;;
    exec)
        if [ "$2" != "$SHIM_CONTAINER" ] || [ "$SHIM_STATE" != running ]; then
            echo "Error response from daemon: container $2 is not running" >&2
            exit 1
        fi
        shift 2
        [ "$1 $3 $5 $6" = "caddy --config --adapter caddyfile" ] || { echo "shim: unexpected exec $*" >&2; exit 64; }
        exec caddy "$2" --config "$SHIM_DIR/${4#"$SHIM_MOUNT"/}" --adapter caddyfile
        ;;
    run)
        shift
        volume="" token=""
        while [ $# -gt 0 ]; do
            case "$1" in
                --rm) shift ;;
                --network) [ "$2" = none ] || { echo "shim: network $2" >&2; exit 64; }; shift 2 ;;
                -e) token=$(printenv "$2" || true); shift 2 ;;
                -v) volume=$2; shift 2 ;;
                -*) echo "shim: unexpected run option $1" >&2; exit 64 ;;
                *) break ;;
            esac
        done
        [ "$1" = "$SHIM_IMAGE" ] || { echo "Unable to find image '$1' locally" >&2; exit 125; }
        echo "token seen by the throw-away container: $token" >>"$SHIM_LOG"
        shift
        host=${volume%%:*} rest=${volume#*:} mount=${volume#*:}
        mount=${mount%%:*}
        [ "${rest#*:}" = ro ] || { echo "shim: volume not read-only: $volume" >&2; exit 64; }
        [ "$1 $2 $3 $5 $6" = "caddy validate --config --adapter caddyfile" ] || { echo "shim: unexpected run $*" >&2; exit 64; }
        exec caddy validate --config "$host/${4#"$mount"/}" --adapter caddyfile
        ;;
    *)
        echo "shim: unexpected docker $*" >&2
        exit 64
        ;;
esac
