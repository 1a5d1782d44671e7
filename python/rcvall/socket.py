"""A drop-in for the standard :mod:`socket` module that brings Windows' SIO_RCVALL to Linux.

``from rcvall import socket`` gives everything the standard module has, plus ``SIO_RCVALL``,
the ``RCVALL_*`` values and the two MCAST control codes. ``socket.socket(AF_INET, SOCK_RAW,
IPPROTO_IP)`` and ``socket.socket(AF_INET6, SOCK_RAW, IPPROTO_IPV6)`` return an rcvall raw socket
(:class:`rcvall.RawSocket`); every other family, type and protocol is a standard socket.
"""

import socket as _std

# Everything of the standard module, private helpers included, so that code reaching for
# socket._GLOBAL_DEFAULT_TIMEOUT or the like keeps working.
globals().update({k: v for k, v in vars(_std).items() if not k.startswith("__")})

from . import _rcvall  # noqa: E402
from ._errors import RcvallError  # noqa: E402
from ._raw import RawSocket  # noqa: E402

# Windows' mstcpip.h values (Windows' Python has these in its socket module).
SIO_RCVALL = _rcvall.SIO_RCVALL
SIO_RCVALL_MCAST = _rcvall.SIO_RCVALL_MCAST
SIO_RCVALL_IGMPMCAST = _rcvall.SIO_RCVALL_IGMPMCAST
RCVALL_OFF = _rcvall.RCVALL_OFF
RCVALL_ON = _rcvall.RCVALL_ON
RCVALL_SOCKETLEVELONLY = _rcvall.RCVALL_SOCKETLEVELONLY
RCVALL_IPLEVEL = _rcvall.RCVALL_IPLEVEL
RCVALL_MAX = _rcvall.RCVALL_MAX

__all__ = list(getattr(_std, "__all__", [])) + [
    "SIO_RCVALL",
    "SIO_RCVALL_MCAST",
    "SIO_RCVALL_IGMPMCAST",
    "RCVALL_OFF",
    "RCVALL_ON",
    "RCVALL_SOCKETLEVELONLY",
    "RCVALL_IPLEVEL",
    "RCVALL_MAX",
    "RawSocket",
    "RcvallError",
]

_SOCK_TYPE_FLAGS = getattr(_std, "SOCK_NONBLOCK", 0) | getattr(_std, "SOCK_CLOEXEC", 0)


def _is_rcvall(family, type, proto):
    """Windows' SIO_RCVALL sockets: (AF_INET, SOCK_RAW, IPPROTO_IP) and
    (AF_INET6, SOCK_RAW, IPPROTO_IPV6); -1 means the default, as in socket.socket()."""
    if family == -1:
        family = _std.AF_INET
    if type == -1 or (type & ~_SOCK_TYPE_FLAGS) != _std.SOCK_RAW:
        return False
    if proto == -1:
        proto = 0
    if family == _std.AF_INET:
        return proto == _std.IPPROTO_IP
    if family == _std.AF_INET6:
        return proto == _std.IPPROTO_IPV6
    return False


class socket(_std.socket):
    """``socket.socket``: an rcvall raw socket for Windows' SIO_RCVALL combinations, a
    standard socket (of this subclass of the standard class) for everything else."""

    __slots__ = ()

    def __new__(cls, family=-1, type=-1, proto=-1, fileno=None):
        if fileno is None and _is_rcvall(family, type, proto):
            return RawSocket(family, type, proto)
        return super().__new__(cls, family, type, proto, fileno)


SocketType = socket
