//! The command line as typed: a raw view, resolved and checked in `config`.

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Every IPv4/IPv6 packet of an interface, in and out — Windows' SIO_RCVALL for Linux.
#[derive(Debug, Parser)]
#[command(name = "rcvall", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once; the size of the capture variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List interfaces: index, name, state, PROMISC, addresses.
    List {
        /// One JSON object per interface.
        #[arg(long)]
        json: bool,
    },
    /// Capture the IP packets of one or more interfaces.
    Capture(CaptureArgs),
    /// Print a pcap or pcapng file (rcvall's, tcpdump's, Wireshark's).
    Read(ReadArgs),
    /// Compile a filter expression and print the classic BPF program.
    Bpf {
        /// The expression, e.g. `tcp port 443 and not host 198.18.0.7`.
        #[arg(required = true, num_args = 1..)]
        expression: Vec<String>,
        /// Print it as `tcpdump -d` does (default: one `{ code, jt, jf, k }` line each, as -dd).
        #[arg(short = 'd')]
        disassemble: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// Promiscuous: everything on the link (RCVALL_ON).
    On,
    /// Only what the NIC accepts without promiscuity (RCVALL_IPLEVEL).
    Iplevel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DirectionArg {
    In,
    Out,
    Inout,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Text,
    Json,
    Pcapng,
    Pcap,
}

#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// Capture the interface holding this local address (repeatable).
    #[arg(short = 'a', long = "address", value_name = "IP")]
    pub addresses: Vec<String>,
    /// Capture this interface (repeatable). Neither -a nor -i: the default route's interface.
    #[arg(short = 'i', long = "interface", value_name = "NAME")]
    pub interfaces: Vec<String>,
    /// on (promiscuous) or iplevel (no promiscuity, no packets for other hosts).
    #[arg(short = 'm', long, value_enum, default_value = "on")]
    pub mode: ModeArg,
    /// IPv4 only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// IPv6 only.
    #[arg(short = '6')]
    pub ipv6: bool,
    /// Packets received (in), sent (out) or both (inout).
    #[arg(short = 'Q', long, value_enum, default_value = "inout")]
    pub direction: DirectionArg,
    /// Stop after N packets.
    #[arg(short = 'c', long, value_name = "N")]
    pub count: Option<u64>,
    /// Stop after this long: 500ms, 10s, 2m, 1h.
    #[arg(long, value_name = "DUR")]
    pub duration: Option<String>,
    /// Bytes kept of each packet (default: all).
    #[arg(short = 's', long, value_name = "N")]
    pub snaplen: Option<u32>,
    /// Write packets to FILE (pcapng; pcap when FILE ends in .pcap); - is standard output.
    /// To a file a writer thread writes them (O_DIRECT where the file system allows it) from
    /// at most 32 MiB of buffers; when the disk falls that far behind, packets are counted as
    /// "dropped by writer" instead of stalling the capture. To a pipe, a device or standard
    /// output the capture thread writes them itself, full-size packets straight from the ring
    /// (the ring is the buffer; a slow reader shows as "dropped by kernel").
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Output format (default: text on standard output, pcapng with -w).
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// No live statistics line (shown on a terminal while writing a file with -w).
    #[arg(long = "no-live")]
    pub no_live: bool,
    /// Ring buffer size in KiB per interface, as tcpdump's -B (default 32768).
    #[arg(short = 'B', long = "buffer-size", value_name = "KiB")]
    pub buffer_kib: Option<u64>,
    /// Deliver each packet within milliseconds even on a quiet link (tcpdump's --immediate-mode).
    #[arg(long = "immediate-mode")]
    pub immediate: bool,
    /// Drop privileges to USER after opening the capture, before anything else runs.
    #[arg(short = 'Z', long = "user", value_name = "USER")]
    pub user: Option<String>,
    #[command(flatten)]
    pub text: TextArgs,
    #[command(flatten)]
    pub files: FileArgs,
    /// Filter expression (tcpdump syntax), e.g. `udp port 53 or icmp`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = false)]
    pub filter: Vec<String>,
}

/// Writing capture files: rotation as tcpdump's, buffering (see `writer` for the 32 MiB bound:
/// 32 buffers of 1 MiB).
#[derive(Debug, Args)]
pub struct FileArgs {
    /// Start a new file once the current one holds more than MB × 1,000,000 bytes: FILE, FILE1,
    /// FILE2 … (as tcpdump -C).
    #[arg(short = 'C', value_name = "MB", value_parser = clap::value_parser!(u64).range(1..))]
    pub file_size_mb: Option<u64>,
    /// Start a new file every SECONDS; FILE is then a strftime pattern (as tcpdump -G).
    #[arg(short = 'G', value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub rotate_seconds: Option<u64>,
    /// With -C: a ring of N files, FILE0 … FILE{N-1}. With -G alone: stop after N files.
    #[arg(short = 'W', value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub file_count: Option<u32>,
    /// Run COMMAND FILE on each file a rotation closes (as tcpdump -z), as the -Z user.
    #[arg(short = 'z', value_name = "COMMAND")]
    pub post_rotate: Option<String>,
    /// Packet-buffered: hand every ring batch to the writer at once instead of in 1 MiB buffers
    /// (as tcpdump -U).
    #[arg(short = 'U', long = "packet-buffered")]
    pub packet_buffered: bool,
    /// Write files through the page cache even where O_DIRECT works.
    #[arg(long = "no-direct-io")]
    pub no_direct_io: bool,
}

#[derive(Debug, Args)]
pub struct ReadArgs {
    /// The file to read (pcap or pcapng); `-` reads standard input, as `tcpdump -r -`.
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: FormatArg,
    #[command(flatten)]
    pub text: TextArgs,
    /// Filter expression (tcpdump syntax).
    #[arg(trailing_var_arg = true)]
    pub filter: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrecisionArg {
    Micro,
    Nano,
}

/// tcpdump's flags for the text output, shared by `capture` and `read`.
#[derive(Debug, Default, Args)]
#[command(next_help_heading = "Text output (as tcpdump's)")]
pub struct TextArgs {
    /// -t: no time; -tt: seconds since 1970; -ttt: since the previous packet; -tttt: date and
    /// local time; -ttttt: since the first packet. Default: local time of day (TZ honoured).
    #[arg(short = 't', action = ArgAction::Count)]
    pub time: u8,
    /// Sub-second digits of the time: micro (6, the default) or nano (9).
    #[arg(long = "time-stamp-precision", value_enum, value_name = "PRECISION")]
    pub precision: Option<PrecisionArg>,
    /// Same as --time-stamp-precision nano.
    #[arg(long = "nano", conflicts_with = "precision")]
    pub nano: bool,
    /// More detail: -v (IP header fields, checksums), -vv (more).
    #[arg(short = 'v', action = ArgAction::Count)]
    pub verbose: u8,
    /// Quick output: less protocol detail (tcp N, UDP, length N).
    #[arg(short = 'q')]
    pub quick: bool,
    /// Absolute TCP sequence numbers (default: relative to each connection's first).
    #[arg(short = 'S')]
    pub absolute_seq: bool,
    /// Hex dump of each packet after its line (-xx: from the link-layer header, when the file
    /// has one).
    #[arg(short = 'x', action = ArgAction::Count)]
    pub hex: u8,
    /// Hex and ASCII dump of each packet (-XX: from the link-layer header).
    #[arg(short = 'X', action = ArgAction::Count)]
    pub hex_ascii: u8,
    /// ASCII dump of each packet (-AA: from the link-layer header).
    #[arg(short = 'A', action = ArgAction::Count)]
    pub ascii: u8,
    /// Flush standard output after each line.
    #[arg(short = 'l')]
    pub line_buffered: bool,
    /// Accepted for tcpdump's habits: rcvall never resolves addresses, ports or protocols.
    #[arg(short = 'n', action = ArgAction::Count)]
    pub numeric: u8,
    /// Read the filter expression from FILE (`#` starts a comment); words after it are ignored.
    #[arg(short = 'F', value_name = "FILE")]
    pub filter_file: Option<PathBuf>,
}
