"""The test lab in Python: hosts in network namespaces joined by veth pairs or a hub, as
crates/testkit builds them. Names start with ``rcvt`` and carry this process's pid (so
scripts/lab-sweep.sh can remove leftovers of a killed run); addresses are 198.18.0.0/15 and
2001:db8::/32 only; everything built is removed on close, also when a test fails."""

import contextlib
import ctypes
import itertools
import os
import re
import shutil
import socket as std_socket
import struct
import subprocess
import time

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
_counter = itertools.count()

# What testkit's namespaces get: no DAD, router solicitations or RAs, so no stray IPv6 frames
# and addresses usable at once.
_BASE_SYSCTLS = [
    "net.ipv6.conf.all.accept_dad=0",
    "net.ipv6.conf.default.accept_dad=0",
    "net.ipv6.conf.all.router_solicitations=0",
    "net.ipv6.conf.default.router_solicitations=0",
    "net.ipv6.conf.all.accept_ra=0",
    "net.ipv6.conf.default.accept_ra=0",
]


def run(*args, check=True, timeout=20):
    out = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if check and out.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({out.returncode}): {out.stderr.strip()}")
    return out


class Netns:
    """A network namespace ``rcvt{tag}-{pid}-{n}``, deleted by ``close``."""

    def __init__(self, tag):
        self.name = f"rcvt{tag}-{os.getpid()}-{next(_counter)}"
        run("ip", "netns", "add", self.name)
        try:
            self.exec("sysctl", "-q", "-w", *_BASE_SYSCTLS)
            self.ip("link", "set", "lo", "up")
        except Exception:
            self.close()
            raise

    def ip(self, *args, check=True):
        return run("ip", "-n", self.name, *args, check=check)

    def exec(self, *args, check=True, timeout=20):
        return run("ip", "netns", "exec", self.name, *args, check=check, timeout=timeout)

    @contextlib.contextmanager
    def entered(self):
        """Runs the block with this thread in the namespace (sockets made there stay in it)."""
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
        try:
            if _libc.setns(target, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns into " + self.name)
            try:
                yield self
            finally:
                if _libc.setns(own, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns back")
        finally:
            os.close(target)
            os.close(own)

    def promiscuity(self, ifname):
        """The interface's promiscuity count (0 when no one holds it promiscuous)."""
        out = self.ip("-d", "link", "show", ifname).stdout
        return int(re.search(r"promiscuity (\d+)", out).group(1))

    def ifindex(self, ifname):
        out = self.ip("-o", "link", "show", ifname).stdout
        return int(out.split(":", 1)[0])

    def close(self):
        out = run("ip", "netns", "pids", self.name, check=False)
        for pid in out.stdout.split():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), 9)
        run("ip", "netns", "del", self.name, check=False)
        shutil.rmtree(f"/etc/netns/{self.name}", ignore_errors=True)


class Host:
    """A namespace with interface ``rcvt0`` at 198.18.L.H/24 and 2001:db8:L::H/64."""

    def __init__(self, tag, link, host):
        self.ns = Netns(tag)
        self.ifname = "rcvt0"
        self.v4 = f"198.18.{link}.{host}"
        self.v6 = f"2001:db8:{link}::{host}"
        self.mac = f"02:00:00:00:{link:02x}:{host:02x}"

    def address(self):
        # As testkit does: no TSO/GSO/GRO super-packets, so one datagram is one frame.
        self.ns.exec("ethtool", "-K", self.ifname, "tso", "off", "gso", "off", "gro", "off")
        self.ns.ip("link", "set", self.ifname, "address", self.mac)
        self.ns.ip("addr", "add", f"{self.v4}/24", "dev", self.ifname)
        self.ns.ip("addr", "add", f"{self.v6}/64", "dev", self.ifname, "nodad")
        self.ns.ip("link", "set", self.ifname, "up")

    def neighbour(self, other):
        # Static neighbours: no ARP or ND traffic in the captures.
        for ip in (other.v4, other.v6):
            self.ns.ip("neigh", "replace", ip, "lladdr", other.mac, "dev", self.ifname,
                       "nud", "permanent")

    def udp(self, v6=False):
        """A UDP socket made in this host's namespace."""
        with self.ns.entered():
            return std_socket.socket(std_socket.AF_INET6 if v6 else std_socket.AF_INET,
                                     std_socket.SOCK_DGRAM)

    def raw_sender(self):
        """An IPv4 raw socket with IP_HDRINCL: the datagram is sent exactly as built."""
        with self.ns.entered():
            return std_socket.socket(std_socket.AF_INET, std_socket.SOCK_RAW,
                                     std_socket.IPPROTO_RAW)

    def close(self):
        self.ns.close()


def wait_until(predicate, timeout=4.0, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


class Pair:
    """Hosts a (198.18.1.1) and b (198.18.1.2) joined by one veth pair."""

    def __init__(self):
        self.hosts = []
        try:
            self.a = Host("pya", 1, 1)
            self.hosts.append(self.a)
            self.b = Host("pyb", 1, 2)
            self.hosts.append(self.b)
            run("ip", "link", "add", "rcvt0", "netns", self.a.ns.name, "type", "veth",
                "peer", "name", "rcvt0", "netns", self.b.ns.name)
            for h in (self.a, self.b):
                h.address()
            self.a.neighbour(self.b)
            self.b.neighbour(self.a)
            wait_until(lambda: "LOWER_UP" in self.a.ns.ip("link", "show", "rcvt0").stdout)
        except Exception:
            self.close()
            raise

    def close(self):
        for h in self.hosts:
            h.close()


class Hub:
    """Hosts a, b, c (198.18.2.1-3) on a bridge with ageing_time 0 and learning off: every
    frame is flooded to every port, as on a hub. The bridge lives in its own namespace."""

    def __init__(self):
        self.hosts = []
        try:
            self.switch = Netns("pyhub")
            self.hosts.append(self.switch)
            self.switch.ip("link", "add", "rcvtbr", "type", "bridge", "ageing_time", "0",
                           "stp_state", "0", "mcast_snooping", "0")
            self.switch.exec("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1")
            self.a, self.b, self.c = (Host(f"pyhub{x}", 2, n)
                                      for n, x in ((1, "a"), (2, "b"), (3, "c")))
            for port, h in zip(("rcvta", "rcvtb", "rcvtc"), (self.a, self.b, self.c)):
                self.hosts.append(h)
                run("ip", "link", "add", "rcvt0", "netns", h.ns.name, "type", "veth",
                    "peer", "name", port, "netns", self.switch.name)
                self.switch.ip("link", "set", port, "master", "rcvtbr")
                self.switch.ip("link", "set", port, "type", "bridge_slave", "learning", "off")
                self.switch.ip("link", "set", port, "up")
                h.address()
            self.switch.ip("link", "set", "rcvtbr", "up")
            for h in (self.a, self.b, self.c):
                for other in (self.a, self.b, self.c):
                    if other is not h:
                        h.neighbour(other)
            for h in (self.a, self.b, self.c):
                wait_until(lambda: "LOWER_UP" in h.ns.ip("link", "show", "rcvt0").stdout)
            wait_until(lambda: "forwarding" in self.switch.ip(
                "-d", "link", "show", "rcvtc").stdout, timeout=2)
        except Exception:
            self.close()
            raise

    def close(self):
        for h in self.hosts:
            h.close()


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4_udp(src, dst, payload, ident=0x4242, sport=40000, dport=9):
    """A complete IPv4/UDP datagram with correct checksums, exactly as it will be on the wire."""
    s, d = std_socket.inet_aton(src), std_socket.inet_aton(dst)
    udp_len = 8 + len(payload)
    pseudo = s + d + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    udp_sum = checksum(pseudo + udp) or 0xFFFF
    udp = struct.pack("!HHHH", sport, dport, udp_len, udp_sum) + payload
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, ident, 0x4000, 64, 17, 0, s, d)
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + udp


def capture(host, v6=False, mode=None, timeout=5.0):
    """An rcvall raw socket made in ``host``'s namespace, bound to its address and, unless
    ``mode`` is False, set to SIO_RCVALL ``mode`` (default RCVALL_ON). It times out after
    ``timeout`` s, so a test that waits in vain fails instead of hanging."""
    from rcvall import socket

    with host.ns.entered():
        if v6:
            s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_IPV6)
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_IP)
    try:
        s.settimeout(timeout)
        s.bind((host.v6 if v6 else host.v4, 0))
        if mode is not False:
            s.ioctl(socket.SIO_RCVALL, socket.RCVALL_ON if mode is None else mode)
    except Exception:
        s.close()
        raise
    return s


def sink(host, port=9, v6=False):
    """A UDP socket bound to ``port`` on ``host``: datagrams sent there get no ICMP reply."""
    s = host.udp(v6)
    s.bind((host.v6 if v6 else host.v4, port))
    return s


def recv_marked(sock, marker, limit=200):
    """Receives until a datagram containing ``marker`` arrives (skipping other traffic)."""
    for _ in range(limit):
        data, addr = sock.recvfrom(65535)
        if marker in data:
            return data, addr
    raise AssertionError(f"no datagram with {marker!r} among {limit}")


def recv_marked_info(sock, marker, limit=200):
    """Like recv_marked, with recv_with_info."""
    for _ in range(limit):
        data, info = sock.recv_with_info()
        if marker in data:
            return data, info
    raise AssertionError(f"no datagram with {marker!r} among {limit}")
