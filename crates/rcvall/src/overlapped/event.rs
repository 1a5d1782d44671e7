//! `WSAEVENT`: a manual-reset event on an eventfd, so completions can be waited for with
//! poll, epoll or any reactor, beside the application's own descriptors.

use super::apc;
use crate::error::{Error, Result};
use crate::sys::wait::{wait_any, EventFd};
use crate::waiting::lock;
use crate::wsa::WsaCode;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A manual-reset event (`WSACreateEvent`): set by a completion, it stays set (its
/// descriptor readable) until [`Event::reset`]. Clones share one event.
#[derive(Clone, Debug)]
pub struct Event {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    fd: EventFd,
    /// Guards the pairing of the flag with the eventfd's counter.
    set: Mutex<bool>,
}

impl Event {
    /// A new, non-signalled event (WSAENOBUFS when no eventfd can be had).
    pub fn new() -> Result<Event> {
        let fd = EventFd::new().map_err(|err| Error::setup(&err, "creating the event failed"))?;
        Ok(Event {
            inner: Arc::new(Inner {
                fd,
                set: Mutex::new(false),
            }),
        })
    }

    /// `WSASetEvent`.
    pub fn set(&self) {
        let mut set = lock(&self.inner.set);
        if !*set {
            *set = true;
            self.inner.fd.signal();
        }
    }

    /// `WSAResetEvent`: non-signalled, the descriptor no longer readable.
    pub fn reset(&self) {
        let mut set = lock(&self.inner.set);
        if *set {
            *set = false;
            self.inner.fd.drain();
        }
    }

    /// True while signalled.
    pub fn is_set(&self) -> bool {
        *lock(&self.inner.set)
    }

    /// `WSAWaitForMultipleEvents` on this one event, not alertable: true when it is set
    /// within `timeout` (None: wait forever). Refused with WSAEINPROGRESS inside a routine.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<bool> {
        apc::refuse_blocking_in_routine("waiting for an event")?;
        if self.is_set() {
            return Ok(true);
        }
        let woke = wait_any(&[self.inner.fd.as_fd()], timeout)
            .map_err(|err| Error::os(WsaCode::Interrupted, &err, "waiting for the event failed"))?;
        Ok(woke.is_some() || self.is_set())
    }
}

impl AsFd for Event {
    /// Readable exactly while the event is set.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.fd.as_fd()
    }
}

impl AsRawFd for Event {
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_reset_event_stays_set_until_reset() {
        let event = Event::new().unwrap();
        assert!(!event.is_set());
        assert!(!event.wait(Some(Duration::from_millis(5))).unwrap());
        event.set();
        event.set();
        assert!(event.wait(Some(Duration::ZERO)).unwrap());
        assert!(event.wait(None).unwrap(), "still set");
        event.reset();
        assert!(!event.wait(Some(Duration::from_millis(5))).unwrap());
    }
}
