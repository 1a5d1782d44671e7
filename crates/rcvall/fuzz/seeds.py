#!/usr/bin/env python3
"""Writes seed inputs for the `ring_block` fuzz target into corpus/ring_block/: TPACKET_V3
blocks laid out as the kernel writes them (as ring::block::synth does: 48-byte block header,
frames 16-byte aligned, data after TPACKET3_HDRLEN), with 0 to 5 frames, VLAN tags, and
TPACKET_V2 frame slots (ring::frame::synth). Native (little-endian) byte order. Usage: ./seeds.py
"""
import hashlib
import os
import struct

HDRLEN3 = 48 + 20
DATA3 = (HDRLEN3 + 15) // 16 * 16
HDRLEN2 = 32 + 20
DATA2 = (HDRLEN2 + 15) // 16 * 16 + 16


def v3_block(size, frames, status=1, seq=7):
    block = bytearray(size)
    offset = 48
    for i, (data, status_bits, vlan) in enumerate(frames):
        length = (DATA3 + len(data) + 15) // 16 * 16
        nxt = 0 if i + 1 == len(frames) else length
        struct.pack_into("<IIIIIIHH", block, offset, nxt, 1_700_000_000, 123 + i, len(data),
                         len(data) + 10, status_bits, DATA3, DATA3)
        struct.pack_into("<I", block, offset + 32, vlan)
        struct.pack_into("<I", block, offset + 48 + 4, 3)  # sll_ifindex
        block[offset + 48 + 10] = i % 5  # sll_pkttype
        block[offset + DATA3:offset + DATA3 + len(data)] = data
        offset += length
    struct.pack_into("<IIIIQ", block, 8, status, len(frames), 48, offset, seq)
    return bytes(block)


def v2_slot(size, data):
    slot = bytearray(size)
    struct.pack_into("<IIIHHII", slot, 0, 1, len(data) + 4, len(data), DATA2, DATA2,
                     1_700_000_000, 999)
    struct.pack_into("<I", slot, 32 + 4, 2)
    slot[32 + 10] = 4
    slot[DATA2:DATA2 + len(data)] = data
    return bytes(slot)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = os.path.join(here, "corpus", "ring_block")
    os.makedirs(out_dir, exist_ok=True)
    pkt = bytes.fromhex("4500001c00004000401100000a0000010a00000200350035000800000000")
    seeds = [v3_block(256, []), v3_block(4096, [(pkt, 0, 0)])]
    for n in range(2, 6):
        seeds.append(v3_block(2048, [(pkt[: 10 + 4 * i], 1 << 4 if i % 2 else 0, 100 + i)
                                     for i in range(n)]))
    seeds.append(v3_block(2048, [(pkt, 0, 0)] * 3)[:400])  # cut inside the third frame
    seeds += [v2_slot(256, pkt), v2_slot(2048, pkt * 10), v2_slot(128, b"")]
    for s in seeds:
        with open(os.path.join(out_dir, hashlib.sha1(s).hexdigest()), "wb") as f:
            f.write(s)
    print(f"{len(seeds)} seeds in {out_dir}")


if __name__ == "__main__":
    main()
