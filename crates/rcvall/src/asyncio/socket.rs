//! The faithful socket, awaited.

use super::{next_news, no_runtime, News, INTEREST};
use crate::error::Result;
use crate::iface::Interface;
use crate::meta::PacketInfo;
use crate::socket::machine::{aborted, Polled, SocketCore};
use crate::sys::reactor;
use crate::waiting::{AbortHandle, AbortWait};
use crate::wsa::WsaCode;
use crate::{Error, Family, RcvAll, Socket};
use futures_core::Stream;
use std::future::Future;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::unix::AsyncFd;

/// [`Socket`] on tokio: the same state machine, control codes and errors, with receives
/// that await. Share it between tasks in an `Arc`; `close` or an abort handle ends every
/// pending `recv` with WSA_OPERATION_ABORTED.
///
/// The socket's nonblocking flag and read timeout do not apply here: wrap a `recv` in
/// `tokio::time::timeout` to bound it.
#[derive(Debug)]
pub struct AsyncSocket {
    fd: AsyncFd<Socket>,
}

/// One datagram with its metadata, owned (what the Stream yields).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Datagram {
    /// The datagram from its IP header.
    pub data: Vec<u8>,
    /// Timestamp, direction, interface, lengths, flags.
    pub info: PacketInfo,
}

impl AsyncSocket {
    /// Creates a socket of `family` (needs CAP_NET_RAW) and registers it with the current
    /// runtime.
    pub fn new(family: Family) -> Result<AsyncSocket> {
        AsyncSocket::from_socket(Socket::new(family)?)
    }

    /// Registers an existing socket (created, say, in another network namespace).
    pub fn from_socket(socket: Socket) -> Result<AsyncSocket> {
        let fd = reactor::register(socket).map_err(|err| no_runtime(&err))?;
        Ok(AsyncSocket { fd })
    }

    /// The socket's family.
    pub fn family(&self) -> Family {
        self.core().family()
    }

    /// As [`Socket::bind`].
    pub fn bind(&self, addr: SocketAddr) -> Result<()> {
        self.core().bind(addr)
    }

    /// As [`Socket::local_addr`].
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.core().local_addr()
    }

    /// As [`Socket::interface`].
    pub fn interface(&self) -> Option<Interface> {
        self.core().interface()
    }

    /// As [`Socket::rcvall`].
    pub fn rcvall(&self) -> RcvAll {
        self.core().rcvall()
    }

    /// As [`Socket::ioctl`].
    pub fn ioctl(&self, control_code: u32, input: &[u8]) -> Result<()> {
        self.core().ioctl(control_code, input)
    }

    /// As [`Socket::set_rcvall`].
    pub fn set_rcvall(&self, value: RcvAll) -> Result<()> {
        self.core().set_rcvall(value)
    }

    /// A handle that ends pending receives (of this and of every other task) with
    /// WSA_OPERATION_ABORTED.
    pub fn abort_handle(&self) -> AbortHandle {
        self.core().abort_handle()
    }

    /// As [`Socket::close`]: pending receives end with WSA_OPERATION_ABORTED, later calls
    /// fail with WSAENOTSOCK.
    pub fn close(&self) {
        self.core().close()
    }

    fn core(&self) -> &SocketCore {
        self.fd.get_ref().core()
    }

    /// The socket under it (its blocking calls block the calling thread).
    pub fn get_ref(&self) -> &Socket {
        self.fd.get_ref()
    }

    /// Deregisters from the reactor and gives the socket back.
    pub fn into_socket(self) -> Socket {
        self.fd.into_inner()
    }

    /// The next datagram, never waiting: WSAEWOULDBLOCK when none is queued.
    pub fn try_recv_with_info(&self, buf: &mut [u8]) -> Result<(usize, PacketInfo)> {
        match self.core().poll_ring(buf)? {
            Polled::Datagram(result) => result,
            Polled::Empty { .. } => Err(would_block()),
        }
    }

    /// Receives the next datagram from its IP header (WSAEMSGSIZE with the full length when
    /// `buf` is short: the leading bytes are in `buf`). Cancel-safe: a future dropped before
    /// it completes has taken no datagram.
    pub async fn recv(&self, buf: &mut [u8]) -> Result<usize> {
        self.recv_with_info(buf).await.map(|(len, _)| len)
    }

    /// Like [`AsyncSocket::recv`], with the datagram's metadata.
    pub async fn recv_with_info(&self, buf: &mut [u8]) -> Result<(usize, PacketInfo)> {
        self.receive(|core| core.poll_ring(buf)).await?
    }

    /// The next datagram, owned and of its exact size (never WSAEMSGSIZE).
    pub async fn recv_datagram(&self) -> Result<Datagram> {
        self.receive(|core| core.poll_owned())
            .await
            .map(|(data, info)| Datagram { data, info })
    }

    /// Looks, and waits for news between looks, until a look gives a datagram.
    async fn receive<T>(
        &self,
        mut look: impl FnMut(&SocketCore) -> Result<Polled<T>>,
    ) -> Result<T> {
        let core = self.core();
        // Armed before the first look: a close racing with the start is seen by one of them.
        let mut abort = AbortWait::new(core.abort_slot().clone());
        let mut down_deadline = match look(core)? {
            Polled::Datagram(value) => return Ok(value),
            Polled::Empty { down_deadline } => down_deadline,
        };
        loop {
            let ready = self.fd.ready(INTEREST);
            match next_news(ready, &mut abort, down_deadline).await? {
                News::Aborted => return Err(aborted()),
                News::Deadline => {}
                News::Ready(mut guard) => {
                    core.note_socket_error();
                    match look(core)? {
                        Polled::Datagram(value) => return Ok(value),
                        Polled::Empty { down_deadline: d } => {
                            down_deadline = d;
                            guard.clear_ready();
                            continue;
                        }
                    }
                }
            }
            match look(core)? {
                Polled::Datagram(value) => return Ok(value),
                Polled::Empty { down_deadline: d } => down_deadline = d,
            }
        }
    }

    /// A Stream of owned datagrams with their metadata (`Send`, for any task). After an
    /// error (WSAENETDOWN once the interface is gone and every queued datagram was yielded,
    /// WSA_OPERATION_ABORTED after close or abort) it ends.
    pub fn into_stream(self) -> Datagrams {
        Datagrams::new(Arc::new(self))
    }
}

fn would_block() -> Error {
    Error::new(
        WsaCode::WouldBlock,
        "no datagram is queued: await recv instead",
    )
}

impl AsFd for AsyncSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.get_ref().as_fd()
    }
}

impl AsRawFd for AsyncSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.get_ref().as_raw_fd()
    }
}

type Pending = Pin<Box<dyn Future<Output = Result<Datagram>> + Send>>;

/// The Stream of [`AsyncSocket::into_stream`].
pub struct Datagrams {
    socket: Arc<AsyncSocket>,
    waiting: Option<Pending>,
    done: bool,
}

impl std::fmt::Debug for Datagrams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Datagrams")
            .field("socket", &self.socket)
            .field("waiting", &self.waiting.is_some())
            .field("done", &self.done)
            .finish()
    }
}

impl Datagrams {
    /// A stream over a shared socket (other tasks may still call it).
    pub fn new(socket: Arc<AsyncSocket>) -> Datagrams {
        Datagrams {
            socket,
            waiting: None,
            done: false,
        }
    }

    /// The socket streamed.
    pub fn socket(&self) -> &Arc<AsyncSocket> {
        &self.socket
    }
}

impl Stream for Datagrams {
    type Item = Result<Datagram>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let this = &mut *self;
        // Under load a datagram is nearly always queued: take it without building a future.
        if this.waiting.is_none() {
            match this.socket.core().poll_owned() {
                Ok(Polled::Datagram((data, info))) => {
                    return Poll::Ready(Some(Ok(Datagram { data, info })))
                }
                Ok(Polled::Empty { .. }) => {}
                Err(err) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(err)));
                }
            }
        }
        let socket = &this.socket;
        let waiting = this.waiting.get_or_insert_with(|| {
            let socket = socket.clone();
            Box::pin(async move { socket.recv_datagram().await })
        });
        match waiting.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(result) => {
                this.waiting = None;
                this.done = result.is_err();
                Poll::Ready(Some(result))
            }
        }
    }
}
