#!/usr/bin/env python3
"""Writes seed inputs for the `compile` fuzz target into corpus/compile/: every expression of
the differential test's corpus (tests/common/corpus.rs), alone and followed by a NUL and a
packet. Usage: ./seeds.py
"""
import ast
import hashlib
import os
import re

# IPv4/TCP SYN, IPv4/UDP DNS, IPv6/ICMPv6 echo, IPv4 fragment.
PACKETS = [bytes.fromhex(h) for h in (
    "450000280000400040060000c6120001c61200029c400050000003e80000000050027fff00000000",
    "4500001d0000400040110000c6120001c612000214e90035000900000a",
    "6000000000083a4020010db800000000000000000000000120010db80000000000000000000000028000000000010001",
    "4500001c0000200140110000c6120001c612000200010002000800000a",
)]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    src = open(os.path.join(here, "..", "tests", "common", "corpus.rs")).read()
    exprs = [ast.literal_eval(m) for m in re.findall(r'^\s*("(?:[^"\\]|\\.)*"),', src, re.M)]
    out_dir = os.path.join(here, "corpus", "compile")
    os.makedirs(out_dir, exist_ok=True)
    seeds = []
    for i, e in enumerate(exprs):
        seeds.append(e.encode())
        seeds.append(e.encode() + b"\0" + PACKETS[i % len(PACKETS)])
    for s in seeds:
        with open(os.path.join(out_dir, hashlib.sha1(s).hexdigest()), "wb") as f:
            f.write(s)
    print(f"{len(seeds)} seeds from {len(exprs)} expressions in {out_dir}")


if __name__ == "__main__":
    main()
