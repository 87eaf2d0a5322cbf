#!/usr/bin/env bash
# The line-rate traffic generator: on a loopback port (net_ring) every frame it sends comes
# back stamped, in order, and is counted; a pcap sent with --flows N goes out once per flow
# with the source address and port rewritten and valid checksums; through gauntlet over
# memif links at a modest rate, every frame crosses gauntlet (firewall, conntrack, forward)
# and is received on the other port; in HTTP mode gauntlet's WAF inspects every connection's
# requests, passes the benign ones and blocks the attacks. Bad options and bad input (a port
# without link, a rate above line rate, a receive port that sees nothing, jumbo frames for a
# port that cannot send them) are refused with a reason, never a hang; a search that loses
# everything ends with that result.
# Usage: trafficgen.sh TRAFFICGEN GAUNTLET SOURCE_ROOT
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
if not 0 < r["in_flight_max"] <= r["sent"]:
    problems.append("in_flight_max %d out of 1..%d" % (r["in_flight_max"], r["sent"]))
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

# A pcap of a UDP and a TCP frame, sent with --flows 300: the generator's port writes what it
# sends (net_pcap tx_pcap). Copy k of each frame has source 203.0.113.(1 + (7 + k) % 250)
# and source port 1024 + (port + k / 250) % 64512, and both checksums are valid.
/usr/bin/python3 - "$tmp/flows-in.pcap" <<'PY'
import sys
from scapy.all import Ether, IP, TCP, UDP, wrpcap
wrpcap(sys.argv[1], [
    Ether(dst="02:00:00:00:00:01", src="02:00:00:00:01:fe") / IP(src="203.0.113.7", dst="10.0.0.10") /
    UDP(sport=5000, dport=53) / (b"q" * 20),
    Ether(dst="02:00:00:00:00:01", src="02:00:00:00:01:fe") / IP(src="203.0.113.7", dst="10.0.0.10") /
    TCP(sport=5001, dport=80, flags="A", seq=1, ack=1) / b"GET / HTTP/1.1\r\n\r\n"])
PY
"$gen" -l 0 "${eal[@]}" --no-shconf \
  --vdev "net_pcap0,rx_pcap=$tmp/flows-in.pcap,tx_pcap=$tmp/flows-out.pcap" -- \
  --tx-port 0 --rx-port 0 --pcap "$tmp/flows-in.pcap" --flows 300 --rate 20000 --duration 0.1 \
  >"$tmp/flows.txt" 2>&1 || { echo "trafficgen: --pcap --flows failed"; cat "$tmp/flows.txt"; exit 1; }
/usr/bin/python3 - "$tmp/flows-out.pcap" <<'PY'
import sys
from scapy.all import IP, TCP, UDP, rdpcap
frames = rdpcap(sys.argv[1])
seen = set()
for f in frames:
    ip = f[IP]
    l4 = ip[UDP] if UDP in ip else ip[TCP]
    again = IP(bytes(ip))
    del again.chksum
    del again[l4.__class__].chksum
    again = IP(bytes(again))
    if (ip.chksum, l4.chksum) != (again.chksum, again[l4.__class__].chksum):
        sys.exit("trafficgen: a rewritten frame has a bad checksum: %s" % f.summary())
    seen.add((ip.proto, ip.src, l4.sport))
want = {(p, "203.0.113.%d" % (1 + (7 + k) % 250), 1024 + (port + k // 250) % 64512)
        for p, port in ((17, 5000), (6, 5001)) for k in range(300)}
if seen != want:
    sys.exit("trafficgen: %d distinct flows sent, %d expected; unexpected: %s" %
             (len(seen), len(want), sorted(seen - want)[:5]))
print("trafficgen: a 2-frame pcap went out as 600 flows with valid checksums (%d frames)" % len(frames))
PY

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
# confirming trial loses nothing, its latency figures are in order, and --plot draws it.
rm -f "$tmp/outside.sock" "$tmp/inside.sock"
"$gen" -l 0 "${eal[@]}" --single-file-segments --file-prefix "tgs-$$" \
  --vdev "net_memif0,role=server,socket=$tmp/outside.sock" \
  --vdev "net_memif1,role=server,socket=$tmp/inside.sock" \
  -- --tx-port 0 --rx-port 1 --flows 64 --duration 0.3 --search --max-rate 5000 --precision 0.2 \
  --json "$tmp/search.json" --plot "$tmp/search.png" --hold-until "$tmp/search.done" \
  >"$tmp/search.txt" 2>"$tmp/search.err" &
tg=$!
for _ in $(seq 50); do [ -S "$tmp/outside.sock" ] && [ -S "$tmp/inside.sock" ] && break; sleep 0.1; done
"$bin" -l 1 "${eal[@]}" --single-file-segments --file-prefix "duts-$$" -- --config "$tmp/dut.yaml" \
  --duration 60 >"$tmp/gauntlet-search.txt" 2>"$tmp/gauntlet-search.err" &
gl=$!
finish_run "$tmp/search.json" "$tmp/search.done"
cat "$tmp/search.txt"
/usr/bin/python3 - "$tmp/search.json" "$tmp/search.png" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ndr, pdr, conf = r["ndr"], r["pdr"], r["confirm"]
if not 0 < ndr["offered_pps"] <= 5000: sys.exit("trafficgen: no NDR within the range: %s" % ndr)
if pdr["offered_pps"] < ndr["offered_pps"]: sys.exit("trafficgen: PDR below NDR")
if conf["sent"] == 0 or conf["lost"] + conf["unsent"] != 0:
    sys.exit("trafficgen: the confirming trial lost %d and left %d unsent of %d" % (conf["lost"], conf["unsent"], conf["sent"]))
lat = conf["latency_ns"]
if not 0 < lat["min"] <= lat["p50"] <= lat["p99"] <= lat["max"]: sys.exit("trafficgen: latency out of order: %s" % lat)
png = open(sys.argv[2], "rb").read()
if not png.startswith(b"\x89PNG") or len(png) < 10000: sys.exit("trafficgen: --plot wrote no PNG (%d bytes)" % len(png))
print("trafficgen: NDR %.0f pps confirmed with no loss; latency p50 %.1f us, p99 %.1f us" % (ndr["offered_pps"], lat["p50"] / 1e3, lat["p99"] / 1e3))
PY

# Offered load above what the port can carry is refused before anything is sent.
if "$gen" -l 0 "${eal[@]}" --no-shconf --vdev net_ring0 -- --tx-port 0 --rx-port 0 --rate 200% \
  >"$tmp/over.txt" 2>&1; then
  echo "trafficgen: a rate of 200% of line rate was accepted"; exit 1
fi
grep -q "above 100% of line rate" "$tmp/over.txt" || { echo "trafficgen: no reason given"; cat "$tmp/over.txt"; exit 1; }

# expect STATUS PATTERN -- COMMAND...: the generator exits with STATUS, saying PATTERN, within
# 20 s (never a hang).
expect() {
  local status=$1 pattern=$2 rc=0
  shift 3
  timeout 20 "$@" >"$tmp/expect.txt" 2>&1 || rc=$?
  if [ "$rc" != "$status" ] || ! grep -Eq "$pattern" "$tmp/expect.txt"; then
    echo "trafficgen: expected exit $status and /$pattern/, got exit $rc from: $*"
    cat "$tmp/expect.txt"
    exit 1
  fi
}
ring=("$gen" -l 0 "${eal[@]}" --no-shconf --vdev net_ring0)
expect 2 "20000000 pps is above the line rate" -- "${ring[@]}" -- --tx-port 0 --rx-port 0 --rate 20000000
# A port without link (a memif socket nobody attaches to) is given up after --link-timeout.
expect 1 "port 0 has no link after 1 s; nothing to measure" -- "$gen" -l 0 "${eal[@]}" \
  --single-file-segments --file-prefix "tgl-$$" --vdev "net_memif0,role=server,socket=$tmp/nolink.sock" \
  -- --tx-port 0 --rx-port 0 --link-timeout 1
# Two ports that are not joined: port 1 receives nothing of what port 0 sends. While
# learning that is a message and exit; with no learning, the search's unthrottled trial
# loses everything and the search ends there with that result ("NDR none"), not an error.
two_rings=("$gen" -l 0 "${eal[@]}" --no-shconf --vdev net_ring0 --vdev net_ring1 -- --tx-port 0 --rx-port 1)
expect 1 "port 1 received nothing during 0.5 s of learning frames" -- "${two_rings[@]}" --learn-timeout 0.5
expect 0 "^NDR +none" -- "${two_rings[@]}" --learn-timeout 0 --search --duration 0.2 --json "$tmp/none.json"
/usr/bin/python3 - "$tmp/none.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
if r["max"]["sent"] == 0 or r["max"]["received"] != 0 or len(r["trials"]) != 1 or r["ndr"]["offered_pps"] or r["pdr"]["offered_pps"]:
    sys.exit("trafficgen: a search that lost everything did not end at its first trial: %s" % r)
print("trafficgen: a search that lost everything ended at once with no NDR")
PY
# A pcap of jumbo frames for a port that cannot send them (net_af_packet on lo: 1518 bytes
# at most) is refused before anything is sent. net_af_packet needs root.
/usr/bin/python3 - "$tmp/jumbo.pcap" <<'PY'
import sys
from scapy.all import Ether, IP, UDP, wrpcap
wrpcap(sys.argv[1], [Ether(dst="02:00:00:00:00:01") / IP(src="203.0.113.7", dst="10.0.0.10") / UDP(sport=5000, dport=53) / (b"j" * 8900)])
PY
if [ "$(id -u)" -eq 0 ]; then
  expect 2 "port 0 \(net_af_packet\) cannot send the traffic's 8942-byte frames \(jumbo frames\)" -- \
    "$gen" -l 0 "${eal[@]}" --no-shconf --vdev net_af_packet0,iface=lo -- --tx-port 0 --rx-port 0 \
    --pcap "$tmp/jumbo.pcap"
else
  echo "trafficgen: jumbo frames on net_af_packet: skipped (needs root)"
fi
# The same frames on a port that takes them (net_ring) go out and come back.
"${ring[@]}" -- --tx-port 0 --rx-port 0 --pcap "$tmp/jumbo.pcap" --rate 1000 --duration 0.1 \
  --json "$tmp/jumbo.json" >"$tmp/jumbo.txt" 2>&1 || { echo "trafficgen: jumbo frames on net_ring failed"; cat "$tmp/jumbo.txt"; exit 1; }
check_json "$tmp/jumbo.json" run 0
echo "trafficgen: bad input (no link, rate above line rate, nothing received, jumbo frames) is refused with a reason"

# HTTP mode through gauntlet: 64 connections to the shop VIP (WAF on, mode block), the
# generator answering each SYN as the backend. gauntlet tracks all 64 to established, its WAF
# inspects every connection's requests, blocks the 8 attack connections (SQL injection, XSS,
# path traversal, command injection: two each) once each and stops their later requests;
# the 56 benign connections' requests all reach the backend side, none blocked.
rm -f "$tmp/outside.sock" "$tmp/inside.sock"
"$gen" -l 0 "${eal[@]}" --single-file-segments --file-prefix "tgh-$$" \
  --vdev "net_memif0,role=server,socket=$tmp/outside.sock" \
  --vdev "net_memif1,role=server,socket=$tmp/inside.sock" \
  -- --tx-port 0 --rx-port 1 --http --flows 64 --rate 3000 --duration 0.5 \
  --json "$tmp/http.json" --hold-until "$tmp/http.done" >"$tmp/http.txt" 2>"$tmp/http.err" &
tg=$!
for _ in $(seq 50); do [ -S "$tmp/outside.sock" ] && [ -S "$tmp/inside.sock" ] && break; sleep 0.1; done
"$bin" -l 1 "${eal[@]}" --single-file-segments --file-prefix "duth-$$" -- --config "$tmp/dut.yaml" \
  --events "$tmp/http-events.jsonl" --duration 60 >"$tmp/gauntlet-http.txt" 2>"$tmp/gauntlet-http.err" &
gl=$!
finish_run "$tmp/http.json" "$tmp/http.done"
cat "$tmp/http.txt"
/usr/bin/python3 - "$tmp/http.txt" "$tmp/http.json" "$tmp/gauntlet-http.txt" "$tmp/http-events.jsonl" <<'PY'
import collections, json, re, sys
gen_text, run, summary = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))["run"], open(sys.argv[3]).read()
events = [json.loads(l) for l in open(sys.argv[4]) if '"layer":"waf"' in l]
problems = []
if "handshakes: 64 SYN, 64 SYN-ACK, 64 ACK sent for 64 connections" not in gen_text:
    problems.append("the handshakes did not all go out")
def reasons(direction, layer):
    m = re.search(r"^%s\s+%s\s.*$" % (direction, layer), summary, re.M)
    return dict((k, int(v)) for k, v in re.findall(r"(\S+:\S+) (\d+)", m.group(0))) if m else {}
ct, waf = reasons("ingress", "conntrack"), reasons("ingress", "waf")
if ct.get("conntrack:new") != 64 or "conntrack:invalid" in ct:
    problems.append("conntrack: %s" % ct)
if "waf: 64 flows inspected" not in summary:
    problems.append("the WAF did not inspect all 64 connections")
blocked = [e for e in events if e["reason"] == "waf:blocked"]
rules = collections.Counter(e["waf"]["matches"][0]["rule"][:3] for e in blocked)
if waf.get("waf:blocked") != 8 or len({e["src"] for e in blocked}) != 8 or sorted(rules) != ["930", "932", "941", "942"]:
    problems.append("expected 8 attack connections blocked by 930/932/941/942 rules: %s, %s" % (waf, dict(rules)))
if set(waf) - {"waf:inspected", "waf:blocked", "waf:flow-blocked"}:
    problems.append("unexpected WAF outcomes: %s" % waf)
# Every benign request reached the backend side: what was received is what was sent less
# the attack connections' requests (one in eight of the frames).
sent, received = run["sent"], run["received"]
if not (sent * 7 // 8 - 8 <= received <= sent * 7 // 8 + 8) or waf.get("waf:inspected", 0) < received:
    problems.append("sent %d, received %d, inspected %s" % (sent, received, waf.get("waf:inspected")))
if problems:
    print(summary)
    sys.exit("trafficgen: HTTP mode: " + "; ".join(problems))
print("trafficgen: HTTP mode: 64 connections inspected, %d benign requests passed, 8 attack "
      "connections blocked (rules %s)" % (received, ", ".join(sorted(rules))))
PY
