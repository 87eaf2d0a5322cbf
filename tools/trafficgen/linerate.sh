#!/usr/bin/env bash
# Line-rate benchmark of gauntlet on local virtual links, with the figures it is judged
# against measured in the same run:
#   floor     the I/O floor: dpdk-testpmd io-forwarding the same traffic (a pcap the generator
#             writes) from net_pcap,infinite_rx=1 to net_null on one core, as
#             tools/bench/run_bench.sh measures it (its io_floor() is reused);
#             and the generator alone, looped back on one net_ring port, unthrottled;
#   loopback  the generator's own rate over the links gauntlet gets: gauntlet-trafficgen serves
#             two memif sockets and dpdk-testpmd io-forwards between them (two memif clients,
#             no processing) in gauntlet's place;
#   pod       internet -> pod UDP through gauntlet: firewall, conntrack, forward;
#   vip       the full L4 ingress pipeline: UDP to a service VIP (firewall, conntrack, Maglev,
#             DNAT, forward) — a one-backend UDP service (bench-dns, 198.51.100.20:53 ->
#             10.0.0.10:53) and its firewall rule are added to the shipped config's copy;
#   waf       the WAF path: --http connections to the shipped shop VIP (the WAF in detect mode:
#             every request inspected, none blocked, so that loss is loss).
# Each of loopback, pod, vip and waf is a throughput search (NDR, PDR, latency); gauntlet's
# NDRs are printed as a ratio to the loopback NDR. gauntlet-trafficgen runs on core 0,
# gauntlet (or testpmd's forwarding lcore) on core 1. For NICs, run the two binaries on their
# own port pairs instead (README.md, "Line-rate benchmarking").
#   tools/trafficgen/linerate.sh [--sizes 64|imix] [--flows N] [--trial S] [--out DIR]
#                                [--only floor,loopback,pod,vip,waf] [--plot]
# Writes DIR/linerate.json (the summary), DIR/SCENARIO.json (each search) and logs; --plot
# also draws each search as DIR/SCENARIO.png. Needs two cores at least.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${GAUNTLET_BUILD:-$root/build}
testpmd=${DPDK_TESTPMD:-dpdk-testpmd}
sizes=64 flows=1024 trial=1 out="" plot=0 only=floor,loopback,pod,vip,waf
usage="usage: $0 [--sizes 64|imix|a,b] [--flows N] [--trial S] [--out DIR] [--only LIST] [--plot]"
while [ $# -gt 0 ]; do
  case $1 in
    --sizes) sizes=$2; shift 2 ;;
    --flows) flows=$2; shift 2 ;;
    --trial) trial=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --plot) plot=1; shift ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
for s in ${only//,/ }; do
  case $s in floor|loopback|pod|vip|waf) ;; *) echo "$0: unknown scenario $s" >&2; exit 2 ;; esac
done
wants() { [[ ",$only," == *",$1,"* ]]; }
[ -n "$out" ] || out=$(mktemp -d)
mkdir -p "$out"
command -v "$testpmd" >/dev/null ||
  { echo "$0: dpdk-testpmd not found (Debian: dpdk); it measures the floor and the loopback" >&2; exit 1; }
gen=$build/tools/trafficgen/gauntlet-trafficgen
bin=$build/dataplane/gauntlet
sock=$(mktemp -d)
dut=""
trap '[ -n "$dut" ] && kill -TERM "$dut" 2>/dev/null; wait 2>/dev/null; rm -rf "$sock"' EXIT
eal=(--no-huge -m 1024 --no-pci --single-file-segments --log-level='*:warning')

# The memif client (gauntlet, testpmd) sets the rings' size, per link. The inside link, on
# which frames come back to the generator, gets 4096 slots (rsize=12, log2) rather than
# 1024, so that a stall of the generator of up to about a millisecond at a few Mpps is held
# by the ring (as by a NIC's descriptor ring) rather than lost on the way back; the outside
# link gets half that (rsize=11). A ring the generator sends into is flow-controlled (a
# frame it refuses is offered again, never lost), so the frames in flight are at most the
# outside ring's plus a burst or two (and what the DUT holds itself): with twice as many
# slots on the way back the return ring does not overflow, whatever the DUT's speed. With
# equal rings it did: a DUT that stalls leaves the outside ring full, and a DUT faster than
# the generator's receive loop (testpmd io) then moves those frames onto the inside ring
# faster than they are read, while the generator, behind its schedule, refills the outside
# ring as fast as it reads; the inside ring fills and the DUT's next burst is dropped there
# (README.md, "Line-rate benchmarking").
ring=rsize=11
return_ring=rsize=12
# gauntlet's config: the shipped one on memif links, plus a UDP service with one backend
# (the shipped services are TCP, and a TCP flow needs its handshake first).
sed -e "s|device: net_af_packet0,iface=gl-out|device: \"net_memif0,role=client,socket=$sock/outside.sock,$ring\"|" \
    -e "s|device: net_af_packet1,iface=gl-in|device: \"net_memif1,role=client,socket=$sock/inside.sock,$return_ring\"|" \
    -e "s|rules: \\[waf/|rules: [$root/rules/waf/|" \
    -e "/id: dns-to-pods,/a\\    - { id: bench-dns-vip, action: allow, proto: udp, dst: 198.51.100.20/32, dst_port: 53 }" \
    -e "/^services:/a\\  - { name: bench-dns, vip: 198.51.100.20, ports: [53], protocol: udp, backends: [{ address: 10.0.0.10, port: 53 }] }" \
    "$root/rules/gauntlet.yaml" >"$sock/dut.yaml"
# The waf scenario's: the WAF in detect mode, so every request is inspected and passed (block
# mode resets an attack's connection: one frame in eight would count as loss, and no rate
# would be an NDR), as tools/bench's waf-http scenario measures it.
sed -e 's/^  mode: block$/  mode: detect/' "$sock/dut.yaml" >"$sock/dut-waf.yaml"
grep -q '^  mode: detect$' "$sock/dut-waf.yaml" || { echo "$0: no WAF mode to set in the config" >&2; exit 1; }
for c in dut dut-waf; do
  "$bin" --config "$sock/$c.yaml" --check >"$out/$c-check.txt" 2>&1 ||
    { echo "$0: the benchmark's gauntlet config is refused:" >&2; cat "$out/$c-check.txt" >&2; exit 1; }
done

# search NAME DUT GENERATOR_ARGS...: the generator serves the memif sockets on core 0 and
# searches; the DUT (testpmd, or gauntlet with the config DUT.yaml) attaches on core 1. The
# DUT stops once the generator has written its results (or given up with a message), then
# the generator is let go (--hold-until): a memif peer must never poll a link whose other
# side has gone.
search() {
  local name=$1 kind=$2
  shift 2
  local plot_args=()
  [ "$plot" = 1 ] && plot_args=(--plot "$out/$name.png")
  rm -f "$sock/outside.sock" "$sock/inside.sock" "$sock/$name.done" "$out/$name.json"
  "$gen" -l 0 "${eal[@]}" --file-prefix "tg-$name-$$" \
    --vdev "net_memif0,role=server,socket=$sock/outside.sock" \
    --vdev "net_memif1,role=server,socket=$sock/inside.sock" \
    -- --tx-port 0 --rx-port 1 --flows "$flows" --duration "$trial" --search "$@" \
    --json "$out/$name.json" "${plot_args[@]}" --hold-until "$sock/$name.done" \
    >"$out/$name.txt" 2>"$out/$name.err" &
  local tg=$!
  for _ in $(seq 50); do [ -S "$sock/outside.sock" ] && [ -S "$sock/inside.sock" ] && break; sleep 0.1; done
  if [ "$kind" != testpmd ]; then
    "$bin" -l 1 "${eal[@]}" --file-prefix "dut-$name-$$" \
      -- --config "$sock/$kind.yaml" --duration 3600 >"$out/$name-gauntlet.txt" 2>&1 &
  else
    # testpmd io-forwards port 0 <-> port 1 on lcore 1 (its main lcore 0 waits on stdin).
    mkfifo "$sock/$name.stdin"
    "$testpmd" -l 0,1 --main-lcore 0 "${eal[@]}" --no-telemetry --file-prefix "tp-$name-$$" \
      --vdev "net_memif0,role=client,socket=$sock/outside.sock,$ring" \
      --vdev "net_memif1,role=client,socket=$sock/inside.sock,$return_ring" \
      -- --forward-mode=io --nb-cores=1 --total-num-mbufs=16384 --no-lsc-interrupt \
      <"$sock/$name.stdin" >"$out/$name-testpmd.txt" 2>&1 &
    exec 3>"$sock/$name.stdin"
  fi
  dut=$!
  for _ in $(seq 36000); do
    [ -s "$out/$name.json" ] && break
    kill -0 "$tg" 2>/dev/null || break
    grep -q "^gauntlet-trafficgen:" "$out/$name.err" 2>/dev/null && break
    sleep 0.1
  done
  kill -TERM "$dut" 2>/dev/null || true
  wait "$dut" 2>/dev/null || true
  dut=""
  [ "$kind" != testpmd ] || exec 3>&-
  touch "$sock/$name.done"
  local rc=0
  wait "$tg" || rc=$?
  echo "== $name"
  cat "$out/$name.txt"
  [ $rc -eq 0 ] || { cat "$out/$name.err"; echo "$0: $name: the generator failed (exit $rc)" >&2; exit 1; }
}

if wants floor; then
  packets=$("$gen" -l 0 --no-huge -m 512 --no-pci --no-shconf --no-telemetry --log-level='*:warning' -- \
    --sizes "$sizes" --flows "$flows" --write-pcap "$out/floor.pcap" | awk '{ print $1 }')
  floor_s=$(/usr/bin/python3 -c "import sys; print(max(2.0, 2 * float(sys.argv[1])))" "$trial")
  /usr/bin/python3 - "$root" "$out" "$testpmd" "$floor_s" "$packets" <<'PY'
import json, os, sys, types
root, out, testpmd, seconds, packets = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
sys.path.insert(0, os.path.join(root, "tools", "bench"))
import bench_driver
pcap = os.path.join(out, "floor.pcap")
args = types.SimpleNamespace(workers=1, testpmd=testpmd, duration=seconds)
r = bench_driver.io_floor([pcap], {"packets": packets}, args, out, "floor")
json.dump(r or {}, open(os.path.join(out, "floor.json"), "w"), indent=1)
print("== floor")
print("testpmd io net_pcap -> net_null, one core: %s" %
      ("%.3f Mpps per busy core (%.1f cycles/packet), %.3f Mpps wall" %
       (r["mpps_per_core"], r["cycles_per_packet"], r["mpps_wall"]) if r else "no figure (see the log)"))
PY
fi
if wants floor; then
  # The generator alone, looped back on one net_ring port (no link to copy through, no
  # forwarder): what its own TX + RX loop does on one core, unthrottled.
  "$gen" -l 0 --no-huge -m 512 --no-pci --no-shconf --no-telemetry --log-level='*:warning' --vdev net_ring0 -- \
    --tx-port 0 --rx-port 0 --sizes "$sizes" --flows "$flows" --duration "$trial" \
    --json "$out/ring.json" >"$out/ring.txt" 2>&1 || { cat "$out/ring.txt"; exit 1; }
  echo "== ring (the generator alone, net_ring loopback)"
  cat "$out/ring.txt"
fi
wants loopback && search loopback testpmd --sizes "$sizes"
wants pod && search pod dut --sizes "$sizes"
wants vip && search vip dut --sizes "$sizes" --dst-ip 198.51.100.20 --dst-port 53
wants waf && search waf dut-waf --http

/usr/bin/python3 - "$out" "$sizes" "$flows" "$trial" <<'PY'
import json, os, re, sys
out, sizes, flows, trial = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
def load(name):
    p = os.path.join(out, name + ".json")
    return json.load(open(p)) if os.path.exists(p) else None
summary = {"sizes": sizes, "flows": flows, "trial_s": trial, "load_average": os.getloadavg()}
floor = load("floor")
if floor:
    summary["floor"] = {k: floor.get(k) for k in ("mpps_per_core", "mpps_wall", "cycles_per_packet")}
what = {"loopback": "generator <-> testpmd io (memif, no processing)",
        "pod": "gauntlet: firewall, conntrack, forward",
        "vip": "gauntlet: firewall, conntrack, Maglev, DNAT, forward",
        "waf": "gauntlet: + WAF, detect mode (HTTP to the shop VIP)"}
loop = load("loopback")
loop_ndr = loop["ndr"]["mpps"] if loop and loop["ndr"]["offered_pps"] > 0 else 0
rows = []
for name in ("loopback", "pod", "vip", "waf"):
    r = load(name)
    if not r:
        continue
    ndr, pdr, mx = r["ndr"], r["pdr"], r["max"]
    s = {"what": what[name], "max_mpps": mx["mpps"], "max_loss_ratio": mx["loss_ratio"],
         "ndr_mpps": ndr["mpps"] if ndr["offered_pps"] else 0,
         "ndr_gbps": ndr["gbps"] if ndr["offered_pps"] else 0,
         "pdr_mpps": pdr["mpps"] if pdr["offered_pps"] else 0,
         "pdr_gbps": pdr["gbps"] if pdr["offered_pps"] else 0,
         "confirm_lost": r["confirm"]["lost"] + r["confirm"].get("unsent", 0),
         "ndr_latency_ns": ndr["latency_ns"], "trials": len(r["trials"])}
    # The layers gauntlet's frames went through (its summary: layer, seen, top reasons).
    log = os.path.join(out, name + "-gauntlet.txt")
    if os.path.exists(log):
        s["layers_seen"] = {f[0] + " " + f[1]: int(f[2]) for f in
                            (l.split() for l in open(log) if l.startswith(("ingress ", "egress ")))
                            if len(f) > 2 and f[2].isdigit() and int(f[2]) > 0}
    # testpmd's own count of what it could not pass on (its forward statistics at exit).
    log = os.path.join(out, name + "-testpmd.txt")
    acc = open(log).read().partition("Accumulated forward statistics")[2] if os.path.exists(log) else ""
    drops = re.findall(r"(RX-dropped|TX-dropped): +(\d+)", acc)[:2]
    if drops:
        s["dut_dropped"] = {k: int(v) for k, v in drops}
    if name == "waf":
        s["ndr_http_gbps"] = ndr["http_payload_gbps"] if ndr["offered_pps"] else 0
    if name != "loopback" and loop_ndr:
        s["ndr_ratio_to_loopback"] = s["ndr_mpps"] / loop_ndr
    summary[name] = s
    rows.append((name, s))
ring = load("ring")
if ring:
    summary["ring"] = {"what": "the generator alone: net_ring loopback, one core, unthrottled",
                       "mpps": ring["run"]["mpps"], "lost": ring["run"]["lost"]}
    if floor:
        summary["ring"]["ratio_to_floor"] = ring["run"]["mpps"] / floor["mpps_per_core"]
if floor and loop:
    summary["loopback"]["max_ratio_to_floor"] = loop["max"]["mpps"] / floor["mpps_per_core"]
    summary["loopback"]["ndr_ratio_to_floor"] = summary["loopback"]["ndr_mpps"] / floor["mpps_per_core"]
json.dump(summary, open(os.path.join(out, "linerate.json"), "w"), indent=1)
print("\nsummary (%s B frames, %d flows, %g s trials; load average %.2f %.2f %.2f)" %
      ((sizes, flows, trial) + tuple(summary["load_average"])))
if floor:
    print("  floor     testpmd io pcap -> null, one core: %.3f Mpps per busy core, %.3f Mpps wall" %
          (floor["mpps_per_core"], floor["mpps_wall"]))
if ring:
    print("  ring      generator alone (net_ring loopback, one core): %.3f Mpps%s" %
          (summary["ring"]["mpps"], " = %.2f x floor" % summary["ring"]["ratio_to_floor"] if floor else ""))
for name, s in rows:
    line = "  %-9s max %7.3f Mpps  NDR %7.3f Mpps %7.3f Gbps  PDR %7.3f Mpps" % (
        name, s["max_mpps"], s["ndr_mpps"], s["ndr_gbps"], s["pdr_mpps"])
    if "ndr_http_gbps" in s:
        line += "  HTTP %.3f Gbit/s" % s["ndr_http_gbps"]
    if "ndr_ratio_to_loopback" in s:
        line += "  NDR = %.2f x loopback" % s["ndr_ratio_to_loopback"]
    if "dut_dropped" in s:
        line += "  testpmd dropped %s" % ", ".join("%d %s" % (v, k[:2]) for k, v in s["dut_dropped"].items())
    if "max_ratio_to_floor" in s:
        line += "  (unthrottled %.2f x floor, NDR %.2f x floor)" % (s["max_ratio_to_floor"], s["ndr_ratio_to_floor"])
    print(line + "   [%s]" % s["what"])
print("JSON: %s" % os.path.join(out, "linerate.json"))
PY
