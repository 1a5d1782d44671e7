//! # rcvall — Windows' `SIO_RCVALL` on Linux
//!
//! A raw socket bound to one local interface address receives every IPv4 (or IPv6) datagram
//! passing through that interface, in and out, exactly as a Windows socket does after
//! `WSAIoctl(s, SIO_RCVALL, &RCVALL_ON, ...)`.
//!
//! ```no_run
//! use rcvall::{Family, RcvAll, Socket};
//!
//! let socket = Socket::new(Family::V4)?;            // needs CAP_NET_RAW
//! socket.bind("198.18.0.2:0".parse().unwrap())?;    // a local address: picks the interface
//! socket.set_rcvall(RcvAll::On)?;                   // or socket.ioctl(rcvall::SIO_RCVALL, &1u32.to_le_bytes())
//! let mut buf = vec![0u8; 65535];
//! let (len, info) = socket.recv_with_info(&mut buf)?;
//! println!("{len} bytes, {:?}, first byte {:#04x}", info.packet_type, buf[0]);
//! # Ok::<(), rcvall::Error>(())
//! ```
//!
//! Under the hood: a cooked AF_PACKET socket for ETH_P_ALL (outgoing packets reach only such
//! taps), created with protocol 0 and hooked to the interface only behind a classic BPF filter
//! that checks interface, family and packet type; promiscuity through a socket-owned
//! PACKET_MR_PROMISC membership that the kernel releases when the socket closes, even on SIGKILL.
//!
//! Deviation from Windows: IPv6 datagrams are delivered with their IPv6 header.
#![deny(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "tokio")]
pub mod asyncio;
mod capture;
mod error;
mod iface;
pub mod kfilter;
mod meta;
pub mod overlapped;
pub mod ring;
mod socket;
mod sys;
mod waiting;
mod wsa;

#[cfg(feature = "tokio")]
pub use asyncio::{AsyncCapture, AsyncSocket, BatchStream, Datagram, Datagrams, OwnedBatch};
pub use capture::{
    Batch, Capture, CaptureBuilder, Families, FanoutMode, LentBatch, Packet, Packets, RingShape,
    Stats, LENT_BACKOFF,
};
pub use error::{Error, Result};
pub use iface::{interfaces, Interface, InterfaceInfo};
pub use meta::{PacketFlags, PacketInfo, PacketType};
pub use overlapped::{
    alertable_wait, Alert, Completion, CompletionRoutine, Event, Overlapped, Posted, Transfer,
};
pub use rcvall_types::Direction;
pub use socket::{Family, RcvAll, Socket};
pub use waiting::{AbortHandle, LinkStats};
pub use wsa::*;
