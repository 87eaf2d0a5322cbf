#!/usr/bin/env bash
# Golden case: replays pcaps/<case>/ through the real binary and compares every output
# (pcaps per port, per-packet trace, events, summary) byte for byte with
# pcaps/<case>/expected/. Usage: golden.sh GAUNTLET SOURCE_ROOT CASE
set -euo pipefail
bin=$1 root=$2 case=$3
dir=$root/pcaps/$case
config=$dir/config.yaml
[ -f "$config" ] || config=$root/rules/gauntlet.yaml
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$bin" --config "$config" --replay "$dir" --out "$out" --trace "$out/trace.jsonl" >"$out/stdout"

status=0
for f in outside.pcap inside.pcap trace.jsonl events.jsonl summary.json; do
  if ! cmp -s "$dir/expected/$f" "$out/$f"; then
    echo "golden $case: $f differs from expected/$f"
    case $f in
      *.pcap) cmp "$dir/expected/$f" "$out/$f" || true ;;
      *) diff -u "$dir/expected/$f" "$out/$f" | head -40 || true ;;
    esac
    status=1
  fi
done
[ $status -eq 0 ] && echo "golden $case: outputs match"
exit $status
