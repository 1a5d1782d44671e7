"""The raw socket ``rcvall.socket.socket(AF_INET, SOCK_RAW, IPPROTO_IP)`` returns: the
Windows SIO_RCVALL socket, in the shape of a standard socket object, on rcvall's ring."""

import enum
import operator
import socket as _std
from typing import NamedTuple

from . import _errors
from ._rcvall import MAX_DATAGRAM, RawSocketCore

__all__ = ["RawSocket", "PacketInfo", "Direction", "PacketFlags"]

# Linux's IP_HDRINCL / IPV6_HDRINCL (IPv6's is not in every Python's socket module).
_IP_HDRINCL = getattr(_std, "IP_HDRINCL", 3)
_IPV6_HDRINCL = 36
_SOCK_TYPE_FLAGS = getattr(_std, "SOCK_NONBLOCK", 0) | getattr(_std, "SOCK_CLOEXEC", 0)


class Direction(enum.IntEnum):
    """Which way a datagram passed the interface (the kernel's packet type)."""

    HOST = 0  #: received, addressed to this host
    BROADCAST = 1  #: received, link-layer broadcast
    MULTICAST = 2  #: received, link-layer multicast
    OTHERHOST = 3  #: received, addressed to another host (seen with RCVALL_ON only)
    OUTGOING = 4  #: sent or forwarded out of the interface by this host


class PacketFlags(enum.IntFlag):
    """Facts about a datagram's bytes."""

    NONE = 0
    CHECKSUM_NOT_READY = 1  #: the NIC was to compute the checksum: the bytes hold a partial one
    GSO = 2  #: a GSO/GRO super-packet: several wire segments as one datagram
    TRUNCATED = 4  #: fewer bytes were kept than the datagram had


class PacketInfo(NamedTuple):
    """What the kernel tells about a datagram besides its bytes."""

    timestamp_ns: int  #: kernel receive/transmit time, ns since the Unix epoch
    direction: Direction
    ifindex: int  #: the interface's index
    original_len: int  #: the datagram's full length at the IP layer
    flags: PacketFlags


_DIRECTIONS = tuple(Direction(v) for v in range(5))
_FLAGS = tuple(PacketFlags(v) for v in range(8))


def _info(raw):
    ts, pkttype, ifindex, original_len, flags = raw
    return PacketInfo(ts, _DIRECTIONS[pkttype], ifindex, original_len, _FLAGS[flags])


def _address_family(family):
    try:
        return _std.AddressFamily(family)
    except ValueError:
        return family


class RawSocket(RawSocketCore):
    """An SIO_RCVALL raw socket (``AF_INET, SOCK_RAW, IPPROTO_IP`` or
    ``AF_INET6, SOCK_RAW, IPPROTO_IPV6``).

    As on Windows: ``bind`` to an address of the interface to capture, then
    ``ioctl(SIO_RCVALL, RCVALL_ON)`` (or ``RCVALL_IPLEVEL``); every IPv4 (IPv6) datagram of the
    interface, in and out, is then read with ``recv``/``recvfrom``, from its IP header (IPv6
    datagrams keep their IPv6 header, unlike Windows). Creating one needs CAP_NET_RAW.
    """

    def __new__(cls, family=_std.AF_INET, type=_std.SOCK_RAW, proto=0):
        return super().__new__(cls, family == _std.AF_INET6)

    def __init__(self, family=_std.AF_INET, type=_std.SOCK_RAW, proto=0):
        self._family = family
        self._type = type & ~_SOCK_TYPE_FLAGS
        self._proto = proto
        self._timeout = None
        if type & getattr(_std, "SOCK_NONBLOCK", 0):
            self.settimeout(0.0)
        elif _std.getdefaulttimeout() is not None:
            self.settimeout(_std.getdefaulttimeout())

    # -- the attributes of a socket object -------------------------------------------------

    @property
    def family(self):
        return _address_family(self._family)

    @property
    def type(self):
        return _std.SocketKind(self._type)

    @property
    def proto(self):
        return self._proto

    @property
    def timeout(self):
        return self._timeout

    def __repr__(self):
        closed = self.fileno() == -1
        where = ""
        if not closed:
            addr = self._local_addr()
            if addr is not None:
                where = f", laddr={addr[0]!r}"
        state = " [closed]" if closed else ""
        return (
            f"<rcvall.socket.socket{state} fd={self.fileno()}, family={self.family!r}, "
            f"type={self.type!r}, proto={self.proto}{where}>"
        )

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __getstate__(self):
        raise TypeError(f"cannot pickle {type(self).__name__!r} object")

    # -- addresses ---------------------------------------------------------------------------

    def _resolve(self, host):
        """An IP address string for ``host`` (a literal, '' for any, or a name)."""
        if host == "":
            return "::" if self._family == _std.AF_INET6 else "0.0.0.0"
        for family in (_std.AF_INET, _std.AF_INET6):
            try:
                _std.inet_pton(family, host)
                return host
            except OSError:
                pass
        infos = _std.getaddrinfo(host, None, self._family, _std.SOCK_RAW)
        return infos[0][4][0]

    def bind(self, address):
        """Binds to a local address, ``(host, port[, flowinfo, scope_id])``: the interface
        holding it is the one SIO_RCVALL captures. The port is ignored (raw sockets have none).
        An address of the other family: WSAEAFNOSUPPORT; one no interface holds:
        WSAEADDRNOTAVAIL; while capturing: WSAEINVAL (set RCVALL_OFF first)."""
        if not isinstance(address, tuple) or not 2 <= len(address) <= 4:
            raise TypeError(
                "bind(): the address must be a tuple (host, port[, flowinfo, scope_id])"
            )
        host, port = address[0], address[1]
        flowinfo = address[2] if len(address) > 2 else 0
        scope_id = address[3] if len(address) > 3 else 0
        if isinstance(host, (bytes, bytearray)):
            host = host.decode("ascii")
        if not isinstance(host, str):
            raise TypeError(f"bind(): host must be a str, not {type(host).__name__}")
        if not isinstance(port, int) or not 0 <= port <= 0xFFFF:
            raise OverflowError("bind(): port must be 0-65535.")
        if "%" in host:
            # fe80::1%eth0: the scope as a name or an index.
            host, scope = host.split("%", 1)
            scope_id = int(scope) if scope.isdigit() else _std.if_nametoindex(scope)
        self._bind(self._resolve(host), port, flowinfo, scope_id)

    def getsockname(self):
        """The bound address: ``(ip, port)`` or ``(ip, port, flowinfo, scope_id)``.
        Unbound: WSAEINVAL, as on Windows."""
        addr = self._local_addr()
        if addr is None:
            raise _errors.error(10022, "the socket is not bound: bind it first")
        ip, port, flowinfo, scope_id = addr
        if self._family == _std.AF_INET6:
            return (ip, port, flowinfo, scope_id)
        return (ip, port)

    def getpeername(self):
        raise _errors.error(10022, "a raw SIO_RCVALL socket has no peer (WSAENOTCONN)")

    @property
    def interface(self):
        """``(name, index)`` of the interface the bound address belongs to, or None."""
        return self._interface()

    # -- options and control codes --------------------------------------------------------

    def setsockopt(self, level, optname, value, optlen=None):
        """``IP_HDRINCL`` (IPPROTO_IP) and ``IPV6_HDRINCL`` (IPPROTO_IPV6) are accepted: the
        headers are always included. Other options: WSAENOPROTOOPT."""
        if (level, optname) in (
            (_std.IPPROTO_IP, _IP_HDRINCL),
            (_std.IPPROTO_IPV6, _IPV6_HDRINCL),
        ):
            return None
        raise _errors.error(
            10042,
            f"option (level {level}, name {optname}) is not supported by an SIO_RCVALL "
            "socket; IP_HDRINCL is accepted (headers are always included)",
        )

    def getsockopt(self, level, optname, buflen=None):
        """``IP_HDRINCL``/``IPV6_HDRINCL`` read 1 and ``SO_TYPE`` SOCK_RAW; others:
        WSAENOPROTOOPT."""
        if (level, optname) in (
            (_std.IPPROTO_IP, _IP_HDRINCL),
            (_std.IPPROTO_IPV6, _IPV6_HDRINCL),
        ):
            value = 1
        elif (level, optname) == (_std.SOL_SOCKET, _std.SO_TYPE):
            value = _std.SOCK_RAW
        else:
            raise _errors.error(
                10042, f"option (level {level}, name {optname}) is not supported"
            )
        return value if buflen is None else value.to_bytes(4, "little")[:buflen]

    def ioctl(self, control, option):
        """``WSAIoctl``: ``ioctl(SIO_RCVALL, RCVALL_ON)``. ``option`` is an int (sent as a
        DWORD, as Windows' Python does) or raw input bytes. Returns 0 (bytes returned)."""
        if isinstance(option, (bytes, bytearray, memoryview)):
            data = bytes(option)
        else:
            # As Windows' Python parses it ("I"): any integer, masked to 32 bits.
            data = (operator.index(option) & 0xFFFFFFFF).to_bytes(4, "little")
        self._ioctl(operator.index(control) & 0xFFFFFFFF, data)
        return 0

    # -- timeouts ----------------------------------------------------------------------------

    def settimeout(self, value):
        """None: block; 0: non-blocking (BlockingIOError); t > 0: socket.timeout after t s."""
        if value is not None:
            value = float(value)
            if value != value:
                raise ValueError("Invalid value NaN (not a number)")
            if value < 0.0:
                raise ValueError("Timeout value out of range")
        self._set_timeout(value)
        self._timeout = value

    def gettimeout(self):
        return self._timeout

    def setblocking(self, flag):
        self.settimeout(None if flag else 0.0)

    def getblocking(self):
        return self._timeout != 0.0

    # -- receiving (recv, recvfrom and recv_batch are the Rust core's) ---------------------

    def recv_into(self, buffer, nbytes=0, flags=0):
        """Receives into ``buffer``; a datagram longer than ``nbytes`` (default: the buffer)
        fills it, the rest is discarded, and WSAEMSGSIZE is raised."""
        n, _ = self._recv_into(buffer, nbytes, flags)
        return n

    def recvfrom_into(self, buffer, nbytes=0, flags=0):
        """Like ``recv_into``; returns ``(nbytes, (src, 0))``."""
        return self._recv_into(buffer, nbytes, flags)

    def _recv_into(self, buffer, nbytes, flags):
        view = memoryview(buffer)
        if view.readonly:
            raise TypeError("recv_into() argument 'buffer' must be a writable buffer")
        view = view.cast("B")
        if nbytes < 0:
            raise ValueError("negative buffersize in recv_into")
        if nbytes == 0:
            nbytes = len(view)
        if nbytes > len(view):
            raise ValueError("buffer too small for requested bytes")
        data, src, too_long = self._recv_parts(nbytes, flags)
        view[: len(data)] = data
        if too_long is not None:
            raise too_long
        return len(data), src

    def recv_with_info(self, bufsize=MAX_DATAGRAM):
        """``(bytes, PacketInfo)``: the next datagram with its timestamp (ns), direction,
        interface index, original length and flags."""
        data, raw = self._recv_with_info(bufsize)
        return data, _info(raw)

    def recv_batch_with_info(self, max_datagrams=1024):
        """Like ``recv_batch`` (at most ``max_datagrams``, and at most about 64 KiB: the rest
        stays queued), as a list of ``(bytes, PacketInfo)``."""
        return [(data, _info(raw)) for data, raw in self._recv_batch_with_info(max_datagrams)]

    # -- what a receive-only socket does not do ---------------------------------------------

    def _receive_only(self, *args, **kwargs):
        raise _errors.error(
            10045, "an SIO_RCVALL socket only receives: send with a standard socket"
        )

    send = sendto = sendall = sendmsg = _receive_only
    connect = connect_ex = listen = accept = _receive_only

    def shutdown(self, how):
        raise _errors.error(10045, "an SIO_RCVALL socket has no connection to shut down")

    def detach(self):
        raise _errors.error(
            10045, "the descriptor belongs to the rcvall ring: it cannot be detached"
        )
