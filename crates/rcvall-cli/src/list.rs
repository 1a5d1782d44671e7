//! `rcvall list`: what can be captured, and with which address.

use anyhow::Result;
use std::io::Write;

pub fn run(json: bool) -> Result<()> {
    let interfaces = rcvall::interfaces().map_err(|err| anyhow::anyhow!("{err}"))?;
    let mut out = std::io::stdout().lock();
    for info in interfaces {
        let addrs: Vec<String> = info
            .addresses
            .iter()
            .map(|(addr, scope)| match (addr, scope) {
                (std::net::IpAddr::V6(v6), s) if *s != 0 && v6.is_unicast_link_local() => {
                    format!("{v6}%{}", info.interface.name)
                }
                _ => addr.to_string(),
            })
            .collect();
        let written = if json {
            let mut line = format!("{{\"index\":{},\"name\":", info.interface.index);
            rcvall_wire::write_json_str(&mut line, &info.interface.name)?;
            line.push_str(&format!(
                ",\"up\":{},\"promisc\":{},\"loopback\":{},\"addresses\":[{}]}}",
                info.is_up,
                info.is_promisc,
                info.interface.is_loopback,
                addrs
                    .iter()
                    .map(|a| format!("\"{a}\""))
                    .collect::<Vec<_>>()
                    .join(",")
            ));
            writeln!(out, "{line}")
        } else {
            writeln!(
                out,
                "{:>3}  {:<15} {:<4}{}  {}",
                info.interface.index,
                info.interface.name,
                if info.is_up { "up" } else { "down" },
                if info.is_promisc { " PROMISC" } else { "" },
                addrs.join(" ")
            )
        };
        if let Err(err) = written {
            if err.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(());
            }
            return Err(err.into());
        }
    }
    Ok(())
}
