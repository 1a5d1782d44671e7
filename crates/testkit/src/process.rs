//! Processes the lab starts inside namespaces, and ending them again: only our own, by pid.

use std::fs;
use std::io;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use rustix::process::{kill_process, Pid, Signal};

use crate::cmd;

/// A background process started with [`Netns::spawn`], shared with its namespace so that
/// dropping the namespace can end it if the test did not.
pub(crate) type SharedChild = Arc<Mutex<Option<Child>>>;

/// A process started with [`Netns::spawn`](crate::Netns::spawn).
pub struct Background {
    desc: String,
    pid: u32,
    child: SharedChild,
    stdout: Stream,
    stderr: Receiver<Vec<u8>>,
}

/// The bytes read so far, and whether the pipe has closed.
type Received = Mutex<(Vec<u8>, bool)>;

/// Standard output as it arrives.
#[derive(Clone, Default)]
struct Stream {
    state: Arc<(Received, std::sync::Condvar)>,
}

impl Stream {
    fn start<R: std::io::Read + Send + 'static>(pipe: Option<R>) -> Stream {
        let stream = Stream::default();
        let Some(mut pipe) = pipe else {
            lock(&stream.state.0).1 = true;
            return stream;
        };
        let shared = stream.clone();
        thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            loop {
                let n = pipe.read(&mut chunk).unwrap_or(0);
                let (buffer, cond) = &*shared.state;
                let mut state = lock(buffer);
                if n == 0 {
                    state.1 = true;
                    cond.notify_all();
                    return;
                }
                state.0.extend_from_slice(&chunk[..n]);
                cond.notify_all();
            }
        });
        stream
    }

    /// Waits until `pred` holds for the bytes so far, the pipe closes, or `timeout` passes;
    /// returns the bytes then and whether `pred` held.
    fn wait_until(&self, timeout: Duration, pred: impl Fn(&[u8]) -> bool) -> (Vec<u8>, bool) {
        let deadline = Instant::now() + timeout;
        let (buffer, cond) = &*self.state;
        let mut state = lock(buffer);
        loop {
            if pred(&state.0) {
                return (state.0.clone(), true);
            }
            let now = Instant::now();
            if state.1 || now >= deadline {
                return (state.0.clone(), false);
            }
            state = cond
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

impl Background {
    /// Starts `c` with stdin closed and stdout/stderr drained into memory.
    pub(crate) fn start(mut c: Command) -> io::Result<Background> {
        let desc = cmd::describe(&c);
        c.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("`{desc}`: cannot start: {e}")))?;
        let stdout = Stream::start(child.stdout.take());
        let stderr = cmd::drain_pipe(child.stderr.take());
        Ok(Background {
            desc,
            pid: child.id(),
            child: Arc::new(Mutex::new(Some(child))),
            stdout,
            stderr,
        })
    }

    /// The handle the owning namespace keeps to end the process if the test does not.
    pub(crate) fn shared(&self) -> SharedChild {
        Arc::clone(&self.child)
    }

    /// The process id (of the command itself: `ip netns exec` execs it in place).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Waits until the process has printed `needle` on standard output (true), or exited or
    /// `timeout` passed without it (false): a test waits on the event, not on a sleep.
    pub fn wait_for_output(&self, needle: &str, timeout: Duration) -> bool {
        let needle = needle.as_bytes();
        self.stdout
            .wait_until(timeout, |out| {
                out.windows(needle.len()).any(|w| w == needle)
            })
            .1
    }

    /// Whether the process is still running.
    pub fn is_running(&self) -> bool {
        match lock(&self.child).as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Sends SIGTERM, waits up to 2 s (then SIGKILL) and returns everything it printed.
    /// The exit status is returned as is (a process ended by SIGTERM did not "succeed").
    pub fn stop(self) -> io::Result<Output> {
        let Some(mut c) = lock(&self.child).take() else {
            return Err(io::Error::other(format!(
                "`{}`: already ended with its namespace",
                self.desc
            )));
        };
        let status = terminate(&mut c)
            .ok_or_else(|| io::Error::other(format!("`{}`: could not be ended", self.desc)))?;
        Ok(self.collect(status))
    }

    /// Waits up to `timeout` for the process to exit by itself; on timeout it is stopped like
    /// [`Background::stop`] and an error is returned.
    pub fn wait(self, timeout: Duration) -> io::Result<Output> {
        let Some(mut c) = lock(&self.child).take() else {
            return Err(io::Error::other(format!(
                "`{}`: already ended with its namespace",
                self.desc
            )));
        };
        match cmd::wait_bounded(&mut c, timeout)? {
            Some(status) => Ok(self.collect(status)),
            None => {
                terminate(&mut c);
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("`{}` still running after {timeout:?}; stopped", self.desc),
                ))
            }
        }
    }

    fn collect(&self, status: ExitStatus) -> Output {
        let grace = Duration::from_secs(1);
        Output {
            status,
            stdout: self.stdout.wait_until(grace, |_| false).0,
            stderr: self.stderr.recv_timeout(grace).unwrap_or_default(),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(mut c) = lock(&self.child).take() {
            terminate(&mut c);
        }
    }
}

/// SIGTERM (lets e.g. tcpdump flush), up to 2 s grace, then SIGKILL; always reaps.
fn terminate(c: &mut Child) -> Option<ExitStatus> {
    if let Ok(Some(st)) = c.try_wait() {
        return Some(st);
    }
    let _ = kill_process(Pid::from_child(c), Signal::TERM);
    if let Ok(Some(st)) = cmd::wait_bounded(c, Duration::from_secs(2)) {
        return Some(st);
    }
    let _ = c.kill();
    c.wait().ok()
}

/// Locks a mutex, ignoring poisoning: the data (child handles) stays valid after a panic and
/// cleanup must still run.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Whether `pid` is `ancestor` or one of its descendants (walks PPid in /proc, bounded).
fn is_descendant(mut pid: u32, ancestor: u32) -> bool {
    for _ in 0..64 {
        if pid == ancestor {
            return true;
        }
        if pid <= 1 {
            return false;
        }
        let Ok(status) = fs::read_to_string(format!("/proc/{pid}/status")) else {
            return false;
        };
        let ppid = status
            .lines()
            .find_map(|l| l.strip_prefix("PPid:"))
            .and_then(|v| v.trim().parse().ok());
        match ppid {
            Some(p) => pid = p,
            None => return false,
        }
    }
    false
}

/// Ends the process behind a shared handle, if it is still ours to end.
pub(crate) fn end_shared(child: &SharedChild) {
    if let Some(mut c) = lock(child).take() {
        terminate(&mut c);
    }
}

/// SIGKILLs those of `pids` that descend from this process (a process of someone else that
/// entered our namespace is not ours to end) and waits, bounded, until they are gone. They
/// are not our children, so `wait()` is impossible; /proc is watched instead.
pub(crate) fn kill_descendants(pids: &[u32]) {
    let me = std::process::id();
    let mut killed = Vec::new();
    for &pid in pids {
        if is_descendant(pid, me) {
            if let Some(p) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
                let _ = kill_process(p, Signal::KILL);
                killed.push(pid);
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline
        && killed
            .iter()
            .any(|p| Path::new(&format!("/proc/{p}")).exists())
    {
        thread::sleep(Duration::from_millis(10));
    }
}
