"""The sniffer of Python's socket documentation (its Windows example), with only the import
line changed, run as a program on Linux."""

import ast
import os
import socket as std
import subprocess
import sys

import pytest

import lab

pytestmark = pytest.mark.lab

# https://docs.python.org/3/library/socket.html, "Example": the last example, for Windows,
# word for word except the first line (was: import socket).
WINDOWS_SNIFFER = '''\
from rcvall import socket

# the public network interface
HOST = socket.gethostbyname(socket.gethostname())

# create a raw socket and bind it to the public interface
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_IP)
s.bind((HOST, 0))

# Include IP headers
s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)

# receive all packets
s.ioctl(socket.SIO_RCVALL, socket.RCVALL_ON)

# receive a packet
print(s.recvfrom(65565))

# disabled promiscuous mode
s.ioctl(socket.SIO_RCVALL, socket.RCVALL_OFF)
'''


def test_windows_sniffer_receives_a_datagram_byte_exact(pair, tmp_path):
    a, b = pair.a, pair.b
    # `ip netns exec` mounts /etc/netns/NAME/hosts over /etc/hosts: there the machine's name
    # resolves to a's address, as the docs' HOST line expects of "the public interface".
    etc = f"/etc/netns/{a.ns.name}"
    os.makedirs(etc, exist_ok=True)
    with open(f"{etc}/hosts", "w") as f:
        f.write(f"127.0.0.1 localhost\n{a.v4} {std.gethostname()}\n")
    program = tmp_path / "sniffer.py"
    program.write_text(WINDOWS_SNIFFER)

    with lab.sink(a) as sink:
        sniffer = subprocess.Popen(
            ["ip", "netns", "exec", a.ns.name, sys.executable, str(program)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # RCVALL_ON holds the interface promiscuous: the sniffer is ready.
            assert lab.wait_until(lambda: a.ns.promiscuity("rcvt0") == 1, timeout=10), \
                sniffer.stderr.read() if sniffer.poll() is not None else "not ready"
            datagram = lab.ipv4_udp(b.v4, a.v4, b"sniffed on Linux" * 3)
            with b.raw_sender() as tx:
                tx.sendto(datagram, (a.v4, 0))
            out, err = sniffer.communicate(timeout=10)
        finally:
            if sniffer.poll() is None:
                sniffer.kill()
                sniffer.wait()
        assert sniffer.returncode == 0, err
        data, addr = ast.literal_eval(out.strip())
        assert data == datagram
        assert addr == (b.v4, 0)
        # RCVALL_OFF and the end of the program released promiscuity.
        assert a.ns.promiscuity("rcvt0") == 0
