#!/usr/bin/env bash
# Load-tests the whole stack — HTTP, auth, registry, the plugin boundary and
# the simulator as a plugin process — with wrk, as `make bench` runs it:
#   GET /v1/{p}/servers/{id}   and   GET /v1/{p}/servers (100 servers)
# then reads the Server-Timing header to tell how much of a request's time
# was spent across the plugin boundary. Results go to stdout; copy them into
# docs/benchmarks.md with the machine they ran on.
set -euo pipefail
trap 'echo "bench-http.sh: failed at line $LINENO" >&2' ERR
cd "$(dirname "$0")/.."
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
PORT=${PORT:-18080}

if ! command -v wrk >/dev/null; then
  echo "installing wrk from Debian's packages" >&2
  (apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; })
fi
command -v jq >/dev/null || (apt-get install -y jq >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y jq >/dev/null; })
make -s build

tmp=$(mktemp -d)
cleanup() {
  if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
cat >"$tmp/bench.yaml" <<EOF
listen: 127.0.0.1:$PORT
data_dir: $tmp
plugin_dirs: [$PWD/bin]
limits: {token_rate: 10000000, token_burst: 10000000, concurrency: 256}
datacenters:
  - id: dc1
    name: Bench
    driver: sim
    settings:
      name: sim-bench
      latency: 0s
      quota: {vcpus: 100000, memory_mb: 100000000, servers: 10000, volume_gb: 100000, volumes: 10000}
      datacenters:
        - {id: dc1, name: Bench, kind: availability_zone, hosts: [h1, h2]}
EOF
GISIAAS_ADMIN_PASSWORD=bench-secret bin/gisiaas serve --config "$tmp/bench.yaml" >"$tmp/serve.log" 2>&1 &
pid=$!
url=http://127.0.0.1:$PORT
for _ in $(seq 300); do curl -sf "$url/openapi.yaml" >/dev/null && break; sleep 0.1; done
curl -sf "$url/openapi.yaml" >/dev/null || { echo "gisiaas did not start:" >&2; cat "$tmp/serve.log" >&2; exit 1; }

auth='{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"name":"Default"},"password":"bench-secret"}}},"scope":{"project":{"name":"admin","domain":{"name":"Default"}}}}}'
curl -sf -D "$tmp/h" -o "$tmp/tok.json" -H 'Content-Type: application/json' -d "$auth" "$url/v3/auth/tokens"
token=$(awk 'tolower($1)=="x-subject-token:"{print $2}' "$tmp/h" | tr -d '\r')
project=$(jq -r .token.project.id "$tmp/tok.json")
api=$url/v1/$project
hdr=(-H "X-Auth-Token: $token" -H 'Content-Type: application/json')
image=$(curl -sf "${hdr[@]}" "$api/images" | jq -r '[.images[] | select(.min_ram_mb <= 512)][0].id')
network=$(curl -sf "${hdr[@]}" "$api/networks" | jq -r '[.networks[] | select(.external | not)][0].id')
for i in $(seq 100); do
  code=$(curl -sS -o "$tmp/server.json" -w '%{http_code}' "${hdr[@]}" "$api/servers" \
    -d "{\"server\":{\"name\":\"bench-$i\",\"flavor_id\":\"m1.tiny\",\"image_id\":\"$image\",\"networks\":[{\"network_id\":\"$network\"}]}}")
  [ "$code" = 202 ] || { echo "create server: $code $(cat "$tmp/server.json")" >&2; exit 1; }
done
id=$(jq -r .server.id "$tmp/server.json")
count=$(curl -sf "${hdr[@]}" "$api/servers" | jq '.servers | length')
[ "$count" = 100 ] || { echo "expected 100 servers, got $count" >&2; exit 1; }

cat >"$tmp/timing.lua" <<'LUA'
-- Sums the backend and total durations of Server-Timing over all responses.
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) backend, total, n = 0, 0, 0 end
function response(status, headers, body)
  local st = headers["Server-Timing"] or headers["server-timing"]
  if st then
    local b = st:match("backend;dur=([%d%.]+)")
    local t = st:match("total;dur=([%d%.]+)")
    if b and t then backend = backend + tonumber(b); total = total + tonumber(t); n = n + 1 end
  end
end
function done(summary, latency, requests)
  local b, t, n = 0, 0, 0
  for _, th in ipairs(threads) do b = b + th:get("backend"); t = t + th:get("total"); n = n + th:get("n") end
  if n > 0 then
    io.write(string.format("server-side mean: %.3f ms, of which in the plugin boundary and driver: %.3f ms (%.0f%%) over %d responses\n",
      t / n, b / n, 100 * b / t, n))
  end
end
LUA

echo "## machine: $(nproc) vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3)"
echo "## wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency"
echo
echo "### GET /v1/{project}/servers/{id}"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "X-Auth-Token: $token" "$api/servers/$id"
echo
echo "### GET /v1/{project}/servers (100 servers)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "X-Auth-Token: $token" "$api/servers"
echo
echo "### share of time in the plugin boundary (Server-Timing, 5 s each)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d5s -s "$tmp/timing.lua" -H "X-Auth-Token: $token" "$api/servers/$id" | tail -1
wrk -t"$THREADS" -c"$CONNECTIONS" -d5s -s "$tmp/timing.lua" -H "X-Auth-Token: $token" "$api/servers" | tail -1
