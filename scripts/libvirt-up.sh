#!/usr/bin/env bash
# Starts libvirt's daemons without systemd (virtlogd, then the monolithic
# libvirtd), installing Debian's packages first when they are missing, for
# the libvirt driver's qemu:///system test (a TCG guest booting the host's
# kernel). Idempotent: a running daemon is left alone. Fails, saying why,
# when the daemon does not answer.
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

for _ in $(seq 1 60); do
  if virsh -c qemu:///system version >/dev/null 2>&1; then
    virsh -c qemu:///system version | sed -n 's/^Running hypervisor: /libvirt-up: hypervisor /p'
    exit 0
  fi
  sleep 0.5
done
echo "libvirt-up: libvirtd does not answer on qemu:///system after 30 s" >&2
virsh -c qemu:///system version >&2 || true
exit 1
