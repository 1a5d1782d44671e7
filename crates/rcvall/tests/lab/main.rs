//! The faithful socket in the network-namespace lab (SPEC §2, §5). Needs root: run as CI does.
//! Every topology is removed when its test ends, also when it fails.

#[cfg(feature = "tokio")]
mod asyncio;
mod capture;
mod common;
mod engine;
mod errors;
mod filter;
mod lifecycle;
mod overlapped;
mod reliability;
