#!/usr/bin/env bash
# Stop every process started by openstack-up.sh (by the pids it recorded;
# each was started in its own session, so the whole tree is signalled).
# PostgreSQL, RabbitMQ and MariaDB are left running.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
STATE=${OPENSTACK_STATE:-$HERE/openstack/.state}
PIDS=$STATE/pids
alive=()
for f in "$PIDS"/*.pid; do  # none when $PIDS does not exist
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
# Processes of a run from another checkout (its own state directory) hold the
# same ports: stop them too, by the command lines openstack-up.sh starts.
patterns=('uwsgi --ini .*/openstack/\.state/uwsgi/' '/usr/bin/glance-api --config-file' '/usr/bin/nova-(conductor|scheduler|compute) --config-file'
  '/usr/bin/neutron-(rpc-server|linuxbridge-agent) --config-file' '/usr/bin/cinder-(scheduler|volume|backup) --config-file'
  '/usr/bin/octavia-worker --config-file')
for p in "${patterns[@]}"; do pkill -TERM -f "$p" 2>/dev/null && echo "stopping strays matching $p"; done
for _ in $(seq 30); do
  left=0; for p in "${patterns[@]}"; do pgrep -f "$p" >/dev/null && left=1; done
  [ $left = 0 ] && break; sleep 0.5
done
for p in "${patterns[@]}"; do pkill -KILL -f "$p" 2>/dev/null; done
# the veth that stands in for the "physical" interface of the flat network
ip link del lbphys0 2>/dev/null || true
exit 0
