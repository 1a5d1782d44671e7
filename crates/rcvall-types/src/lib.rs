//! The vocabulary every rcvall layer shares: the engine filters by it, the pcapng writer
//! records it, the printers print it. A leaf crate, so that no layer depends on another just
//! to name a packet's direction.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// Which way a packet passed the interface, relative to the capturing host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Received by the interface (for this host, broadcast, multicast, or — in promiscuous
    /// mode — for another host).
    In,
    /// Sent or forwarded out of the interface by this host.
    Out,
}

impl Direction {
    /// `"in"` or `"out"`, as tcpdump's `-Q` spells them.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Direction;

    #[test]
    fn directions_are_spelled_as_tcpdump_q_takes_them() {
        assert_eq!(Direction::In.to_string(), "in");
        assert_eq!(Direction::Out.as_str(), "out");
    }
}
