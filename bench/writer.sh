#!/usr/bin/env bash
# bench/writer.sh - issue 9's benchmark: capture to /dev/null and to a real file, rcvall against
# tcpdump (and netsniff-ng for files), interleaved in one session through ../shared/bench/capbench.sh.
#
# Usage (root): bench/writer.sh [GROUP:SIZE...]   groups: null (-w /dev/null, default rx mode),
#               stress (-w /dev/null, -X napi -g cbgen), disk (a file on the ext4 disk, the generator's
#               ceiling); default: disk:1514 null:64 null:1514 stress:64 stress:1514 disk:64.
# Env: N (packets, default 1000000), REPS (3), OUT (bench/results/i9),
#      BIN (target/release/rcvall), QUIET_MAX (20), RETRIES (1).
# Every capbench call holds /work/bench.lock (benchmarks never run two at once). Loops are bounded:
# cells x reps x tools.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CAPBENCH=${CAPBENCH:-$ROOT/../shared/bench/capbench.sh}
N=${N:-1000000}; REPS=${REPS:-3}
OUT=${OUT:-$HERE/results/i9}; BIN=${BIN:-$ROOT/target/release/rcvall}
QUIET_MAX=${QUIET_MAX:-20}; RETRIES=${RETRIES:-1}
CELLS=${*:-"disk:1514 null:64 null:1514 stress:64 stress:1514 disk:64"}
[[ $EUID -eq 0 ]] || { echo "writer.sh: needs root" >&2; exit 1; }
mkdir -p "$OUT/logs" "$OUT/pcap"
CSV=$OUT/writer.csv

tools_of() { case $1 in disk) echo "tcpdump nsng rcvall";; *) echo "tcpdump rcvall";; esac; }
cmd_of() { # group tool
  local target=/dev/null; [[ $1 = disk ]] && target={PCAP}
  case $2 in
    tcpdump) echo "tcpdump -i {IF} -w $target -n -B 32768";;
    nsng)    echo "netsniff-ng --in {IF} --out $target -s -A -Q -V";;
    rcvall)  echo "$BIN capture -i {IF} -q -w $target --format pcapng";;
  esac
}
mode_of() { case $1 in stress) echo "-X napi -g cbgen";; *) echo "";; esac; }

# Cells in the order given (most important first), each complete before the next: its
# repetitions interleave the tools (tcpdump, rcvall, ... rep 1; then rep 2; ...).
for cell in $CELLS; do
  group=${cell%%:*}; size=${cell##*:}
  for rep in $(seq 1 "$REPS"); do
    for tool in $(tools_of "$group"); do
      label=${group}_${tool}
      # shellcheck disable=SC2046
      LOGDIR=$OUT/logs flock /work/bench.lock "$CAPBENCH" $(mode_of "$group") -n "$N" -s "$size" -f 4 \
        -r 1 -I "$rep" -L "$label" -o "$CSV" -p "$OUT/pcap" -Q "$QUIET_MAX" -R "$RETRIES" \
        -- "$(cmd_of "$group" "$tool")" 2>&1 | grep '^capbench: .*ns/pkt' | tee -a "$OUT/run.log"
    done
  done
done
