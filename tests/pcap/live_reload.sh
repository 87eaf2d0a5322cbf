#!/usr/bin/env bash
# Reload under traffic (see live_reload.py): 100 reloads between two configs while forwarding
# at full speed; every packet accounted for and judged by one whole generation.
set -euo pipefail
bin=$1 root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 "$root/tests/pcap/live_reload.py" "$bin" "$tmp"
