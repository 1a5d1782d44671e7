//! The ring walkers treat kernel offsets as untrusted: no input may panic or read outside the
//! slice. `cargo fuzz run ring_block` (nightly) from crates/rcvall.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rcvall::ring::{block, frame};

fuzz_target!(|data: &[u8]| {
    if let Ok(frames) = block::Frames::new(data) {
        for frame in frames.take(100_000).flatten() {
            assert!(frame.data.len() <= data.len());
        }
    }
    if let Ok(frame) = frame::parse(data) {
        assert!(frame.data.len() <= data.len());
    }
});
