"""Receiving: recv_into's WSAEMSGSIZE, timeouts, non-blocking mode, readiness for selectors
and asyncio, the GIL, signals, and the calls beyond Windows (recv_with_info, recv_batch)."""

import asyncio
import select
import selectors
import signal
import subprocess
import sys
import threading
import time

import pytest

import lab
from rcvall import Direction, PacketFlags, PacketInfo, socket

pytestmark = pytest.mark.lab


def send(pair, *payloads, v6=False):
    a, b = pair.a, pair.b
    with b.udp(v6) as tx:
        for p in payloads:
            tx.sendto(p, (a.v6 if v6 else a.v4, 9))


def test_recv_into_short_buffer_copies_the_leading_bytes_and_discards_the_rest(pair):
    with lab.capture(pair.a) as s, lab.sink(pair.a):
        first = bytes(range(100))
        send(pair, first, b"second")
        buf = bytearray(40)
        with pytest.raises(OSError) as ei:
            s.recv_into(buf)
        assert ei.value.winerror == 10040 and ei.value.datagram_len == 128
        assert buf[28:] == first[:12]  # IPv4 (20) + UDP (8) headers, then the payload
        assert buf[:1] == b"\x45"
        # The rest of the first datagram is gone: the next read is the second one.
        data = s.recv(65535)
        assert data[28:] == b"second"


def test_recv_into_with_nbytes_and_recvfrom_into(pair):
    with lab.capture(pair.a) as s, lab.sink(pair.a):
        send(pair, b"abc", b"defg")
        buf = bytearray(100)
        assert s.recv_into(buf, 50) == 31 and buf[28:31] == b"abc"
        n, addr = s.recvfrom_into(memoryview(buf))
        assert n == 32 and buf[28:32] == b"defg" and addr == (pair.b.v4, 0)
        with pytest.raises(ValueError):
            s.recv_into(bytearray(10), 20)
        with pytest.raises(TypeError):
            s.recv_into(b"read-only")


def test_recvfrom_returns_bytes_and_the_source_with_port_0(pair):
    with lab.capture(pair.a) as s, lab.sink(pair.a):
        send(pair, b"from b")
        data, addr = s.recvfrom(65535)
        assert isinstance(data, bytes) and data[28:] == b"from b"
        assert addr == (pair.b.v4, 0)


def test_ipv6_datagrams_keep_their_header(pair):
    with lab.capture(pair.a, v6=True) as s, lab.sink(pair.a, v6=True):
        send(pair, b"six", v6=True)
        data, addr = lab.recv_marked(s, b"six")
        assert data[0] >> 4 == 6 and data[6] == 17  # version 6, next header UDP
        assert socket.inet_ntop(socket.AF_INET6, data[8:24]) == pair.b.v6
        assert addr == (pair.b.v6, 0, 0, 0)
        assert s.getsockname() == (pair.a.v6, 0, 0, 0)


def test_timeout_and_nonblocking_modes(pair):
    with lab.capture(pair.a) as s, lab.sink(pair.a):
        assert s.gettimeout() == 5.0 and s.getblocking()
        s.settimeout(0.15)
        start = time.monotonic()
        with pytest.raises(socket.timeout):
            s.recv(65535)
        assert 0.14 <= time.monotonic() - start < 1.0
        s.setblocking(False)
        assert s.gettimeout() == 0.0 and not s.getblocking()
        with pytest.raises(BlockingIOError):
            s.recv(65535)
        send(pair, b"now")
        assert lab.wait_until(lambda: select.select([s], [], [], 0)[0])
        assert s.recv(65535)[28:] == b"now"
        s.setblocking(True)
        assert s.gettimeout() is None
        with pytest.raises(ValueError):
            s.settimeout(-1)


def test_default_timeout_and_sock_nonblock_apply(pair):
    socket.setdefaulttimeout(0.1)
    try:
        with pair.a.ns.entered():
            s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_IP)
        with s:
            assert s.gettimeout() == 0.1
    finally:
        socket.setdefaulttimeout(None)
    with pair.a.ns.entered():
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW | socket.SOCK_NONBLOCK, 0)
    with s:
        assert s.gettimeout() == 0.0 and s.type == socket.SOCK_RAW


def test_fileno_is_readable_exactly_when_a_datagram_is_queued(pair):
    with lab.capture(pair.a) as s, lab.sink(pair.a):
        sel = selectors.DefaultSelector()
        sel.register(s, selectors.EVENT_READ)
        assert sel.select(0.1) == []
        send(pair, b"one", b"two")
        events = sel.select(2)
        assert [key.fileobj for key, _ in events] == [s]
        assert s.recv(65535)[28:] == b"one"
        # One datagram left: still readable.
        assert sel.select(0) != []
        assert s.recv(65535)[28:] == b"two"
        # Nothing left: not readable (no spurious wake-up).
        assert sel.select(0.1) == []
        s.setblocking(False)
        with pytest.raises(BlockingIOError):
            s.recv(65535)
        sel.close()


def test_asyncio_add_reader_and_sock_recv(pair):
    async def main(s):
        loop = asyncio.get_running_loop()
        got = loop.create_future()

        def readable():
            try:
                while True:
                    data = s.recv(65535)
                    if b"async" in data and not got.done():
                        got.set_result(data)
            except BlockingIOError:
                pass

        loop.add_reader(s.fileno(), readable)
        try:
            await asyncio.sleep(0.05)
            send(pair, b"async")
            data = await asyncio.wait_for(got, 5)
        finally:
            loop.remove_reader(s.fileno())
        send(pair, b"sock_recv")
        data2 = await asyncio.wait_for(loop.sock_recv(s, 65535), 5)
        return data, data2

    with lab.capture(pair.a) as s, lab.sink(pair.a):
        s.setblocking(False)
        data, data2 = asyncio.run(main(s))
        assert data[28:] == b"async" and data2[28:] == b"sock_recv"


def test_the_gil_is_released_while_waiting(pair):
    with lab.capture(pair.a, timeout=0.6) as s:
        t = threading.Thread(target=lambda: pytest.raises(socket.timeout, s.recv, 65535))
        t.start()
        time.sleep(0.05)
        spins = 0
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline:
            spins += 1
        t.join(5)
        # Held GIL: the loop would get at most a switch interval's worth (5 ms) in 0.3 s.
        assert spins > 100_000


def test_ctrl_c_ends_a_blocking_recvfrom_with_keyboardinterrupt(pair, tmp_path):
    program = tmp_path / "wait.py"
    program.write_text(
        "import signal, sys\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from rcvall import socket\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_IP)\n"
        f"s.bind(({pair.a.v4!r}, 0))\n"
        "s.ioctl(socket.SIO_RCVALL, socket.RCVALL_ON)\n"
        "print('ready', flush=True)\n"
        "try:\n"
        "    s.recvfrom(65535)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', flush=True)\n")
    p = subprocess.Popen(["ip", "netns", "exec", pair.a.ns.name, sys.executable, str(program)],
                         stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == "ready\n"
        time.sleep(0.1)
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=5)
        assert out == "interrupted\n" and p.returncode == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_recv_with_info(pair):
    with lab.capture(pair.a) as s, lab.sink(pair.a):
        before = time.time_ns()
        send(pair, b"info in")
        data, info = s.recv_with_info()
        assert isinstance(info, PacketInfo)
        assert data[28:] == b"info in"
        assert info.direction == Direction.HOST
        assert info.ifindex == pair.a.ns.ifindex("rcvt0")
        assert info.original_len == len(data) == 35
        # veth hands b's checksum-offloaded datagram over unfinished (CHECKSUM_PARTIAL).
        assert info.flags == PacketFlags.CHECKSUM_NOT_READY
        pair.b.ns.exec("ethtool", "-K", "rcvt0", "tx", "off")
        send(pair, b"summed")
        data, info = lab.recv_marked_info(s, b"summed")
        assert info.flags == PacketFlags.NONE
        assert before - 10**9 < info.timestamp_ns < time.time_ns() + 10**9
        with pair.a.udp() as tx:
            tx.sendto(b"info out", (pair.b.v4, 9))
        data, info = lab.recv_marked_info(s, b"info out")
        assert info.direction == Direction.OUTGOING


def test_recv_batch_returns_every_queued_datagram_in_order(pair):
    with lab.capture(pair.a) as s, lab.sink(pair.a):
        payloads = [b"batch %03d" % i for i in range(50)]
        send(pair, *payloads)
        got = []
        while len(got) < 50:
            got += [d[28:] for d in s.recv_batch()]
        assert got == payloads
        s.setblocking(False)
        with pytest.raises(BlockingIOError):
            s.recv_batch()
        send(pair, b"x1", b"x2", b"x3")
        s.settimeout(5)
        first = s.recv_batch(2)
        assert len(first) <= 2
        rest = []
        while len(first) + len(rest) < 3:
            rest += s.recv_batch_with_info(10)
        assert [d[28:] for d in first] + [d[28:] for d, _ in rest] == [b"x1", b"x2", b"x3"]
        assert all(isinstance(i, PacketInfo) for _, i in rest)


def test_recv_batch_stops_at_64_kib_and_leaves_the_rest_queued(pair):
    with lab.capture(pair.a) as s, lab.sink(pair.a):
        payloads = [bytes([i]) * 1400 for i in range(100)]
        send(pair, *payloads)
        time.sleep(0.05)  # all 100 in the ring (the block retires after 4 ms)
        first = s.recv_batch(1024)
        total = sum(len(d) for d in first)
        assert 64 * 1024 <= total < 64 * 1024 + 1428
        got = list(first)
        while len(got) < 100:
            got += s.recv_batch(1024)
        assert [d[28:] for d in got] == payloads
