//! The classic BPF program rcvall attaches to its packet socket: it keeps one IP family of one
//! interface, drops what the mode excludes, and sets the snap length through its return value.
//!
//! Pure: it builds instructions and never talks to the kernel, so it is tested without root.

use crate::meta::PacketType;
use rcvall_types::Direction;

use rcvall_filter::insn::{
    BPF_A, BPF_ABS, BPF_JA, BPF_JEQ, BPF_JGT, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W,
};
pub use rcvall_filter::Insn;

const _: () = assert!(std::mem::size_of::<Insn>() == std::mem::size_of::<libc::sock_filter>());

/// Ancillary loads (linux/filter.h): negative offsets read skb fields, not packet bytes.
const SKF_AD_OFF: i32 = -0x1000;
const SKF_AD_PROTOCOL: i32 = 0;
const SKF_AD_PKTTYPE: i32 = 4;
const SKF_AD_IFINDEX: i32 = 8;

/// IPv4's ethertype (the skb's protocol, host order after the ancillary load).
pub const ETH_P_IP: u16 = 0x0800;
/// IPv6's ethertype.
pub const ETH_P_IPV6: u16 = 0x86DD;

/// Longest classic BPF program the kernel accepts (BPF_MAXINSNS).
pub const MAX_INSNS: usize = rcvall_filter::insn::BPF_MAXINSNS;

/// The value returned for an accepted packet when the whole packet is wanted: the kernel keeps
/// `min(len, return value)` bytes, so the largest value never truncates.
pub const WHOLE_PACKET: u32 = u32::MAX;

/// What the kernel-side program keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelFilter {
    /// Keep only packets of this interface. The hook is per interface already, but checking
    /// here too means no packet of another interface can slip in while the socket is rebound.
    pub ifindex: Option<u32>,
    /// Ethertypes to keep (one per family captured).
    pub ethertypes: Vec<u16>,
    /// Drop PACKET_OTHERHOST (IPLEVEL: only what the NIC would accept without promiscuity).
    pub drop_otherhost: bool,
    /// Drop PACKET_OUTGOING: on loopback every packet passes the tap twice (out, then in),
    /// so keeping only the inbound copy delivers it once.
    pub drop_outgoing: bool,
    /// Keep only packets of this direction class (None: both).
    pub direction: Option<Direction>,
    /// Bytes kept of each packet.
    pub snaplen: u32,
}

impl KernelFilter {
    /// The program: each check is `load; jeq; ret 0` so it composes with anything appended
    /// later without long jumps (classic BPF jump offsets are 8 bits).
    pub fn program(&self) -> Vec<Insn> {
        let mut prog = Vec::new();
        let keep_if_any = |prog: &mut Vec<Insn>, values: &[u16]| {
            // ld proto; jeq v1 -> accept-rest; jeq v2 -> accept-rest; ret 0
            prog.push(load_ancillary(SKF_AD_PROTOCOL));
            let n = values.len();
            for (i, value) in values.iter().enumerate() {
                let to_rest = (n - i) as u8; // skip remaining jeqs and the ret
                prog.push(jeq(u32::from(*value), to_rest, 0));
            }
            prog.push(ret(0));
        };
        if let Some(ifindex) = self.ifindex {
            prog.push(load_ancillary(SKF_AD_IFINDEX));
            prog.push(jeq(ifindex, 1, 0));
            prog.push(ret(0));
        }
        keep_if_any(&mut prog, &self.ethertypes);
        let mut drop_types = Vec::new();
        if self.drop_otherhost {
            drop_types.push(PacketType::OtherHost.pkttype());
        }
        if self.drop_outgoing || self.direction == Some(Direction::In) {
            drop_types.push(PacketType::Outgoing.pkttype());
        }
        if !drop_types.is_empty() || self.direction == Some(Direction::Out) {
            prog.push(load_ancillary(SKF_AD_PKTTYPE));
        }
        for pkttype in drop_types {
            prog.push(jeq(u32::from(pkttype), 0, 1));
            prog.push(ret(0));
        }
        if self.direction == Some(Direction::Out) {
            prog.push(jeq(u32::from(PacketType::Outgoing.pkttype()), 1, 0));
            prog.push(ret(0));
        }
        prog.push(ret(self.snaplen));
        prog
    }
}

/// A program that accepts nothing: what an OFF socket keeps attached.
pub fn reject_all() -> Vec<Insn> {
    vec![ret(0)]
}

impl KernelFilter {
    /// rcvall's checks for a capture of `iface` in `mode` (IPLEVEL drops other hosts'
    /// packets; on loopback the outgoing copy is dropped), keeping `ethertypes`, every
    /// direction and the whole packet: the one construction the socket and Capture share.
    pub(crate) fn for_interface(
        iface: &crate::Interface,
        ethertypes: Vec<u16>,
        mode: crate::RcvAll,
    ) -> KernelFilter {
        KernelFilter {
            ifindex: Some(iface.index),
            ethertypes,
            drop_otherhost: mode == crate::RcvAll::IpLevel,
            drop_outgoing: iface.is_loopback,
            direction: None,
            snaplen: WHOLE_PACKET,
        }
    }

    /// rcvall's checks followed by a user program (which sees the packet from its IP header).
    /// Every accept value is clamped to `snaplen`, so the snap length holds whatever the
    /// program returns: constant ones (`ret #k`) in place, and `ret a` by a jump to an
    /// epilogue that returns the smaller of A and `snaplen` (a jump is one instruction like
    /// the `ret` it replaces, so no other jump offset changes).
    pub fn then(&self, user: &[Insn], snaplen: u32) -> Vec<Insn> {
        let mut prog = self.program();
        prog.pop(); // the final `ret #snaplen`: the user program decides instead
        let start = prog.len();
        let clamp_a = snaplen != WHOLE_PACKET;
        let epilogue = start + user.len();
        prog.extend(user.iter().enumerate().map(|(i, insn)| match insn.code {
            c if c == BPF_RET | BPF_K => ret(insn.k.min(snaplen)),
            c if c == BPF_RET | BPF_A && clamp_a => Insn {
                code: BPF_JMP | BPF_JA,
                jt: 0,
                jf: 0,
                k: (epilogue - (start + i) - 1) as u32,
            },
            _ => *insn,
        }));
        if clamp_a && user.iter().any(|insn| insn.code == BPF_RET | BPF_A) {
            // A > snaplen ? ret #snaplen : ret a
            prog.push(Insn {
                code: BPF_JMP | BPF_JGT | BPF_K,
                jt: 0,
                jf: 1,
                k: snaplen,
            });
            prog.push(ret(snaplen));
            prog.push(Insn {
                code: BPF_RET | BPF_A,
                jt: 0,
                jf: 0,
                k: 0,
            });
        }
        prog
    }
}

fn load_ancillary(field: i32) -> Insn {
    Insn {
        code: BPF_LD | BPF_W | BPF_ABS,
        jt: 0,
        jf: 0,
        k: (SKF_AD_OFF + field) as u32,
    }
}

fn jeq(k: u32, jt: u8, jf: u8) -> Insn {
    Insn {
        code: BPF_JMP | BPF_JEQ | BPF_K,
        jt,
        jf,
        k,
    }
}

fn ret(k: u32) -> Insn {
    Insn {
        code: BPF_RET | BPF_K,
        jt: 0,
        jf: 0,
        k,
    }
}

/// Runs a program built by [`KernelFilter::program`] over a packet's ethertype and packet type.
/// Only the instructions that builder emits are understood; used to test the builder.
#[cfg(test)]
fn run(prog: &[Insn], ethertype: u16, pkttype: u8, ifindex: u32) -> u32 {
    let mut acc = 0u32;
    let mut pc = 0usize;
    loop {
        let insn = prog[pc];
        match insn.code {
            c if c == BPF_LD | BPF_W | BPF_ABS => {
                acc = match insn.k as i32 - SKF_AD_OFF {
                    SKF_AD_PROTOCOL => u32::from(ethertype),
                    SKF_AD_PKTTYPE => u32::from(pkttype),
                    SKF_AD_IFINDEX => ifindex,
                    other => panic!("unexpected ancillary load {other}"),
                };
                pc += 1;
            }
            c if c == BPF_JMP | BPF_JEQ | BPF_K => {
                pc += 1 + usize::from(if acc == insn.k { insn.jt } else { insn.jf });
            }
            c if c == BPF_RET | BPF_K => return insn.k,
            // For the clamp test: ld #k, ja, jgt #k, ret a.
            c if c == BPF_LD | rcvall_filter::insn::BPF_IMM => {
                acc = insn.k;
                pc += 1;
            }
            c if c == BPF_JMP | BPF_JA => pc += 1 + insn.k as usize,
            c if c == BPF_JMP | BPF_JGT | BPF_K => {
                pc += 1 + usize::from(if acc > insn.k { insn.jt } else { insn.jf });
            }
            c if c == BPF_RET | BPF_A => return acc,
            other => panic!("unexpected opcode {other:#x}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ETH_P_ARP: u16 = 0x0806;
    const ALL_TYPES: [PacketType; 5] = [
        PacketType::Host,
        PacketType::Broadcast,
        PacketType::Multicast,
        PacketType::OtherHost,
        PacketType::Outgoing,
    ];

    fn filter(ethertypes: &[u16]) -> KernelFilter {
        KernelFilter {
            ifindex: Some(7),
            ethertypes: ethertypes.to_vec(),
            drop_otherhost: false,
            drop_outgoing: false,
            direction: None,
            snaplen: WHOLE_PACKET,
        }
    }

    fn kept(f: &KernelFilter) -> Vec<(u16, PacketType)> {
        let prog = f.program();
        assert!(prog.len() <= MAX_INSNS);
        let mut kept = Vec::new();
        for ethertype in [ETH_P_IP, ETH_P_IPV6, ETH_P_ARP, 0x88b5] {
            for dir in ALL_TYPES {
                let verdict = run(&prog, ethertype, dir.pkttype(), 7);
                assert!(verdict == 0 || verdict == f.snaplen);
                if verdict != 0 {
                    kept.push((ethertype, dir));
                }
            }
        }
        kept
    }

    #[test]
    fn v4_on_keeps_every_ipv4_packet_type_and_nothing_else() {
        let kept = kept(&filter(&[ETH_P_IP]));
        assert_eq!(kept, ALL_TYPES.map(|d| (ETH_P_IP, d)).to_vec());
    }

    #[test]
    fn both_families_keep_ipv4_and_ipv6_only() {
        let kept = kept(&filter(&[ETH_P_IP, ETH_P_IPV6]));
        assert_eq!(kept.len(), 10);
        assert!(kept.iter().all(|(e, _)| *e == ETH_P_IP || *e == ETH_P_IPV6));
    }

    #[test]
    fn iplevel_drops_otherhost_only() {
        let f = KernelFilter {
            drop_otherhost: true,
            ..filter(&[ETH_P_IPV6])
        };
        let kept: Vec<_> = kept(&f).into_iter().map(|(_, d)| d).collect();
        assert_eq!(
            kept,
            [
                PacketType::Host,
                PacketType::Broadcast,
                PacketType::Multicast,
                PacketType::Outgoing
            ]
        );
    }

    #[test]
    fn loopback_drops_the_outgoing_copy() {
        let f = KernelFilter {
            drop_outgoing: true,
            drop_otherhost: true,
            ..filter(&[ETH_P_IP])
        };
        assert!(!kept(&f).iter().any(|(_, d)| *d == PacketType::Outgoing));
        assert!(kept(&f).contains(&(ETH_P_IP, PacketType::Host)));
    }

    #[test]
    fn direction_out_keeps_only_outgoing_and_in_everything_else() {
        let out = KernelFilter {
            direction: Some(Direction::Out),
            ..filter(&[ETH_P_IP])
        };
        assert_eq!(kept(&out), [(ETH_P_IP, PacketType::Outgoing)]);
        let inbound = KernelFilter {
            direction: Some(Direction::In),
            ..filter(&[ETH_P_IP])
        };
        assert_eq!(kept(&inbound).len(), 4);
        assert!(!kept(&inbound)
            .iter()
            .any(|(_, d)| *d == PacketType::Outgoing));
    }

    #[test]
    fn packets_of_other_interfaces_are_rejected() {
        let prog = filter(&[ETH_P_IP]).program();
        assert_eq!(run(&prog, ETH_P_IP, 0, 7), WHOLE_PACKET);
        assert_eq!(run(&prog, ETH_P_IP, 0, 8), 0);
        assert_eq!(run(&prog, ETH_P_IP, 4, 1), 0);
    }

    #[test]
    fn a_user_program_runs_after_the_checks_with_its_accepts_clamped() {
        let user = [ret(262_144)];
        let f = KernelFilter {
            snaplen: 128,
            ..filter(&[ETH_P_IP])
        };
        let prog = f.then(&user, 128);
        let own = f.program();
        assert_eq!(prog.len(), own.len() - 1 + user.len());
        assert_eq!(prog[..own.len() - 1], own[..own.len() - 1]);
        assert_eq!(prog[prog.len() - 1], ret(128));
        assert_eq!(
            run(&prog, ETH_P_IP, 0, 7),
            128,
            "accepted, clamped to the snap length"
        );
        assert_eq!(
            run(&prog, ETH_P_ARP, 0, 7),
            0,
            "rcvall's checks still apply"
        );
    }

    #[test]
    fn ret_a_is_clamped_to_the_snap_length() {
        let f = filter(&[ETH_P_IP]);
        let ld = |k| Insn {
            code: BPF_LD | rcvall_filter::insn::BPF_IMM,
            jt: 0,
            jf: 0,
            k,
        };
        let ret_a = Insn {
            code: BPF_RET | BPF_A,
            jt: 0,
            jf: 0,
            k: 0,
        };
        for (value, kept) in [(200, 128), (50, 50), (128, 128), (0, 0)] {
            let prog = f.then(&[ld(value), ret_a], 128);
            assert_eq!(run(&prog, ETH_P_IP, 0, 7), kept, "A = {value}");
        }
        // Without a snap length, `ret a` stays as it is.
        let prog = f.then(&[ld(9000), ret_a], WHOLE_PACKET);
        assert_eq!(run(&prog, ETH_P_IP, 0, 7), 9000);
    }

    #[test]
    fn reject_all_rejects() {
        assert_eq!(run(&reject_all(), ETH_P_IP, 0, 7), 0);
    }

    #[test]
    fn snaplen_is_the_accept_value() {
        let f = KernelFilter {
            snaplen: 96,
            ..filter(&[ETH_P_IP])
        };
        assert_eq!(run(&f.program(), ETH_P_IP, 0, 7), 96);
    }
}
