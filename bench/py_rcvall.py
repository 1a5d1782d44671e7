"""Benchmark capturer: the Windows sniffer's loop on rcvall's Python socket.

usage: py_rcvall.py LOCAL_ADDRESS recvfrom|batch [MAX_DATAGRAMS]

recvfrom: `while True: s.recvfrom(65535)`, exactly the Windows program's call, one datagram
          per call.
batch:    `while True: s.recv_batch(MAX_DATAGRAMS)` (default 1024), the queued datagrams per call.
SIGINT (or SIGTERM) stops it; it then prints tcpdump-style counters on stderr, as capbench.sh
expects. The SIO_RCVALL socket has no kernel statistics (Windows has none either), so
"received by filter" is what was received and "dropped by kernel" is 0: capbench measures the
loss outside, as sent - captured.
"""

import resource
import signal
import sys

from rcvall import socket

# A background job of a non-interactive shell starts with SIGINT ignored (BASELINE §6.9).
signal.signal(signal.SIGINT, signal.default_int_handler)
signal.signal(signal.SIGTERM, signal.default_int_handler)

addr, mode = sys.argv[1], sys.argv[2]
max_datagrams = int(sys.argv[3]) if len(sys.argv) > 3 else 1024
family = socket.AF_INET6 if ":" in addr else socket.AF_INET
proto = socket.IPPROTO_IPV6 if family == socket.AF_INET6 else socket.IPPROTO_IP
s = socket.socket(family, socket.SOCK_RAW, proto)
s.bind((addr, 0))
s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
s.ioctl(socket.SIO_RCVALL, socket.RCVALL_ON)
print(f"py_rcvall: SIO_RCVALL ON on {s.interface} for {addr}, {mode} loop", file=sys.stderr)

n = 0
try:
    if mode == "recvfrom":
        recvfrom = s.recvfrom
        while True:
            recvfrom(65535)
            n += 1
    elif mode == "batch":
        recv_batch = s.recv_batch
        while True:
            n += len(recv_batch(max_datagrams))
    else:
        sys.exit(f"py_rcvall: unknown mode {mode!r} (recvfrom or batch)")
except KeyboardInterrupt:
    pass
s.ioctl(socket.SIO_RCVALL, socket.RCVALL_OFF)
s.close()
# Minor page faults: what a batch's allocations cost when the heap is handed back and regrown.
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
print(f"py_rcvall: {faults} minor page faults", file=sys.stderr)
print(f"{n} packets captured\n{n} packets received by filter\n0 packets dropped by kernel",
      file=sys.stderr)
