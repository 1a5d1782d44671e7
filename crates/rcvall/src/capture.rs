//! The high-level capture API: the engine under the faithful socket, with the knobs a capture
//! tool needs (families, direction, snap length, ring size, latency, filter, fanout).

use crate::error::{Error, Result};
use crate::iface::{self, Interface};
use crate::kfilter::{self, Insn, KernelFilter};
use crate::meta::PacketInfo;
use crate::ring::{self, AnyFrames, AnyGuard, AnyRing, FrameGeometry, LentBlock, RingGeometry};
use crate::socket::RcvAll;
use crate::sys::packet::{PacketSocket, ETH_P_ALL};
use crate::sys::{ring as sys_ring, wait};
use crate::waiting::{AbortHandle, AbortSlot, LinkStats, LinkWatch};
use crate::wsa::WsaCode;
use rcvall_types::Direction;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Which IP families a capture keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Families {
    /// IPv4 only.
    V4,
    /// IPv6 only.
    V6,
    /// Both.
    Both,
}

impl Families {
    fn ethertypes(self) -> Vec<u16> {
        match self {
            Families::V4 => vec![kfilter::ETH_P_IP],
            Families::V6 => vec![kfilter::ETH_P_IPV6],
            Families::Both => vec![kfilter::ETH_P_IP, kfilter::ETH_P_IPV6],
        }
    }
}

/// How packets are spread over the sockets of a fanout group (PACKET_FANOUT modes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FanoutMode {
    /// By flow hash: a flow stays on one worker, in order.
    Hash,
    /// Round robin: even load, flows reordered across workers.
    LoadBalance,
    /// By the CPU that received the packet.
    Cpu,
}

impl FanoutMode {
    fn kernel_value(self) -> u32 {
        match self {
            FanoutMode::Hash => libc::PACKET_FANOUT_HASH,
            FanoutMode::LoadBalance => libc::PACKET_FANOUT_LB,
            FanoutMode::Cpu => libc::PACKET_FANOUT_CPU,
        }
    }
}

#[derive(Clone, Debug)]
enum Target {
    Address(SocketAddr),
    Name(String),
}

/// TPACKET_V3 block retire timeout: a partly filled block reaches user space after this long
/// (a high-resolution timer on recent kernels — 6.18 here; older ones count it in jiffies).
const BATCH_TIMEOUT_MS: u32 = 50;

/// What the ring should look like; resolved against the interface when it is opened.
#[derive(Clone, Copy, Debug)]
struct RingSettings {
    ring_bytes: u64,
    block_size: u32,
    low_latency: bool,
    snaplen: u32,
}

/// The ring a capture obtained (it may be smaller than asked when memory was short).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RingShape {
    /// TPACKET_V3: packets in blocks, handed over when full or when their timer fires.
    Blocks(RingGeometry),
    /// TPACKET_V2 (low latency): one packet per frame, handed over at once.
    Frames(FrameGeometry),
}

impl RingShape {
    /// Bytes of ring memory.
    pub fn bytes(&self) -> usize {
        match self {
            RingShape::Blocks(g) => g.ring_bytes(),
            RingShape::Frames(g) => g.frame_size as usize * g.frame_nr() as usize,
        }
    }

    /// Most batches the ring can hold at once (blocks, or frames).
    pub fn units(&self) -> u32 {
        match self {
            RingShape::Blocks(g) => g.block_nr,
            RingShape::Frames(g) => g.frame_nr(),
        }
    }
}

fn ring_error(err: ring::GeometryError) -> Error {
    Error::new(WsaCode::InvalidArgument, format!("ring: {err}"))
}

/// Settings for [`Capture`]; start from [`Capture::builder`].
#[derive(Clone, Debug)]
pub struct CaptureBuilder {
    target: Option<Target>,
    families: Families,
    mode: RcvAll,
    direction: Option<Direction>,
    snaplen: u32,
    ring_bytes: u64,
    block_size: Option<u32>,
    low_latency: bool,
    filter: Option<Vec<Insn>>,
}

impl Default for CaptureBuilder {
    fn default() -> Self {
        CaptureBuilder {
            target: None,
            families: Families::Both,
            mode: RcvAll::On,
            direction: None,
            snaplen: kfilter::WHOLE_PACKET,
            ring_bytes: 32 << 20,
            block_size: None,
            low_latency: false,
            filter: None,
        }
    }
}

impl CaptureBuilder {
    /// Capture the interface holding this local address (the SIO_RCVALL way).
    pub fn interface_address(mut self, addr: SocketAddr) -> Self {
        self.target = Some(Target::Address(addr));
        self
    }

    /// Capture the interface with this name.
    pub fn interface_name(mut self, name: &str) -> Self {
        self.target = Some(Target::Name(name.to_owned()));
        self
    }

    /// IPv4, IPv6 or both (default both).
    pub fn families(mut self, families: Families) -> Self {
        self.families = families;
        self
    }

    /// `RcvAll::On` (promiscuous, the default) or `RcvAll::IpLevel`.
    pub fn mode(mut self, mode: RcvAll) -> Self {
        self.mode = mode;
        self
    }

    /// Only received (`In`) or only sent (`Out`) packets; default both.
    pub fn direction(mut self, direction: Option<Direction>) -> Self {
        self.direction = direction;
        self
    }

    /// Bytes kept of each packet (the kernel truncates through the filter's return value, so
    /// the ring holds only what is kept).
    pub fn snaplen(mut self, snaplen: u32) -> Self {
        self.snaplen = snaplen;
        self
    }

    /// Total ring memory (default 32 MiB). Memory use is about this plus a few MiB.
    pub fn ring_size(mut self, bytes: u64) -> Self {
        self.ring_bytes = bytes;
        self
    }

    /// Ring block size: a power of two of at least 4 KiB (default 1 MiB for TPACKET_V3
    /// blocks, 128 KiB for the low-latency TPACKET_V2 ring, whose blocks only group frames).
    pub fn block_size(mut self, bytes: u32) -> Self {
        self.block_size = Some(bytes);
        self
    }

    /// Deliver each packet as soon as the kernel has it: a TPACKET_V2 ring, one wake-up per
    /// packet when idle and runs of frames as batches when busy, instead of TPACKET_V3 blocks,
    /// which reach user space only when full or when their retire timer fires (50 ms here).
    /// Measured at 1 kpps on kernel 6.18: p99 92 µs from the kernel timestamp to the
    /// application, against 1.02 ms for V3 with a 1 ms timer; kernels whose V3 timer still
    /// counts jiffies would give 4 ms at HZ=250. Frames hold at most the interface's MTU (or
    /// the snap length): larger GSO super-packets are truncated and flagged.
    pub fn low_latency(mut self, low: bool) -> Self {
        self.low_latency = low;
        self
    }

    /// A classic BPF program run after rcvall's own checks (e.g. compiled by rcvall-filter);
    /// it sees the packet from its IP header, and its return value is the bytes kept.
    pub fn filter(mut self, program: Vec<Insn>) -> Self {
        self.filter = Some(program);
        self
    }

    fn interface(&self) -> Result<Interface> {
        match &self.target {
            Some(Target::Address(addr)) => iface::by_address(*addr),
            Some(Target::Name(name)) => iface::by_name(name),
            None => Err(Error::new(
                WsaCode::InvalidArgument,
                "no interface given: call interface_address or interface_name",
            )),
        }
    }

    fn program(&self, iface: &Interface) -> Result<Vec<Insn>> {
        let own = KernelFilter {
            direction: self.direction,
            snaplen: self.snaplen,
            ..KernelFilter::for_interface(iface, self.families.ethertypes(), self.mode)
        };
        let program = match &self.filter {
            None => own.program(),
            Some(user) => own.then(user, self.snaplen),
        };
        if program.len() > kfilter::MAX_INSNS {
            return Err(Error::new(
                WsaCode::InvalidArgument,
                format!(
                    "the filter needs {} instructions; the kernel takes at most {}: simplify it",
                    program.len(),
                    kfilter::MAX_INSNS
                ),
            ));
        }
        Ok(program)
    }

    fn ring_settings(&self) -> RingSettings {
        RingSettings {
            ring_bytes: self.ring_bytes,
            block_size: self.block_size.unwrap_or(if self.low_latency {
                128 << 10
            } else {
                1 << 20
            }),
            low_latency: self.low_latency,
            snaplen: self.snaplen,
        }
    }

    /// Opens one capture.
    pub fn open(self) -> Result<Capture> {
        self.validate()?;
        let iface = self.interface()?;
        let program = self.program(&iface)?;
        Capture::open(&iface, &program, &self.ring_settings(), self.mode, None)
    }

    /// Opens `workers` captures in one PACKET_FANOUT group: the kernel spreads the interface's
    /// packets over them, each packet to exactly one. Give each to its own thread.
    pub fn open_fanout(self, workers: usize, mode: FanoutMode) -> Result<Vec<Capture>> {
        if workers == 0 || workers > 1024 {
            return Err(Error::new(
                WsaCode::InvalidArgument,
                format!("{workers} fanout workers: use 1 to 1024"),
            ));
        }
        self.validate()?;
        let iface = self.interface()?;
        let program = self.program(&iface)?;
        let settings = self.ring_settings();
        let mut captures = Vec::with_capacity(workers);
        let mut group = None;
        for _ in 0..workers {
            let fanout = match group {
                None => Fanout::Create(mode),
                Some(id) => Fanout::Join(id, mode),
            };
            let capture = Capture::open(&iface, &program, &settings, self.mode, Some(fanout))?;
            group = group.or(capture.fanout_group);
            captures.push(capture);
        }
        Ok(captures)
    }

    /// Refuses settings that would not do what they say.
    fn validate(&self) -> Result<()> {
        let invalid = |message: String| Err(Error::new(WsaCode::InvalidArgument, message));
        match self.mode {
            RcvAll::On | RcvAll::IpLevel => {}
            other => {
                return invalid(format!(
                    "mode {other:?} captures nothing: use RcvAll::On or RcvAll::IpLevel"
                ))
            }
        }
        if self.snaplen == 0 {
            return invalid(
                "a snap length of 0 keeps nothing (the filter's `ret #0` rejects every packet): \
                 give at least 1, or kfilter::WHOLE_PACKET"
                    .into(),
            );
        }
        Ok(())
    }
}

/// How a capture takes part in a PACKET_FANOUT group.
#[derive(Clone, Copy, Debug)]
enum Fanout {
    /// Starts a group whose id the kernel picks, unique in the network namespace.
    Create(FanoutMode),
    /// Joins the group with this id.
    Join(u16, FanoutMode),
}

/// Cumulative counters of a capture, in 64 bits (the kernel's reset on every read).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Packets the kernel filter accepted ("received by filter"), dropped ones included.
    pub received: u64,
    /// Packets accepted but dropped because the ring was full ("dropped by kernel").
    pub dropped: u64,
    /// Packets handed to the application. Once the ring is drained,
    /// `delivered + dropped == received`.
    pub delivered: u64,
    /// The link going down and up while capturing (the capture goes on).
    pub link: LinkStats,
}

/// A live capture on one interface: a TPACKET_V3 ring read in batches, without copies.
#[derive(Debug)]
pub struct Capture {
    packet: PacketSocket,
    engine: AnyRing,
    shape: RingShape,
    iface: Interface,
    mtu: u32,
    abort: Arc<AbortSlot>,
    down: LinkWatch,
    stats: Stats,
    /// Packets of lent batches, credited when each is dropped (on any thread).
    lent_delivered: Arc<AtomicU64>,
    /// When the kernel's 32-bit counters were last folded into `stats`.
    folded_at: Instant,
    /// The PACKET_FANOUT group id, for a fanout worker.
    fanout_group: Option<u16>,
}

impl Capture {
    /// Starts configuring a capture.
    pub fn builder() -> CaptureBuilder {
        CaptureBuilder::default()
    }

    fn open(
        iface: &Interface,
        program: &[Insn],
        settings: &RingSettings,
        mode: RcvAll,
        fanout: Option<Fanout>,
    ) -> Result<Capture> {
        // Order matters: socket with protocol 0 (nothing queued) → ring → a filter that
        // rejects everything → bind → fanout → the real filter. No packet of another
        // interface or family is ever queued, and the ring exists before the first packet.
        let packet =
            PacketSocket::new().map_err(|err| Error::setup(&err, "creating the packet socket"))?;
        let mtu = packet.mtu(&iface.name).unwrap_or(u32::MAX);
        let (engine, shape) = if settings.low_latency {
            let packet_bytes = settings.snaplen.min(mtu.max(1500));
            let geometry =
                FrameGeometry::new(settings.ring_bytes, packet_bytes, settings.block_size)
                    .map_err(ring_error)?;
            let (frames, got) = ring::open_frames(&packet, geometry)
                .map_err(|err| Error::setup(&err, "setting up the receive ring"))?;
            (AnyRing::Frames(frames), RingShape::Frames(got))
        } else {
            let geometry =
                RingGeometry::new(settings.ring_bytes, settings.block_size, BATCH_TIMEOUT_MS)
                    .map_err(ring_error)?;
            let (blocks, got) = ring::open(&packet, geometry)
                .map_err(|err| Error::setup(&err, "setting up the receive ring"))?;
            (AnyRing::Blocks(blocks), RingShape::Blocks(got))
        };
        packet
            .attach_filter(&kfilter::reject_all())
            .and_then(|()| packet.bind(iface.index, ETH_P_ALL))
            .map_err(|err| Error::setup(&err, &format!("binding to {}", iface.name)))?;
        let fanout_group = match fanout {
            None => None,
            Some(Fanout::Create(mode)) => Some(
                packet
                    .create_fanout(mode.kernel_value())
                    .map_err(|err| Error::setup(&err, "creating the fanout group"))?,
            ),
            Some(Fanout::Join(group, mode)) => {
                packet
                    .join_fanout(group, mode.kernel_value())
                    .map_err(|err| Error::setup(&err, "joining the fanout group"))?;
                Some(group)
            }
        };
        packet
            .attach_filter(program)
            .map_err(|err| Error::setup(&err, "attaching the capture filter"))?;
        if mode == RcvAll::On {
            packet
                .set_promisc(iface.index, true)
                .map_err(|err| Error::setup(&err, "enabling promiscuous mode"))?;
        }
        // The reject-all filter may have counted nothing, but start from zero regardless.
        let _ = sys_ring::take_stats(packet.as_fd());
        // V3 blocks wait for their retire timer; V2 frames are handed over at once.
        let retire = match shape {
            RingShape::Blocks(g) => Duration::from_millis(u64::from(g.retire_timeout_ms)),
            RingShape::Frames(_) => Duration::ZERO,
        };
        let mut down = LinkWatch::new(iface.index, retire);
        // packet_do_bind reports ENETDOWN at once when the link is down: a capture of a down
        // link waits for it.
        down.note(&packet);
        Ok(Capture {
            mtu,
            packet,
            engine,
            shape,
            iface: iface.clone(),
            abort: Arc::new(
                AbortSlot::new().map_err(|err| Error::setup(&err, "creating the abort eventfd"))?,
            ),
            down,
            stats: Stats::default(),
            lent_delivered: Arc::default(),
            folded_at: Instant::now(),
            fanout_group,
        })
    }

    /// The interface captured.
    pub fn interface(&self) -> &Interface {
        &self.iface
    }

    /// The PACKET_FANOUT group this capture belongs to (from `open_fanout`), if any.
    pub fn fanout_group(&self) -> Option<u16> {
        self.fanout_group
    }

    /// The ring obtained.
    pub fn ring_shape(&self) -> RingShape {
        self.shape
    }

    /// True when a batch is ready (the unit under the cursor is user space's).
    fn ready(&mut self) -> bool {
        self.engine.ready()
    }

    /// A handle that ends a [`Capture::next_batch`] wait from another thread.
    pub fn abort_handle(&self) -> AbortHandle {
        AbortHandle::new(self.abort.clone())
    }

    /// The next batch of packets, without waiting: `Ok(None)` when the block under the cursor
    /// is still the kernel's (exactly then — an async reactor may rely on it). Callers that
    /// poll the capture's descriptor themselves get WSAENETDOWN here once the interface is
    /// gone and everything before was delivered.
    pub fn try_next_batch(&mut self) -> Result<Option<Batch<'_>>> {
        if !self.look()? {
            return Ok(None);
        }
        Ok(self.take_batch())
    }

    /// One look, never waiting: true when a batch is ready (exactly when the unit under the
    /// cursor is user space's). Otherwise reads a pending error (the caller may have been
    /// woken by POLLERR, ENETDOWN: reading it clears it) and fails once the interface is gone
    /// and every packet before was delivered.
    pub(crate) fn look(&mut self) -> Result<bool> {
        let now = Instant::now();
        // While the link is down, look at it again when due, packets or not.
        self.down.refresh(&self.packet, now);
        if self.ready() {
            return Ok(true);
        }
        self.down.note(&self.packet);
        if self.down.expired(now) {
            return Err(interface_lost(&self.iface));
        }
        Ok(false)
    }

    /// When the loss of the interface will be reported, once the kernel said ENETDOWN.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn down_deadline(&self) -> Option<Instant> {
        self.down.deadline()
    }

    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn abort_slot(&self) -> &Arc<AbortSlot> {
        &self.abort
    }

    /// The next batch of packets, waiting up to `timeout` (None: until one comes).
    /// `Ok(None)` when the timeout expired. Fails with WSA_OPERATION_ABORTED when aborted,
    /// and with WSAENETDOWN once the interface is gone and every packet before was delivered.
    pub fn next_batch(&mut self, timeout: Option<Duration>) -> Result<Option<Batch<'_>>> {
        let abort = self.abort.snapshot();
        let deadline = timeout.map(|t| Instant::now() + t);
        self.down.refresh(&self.packet, Instant::now());
        while !self.ready() {
            let now = Instant::now();
            if self.down.expired(now) {
                return Err(interface_lost(&self.iface));
            }
            if deadline.is_some_and(|d| now >= d) {
                return Ok(None);
            }
            let wait_until = if self.engine.lends_outstanding() {
                // The kernel's poll may say readable while a block is lent: sleep a little,
                // then look (and at an abort) without waiting.
                std::thread::sleep(LENT_BACKOFF);
                Some(Instant::now())
            } else {
                deadline
            };
            match self.down.wait(&self.packet, &abort, wait_until)? {
                wait::Wake::Ready => self.down.note(&self.packet),
                wait::Wake::TimedOut => self.down.refresh(&self.packet, Instant::now()),
                wait::Wake::Aborted => {
                    return Err(Error::new(
                        WsaCode::OperationAborted,
                        "the capture's wait was aborted",
                    ))
                }
            }
        }
        Ok(self.take_batch())
    }

    pub(crate) fn take_batch(&mut self) -> Option<Batch<'_>> {
        // The kernel's counters are 32-bit (4.3e9 packets: 71 minutes at 1 Mpps) and reset on
        // every read: fold them often enough that they never wrap, whether or not the
        // application asks for stats.
        if self.folded_at.elapsed() >= FOLD_EVERY {
            let _ = self.fold_kernel_counters();
        }
        let mtu = self.mtu;
        let held = self.engine.take()?;
        let walkable = WalkableCount::new(held.len());
        Some(Batch {
            held: Some(held),
            mtu,
            walkable,
            delivered: &mut self.stats.delivered,
            lent_delivered: &self.lent_delivered,
        })
    }

    fn fold_kernel_counters(&mut self) -> Result<()> {
        let (received, dropped) = sys_ring::take_stats(self.packet.as_fd())
            .map_err(|err| Error::os(WsaCode::NetworkDown, &err, "reading statistics failed"))?;
        self.stats.received += u64::from(received);
        self.stats.dropped += u64::from(dropped);
        self.folded_at = Instant::now();
        Ok(())
    }

    /// The link's state changes so far (no system call while the link is up): a link that
    /// goes down and comes back does not end the capture.
    pub fn link_stats(&mut self) -> LinkStats {
        self.down.current(&self.packet)
    }

    /// Cumulative statistics; folds in the kernel's counters (which reset on every read).
    pub fn stats(&mut self) -> Result<Stats> {
        self.fold_kernel_counters()?;
        self.stats.link = self.down.current(&self.packet);
        let mut stats = self.stats;
        stats.delivered += self.lent_delivered.load(Ordering::Relaxed);
        Ok(stats)
    }

    /// True while a lent batch ([`Batch::lend`]) is not back. The descriptor may then look
    /// readable with nothing ready (the kernel's poll says readable while the block before
    /// the one it fills is user space's), so a caller that polls it itself should sleep a
    /// little instead, as [`Capture::next_batch`] does.
    pub fn lends_outstanding(&self) -> bool {
        self.engine.lends_outstanding()
    }
}

/// How long a wait sleeps while a block is lent out: about the time a default 1 MiB block of
/// 1514-byte packets (692 of them) takes to fill at 800 kpps, the fastest rate measured here,
/// so a lending capture wakes about once per block; the default 32 MiB ring holds 30 times
/// as much. (200 µs woke it five times per block: 226 against 125 ns per packet, RESULTS §11b.)
pub const LENT_BACKOFF: Duration = Duration::from_millis(1);

/// How often the kernel's counters are folded in, at the latest (while batches are taken).
const FOLD_EVERY: Duration = Duration::from_secs(10);

fn interface_lost(iface: &Interface) -> Error {
    Error::new(
        WsaCode::NetworkDown,
        format!(
            "interface {} was removed (or moved to another network namespace); every packet \
             captured before was delivered",
            iface.name
        ),
    )
}

impl AsRawFd for Capture {
    /// The packet socket: readable when a block is ready (for epoll or an async reactor).
    fn as_raw_fd(&self) -> RawFd {
        self.packet.as_fd().as_raw_fd()
    }
}

impl AsFd for Capture {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.packet.as_fd()
    }
}

/// A batch of packets (a V3 block, or a run of V2 frames); dropping it hands them back.
#[derive(Debug)]
pub struct Batch<'c> {
    /// None only once lent out ([`Batch::lend`]).
    held: Option<AnyGuard<'c>>,
    mtu: u32,
    walkable: WalkableCount,
    /// The capture's `delivered` counter, credited when the batch is handed back.
    delivered: &'c mut u64,
    lent_delivered: &'c Arc<AtomicU64>,
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        *self.delivered += self.walkable.get();
    }
}

/// How many of a batch's packets the application can walk: the kernel's count, cut at the
/// first corrupt frame once a walk meets one (the kernel never writes one; the walker checks
/// anyway). Counting this way costs nothing per packet: a walk of its own over every frame
/// header when the batch is taken, before the application's, cost ~20 % of a 64-byte
/// capture to a file (bench/RESULTS.md §11).
#[derive(Debug)]
struct WalkableCount {
    kernel: u64,
    corrupt_at: std::cell::Cell<Option<u64>>,
}

impl WalkableCount {
    fn new(kernel: usize) -> WalkableCount {
        WalkableCount {
            kernel: kernel as u64,
            corrupt_at: std::cell::Cell::new(None),
        }
    }

    /// A walk found frame `index` corrupt: nothing from it on can be walked.
    fn corrupt(&self, index: u64) {
        let earliest = self.corrupt_at.get().map_or(index, |at| at.min(index));
        self.corrupt_at.set(Some(earliest));
    }

    fn get(&self) -> u64 {
        self.corrupt_at
            .get()
            .unwrap_or(self.kernel)
            .min(self.kernel)
    }
}

impl<'c> Batch<'c> {
    fn held(&self) -> &AnyGuard<'c> {
        self.held
            .as_ref()
            .expect("a batch holds its packets until lent")
    }

    /// Packets in the batch.
    pub fn len(&self) -> usize {
        self.held().len()
    }

    /// True when the batch holds no packet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The packets, in the order the kernel queued them.
    pub fn packets(&self) -> Packets<'_> {
        Packets {
            walk: self.held().frames(),
            mtu: self.mtu,
            index: 0,
            walkable: &self.walkable,
        }
    }

    /// Lends the batch out of the ring: a [`LentBatch`] owns it (and may go to another
    /// thread, such as a writer writing the packets straight from the ring), and hands it
    /// back to the kernel when dropped, while the capture goes on to the next batch.
    ///
    /// A lent batch is still ring memory: the kernel cannot refill it, so a lender that
    /// keeps batches longer than the ring takes to fill shows as drops, as a slow reader
    /// would. Only TPACKET_V3 blocks are lent; a low-latency capture's batch comes back as
    /// the error.
    pub fn lend(mut self) -> std::result::Result<LentBatch, Batch<'c>> {
        let held = self.held.take().expect("a batch is lent once");
        match held.lend() {
            Ok(block) => Ok(LentBatch {
                block,
                mtu: self.mtu,
                // The lent batch credits `delivered` when it is dropped; this one no more.
                walkable: std::mem::replace(&mut self.walkable, WalkableCount::new(0)),
                delivered: Arc::clone(self.lent_delivered),
            }),
            Err(held) => {
                self.held = Some(held);
                Err(self)
            }
        }
    }
}

/// A batch lent out of the ring by [`Batch::lend`]; dropping it hands it back to the kernel.
#[derive(Debug)]
pub struct LentBatch {
    block: LentBlock,
    mtu: u32,
    walkable: WalkableCount,
    delivered: Arc<AtomicU64>,
}

impl LentBatch {
    /// Packets in the batch.
    pub fn len(&self) -> usize {
        self.block.len() as usize
    }

    /// True when the batch holds no packet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The packets, in the order the kernel queued them.
    pub fn packets(&self) -> Packets<'_> {
        Packets {
            walk: AnyFrames::Block(self.block.frames()),
            mtu: self.mtu,
            index: 0,
            walkable: &self.walkable,
        }
    }
}

impl Drop for LentBatch {
    fn drop(&mut self) {
        self.delivered
            .fetch_add(self.walkable.get(), Ordering::Relaxed);
    }
}

/// Iterator over a batch's packets.
#[derive(Clone, Debug)]
pub struct Packets<'a> {
    walk: AnyFrames<'a>,
    mtu: u32,
    /// Frames returned so far.
    index: u64,
    walkable: &'a WalkableCount,
}

impl<'a> Iterator for Packets<'a> {
    type Item = Packet<'a>;

    // Inlined into the caller's loop, across the crate boundary (with the frame walk under
    // it): as a call, each packet's metadata went through memory and back, and a 64-byte
    // flood to /dev/null cost 35–42 ns/pkt in the CLI instead of 19–27 (bench/local_ab.sh).
    #[inline(always)]
    fn next(&mut self) -> Option<Packet<'a>> {
        // A corrupt frame ends the walk (the kernel never writes one), and the batch's count.
        let frame = match self.walk.next()? {
            Ok(frame) => frame,
            Err(_) => {
                self.walkable.corrupt(self.index);
                return None;
            }
        };
        self.index += 1;
        Some(Packet {
            data: frame.data,
            info: PacketInfo::from_frame(&frame, self.mtu),
        })
    }
}

/// One captured packet, borrowed from the ring.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    /// The bytes kept, from the IP header.
    pub data: &'a [u8],
    /// Timestamp, direction, interface, lengths, flags.
    pub info: PacketInfo,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ring::block::{synth, Frames};

    fn synthetic_frame(i: u8) -> synth::Frame {
        synth::Frame {
            data: vec![0x45, i, 0, 40],
            wire_len: 4,
            timestamp_ns: u64::from(i),
            status: 0,
            pkttype: libc::PACKET_HOST,
            ifindex: 1,
        }
    }

    #[test]
    fn delivered_counts_only_the_frames_before_a_corrupt_one() {
        let frames: Vec<synth::Frame> = (0..3).map(synthetic_frame).collect();
        let mut block = synth::block(4096, libc::TP_STATUS_USER, 1, &frames);
        // The second frame: after the 48-byte block header and the first frame (its 68-byte
        // TPACKET3_HDRLEN aligned to 80, 4 data bytes, the total aligned to 16 = 96 bytes).
        // A snap length reaching past the block makes it corrupt.
        let second = 48 + 96;
        block[second + 12..second + 16].copy_from_slice(&u32::MAX.to_ne_bytes());
        // The header's num_pkts says 3: that is what `delivered` is credited until a walk
        // meets the corrupt frame.
        let walkable = WalkableCount::new(3);
        assert_eq!(walkable.get(), 3);
        let packets = Packets {
            walk: AnyFrames::Block(Frames::new(&block).unwrap()),
            mtu: 1500,
            index: 0,
            walkable: &walkable,
        };
        assert_eq!(packets.count(), 1);
        assert_eq!(walkable.get(), 1, "a batch dropped now credits 1");
    }

    /// A raw IPv4 socket in `ns` sends `datagram` (IP header included) `count` times.
    fn send_raw(ns: &testkit::Netns, datagram: &[u8], to: std::net::Ipv4Addr, count: usize) {
        use socket2::{Domain, Protocol, SockAddr, Socket, Type};
        ns.run(|| {
            let sock = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(255))).unwrap();
            let to = SockAddr::from(std::net::SocketAddr::new(to.into(), 0));
            for _ in 0..count {
                assert_eq!(sock.send_to(datagram, &to).unwrap(), datagram.len());
            }
        });
    }

    /// Takes batches until `want` packets carrying `marker` came; returns all packets taken.
    fn take_marked(capture: &mut Capture, marker: &[u8], want: u64) -> u64 {
        let started = Instant::now();
        let (mut marked, mut taken) = (0, 0);
        while marked < want && started.elapsed() < Duration::from_secs(5) {
            if let Some(batch) = capture
                .next_batch(Some(Duration::from_millis(100)))
                .unwrap()
            {
                for packet in batch.packets() {
                    taken += 1;
                    marked += u64::from(packet.data.ends_with(marker));
                }
            }
        }
        assert_eq!(marked, want, "packets with {marker:?} taken");
        taken
    }

    /// The kernel's 32-bit counters reset on each read and wrap after 2^32 packets, so they
    /// must be folded while batches are taken, not only when the application asks for stats.
    #[test]
    fn kernel_counters_are_folded_while_batches_are_taken_without_stats() {
        testkit::require_root();
        let pair = testkit::Pair::new().unwrap();
        let builder = Capture::builder()
            .interface_name(&pair.b.ifname)
            .families(Families::V4)
            // Not the ICMP port-unreachable replies, which quote the datagram.
            .direction(Some(Direction::In))
            .low_latency(true);
        let mut capture = pair.b.ns.run(|| builder.open()).unwrap();
        let datagram =
            testkit::packet::udp_datagram(pair.a.sock_v4(1), pair.b.sock_v4(9), b"rcvt-fold");
        send_raw(&pair.a.ns, &datagram, pair.b.v4, 20);
        let first = take_marked(&mut capture, b"rcvt-fold", 20);
        assert_eq!(capture.stats.received, 0, "folded before its time");
        capture.folded_at -= FOLD_EVERY;
        send_raw(&pair.a.ns, &datagram, pair.b.v4, 20);
        let second = take_marked(&mut capture, b"rcvt-fold", 20);
        assert!(
            capture.stats.received >= first,
            "the batches taken after {FOLD_EVERY:?} folded the counters in: {:?}",
            capture.stats
        );
        let stats = capture.stats().unwrap();
        assert_eq!(stats.received, first + second, "{stats:?}");
        assert_eq!((stats.delivered, stats.dropped), (first + second, 0));
    }

    #[test]
    fn the_builder_refuses_settings_that_would_capture_nothing() {
        for mode in [RcvAll::Off, RcvAll::SocketLevelOnly] {
            let err = Capture::builder()
                .interface_name("lo")
                .mode(mode)
                .open()
                .unwrap_err();
            assert_eq!(err.kind(), WsaCode::InvalidArgument, "{mode:?}");
            assert!(err.message().contains("captures nothing"), "{err}");
        }
        let err = Capture::builder()
            .interface_name("lo")
            .snaplen(0)
            .open()
            .unwrap_err();
        assert_eq!(err.kind(), WsaCode::InvalidArgument);
        assert!(err.message().contains("snap length of 0"), "{err}");
        let err = Capture::builder()
            .interface_name("lo")
            .mode(RcvAll::Off)
            .open_fanout(2, FanoutMode::Hash)
            .unwrap_err();
        assert_eq!(err.kind(), WsaCode::InvalidArgument);
    }
}
