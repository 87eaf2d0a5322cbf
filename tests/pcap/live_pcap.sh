#!/usr/bin/env bash
# Live mode on net_pcap ports: the packets of the forward-ttl case go through the real
# ethdev RX/TX path, a worker lcore and the control core, and leave as the same set of
# packets replay produces (live order between ports is not fixed, so compare as sets).
# Then SIGINT stops a live run cleanly: exit 0 and the final summary.
set -euo pipefail
bin=$1 root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
case_dir=$root/pcaps/forward-ttl

sed -e "s|device: net_af_packet0,iface=gl-out|device: net_pcap0,rx_pcap=$case_dir/outside.pcap,tx_pcap=$tmp/outside.pcap|" \
    -e "s|device: net_af_packet1,iface=gl-in|device: net_pcap1,rx_pcap=$case_dir/inside.pcap,tx_pcap=$tmp/inside.pcap|" \
    -e "s|rules: \\[waf/|rules: [$root/rules/waf/|" \
    "$root/rules/gauntlet.yaml" >"$tmp/live.yaml"

# Explicit EAL options; gauntlet adds the config's devices itself.
"$bin" -l 0,1 --no-huge -m 512 --no-shconf --no-pci --no-telemetry --log-level='*:warning' \
  -- --config "$tmp/live.yaml" --duration 2 --events "$tmp/events.jsonl" >"$tmp/summary.txt"
grep -q "in outside 4 / inside 3; out outside 3 / inside 4" "$tmp/summary.txt" || {
  echo "live: unexpected summary"; cat "$tmp/summary.txt"; exit 1; }

/usr/bin/python3 - "$case_dir/expected" "$tmp" <<'PY'
import sys
from scapy.all import raw, rdpcap
expected, live = sys.argv[1], sys.argv[2]
for port in ("outside", "inside"):
    want = sorted(raw(p) for p in rdpcap(f"{expected}/{port}.pcap"))
    have = sorted(raw(p) for p in rdpcap(f"{live}/{port}.pcap"))
    if want != have:
        sys.exit(f"live: {port} packets differ from replay's ({len(have)} vs {len(want)})")
print("live: forwarded packets match replay on both ports")
PY

# SIGINT: drains, prints the final summary, exits 0. The null PMD gives a port that never
# ends, so only the signal stops the run.
sed -e "s|device: net_pcap0,[^ ]*|device: net_null0|" -e "s|device: net_pcap1,[^ ]*|device: net_null1|" \
  "$tmp/live.yaml" >"$tmp/null.yaml"
"$bin" --config "$tmp/null.yaml" >"$tmp/sigint.txt" 2>"$tmp/sigint.err" &
pid=$!
# Signals come once it runs (a background job starts with SIGINT ignored until gauntlet
# installs its handler), then a little traffic later.
for _ in $(seq 300); do grep -q "^gauntlet: running" "$tmp/sigint.err" && break; sleep 0.1; done
sleep 1
kill -INT $pid
rc=0
wait $pid || rc=$?
if [ $rc -ne 0 ] || ! grep -q "gauntlet summary" "$tmp/sigint.txt"; then
  echo "live: SIGINT run exited $rc"; cat "$tmp/sigint.txt" "$tmp/sigint.err"; exit 1
fi
echo "live: SIGINT stops cleanly with a summary"
# After that run at full speed every mbuf is back in the pool (the summary's resources line:
# the pool's in-use count once the workers stopped) and no allocation failed.
grep -E "^resources: .*; mbufs 0 in use of 16383; alloc:mbuf-exhausted 0; rx_nombuf outside 0 / inside 0$" \
  "$tmp/sigint.txt" >/dev/null || {
  echo "live: mbufs not all back in the pool"; grep -E "^(resources|gauntlet summary)" "$tmp/sigint.txt"; exit 1; }
grep -E "^gauntlet summary.*in outside [1-9][0-9]{4,}" "$tmp/sigint.txt" >/dev/null || {
  echo "live: too little traffic to mean anything"; grep "^gauntlet summary" "$tmp/sigint.txt"; exit 1; }
echo "live: every mbuf back in the pool after $(grep -o 'in outside [0-9]*' "$tmp/sigint.txt")"
