#!/usr/bin/env bash
# shareDriver.sh: runs inside the QEMU guest of test/shareServer.qemu.test.ts (a oneshot unit
# starts it at boot; the guest powers off when it returns). It runs the exact commands the
# ShareServer component sends (nfs.cmd, samba.cmd), then plays two clients, each in a network
# namespace of its own joined to the guest by a veth pair: c1 (10.99.0.2, allowed) and c2
# (10.98.0.2, on no export's list). It records outputs and exit codes in /run/homelab-results and
# writes that directory as a tar archive onto the disk with serial "results". It asserts nothing:
# the mocha test does.
set -uo pipefail

readonly out=/run/homelab-results
readonly bin=/opt/homelab
mkdir -p "$out"

# step NAME CMD...: runs CMD, keeping its stdout, stderr and exit code as NAME.{out,err,rc}.
step() {
    local name=$1
    shift
    "$@" >"$out/$name.out" 2>"$out/$name.err"
    echo $? >"$out/$name.rc"
}
record() {
    local name=$1
    shift
    "$@" >"$out/$name" 2>&1
}
# client NS CMD: runs the shell command CMD in network namespace NS (and a mount namespace of its own).
client() { ip netns exec "$1" sh -c "$2"; }

# The network: the guest is 10.99.0.1 to c1 and 10.98.0.1 to c2.
veth() { # ns guest-address client-address
    ip netns add "$1"
    ip link add "v-$1" type veth peer name eth0 netns "$1"
    ip addr add "$2/24" dev "v-$1"
    ip link set "v-$1" up
    ip -n "$1" addr add "$3/24" dev eth0
    ip -n "$1" link set eth0 up
    ip -n "$1" link set lo up
}
record net-c1 veth c1 10.99.0.1 10.99.0.2
record net-c2 veth c2 10.98.0.1 10.98.0.2

# NFS: the component's command, twice (the second run must change nothing).
step nfs-first bash -c "$(cat "$bin/nfs.cmd")"
step nfs-again bash -c "$(cat "$bin/nfs.cmd")"
record exportfs exportfs -v
record installed cat /etc/exports.d/homelab.exports
record dirs stat -c '%n %u:%g %a' /srv/shares/media /srv/shares/archive
record nfs-active systemctl is-active nfs-server

# c1 writes to the rw share as root: the file must land as the share's owner (all_squash).
step c1-media client c1 'mkdir -p /mnt/m && mount -t nfs4 10.99.0.1:/srv/shares/media /mnt/m && echo from-c1 >/mnt/m/note && cat /mnt/m/note && umount /mnt/m'
record note-owner stat -c '%u:%g' /srv/shares/media/note
# c1 as a Docker VM: DockerHost's own mount command (mount-shares.sh --type nfs), twice in one
# mount namespace (the second run must change nothing), then the file written above.
# shellcheck disable=SC2016 # expanded by the client shell
step c1-dockerhost-mount client c1 'bash -c "$(cat /opt/homelab/mount.cmd)" && bash -c "$(cat /opt/homelab/mount.cmd)" && cat /mnt/media/note && findmnt -n -o FSTYPE,SOURCE /mnt/media'
record fstab grep homelab: /etc/fstab
# The read-only share mounts but takes no write.
step c1-archive-mount client c1 'mkdir -p /mnt/a && mount -t nfs4 -o ro 10.99.0.1:/srv/shares/archive /mnt/a && ls -a /mnt/a && umount /mnt/a'
# shellcheck disable=SC2016 # expanded by the client shell
step c1-archive-write client c1 'mkdir -p /mnt/a && mount -t nfs4 10.99.0.1:/srv/shares/archive /mnt/a && { echo x >/mnt/a/x; rc=$?; umount /mnt/a; exit $rc; }'
# c2 is on no list; NFSv3 is off for everyone.
step c2-media client c2 'mkdir -p /mnt/m && timeout 60 mount -t nfs4 -o retry=0 10.98.0.1:/srv/shares/media /mnt/m'
step c1-v3 client c1 'mkdir -p /mnt/m && timeout 60 mount -t nfs -o vers=3,retry=0 10.99.0.1:/srv/shares/media /mnt/m'

# A file exportfs refuses is not left installed, and the previous exports stay served.
step nfs-bad bash "$bin/nfs.sh" --config "$bin/bad.exports" --share /srv/shares/media:1000:1000
record exportfs-after-bad exportfs -v
record installed-after-bad cat /etc/exports.d/homelab.exports

# SMB from the same guest: the component's command with the users on stdin, then each user from c1.
step samba-first bash -c "$(cat "$bin/samba.cmd")" <"$bin/users.tsv"
step smb-alice-projects client c1 "printf 'from alice\n' >/tmp/f && smbclient //10.99.0.1/projects -U 'alice%$(cut -f2 "$bin/users.tsv" | sed -n 1p)' -m SMB3 -c 'put /tmp/f f; ls'"
step smb-bob-projects client c1 "smbclient //10.99.0.1/projects -U 'bob%$(cut -f2 "$bin/users.tsv" | sed -n 2p)' -m SMB3 -c 'ls'"
step smb-bob-wrong client c1 "smbclient //10.99.0.1/scratch -U 'bob%wrong' -m SMB3 -c 'ls'"
record smb-file stat -c '%U:%G %a' /srv/shares/projects/f /srv/shares/projects

tar -C "$out" -cf /dev/disk/by-id/virtio-results .
sync
