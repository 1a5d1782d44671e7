//! The faithful SIO_RCVALL socket: a raw-socket-shaped handle whose state machine, control codes
//! and errors are those of Windows, over a cooked AF_PACKET socket.

use crate::error::{Error, Result};
use crate::iface::{self, Interface};
use crate::kfilter::{self, KernelFilter};
use crate::meta::PacketInfo;
use crate::ring::{self, Ring, RingGeometry};
use crate::sys::netns::Netns;
use crate::sys::packet::{PacketSocket, ETH_P_ALL};
use crate::sys::wait;
use crate::waiting::{lock, AbortHandle, AbortSlot, DownWatch};
use crate::wsa::{self, WsaCode};
use std::net::{IpAddr, SocketAddr};
use std::ops::ControlFlow;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The faithful socket's ring: 128 blocks of 256 KiB (32 MiB, tcpdump's -B 32768). Any
/// datagram fits a block (64 KiB GSO included); the depth rides out scheduling delays at line
/// rate (4 MiB lost 0.02–0.18% of 1514-byte packets at 477 kpps in the benchmark: ~6 ms of
/// buffer). A partly filled block is handed over after 4 ms.
const SOCKET_RING: RingGeometry = RingGeometry {
    block_size: 256 << 10,
    block_nr: 128,
    retire_timeout_ms: 4,
};

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

/// Where the socket is bound.
#[derive(Clone, Debug)]
struct Binding {
    addr: SocketAddr,
    /// None when bound to the unspecified address (accepted by bind, refused by SIO_RCVALL).
    iface: Option<Interface>,
}

#[derive(Debug)]
struct State {
    binding: Option<Binding>,
    /// Off, On or IpLevel (SocketLevelOnly never changes it).
    mode: RcvAll,
    /// The interface whose promiscuous membership this socket holds.
    promisc: Option<u32>,
    /// The interface went down or away: deliver what is queued, then fail with WSAENETDOWN.
    down: DownWatch,
    /// The interface's MTU when capture started (a longer datagram is a GSO super-packet).
    mtu: u32,
}

/// A socket that receives every IPv4 or IPv6 datagram passing through one local interface,
/// as a Windows raw socket does after `WSAIoctl(SIO_RCVALL)`.
///
/// All methods take `&self`: share it between threads (e.g. in an `Arc`) like a Windows
/// SOCKET; `close` from one thread ends a `recv` blocked in another.
#[derive(Debug)]
pub struct Socket {
    family: Family,
    packet: PacketSocket,
    reader: Mutex<Reader>,
    netns: Netns,
    state: Mutex<State>,
    abort: Arc<AbortSlot>,
    closed: AtomicBool,
    nonblocking: AtomicBool,
    interruptible: AtomicBool,
    read_timeout: Mutex<Option<Duration>>,
}

/// The ring and what reading it must skip.
#[derive(Debug)]
struct Reader {
    ring: Ring,
    /// Frames stamped before this (ns since the epoch) were queued before the last OFF:
    /// OFF discards them, including those in the block the kernel had not handed over yet.
    discard_before_ns: u64,
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<Socket>();
    shareable::<AbortHandle>();
};

fn invalid(message: impl Into<String>) -> Error {
    Error::new(WsaCode::InvalidArgument, message)
}

impl Socket {
    /// Creates a socket of `family`. Needs CAP_NET_RAW (WSAEACCES without it).
    ///
    /// The socket belongs to the calling thread's network namespace, like any socket.
    pub fn new(family: Family) -> Result<Socket> {
        let packet = PacketSocket::new().map_err(|err| match err.raw_os_error() {
            Some(libc::EPERM | libc::EACCES) => Error::os(
                WsaCode::AccessDenied,
                &err,
                "receiving every packet of an interface needs the CAP_NET_RAW capability: \
                 run as root, or grant it with `setcap cap_net_raw+ep <program>`",
            ),
            Some(libc::EAFNOSUPPORT) => Error::os(
                WsaCode::AddressFamilyNotSupported,
                &err,
                "this kernel has no AF_PACKET support (CONFIG_PACKET)",
            ),
            _ => Error::setup(&err, "creating the packet socket failed"),
        })?;
        let (ring, _) = ring::open(&packet, SOCKET_RING)
            .map_err(|err| Error::setup(&err, "setting up the receive ring failed"))?;
        let netns = Netns::current()
            .map_err(|err| Error::setup(&err, "cannot open this thread's network namespace"))?;
        Ok(Socket {
            family,
            packet,
            reader: Mutex::new(Reader {
                ring,
                discard_before_ns: 0,
            }),
            netns,
            state: Mutex::new(State {
                binding: None,
                mode: RcvAll::Off,
                promisc: None,
                down: DownWatch::default(),
                mtu: u32::MAX,
            }),
            abort: Arc::new(
                AbortSlot::new()
                    .map_err(|err| Error::setup(&err, "creating the abort eventfd failed"))?,
            ),
            closed: AtomicBool::new(false),
            nonblocking: AtomicBool::new(false),
            interruptible: AtomicBool::new(false),
            read_timeout: Mutex::new(None),
        })
    }

    /// The socket's family.
    pub fn family(&self) -> Family {
        self.family
    }

    /// Binds to a local address: the interface holding it is the one SIO_RCVALL will capture.
    /// The port is ignored (raw sockets have none). The unspecified address is accepted, but
    /// SIO_RCVALL then fails with WSAEINVAL, as on Windows. Refused (WSAEINVAL) while ON or
    /// IPLEVEL: turn it off first.
    pub fn bind(&self, addr: SocketAddr) -> Result<()> {
        self.check_open()?;
        let ip = addr.ip();
        if Family::of(&ip) != self.family {
            return Err(Error::new(
                WsaCode::AddressFamilyNotSupported,
                format!(
                    "{ip} is not an {:?} address: bind a {:?} socket to an address of its own family",
                    self.family, self.family
                ),
            ));
        }
        let mut state = lock(&self.state);
        if state.mode != RcvAll::Off {
            return Err(invalid(
                "the socket is capturing: set SIO_RCVALL to RCVALL_OFF before binding it elsewhere",
            ));
        }
        let iface = if ip.is_unspecified() {
            None
        } else {
            Some(self.holder_of(addr)?)
        };
        state.binding = Some(Binding { addr, iface });
        Ok(())
    }

    /// The address the socket is bound to.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        lock(&self.state).binding.as_ref().map(|b| b.addr)
    }

    /// The interface the bound address belongs to (None when unbound or unspecified).
    pub fn interface(&self) -> Option<Interface> {
        lock(&self.state)
            .binding
            .as_ref()
            .and_then(|b| b.iface.clone())
    }

    /// The current SIO_RCVALL mode (Off, On or IpLevel).
    pub fn rcvall(&self) -> RcvAll {
        lock(&self.state).mode
    }

    /// `WSAIoctl`'s shape: a control code and its input bytes. SIO_RCVALL takes an
    /// RCVALL_VALUE (1–4 bytes, little-endian); SIO_RCVALL_MCAST and SIO_RCVALL_IGMPMCAST are
    /// recognised and refused with WSAEOPNOTSUPP; any other code fails with WSAEINVAL.
    pub fn ioctl(&self, control_code: u32, input: &[u8]) -> Result<()> {
        self.check_open()?;
        match control_code {
            wsa::SIO_RCVALL => self.set_rcvall(parse_rcvall_input(input)?),
            wsa::SIO_RCVALL_MCAST | wsa::SIO_RCVALL_IGMPMCAST => Err(Error::new(
                WsaCode::OperationNotSupported,
                format!(
                    "control code {control_code:#010x} (SIO_RCVALL_MCAST/IGMPMCAST) is not \
                     supported: use SIO_RCVALL, which includes multicast"
                ),
            )),
            other => Err(invalid(format!(
                "{other:#010x} is not a control code this socket knows: use SIO_RCVALL ({:#010x})",
                wsa::SIO_RCVALL
            ))),
        }
    }

    /// SIO_RCVALL with a typed value; same checks and effects as [`Socket::ioctl`].
    pub fn set_rcvall(&self, value: RcvAll) -> Result<()> {
        self.check_open()?;
        let mut state = lock(&self.state);
        let binding = state.binding.clone().ok_or_else(|| {
            invalid("the socket is not bound: bind it to an address of the interface to capture")
        })?;
        let Some(iface) = binding.iface else {
            return Err(invalid(format!(
                "the socket is bound to the unspecified address {}: SIO_RCVALL needs the \
                 address of one interface",
                binding.addr.ip()
            )));
        };
        match value {
            RcvAll::SocketLevelOnly => Ok(()),
            RcvAll::Off => self.stop(&mut state),
            RcvAll::On | RcvAll::IpLevel => {
                match self.holder_of(binding.addr) {
                    Ok(now) if now.index == iface.index => {}
                    _ => {
                        return Err(invalid(format!(
                            "interface {} (index {}) no longer holds {}: it was removed or \
                             readdressed; bind again",
                            iface.name,
                            iface.index,
                            binding.addr.ip()
                        )))
                    }
                }
                self.start(&mut state, &iface, value)
            }
        }
    }

    /// Makes `recv` return WSAEWOULDBLOCK instead of waiting.
    pub fn set_nonblocking(&self, nonblocking: bool) -> Result<()> {
        self.check_open()?;
        self.nonblocking.store(nonblocking, Ordering::Relaxed);
        Ok(())
    }

    /// Makes a blocking `recv` fail with WSAETIMEDOUT after `timeout` (None: wait forever).
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> Result<()> {
        self.check_open()?;
        if timeout == Some(Duration::ZERO) {
            return Err(invalid(
                "a zero read timeout is not a timeout: use None to wait forever or set_nonblocking",
            ));
        }
        *lock(&self.read_timeout) = timeout;
        Ok(())
    }

    /// Makes a blocking receive end with WSAEINTR when a signal handler runs while it waits
    /// (off: the wait goes on). For callers with their own signal handling, such as a Python
    /// binding that must raise KeyboardInterrupt and then retry.
    pub fn set_interruptible(&self, interruptible: bool) {
        self.interruptible.store(interruptible, Ordering::Relaxed);
    }

    /// A handle that aborts blocked receives from another thread.
    pub fn abort_handle(&self) -> AbortHandle {
        AbortHandle::new(self.abort.clone())
    }

    /// Closes the socket (Windows `closesocket`): receives blocked in other threads end with
    /// WSA_OPERATION_ABORTED, promiscuity is released, and later calls fail with WSAENOTSOCK.
    /// Dropping the socket closes it too.
    pub fn close(&self) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        self.abort.abort();
        let mut state = lock(&self.state);
        // Best effort: the file descriptor's close on drop releases everything anyway.
        let _ = self.stop(&mut state);
        state.binding = None;
    }

    /// Receives the next datagram, starting at its IP header. A datagram longer than `buf`
    /// fills `buf`, is discarded, and fails with WSAEMSGSIZE carrying its full length.
    pub fn recv(&self, buf: &mut [u8]) -> Result<usize> {
        self.recv_with_info(buf).map(|(len, _)| len)
    }

    /// Like [`Socket::recv`], with the datagram's metadata.
    pub fn recv_with_info(&self, buf: &mut [u8]) -> Result<(usize, PacketInfo)> {
        self.wait_and_read(true, |socket, mtu| socket.read_one(buf, mtu))
    }

    /// Like [`Socket::recv_with_info`], but never waits, whatever the socket's mode:
    /// WSAEWOULDBLOCK when nothing is queued. For callers that must not block in some context
    /// (a Python binding holding its interpreter lock) and wait elsewhere.
    pub fn try_recv_with_info(&self, buf: &mut [u8]) -> Result<(usize, PacketInfo)> {
        self.wait_and_read(false, |socket, mtu| socket.read_one(buf, mtu))
    }

    /// Waits for the next datagram as [`Socket::recv`] does (timeout, nonblocking, abort),
    /// then hands it and the datagrams already queued behind it, at most `max`, to `each` in
    /// order, whole; returns how many. Never waits for a second datagram. `each` may end the
    /// batch early with `ControlFlow::Break` (the datagram it was given counts as delivered).
    pub fn recv_batch(
        &self,
        max: usize,
        mut each: impl FnMut(&[u8], PacketInfo) -> ControlFlow<()>,
    ) -> Result<usize> {
        if max == 0 {
            return Err(invalid(
                "a batch of at most 0 datagrams: ask for at least one",
            ));
        }
        self.wait_and_read(true, |socket, mtu| socket.read_many(max, mtu, &mut each))
    }

    /// Like [`Socket::recv_batch`], but never waits: WSAEWOULDBLOCK when nothing is queued.
    pub fn try_recv_batch(
        &self,
        max: usize,
        mut each: impl FnMut(&[u8], PacketInfo) -> ControlFlow<()>,
    ) -> Result<usize> {
        if max == 0 {
            return Err(invalid(
                "a batch of at most 0 datagrams: ask for at least one",
            ));
        }
        self.wait_and_read(false, |socket, mtu| socket.read_many(max, mtu, &mut each))
    }

    /// The waiting loop shared by the receives: `attempt` reads whatever is ready (None when
    /// nothing is), and the loop waits between attempts, if `may_wait` and the socket blocks.
    fn wait_and_read<T>(
        &self,
        may_wait: bool,
        mut attempt: impl FnMut(&Socket, u32) -> Option<Result<T>>,
    ) -> Result<T> {
        // Take the abort snapshot before the closed check: a close racing with this call then
        // either is seen here or signals the very eventfd this call waits on.
        let abort = self.abort.snapshot();
        self.check_open()?;
        let mtu = {
            let state = lock(&self.state);
            if state.binding.is_none() {
                return Err(invalid(
                    "the socket is not bound: bind it and set SIO_RCVALL before receiving",
                ));
            }
            state.mtu
        };
        let timeout = *lock(&self.read_timeout);
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if let Some(result) = attempt(self, mtu) {
                return result;
            }
            let down = lock(&self.state).down;
            let now = Instant::now();
            if down.expired(now) {
                return Err(Error::new(
                    WsaCode::NetworkDown,
                    "the interface went down or was removed; every datagram queued before \
                     was delivered. Set RCVALL_OFF, bind again and set SIO_RCVALL to resume",
                ));
            }
            if !may_wait || self.nonblocking.load(Ordering::Relaxed) {
                return Err(Error::new(
                    WsaCode::WouldBlock,
                    "no datagram is queued (nonblocking receive): try again later",
                ));
            }
            let interruptible = self.interruptible.load(Ordering::Relaxed);
            match down.wait_or_signal(&self.packet, &abort, deadline, interruptible)? {
                wait::Wake::Ready => self.note_socket_error(),
                wait::Wake::Aborted => {
                    return Err(Error::new(
                        WsaCode::OperationAborted,
                        "the receive was aborted: the socket was closed or an AbortHandle fired",
                    ))
                }
                wait::Wake::TimedOut if deadline.is_some_and(|d| Instant::now() >= d) => {
                    return Err(Error::new(
                        WsaCode::TimedOut,
                        format!(
                            "no datagram within the read timeout of {:?}",
                            timeout.unwrap_or_default()
                        ),
                    ))
                }
                wait::Wake::TimedOut => {} // the ENETDOWN grace ended: report it above
            }
        }
    }

    /// Copies the next datagram from the ring into `buf`; None when nothing is ready.
    fn read_one(&self, buf: &mut [u8], mtu: u32) -> Option<Result<(usize, PacketInfo)>> {
        let mut reader = lock(&self.reader);
        let discard_before = reader.discard_before_ns;
        // Bounded: each pass consumes a frame or a corrupt block; the ring is finite.
        loop {
            let read = reader.ring.next_frame(|frame| {
                if frame.timestamp_ns < discard_before {
                    return None;
                }
                let copied = frame.data.len().min(buf.len());
                buf[..copied].copy_from_slice(&frame.data[..copied]);
                Some((copied, frame.data.len(), PacketInfo::from_frame(frame, mtu)))
            })?;
            match read {
                Ok(Some((_, kept, info))) if kept > buf.len() => {
                    let full = kept.max(info.original_len as usize);
                    return Some(Err(Error::message_size(full, buf.len())));
                }
                Ok(Some((copied, _, info))) => return Some(Ok((copied, info))),
                // Discarded by OFF, or a block the kernel would never write: skip.
                Ok(None) | Err(_) => continue,
            }
        }
    }

    /// Hands up to `max` ready datagrams to `each`; None when nothing is ready.
    fn read_many(
        &self,
        max: usize,
        mtu: u32,
        each: &mut impl FnMut(&[u8], PacketInfo) -> ControlFlow<()>,
    ) -> Option<Result<usize>> {
        let mut reader = lock(&self.reader);
        let discard_before = reader.discard_before_ns;
        let mut count = 0;
        // Bounded: each pass consumes a frame or a corrupt block, and stops at `max`.
        while count < max {
            let delivered = reader.ring.next_frame(|frame| {
                if frame.timestamp_ns < discard_before {
                    return None;
                }
                Some(each(frame.data, PacketInfo::from_frame(frame, mtu)))
            });
            match delivered {
                None => break,
                Some(Ok(Some(flow))) => {
                    count += 1;
                    if flow.is_break() {
                        break;
                    }
                }
                // Discarded by OFF, or a block the kernel would never write: skip.
                Some(Ok(None)) | Some(Err(_)) => continue,
            }
        }
        (count > 0).then_some(Ok(count))
    }

    /// Reads the socket's pending error after a wake-up (an OFF socket ignores it).
    fn note_socket_error(&self) {
        let mut state = lock(&self.state);
        if state.mode != RcvAll::Off {
            state.down.note(&self.packet);
        }
    }

    fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Error::new(
                WsaCode::NotSocket,
                "the socket was closed: create a new one",
            ));
        }
        Ok(())
    }

    /// Looks up the interface holding `addr`, in the socket's own network namespace.
    fn holder_of(&self, addr: SocketAddr) -> Result<Interface> {
        self.netns
            .run(|| Ok(iface::by_address(addr)))
            .map_err(|err| Error::setup(&err, "entering the socket's network namespace failed"))?
    }

    fn kernel_filter(&self, iface: &Interface, mode: RcvAll) -> KernelFilter {
        KernelFilter {
            ifindex: Some(iface.index),
            ethertypes: vec![self.family.ethertype()],
            drop_otherhost: mode == RcvAll::IpLevel,
            drop_outgoing: iface.is_loopback,
            direction: None,
            snaplen: kfilter::WHOLE_PACKET,
        }
    }

    /// OFF/new → ON or IPLEVEL, or ON ↔ IPLEVEL.
    fn start(&self, state: &mut State, iface: &Interface, mode: RcvAll) -> Result<()> {
        if state.mode == RcvAll::Off {
            // Hook to the interface while the filter still rejects everything, drop whatever
            // an earlier capture left queued and any stale error, then open the filter.
            self.packet
                .attach_filter(&kfilter::reject_all())
                .and_then(|()| self.packet.bind(iface.index, ETH_P_ALL))
                .map_err(|err| Error::setup(&err, &format!("binding to {} failed", iface.name)))?;
            let _ = self.packet.take_error();
        }
        let want_promisc = mode == RcvAll::On;
        if want_promisc && state.promisc.is_none() {
            self.packet
                .set_promisc(iface.index, true)
                .map_err(|err| Error::setup(&err, "enabling promiscuous mode failed"))?;
            state.promisc = Some(iface.index);
        }
        self.packet
            .attach_filter(&self.kernel_filter(iface, mode).program())
            .map_err(|err| Error::setup(&err, "attaching the capture filter failed"))?;
        if !want_promisc {
            if let Some(index) = state.promisc.take() {
                // Fails only if the kernel already dropped it (interface gone).
                let _ = self.packet.set_promisc(index, false);
            }
        }
        state.mode = mode;
        state.down = DownWatch::default();
        state.mtu = self.packet.mtu(&iface.name).unwrap_or(u32::MAX);
        Ok(())
    }

    /// ON or IPLEVEL → OFF: nothing more is delivered, promiscuity ends, the queue is emptied.
    fn stop(&self, state: &mut State) -> Result<()> {
        if state.mode == RcvAll::Off {
            return Ok(());
        }
        // Rebinding with protocol 0 would keep the old protocol (packet_do_bind) and hook every
        // interface; a filter that accepts nothing stops delivery without that risk.
        self.packet
            .attach_filter(&kfilter::reject_all())
            .map_err(|err| Error::setup(&err, "stopping the capture failed"))?;
        if let Some(index) = state.promisc.take() {
            let _ = self.packet.set_promisc(index, false);
        }
        let mut reader = lock(&self.reader);
        reader.discard_before_ns = now_ns();
        reader.ring.discard_ready();
        state.mode = RcvAll::Off;
        state.down = DownWatch::default();
        Ok(())
    }
}

/// The packet socket under the ring, for readiness (select, poll, epoll, an async reactor).
/// It polls readable exactly when a receive would find a datagram without waiting: a
/// TPACKET_V3 socket reports POLLIN while the ring's last retired block is not the kernel's
/// (`packet_poll` → `__prb_previous_block`), blocks are read in ring order, and each is handed
/// back as soon as its last datagram is read. Two wake-ups find nothing: POLLERR after the
/// interface went down (the receive then reports WSAENETDOWN), and, once after RCVALL_OFF,
/// the block that was open then (its datagrams are discarded). Never read from it directly.
impl AsFd for Socket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.packet.as_fd()
    }
}

impl AsRawFd for Socket {
    fn as_raw_fd(&self) -> RawFd {
        self.packet.as_fd().as_raw_fd()
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
