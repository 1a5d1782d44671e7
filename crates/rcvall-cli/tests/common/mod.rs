//! What the CLI's lab suites share: scratch directories, processes in a namespace, reading
//! capture files back, tshark as a second reader.
#![allow(dead_code)] // each suite uses its own part

use rcvall_pcap::{decapsulate, CaptureReader};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use testkit::Netns;

pub const RCVALL: &str = env!("CARGO_BIN_EXE_rcvall");

/// A scratch directory anyone may write (tcpdump, tshark as nobody and -Z users use it),
/// removed at the end, also when the test fails.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("rcvt-cli-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, PermissionsExt::from_mode(0o777)).unwrap();
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// A subdirectory, as writable as the scratch itself.
    pub fn sub(&self, name: &str) -> PathBuf {
        let dir = self.path(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, PermissionsExt::from_mode(0o777)).unwrap();
        dir
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A small tmpfs (to fill up), unmounted at the end.
pub struct TinyFs(pub PathBuf);

impl TinyFs {
    pub fn new(tag: &str, size: &str) -> TinyFs {
        let dir = std::env::temp_dir().join(format!("rcvt-fs-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fs = TinyFs(dir);
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "rcvt-tmpfs"])
            .arg(&fs.0)
            .status()
            .unwrap();
        assert!(mounted.success());
        fs
    }
}

impl Drop for TinyFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// A process started in a namespace; killed by pid if the test ends before it does.
pub struct Running {
    child: Option<Child>,
    lines: mpsc::Receiver<String>,
    /// The stderr lines read while waiting for the ready line (it included).
    pub seen: Vec<String>,
}

impl Running {
    /// Starts `args` in `ns` and waits until a stderr line contains `ready` (10 s at most).
    pub fn start(ns: &Netns, args: &[&str], ready: &str) -> Running {
        Running::start_to(ns, args, ready, Stdio::null())
    }

    /// [`Running::start`] with standard output going to `stdout`.
    pub fn start_to(ns: &Netns, args: &[&str], ready: &str, stdout: Stdio) -> Running {
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns.name()])
            .args(args)
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut running = Running {
            child: Some(child),
            lines: rx,
            seen: Vec::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match running.lines.recv_timeout(left) {
                Ok(line) => {
                    let done = line.contains(ready);
                    running.seen.push(line);
                    if done {
                        break;
                    }
                }
                Err(_) => panic!("{args:?} never printed {ready:?}: {:?}", running.seen),
            }
        }
        running
    }

    /// The child's standard output, when started with a pipe there.
    pub fn take_stdout(&mut self) -> Option<std::process::ChildStdout> {
        self.child.as_mut()?.stdout.take()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Sends `signal`; returns the exit code and all of stderr.
    pub fn stop(mut self, signal: &str) -> (Option<i32>, String) {
        Command::new("kill")
            .args(["-s", signal, &self.pid().to_string()])
            .status()
            .unwrap();
        self.wait(Duration::from_secs(20))
    }

    /// Waits for the exit (killing the process after `limit`); returns the code and all of
    /// stderr.
    pub fn wait(&mut self, limit: Duration) -> (Option<i32>, String) {
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                break child.wait().unwrap();
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // The reader thread ends at EOF: take every line.
        let mut lines = std::mem::take(&mut self.seen);
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            lines.push(line);
        }
        (status.code(), lines.join("\n"))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The IP datagrams of a capture file, in order; panics unless it is valid to its last byte.
pub fn ip_packets(path: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap();
    let mut reader = CaptureReader::new(&bytes[..]).unwrap();
    let mut out = Vec::new();
    while let Some(record) = reader
        .next_record()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    {
        if let Some(ip) = decapsulate(record.link_type, record.data) {
            out.push(ip.ip.to_vec());
        }
    }
    out
}

/// The number on the summary line ending in `what` ("packets captured" …).
pub fn summary_count(stderr: &str, what: &str) -> u64 {
    stderr
        .lines()
        .find_map(|l| l.strip_suffix(what))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {what:?} line in {stderr}"))
}

/// tshark as nobody (as root it always prints a warning) on a readable copy of `file` (ours
/// are created 0600); returns (exit, stdout, stderr).
pub fn tshark(file: &Path, home: &Path) -> (Option<i32>, String, String) {
    let copy = home.join(format!(
        "{}.for-tshark",
        file.file_name().unwrap().to_string_lossy()
    ));
    std::fs::copy(file, &copy).unwrap();
    std::fs::set_permissions(&copy, PermissionsExt::from_mode(0o644)).unwrap();
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .args(["env", &format!("HOME={}", home.display()), "tshark", "-r"])
        .arg(&copy)
        .output()
        .expect("tshark (scripts/setup.sh installs it)");
    let _ = std::fs::remove_file(&copy);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
