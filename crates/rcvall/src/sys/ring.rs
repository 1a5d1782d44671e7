//! The TPACKET_V3 receive ring: its setup and its memory mapping.

use super::{cvt, setsockopt};
use crate::ring::{FrameGeometry, RingGeometry};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr::NonNull;
use std::sync::atomic::AtomicU32;

/// Offset of `block_status` in `struct tpacket_block_desc` (after version and offset_to_priv).
const BLOCK_STATUS_OFFSET: usize = 8;
/// Offset of `tp_status` in `struct tpacket2_hdr`.
const FRAME_STATUS_OFFSET: usize = 0;

/// The mapped ring: `unit_nr` units (V3 blocks or V2 frames) of `unit_size` bytes shared
/// with the kernel, each with a status word at `status_offset`.
#[derive(Debug)]
pub(crate) struct RingMap {
    base: NonNull<u8>,
    len: usize,
    unit_size: usize,
    unit_nr: usize,
    status_offset: usize,
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
        Self::map(
            fd,
            geometry.block_size as usize,
            geometry.block_nr as usize,
            BLOCK_STATUS_OFFSET,
        )
    }

    /// The same with TPACKET_V2: per-frame status, a wake-up per packet (low latency).
    pub(crate) fn setup_frames(
        fd: BorrowedFd<'_>,
        geometry: &FrameGeometry,
    ) -> io::Result<RingMap> {
        let version = libc::tpacket_versions::TPACKET_V2 as libc::c_int;
        setsockopt(fd, libc::SOL_PACKET, libc::PACKET_VERSION, &version)?;
        let req = libc::tpacket_req {
            tp_block_size: geometry.block_size,
            tp_block_nr: geometry.block_nr,
            tp_frame_size: geometry.frame_size,
            tp_frame_nr: geometry.frame_nr(),
        };
        setsockopt(fd, libc::SOL_PACKET, libc::PACKET_RX_RING, &req)?;
        // Frames never straddle blocks (frames_per_block = block_size / frame_size), so with
        // block_size a multiple of frame_size the mapping is a plain array of frames.
        Self::map(
            fd,
            geometry.frame_size as usize,
            geometry.frame_nr() as usize,
            FRAME_STATUS_OFFSET,
        )
    }

    fn map(
        fd: BorrowedFd<'_>,
        unit_size: usize,
        unit_nr: usize,
        status_offset: usize,
    ) -> io::Result<RingMap> {
        let len = unit_size * unit_nr;
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
            unit_size,
            unit_nr,
            status_offset,
        })
    }

    /// Number of units (blocks or frames).
    pub(crate) fn block_nr(&self) -> usize {
        self.unit_nr
    }

    /// The status word of unit `index`, shared with the kernel.
    pub(crate) fn status(&self, index: usize) -> &AtomicU32 {
        assert!(index < self.unit_nr);
        // SAFETY: the word lies inside the mapping (unit start + 8 or + 0; units are at least
        // one header long), is 4-byte aligned (units are 16-byte multiples from a page-aligned
        // base), lives as long as &self, and the kernel accesses it only atomically
        // (smp_load_acquire/smp_store_release of block_status and tp_status).
        unsafe {
            AtomicU32::from_ptr(
                self.base
                    .as_ptr()
                    .add(index * self.unit_size + self.status_offset)
                    .cast(),
            )
        }
    }

    /// The bytes of unit `index`.
    ///
    /// Callers must hold the block (its status was seen with TP_STATUS_USER through an
    /// Acquire load and not yet handed back): the kernel does not write it meanwhile.
    pub(crate) fn user_block(&self, index: usize) -> &[u8] {
        assert!(index < self.unit_nr);
        // SAFETY: in bounds of the mapping; per the contract above the kernel does not write
        // these bytes until the caller stores TP_STATUS_KERNEL with Release ordering.
        unsafe {
            std::slice::from_raw_parts(
                self.base.as_ptr().add(index * self.unit_size),
                self.unit_size,
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
