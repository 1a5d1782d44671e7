//! The TPACKET_V3 receive ring: its setup and its memory mapping.

use super::{cvt, setsockopt};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;

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

/// The memory shared with the kernel, unmapped when the ring and every unit lent out of it
/// are gone.
#[derive(Debug)]
struct Mapping {
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: plain shared memory owned by this value; who may touch each unit is arbitrated by
// its status word and lent flag (atomics), not by the thread holding the Mapping.
unsafe impl Send for Mapping {}
// SAFETY: as above; a Mapping itself hands out nothing.
unsafe impl Sync for Mapping {}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: base/len are exactly what mmap returned; every slice of it borrows a
        // RingMap or a LentUnit, each holding this Mapping alive.
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.len) };
    }
}

/// The geometry of the units and where their status words are.
#[derive(Clone, Copy, Debug)]
struct Units {
    size: usize,
    nr: usize,
    status_offset: usize,
}

impl Units {
    /// A 32-bit word of unit `index` at `offset`, shared with the kernel.
    fn word<'m>(&self, mapping: &'m Mapping, index: usize, offset: usize) -> &'m AtomicU32 {
        assert!(index < self.nr && offset + 4 <= self.size);
        // SAFETY: the word lies inside the mapping (asserted), is 4-byte aligned (units are
        // 16-byte multiples from a page-aligned base, offsets are multiples of 4) and lives as
        // long as the mapping. The kernel writes these words with plain aligned 32-bit stores,
        // which are single-copy atomic; its ordering comes from barriers around them
        // (prb_close_block issues smp_wmb() before prb_flush_block stores block_status;
        // __packet_set_status stores tp_status, then smp_wmb(); readers run smp_rmb() first),
        // which an Acquire load and a Release store on this side pair with.
        unsafe { AtomicU32::from_ptr(mapping.base.as_ptr().add(index * self.size + offset).cast()) }
    }

    /// The bytes of unit `index`.
    ///
    /// # Safety
    /// The unit must be user space's (status TP_STATUS_USER) for as long as the slice lives:
    /// the kernel writes units it owns.
    unsafe fn bytes<'m>(&self, mapping: &'m Mapping, index: usize) -> &'m [u8] {
        assert!(index < self.nr);
        // SAFETY: in bounds of the mapping (asserted) and alive as long as it; the caller
        // keeps the kernel off the unit while the slice lives.
        unsafe {
            std::slice::from_raw_parts(mapping.base.as_ptr().add(index * self.size), self.size)
        }
    }
}

/// The mapped ring: `unit_nr` units (V3 blocks or V2 frames) of `unit_size` bytes shared
/// with the kernel, each with a status word at `status_offset`.
///
/// Each unit user space owns has exactly one owner: the ring (this value), or a [`LentUnit`]
/// it was lent to (its flag in `lent` is set). The ring reads its units through
/// [`RingMap::user_block`] (a slice borrowing `&self`) and hands them back through
/// [`RingMap::release`] or lends them through [`RingMap::lend`] (both `&mut self`, so no such
/// slice is alive then); a lent unit is handed back only when its LentUnit is dropped.
#[derive(Debug)]
pub(crate) struct RingMap {
    mapping: Arc<Mapping>,
    units: Units,
    lent: Arc<[AtomicBool]>,
    /// Units lent out now.
    outstanding: Arc<AtomicUsize>,
}

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
        let base =
            NonNull::new(ptr.cast()).ok_or_else(|| io::Error::other("mmap returned null"))?;
        Ok(RingMap {
            mapping: Arc::new(Mapping { base, len }),
            units: Units {
                size: unit_size,
                nr: unit_nr,
                status_offset,
            },
            lent: (0..unit_nr).map(|_| AtomicBool::new(false)).collect(),
            outstanding: Arc::default(),
        })
    }

    /// Number of units (blocks or frames).
    pub(crate) fn block_nr(&self) -> usize {
        self.units.nr
    }

    /// True while any unit is lent out.
    pub(crate) fn lends_outstanding(&self) -> bool {
        self.outstanding.load(Ordering::Acquire) > 0
    }

    /// True when unit `index` is lent out (see [`RingMap::lend`]).
    pub(crate) fn is_lent(&self, index: usize) -> bool {
        self.lent[index].load(Ordering::Acquire)
    }

    /// True when unit `index` is user space's and the ring's own (TP_STATUS_USER, seen with
    /// Acquire, and not lent). The lent flag is read first: a LentUnit clears it only after
    /// handing the unit back, so a cleared flag shows the status stored with it or a later one.
    pub(crate) fn is_user(&self, index: usize) -> bool {
        !self.is_lent(index)
            && self
                .units
                .word(&self.mapping, index, self.units.status_offset)
                .load(Ordering::Acquire)
                & TP_STATUS_USER
                != 0
    }

    /// Hands unit `index` back to the kernel (Release: every read of it happens before).
    /// Takes `&mut self`, so no slice of [`RingMap::user_block`] is alive when it happens.
    pub(crate) fn release(&mut self, index: usize) {
        assert!(
            !self.is_lent(index),
            "a lent unit is handed back by its LentUnit"
        );
        self.units
            .word(&self.mapping, index, self.units.status_offset)
            .store(TP_STATUS_KERNEL, Ordering::Release);
    }

    /// Lends unit `index`, which must be user space's, to a [`LentUnit`] that may live on
    /// another thread and hands it back when dropped; until then the ring neither reads nor
    /// releases it, and the kernel skips nothing: reaching it, the kernel freezes the queue
    /// and drops packets until it is handed back (__packet_lookup_frame_in_block). None when
    /// the unit is not the ring's to lend.
    pub(crate) fn lend(&mut self, index: usize) -> Option<LentUnit> {
        if !self.is_user(index) {
            return None;
        }
        self.lent[index].store(true, Ordering::Release);
        self.outstanding.fetch_add(1, Ordering::AcqRel);
        Some(LentUnit {
            mapping: Arc::clone(&self.mapping),
            lent: Arc::clone(&self.lent),
            outstanding: Arc::clone(&self.outstanding),
            units: self.units,
            index,
        })
    }

    /// The packets the kernel has put in V3 block `index` so far. A hint, read while the
    /// kernel may still be adding to it (it counts under the queue lock, prb_fill_curr_block).
    pub(crate) fn block_packets(&self, index: usize) -> u32 {
        self.units
            .word(&self.mapping, index, BLOCK_NUM_PKTS_OFFSET)
            .load(Ordering::Acquire)
    }

    /// The bytes of unit `index` while it is the ring's; None while it is the kernel's or
    /// lent. The slice borrows `self`, and only [`RingMap::release`] and [`RingMap::lend`]
    /// (`&mut self`) give a unit away, so the kernel never writes the bytes while it lives.
    pub(crate) fn user_block(&self, index: usize) -> Option<&[u8]> {
        // SAFETY: the unit is the ring's (is_user); the slice borrows &self and only the
        // &mut self methods give the unit away.
        self.is_user(index)
            .then(|| unsafe { self.units.bytes(&self.mapping, index) })
    }
}

/// A unit of the ring lent out by [`RingMap::lend`]: its bytes stay valid, and the kernel off
/// them, until this value is dropped, on whichever thread; dropping it hands the unit back.
#[derive(Debug)]
pub(crate) struct LentUnit {
    mapping: Arc<Mapping>,
    lent: Arc<[AtomicBool]>,
    outstanding: Arc<AtomicUsize>,
    units: Units,
    index: usize,
}

impl LentUnit {
    /// The unit's bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: lend found the unit user space's, and only this value's drop hands it
        // back; the slice borrows this value.
        unsafe { self.units.bytes(&self.mapping, self.index) }
    }
}

impl Drop for LentUnit {
    fn drop(&mut self) {
        // Back to the kernel first, then back to the ring (see RingMap::is_user).
        self.units
            .word(&self.mapping, self.index, self.units.status_offset)
            .store(TP_STATUS_KERNEL, Ordering::Release);
        self.lent[self.index].store(false, Ordering::Release);
        self.outstanding.fetch_sub(1, Ordering::AcqRel);
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
