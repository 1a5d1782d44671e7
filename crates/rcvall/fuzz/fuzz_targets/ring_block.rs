//! The ring walkers treat kernel offsets as untrusted: no input may panic or read outside the
//! slice, a walk stops at its first error and returns at most `num_pkts` frames, and a walk
//! paused at any frame and resumed from its position yields what the uninterrupted walk does.
//! The same bytes also go to the V2 frame parser. `cargo fuzz run ring_block` (nightly) from
//! crates/rcvall; seeds: `seeds.py` here.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rcvall::ring::{block, frame};

/// Frames walked at most (num_pkts is untrusted; a real block of 4 MiB holds < 60,000).
const MAX_FRAMES: usize = 100_000;

fuzz_target!(|data: &[u8]| {
    if let Ok(frames) = block::Frames::new(data) {
        let header = block::parse_header(data).expect("Frames::new read it");
        let whole: Vec<_> = frames.clone().take(MAX_FRAMES).collect();
        assert!(whole.len() as u64 <= u64::from(header.num_pkts));
        if let Some(first_err) = whole.iter().position(Result::is_err) {
            assert_eq!(
                first_err + 1,
                whole.len(),
                "the walk goes on after an error"
            );
        }
        for frame in whole.iter().flatten() {
            assert!(frame.data.len() <= data.len());
        }
        // Pause after the first frame (the consumer's batch limit), then resume.
        let mut paused = frames;
        let head = paused.next();
        let rest: Vec<_> = block::Frames::resume(data, paused.position())
            .take(MAX_FRAMES - 1)
            .collect();
        let resumed: Vec<_> = head.into_iter().chain(rest).collect();
        assert_eq!(resumed, whole);
    }
    if let Ok(frame) = frame::parse(data) {
        assert!(frame.data.len() <= data.len());
    }
});
