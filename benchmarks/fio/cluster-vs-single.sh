#!/usr/bin/env bash
# Issue 17's cluster write figure: fio 4 KiB random writes, iodepth 32, over NBD against
#   single:  one `scoria serve` with `foc: {address: ..., mode: sync}` on a loopback `scoria foc-server`
#            (the engine benchmark's foc:sync peer, benchmarks/fio/foc-sync-vs-none.sh), and
#   cluster: three `scoria serve` nodes of one ZooKeeper cluster (a standalone ZooKeeper server from the
#            classes in scoria.jar), each with its FOC server inside (`foc.serve`), no `foc.address`: the
#            volume's owner mirrors every write to another node's FOC over loopback (placed per volume).
# Alternated single/cluster per round, each round on new data dirs (and a new ZooKeeper root), fio's ramp
# keeping JIT warm-up out, so the result is a ratio on the same machine. KEEP=1 keeps the logs.
# Usage: benchmarks/fio/cluster-vs-single.sh [seconds, default 20] [rounds, default 2] [ramp seconds, default 30]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
secs="${1:-20}"
rounds="${2:-2}"
ramp="${3:-30}"
work="$(mktemp -d)"
pids=()
ok=0
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  if ((ok)) && [[ -z "${KEEP:-}" ]]; then rm -rf "$work"; else echo "logs kept in $work" >&2; fi
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 600); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.2; done; return 1; }
"$repo/scoria" --help > /dev/null # builds scoria.jar if needed
m2="${HOME}/.m2/repository"
zkcp="$repo/accelerator/target/scoria.jar:$m2/io/dropwizard/metrics/metrics-core/3.2.5/metrics-core-3.2.5.jar:$m2/org/xerial/snappy/snappy-java/1.1.10.5/snappy-java-1.1.10.5.jar"
for j in ${zkcp//:/ }; do [[ -f "$j" ]] || { echo "missing $j (mvn dependency:get it)" >&2; exit 1; }; done
p_zk=$(free_port)
java -Dzookeeper.admin.enableServer=false -cp "$zkcp" org.apache.zookeeper.server.ZooKeeperServerMain "$p_zk" "$work/zk" \
  > "$work/zk.log" 2>&1 & pids+=($!)
wait_port "$p_zk"
p_foc=$(free_port)
"$repo/scoria" foc-server --listen 127.0.0.1:$p_foc --dir "$work/foc" > "$work/foc.log" 2>&1 & pids+=($!)
wait_port "$p_foc"
token() { cat "$1/admin.token"; }
create() { # api-port data-dir
  curl -sf -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $(token "$2")" \
    -d '{"name":"benchvol","size":"4GiB"}' "http://127.0.0.1:$1/v1/volumes" > /dev/null
}
fio_run() { # uri out
  fio --name=bench --ioengine=nbd --uri="$1" --rw=randwrite --bs=4k --iodepth=32 \
    --size=1g --time_based --runtime="$secs" --ramp_time="$ramp" --output-format=json > "$2"
}
report() { # json label round result-file
  python3 - "$@" <<'PY'
import json, sys
t = open(sys.argv[1]).read(); j = json.loads(t[t.index("{"):])["jobs"][0]["write"]
p = j["clat_ns"]["percentile"]
print(f"{sys.argv[2]:7s} round {sys.argv[3]}: {j['iops']:9.0f} IOPS  p50 {p['50.000000']/1e3:8.0f} us  p99 {p['99.000000']/1e3:8.0f} us")
open(sys.argv[4], "w").write(f"{j['iops']} {p['99.000000']}\n")
PY
}
single() { # round
  local d="$work/single-$1" nbd api; nbd=$(free_port); api=$(free_port)
  mkdir -p "$d"
  printf 'dataDir: %s\nnbd: {port: %s}\niscsi: {port: 0}\napi: {port: %s}\ncache: {clusterCache: 256MiB, scoCache: 2GiB}\nfoc: {address: 127.0.0.1:%s, mode: sync}\n' \
    "$d/data" "$nbd" "$api" "$p_foc" > "$d/scoria.yaml"
  "$repo/scoria" serve --config "$d/scoria.yaml" > "$d/serve.log" 2>&1 & local pid=$!; pids+=($pid)
  wait_port "$api"; wait_port "$nbd"
  create "$api" "$d/data"
  fio_run "nbd://127.0.0.1:$nbd/benchvol" "$d/fio.json"
  report "$d/fio.json" single "$1" "$work/result-single-$1"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$d/data"; sync
}
cluster() { # round
  local d="$work/cluster-$1" n nbd1 api1 node_pids=()
  mkdir -p "$d"
  for n in 1 2 3; do
    local nbd api foc; nbd=$(free_port); api=$(free_port); foc=$(free_port)
    [[ $n == 1 ]] && { nbd1=$nbd; api1=$api; }
    printf 'dataDir: %s\nnbd: {port: %s}\niscsi: {port: 0}\napi: {port: %s}\ncache: {clusterCache: 256MiB, scoCache: 2GiB}\nbackend: {type: fs, fs: {root: %s}}\nfoc: {mode: sync, serve: {listen: 127.0.0.1:%s}}\ncluster: {zookeeper: 127.0.0.1:%s, nodeId: node%s, root: /bench%s}\n' \
      "$d/data$n" "$nbd" "$api" "$d/backend" "$foc" "$p_zk" "$n" "$1" > "$d/node$n.yaml"
    "$repo/scoria" serve --config "$d/node$n.yaml" > "$d/node$n.log" 2>&1 & node_pids+=($!); pids+=($!)
    wait_port "$api"
  done
  # every node registered with its FOC server before the volume opens (else its FOC starts on the owner)
  local tries=0
  until [[ "$(SCORIA_API=http://127.0.0.1:$api1 SCORIA_TOKEN=$(token "$d/data1") "$repo/scoria" cluster status | grep -c '^node[0-9] ')" == 3 ]]; do
    sleep 1; tries=$((tries + 1)); ((tries < 120)) || { echo "cluster did not form" >&2; exit 1; }
  done
  create "$api1" "$d/data1"
  fio_run "nbd://127.0.0.1:$nbd1/benchvol" "$d/fio.json"
  SCORIA_API=http://127.0.0.1:$api1 SCORIA_TOKEN=$(token "$d/data1") "$repo/scoria" cluster status > "$d/status.txt"
  grep -q 'benchvol' "$d/status.txt" || { echo "benchvol not in cluster status" >&2; cat "$d/status.txt" >&2; exit 1; }
  report "$d/fio.json" cluster "$1" "$work/result-cluster-$1"
  awk '$1 == "benchvol"' "$d/status.txt"
  for p in "${node_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${node_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$d"/data? "$d/backend"; sync
}
for round in $(seq 1 "$rounds"); do single "$round"; cluster "$round"; done
for round in $(seq 1 "$rounds"); do
  read -r si sp < "$work/result-single-$round"; read -r ci cp < "$work/result-cluster-$round"
  python3 -c "print(f'round $round: cluster/single IOPS {$ci/$si:.2f}, p99 cluster/single {$cp/$sp:.2f}')"
done
ok=1
