//! The cooked AF_PACKET socket under a faithful SIO_RCVALL socket.

use super::{cvt, setsockopt};
use crate::kfilter::Insn;
use std::ffi::CString;
use std::io;
use std::mem::size_of;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// ETH_P_ALL: outgoing packets are handed only to taps of this protocol (dev_queue_xmit_nit).
pub(crate) const ETH_P_ALL: u16 = 0x0003;

/// `struct sock_fprog` borrowing its program: the pointer stays valid as long as the value.
#[repr(C)]
pub(crate) struct FilterProgram<'a> {
    fprog: libc::sock_fprog,
    program: std::marker::PhantomData<&'a [Insn]>,
}

/// A SOCK_DGRAM packet socket: data starts at the network header.
#[derive(Debug)]
pub(crate) struct PacketSocket {
    fd: OwnedFd,
}

impl PacketSocket {
    /// Creates the socket with protocol 0, so it receives nothing until bound with a protocol:
    /// no packet of any interface is queued before the filter and the bind are in place.
    /// Nonblocking at the fd level; rcvall implements blocking with poll, so waits can be aborted.
    pub(crate) fn new() -> io::Result<PacketSocket> {
        // SAFETY: socket() has no memory arguments; a non-negative return is a new fd we own.
        let fd = cvt(unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
                0,
            )
        })?;
        // SAFETY: fd was just returned by socket() and nothing else owns it.
        Ok(PacketSocket {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    /// Replaces the socket's classic BPF program (atomically, in the kernel).
    pub(crate) fn attach_filter(&self, prog: &[Insn]) -> io::Result<()> {
        let len = u16::try_from(prog.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "BPF program too long"))?;
        let fprog = FilterProgram {
            fprog: libc::sock_fprog {
                len,
                // The kernel copies the program and never writes through this pointer;
                // Insn is repr(C) with sock_filter's layout (checked at compile time in kfilter).
                filter: prog.as_ptr() as *mut libc::sock_filter,
            },
            program: std::marker::PhantomData,
        };
        setsockopt(
            self.fd.as_fd(),
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            &fprog,
        )
    }

    /// Hooks the socket to one interface for `protocol` (host order).
    pub(crate) fn bind(&self, ifindex: u32, protocol: u16) -> io::Result<()> {
        // SAFETY: sockaddr_ll is plain old data; all-zero is a valid value.
        let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        addr.sll_family = libc::AF_PACKET as u16;
        addr.sll_protocol = protocol.to_be();
        addr.sll_ifindex = ifindex as i32;
        // SAFETY: addr is a valid sockaddr_ll and the length passed is its size.
        cvt(unsafe {
            libc::bind(
                self.fd.as_raw_fd(),
                (&addr as *const libc::sockaddr_ll).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        })
        .map(drop)
    }

    /// Joins (or leaves) the interface's promiscuous membership. The kernel reference-counts it
    /// per socket and drops it when the socket closes, even on SIGKILL — unlike IFF_PROMISC.
    pub(crate) fn set_promisc(&self, ifindex: u32, on: bool) -> io::Result<()> {
        // SAFETY: packet_mreq is plain old data; all-zero is a valid value.
        let mut mreq: libc::packet_mreq = unsafe { std::mem::zeroed() };
        mreq.mr_ifindex = ifindex as i32;
        mreq.mr_type = libc::PACKET_MR_PROMISC as u16;
        let opt = if on {
            libc::PACKET_ADD_MEMBERSHIP
        } else {
            libc::PACKET_DROP_MEMBERSHIP
        };
        setsockopt(self.fd.as_fd(), libc::SOL_PACKET, opt, &mreq)
    }

    /// Starts a new fanout group with a PACKET_FANOUT_* mode and returns its id: the kernel
    /// picks an id no group of this network namespace uses (PACKET_FANOUT_FLAG_UNIQUEID, with
    /// id 0), so no other process can land in it by chance. The socket must be bound.
    pub(crate) fn create_fanout(&self, mode: u32) -> io::Result<u16> {
        let value: u32 = (mode | libc::PACKET_FANOUT_FLAG_UNIQUEID) << 16;
        setsockopt(
            self.fd.as_fd(),
            libc::SOL_PACKET,
            libc::PACKET_FANOUT,
            &value,
        )?;
        let mut got: u32 = 0;
        let mut len = size_of::<u32>() as libc::socklen_t;
        // SAFETY: got and len are valid for writes of the sizes given.
        cvt(unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_FANOUT,
                (&mut got as *mut u32).cast(),
                &mut len,
            )
        })?;
        // packet_getsockopt: id | type << 16 | flags << 24.
        Ok((got & 0xffff) as u16)
    }

    /// Joins fanout group `group` (made by [`PacketSocket::create_fanout`]) with the same mode.
    /// The socket must be bound like the group's first member.
    pub(crate) fn join_fanout(&self, group: u16, mode: u32) -> io::Result<()> {
        let value: u32 = u32::from(group) | (mode << 16);
        setsockopt(
            self.fd.as_fd(),
            libc::SOL_PACKET,
            libc::PACKET_FANOUT,
            &value,
        )
    }

    /// Reads and clears the socket's pending error (SO_ERROR), e.g. an ENETDOWN left by an
    /// interface that disappeared while the socket was off.
    pub(crate) fn take_error(&self) -> io::Result<Option<io::Error>> {
        let mut err: libc::c_int = 0;
        let mut len = size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: err and len are valid for writes of the sizes given.
        cvt(unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_ERROR,
                (&mut err as *mut libc::c_int).cast(),
                &mut len,
            )
        })?;
        Ok((err != 0).then(|| io::Error::from_raw_os_error(err)))
    }

    /// Whether interface `ifindex` is administratively up (Some(true)), down (Some(false)) or
    /// gone (None), asked in the socket's own network namespace: SIOCGIFNAME resolves the index
    /// there (ENODEV when no interface has it), SIOCGIFFLAGS reads IFF_UP.
    pub(crate) fn link_state(&self, ifindex: u32) -> io::Result<Option<bool>> {
        // SAFETY: ifreq is plain old data; all-zero is a valid value.
        let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
        req.ifr_ifru.ifru_ifindex = ifindex as libc::c_int;
        // SAFETY: req is a valid ifreq holding an index; the kernel writes ifr_name.
        if let Err(err) =
            cvt(unsafe { libc::ioctl(self.fd.as_raw_fd(), libc::SIOCGIFNAME, &mut req) })
        {
            return match err.raw_os_error() {
                Some(libc::ENODEV | libc::ENXIO) => Ok(None),
                _ => Err(err),
            };
        }
        // SAFETY: req holds the NUL-terminated name SIOCGIFNAME wrote; the kernel writes ifru_flags.
        cvt(unsafe { libc::ioctl(self.fd.as_raw_fd(), libc::SIOCGIFFLAGS, &mut req) })?;
        // SAFETY: SIOCGIFFLAGS succeeded, so the kernel stored the flags in this union member.
        let flags = unsafe { req.ifr_ifru.ifru_flags };
        Ok(Some(flags as libc::c_int & libc::IFF_UP != 0))
    }

    /// The interface's MTU (SIOCGIFMTU), asked in the socket's own network namespace.
    pub(crate) fn mtu(&self, ifname: &str) -> io::Result<u32> {
        let name = CString::new(ifname)?;
        let bytes = name.as_bytes_with_nul();
        if bytes.len() > libc::IFNAMSIZ {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "name too long"));
        }
        // SAFETY: ifreq is plain old data; all-zero is a valid value.
        let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
        for (dst, src) in req.ifr_name.iter_mut().zip(bytes) {
            *dst = *src as libc::c_char;
        }
        // SAFETY: req is a valid ifreq with a NUL-terminated name; the kernel writes ifru_mtu.
        cvt(unsafe { libc::ioctl(self.fd.as_raw_fd(), libc::SIOCGIFMTU, &mut req) })?;
        // SAFETY: SIOCGIFMTU succeeded, so the kernel stored the MTU in this union member.
        Ok(unsafe { req.ifr_ifru.ifru_mtu } as u32)
    }
}

impl AsFd for PacketSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
