//! The real `rcvall` binary: help, exit statuses, and every kind of bad input (status 2, with a
//! message that names the culprit). No network traffic.

use std::process::{Command, Output};

fn rcvall(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rcvall"))
        .args(args)
        .output()
        .expect("run rcvall")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn help_lists_the_commands_and_the_capture_flags() {
    let out = rcvall(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for command in ["list", "capture", "read", "bpf"] {
        assert!(text.contains(command), "{command} in {text}");
    }
    let out = rcvall(&["capture", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--address",
        "--interface",
        "--mode",
        "-4",
        "-6",
        "--direction",
        "--count",
        "--duration",
        "--snaplen",
        "--write",
        "--format",
        "-q",
        "--no-live",
        "-tttt",
        "--time-stamp-precision",
        "-v",
        "-S",
        "-x",
        "-X",
        "-A",
        "-F",
        "-l",
        "--user",
        "--buffer-size",
        "--immediate-mode",
    ] {
        assert!(text.contains(flag), "{flag} missing from capture --help");
    }
    assert_eq!(rcvall(&["--version"]).status.code(), Some(0));
}

/// (arguments, a piece of the message that names the culprit)
const BAD_INPUT: &[(&[&str], &str)] = &[
    (&[], "Usage"),
    (&["bogus"], "bogus"),
    (&["capture", "--bogus-flag"], "--bogus-flag"),
    (&["capture", "-a", "not-an-ip"], "not-an-ip"),
    (&["capture", "-a", "198.18.0.300"], "198.18.0.300"),
    (&["capture", "-a", "0.0.0.0"], "unspecified"),
    (&["capture", "-a", "::"], "unspecified"),
    (&["capture", "-a", "198.18.99.99"], "198.18.99.99"),
    (&["capture", "-a", "2001:db8:99::99"], "2001:db8:99::99"),
    (&["capture", "-a", "198.18.0.1%lo"], "no scope"),
    (&["capture", "-i", "lo", "-m", "sideways"], "sideways"),
    (&["capture", "-i", "lo", "-Q", "up"], "up"),
    (&["capture", "-i", "lo", "-c", "0"], "-c 0"),
    (&["capture", "-i", "lo", "-c", "many"], "many"),
    (&["capture", "-i", "lo", "--duration", "10x"], "10x"),
    (&["capture", "-i", "lo", "--duration=-1s"], "-1s"),
    (&["capture", "-i", "lo", "-s", "big"], "big"),
    (&["capture", "-i", "rcvtnosuchif"], "rcvtnosuchif"),
    (&["capture", "-i", "lo", "-4", "-6"], "-6"),
    (&["capture", "-a", "127.0.0.1", "-6"], "127.0.0.1"),
    (
        &["capture", "-i", "lo", "-Z", "rcvt-no-such-user"],
        "rcvt-no-such-user",
    ),
    (&["capture", "-i", "lo", "tcp", "port"], "tcp port"),
    (&["capture", "-i", "lo", "port", "99999"], "99999"),
    (&["capture", "-i", "lo", "-B", "10"], "-B 10"),
    (&["capture", "-i", "lo", "--format", "xml"], "xml"),
    (&["read", "/dev/null", "--format", "pcap"], "text or json"),
    (&["read", "/dev/null", "host"], "host"),
    (&["bpf"], "EXPRESSION"),
    (&["bpf", "host"], "host"),
    (&["bpf", "ip", "and"], "ip and"),
];

#[test]
fn bad_input_exits_2_and_names_the_culprit() {
    assert!(BAD_INPUT.len() >= 20);
    for (args, culprit) in BAD_INPUT {
        let out = rcvall(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "rcvall {args:?}: {err}");
        assert!(
            err.contains(culprit),
            "rcvall {args:?}: {culprit:?} not in {err:?}"
        );
    }
}

#[test]
fn failures_at_run_time_exit_1() {
    let out = rcvall(&["read", "/nonexistent/rcvt.pcap"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("/nonexistent/rcvt.pcap"));
    let out = rcvall(&["read", "/etc/hostname"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn bpf_prints_the_program() {
    let out = rcvall(&["bpf", "-d", "udp", "port", "53"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("(000) "), "{text}");
    assert!(text.contains("ret"), "{text}");
    let out = rcvall(&["bpf", "ip"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().all(|l| l.starts_with("{ 0x")), "{text}");
}

#[test]
fn list_shows_loopback() {
    let out = rcvall(&["list"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains(" lo "));
    let out = rcvall(&["list", "--json"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().all(|l| l.starts_with('{') && l.ends_with('}')),
        "{text}"
    );
    assert!(text.contains("\"name\":\"lo\""));
}
