//! The faithful socket's state machine (bind, SIO_RCVALL, receive, close), shared by the
//! `Socket` handle, the overlapped worker and the async socket.

use super::{parse_rcvall_input, Family, RcvAll};
use crate::error::{Error, Result};
use crate::iface::{self, Interface};
use crate::kfilter::{self, KernelFilter};
use crate::meta::PacketInfo;
use crate::overlapped::{apc, RecvQueue};
use crate::ring::{self, Ring, RingGeometry};
use crate::sys::netns::Netns;
use crate::sys::packet::{PacketSocket, ETH_P_ALL};
use crate::sys::wait;
use crate::waiting::{lock, AbortHandle, AbortSlot, LinkStats, LinkWatch};
use crate::wsa::{self, WsaCode};
use std::net::SocketAddr;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The faithful socket's ring: 128 blocks of 256 KiB (32 MiB, tcpdump's -B 32768). Any
/// datagram fits a block (64 KiB GSO included); the depth rides out scheduling delays at line
/// rate (4 MiB lost 0.02–0.18% of 1514-byte packets at 477 kpps in the benchmark: ~6 ms of
/// buffer). A partly filled block is handed over after 4 ms.
const SOCKET_RING: RingGeometry = RingGeometry {
    block_size: 256 << 10,
    block_nr: 128,
    retire_timeout_ms: 4,
};
const SOCKET_RETIRE: Duration = Duration::from_millis(SOCKET_RING.retire_timeout_ms as u64);

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
    /// The link going down (wait) or the interface going away (deliver what is queued, then
    /// fail with WSAENETDOWN).
    down: LinkWatch,
    /// The interface's MTU when capture started (a longer datagram is a GSO super-packet).
    mtu: u32,
}

/// Everything a socket is; [`Socket`](super::Socket) is a shared handle to it, so the
/// overlapped worker can keep receiving while the application goes on.
#[derive(Debug)]
pub(crate) struct SocketCore {
    family: Family,
    packet: PacketSocket,
    reader: Mutex<Reader>,
    netns: Netns,
    state: Mutex<State>,
    abort: Arc<AbortSlot>,
    closed: AtomicBool,
    nonblocking: AtomicBool,
    /// A signal handler running during a wait ends it with WSAEINTR (for language runtimes).
    interruptible: AtomicBool,
    read_timeout: Mutex<Option<Duration>>,
    /// Pending overlapped receives, made on the first one.
    overlapped: OnceLock<RecvQueue>,
}

/// The ring the socket reads.
#[derive(Debug)]
struct Reader {
    ring: Ring,
}

/// What one look at the ring found.
#[derive(Debug)]
pub(crate) enum Polled<T> {
    /// A datagram (or what reading it gave).
    Datagram(T),
    /// Nothing queued now; the loss of the interface is reported after this instant, if set.
    Empty { down_deadline: Option<Instant> },
}

/// Whether a receive may wait for a datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wait {
    /// As the socket's mode says (blocking, with its read timeout, or nonblocking).
    AsTheSocketSays,
    /// Never, whatever the mode (WSAEWOULDBLOCK when nothing is queued).
    Never,
}

/// WSA_OPERATION_ABORTED for a receive cut short by close or an abort handle.
pub(crate) fn aborted() -> Error {
    Error::new(
        WsaCode::OperationAborted,
        "the receive was aborted: the socket was closed or an AbortHandle fired",
    )
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(WsaCode::InvalidArgument, message)
}

impl SocketCore {
    /// Creates a socket of `family`. Needs CAP_NET_RAW (WSAEACCES without it).
    ///
    /// The socket belongs to the calling thread's network namespace, like any socket.
    pub fn new(family: Family) -> Result<SocketCore> {
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
        Ok(SocketCore {
            family,
            packet,
            reader: Mutex::new(Reader { ring }),
            netns,
            state: Mutex::new(State {
                binding: None,
                mode: RcvAll::Off,
                promisc: None,
                down: LinkWatch::idle(),
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
            overlapped: OnceLock::new(),
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
            wsa::SIO_FLUSH => self.flush(),
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
        if let Some(queue) = self.overlapped.get() {
            queue.cancel_all();
        }
        let mut state = lock(&self.state);
        // Best effort: the file descriptor's close on drop releases everything anyway.
        let _ = self.stop(&mut state);
        state.binding = None;
    }

    /// The blocking receive of [`Socket::recv_with_info`](super::Socket::recv_with_info).
    pub fn recv_with_info(&self, buf: &mut [u8]) -> Result<(usize, PacketInfo)> {
        self.wait_and_look(Wait::AsTheSocketSays, |core| core.poll_ring(buf))?
    }

    /// [`SocketCore::recv_with_info`] that never waits (WSAEWOULDBLOCK when nothing is queued).
    pub fn try_recv_with_info(&self, buf: &mut [u8]) -> Result<(usize, PacketInfo)> {
        self.wait_and_look(Wait::Never, |core| core.poll_ring(buf))?
    }

    /// The blocking batch receive of [`Socket::recv_batch`](super::Socket::recv_batch).
    pub fn recv_batch(
        &self,
        max: usize,
        each: impl FnMut(&[u8], PacketInfo) -> ControlFlow<()>,
    ) -> Result<usize> {
        self.batch(Wait::AsTheSocketSays, max, each)
    }

    /// [`SocketCore::recv_batch`] that never waits (WSAEWOULDBLOCK when nothing is queued).
    pub fn try_recv_batch(
        &self,
        max: usize,
        each: impl FnMut(&[u8], PacketInfo) -> ControlFlow<()>,
    ) -> Result<usize> {
        self.batch(Wait::Never, max, each)
    }

    fn batch(
        &self,
        wait: Wait,
        max: usize,
        mut each: impl FnMut(&[u8], PacketInfo) -> ControlFlow<()>,
    ) -> Result<usize> {
        if max == 0 {
            return Err(invalid(
                "a batch of at most 0 datagrams: ask for at least one",
            ));
        }
        self.wait_and_look(wait, |core| core.poll_many(max, &mut each))
    }

    /// Makes a blocking receive end with WSAEINTR when a signal handler runs while it waits.
    pub fn set_interruptible(&self, interruptible: bool) {
        self.interruptible.store(interruptible, Ordering::Relaxed);
    }

    /// Looks at the ring with `look`, waiting between looks (read timeout, nonblocking mode,
    /// aborts, signals when interruptible) until a look finds something.
    fn wait_and_look<T>(
        &self,
        wait: Wait,
        mut look: impl FnMut(&Self) -> Result<Polled<T>>,
    ) -> Result<T> {
        // Take the abort snapshot before the closed check: a close racing with this call then
        // either is seen here or signals the very eventfd this call waits on.
        let abort = self.abort.snapshot();
        let nonblocking = wait == Wait::Never || self.nonblocking.load(Ordering::Relaxed);
        if !nonblocking {
            apc::refuse_blocking_in_routine("a blocking recv")?;
        }
        let timeout = *lock(&self.read_timeout);
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            let down = match look(self)? {
                Polled::Datagram(value) => return Ok(value),
                Polled::Empty { .. } if nonblocking => {
                    return Err(Error::new(
                        WsaCode::WouldBlock,
                        "no datagram is queued (nonblocking socket): try again later",
                    ))
                }
                Polled::Empty { .. } => lock(&self.state).down,
            };
            let interruptible = self.interruptible.load(Ordering::Relaxed);
            match down.wait_or_signal(&self.packet, &abort, deadline, interruptible)? {
                wait::Wake::Ready => self.note_socket_error(),
                wait::Wake::Aborted => return Err(aborted()),
                wait::Wake::TimedOut if deadline.is_some_and(|d| Instant::now() >= d) => {
                    return Err(Error::new(
                        WsaCode::TimedOut,
                        format!(
                            "no datagram within the read timeout of {:?}",
                            timeout.unwrap_or_default()
                        ),
                    ))
                }
                // A look at the link is due, or the grace after a loss ended: look again.
                wait::Wake::TimedOut => {}
            }
        }
    }

    /// One look: up to `max` ready datagrams handed to `each`, in order, whole, until `each`
    /// breaks (the datagram it was given counts).
    fn poll_many(
        &self,
        max: usize,
        each: &mut impl FnMut(&[u8], PacketInfo) -> ControlFlow<()>,
    ) -> Result<Polled<usize>> {
        let flow = match self.poll_datagram(|data, info| each(data, info))? {
            Polled::Datagram(flow) => flow,
            Polled::Empty { down_deadline } => return Ok(Polled::Empty { down_deadline }),
        };
        let mtu = lock(&self.state).mtu;
        let mut count = 1;
        // Only what is queued already: never waits for a second datagram.
        let mut flow = flow;
        while count < max && flow.is_continue() {
            match self.read_one(mtu, |data, info| each(data, info)) {
                Some(next) => flow = next,
                None => break,
            }
            count += 1;
        }
        Ok(Polled::Datagram(count))
    }

    /// One look at the ring, never waiting: the next datagram copied into `buf` (WSAEMSGSIZE
    /// with the full length when it does not fit), or `Empty`. Fails when closed or unbound,
    /// and with WSAENETDOWN once the interface is gone and every datagram before it was read.
    pub(crate) fn poll_ring(&self, buf: &mut [u8]) -> Result<Polled<Result<(usize, PacketInfo)>>> {
        self.poll_datagram(|data, info| {
            let copied = data.len().min(buf.len());
            buf[..copied].copy_from_slice(&data[..copied]);
            if data.len() > buf.len() {
                let full = data.len().max(info.original_len as usize);
                Err(Error::message_size(full, buf.len()))
            } else {
                Ok((copied, info))
            }
        })
    }

    /// [`SocketCore::poll_ring`] for a datagram of its own: an exact-size copy, never short.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn poll_owned(&self) -> Result<Polled<(Vec<u8>, PacketInfo)>> {
        self.poll_datagram(|data, info| (data.to_vec(), info))
    }

    fn poll_datagram<T>(&self, read: impl FnOnce(&[u8], PacketInfo) -> T) -> Result<Polled<T>> {
        self.check_open()?;
        let mtu = {
            let mut state = lock(&self.state);
            // While the link is down, look at it again when due, datagrams or not.
            state.down.refresh(&self.packet, Instant::now());
            if state.binding.is_none() {
                return Err(invalid(
                    "the socket is not bound: bind it and set SIO_RCVALL before receiving",
                ));
            }
            state.mtu
        };
        if let Some(value) = self.read_one(mtu, read) {
            return Ok(Polled::Datagram(value));
        }
        let mut state = lock(&self.state);
        let now = Instant::now();
        state.down.refresh(&self.packet, now);
        if state.down.expired(now) {
            return Err(Error::new(
                WsaCode::NetworkDown,
                "the interface was removed (or moved to another network namespace); every \
                 datagram queued before was delivered. Set RCVALL_OFF, bind again and set \
                 SIO_RCVALL to resume",
            ));
        }
        let down = state.down;
        Ok(Polled::Empty {
            down_deadline: down.deadline(),
        })
    }

    /// Hands the next datagram of the ring to `read`; None when nothing is ready.
    fn read_one<T>(&self, mtu: u32, read: impl FnOnce(&[u8], PacketInfo) -> T) -> Option<T> {
        let mut reader = lock(&self.reader);
        let mut read = Some(read);
        // Bounded: each pass consumes a frame or a corrupt block; the ring is finite.
        loop {
            let got = reader.ring.next_frame(|frame| {
                let read = read.take()?;
                Some(read(frame.data, PacketInfo::from_frame(frame, mtu)))
            })?;
            match got {
                Ok(Some(value)) => return Some(value),
                // A block the kernel would never write: skip it.
                Ok(None) | Err(_) => continue,
            }
        }
    }

    /// Link-state changes seen while capturing.
    pub fn link_stats(&self) -> LinkStats {
        lock(&self.state).down.current(&self.packet)
    }

    /// SIO_FLUSH: every pending overlapped receive ends with WSA_OPERATION_ABORTED.
    pub fn flush(&self) -> Result<()> {
        self.check_open()?;
        if let Some(queue) = self.overlapped.get() {
            queue.cancel_all();
        }
        Ok(())
    }

    /// The overlapped receive queue, made on first use.
    pub(crate) fn overlapped_queue(&self) -> Result<&RecvQueue> {
        if let Some(queue) = self.overlapped.get() {
            return Ok(queue);
        }
        let queue = RecvQueue::new()
            .map_err(|err| Error::setup(&err, "creating the overlapped queue's eventfd failed"))?;
        Ok(self.overlapped.get_or_init(|| queue))
    }

    /// The packet socket (for readiness) and the abort slot (for cancellation).
    pub(crate) fn packet(&self) -> &PacketSocket {
        &self.packet
    }

    pub(crate) fn abort_slot(&self) -> &Arc<AbortSlot> {
        &self.abort
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Reads the socket's pending error after a wake-up (an OFF socket ignores it).
    pub(crate) fn note_socket_error(&self) {
        let mut state = lock(&self.state);
        if state.mode != RcvAll::Off {
            state.down.note(&self.packet);
        } else {
            // Read it all the same: a pending error keeps poll reporting POLLERR, and a wait
            // on an OFF socket would spin instead of sleeping.
            let _ = self.packet.take_error();
        }
    }

    pub(crate) fn check_open(&self) -> Result<()> {
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
        KernelFilter::for_interface(iface, vec![self.family.ethertype()], mode)
    }

    /// OFF/new → ON or IPLEVEL, or ON ↔ IPLEVEL. A call that fails changes nothing: the
    /// filter is attached before the promiscuous membership is taken, and put back if taking
    /// it fails, so no membership outlives a failed call.
    fn start(&self, state: &mut State, iface: &Interface, mode: RcvAll) -> Result<()> {
        let previous = if state.mode == RcvAll::Off {
            // Hook to the interface while the filter still rejects everything.
            self.packet
                .attach_filter(&kfilter::reject_all())
                .and_then(|()| self.packet.bind(iface.index, ETH_P_ALL))
                .map_err(|err| Error::setup(&err, &format!("binding to {} failed", iface.name)))?;
            // A stale error of an earlier capture, or the ENETDOWN packet_do_bind reports at
            // once for a link that is down: read it as this interface's state.
            state.down = LinkWatch::new(iface.index, SOCKET_RETIRE);
            state.down.note(&self.packet);
            kfilter::reject_all()
        } else {
            self.kernel_filter(iface, state.mode).program()
        };
        self.packet
            .attach_filter(&self.kernel_filter(iface, mode).program())
            .map_err(|err| Error::setup(&err, "attaching the capture filter failed"))?;
        let want_promisc = mode == RcvAll::On;
        if want_promisc && state.promisc.is_none() {
            if let Err(err) = self.packet.set_promisc(iface.index, true) {
                let _ = self.packet.attach_filter(&previous);
                return Err(Error::setup(&err, "enabling promiscuous mode failed"));
            }
            state.promisc = Some(iface.index);
        }
        if !want_promisc {
            if let Some(index) = state.promisc.take() {
                // Fails only if the kernel already dropped it (interface gone).
                let _ = self.packet.set_promisc(index, false);
            }
        }
        state.mode = mode;
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
        // Discard what was queued, including the block the kernel has not handed over yet:
        // with the filter rejecting everything it gets no more packets, and its retire timer
        // hands it over within the retire timeout. Waiting for it (bounded) is exact where
        // marking frames by timestamp is not: a clock step back would discard fresh ones.
        let mut reader = lock(&self.reader);
        reader.ring.discard_ready();
        let until = Instant::now() + SOCKET_RETIRE * 4 + Duration::from_millis(20);
        while reader.ring.kernel_holds_packets() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(1));
            reader.ring.discard_ready();
        }
        state.mode = RcvAll::Off;
        state.down = LinkWatch::idle();
        Ok(())
    }
}
