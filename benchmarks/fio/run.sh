#!/usr/bin/env bash
# fio over NBD against Scoria (embedded default: fs backend, flash under the work dir) and two
# reference servers in the same run: `nbdkit memory 1G` and `qemu-nbd` on a raw file on the
# same disk. Jobs per server, in order: 1 MiB sequential write over the whole 1 GiB (also the
# prefill), 4 KiB random write at iodepth 32, 4 KiB random read at iodepth 32 (of written,
# cached data). Reports IOPS, bandwidth, p99 completion latency and the server's CPU use
# (CPU seconds of the server process / wall seconds, from /proc/PID/stat). A fourth server,
# scoria-frontend-only, is Scoria's NBD server over the in-memory test volume (needs
# accelerator/target/test-classes): it separates the NBD frontend's cost from the engine's.
#
#   benchmarks/fio/run.sh [RUNTIME_SECONDS=15] [WORKDIR=/tmp/scoria-fio]
#
# fio's JSON of each job stays in WORKDIR as <server>-<job>.json: copy them under
# benchmarks/results/ and add the run to benchmarks/charts/render.sh to chart it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
runtime="${1:-15}"
work="${2:-/tmp/scoria-fio}"
rm -rf "$work" && mkdir -p "$work"
pids=()
cleanup() { for p in "${pids[@]:-}"; do [[ -n "$p" ]] && kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 600); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.2; done; echo "port $1 not up" >&2; return 1; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

# --- servers -------------------------------------------------------------------------------
p_nbdkit=$(free_port)
nbdkit -f -i 127.0.0.1 -p "$p_nbdkit" memory 1G & pid_nbdkit=$!; pids+=("$pid_nbdkit")

p_qemu=$(free_port)
qemu-img create -q -f raw "$work/disk.raw" 1G
qemu-nbd -f raw -b 127.0.0.1 -p "$p_qemu" -x disk -e 4 -t --discard=unmap "$work/disk.raw" & pid_qemu=$!; pids+=("$pid_qemu")

p_scoria=$(free_port); p_api=$(free_port)
cat > "$work/scoria.yaml" <<YAML
dataDir: $work/scoria-data
nbd: {port: $p_scoria}
iscsi: {port: 0}
api: {port: $p_api}
YAML
"$repo/scoria" serve --config "$work/scoria.yaml" > "$work/scoria.log" 2>&1 & pid_scoria=$!; pids+=("$pid_scoria")
# Scoria's NBD frontend alone, over the in-memory test volume: isolates protocol cost from the engine
p_front=$(free_port)
flags="$(sed -n 's:.*<scoria.jvm.flags>\(.*\)</scoria.jvm.flags>.*:\1:p' "$repo/pom.xml")"
# shellcheck disable=SC2086
java $flags -cp "$repo/accelerator/target/scoria.jar:$repo/accelerator/target/test-classes" \
    io.scoria.accelerator.testing.InMemoryNbdMain "$p_front" $((1 << 30)) > "$work/frontend.log" 2>&1 & pid_front=$!
pids+=("$pid_front")
wait_port "$p_nbdkit"; wait_port "$p_qemu"; wait_port "$p_scoria"; wait_port "$p_api"; wait_port "$p_front"
"$repo/scoria" volume create bench --size 1GiB --api "http://127.0.0.1:$p_api" \
    --token-file "$work/scoria-data/admin.token" >/dev/null

declare -A uri=( [scoria]="nbd://127.0.0.1:$p_scoria/bench" [nbdkit-memory]="nbd://127.0.0.1:$p_nbdkit/"
                 [qemu-nbd-raw]="nbd://127.0.0.1:$p_qemu/disk" [scoria-frontend-only]="nbd://127.0.0.1:$p_front/bench" )
declare -A pid=( [scoria]=$pid_scoria [nbdkit-memory]=$pid_nbdkit [qemu-nbd-raw]=$pid_qemu [scoria-frontend-only]=$pid_front )
hz=$(getconf CLK_TCK)

run_job() { # server job fio-args...
  local server=$1 job=$2; shift 2
  local t0 c0 t1 c1
  t0=$(date +%s.%N); c0=$(cpu_ticks "${pid[$server]}")
  fio --name="$job" --ioengine=nbd --uri="${uri[$server]}" --output-format=json \
      --output="$work/$server-$job.json" "$@" >/dev/null
  t1=$(date +%s.%N); c1=$(cpu_ticks "${pid[$server]}")
  python3 - "$work/$server-$job.json" "$server" "$job" "$t0" "$t1" "$c0" "$c1" "$hz" <<'PY'
import json, sys
f, server, job, t0, t1, c0, c1, hz = sys.argv[1:]
j = json.load(open(f))["jobs"][0]
side = j["write"] if j["write"]["io_bytes"] > 0 else j["read"]
p99 = side["clat_ns"]["percentile"].get("99.000000", 0) / 1000.0
cpu = (float(c1) - float(c0)) / float(hz) / (float(t1) - float(t0))
print(f"| {server} | {job} | {side['iops']:.0f} | {side['bw_bytes']/2**20:.1f} | {p99:.0f} | {cpu:.2f} | {j['error']} |")
PY
}

echo "| server | job | IOPS | MiB/s | p99 clat (us) | server CPU (cores) | fio errors |"
echo "|---|---|---|---|---|---|---|"
for server in scoria nbdkit-memory qemu-nbd-raw scoria-frontend-only; do
  # unreported warm-up (JIT of the Java servers; the same for every server)
  fio --name=warmup --ioengine=nbd --uri="${uri[$server]}" --rw=randwrite --bs=64k --iodepth=8 --size=256M \
      --output="$work/$server-warmup.txt" >/dev/null
  run_job "$server" seqwrite-1m --rw=write --bs=1M --iodepth=8 --size=1G
  run_job "$server" randwrite-4k --rw=randwrite --bs=4k --iodepth=32 --size=1G --time_based --runtime="$runtime" \
          --randrepeat=0 --random_generator=tausworthe64
  run_job "$server" randread-4k --rw=randread --bs=4k --iodepth=32 --size=1G --time_based --runtime="$runtime" \
          --randrepeat=0 --random_generator=tausworthe64
done
