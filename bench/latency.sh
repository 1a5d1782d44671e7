#!/usr/bin/env bash
# bench/latency.sh - delivery latency of rcvall::Capture at 1 kpps, low_latency(true) vs (false).
# Runs crates/rcvall/examples/latency.rs RUNS times (default 3): each run builds its own lab pair
# (testkit: namespaces rcvt*, 198.18.1.1 -> 198.18.1.2), sends 1000 pkt/s for SECS (5) seconds with
# a random instant inside each 1 ms slot, and removes the namespaces when done (also on SIGINT).
# One extra run with an exact 1 ms grid shows the phase-locking with the periodic retire timer.
# Output: bench/results/latency/latency.txt. Every run is bounded by `timeout`.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
RUNS=${RUNS:-3}; SECS=${SECS:-5}; RATE=${RATE:-1000}
OUT=${OUT:-$HERE/results/latency}
BIN=$ROOT/target-bench/release/examples/latency
[[ $EUID -eq 0 ]] || { echo "latency.sh: needs root" >&2; exit 1; }
if [[ ${NOBUILD:-0} != 1 ]]; then
  (cd "$ROOT" && CARGO_TARGET_DIR=$ROOT/target-bench cargo build --release -q -p rcvall --example latency) || exit 1
fi
mkdir -p "$OUT"
LOG=$OUT/latency.txt
CHILD=""
trap '[[ -n $CHILD ]] && kill -INT "$CHILD" 2>/dev/null; wait; exit 130' INT TERM
{
  echo "# latency.sh $(date -u +%FT%TZ) kernel $(uname -r) HZ=$(zcat /proc/config.gz 2>/dev/null | sed -n 's/^CONFIG_HZ=//p')"
  echo "# $BIN $SECS $RATE both jitter   (x$RUNS), then once with an exact grid"
} >> "$LOG"
for i in $(seq 1 "$RUNS"); do
  echo "## run $i $(date -u +%T)" >> "$LOG"
  timeout -s INT $((4 * SECS + 60)) "$BIN" "$SECS" "$RATE" both jitter >> "$LOG" 2>&1 &
  CHILD=$!; wait "$CHILD"; echo "## rc=$?" >> "$LOG"; CHILD=""
done
echo "## exact grid $(date -u +%T)" >> "$LOG"
timeout -s INT $((4 * SECS + 60)) "$BIN" "$SECS" "$RATE" low exact >> "$LOG" 2>&1 &
CHILD=$!; wait "$CHILD"; echo "## rc=$?" >> "$LOG"; CHILD=""
grep '^mode=' "$LOG" | tail -$((2 * RUNS + 1))
