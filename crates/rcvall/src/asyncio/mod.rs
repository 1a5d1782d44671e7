//! The overlapped mode's async face, on tokio (feature `tokio`): [`AsyncSocket`] and
//! [`AsyncCapture`], with Streams of owned datagrams and batches.
//!
//! How readiness is kept honest (the peers' async paths stalled, lost wakeups or spun):
//! - tokio's reactor is edge-triggered and clears its readiness only when told to. rcvall
//!   tells it exactly when a look at the ring found the unit under the cursor still owned
//!   by the kernel, through the guard of the very wake-up that led to the look: an event
//!   that arrives after the guard was taken is kept (tokio's tick check), so none is lost.
//! - TPACKET_V3's `packet_poll` may report readable while the cursor's block is the
//!   kernel's; such a wake-up costs one look and a cleared readiness, never a loop.
//! - A block's retire timer does not fire on an empty ring, so an abort or a close wakes
//!   the waiter through its waker directly, and the grace after ENETDOWN is a tokio timer.
//! - The interface's loss arrives as EPOLLERR alone (sk_error_report), so the descriptor
//!   is registered for errors as well as for reading.
//!
//! Both types must be created inside a tokio runtime with I/O and time enabled.
//!
//! ```no_run
//! # async fn sniff() -> rcvall::Result<()> {
//! use rcvall::{AsyncSocket, Family, RcvAll};
//!
//! let socket = AsyncSocket::new(Family::V4)?;
//! socket.bind("198.18.0.2:0".parse().unwrap())?;
//! socket.set_rcvall(RcvAll::On)?;
//! let mut buf = vec![0u8; 65535];
//! let (len, info) = socket.recv_with_info(&mut buf).await?; // cancel-safe
//! println!("{len} bytes {:?}", info.packet_type);
//! # Ok(()) }
//! ```

mod capture;
mod socket;

pub use capture::{AsyncCapture, BatchStream, OwnedBatch};
pub use socket::{AsyncSocket, Datagram, Datagrams};

use crate::error::{Error, Result};
use crate::waiting::AbortWait;
use crate::wsa::WsaCode;
use std::future::poll_fn;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::task::Poll;
use std::time::Instant;
use tokio::io::Interest;

const _: () = {
    const fn send<T: Send>() {}
    const fn shareable<T: Send + Sync>() {}
    send::<Datagrams>();
    send::<BatchStream>();
    send::<AsyncCapture>();
    shareable::<AsyncSocket>();
};

/// Why a wait ended.
enum News<G> {
    /// The descriptor reported readiness (data or an error): look, and clear it through
    /// the guard `G` if the look found nothing.
    Ready(G),
    /// An abort or a close came after the operation started.
    Aborted,
    /// The grace after ENETDOWN is over: look again, to report the loss.
    Deadline,
}

/// Waits for the next thing that can change what a look at the ring finds: `ready` (the
/// descriptor's readiness), an abort, or `deadline`.
async fn next_news<G>(
    ready: impl Future<Output = io::Result<G>>,
    abort: &mut AbortWait,
    deadline: Option<Instant>,
) -> Result<News<G>> {
    let mut ready = pin!(ready);
    let mut sleep = deadline.map(|d| Box::pin(tokio::time::sleep_until(d.into())));
    let news = poll_fn(|cx| {
        if abort.poll_aborted(cx).is_ready() {
            return Poll::Ready(Ok(News::Aborted));
        }
        if let Poll::Ready(guard) = ready.as_mut().poll(cx) {
            return Poll::Ready(guard.map(News::Ready));
        }
        if let Some(sleep) = sleep.as_mut() {
            if sleep.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Ok(News::Deadline));
            }
        }
        Poll::Pending
    })
    .await;
    news.map_err(|err: io::Error| Error::os(WsaCode::NetworkDown, &err, "the reactor failed"))
}

/// What the socket and the capture register for.
const INTEREST: Interest = Interest::READABLE.add(Interest::ERROR);

fn no_runtime(err: &io::Error) -> Error {
    Error::os(
        WsaCode::InvalidArgument,
        err,
        "registering with tokio's reactor failed (create async sockets inside a tokio runtime \
         with I/O enabled)",
    )
}
