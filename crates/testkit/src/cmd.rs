//! Running external commands (`ip`, `ethtool`, `ping`, `python3`) with a hard time
//! limit and errors that name the command and quote its stderr.

use std::io::{self, Read, Write};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Time limit for configuration commands; they normally finish in milliseconds, so hitting
/// this means something hangs and the test should fail instead of waiting forever.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// Longest time we wait for a pipe reader after the process itself has exited (a grandchild
/// could keep the pipe open; we must not block on it).
const PIPE_GRACE: Duration = Duration::from_secs(1);

/// A printable form of `cmd` for error messages: `ip -n rcvta-1-0 link set lo up`.
pub(crate) fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Reads a pipe to its end on a helper thread so that a chatty child never blocks on a full
/// pipe while we poll it; the result arrives on the returned channel.
pub(crate) fn drain_pipe<R: Read + Send + 'static>(pipe: Option<R>) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    if let Some(mut p) = pipe {
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = p.read_to_end(&mut buf);
            let _ = tx.send(buf);
        });
    } else {
        let _ = tx.send(Vec::new());
    }
    rx
}

/// Waits for `child` to exit, polling with a growing interval, for at most `timeout`.
/// Returns `None` if it is still running at the deadline.
pub(crate) fn wait_bounded(child: &mut Child, timeout: Duration) -> io::Result<Option<ExitStatus>> {
    let deadline = Instant::now() + timeout;
    let mut nap = Duration::from_micros(500);
    loop {
        if let Some(st) = child.try_wait()? {
            return Ok(Some(st));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        thread::sleep(nap.min(deadline - now));
        nap = (nap * 2).min(Duration::from_millis(20));
    }
}

/// Runs `cmd` to completion with `stdin` as its input, killing it (it is our own child) if it
/// takes longer than `timeout`. The exit status is *not* checked; see [`checked`].
pub(crate) fn output(
    cmd: &mut Command,
    stdin: Option<&[u8]>,
    timeout: Duration,
) -> io::Result<Output> {
    let desc = describe(cmd);
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("`{desc}`: cannot start: {e}")))?;
    if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // Our inputs are small (an `ip -batch` script, one frame), far below the pipe buffer,
        // so writing before reading cannot deadlock; a write error shows up as the child's
        // failure below.
        let _ = pipe.write_all(data);
    }
    let out_rx = drain_pipe(child.stdout.take());
    let err_rx = drain_pipe(child.stderr.take());
    let status = match wait_bounded(&mut child, timeout)? {
        Some(st) => st,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = err_rx.recv_timeout(PIPE_GRACE).unwrap_or_default();
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "`{desc}` timed out after {timeout:?} (killed); stderr: {}",
                    String::from_utf8_lossy(&stderr).trim()
                ),
            ));
        }
    };
    Ok(Output {
        status,
        stdout: out_rx.recv_timeout(PIPE_GRACE).unwrap_or_default(),
        stderr: err_rx.recv_timeout(PIPE_GRACE).unwrap_or_default(),
    })
}

/// Turns a non-zero exit into an error naming the command and quoting its stderr.
pub(crate) fn checked(desc: &str, out: Output) -> io::Result<Output> {
    if out.status.success() {
        return Ok(out);
    }
    Err(io::Error::other(format!(
        "`{desc}` failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    )))
}

/// Runs `program args..` with the default time limit and fails on a non-zero exit.
pub(crate) fn run(program: &str, args: &[&str]) -> io::Result<Output> {
    run_with(program, args, None, DEFAULT_TIMEOUT)
}

/// Like [`run`], with explicit stdin and time limit.
pub(crate) fn run_with(
    program: &str,
    args: &[&str],
    stdin: Option<&[u8]>,
    timeout: Duration,
) -> io::Result<Output> {
    let mut cmd = Command::new(program);
    cmd.args(args);
    let desc = describe(&cmd);
    checked(&desc, output(&mut cmd, stdin, timeout)?)
}

/// Runs one `ip -batch` script inside namespace `ns` (`ip -n NS -batch -`): one process for
/// many configuration steps keeps topology setup fast. `ip` stops at the first failing line
/// and names it in stderr, which we pass on together with the whole script.
pub(crate) fn ip_batch(ns: &str, script: &str) -> io::Result<()> {
    run_with(
        "ip",
        &["-n", ns, "-batch", "-"],
        Some(script.as_bytes()),
        DEFAULT_TIMEOUT,
    )
    .map(|_| ())
    .map_err(|e| io::Error::new(e.kind(), format!("{e}\nbatch script was:\n{script}")))
}
