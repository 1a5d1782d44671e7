//! The raw socket's Rust core: one rcvall `Socket`, the receives (GIL released while they
//! wait), and the conversions Python needs. Everything shaped like the `socket` module
//! (address tuples, timeouts as floats, `recv_into`) is done in `rcvall/_raw.py`.

use crate::errors;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};
use rcvall::{Error, Family, PacketInfo, Socket, WsaCode};
use std::cell::Cell;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::ops::ControlFlow;
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// No datagram the socket delivers is longer: its ring's blocks are 256 KiB and a frame never
/// spans blocks. A larger `bufsize` allocates no more than this.
pub(crate) const MAX_DATAGRAM: usize = 256 << 10;

/// A batch ends once its datagrams add up to this many bytes (the rest stay queued for the
/// next call). Bytes objects over 512 bytes come from malloc, and glibc hands a freed heap top
/// larger than its 128 KiB trim threshold back to the kernel: a batch of 1,024 datagrams of
/// 1514 bytes (1.5 MB) was freed, trimmed and faulted in again on every call — measured
/// 1.26 M minor page faults for 4 M datagrams, 800–1,000 ns per datagram, against 1.8 k faults
/// and 280 ns in batches of 64 (bench/RESULTS.md §9).
const BATCH_BYTES: usize = 64 << 10;

/// Bits of the `flags` field of the info tuple (mirrored by `PacketFlags` in `_raw.py`).
const FLAG_CHECKSUM_NOT_READY: u32 = 1;
const FLAG_GSO: u32 = 2;
const FLAG_TRUNCATED: u32 = 4;

thread_local! {
    /// Receive buffers are reused per thread: a fresh zeroed 64 KiB per recv would cost more
    /// than the receive itself. Per thread, so that no lock is held while a receive waits.
    static SCRATCH: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// The thread's scratch buffer, handed back when dropped (a nested use gets a new one).
struct Scratch(Vec<u8>);

impl Scratch {
    fn take() -> Scratch {
        Scratch(SCRATCH.with(Cell::take))
    }

    fn sized(len: usize) -> Scratch {
        let mut scratch = Scratch::take();
        if scratch.0.len() < len {
            scratch.0.resize(len, 0);
        }
        scratch
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.0);
        let _ = SCRATCH.try_with(|cell| cell.set(buf));
    }
}

/// Runs a receive with the GIL released. A signal arriving meanwhile ends the wait with
/// WSAEINTR (the socket is interruptible): Python's handlers then run here, with the GIL,
/// and the receive starts again unless a handler raised (KeyboardInterrupt).
fn waiting<T: Send>(
    py: Python<'_>,
    mut call: impl FnMut() -> rcvall::Result<T> + Send,
) -> PyResult<rcvall::Result<T>> {
    loop {
        match py.detach(&mut call) {
            Err(err) if err.kind() == WsaCode::Interrupted => py.check_signals()?,
            other => return Ok(other),
        }
    }
}

/// Goes on with a batch while it holds fewer than [`BATCH_BYTES`].
fn budget(bytes: usize) -> ControlFlow<()> {
    if bytes >= BATCH_BYTES {
        ControlFlow::Break(())
    } else {
        ControlFlow::Continue(())
    }
}

/// The info tuple: (timestamp_ns, pkttype, ifindex, original_len, flag bits).
type InfoTuple = (u64, u8, u32, u32, u32);

/// What recv_into needs: the leading bytes, the source, and the WSAEMSGSIZE to raise after.
type Parts<'py> = (
    Bound<'py, PyBytes>,
    Option<Bound<'py, PyTuple>>,
    Option<PyErr>,
);

fn info_tuple(info: &PacketInfo) -> InfoTuple {
    let mut flags = 0;
    if info.flags.checksum_not_ready {
        flags |= FLAG_CHECKSUM_NOT_READY;
    }
    if info.flags.gso {
        flags |= FLAG_GSO;
    }
    if info.flags.truncated {
        flags |= FLAG_TRUNCATED;
    }
    (
        info.timestamp_ns,
        info.packet_type.pkttype(),
        info.ifindex,
        info.original_len,
        flags,
    )
}

/// The source address of a datagram, as Windows' recvfrom gives it for raw IP sockets:
/// `(src, 0)` for IPv4, `(src, 0, 0, scope_id)` for IPv6 (the family's usual tuple; the scope
/// is the interface for link-local sources). None when too few bytes were kept to read it.
fn source<'py>(
    py: Python<'py>,
    v6: bool,
    data: &[u8],
    ifindex: u32,
) -> PyResult<Option<Bound<'py, PyTuple>>> {
    if v6 {
        // IPv6 header: source address at bytes 8..24.
        let Some(octets) = data.get(8..24).and_then(|b| <[u8; 16]>::try_from(b).ok()) else {
            return Ok(None);
        };
        let ip = Ipv6Addr::from(octets);
        let scope = if ip.is_unicast_link_local() {
            ifindex
        } else {
            0
        };
        Ok(Some((ip.to_string(), 0, 0, scope).into_pyobject(py)?))
    } else {
        // IPv4 header: source address at bytes 12..16.
        let Some(octets) = data.get(12..16).and_then(|b| <[u8; 4]>::try_from(b).ok()) else {
            return Ok(None);
        };
        Ok(Some(
            (Ipv4Addr::from(octets).to_string(), 0).into_pyobject(py)?,
        ))
    }
}

/// A receive's buffer size, refused when negative as the standard socket refuses it.
fn buffer_size(bufsize: isize, call: &str) -> PyResult<usize> {
    usize::try_from(bufsize)
        .map_err(|_| PyValueError::new_err(format!("negative buffersize in {call}")))
}

/// Receive flags: the faithful socket reads whole datagrams only.
fn check_flags(py: Python<'_>, flags: i32) -> PyResult<()> {
    if flags == 0 {
        return Ok(());
    }
    Err(errors::wsa(
        py,
        WsaCode::OperationNotSupported,
        &format!("receive flags {flags:#x} are not supported by an SIO_RCVALL socket: pass 0"),
    ))
}

/// One received datagram: the bytes kept, its info (None when it did not fit) and, when it
/// did not fit, the WSAEMSGSIZE error to raise once the leading bytes are delivered.
struct Received<'py> {
    data: Bound<'py, PyBytes>,
    info: Option<PacketInfo>,
    too_long: Option<PyErr>,
}

/// Core of `rcvall.socket`'s raw socket; subclassed in Python by `rcvall._raw.RawSocket`.
#[pyclass(frozen, subclass, module = "rcvall._rcvall")]
pub(crate) struct RawSocketCore {
    /// None once closed; a receive in progress keeps its own clone until it returns.
    socket: Mutex<Option<Arc<Socket>>>,
    v6: bool,
}

impl RawSocketCore {
    fn slot(&self) -> MutexGuard<'_, Option<Arc<Socket>>> {
        self.socket
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn socket(&self, py: Python<'_>) -> PyResult<Arc<Socket>> {
        self.slot().clone().ok_or_else(|| {
            errors::wsa(
                py,
                WsaCode::NotSocket,
                "the socket was closed: create a new one",
            )
        })
    }

    fn receive<'py>(&self, py: Python<'py>, nbytes: usize) -> PyResult<Received<'py>> {
        let socket = self.socket(py)?;
        let len = nbytes.min(MAX_DATAGRAM);
        let mut scratch = Scratch::sized(len);
        let buf = &mut scratch.0[..len];
        // A datagram already queued is read with the GIL held (no wait can happen), saving the
        // release and re-acquisition; only an empty ring waits, with the GIL released.
        let result = match socket.try_recv_with_info(buf) {
            Err(err) if err.kind() == WsaCode::WouldBlock => {
                waiting(py, || socket.recv_with_info(buf))?
            }
            ready => ready,
        };
        match result {
            Ok((n, info)) => Ok(Received {
                data: PyBytes::new(py, &buf[..n]),
                info: Some(info),
                too_long: None,
            }),
            // The leading bytes were copied, the rest discarded (Windows' WSAEMSGSIZE).
            Err(err) if err.kind() == WsaCode::MessageSize => Ok(Received {
                data: PyBytes::new(py, buf),
                info: None,
                too_long: Some(errors::to_py(py, &err)),
            }),
            Err(err) => Err(errors::to_py(py, &err)),
        }
    }

    fn fallback_ifindex(&self) -> u32 {
        self.slot()
            .as_ref()
            .and_then(|s| s.interface())
            .map_or(0, |i| i.index)
    }

    /// Up to `max` datagrams: those already queued become bytes straight from the ring, with
    /// the GIL held (one copy, no wait); when none is, the wait and the copy out of the ring
    /// happen with the GIL released, into a scratch arena, then become bytes.
    fn batch<'py>(
        &self,
        py: Python<'py>,
        max: usize,
        with_info: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        let socket = self.socket(py)?;
        let list = PyList::empty(py);
        let mut failed: Option<PyErr> = None;
        let mut bytes = 0;
        let ready = socket.try_recv_batch(max, |data, info| {
            bytes += data.len();
            let data = PyBytes::new(py, data);
            let appended = if with_info {
                list.append((data, info_tuple(&info)))
            } else {
                list.append(data)
            };
            if let Err(err) = appended {
                failed.get_or_insert(err);
            }
            budget(bytes)
        });
        match ready {
            Ok(_) => return failed.map_or(Ok(list), Err),
            Err(err) if err.kind() == WsaCode::WouldBlock => {}
            Err(err) => return Err(errors::to_py(py, &err)),
        }
        let mut arena = Scratch::take();
        arena.0.clear();
        let mut ends: Vec<usize> = Vec::new();
        let mut infos: Vec<PacketInfo> = Vec::new();
        let result = waiting(py, || {
            arena.0.clear();
            ends.clear();
            infos.clear();
            socket.recv_batch(max, |data, info| {
                arena.0.extend_from_slice(data);
                ends.push(arena.0.len());
                if with_info {
                    infos.push(info);
                }
                budget(arena.0.len())
            })
        })?;
        if let Err(err) = result {
            return Err(errors::to_py(py, &err));
        }
        let mut start = 0;
        for (i, &end) in ends.iter().enumerate() {
            let data = PyBytes::new(py, &arena.0[start..end]);
            start = end;
            if with_info {
                list.append((data, info_tuple(&infos[i])))?;
            } else {
                list.append(data)?;
            }
        }
        Ok(list)
    }
}

#[pymethods]
impl RawSocketCore {
    /// Creates the rcvall socket (IPv6 when `v6`); needs CAP_NET_RAW (WSAEACCES).
    #[new]
    fn new(py: Python<'_>, v6: bool) -> PyResult<RawSocketCore> {
        let family = if v6 { Family::V6 } else { Family::V4 };
        let socket = py
            .detach(|| Socket::new(family))
            .map_err(|err| errors::to_py(py, &err))?;
        // Signals must reach Python (Ctrl-C in a blocking recvfrom loop).
        socket.set_interruptible(true);
        Ok(RawSocketCore {
            socket: Mutex::new(Some(Arc::new(socket))),
            v6,
        })
    }

    /// Binds to a local address (the IP as a string; resolving names is Python's part).
    fn _bind(
        &self,
        py: Python<'_>,
        ip: &str,
        port: u16,
        flowinfo: u32,
        scope_id: u32,
    ) -> PyResult<()> {
        let socket = self.socket(py)?;
        let ip: IpAddr = ip.parse().map_err(|_| {
            errors::wsa(
                py,
                WsaCode::InvalidArgument,
                &format!("{ip:?} is not an IP address"),
            )
        })?;
        let addr = match ip {
            IpAddr::V6(v6) => SocketAddr::V6(SocketAddrV6::new(v6, port, flowinfo, scope_id)),
            IpAddr::V4(_) => SocketAddr::new(ip, port),
        };
        py.detach(|| socket.bind(addr))
            .map_err(|err| errors::to_py(py, &err))
    }

    /// `WSAIoctl`: a control code and its input bytes.
    fn _ioctl(&self, py: Python<'_>, control_code: u32, input: &[u8]) -> PyResult<()> {
        let socket = self.socket(py)?;
        let input = input.to_vec();
        py.detach(|| socket.ioctl(control_code, &input))
            .map_err(|err| errors::to_py(py, &err))
    }

    /// None: block; 0: nonblocking; otherwise a read timeout in seconds (validated in Python).
    fn _set_timeout(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<()> {
        let socket = self.socket(py)?;
        let result = match timeout {
            Some(0.0) => socket.set_nonblocking(true),
            Some(secs) => {
                // Shorter than a nanosecond still times out; longer than Duration: forever.
                let wait = Duration::try_from_secs_f64(secs)
                    .ok()
                    .map(|d| d.max(Duration::from_nanos(1)));
                socket
                    .set_nonblocking(false)
                    .and_then(|()| socket.set_read_timeout(wait))
            }
            None => socket
                .set_nonblocking(false)
                .and_then(|()| socket.set_read_timeout(None)),
        };
        result.map_err(|err: Error| errors::to_py(py, &err))
    }

    /// `(ip, port, flowinfo, scope_id)` of the bound address, None when unbound.
    fn _local_addr(&self, py: Python<'_>) -> PyResult<Option<(String, u16, u32, u32)>> {
        let socket = self.socket(py)?;
        Ok(socket.local_addr().map(|addr| match addr {
            SocketAddr::V4(a) => (a.ip().to_string(), a.port(), 0, 0),
            SocketAddr::V6(a) => (a.ip().to_string(), a.port(), a.flowinfo(), a.scope_id()),
        }))
    }

    /// `(name, index)` of the interface the bound address belongs to.
    fn _interface(&self, py: Python<'_>) -> PyResult<Option<(String, u32)>> {
        let socket = self.socket(py)?;
        Ok(socket.interface().map(|i| (i.name, i.index)))
    }

    /// The SIO_RCVALL mode in force (RCVALL_OFF, RCVALL_ON or RCVALL_IPLEVEL).
    fn _rcvall_mode(&self, py: Python<'_>) -> PyResult<u32> {
        Ok(self.socket(py)?.rcvall().value())
    }

    /// The next datagram from its IP header, at most `bufsize` bytes (WSAEMSGSIZE if longer).
    #[pyo3(signature = (bufsize, flags = 0))]
    fn recv<'py>(
        &self,
        py: Python<'py>,
        bufsize: isize,
        flags: i32,
    ) -> PyResult<Bound<'py, PyBytes>> {
        check_flags(py, flags)?;
        let received = self.receive(py, buffer_size(bufsize, "recv")?)?;
        match received.too_long {
            Some(err) => Err(err),
            None => Ok(received.data),
        }
    }

    /// `(bytes, (src, 0))`, as Windows returns for raw IP sockets.
    #[pyo3(signature = (bufsize, flags = 0))]
    fn recvfrom<'py>(
        &self,
        py: Python<'py>,
        bufsize: isize,
        flags: i32,
    ) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyTuple>)> {
        check_flags(py, flags)?;
        let received = self.receive(py, buffer_size(bufsize, "recvfrom")?)?;
        if let Some(err) = received.too_long {
            return Err(err);
        }
        let ifindex = received.info.map_or(0, |i| i.ifindex);
        let src = source(py, self.v6, received.data.as_bytes(), ifindex)?;
        let src = match src {
            Some(src) => src,
            None => PyTuple::empty(py),
        };
        Ok((received.data, src))
    }

    /// For recv_into/recvfrom_into: `(leading bytes, source or None, WSAEMSGSIZE or None)`.
    fn _recv_parts<'py>(&self, py: Python<'py>, nbytes: usize, flags: i32) -> PyResult<Parts<'py>> {
        check_flags(py, flags)?;
        let received = self.receive(py, nbytes)?;
        let ifindex = match received.info {
            Some(info) => info.ifindex,
            None => self.fallback_ifindex(),
        };
        let src = source(py, self.v6, received.data.as_bytes(), ifindex)?;
        Ok((received.data, src, received.too_long))
    }

    /// `(bytes, (timestamp_ns, pkttype, ifindex, original_len, flags))`; wrapped in
    /// `PacketInfo` by the Python side.
    #[pyo3(signature = (bufsize = MAX_DATAGRAM as isize))]
    fn _recv_with_info<'py>(
        &self,
        py: Python<'py>,
        bufsize: isize,
    ) -> PyResult<(Bound<'py, PyBytes>, InfoTuple)> {
        let received = self.receive(py, buffer_size(bufsize, "recv_with_info")?)?;
        match (received.too_long, received.info) {
            (Some(err), _) => Err(err),
            (None, Some(info)) => Ok((received.data, info_tuple(&info))),
            (None, None) => unreachable!("a datagram that fitted always has its info"),
        }
    }

    /// Waits for a datagram (as recv does), then returns it and the datagrams already queued
    /// behind it, each whole, as a list of bytes: at most `max_datagrams`, and no more once
    /// they add up to 64 KiB (the rest stay queued for the next call).
    #[pyo3(signature = (max_datagrams = 1024))]
    fn recv_batch<'py>(
        &self,
        py: Python<'py>,
        max_datagrams: usize,
    ) -> PyResult<Bound<'py, PyList>> {
        self.batch(py, max_datagrams, false)
    }

    /// Like recv_batch, each item `(bytes, info tuple)`.
    #[pyo3(signature = (max_datagrams = 1024))]
    fn _recv_batch_with_info<'py>(
        &self,
        py: Python<'py>,
        max_datagrams: usize,
    ) -> PyResult<Bound<'py, PyList>> {
        self.batch(py, max_datagrams, true)
    }

    /// The file descriptor for readiness (selectors, asyncio add_reader); -1 once closed.
    fn fileno(&self) -> i32 {
        self.slot().as_ref().map_or(-1, |s| s.as_raw_fd())
    }

    /// Closes the socket: receives waiting in other threads end with WSA_OPERATION_ABORTED,
    /// promiscuity is released, and the descriptor and ring are freed once they have returned.
    fn close(&self, py: Python<'_>) {
        let socket = self.slot().take();
        if let Some(socket) = socket {
            py.detach(|| socket.close());
        }
    }
}
