//! The network namespace a socket was created in, so interface look-ups happen there even
//! when the caller's thread has since moved to another namespace.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;

const THREAD_NETNS: &str = "/proc/thread-self/ns/net";

#[derive(Debug)]
pub(crate) struct Netns {
    file: File,
    inode: u64,
}

impl Netns {
    /// The calling thread's network namespace.
    pub(crate) fn current() -> io::Result<Netns> {
        let file = File::open(THREAD_NETNS)?;
        let inode = file.metadata()?.ino();
        Ok(Netns { file, inode })
    }

    /// Runs `f` in this namespace: directly when the caller is already there, otherwise on a
    /// short-lived thread that joins it (setns affects only the calling thread).
    pub(crate) fn run<T: Send>(&self, f: impl FnOnce() -> io::Result<T> + Send) -> io::Result<T> {
        if std::fs::metadata(THREAD_NETNS)?.ino() == self.inode {
            return f();
        }
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    // SAFETY: file is an open namespace fd for the lifetime of this call;
                    // setns only changes the calling (scoped, soon finished) thread.
                    super::cvt(unsafe { libc::setns(self.file.as_raw_fd(), libc::CLONE_NEWNET) })?;
                    f()
                })
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}
