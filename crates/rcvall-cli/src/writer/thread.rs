//! The writer thread: takes filled chunks from the capture thread and writes them, so a slow
//! disk never holds up the ring. Chunks go back through a channel once written; the capture
//! thread never waits for one (it counts the packets it had no room for instead).
//!
//! Regular files are written positioned (pwrite at each chunk's offset) and, where the file
//! system allows it, with O_DIRECT: the page cache then neither doubles the memory use nor
//! stalls the writer in writeback throttling. An O_DIRECT write must cover whole aligned
//! blocks, so a chunk's last partial block is written padded and written again, completed,
//! with the next chunk (which starts with a copy of it); at close the file is cut to its exact
//! length with ftruncate. Pipes, terminals and character devices get plain sequential writes.

use super::chunk::Chunk;
use super::gather::{write_lent, Framer, LentJob};
use rcvall_pcap::whole_records;
use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};

/// What the capture thread asks of the writer.
pub enum Job {
    /// Bytes of the current file.
    Data(Chunk),
    /// A ring block to write straight from the ring (streams only), then hand back.
    Lent(LentJob),
    /// Everything sent before is written: say so.
    Sync(Sender<()>),
    /// The current file is complete: `len` bytes holding `packets` packets. Then `compress`
    /// (-z) runs on it and `next`, when given, is created for what follows.
    Close {
        len: u64,
        packets: u64,
        compress: Option<String>,
        next: Option<PathBuf>,
    },
}

/// How an output is written.
#[derive(Debug)]
pub enum Output {
    /// Sequential writes of exactly the bytes (pipes, standard output, /dev/null).
    Stream { file: File, path: Option<PathBuf> },
    /// pwrite at chunk offsets, O_DIRECT when `direct`, ftruncate at close (regular files).
    Positioned {
        file: File,
        path: PathBuf,
        direct: bool,
    },
}

/// Creates a capture file, 0600 (captures hold other people's data), with O_DIRECT when
/// `direct` and the file system takes it (the open fails with EINVAL where it does not, e.g.
/// on file systems without direct I/O support).
pub fn create(path: &Path, direct: bool) -> io::Result<Output> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true).mode(0o600);
    if direct {
        let mut with_direct = options.clone();
        with_direct.custom_flags(rustix::fs::OFlags::DIRECT.bits() as i32);
        match with_direct.open(path) {
            Ok(file) => {
                return Ok(classify(file, path, true));
            }
            Err(err) if err.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error()) => {}
            Err(err) => return Err(err),
        }
    }
    let file = options.open(path)?;
    Ok(classify(file, path, false))
}

/// Regular files are positioned; anything else (a FIFO, /dev/null) is a stream.
fn classify(file: File, path: &Path, direct: bool) -> Output {
    let regular = file.metadata().map(|m| m.is_file()).unwrap_or(false);
    if regular {
        Output::Positioned {
            file,
            path: path.to_owned(),
            direct,
        }
    } else {
        if direct {
            // Devices and FIFOs ignore or refuse O_DIRECT; plain writes from here on.
            let _ = clear_direct(&file);
        }
        Output::Stream {
            file,
            path: Some(path.to_owned()),
        }
    }
}

fn clear_direct(file: &File) -> io::Result<()> {
    let flags = rustix::fs::fcntl_getfl(file)?;
    rustix::fs::fcntl_setfl(file, flags - rustix::fs::OFlags::DIRECT)?;
    Ok(())
}

impl Output {
    pub fn is_positioned(&self) -> bool {
        matches!(self, Output::Positioned { .. })
    }

    pub fn is_direct(&self) -> bool {
        matches!(self, Output::Positioned { direct: true, .. })
    }

    fn path(&self) -> Option<&Path> {
        match self {
            Output::Stream { path, .. } => path.as_deref(),
            Output::Positioned { path, .. } => Some(path),
        }
    }
}

/// Why writing stopped, and what the file holds whole.
#[derive(Debug)]
pub struct Failure {
    pub error: io::Error,
    /// The file that failed; None for standard output.
    pub path: Option<PathBuf>,
    /// Whole packets in that file after it was cut back.
    pub kept_in_file: u64,
    /// Whole packets in every file of the capture.
    pub kept_total: u64,
}

/// State shared with the capture thread.
#[derive(Default)]
pub struct Shared {
    pub failed: AtomicBool,
    pub failure: Mutex<Option<Failure>>,
    /// Whether the current file is written with O_DIRECT.
    pub direct: AtomicBool,
    /// Packets of lent batches the capture thread counted but that could not be walked (a
    /// corrupt frame, which the kernel never writes).
    pub lent_shortfall: AtomicU64,
    /// Jobs sent and not yet done: 0 means the writer is idle and everything sent is written.
    pub in_flight: AtomicUsize,
}

/// Marks one job done when dropped (at the end of its turn, whatever the path).
struct Done<'a>(&'a AtomicUsize);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Release);
    }
}

/// The writer's side of a capture file.
struct FileState {
    out: Output,
    pcapng: bool,
    /// End of the last chunk written, and the packets of the file up to there.
    written_end: u64,
    packets_end: u64,
}

pub struct WriterThread {
    pub jobs: Receiver<Job>,
    pub free: Sender<Chunk>,
    pub shared: Arc<Shared>,
    pub out: Output,
    pub framer: Framer,
}

impl WriterThread {
    /// Runs until the capture thread drops its end of the job channel.
    pub fn run(self) {
        let WriterThread {
            jobs,
            free,
            shared,
            out,
            framer,
        } = self;
        let pcapng = framer.is_pcapng();
        let mut arena = Vec::new();
        let mut closed_packets = 0u64;
        let mut state = Some(FileState {
            out,
            pcapng,
            written_end: 0,
            packets_end: 0,
        });
        let mut children: Vec<std::process::Child> = Vec::new();
        for job in jobs.iter() {
            let _done = Done(&shared.in_flight);
            if shared.failed.load(Ordering::Relaxed) {
                // After a failure nothing more is written; chunks and blocks still go back.
                match job {
                    Job::Data(chunk) => {
                        let _ = free.send(chunk);
                    }
                    Job::Sync(done) => {
                        let _ = done.send(());
                    }
                    Job::Lent(_) | Job::Close { .. } => {}
                }
                continue;
            }
            match job {
                Job::Data(mut chunk) => {
                    let file = state.as_mut().expect("a file is open while data comes");
                    let result = file.write(&mut chunk, &shared);
                    if let Err(error) = result {
                        let kept = file.cut_back(&chunk);
                        fail(&shared, error, file.out.path(), kept, closed_packets + kept);
                    }
                    let _ = free.send(chunk);
                }
                Job::Lent(job) => {
                    let file = state.as_mut().expect("a file is open while data comes");
                    let (written, result) = file.write_lent(&job, &framer, &mut arena);
                    file.packets_end = job.packets_before + written;
                    match result {
                        Ok(()) => {
                            let short = (job.batch.len() as u64).saturating_sub(written);
                            shared.lent_shortfall.fetch_add(short, Ordering::Relaxed);
                        }
                        Err(error) => {
                            let kept = file.packets_end;
                            fail(&shared, error, file.out.path(), kept, closed_packets + kept);
                        }
                    }
                    // Dropping the job hands the block back to the kernel.
                }
                Job::Sync(done) => {
                    let _ = done.send(());
                }
                Job::Close {
                    len,
                    packets,
                    compress,
                    next,
                } => {
                    let file = state.take().expect("a file is open when closed");
                    if let Err(error) = file.close(len) {
                        let kept = file.packets_end;
                        fail(&shared, error, file.out.path(), kept, closed_packets + kept);
                        continue;
                    }
                    closed_packets += packets;
                    if let (Some(program), Some(path)) = (compress, file.out.path()) {
                        // tcpdump's -z: the program with the file name as its only argument,
                        // not waited for (tcpdump reaps it on SIGCHLD; here on later rotations).
                        match Command::new(&program).arg(path).spawn() {
                            Ok(child) => children.push(child),
                            Err(err) => eprintln!("rcvall: -z {program}: {err}"),
                        }
                    }
                    children.retain_mut(|c| matches!(c.try_wait(), Ok(None)));
                    let Some(next) = next else { continue };
                    let direct = shared.direct.load(Ordering::Relaxed);
                    match create(&next, direct) {
                        Ok(out) => {
                            state = Some(FileState {
                                out,
                                pcapng,
                                written_end: 0,
                                packets_end: 0,
                            });
                        }
                        Err(error) => {
                            let error = io::Error::new(
                                error.kind(),
                                format!("cannot create {}: {error}", next.display()),
                            );
                            fail(&shared, error, Some(&next), 0, closed_packets);
                        }
                    }
                }
            }
        }
    }
}

pub(super) fn fail(
    shared: &Shared,
    error: io::Error,
    path: Option<&Path>,
    kept_in_file: u64,
    kept_total: u64,
) {
    *shared.failure.lock().expect("not poisoned") = Some(Failure {
        error,
        path: path.map(Path::to_owned),
        kept_in_file,
        kept_total,
    });
    shared.failed.store(true, Ordering::Release);
}

impl FileState {
    fn write(&mut self, chunk: &mut Chunk, shared: &Shared) -> io::Result<()> {
        match &mut self.out {
            Output::Stream { file, .. } => write_stream(file, chunk)?,
            Output::Positioned { file, direct, .. } => {
                let mut written = 0usize;
                let offset = chunk.offset;
                loop {
                    let bytes = if *direct {
                        chunk.aligned_filled()
                    } else {
                        chunk.filled()
                    };
                    if written >= bytes.len() {
                        break;
                    }
                    match file.write_at(&bytes[written..], offset + written as u64) {
                        Ok(0) => {
                            chunk.len = written.min(chunk.len);
                            return Err(io::ErrorKind::WriteZero.into());
                        }
                        Ok(n) => written += n,
                        Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                        Err(err) if *direct && err.raw_os_error() == Some(libc_einval()) => {
                            // Accepted at open, refused at write (some file systems do this):
                            // buffered from here on, the same bytes at the same offsets.
                            clear_direct(file)?;
                            *direct = false;
                            shared.direct.store(false, Ordering::Relaxed);
                        }
                        Err(err) => {
                            chunk.len = written.min(chunk.len);
                            return Err(err);
                        }
                    }
                }
            }
        }
        self.written_end = chunk.offset + chunk.len as u64;
        self.packets_end = chunk.packets_end;
        Ok(())
    }

    /// Writes a lent block from the ring (see [`super::gather`]); only streams are lent.
    fn write_lent(
        &mut self,
        job: &LentJob,
        framer: &Framer,
        arena: &mut Vec<u8>,
    ) -> (u64, io::Result<()>) {
        match &mut self.out {
            Output::Stream { file, .. } => write_lent(file, job, framer, arena),
            Output::Positioned { .. } => (
                0,
                Err(io::Error::other("ring blocks are lent to streams only")),
            ),
        }
    }

    /// After a failed write of `chunk` (its `len` now what reached the file): cuts the file
    /// back to the last whole record and returns the packets it then holds.
    fn cut_back(&mut self, chunk: &Chunk) -> u64 {
        let file = match &self.out {
            // A stream cannot be cut: what got out stays.
            Output::Stream { .. } => return stream_kept(chunk, self.pcapng),
            Output::Positioned { file, .. } => file,
        };
        let (cut, kept) = if chunk.len > chunk.first_record {
            let (end, packets) = whole_records(
                &chunk.filled()[chunk.first_record..],
                self.pcapng,
                chunk.file_start,
            );
            (
                chunk.offset + (chunk.first_record + end) as u64,
                chunk.packets_before + packets,
            )
        } else {
            (self.written_end, self.packets_end)
        };
        let _ = file.set_len(cut);
        kept
    }

    fn close(&self, len: u64) -> io::Result<()> {
        match &self.out {
            Output::Stream { file, .. } => {
                let mut file = file;
                file.flush()
            }
            // O_DIRECT wrote whole blocks: the padding past the end goes.
            Output::Positioned { file, .. } => file.set_len(len),
        }
    }
}

/// Writes a chunk to a stream, all of it; after a failure `chunk.len` is what got out.
pub(super) fn write_stream(file: &mut File, chunk: &mut Chunk) -> io::Result<()> {
    let mut written = 0;
    let bytes = chunk.filled();
    while written < bytes.len() {
        match file.write(&bytes[written..]) {
            Ok(0) => {
                chunk.len = written;
                return Err(io::ErrorKind::WriteZero.into());
            }
            Ok(n) => written += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => {
                // Remember how far it got, for the count of whole packets.
                chunk.len = written;
                return Err(err);
            }
        }
    }
    Ok(())
}

/// The packets a stream holds after a failed [`write_stream`] of `chunk`: those before the
/// chunk (counted in its start, also what the capture thread wrote itself) and the whole
/// records of it that got out.
pub(super) fn stream_kept(chunk: &Chunk, pcapng: bool) -> u64 {
    if chunk.len <= chunk.first_record {
        return chunk.packets_before;
    }
    let (_, packets) = whole_records(
        &chunk.filled()[chunk.first_record..],
        pcapng,
        chunk.file_start,
    );
    chunk.packets_before + packets
}

fn libc_einval() -> i32 {
    rustix::io::Errno::INVAL.raw_os_error()
}
