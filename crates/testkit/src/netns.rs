//! One named network namespace: creation, running code and commands inside it, teardown.

use std::fmt;
use std::fs::{self, File};
use std::io;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, Once};
use std::thread;
use std::time::Duration;

use rustix::thread::{move_into_link_name_space, LinkNameSpaceType};

use crate::cmd;
use crate::process::{self, lock, Background, SharedChild};

/// Prefix of every namespace and interface the lab creates; [`sweep_stale`] relies on it.
pub const PREFIX: &str = "rcvt";

/// Where `ip netns` keeps the bind mounts that name namespaces.
const NETNS_DIR: &str = "/run/netns";

/// Per-process counter making namespace names unique among parallel tests.
static NEXT: AtomicU32 = AtomicU32::new(0);

/// Sysctls every lab namespace gets before any link exists, so they are inherited by every
/// interface created later (`default`) and cover the namespace-wide switches (`all`).
/// * no DAD: IPv6 addresses are usable at once and no DAD neighbour solicitations appear;
/// * no RS / RA processing: hosts never send router solicitations or autoconfigure;
/// * EUI-64 link-local addresses (the kernel default, pinned in case the root namespace's
///   defaults are inherited) so link-local addresses follow from the fixed MACs;
/// * 10 ms unsolicited MLD/IGMP report intervals: the reports the kernel must send when
///   links come up are over within a few tens of milliseconds, before a constructor returns,
///   instead of trickling in during the first seconds of a test.
const BASE_SYSCTLS: &[(&str, &str)] = &[
    ("net.ipv6.conf.all.accept_dad", "0"),
    ("net.ipv6.conf.default.accept_dad", "0"),
    ("net.ipv6.conf.all.router_solicitations", "0"),
    ("net.ipv6.conf.default.router_solicitations", "0"),
    ("net.ipv6.conf.all.accept_ra", "0"),
    ("net.ipv6.conf.default.accept_ra", "0"),
    ("net.ipv6.conf.default.addr_gen_mode", "0"),
    ("net.ipv6.conf.all.mldv2_unsolicited_report_interval", "10"),
    (
        "net.ipv6.conf.default.mldv2_unsolicited_report_interval",
        "10",
    ),
    ("net.ipv6.conf.all.mldv1_unsolicited_report_interval", "10"),
    (
        "net.ipv6.conf.default.mldv1_unsolicited_report_interval",
        "10",
    ),
    ("net.ipv4.conf.all.igmpv3_unsolicited_report_interval", "10"),
    (
        "net.ipv4.conf.default.igmpv3_unsolicited_report_interval",
        "10",
    ),
    ("net.ipv4.conf.all.igmpv2_unsolicited_report_interval", "10"),
    (
        "net.ipv4.conf.default.igmpv2_unsolicited_report_interval",
        "10",
    ),
];

/// A uniquely named network namespace (`rcvt{tag}-{pid}-{n}`), removed on drop.
///
/// Drop first ends every process started through [`Netns::spawn`] (and any other process
/// inside the namespace that descends from this test process), then runs `ip netns del`.
pub struct Netns {
    name: String,
    children: Mutex<Vec<SharedChild>>,
}

impl fmt::Debug for Netns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Netns").field("name", &self.name).finish()
    }
}

impl Netns {
    /// Creates namespace `rcvt{tag}-{pid}-{n}`, applies the lab's base sysctls and brings `lo`
    /// up. `tag` (at most 32 of `[A-Za-z0-9_-]`) only helps reading `ip netns list`.
    /// The first call in a process also runs [`sweep_stale`].
    pub fn new(tag: &str) -> io::Result<Netns> {
        let ok = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
        if !tag.bytes().all(ok) || tag.len() > 32 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("netns tag {tag:?}: use at most 32 ASCII letters, digits, '_' or '-'"),
            ));
        }
        static SWEEP: Once = Once::new();
        SWEEP.call_once(sweep_stale);

        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("{PREFIX}{tag}-{}-{n}", std::process::id());
        cmd::run("ip", &["netns", "add", &name])?;
        // From here on Drop removes the namespace, also when a later step fails.
        let ns = Netns {
            name,
            children: Mutex::new(Vec::new()),
        };
        ns.sysctls(BASE_SYSCTLS)?;
        cmd::run("ip", &["-n", &ns.name, "link", "set", "lo", "up"])?;
        Ok(ns)
    }

    /// The namespace's name as `ip netns` knows it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Path of the namespace's bind mount, `/run/netns/NAME`.
    pub fn path(&self) -> PathBuf {
        Path::new(NETNS_DIR).join(&self.name)
    }

    /// Runs `ip netns exec NAME args..` (20 s limit) and returns its output; a non-zero exit is
    /// an error whose message quotes the command and its stderr.
    pub fn exec(&self, args: &[&str]) -> io::Result<Output> {
        let mut full = vec!["netns", "exec", &self.name];
        full.extend_from_slice(args);
        cmd::run("ip", &full)
    }

    /// Like [`Netns::exec`] with an explicit time limit and stdin.
    pub fn exec_with(
        &self,
        args: &[&str],
        stdin: Option<&[u8]>,
        timeout: Duration,
    ) -> io::Result<Output> {
        let mut full = vec!["netns", "exec", &self.name];
        full.extend_from_slice(args);
        cmd::run_with("ip", &full, stdin, timeout)
    }

    /// Runs `ip -n NAME args..` (cheaper than `exec` + `ip`: no mount namespace is set up).
    pub fn ip(&self, args: &[&str]) -> io::Result<Output> {
        let mut full = vec!["-n", &self.name];
        full.extend_from_slice(args);
        cmd::run("ip", &full)
    }

    /// Starts `args..` inside the namespace in the background (stdout/stderr captured).
    /// The process is ended (SIGTERM, then SIGKILL) by [`Background::stop`], by dropping the
    /// handle, or at the latest when this namespace is dropped.
    pub fn spawn(&self, args: &[&str]) -> io::Result<Background> {
        let mut c = Command::new("ip");
        c.arg("netns").arg("exec").arg(&self.name).args(args);
        let bg = Background::start(c)?;
        lock(&self.children).push(bg.shared());
        Ok(bg)
    }

    /// Runs `f` on a fresh thread that has entered this namespace (`setns(CLONE_NEWNET)`) and
    /// returns its result. Sockets created by `f` belong to this namespace for their whole
    /// life, whichever thread uses them later. A panic in `f` is propagated; failing to enter
    /// the namespace panics too (it only happens if the namespace is gone).
    pub fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        let path = self.path();
        thread::scope(|s| {
            let h = s.spawn(move || {
                enter(&path).unwrap_or_else(|e| panic!("{e}"));
                f()
            });
            match h.join() {
                Ok(v) => v,
                Err(p) => std::panic::resume_unwind(p),
            }
        })
    }

    /// The interface index of `ifname` inside this namespace.
    pub fn ifindex(&self, ifname: &str) -> io::Result<u32> {
        let s = self.sys_class_net(ifname, "ifindex")?;
        s.parse().map_err(|e| {
            io::Error::other(format!("{}: ifindex of {ifname}: {s:?}: {e}", self.name))
        })
    }

    /// The interface's `IFF_*` flags word (`/sys/class/net/IF/flags` as seen inside).
    pub fn if_flags(&self, ifname: &str) -> io::Result<u32> {
        let s = self.sys_class_net(ifname, "flags")?;
        u32::from_str_radix(s.trim_start_matches("0x"), 16)
            .map_err(|e| io::Error::other(format!("{}: flags of {ifname}: {s:?}: {e}", self.name)))
    }

    /// Whether `IFF_PROMISC` (0x100) is set on the interface.
    pub fn is_promisc(&self, ifname: &str) -> io::Result<bool> {
        Ok(self.if_flags(ifname)? & 0x100 != 0)
    }

    /// The interface's MAC address.
    pub fn mac(&self, ifname: &str) -> io::Result<[u8; 6]> {
        let s = self.sys_class_net(ifname, "address")?;
        crate::parse_mac(&s).ok_or_else(|| {
            io::Error::other(format!(
                "{}: address of {ifname}: {s:?} is not a MAC",
                self.name
            ))
        })
    }

    /// Reads `/sys/class/net/IF/FILE` in this namespace. sysfs shows the namespace of whoever
    /// mounted it, so this goes through `ip netns exec`, which mounts a fresh sysfs.
    fn sys_class_net(&self, ifname: &str, file: &str) -> io::Result<String> {
        if ifname.contains('/') || ifname.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("bad ifname {ifname:?}"),
            ));
        }
        let out = self.exec(&["cat", &format!("/sys/class/net/{ifname}/{file}")])?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// Sets sysctl `key` (dotted, e.g. `net.ipv4.ip_forward`) to `value` in this namespace.
    pub fn sysctl(&self, key: &str, value: &str) -> io::Result<()> {
        self.sysctls(&[(key, value)])
    }

    /// Reads sysctl `key` in this namespace (trimmed).
    pub fn sysctl_get(&self, key: &str) -> io::Result<String> {
        let path = sysctl_path(key)?;
        let name = &self.name;
        self.run(|| fs::read_to_string(&path))
            .map(|s| s.trim().to_owned())
            .map_err(|e| io::Error::new(e.kind(), format!("{name}: read sysctl {key}: {e}")))
    }

    /// Sets several sysctls with one namespace switch. `/proc/sys/net` resolves against the
    /// network namespace of the *thread* that opens it, so writing from a thread inside the
    /// namespace is enough (and much cheaper than one `ip netns exec sysctl` per key).
    pub fn sysctls(&self, kv: &[(&str, &str)]) -> io::Result<()> {
        let name = &self.name;
        let paths = kv
            .iter()
            .map(|(k, _)| sysctl_path(k))
            .collect::<io::Result<Vec<_>>>()?;
        self.run(|| {
            for ((key, value), path) in kv.iter().zip(&paths) {
                fs::write(path, value).map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!("{name}: sysctl {key}={value} ({}): {e}", path.display()),
                    )
                })?;
            }
            Ok(())
        })
    }

    /// Ends whatever this namespace still runs that we started: first the [`Netns::spawn`]ed
    /// children, then any other process inside it that descends from this test process.
    fn end_processes(&self) {
        for child in lock(&self.children).drain(..) {
            process::end_shared(&child);
        }
        if let Ok(out) = cmd::run("ip", &["netns", "pids", &self.name]) {
            let pids = String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<u32>>();
            process::kill_descendants(&pids);
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        self.end_processes();
        if let Err(e) = cmd::run("ip", &["netns", "del", &self.name]) {
            eprintln!("testkit: cannot remove namespace {}: {e}", self.name);
        }
    }
}

/// Moves the calling thread into the namespace mounted at `path`.
pub(crate) fn enter(path: &Path) -> io::Result<()> {
    let f = File::open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("open {}: {e}", path.display())))?;
    move_into_link_name_space(f.as_fd(), Some(LinkNameSpaceType::Network))
        .map_err(|e| io::Error::other(format!("setns({}): {e}", path.display())))
}

/// `/proc/sys/...` path for a dotted sysctl key (interface names with dots are not used here).
fn sysctl_path(key: &str) -> io::Result<PathBuf> {
    if key.is_empty() || key.contains("..") || key.starts_with('/') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("bad sysctl key {key:?}"),
        ));
    }
    Ok(Path::new("/proc/sys").join(key.replace('.', "/")))
}

/// Removes lab namespaces (`rcvt*-{pid}-{n}`) whose creating process no longer exists, e.g.
/// after a test binary was killed before its Drop impls ran. Namespaces of live processes
/// (including parallel test binaries) are left alone. Errors are reported on stderr only.
pub fn sweep_stale() {
    let Ok(dir) = fs::read_dir(NETNS_DIR) else {
        return;
    };
    for entry in dir.flatten().take(10_000) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = creator_pid(&name) else {
            continue;
        };
        if pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        if let Err(e) = cmd::run("ip", &["netns", "del", &name]) {
            eprintln!("testkit: sweep_stale: {e}");
        }
    }
}

/// The pid embedded in a lab namespace name `rcvt{tag}-{pid}-{n}`, if it is one.
fn creator_pid(name: &str) -> Option<u32> {
    let mut parts = name.rsplitn(3, '-');
    let n = parts.next()?;
    let pid = parts.next()?;
    let head = parts.next()?;
    if !head.starts_with(PREFIX) || n.parse::<u32>().is_err() {
        return None;
    }
    pid.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creator_pid_parses_lab_names_only() {
        assert_eq!(creator_pid("rcvta-123-4"), Some(123));
        assert_eq!(creator_pid("rcvt-9-0"), Some(9));
        assert_eq!(creator_pid("rcvtcap-v4-77-3"), Some(77));
        assert_eq!(creator_pid("other-123-4"), None);
        assert_eq!(creator_pid("rcvtx-12"), None);
        assert_eq!(creator_pid("rcvtx-ab-1"), None);
    }

    #[test]
    fn sysctl_keys_map_to_proc() {
        assert_eq!(
            sysctl_path("net.ipv4.ip_forward").unwrap(),
            Path::new("/proc/sys/net/ipv4/ip_forward")
        );
        assert!(sysctl_path("../x").is_err());
    }
}
