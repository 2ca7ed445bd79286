# Shared by the density benchmarks (run.sh, list.sh): sourced, not run. Expects $repo and $work set.
# Starts `scoria serve` on free ports with a config that sets only dataDir, the ports and
# SCORIA_EXTRA_CONFIG; SCORIA_JAR=/path/scoria.jar runs that jar instead of accelerator/target/scoria.jar.
pid=""
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 900); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.2; done; echo "port $1 not up" >&2; return 1; }
p_nbd=$(free_port); p_iscsi=$(free_port); p_api=$(free_port)
data="$work/scoria-data"
cat > "$work/scoria.yaml" <<YAML
dataDir: $data
nbd: {port: $p_nbd}
iscsi: {port: $p_iscsi}
api: {port: $p_api}
${SCORIA_EXTRA_CONFIG:-}
YAML

flags="$(sed -n 's:.*<scoria.jvm.flags>\(.*\)</scoria.jvm.flags>.*:\1:p' "$repo/pom.xml")"
scoria_cmd() { # the scoria program: the given jar, else the repository's launcher
  if [[ -n "${SCORIA_JAR:-}" ]]; then java $flags -jar "$SCORIA_JAR" "$@"; else "$repo/scoria" "$@"; fi
}
start() { # not through scoria_cmd: $pid must be the JVM's (the launcher execs java), not a subshell's
  if [[ -n "${SCORIA_JAR:-}" ]]; then
    java $flags -jar "$SCORIA_JAR" serve --config "$work/scoria.yaml" >> "$work/scoria.log" 2>&1 & pid=$!
  else
    "$repo/scoria" serve --config "$work/scoria.yaml" >> "$work/scoria.log" 2>&1 & pid=$!
  fi
  wait_port "$p_nbd"; wait_port "$p_api"
  for _ in $(seq 1 100); do [[ -s "$data/admin.token" ]] && break; sleep 0.1; done
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }
api() { # METHOD PATH [JSON]
  curl -sS -f -o /dev/null -X "$1" -H "Authorization: Bearer $(cat "$data/admin.token")" \
       -H 'Content-Type: application/json' ${3:+--data "$3"} "http://127.0.0.1:$p_api$2"
}
api_body() { # PATH: the body of a GET
  curl -sS -f -H "Authorization: Bearer $(cat "$data/admin.token")" "http://127.0.0.1:$p_api$1"
}
metric() { # NAME: a gauge or counter of /metrics (0 when absent)
  api_body /metrics | awk -v m="$1" '$1 == m {print $2; found=1} END {if (!found) print 0}' | head -1
}
rss_kib() { awk '/^VmRSS:/{print $2}' "/proc/$pid/status"; }
threads() { awk '/^Threads:/{print $2}' "/proc/$pid/status"; }
fds() { ls "/proc/$pid/fd" | wc -l; }
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int((NR*p+99)/100); if (i<1) i=1; print a[i]}'; }
report() { # LABEL then figures of the process
  printf '%-44s rss %7d MiB  threads %5d  fds %6d\n' "$1" $(( $(rss_kib) / 1024 )) "$(threads)" "$(fds)"
}
