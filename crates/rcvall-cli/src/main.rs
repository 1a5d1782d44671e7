//! The `rcvall` command. Glue only: the library crates do the work.
//!
//! Exit status: 0 when stopped by -c, --duration, SIGINT or SIGTERM (or when the reader of
//! standard output went away); 2 for invalid input; 1 for a failure at run time.

mod args;
mod capture;
mod config;
mod list;
mod output;
mod privs;
mod read;
mod writer;

use args::{Cli, Command};
use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    // clap exits with status 2 on bad flags and 0 on --help/--version, as tcpdump users expect.
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::List { json } => list::run(*json),
        Command::Capture(args) => config::capture(args).and_then(capture::run),
        Command::Read(args) => read::run(args),
        Command::Bpf {
            expression,
            disassemble,
        } => bpf(expression, *disassemble),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let usage = err.downcast_ref::<config::UsageError>().is_some();
            eprintln!("rcvall: {err:#}");
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

/// `rcvall bpf EXPR`: the program the kernel would run (after rcvall's own checks).
fn bpf(words: &[String], disassemble: bool) -> anyhow::Result<()> {
    let filter = config::usage(|| {
        config::compile_filter(words, config::DEFAULT_SNAPLEN)?
            .ok_or_else(|| anyhow::anyhow!("the expression is empty"))
    })?;
    let text = if disassemble {
        filter.program.disassemble()
    } else {
        filter
            .program
            .insns()
            .iter()
            .map(|i| {
                format!(
                    "{{ {:#04x}, {}, {}, {:#010x} }},\n",
                    i.code, i.jt, i.jf, i.k
                )
            })
            .collect()
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(err.into()),
        _ => Ok(()),
    }
}
