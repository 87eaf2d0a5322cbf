#!/usr/bin/env bash
# gauntlet against the DPDK I/O floor, in one run. Builds nothing; prints figures and
# never fails on a threshold.
#
#   tools/bench/run_bench.sh [BUILD_DIR] [--quick | --full] [--only A,B] [--workers N]
#                            [--duration S] [--warmup S] [--json FILE]
#
# BUILD_DIR defaults to build/ (relative to the repo root). For each scenario:
#   1. traffic: tools/bench/gen_traffic.py writes the scenario's pcap once (kept in
#      BUILD_DIR/bench-traffic/, regenerated when the generator changes);
#   2. the I/O floor: dpdk-testpmd (Debian's dpdk) io-forwards that pcap from
#      net_pcap,infinite_rx=1 to net_null on N forwarding cores (--record-core-cycles);
#      scenarios that share a pcap share its floor;
#   3. gauntlet live on the same vdevs (net_pcap on the port the traffic arrives on,
#      net_null,no-rx=1 on the other) with N workers, for a warm-up (one pass of the pcap:
#      the flows are created) plus the measured window, reading --summary-json.
# --quick (default, about a minute once the pcaps exist): 1 s windows, the scenarios
# marked quick, stage accounting (--stage-cycles) on in the timed run. --full: 5 s windows,
# every scenario, timed runs without accounting plus a second run per scenario for the
# per-stage split. --only runs the named scenarios; --workers N (default 1) splits the
# flows over N pcaps, one RX queue each. The WAF scenario (waf-http) is live traffic, not a
# pcap: gauntlet-trafficgen --http on core 0 and gauntlet (one worker) on core 1 over memif;
# it has no floor and prints Gbit/s of HTTP payload. Scenarios and figures: README.md,
# "Benchmarks".
# Logs, configs and the JSON go to a fresh /tmp/gauntlet_bench.* folder (--json: elsewhere).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=build
mode=quick
args=()
while (($#)); do
  case $1 in
    --quick) mode=quick; shift ;;
    --full) mode=full; shift ;;
    --only|--workers|--duration|--warmup|--json) args+=("$1" "$2"); shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) echo "run_bench.sh: unknown option $1" >&2; exit 2 ;;
    *) build=$1; shift ;;
  esac
done
[[ $build = /* ]] || build=$repo/$build
command -v "${DPDK_TESTPMD:-dpdk-testpmd}" >/dev/null ||
  { echo "run_bench.sh: dpdk-testpmd not found (Debian: dpdk)" >&2; exit 1; }
[[ -d $repo/../shared/corpora/classbench ]] ||
  { echo "run_bench.sh: missing $repo/../shared/corpora/classbench (ClassBench rules)" >&2; exit 1; }
exec /usr/bin/python3 "$repo/tools/bench/bench_driver.py" --build "$build" --mode "$mode" "${args[@]}"
