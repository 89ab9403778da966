#!/usr/bin/env bash
# Bring up a single-node OpenStack (Zed, Debian bookworm packages) on 127.0.0.1
# for the OpenStack driver's CI tests:
#   Keystone, Glance (file store), Placement, Nova (fake.FakeDriver, two
#   nova-compute hosts so live migration works), Neutron (ML2 linuxbridge +
#   two linuxbridge agents, flat external "public" + vxlan tenant "private"),
#   Cinder (file-backed fake driver, posix backups) and, unless
#   OPENSTACK_OCTAVIA=0, Octavia (noop drivers, on MariaDB).
# Non-interactive and idempotent: processes of an earlier run are stopped,
# service databases are dropped and recreated on every run.
# State, logs and admin-openrc go to $OPENSTACK_STATE (default
# scripts/openstack/.state). Needs root. No systemd: every daemon is started
# here (setsid, pid recorded in $STATE/pids) and stopped by openstack-down.sh.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$HERE/openstack
STATE=${OPENSTACK_STATE:-$SRC/.state}
OCTAVIA=${OPENSTACK_OCTAVIA:-1}
LOGS=$STATE/logs
PIDS=$STATE/pids
PW=os                               # every service password
ADMIN_PW=${OPENSTACK_ADMIN_PASSWORD:-admin}
HOST1=$(hostname)
HOST2=${HOST1}2
RABBIT_URL=rabbit://os:os@127.0.0.1:5672/openstack
PG=postgresql+psycopg2://os@127.0.0.1:5432
KS=http://127.0.0.1:5000

T0=$(date +%s.%N); TP=$T0
now() { date +%s.%N; }
phase() { local t; t=$(now); awk -v a="$t" -v b="$T0" -v c="$TP" -v m="$*" 'BEGIN{printf "== [%6.1fs +%5.1fs] %s\n", a-b, a-c, m}'; TP=$t; }
die() { echo "openstack-up: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"

# ---------------------------------------------------------------- packages
phase "start"
PKGS="keystone glance placement-api nova-api nova-conductor nova-scheduler nova-compute
 neutron-server neutron-linuxbridge-agent cinder-api cinder-scheduler cinder-volume cinder-backup
 python3-openstackclient uwsgi uwsgi-plugin-python3 python3-psycopg2 python3-pymysql"
[ "$OCTAVIA" = 1 ] && PKGS="$PKGS octavia-api octavia-worker python3-octaviaclient"
missing=$(dpkg-query -W -f='${Package} ${Status}\n' $PKGS 2>/dev/null | awk '$4!="installed"{print $1}'; \
          for p in $PKGS; do dpkg-query -W "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $PKGS >"$SRC/apt.log.tmp" 2>&1 \
    || { tail -20 "$SRC/apt.log.tmp"; die "apt-get install"; }
  rm -f "$SRC/apt.log.tmp"
fi
phase "packages installed"

# ------------------------------------------------- stop an earlier run
"$HERE/openstack-down.sh" >/dev/null 2>&1 || true
mkdir -p "$LOGS" "$PIDS" "$STATE/uwsgi" "$STATE/conf"
rm -f "$LOGS"/*.log
phase "earlier run stopped"

# ------------------------------------------------- backing services
pg_isready -q -h 127.0.0.1 -p 5432 || {
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  for _ in $(seq 60); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done; }
pg_isready -q -h 127.0.0.1 -p 5432 || die "postgresql"
if ! rabbitmqctl -q status >/dev/null 2>&1; then
  rabbitmq-server -detached
  rabbitmqctl -q await_startup --timeout 60 >/dev/null 2>&1 || rabbitmqctl wait --timeout 60 /dev/null || true
fi
rabbitmqctl -q status >/dev/null 2>&1 || die "rabbitmq"
rabbitmqctl -q add_user os os >/dev/null 2>&1 || rabbitmqctl -q change_password os os >/dev/null
rabbitmqctl -q delete_vhost openstack >/dev/null 2>&1 || true
rabbitmqctl -q add_vhost openstack >/dev/null
rabbitmqctl -q set_permissions -p openstack os '.*' '.*' '.*' >/dev/null
# The services declare their notification queues whether anyone reads them
# or not (gisiaas binds a private queue of its own): keep those bounded.
rabbitmqctl -q set_policy -p openstack notifications-bounded '^(versioned_)?notifications\.' \
  '{"message-ttl": 600000, "max-length": 10000}' --apply-to queues >/dev/null
if [ "$OCTAVIA" = 1 ]; then
  mysqladmin -uroot ping >/dev/null 2>&1 || {
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    for _ in $(seq 60); do mysqladmin -uroot ping >/dev/null 2>&1 && break; sleep 0.5; done; }
  mysqladmin -uroot ping >/dev/null 2>&1 || die "mariadb"
fi
phase "postgresql, rabbitmq$([ "$OCTAVIA" = 1 ] && echo ", mariadb") ready"

# ------------------------------------------------- databases (dropped each run)
psql -q -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
SELECT 'CREATE ROLE os LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname='os') \gexec
SQL
for db in keystone glance placement nova_api nova nova_cell0 neutron cinder; do
  psql -q -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db OWNER os" >/dev/null
done
if [ "$OCTAVIA" = 1 ]; then
  mysql -uroot <<'SQL'
DROP DATABASE IF EXISTS octavia; CREATE DATABASE octavia;
CREATE USER IF NOT EXISTS 'os'@'127.0.0.1' IDENTIFIED BY 'os';
GRANT ALL PRIVILEGES ON octavia.* TO 'os'@'127.0.0.1';
SQL
fi
phase "databases recreated"

# ------------------------------------------------- configuration
authtoken() { # $1 user
cat <<EOF
[keystone_authtoken]
www_authenticate_uri = $KS
auth_url = $KS
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $PW
service_token_roles_required = true
EOF
}
svcauth() { # $1 section  $2 user
cat <<EOF
[$1]
auth_url = $KS
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $2
password = $PW
region_name = RegionOne
EOF
}
put() { # $1 file  $2 group ; stdin content
  install -d -o root -g "$2" -m 0755 "$(dirname "$1")"
  cat >"$1"; chown root:"$2" "$1"; chmod 0640 "$1"
}

put /etc/keystone/keystone.conf keystone <<EOF
[DEFAULT]
log_dir =
[database]
connection = $PG/keystone
[token]
provider = fernet
EOF

install -d -o glance -g glance /var/lib/glance/images /var/lib/glance/staging /var/lib/glance/tasks
rm -rf /var/lib/glance/images/* /var/lib/glance/staging/* /var/lib/glance/tasks/*
put /etc/glance/glance-api.conf glance <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = 9292
workers = 1
enabled_backends = fs:file
log_dir =
[database]
connection = $PG/glance
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = /var/lib/glance/images/
[os_glance_staging_store]
filesystem_store_datadir = /var/lib/glance/staging/
[os_glance_tasks_store]
filesystem_store_datadir = /var/lib/glance/tasks/
[paste_deploy]
flavor = keystone
$(authtoken glance)
EOF

put /etc/placement/placement.conf placement <<EOF
[DEFAULT]
log_dir =
[api]
auth_strategy = keystone
[placement_database]
connection = $PG/placement
$(authtoken placement)
EOF

put /etc/nova/nova.conf nova <<EOF
[DEFAULT]
transport_url = $RABBIT_URL
my_ip = 127.0.0.1
host = $HOST1
compute_driver = fake.FakeDriver
allow_resize_to_same_host = true
state_path = /var/lib/nova
log_dir =
osapi_compute_listen = 127.0.0.1
metadata_listen = 127.0.0.1
[api]
auth_strategy = keystone
[api_database]
connection = $PG/nova_api
[database]
connection = $PG/nova
[glance]
api_servers = http://127.0.0.1:9292
[oslo_concurrency]
lock_path = /var/lib/nova/tmp
[oslo_messaging_notifications]
# versioned notifications on the bus: gisiaas' event source listens there
driver = messagingv2
[notifications]
notification_format = versioned
notify_on_state_change = vm_and_task_state
[scheduler]
discover_hosts_in_cells_interval = 10
[vnc]
enabled = false
[cinder]
os_region_name = RegionOne
$(authtoken nova)
$(svcauth placement placement)
$(svcauth neutron neutron)
$(svcauth service_user nova)
send_service_user_token = true
EOF
# the package points nova-compute at libvirt here; neutralise it
put /etc/nova/nova-compute.conf nova <<EOF
[DEFAULT]
compute_driver = snapshot_fake_virt.SnapshotFakeDriver
EOF
put "$STATE/conf/nova-compute2.conf" nova <<EOF
[DEFAULT]
host = $HOST2
EOF
install -d -o nova -g nova /var/lib/nova/tmp

put /etc/neutron/neutron.conf neutron <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = 9696
core_plugin = ml2
service_plugins = router
transport_url = $RABBIT_URL
notify_nova_on_port_status_changes = true
notify_nova_on_port_data_changes = true
api_workers = 1
rpc_workers = 1
rpc_state_report_workers = 1
log_dir =
[agent]
root_helper = sudo /usr/bin/neutron-rootwrap /etc/neutron/rootwrap.conf
[database]
connection = $PG/neutron
[experimental]
linuxbridge = true
[oslo_messaging_notifications]
driver = messagingv2
[oslo_concurrency]
lock_path = /var/lib/neutron/lock
$(authtoken neutron)
$(svcauth nova nova)
EOF
put /etc/neutron/plugins/ml2/ml2_conf.ini neutron <<EOF
[ml2]
type_drivers = flat,vlan,vxlan
tenant_network_types = vxlan
mechanism_drivers = linuxbridge
extension_drivers = port_security
[ml2_type_flat]
flat_networks = public
[ml2_type_vxlan]
vni_ranges = 1:1000
EOF
for h in 1 2; do
  hn=$HOST1; [ $h = 2 ] && hn=$HOST2
  put "$STATE/conf/linuxbridge_agent$h.ini" neutron <<EOF
[DEFAULT]
host = $hn
[linux_bridge]
physical_interface_mappings = public:lbphys0
[vxlan]
enable_vxlan = true
local_ip = 127.0.0.1
l2_population = false
[securitygroup]
firewall_driver = iptables
enable_security_group = true
EOF
done
install -d -o neutron -g neutron /var/lib/neutron/lock

install -d -o cinder -g cinder /var/lib/cinder/filefake /var/lib/cinder/backup /var/lib/cinder/pylib /var/lib/cinder/tmp
rm -rf /var/lib/cinder/filefake/* /var/lib/cinder/backup/*
install -o cinder -g cinder -m 0644 "$SRC/filefake_cinder.py" /var/lib/cinder/pylib/filefake_cinder.py
put /etc/cinder/cinder.conf cinder <<EOF
[DEFAULT]
transport_url = $RABBIT_URL
my_ip = 127.0.0.1
host = $HOST1
osapi_volume_listen = 127.0.0.1
auth_strategy = keystone
enabled_backends = fake
glance_api_servers = http://127.0.0.1:9292
backup_driver = cinder.backup.drivers.posix.PosixBackupDriver
backup_posix_path = /var/lib/cinder/backup
state_path = /var/lib/cinder
log_dir =
[database]
connection = $PG/cinder
# No notifications from Cinder: with them on, this Cinder (Zed, Debian's
# packages) fails every volume create while serializing the request context
# for the notifier ('RequestContext' object has no attribute '_read_deleted');
# gisiaas' event source polls Cinder instead.
[oslo_concurrency]
lock_path = /var/lib/cinder/tmp
[fake]
volume_driver = filefake_cinder.FileFakeDriver
volume_backend_name = fake
$(authtoken cinder)
$(svcauth nova nova)
$(svcauth service_user cinder)
send_service_user_token = true
EOF

if [ "$OCTAVIA" = 1 ]; then
  C=/etc/octavia/certs
  install -d -o octavia -g octavia -m 0750 $C
  if [ ! -s $C/ca_01.pem ]; then
    openssl genrsa -aes256 -passout pass:octavia -out $C/ca_key.pem 2048 2>/dev/null
    openssl req -x509 -new -key $C/ca_key.pem -passin pass:octavia -days 3650 -subj /CN=gisiaas-ci-ca -out $C/ca_01.pem 2>/dev/null
    chown octavia:octavia $C/*
  fi
  put /etc/octavia/octavia.conf octavia <<EOF
[DEFAULT]
transport_url = $RABBIT_URL
log_dir =
[api_settings]
bind_host = 127.0.0.1
bind_port = 9876
default_provider_driver = amphora
enabled_provider_drivers = amphora:noop amphora
[database]
connection = mysql+pymysql://os:os@127.0.0.1/octavia
[controller_worker]
amphora_driver = amphora_noop_driver
compute_driver = compute_noop_driver
network_driver = network_noop_driver
volume_driver = volume_noop_driver
image_driver = image_noop_driver
loadbalancer_topology = SINGLE
[task_flow]
jobboard_enabled = false
[certificates]
cert_manager = local_cert_manager
ca_certificate = $C/ca_01.pem
ca_private_key = $C/ca_key.pem
ca_private_key_passphrase = octavia
[oslo_messaging]
topic = octavia_prov
$(authtoken octavia)
$(svcauth service_auth octavia)
EOF
fi
phase "configuration written"

# ------------------------------------------------- schema
asu() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --init-groups env HOME=/var/lib/"$u" "$@"; }
dbsync() { local name=$1; shift; "$@" >"$LOGS/dbsync-$name.log" 2>&1 || { tail -20 "$LOGS/dbsync-$name.log"; die "db sync of $name"; }; }
dbsync keystone asu keystone keystone-manage db_sync &
dbsync glance asu glance glance-manage db_sync &
dbsync placement asu placement placement-manage db sync &
dbsync neutron asu neutron neutron-db-manage --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/ml2_conf.ini upgrade head &
dbsync cinder asu cinder cinder-manage db sync &
dbsync nova asu nova sh -c 'nova-manage api_db sync && nova-manage cell_v2 map_cell0 --database_connection '"$PG/nova_cell0"' && nova-manage cell_v2 create_cell --name=cell1 && nova-manage db sync' &
[ "$OCTAVIA" = 1 ] && { dbsync octavia asu octavia octavia-db-manage --config-file /etc/octavia/octavia.conf upgrade head & }
fail=0; for j in $(jobs -p); do wait "$j" || fail=1; done; [ $fail = 0 ] || die "db sync (see $LOGS/dbsync-*.log)"
rm -rf /etc/keystone/fernet-keys /etc/keystone/credential-keys
keystone-manage fernet_setup --keystone-user keystone --keystone-group keystone >/dev/null 2>&1
keystone-manage credential_setup --keystone-user keystone --keystone-group keystone >/dev/null 2>&1
asu keystone keystone-manage bootstrap --bootstrap-password "$ADMIN_PW" --bootstrap-region-id RegionOne \
  --bootstrap-admin-url $KS/v3/ --bootstrap-internal-url $KS/v3/ --bootstrap-public-url $KS/v3/ >"$LOGS/keystone-bootstrap.log" 2>&1 \
  || die "keystone bootstrap"
phase "schemas synced, keystone bootstrapped"

# ------------------------------------------------- processes
# start NAME USER|root CMD...  -> own session (kill -- -PID stops the tree)
start() {
  local name=$1 user=$2; shift 2
  if [ "$user" = root ]; then nohup setsid "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
  else nohup setsid setpriv --reuid="$user" --regid="$user" --init-groups env HOME=/var/lib/"$user" "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
  fi
  echo $! >"$PIDS/$name.pid"
}
uwsgi_app() { # name user port wsgi-file [pyargv]
  local f=$STATE/uwsgi/$1.ini extra=""
  [ -n "${5:-}" ] && extra="pyargv = $5"
  sed -e "s|@PORT@|$3|; s|@USER@|$2|g; s|@WSGI@|$4|; s|@EXTRA@|$extra|" "$SRC/uwsgi.ini.tmpl" >"$f"
  start "$1" root uwsgi --ini "$f"
}
wait_http() { # name url timeout
  local i
  for i in $(seq $(( $3 * 2 ))); do
    curl -s -o /dev/null -m 2 "$2" && { phase "$1 up ($2)"; return 0; }
    kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null || { tail -20 "$LOGS/$1.log"; die "$1 exited (log: $LOGS/$1.log)"; }
    sleep 0.5
  done
  tail -20 "$LOGS/$1.log"; die "$1 did not answer on $2 within $3 s (log: $LOGS/$1.log)"
}

ip link show lbphys0 >/dev/null 2>&1 || ip link add lbphys0 type veth peer name lbphys1
ip link set lbphys0 up; ip link set lbphys1 up

uwsgi_app keystone keystone 5000 /usr/bin/keystone-wsgi-public
uwsgi_app placement placement 8778 /usr/bin/placement-api
uwsgi_app nova-api nova 8774 /usr/bin/nova-api-wsgi
uwsgi_app neutron-api neutron 9696 /usr/bin/neutron-api "--config-file=/etc/neutron/neutron.conf --config-file=/etc/neutron/plugins/ml2/ml2_conf.ini"
uwsgi_app cinder-api cinder 8776 /usr/bin/cinder-wsgi
start glance-api glance glance-api --config-file=/etc/glance/glance-api.conf
if [ "$OCTAVIA" = 1 ]; then uwsgi_app octavia-api octavia 9876 /usr/bin/octavia-wsgi; fi
phase "API processes started"

wait_http keystone $KS/v3 90

# ------------------------------------------------- keystone catalog
cat >"$STATE/admin-openrc" <<EOF
export OS_AUTH_URL=$KS/v3
export OS_IDENTITY_API_VERSION=3
export OS_USERNAME=admin
export OS_PASSWORD=$ADMIN_PW
export OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_REGION_NAME=RegionOne
export OS_INTERFACE=public
EOF
cat >"$STATE/clouds.yaml" <<EOF
clouds:
  gisiaas-ci:
    auth:
      auth_url: $KS/v3
      username: admin
      password: $ADMIN_PW
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
EOF
. "$STATE/admin-openrc"
{
  echo "project create --domain default service"
  echo "role create service"
  [ "$OCTAVIA" = 1 ] && echo "role create load-balancer_admin" && echo "role create load-balancer_member"
  svcs="glance:image:9292 placement:placement:8778 nova:compute:8774/v2.1 neutron:network:9696 cinder:volumev3:8776/v3/%(project_id)s"
  [ "$OCTAVIA" = 1 ] && svcs="$svcs octavia:load-balancer:9876"
  for s in $svcs; do
    IFS=: read -r u t p <<<"$s"
    echo "user create --domain default --password $PW $u"
    echo "role add --project service --user $u admin"
    echo "role add --project service --user $u service"
    echo "service create --name $u $t"
    for i in public internal admin; do echo "endpoint create --region RegionOne $t $i http://127.0.0.1:$p"; done
  done
  [ "$OCTAVIA" = 1 ] && echo "role add --project admin --user admin load-balancer_admin"
  # cinder's v3 endpoint is also published as "block-storage"
  echo "service create --name cinderv3bs block-storage"
  for i in public internal admin; do echo "endpoint create --region RegionOne block-storage $i http://127.0.0.1:8776/v3/%(project_id)s"; done
} | openstack >"$LOGS/keystone-catalog.log" 2>&1 || true
n=$(openstack endpoint list -f value -c ID | wc -l)
[ "$n" -ge 18 ] || { cat "$LOGS/keystone-catalog.log"; die "keystone catalog (only $n endpoints)"; }
phase "keystone catalog ($n endpoints)"
NEUTRON_CONF="--config-file=/etc/neutron/neutron.conf --config-file=/etc/neutron/plugins/ml2/ml2_conf.ini"
start neutron-rpc-server neutron neutron-rpc-server $NEUTRON_CONF
start neutron-lb-agent1 root neutron-linuxbridge-agent --config-file=/etc/neutron/neutron.conf --config-file="$STATE/conf/linuxbridge_agent1.ini"
start neutron-lb-agent2 root neutron-linuxbridge-agent --config-file=/etc/neutron/neutron.conf --config-file="$STATE/conf/linuxbridge_agent2.ini"
start nova-conductor nova nova-conductor --config-file=/etc/nova/nova.conf
start nova-scheduler nova nova-scheduler --config-file=/etc/nova/nova.conf
start nova-compute1 nova env PYTHONPATH="$SRC" PYTHONDONTWRITEBYTECODE=1 nova-compute --config-file=/etc/nova/nova.conf --config-file=/etc/nova/nova-compute.conf
start nova-compute2 nova env PYTHONPATH="$SRC" PYTHONDONTWRITEBYTECODE=1 nova-compute --config-file=/etc/nova/nova.conf --config-file=/etc/nova/nova-compute.conf --config-file="$STATE/conf/nova-compute2.conf"
start cinder-scheduler cinder cinder-scheduler --config-file=/etc/cinder/cinder.conf
start cinder-volume cinder env PYTHONPATH=/var/lib/cinder/pylib cinder-volume --config-file=/etc/cinder/cinder.conf
start cinder-backup cinder env PYTHONPATH=/var/lib/cinder/pylib cinder-backup --config-file=/etc/cinder/cinder.conf
if [ "$OCTAVIA" = 1 ]; then
  start octavia-worker octavia octavia-worker --config-file=/etc/octavia/octavia.conf
fi
phase "RPC daemons and agents started"

wait_http glance-api http://127.0.0.1:9292/ 90
wait_http placement http://127.0.0.1:8778/ 90
wait_http nova-api http://127.0.0.1:8774/ 90
wait_http neutron-api http://127.0.0.1:9696/ 90
wait_http cinder-api http://127.0.0.1:8776/ 90
[ "$OCTAVIA" = 1 ] && wait_http octavia-api http://127.0.0.1:9876/ 90

# wait until a service list shows the wanted hosts up
wait_until() { # what timeout cmd...
  local what=$1 end=$(( SECONDS + $2 )); shift 2
  while [ $SECONDS -lt $end ]; do "$@" >/dev/null 2>&1 && { phase "$what"; return 0; }; sleep 2; done
  die "$what: not reached within $to s"
}
computes_up() { [ "$(openstack compute service list --service nova-compute -f value -c State | grep -c up)" -ge 2 ]; }
agents_up() { [ "$(openstack network agent list --agent-type linux-bridge -f value -c Alive | grep -c True)" -ge 2 ]; }
cinder_up() { openstack volume service list -f value -c Binary -c State | grep -q 'cinder-volume up' && \
              openstack volume service list -f value -c Binary -c State | grep -q 'cinder-backup up' && \
              openstack volume service list -f value -c Binary -c State | grep -q 'cinder-scheduler up'; }
wait_until "nova-compute $HOST1 + $HOST2 up" 120 computes_up
asu nova nova-manage cell_v2 discover_hosts >"$LOGS/discover-hosts.log" 2>&1 || die "nova-manage cell_v2 discover_hosts"
wait_until "neutron linuxbridge agents $HOST1 + $HOST2 alive" 120 agents_up
wait_until "cinder scheduler/volume/backup up" 120 cinder_up

# ------------------------------------------------- resources for tests
head -c 1048576 /dev/zero >"$STATE/tiny.img"
{
  echo "flavor create --id 1 --vcpus 1 --ram 512 --disk 1 m1.tiny"
  echo "flavor create --id 2 --vcpus 1 --ram 1024 --disk 2 m1.small"
  echo "flavor create --id 3 --vcpus 2 --ram 2048 --disk 4 m1.medium"
  echo "image create --disk-format raw --container-format bare --public --file $STATE/tiny.img tiny"
  echo "network create --external --share --provider-network-type flat --provider-physical-network public public"
  echo "subnet create --network public --subnet-range 203.0.113.0/24 --no-dhcp --gateway 203.0.113.1 --allocation-pool start=203.0.113.10,end=203.0.113.250 public-subnet"
  echo "network create --share private"  # a provider network every project boots on
  echo "subnet create --network private --subnet-range 10.0.0.0/24 --no-dhcp private-subnet"
  echo "router create router1"
  echo "router set --external-gateway public router1"
  echo "router add subnet router1 private-subnet"
} | openstack >"$LOGS/resources.log" 2>&1 || true
openstack network show private -f value -c id >/dev/null 2>&1 || { cat "$LOGS/resources.log"; die "test resources"; }
[ "$(openstack image show tiny -f value -c status 2>/dev/null)" = active ] || { cat "$LOGS/resources.log"; die "glance image upload"; }
phase "flavors, image, networks, router created"

# ------------------------------------------------- smoke test
openstack token issue -f value -c id >/dev/null || die "smoke: token issue"
phase "smoke: token issued"
openstack server create --flavor m1.tiny --image tiny --network private --wait smoke-server >"$LOGS/smoke.log" 2>&1 \
  || { cat "$LOGS/smoke.log"; die "smoke: server create"; }
[ "$(openstack server show smoke-server -f value -c status)" = ACTIVE ] || die "smoke: server not ACTIVE"
phase "smoke: server ACTIVE on $(openstack server show smoke-server -f value -c OS-EXT-SRV-ATTR:host)"
wait_vol() { # name status
  local s i
  for i in $(seq 60); do
    s=$(openstack volume show "$1" -f value -c status 2>/dev/null || true)
    [ "$s" = "$2" ] && return 0
    case $s in error*) die "smoke: volume $1 is $s";; esac
    sleep 1
  done
  die "smoke: volume $1 not $2 (last: $s)"
}
openstack volume create --size 1 smoke-vol >>"$LOGS/smoke.log" 2>&1 || die "smoke: volume create"
wait_vol smoke-vol available; phase "smoke: 1 GB volume available"
openstack server add volume smoke-server smoke-vol >>"$LOGS/smoke.log" 2>&1 || die "smoke: attach"
wait_vol smoke-vol in-use; phase "smoke: volume attached"
openstack server remove volume smoke-server smoke-vol >>"$LOGS/smoke.log" 2>&1 || die "smoke: detach"
wait_vol smoke-vol available; phase "smoke: volume detached"
openstack server delete --wait smoke-server >>"$LOGS/smoke.log" 2>&1 || die "smoke: server delete"
openstack volume delete smoke-vol >>"$LOGS/smoke.log" 2>&1 || die "smoke: volume delete"
for _ in $(seq 30); do openstack volume show smoke-vol >/dev/null 2>&1 || break; sleep 1; done
openstack volume show smoke-vol >/dev/null 2>&1 && die "smoke: volume not deleted"
phase "smoke: server and volume deleted"
if [ "$OCTAVIA" = 1 ]; then
  openstack loadbalancer create --name smoke-lb --vip-subnet-id private-subnet --wait >>"$LOGS/smoke.log" 2>&1 \
    && [ "$(openstack loadbalancer show smoke-lb -f value -c provisioning_status)" = ACTIVE ] || die "smoke: octavia load balancer create"
  openstack loadbalancer listener create --name smoke-listener --protocol HTTP --protocol-port 80 --wait smoke-lb >>"$LOGS/smoke.log" 2>&1 \
    || die "smoke: octavia listener create"
  openstack loadbalancer delete --cascade --wait smoke-lb >>"$LOGS/smoke.log" 2>&1 || die "smoke: octavia cascade delete"
  phase "smoke: octavia load balancer + listener ACTIVE, cascade-deleted"
fi

echo "OpenStack is up. source $STATE/admin-openrc  (or OS_CLIENT_CONFIG_FILE=$STATE/clouds.yaml OS_CLOUD=gisiaas-ci)"
phase "done"
