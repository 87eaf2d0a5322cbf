#!/usr/bin/env bash
# The line-rate traffic generator: on a loopback port (net_ring) every frame it sends comes
# back stamped, in order, and is counted; through gauntlet over memif links at a modest
# rate, every frame crosses gauntlet (firewall, conntrack, forward) and is received on the
# other port. Bad options are refused. Usage: trafficgen.sh TRAFFICGEN GAUNTLET SOURCE_ROOT
set -euo pipefail
gen=$1 bin=$2 root=$3
tmp=$(mktemp -d)
gl=""
trap '[ -n "$gl" ] && kill -TERM "$gl" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
eal=(--no-huge -m 512 --no-pci --log-level='*:warning')

check_json() {  # FILE KEY: sent == received > 0, no loss, every frame stamped and in order
  /usr/bin/python3 - "$1" "$2" "${3:-1}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))[sys.argv[2]]
stamped_required = sys.argv[3] == "1"
problems = []
if r["sent"] == 0: problems.append("nothing sent")
if r["received"] != r["sent"]: problems.append("sent %d, received %d" % (r["sent"], r["received"]))
if r["reordered"]: problems.append("%d reordered" % r["reordered"])
if stamped_required and not (0 < r["latency_ns"]["p50"] <= r["latency_ns"]["p99"] <= r["latency_ns"]["max"]):
    problems.append("latency percentiles out of order: %s" % r["latency_ns"])
if problems: sys.exit("trafficgen: " + "; ".join(problems))
print("trafficgen: %d frames sent and received" % r["sent"])
PY
}

"$gen" -l 0 "${eal[@]}" --no-shconf --vdev net_ring0 -- --tx-port 0 --rx-port 0 \
  --rate 200000 --duration 0.3 --sizes imix --json "$tmp/loop.json" >"$tmp/loop.txt"
check_json "$tmp/loop.json" run

if "$gen" -l 0 "${eal[@]}" --no-shconf --vdev net_ring0 -- --sizes 12 >"$tmp/bad.txt" 2>&1; then
  echo "trafficgen: a 12-byte frame size was accepted"; exit 1
fi
grep -q "not a number from 60 to 9000" "$tmp/bad.txt" || { echo "trafficgen: no reason given"; cat "$tmp/bad.txt"; exit 1; }

# The generator's run is over once its JSON is written; gauntlet is stopped then, and only
# then the generator (--hold-until), so that gauntlet never polls a memif link whose peer
# has gone (the memif PMD can fault in that window). Args: JSON HOLD_FILE.
finish_run() {
  for _ in $(seq 1200); do [ -s "$1" ] && break; kill -0 "$tg" 2>/dev/null || break; sleep 0.1; done
  kill -TERM "$gl" 2>/dev/null || true
  wait "$gl" || true
  gl=""
  touch "$2"
  wait "$tg" || { echo "trafficgen: the generator failed"; cat "$tmp"/*.err; exit 1; }
}

# Through gauntlet: the generator serves the memif sockets, gauntlet attaches as client.
sed -e "s|device: net_af_packet0,iface=gl-out|device: net_memif0,role=client,socket=$tmp/outside.sock|" \
    -e "s|device: net_af_packet1,iface=gl-in|device: net_memif1,role=client,socket=$tmp/inside.sock|" \
    -e "s|rules: \\[waf/|rules: [$root/rules/waf/|" \
    "$root/rules/gauntlet.yaml" >"$tmp/dut.yaml"
"$gen" -l 0 "${eal[@]}" --single-file-segments --file-prefix "tg-$$" \
  --vdev "net_memif0,role=server,socket=$tmp/outside.sock" \
  --vdev "net_memif1,role=server,socket=$tmp/inside.sock" \
  -- --tx-port 0 --rx-port 1 --rate 2000 --duration 1 --flows 64 --json "$tmp/dut.json" \
  --hold-until "$tmp/dut.done" \
  >"$tmp/dut.txt" 2>"$tmp/dut.err" &
tg=$!
for _ in $(seq 50); do [ -S "$tmp/outside.sock" ] && [ -S "$tmp/inside.sock" ] && break; sleep 0.1; done
"$bin" -l 1 "${eal[@]}" --single-file-segments --file-prefix "dut-$$" -- --config "$tmp/dut.yaml" \
  --duration 30 >"$tmp/gauntlet.txt" 2>"$tmp/gauntlet.err" &
gl=$!
finish_run "$tmp/dut.json" "$tmp/dut.done"
check_json "$tmp/dut.json" run
sent=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"]["sent"])' "$tmp/dut.json")
# Every frame was forwarded (and the learning frames before them); the firewall judged each
# of the 64 flows once (conntrack passed the rest of each flow).
forwarded=$(awk '$1 == "ingress" && $2 == "forward" { print $5 }' "$tmp/gauntlet.txt")
[ "$forwarded" -ge "$sent" ] && grep -q "^firewall rule hits: dns-to-pods 64$" "$tmp/gauntlet.txt" ||
  { echo "trafficgen: gauntlet did not forward the $sent frames of 64 flows"; cat "$tmp/gauntlet.txt"; exit 1; }
echo "trafficgen: gauntlet forwarded all $sent frames of 64 flows between the generator's ports"

# A throughput search through gauntlet over a small range: it converges, the NDR's
# confirming trial loses nothing, and its latency figures are in order.
rm -f "$tmp/outside.sock" "$tmp/inside.sock"
"$gen" -l 0 "${eal[@]}" --single-file-segments --file-prefix "tgs-$$" \
  --vdev "net_memif0,role=server,socket=$tmp/outside.sock" \
  --vdev "net_memif1,role=server,socket=$tmp/inside.sock" \
  -- --tx-port 0 --rx-port 1 --flows 64 --duration 0.3 --search --max-rate 5000 --precision 0.2 \
  --json "$tmp/search.json" --hold-until "$tmp/search.done" >"$tmp/search.txt" 2>"$tmp/search.err" &
tg=$!
for _ in $(seq 50); do [ -S "$tmp/outside.sock" ] && [ -S "$tmp/inside.sock" ] && break; sleep 0.1; done
"$bin" -l 1 "${eal[@]}" --single-file-segments --file-prefix "duts-$$" -- --config "$tmp/dut.yaml" \
  --duration 60 >"$tmp/gauntlet-search.txt" 2>"$tmp/gauntlet-search.err" &
gl=$!
finish_run "$tmp/search.json" "$tmp/search.done"
cat "$tmp/search.txt"
/usr/bin/python3 - "$tmp/search.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ndr, pdr, conf = r["ndr"], r["pdr"], r["confirm"]
if not 0 < ndr["offered_pps"] <= 5000: sys.exit("trafficgen: no NDR within the range: %s" % ndr)
if pdr["offered_pps"] < ndr["offered_pps"]: sys.exit("trafficgen: PDR below NDR")
if conf["sent"] == 0 or conf["lost"] != 0: sys.exit("trafficgen: the confirming trial lost %d of %d" % (conf["lost"], conf["sent"]))
lat = conf["latency_ns"]
if not 0 < lat["min"] <= lat["p50"] <= lat["p99"] <= lat["max"]: sys.exit("trafficgen: latency out of order: %s" % lat)
print("trafficgen: NDR %.0f pps confirmed with no loss; latency p50 %.1f us, p99 %.1f us" % (ndr["offered_pps"], lat["p50"] / 1e3, lat["p99"] / 1e3))
PY

# Offered load above what the port can carry is refused before anything is sent.
if "$gen" -l 0 "${eal[@]}" --no-shconf --vdev net_ring0 -- --tx-port 0 --rx-port 0 --rate 200% \
  >"$tmp/over.txt" 2>&1; then
  echo "trafficgen: a rate of 200% of line rate was accepted"; exit 1
fi
grep -q "above 100% of line rate" "$tmp/over.txt" || { echo "trafficgen: no reason given"; cat "$tmp/over.txt"; exit 1; }
