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

/// Waits until `fd` is readable, `abort` is signalled, or `timeout` expires. A signal handler
/// that runs meanwhile makes poll fail with EINTR (poll is never restarted, SA_RESTART or
/// not): the wait goes on, unless `interruptible`, when the EINTR is returned, so that a
/// caller with its own signal handling (a language runtime) can run it.
pub(crate) fn wait_readable(
    fd: BorrowedFd<'_>,
    abort: &EventFd,
    timeout: Option<Duration>,
    interruptible: bool,
) -> io::Result<Wake> {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let mut fds = [
            libc::pollfd {
                fd: fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: abort.0.as_fd().as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let ms = match deadline {
            None => -1,
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                // Round up so a short timeout never becomes a busy loop of zero-ms polls.
                left.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int
            }
        };
        // SAFETY: fds is a live array of two pollfd and its length is passed with it.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted && !interruptible {
                continue;
            }
            return Err(err);
        }
        if fds[1].revents != 0 {
            return Ok(Wake::Aborted);
        }
        if fds[0].revents != 0 {
            return Ok(Wake::Ready);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(Wake::TimedOut);
        }
    }
}
