#!/usr/bin/env bash
# Installs the Debian programs that the tests run for real (shellcheck, samba, caddy, qemu, ...),
# only those that are missing, so that `npm test` works on a fresh machine and costs nothing on a
# prepared one. Each line of the table is "<command that proves it is installed> <Debian package>".
set -euo pipefail

table='
shellcheck shellcheck
debootstrap debootstrap
systemd-nspawn systemd-container
dpkg-scanpackages dpkg-dev
qemu-system-x86_64 qemu-system-x86
mke2fs e2fsprogs
testparm samba
smbclient smbclient
caddy caddy
wrk wrk
cloud-init cloud-init
curl curl
rsvg-convert librsvg2-bin
sshd openssh-server
ssh openssh-client
sudo sudo
chattr e2fsprogs
debugfs e2fsprogs
mdadm mdadm
sfdisk fdisk
dnsmasq dnsmasq-base
dig bind9-dnsutils
dockerd docker.io
docker docker.io
busybox busybox-static
capsh libcap2-bin
unshare util-linux
docker-compose docker-compose
'

missing=()
while read -r cmd pkg; do
    [ -n "${cmd:-}" ] || continue
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done <<<"$table"

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-tools: missing ${missing[*]}; run as root or install them with apt-get" >&2
    exit 1
fi
echo "install-test-tools: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
