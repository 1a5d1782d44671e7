#!/usr/bin/env python3
"""Writes seed inputs for the `printer` fuzz target into corpus/printer/.

Each seed is the target's input format: three option bytes, then packets as a big-endian u16
length and the bytes. The packets are built here (IPv4 with options and fragments, TCP with
options, UDP services, ICMP errors, IPv6 behind every extension header, ICMPv6 ND, tunnels), and
read from any LINKTYPE_RAW pcap files given as arguments. Usage: ./seeds.py [file.pcap ...]
"""
import hashlib
import os
import struct
import sys

V4_SRC, V4_DST = bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2])
V6_SRC = bytes.fromhex("20010db8000000000000000000000001")
V6_DST = bytes.fromhex("20010db8000000000000000000000002")


def ip4(proto, payload, options=b"", frag=0x4000, total=None):
    ihl = 5 + len(options) // 4
    length = total if total is not None else 20 + len(options) + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, length, 0x1234, frag, 64, proto, 0,
                      V4_SRC, V4_DST)
    return hdr + options + payload


def ip6(nxt, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nxt, 64, V6_SRC, V6_DST) + payload


def tcp(flags=0x18, payload=b"", options=b"", seq=1000, ack=2000, sport=40000, dport=80):
    off = (20 + len(options)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, 65535, 0, 0) \
        + options + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def ext(nxt, body):
    """A hop-by-hop / destination options / routing header: body padded to 8n - 2 bytes."""
    body += b"\x00" * ((-(len(body) + 2)) % 8)
    return bytes([nxt, (len(body) + 2) // 8 - 1]) + body


TCP_OPTS = bytes.fromhex("020405b4" "0402" "080a0000000100000000" "01" "030307")
DNS_Q = bytes.fromhex("12340100000100000000000003777777076578616d706c6503636f6d0000010001")
NTP = bytes([0x23]) + bytes(47)
HTTP = b"GET / HTTP/1.1\r\nHost: example\r\n\r\n"
DHCP6 = bytes([1, 0, 0, 1]) + bytes.fromhex("0001000a00030001020304050607") + bytes.fromhex("00080002 0000".replace(" ", ""))
BOOTP = bytes([1, 1, 6, 0]) + bytes(232) + bytes.fromhex("63825363350101ff")

PACKETS = [
    ip4(6, tcp(0x02, options=TCP_OPTS)),
    ip4(6, tcp(0x12, options=TCP_OPTS, seq=5000, ack=1001, sport=80, dport=40000)),
    ip4(6, tcp(0x18, HTTP)),
    ip4(6, tcp(0x18, HTTP), options=bytes.fromhex("94040000")),  # router alert
    ip4(6, tcp(0x18, b"x" * 40), options=bytes.fromhex("0703040000000000") + b"\x01" * 0),
    ip4(17, udp(5353, 53, DNS_Q)),
    ip4(17, udp(123, 123, NTP)),
    ip4(17, udp(68, 67, BOOTP)),
    ip4(17, udp(40000, 4789, bytes(8) + bytes(14) + ip4(1, bytes([8, 0, 0, 0, 0, 1, 0, 1])))),
    ip4(1, bytes([8, 0, 0, 0, 0, 1, 0, 1]) + b"ping"),
    ip4(1, bytes([3, 3, 0, 0, 0, 0, 0, 0]) + ip4(17, udp(40000, 53, DNS_Q))[:28]),
    ip4(1, bytes([11, 0, 0, 0, 0, 0, 0, 0]) + ip4(6, tcp(0x02))[:28]),
    ip4(2, bytes([0x16, 0, 0, 0, 239, 1, 2, 3])),
    ip4(2, bytes([0x22, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 1, 239, 1, 2, 3, 198, 18, 0, 9])),
    ip4(47, bytes([0, 0, 0x08, 0x00]) + ip4(1, bytes([8, 0, 0, 0, 0, 1, 0, 1]))),
    ip4(4, ip4(17, udp(1, 2, b"inner"))),
    ip4(41, ip6(58, bytes([128, 0, 0, 0, 0, 1, 0, 1]))),
    ip4(17, udp(1, 2, b"first fragment"), frag=0x2000),
    ip4(17, b"later fragment", frag=0x0010),
    ip4(50, bytes.fromhex("00000100000000010000")),
    ip4(51, bytes([6, 4, 0, 0]) + bytes.fromhex("0000010000000001") + bytes(12) + tcp(0x10)),
    ip4(132, struct.pack("!HHII", 5000, 5001, 1, 0) + bytes([1, 0, 0, 20]) + bytes(16)),
    ip4(112, bytes([0x21, 1, 100, 1, 0, 1, 0, 0]) + V4_DST + bytes(8)),
    ip4(6, tcp(0x18, b"y" * 10), total=200),  # wire longer than captured
    ip6(6, tcp(0x02, options=TCP_OPTS)),
    ip6(17, udp(546, 547, DHCP6)),
    ip6(0, ext(60, bytes.fromhex("05020000")) + ext(43, b"\x01\x04\x00\x00") + bytes(0)
        + bytes([44, 0]) + bytes(6) + tcp(0x10)),
    ip6(0, ext(6, bytes.fromhex("c204000005dc")) + tcp(0x02)),
    ip6(43, bytes([17, 2, 0, 1, 0, 0, 0, 0]) + V6_DST + udp(1, 2, b"routed")),
    ip6(43, bytes([17, 2, 4, 0, 0, 0, 0, 0]) + V6_DST + udp(1, 2, b"srh")),
    ip6(44, bytes([17, 0, 0, 1, 0, 0, 0, 7]) + udp(1, 2, b"fragment 0")),
    ip6(44, bytes([17, 0, 0, 0x10, 0, 0, 0, 7]) + b"fragment 2"),
    ip6(60, ext(58, bytes.fromhex("04010001")) + bytes([128, 0, 0, 0, 0, 1, 0, 1])),
    ip6(51, bytes([58, 4, 0, 0]) + bytes.fromhex("0000010000000001") + bytes(12)
        + bytes([129, 0, 0, 0, 0, 1, 0, 1])),
    ip6(50, bytes.fromhex("0000010000000001") + bytes(16)),
    ip6(59, b""),
    ip6(58, bytes([135, 0, 0, 0, 0, 0, 0, 0]) + V6_DST + bytes([1, 1, 2, 0, 0, 0, 0, 1])),
    ip6(58, bytes([134, 0, 0, 0, 64, 0, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0])
        + bytes([3, 4, 64, 0xc0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0]) + V6_SRC),
    ip6(58, bytes([143, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0]) + bytes.fromhex("ff020000000000000000000000000001")),
    ip6(58, bytes([1, 4, 0, 0, 0, 0, 0, 0]) + ip6(17, udp(1, 2, b"quoted"))),
    ip6(41, ip6(59, b"")),
    ip6(4, ip4(6, tcp(0x02))),
    ip6(47, bytes([0, 0, 0x86, 0xdd]) + ip6(59, b"")),
    b"",
    bytes([0x45]),
    bytes([0x60, 0, 0, 0]),
]


def read_pcap(path):
    data = open(path, "rb").read()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    if struct.unpack(endian + "I", data[20:24])[0] != 101:
        return []
    out, off = [], 24
    while off + 16 <= len(data):
        caplen = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        out.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return out


def frame(packets):
    return b"".join(struct.pack("!H", min(len(p), 0xffff)) + p[:0xffff] for p in packets)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = os.path.join(here, "corpus", "printer")
    os.makedirs(out_dir, exist_ok=True)
    extra, seen = [], set()
    for path in sys.argv[1:]:
        for p in read_pcap(path):
            key = p[:40]  # one per header shape, so a flood does not swamp the corpus
            if key not in seen:
                seen.add(key)
                extra.append(p)
    seeds = []
    # Each packet alone under a few option sets, then conversations (connection table).
    for i, p in enumerate(PACKETS + extra[:400]):
        opts = bytes([(i * 37) & 0xff, (i * 11) & 0xff, (i * 5) & 0xff])
        seeds.append(opts + frame([p]))
    seeds.append(bytes([0x20, 0x01, 0x00]) + frame(PACKETS[:3]))
    seeds.append(bytes([0x34, 0x06, 0x1a]) + frame(PACKETS[24:30] + PACKETS[:3]))
    for s in seeds:
        name = hashlib.sha1(s).hexdigest()
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(s)
    print(f"{len(seeds)} seeds in {out_dir}")


if __name__ == "__main__":
    main()
