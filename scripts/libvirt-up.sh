#!/usr/bin/env bash
# Starts libvirt's daemons without systemd (virtlogd, then the monolithic
# libvirtd), installing Debian's packages first when they are missing, for
# the libvirt driver's qemu:///system tests (a TCG guest booting the host's
# kernel, the conformance suite), and a second libvirtd as another host for
# its live-migration test. Idempotent: a running daemon is left alone.
# Fails, saying why, when a daemon does not answer.
set -euo pipefail

need=()
[ -x /usr/sbin/libvirtd ] || need+=(libvirt-daemon-system)
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v qemu-img >/dev/null || need+=(qemu-utils)
command -v virsh >/dev/null || need+=(libvirt-clients)
[ -f /usr/include/libvirt/libvirt.h ] || need+=(libvirt-dev)
ls /boot/vmlinuz-* >/dev/null 2>&1 || need+=(linux-image-amd64)
if [ ${#need[@]} -gt 0 ]; then
  echo "libvirt-up: installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq "${need[@]}" >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq "${need[@]}" >/dev/null; }
fi

mkdir -p /var/run/libvirt /var/log/libvirt
pgrep -x virtlogd >/dev/null || /usr/sbin/virtlogd -d
pgrep -x libvirtd >/dev/null || /usr/sbin/libvirtd -d

answers() { # uri seconds
  for _ in $(seq 1 $(( $2 * 2 ))); do
    virsh -c "$1" version >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  return 1
}
if ! answers qemu:///system 30; then
  echo "libvirt-up: libvirtd does not answer on qemu:///system after 30 s" >&2
  virsh -c qemu:///system version >&2 || true
  exit 1
fi
virsh -c qemu:///system version | sed -n 's/^Running hypervisor: /libvirt-up: hypervisor /p'

# A second libvirt "host" on this machine, for the live-migration test: libvirtd
# and virtlogd in their own mount namespace, with their own run, state, config and
# log directories (bind-mounted over libvirt's) and their own host UUID, so libvirt
# migrates to it as to another host. Its socket: $LV2/run/libvirt-sock.
LV2=/var/lib/gisiaas-lv2
LV2_URI="qemu+unix:///system?socket=$LV2/run/libvirt-sock"
running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
if ! running "$LV2/libvirtd.pid"; then
  mkdir -p "$LV2"/{run,lib,etc,log,cache}
  if [ ! -f "$LV2/etc/libvirtd.conf" ]; then
    cp -a /etc/libvirt/. "$LV2/etc/"
    echo 'host_uuid = "6d2f1a3e-0b7c-4e5d-9a61-2f0c3b9d4e11"' >>"$LV2/etc/libvirtd.conf"
  fi
  mkdir -p "$LV2"/lib/{qemu,network,dnsmasq,images}
  unshare -m --propagation private sh -c "
    mount --bind '$LV2/run' /run/libvirt &&
    mount --bind '$LV2/lib' /var/lib/libvirt &&
    mount --bind '$LV2/etc' /etc/libvirt &&
    mount --bind '$LV2/log' /var/log/libvirt &&
    mount --bind '$LV2/cache' /var/cache/libvirt &&
    { running() { [ -f \"\$1\" ] && kill -0 \"\$(cat \"\$1\")\" 2>/dev/null; }
      running '$LV2/virtlogd.pid' || /usr/sbin/virtlogd -d -p '$LV2/virtlogd.pid'; } &&
    /usr/sbin/libvirtd -d -p '$LV2/libvirtd.pid'"
fi
if ! answers "$LV2_URI" 30; then
  echo "libvirt-up: the second libvirtd does not answer on $LV2_URI after 30 s" >&2
  virsh -c "$LV2_URI" version >&2 || true
  exit 1
fi
echo "libvirt-up: a second libvirt host answers on $LV2_URI"
