#!/usr/bin/env bash
# Line-rate benchmark of gauntlet on local virtual links: gauntlet-trafficgen serves two
# memif sockets (its ports 0 and 1), gauntlet attaches to them as its outside and inside
# ports with the shipped config, and the generator searches the zero-loss throughput (NDR)
# and the partial-drop rate (PDR) of internet -> pod UDP traffic through the firewall,
# conntrack and forward layers. For NICs, run the two binaries on their own port pairs
# instead (README.md, "Line-rate benchmarking").
#   tools/trafficgen/linerate.sh [--sizes 64|imix] [--flows N] [--trial S] [--out DIR] [--plot]
# --plot also draws the search (loss and latency against offered rate) as DIR/linerate.png.
# Needs two cores at least (one each); more cores give steadier figures.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${GAUNTLET_BUILD:-$root/build}
sizes=64 flows=1024 trial=1 out=$(mktemp -d) plot=0
while [ $# -gt 0 ]; do
  case $1 in
    --sizes) sizes=$2; shift 2 ;;
    --flows) flows=$2; shift 2 ;;
    --trial) trial=$2; shift 2 ;;
    --out) out=$2; mkdir -p "$out"; shift 2 ;;
    --plot) plot=1; shift ;;
    *) echo "usage: $0 [--sizes 64|imix|a,b] [--flows N] [--trial S] [--out DIR] [--plot]" >&2; exit 2 ;;
  esac
done
plot_args=()
[ "$plot" = 1 ] && plot_args=(--plot "$out/linerate.png")
gen=$build/tools/trafficgen/gauntlet-trafficgen
bin=$build/dataplane/gauntlet
sock=$(mktemp -d)
gl=""
trap '[ -n "$gl" ] && kill -TERM "$gl" 2>/dev/null; wait 2>/dev/null; rm -rf "$sock"' EXIT

sed -e "s|device: net_af_packet0,iface=gl-out|device: net_memif0,role=client,socket=$sock/outside.sock|" \
    -e "s|device: net_af_packet1,iface=gl-in|device: net_memif1,role=client,socket=$sock/inside.sock|" \
    -e "s|rules: \\[waf/|rules: [$root/rules/waf/|" \
    "$root/rules/gauntlet.yaml" >"$sock/dut.yaml"

"$gen" -l 0 --no-huge -m 1024 --no-pci --single-file-segments --file-prefix "tg-$$" --log-level='*:warning' \
  --vdev "net_memif0,role=server,socket=$sock/outside.sock" \
  --vdev "net_memif1,role=server,socket=$sock/inside.sock" \
  -- --tx-port 0 --rx-port 1 --sizes "$sizes" --flows "$flows" --duration "$trial" --search \
  --json "$out/linerate.json" "${plot_args[@]}" --hold-until "$sock/done" >"$out/trafficgen.txt" 2>"$out/trafficgen.err" &
tg=$!
for _ in $(seq 50); do [ -S "$sock/outside.sock" ] && [ -S "$sock/inside.sock" ] && break; sleep 0.1; done
"$bin" -l 1 --no-huge -m 1024 --no-pci --single-file-segments --file-prefix "dut-$$" --log-level='*:warning' \
  -- --config "$sock/dut.yaml" --duration 600 >"$out/gauntlet.txt" 2>"$out/gauntlet.err" &
gl=$!
# Stop gauntlet once the generator has written its results, then release the generator.
for _ in $(seq 36000); do [ -s "$out/linerate.json" ] && break; kill -0 "$tg" 2>/dev/null || break; sleep 0.1; done
kill -TERM "$gl" 2>/dev/null || true
wait "$gl" 2>/dev/null || true
gl=""
touch "$sock/done"
rc=0
wait "$tg" || rc=$?
cat "$out/trafficgen.txt"
[ $rc -eq 0 ] || { cat "$out/trafficgen.err"; exit $rc; }
echo "JSON: $out/linerate.json; gauntlet's summary: $out/gauntlet.txt"
