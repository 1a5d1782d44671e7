"""SIO_RCVALL's modes on a hub: ON sees other hosts' traffic, IPLEVEL does not, OFF releases
promiscuity."""

import pytest

import lab
from rcvall import Direction, socket

pytestmark = pytest.mark.lab


def send_all(hub, marker):
    """a→b (another host's traffic, seen by c only when promiscuous) and a→c (c's own)."""
    with lab.sink(hub.b) as sb, lab.sink(hub.c) as sc, hub.a.udp() as tx:
        tx.sendto(marker + b" to b", (hub.b.v4, 9))
        tx.sendto(marker + b" to c", (hub.c.v4, 9))
        tx.sendto(marker + b" end", (hub.c.v4, 9))
        # Received by the sinks: both frames crossed the hub before the capture is read.
        sb.settimeout(5)
        sc.settimeout(5)
        sb.recv(100)
        sc.recv(100)
        sc.recv(100)


def seen(capture, marker):
    """The payload tails of the marked datagrams, up to the end marker, with direction."""
    out = []
    while True:
        data, info = capture.recv_with_info()
        if marker not in data:
            continue
        tail = data[data.index(marker) + len(marker):]
        if tail == b" end":
            return out
        out.append((tail, info.direction))


def test_on_sees_other_hosts_traffic_and_iplevel_does_not(hub):
    c = hub.c
    with lab.capture(c, mode=socket.RCVALL_ON) as cap:
        assert c.ns.promiscuity("rcvt0") == 1
        send_all(hub, b"on")
        assert seen(cap, b"on") == [(b" to b", Direction.OTHERHOST), (b" to c", Direction.HOST)]

        # ON -> IPLEVEL directly: promiscuity released, foreign traffic gone.
        cap.ioctl(socket.SIO_RCVALL, socket.RCVALL_IPLEVEL)
        assert c.ns.promiscuity("rcvt0") == 0
        send_all(hub, b"iplevel")
        assert seen(cap, b"iplevel") == [(b" to c", Direction.HOST)]


def test_iplevel_skips_other_hosts_even_on_a_promiscuous_nic(hub):
    c = hub.c
    c.ns.ip("link", "set", "rcvt0", "promisc", "on")
    with lab.capture(c, mode=socket.RCVALL_IPLEVEL) as cap:
        send_all(hub, b"forced")
        assert seen(cap, b"forced") == [(b" to c", Direction.HOST)]


def test_rcvall_off_releases_promiscuity_and_stops_delivery(hub):
    c = hub.c
    with lab.capture(c, mode=socket.RCVALL_ON, timeout=0.3) as cap:
        assert c.ns.promiscuity("rcvt0") == 1
        cap.ioctl(socket.SIO_RCVALL, socket.RCVALL_OFF)
        assert c.ns.promiscuity("rcvt0") == 0
        send_all(hub, b"off")
        with pytest.raises(socket.timeout):
            cap.recv(65535)
        # After OFF, ON again works on the same socket.
        cap.settimeout(5)
        cap.ioctl(socket.SIO_RCVALL, socket.RCVALL_ON)
        assert c.ns.promiscuity("rcvt0") == 1
        send_all(hub, b"again")
        assert seen(cap, b"again")[0] == (b" to b", Direction.OTHERHOST)
    # Closing releases it too.
    assert c.ns.promiscuity("rcvt0") == 0


def test_close_releases_promiscuity(hub):
    c = hub.c
    cap = lab.capture(c, mode=socket.RCVALL_ON)
    assert c.ns.promiscuity("rcvt0") == 1
    cap.close()
    assert c.ns.promiscuity("rcvt0") == 0
