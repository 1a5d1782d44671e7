//! `rcvall read FILE`: print a pcap or pcapng file as text or JSON lines, optionally filtered.

use crate::args::{FormatArg, ReadArgs};
use crate::config::{self, DEFAULT_SNAPLEN};
use anyhow::{anyhow, bail, Context, Result};
use rcvall_pcap::{decapsulate, CaptureReader};
use rcvall_wire::{Direction, TextPrinter};
use std::io::{BufReader, Read, Write};

/// Linux's packet type for outgoing packets: what `outbound` in a filter tests.
const PACKET_OUTGOING: u32 = 4;

pub fn run(args: &ReadArgs) -> Result<()> {
    let (filter, text) = config::usage(|| {
        if matches!(args.format, FormatArg::Pcap | FormatArg::Pcapng) {
            bail!("read prints text or json; to copy packets, use capture -w");
        }
        let words = config::filter_words(&args.text, &args.filter)?;
        Ok((
            config::compile_filter(&words, DEFAULT_SNAPLEN)?,
            config::text_config(&args.text)?,
        ))
    })?;
    let mut printer = TextPrinter::new(text.options);
    // `-` is standard input, as with `tcpdump -r -` (a pipe: the reader never seeks).
    let stdin = args.file.as_os_str() == "-";
    let name = if stdin {
        "standard input".to_owned()
    } else {
        args.file.display().to_string()
    };
    let input: Box<dyn Read> = if stdin {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(&args.file).with_context(|| format!("cannot open {name}"))?)
    };
    let mut reader = CaptureReader::new(BufReader::with_capacity(1 << 16, input))
        .map_err(|err| anyhow!("{name}: {err}"))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut line = String::new();
    loop {
        let record = match reader.next_record() {
            Ok(Some(record)) => record,
            Ok(None) => break,
            Err(err) => {
                out.flush().ok();
                return Err(anyhow!("{name}: {err}"));
            }
        };
        let Some(ip) = decapsulate(record.link_type, record.data) else {
            continue; // not an IP packet (ARP and such): rcvall prints IP only
        };
        let flags = record.flags.or(ip.flags);
        let direction = flags.and_then(|f| f.direction);
        let link_header = record.data.len() - ip.ip.len();
        let original_len = record.original_len.saturating_sub(link_header as u32);
        if let Some(filter) = &filter {
            let pkttype = if direction == Some(Direction::Out) {
                PACKET_OUTGOING
            } else {
                0
            };
            if filter.program.run(ip.ip, original_len, pkttype) == 0 {
                continue;
            }
        }
        line.clear();
        let _ = match args.format {
            FormatArg::Json => rcvall_wire::format_json(
                &mut line,
                record.timestamp_ns,
                direction,
                record.interface_name.map(|name| rcvall_wire::Interface {
                    name: Some(name),
                    index: None,
                }),
                ip.ip,
                original_len,
            ),
            // The whole frame: -xx/-XX/-AA dump its link-layer header too.
            _ => printer.write_frame(
                &mut line,
                record.timestamp_ns,
                direction,
                None,
                record.data,
                link_header,
                original_len,
            ),
        };
        line.push('\n');
        let written = out.write_all(line.as_bytes()).and_then(|()| {
            if text.line_buffered {
                out.flush()
            } else {
                Ok(())
            }
        });
        if let Err(err) = written {
            if err.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(());
            }
            return Err(err.into());
        }
    }
    match out.flush() {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(err.into()),
        _ => Ok(()),
    }
}
