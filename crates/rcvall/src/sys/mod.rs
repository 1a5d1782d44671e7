//! Every system call rcvall makes, and the only place with `unsafe`.
//!
//! One function ≈ one system call; each returns `io::Result` and leaves the Winsock mapping to the
//! caller, which knows what the call was for.
#![allow(unsafe_code)]

pub(crate) mod ifaddrs;
pub(crate) mod netns;
pub(crate) mod packet;
#[cfg(feature = "tokio")]
pub(crate) mod reactor;
pub(crate) mod ring;
pub(crate) mod wait;

use std::io;

/// Turns the C convention (-1 and errno) into `io::Result`.
fn cvt<T: Copy + PartialOrd + Default>(ret: T) -> io::Result<T> {
    if ret < T::default() {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// `setsockopt` with a plain-old-data value.
fn setsockopt<T>(
    fd: std::os::fd::BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: value points to size_of::<T>() initialised bytes for the duration of the call.
    cvt(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (value as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    })
    .map(drop)
}
