//! `rcvall capture`: open the rings, drop privileges, pump packets to the output, stop
//! cleanly on -c, --duration, SIGINT or SIGTERM, and say what was captured and dropped.

use crate::config::{CaptureConfig, Format};
use crate::output::Sink;
use crate::privs;
use crate::writer::{self, Failure, Recorder};
use anyhow::{anyhow, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rcvall::{Capture, Interface, LinkStats, Stats};
use rustix::event::{PollFd, PollFlags};
use std::io::{self, IsTerminal, Read};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Why the capture loop ended.
enum Stop {
    Count,
    Duration,
    Signal,
    /// The reader of standard output went away: not an error (exit 0), as in ripgrep.
    BrokenPipe,
    /// Writing failed (e.g. a full disk).
    WriteFailed(io::Error),
    /// An interface went away after everything before was delivered.
    InterfaceLost(rcvall::Error),
}

struct Live {
    capture: Capture,
    iface: Interface,
    start_ns: u64,
    /// The link state last reported on stderr.
    link: LinkStats,
}

/// One stderr line per link change since `before` (downs and ups alternate, so their order
/// follows from where the link stood): the capture goes on through them, one file.
fn report_link_changes(iface: &Interface, before: LinkStats, now: LinkStats) {
    let downs = now.downs.saturating_sub(before.downs);
    let ups = now.ups.saturating_sub(before.ups);
    let mut down_next = before.is_up;
    for _ in 0..(downs + ups).min(64) {
        let word = if down_next { "down" } else { "up" };
        eprintln!("rcvall: {}: link {word}, capturing on", iface.name);
        down_next = !down_next;
    }
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// A pipe that becomes readable on SIGINT or SIGTERM (signal-hook's self-pipe): the loop
/// polls it beside the rings, so no thread is needed.
fn stop_signals() -> Result<UnixStream> {
    let (read, write) = UnixStream::pair().context("creating the signal pipe")?;
    read.set_nonblocking(true)?;
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::low_level::pipe::register(signal, write.try_clone()?)
            .context("installing the signal handler")?;
    }
    Ok(read)
}

fn signalled(pipe: &mut UnixStream) -> bool {
    let mut buf = [0u8; 16];
    matches!(pipe.read(&mut buf), Ok(n) if n > 0)
}

pub fn run(cfg: CaptureConfig) -> Result<()> {
    let mut stop_pipe = stop_signals()?;
    // 1 MiB blocks (few block switches at high rates), but at least 2 blocks in the ring.
    let half_ring = (cfg.ring_bytes / 2).clamp(4096, 1 << 20) as u32;
    let block_size = 1u32 << (31 - half_ring.leading_zeros());
    let mut lives = Vec::new();
    for target in &cfg.targets {
        let mut builder = Capture::builder()
            .interface_name(&target.iface.name)
            .families(target.families)
            .mode(cfg.mode)
            .direction(cfg.direction)
            .snaplen(cfg.snaplen)
            .ring_size(cfg.ring_bytes)
            .block_size(block_size)
            .low_latency(low_latency(&cfg));
        if let Some(filter) = &cfg.filter {
            builder = builder.filter(
                filter
                    .program
                    .insns()
                    .iter()
                    .map(|i| rcvall::kfilter::Insn {
                        code: i.code,
                        jt: i.jt,
                        jf: i.jf,
                        k: i.k,
                    })
                    .collect(),
            );
        }
        let capture = builder
            .open()
            .map_err(|err| anyhow!("cannot capture on {}: {err}", target.iface.name))?;
        lives.push(Live {
            link: LinkStats {
                is_up: true,
                ..LinkStats::default()
            },
            capture,
            iface: target.iface.clone(),
            start_ns: now_ns(),
        });
    }
    let interfaces: Vec<Interface> = lives.iter().map(|l| l.iface.clone()).collect();
    let settings = writer::Settings {
        pcapng: cfg.format == Format::Pcapng,
        path: cfg.write.as_deref(),
        interfaces: &interfaces,
        snaplen: cfg.snaplen,
        rotation: cfg.rotation.clone(),
        packet_buffered: cfg.packet_buffered,
        direct: cfg.direct_io,
    };
    // Files are created (the first one) before the privilege drop, the writer thread started
    // after it: uids and capabilities set by raw syscalls change only the calling thread.
    let (mut out, prepared) = match cfg.format {
        Format::Text | Format::Json => (
            Some(Out::Lines(Box::new(Sink::open(
                cfg.format,
                cfg.write.as_deref(),
                &interfaces,
                &cfg.text,
            )?))),
            None,
        ),
        Format::Pcap | Format::Pcapng => (None, Some(writer::prepare(&settings)?)),
    };
    if let Some(user) = &cfg.user {
        let first = match &prepared {
            Some(p) => p.first_path(),
            None => cfg.write.as_deref(),
        };
        privs::drop_to(user, first)?;
    }
    if let Some(prepared) = prepared {
        out = Some(Out::Files(Box::new(Recorder::start(prepared, &settings)?)));
    }
    let mut sink = out.expect("one output or the other");
    let described: Vec<String> = cfg
        .targets
        .iter()
        .map(|t| {
            let families = match t.families {
                rcvall::Families::V4 => "IPv4",
                rcvall::Families::V6 => "IPv6",
                rcvall::Families::Both => "IPv4+IPv6",
            };
            format!("{} (index {}, {families})", t.iface.name, t.iface.index)
        })
        .collect();
    let mode = match cfg.mode {
        rcvall::RcvAll::IpLevel => "iplevel",
        _ => "on",
    };
    let why = if cfg.chosen_by_default {
        " [the default route's interface]"
    } else {
        ""
    };
    let writing = match (&sink, &cfg.write) {
        (Out::Files(r), Some(path)) => format!(
            ", writing {}{}",
            path.display(),
            if r.direct() { " (O_DIRECT)" } else { "" }
        ),
        _ => String::new(),
    };
    eprintln!(
        "rcvall: capturing on {}{why}, mode {mode}{}{writing}",
        described.join(", "),
        cfg.filter
            .as_ref()
            .map(|f| format!(", filter {:?}", f.expression))
            .unwrap_or_default()
    );

    let progress = (cfg.live && io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("valid template"));
        bar
    });
    let stop = pump(
        &cfg,
        &mut lives,
        &mut sink,
        &mut stop_pipe,
        progress.as_ref(),
    );
    if matches!(stop, Stop::Signal | Stop::Duration | Stop::InterfaceLost(_)) {
        // Partly filled blocks reach user space when their retire timer fires: collect them
        // so what was captured before the stop is written, not lost (tcpdump loses it). When
        // one interface of several went away, the others' pending blocks are collected too.
        drain(&cfg, &mut lives, &mut sink);
    }
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    if let Out::Files(recorder) = &mut sink {
        // Lent blocks count as delivered once written: the statistics come after.
        recorder.sync();
    }
    let end_ns = now_ns();
    let mut per_iface = Vec::new();
    let mut total = Stats::default();
    for live in &mut lives {
        let stats = live.capture.stats().unwrap_or_default();
        total.received += stats.received;
        total.dropped += stats.dropped;
        per_iface.push((stats, live.start_ns, end_ns));
    }
    let (captured, outcome, writer_drops) = match sink {
        Out::Lines(sink) => {
            let (captured, outcome) = finish_lines(*sink, stop);
            (captured, outcome, None)
        }
        Out::Files(recorder) => {
            let drops = recorder.writer_drops();
            let (captured, outcome) = finish_files(*recorder, stop, per_iface);
            (captured, outcome, Some(drops))
        }
    };
    eprintln!("{captured} packets captured");
    eprintln!("{} packets received by filter", total.received);
    eprintln!("{} packets dropped by kernel", total.dropped);
    if let Some(drops) = writer_drops {
        eprintln!("{drops} packets dropped by writer");
    }
    outcome
}

/// Text and JSON lines: the last flush, or what a failed write left.
fn finish_lines(mut sink: Sink, stop: Stop) -> (u64, Result<()>) {
    let finished = match &stop {
        Stop::WriteFailed(_) | Stop::BrokenPipe => Ok(()),
        _ => sink.commit(),
    };
    match (stop, finished) {
        (Stop::BrokenPipe, _) => (sink.written(), Ok(())),
        (Stop::WriteFailed(err), _) | (_, Err(err)) if err.kind() == io::ErrorKind::BrokenPipe => {
            (sink.written(), Ok(()))
        }
        (Stop::WriteFailed(err), _) | (_, Err(err)) => match sink.salvage() {
            Some((kept, path)) => (
                kept,
                Err(anyhow!(
                    "writing {} failed: {err}; the file holds the first {kept} packets, whole",
                    path.display()
                )),
            ),
            None => (
                sink.written(),
                Err(anyhow!("writing to standard output failed: {err}")),
            ),
        },
        (Stop::InterfaceLost(err), Ok(())) => (
            sink.written(),
            Err(anyhow!("{err}; {} packets were written", sink.written())),
        ),
        (_, Ok(())) => (sink.written(), Ok(())),
    }
}

/// Capture files: the writer thread finishes the last file; a failure there (also one that
/// surfaced only now) says what the file holds whole.
fn finish_files(
    recorder: Recorder,
    stop: Stop,
    per_iface: Vec<(Stats, u64, u64)>,
) -> (u64, Result<()>) {
    let stats = per_iface.iter().map(|(s, start, _)| (*s, *start)).collect();
    match recorder.finish(stats) {
        Ok(written) => match stop {
            Stop::InterfaceLost(err) => (
                written,
                Err(anyhow!("{err}; {written} packets were written")),
            ),
            _ => (written, Ok(())),
        },
        Err(Failure {
            error, kept_total, ..
        }) if error.kind() == io::ErrorKind::BrokenPipe => (kept_total, Ok(())),
        Err(Failure {
            error,
            path: Some(path),
            kept_in_file,
            kept_total,
        }) => (
            kept_total,
            Err(anyhow!(
                "writing {} failed: {error}; the file holds the first {kept_in_file} packets, whole",
                path.display()
            )),
        ),
        Err(Failure {
            error, kept_total, ..
        }) => (
            kept_total,
            Err(anyhow!("writing to standard output failed: {error}")),
        ),
    }
}

/// Where packets go: lines (text, JSON) or capture files through the writer thread.
enum Out {
    Lines(Box<Sink>),
    Files(Box<Recorder>),
}

impl Out {
    /// After a ring batch: lines are flushed; files hand over their buffer with -U. An error
    /// of the writer thread surfaces here.
    fn commit(&mut self) -> io::Result<()> {
        match self {
            Out::Lines(sink) => sink.commit(),
            Out::Files(r) => {
                r.end_of_batch();
                writer_state(r)
            }
        }
    }

    /// Nothing came: files hand their partial buffer to the writer.
    fn idle(&mut self) -> io::Result<()> {
        match self {
            Out::Lines(_) => Ok(()),
            Out::Files(r) => {
                r.flush();
                writer_state(r)
            }
        }
    }

    fn written(&self) -> u64 {
        match self {
            Out::Lines(sink) => sink.written(),
            Out::Files(r) => r.written(),
        }
    }

    fn writer_drops(&self) -> u64 {
        match self {
            Out::Lines(_) => 0,
            Out::Files(r) => r.writer_drops(),
        }
    }
}

fn writer_state(r: &Recorder) -> io::Result<()> {
    if r.failed() {
        // The details (which file, how many packets it keeps) come from finish().
        Err(io::Error::other("the writer thread failed"))
    } else {
        Ok(())
    }
}

/// Per-packet delivery (TPACKET_V2) when asked, or when lines go to a person's terminal;
/// files and pipes get the batched TPACKET_V3 ring.
fn low_latency(cfg: &CaptureConfig) -> bool {
    let lines = matches!(cfg.format, Format::Text | Format::Json);
    cfg.immediate || (lines && cfg.write.is_none() && io::stdout().is_terminal())
}

/// Moves packets from the rings to the output until a stop condition.
fn pump(
    cfg: &CaptureConfig,
    lives: &mut [Live],
    sink: &mut Out,
    stop_pipe: &mut UnixStream,
    progress: Option<&ProgressBar>,
) -> Stop {
    let started = Instant::now();
    let deadline = cfg.duration.map(|d| started + d);
    let mut last_report = (Instant::now(), 0u64);
    loop {
        let mut got_any = false;
        for (slot, live) in lives.iter_mut().enumerate() {
            match live.capture.try_next_batch() {
                Ok(Some(batch)) => {
                    got_any = true;
                    match write_batch(cfg, sink, slot, &live.iface, batch) {
                        Err(err) => return write_stop(err),
                        Ok(true) => return sink.commit().map_or_else(write_stop, |()| Stop::Count),
                        Ok(false) => {}
                    }
                }
                Ok(None) => {}
                Err(err) => {
                    return sink
                        .commit()
                        .map_or_else(write_stop, |()| Stop::InterfaceLost(err))
                }
            }
        }
        for live in lives.iter_mut() {
            // No system call while the link is up.
            let now = live.capture.link_stats();
            if now != live.link {
                report_link_changes(&live.iface, live.link, now);
                live.link = now;
            }
        }
        if got_any {
            if let Err(err) = sink.commit() {
                return write_stop(err);
            }
        } else if let Err(err) = sink.idle() {
            return write_stop(err);
        }
        if let Out::Files(r) = sink {
            if r.rotates() {
                // The statistics blocks that close a rotated file carry the counters so far.
                let stats = lives
                    .iter_mut()
                    .map(|l| (l.capture.stats().unwrap_or_default(), l.start_ns))
                    .collect();
                r.set_stats(stats);
            }
        }
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            return Stop::Duration;
        }
        if let Some(bar) = progress {
            if now.duration_since(last_report.0) >= Duration::from_millis(500) {
                let written = sink.written();
                let rate = (written - last_report.1) as f64
                    / now.duration_since(last_report.0).as_secs_f64();
                let drops: u64 = lives
                    .iter_mut()
                    .map(|l| l.capture.stats().map(|s| s.dropped).unwrap_or(0))
                    .sum();
                let behind = sink.writer_drops();
                bar.set_message(if matches!(sink, Out::Files(_)) {
                    format!(
                        "{written} packets, {rate:.0}/s, {drops} dropped by kernel, \
                         {behind} dropped by writer"
                    )
                } else {
                    format!("{written} packets, {rate:.0}/s, {drops} dropped by kernel")
                });
                bar.tick();
                last_report = (now, written);
            }
        }
        // Wait only when there was nothing to do; a flood still checks the signal pipe.
        let wait = if got_any {
            Duration::ZERO
        } else if lives.iter().any(|l| l.capture.lends_outstanding()) {
            // A block is with the writer: the socket may look readable with nothing ready.
            std::thread::sleep(rcvall::LENT_BACKOFF);
            Duration::ZERO
        } else {
            let cap = Duration::from_millis(500);
            deadline.map_or(cap, |d| d.saturating_duration_since(now).min(cap))
        };
        if wait_any(lives, stop_pipe, wait) {
            return Stop::Signal;
        }
    }
}

/// Writes a batch's packets, stopping at the -c count; Ok(true) once the count is reached.
fn write_batch(
    cfg: &CaptureConfig,
    sink: &mut Out,
    slot: usize,
    iface: &Interface,
    batch: rcvall::Batch<'_>,
) -> io::Result<bool> {
    let sink = match sink {
        Out::Files(recorder) => return write_files_batch(cfg, recorder, slot, batch),
        Out::Lines(sink) => sink,
    };
    for packet in batch.packets() {
        if cfg.count.is_some_and(|c| sink.written() >= c) {
            return Ok(true);
        }
        sink.packet(slot, iface, &packet)?;
    }
    Ok(cfg.count.is_some_and(|c| sink.written() >= c))
}

/// The hot loop of a capture to a file: the -c check hoisted out of it.
fn write_files_batch(
    cfg: &CaptureConfig,
    recorder: &mut Recorder,
    slot: usize,
    batch: rcvall::Batch<'_>,
) -> io::Result<bool> {
    // A stream without -c, of full-size packets: the whole block goes to the writer, which
    // writes them from the ring. Small packets are cheaper encoded here (one copy of a few
    // dozen bytes against the framing and bookkeeping of a gathered write: measured 40
    // against 70 ns per 64-byte packet); the first packet stands for the block.
    let large = || {
        batch
            .packets()
            .next()
            .is_some_and(|p| p.data.len() >= writer::LEND_FROM_BYTES)
    };
    let batch = if recorder.lends() && cfg.count.is_none() && large() {
        match batch.lend() {
            Ok(lent) => {
                recorder.lend(slot, lent);
                return Ok(false);
            }
            Err(batch) => batch,
        }
    } else {
        batch
    };
    let reached = |r: &Recorder| cfg.count.is_some_and(|c| r.written() >= c) || r.limit_reached();
    let limited = cfg.count.is_some() || recorder.rotates();
    if recorder.rotates() {
        // -G compares the time a packet is handled with the file's start, as tcpdump does
        // (time(NULL) per packet there; once per batch here, a few ms apart at most).
        recorder.set_clock(now_ns() as i64 / 1_000_000_000);
    }
    for packet in batch.packets() {
        if limited && reached(recorder) {
            return Ok(true);
        }
        recorder.packet(
            slot,
            packet.info.timestamp_ns,
            packet.info.original_len,
            packet.data,
            packet.info.packet_type.pkttype(),
        )?;
    }
    Ok(reached(recorder))
}

fn write_stop(err: io::Error) -> Stop {
    if err.kind() == io::ErrorKind::BrokenPipe {
        Stop::BrokenPipe
    } else {
        Stop::WriteFailed(err)
    }
}

/// Polls every ring and the signal pipe; true when a stop signal arrived.
fn wait_any(lives: &[Live], stop_pipe: &mut UnixStream, wait: Duration) -> bool {
    let mut fds: Vec<PollFd<'_>> = lives
        .iter()
        .map(|l| PollFd::new(&l.capture, PollFlags::IN))
        .collect();
    fds.push(PollFd::new(&*stop_pipe, PollFlags::IN));
    let timeout = rustix::event::Timespec {
        tv_sec: wait.as_secs() as i64,
        tv_nsec: i64::from(wait.subsec_nanos()),
    };
    let _ = rustix::event::poll(&mut fds, Some(&timeout));
    let signal_ready = !fds.last().expect("the pipe").revents().is_empty();
    drop(fds);
    signal_ready && signalled(stop_pipe)
}

/// After a stop: writes the blocks the kernel hands over within its retire timeout.
fn drain(cfg: &CaptureConfig, lives: &mut [Live], sink: &mut Out) {
    // V3 blocks retire within 50 ms (the engine's timeout); V2 frames are ready at once.
    let grace = Duration::from_millis(if low_latency(cfg) { 20 } else { 120 });
    'captures: for (slot, live) in lives.iter_mut().enumerate() {
        // Bounded: a ring holds at most a few thousand batches.
        for _ in 0..10_000 {
            let Ok(Some(batch)) = live.capture.next_batch(Some(grace)) else {
                break;
            };
            // The count is reached or the output failed: nothing more is written anywhere.
            if !matches!(write_batch(cfg, sink, slot, &live.iface, batch), Ok(false)) {
                break 'captures;
            }
        }
    }
    let _ = sink.commit();
}
