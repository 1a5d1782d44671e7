//! Capture files (pcapng, pcap) written at line rate: the capture thread encodes packets into
//! large page-aligned chunks and hands them to a writer thread, which writes them (O_DIRECT
//! where the file system takes it). Memory is bounded: a fixed pool of chunks
//! ([`POOL_BYTES`]) is allocated once; when the writer falls behind and no chunk is free, the
//! packet is not written and counted as "dropped by writer" — the ring keeps moving, so the
//! kernel never stalls on a slow disk.
//!
//! To a stream (standard output, a pipe, a device) without rotation, blocks of full-size
//! packets skip the chunks: the whole ring block is lent to the writer, which writes the
//! packets from the ring ([`gather`]) and hands the block back; memory is then the ring's.
//! While the writer thread has nothing queued, the capture thread writes a stream's chunks
//! and lent blocks itself (no thread switches); the ring is then a stream's buffer.
//!
//! A thread rather than io_uring: io_uring's shared rings need unsafe code, which this project
//! keeps in `rcvall::sys`, and one thread already writes a 1514-byte flood at the generator's
//! ceiling (≈ 680 MB/s here) with O_DIRECT without a loss (bench/RESULTS.md §9).
//!
//! Rotation (-C, -G, -W, -z) follows tcpdump 4.99: see [`naming`] for the names and
//! [`Recorder::packet`] for when a file is closed. Every file is complete on its own: a header
//! (pcap) or a Section Header Block with every interface's IDB (pcapng), whole packets only,
//! and (pcapng) an Interface Statistics Block per interface at its close.

mod chunk;
mod gather;
pub use gather::LEND_FROM_BYTES;
pub mod naming;
mod thread;

use anyhow::{Context, Result};
use chunk::{round_down, Chunk, ALIGN};
use gather::{Framer, LentJob};
use naming::Naming;
use rcvall::{Interface, LentBatch, Stats};
use rcvall_pcap::{
    encode_statistics, InterfaceDesc, InterfaceStats, LinkType, PcapWriter, PcapngWriter,
};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
pub use thread::Failure;
use thread::{Job, Output, Shared, WriterThread};

/// Size of one chunk: large enough for writes near the disk's sequential rate, small enough
/// that the chunk being filled stays in the CPU's caches when the writer keeps up.
pub const CHUNK_BYTES: usize = 1 << 20;
/// Memory for chunks in all: 32 chunks, about 50 ms of a 660 MB/s flood (the ring holds as
/// much again). Chunks are reused most-recent first, so while the writer keeps up only a few
/// are ever touched and the rest cost no resident memory.
pub const POOL_BYTES: usize = 32 << 20;
/// Room kept free at the end of every chunk for one Interface Statistics Block per
/// interface, so a file can always be closed without waiting for a chunk.
const ISB_ROOM: usize = 160;

/// When files end and how the next ones are named (tcpdump's -C, -G, -W, -z).
#[derive(Debug, Clone, Default)]
pub struct Rotation {
    /// -C: a new file once the current one holds more than this many bytes.
    pub size_bytes: Option<u64>,
    /// -G: a new file once this many seconds passed since the current one began.
    pub seconds: Option<u64>,
    /// -W: with -C a ring of this many files; with -G alone, stop after this many.
    pub files: Option<u32>,
    /// -z: run on each file closed by a rotation.
    pub compress: Option<String>,
}

impl Rotation {
    pub fn active(&self) -> bool {
        self.size_bytes.is_some() || self.seconds.is_some()
    }
}

/// What to write.
pub struct Settings<'a> {
    pub pcapng: bool,
    pub path: Option<&'a Path>,
    pub interfaces: &'a [Interface],
    pub snaplen: u32,
    pub rotation: Rotation,
    /// -U: hand each ring batch to the writer at once.
    pub packet_buffered: bool,
    /// Try O_DIRECT on regular files.
    pub direct: bool,
}

/// The output file opened (as the user who started rcvall), before privileges are dropped and
/// before any thread exists.
pub struct Prepared {
    out: Output,
    first_path: Option<PathBuf>,
    naming: Option<Naming>,
    start_secs: i64,
}

/// Opens the first output file (or standard output).
pub fn prepare(s: &Settings<'_>) -> Result<Prepared> {
    let start_secs = now_secs();
    let naming = s.path.filter(|_| s.rotation.active()).map(|p| {
        Naming::new(
            &p.to_string_lossy(),
            s.rotation.seconds.is_some(),
            s.rotation.size_bytes.is_some(),
            s.rotation.files,
        )
    });
    let (out, first_path) = match s.path {
        Some(path) => {
            let first = naming
                .as_ref()
                .map_or_else(|| path.to_owned(), |n| n.name(start_secs, 0));
            let out = thread::create(&first, s.direct)
                .with_context(|| format!("cannot create {}", first.display()))?;
            (out, Some(first))
        }
        None => {
            use std::os::fd::AsFd;
            let fd = io::stdout()
                .as_fd()
                .try_clone_to_owned()
                .context("duplicating standard output")?;
            (
                Output::Stream {
                    file: std::fs::File::from(fd),
                    path: None,
                },
                None,
            )
        }
    };
    Ok(Prepared {
        out,
        first_path,
        naming,
        start_secs,
    })
}

impl Prepared {
    /// The first file's name (-Z hands it to the user).
    pub fn first_path(&self) -> Option<&Path> {
        self.first_path.as_deref()
    }
}

/// The capture thread's side of the output.
pub struct Recorder {
    header: Vec<u8>,
    interfaces: usize,
    positioned: bool,
    /// Whole ring blocks go to the writer, which writes them from the ring (a stream output
    /// without rotation; see [`Recorder::lend`]).
    lends: bool,
    packet_buffered: bool,
    chunk: Option<Chunk>,
    /// Chunks back from the writer, the most recently returned (cache-warm) last.
    spares: Vec<Chunk>,
    jobs: Option<Sender<Job>>,
    free: Receiver<Chunk>,
    shared: Arc<Shared>,
    handle: Option<JoinHandle<()>>,
    /// The current file: bytes and packets so far; where its next fresh chunk starts.
    file_len: u64,
    file_packets: u64,
    next_offset: u64,
    /// Unsent packets in the current chunk.
    dirty: bool,
    written: u64,
    writer_drops: u64,
    rotation: Rotation,
    naming: Option<Naming>,
    rotation_secs: i64,
    now_secs: i64,
    size_count: u32,
    time_count: u32,
    /// -G with -W reached its file count: the capture ends.
    limit_reached: bool,
    stats: Vec<(Stats, u64)>,
    scratch: Vec<u8>,
    /// The stream again (a duplicate descriptor), for lent blocks written here while the
    /// writer thread is idle, and the arena their framing is built in.
    inline: Option<InlineStream>,
    arena: Vec<u8>,
    /// pcapng or pcap records, for chunks and lent blocks alike.
    framer: Framer,
}

/// The output stream as the capture thread writes it (see [`Recorder::lend`]).
struct InlineStream {
    file: std::fs::File,
    path: Option<PathBuf>,
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// The header every file begins with.
fn file_header(pcapng: bool, interfaces: &[Interface], snaplen: u32) -> io::Result<Vec<u8>> {
    if !pcapng {
        return PcapWriter::new(Vec::new(), LinkType::RAW, snaplen)?.into_inner();
    }
    let mut w = PcapngWriter::new(Vec::new(), &format!("rcvall {}", env!("CARGO_PKG_VERSION")))?;
    for iface in interfaces {
        w.add_interface(&InterfaceDesc {
            name: Some(iface.name.clone()),
            description: Some(format!("ifindex {}", iface.index)),
            link_type: LinkType::RAW,
            snaplen,
        })?;
    }
    w.into_inner()
}

impl Recorder {
    /// Allocates the chunk pool and starts the writer thread; call after dropping privileges
    /// (capabilities and uids set by raw syscalls are per thread). Writes the header at once,
    /// so the file is a valid capture from the start.
    pub fn start(prepared: Prepared, s: &Settings<'_>) -> Result<Recorder> {
        let header = file_header(s.pcapng, s.interfaces, s.snaplen)?;
        let (jobs_tx, jobs_rx) = mpsc::channel();
        let (free_tx, free_rx) = mpsc::channel();
        for _ in 0..POOL_BYTES / CHUNK_BYTES {
            free_tx
                .send(Chunk::new(CHUNK_BYTES))
                .expect("the receiver is here");
        }
        let shared = Arc::new(Shared::default());
        shared
            .direct
            .store(prepared.out.is_direct(), Ordering::Relaxed);
        let positioned = prepared.out.is_positioned();
        let pcap_snaplen = if s.snaplen == 0 {
            rcvall_pcap::DEFAULT_SNAPLEN
        } else {
            s.snaplen
        };
        let framer = Framer::new(s.pcapng, vec![s.snaplen; s.interfaces.len()], pcap_snaplen);
        let lends = !positioned && prepared.naming.is_none();
        let inline = match &prepared.out {
            Output::Stream { file, path } if lends => Some(InlineStream {
                file: file.try_clone().context("duplicating the output")?,
                path: path.clone(),
            }),
            _ => None,
        };
        let writer = WriterThread {
            jobs: jobs_rx,
            free: free_tx,
            shared: Arc::clone(&shared),
            out: prepared.out,
            framer: framer.clone(),
        };
        let handle = std::thread::Builder::new()
            .name("rcvall-writer".into())
            .spawn(move || writer.run())
            .context("starting the writer thread")?;
        let mut recorder = Recorder {
            header,
            interfaces: s.interfaces.len(),
            positioned,
            lends,
            packet_buffered: s.packet_buffered,
            chunk: None,
            spares: Vec::with_capacity(POOL_BYTES / CHUNK_BYTES),
            jobs: Some(jobs_tx),
            free: free_rx,
            shared,
            handle: Some(handle),
            file_len: 0,
            file_packets: 0,
            next_offset: 0,
            dirty: false,
            written: 0,
            writer_drops: 0,
            rotation: s.rotation.clone(),
            naming: prepared.naming,
            rotation_secs: prepared.start_secs,
            now_secs: prepared.start_secs,
            size_count: 0,
            time_count: 0,
            limit_reached: false,
            stats: vec![(Stats::default(), now_ns()); s.interfaces.len()],
            scratch: Vec::with_capacity(256),
            inline,
            framer,
            arena: Vec::new(),
        };
        recorder.acquire_blocking()?;
        recorder.dirty = true;
        recorder.flush();
        Ok(recorder)
    }

    /// Encodes one packet of interface `slot`; when no chunk is free it is counted as dropped
    /// by the writer instead. Before it, a file is rotated as tcpdump does: by -G when the
    /// interval has passed, by -C when the file already holds more than the limit (so a file
    /// ends up to one packet over it).
    #[inline]
    pub fn packet(
        &mut self,
        slot: usize,
        timestamp_ns: u64,
        original_len: u32,
        data: &[u8],
        pkttype: u8,
    ) -> io::Result<()> {
        if self.naming.is_some() {
            self.rotate_if_due()?;
            if self.limit_reached {
                return Ok(());
            }
        }
        if self.try_encode(slot, timestamp_ns, original_len, data, pkttype)? {
            return Ok(());
        }
        self.packet_slow(slot, timestamp_ns, original_len, data, pkttype)
    }

    /// Encodes into the current chunk; false when there is none or it is full.
    #[inline]
    fn try_encode(
        &mut self,
        slot: usize,
        timestamp_ns: u64,
        original_len: u32,
        data: &[u8],
        pkttype: u8,
    ) -> io::Result<bool> {
        let Some(chunk) = self.chunk.as_mut() else {
            return Ok(false);
        };
        let spare = chunk.spare();
        let room = spare.len().saturating_sub(ISB_ROOM * self.interfaces);
        let used = self.framer.encode(
            &mut spare[..room],
            slot,
            timestamp_ns,
            original_len,
            data,
            pkttype,
        )?;
        let Some(n) = used else {
            return Ok(false);
        };
        chunk.len += n;
        chunk.packets_end = self.file_packets + 1;
        self.file_len += n as u64;
        self.file_packets += 1;
        self.written += 1;
        self.dirty = true;
        Ok(true)
    }

    /// The chunk is full or missing: hand it over, take a fresh one and encode there; when
    /// none is free the packet counts as dropped by the writer.
    #[cold]
    #[inline(never)]
    fn packet_slow(
        &mut self,
        slot: usize,
        timestamp_ns: u64,
        original_len: u32,
        data: &[u8],
        pkttype: u8,
    ) -> io::Result<()> {
        let ready = if self.chunk.is_some() {
            self.send_current(false)
        } else {
            self.acquire()
        };
        // A fresh chunk always has room for one record (at most the snap length).
        if ready && self.try_encode(slot, timestamp_ns, original_len, data, pkttype)? {
            return Ok(());
        }
        self.writer_drops += 1;
        Ok(())
    }

    /// True when whole ring blocks may be lent to the writer ([`Recorder::lend`]).
    pub fn lends(&self) -> bool {
        self.lends
    }

    /// Writes a whole ring block of interface `slot` straight from the ring, then hands it
    /// back to the kernel. The ring is then the buffer: an output that falls behind leaves
    /// the kernel no free block, and packets are dropped by the kernel (and counted there)
    /// instead of by the writer. What was encoded into the current chunk goes first, so the
    /// file keeps the packets' order.
    ///
    /// When the writer thread has nothing queued the block is written here, saving the two
    /// thread switches of a hand-over per block (the capture and writer threads share the
    /// capturer's core); a block waiting behind a blocked write waits in the ring, as it would
    /// in the writer's queue. Otherwise it joins the writer's queue.
    pub fn lend(&mut self, slot: usize, batch: LentBatch) {
        debug_assert!(self.lends);
        if self.dirty {
            self.send_current(false);
        }
        let packets = batch.len() as u64;
        let job = LentJob {
            batch,
            slot: slot as u32,
            packets_before: self.file_packets,
        };
        self.file_packets += packets;
        self.written += packets;
        // Acquire: the writer's last write happened before it marked its job done.
        let idle = self.shared.in_flight.load(Ordering::Acquire) == 0;
        if let Some(stream) = self.inline.as_mut().filter(|_| idle) {
            if self.shared.failed.load(Ordering::Acquire) {
                return;
            }
            let (written, result) =
                gather::write_lent(&mut stream.file, &job, &self.framer, &mut self.arena);
            match result {
                Ok(()) => {
                    let short = packets.saturating_sub(written);
                    self.shared
                        .lent_shortfall
                        .fetch_add(short, Ordering::Relaxed);
                }
                Err(error) => {
                    let kept = job.packets_before + written;
                    thread::fail(&self.shared, error, stream.path.as_deref(), kept, kept);
                }
            }
            return;
        }
        self.send(Job::Lent(job));
    }

    /// Sends a filled chunk to the writer thread, or writes it here: a stream's chunk when the
    /// writer has nothing queued, as [`Recorder::lend`] writes blocks (the hand-over's two
    /// thread switches per chunk cost 14 % of the CPU of a 64-byte flood to /dev/null), and
    /// the chunk is then at once the next one filled, still in the cache. A stream that blocks
    /// holds the capture thread meanwhile: the ring is then the buffer, and a slow reader shows
    /// as packets dropped by the kernel, as for lent blocks. Files keep the writer thread.
    fn hand_over(&mut self, mut chunk: Chunk) {
        // Acquire: the writer's last write happened before it marked its job done.
        let idle = self.shared.in_flight.load(Ordering::Acquire) == 0;
        let Some(stream) = self.inline.as_mut().filter(|_| idle) else {
            self.send(Job::Data(chunk));
            return;
        };
        if !self.shared.failed.load(Ordering::Acquire) {
            if let Err(error) = thread::write_stream(&mut stream.file, &mut chunk) {
                let kept = thread::stream_kept(&chunk, self.framer.is_pcapng());
                thread::fail(&self.shared, error, stream.path.as_deref(), kept, kept);
            }
        }
        self.spares.push(chunk);
    }

    /// Hands a job to the writer, counted in flight until the writer has done it; false when
    /// the writer is gone.
    fn send(&self, job: Job) -> bool {
        let Some(jobs) = &self.jobs else {
            return false;
        };
        self.shared.in_flight.fetch_add(1, Ordering::AcqRel);
        if jobs.send(job).is_err() {
            self.shared.in_flight.fetch_sub(1, Ordering::AcqRel);
            return false;
        }
        true
    }

    /// Waits (bounded) until the writer has written everything handed to it, so that every
    /// lent block is back and counted as delivered.
    pub fn sync(&mut self) {
        let (done_tx, done_rx) = mpsc::channel();
        if self.send(Job::Sync(done_tx)) {
            let _ = done_rx.recv_timeout(Duration::from_secs(60));
        }
    }

    /// The time (Unix seconds) -G rotation compares against, before each batch.
    pub fn set_clock(&mut self, now_secs: i64) {
        self.now_secs = now_secs;
    }

    /// After each ring batch: with -U the batch goes to the writer now.
    pub fn end_of_batch(&mut self) {
        if self.packet_buffered {
            self.flush();
        }
    }

    /// The ring had nothing: what is buffered goes to the writer (quiet links lose nothing to
    /// a buffer that never fills).
    pub fn flush(&mut self) {
        if self.dirty {
            self.send_current(false);
        }
    }

    /// The counters the next Interface Statistics Blocks carry: (stats, start time) per
    /// interface.
    pub fn set_stats(&mut self, stats: Vec<(Stats, u64)>) {
        self.stats = stats;
    }

    pub fn rotates(&self) -> bool {
        self.naming.is_some()
    }

    /// Packets accepted whole.
    pub fn written(&self) -> u64 {
        self.written - self.shared.lent_shortfall.load(Ordering::Relaxed)
    }

    /// Packets not written because the writer had no free chunk.
    pub fn writer_drops(&self) -> u64 {
        self.writer_drops
    }

    pub fn limit_reached(&self) -> bool {
        self.limit_reached
    }

    /// True once the writer thread failed (a full disk, a closed pipe).
    pub fn failed(&self) -> bool {
        self.shared.failed.load(Ordering::Acquire)
    }

    /// Whether the current file is written with O_DIRECT.
    pub fn direct(&self) -> bool {
        self.shared.direct.load(Ordering::Relaxed)
    }

    /// Gets a free chunk for the current file if one is there; never waits.
    fn acquire(&mut self) -> bool {
        match self.take_spare() {
            Some(chunk) => {
                self.install(chunk);
                true
            }
            None => false,
        }
    }

    /// The warmest free chunk, if any.
    fn take_spare(&mut self) -> Option<Chunk> {
        self.spares.extend(self.free.try_iter());
        self.spares.pop()
    }

    /// Waits for a free chunk (only when closing or opening a file, or at the end).
    fn acquire_blocking(&mut self) -> io::Result<()> {
        if self.chunk.is_some() {
            return Ok(());
        }
        // Bounded: the writer returns every chunk after one write, or fails.
        for _ in 0..600 {
            match self.free.recv_timeout(Duration::from_millis(100)) {
                Ok(chunk) => {
                    self.install(chunk);
                    return Ok(());
                }
                Err(RecvTimeoutError::Timeout) if !self.failed() => {}
                Err(_) => return Err(io::Error::other("the writer stopped")),
            }
        }
        Err(io::Error::other(
            "the writer returned no buffer within 60 s",
        ))
    }

    fn install(&mut self, mut chunk: Chunk) {
        chunk.reset(self.next_offset, self.file_packets);
        if self.file_len == 0 {
            chunk.file_start = true;
            let fits = chunk.push(&self.header);
            debug_assert!(fits, "a header fits in an empty chunk");
            self.file_len = self.header.len() as u64;
        }
        self.chunk = Some(chunk);
    }

    /// Hands the current chunk to the writer. Positioned files need the chunk's last partial
    /// block at the start of the next chunk (O_DIRECT writes whole blocks), so unless `last`,
    /// the chunk is sent only together with taking a fresh one; false when none is free.
    fn send_current(&mut self, last: bool) -> bool {
        let Some(current) = self.chunk.take() else {
            return true;
        };
        let tail = current.len % ALIGN;
        let mut next = None;
        if self.positioned && !last && tail != 0 {
            let Some(mut fresh) = self.take_spare() else {
                self.chunk = Some(current);
                return false;
            };
            let cut = round_down(current.len);
            fresh.reset(current.offset + cut as u64, self.file_packets);
            fresh.push(&current.filled()[cut..]);
            fresh.first_record = tail;
            next = Some(fresh);
        } else {
            self.next_offset = current.offset + current.len as u64;
        }
        self.dirty = false;
        self.hand_over(current);
        match next {
            Some(fresh) => self.chunk = Some(fresh),
            None if !last => {
                self.acquire();
            }
            None => {}
        }
        true
    }

    fn rotate_if_due(&mut self) -> io::Result<()> {
        if let Some(interval) = self.rotation.seconds {
            if self.now_secs - self.rotation_secs >= interval as i64 {
                self.rotation_secs = self.now_secs;
                self.time_count += 1;
                let files = self.rotation.files;
                if self.rotation.size_bytes.is_none() && files.is_some_and(|w| self.time_count >= w)
                {
                    self.close_file(self.rotation.compress.clone(), None)?;
                    eprintln!("Maximum file limit reached: {}", files.unwrap_or(0));
                    self.limit_reached = true;
                    return Ok(());
                }
                self.size_count = 0;
                let next = self.name(0);
                self.close_file(self.rotation.compress.clone(), Some(next))?;
            }
        }
        if let Some(limit) = self.rotation.size_bytes {
            if self.file_len > limit {
                self.size_count += 1;
                if self.rotation.files.is_some_and(|w| self.size_count >= w) {
                    self.size_count = 0;
                }
                let next = self.name(self.size_count);
                self.close_file(self.rotation.compress.clone(), Some(next))?;
            }
        }
        Ok(())
    }

    fn name(&self, count: u32) -> PathBuf {
        self.naming
            .as_ref()
            .expect("rotation has names")
            .name(self.rotation_secs, count)
    }

    /// Ends the current file: statistics blocks, the last chunk, its exact length.
    fn close_file(&mut self, compress: Option<String>, next: Option<PathBuf>) -> io::Result<()> {
        self.acquire_blocking()?;
        if self.framer.is_pcapng() {
            let end = now_ns();
            for (slot, (s, start_ns)) in self.stats.iter().enumerate() {
                encode_statistics(
                    &mut self.scratch,
                    slot as u32,
                    &InterfaceStats {
                        timestamp_ns: end,
                        start_ns: Some(*start_ns),
                        end_ns: Some(end),
                        if_recv: Some(s.received),
                        if_drop: None,
                        filter_accept: Some(s.received),
                        os_drop: Some(s.dropped),
                        usr_deliv: Some(s.delivered),
                    },
                )?;
                let chunk = self.chunk.as_mut().expect("acquired above");
                if !chunk.push(&self.scratch) {
                    return Err(io::Error::other("no room for the statistics block"));
                }
                self.file_len += self.scratch.len() as u64;
            }
        }
        self.send_current(true);
        self.send(Job::Close {
            len: self.file_len,
            packets: self.file_packets,
            compress,
            next,
        });
        self.file_len = 0;
        self.file_packets = 0;
        self.next_offset = 0;
        self.dirty = false;
        Ok(())
    }

    /// Closes the last file and waits for the writer. Ok(packets written) or what failed.
    pub fn finish(mut self, stats: Vec<(Stats, u64)>) -> std::result::Result<u64, Failure> {
        self.stats = stats;
        let closed = if self.limit_reached || self.failed() {
            Ok(())
        } else {
            self.close_file(None, None)
        };
        self.jobs = None;
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
        if let Some(failure) = self.shared.failure.lock().expect("not poisoned").take() {
            return Err(failure);
        }
        match closed {
            Ok(()) => Ok(self.written()),
            Err(error) => Err(Failure {
                error,
                path: None,
                kept_in_file: self.file_packets,
                kept_total: self.written(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface() -> Interface {
        Interface {
            index: 2,
            name: "rcvt0".into(),
            is_loopback: false,
        }
    }

    /// Writes the same packets to `path`, handing partial buffers over at the packets in
    /// `flush_at` (as a quiet link or -U does); returns the file's bytes.
    fn record(path: &Path, direct: bool, pcapng: bool, flush_at: &[usize]) -> (Vec<u8>, bool) {
        let interfaces = [iface()];
        let settings = Settings {
            pcapng,
            path: Some(path),
            interfaces: &interfaces,
            snaplen: 262_144,
            rotation: Rotation::default(),
            packet_buffered: false,
            direct,
        };
        let mut r = Recorder::start(prepare(&settings).unwrap(), &settings).unwrap();
        let was_direct = r.direct();
        for i in 0..5000usize {
            // Sizes that leave every possible remainder modulo 4096 sooner or later.
            let data = vec![(i % 251) as u8; 20 + (i * 37) % 1480];
            r.packet(
                0,
                1_700_000_000_000_000_000 + i as u64,
                data.len() as u32 + 3,
                &data,
                (i % 5) as u8,
            )
            .unwrap();
            if flush_at.contains(&i) {
                r.flush();
            }
            if i % 50 == 0 {
                // A loaded machine may slow the writer: the test wants no drops, so it waits
                // for free buffers (bounded) instead of outrunning it.
                for _ in 0..5000 {
                    r.spares.extend(r.free.try_iter());
                    if r.spares.len() >= 4 {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
        assert_eq!(r.writer_drops(), 0);
        let stats = vec![(Stats::default(), 1_700_000_000_000_000_000)];
        assert_eq!(r.finish(stats).unwrap(), 5000);
        (std::fs::read(path).unwrap(), was_direct)
    }

    #[test]
    fn direct_and_buffered_writes_give_the_same_file_whatever_the_flushes() {
        let dir = std::env::temp_dir().join(format!("rcvt-writer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let flushes: Vec<usize> = (0..5000).filter(|i| i % 97 == 0 || i % 1000 < 3).collect();
        for pcapng in [true, false] {
            let (plain, _) = record(&dir.join("plain"), false, pcapng, &[]);
            let (direct, was_direct) = record(&dir.join("direct"), true, pcapng, &flushes);
            let (buffered, _) = record(&dir.join("buffered"), false, pcapng, &flushes);
            eprintln!("O_DIRECT taken in {}: {was_direct}", dir.display());
            // pcapng ends with an Interface Statistics Block whose times differ.
            let tail = if pcapng { 100 } else { 0 };
            for other in [&direct, &buffered] {
                assert_eq!(other.len(), plain.len());
                assert_eq!(other[..plain.len() - tail], plain[..plain.len() - tail]);
            }
            let (end, packets) = rcvall_pcap::whole_records(&plain, pcapng, true);
            assert_eq!((end, packets), (plain.len(), 5000));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
