#!/usr/bin/env bash
# bench/run.sh - rcvall's capture benchmark, driven through ../shared/bench/capbench.sh.
#
# trafgen blasts N UDP frames cb-gen -> cb-cap over veth (capbench's private namespaces,
# 198.18.0.0/15 and 2001:db8:cb::/64 only); one capturer per run on the receiving interface.
# Repetitions are interleaved (rep 1 of every scenario, then rep 2, ...) like BASELINE's
# run_matrix, so slow drift of the shared VM spreads over all scenarios.
#
# Scenarios (labels in the CSV):
#   nocap          no capturer: the generator ceiling of the path
#   rcvall_count   crates/rcvall/examples/count.rs: rcvall::Capture (32 MiB ring), counts every frame
#   rcvall_async   crates/rcvall/examples/async_count.rs: the same through AsyncCapture on tokio
#   rcvall_pcapng  target-bench/release/rcvall capture -i IF -w /dev/null  (pcapng encoder)
#   rcvall_recv    crates/rcvall/examples/recv_count.rs: the faithful Socket, SIO_RCVALL ON, recv() loop
#   tcpdump        tcpdump -i IF -w /dev/null -n -B 32768
#   nsng           netsniff-ng --in IF --out /dev/null -s -A -Q -V   (as BASELINE.md, default ring)
#
# Usage (root): bench/run.sh            # full matrix: 64/1514 B x IPv4/IPv6 x all scenarios x 3 reps
# Env: N=2000000 REPS=3 SIZES="64 1514" FAMS="4 6" SCEN_V4="..." SCEN_V6="..." REP0=1
#      QUIET_MAX=8 RETRIES=0 OUT=bench/results CSV=$OUT/main.csv NOBUILD=1
#      CB_EXTRA="-g cbgen -X napi"  (extra capbench options: the stress mode)
# Every loop is bounded (reps x families x sizes x scenarios); capbench.sh cleans up its namespaces,
# processes and sysctls itself, also when this script is interrupted (it gets a TERM by pid).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CAPBENCH=${CAPBENCH:-$ROOT/../shared/bench/capbench.sh}
N=${N:-2000000}; REPS=${REPS:-3}; REP0=${REP0:-1}
SIZES=${SIZES:-"64 1514"}; FAMS=${FAMS:-"4 6"}
ALL="nocap rcvall_count rcvall_async rcvall_pcapng rcvall_recv tcpdump nsng"
read -r -a CB_EXTRA <<< "${CB_EXTRA:-}"
SCEN_V4=${SCEN_V4:-$ALL}; SCEN_V6=${SCEN_V6:-$ALL}
QUIET_MAX=${QUIET_MAX:-8}; RETRIES=${RETRIES:-0}
OUT=${OUT:-$HERE/results}; CSV=${CSV:-$OUT/main.csv}
BIN=$ROOT/target-bench/release

[[ $EUID -eq 0 ]] || { echo "run.sh: needs root (capbench.sh builds namespaces)" >&2; exit 1; }
[[ -x $CAPBENCH ]] || { echo "run.sh: $CAPBENCH not found" >&2; exit 1; }
for t in tcpdump netsniff-ng trafgen capinfos; do command -v $t >/dev/null || { echo "run.sh: missing $t (scripts/setup.sh)" >&2; exit 1; }; done

if [[ ${NOBUILD:-0} != 1 ]]; then
  (cd "$ROOT" && CARGO_TARGET_DIR=$ROOT/target-bench cargo build --release -q -p rcvall-cli -p rcvall \
      --features rcvall/tokio --bin rcvall --example count --example async_count --example recv_count \
      --example latency) || { echo "run.sh: build failed" >&2; exit 1; }
fi
for b in "$BIN/rcvall" "$BIN/examples/count" "$BIN/examples/async_count" "$BIN/examples/recv_count"; do
  [[ -x $b ]] || { echo "run.sh: missing $b" >&2; exit 1; }
done

capcmd() { # scenario fam -> capturer command ("" = none)
  local cap_addr=198.18.0.2; [[ $2 = 6 ]] && cap_addr=2001:db8:cb::2
  case $1 in
    nocap)         echo "";;
    rcvall_count)  echo "$BIN/examples/count {IF} both 32";;
    rcvall_async)  echo "$BIN/examples/async_count {IF} both 32";;
    rcvall_pcapng) echo "$BIN/rcvall capture -i {IF} -w /dev/null";;
    rcvall_recv)   echo "$BIN/examples/recv_count $cap_addr";;
    tcpdump)       echo "tcpdump -i {IF} -w /dev/null -n -B 32768";;
    nsng)          echo "netsniff-ng --in {IF} --out /dev/null -s -A -Q -V";;
    *) echo "run.sh: unknown scenario $1" >&2; return 1;;
  esac
}

mkdir -p "$OUT/logs"
CHILD=""
on_signal() {
  echo "run.sh: interrupted; stopping capbench (pid ${CHILD:-none}), which cleans up" >&2
  [[ -n $CHILD ]] && kill -TERM "$CHILD" 2>/dev/null && wait "$CHILD" 2>/dev/null
  exit 130
}
trap on_signal INT TERM

{
  echo "# run.sh started $(date -u +%FT%TZ) on $(uname -r); N=$N REPS=$REPS REP0=$REP0 SIZES='$SIZES' FAMS='$FAMS'"
  echo "# SCEN_V4='$SCEN_V4' SCEN_V6='$SCEN_V6' QUIET_MAX=$QUIET_MAX RETRIES=$RETRIES"
  echo "# rcvall $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null) (+ uncommitted tree), binaries in $BIN"
} >> "$OUT/run.log"

total=0
for rep in $(seq "$REP0" $((REP0 + REPS - 1))); do
  for fam in $FAMS; do
    for size in $SIZES; do
      scen=$SCEN_V4; [[ $fam = 6 ]] && scen=$SCEN_V6
      for s in $scen; do
        cmd=$(capcmd "$s" "$fam") || exit 1
        total=$((total + 1))
        echo "run.sh: [$(date -u +%T)] rep $rep v$fam ${size}B $s" | tee -a "$OUT/run.log" >&2
        args=(-n "$N" -s "$size" -f "$fam" -r 1 -I "$rep" -L "$s" -o "$CSV" -Q "$QUIET_MAX" -R "$RETRIES" "${CB_EXTRA[@]}")
        if [[ -n $cmd ]]; then
          LOGDIR=$OUT/logs "$CAPBENCH" "${args[@]}" -- "$cmd" 2>>"$OUT/run.log" &
        else
          LOGDIR=$OUT/logs "$CAPBENCH" "${args[@]}" 2>>"$OUT/run.log" &
        fi
        CHILD=$!
        wait "$CHILD"; rc=$?
        CHILD=""
        # capbench exits 1 when its last attempt was contaminated (its final `(( LAST_CONTAM == 0 ))`),
        # and on errors; the CSV row and run.log tell which.
        (( rc == 0 )) || echo "run.sh: capbench rc=$rc for rep $rep v$fam ${size}B $s (1 = contaminated or error; see run.log)" | tee -a "$OUT/run.log" >&2
        tail -1 "$OUT/run.log" | grep -q '^capbench: ' && tail -1 "$OUT/run.log" >&2
      done
    done
  done
done
echo "# run.sh finished $(date -u +%FT%TZ): $total capbench runs" >> "$OUT/run.log"
python3 "$HERE/summarize.py" "$CSV" > "$OUT/summary.md" && echo "run.sh: summary in $OUT/summary.md" >&2
