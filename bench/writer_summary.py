#!/usr/bin/env python3
"""Tables for bench/writer.sh: per group, size and tool the median (min-max) of generator rate,
loss, CPU ns/pkt and RSS, and rcvall's CPU ratio to tcpdump paired by repetition."""
import csv, statistics, sys
from collections import defaultdict

rows = list(csv.DictReader(open(sys.argv[1] if len(sys.argv) > 1 else "bench/results/i9/writer.csv")))
# the last attempt of each (label, size, rep) is the one that counts
last = {}
for r in rows:
    last[(r["label"], r["size"], r["rep"])] = r
cells = defaultdict(list)
for (label, size, rep), r in last.items():
    cells[(label, size)].append(r)

def med(vals, fmt="{:.0f}"):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "–"
    return f"{fmt.format(statistics.median(vals))} ({fmt.format(min(vals))}–{fmt.format(max(vals))})"

def num(r, k):
    try:
        return float(r[k])
    except (ValueError, KeyError):
        return None

groups = sorted({l.split("_")[0] for l, _ in cells})
for g in ["null", "stress", "disk"]:
    if g not in groups:
        continue
    for size in sorted({s for l, s in cells if l.startswith(g + "_")}, key=int):
        print(f"\n| {g} {size} B | reps | gen kpps | loss % | CPU ns/pkt | RSS MiB | contaminated |")
        print("|---|---|---|---|---|---|---|")
        for tool in ["tcpdump", "nsng", "rcvall"]:
            rs = cells.get((f"{g}_{tool}", size))
            if not rs:
                continue
            print(f"| {tool} | {len(rs)} | {med([num(r,'gen_pps')/1000 for r in rs])} | "
                  f"{med([num(r,'loss_pct') for r in rs], '{:.2f}')} | {med([num(r,'cap_ns_per_pkt') for r in rs])} | "
                  f"{med([num(r,'cap_maxrss_kb')/1024 for r in rs], '{:.1f}')} | "
                  f"{sum(r['contaminated'] == '1' for r in rs)} |")
        td = {r["rep"]: num(r, "cap_ns_per_pkt") for r in cells.get((f"{g}_tcpdump", size), [])}
        rc = {r["rep"]: num(r, "cap_ns_per_pkt") for r in cells.get((f"{g}_rcvall", size), [])}
        ratios = [rc[k] / td[k] for k in rc if k in td and td[k]]
        if ratios:
            print(f"\nrcvall / tcpdump CPU per packet, paired by repetition: {med(ratios, '{:.2f}')}")
