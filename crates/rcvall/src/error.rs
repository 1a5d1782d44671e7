//! The library's error: a Winsock code, the errno behind it when there was one, and what to do.

use crate::wsa::WsaCode;
use std::sync::Arc;
use std::{fmt, io};

/// The result of every fallible call of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error as Windows would report it (`wsa_code()`), with the Linux errno that caused it (if any)
/// and a message that says what happened and what to do about it.
#[derive(Debug)]
pub struct Error {
    code: WsaCode,
    errno: Option<i32>,
    message: String,
    datagram_len: Option<usize>,
    /// The system call's error, kept for `source()` (shared: results are read repeatedly).
    source: Option<Arc<io::Error>>,
}

impl Error {
    /// An error with no OS cause.
    pub fn new(code: WsaCode, message: impl Into<String>) -> Error {
        Error {
            code,
            errno: None,
            message: message.into(),
            datagram_len: None,
            source: None,
        }
    }

    /// An error caused by a failed system call.
    pub fn os(code: WsaCode, err: &io::Error, message: impl Into<String>) -> Error {
        let source = match err.raw_os_error() {
            Some(errno) => io::Error::from_raw_os_error(errno),
            None => io::Error::new(err.kind(), err.to_string()),
        };
        Error {
            errno: err.raw_os_error(),
            source: Some(Arc::new(source)),
            ..Error::new(code, format!("{}: {err}", message.into()))
        }
    }

    /// An error of a setup call (socket, ring, filter, bind, membership), with the Winsock code
    /// Windows gives for that errno and, for a missing privilege, how to get it.
    pub(crate) fn setup(err: &io::Error, what: &str) -> Error {
        let code = match err.raw_os_error() {
            Some(libc::EPERM | libc::EACCES) => WsaCode::AccessDenied,
            Some(libc::ENOMEM | libc::ENOBUFS | libc::EMFILE | libc::ENFILE) => {
                WsaCode::NoBufferSpace
            }
            Some(libc::ENETDOWN) => WsaCode::NetworkDown,
            // ENODEV/ENXIO (the interface is gone) and the rest: the request cannot apply.
            _ => WsaCode::InvalidArgument,
        };
        let hint = if code == WsaCode::AccessDenied {
            " (this needs the CAP_NET_RAW capability: run as root or `setcap cap_net_raw+ep`)"
        } else {
            ""
        };
        Error::os(code, err, format!("{what}{hint}"))
    }

    /// WSAEMSGSIZE for a datagram of `datagram_len` bytes read into `buf_len` bytes.
    pub(crate) fn message_size(datagram_len: usize, buf_len: usize) -> Error {
        Error {
            datagram_len: Some(datagram_len),
            ..Error::new(
                WsaCode::MessageSize,
                format!(
                    "the datagram has {datagram_len} bytes but the buffer only {buf_len}: \
                     the leading {buf_len} bytes were copied and the rest discarded; \
                     pass a buffer of at least 65535 bytes (IPv6 jumbograms aside)"
                ),
            )
        }
    }

    /// The same error again: an overlapped operation's result is read as often as asked.
    pub(crate) fn duplicate(&self) -> Error {
        Error {
            code: self.code,
            errno: self.errno,
            message: self.message.clone(),
            datagram_len: self.datagram_len,
            source: self.source.clone(),
        }
    }

    /// The Winsock code, as `WSAGetLastError()` would return it.
    pub fn wsa_code(&self) -> i32 {
        self.code.code()
    }

    /// The Winsock code as a typed value.
    pub fn kind(&self) -> WsaCode {
        self.code
    }

    /// The Linux errno behind the error, when a system call failed.
    pub fn raw_os_error(&self) -> Option<i32> {
        self.errno
    }

    /// For WSAEMSGSIZE: the full length of the datagram that did not fit.
    pub fn datagram_len(&self) -> Option<usize> {
        self.datagram_len
    }

    /// What happened and what to do, without the code.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|err| err as &(dyn std::error::Error + 'static))
    }
}

impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        if let Some(errno) = err.errno {
            let kind = io::Error::from_raw_os_error(errno).kind();
            return io::Error::new(kind, err);
        }
        let kind = match err.code {
            WsaCode::WouldBlock => io::ErrorKind::WouldBlock,
            WsaCode::TimedOut => io::ErrorKind::TimedOut,
            WsaCode::Interrupted => io::ErrorKind::Interrupted,
            WsaCode::AccessDenied => io::ErrorKind::PermissionDenied,
            WsaCode::InvalidArgument => io::ErrorKind::InvalidInput,
            WsaCode::AddressNotAvailable => io::ErrorKind::AddrNotAvailable,
            WsaCode::NetworkDown => io::ErrorKind::NetworkDown,
            WsaCode::OperationNotSupported | WsaCode::AddressFamilyNotSupported => {
                io::ErrorKind::Unsupported
            }
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_code_and_the_remedy() {
        let err = Error::new(WsaCode::InvalidArgument, "bind the socket first");
        assert_eq!(err.to_string(), "WSAEINVAL (10022): bind the socket first");
        assert_eq!(err.wsa_code(), 10022);
        assert_eq!(err.raw_os_error(), None);
    }

    #[test]
    fn os_errors_keep_their_errno() {
        let os = io::Error::from_raw_os_error(libc::EPERM);
        let err = Error::os(WsaCode::AccessDenied, &os, "needs CAP_NET_RAW");
        assert_eq!(err.raw_os_error(), Some(libc::EPERM));
        assert!(err.message().starts_with("needs CAP_NET_RAW: "));
        let source = std::error::Error::source(&err).expect("the io::Error is the source");
        assert_eq!(source.to_string(), os.to_string());
        let io: io::Error = err.into();
        assert_eq!(io.kind(), io::ErrorKind::PermissionDenied);
    }

    #[test]
    fn message_size_carries_the_full_length() {
        let err = Error::message_size(1500, 20);
        assert_eq!(err.kind(), WsaCode::MessageSize);
        assert_eq!(err.datagram_len(), Some(1500));
        assert_eq!(err.wsa_code(), 10040);
    }
}
