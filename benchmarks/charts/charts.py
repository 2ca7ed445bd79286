#!/usr/bin/env python3
"""Turns benchmark results into SVG charts (no third-party packages, no network).

Inputs are what the benchmark scripts write:
  fio DIR      fio JSON files named <server>-<job>.json (benchmarks/fio/run.sh keeps them in its
               work dir): one chart of IOPS per job with a bar per server, and with
               --latency-out PREFIX one chart of completion-latency percentiles per job
               (PREFIX-<job>.svg).
  table FILE   a Markdown table as the scripts print it (benchmarks/iscsi/run.sh, the JMH tables
               in benchmarks/README.md): one chart of VALUE per GROUP with a bar per SERIES.
  jmh FILE     JMH results written with -rf json: score per benchmark, a bar per parameter set.

Every chart names its reference: with --ref SERIES each bar is labelled with its ratio to that
series in the same group, because only same-run ratios mean anything on a shared machine.

  charts.py fio DIR --job-order seqwrite-1m,randwrite-4k,randread-4k --ref nbdkit-memory \
      --title "..." --out iops.svg --latency-out latency
  charts.py table FILE --group job --series target --value IOPS --ref tgt-iscsi --title "..." --out x.svg
  charts.py table FILE --group operation --columns "vector GB/s,scalar GB/s" --title "..." --out x.svg
  charts.py jmh FILE --title "..." --out x.svg
"""
import argparse
import glob
import json
import os
import sys
from xml.sax.saxutils import escape

PALETTE = ["#3367d6", "#e8710a", "#1e8e3e", "#9334e6", "#d93025", "#12b5cb", "#f9ab00", "#5f6368"]
PERCENTILES = [("50.000000", "p50"), ("90.000000", "p90"), ("99.000000", "p99"), ("99.900000", "p99.9")]


class InputError(Exception):
    """Bad input: the message names the file and what is wrong with it."""


def grouped_bars(title, unit, groups, series, values, ref=None, note=None):
    """An SVG of horizontal bars: one block per group, one bar per series in it.

    values maps (group, series) to a number; a missing pair draws no bar. Returns the SVG text.
    """
    bar, gap, label_w, width = 16, 14, 190, 900
    legend_h = 26
    top = 46 + legend_h
    vmax = max([v for v in values.values() if v is not None] + [0])
    if vmax <= 0:
        raise InputError("nothing to draw for " + title + ": every value is 0 or missing")
    labels = {k: label(v, unit, values.get((k[0], ref)) if ref and k[1] != ref else None, ref)
              for k, v in values.items() if v is not None}
    right = 12 + 7 * max(len(t) for t in labels.values())  # about 7 px per character at 12 px
    plot_w = max(200, width - label_w - right)
    width = label_w + plot_w + right
    height = top + len(groups) * (len(series) * bar + gap) + (40 if note else 24)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
           f'<text x="12" y="24" font-size="16" font-weight="bold">{escape(title)}</text>']
    x = label_w
    for i, s in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        out.append(f'<rect x="{x}" y="{38}" width="12" height="12" fill="{color}"/>')
        out.append(f'<text x="{x + 16}" y="{48}">{escape(s)}</text>')
        x += 28 + 7 * len(s)
    y = top
    for g in groups:
        block = len(series) * bar
        out.append(f'<text x="{label_w - 8}" y="{y + block / 2 + 4}" text-anchor="end" '
                   f'font-weight="bold">{escape(g)}</text>')
        for i, s in enumerate(series):
            v = values.get((g, s))
            if v is not None:
                w = max(1.0, plot_w * v / vmax)
                color = PALETTE[i % len(PALETTE)]
                text = labels[(g, s)]
                out.append(f'<rect x="{label_w}" y="{y + 1}" width="{w:.1f}" height="{bar - 2}" fill="{color}">'
                           f'<title>{escape(s)} {escape(g)}: {escape(text)}</title></rect>')
                out.append(f'<text x="{label_w + w + 4:.1f}" y="{y + bar - 4}">{escape(text)}</text>')
            y += bar
        y += gap
    out.append(f'<line x1="{label_w}" y1="{top - 4}" x2="{label_w}" y2="{y - gap + 2}" stroke="#5f6368"/>')
    if note:
        out.append(f'<text x="12" y="{height - 12}" fill="#5f6368">{escape(note)}</text>')
    out.append('</svg>')
    return "\n".join(out) + "\n"


def label(v, unit, base, ref):
    text = f'{fmt(v)} {unit}'.rstrip()
    return text + f'  ({v / base:.2f}x {ref})' if base else text


def fmt(v):
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def read_fio(directory, job_order):
    """(groups, servers, iops, latencies) from <server>-<job>.json files under directory."""
    files = sorted(glob.glob(os.path.join(directory, "*.json")))
    if not files:
        raise InputError(f"{directory}: no fio JSON files (<server>-<job>.json)")
    iops, lat, servers, jobs = {}, {}, [], []
    for f in files:
        stem = os.path.basename(f)[:-5]
        job = next((j for j in job_order if stem.endswith("-" + j)), None)
        if job is None:
            continue
        server = stem[:-len(job) - 1]
        try:
            j = json.load(open(f))["jobs"][0]
        except (ValueError, KeyError, IndexError) as e:
            raise InputError(f"{f}: not fio --output-format=json output ({e})")
        side = j["write"] if j["write"]["io_bytes"] > 0 else j["read"]
        iops[(job, server)] = side["iops"]
        pct = side["clat_ns"].get("percentile", {})
        for key, name in PERCENTILES:
            if key in pct:
                lat[(job, name, server)] = pct[key] / 1000.0
        if server not in servers:
            servers.append(server)
        if job not in jobs:
            jobs.append(job)
    if not iops:
        raise InputError(f"{directory}: no file matches a job of {','.join(job_order)}")
    return [j for j in job_order if j in jobs], servers, iops, lat


def read_table(path):
    """The rows of the first Markdown table in path, as dicts by header."""
    rows, header = [], None
    for line in open(path):
        line = line.strip()
        if not line.startswith("|"):
            if header:
                break
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if header is None:
            header = cells
        elif not all(set(c) <= set("-: ") for c in cells):
            rows.append(dict(zip(header, cells)))
    if not rows:
        raise InputError(f"{path}: no Markdown table with rows")
    return header, rows


def number(text, where):
    cleaned = text.replace(",", "").replace("*", "").split(" ")[0].rstrip("x")
    try:
        return float(cleaned)
    except ValueError:
        raise InputError(f"{where}: '{text}' is not a number")


def ordered(items):
    seen = []
    for i in items:
        if i not in seen:
            seen.append(i)
    return seen


def write(path, svg):
    with open(path, "w") as f:
        f.write(svg)
    print(f"wrote {path}")


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="kind", required=True)
    f = sub.add_parser("fio")
    f.add_argument("dir")
    f.add_argument("--job-order", required=True)
    f.add_argument("--server-order", default="")
    f.add_argument("--ref")
    f.add_argument("--title", required=True)
    f.add_argument("--note")
    f.add_argument("--out", required=True)
    f.add_argument("--latency-out")
    t = sub.add_parser("table")
    t.add_argument("file")
    for a in ("--group", "--title", "--out"):
        t.add_argument(a, required=True)
    t.add_argument("--series", help="long table: the column naming each bar's series")
    t.add_argument("--value", help="long table: the column holding the value")
    t.add_argument("--columns", help="wide table: the value columns, one series each (A,B,C)")
    t.add_argument("--unit", default="")
    t.add_argument("--ref")
    t.add_argument("--note")
    m = sub.add_parser("jmh")
    m.add_argument("file")
    m.add_argument("--title", required=True)
    m.add_argument("--out", required=True)
    m.add_argument("--ref")
    m.add_argument("--note")
    a = p.parse_args(argv)
    if a.kind == "fio":
        jobs, servers, iops, lat = read_fio(a.dir, a.job_order.split(","))
        if a.server_order:
            servers = [s for s in a.server_order.split(",") if s in servers]
        write(a.out, grouped_bars(a.title, "IOPS", jobs, servers, iops, a.ref, a.note))
        if a.latency_out:
            for job in jobs:
                values = {(name, s): v for (j, name, s), v in lat.items() if j == job}
                write(f"{a.latency_out}-{job}.svg", grouped_bars(f"{job}: completion latency percentiles", "us",
                                                                 [n for _, n in PERCENTILES], servers, values,
                                                                 a.ref, a.note))
    elif a.kind == "table":
        header, rows = read_table(a.file)
        if bool(a.columns) == bool(a.series or a.value):
            raise InputError("table: give either --series and --value (a long table) or --columns (a wide one)")
        wide = a.columns.split(",") if a.columns else []
        for col in [a.group] + wide + ([a.series, a.value] if not wide else []):
            if col not in header:
                raise InputError(f"{a.file}: no column '{col}' (columns: {', '.join(header)})")
        if wide:
            values = {(r[a.group], c): number(r[c], f"{a.file} {c}") for r in rows for c in wide}
            series = wide
        else:
            values = {(r[a.group], r[a.series]): number(r[a.value], f"{a.file} {a.value}") for r in rows}
            series = ordered(r[a.series] for r in rows)
        write(a.out, grouped_bars(a.title, a.unit, ordered(r[a.group] for r in rows), series, values, a.ref, a.note))
    else:
        try:
            results = json.load(open(a.file))
        except ValueError as e:
            raise InputError(f"{a.file}: not JMH -rf json output ({e})")
        values, groups, series, unit = {}, [], [], ""
        for r in results:
            g = r["benchmark"].rsplit(".", 1)[-1]
            s = ",".join(f"{k}={v}" for k, v in sorted(r.get("params", {}).items())) or "score"
            values[(g, s)] = r["primaryMetric"]["score"]
            unit = r["primaryMetric"]["scoreUnit"]
            groups.append(g)
            series.append(s)
        write(a.out, grouped_bars(a.title, unit, ordered(groups), ordered(series), values, a.ref, a.note))


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except InputError as e:
        print(f"charts.py: {e}", file=sys.stderr)
        sys.exit(2)
