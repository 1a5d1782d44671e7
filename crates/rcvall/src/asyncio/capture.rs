//! The capture engine, awaited: zero-copy batches, and a Stream of owned ones.

use super::{next_news, no_runtime, News, INTEREST};
use crate::capture::{Batch, Capture, Packet, Stats};
use crate::error::{Error, Result};
use crate::iface::Interface;
use crate::meta::PacketInfo;
use crate::socket::machine::aborted;
use crate::sys::reactor;
use crate::waiting::{AbortHandle, AbortWait};
use crate::wsa::WsaCode;
use futures_core::Stream;
use std::future::Future;
use std::ops::Range;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::unix::AsyncFd;

/// [`Capture`] on tokio. `next_batch().await` yields the engine's zero-copy [`Batch`]; a
/// wait on an idle link costs no CPU, and a spurious wake-up costs one look.
#[derive(Debug)]
pub struct AsyncCapture {
    fd: AsyncFd<Capture>,
}

impl AsyncCapture {
    /// Registers a capture with the current runtime.
    pub fn new(capture: Capture) -> Result<AsyncCapture> {
        let fd = reactor::register(capture).map_err(|err| no_runtime(&err))?;
        Ok(AsyncCapture { fd })
    }

    /// The capture under it.
    pub fn get_ref(&self) -> &Capture {
        self.fd.get_ref()
    }

    /// The capture under it, mutably (its blocking calls block the calling thread).
    pub fn get_mut(&mut self) -> &mut Capture {
        self.fd.get_mut()
    }

    /// Deregisters from the reactor and gives the capture back.
    pub fn into_inner(self) -> Capture {
        self.fd.into_inner()
    }

    /// The interface captured.
    pub fn interface(&self) -> &Interface {
        self.get_ref().interface()
    }

    /// Cumulative statistics (as [`Capture::stats`]).
    pub fn stats(&mut self) -> Result<Stats> {
        self.get_mut().stats()
    }

    /// A handle that ends a pending `next_batch` with WSA_OPERATION_ABORTED.
    pub fn abort_handle(&self) -> AbortHandle {
        self.get_ref().abort_handle()
    }

    /// The next batch without waiting (as [`Capture::try_next_batch`]).
    pub fn try_next_batch(&mut self) -> Result<Option<Batch<'_>>> {
        self.get_mut().try_next_batch()
    }

    /// The next batch. Fails with WSA_OPERATION_ABORTED when aborted, and with WSAENETDOWN
    /// once the interface is gone and every packet before was yielded. Cancel-safe: nothing
    /// is taken from the ring until the batch is returned.
    pub async fn next_batch(&mut self) -> Result<Batch<'_>> {
        self.ready().await?;
        // ready() saw the cursor's unit owned by user space, so a batch is there.
        self.get_mut().take_batch().ok_or_else(|| {
            Error::new(
                WsaCode::WouldBlock,
                "no batch under the cursor: await again",
            )
        })
    }

    /// Waits until a batch is ready under the cursor, taking nothing.
    pub async fn ready(&mut self) -> Result<()> {
        let mut abort = AbortWait::new(self.get_ref().abort_slot().clone());
        loop {
            if self.get_mut().look()? {
                return Ok(());
            }
            let deadline = self.get_ref().down_deadline();
            match next_news(self.fd.ready_mut(INTEREST), &mut abort, deadline).await? {
                News::Aborted => return Err(aborted()),
                News::Deadline => {}
                News::Ready(mut guard) => {
                    // Readiness is cleared exactly when the cursor's unit is the kernel's.
                    if !guard.get_inner_mut().look()? {
                        guard.clear_ready();
                    }
                }
            }
        }
    }

    /// A Stream of owned batches (`Send`, for any task): each copies one ring unit's
    /// packets out and hands the unit back at once. After an error it ends.
    pub fn into_stream(self) -> BatchStream {
        BatchStream {
            abort: self.abort_handle(),
            state: StreamState::Idle(self),
        }
    }
}

impl AsFd for AsyncCapture {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.get_ref().as_fd()
    }
}

impl AsRawFd for AsyncCapture {
    fn as_raw_fd(&self) -> RawFd {
        self.get_ref().as_raw_fd()
    }
}

/// The packets of one batch, copied out of the ring into one buffer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OwnedBatch {
    data: Vec<u8>,
    packets: Vec<(Range<usize>, PacketInfo)>,
}

impl OwnedBatch {
    /// Copies a batch.
    pub fn from_batch(batch: &Batch<'_>) -> OwnedBatch {
        let mut owned = OwnedBatch {
            data: Vec::new(),
            packets: Vec::with_capacity(batch.len()),
        };
        for packet in batch.packets() {
            let start = owned.data.len();
            owned.data.extend_from_slice(packet.data);
            owned.packets.push((start..owned.data.len(), packet.info));
        }
        owned
    }

    /// Packets in the batch.
    pub fn len(&self) -> usize {
        self.packets.len()
    }

    /// True when it holds no packet.
    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    /// The packets, in the order the kernel queued them.
    pub fn packets(&self) -> impl ExactSizeIterator<Item = Packet<'_>> + '_ {
        self.packets.iter().map(|(range, info)| Packet {
            data: &self.data[range.clone()],
            info: *info,
        })
    }
}

type Waiting = Pin<Box<dyn Future<Output = (AsyncCapture, Result<()>)> + Send>>;

enum StreamState {
    Idle(AsyncCapture),
    Waiting(Waiting),
    /// After an error: the stream yields nothing more, the capture is kept for its stats.
    Ended(AsyncCapture),
    /// Only while a state is being replaced.
    Moved,
}

/// The Stream of [`AsyncCapture::into_stream`].
pub struct BatchStream {
    state: StreamState,
    abort: AbortHandle,
}

impl std::fmt::Debug for BatchStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            StreamState::Idle(_) => "idle",
            StreamState::Waiting(_) => "waiting",
            StreamState::Ended(_) | StreamState::Moved => "ended",
        };
        f.debug_struct("BatchStream")
            .field("state", &state)
            .finish()
    }
}

impl Stream for BatchStream {
    type Item = Result<OwnedBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            match std::mem::replace(&mut self.state, StreamState::Moved) {
                StreamState::Moved => return Poll::Ready(None),
                StreamState::Ended(capture) => {
                    self.state = StreamState::Ended(capture);
                    return Poll::Ready(None);
                }
                StreamState::Idle(mut capture) => {
                    let taken = capture
                        .try_next_batch()
                        .map(|batch| batch.map(|batch| OwnedBatch::from_batch(&batch)));
                    match taken {
                        Ok(Some(owned)) => {
                            self.state = StreamState::Idle(capture);
                            return Poll::Ready(Some(Ok(owned)));
                        }
                        Ok(None) => {
                            self.state = StreamState::Waiting(Box::pin(async move {
                                let result = capture.ready().await;
                                (capture, result)
                            }));
                        }
                        Err(err) => {
                            self.state = StreamState::Ended(capture);
                            return Poll::Ready(Some(Err(err)));
                        }
                    }
                }
                StreamState::Waiting(mut waiting) => match waiting.as_mut().poll(cx) {
                    Poll::Pending => {
                        self.state = StreamState::Waiting(waiting);
                        return Poll::Pending;
                    }
                    Poll::Ready((capture, Ok(()))) => self.state = StreamState::Idle(capture),
                    Poll::Ready((capture, Err(err))) => {
                        self.state = StreamState::Ended(capture);
                        return Poll::Ready(Some(Err(err)));
                    }
                },
            }
        }
    }
}

impl BatchStream {
    /// Ends the stream and gives the capture back (for its final batches and statistics). A
    /// pending wait is aborted first; nothing is taken from the ring by that.
    pub async fn into_capture(self) -> Option<AsyncCapture> {
        match self.state {
            StreamState::Idle(capture) | StreamState::Ended(capture) => Some(capture),
            StreamState::Waiting(waiting) => {
                self.abort.abort();
                Some(waiting.await.0)
            }
            StreamState::Moved => None,
        }
    }
}
