//! Text and JSON lines, to a file or standard output (pcapng and pcap go through
//! [`crate::writer`]).
//!
//! Lines are flushed after each ring block; when a write fails (a full disk) the file is cut
//! back to the last line that reached it whole, so its packet count is known.

use crate::config::{Format, TextConfig};
use anyhow::{Context, Result};
use rcvall::{Interface, Packet};
use rcvall_wire::TextPrinter;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Counts the bytes that reached the underlying writer.
struct Counted<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

type Out = BufWriter<Counted<Box<dyn Write>>>;

enum Style {
    /// The printer, and whether each line is flushed (`-l`).
    Text(Box<TextPrinter>, bool),
    Json,
}

/// The line output of a capture.
pub struct Sink {
    style: Style,
    out: Out,
    file: Option<(PathBuf, File)>,
    line: String,
    names: Vec<Option<String>>,
    /// Packets accepted by the sink, and those known to be on disk (after a flush).
    written: u64,
    flushed: u64,
    flushed_bytes: u64,
    /// (end offset, packets so far) after each packet since the last flush: when a write
    /// fails, the file is cut at the last packet that reached it whole.
    boundaries: Vec<(u64, u64)>,
}

impl Sink {
    /// Opens the output (`format` is Text or Json). Files are created with mode 0600:
    /// captures hold other people's data.
    pub fn open(
        format: Format,
        path: Option<&Path>,
        interfaces: &[Interface],
        text: &TextConfig,
    ) -> Result<Sink> {
        let (target, file): (Box<dyn Write>, _) = match path {
            Some(path) => {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .mode(0o600)
                    .open(path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                let clone = file.try_clone().context("duplicating the file handle")?;
                (Box::new(file), Some((path.to_owned(), clone)))
            }
            None => (Box::new(io::stdout().lock()), None),
        };
        let out = BufWriter::with_capacity(
            1 << 20,
            Counted {
                inner: target,
                written: 0,
            },
        );
        // One name column when several interfaces share the output, as tcpdump -i any.
        let names = interfaces
            .iter()
            .map(|i| (interfaces.len() > 1).then(|| i.name.clone()))
            .collect();
        let style = match format {
            Format::Json => Style::Json,
            _ => Style::Text(
                Box::new(TextPrinter::new(text.options.clone())),
                text.line_buffered,
            ),
        };
        Ok(Sink {
            style,
            out,
            file,
            line: String::new(),
            names,
            written: 0,
            flushed: 0,
            flushed_bytes: 0,
            boundaries: Vec::new(),
        })
    }

    /// Writes one packet of interface `slot`.
    pub fn packet(
        &mut self,
        slot: usize,
        iface: &Interface,
        packet: &Packet<'_>,
    ) -> io::Result<()> {
        let info = &packet.info;
        let direction = info.direction();
        self.line.clear();
        match &mut self.style {
            Style::Text(printer, _) => {
                let _ = printer.write_packet(
                    &mut self.line,
                    info.timestamp_ns,
                    Some(direction),
                    self.names[slot].as_deref(),
                    packet.data,
                    info.original_len,
                );
            }
            Style::Json => {
                let _ = rcvall_wire::format_json(
                    &mut self.line,
                    info.timestamp_ns,
                    Some(direction),
                    Some(rcvall_wire::Interface {
                        name: Some(&iface.name),
                        index: Some(iface.index),
                    }),
                    packet.data,
                    info.original_len,
                );
            }
        }
        self.line.push('\n');
        self.out.write_all(self.line.as_bytes())?;
        if matches!(self.style, Style::Text(_, true)) {
            self.out.flush()?;
        }
        self.written += 1;
        let end = self.position().0;
        self.boundaries.push((end, self.written));
        Ok(())
    }

    /// (bytes accepted so far, bytes that reached the file).
    fn position(&self) -> (u64, u64) {
        let on_disk = self.out.get_ref().written;
        (on_disk + self.out.buffer().len() as u64, on_disk)
    }

    /// Pushes everything written so far to the file or pipe (called after each ring block).
    pub fn commit(&mut self) -> io::Result<()> {
        self.out.flush()?;
        self.flushed_bytes = self.out.get_ref().written;
        self.flushed = self.written;
        // Everything up to here is on disk: only packets after this flush need boundaries.
        self.boundaries.clear();
        Ok(())
    }

    /// After a failed write: cuts a file back to its last flushed packet. Returns the packets
    /// kept and the file's name, or None for standard output.
    pub fn salvage(&mut self) -> Option<(u64, PathBuf)> {
        let on_disk = self.position().1;
        let (end, kept) = self
            .boundaries
            .iter()
            .rev()
            .find(|(end, _)| *end <= on_disk)
            .copied()
            .unwrap_or((self.flushed_bytes, self.flushed));
        let (path, file) = self.file.as_ref()?;
        let _ = file.set_len(end);
        Some((kept, path.clone()))
    }

    /// Packets handed to the output.
    pub fn written(&self) -> u64 {
        self.written
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcvall::{PacketFlags, PacketInfo};

    fn packet(data: &[u8]) -> Packet<'_> {
        Packet {
            data,
            info: PacketInfo {
                timestamp_ns: 1_700_000_000_000_000_000,
                packet_type: rcvall::PacketType::Host,
                ifindex: 2,
                original_len: data.len() as u32,
                flags: PacketFlags::default(),
            },
        }
    }

    #[test]
    fn packet_boundaries_do_not_grow_across_flushes() {
        let dir = std::env::temp_dir().join(format!("rcvt-sink-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("leak.txt");
        let iface = Interface {
            index: 2,
            name: "rcvt0".into(),
            is_loopback: false,
        };
        let mut sink = Sink::open(
            Format::Text,
            Some(&path),
            std::slice::from_ref(&iface),
            &crate::config::text_config(&Default::default()).unwrap(),
        )
        .unwrap();
        for _ in 0..3 {
            for _ in 0..1000 {
                sink.packet(0, &iface, &packet(&[0x45; 60])).unwrap();
            }
            assert_eq!(sink.boundaries.len(), 1000);
            sink.commit().unwrap();
            assert!(
                sink.boundaries.is_empty(),
                "boundaries must not outlive a flush"
            );
        }
        assert_eq!(sink.written(), 3000);
        // Cutting back keeps every flushed packet.
        sink.packet(0, &iface, &packet(&[0x45; 60])).unwrap();
        let (kept, _) = sink.salvage().unwrap();
        assert_eq!(kept, 3000);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
