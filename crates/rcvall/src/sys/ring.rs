//! The TPACKET_V3 receive ring: its setup and its memory mapping.

use super::{cvt, setsockopt};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

/// TP_STATUS_KERNEL: the kernel owns the unit.
const TP_STATUS_KERNEL: u32 = 0;
/// TP_STATUS_USER: the unit is retired and user space's until handed back.
const TP_STATUS_USER: u32 = 1;

/// Offset of `block_status` in `struct tpacket_block_desc` (after version and offset_to_priv).
const BLOCK_STATUS_OFFSET: usize = 8;
/// Offset of `num_pkts` in `struct tpacket_block_desc` (right after block_status).
const BLOCK_NUM_PKTS_OFFSET: usize = 12;
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
    ///
    /// TPACKET_V3 ignores frames but packet_set_ring still checks them: one frame per block
    /// satisfies every check (size aligned, ≥ header, frames_per_block × blocks = frames).
    pub(crate) fn setup(
        fd: BorrowedFd<'_>,
        block_size: u32,
        block_nr: u32,
        retire_timeout_ms: u32,
    ) -> io::Result<RingMap> {
        let version = libc::tpacket_versions::TPACKET_V3 as libc::c_int;
        setsockopt(fd, libc::SOL_PACKET, libc::PACKET_VERSION, &version)?;
        let req = libc::tpacket_req3 {
            tp_block_size: block_size,
            tp_block_nr: block_nr,
            tp_frame_size: block_size,
            tp_frame_nr: block_nr,
            tp_retire_blk_tov: retire_timeout_ms,
            tp_sizeof_priv: 0,
            tp_feature_req_word: 0,
        };
        setsockopt(fd, libc::SOL_PACKET, libc::PACKET_RX_RING, &req)?;
        Self::map(
            fd,
            block_size as usize,
            block_nr as usize,
            BLOCK_STATUS_OFFSET,
        )
    }

    /// The same with TPACKET_V2: per-frame status, a wake-up per packet (low latency).
    pub(crate) fn setup_frames(
        fd: BorrowedFd<'_>,
        frame_size: u32,
        block_size: u32,
        block_nr: u32,
    ) -> io::Result<RingMap> {
        let version = libc::tpacket_versions::TPACKET_V2 as libc::c_int;
        setsockopt(fd, libc::SOL_PACKET, libc::PACKET_VERSION, &version)?;
        let frame_nr = block_nr * (block_size / frame_size);
        let req = libc::tpacket_req {
            tp_block_size: block_size,
            tp_block_nr: block_nr,
            tp_frame_size: frame_size,
            tp_frame_nr: frame_nr,
        };
        setsockopt(fd, libc::SOL_PACKET, libc::PACKET_RX_RING, &req)?;
        // Frames never straddle blocks (frames_per_block = block_size / frame_size), so with
        // block_size a multiple of frame_size the mapping is a plain array of frames.
        Self::map(
            fd,
            frame_size as usize,
            frame_nr as usize,
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

    /// A 32-bit word of unit `index` at `offset`, shared with the kernel.
    fn word(&self, index: usize, offset: usize) -> &AtomicU32 {
        assert!(index < self.unit_nr && offset + 4 <= self.unit_size);
        // SAFETY: the word lies inside the mapping (asserted), is 4-byte aligned (units are
        // 16-byte multiples from a page-aligned base, offsets are multiples of 4) and lives as
        // long as &self. The kernel writes these words with plain aligned 32-bit stores, which
        // are single-copy atomic; its ordering comes from barriers around them (prb_close_block
        // issues smp_wmb() before prb_flush_block stores block_status; __packet_set_status
        // stores tp_status, then smp_wmb(); readers run smp_rmb() first), which an Acquire load
        // and a Release store on this side pair with.
        unsafe {
            AtomicU32::from_ptr(
                self.base
                    .as_ptr()
                    .add(index * self.unit_size + offset)
                    .cast(),
            )
        }
    }

    /// True when unit `index` is user space's (TP_STATUS_USER, seen with Acquire).
    pub(crate) fn is_user(&self, index: usize) -> bool {
        self.word(index, self.status_offset).load(Ordering::Acquire) & TP_STATUS_USER != 0
    }

    /// Hands unit `index` back to the kernel (Release: every read of it happens before).
    /// Takes `&mut self`, so no slice of [`RingMap::user_block`] is alive when it happens.
    pub(crate) fn release(&mut self, index: usize) {
        self.word(index, self.status_offset)
            .store(TP_STATUS_KERNEL, Ordering::Release);
    }

    /// The packets the kernel has put in V3 block `index` so far. A hint, read while the
    /// kernel may still be adding to it (it counts under the queue lock, prb_fill_curr_block).
    pub(crate) fn block_packets(&self, index: usize) -> u32 {
        self.word(index, BLOCK_NUM_PKTS_OFFSET)
            .load(Ordering::Acquire)
    }

    /// The bytes of unit `index` while it is user space's; None while it is the kernel's.
    /// The slice borrows `self`, and only [`RingMap::release`] (`&mut self`) hands a unit
    /// back, so the kernel never writes the bytes while the slice lives.
    pub(crate) fn user_block(&self, index: usize) -> Option<&[u8]> {
        if !self.is_user(index) {
            return None;
        }
        // SAFETY: in bounds of the mapping; the unit is user space's (Acquire above) and stays
        // so while &self is borrowed, since handing it back needs &mut self.
        Some(unsafe {
            std::slice::from_raw_parts(
                self.base.as_ptr().add(index * self.unit_size),
                self.unit_size,
            )
        })
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
