//! Waiting that another thread can cut short, and noticing that the interface went away.

use crate::error::{Error, Result};
use crate::sys::packet::PacketSocket;
use crate::sys::wait::{wait_readable, EventFd, Wake};
use crate::wsa::WsaCode;
use std::io;
use std::os::fd::AsFd;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
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

/// What current waiters watch. Aborting signals the eventfd and installs a fresh one, so the
/// signal reaches exactly the waits that began before it, and no reader ever has to clear it.
/// Waits that are futures (async, overlapped) watch the generation instead: it moves on with
/// every abort, and their wakers are woken at once, without any system call.
#[derive(Debug)]
pub(crate) struct AbortSlot {
    current: Mutex<Arc<EventFd>>,
    wakers: Mutex<WakerSet>,
}

/// Wakers of the pending futures, by slot, with the abort generation they were registered in.
#[derive(Debug, Default)]
struct WakerSet {
    generation: u64,
    slots: Vec<Option<Waker>>,
    free: Vec<usize>,
}

impl AbortSlot {
    pub(crate) fn new() -> io::Result<AbortSlot> {
        Ok(AbortSlot {
            current: Mutex::new(Arc::new(EventFd::new()?)),
            wakers: Mutex::new(WakerSet::default()),
        })
    }

    /// The eventfd a wait that starts now must watch.
    pub(crate) fn snapshot(&self) -> Arc<EventFd> {
        lock(&self.current).clone()
    }

    /// The abort generation a future wait that starts now belongs to.
    pub(crate) fn generation(&self) -> u64 {
        lock(&self.wakers).generation
    }

    pub(crate) fn abort(&self) {
        {
            let mut current = lock(&self.current);
            current.signal();
            // If no fresh eventfd can be had, the signalled one stays: later waits then end at
            // once with WSA_OPERATION_ABORTED instead of hanging unabortable.
            if let Ok(fresh) = EventFd::new() {
                *current = Arc::new(fresh);
            }
        }
        let woken: Vec<Waker> = {
            let mut set = lock(&self.wakers);
            set.generation += 1;
            set.free.clear();
            set.slots.drain(..).flatten().collect()
        };
        // Woken outside the lock: a waker may run the task inline.
        woken.into_iter().for_each(Waker::wake);
    }
}

/// One future's view of the abort slot: armed in the generation current when the operation
/// started, so an abort that came before it does not end it, and one that comes after does.
#[derive(Debug)]
#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
pub(crate) struct AbortWait {
    slot: Arc<AbortSlot>,
    generation: u64,
    key: Option<usize>,
}

#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
impl AbortWait {
    /// Take it before checking that the socket is open (as with [`AbortSlot::snapshot`]), so
    /// a close racing with the start is either seen by that check or by this wait.
    pub(crate) fn new(slot: Arc<AbortSlot>) -> AbortWait {
        let generation = slot.generation();
        AbortWait {
            slot,
            generation,
            key: None,
        }
    }

    /// Ready when aborted; otherwise the task's waker is kept and woken by the abort.
    pub(crate) fn poll_aborted(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut set = lock(&self.slot.wakers);
        if set.generation != self.generation {
            self.key = None;
            return Poll::Ready(());
        }
        let waker = cx.waker();
        match self.key.and_then(|key| set.slots.get_mut(key)) {
            Some(Some(kept)) if kept.will_wake(waker) => {}
            Some(kept) => *kept = Some(waker.clone()),
            None => {
                let key = match set.free.pop() {
                    Some(key) => {
                        set.slots[key] = Some(waker.clone());
                        key
                    }
                    None => {
                        set.slots.push(Some(waker.clone()));
                        set.slots.len() - 1
                    }
                };
                self.key = Some(key);
            }
        }
        Poll::Pending
    }
}

impl Drop for AbortWait {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let mut set = lock(&self.slot.wakers);
            if set.generation == self.generation && set.slots.get(key).is_some() {
                set.slots[key] = None;
                set.free.push(key);
            }
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

    /// When the loss will be reported, once the kernel has said ENETDOWN.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.report_after
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
        let now = Instant::now();
        let left = [deadline, self.report_after]
            .into_iter()
            .flatten()
            .min()
            .map(|until| until.saturating_duration_since(now));
        wait_readable(packet.as_fd(), abort, left)
            .map_err(|err| Error::os(WsaCode::NetworkDown, &err, "waiting failed"))
    }
}
