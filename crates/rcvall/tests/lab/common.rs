//! Helpers shared by the lab tests: exact datagrams, sending them, and collecting captures.

use rcvall::{Family, PacketInfo, RcvAll, Socket, WsaCode};
use socket2::{Domain, Protocol, Type};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::Command;
use std::time::{Duration, Instant};
use testkit::Netns;

/// IPPROTO_RAW: the datagram is sent as given, IP header included (IPv4 and IPv6).
const IPPROTO_RAW: i32 = 255;

/// One captured datagram.
#[derive(Clone, Debug)]
pub struct Captured {
    pub bytes: Vec<u8>,
    pub info: PacketInfo,
}

impl Captured {
    /// True when this is a UDP datagram carrying `marker`.
    pub fn carries(&self, marker: &[u8]) -> bool {
        udp_carrying(&self.bytes, marker)
    }

    pub fn version(&self) -> u8 {
        self.bytes[0] >> 4
    }
}

/// True when `datagram` is UDP (IPv4 or IPv6 without extension headers) and carries
/// `marker`. Test payloads are unique markers; ICMP errors quoting a datagram do not count.
pub fn udp_carrying(datagram: &[u8], marker: &[u8]) -> bool {
    const UDP: u8 = 17;
    let protocol = match datagram.first().map(|b| b >> 4) {
        Some(4) if datagram.len() > 9 => datagram[9],
        Some(6) if datagram.len() > 6 => datagram[6],
        _ => return false,
    };
    protocol == UDP && datagram.windows(marker.len()).any(|w| w == marker)
}

/// A socket of `family` created in `ns`, bound to `addr`, with SIO_RCVALL set to `mode`.
pub fn capture(ns: &Netns, addr: IpAddr, mode: RcvAll) -> Socket {
    ns.run(|| {
        let socket = Socket::new(Family::of(&addr)).expect("create");
        socket.bind(SocketAddr::new(addr, 0)).expect("bind");
        socket.set_rcvall(mode).expect("SIO_RCVALL");
        socket
    })
}

/// A capture of pair.b's interface, IPv4, inbound only (what most engine tests flood).
pub fn inbound_v4(pair: &testkit::Pair) -> rcvall::CaptureBuilder {
    rcvall::Capture::builder()
        .interface_name(&pair.b.ifname)
        .families(rcvall::Families::V4)
        .direction(Some(rcvall::Direction::In))
}

/// Receives until the socket stays quiet for `quiet` (bounded: 20,000 datagrams or 10 s).
pub fn collect(socket: &Socket, quiet: Duration) -> Vec<Captured> {
    socket.set_read_timeout(Some(quiet)).unwrap();
    let started = Instant::now();
    let mut out = Vec::new();
    let mut buf = vec![0u8; 65536];
    while out.len() < 20_000 && started.elapsed() < Duration::from_secs(10) {
        match socket.recv_with_info(&mut buf) {
            Ok((len, info)) => out.push(Captured {
                bytes: buf[..len].to_vec(),
                info,
            }),
            Err(err) if err.kind() == WsaCode::TimedOut => break,
            Err(err) => panic!("recv failed: {err}"),
        }
    }
    out
}

/// Datagrams carrying `marker`.
pub fn with_marker<'a>(captured: &'a [Captured], marker: &[u8]) -> Vec<&'a Captured> {
    captured.iter().filter(|c| c.carries(marker)).collect()
}

pub use testkit::packet::udp_datagram;

/// Sends a datagram exactly as built (IP header included) from inside `ns`.
pub fn send_datagram(ns: &Netns, datagram: &[u8], count: usize) {
    let (domain, dst) = match datagram[0] >> 4 {
        4 => {
            let d: [u8; 4] = datagram[16..20].try_into().unwrap();
            (Domain::IPV4, IpAddr::V4(Ipv4Addr::from(d)))
        }
        6 => {
            let d: [u8; 16] = datagram[24..40].try_into().unwrap();
            (Domain::IPV6, IpAddr::V6(Ipv6Addr::from(d)))
        }
        v => panic!("IP version {v}"),
    };
    ns.run(|| {
        let sock = socket2::Socket::new(domain, Type::RAW, Some(Protocol::from(IPPROTO_RAW)))
            .expect("raw socket");
        let to = SocketAddr::new(dst, 0).into();
        for _ in 0..count {
            let sent = sock.send_to(datagram, &to).expect("send raw datagram");
            assert_eq!(sent, datagram.len());
        }
    });
}

/// Sleeps long enough for datagrams just sent over veth to be queued at every tap.
pub fn settle() {
    std::thread::sleep(Duration::from_millis(150));
}

/// The calling thread's kernel id (from /proc/thread-self, "PID/task/TID").
pub fn this_thread_id() -> u32 {
    let link = std::fs::read_link("/proc/thread-self").expect("/proc/thread-self");
    link.file_name().unwrap().to_str().unwrap().parse().unwrap()
}

/// Waits until thread `tid` of this process sleeps in poll (its wchan names the poll wait),
/// instead of sleeping a fixed time and hoping it got there. Bounded: 5 s.
pub fn wait_until_blocked_in_poll(tid: u32) {
    let wchan = format!("/proc/self/task/{tid}/wchan");
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        let now = std::fs::read_to_string(&wchan).unwrap_or_default();
        if now.contains("poll") {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("thread {tid} never blocked in poll");
}

/// Child processes are this test binary re-run on one test with RCVT_CHILD naming the role.
pub const CHILD_ROLE: &str = "RCVT_CHILD";

/// The command that re-runs this test binary on one test in `role` (run it through a wrapper
/// such as `ip netns exec` or `setpriv` by taking its program and arguments).
pub fn child(test_name: &str, role: &str) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", test_name, "--nocapture", "--test-threads=1"])
        .env(CHILD_ROLE, role);
    cmd
}

pub fn role() -> Option<String> {
    std::env::var(CHILD_ROLE).ok()
}

/// Runs this test binary on `test` in `role` inside `ns`, with `env`, and returns the child
/// and the lines of its standard output (the child prints an empty line first, ending the
/// harness's own "test … " line).
pub fn spawn_child_in(
    ns: &Netns,
    test: &str,
    role: &str,
    env: &[(&str, &str)],
) -> (
    std::process::Child,
    std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
) {
    let cmd = child(test, role);
    let mut spawned = Command::new("ip");
    spawned
        .args(["netns", "exec", ns.name()])
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .env(CHILD_ROLE, role)
        .stdout(std::process::Stdio::piped());
    for (key, value) in env {
        spawned.env(key, value);
    }
    let mut running = spawned.spawn().expect("ip netns exec");
    let stdout = running.stdout.take().expect("piped");
    (
        running,
        std::io::BufRead::lines(std::io::BufReader::new(stdout)),
    )
}
