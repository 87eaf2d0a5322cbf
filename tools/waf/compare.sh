#!/usr/bin/env bash
# Measures gauntlet's WAF against ModSecurity 3 + OWASP CRS 3.3 on the same requests:
# builds the corpus (tools/waf/make_corpus.py), runs waf_eval and modsec_eval over it and
# prints both side by side per CRS family (detection), per benign set (false positives) and
# requests/s per core with their ratio. Prints figures only; never fails on a threshold.
#
#   tools/waf/compare.sh [OUT_DIR] [--build DIR] [--waf-config FILE] [--passes N] [--replay]
#
# OUT_DIR (default out/waf-compare) receives corpus.jsonl, gauntlet.json, modsecurity.json
# and each tool's text output. --build defaults to $GAUNTLET_BUILD or build; --waf-config to
# rules/gauntlet.yaml when it has a waf: section, else every rules/waf/*.yaml is used.
# --replay also writes the corpus as pcaps (OUT_DIR/pcaps), replays them through the
# gauntlet binary and prints what the dataplane blocked next to ModSecurity (replay.json).
set -euo pipefail

cd "$(dirname "$0")/../.."
out=out/waf-compare
build=${GAUNTLET_BUILD:-build}
waf_config=
passes=1
replay=0
while (($#)); do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --waf-config) waf_config=$2; shift 2 ;;
    --passes) passes=$2; shift 2 ;;
    --replay) replay=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "compare: unknown option $1" >&2; exit 2 ;;
    *) out=$1; shift ;;
  esac
done
mkdir -p "$out"

/usr/bin/python3 tools/waf/make_corpus.py --out "$out/corpus.jsonl" --summary > "$out/corpus.txt"
echo "corpus: $out/corpus.jsonl ($(wc -l < "$out/corpus.jsonl") requests;" \
     "counts in $out/corpus.txt)"

gauntlet_json=
if [ -x "$build/tools/waf/waf_eval" ]; then
  if [ -n "$waf_config" ]; then
    source_args=(--config "$waf_config")
  elif grep -q '^waf:' rules/gauntlet.yaml; then
    source_args=(--config rules/gauntlet.yaml)
  else
    source_args=(--rules rules/waf/*.yaml)
  fi
  echo "gauntlet: $build/tools/waf/waf_eval ${source_args[*]} --passes $passes"
  "$build/tools/waf/waf_eval" "${source_args[@]}" --corpus "$out/corpus.jsonl" \
    --passes "$passes" --json "$out/gauntlet.json" > "$out/gauntlet.txt"
  gauntlet_json=$out/gauntlet.json
else
  echo "gauntlet: $build/tools/waf/waf_eval is not built; running ModSecurity only"
fi

if [ ! -x "$build/tools/waf/modsec_eval" ]; then
  echo "compare: $build/tools/waf/modsec_eval is not built (needs libmodsecurity-dev and" \
       "modsecurity-crs: tools/setup.sh installs them)" >&2
  exit 1
fi
echo "ModSecurity: $build/tools/waf/modsec_eval --config tools/waf/modsecurity.conf" \
     "--passes $passes"
"$build/tools/waf/modsec_eval" --config tools/waf/modsecurity.conf --corpus "$out/corpus.jsonl" \
  --passes "$passes" --json "$out/modsecurity.json" > "$out/modsecurity.txt"

echo
/usr/bin/python3 tools/waf/compare_report.py "$out/modsecurity.json" $gauntlet_json
if ((replay)); then
  echo
  echo "dataplane replay: tools/waf/corpus_pcap.py --out-dir $out/pcaps, then" \
       "tools/waf/corpus_replay.py with $build/dataplane/gauntlet"
  rm -rf "$out/pcaps"
  /usr/bin/python3 tools/waf/corpus_pcap.py --out-dir "$out/pcaps" \
    --corpus "$out/corpus.jsonl" > "$out/pcaps.txt"
  /usr/bin/python3 tools/waf/corpus_replay.py --pcaps "$out/pcaps" \
    --gauntlet "$build/dataplane/gauntlet" --json "$out/replay.json" > "$out/replay.txt"
  echo "(the gauntlet column is the replay; it measures decisions, not speed)"
  /usr/bin/python3 tools/waf/compare_report.py "$out/modsecurity.json" "$out/replay.json"
fi
echo
echo "JSON: $out/modsecurity.json${gauntlet_json:+ $gauntlet_json}; misses and false positives" \
     "with their rule ids are listed there"
