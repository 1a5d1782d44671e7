//! Pending overlapped receives of one socket, and the worker that fills them in posting order.

use super::{Overlapped, Posted, Routine, Transfer};
use crate::error::Result;
use crate::overlapped::CompletionRoutine;
use crate::socket::machine::{aborted, Polled, SocketCore};
use crate::sys::wait::{wait_any, EventFd};
use crate::waiting::lock;
use std::collections::VecDeque;
use std::io;
use std::os::fd::AsFd;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an idle worker stays for the next receive before its thread ends: a program that
/// posts again from its routine does not pay a thread start per datagram.
const WORKER_LINGER: Duration = Duration::from_secs(1);

/// The receives posted and not yet complete, oldest first.
#[derive(Debug)]
pub(crate) struct RecvQueue {
    state: Mutex<QueueState>,
    /// Wakes the worker: a new receive, a flush, a close.
    wake: EventFd,
}

#[derive(Debug, Default)]
struct QueueState {
    pending: VecDeque<PendingRecv>,
    worker_running: bool,
}

#[derive(Debug)]
struct PendingRecv {
    overlapped: Overlapped,
    routine: Option<Routine>,
    /// The abort generation it was posted in: an abort after that cancels it.
    generation: u64,
}

impl PendingRecv {
    fn complete(self, result: Result<Transfer>) {
        self.overlapped.complete(result, self.routine);
    }
}

impl RecvQueue {
    pub(crate) fn new() -> io::Result<RecvQueue> {
        Ok(RecvQueue {
            state: Mutex::new(QueueState::default()),
            wake: EventFd::new()?,
        })
    }

    /// Completes every pending receive with WSA_OPERATION_ABORTED, oldest first.
    pub(crate) fn cancel_all(&self) {
        let mut state = lock(&self.state);
        for op in state.pending.drain(..) {
            op.complete(Err(aborted()));
        }
        drop(state);
        self.wake.signal();
    }

    /// Cancels the receives posted before the abort generation `now`.
    fn cancel_older_than(&self, now: u64) {
        let mut state = lock(&self.state);
        let (old, young): (VecDeque<_>, VecDeque<_>) =
            state.pending.drain(..).partition(|op| op.generation < now);
        state.pending = young;
        for op in old {
            op.complete(Err(aborted()));
        }
    }
}

/// Reads the next datagram into `op`'s buffer without waiting.
fn try_fill(core: &SocketCore, op: &PendingRecv) -> Result<Polled<Result<Transfer>>> {
    let mut buffer = op.overlapped.lend_buffer();
    let polled = core.poll_ring(&mut buffer);
    op.overlapped.return_buffer(buffer);
    Ok(match polled? {
        Polled::Datagram(got) => Polled::Datagram(got.map(|(bytes, info)| Transfer {
            bytes,
            info: Some(info),
        })),
        Polled::Empty { down_deadline } => Polled::Empty { down_deadline },
    })
}

/// See [`Socket::recv_overlapped`](crate::Socket::recv_overlapped).
pub(crate) fn post_recv(
    core: &Arc<SocketCore>,
    buffer: Vec<u8>,
    overlapped: &Overlapped,
    routine: Option<CompletionRoutine>,
) -> Result<Posted> {
    let generation = core.abort_slot().generation();
    let routine = Routine::for_this_thread(routine)?;
    let queue = core.overlapped_queue()?;
    let mut state = lock(&queue.state);
    core.check_open()?;
    overlapped.begin(Some(buffer))?;
    let op = PendingRecv {
        overlapped: overlapped.clone(),
        routine,
        generation,
    };
    // Buffers fill in posting order: only with nothing older pending may this one take the
    // datagram at the head of the ring now.
    if state.pending.is_empty() {
        match try_fill(core, &op) {
            Ok(Polled::Datagram(Ok(transfer))) => {
                op.complete(Ok(transfer));
                return Ok(Posted::Completed(transfer));
            }
            Ok(Polled::Datagram(Err(err))) | Err(err) => {
                // Failed at once (WSAEMSGSIZE, WSAEINVAL, WSAENETDOWN …): no routine, and the
                // buffer (with a short datagram's leading bytes) stays with the overlapped.
                op.overlapped.fail_at_once();
                return Err(err);
            }
            Ok(Polled::Empty { .. }) => {}
        }
    }
    if !state.worker_running {
        let worker_core = core.clone();
        let started = std::thread::Builder::new()
            .name("rcvall-overlapped".into())
            .spawn(move || run_worker(&worker_core));
        if let Err(err) = started {
            op.overlapped.fail_at_once();
            return Err(crate::Error::setup(
                &err,
                "starting the overlapped worker thread failed",
            ));
        }
        state.worker_running = true;
    }
    // The worker takes the lock only after this push: it sees the receive.
    state.pending.push_back(op);
    drop(state);
    queue.wake.signal();
    Ok(Posted::Pending)
}

/// Fills pending receives in order until the socket closes or nothing was posted for
/// [`WORKER_LINGER`].
fn run_worker(core: &Arc<SocketCore>) {
    let Ok(queue) = core.overlapped_queue() else {
        return;
    };
    let mut idle_since = Instant::now();
    loop {
        // Cleared before the look, so a post that lands after the look still wakes the wait.
        queue.wake.drain();
        let abort = core.abort_slot().snapshot();
        let generation = core.abort_slot().generation();
        queue.cancel_older_than(generation);
        // What to wait for after this look: the socket only while a receive is pending.
        let (watch_socket, timeout) = {
            let mut state = lock(&queue.state);
            if core.is_closed() {
                for op in state.pending.drain(..) {
                    op.complete(Err(aborted()));
                }
                state.worker_running = false;
                return;
            }
            match state.pending.pop_front() {
                None => {
                    let idle = idle_since.elapsed();
                    if idle >= WORKER_LINGER {
                        state.worker_running = false;
                        return;
                    }
                    (false, Some(WORKER_LINGER - idle))
                }
                Some(op) => {
                    idle_since = Instant::now();
                    match try_fill(core, &op) {
                        // A datagram, or an error to complete it with (WSAEMSGSIZE, or
                        // WSAENETDOWN once the queue before the loss was delivered).
                        Ok(Polled::Datagram(result)) => {
                            op.complete(result);
                            continue;
                        }
                        Err(err) => {
                            op.complete(Err(err));
                            continue;
                        }
                        Ok(Polled::Empty { down_deadline }) => {
                            state.pending.push_front(op);
                            (
                                true,
                                down_deadline.map(|d| d.saturating_duration_since(Instant::now())),
                            )
                        }
                    }
                }
            }
        };
        let woke = if watch_socket {
            wait_any(
                &[queue.wake.as_fd(), abort.as_fd(), core.packet().as_fd()],
                timeout,
            )
        } else {
            wait_any(&[queue.wake.as_fd(), abort.as_fd()], timeout)
        };
        match woke {
            Ok(Some(2)) => core.note_socket_error(),
            Ok(_) => {}
            // poll itself failing leaves nothing to wait with: end every pending receive.
            Err(_) => {
                queue.cancel_all();
                lock(&queue.state).worker_running = false;
                return;
            }
        }
    }
}
