#!/usr/bin/env bash
# Installs what the lab tests and benchmarks need on a fresh Debian machine (run as root).
# Idempotent: does nothing when every tool is already there.
set -euo pipefail
need=()
command -v ip       >/dev/null || need+=(iproute2)
command -v bridge   >/dev/null || need+=(iproute2)
command -v ethtool  >/dev/null || need+=(ethtool)
command -v tcpdump  >/dev/null || need+=(tcpdump)
command -v tshark   >/dev/null || need+=(tshark)
command -v trafgen  >/dev/null || need+=(netsniff-ng)
command -v ping     >/dev/null || need+=(iputils-ping)
command -v python3  >/dev/null || need+=(python3-minimal)
command -v setpriv  >/dev/null || need+=(util-linux)
command -v capsh    >/dev/null || need+=(libcap2-bin)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer no, unattended.
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
