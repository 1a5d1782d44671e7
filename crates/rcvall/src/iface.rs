//! Which interface holds a local address: the SIO_RCVALL way of naming an interface.

use crate::error::{Error, Result};
use crate::sys::ifaddrs::{self, IfAddr};
use crate::wsa::WsaCode;
use std::net::{IpAddr, SocketAddr};

/// A network interface, as found from one of its addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    /// The kernel's interface index.
    pub index: u32,
    /// The interface name, e.g. `eth0`.
    pub name: String,
    /// Loopback interfaces pass every packet to the capture tap twice (out, then in).
    pub is_loopback: bool,
}

impl Interface {
    /// The interface holding a local address, in the calling thread's network namespace
    /// (WSAEADDRNOTAVAIL when none does). IPv6 link-local addresses use the scope id.
    pub fn by_address(addr: SocketAddr) -> Result<Interface> {
        by_address(addr)
    }

    /// The interface with this name (WSAEINVAL when there is none).
    pub fn by_name(name: &str) -> Result<Interface> {
        by_name(name)
    }

    fn from_entry(entry: &IfAddr) -> Interface {
        Interface {
            index: entry.index,
            name: entry.name.clone(),
            is_loopback: entry.flags & libc::IFF_LOOPBACK as u32 != 0,
        }
    }
}

/// Finds an interface by name.
pub(crate) fn named(addrs: &[IfAddr], name: &str) -> Option<Interface> {
    addrs
        .iter()
        .find(|a| a.name == name)
        .map(Interface::from_entry)
}

/// The interface holding `addr` in the calling thread's network namespace, with the error
/// Windows gives when there is none (WSAEADDRNOTAVAIL) or several (WSAEINVAL).
pub(crate) fn by_address(addr: SocketAddr) -> Result<Interface> {
    let scope_id = match addr {
        SocketAddr::V6(v6) => v6.scope_id(),
        SocketAddr::V4(_) => 0,
    };
    holder_of(&list()?, addr.ip(), scope_id).map_err(|lookup| match lookup {
        Lookup::NotLocal => Error::new(
            WsaCode::AddressNotAvailable,
            format!(
                "no local interface holds {}: use an address shown by `ip addr`",
                addr.ip()
            ),
        ),
        Lookup::Ambiguous(names) => Error::new(
            WsaCode::InvalidArgument,
            format!(
                "{} is held by several interfaces ({}): give the scope id, e.g. {}%{}",
                addr.ip(),
                names.join(", "),
                addr.ip(),
                names[0]
            ),
        ),
    })
}

/// The interface called `name` in the calling thread's network namespace.
pub(crate) fn by_name(name: &str) -> Result<Interface> {
    named(&list()?, name).ok_or_else(|| {
        Error::new(
            WsaCode::InvalidArgument,
            format!("there is no interface called {name:?}: see `ip link` for the names"),
        )
    })
}

fn list() -> Result<Vec<IfAddr>> {
    ifaddrs::local_addresses().map_err(|err| {
        Error::os(
            WsaCode::NoBufferSpace,
            &err,
            "listing the interfaces failed",
        )
    })
}

/// An interface with its state and addresses, as `rcvall list` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceInfo {
    /// Index, name, loopback.
    pub interface: Interface,
    /// IFF_UP.
    pub is_up: bool,
    /// IFF_PROMISC as the device has it: set by any socket's promiscuous membership too,
    /// which `ip link` does not show (it reports only user-set flags).
    pub is_promisc: bool,
    /// Its IPv4 and IPv6 addresses (IPv6 with their scope id).
    pub addresses: Vec<(IpAddr, u32)>,
}

/// Every interface of the calling thread's network namespace, by index.
pub fn interfaces() -> Result<Vec<InterfaceInfo>> {
    let mut out: Vec<InterfaceInfo> = Vec::new();
    for entry in list()? {
        let at = match out.iter().position(|i| i.interface.index == entry.index) {
            Some(at) => at,
            None => {
                out.push(InterfaceInfo {
                    interface: Interface::from_entry(&entry),
                    is_up: entry.flags & libc::IFF_UP as u32 != 0,
                    is_promisc: device_flags(&entry.name).unwrap_or(entry.flags)
                        & libc::IFF_PROMISC as u32
                        != 0,
                    addresses: Vec::new(),
                });
                out.len() - 1
            }
        };
        if let Some(addr) = entry.addr {
            out[at].addresses.push((addr, entry.scope_id));
        }
    }
    out.sort_by_key(|i| i.interface.index);
    Ok(out)
}

/// The device's own flags (sysfs shows dev->flags, including IFF_PROMISC from memberships).
fn device_flags(name: &str) -> Option<u32> {
    let text = std::fs::read_to_string(format!("/sys/class/net/{name}/flags")).ok()?;
    u32::from_str_radix(text.trim().trim_start_matches("0x"), 16).ok()
}

/// Why no single interface could be chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// No interface holds the address.
    NotLocal,
    /// Several interfaces hold it (IPv6 link-local without a scope id).
    Ambiguous(Vec<String>),
}

/// Finds the interface holding `addr`. A non-zero `scope_id` (IPv6) must match the
/// address's scope, which tells apart interfaces sharing a link-local address.
pub(crate) fn holder_of(
    addrs: &[IfAddr],
    addr: IpAddr,
    scope_id: u32,
) -> Result<Interface, Lookup> {
    let mut found: Vec<&IfAddr> = addrs
        .iter()
        .filter(|a| {
            a.addr == Some(addr) && (scope_id == 0 || a.scope_id == 0 || a.scope_id == scope_id)
        })
        .collect();
    found.dedup_by_key(|a| a.index);
    match found.as_slice() {
        [] => Err(Lookup::NotLocal),
        [one] => Ok(Interface::from_entry(one)),
        many => Err(Lookup::Ambiguous(
            many.iter().map(|a| a.name.clone()).collect(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ifaddr(name: &str, index: u32, addr: &str, scope_id: u32) -> IfAddr {
        IfAddr {
            name: name.into(),
            index,
            flags: if name == "lo" {
                libc::IFF_LOOPBACK as u32
            } else {
                0
            },
            addr: Some(addr.parse().unwrap()),
            scope_id,
        }
    }

    fn table() -> Vec<IfAddr> {
        vec![
            ifaddr("lo", 1, "127.0.0.1", 0),
            ifaddr("rcvt0", 2, "198.18.1.1", 0),
            ifaddr("rcvt0", 2, "fe80::1", 2),
            ifaddr("rcvt1", 3, "fe80::1", 3),
            ifaddr("rcvt1", 3, "2001:db8::1", 0),
        ]
    }

    #[test]
    fn finds_the_interface_holding_an_address() {
        let found = holder_of(&table(), "198.18.1.1".parse().unwrap(), 0).unwrap();
        assert_eq!(
            (found.index, found.name.as_str(), found.is_loopback),
            (2, "rcvt0", false)
        );
        let lo = holder_of(&table(), "127.0.0.1".parse().unwrap(), 0).unwrap();
        assert!(lo.is_loopback);
    }

    #[test]
    fn finds_an_interface_by_name() {
        assert_eq!(named(&table(), "rcvt1").unwrap().index, 3);
        assert_eq!(named(&table(), "rcvt9"), None);
    }

    #[test]
    fn an_address_nobody_holds_is_not_local() {
        assert_eq!(
            holder_of(&table(), "198.18.1.9".parse().unwrap(), 0),
            Err(Lookup::NotLocal)
        );
    }

    #[test]
    fn link_local_uses_the_scope_id_and_is_ambiguous_without_it() {
        let ll: IpAddr = "fe80::1".parse().unwrap();
        assert_eq!(holder_of(&table(), ll, 3).unwrap().name, "rcvt1");
        assert_eq!(holder_of(&table(), ll, 2).unwrap().name, "rcvt0");
        assert_eq!(
            holder_of(&table(), ll, 0),
            Err(Lookup::Ambiguous(vec!["rcvt0".into(), "rcvt1".into()]))
        );
        assert_eq!(holder_of(&table(), ll, 9), Err(Lookup::NotLocal));
    }
}
