#!/usr/bin/env bash
# Replay is deterministic: the demo replayed twice gives byte-identical files (sha256).
set -euo pipefail
bin=$1 root=$2
a=$(mktemp -d) b=$(mktemp -d)
trap 'rm -rf "$a" "$b"' EXIT
for out in "$a" "$b"; do
  "$bin" --config "$root/rules/gauntlet.yaml" --replay "$root/pcaps/demo" --out "$out" \
    --trace "$out/trace.jsonl" >"$out/stdout.txt"
done
(cd "$a" && sha256sum ./* | sort) >"$a.sums"
(cd "$b" && sha256sum ./* | sort) >"$b.sums"
if ! diff -u "$a.sums" "$b.sums"; then
  echo "determinism: two replays of the demo differ"
  rm -f "$a.sums" "$b.sums"
  exit 1
fi
[ "$(wc -l <"$a.sums")" -eq 8 ] || { echo "determinism: expected 8 output files"; cat "$a.sums"; exit 1; }
rm -f "$a.sums" "$b.sums"
echo "determinism: 8 output files identical across two runs"
