#!/usr/bin/env bash
# --what-if: the demo case through rules/gauntlet.yaml (A) and a copy whose rule web-to-pods
# denies instead of allowing (B). The report (packets whose verdicts differ, A's and B's
# verdict, counts per change) must equal what_if_demo.expected, be the same on a second run,
# and A's own outputs must be the plain replay's. Identical configs differ nowhere; an
# invalid B is a config error with file:line:col before anything runs.
# Usage: what_if.sh GAUNTLET SOURCE_ROOT
set -euo pipefail
bin=$(realpath "$1") root=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$root"

sed -e 's/{ id: web-to-pods, action: allow,/{ id: web-to-pods, action: deny,/' \
  -e "s|rules: \[waf/|rules: [$root/rules/waf/|" rules/gauntlet.yaml >"$tmp/flipped.yaml"
if cmp -s rules/gauntlet.yaml "$tmp/flipped.yaml"; then
  echo "what-if: rule web-to-pods not found in rules/gauntlet.yaml"
  exit 1
fi

report() {  # OUT_DIR: the report, with the temporary folder taken out of B's path
  "$bin" --config rules/gauntlet.yaml --replay pcaps/demo --what-if "$tmp/flipped.yaml" \
    --out "$1" | sed "s|$tmp/||"
}
report "$tmp/one" >"$tmp/report1"
if ! diff -u "$here/what_if_demo.expected" "$tmp/report1"; then
  echo "what-if: the report differs from what_if_demo.expected"
  exit 1
fi
report "$tmp/two" >"$tmp/report2"
cmp "$tmp/report1" "$tmp/report2"
for f in outside.pcap inside.pcap trace.jsonl events.jsonl summary.json; do
  cmp "pcaps/demo/expected/$f" "$tmp/one/a/$f"
done

"$bin" --config rules/gauntlet.yaml --replay pcaps/demo --what-if rules/gauntlet.yaml \
  --out "$tmp/same" >"$tmp/same.txt"
grep -Eq '^what-if: .*: [0-9]+ packets, 0 with another verdict$' "$tmp/same.txt"
[ "$(wc -l <"$tmp/same.txt")" -eq 1 ]

cp rules/gauntlet.yaml "$tmp/bad.yaml"
echo "firewal: { default: allow }" >>"$tmp/bad.yaml"
rc=0
"$bin" --config rules/gauntlet.yaml --replay pcaps/demo --what-if "$tmp/bad.yaml" \
  --out "$tmp/bad" >/dev/null 2>"$tmp/err" || rc=$?
line=$(wc -l <"$tmp/bad.yaml")
if [ $rc -ne 2 ] || ! grep -q "^$tmp/bad.yaml:$line:1: error: unknown key 'firewal'" "$tmp/err" ||
  [ -e "$tmp/bad" ]; then
  echo "what-if with an invalid B: exit $rc, stderr:"
  cat "$tmp/err"
  exit 1
fi
echo "what-if: $(grep -c '^#' "$tmp/report1") packets differ, as expected"
