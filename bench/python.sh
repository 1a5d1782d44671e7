#!/usr/bin/env bash
# bench/python.sh - the Python benchmark of issue 11, driven through ../shared/bench/capbench.sh:
# the Windows sniffer's recvfrom loop and a recv_batch loop on rcvall's Python socket, against
# the naive Python AF_PACKET loop of BASELINE.md (capbench-tools/pyrecv.py), in the default
# mode (trafgen, backlog rx) and the stress mode (-g cbgen -X napi), 64 B and 1514 B, IPv4.
#
# Scenarios (labels in the CSV):
#   nocap               no capturer: the ceiling of the path
#   py_afpacket         capbench-tools/pyrecv.py {IF}: socket(AF_PACKET) + `while: s.recv(65535)`
#   py_rcvall_recvfrom  bench/py_rcvall.py ADDR recvfrom: `from rcvall import socket`, the Windows loop
#   py_rcvall_batch     bench/py_rcvall.py ADDR batch: `s.recv_batch(1024)`
#   py_rcvall_batch64   the same with `s.recv_batch(64)` (not in the default SCEN)
# All three Python capturers run on the same interpreter (the venv that has rcvall installed).
# Repetitions are interleaved (rep 1 of every mode, size and scenario, then rep 2, ...).
#
# Usage (root; one benchmark at a time on the machine):
#   flock /work/bench.lock bench/python.sh
# Env: REPS=3 REP0=1 SIZES="64 1514" MODES="default stress" SCEN="..." N_DEFAULT=2000000
#      N_STRESS=4000000 QUIET_MAX=8 RETRIES=0 OUT=bench/results/python NOBUILD=1
# Every loop is bounded (reps x modes x sizes x scenarios); capbench.sh cleans up its namespaces,
# processes and sysctls itself, also when this script is interrupted (it gets a TERM by pid).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CAPBENCH=${CAPBENCH:-$ROOT/../shared/bench/capbench.sh}
TOOLS=$(dirname "$CAPBENCH")/capbench-tools
REPS=${REPS:-3}; REP0=${REP0:-1}
SIZES=${SIZES:-"64 1514"}; MODES=${MODES:-"default stress"}
SCEN=${SCEN:-"nocap py_afpacket py_rcvall_recvfrom py_rcvall_batch"}
N_DEFAULT=${N_DEFAULT:-2000000}; N_STRESS=${N_STRESS:-4000000}
QUIET_MAX=${QUIET_MAX:-8}; RETRIES=${RETRIES:-0}
OUT=${OUT:-$HERE/results/python}; CSV=${CSV:-$OUT/main.csv}
VENV=${RCVALL_PYENV:-$ROOT/target/pyenv}
PY=$VENV/bin/python

[[ $EUID -eq 0 ]] || { echo "python.sh: needs root (capbench.sh builds namespaces)" >&2; exit 1; }
[[ -x $CAPBENCH ]] || { echo "python.sh: $CAPBENCH not found" >&2; exit 1; }
if [[ ${NOBUILD:-0} != 1 ]]; then
  "$ROOT/scripts/setup.sh" || exit 1
  PATH="$VENV/bin:$PATH" "$PY" -m pip install -q --disable-pip-version-check --no-build-isolation \
    --force-reinstall --no-deps "$ROOT/python" || { echo "python.sh: build failed" >&2; exit 1; }
fi
(cd / && "$PY" -c 'import rcvall') || { echo "python.sh: rcvall is not installed in $VENV" >&2; exit 1; }

capcmd() { # scenario -> capturer command ("" = none); capbench's capture host is 198.18.0.2
  case $1 in
    nocap)              echo "";;
    py_afpacket)        echo "$PY $TOOLS/pyrecv.py {IF}";;
    py_rcvall_recvfrom) echo "$PY $HERE/py_rcvall.py 198.18.0.2 recvfrom";;
    py_rcvall_batch)    echo "$PY $HERE/py_rcvall.py 198.18.0.2 batch";;
    py_rcvall_batch64)  echo "$PY $HERE/py_rcvall.py 198.18.0.2 batch 64";;
    *) echo "python.sh: unknown scenario $1" >&2; return 1;;
  esac
}

mkdir -p "$OUT/logs"
CHILD=""
on_signal() {
  echo "python.sh: interrupted; stopping capbench (pid ${CHILD:-none}), which cleans up" >&2
  [[ -n $CHILD ]] && kill -TERM "$CHILD" 2>/dev/null && wait "$CHILD" 2>/dev/null
  exit 130
}
trap on_signal INT TERM

{
  echo "# python.sh started $(date -u +%FT%TZ) on $(uname -r); REPS=$REPS REP0=$REP0 SIZES='$SIZES' MODES='$MODES'"
  echo "# SCEN='$SCEN' N_DEFAULT=$N_DEFAULT N_STRESS=$N_STRESS QUIET_MAX=$QUIET_MAX RETRIES=$RETRIES"
  echo "# rcvall $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null), $("$PY" -V 2>&1) at $PY"
} >> "$OUT/run.log"

total=0
for rep in $(seq "$REP0" $((REP0 + REPS - 1))); do
  for mode in $MODES; do
    for size in $SIZES; do
      for s in $SCEN; do
        cmd=$(capcmd "$s") || exit 1
        total=$((total + 1))
        if [[ $mode = stress ]]; then
          args=(-n "$N_STRESS" -g cbgen -X napi)
        else
          args=(-n "$N_DEFAULT")
        fi
        args+=(-s "$size" -f 4 -r 1 -I "$rep" -L "$s" -o "$CSV" -Q "$QUIET_MAX" -R "$RETRIES")
        echo "python.sh: [$(date -u +%T)] rep $rep $mode ${size}B $s" | tee -a "$OUT/run.log" >&2
        if [[ -n $cmd ]]; then
          LOGDIR=$OUT/logs "$CAPBENCH" "${args[@]}" -- "$cmd" 2>>"$OUT/run.log" &
        else
          LOGDIR=$OUT/logs "$CAPBENCH" "${args[@]}" 2>>"$OUT/run.log" &
        fi
        CHILD=$!
        wait "$CHILD"; rc=$?
        CHILD=""
        (( rc == 0 )) || echo "python.sh: capbench rc=$rc for rep $rep $mode ${size}B $s (1 = contaminated or error; see run.log)" | tee -a "$OUT/run.log" >&2
      done
    done
  done
done
echo "# python.sh finished $(date -u +%FT%TZ): $total capbench runs" >> "$OUT/run.log"
python3 "$HERE/py_summarize.py" "$CSV" > "$OUT/summary.md" && echo "python.sh: summary in $OUT/summary.md" >&2
