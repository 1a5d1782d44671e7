#!/usr/bin/env python3
"""Summarize bench/python.sh's capbench CSV into a markdown table.

Usage: py_summarize.py main.csv > summary.md

Per (mode, size, scenario, rep) the first clean attempt is kept (else the least contaminated,
by bg_jiffies, and the row is flagged ⚠).
Figures are min/median/max over the repetitions. "CPU vs AF_PACKET" is the capturer's CPU per
packet over py_afpacket's in the same mode, size and repetition (adjacent runs), as a median.
"""
import csv
import statistics
import sys
from collections import defaultdict

ORDER = ["nocap", "py_afpacket", "py_rcvall_recvfrom", "py_rcvall_batch", "py_rcvall_batch64"]


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def mode_of(row):
    return "stress (cbgen, napi)" if row["rxmode"] == "napi" else "default (trafgen, backlog)"


def spread(values, fmt="{:.0f}"):
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    return "/".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def main(path):
    kept = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            key = (mode_of(row), int(row["size"]), row["label"], int(row["rep"]))
            old = kept.get(key)
            if old is None or (old["contaminated"] != "0" and (
                    row["contaminated"] == "0"
                    or (num(row["bg_jiffies"]) or 0) < (num(old["bg_jiffies"]) or 0))):
                kept[key] = row
    groups = defaultdict(list)
    for (mode, size, label, rep), row in sorted(kept.items()):
        groups[(mode, size, label)].append(row)

    print("| mode | size | scenario | reps | gen kpps | loss % | capturer CPU ns/pkt | CPU vs AF_PACKET "
          "| vol. ctx switches | max RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for mode in sorted({k[0] for k in groups}):
        for size in sorted({k[1] for k in groups if k[0] == mode}):
            for label in ORDER:
                rows = groups.get((mode, size, label))
                if not rows:
                    continue
                flag = " ⚠" if any(r["contaminated"] != "0" for r in rows) else ""
                gen = [num(r["gen_pps"]) / 1000 for r in rows if num(r["gen_pps"])]
                if label == "nocap":
                    print(f"| {mode} | {size} B | nocap{flag} | {len(rows)} | {spread(gen)} "
                          "| — | — | — | — | — |")
                    continue
                loss = [num(r["loss_pct"]) for r in rows]
                cpu = [num(r["cap_ns_per_pkt"]) for r in rows]
                ratios = []
                for r in rows:
                    base = kept.get((mode, size, "py_afpacket", int(r["rep"])))
                    if base and num(base["cap_ns_per_pkt"]) and num(r["cap_ns_per_pkt"]):
                        ratios.append(num(r["cap_ns_per_pkt"]) / num(base["cap_ns_per_pkt"]))
                ratio = f"{statistics.median(ratios):.2f}" if ratios and label != "py_afpacket" else "—"
                vcsw = [num(r["cap_vcsw"]) for r in rows]
                rss = [num(r["cap_maxrss_kb"]) / 1024 for r in rows if num(r["cap_maxrss_kb"])]
                print(f"| {mode} | {size} B | {label}{flag} | {len(rows)} | {spread(gen)} "
                      f"| {spread(loss, '{:.2f}')} | {spread(cpu)} | {ratio} | {spread(vcsw)} "
                      f"| {spread(rss, '{:.1f}')} |")


if __name__ == "__main__":
    main(sys.argv[1])
