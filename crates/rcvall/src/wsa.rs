//! The Winsock numbers of SIO_RCVALL, exactly as Windows defines them (mstcpip.h, winerror.h).

use std::fmt;

/// `IOC_IN | IOC_VENDOR | 1`: enable or disable receiving every IP datagram of an interface.
pub const SIO_RCVALL: u32 = 0x9800_0001;
/// `IOC_IN | IOC_VENDOR | 2`: recognised, not supported (fails with WSAEOPNOTSUPP).
pub const SIO_RCVALL_MCAST: u32 = 0x9800_0002;
/// `IOC_IN | IOC_VENDOR | 3`: recognised, not supported (fails with WSAEOPNOTSUPP).
pub const SIO_RCVALL_IGMPMCAST: u32 = 0x9800_0003;

/// `_WSAIO(IOC_WS2, 4)` = `IOC_VOID | IOC_WS2 | 4`: Windows discards the send queue. An
/// rcvall socket never sends, so here it ends every pending overlapped receive with
/// WSA_OPERATION_ABORTED (see [`Socket::flush`](crate::Socket::flush)).
pub const SIO_FLUSH: u32 = 0x2800_0004;

/// `RCVALL_VALUE`: stop receiving all packets.
pub const RCVALL_OFF: u32 = 0;
/// `RCVALL_VALUE`: receive all packets, NIC promiscuous.
pub const RCVALL_ON: u32 = 1;
/// `RCVALL_VALUE`: accepted, does nothing.
pub const RCVALL_SOCKETLEVELONLY: u32 = 2;
/// `RCVALL_VALUE`: receive all packets the NIC accepts, without promiscuity.
pub const RCVALL_IPLEVEL: u32 = 3;
/// The largest valid `RCVALL_VALUE`.
pub const RCVALL_MAX: u32 = RCVALL_IPLEVEL;

macro_rules! wsa_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $name:literal;)*) => {
        /// A Winsock error code. `as i32` gives the number `WSAGetLastError` would return.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        #[repr(i32)]
        pub enum WsaCode {
            $($(#[$doc])* $variant = $code,)*
        }

        impl WsaCode {
            /// Every code this crate can report.
            pub const ALL: &'static [WsaCode] = &[$(WsaCode::$variant,)*];

            /// The Windows name, e.g. `"WSAEINVAL"`.
            pub fn name(self) -> &'static str {
                match self { $(WsaCode::$variant => $name,)* }
            }

            /// The numeric code, e.g. 10022.
            pub fn code(self) -> i32 {
                self as i32
            }

            /// The variant for a numeric code, if it is one of ours.
            pub fn from_code(code: i32) -> Option<WsaCode> {
                match code { $($code => Some(WsaCode::$variant),)* _ => None }
            }
        }
    };
}

wsa_codes! {
    /// The operation was cancelled by closing the socket or aborting it.
    OperationAborted = 995, "WSA_OPERATION_ABORTED";
    /// The overlapped operation has not completed yet (its result was asked without waiting).
    IoIncomplete = 996, "WSA_IO_INCOMPLETE";
    /// An overlapped operation was started and completes later.
    IoPending = 997, "WSA_IO_PENDING";
    /// A blocking call was interrupted.
    Interrupted = 10004, "WSAEINTR";
    /// Permission denied (CAP_NET_RAW is missing).
    AccessDenied = 10013, "WSAEACCES";
    /// A bad pointer or buffer.
    Fault = 10014, "WSAEFAULT";
    /// An argument or the socket's state does not allow the call.
    InvalidArgument = 10022, "WSAEINVAL";
    /// A nonblocking call found nothing to do.
    WouldBlock = 10035, "WSAEWOULDBLOCK";
    /// Another blocking operation is in progress.
    InProgress = 10036, "WSAEINPROGRESS";
    /// The handle is not (or no longer) a socket.
    NotSocket = 10038, "WSAENOTSOCK";
    /// The datagram was larger than the buffer; the leading bytes were copied.
    MessageSize = 10040, "WSAEMSGSIZE";
    /// The option is not supported by this protocol.
    NoProtocolOption = 10042, "WSAENOPROTOOPT";
    /// The control code is recognised but not supported.
    OperationNotSupported = 10045, "WSAEOPNOTSUPP";
    /// The address belongs to another family than the socket.
    AddressFamilyNotSupported = 10047, "WSAEAFNOSUPPORT";
    /// No local interface holds the address.
    AddressNotAvailable = 10049, "WSAEADDRNOTAVAIL";
    /// The network (the interface) went down.
    NetworkDown = 10050, "WSAENETDOWN";
    /// The kernel had no memory for the request.
    NoBufferSpace = 10055, "WSAENOBUFS";
    /// A read timeout expired.
    TimedOut = 10060, "WSAETIMEDOUT";
}

impl fmt::Display for WsaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_codes_are_ioc_in_vendor_plus_index() {
        const IOC_IN: u32 = 0x8000_0000;
        const IOC_VENDOR: u32 = 0x1800_0000;
        assert_eq!(SIO_RCVALL, IOC_IN | IOC_VENDOR | 1);
        assert_eq!(SIO_RCVALL_MCAST, IOC_IN | IOC_VENDOR | 2);
        assert_eq!(SIO_RCVALL_IGMPMCAST, IOC_IN | IOC_VENDOR | 3);
        const IOC_VOID: u32 = 0x2000_0000;
        const IOC_WS2: u32 = 0x0800_0000;
        assert_eq!(SIO_FLUSH, IOC_VOID | IOC_WS2 | 4);
        assert_eq!(
            (
                RCVALL_OFF,
                RCVALL_ON,
                RCVALL_SOCKETLEVELONLY,
                RCVALL_IPLEVEL
            ),
            (0, 1, 2, 3)
        );
    }

    #[test]
    fn winsock_codes_match_windows() {
        let expected = [
            ("WSA_OPERATION_ABORTED", 995),
            ("WSA_IO_INCOMPLETE", 996),
            ("WSA_IO_PENDING", 997),
            ("WSAEINTR", 10004),
            ("WSAEACCES", 10013),
            ("WSAEFAULT", 10014),
            ("WSAEINVAL", 10022),
            ("WSAEWOULDBLOCK", 10035),
            ("WSAEINPROGRESS", 10036),
            ("WSAENOTSOCK", 10038),
            ("WSAEMSGSIZE", 10040),
            ("WSAENOPROTOOPT", 10042),
            ("WSAEOPNOTSUPP", 10045),
            ("WSAEAFNOSUPPORT", 10047),
            ("WSAEADDRNOTAVAIL", 10049),
            ("WSAENETDOWN", 10050),
            ("WSAENOBUFS", 10055),
            ("WSAETIMEDOUT", 10060),
        ];
        assert_eq!(WsaCode::ALL.len(), expected.len());
        for (code, (name, number)) in WsaCode::ALL.iter().zip(expected) {
            assert_eq!((code.name(), code.code()), (name, number));
            assert_eq!(WsaCode::from_code(number), Some(*code));
        }
        assert_eq!(WsaCode::from_code(0), None);
        assert_eq!(WsaCode::InvalidArgument.to_string(), "WSAEINVAL (10022)");
    }
}
