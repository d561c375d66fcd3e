#!/usr/bin/env bash
# ups-nut.sh - set up NUT (Network UPS Tools) on a Proxmox node so that the node shuts down
# cleanly when its USB UPS runs low on battery. Idempotent: a second run with the same
# arguments changes nothing, restarts nothing and says so. When any file changed, the driver,
# upsd and upsmon are all restarted (simpler than tracking which daemon reads which file, and
# cheap: nothing else depends on them).
#
# Arguments (all "--flag value"):
#   --name NAME               UPS section name in ups.conf (default: ups); [A-Za-z0-9_-]
#   --driver DRIVER           NUT driver (default: nutdrv_qx, the Megatec/Q1 USB driver that fits
#                             PowerWalker VI STL units; blazer_usb is its deprecated predecessor)
#   --port PORT               driver port (default: auto, i.e. the first matching USB device)
#   --description TEXT        free text for ups.conf "desc" (default: none)
#   --shutdown-percent N      battery charge (0-100 %) below which the node shuts down (default: 30)
#   --shutdown-runtime SECS   estimated runtime (0-3600 s) below which the node shuts down (default: 0)
#   --admin-user USER         upsd user that upsmon logs in with as primary (default: upsmon)
#   --shutdown-cmd CMD        what upsmon runs on low battery (default: /sbin/shutdown -h +0);
#                             tests replace it with a marker-writing command
#
# Thresholds: a value of 0 turns that threshold off. When either one is above 0 the driver gets
# `ignorelb` plus override.battery.charge.low / override.battery.runtime.low, so the NODE decides
# when the battery is low: cheap Q1 units raise their own LB flag only moments before they cut
# power, too late for guests to stop. When both are 0 the UPS's own LB flag is trusted instead
# (use that for a UPS that reports neither battery.charge nor battery.runtime, since with
# `ignorelb` such a UPS would never be seen as low).
#
# stdin: the upsmon password, one line, without whitespace, quotes, backslashes or # (upsmon
#   sends it to upsd unquoted). Either run the script as a file
#   (`bash ups-nut.sh ARGS <<<"$password"`) or feed it to `bash -s -- ARGS` with the password
#   line right after the script text: everything runs inside main(), which is only called on the
#   last line, so by then bash has read exactly the script and the next line is the password.
#
# Shutdown: SHUTDOWNCMD powers the node off; Proxmox VE stops every guest cleanly on host
# shutdown (pve-guests.service), so no per-guest handling is needed here.
#
# No UPS plugged in: the driver cannot start. The configuration is still installed and the
# server and monitor still run, and the script only prints a warning and exits 0: a missing or
# unplugged UPS must not fail a whole `pulumi up` of the node, and NUT's driver unit keeps
# retrying, so it picks the UPS up once it is connected. Configuration errors (bad arguments,
# unknown driver, upsd not answering, upsmon not logged in while the driver runs) exit non-zero.
#
# Last line of output: `homelab-ups: changed=<number of files changed>`.
set -euo pipefail

readonly nut_dir=/etc/nut
changed=0

die() {
    echo "homelab-ups: error: $*" >&2
    exit 1
}

warn() {
    echo "homelab-ups: warning: $*" >&2
}

# NUT config files accept double-quoted values with backslash escapes.
nut_quote() {
    local v=${1//\\/\\\\}
    printf '"%s"' "${v//\"/\\\"}"
}

require_int() { # flag value max
    # At most 5 digits, so that the arithmetic below cannot overflow.
    if ! [[ $2 =~ ^[0-9]{1,5}$ ]] || ((10#$2 > $3)); then
        die "$1 must be an integer from 0 to $3, got '$2'"
    fi
}

# Installs $1 (a rendered temp file) as $nut_dir/$2, mode 0640 root:nut, only when its content,
# mode or owner differ, and counts it as a change.
install_file() {
    local src=$1 dest=$nut_dir/$2
    if [[ -f $dest ]] && cmp -s "$src" "$dest" && [[ $(stat -c '%a %U:%G' "$dest") == "640 root:nut" ]]; then
        return 0
    fi
    install -m 0640 -o root -g nut "$src" "$dest.homelab-new"
    mv -f "$dest.homelab-new" "$dest"
    echo "homelab-ups: wrote $dest"
    changed=$((changed + 1))
}

# Waits up to $1 seconds for the command in the remaining arguments to succeed.
wait_for() {
    local seconds=$1
    shift
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 1
    done
}

# shellcheck disable=SC2317 # called through wait_for
driver_reporting() { # ups-name
    # A freshly started driver reports WAIT until it has read the UPS once.
    local status
    status=$(upsc "$1@127.0.0.1" ups.status 2>/dev/null) && [[ -n $status && $status != WAIT ]]
}

# shellcheck disable=SC2317 # called through wait_for
upsmon_logged_in() { # ups-name
    # upsd lists every logged-in upsmon as a client of the UPS.
    upsc -c "$1@127.0.0.1" 2>/dev/null | grep -qx '127.0.0.1'
}

main() {
    local name=ups driver=nutdrv_qx port=auto description="" shutdown_percent=30
    local shutdown_runtime=0 admin_user=upsmon shutdown_cmd="/sbin/shutdown -h +0" password=""

    while (($# > 0)); do
        (($# >= 2)) || die "$1 needs a value"
        case $1 in
            --name) name=$2 ;;
            --driver) driver=$2 ;;
            --port) port=$2 ;;
            --description) description=$2 ;;
            --shutdown-percent) shutdown_percent=$2 ;;
            --shutdown-runtime) shutdown_runtime=$2 ;;
            --admin-user) admin_user=$2 ;;
            --shutdown-cmd) shutdown_cmd=$2 ;;
            *) die "unknown argument '$1'" ;;
        esac
        shift 2
    done

    # Read the secret first: under `bash -s` it follows the script on the same stdin.
    IFS= read -r password || true
    [[ -n $password ]] || die "the upsmon password must be given on stdin (one line)"
    # upsmon sends the password to upsd unquoted (PASSWORD <pw>), so these would break the login.
    case $password in
        *[[:space:]\"\'\\#]*) die "the upsmon password must not contain whitespace, quotes, backslashes or #" ;;
    esac

    [[ $name =~ ^[A-Za-z0-9_-]+$ ]] || die "--name must match [A-Za-z0-9_-]+, got '$name'"
    [[ $driver =~ ^[a-z0-9_-]+$ ]] || die "--driver must match [a-z0-9_-]+, got '$driver'"
    [[ $admin_user =~ ^[A-Za-z0-9_-]+$ ]] || die "--admin-user must match [A-Za-z0-9_-]+, got '$admin_user'"
    [[ -n $port ]] || die "--port must not be empty"
    [[ -n $shutdown_cmd ]] || die "--shutdown-cmd must not be empty"
    require_int --shutdown-percent "$shutdown_percent" 100
    require_int --shutdown-runtime "$shutdown_runtime" 3600
    local arg
    for arg in "$port" "$description" "$shutdown_cmd"; do
        [[ $arg != *$'\n'* ]] || die "arguments must not contain newlines"
    done

    if ! dpkg-query -W -f '${Status}' nut-server nut-client 2>/dev/null | grep -q '^install ok installed.*install ok installed$'; then
        echo "homelab-ups: installing nut"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nut </dev/null
    fi
    [[ -x /lib/nut/$driver ]] || die "unknown NUT driver '$driver' (no /lib/nut/$driver)"

    local tmp
    tmp=$(mktemp -d)
    # shellcheck disable=SC2064 # expand now: tmp is local to main
    trap "rm -rf '$tmp'" EXIT

    # Standalone: driver, upsd and upsmon all run on this node; nothing listens on the LAN.
    echo "MODE=standalone" >"$tmp/nut.conf"

    {
        echo "[$name]"
        echo "    driver = $driver"
        echo "    port = $(nut_quote "$port")"
        [[ -z $description ]] || echo "    desc = $(nut_quote "$description")"
        if ((10#$shutdown_percent > 0 || 10#$shutdown_runtime > 0)); then
            echo "    ignorelb"
            ((10#$shutdown_percent == 0)) || echo "    override.battery.charge.low = $((10#$shutdown_percent))"
            ((10#$shutdown_runtime == 0)) || echo "    override.battery.runtime.low = $((10#$shutdown_runtime))"
        fi
    } >"$tmp/ups.conf"

    echo "LISTEN 127.0.0.1 3493" >"$tmp/upsd.conf"

    {
        echo "[$admin_user]"
        echo "    password = $(nut_quote "$password")"
        # "primary" (formerly "master"): this upsmon may set forced shutdown (FSD) on the UPS.
        echo "    upsmon primary"
    } >"$tmp/upsd.users"

    {
        echo "MONITOR $name@127.0.0.1 1 $admin_user $(nut_quote "$password") primary"
        echo "MINSUPPLIES 1"
        echo "SHUTDOWNCMD $(nut_quote "$shutdown_cmd")"
        # The flag file tells NUT's shutdown hook to power the UPS off at the end of the
        # node's shutdown, so that the node boots again when mains power returns.
        echo "POWERDOWNFLAG /etc/killpower"
    } >"$tmp/upsmon.conf"

    local f
    for f in nut.conf ups.conf upsd.conf upsd.users upsmon.conf; do
        install_file "$tmp/$f" "$f"
    done

    systemctl enable --quiet nut-server.service nut-monitor.service nut-driver.target nut.target

    # The enumerator turns each ups.conf section into a nut-driver@<name> unit.
    [[ $changed -eq 0 ]] || systemctl restart nut-driver-enumerator.service
    local driver_unit
    driver_unit=$(/usr/libexec/nut-driver-enumerator.sh --get-service-for-device "$name" 2>/dev/null) ||
        die "no driver unit for UPS '$name' after nut-driver-enumerator ran"

    # Restart only on change; otherwise just make sure that everything runs (a no-op when it does).
    local verb=start
    [[ $changed -eq 0 ]] || verb=restart
    local driver_ok=1
    if [[ $verb == start && $(systemctl show -p SubState --value "$driver_unit") == auto-restart ]]; then
        # systemd is already retrying the driver (no UPS yet): starting it would only wait for that.
        driver_ok=0
    else
        systemctl "$verb" "$driver_unit" || driver_ok=0
    fi
    systemctl "$verb" nut-server.service
    systemctl "$verb" nut-monitor.service

    wait_for 15 upsc -l 127.0.0.1 ||
        die "upsd does not answer on 127.0.0.1:3493; see: journalctl -u nut-server"
    upsc -l 127.0.0.1 2>/dev/null | grep -qx "$name" || die "upsd does not serve UPS '$name'"
    wait_for 5 systemctl is-active --quiet nut-monitor.service ||
        die "upsmon is not running; see: journalctl -u nut-monitor"

    if ((driver_ok)) && wait_for 15 driver_reporting "$name"; then
        # With the driver up, upsmon must be logged in, else it could never set FSD.
        wait_for 20 upsmon_logged_in "$name" ||
            die "upsmon did not log in to $name@127.0.0.1 as '$admin_user'; see: journalctl -u nut-monitor"
        echo "homelab-ups: $name@127.0.0.1 status: $(upsc "$name@127.0.0.1" ups.status 2>/dev/null)"
    else
        warn "driver '$driver' for UPS '$name' is not running (is the UPS plugged in?);" \
            "configuration installed, $driver_unit keeps retrying; see: journalctl -u $driver_unit"
    fi

    [[ $changed -gt 0 ]] || echo "homelab-ups: no change"
    echo "homelab-ups: changed=$changed"
}

main "$@"; exit
