//! The seed's overlapped mode, as on Windows and independent of any async runtime.
//!
//! A receive or a control call is *posted* with an [`Overlapped`] (Windows' `WSAOVERLAPPED`).
//! It either completes at once ([`Posted::Completed`], `0` on Windows) or later
//! ([`Posted::Pending`], `WSA_IO_PENDING`). Its completion is seen in one of three ways:
//! - by its result: [`Overlapped::result`] is `WSAGetOverlappedResult` — WSA_IO_INCOMPLETE
//!   while pending when not waiting, the operation's outcome after;
//! - by an [`Event`] (`hEvent`): an eventfd that becomes readable at completion;
//! - by a completion routine: called exactly once for every operation that did not fail at
//!   once, only inside an [`alertable_wait`] of the thread that posted it (as `SleepEx(…,
//!   TRUE)`), in posting order, never nested.
//!
//! Closing or dropping the socket, [`Socket::flush`](crate::Socket::flush) (SIO_FLUSH) and an
//! [`AbortHandle`](crate::AbortHandle) complete every pending receive with
//! WSA_OPERATION_ABORTED; each routine still runs once.
//!
//! ```no_run
//! use rcvall::{alertable_wait, Completion, Family, Overlapped, Posted, RcvAll, Socket};
//!
//! let socket = Socket::new(Family::V4)?;
//! socket.bind("198.18.0.2:0".parse().unwrap())?;
//! socket.set_rcvall(RcvAll::On)?;
//! let overlapped = Overlapped::new();
//! let routine = Box::new(|done: Completion| println!("{:?}", done.result));
//! match socket.recv_overlapped(vec![0u8; 65535], &overlapped, Some(routine))? {
//!     Posted::Completed(transfer) => println!("at once: {} bytes", transfer.bytes),
//!     Posted::Pending => println!("WSA_IO_PENDING"),
//! }
//! alertable_wait(None)?; // SleepEx(INFINITE, TRUE): the routine runs here
//! # Ok::<(), rcvall::Error>(())
//! ```
//!
//! Receives are filled by one worker thread per socket, started on the first pending one and
//! gone a second after the last: the kernel fills the ring, but someone must copy each
//! datagram into the buffer the application handed over, as Windows' kernel does.

pub(crate) mod apc;
mod event;
mod queue;

pub use apc::{alertable_wait, Alert};
pub use event::Event;
pub(crate) use queue::{post_recv, RecvQueue};

use crate::error::{Error, Result};
use crate::meta::PacketInfo;
use crate::waiting::lock;
use crate::wsa::WsaCode;
use apc::ApcQueue;
use std::sync::{Arc, Condvar, Mutex};

/// What a completed operation transferred (`cbTransferred`), with the datagram's metadata
/// for a receive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transfer {
    /// Bytes placed in the buffer (0 for a control call).
    pub bytes: usize,
    /// For a receive: timestamp, direction, interface, lengths, flags.
    pub info: Option<PacketInfo>,
}

/// What a completion routine is handed: the operation's outcome (`dwError`,
/// `cbTransferred`) and its overlapped (`lpOverlapped`), which holds the buffer.
#[derive(Debug)]
pub struct Completion {
    /// The outcome: WSA_OPERATION_ABORTED after close or flush, WSAEMSGSIZE (leading bytes
    /// in the buffer) for a short one, WSAENETDOWN once the interface is gone.
    pub result: Result<Transfer>,
    /// The overlapped the operation was posted with.
    pub overlapped: Overlapped,
}

/// A completion routine (`LPWSAOVERLAPPED_COMPLETION_ROUTINE`).
pub type CompletionRoutine = Box<dyn FnOnce(Completion) + Send + 'static>;

/// How a posted operation started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Posted {
    /// It completed at once (the call returned 0); its routine still runs in the next
    /// alertable wait of the posting thread.
    Completed(Transfer),
    /// It completes later (the call failed with WSA_IO_PENDING).
    Pending,
}

impl Posted {
    /// The number the Windows call would leave: 0 or WSA_IO_PENDING (997).
    pub fn code(&self) -> i32 {
        match self {
            Posted::Completed(_) => 0,
            Posted::Pending => WsaCode::IoPending.code(),
        }
    }
}

/// An operation's control block (Windows' `WSAOVERLAPPED`): it holds the receive buffer
/// while the operation runs, and the result after. Clones share one block; one operation
/// at a time may use it.
#[derive(Clone, Debug)]
pub struct Overlapped {
    cell: Arc<Cell>,
}

#[derive(Debug)]
struct Cell {
    state: Mutex<CellState>,
    done: Condvar,
    event: Option<Event>,
}

#[derive(Debug, Default)]
struct CellState {
    phase: Phase,
    buffer: Option<Vec<u8>>,
}

#[derive(Debug, Default)]
enum Phase {
    #[default]
    Unused,
    Pending,
    Done(Result<Transfer>),
}

/// A routine with the queue of the thread that must run it.
pub(crate) struct Routine {
    routine: CompletionRoutine,
    apcs: Arc<ApcQueue>,
}

impl std::fmt::Debug for Routine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Routine")
    }
}

impl Routine {
    /// Binds `routine` to the calling thread, the one that posts the operation.
    pub(crate) fn for_this_thread(routine: Option<CompletionRoutine>) -> Result<Option<Routine>> {
        routine
            .map(|routine| {
                Ok(Routine {
                    routine,
                    apcs: apc::current()?,
                })
            })
            .transpose()
    }
}

impl Default for Overlapped {
    fn default() -> Self {
        Overlapped::new()
    }
}

impl Overlapped {
    /// A control block without an event.
    pub fn new() -> Overlapped {
        Overlapped::build(None)
    }

    /// A control block whose `event` is set when an operation without a routine completes
    /// (Windows ignores hEvent when a routine is given, and so does this).
    pub fn with_event(event: &Event) -> Overlapped {
        Overlapped::build(Some(event.clone()))
    }

    fn build(event: Option<Event>) -> Overlapped {
        Overlapped {
            cell: Arc::new(Cell {
                state: Mutex::new(CellState::default()),
                done: Condvar::new(),
                event,
            }),
        }
    }

    /// The event given at creation.
    pub fn event(&self) -> Option<&Event> {
        self.cell.event.as_ref()
    }

    /// `HasOverlappedIoCompleted`: true once the last operation posted with it is over.
    pub fn is_complete(&self) -> bool {
        matches!(lock(&self.cell.state).phase, Phase::Done(_))
    }

    /// `WSAGetOverlappedResult`: the outcome of the last operation posted with it. While it
    /// is pending: WSA_IO_INCOMPLETE when `wait` is false; with `wait` the call blocks until
    /// it completes (refused with WSAEINPROGRESS inside a completion routine). WSAEINVAL
    /// when nothing was posted with it.
    pub fn result(&self, wait: bool) -> Result<Transfer> {
        if wait {
            apc::refuse_blocking_in_routine("waiting for an overlapped result")?;
        }
        let mut state = lock(&self.cell.state);
        loop {
            match &state.phase {
                Phase::Unused => {
                    return Err(Error::new(
                        WsaCode::InvalidArgument,
                        "no operation was posted with this overlapped",
                    ))
                }
                Phase::Done(result) => return duplicate(result),
                Phase::Pending if !wait => {
                    return Err(Error::new(
                        WsaCode::IoIncomplete,
                        "the overlapped operation has not completed yet: wait for its event \
                         or routine, or ask again with wait = true",
                    ))
                }
                Phase::Pending => {
                    state = self
                        .cell
                        .done
                        .wait(state)
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                }
            }
        }
    }

    /// The receive buffer back, once the operation is over (None while it is pending, or
    /// when it was taken already). It holds the datagram from its IP header; after
    /// WSAEMSGSIZE, its leading bytes.
    pub fn take_buffer(&self) -> Option<Vec<u8>> {
        let mut state = lock(&self.cell.state);
        match state.phase {
            Phase::Pending => None,
            _ => state.buffer.take(),
        }
    }

    /// Starts an operation: refused while another one is pending on this block.
    fn begin(&self, buffer: Option<Vec<u8>>) -> Result<()> {
        let mut state = lock(&self.cell.state);
        if matches!(state.phase, Phase::Pending) {
            return Err(Error::new(
                WsaCode::InvalidArgument,
                "this overlapped is in use by a pending operation: give each operation its own",
            ));
        }
        state.phase = Phase::Pending;
        state.buffer = buffer;
        drop(state);
        // As ReadFile and WSARecv do: the event is non-signalled while the operation runs.
        if let Some(event) = &self.cell.event {
            event.reset();
        }
        Ok(())
    }

    /// The operation failed at once: nothing completes, the block is free again.
    fn fail_at_once(&self) {
        let mut state = lock(&self.cell.state);
        state.phase = Phase::Unused;
        self.cell.done.notify_all();
    }

    /// Lends the buffer to the worker filling it.
    fn lend_buffer(&self) -> Vec<u8> {
        lock(&self.cell.state).buffer.take().unwrap_or_default()
    }

    fn return_buffer(&self, buffer: Vec<u8>) {
        lock(&self.cell.state).buffer = Some(buffer);
    }

    /// Records the outcome and signals it: the waiters of `result`, then the routine (queued
    /// for the posting thread) or else the event.
    fn complete(&self, result: Result<Transfer>, routine: Option<Routine>) {
        {
            let mut state = lock(&self.cell.state);
            state.phase = Phase::Done(duplicate(&result));
            self.cell.done.notify_all();
        }
        match routine {
            Some(Routine { routine, apcs }) => {
                let completion = Completion {
                    result,
                    overlapped: self.clone(),
                };
                apcs.push(Box::new(move || routine(completion)));
            }
            None => {
                if let Some(event) = &self.cell.event {
                    event.set();
                }
            }
        }
    }
}

fn duplicate(result: &Result<Transfer>) -> Result<Transfer> {
    match result {
        Ok(transfer) => Ok(*transfer),
        Err(err) => Err(err.duplicate()),
    }
}

/// Posts an operation that takes effect at once (a control call): its success completes it
/// now, with the routine queued for the next alertable wait; its failure fails it at once.
pub(crate) fn post_immediate(
    overlapped: &Overlapped,
    routine: Option<CompletionRoutine>,
    call: impl FnOnce() -> Result<()>,
) -> Result<Posted> {
    let routine = Routine::for_this_thread(routine)?;
    overlapped.begin(None)?;
    match call() {
        Ok(()) => {
            let transfer = Transfer {
                bytes: 0,
                info: None,
            };
            overlapped.complete(Ok(transfer), routine);
            Ok(Posted::Completed(transfer))
        }
        Err(err) => {
            overlapped.fail_at_once();
            Err(err)
        }
    }
}
