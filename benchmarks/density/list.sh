#!/usr/bin/env bash
# Listing benchmark (issue 25): `GET /v1/volumes` and `scoria volume list` on a node with many volumes.
# Starts `scoria serve` (embedded defaults; lib.sh), creates VOLUMES empty 20 GiB volumes (REST, 8 at a
# time), then times CALLS requests of each kind with curl (time_total, p50/p99): the first page (limit
# 1000, the default), a page from the middle (after=...), one page of the maximum 10000; then the whole
# list through the CLI (`scoria volume list`, which pages 1000 at a time), minus the CLI's own start
# (`scoria volume list --limit 1`), over CLI_CALLS runs. Reports the volumes open afterwards
# (scoria_volumes_open: listing must open none) and the process's memory, threads and descriptors.
#
#   benchmarks/density/list.sh [VOLUMES=10000] [CALLS=50] [CLI_CALLS=5] [WORKDIR=/tmp/scoria-list]
# Needs: curl, python3.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
volumes="${1:-10000}"
calls="${2:-50}"
cli_calls="${3:-5}"
work="${4:-/tmp/scoria-list}"
rm -rf "$work" && mkdir -p "$work"
# shellcheck source=lib.sh
source "$here/lib.sh"

start
report "started, no volume"
token="$(cat "$data/admin.token")"
s=$(date +%s%N)
seq -f 'lst-%05g' 1 "$volumes" | xargs -P 8 -I{} curl -sS -f -o /dev/null -X POST -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' --data '{"name":"{}","size":"20GiB"}' "http://127.0.0.1:$p_api/v1/volumes"
echo "$volumes volumes created in $(( ($(date +%s%N) - s) / 1000000 )) ms (8 requests at a time)"
report "$volumes volumes, none open"

time_get() { # PATH: the time (ms) of each of CALLS GETs, one per line
  for _ in $(seq 1 "$calls"); do
    curl -sS -f -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" "http://127.0.0.1:$p_api$1"
  done | awk '{printf "%.1f\n", $1 * 1000}'
}
show() { # LABEL PATH
  local t; t=$(time_get "$2")
  printf '%-52s p50 %7s ms  p99 %7s ms  (%d calls)\n' "$1" "$(pct 50 <<<"$t")" "$(pct 99 <<<"$t")" "$calls"
}
count=$(api_body "/v1/volumes?limit=10000" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
echo "GET /v1/volumes?limit=10000 returned $count volumes"
show "GET /v1/volumes (first page, default limit 1000)" "/v1/volumes"
show "GET /v1/volumes?limit=1000&after=<middle>" "/v1/volumes?limit=1000&after=lst-$(printf '%05d' $(( volumes / 2 )))"
show "GET /v1/volumes?limit=10000 (the largest page)" "/v1/volumes?limit=10000"

cli() { scoria_cmd volume list --api "http://127.0.0.1:$p_api" --token-file "$data/admin.token" "$@" 2>>"$work/cli.err"; }
lines=$(cli | wc -l)
echo "scoria volume list printed $(( lines - 1 )) volumes"
cli_ms() { # ARGS: the wall time (ms) of each of CLI_CALLS runs of the CLI, one per line
  for _ in $(seq 1 "$cli_calls"); do s=$(date +%s%N); cli "$@" >/dev/null; echo $(( ($(date +%s%N) - s) / 1000000 )); done
}
full=$(cli_ms); one=$(cli_ms --limit 1)
echo "scoria volume list (all $volumes, 1000 per request): p50 $(pct 50 <<<"$full") ms, p99 $(pct 99 <<<"$full") ms;" \
  "the CLI's start (--limit 1): p50 $(pct 50 <<<"$one") ms; listing itself: p50 $(( $(pct 50 <<<"$full") - $(pct 50 <<<"$one") )) ms"
echo "volumes open after listing (scoria_volumes_open): $(metric scoria_volumes_open)"
report "after listing"
