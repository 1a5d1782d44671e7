#![forbid(unsafe_code)]
//! pcapng and classic pcap for raw-IP captures: writers, a reader and link-layer decapsulation.
//!
//! * [`PcapngWriter`]: a Section Header Block (shb_userappl, optional shb_os), one Interface
//!   Description Block per interface (if_name, if_description, if_tsresol = 9), Enhanced Packet
//!   Blocks with direction and reception type in epb_flags, Interface Statistics Blocks.
//! * [`PcapWriter`]: classic pcap with the nanosecond magic.
//! * [`CaptureReader`]: reads both formats as tcpdump, tshark and dumpcap write them, and gives
//!   back every whole record of a file that was cut short, then an error naming the offset.
//! * [`EpbEncoder`], [`encode_pcap_record`]: the same records encoded into a caller's slice, the
//!   capture's hot path; [`whole_records`] finds where a cut-short file's last whole record ends.
//! * [`decapsulate`]: finds the IP packet in a record of any common link type.
//!
//! Nothing here does I/O of its own: writers take any `io::Write`, the reader any `io::Read`,
//! and timestamps are passed in (nanoseconds since the Unix epoch). Writers emit the host's
//! byte order, as libpcap does; readers accept either.

mod decap;
pub mod encode;
mod flags;
mod linktype;
pub mod pcap;
pub mod pcapng;
mod read;

pub use decap::{decapsulate, Decapsulated, IpVersion};
pub use encode::{encode_pcap_record, pcap_record_framing, whole_records, EpbEncoder, Framing};
pub use flags::{Direction, EpbFlags, Reception};
pub use linktype::LinkType;
pub use pcap::PcapWriter;
pub use pcapng::{
    encode_statistics, InterfaceDesc, InterfaceStats, PacketRecord, PcapngWriter, SectionDesc,
    DEFAULT_SNAPLEN,
};
pub use read::{
    ByteOrder, CaptureReader, FileFormat, InterfaceInfo, ReadError, Record, TsUnit, MAX_RECORD_LEN,
};
