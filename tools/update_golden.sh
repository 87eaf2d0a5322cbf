#!/usr/bin/env bash
# Re-runs every golden case (pcaps/<case>/ with an expected/ folder, or the cases named on
# the command line) and rewrites pcaps/<case>/expected/. Review `git diff` before committing:
# an expected output is a claim about behaviour.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${GAUNTLET:-$root/build/dataplane/gauntlet}
cases=("$@")
if [ ${#cases[@]} -eq 0 ]; then
  for d in "$root"/pcaps/*/; do cases+=("$(basename "$d")"); done
fi
for c in "${cases[@]}"; do
  dir=$root/pcaps/$c
  config=$dir/config.yaml
  [ -f "$config" ] || config=$root/rules/gauntlet.yaml
  mkdir -p "$dir/expected"
  "$bin" --config "$config" --replay "$dir" --out "$dir/expected" --trace "$dir/expected/trace.jsonl" >/dev/null
  rm -f "$dir/expected/summary.txt" "$dir/expected/report.html"
  echo "updated pcaps/$c/expected"
done
