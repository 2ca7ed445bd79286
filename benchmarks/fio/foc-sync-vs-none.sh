#!/usr/bin/env bash
# fio 4 KiB random writes, iodepth 32, over NBD against `scoria serve` with the fail-over cache in
# sync mode (scoria foc-server on loopback) and with foc mode none, alternating A/B/A/B in one run,
# so the result is a ratio on the same machine. Each round starts a new `scoria serve` (new data dir);
# fio's ramp (default 30 s) keeps the JVMs' JIT warm-up out of the figures: with a 10 s ramp the C2
# compiler thread still used ~10 us of CPU per write in sync mode (more code to compile) and <1 us
# after a 50 s ramp, which biased the ratio against sync. Each round's data dir is deleted and the
# page cache written back (sync) before the next round starts. KEEP=1 keeps the logs.
# Usage: benchmarks/fio/foc-sync-vs-none.sh [seconds, default 20] [rounds, default 2] [ramp seconds, default 30]
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
  if ((ok)) && [[ -z "${KEEP:-}" ]]; then rm -rf "$work"; else echo "logs kept in $work (serve.log, fio.json per round, foc.log)" >&2; fi
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 600); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.2; done; return 1; }
p_foc=$(free_port)
"$repo/scoria" foc-server --listen 127.0.0.1:$p_foc --dir "$work/foc" > "$work/foc.log" 2>&1 & pids+=($!)
wait_port "$p_foc"
run() { # mode round
  local nbd api; nbd=$(free_port); api=$(free_port)
  local d="$work/$1-$2"
  mkdir -p "$d"
  local focline="foc: {mode: none}"
  [[ "$1" == sync ]] && focline="foc: {address: 127.0.0.1:$p_foc, mode: sync}"
  printf 'dataDir: %s\nnbd: {port: %s}\niscsi: {port: 0}\napi: {port: %s}\ncache: {clusterCache: 256MiB, scoCache: 2GiB}\n%s\n' \
    "$d/data" "$nbd" "$api" "$focline" > "$d/scoria.yaml"
  "$repo/scoria" serve --config "$d/scoria.yaml" > "$d/serve.log" 2>&1 & local pid=$!; pids+=($pid)
  wait_port "$api"; wait_port "$nbd"
  curl -sf -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $(cat "$d/data/admin.token")" \
    -d '{"name":"benchvol","size":"4GiB"}' \
    "http://127.0.0.1:$api/v1/volumes" > /dev/null
  fio --name="foc-$1" --ioengine=nbd --uri="nbd://127.0.0.1:$nbd/benchvol" --rw=randwrite --bs=4k --iodepth=32 \
    --size=1g --time_based --runtime="$secs" --ramp_time="$ramp" --output-format=json > "$d/fio.json"
  python3 - "$d/fio.json" "$1" "$2" "$work/result-$1-$2" <<'PY'
import json, sys
t = open(sys.argv[1]).read(); j = json.loads(t[t.index("{"):])["jobs"][0]["write"]
p = j["clat_ns"]["percentile"]
print(f"{sys.argv[2]:5s} round {sys.argv[3]}: {j['iops']:9.0f} IOPS  p50 {p['50.000000']/1e3:8.0f} us  p99 {p['99.000000']/1e3:8.0f} us")
open(sys.argv[4], "w").write(f"{j['iops']} {p['99.000000']}\n")
PY
  kill "$pid"; wait "$pid" 2>/dev/null || true
  # every round starts from the same disk state: without this the next round ran while the kernel
  # wrote back the previous round's 3-4 GiB (SCOs, backend copies)
  rm -rf "$d/data"; sync
}
for round in $(seq 1 "$rounds"); do run sync $round; run none $round; done
for round in $(seq 1 "$rounds"); do
  read -r si sp < "$work/result-sync-$round"; read -r ni np < "$work/result-none-$round"
  python3 -c "print(f'round $round: sync/none IOPS {$si/$ni:.2f}, p99 sync/none {$sp/$np:.2f}')"
done
ok=1
