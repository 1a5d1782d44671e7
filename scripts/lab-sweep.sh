#!/usr/bin/env bash
# Removes lab namespaces (rcvt*-PID-N) whose creating process is gone. Touches nothing else.
set -u
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^rcvt' || true); do
  pid=$(echo "$ns" | sed -nE 's/^rcvt[^-]*-([0-9]+)-[0-9]+$/\1/p')
  if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
    ip netns del "$ns" 2>/dev/null && echo "lab-sweep: removed stale namespace $ns" >&2
  fi
done
