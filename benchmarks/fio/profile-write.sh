#!/usr/bin/env bash
# Where the time of a 4 KiB random write goes: `scoria serve` (embedded-default layout under WORKDIR)
# with a JFR recording while fio's nbd engine writes 4 KiB blocks at random (iodepth 32, one
# connection) for RUNTIME seconds after a 1 GiB sequential prefill; prints fio's IOPS, the server's
# CPU use and JFR's hottest methods (by the JDK 25 `jfr view`, which reads JDK 17 recordings).
#
#   benchmarks/fio/profile-write.sh [RUNTIME_SECONDS=20] [WORKDIR=/tmp/scoria-profile] [JOB=randwrite]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
runtime="${1:-20}"
work="${2:-/tmp/scoria-profile}"
job="${3:-randwrite}"
jfr_tool="$(ls -d /usr/lib/jvm/temurin-25*/bin/jfr 2>/dev/null | head -1)"
jfr_tool="${jfr_tool:-jfr}"
rm -rf "$work" && mkdir -p "$work"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 600); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.2; done; return 1; }
p_nbd=$(free_port); p_api=$(free_port)
cat > "$work/scoria.yaml" <<YAML
dataDir: $work/scoria-data
nbd: {port: $p_nbd}
api: {port: $p_api}
YAML
SCORIA_JAVA_OPTS="-XX:StartFlightRecording=filename=$work/serve.jfr,settings=profile,dumponexit=true" \
  "$repo/scoria" serve --config "$work/scoria.yaml" > "$work/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
wait_port "$p_nbd"; wait_port "$p_api"
token_args=()
[[ -f "$work/scoria-data/admin.token" ]] && token_args=(--token-file "$work/scoria-data/admin.token")
"$repo/scoria" volume create bench --size 1GiB --api "http://127.0.0.1:$p_api" "${token_args[@]}" >/dev/null
uri="nbd://127.0.0.1:$p_nbd/bench"
fio --name=prefill --ioengine=nbd --uri="$uri" --rw=write --bs=1M --iodepth=8 --size=1G --output-format=terse >/dev/null
hz=$(getconf CLK_TCK)
c0=$(awk '{print $14+$15}' "/proc/$pid/stat"); t0=$(date +%s.%N)
fio --name="$job" --ioengine=nbd --uri="$uri" --rw="$job" --bs=4k --iodepth=32 --size=1G --time_based \
    --runtime="$runtime" --output-format=json --output="$work/fio.json" >/dev/null
c1=$(awk '{print $14+$15}' "/proc/$pid/stat"); t1=$(date +%s.%N)
python3 - "$work/fio.json" "$c0" "$c1" "$t0" "$t1" "$hz" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
side = j["write"] if j["write"]["iops"] > 0 else j["read"]
c0, c1, t0, t1, hz = map(float, sys.argv[2:])
cpu = (c1 - c0) / hz / (t1 - t0)
print(f"IOPS {side['iops']:.0f}, server CPU {cpu:.2f} cores, {cpu * 1e6 / side['iops']:.1f} us of server CPU per I/O")
PY
kill -INT $pid; wait $pid 2>/dev/null || true
trap - EXIT
"$jfr_tool" view --width 160 hot-methods "$work/serve.jfr" | head -40
