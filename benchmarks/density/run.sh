#!/usr/bin/env bash
# Density benchmark (issue 25): what an open volume costs `scoria serve` before anything is written.
# Starts `scoria serve` (embedded defaults; only dataDir and free ports set in a config file), then:
#   1. a 20 GiB template with 1 MiB written, and CLONES thin clones of it (REST, one request);
#   2. PLAIN empty 20 GiB volumes and PLAIN empty 16 TiB volumes;
#   3. opens every volume over NBD (`nbdinfo --size`), then reports per kind of volume the local
#      flash (du of its directory under dataDir/flash/volumes), and for the process the resident memory
#      (VmRSS), threads (/proc/PID/status) and open file descriptors (/proc/PID/fd), before and after;
#   4. the open latency of an already open volume (nbdinfo round trip) and the reopen latency:
#      after IDLE_WAIT seconds without requests (volumes closed when idle, if the build does that),
#      and after a clean restart of `scoria serve`, each as p50/p99 over REOPENS volumes.
#
#   benchmarks/density/run.sh [CLONES=100] [PLAIN=10] [REOPENS=200] [IDLE_WAIT=0] [WORKDIR=/tmp/scoria-density]
# SCORIA_JAR=/path/scoria.jar runs that jar instead of accelerator/target/scoria.jar (e.g. a copy of an older build).
# Extra `scoria serve` config lines may be given in SCORIA_EXTRA_CONFIG (e.g. 'volumes: {idleClose: 60s}'); with
# IDLE_WAIT > idleClose the volumes are closed when idle before the reopen latency is measured (the number of
# open volumes is read from /metrics, scoria_volumes_open, before and after the wait).
# Needs: libnbd-bin (nbdinfo), curl, python3.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
clones="${1:-100}"
plain="${2:-10}"
reopens="${3:-200}"
idle_wait="${4:-0}"
work="${5:-/tmp/scoria-density}"
rm -rf "$work" && mkdir -p "$work"
# shellcheck source=lib.sh
source "$here/lib.sh"
du_bytes() { du -s --block-size=1 "$@" 2>/dev/null | awk '{s+=$1} END {printf "%.0f\n", s}'; }
open_nbd() { nbdinfo --size "nbd://127.0.0.1:$p_nbd/$1" >/dev/null; }
# times (ms) of open_nbd over the given volume names, one per line
time_opens() { for v in "$@"; do s=$(date +%s%N); open_nbd "$v"; echo $(( ($(date +%s%N) - s) / 1000000 )); done; }

start
report "started, no volume"
rss0=$(rss_kib); thr0=$(threads); fd0=$(fds)

api POST /v1/volumes '{"name":"tmpl","size":"20GiB"}'
qemu-io -f raw "nbd://127.0.0.1:$p_nbd/tmpl" -c 'write -P 0xab 0 1M' >/dev/null
api POST /v1/volumes/tmpl/template
names=()
if (( clones > 0 )); then
  s=$(date +%s%N)
  api POST /v1/volumes/tmpl/clones "{\"count\":$clones,\"prefix\":\"desk-\"}"
  # builds that make clones by count as a job answer 202 at once: wait until every clone exists
  for i in $(seq 1 "$clones"); do
    names+=("desk-$i")
    for _ in $(seq 1 600); do api GET "/v1/volumes/desk-$i" 2>/dev/null && break; sleep 0.5; done
  done
  echo "$clones clones of the template made in $(( ($(date +%s%N) - s) / 1000000 )) ms"
fi
small=(); big=()
for i in $(seq 1 "$plain"); do
  api POST /v1/volumes "{\"name\":\"g20-$i\",\"size\":\"20GiB\"}"; small+=("g20-$i")
  api POST /v1/volumes "{\"name\":\"t16-$i\",\"size\":\"16TiB\"}"; big+=("t16-$i")
done
all=("${names[@]}" "${small[@]}" "${big[@]}")
for v in "${all[@]}"; do open_nbd "$v"; done
sleep 2
report "open: $clones clones + $plain x 20GiB + $plain x 16TiB"
n=${#all[@]}
rss1=$(rss_kib); thr1=$(threads); fd1=$(fds)
per_kind() { # LABEL NAMES...
  local label="$1"; shift
  (( $# == 0 )) && return 0
  local total=0
  for v in "$@"; do total=$(( total + $(du_bytes "$data/flash/volumes/$v") )); done
  printf '%-44s local flash %10d B per volume (%d volumes)\n' "$label" $(( total / $# )) "$#"
}
per_kind "clone of a 20GiB template (1 MiB written)" "${names[@]}"
per_kind "empty 20 GiB volume" "${small[@]}"
per_kind "empty 16 TiB volume" "${big[@]}"
printf '%-44s rss %+d KiB  threads %+d  fds %+d  (per open volume: %d KiB, %.2f threads, %.2f fds)\n' \
  "delta over $n open volumes" $(( rss1 - rss0 )) $(( thr1 - thr0 )) $(( fd1 - fd0 )) \
  $(( (rss1 - rss0) / n )) "$(echo "($thr1 - $thr0) / $n" | bc -l)" "$(echo "($fd1 - $fd0) / $n" | bc -l)"
printf '%-44s %d B (dataDir/flash/volumes), %d B (whole dataDir incl. fs backend and caches)\n' "flash in total" \
  "$(du_bytes "$data/flash/volumes")" "$(du_bytes "$data")"

sample=("${all[@]:0:$reopens}")
hot=$(time_opens "${sample[@]}")
echo "open of an open volume (nbdinfo round trip): p50 $(pct 50 <<<"$hot") ms  p99 $(pct 99 <<<"$hot") ms  (${#sample[@]} volumes)"
if (( idle_wait > 0 )); then
  echo "volumes open before the idle wait (scoria_volumes_open): $(metric scoria_volumes_open)"
  sleep "$idle_wait"
  report "after ${idle_wait}s idle"
  echo "volumes open after ${idle_wait}s idle: $(metric scoria_volumes_open) (closed when idle so far: $(metric scoria_volumes_idle_closes_total))"
  idle=$(time_opens "${sample[@]}")
  echo "reopen after ${idle_wait}s idle: p50 $(pct 50 <<<"$idle") ms  p99 $(pct 99 <<<"$idle") ms  (${#sample[@]} volumes)"
  report "after reopening ${#sample[@]} volumes"
fi
stop
s=$(date +%s%N)
start
echo "restart of scoria serve (clean stop) until NBD and API listen: $(( ($(date +%s%N) - s) / 1000000 )) ms"
report "restarted, nothing opened"
cold=$(time_opens "${sample[@]}")
echo "reopen after restart (first open, from local flash): p50 $(pct 50 <<<"$cold") ms  p99 $(pct 99 <<<"$cold") ms  (${#sample[@]} volumes)"
s=$(date +%s%N)
for v in "${all[@]}"; do open_nbd "$v"; done
echo "all $n volumes served again after restart: $(( ($(date +%s%N) - s) / 1000000 )) ms more"
report "restarted, all open"
