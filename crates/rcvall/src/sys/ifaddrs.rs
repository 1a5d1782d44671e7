//! The local addresses of every interface (getifaddrs).

use std::ffi::CStr;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One address held by one interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IfAddr {
    pub name: String,
    pub index: u32,
    /// IFF_* flags of the interface.
    pub flags: u32,
    /// None for the interface's own (link-layer) entry.
    pub addr: Option<IpAddr>,
    /// The IPv6 scope id (the interface index for link-local addresses), 0 for IPv4.
    pub scope_id: u32,
}

/// Every interface (one entry without address each) and every IPv4 and IPv6 address of the
/// calling thread's network namespace.
pub(crate) fn local_addresses() -> io::Result<Vec<IfAddr>> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: head is a valid out-pointer; on success it owns a list freed below.
    super::cvt(unsafe { libc::getifaddrs(&mut head) })?;
    let mut out = Vec::new();
    let mut cursor = head;
    while !cursor.is_null() {
        // SAFETY: cursor is a node of the list getifaddrs returned, alive until freeifaddrs.
        let node = unsafe { &*cursor };
        cursor = node.ifa_next;
        let family = if node.ifa_addr.is_null() {
            libc::AF_UNSPEC
        } else {
            // SAFETY: ifa_addr is non-null and starts with the family field of every sockaddr.
            i32::from(unsafe { (*node.ifa_addr).sa_family })
        };
        let (addr, scope_id) = match family {
            libc::AF_INET => {
                // SAFETY: the family says this sockaddr is a sockaddr_in.
                let sin = unsafe { &*node.ifa_addr.cast::<libc::sockaddr_in>() };
                (
                    Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                        sin.sin_addr.s_addr,
                    )))),
                    0,
                )
            }
            libc::AF_INET6 => {
                // SAFETY: the family says this sockaddr is a sockaddr_in6.
                let sin6 = unsafe { &*node.ifa_addr.cast::<libc::sockaddr_in6>() };
                (
                    Some(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr))),
                    sin6.sin6_scope_id,
                )
            }
            // AF_PACKET: the interface itself, listed even when it has no IP address.
            libc::AF_PACKET => (None, 0),
            _ => continue,
        };
        // SAFETY: ifa_name is a NUL-terminated string owned by the list.
        let cname = unsafe { CStr::from_ptr(node.ifa_name) };
        // SAFETY: cname is a valid NUL-terminated string.
        let index = unsafe { libc::if_nametoindex(cname.as_ptr()) };
        if index == 0 {
            continue; // the interface vanished between the two calls
        }
        out.push(IfAddr {
            name: cname.to_string_lossy().into_owned(),
            index,
            flags: node.ifa_flags,
            addr,
            scope_id,
        });
    }
    // SAFETY: head came from a successful getifaddrs and is freed exactly once.
    unsafe { libc::freeifaddrs(head) };
    Ok(out)
}
