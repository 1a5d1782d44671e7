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
# The Python package's crate is outside the workspace (see python/Cargo.toml): its own checks.
cargo fmt --manifest-path python/Cargo.toml --check
cargo clippy --manifest-path python/Cargo.toml --all-targets -- -D warnings

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

echo "== Python package (pip install ./python, then pytest; lab tests as root)"
venv=${RCVALL_PYENV:-$PWD/target/pyenv}
# maturin from the venv, no build isolation: no download per run (setup.sh installed it).
PATH="$venv/bin:$PATH" "$venv/bin/python" -m pip install -q --disable-pip-version-check \
  --no-build-isolation --force-reinstall --no-deps ./python
# Run from the root: `python -m` puts the working directory first on sys.path, and from
# python/ that would import the source tree (no extension module) instead of the install.
set +e
"$venv/bin/python" -m pytest -q -p no:cacheprovider python/tests 2>&1 | tee -a "$log"
pytest_status=${PIPESTATUS[0]}
set -e

# The total, as one plain line (unit tests are counted twice: alone first, then again with
# the integration tests), with pytest's closing line ("3 failed, 49 passed, 1 error in 7s").
awk '/^test result:/ { p += $4; f += $6 }
     /^(=+ )?[0-9]+ (passed|failed|errors?|skipped|deselected|xfailed|xpassed|warnings?)[ ,]/ \
       && / in [0-9.]+s/ {
       for (i = 1; i < NF; i++) {
         w = $(i + 1); sub(/,$/, "", w)
         if (w == "passed") p += $i
         else if (w == "failed" || w == "error" || w == "errors") f += $i
       }
     }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$pytest_status"
