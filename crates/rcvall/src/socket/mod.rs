//! The faithful SIO_RCVALL socket: a raw-socket-shaped handle whose state machine, control codes
//! and errors are those of Windows, over a cooked AF_PACKET socket.

pub(crate) mod machine;

use self::machine::SocketCore;
use crate::error::{Error, Result};
use crate::iface::Interface;
use crate::kfilter;
use crate::meta::PacketInfo;
use crate::overlapped::{self, CompletionRoutine, Overlapped, Posted};
use crate::waiting::AbortHandle;
use crate::wsa::{self, WsaCode};
use std::net::{IpAddr, SocketAddr};
use std::ops::ControlFlow;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::Arc;
use std::time::Duration;

/// The address family of a socket: Windows' `AF_INET/SOCK_RAW/IPPROTO_IP` or
/// `AF_INET6/SOCK_RAW/IPPROTO_IPV6`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// Receives IPv4 datagrams only.
    V4,
    /// Receives IPv6 datagrams only.
    V6,
}

impl Family {
    /// The family of an address.
    pub fn of(addr: &IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }

    pub(crate) fn ethertype(self) -> u16 {
        match self {
            Family::V4 => kfilter::ETH_P_IP,
            Family::V6 => kfilter::ETH_P_IPV6,
        }
    }
}

/// The `RCVALL_VALUE` passed with SIO_RCVALL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RcvAll {
    /// Stop: nothing is delivered, promiscuity is released, queued datagrams are discarded.
    Off,
    /// Every datagram of the family passing the interface, with the NIC promiscuous.
    On,
    /// Accepted and ignored, as on Windows.
    SocketLevelOnly,
    /// Every datagram the NIC accepts without promiscuity: ON minus packets for other hosts.
    IpLevel,
}

impl RcvAll {
    /// The numeric `RCVALL_VALUE`.
    pub fn value(self) -> u32 {
        match self {
            RcvAll::Off => wsa::RCVALL_OFF,
            RcvAll::On => wsa::RCVALL_ON,
            RcvAll::SocketLevelOnly => wsa::RCVALL_SOCKETLEVELONLY,
            RcvAll::IpLevel => wsa::RCVALL_IPLEVEL,
        }
    }

    /// The variant of a numeric `RCVALL_VALUE`, if valid.
    pub fn from_value(value: u32) -> Option<RcvAll> {
        Some(match value {
            wsa::RCVALL_OFF => RcvAll::Off,
            wsa::RCVALL_ON => RcvAll::On,
            wsa::RCVALL_SOCKETLEVELONLY => RcvAll::SocketLevelOnly,
            wsa::RCVALL_IPLEVEL => RcvAll::IpLevel,
            _ => return None,
        })
    }
}

/// Reads SIO_RCVALL's input buffer: 1 to 4 bytes, little-endian (a DWORD is 4); longer
/// buffers are read as their first 4 bytes, as Windows reads a DWORD from a larger buffer.
pub(crate) fn parse_rcvall_input(input: &[u8]) -> Result<RcvAll> {
    if input.is_empty() {
        return Err(Error::new(
            WsaCode::InvalidArgument,
            "SIO_RCVALL needs an input buffer of at least 1 byte holding an RCVALL_VALUE (0..=3)",
        ));
    }
    let mut dword = [0u8; 4];
    let n = input.len().min(4);
    dword[..n].copy_from_slice(&input[..n]);
    let value = u32::from_le_bytes(dword);
    RcvAll::from_value(value).ok_or_else(|| {
        Error::new(
            WsaCode::InvalidArgument,
            format!(
                "{value:#x} is not an RCVALL_VALUE: use RCVALL_OFF (0), RCVALL_ON (1), \
                 RCVALL_SOCKETLEVELONLY (2) or RCVALL_IPLEVEL (3)"
            ),
        )
    })
}

/// A socket that receives every IPv4 or IPv6 datagram passing through one local interface,
/// as a Windows raw socket does after `WSAIoctl(SIO_RCVALL)`.
///
/// All methods take `&self`: share it between threads (e.g. in an `Arc`) like a Windows
/// SOCKET; `close` from one thread ends a `recv` blocked in another. Dropping it closes it.
#[derive(Debug)]
pub struct Socket {
    core: Arc<SocketCore>,
}

const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<Socket>();
    shareable::<AbortHandle>();
};

impl Socket {
    /// Creates a socket of `family`. Needs CAP_NET_RAW (WSAEACCES without it).
    ///
    /// The socket belongs to the calling thread's network namespace, like any socket.
    pub fn new(family: Family) -> Result<Socket> {
        Ok(Socket {
            core: Arc::new(SocketCore::new(family)?),
        })
    }

    /// The socket's family.
    pub fn family(&self) -> Family {
        self.core.family()
    }

    /// Binds to a local address: the interface holding it is the one SIO_RCVALL will capture.
    /// The port is ignored (raw sockets have none). The unspecified address is accepted, but
    /// SIO_RCVALL then fails with WSAEINVAL, as on Windows. Refused (WSAEINVAL) while ON or
    /// IPLEVEL: turn it off first.
    pub fn bind(&self, addr: SocketAddr) -> Result<()> {
        self.core.bind(addr)
    }

    /// The address the socket is bound to.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.core.local_addr()
    }

    /// The interface the bound address belongs to (None when unbound or unspecified).
    pub fn interface(&self) -> Option<Interface> {
        self.core.interface()
    }

    /// The current SIO_RCVALL mode (Off, On or IpLevel).
    pub fn rcvall(&self) -> RcvAll {
        self.core.rcvall()
    }

    /// `WSAIoctl`'s shape: a control code and its input bytes. SIO_RCVALL takes an
    /// RCVALL_VALUE (1–4 bytes, little-endian); SIO_RCVALL_MCAST and SIO_RCVALL_IGMPMCAST are
    /// recognised and refused with WSAEOPNOTSUPP; SIO_FLUSH is [`Socket::flush`]; any other
    /// code fails with WSAEINVAL.
    pub fn ioctl(&self, control_code: u32, input: &[u8]) -> Result<()> {
        self.core.ioctl(control_code, input)
    }

    /// SIO_RCVALL with a typed value; same checks and effects as [`Socket::ioctl`].
    pub fn set_rcvall(&self, value: RcvAll) -> Result<()> {
        self.core.set_rcvall(value)
    }

    /// Makes `recv` return WSAEWOULDBLOCK instead of waiting (overlapped receives are not
    /// affected: they always complete later).
    pub fn set_nonblocking(&self, nonblocking: bool) -> Result<()> {
        self.core.set_nonblocking(nonblocking)
    }

    /// Makes a blocking `recv` fail with WSAETIMEDOUT after `timeout` (None: wait forever).
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> Result<()> {
        self.core.set_read_timeout(timeout)
    }

    /// A handle that aborts blocked receives from another thread, and every pending
    /// overlapped receive (as CancelIoEx), with WSA_OPERATION_ABORTED.
    pub fn abort_handle(&self) -> AbortHandle {
        self.core.abort_handle()
    }

    /// Closes the socket (Windows `closesocket`): receives blocked in other threads end with
    /// WSA_OPERATION_ABORTED, so does every pending overlapped operation, promiscuity is
    /// released, and later calls fail with WSAENOTSOCK. Dropping the socket closes it too.
    pub fn close(&self) {
        self.core.close()
    }

    /// Receives the next datagram, starting at its IP header. A datagram longer than `buf`
    /// fills `buf`, is discarded, and fails with WSAEMSGSIZE carrying its full length.
    /// Inside a completion routine a blocking socket refuses it with WSAEINPROGRESS.
    pub fn recv(&self, buf: &mut [u8]) -> Result<usize> {
        self.recv_with_info(buf).map(|(len, _)| len)
    }

    /// Like [`Socket::recv`], with the datagram's metadata.
    pub fn recv_with_info(&self, buf: &mut [u8]) -> Result<(usize, PacketInfo)> {
        self.core.recv_with_info(buf)
    }

    /// Waits for the next datagram as [`Socket::recv`] does (timeout, nonblocking, abort),
    /// then hands it and the datagrams already queued behind it, at most `max`, to `each` in
    /// order, whole; returns how many. Never waits for a second datagram. `each` may end the
    /// batch early with `ControlFlow::Break` (the datagram it was given counts as delivered).
    pub fn recv_batch(
        &self,
        max: usize,
        each: impl FnMut(&[u8], PacketInfo) -> ControlFlow<()>,
    ) -> Result<usize> {
        self.core.recv_batch(max, each)
    }

    /// Like [`Socket::recv_with_info`], but never waits, whatever the socket's mode:
    /// WSAEWOULDBLOCK when nothing is queued. For callers that must not block in some context
    /// (a Python binding holding its interpreter lock) and wait elsewhere.
    pub fn try_recv_with_info(&self, buf: &mut [u8]) -> Result<(usize, PacketInfo)> {
        self.core.try_recv_with_info(buf)
    }

    /// Like [`Socket::recv_batch`], but never waits: WSAEWOULDBLOCK when nothing is queued.
    pub fn try_recv_batch(
        &self,
        max: usize,
        each: impl FnMut(&[u8], PacketInfo) -> ControlFlow<()>,
    ) -> Result<usize> {
        self.core.try_recv_batch(max, each)
    }

    /// Makes a blocking receive end with WSAEINTR when a signal handler runs while it waits
    /// (off: the wait goes on). For callers with their own signal handling, such as a Python
    /// binding that must raise KeyboardInterrupt and then retry.
    pub fn set_interruptible(&self, interruptible: bool) {
        self.core.set_interruptible(interruptible)
    }

    /// An overlapped receive (`WSARecv` with an OVERLAPPED): the datagram goes into `buffer`,
    /// which `overlapped` holds until the operation is over ([`Overlapped::take_buffer`]).
    ///
    /// Returns [`Posted::Completed`] when a datagram was queued (0 on Windows) and
    /// [`Posted::Pending`] otherwise (WSA_IO_PENDING): the receive completes later, in
    /// posting order, and then `overlapped` holds its result, its event (if any and if no
    /// routine is given) is set, and `routine` runs in the next [`alertable_wait`] of the
    /// thread posting now. An error here means the operation failed at once: no routine will
    /// run for it.
    ///
    /// [`alertable_wait`]: crate::overlapped::alertable_wait
    pub fn recv_overlapped(
        &self,
        buffer: Vec<u8>,
        overlapped: &Overlapped,
        routine: Option<CompletionRoutine>,
    ) -> Result<Posted> {
        overlapped::post_recv(&self.core, buffer, overlapped, routine)
    }

    /// An overlapped `WSAIoctl`. SIO_RCVALL and SIO_FLUSH take effect at once, so a success is
    /// always [`Posted::Completed`]; the routine still runs in the next alertable wait, as on
    /// Windows. An error means the call failed at once, with no routine.
    pub fn ioctl_overlapped(
        &self,
        control_code: u32,
        input: &[u8],
        overlapped: &Overlapped,
        routine: Option<CompletionRoutine>,
    ) -> Result<Posted> {
        overlapped::post_immediate(overlapped, routine, || self.ioctl(control_code, input))
    }

    /// The link-state changes seen while capturing: a link that goes down and comes back
    /// does not end the capture (only a removed interface does, with WSAENETDOWN).
    pub fn link_stats(&self) -> crate::LinkStats {
        self.core.link_stats()
    }

    /// SIO_FLUSH: every pending overlapped receive completes now with WSA_OPERATION_ABORTED
    /// (its routine still runs once). Windows' SIO_FLUSH discards the send queue; an rcvall
    /// socket never sends, so the receives are what a flush can end. Queued datagrams stay.
    pub fn flush(&self) -> Result<()> {
        self.core.flush()
    }

    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn core(&self) -> &Arc<SocketCore> {
        &self.core
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // Pending overlapped receives end with WSA_OPERATION_ABORTED, and the worker that
        // fills them lets go of the core.
        self.core.close();
    }
}

impl AsFd for Socket {
    /// The packet socket: readable when a ring block is ready (for poll or epoll).
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.core.packet().as_fd()
    }
}

impl AsRawFd for Socket {
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rcvall_values_round_trip() {
        for value in 0..=wsa::RCVALL_MAX {
            assert_eq!(RcvAll::from_value(value).unwrap().value(), value);
        }
        assert_eq!(RcvAll::from_value(4), None);
    }

    #[test]
    fn input_buffer_is_read_little_endian_from_one_to_four_bytes() {
        assert_eq!(parse_rcvall_input(&[1]).unwrap(), RcvAll::On);
        assert_eq!(parse_rcvall_input(&[3, 0]).unwrap(), RcvAll::IpLevel);
        assert_eq!(
            parse_rcvall_input(&2u32.to_le_bytes()).unwrap(),
            RcvAll::SocketLevelOnly
        );
        assert_eq!(parse_rcvall_input(&[0, 0, 0, 0, 9]).unwrap(), RcvAll::Off);
    }

    #[test]
    fn bad_input_buffers_are_einval() {
        for input in [
            &[][..],
            &4u32.to_le_bytes(),
            &u32::MAX.to_le_bytes(),
            &[0, 1],
        ] {
            let err = parse_rcvall_input(input).unwrap_err();
            assert_eq!(err.kind(), WsaCode::InvalidArgument, "{input:?}");
        }
    }
}
