"""rcvall's errors as Python exceptions.

Every error is an :class:`RcvallError`, an ``OSError`` whose ``winerror`` is the Winsock code
Windows would report (10022, 10040, 10013 ...), whose ``errno`` is the Linux errno of the
system call that failed, or where none failed, the Linux errno of the same meaning, and whose
``strerror`` is the rcvall library's message (what happened and what to do). Timeouts are also
``socket.timeout``, non-blocking misses ``BlockingIOError`` and a missing capability
``PermissionError``, so code written for the standard socket module catches them as usual.
"""

import errno as _errno
import socket as _std

__all__ = [
    "RcvallError",
    "WSA_NAMES",
    "AccessDeniedError",
    "WouldBlockError",
    "ReceiveTimeoutError",
    "MessageSizeError",
    "OperationAbortedError",
    "InterruptedReceiveError",
]

# Winsock code -> (name, Linux errno of the same meaning).
_CODES = {
    995: ("WSA_OPERATION_ABORTED", _errno.ECANCELED),
    996: ("WSA_IO_INCOMPLETE", _errno.EINPROGRESS),
    997: ("WSA_IO_PENDING", _errno.EINPROGRESS),
    10004: ("WSAEINTR", _errno.EINTR),
    10013: ("WSAEACCES", _errno.EACCES),
    10014: ("WSAEFAULT", _errno.EFAULT),
    10022: ("WSAEINVAL", _errno.EINVAL),
    10035: ("WSAEWOULDBLOCK", _errno.EWOULDBLOCK),
    10036: ("WSAEINPROGRESS", _errno.EINPROGRESS),
    # A closed socket: what Linux reports for a closed descriptor.
    10038: ("WSAENOTSOCK", _errno.EBADF),
    10040: ("WSAEMSGSIZE", _errno.EMSGSIZE),
    10042: ("WSAENOPROTOOPT", _errno.ENOPROTOOPT),
    10045: ("WSAEOPNOTSUPP", _errno.EOPNOTSUPP),
    10047: ("WSAEAFNOSUPPORT", _errno.EAFNOSUPPORT),
    10049: ("WSAEADDRNOTAVAIL", _errno.EADDRNOTAVAIL),
    10050: ("WSAENETDOWN", _errno.ENETDOWN),
    10055: ("WSAENOBUFS", _errno.ENOBUFS),
    10060: ("WSAETIMEDOUT", _errno.ETIMEDOUT),
}

#: Winsock code -> its Windows name, e.g. ``WSA_NAMES[10022] == "WSAEINVAL"``.
WSA_NAMES = {code: name for code, (name, _) in _CODES.items()}


class RcvallError(OSError):
    """An rcvall error: ``winerror`` (Winsock code), ``errno`` (Linux), ``strerror`` (message).

    ``wsa_name`` is the code's Windows name; ``datagram_len`` is, for WSAEMSGSIZE, the full
    length of the datagram that did not fit (else None).
    """

    def __init__(self, errno, strerror, winerror, datagram_len=None):
        super().__init__(errno, strerror)
        self.winerror = winerror
        self.wsa_name = WSA_NAMES.get(winerror, "WSA error")
        self.datagram_len = datagram_len

    def __reduce__(self):
        return (type(self), (self.errno, self.strerror, self.winerror, self.datagram_len))

    def __str__(self):
        # Windows' spelling, with the name, so the code is readable at a glance.
        return f"[WinError {self.winerror}] {self.wsa_name}: {self.strerror}"


class AccessDeniedError(RcvallError, PermissionError):
    """WSAEACCES (10013): the CAP_NET_RAW capability is missing."""


class WouldBlockError(RcvallError, BlockingIOError):
    """WSAEWOULDBLOCK (10035): a non-blocking socket has no datagram queued."""


class ReceiveTimeoutError(RcvallError, _std.timeout):
    """WSAETIMEDOUT (10060): the socket's timeout passed with no datagram."""


class MessageSizeError(RcvallError):
    """WSAEMSGSIZE (10040): the datagram was longer than the buffer; its leading bytes were
    delivered and the rest discarded."""


class OperationAbortedError(RcvallError):
    """WSA_OPERATION_ABORTED (995): the socket was closed while a receive waited."""


class InterruptedReceiveError(RcvallError, InterruptedError):
    """WSAEINTR (10004): a wait was interrupted (the binding normally retries it)."""


_CLASSES = {
    10013: AccessDeniedError,
    10035: WouldBlockError,
    10060: ReceiveTimeoutError,
    10040: MessageSizeError,
    995: OperationAbortedError,
    10004: InterruptedReceiveError,
}


def error(winerror, message, errno=None, datagram_len=None):
    """The exception for Winsock code ``winerror`` (``errno`` defaults to its Linux twin)."""
    if errno is None:
        errno = _CODES.get(winerror, (None, None))[1]
    cls = _CLASSES.get(winerror, RcvallError)
    return cls(errno, message, winerror, datagram_len)


def _from_library(winerror, errno, message, datagram_len):
    # Called by the Rust side for every library error.
    return error(winerror, message, errno, datagram_len)
