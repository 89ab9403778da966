#!/usr/bin/env bash
# Stop every process started by openstack-up.sh (by the pids it recorded;
# each was started in its own session, so the whole tree is signalled).
# PostgreSQL, RabbitMQ and MariaDB are left running.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
STATE=${OPENSTACK_STATE:-$HERE/openstack/.state}
PIDS=$STATE/pids
[ -d "$PIDS" ] || { echo "nothing to stop"; exit 0; }
alive=()
for f in "$PIDS"/*.pid; do
  [ -e "$f" ] || continue
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
    alive+=("$pid"); echo "stopping $(basename "$f" .pid) ($pid)"
  fi
done
for _ in $(seq 30); do
  left=0; for p in "${alive[@]}"; do kill -0 -- "-$p" 2>/dev/null && left=1; done
  [ $left = 0 ] && break; sleep 0.5
done
for p in "${alive[@]}"; do kill -0 -- "-$p" 2>/dev/null && kill -KILL -- "-$p" 2>/dev/null; done
rm -f "$PIDS"/*.pid
# the veth that stands in for the "physical" interface of the flat network
ip link del lbphys0 2>/dev/null || true
exit 0
