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

/// The kernel's socket-option structs rcvall passes, each a repr(C) value read whole by the
/// kernel: only these may go to [`setsockopt`], so no caller can hand it a value with pointers
/// or uninitialised bytes the kernel would misread.
pub(crate) trait SocketOption: sealed::Sealed {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for libc::c_int {}
    impl Sealed for u32 {}
    impl Sealed for libc::tpacket_req {}
    impl Sealed for libc::tpacket_req3 {}
    impl Sealed for libc::packet_mreq {}
    impl Sealed for super::packet::FilterProgram<'_> {}
}

impl SocketOption for libc::c_int {}
impl SocketOption for u32 {}
impl SocketOption for libc::tpacket_req {}
impl SocketOption for libc::tpacket_req3 {}
impl SocketOption for libc::packet_mreq {}
impl SocketOption for packet::FilterProgram<'_> {}

/// `setsockopt` with one of the kernel's option structs.
fn setsockopt<T: SocketOption>(
    fd: std::os::fd::BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: value is a live T of size_of::<T>() bytes for the duration of the call; every
    // SocketOption is a plain kernel struct (FilterProgram's pointer borrows the program for
    // its own lifetime, so it is valid while the kernel copies it).
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
