//! Dropping root after the capture sockets are open (tcpdump's -Z).
//!
//! rustix's set_thread_* calls change only the calling thread: this runs while the process
//! still has exactly one thread (no runtime, no progress ticker yet), so the whole process
//! changes. Changing every uid away from 0 makes the kernel clear the permitted and effective
//! capability sets (no SECBIT_KEEP_CAPS), so CAP_NET_RAW goes too; that is checked afterwards.

use crate::config::User;
use anyhow::{bail, Context, Result};
use rustix::process::{Gid, Uid};
use std::path::Path;

pub fn drop_to(user: &User, output: Option<&Path>) -> Result<()> {
    let threads = std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(1);
    if threads != 1 {
        bail!("cannot drop privileges: {threads} threads already run (a bug in rcvall)");
    }
    if let Some(path) = output {
        // The file was created as root with mode 0600: hand it to the user who keeps it.
        std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid))
            .with_context(|| format!("giving {} to {}", path.display(), user.name))?;
    }
    let gid = Gid::from_raw(user.gid);
    let uid = Uid::from_raw(user.uid);
    let groups: Vec<Gid> = user.groups.iter().map(|g| Gid::from_raw(*g)).collect();
    rustix::thread::set_thread_groups(&groups).context("setgroups")?;
    rustix::thread::set_thread_res_gid(gid, gid, gid).context("setresgid")?;
    rustix::thread::set_thread_res_uid(uid, uid, uid).context("setresuid")?;
    if user.uid != 0 && capabilities_left()? != 0 {
        bail!(
            "capabilities remain after switching to {}: refusing to go on",
            user.name
        );
    }
    Ok(())
}

/// The effective and permitted capability sets, OR-ed (from /proc/self/status).
pub fn capabilities_left() -> Result<u64> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    let mut caps = 0;
    for line in status.lines() {
        if let Some(hex) = line
            .strip_prefix("CapEff:")
            .or_else(|| line.strip_prefix("CapPrm:"))
        {
            caps |= u64::from_str_radix(hex.trim(), 16).context("parsing capabilities")?;
        }
    }
    Ok(caps)
}
