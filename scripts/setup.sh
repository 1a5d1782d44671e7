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
# The Python package builds and tests in a venv of its own (Debian's Python is "externally
# managed", PEP 668: pip may not install into it); venv and ensurepip come with python3-venv.
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv python3-pip)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer no, unattended.
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

# The venv for the Python package (target/pyenv, or $RCVALL_PYENV): maturin builds it,
# pytest tests it. Created and filled only when something is missing.
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${RCVALL_PYENV:-$root/target/pyenv}
python3 -c 'import sys; sys.exit(sys.version_info < (3, 9))' || {
  echo "setup: the Python package needs Python >= 3.9 (python3 is $(python3 -V 2>&1))" >&2
  exit 1
}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
if ! "$venv/bin/python" -c 'import maturin, pytest' 2>/dev/null; then
  echo "setup: installing maturin and pytest into $venv" >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check 'maturin>=1.16,<2' 'pytest>=7'
fi
