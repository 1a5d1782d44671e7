//! Waiting that another thread can cut short, and noticing that the interface went away.

use crate::error::{Error, Result};
use crate::sys::packet::PacketSocket;
use crate::sys::wait::{wait_readable, EventFd, Wake};
use crate::wsa::WsaCode;
use std::io;
use std::os::fd::AsFd;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Locks a mutex; a panic while it was held leaves plain data, nothing half-updated.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Cancels blocked receives from any thread (Windows: closing the socket or CancelIoEx).
/// Receives that start after `abort` returns are not affected.
#[derive(Clone, Debug)]
pub struct AbortHandle {
    slot: Arc<AbortSlot>,
}

impl AbortHandle {
    pub(crate) fn new(slot: Arc<AbortSlot>) -> AbortHandle {
        AbortHandle { slot }
    }

    /// Ends every receive waiting right now with WSA_OPERATION_ABORTED.
    pub fn abort(&self) {
        self.slot.abort();
    }
}

/// The eventfd current waiters watch. Aborting signals it and installs a fresh one, so the
/// signal reaches exactly the waits that began before it, and no reader ever has to clear it.
#[derive(Debug)]
pub(crate) struct AbortSlot {
    current: Mutex<Arc<EventFd>>,
}

impl AbortSlot {
    pub(crate) fn new() -> io::Result<AbortSlot> {
        Ok(AbortSlot {
            current: Mutex::new(Arc::new(EventFd::new()?)),
        })
    }

    /// The eventfd a wait that starts now must watch.
    pub(crate) fn snapshot(&self) -> Arc<EventFd> {
        lock(&self.current).clone()
    }

    pub(crate) fn abort(&self) {
        let mut current = lock(&self.current);
        current.signal();
        // If no fresh eventfd can be had, the signalled one stays: later waits then end at
        // once with WSA_OPERATION_ABORTED instead of hanging unabortable.
        if let Ok(fresh) = EventFd::new() {
            *current = Arc::new(fresh);
        }
    }
}

/// How long after ENETDOWN the kernel may still hand over the last, partly filled block:
/// its retire timer keeps running after the device is gone (4 ms for the socket's ring).
const NETDOWN_GRACE: Duration = Duration::from_millis(50);

/// Tracks the loss of the interface: the kernel sets ENETDOWN on the socket when it goes
/// down or away; everything queued before must still be delivered, then the loss reported.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DownWatch {
    report_after: Option<Instant>,
}

impl DownWatch {
    /// Reads (and clears) the socket's pending error after a wake-up.
    pub(crate) fn note(&mut self, packet: &PacketSocket) {
        if let Ok(Some(err)) = packet.take_error() {
            if err.raw_os_error() == Some(libc::ENETDOWN) {
                self.report_after
                    .get_or_insert(Instant::now() + NETDOWN_GRACE);
            }
        }
    }

    /// True once the loss must be reported (the ring is drained and the grace is over).
    pub(crate) fn expired(&self, now: Instant) -> bool {
        self.report_after.is_some_and(|after| now >= after)
    }

    /// Waits until `packet` is readable, `abort` fires, `deadline` passes, or the grace after
    /// a loss of the interface ends (so the loss gets reported then).
    pub(crate) fn wait(
        &self,
        packet: &PacketSocket,
        abort: &EventFd,
        deadline: Option<Instant>,
    ) -> Result<Wake> {
        self.wait_or_signal(packet, abort, deadline, false)
    }

    /// [`DownWatch::wait`] that, when `interruptible`, also ends with WSAEINTR as soon as a
    /// signal handler has run.
    pub(crate) fn wait_or_signal(
        &self,
        packet: &PacketSocket,
        abort: &EventFd,
        deadline: Option<Instant>,
        interruptible: bool,
    ) -> Result<Wake> {
        let now = Instant::now();
        let left = [deadline, self.report_after]
            .into_iter()
            .flatten()
            .min()
            .map(|until| until.saturating_duration_since(now));
        wait_readable(packet.as_fd(), abort, left, interruptible).map_err(|err| {
            if err.kind() == io::ErrorKind::Interrupted {
                Error::os(
                    WsaCode::Interrupted,
                    &err,
                    "the wait was interrupted by a signal; nothing was received",
                )
            } else {
                Error::os(WsaCode::NetworkDown, &err, "waiting failed")
            }
        })
    }
}
