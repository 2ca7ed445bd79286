#!/usr/bin/env bash
# iSCSI benchmark: Scoria's iSCSI target against the Linux user-space target tgtd (file backing
# store on the same disk), and Scoria's own NBD export of the same volume, in one run.
# Jobs per target, 4 KiB at queue depth 32 through QEMU's block layer (`qemu-img bench`, QEMU's
# iSCSI driver / NBD driver): sequential write over the first COUNT blocks, then read of them;
# plus libiscsi's `iscsi-perf --random` (4 KiB random reads, 32 in flight) for SECONDS seconds
# (its final "iops average").
# Reports IOPS and the server's CPU use (CPU seconds of the server process / wall seconds).
#
#   benchmarks/iscsi/run.sh [COUNT=200000] [SECONDS=15] [WORKDIR=/tmp/scoria-iscsi-bench]
# Needs: tgt, libiscsi-bin, qemu-block-extra, qemu-utils (./run-tests installs them), root for tgtd.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
count="${1:-200000}"
seconds="${2:-15}"
work="${3:-/tmp/scoria-iscsi-bench}"
rm -rf "$work" && mkdir -p "$work"
pids=()
ctl=$(( 100 + RANDOM % 800 ))   # tgtd control port: its unix socket /var/run/tgtd/socket.$ctl
cleanup() {
  tgtadm -C "$ctl" --op delete --mode system >/dev/null 2>&1 || true
  for p in "${pids[@]:-}"; do [[ -n "$p" ]] && kill "$p" 2>/dev/null || true; done
  sleep 2
  # tgtd may ignore SIGTERM while it still holds a target: do not leave it behind
  for p in "${pids[@]:-}"; do [[ -n "$p" ]] && kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 600); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.2; done; echo "port $1 not up" >&2; return 1; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# --- tgtd: one target, LUN 1 on a 1 GiB raw file (LUN 0 is tgt's controller) ---------------------
p_tgt=$(free_port)
qemu-img create -q -f raw "$work/tgt.raw" 1G
mkdir -p /var/run/tgtd
tgtd -f -C "$ctl" --iscsi portal="127.0.0.1:$p_tgt" > "$work/tgtd.log" 2>&1 & pid_tgt=$!; pids+=("$pid_tgt")
wait_port "$p_tgt"
tgt_iqn=iqn.2026-12.org.tgt:bench
for _ in $(seq 1 50); do tgtadm -C "$ctl" --lld iscsi --op show --mode target >/dev/null 2>&1 && break; sleep 0.1; done
tgtadm -C "$ctl" --lld iscsi --op new --mode target --tid 1 -T "$tgt_iqn"
tgtadm -C "$ctl" --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b "$work/tgt.raw"
tgtadm -C "$ctl" --lld iscsi --op bind --mode target --tid 1 -I ALL

# --- scoria serve: embedded default, NBD + iSCSI on free ports ------------------------------------
p_nbd=$(free_port); p_iscsi=$(free_port); p_api=$(free_port)
cat > "$work/scoria.yaml" <<YAML
dataDir: $work/scoria-data
nbd: {port: $p_nbd}
iscsi: {port: $p_iscsi}
api: {port: $p_api}
YAML
"$repo/scoria" serve --config "$work/scoria.yaml" > "$work/scoria.log" 2>&1 & pid_scoria=$!; pids+=("$pid_scoria")
wait_port "$p_nbd"; wait_port "$p_iscsi"; wait_port "$p_api"
for _ in $(seq 1 100); do [[ -s "$work/scoria-data/admin.token" ]] && break; sleep 0.1; done
"$repo/scoria" volume create bench --size 1GiB --api "http://127.0.0.1:$p_api" \
    --token-file "$work/scoria-data/admin.token" >/dev/null

declare -A url=( [scoria-iscsi]="iscsi://127.0.0.1:$p_iscsi/iqn.2026-12.io.scoria:bench/0"
                 [tgt-iscsi]="iscsi://127.0.0.1:$p_tgt/$tgt_iqn/1"
                 [scoria-nbd]="nbd://127.0.0.1:$p_nbd/bench" )
declare -A pid=( [scoria-iscsi]=$pid_scoria [tgt-iscsi]=$pid_tgt [scoria-nbd]=$pid_scoria )

measure() { # target job command...   -> prints one table row
  local target=$1 job=$2; shift 2
  local t0 c0 t1 c1 out iops
  t0=$(date +%s.%N); c0=$(cpu_ticks "${pid[$target]}")
  out="$("$@" 2>&1)" || { echo "$target $job failed: $out" >&2; return 1; }
  t1=$(date +%s.%N); c1=$(cpu_ticks "${pid[$target]}")
  echo "$out" > "$work/$target-$job.out"
  case "$job" in
    qemu-img-*) iops=$(awk -v n="$count" '/Run completed in/ {printf "%d", n / $4}' <<<"$out") ;;
    iscsi-perf-*) iops=$(grep -o 'iops average [0-9]*' <<<"$out" | tail -1 | awk '{print $3}') ;;
  esac
  awk -v s="$target" -v j="$job" -v i="$iops" -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v hz="$hz" \
      'BEGIN {printf "| %s | %s | %d | %.1f | %.2f |\n", s, j, i, i * 4096 / 1048576, (c1 - c0) / hz / (t1 - t0)}'
}

echo "| target | job | IOPS | MiB/s | server CPU (cores) |"
echo "|---|---|---|---|---|"
for target in scoria-iscsi tgt-iscsi scoria-nbd; do
  measure "$target" qemu-img-write-4k qemu-img bench -f raw -t none -w -c "$count" -d 32 -s 4096 "${url[$target]}"
  measure "$target" qemu-img-read-4k qemu-img bench -f raw -t none -c "$count" -d 32 -s 4096 "${url[$target]}"
  if [[ "$target" != scoria-nbd ]]; then
    measure "$target" iscsi-perf-randread-4k timeout --signal=INT "$((seconds + 5))" \
        iscsi-perf -m 32 -b 8 -t "$seconds" --random "${url[$target]}" || true
  fi
done
