//! `rcvall capture`: open the rings, drop privileges, pump packets to the output, stop
//! cleanly on -c, --duration, SIGINT or SIGTERM, and say what was captured and dropped.

use crate::config::{CaptureConfig, Format};
use crate::output::Sink;
use crate::privs;
use anyhow::{anyhow, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rcvall::{Capture, Interface, Stats};
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
            capture,
            iface: target.iface.clone(),
            start_ns: now_ns(),
        });
    }
    let interfaces: Vec<Interface> = lives.iter().map(|l| l.iface.clone()).collect();
    let mut sink = Sink::open(
        cfg.format,
        cfg.write.as_deref(),
        &interfaces,
        cfg.snaplen,
        &cfg.text,
    )?;
    if let Some(user) = &cfg.user {
        privs::drop_to(user, cfg.write.as_deref())?;
    }
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
    eprintln!(
        "rcvall: capturing on {}{why}, mode {mode}{}",
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
    if matches!(stop, Stop::Signal | Stop::Duration) {
        // Partly filled blocks reach user space when their retire timer fires: collect them
        // so what was captured before the stop is written, not lost (tcpdump loses it).
        drain(&cfg, &mut lives, &mut sink);
    }
    if let Some(bar) = &progress {
        bar.finish_and_clear();
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
    let finished = match &stop {
        Stop::WriteFailed(_) | Stop::BrokenPipe => Ok(()),
        _ => sink.finish(&per_iface),
    };
    let (captured, outcome) = match (stop, finished) {
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
    };
    eprintln!("{captured} packets captured");
    eprintln!("{} packets received by filter", total.received);
    eprintln!("{} packets dropped by kernel", total.dropped);
    outcome
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
    sink: &mut Sink,
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
                    match write_batch(cfg, sink, slot, &live.iface, &batch) {
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
        if got_any {
            if let Err(err) = sink.commit() {
                return write_stop(err);
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
                bar.set_message(format!(
                    "{written} packets, {rate:.0}/s, {drops} dropped by kernel"
                ));
                bar.tick();
                last_report = (now, written);
            }
        }
        // Wait only when there was nothing to do; a flood still checks the signal pipe.
        let wait = if got_any {
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
    sink: &mut Sink,
    slot: usize,
    iface: &Interface,
    batch: &rcvall::Batch<'_>,
) -> io::Result<bool> {
    for packet in batch.packets() {
        if cfg.count.is_some_and(|c| sink.written() >= c) {
            return Ok(true);
        }
        sink.packet(slot, iface, &packet)?;
    }
    Ok(cfg.count.is_some_and(|c| sink.written() >= c))
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
fn drain(cfg: &CaptureConfig, lives: &mut [Live], sink: &mut Sink) {
    // V3 blocks retire within 50 ms (the engine's timeout); V2 frames are ready at once.
    let grace = Duration::from_millis(if low_latency(cfg) { 20 } else { 120 });
    'captures: for (slot, live) in lives.iter_mut().enumerate() {
        // Bounded: a ring holds at most a few thousand batches.
        for _ in 0..10_000 {
            let Ok(Some(batch)) = live.capture.next_batch(Some(grace)) else {
                break;
            };
            // The count is reached or the output failed: nothing more is written anywhere.
            if !matches!(write_batch(cfg, sink, slot, &live.iface, &batch), Ok(false)) {
                break 'captures;
            }
        }
    }
    let _ = sink.commit();
}
