//! The arguments `count` and `async_count` share, so capbench runs both the same way:
//! `<interface> [v4|v6|both] [ring-MiB] [batch|low]`.

use rcvall::Families;

/// What to capture and how.
pub struct CountArgs {
    pub interface: String,
    pub families: Families,
    pub ring_mib: u64,
    pub low_latency: bool,
}

impl CountArgs {
    /// Parses the process arguments; `program` names the usage line.
    pub fn from_env(program: &str) -> Result<CountArgs, Box<dyn std::error::Error>> {
        let usage = format!("usage: {program} <interface> [v4|v6|both] [ring-MiB] [batch|low]");
        let mut args = std::env::args().skip(1);
        let interface = args.next().ok_or(usage.clone())?;
        let families = match args.next().as_deref() {
            None | Some("both") => Families::Both,
            Some("v4") => Families::V4,
            Some("v6") => Families::V6,
            Some(other) => return Err(format!("unknown family {other}; {usage}").into()),
        };
        let ring_mib: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(32);
        let low_latency = match args.next().as_deref() {
            None | Some("batch") => false,
            Some("low") => true,
            Some(other) => return Err(format!("unknown latency mode {other}; {usage}").into()),
        };
        Ok(CountArgs {
            interface,
            families,
            ring_mib,
            low_latency,
        })
    }
}
