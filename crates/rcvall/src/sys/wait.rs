//! Waiting for a datagram in a way another thread can cut short.

use super::cvt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// An eventfd: writing to it wakes every poll that watches it, and it stays readable.
#[derive(Debug)]
pub(crate) struct EventFd(OwnedFd);

impl EventFd {
    pub(crate) fn new() -> io::Result<EventFd> {
        // SAFETY: eventfd() has no memory arguments; a non-negative return is a new fd we own.
        let fd = cvt(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })?;
        // SAFETY: fd was just returned by eventfd() and nothing else owns it.
        Ok(EventFd(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Makes the eventfd readable for good (it is never read back).
    pub(crate) fn signal(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64. A full counter (EAGAIN) is still readable,
        // which is all a waiter needs, so the result does not matter.
        let _ = unsafe { libc::write(self.0.as_raw_fd(), (&one as *const u64).cast(), 8) };
    }
}

impl EventFd {
    /// Clears the counter (a nonblocking read; nothing to read is fine): the eventfd is
    /// readable again only after the next [`EventFd::signal`].
    pub(crate) fn drain(&self) {
        let mut value: u64 = 0;
        // SAFETY: reads at most 8 bytes into a live u64. EAGAIN (nothing signalled) is fine.
        let _ = unsafe { libc::read(self.0.as_raw_fd(), (&mut value as *mut u64).cast(), 8) };
    }
}

impl AsFd for EventFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

/// What a wait does when a signal handler interrupts it (EINTR).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OnSignal {
    /// Goes on waiting.
    Retry,
    /// Returns the EINTR.
    Return,
}

/// Waits until one of `fds` is readable (or has an error) or `timeout` expires: the index of
/// the first ready one, or None on timeout. Signals do not end it.
pub(crate) fn wait_any(
    fds: &[BorrowedFd<'_>],
    timeout: Option<Duration>,
) -> io::Result<Option<usize>> {
    wait_any_with(fds, timeout, OnSignal::Retry)
}

/// [`wait_any`], with the choice of what a signal does.
pub(crate) fn wait_any_with(
    fds: &[BorrowedFd<'_>],
    timeout: Option<Duration>,
    on_signal: OnSignal,
) -> io::Result<Option<usize>> {
    let deadline = timeout.map(|t| Instant::now() + t);
    let mut polled: Vec<libc::pollfd> = fds
        .iter()
        .map(|fd| libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    loop {
        let ms = match deadline {
            None => -1,
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                left.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int
            }
        };
        // SAFETY: polled is a live array of pollfd and its length is passed with it.
        let n = unsafe { libc::poll(polled.as_mut_ptr(), polled.len() as libc::nfds_t, ms) };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted && on_signal == OnSignal::Retry {
                continue;
            }
            return Err(err);
        }
        if let Some(index) = polled.iter().position(|p| p.revents != 0) {
            return Ok(Some(index));
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(None);
        }
    }
}

/// Why a wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wake {
    /// The socket has data or an error to report.
    Ready,
    /// The abort eventfd was signalled.
    Aborted,
    /// The timeout expired first.
    TimedOut,
}

/// Waits until `fd` is readable, `abort` is signalled, or `timeout` expires; an abort wins
/// when both are ready. A signal handler that runs meanwhile makes poll fail with EINTR (poll
/// is never restarted, SA_RESTART or not): the wait goes on, unless `interruptible`, when the
/// EINTR is returned, so that a caller with its own signal handling (a language runtime) can
/// run it.
pub(crate) fn wait_readable(
    fd: BorrowedFd<'_>,
    abort: &EventFd,
    timeout: Option<Duration>,
    interruptible: bool,
) -> io::Result<Wake> {
    let on_signal = if interruptible {
        OnSignal::Return
    } else {
        OnSignal::Retry
    };
    Ok(
        match wait_any_with(&[abort.as_fd(), fd], timeout, on_signal)? {
            Some(0) => Wake::Aborted,
            Some(_) => Wake::Ready,
            None => Wake::TimedOut,
        },
    )
}
