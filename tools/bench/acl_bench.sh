#!/usr/bin/env bash
# ACL classification cost: dpdk-test-acl and gauntlet's firewall stage (tools/bench/acl_bench)
# side by side, on the same ClassBench rules and trace, one after the other, pinned to the
# same core. Builds nothing; prints figures and never fails on a threshold.
#
#   tools/bench/acl_bench.sh [BUILD_DIR] [--iterations N] [--repeat R] [--core C] [--json FILE]
#
# BUILD_DIR defaults to build/ (relative to the repo root). The rule sets come from
# REPO/../shared/corpora/classbench. Both programs classify every trace packet N times
# (default 200) in batches of 32 (dpdk-test-acl --tracestep=32, gauntlet's burst size), with
# one category, and report TSC cycles per packet over the whole timed loop. The pair runs R
# times (default 5), alternating; the table shows each column's best (lowest) run, the JSON
# every run. TSC time includes any time the core spent on other work: on a loaded machine
# look at the spread in the JSON, not just the best run.
#
# Columns:
#   dpdk-test-acl   its "cycles/pkt" (--verbose=0: at its default verbosity it prints every
#                   packet's result inside the timed loop, which inflates the figure ~5x)
#   stage           gauntlet firewall_stage: keys from PacketContexts, rte_acl, verdicts; the
#                   trace's contexts (160 B each: 1.2 MiB for acl1) are visited burst by burst
#   classifier      gauntlet AclClassifier::classify4 alone on prebuilt keys
#   tput ratio      throughput ratio = gauntlet pkts/s / dpdk-test-acl pkts/s
#                   (= dpdk-test-acl cycles/pkt / gauntlet cycles/pkt); > 1 is faster
#   build           rte_acl build time in gauntlet (AclClassifier::build), best run
#   alg             rte_acl classify method used, dpdk-test-acl/gauntlet
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=build
iterations=200
repeat=5
core=0
json=
while (($#)); do
  case $1 in
    --iterations) iterations=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --core) core=$2; shift 2 ;;
    --json) json=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) echo "acl_bench.sh: unknown option $1" >&2; exit 2 ;;
    *) build=$1; shift ;;
  esac
done
[[ $build = /* ]] || build=$repo/$build
bench=$build/tools/bench/acl_bench
corpora=$repo/../shared/corpora/classbench
testacl=${DPDK_TEST_ACL:-dpdk-test-acl}
for f in "$bench" "$corpora/acl1_seed_1_8k.rules" "$corpora/fw1_seed_1_1k.rules"; do
  [[ -e $f ]] || { echo "acl_bench.sh: missing $f (build with ninja -C $build first)" >&2; exit 1; }
done
command -v "$testacl" >/dev/null || { echo "acl_bench.sh: $testacl not found (Debian: dpdk)" >&2; exit 1; }

eal=(-l "$core" --no-huge -m 1024 --no-pci --no-shconf "--log-level=*:warning")
logs=$(mktemp -d /tmp/acl_bench.XXXXXX)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# field NAME LINE: the value of NAME=VALUE in a RESULT line
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# min VALUES...: the smallest (the run least disturbed by other load)
min() { printf '%s\n' "$@" | sort -g | head -1; }

rows=()
json_rows=()
for set in acl1_seed_1_8k fw1_seed_1_1k; do
  rules=$corpora/$set.rules trace=$corpora/${set}.rules_trace
  t_all=() s_all=() c_all=() b_all=() bad=0
  for ((r = 1; r <= repeat; r++)); do
    tlog=$logs/$set.test-acl.$r glog=$logs/$set.gauntlet.$r
    taskset -c "$core" "$testacl" "${eal[@]}" -- --rulesf="$rules" --tracef="$trace" \
      --iter="$iterations" --tracestep=32 --bldcat=1 --runcat=1 --verbose=0 >"$tlog" 2>&1 ||
      { echo "acl_bench.sh: dpdk-test-acl failed, see $tlog" >&2; exit 1; }
    taskset -c "$core" "$bench" "${eal[@]}" -- --rules "$rules" --trace "$trace" \
      --iterations "$iterations" >"$glog" 2>&1 ||
      { echo "acl_bench.sh: acl_bench failed, see $glog" >&2; exit 1; }
    last=$(grep 'search_ip5tuples  *@lcore' "$tlog" | tail -1)
    t_all+=("$(sed -n 's/.* \([0-9.]*\) cycles\/pkt.*/\1/p' <<<"$last")")
    result=$(grep '^RESULT ' "$glog")
    s_all+=("$(field stage_cpp "$result")") c_all+=("$(field classify_cpp "$result")")
    b_all+=("$(field build_ms "$result")")
    bad=$((bad + $(field mismatches "$result")))
  done
  t_alg=$(sed -n 's/^ *alg=\([0-9]*\)/\1/p' "$tlog" | head -1)
  g_alg=$(sed -n 's/^ *alg=\([0-9]*\)/\1/p' "$glog" | head -1)
  n=$(field rules "$result") pkts=$(field packets "$result") mhz=$(field tsc_mhz "$result")
  t_cpp=$(min "${t_all[@]}") s_cpp=$(min "${s_all[@]}") c_cpp=$(min "${c_all[@]}")
  build_ms=$(min "${b_all[@]}")
  read -r t_mpps s_mpps c_mpps s_ratio c_ratio < <(awk -v f="$mhz" -v t="$t_cpp" -v s="$s_cpp" \
    -v c="$c_cpp" 'BEGIN { printf "%.2f %.2f %.2f %.2f %.2f\n", f / t, f / s, f / c, t / s, t / c }')
  rows+=("$(printf '%-14s %5s %7s %7s %6s %7s %6s %7s %6s %6s %5s %6s %5s' "$set" "$n" "$pkts" \
    "$t_cpp" "$t_mpps" "$s_cpp" "$s_mpps" "$c_cpp" "$c_mpps" "$s_ratio" "$c_ratio" "$build_ms" \
    "$t_alg/$g_alg")")
  ((bad == 0)) || rows+=("  !! $set: $bad gauntlet verdicts differ from the reference matcher (see $glog)")
  list() { local IFS=,; echo "[$*]"; }
  json_rows+=("$(printf '{"set": "%s", "rules": %s, "packets": %s, "dpdk_test_acl_cycles_per_pkt": %s, "dpdk_test_acl_mpps": %s, "stage_cycles_per_pkt": %s, "stage_mpps": %s, "classifier_cycles_per_pkt": %s, "classifier_mpps": %s, "stage_throughput_ratio": %s, "classifier_throughput_ratio": %s, "build_ms": %s, "reference_mismatches": %s, "alg_dpdk_test_acl": %s, "alg_gauntlet": %s, "runs": {"dpdk_test_acl_cycles_per_pkt": %s, "stage_cycles_per_pkt": %s, "classifier_cycles_per_pkt": %s, "build_ms": %s}}' \
    "$set" "$n" "$pkts" "$t_cpp" "$t_mpps" "$s_cpp" "$s_mpps" "$c_cpp" "$c_mpps" "$s_ratio" \
    "$c_ratio" "$build_ms" "$bad" "${t_alg:-null}" "${g_alg:-null}" "$(list "${t_all[@]}")" \
    "$(list "${s_all[@]}")" "$(list "${c_all[@]}")" "$(list "${b_all[@]}")")")
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

echo "ACL classification, core $core, $iterations iterations over each trace, batches of 32;" \
  "cycles are TSC cycles per packet"
echo "load average before: $load_before, after: $load_after ($(nproc) CPUs); logs: $logs"
printf '%-14s %5s %7s %-14s %-14s %-14s %-12s %6s %5s\n' "" "" "" " dpdk-test-acl" \
  " gauntlet stage" " classifier" " tput ratio" "build" "alg"
printf '%-14s %5s %7s %7s %6s %7s %6s %7s %6s %6s %5s %6s %5s\n' set rules packets cyc/pkt Mpps \
  cyc/pkt Mpps cyc/pkt Mpps stage clsf ms t/g
for r in "${rows[@]}"; do echo "$r"; done
echo "tput ratio = gauntlet pkts/s / dpdk-test-acl pkts/s (stage: firewall_stage; clsf: classifier only)"
echo "alg: rte_acl classify method (1 scalar, 2 sse, 3 avx2, 6 avx512x16, 7 avx512x32)"

if [[ -n $json ]]; then
  {
    printf '{"core": %s, "iterations": %s, "batch": 32, "load_before": "%s", "load_after": "%s", "sets": [\n' \
      "$core" "$iterations" "$load_before" "$load_after"
    for i in "${!json_rows[@]}"; do
      ((i == 0)) || printf ',\n'
      printf '  %s' "${json_rows[$i]}"
    done
    printf '\n]}\n'
  } >"$json"
  echo "wrote $json"
fi
