//! Page-aligned byte buffers: what the capture thread encodes into and the writer thread
//! writes out. O_DIRECT needs the buffer address, the file offset and the length aligned to
//! the device's logical block size (what statx STATX_DIOALIGN reports): 512 or 4096 on the
//! disks in use, so 4096 satisfies both. A file system that wants more refuses the write with
//! EINVAL, and the writer then goes on without O_DIRECT.

/// The alignment of buffers, offsets and lengths for O_DIRECT.
pub const ALIGN: usize = 4096;

/// One buffer of a capture file: bytes for the file starting at `offset`.
#[derive(Debug)]
pub struct Chunk {
    /// `ALIGN` bytes more than the capacity, so that an aligned window exists; the window
    /// starts at `start` (found with the safe `align_offset`, no unsafe cast needed).
    storage: Vec<u8>,
    start: usize,
    capacity: usize,
    /// Bytes filled.
    pub len: usize,
    /// Where byte 0 goes in the file (a multiple of `ALIGN` when positioned).
    pub offset: u64,
    /// Where the first whole record starts (after bytes carried over from the previous
    /// chunk, which end a record already counted).
    pub first_record: usize,
    /// Packets of the file that lie before `first_record`.
    pub packets_before: u64,
    /// Packets of the file up to the end of the chunk.
    pub packets_end: u64,
    /// Whether the chunk starts with the file's header (pcap: 24 bytes that are no record).
    pub file_start: bool,
}

impl Chunk {
    /// A zeroed buffer of `capacity` bytes (a multiple of `ALIGN`). The zero pages come from
    /// calloc, so memory is only touched (and counted in RSS) as it fills.
    pub fn new(capacity: usize) -> Chunk {
        debug_assert!(capacity % ALIGN == 0 && capacity > 0);
        let storage = vec![0u8; capacity + ALIGN];
        let start = storage.as_ptr().align_offset(ALIGN);
        Chunk {
            storage,
            start,
            capacity,
            len: 0,
            offset: 0,
            first_record: 0,
            packets_before: 0,
            packets_end: 0,
            file_start: false,
        }
    }

    /// Everything, filled or not (the aligned window).
    pub fn window(&self) -> &[u8] {
        &self.storage[self.start..self.start + self.capacity]
    }

    /// The filled bytes.
    pub fn filled(&self) -> &[u8] {
        &self.window()[..self.len]
    }

    /// The unfilled rest, to encode into.
    pub fn spare(&mut self) -> &mut [u8] {
        let (start, len) = (self.start, self.len);
        &mut self.storage[start + len..start + self.capacity]
    }

    /// The filled bytes rounded up to `ALIGN`, the padding zeroed: what an O_DIRECT write
    /// takes. The padding lies past the file's logical end and is cut off at close.
    pub fn aligned_filled(&mut self) -> &[u8] {
        let end = round_up(self.len).min(self.capacity);
        let (start, len) = (self.start, self.len);
        self.storage[start + len..start + end].fill(0);
        &self.storage[start..start + end]
    }

    /// Empties the chunk for the file position `offset`.
    pub fn reset(&mut self, offset: u64, packets_before: u64) {
        self.len = 0;
        self.offset = offset;
        self.first_record = 0;
        self.packets_before = packets_before;
        self.packets_end = packets_before;
        self.file_start = false;
    }

    /// Appends bytes (headers, statistics); false when they do not fit.
    pub fn push(&mut self, bytes: &[u8]) -> bool {
        match self.spare().get_mut(..bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.len += bytes.len();
                true
            }
            None => false,
        }
    }
}

pub fn round_up(n: usize) -> usize {
    n.div_ceil(ALIGN) * ALIGN
}

pub fn round_down(n: usize) -> usize {
    n / ALIGN * ALIGN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_page_aligned_and_padding_is_zeroed() {
        for _ in 0..4 {
            let mut c = Chunk::new(3 * ALIGN);
            assert_eq!(c.window().as_ptr() as usize % ALIGN, 0);
            assert!(c.push(&[1; 5000]));
            assert_eq!(c.aligned_filled().len(), 2 * ALIGN);
            assert!(c.aligned_filled()[5000..].iter().all(|&b| b == 0));
            assert!(!c.push(&[1; 3 * ALIGN]));
            assert_eq!(c.len, 5000);
        }
    }
}
