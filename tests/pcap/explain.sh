#!/usr/bin/env bash
# --explain: chosen packets of the demo case in plain words, checked line for line against
# explain_demo.expected (one line per packet: arrival, each layer's step, the final verdict);
# `all` explains every packet; a WAF block names its rule and field; a bad selection is
# refused before anything runs.
# Usage: explain.sh GAUNTLET SOURCE_ROOT
set -euo pipefail
bin=$(realpath "$1") root=$2
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$root"

"$bin" --config rules/gauntlet.yaml --replay pcaps/demo --out "$out" \
  --explain 1-4,9,13,27,31,37,53-55,57,59,66,74,77,79,91,94 >"$out/stdout"
grep '^#' "$out/stdout" >"$out/explain.txt"
if ! diff -u "$here/explain_demo.expected" "$out/explain.txt"; then
  echo "explain: the lines differ from explain_demo.expected"
  exit 1
fi

# `all`: one line per packet, numbered 1..N in order; the trace file is unchanged by it.
"$bin" --config rules/gauntlet.yaml --replay pcaps/demo --out "$out" --explain all \
  --trace "$out/trace.jsonl" >"$out/all"
packets=$(wc -l <pcaps/demo/expected/trace.jsonl)
lines=$(grep -c '^#' "$out/all")
seq_ok=$(grep '^#' "$out/all" | awk '{ if ($1 != "#" NR) bad = 1 } END { print bad ? "no" : "yes" }')
if [ "$lines" -ne "$packets" ] || [ "$seq_ok" != yes ]; then
  echo "explain all: $lines lines (in order: $seq_ok) for $packets packets"
  exit 1
fi
cmp pcaps/demo/expected/trace.jsonl "$out/trace.jsonl"

# A WAF block names the rule and the field it matched in, and the RST sent in its place.
if [ -f pcaps/waf-sqli-query/config.yaml ]; then
  "$bin" --config pcaps/waf-sqli-query/config.yaml --replay pcaps/waf-sqli-query --out "$out" \
    --explain 4 >"$out/waf"
  want='waf: STOP blocked (rule 942100 in args, score 5) (TCP RST sent via outside)'
  if ! grep -qF "$want" "$out/waf"; then
    echo "explain: waf-sqli-query #4 does not read '... $want'"
    grep '^#' "$out/waf" || true
    exit 1
  fi
fi

for bad in 0 4-2 x 3,,5; do
  rc=0
  "$bin" --config rules/gauntlet.yaml --replay pcaps/demo --out "$out" --explain "$bad" \
    >/dev/null 2>"$out/err" || rc=$?
  if [ $rc -ne 2 ] || ! grep -q -- '--explain' "$out/err"; then
    echo "explain '$bad': exit $rc, expected 2 with a message"
    exit 1
  fi
done
echo "explain: $(wc -l <"$out/explain.txt") chosen packets and all $packets match"
