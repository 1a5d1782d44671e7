#!/usr/bin/env bash
# bench/local_ab.sh - a quick A/B outside capbench (used while the shared bench lock was busy):
# cbgen (capbench-tools, built by capbench in ~/.cache/capbench) floods N frames of SIZE bytes from
# namespace rcvt-i9g over a veth to rcvt-i9c (198.18.99.0/24), generator pinned to CPU 0, the capturer
# to CPU 1 (the veth's default backlog mode: receive work on the generator's core, as capbench's
# default). Prints the capturer's CPU per captured packet: all threads' run time from
# /proc/PID/task/*/schedstat (nanoseconds; the 10 ms ticks of /proc/PID/stat are shown too).
# Usage (root): bench/local_ab.sh N SIZE CMD...   ({IF} = the capture interface). Both namespaces are
# removed at exit. Not a substitute for capbench: one run, coarse clock, no quiet-machine check.
set -u
N=$1; SIZE=$2; shift 2
G=rcvt-i9g; C=rcvt-i9c
cleanup() { ip netns del $G 2>/dev/null; ip netns del $C 2>/dev/null; }
trap cleanup EXIT
cleanup; ip netns add $G; ip netns add $C
ip link add rcvt-i9a netns $G type veth peer name rcvt-i9b netns $C
ip -n $G addr add 198.18.99.1/24 dev rcvt-i9a; ip -n $C addr add 198.18.99.2/24 dev rcvt-i9b
ip -n $G link set rcvt-i9a up; ip -n $C link set rcvt-i9b up; ip -n $G link set lo up; ip -n $C link set lo up
DMAC=$(ip netns exec $C cat /sys/class/net/rcvt-i9b/address); SMAC=$(ip netns exec $G cat /sys/class/net/rcvt-i9a/address)
CMD=${*//\{IF\}/rcvt-i9b}
ip netns exec $C taskset -c 1 $CMD 2>/tmp/i9prof.err & P=$!
sleep 1
runtime() { cat /proc/$P/task/*/schedstat 2>/dev/null | awk '{t += $1} END {print t}'; }
read -r u0 s0 < <(awk '{print $14, $15}' /proc/$P/stat); r0=$(runtime)
ip netns exec $G taskset -c 0 ~/.cache/capbench/cbgen -i rcvt-i9a -n $N -s $SIZE -f 4 -d $DMAC -S $SMAC -q -t 30 2>&1 | tail -1
sleep 0.3
read -r u1 s1 < <(awk '{print $14, $15}' /proc/$P/stat); r1=$(runtime)
kill -INT $P; wait $P
cap=$(grep "packets captured" /tmp/i9prof.err | awk '{print $1}')
echo "utime=$((u1-u0)) stime=$((s1-s0)) ticks; captured=$cap; ns/pkt=$(( (r1-r0) / (cap>0?cap:1) )) (schedstat), $(( (u1-u0+s1-s0) * 10000000 / (cap>0?cap:1) )) (ticks)"
