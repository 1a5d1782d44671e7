"""rcvall: Windows' SIO_RCVALL raw-socket sniffer on Linux, on rcvall's TPACKET_V3 ring.

``from rcvall import socket`` is a drop-in for the standard ``socket`` module: a program
written for Windows' ``s.ioctl(socket.SIO_RCVALL, socket.RCVALL_ON)`` runs with that one
import line changed. Beyond Windows: ``recv_with_info()`` and ``recv_batch()``.
"""

from . import socket
from ._errors import (
    AccessDeniedError,
    MessageSizeError,
    OperationAbortedError,
    RcvallError,
    ReceiveTimeoutError,
    WouldBlockError,
)
from ._raw import Direction, PacketFlags, PacketInfo, RawSocket

__version__ = "0.1.0"

__all__ = [
    "socket",
    "RawSocket",
    "PacketInfo",
    "Direction",
    "PacketFlags",
    "RcvallError",
    "AccessDeniedError",
    "WouldBlockError",
    "ReceiveTimeoutError",
    "MessageSizeError",
    "OperationAbortedError",
]
