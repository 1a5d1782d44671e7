#!/usr/bin/env bash
# The main job on any machine: builds a two-host lab (network namespaces, 198.18.0.0/15 and
# 2001:db8::/32 only) and shows `rcvall capture` taking every IP packet of one interface, in
# and out, as text and as pcapng. Needs root. Removes everything it made, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (sudo scripts/demo.sh)" >&2; exit 2; }
scripts/setup.sh
cargo build --release --quiet -p rcvall-cli
rcvall=$PWD/target/release/rcvall

a=rcvtdemoa-$$-0; b=rcvtdemob-$$-1; out=$(mktemp -d /tmp/rcvt-demo.XXXXXX)
cleanup() { ip netns del "$a" 2>/dev/null || true; ip netns del "$b" 2>/dev/null || true; rm -rf "$out"; }
trap cleanup EXIT
ip netns add "$a"; ip netns add "$b"
for ns in "$a" "$b"; do ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0; done
ip link add rcvt0 netns "$a" type veth peer name rcvt0 netns "$b"
ip -n "$a" addr add 198.18.0.1/24 dev rcvt0; ip -n "$b" addr add 198.18.0.2/24 dev rcvt0
ip -n "$a" addr add 2001:db8::1/64 dev rcvt0 nodad; ip -n "$b" addr add 2001:db8::2/64 dev rcvt0 nodad
ip -n "$a" link set rcvt0 up; ip -n "$b" link set rcvt0 up
sleep 1  # let the link-up multicast reports pass

traffic() {
  ip netns exec "$a" ping -c 2 -i 0.2 -W 1 198.18.0.2 >/dev/null
  ip netns exec "$a" ping -c 1 -W 1 2001:db8::2 >/dev/null
}

echo "# rcvall list   (in $b)"
ip netns exec "$b" "$rcvall" list
echo
echo "# rcvall capture -a 198.18.0.2 -c 4        while $a pings 198.18.0.2"
ip netns exec "$b" "$rcvall" capture -a 198.18.0.2 -c 4 &
capture=$!; sleep 0.5; traffic; wait "$capture"
echo
echo "# rcvall capture -i rcvt0 -c 6 -w demo.pcapng 'icmp or icmp6'   then: rcvall read demo.pcapng"
ip netns exec "$b" "$rcvall" capture -i rcvt0 -c 6 -w "$out/demo.pcapng" icmp or icmp6 &
capture=$!; sleep 0.5; traffic; wait "$capture"
"$rcvall" read "$out/demo.pcapng"
