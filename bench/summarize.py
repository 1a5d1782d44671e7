#!/usr/bin/env python3
"""Summarize capbench CSV rows written by bench/run.sh into markdown tables.

Usage: summarize.py [--best K] main.csv [more.csv ...] > summary.md

Per (scenario, family, size, rep) the first clean attempt is kept (capbench retries contaminated
ones); if every attempt was contaminated the last one is kept and flagged with a warning sign.
With --best K, each (scenario, family, size) keeps K repetitions, clean ones first, then the
least contaminated (lowest bg_jiffies): extra repetitions replace contaminated ones. Statistics are median and min/max over the
repetitions kept. CPU ratios pair rcvall and tcpdump rows of the same repetition (adjacent runs).
"""
import csv
import os
import statistics
import sys
from collections import defaultdict

ORDER = ["nocap", "rcvall_count", "rcvall_async", "rcvall_pcapng", "rcvall_recv", "tcpdump", "nsng"]
# Ring each capturer maps (MiB), for the RSS target "RSS <= ring + 16 MiB".
# The faithful socket's ring was 4 MiB until fa0d94e and 32 MiB since: RECV_RING_MIB=32 for HEAD runs.
RING_MIB = {"rcvall_count": 32, "rcvall_async": 32, "rcvall_pcapng": 32, "rcvall_recv": int(os.environ.get("RECV_RING_MIB", "4")), "tcpdump": 32}
RCVALL = ["rcvall_count", "rcvall_async", "rcvall_pcapng", "rcvall_recv"]


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def load(paths):
    groups = defaultdict(list)
    for p in paths:
        with open(p, newline="") as f:
            for row in csv.DictReader(f):
                key = (row["label"], row["fam"], row["size"], int(row["rep"]))
                groups[key].append(row)
    kept = {}
    for key, rows in groups.items():
        rows.sort(key=lambda r: int(r["attempt"]))
        clean = [r for r in rows if r["contaminated"] == "0"]
        r = clean[0] if clean else rows[-1]
        r = dict(r)
        r["_flag"] = "" if clean else "⚠"
        r["_attempts"] = len(rows)
        kept[key] = r
    return kept


def mmm(vals, fmt="{:.0f}"):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "n/a"
    return "/".join(fmt.format(x) for x in (min(vals), statistics.median(vals), max(vals)))


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def select_best(kept, k):
    by_cfg = defaultdict(list)
    for key in kept:
        by_cfg[key[:3]].append(key)
    out = {}
    for cfg, keys in by_cfg.items():
        keys.sort(key=lambda key: (kept[key]["_flag"] != "", num(kept[key]["bg_jiffies"]) or 0, key[3]))
        for key in keys[:k]:
            out[key] = kept[key]
    return out


def main():
    args = sys.argv[1:]
    best = None
    if args and args[0] == "--best":
        best = int(args[1])
        args = args[2:]
    every = load(args)
    kept = select_best(every, best) if best else every
    configs = sorted({(k[1], k[2]) for k in kept}, key=lambda c: (int(c[0]), int(c[1])))
    out = []
    w = out.append
    w("# Capture benchmark summary (bench/summarize.py)\n")
    w("Cells are min/median/max over the repetitions. loss % = (sent - captured)/sent. "
      "CPU ns/pkt = capturer CPU (schedstat, send+drain window) / captured. RSS = GNU time maxrss. "
      "gen kpps = generator rate with that capturer attached (the kernel's tap cost lands on the generator core). "
      "⚠ = all attempts of at least one repetition were contaminated by other load (kept, flagged).\n")
    for fam, size in configs:
        w(f"\n## IPv{fam} {size} B\n")
        w("| scenario | reps | gen kpps | loss % | kernel drops | captured (min) | CPU ns/pkt | RSS MiB | unread@exit | bg jiffies (max) | flags |")
        w("|---|---|---|---|---|---|---|---|---|---|---|")
        labels = sorted({k[0] for k in kept if k[1] == fam and k[2] == size},
                        key=lambda l: ORDER.index(l) if l in ORDER else 99)
        for lab in labels:
            rows = [kept[k] for k in sorted(kept) if k[0] == lab and k[1] == fam and k[2] == size]
            gen = [num(r["gen_pps"]) / 1000 for r in rows]
            loss = [num(r["loss_pct"]) for r in rows]
            drops = [num(r["kdrops"]) for r in rows]
            caps = [num(r["captured"]) for r in rows]
            ns = [num(r["cap_ns_per_pkt"]) for r in rows]
            rss = [num(r["cap_maxrss_kb"]) / 1024 if num(r["cap_maxrss_kb"]) is not None else None for r in rows]
            unread = [num(r["unread"]) for r in rows]
            bg = [num(r["bg_jiffies"]) for r in rows]
            flags = "".join(sorted({r["_flag"] for r in rows}))
            att = sum(r["_attempts"] for r in rows)
            capmin = min([c for c in caps if c is not None], default=None)
            w(f"| {lab} | {len(rows)} ({att} att.) | {mmm(gen)} | {mmm(loss, '{:.3f}')} | {mmm(drops)} | "
              f"{'n/a' if capmin is None else f'{capmin:.0f}'} | {mmm(ns)} | {mmm(rss, '{:.1f}')} | {mmm(unread)} | "
              f"{max([b for b in bg if b is not None], default=0):.0f} | {flags} |")

    # ---- ratios vs tcpdump: pairs of the same repetition (adjacent runs), over every repetition
    def ratio_pairs(lab, fam, size, clean_only):
        out = []
        for rep in sorted({k[3] for k in every}):
            a = every.get((lab, fam, size, rep))
            b = every.get(("tcpdump", fam, size, rep))
            if not (a and b and num(a["cap_ns_per_pkt"]) and num(b["cap_ns_per_pkt"])):
                continue
            if clean_only and (a["_flag"] or b["_flag"]):
                continue
            out.append(num(a["cap_ns_per_pkt"]) / num(b["cap_ns_per_pkt"]))
        return out

    w("\n## CPU ns/pkt ratio X / tcpdump -w /dev/null, same repetition (adjacent runs), over every repetition\n")
    w("Each cell: min/median/max over the pairs where both runs were clean (n), then over all pairs (n).\n")
    w("| config | rcvall_count / tcpdump | rcvall_pcapng / tcpdump | rcvall_recv / tcpdump | nsng / tcpdump |")
    w("|---|---|---|---|---|")
    for fam, size in configs:
        cells = []
        for lab in ["rcvall_count", "rcvall_pcapng", "rcvall_recv", "nsng"]:
            c = ratio_pairs(lab, fam, size, True)
            a = ratio_pairs(lab, fam, size, False)
            cells.append(f"clean {mmm(c, '{:.2f}')} ({len(c)}); all {mmm(a, '{:.2f}')} ({len(a)})")
        w(f"| IPv{fam} {size} B | " + " | ".join(cells) + " |")

    # ---- targets
    w("\n## Targets\n")
    w("| target | config | value (median; min/max) | met? |")
    w("|---|---|---|---|")
    for fam, size in configs:
        def rows_of(lab):
            return [kept[k] for k in sorted(kept) if k[0] == lab and k[1] == fam and k[2] == size]
        for lab in ["rcvall_count", "rcvall_recv", "rcvall_pcapng"]:
            rows = rows_of(lab)
            if not rows:
                continue
            loss = [num(r["loss_pct"]) for r in rows]
            ok = all(l is not None and l == 0 for l in loss)
            w(f"| 0 loss: {lab} | IPv{fam} {size} B | {mmm(loss, '{:.4f}')} % | {'met' if ok else 'MISSED'} |")
        for lab in ["rcvall_count", "rcvall_pcapng"]:
            ratios = ratio_pairs(lab, fam, size, True)
            basis = "clean pairs"
            if len(ratios) < 3:
                ratios, basis = ratio_pairs(lab, fam, size, False), "all pairs"
            if ratios:
                m = statistics.median(ratios)
                allok = all(x <= 0.5 for x in ratios)
                verdict = "met" if allok else ("met at the median" if m <= 0.5 else "MISSED")
                w(f"| CPU ≤ 0.5× tcpdump: {lab} | IPv{fam} {size} B | {m:.2f} ({mmm(ratios, '{:.2f}')}, {len(ratios)} {basis}) | {verdict} |")
        for lab in ["rcvall_count", "rcvall_pcapng", "rcvall_recv"]:
            rows = rows_of(lab)
            rss = [num(r["cap_maxrss_kb"]) / 1024 for r in rows if num(r["cap_maxrss_kb"]) is not None]
            if rss:
                lim = RING_MIB[lab] + 16
                w(f"| RSS ≤ ring {RING_MIB[lab]} MiB + 16 MiB: {lab} | IPv{fam} {size} B | {statistics.median(rss):.1f} MiB ({mmm(rss, '{:.1f}')}) | {'met' if max(rss) <= lim else 'MISSED'} |")
    print("\n".join(out))


if __name__ == "__main__":
    main()
