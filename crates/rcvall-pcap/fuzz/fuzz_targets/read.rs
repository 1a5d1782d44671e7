//! The capture reader treats files as untrusted: over any bytes, pcap or pcapng, it never
//! panics, never hands out more bytes than the input holds, moves forward with every record,
//! stops at its first error, and reads the same from a pipe of short reads as from a slice.
//! Run with `-malloc_limit_mb=1` as well: a length the input does not hold is never allocated.
//! `cargo fuzz run read` (nightly) from crates/rcvall-pcap.
#![no_main]

use std::io::{self, Read};

use libfuzzer_sys::fuzz_target;
use rcvall_pcap::{CaptureReader, EpbFlags, LinkType};

/// A pipe: reads of at most `step` bytes, and no size to ask for.
struct Pipe<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Pipe<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.data.len()).min(self.step);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Owned {
    interface_id: u32,
    link_type: LinkType,
    timestamp_ns: u64,
    data: Vec<u8>,
    original_len: u32,
    flags: Option<EpbFlags>,
    interface_name: Option<String>,
}

/// Every record, then the error (as text) if the file had one.
fn read_all(input: impl Read, len: u64) -> (Vec<Owned>, Option<String>) {
    let mut r = match CaptureReader::new(input) {
        Ok(r) => r,
        Err(e) => {
            assert!(e.offset() <= len, "{e}");
            return (Vec::new(), Some(e.to_string()));
        }
    };
    let mut out = Vec::new();
    let mut before = r.offset();
    loop {
        match r.next_record() {
            Ok(Some(rec)) => {
                assert!(rec.data.len() as u64 <= len);
                assert!(rec.original_len as usize >= rec.data.len());
                out.push(Owned {
                    interface_id: rec.interface_id,
                    link_type: rec.link_type,
                    timestamp_ns: rec.timestamp_ns,
                    data: rec.data.to_vec(),
                    original_len: rec.original_len,
                    flags: rec.flags,
                    interface_name: rec.interface_name.map(str::to_owned),
                });
                let iface = &r.interfaces()[out.last().unwrap().interface_id as usize];
                assert_eq!(iface.link_type, out.last().unwrap().link_type);
            }
            Ok(None) => {
                assert_eq!(r.offset(), len, "the end came before the last byte");
                assert!(matches!(r.next_record(), Ok(None)));
                return (out, None);
            }
            Err(e) => {
                assert!(e.offset() >= before && e.offset() <= len, "{e}");
                if let rcvall_pcap::ReadError::Truncated {
                    needed, available, ..
                } = e
                {
                    assert!(available < needed, "{e}");
                }
                assert!(matches!(r.next_record(), Ok(None)), "not fused after {e}");
                return (out, Some(e.to_string()));
            }
        }
        assert!(r.offset() > before && r.offset() <= len);
        before = r.offset();
    }
}

fuzz_target!(|data: &[u8]| {
    let len = data.len() as u64;
    let from_slice = read_all(data, len);
    let step = 1 + data.len() % 61;
    let from_pipe = read_all(Pipe { data, step }, len);
    assert_eq!(from_slice, from_pipe, "pipe reads of {step} bytes differ");
});
