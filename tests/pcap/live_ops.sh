#!/usr/bin/env bash
# Telemetry, Prometheus and the event log on a live run (see live_ops.py).
set -euo pipefail
bin=$1 root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 "$root/tests/pcap/live_ops.py" "$bin" "$tmp"
