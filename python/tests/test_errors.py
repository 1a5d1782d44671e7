"""Every error row of SPEC §2, raised as OSError with the Winsock code Windows gives."""

import errno
import threading
import time

import pytest

import lab
import rcvall
from rcvall import socket

pytestmark = pytest.mark.lab


def raw(host, v6=False):
    with host.ns.entered():
        if v6:
            return socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_IPV6)
        return socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_IP)


def check(excinfo, winerror, errno_=None):
    e = excinfo.value
    assert isinstance(e, OSError) and isinstance(e, rcvall.RcvallError)
    assert e.winerror == winerror, e
    if errno_ is not None:
        assert e.errno == errno_, e
    assert e.strerror and str(e).startswith(f"[WinError {winerror}]")
    return e


@pytest.mark.parametrize("v6", [False, True])
def test_bind_to_the_other_family_is_wsaeafnosupport(pair, v6):
    with raw(pair.a, v6) as s, pytest.raises(OSError) as ei:
        s.bind((pair.a.v4 if v6 else pair.a.v6, 0))
    check(ei, 10047, errno.EAFNOSUPPORT)


@pytest.mark.parametrize("v6", [False, True])
def test_bind_to_an_address_no_interface_holds_is_wsaeaddrnotavail(pair, v6):
    with raw(pair.a, v6) as s, pytest.raises(OSError) as ei:
        s.bind(("2001:db8:1::99" if v6 else "198.18.1.99", 0))
    check(ei, 10049, errno.EADDRNOTAVAIL)


@pytest.mark.parametrize("v6", [False, True])
def test_unspecified_address_binds_but_sio_rcvall_is_wsaeinval(pair, v6):
    with raw(pair.a, v6) as s:
        s.bind(("::" if v6 else "0.0.0.0", 0))
        assert s.getsockname()[0] == ("::" if v6 else "0.0.0.0")
        with pytest.raises(OSError) as ei:
            s.ioctl(socket.SIO_RCVALL, socket.RCVALL_ON)
        check(ei, 10022, errno.EINVAL)


def test_unknown_control_code_is_wsaeinval(pair):
    with lab.capture(pair.a, mode=False) as s, pytest.raises(OSError) as ei:
        s.ioctl(0x98000099, socket.RCVALL_ON)
    check(ei, 10022)


@pytest.mark.parametrize("code", [socket.SIO_RCVALL_MCAST, socket.SIO_RCVALL_IGMPMCAST])
def test_mcast_control_codes_are_wsaeopnotsupp(pair, code):
    with lab.capture(pair.a, mode=False) as s, pytest.raises(OSError) as ei:
        s.ioctl(code, socket.RCVALL_ON)
    check(ei, 10045, errno.EOPNOTSUPP)


@pytest.mark.parametrize("option", [4, 0xFFFFFFFF, -1, b""])
def test_bad_rcvall_values_are_wsaeinval(pair, option):
    with lab.capture(pair.a, mode=False) as s, pytest.raises(OSError) as ei:
        s.ioctl(socket.SIO_RCVALL, option)
    check(ei, 10022)


def test_input_bytes_are_read_little_endian(pair):
    with lab.capture(pair.a, mode=False) as s:
        s.ioctl(socket.SIO_RCVALL, b"\x01")
        assert pair.a.ns.promiscuity("rcvt0") == 1
        s.ioctl(socket.SIO_RCVALL, b"\x00\x00\x00\x00")
        assert pair.a.ns.promiscuity("rcvt0") == 0


def test_sio_rcvall_on_an_unbound_socket_is_wsaeinval(pair):
    with raw(pair.a) as s, pytest.raises(OSError) as ei:
        s.ioctl(socket.SIO_RCVALL, socket.RCVALL_ON)
    check(ei, 10022)


def test_socketlevelonly_is_accepted_and_changes_nothing(pair):
    with lab.capture(pair.a, mode=False) as s:
        assert s.ioctl(socket.SIO_RCVALL, socket.RCVALL_SOCKETLEVELONLY) == 0
        assert pair.a.ns.promiscuity("rcvt0") == 0


def test_sio_rcvall_after_the_interface_is_gone_is_wsaeinval(pair):
    with lab.capture(pair.a, mode=False) as s:
        pair.a.ns.ip("link", "del", "rcvt0")
        with pytest.raises(OSError) as ei:
            s.ioctl(socket.SIO_RCVALL, socket.RCVALL_ON)
        check(ei, 10022)


def test_rebinding_while_on_is_wsaeinval_and_works_after_off(pair):
    a = pair.a
    a.ns.ip("addr", "add", "198.18.1.11/24", "dev", "rcvt0")
    with lab.capture(a) as s:
        with pytest.raises(OSError) as ei:
            s.bind(("198.18.1.11", 0))
        check(ei, 10022)
        s.ioctl(socket.SIO_RCVALL, socket.RCVALL_OFF)
        s.bind(("198.18.1.11", 0))
        s.ioctl(socket.SIO_RCVALL, socket.RCVALL_ON)
        assert s.getsockname() == ("198.18.1.11", 0)


def test_recv_on_an_unbound_socket_is_wsaeinval(pair):
    with raw(pair.a) as s, pytest.raises(OSError) as ei:
        s.recv(65535)
    check(ei, 10022)


def test_recv_too_small_is_wsaemsgsize(pair):
    with lab.capture(pair.a) as s, lab.sink(pair.a), pair.b.udp() as tx:
        tx.sendto(b"x" * 100, (pair.a.v4, 9))
        with pytest.raises(OSError) as ei:
            s.recv(20)
        e = check(ei, 10040, errno.EMSGSIZE)
        assert e.datagram_len == 128  # 20 + 8 + 100


def test_nonblocking_recv_is_wsaewouldblock(pair):
    with lab.capture(pair.a) as s:
        s.setblocking(False)
        with pytest.raises(BlockingIOError) as ei:
            s.recv(65535)
        check(ei, 10035, errno.EWOULDBLOCK)


def test_read_timeout_is_wsaetimedout(pair):
    with lab.capture(pair.a, timeout=0.2) as s, pytest.raises(socket.timeout) as ei:
        s.recv(65535)
    check(ei, 10060)


def test_close_while_another_thread_waits_is_wsa_operation_aborted(pair):
    s = lab.capture(pair.a, timeout=None)
    caught = []

    def wait():
        try:
            s.recv(65535)
        except OSError as e:
            caught.append((e, time.monotonic()))

    t = threading.Thread(target=wait)
    t.start()
    time.sleep(0.2)
    closed_at = time.monotonic()
    s.close()
    t.join(5)
    assert not t.is_alive()
    (e, at), = caught
    assert e.winerror == 995 and isinstance(e, rcvall.OperationAbortedError)
    assert at - closed_at < 0.1


def test_interface_removed_mid_capture_delivers_queued_then_wsaenetdown(pair):
    with lab.capture(pair.a) as s, lab.sink(pair.a), pair.b.udp() as tx:
        for i in range(5):
            tx.sendto(b"queued %d" % i, (pair.a.v4, 9))
        time.sleep(0.05)
        pair.a.ns.ip("link", "del", "rcvt0")
        got = []
        with pytest.raises(OSError) as ei:
            for _ in range(100):
                data = s.recv(65535)
                if b"queued" in data:
                    got.append(data[28:])
        check(ei, 10050, errno.ENETDOWN)
        assert got == [b"queued %d" % i for i in range(5)]


def test_calls_on_a_closed_socket_are_wsaenotsock(pair):
    s = lab.capture(pair.a)
    s.close()
    assert s.fileno() == -1
    for call in (lambda: s.recv(10), lambda: s.bind((pair.a.v4, 0)),
                 lambda: s.ioctl(socket.SIO_RCVALL, 1)):
        with pytest.raises(OSError) as ei:
            call()
        check(ei, 10038, errno.EBADF)
    s.close()  # closing twice is fine, as with a standard socket


def test_unsupported_options_and_flags(pair):
    with lab.capture(pair.a) as s:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
        assert s.getsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL) == 1
        with pytest.raises(OSError) as ei:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        check(ei, 10042)
        with pytest.raises(ValueError):
            s.recv(-1)
        with pytest.raises(TypeError):
            s.ioctl(socket.SIO_RCVALL, "1")
        with pytest.raises(OSError) as ei:
            s.recv(100, socket.MSG_PEEK)
        check(ei, 10045)
        with pytest.raises(OSError) as ei:
            s.sendto(b"x", (pair.b.v4, 0))
        check(ei, 10045)
