"""The drop-in module itself: names, constants, errors, and standard sockets falling through.
None of these needs privileges."""

import pickle
import socket as std

import pytest

import rcvall
from rcvall import socket


def test_every_name_of_the_standard_module_is_there():
    missing = [name for name in dir(std) if not hasattr(socket, name)]
    assert missing == []
    assert socket.AF_INET == std.AF_INET and socket.SOCK_RAW == std.SOCK_RAW
    assert socket.gethostname is std.gethostname
    assert socket.timeout is std.timeout and socket.error is OSError


def test_windows_constants_have_windows_values():
    assert socket.SIO_RCVALL == 0x98000001
    assert socket.SIO_RCVALL_MCAST == 0x98000002
    assert socket.SIO_RCVALL_IGMPMCAST == 0x98000003
    assert (socket.RCVALL_OFF, socket.RCVALL_ON, socket.RCVALL_SOCKETLEVELONLY,
            socket.RCVALL_IPLEVEL, socket.RCVALL_MAX) == (0, 1, 2, 3, 3)
    for name in ("SIO_RCVALL", "RCVALL_ON", "RCVALL_OFF", "RCVALL_IPLEVEL"):
        assert name in socket.__all__


def test_plain_dgram_socket_is_a_working_standard_socket():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b:
        assert isinstance(a, std.socket)
        assert not isinstance(a, rcvall.RawSocket)
        a.bind(("127.0.0.1", 0))
        b.settimeout(5)
        b.sendto(b"plain", a.getsockname())
        a.settimeout(5)
        data, addr = a.recvfrom(100)
        assert data == b"plain" and addr[1] == b.getsockname()[1]


def test_tcp_and_socketpair_stay_standard():
    with socket.socket() as s:
        assert s.family == std.AF_INET and s.type == std.SOCK_STREAM
        assert isinstance(s, std.socket)
    x, y = socket.socketpair()
    with x, y:
        x.sendall(b"hi")
        assert y.recv(2) == b"hi"


@pytest.mark.parametrize("family,type_,proto", [
    (std.AF_INET, std.SOCK_RAW, std.IPPROTO_UDP),
    (std.AF_INET6, std.SOCK_RAW, std.IPPROTO_IP),
    (std.AF_INET, std.SOCK_DGRAM, 0),
    (std.AF_UNIX, std.SOCK_STREAM, 0),
])
def test_other_combinations_reach_the_standard_constructor(family, type_, proto):
    try:
        s = socket.socket(family, type_, proto)
    except OSError as e:
        # Only a standard socket can fail this way (e.g. no CAP_NET_RAW for a real raw socket).
        assert not isinstance(e, rcvall.RcvallError)
    else:
        with s:
            assert isinstance(s, std.socket) and not isinstance(s, rcvall.RawSocket)


def test_errors_are_oserrors_with_winerror_errno_and_message():
    from rcvall import _errors

    e = _errors.error(10022, "bind the socket first")
    assert isinstance(e, OSError) and isinstance(e, rcvall.RcvallError)
    assert (e.winerror, e.errno, e.strerror) == (10022, 22, "bind the socket first")
    assert e.wsa_name == "WSAEINVAL"
    assert str(e) == "[WinError 10022] WSAEINVAL: bind the socket first"
    assert isinstance(_errors.error(10060, "t"), std.timeout)
    assert isinstance(_errors.error(10035, "w"), BlockingIOError)
    assert isinstance(_errors.error(10013, "p", errno=1), PermissionError)
    assert _errors.error(10013, "p", errno=1).errno == 1
    again = pickle.loads(pickle.dumps(_errors.error(10040, "m", datagram_len=99)))
    assert (type(again), again.winerror, again.datagram_len) == (
        rcvall.MessageSizeError, 10040, 99)
