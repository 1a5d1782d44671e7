#!/usr/bin/env bash
# The main job on any machine: builds a two-host lab (network namespaces, 198.18.0.0/15 only),
# and shows SIO_RCVALL capturing a ping exchange in and out of one interface. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (sudo scripts/demo.sh)" >&2; exit 2; }
scripts/setup.sh
cargo build --release --quiet -p rcvall --example sniff

a=rcvtdemoa-$$-0; b=rcvtdemob-$$-1
cleanup() { ip netns del "$a" 2>/dev/null || true; ip netns del "$b" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$a"; ip netns add "$b"
ip link add rcvt0 netns "$a" type veth peer name rcvt0 netns "$b"
ip -n "$a" addr add 198.18.0.1/24 dev rcvt0; ip -n "$b" addr add 198.18.0.2/24 dev rcvt0
ip -n "$a" link set rcvt0 up; ip -n "$b" link set rcvt0 up

echo "# in $b: sniff 198.18.0.2 on 6   (while $a pings 198.18.0.2 three times)"
ip netns exec "$b" timeout 10 target/release/examples/sniff 198.18.0.2 on 6 &
sniffer=$!
sleep 0.5
ip netns exec "$a" ping -c 3 -i 0.2 -W 1 198.18.0.2 >/dev/null
wait "$sniffer"
