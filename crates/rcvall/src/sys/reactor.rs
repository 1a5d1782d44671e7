//! Registration with tokio's reactor: the one unsafe step of the async face.

use std::io;
use std::os::fd::AsRawFd;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// Types whose descriptor is an `OwnedFd` they create with themselves and close only when
/// dropped: the same open descriptor for their whole life. Implemented here only.
pub(crate) trait StableFd: AsRawFd + sealed::Sealed {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::Socket {}
    impl Sealed for crate::Capture {}
}

impl StableFd for crate::Socket {}
impl StableFd for crate::Capture {}

/// Registers `inner` for readability and errors. ERROR matters: the kernel reports a vanished
/// interface with sk_error_report alone (EPOLLERR, no EPOLLIN), which a readable-only
/// interest would never wake for. Must be called inside a tokio runtime with I/O enabled.
pub(crate) fn register<T: StableFd>(inner: T) -> io::Result<AsyncFd<T>> {
    // SAFETY: a StableFd owns its descriptor from creation to drop and never swaps it, and
    // the AsyncFd owns the value, so the descriptor stays open and the same while registered.
    unsafe { AsyncFd::register_with_interest(inner, Interest::READABLE | Interest::ERROR) }
        .map_err(|err| err.into_parts().1)
}
