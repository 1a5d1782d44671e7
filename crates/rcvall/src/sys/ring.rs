//! The TPACKET_V3 receive ring: its setup and its memory mapping.

use super::{cvt, setsockopt};
use crate::ring::RingGeometry;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr::NonNull;
use std::sync::atomic::AtomicU32;

/// Offset of `block_status` in `struct tpacket_block_desc` (after version and offset_to_priv).
const BLOCK_STATUS_OFFSET: usize = 8;

/// The mapped ring: `block_nr` blocks of `block_size` bytes shared with the kernel.
#[derive(Debug)]
pub(crate) struct RingMap {
    base: NonNull<u8>,
    len: usize,
    block_size: usize,
    block_nr: usize,
}

// SAFETY: the mapping is plain shared memory owned by this value; access to each block is
// arbitrated by its status word (atomic), not by the thread that holds the RingMap.
unsafe impl Send for RingMap {}
// SAFETY: as above; &RingMap hands out only atomics and slices of user-owned blocks.
unsafe impl Sync for RingMap {}

impl RingMap {
    /// Switches the socket to TPACKET_V3, asks the kernel for the ring and maps it.
    /// Must happen before the socket is bound (the kernel refuses to change a bound
    /// socket's version, and the ring must exist before packets are queued).
    pub(crate) fn setup(fd: BorrowedFd<'_>, geometry: &RingGeometry) -> io::Result<RingMap> {
        let version = libc::tpacket_versions::TPACKET_V3 as libc::c_int;
        setsockopt(fd, libc::SOL_PACKET, libc::PACKET_VERSION, &version)?;
        let req = libc::tpacket_req3 {
            tp_block_size: geometry.block_size,
            tp_block_nr: geometry.block_nr,
            tp_frame_size: geometry.frame_size(),
            tp_frame_nr: geometry.frame_nr(),
            tp_retire_blk_tov: geometry.retire_timeout_ms,
            tp_sizeof_priv: 0,
            tp_feature_req_word: 0,
        };
        setsockopt(fd, libc::SOL_PACKET, libc::PACKET_RX_RING, &req)?;
        let len = geometry.ring_bytes();
        // SAFETY: a fresh shared mapping of the socket's ring, of the size the kernel just
        // allocated; no existing memory is affected. (packet_mmap inserts every page itself,
        // so no MAP_POPULATE is needed.)
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(RingMap {
            base: NonNull::new(ptr.cast()).ok_or_else(|| io::Error::other("mmap returned null"))?,
            len,
            block_size: geometry.block_size as usize,
            block_nr: geometry.block_nr as usize,
        })
    }

    pub(crate) fn block_nr(&self) -> usize {
        self.block_nr
    }

    /// The status word of block `index`, shared with the kernel.
    pub(crate) fn status(&self, index: usize) -> &AtomicU32 {
        assert!(index < self.block_nr);
        // SAFETY: the word lies inside the mapping (block start + 8, blocks ≥ one page), is
        // 4-byte aligned (blocks are page aligned), lives as long as &self, and the kernel
        // accesses it only atomically (smp_load_acquire/smp_store_release of block_status).
        unsafe {
            AtomicU32::from_ptr(
                self.base
                    .as_ptr()
                    .add(index * self.block_size + BLOCK_STATUS_OFFSET)
                    .cast(),
            )
        }
    }

    /// The bytes of block `index`.
    ///
    /// Callers must hold the block (its status was seen with TP_STATUS_USER through an
    /// Acquire load and not yet handed back): the kernel does not write it meanwhile.
    pub(crate) fn user_block(&self, index: usize) -> &[u8] {
        assert!(index < self.block_nr);
        // SAFETY: in bounds of the mapping; per the contract above the kernel does not write
        // these bytes until the caller stores TP_STATUS_KERNEL with Release ordering.
        unsafe {
            std::slice::from_raw_parts(
                self.base.as_ptr().add(index * self.block_size),
                self.block_size,
            )
        }
    }
}

impl Drop for RingMap {
    fn drop(&mut self) {
        // SAFETY: base/len are exactly what mmap returned; no slice of it outlives self.
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.len) };
    }
}

/// Reads and resets the kernel's counters (tpacket_stats_v3): (packets, drops).
/// tp_packets counts every packet the filter accepted, including the dropped ones.
pub(crate) fn take_stats(fd: BorrowedFd<'_>) -> io::Result<(u32, u32)> {
    // SAFETY: tpacket_stats_v3 is plain old data; all-zero is a valid value.
    let mut stats: libc::tpacket_stats_v3 = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tpacket_stats_v3>() as libc::socklen_t;
    // SAFETY: stats and len are valid for writes of the sizes given.
    cvt(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_PACKET,
            libc::PACKET_STATISTICS,
            (&mut stats as *mut libc::tpacket_stats_v3).cast(),
            &mut len,
        )
    })?;
    Ok((stats.tp_packets, stats.tp_drops))
}
