//! The one place that chooses between the two ring kinds: TPACKET_V3 blocks (throughput)
//! and TPACKET_V2 frames (latency). Everything above it sees one ring, one batch, one walk.

use super::block::{BlockError, Frames, RawFrame};
use super::{BlockGuard, FrameGuard, FrameIter, FrameRing, LentBlock, Ring};

/// Most frames of a TPACKET_V2 ring handed out as one batch.
const MAX_FRAMES_PER_BATCH: usize = 256;

/// A ring of either kind.
#[derive(Debug)]
pub(crate) enum AnyRing {
    Blocks(Ring),
    Frames(FrameRing),
}

impl AnyRing {
    /// True when a batch is ready (the unit under the cursor is user space's).
    pub(crate) fn ready(&mut self) -> bool {
        match self {
            AnyRing::Blocks(ring) => ring.poll_block(),
            AnyRing::Frames(ring) => ring.ready(),
        }
    }

    /// True while a block is lent out (see [`Ring::lends_outstanding`]).
    pub(crate) fn lends_outstanding(&self) -> bool {
        match self {
            AnyRing::Blocks(ring) => ring.lends_outstanding(),
            AnyRing::Frames(_) => false,
        }
    }

    /// The batch under the cursor (a block, or a run of frames), if ready.
    pub(crate) fn take(&mut self) -> Option<AnyGuard<'_>> {
        Some(match self {
            AnyRing::Blocks(ring) => AnyGuard::Block(ring.block()?),
            AnyRing::Frames(ring) => AnyGuard::Frames(ring.batch(MAX_FRAMES_PER_BATCH)?),
        })
    }
}

/// A batch held by user space; dropping it hands it back.
#[derive(Debug)]
pub(crate) enum AnyGuard<'r> {
    Block(BlockGuard<'r>),
    Frames(FrameGuard<'r>),
}

impl<'r> AnyGuard<'r> {
    /// Packets in the batch, as the kernel counted them.
    pub(crate) fn len(&self) -> usize {
        match self {
            AnyGuard::Block(guard) => guard.len() as usize,
            AnyGuard::Frames(guard) => guard.len() as usize,
        }
    }

    /// A V3 block is lent out whole; a run of V2 frames is not lent (given back).
    pub(crate) fn lend(self) -> Result<LentBlock, AnyGuard<'r>> {
        match self {
            AnyGuard::Block(guard) => Ok(guard.lend()),
            frames @ AnyGuard::Frames(_) => Err(frames),
        }
    }

    /// The batch's frames, in order.
    pub(crate) fn frames(&self) -> AnyFrames<'_> {
        match self {
            AnyGuard::Block(guard) => AnyFrames::Block(guard.frames()),
            AnyGuard::Frames(guard) => AnyFrames::Frames(guard.frames()),
        }
    }
}

/// The frames of a batch of either kind.
#[derive(Clone, Debug)]
pub(crate) enum AnyFrames<'a> {
    Block(Frames<'a>),
    Frames(FrameIter<'a>),
}

impl<'a> Iterator for AnyFrames<'a> {
    type Item = Result<RawFrame<'a>, BlockError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            AnyFrames::Block(frames) => frames.next(),
            AnyFrames::Frames(frames) => frames.next(),
        }
    }
}
