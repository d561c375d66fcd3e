#!/usr/bin/env bash
# Sets up Docker Engine on a Debian 12 Docker host (an unprivileged LXC container with
# nesting=1 and keyctl=1, or a VM), as root. Safe to run again: a run that finds everything as
# wanted changes nothing and says so.
#
# Usage: bash -s -- ARGS < install-docker.sh      (how the DockerHost component runs it over SSH)
#   --address-pool CIDR   required; the IPv4 range user-defined networks are carved from,
#                         e.g. 10.10.10.0/24 (the apps' internal network)
#   --pool-size N         prefix of each network carved from the pool, from the pool's prefix
#                         to 30; default 24 (or the pool's prefix when that is longer)
#   --bridge-ip ADDR/N    address of the default bridge docker0, outside the pool;
#                         default 172.17.0.1/16 (see below)
#   --log-max-size SIZE   json-file log rotation size, e.g. 10m; default 10m
#   --log-max-file N      rotated log files kept per container, 1 to 100; default 3
#   --data-root PATH      where Docker keeps its data; default Docker's own /var/lib/docker
#   --user NAME           an existing user to add to the docker group; default none
#
# Output: progress on stderr; on stdout exactly one line,
#   homelab-docker: changed=<yes|no> version=<Docker server version>
# Exit status: 0 done, 2 bad arguments or unknown --user (nothing was touched), 1 anything
# else failed.
#
# Docker comes from Debian's own `docker.io` package: it is in the Debian archive that the hosts
# already use (and that the tests can reach), it is security-supported by Debian, and it needs no
# extra apt key or repository. Docker's own apt repository (download.docker.com) is not set up
# here: it cannot be reached from where this script is tested, and untested setup code is not
# shipped. When the packages are already installed, no apt command runs at all (the tests run
# with them preinstalled, so the apt-get install branch itself is not exercised there).
#
# The daemon.json written here must stay byte-identical to renderDaemonJson() in daemonJson.ts
# (keys sorted, two-space indent): the Pulumi side previews it and re-runs this script when it
# changes, and the tests compare the two. The validation messages are shared with it as well.
#
# Why bip is always set: on a host whose docker0 does not exist yet, Docker gives docker0 the
# first network of the default address pool. With the lab's one-network pool (10.10.10.0/24 in
# /24 pieces) the apps' network would then find no room left.
set -euo pipefail

readonly config_file=/etc/docker/daemon.json
readonly packages=(docker.io ca-certificates) # ca-certificates: pulls from registries use TLS
readonly ready_timeout=60

die() { # exit status, message
    echo "install-docker: $2" >&2
    exit "$1"
}
log() { echo "install-docker: $*" >&2; }

address_pool=""
pool_size=""
bridge_ip="172.17.0.1/16"
log_max_size="10m"
log_max_file="3"
data_root=""
user=""

while [ "$#" -gt 0 ]; do
    case "$1" in
    --address-pool | --pool-size | --bridge-ip | --log-max-size | --log-max-file | --data-root | --user)
        [ "$#" -ge 2 ] || die 2 "$1 needs a value"
        case "$1" in
        --address-pool) address_pool="$2" ;;
        --pool-size) pool_size="$2" ;;
        --bridge-ip) bridge_ip="$2" ;;
        --log-max-size) log_max_size="$2" ;;
        --log-max-file) log_max_file="$2" ;;
        --data-root) data_root="$2" ;;
        --user) user="$2" ;;
        esac
        shift 2
        ;;
    *) die 2 "unknown argument \"$1\"" ;;
    esac
done

# Parses ADDR/N (strict dotted quad, no leading zeros) into the globals ip_value and ip_prefix.
parse_ipv4_with_prefix() {
    local part='(0|[1-9][0-9]{0,2})'
    [[ "$1" =~ ^$part\.$part\.$part\.$part/(0|[1-9][0-9]?)$ ]] || return 1
    local i
    ip_value=0
    for i in 1 2 3 4; do
        ((BASH_REMATCH[i] <= 255)) || return 1
        ip_value=$((ip_value * 256 + BASH_REMATCH[i]))
    done
    ip_prefix=${BASH_REMATCH[5]}
    ((ip_prefix <= 32))
}
network_of() { # address, prefix
    echo $(($1 >> (32 - $2) << (32 - $2)))
}
format_ipv4() { # address, prefix
    echo "$(($1 >> 24 & 255)).$(($1 >> 16 & 255)).$(($1 >> 8 & 255)).$(($1 & 255))/$2"
}

# The same rules, in the same order and words, as resolve() in daemonJson.ts.
[ -n "$address_pool" ] || die 2 "--address-pool is required"
if ! parse_ipv4_with_prefix "$address_pool" || ((ip_prefix > 30)); then
    die 2 "--address-pool must be an IPv4 network with a prefix of at most 30, such as 10.10.10.0/24, got \"$address_pool\""
fi
pool_value=$ip_value
pool_prefix=$ip_prefix
pool_network=$(network_of "$pool_value" "$pool_prefix")
if ((pool_network != pool_value)); then
    die 2 "--address-pool has host bits set: the network is $(format_ipv4 "$pool_network" "$pool_prefix"), got \"$address_pool\""
fi
if [ -z "$pool_size" ]; then
    pool_size=$((pool_prefix > 24 ? pool_prefix : 24))
fi
if ! [[ "$pool_size" =~ ^(0|[1-9][0-9]?)$ ]] || ((pool_size < pool_prefix || pool_size > 30)); then
    die 2 "--pool-size must be a whole number between $pool_prefix (the address pool's prefix) and 30, got $pool_size"
fi
if ! parse_ipv4_with_prefix "$bridge_ip" || ((ip_prefix < 1 || ip_prefix > 30)) ||
    (($(network_of "$ip_value" "$ip_prefix") == ip_value)); then
    die 2 "--bridge-ip must be an IPv4 host address with a prefix of 1 to 30, such as 172.17.0.1/16, got \"$bridge_ip\""
fi
# Two networks overlap when they agree on the bits of the shorter prefix.
common=$((ip_prefix < pool_prefix ? ip_prefix : pool_prefix))
if (($(network_of "$ip_value" "$common") == $(network_of "$pool_value" "$common"))); then
    die 2 "--bridge-ip must lie outside the address pool $address_pool, got \"$bridge_ip\""
fi
if ! [[ "$log_max_size" =~ ^[1-9][0-9]{0,5}[kmg]$ ]]; then
    die 2 "--log-max-size must be a whole number followed by k, m or g, such as 10m, got \"$log_max_size\""
fi
if ! [[ "$log_max_file" =~ ^[1-9][0-9]{0,2}$ ]] || ((log_max_file > 100)); then
    die 2 "--log-max-file must be a whole number between 1 and 100, got $log_max_file"
fi
# Plain path characters only: the value goes into JSON unescaped.
if [ -n "$data_root" ] && ! [[ "$data_root" =~ ^(/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$ ]]; then
    die 2 "--data-root must be an absolute path of letters, digits, \".\", \"_\" and \"-\" with no part starting with \".\", got \"$data_root\""
fi
if [ -n "$user" ] && ! [[ "$user" =~ ^[a-z_][a-z0-9_-]{0,31}$ ]]; then
    die 2 "--user must be a Linux user name of at most 32 lowercase letters, digits, \"_\" and \"-\", starting with a letter or \"_\", got \"$user\""
fi

[ "$(id -u)" -eq 0 ] || die 1 "must run as root"
# Checked before anything is touched, like the arguments above.
if [ -n "$user" ] && ! id -u "$user" >/dev/null 2>&1; then
    die 2 "--user $user: no such user on this host"
fi

changed=no

# 1. Packages. dpkg-query answers from the local database, so a host that has them needs no
# network and no apt lock.
missing=()
for p in "${packages[@]}"; do
    if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != installed ]; then
        missing+=("$p")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]} from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    changed=yes
fi

# 2. daemon.json, written only when its bytes differ, and atomically (a half-written file would
# keep dockerd from starting).
render_daemon_json() {
    printf '{\n'
    printf '  "bip": "%s",\n' "$bridge_ip"
    if [ -n "$data_root" ]; then
        printf '  "data-root": "%s",\n' "$data_root"
    fi
    printf '  "default-address-pools": [\n'
    printf '    {\n'
    printf '      "base": "%s",\n' "$address_pool"
    printf '      "size": %d\n' "$pool_size"
    printf '    }\n'
    printf '  ],\n'
    printf '  "live-restore": true,\n'
    printf '  "log-driver": "json-file",\n'
    printf '  "log-opts": {\n'
    printf '    "max-file": "%d",\n' "$log_max_file"
    printf '    "max-size": "%s"\n' "$log_max_size"
    printf '  }\n'
    printf '}\n'
}
config_changed=no
wanted=$(mktemp)
trap 'rm -f "$wanted"' EXIT
render_daemon_json >"$wanted"
if ! cmp -s "$wanted" "$config_file"; then
    log "writing $config_file"
    mkdir -p "$(dirname "$config_file")"
    install -m 0644 "$wanted" "$config_file.new"
    mv "$config_file.new" "$config_file"
    config_changed=yes
    changed=yes
fi

# 3. The user who may talk to Docker without sudo. The docker group comes with the package.
if [ -n "$user" ]; then
    # No pipe into `grep -q` here: under pipefail its early exit could fail the pipeline.
    if [[ " $(id -nG "$user") " != *" docker "* ]]; then
        log "adding $user to the docker group"
        usermod -aG docker "$user"
        changed=yes
    fi
fi

# 4. The service: enabled for boot, and restarted only when it runs with an outdated
# configuration or is not running at all (live-restore keeps containers up across the restart).
if ! systemctl is-enabled --quiet docker.service; then
    log "enabling docker.service"
    systemctl enable --quiet docker.service
    changed=yes
fi
if [ "$config_changed" = yes ] || ! systemctl is-active --quiet docker.service; then
    log "(re)starting docker.service"
    # A dockerd that failed to start several times is held back by systemd's start limit.
    systemctl reset-failed docker.service 2>/dev/null || true
    if ! systemctl restart docker.service; then
        journalctl -u docker.service -n 30 --no-pager >&2 || true
        die 1 "docker.service did not start"
    fi
    changed=yes
fi

# 5. Ready means the API answers, not just that systemd started the process.
deadline=$((SECONDS + ready_timeout))
while :; do
    version=$(timeout 5 docker info --format '{{.ServerVersion}}' 2>/dev/null || true)
    [ -z "$version" ] || break
    ((SECONDS < deadline)) || die 1 "docker did not answer 'docker info' within $ready_timeout s"
    sleep 1
done

if [ "$changed" = no ]; then
    log "Docker was already set up as wanted: nothing changed"
fi
echo "homelab-docker: changed=$changed version=$version"
