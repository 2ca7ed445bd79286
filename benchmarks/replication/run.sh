#!/usr/bin/env bash
# DR replication numbers (issue 18): RPO, RTO and throughput between two s3proxy sites, in one run.
#  1. RPO: `scoria serve` on site A (s3proxy, 4 MiB SCOs: the defaults), fio writes 4 KiB random
#     blocks through NBD at a steady RATE IOPS for SECONDS seconds while `scoria replicate run`
#     (continuous, default poll) ships to site B; ReplicaLag samples once a second how far B is
#     behind (now - when A's backend got the last TLog B's manifest names; the router rolls a TLog
#     every 16 sealed SCOs, so at RATE IOPS a TLog holds 64 MiB / (RATE * 4 KiB) seconds of writes).
#  2. RTO: `scoria replicate promote` of the replica on B, wall time of the whole command (JVM start
#     included) and the time it reports itself.
#  3. Throughput: the volume's objects copied from A to a third s3proxy C by `scoria replicate run
#     --once` (checks, ordering, manifest) and by PlainCopy (parallel whole-object GET/PUT, same
#     parallelism, same client), one after the other on the same machine; plus the replicator's CPU
#     seconds per GiB shipped.
#
#   benchmarks/replication/run.sh [RATE=1000] [SECONDS=120] [PARALLELISM=4] [WORKDIR=/tmp/scoria-repl-bench]
# Needs: the built jars (mvn -o -DskipTests package), fio with its nbd engine, the s3proxy jar in ~/.m2.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
rate="${1:-1000}"
seconds="${2:-120}"
par="${3:-4}"
work="${4:-/tmp/scoria-repl-bench}"
s3jar="$HOME/.m2/repository/org/gaul/s3proxy/4.1.0/s3proxy-4.1.0-jar-with-dependencies.jar"
bench_cp="$repo/benchmarks/target/benchmarks.jar"
rm -rf "$work" && mkdir -p "$work"
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [[ -n "$p" ]] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 600); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.2; done; echo "port $1 not up" >&2; return 1; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

s3proxy() { # name -> prints its port
  local name=$1 port; port=$(free_port)
  mkdir -p "$work/$name/data"
  cat > "$work/$name/s3proxy.properties" <<P
s3proxy.endpoint=http://127.0.0.1:$port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=bench
s3proxy.credential=bench-secret
jclouds.provider=filesystem
jclouds.filesystem.basedir=$work/$name/data
P
  java -Xmx512m -jar "$s3jar" --properties "$work/$name/s3proxy.properties" > "$work/$name/s3proxy.log" 2>&1 &
  pids+=("$!")
  echo "$port"
}
backend() { echo "{type: s3, s3: {endpoint: http://127.0.0.1:$1, accessKey: bench, secretKey: bench-secret, conditionalPut: true}}"; }

pa=$(s3proxy site-a); pb=$(s3proxy site-b); pc=$(s3proxy site-c)
wait_port "$pa"; wait_port "$pb"; wait_port "$pc"
printf 'source: %s\ntarget: %s\nreplication: {parallelism: %s}\n' "$(backend "$pa")" "$(backend "$pb")" "$par" > "$work/ab.yaml"
printf 'source: %s\ntarget: %s\nreplication: {parallelism: %s}\n' "$(backend "$pa")" "$(backend "$pc")" "$par" > "$work/ac.yaml"

p_nbd=$(free_port); p_api=$(free_port)
cat > "$work/scoria.yaml" <<YAML
dataDir: $work/router-a
nbd: {port: $p_nbd}
api: {port: $p_api}
iscsi: {enabled: false}
backend: $(backend "$pa")
YAML
"$repo/scoria" serve --config "$work/scoria.yaml" > "$work/router-a.log" 2>&1 & pid_router=$!; pids+=("$pid_router")
wait_port "$p_nbd"; wait_port "$p_api"
for _ in $(seq 1 100); do [[ -s "$work/router-a/admin.token" ]] && break; sleep 0.1; done
"$repo/scoria" volume create bench --size 4GiB --api "http://127.0.0.1:$p_api" --token-file "$work/router-a/admin.token" >/dev/null

# --- 1. RPO under a steady 4 KiB write load ------------------------------------------------------
"$repo/scoria" replicate run --config "$work/ab.yaml" --volume bench > "$work/repl-continuous.log" 2>&1 & pid_repl=$!; pids+=("$pid_repl")
fio --name=steady --ioengine=nbd --uri="nbd://127.0.0.1:$p_nbd/bench" --rw=randwrite --bs=4k --iodepth=16 \
    --size=4G --rate_iops="$rate" --time_based --runtime="$seconds" --output-format=json --output="$work/fio.json" > "$work/fio.log" 2>&1 &
pid_fio=$!; pids+=("$pid_fio")
sleep 5
java -cp "$bench_cp" io.scoria.benchmarks.replication.ReplicaLag "$work/ab.yaml" bench "$((seconds - 10))" > "$work/lag.log"
wait "$pid_fio"
iops=$(python3 -c "import json,sys; j=json.load(open('$work/fio.json')); print(round(j['jobs'][0]['write']['iops']))")
echo "fio: steady 4 KiB random writes, $iops IOPS for $seconds s (rate limit $rate)"
tail -1 "$work/lag.log"
grep -o 'lag [0-9.]* s' "$work/repl-continuous.log" | awk '{ if ($2 > m) m = $2; s += $2; n++ } END { if (n) printf "replicator: %d manifests published, source-to-target lag max %.1f s, mean %.1f s\n", n, m, s / n }'
sleep 15 # the last TLog of the load reaches the replica
kill "$pid_repl"; wait "$pid_repl" 2>/dev/null || true

# --- 2. RTO: promote -----------------------------------------------------------------------------
t0=$(date +%s.%N)
"$repo/scoria" replicate promote bench --config "$work/ab.yaml" > "$work/promote.log" 2>&1
t1=$(date +%s.%N)
awk -v t0="$t0" -v t1="$t1" 'BEGIN { printf "promote: %.2f s wall (JVM start included)\n", t1 - t0 }'
grep -o 'promoted.*' "$work/promote.log"

# --- 3. throughput: replicator vs plain parallel GET/PUT, A -> C ----------------------------------
kill "$pid_router"; wait "$pid_router" 2>/dev/null || true
"$repo/scoria" replicate run --config "$work/ac.yaml" --volume bench --once > "$work/repl-once.log" 2>&1 & pid_once=$!
c0=$(cpu_ticks "$pid_once"); c1=$c0; t0=$(date +%s.%N)
while kill -0 "$pid_once" 2>/dev/null; do c1=$(cpu_ticks "$pid_once" 2>/dev/null || echo "$c1"); sleep 0.2; done
wait "$pid_once"; t1=$(date +%s.%N)
line=$(grep -o 'manifest generation.*' "$work/repl-once.log" | tail -1)
echo "replicate run --once: $line"
mib=$(grep -o '[0-9.]* MiB in' "$work/repl-once.log" | tail -1 | awk '{print $1}')
awk -v c0="$c0" -v c1="$c1" -v hz="$hz" -v mib="$mib" -v t0="$t0" -v t1="$t1" \
    'BEGIN { printf "replicator process: %.1f s wall, %.1f CPU s, %.1f CPU s per GiB shipped\n", t1 - t0, (c1 - c0) / hz, (c1 - c0) / hz / (mib / 1024) }'
java -cp "$bench_cp" io.scoria.benchmarks.replication.PlainCopy "$work/ac.yaml" bench bench-plain "$par" | tee "$work/plain.log"
rep=$(grep -o '([0-9.]* MiB/s)' "$work/repl-once.log" | tail -1 | tr -d '()' | awk '{print $1}')
plain=$(grep -o '([0-9.]* MiB/s)' "$work/plain.log" | tr -d '()' | awk '{print $1}')
awk -v r="$rep" -v p="$plain" 'BEGIN { printf "throughput: replicator %.1f MiB/s, plain copy %.1f MiB/s, ratio %.2fx\n", r, p, r / p }'
