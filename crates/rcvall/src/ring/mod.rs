//! The TPACKET_V3 ring engine: geometry, block ownership, and frame-by-frame reading.

// The walkers are pure functions over untrusted bytes; they are public only to the fuzz
// targets (built with `--cfg fuzzing`), not part of the crate's API.
#[cfg(fuzzing)]
pub mod block;
#[cfg(not(fuzzing))]
pub(crate) mod block;
mod dispatch;
#[cfg(fuzzing)]
pub mod frame;
#[cfg(not(fuzzing))]
pub(crate) mod frame;

pub(crate) use dispatch::{AnyFrames, AnyGuard, AnyRing};

use crate::sys::packet::PacketSocket;
use crate::sys::ring::{LentUnit, RingMap};
use block::{FramePosition, Frames, RawFrame};
use std::fmt;
use std::io;
use std::os::fd::AsFd;

/// Page size the kernel requires block sizes to be a multiple of (x86_64, aarch64 4K pages;
/// larger pages are multiples of it, so a power of two ≥ this is still checked by the kernel).
const MIN_BLOCK_SIZE: u32 = 4096;

/// The shape of a ring, validated in one place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingGeometry {
    /// Bytes per block: a power of two, at least one page. A packet longer than a block is
    /// truncated to fit it (the kernel's max_frame_len).
    pub block_size: u32,
    /// Number of blocks (at least 2: the kernel fills one while user space reads another).
    pub block_nr: u32,
    /// The kernel hands over a partly filled block after this many milliseconds (an hrtimer
    /// on recent kernels, measured precise to the millisecond on 6.18; older kernels round it
    /// up to whole jiffies, 4 ms at HZ=250).
    pub retire_timeout_ms: u32,
}

/// Why a ring shape was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeometryError(String);

impl fmt::Display for GeometryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GeometryError {}

impl RingGeometry {
    /// A ring of about `ring_bytes` in blocks of `block_size`.
    pub fn new(
        ring_bytes: u64,
        block_size: u32,
        retire_timeout_ms: u32,
    ) -> Result<RingGeometry, GeometryError> {
        if !block_size.is_power_of_two() || block_size < MIN_BLOCK_SIZE {
            return Err(GeometryError(format!(
                "block size {block_size} must be a power of two of at least {MIN_BLOCK_SIZE}"
            )));
        }
        let block_nr = ring_bytes / u64::from(block_size);
        if block_nr < 2 {
            return Err(GeometryError(format!(
                "a ring of {ring_bytes} bytes holds fewer than 2 blocks of {block_size}"
            )));
        }
        let block_nr = u32::try_from(block_nr)
            .map_err(|_| GeometryError(format!("a ring of {ring_bytes} bytes is too large")))?;
        if retire_timeout_ms == 0 {
            return Err(GeometryError(
                "a retire timeout of 0 lets the kernel pick one from the link speed; give one"
                    .into(),
            ));
        }
        Ok(RingGeometry {
            block_size,
            block_nr,
            retire_timeout_ms,
        })
    }

    /// Total bytes mapped.
    pub fn ring_bytes(&self) -> usize {
        self.block_size as usize * self.block_nr as usize
    }

    /// The same ring with half the blocks, for a retry when the kernel has not the memory
    /// for the full one; None below 2 blocks.
    pub fn halved(&self) -> Option<RingGeometry> {
        (self.block_nr >= 4).then_some(RingGeometry {
            block_nr: self.block_nr / 2,
            ..*self
        })
    }
}

/// The shape of a TPACKET_V2 ring (the low-latency one): fixed-size frames, one packet each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameGeometry {
    /// Bytes per frame: a power of two holding the V2 header and the bytes kept of a packet
    /// (longer packets are truncated to fit, and flagged).
    pub frame_size: u32,
    /// Bytes per block (a power of two, a multiple of the frame size and of the page size).
    pub block_size: u32,
    /// Number of blocks.
    pub block_nr: u32,
}

impl FrameGeometry {
    /// A ring of about `ring_bytes` whose frames keep up to `packet_bytes` of each packet, in
    /// blocks of `block_size` (a power of two of at least a page), made smaller when the ring
    /// is: a small ring is honoured rather than rounded up to one large block.
    pub fn new(
        ring_bytes: u64,
        packet_bytes: u32,
        block_size: u32,
    ) -> Result<FrameGeometry, GeometryError> {
        let frame_size = (frame::DATA_OFFSET as u32)
            .saturating_add(packet_bytes)
            .checked_next_power_of_two()
            .filter(|size| *size <= 1 << 20)
            .ok_or_else(|| {
                GeometryError(format!(
                    "frames for {packet_bytes}-byte packets are too large"
                ))
            })?;
        if !block_size.is_power_of_two() || block_size < MIN_BLOCK_SIZE {
            return Err(GeometryError(format!(
                "block size {block_size} must be a power of two of at least {MIN_BLOCK_SIZE}"
            )));
        }
        // The largest power of two that fits the ring, if the block asked for does not.
        let fits = if u64::from(block_size) <= ring_bytes {
            block_size
        } else {
            1u32 << (63 - ring_bytes.max(1).leading_zeros()).min(31)
        };
        let block_size = fits.max(frame_size).max(MIN_BLOCK_SIZE);
        let block_nr = u32::try_from(ring_bytes / u64::from(block_size))
            .map_err(|_| GeometryError(format!("a ring of {ring_bytes} bytes is too large")))?;
        if block_nr == 0 || u64::from(block_nr) * u64::from(block_size / frame_size) < 2 {
            return Err(GeometryError(format!(
                "a ring of {ring_bytes} bytes holds fewer than 2 frames of {frame_size}"
            )));
        }
        Ok(FrameGeometry {
            frame_size,
            block_size,
            block_nr,
        })
    }

    /// Total frames.
    pub fn frame_nr(&self) -> u32 {
        self.block_nr * (self.block_size / self.frame_size)
    }

    /// Half the blocks, for a retry when memory is short; None below one block.
    pub fn halved(&self) -> Option<FrameGeometry> {
        (self.block_nr >= 2).then_some(FrameGeometry {
            block_nr: self.block_nr / 2,
            ..*self
        })
    }
}

/// Sets up a TPACKET_V2 ring, with the same retry on short memory as [`open`].
pub(crate) fn open_frames(
    packet: &PacketSocket,
    geometry: FrameGeometry,
) -> io::Result<(FrameRing, FrameGeometry)> {
    let mut geometry = geometry;
    loop {
        match RingMap::setup_frames(
            packet.as_fd(),
            geometry.frame_size,
            geometry.block_size,
            geometry.block_nr,
        ) {
            Ok(map) => return Ok((FrameRing { map, cursor: 0 }, geometry)),
            Err(err) if err.raw_os_error() == Some(libc::ENOMEM) => match geometry.halved() {
                Some(smaller) => geometry = smaller,
                None => return Err(err),
            },
            Err(err) => return Err(err),
        }
    }
}

/// A TPACKET_V2 ring with a read cursor: frames are taken and returned in ring order.
#[derive(Debug)]
pub(crate) struct FrameRing {
    map: RingMap,
    cursor: usize,
}

impl FrameRing {
    fn is_user(&self, index: usize) -> bool {
        self.map.is_user(index)
    }

    /// True when the frame under the cursor holds a packet for user space.
    pub(crate) fn ready(&self) -> bool {
        self.is_user(self.cursor)
    }

    /// The run of ready frames from the cursor (at most `max`), if any.
    pub(crate) fn batch(&mut self, max: usize) -> Option<FrameGuard<'_>> {
        let n = self.map.block_nr();
        let count = (0..max.min(n))
            .take_while(|i| self.is_user((self.cursor + i) % n))
            .count();
        (count > 0).then_some(FrameGuard { ring: self, count })
    }
}

/// Frames held by user space; dropping the guard hands them back in order.
#[derive(Debug)]
pub(crate) struct FrameGuard<'r> {
    ring: &'r mut FrameRing,
    count: usize,
}

impl FrameGuard<'_> {
    pub(crate) fn len(&self) -> u32 {
        self.count as u32
    }

    /// The packets of the held frames, in order.
    pub(crate) fn frames(&self) -> FrameIter<'_> {
        FrameIter {
            map: &self.ring.map,
            start: self.ring.cursor,
            next: 0,
            count: self.count,
        }
    }
}

/// Iterator over the frames a [`FrameGuard`] holds.
#[derive(Clone, Debug)]
pub(crate) struct FrameIter<'a> {
    map: &'a RingMap,
    start: usize,
    next: usize,
    count: usize,
}

impl<'a> Iterator for FrameIter<'a> {
    type Item = Result<RawFrame<'a>, block::BlockError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.next == self.count {
            return None;
        }
        let index = (self.start + self.next) % self.map.block_nr();
        self.next += 1;
        Some(frame::parse(self.map.user_block(index).unwrap_or(&[])))
    }
}

impl Drop for FrameGuard<'_> {
    fn drop(&mut self) {
        let n = self.ring.map.block_nr();
        for i in 0..self.count {
            self.ring.map.release((self.ring.cursor + i) % n);
        }
        self.ring.cursor = (self.ring.cursor + self.count) % n;
    }
}

/// Sets up a ring on a packet socket that is not bound yet; when the kernel has not the
/// memory for `geometry`, retries with half the blocks, down to 2. Returns the shape obtained.
pub(crate) fn open(
    packet: &PacketSocket,
    geometry: RingGeometry,
) -> io::Result<(Ring, RingGeometry)> {
    let mut geometry = geometry;
    loop {
        match RingMap::setup(
            packet.as_fd(),
            geometry.block_size,
            geometry.block_nr,
            geometry.retire_timeout_ms,
        ) {
            Ok(map) => return Ok((Ring::new(map), geometry)),
            Err(err) if err.raw_os_error() == Some(libc::ENOMEM) => match geometry.halved() {
                Some(smaller) => geometry = smaller,
                None => return Err(err),
            },
            Err(err) => return Err(err),
        }
    }
}

/// A ring with a read cursor: blocks are taken strictly in ring order, and returned in order
/// too unless lent ([`BlockGuard::lend`]).
#[derive(Debug)]
pub(crate) struct Ring {
    map: RingMap,
    /// The block the next read looks at.
    cursor: usize,
    /// Where reading stands inside the cursor's block, once it is ours.
    position: Option<FramePosition>,
}

impl Ring {
    pub(crate) fn new(map: RingMap) -> Ring {
        Ring {
            map,
            cursor: 0,
            position: None,
        }
    }

    /// Hands the cursor's block back to the kernel and moves on.
    fn release(&mut self) {
        self.map.release(self.cursor);
        self.advance();
    }

    fn advance(&mut self) {
        self.position = None;
        self.cursor = (self.cursor + 1) % self.map.block_nr();
    }

    /// True while a block is lent out. The socket's readiness then says little: the kernel
    /// reports it readable while the block before the one it fills is user space's
    /// (packet_poll), which a lent block is until it comes back.
    pub(crate) fn lends_outstanding(&self) -> bool {
        self.map.lends_outstanding()
    }

    /// True when the block under the cursor is ours and ready to read. A block whose header
    /// cannot be read is handed back and skipped (the kernel never writes one).
    pub(crate) fn poll_block(&mut self) -> bool {
        for _ in 0..self.map.block_nr() {
            if self.position.is_some() {
                return true;
            }
            let Some(block) = self.map.user_block(self.cursor) else {
                return false;
            };
            match Frames::new(block) {
                Ok(frames) => self.position = Some(frames.position()),
                Err(_) => self.release(),
            }
        }
        false
    }

    /// Calls `read` on the next frame, if one is ready; the frame's bytes stay valid during
    /// the call. A corrupt frame ends its block, which is dropped and reported.
    pub(crate) fn next_frame<T>(
        &mut self,
        read: impl FnOnce(&RawFrame<'_>) -> T,
    ) -> Option<Result<T, block::BlockError>> {
        // Bounded: each pass consumes a frame or hands back a block.
        loop {
            let position = match (self.poll_block(), self.position) {
                (true, Some(position)) => position,
                _ => return None,
            };
            let mut frames =
                Frames::resume(self.map.user_block(self.cursor).unwrap_or(&[]), position);
            match frames.next() {
                None => self.release(),
                Some(Err(err)) => {
                    self.release();
                    return Some(Err(err));
                }
                Some(Ok(frame)) => {
                    let result = read(&frame);
                    let after = frames.position();
                    if after.remaining() == 0 {
                        self.release();
                    } else {
                        self.position = Some(after);
                    }
                    return Some(Ok(result));
                }
            }
        }
    }

    /// The cursor's block, once [`Ring::poll_block`] said it is ready.
    pub(crate) fn block(&mut self) -> Option<BlockGuard<'_>> {
        let position = self.position?;
        Some(BlockGuard {
            ring: self,
            position,
        })
    }

    /// True when the block under the cursor is still the kernel's and already holds packets
    /// (it will be handed over when full or when its retire timer fires).
    pub(crate) fn kernel_holds_packets(&self) -> bool {
        self.position.is_none()
            && !self.map.is_user(self.cursor)
            && self.map.block_packets(self.cursor) > 0
    }

    /// Hands every block user space holds back to the kernel; returns the frames discarded.
    pub(crate) fn discard_ready(&mut self) -> u64 {
        let mut discarded = 0;
        for _ in 0..self.map.block_nr() {
            match (self.poll_block(), self.position) {
                (true, Some(position)) => discarded += u64::from(position.remaining()),
                _ => break,
            }
            self.release();
        }
        discarded
    }
}

/// A block held by user space; dropping it hands the block back and advances the cursor.
#[derive(Debug)]
pub(crate) struct BlockGuard<'r> {
    ring: &'r mut Ring,
    position: FramePosition,
}

impl BlockGuard<'_> {
    /// Frames in the guard.
    pub(crate) fn len(&self) -> u32 {
        self.position.remaining()
    }

    /// The frames not yet read, in order.
    pub(crate) fn frames(&self) -> Frames<'_> {
        Frames::resume(
            self.ring.map.user_block(self.ring.cursor).unwrap_or(&[]),
            self.position,
        )
    }
}

impl<'r> BlockGuard<'r> {
    /// Hands the block to a [`LentBlock`] (which may go to another thread) instead of back to
    /// the kernel; the cursor moves on.
    pub(crate) fn lend(self) -> LentBlock {
        // Not dropped: its Drop would hand the block back to the kernel.
        let mut guard = std::mem::ManuallyDrop::new(self);
        let position = guard.position;
        let ring: &mut Ring = &mut *guard.ring;
        let unit = ring
            .map
            .lend(ring.cursor)
            .expect("the guard's block is the ring's");
        ring.advance();
        LentBlock { unit, position }
    }
}

impl Drop for BlockGuard<'_> {
    fn drop(&mut self) {
        self.ring.release();
    }
}

/// A block lent out of the ring: its frames stay readable until it is dropped, on any
/// thread, which hands it back to the kernel.
#[derive(Debug)]
pub(crate) struct LentBlock {
    unit: LentUnit,
    position: FramePosition,
}

impl LentBlock {
    /// Frames in the block.
    pub(crate) fn len(&self) -> u32 {
        self.position.remaining()
    }

    /// The block's frames, in order.
    pub(crate) fn frames(&self) -> Frames<'_> {
        Frames::resume(self.unit.bytes(), self.position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_is_validated_in_one_place() {
        let g = RingGeometry::new(4 << 20, 1 << 20, 4).unwrap();
        assert_eq!((g.block_nr, g.ring_bytes()), (4, 4 << 20));
        assert!(
            RingGeometry::new(4 << 20, 3000, 4).is_err(),
            "not a power of two"
        );
        assert!(RingGeometry::new(4 << 20, 2048, 4).is_err(), "below a page");
        assert!(RingGeometry::new(1 << 20, 1 << 20, 4).is_err(), "one block");
        assert!(
            RingGeometry::new(4 << 20, 1 << 20, 0).is_err(),
            "no timeout"
        );
    }

    #[test]
    fn frame_geometry_tiles_blocks_exactly() {
        let g = FrameGeometry::new(32 << 20, 1500, 128 << 10).unwrap();
        assert_eq!((g.frame_size, g.block_size), (2048, 128 << 10));
        assert_eq!(g.block_size % g.frame_size, 0);
        assert_eq!(g.frame_nr(), (32 << 20) / 2048);
        let big = FrameGeometry::new(32 << 20, 65_535, 128 << 10).unwrap();
        assert_eq!((big.frame_size, big.block_size), (128 << 10, 128 << 10));
        assert!(
            FrameGeometry::new(1024, 1500, 128 << 10).is_err(),
            "not even one block"
        );
        assert!(
            FrameGeometry::new(32 << 20, 4 << 20, 128 << 10).is_err(),
            "frames over 1 MiB"
        );
        assert_eq!(g.halved().unwrap().block_nr, g.block_nr / 2);
    }

    #[test]
    fn a_small_low_latency_ring_gets_small_blocks_and_the_block_size_is_honoured() {
        // -B 64 with --immediate-mode: 64 KiB, not one 128 KiB block.
        let small = FrameGeometry::new(64 << 10, 1500, 128 << 10).unwrap();
        assert_eq!((small.block_size, small.block_nr), (64 << 10, 1));
        assert_eq!(small.frame_nr(), 32);
        let asked = FrameGeometry::new(8 << 20, 1500, 16 << 10).unwrap();
        assert_eq!((asked.block_size, asked.block_nr), (16 << 10, 512));
        assert!(
            FrameGeometry::new(8 << 20, 1500, 3000).is_err(),
            "not a power of two"
        );
    }

    #[test]
    fn halving_stops_at_two_blocks() {
        let g = RingGeometry::new(8 << 20, 1 << 20, 4).unwrap();
        let g = g.halved().unwrap();
        assert_eq!(g.block_nr, 4);
        let g = g.halved().unwrap();
        assert_eq!(g.block_nr, 2);
        assert_eq!(g.halved(), None);
    }
}
