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

/// How often a link that went down is looked at again (to report it up, or gone): the
/// kernel hooks the socket in again by itself at NETDEV_UP, but says nothing to it.
const LINK_RECHECK: Duration = Duration::from_millis(100);

/// Link-state changes seen while capturing: the kernel reports a link going down with
/// ENETDOWN on the socket, and packets flow again once it is up (packet_notifier re-registers
/// the hook at NETDEV_UP); only a removed interface ends the capture.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Times the link went down while the socket was hooked to it.
    pub downs: u64,
    /// Times it came back up after that.
    pub ups: u64,
    /// False while the link is down.
    pub is_up: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    Up,
    /// Down; looked at again at this instant.
    Down {
        recheck: Instant,
    },
    /// The interface is gone: report it once the ring is drained and this instant passed.
    Gone {
        report_after: Instant,
    },
}

/// Tells a link that went down (wait) from an interface that went away (deliver what is
/// queued, then fail with WSAENETDOWN). Both start as ENETDOWN on the socket: NETDEV_DOWN and
/// NETDEV_UNREGISTER both set it in packet_notifier. What tells them apart is whether the
/// interface index still exists in the socket's namespace (UNREGISTER also clears the
/// socket's index to -1, so a re-created interface never gets the socket back).
#[derive(Clone, Copy, Debug)]
pub(crate) struct LinkWatch {
    /// None: not hooked to an interface (OFF): nothing to watch.
    ifindex: Option<u32>,
    link: Link,
    /// How long after the loss the kernel may still hand over the last, partly filled block:
    /// its retire timer keeps running after the device is gone.
    grace: Duration,
    downs: u64,
    ups: u64,
}

impl LinkWatch {
    /// Watches nothing (a socket that is OFF).
    pub(crate) fn idle() -> LinkWatch {
        LinkWatch {
            ifindex: None,
            link: Link::Up,
            grace: Duration::ZERO,
            downs: 0,
            ups: 0,
        }
    }

    /// Watches `ifindex`, for a ring whose blocks retire after `retire_timeout`: the grace
    /// after a loss is twice that plus 10 ms, so a block the timer retires late still counts.
    pub(crate) fn new(ifindex: u32, retire_timeout: Duration) -> LinkWatch {
        LinkWatch {
            ifindex: Some(ifindex),
            grace: retire_timeout * 2 + Duration::from_millis(10),
            ..LinkWatch::idle()
        }
    }

    /// Reads (and clears) the socket's pending error after a wake-up, and classifies it.
    pub(crate) fn note(&mut self, packet: &PacketSocket) {
        if let Ok(Some(err)) = packet.take_error() {
            if err.raw_os_error() == Some(libc::ENETDOWN) {
                // The kernel reports ENETDOWN only while the socket is hooked in, so one that
                // comes while the link is thought down means it came back up in between.
                if let Link::Down { .. } = self.link {
                    self.ups += 1;
                    self.link = Link::Up;
                }
                self.look(packet, Instant::now());
            }
        }
    }

    /// While the link is down, looks again when due: up again, or gone.
    pub(crate) fn refresh(&mut self, packet: &PacketSocket, now: Instant) {
        if let Link::Down { recheck } = self.link {
            if now >= recheck {
                self.look(packet, now);
            }
        }
    }

    /// The link-state changes seen so far, looking at a down link first, so the answer is
    /// current.
    pub(crate) fn current(&mut self, packet: &PacketSocket) -> LinkStats {
        if let Link::Down { .. } = self.link {
            self.look(packet, Instant::now());
        }
        self.stats()
    }

    fn look(&mut self, packet: &PacketSocket, now: Instant) {
        let Some(ifindex) = self.ifindex else {
            return;
        };
        if matches!(self.link, Link::Gone { .. }) {
            return;
        }
        self.link = match packet.link_state(ifindex) {
            Ok(None) => Link::Gone {
                report_after: now + self.grace,
            },
            Ok(Some(true)) => {
                if matches!(self.link, Link::Down { .. }) {
                    self.ups += 1;
                }
                Link::Up
            }
            // Down, or the look failed (then look again later rather than give up).
            Ok(Some(false)) | Err(_) => {
                if self.link == Link::Up {
                    self.downs += 1;
                }
                Link::Down {
                    recheck: now + LINK_RECHECK,
                }
            }
        };
    }

    /// When a look must happen even if nothing wakes the waiter: the next link check while
    /// down, or the end of the grace after a loss.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self.link {
            Link::Up => None,
            Link::Down { recheck } => Some(recheck),
            Link::Gone { report_after } => Some(report_after),
        }
    }

    /// True once the loss must be reported (the ring is drained and the grace is over).
    pub(crate) fn expired(&self, now: Instant) -> bool {
        matches!(self.link, Link::Gone { report_after } if now >= report_after)
    }

    /// The link-state changes seen so far.
    pub(crate) fn stats(&self) -> LinkStats {
        LinkStats {
            downs: self.downs,
            ups: self.ups,
            is_up: !matches!(self.link, Link::Down { .. }),
        }
    }

    /// Waits until `packet` is readable, `abort` fires, `deadline` passes, or a look at the
    /// link is due (so a recovery or a loss gets noticed then).
    pub(crate) fn wait(
        &self,
        packet: &PacketSocket,
        abort: &EventFd,
        deadline: Option<Instant>,
    ) -> Result<Wake> {
        self.wait_or_signal(packet, abort, deadline, false)
    }

    /// [`LinkWatch::wait`] that, when `interruptible`, also ends with WSAEINTR as soon as a
    /// signal handler has run.
    pub(crate) fn wait_or_signal(
        &self,
        packet: &PacketSocket,
        abort: &EventFd,
        deadline: Option<Instant>,
        interruptible: bool,
    ) -> Result<Wake> {
        let now = Instant::now();
        let left = [deadline, self.deadline()]
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
