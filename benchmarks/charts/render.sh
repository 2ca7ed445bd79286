#!/usr/bin/env bash
# Regenerates the SVG charts shown in benchmarks/README.md from the recorded results under
# benchmarks/results/ (each results file or directory names its run: command, commit, time, load).
# After a new run, copy its output there (fio: the <server>-<job>.json files of run.sh's work dir;
# iSCSI: the table run.sh prints) and add a line here.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
results="$here/../results"
charts="$here/charts.py"

python3 "$charts" fio "$results/fio-issue15-f80304a" --job-order seqwrite-1m,randwrite-4k,randread-4k \
    --server-order scoria,nbdkit-memory,qemu-nbd-raw --ref nbdkit-memory \
    --title "fio over NBD, 4 KiB at QD32 and 1 MiB at QD8 (f80304a, 2026-12-07)" \
    --note "benchmarks/fio/run.sh 15; same run, one machine; ratios against nbdkit memory" \
    --out "$here/fio-issue15-iops.svg" --latency-out "$here/fio-issue15-latency"
python3 "$charts" table "$results/iscsi-31bfb14.md" --group job --series target --value IOPS --unit IOPS \
    --ref tgt-iscsi --title "iSCSI 4 KiB at QD32: Scoria vs tgt (31bfb14, 2026-12-07)" \
    --note "benchmarks/iscsi/run.sh 200000 15; same run; ratios against tgt with a file backing store" \
    --out "$here/iscsi-vs-tgt.svg"
python3 "$charts" table "$results/ec-run3.md" --group operation \
    --columns "vector GB/s,Backblaze GB/s,scalar GB/s" --unit GB/s --ref "Backblaze GB/s" \
    --title "Reed-Solomon per policy, GB/s of data on one core (2026-11-22)" \
    --note "ErasureCodingBenchmark run 3 (mean; load 3.7-7.9): ratios against Backblaze JavaReedSolomon" \
    --out "$here/ec-per-policy.svg"
for f in "$here"/*.svg; do
    python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$f" \
        || { echo "render.sh: $f is not well-formed SVG" >&2; exit 1; }
done
