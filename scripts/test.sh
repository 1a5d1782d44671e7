#!/usr/bin/env bash
# Every test of the project, as CI runs it: style, lints, docs, the pure tests, then the lab tests
# (network namespaces; needs root). Installs what it needs first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "test.sh: run as root (sudo scripts/test.sh): the lab tests build network namespaces" >&2
  exit 2
fi
scripts/setup.sh

# Lab leftovers of this run (namespaces carry the creating pid) are removed even if a test
# process is killed before its own cleanup runs.
sweep() { scripts/lab-sweep.sh || true; }
trap sweep EXIT

echo "== fmt, clippy, docs"
cargo fmt --all --check
cargo clippy --workspace --all-targets --all-features -- -D warnings
cargo clippy --workspace --all-targets -- -D warnings   # the default build, without tokio
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features --quiet

# The async face is an optional feature; its tests run too, never silently skipped.
features=(--features rcvall/tokio)

# Every cargo test run is logged too, so the closing line can total them.
log=$(mktemp /tmp/rcvall-test.XXXXXX)
trap 'sweep; rm -f "$log"' EXIT

echo "== pure tests (no privileges used)"
cargo test --workspace "${features[@]}" --lib --bins 2>&1 | tee -a "$log"

echo "== doc tests"
cargo test --workspace "${features[@]}" --doc 2>&1 | tee -a "$log"

echo "== integration, lab and interop tests (root)"
cargo test --workspace "${features[@]}" --tests 2>&1 | tee -a "$log"

# The total, as one plain line (unit tests are counted twice: alone first, then again with
# the integration tests).
awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed\n", p, f }' "$log"
