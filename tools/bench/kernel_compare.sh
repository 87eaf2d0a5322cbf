#!/usr/bin/env bash
# gauntlet against the Linux kernel as a pods' egress NAT gateway, in one run, on the same
# namespaces, veth pairs and generator. Prints Mpps; never fails on a figure.
#
#   tools/bench/kernel_compare.sh [BUILD_DIR] [--duration S] [--runs R] [--ports N]
#                                 [--json FILE]
#
#   kc-gen                        kc-gw                           kc-sink
#   trafgen -> kc-gen0 ------ kc-in [router] kc-out ------ kc-sink0 198.51.100.254/24
#   UDP from pods 10.0.0.10-209,                                lo 93.184.216.34
#   source ports 10000.., to 93.184.216.34:443                  counted and dropped at
#                                                               kc-sink0's ingress hook
# The router, in turn (R rounds, each mode once per round, the median reported):
#   generator     none: kc-in drops every frame at its ingress hook (the generator's ceiling)
#   kernel-plain  the kc-gw namespace routes (ip_forward, no netfilter rules: no conntrack)
#   kernel-nat    + nftables: forward policy drop, `ct state established,related accept`,
#                 the allow-list (pods -> UDP 443), masquerade on kc-out
#   gauntlet-nat  gauntlet on net_af_packet (kc-out, kc-in; no addresses in the namespace):
#                 allow-list (same rule) + conntrack + SNAT to 198.51.100.2
# trafgen (Debian's netsniff-ng) sends 64-byte UDP frames as fast as it can from one process
# on the first CPU, 200 pods x N source ports (N coprime with 200; default 51: 10,200
# flows). The router's whole share of the work runs on the last CPU: RPS steers kc-in's
# receive there (the kernel's forwarding, or its hand-over to gauntlet's packet socket),
# gauntlet runs there (-l CPU), and what either transmits to kc-sink is received there.
# Forwarded = kc-sink0's rx packets over the measured window (after a 1 s warm-up);
# offered = kc-gen0's tx packets; router CPU = the time the router's threads ran on its CPU
# per forwarded packet. TX checksum offload is off on every veth end.
# Needs root, iproute2, ethtool, nftables, netsniff-ng and two CPUs (one each for generator
# and router; on a shared machine, other load on either skews the figures: see the load
# average printed). Only the namespaces' own addresses receive traffic.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$repo/build
duration=5 runs=3 ports=51 json=""
while (($#)); do
  case $1 in
    --duration) duration=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --ports) ports=$2; shift 2 ;;
    --json) json=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) echo "kernel_compare.sh: unknown option $1" >&2; exit 2 ;;
    *) build=$1; shift ;;
  esac
done
[[ $build = /* ]] || build=$repo/$build
gauntlet=$build/dataplane/gauntlet
die() { echo "kernel_compare.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
[ -x "$gauntlet" ] || die "$gauntlet not found (ninja -C $build)"
for t in trafgen nft ethtool ip; do command -v $t >/dev/null || die "$t not found (tools/setup.sh)"; done
((ports >= 1 && ports <= 50000)) && (( ports % 2 && ports % 5 )) ||
  die "--ports must be 1..50000 and coprime with 200 (odd, not a multiple of 5)"
cpus=$(nproc)
((cpus >= 2)) || die "needs two CPUs: one for the generator, one for the router"
router_cpu=$((cpus - 1))

GEN=kc-gen GW=kc-gw SINK=kc-sink
work=$(mktemp -d /tmp/gauntlet_kernel_compare.XXXXXX)
tg_pid="" gl_pid=""
cleanup() {
  [ -n "$tg_pid" ] && kill -INT -- -"$tg_pid" 2>/dev/null || true
  [ -n "$gl_pid" ] && kill -TERM "$gl_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  for ns in $GEN $GW $SINK; do ip netns del $ns 2>/dev/null || true; done
}
exec 9>/run/gauntlet-kernel-compare.lock
flock -n 9 || die "another kernel_compare.sh is running"
trap cleanup EXIT
trap 'exit 130' INT TERM

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# --- topology ---------------------------------------------------------------------------
for ns in $GEN $GW $SINK; do ip netns del $ns 2>/dev/null || true; ip netns add $ns; done
ip link add kc-gen0 netns $GEN type veth peer name kc-in netns $GW
ip link add kc-out netns $GW type veth peer name kc-sink0 netns $SINK
for pair in "$GEN kc-gen0" "$GW kc-in" "$GW kc-out" "$SINK kc-sink0"; do
  set -- $pair
  nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  nsx "$1" ethtool -K "$2" tx off >/dev/null 2>&1 || die "ethtool -K $2 tx off failed"
  nsx "$1" ip link set "$2" up
done
for ns in $GEN $GW $SINK; do nsx $ns ip link set lo up; done
nsx $GEN ip addr add 10.0.0.10/24 dev kc-gen0
nsx $SINK ip addr add 198.51.100.254/24 dev kc-sink0
nsx $SINK ip addr add 93.184.216.34/32 dev lo
nsx $SINK ip route add 10.0.0.0/24 via 198.51.100.1
# The sink counts (rx_packets of kc-sink0) and drops IPv4 at once: no socket lookup, no ICMP
# port unreachable back through the router. ARP still reaches the stack.
nsx $SINK nft -f - <<'EOF'
table netdev kc_sink {
  chain ingress { type filter hook ingress device "kc-sink0" priority 0; meta protocol ip counter drop; }
}
EOF
# kc-in receives in NAPI mode (GRO on) with its poll in a kernel thread of its own
# (threaded NAPI), pinned to the router's CPU: the kernel's forwarding, or its hand-over to
# gauntlet's packet socket, is then an ordinary thread there, as gauntlet's worker is, not a
# softirq that preempts every other process on a shared machine.
nsx $GW ethtool -K kc-in gro on >/dev/null
nsx $GW sh -c "echo 1 >/sys/class/net/kc-in/threaded"
napi=$(pgrep -x "napi/kc-in-[0-9]*" | head -1)
[ -n "$napi" ] || die "no NAPI thread for kc-in (threaded NAPI needs Linux 5.12 or later)"
taskset -pc "$router_cpu" "$napi" >/dev/null
ksoftirqd=$(pgrep -x "ksoftirqd/$router_cpu" | head -1)

mac() { nsx "$1" cat "/sys/class/net/$2/address"; }
gen_mac=$(mac $GEN kc-gen0) in_mac=$(mac $GW kc-in) sink_mac=$(mac $SINK kc-sink0)
counter() { nsx "$1" cat "/sys/class/net/$2/statistics/$3"; }

# 60-byte frames (64 with FCS): pods 10.0.0.10-209 and source ports 10000-(10000+N-1), each
# stepped once per frame, so 200 x N flows repeat in turn; checksums recomputed per frame.
cat >"$work/trafgen.cfg" <<EOF
{
  eth(da=$in_mac, sa=$gen_mac, type=0x0800),
  ipv4(ttl=64, sa=10.0.0.10, sa[3]=dinc(10, 209), da=93.184.216.34, df),
  udp(sp=dinc(10000, $((10000 + ports - 1))), dp=443),
  fill(0x00, 18)
}
EOF

# --- routers ------------------------------------------------------------------------------
kernel_setup() {  # plain | nat
  nsx $GW ip addr flush dev kc-in
  nsx $GW ip addr flush dev kc-out
  nsx $GW nft flush ruleset
  nsx $GW ip addr add 10.0.0.1/24 dev kc-in
  nsx $GW ip addr add 198.51.100.1/24 dev kc-out
  nsx $GW ip route replace default via 198.51.100.254
  nsx $GW ip neigh replace 198.51.100.254 lladdr "$sink_mac" dev kc-out nud permanent
  nsx $GW sysctl -qw net.ipv4.ip_forward=1
  [ "$1" = nat ] || return 0
  nsx $GW nft -f - <<'EOF'
table inet kc_filter {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    ct state invalid drop
    iifname "kc-in" oifname "kc-out" ip saddr 10.0.0.0/24 udp dport 443 accept
  }
}
table ip kc_nat {
  chain postrouting { type nat hook postrouting priority srcnat; oifname "kc-out" masquerade; }
}
EOF
}

# The generator's own ceiling here: kc-gw drops every frame at kc-in's ingress hook (in the
# NAPI thread on the router's CPU), so nothing but the generator limits what is offered.
generator_only() {
  nsx $GW nft -f - <<'EOF'
table netdev kc_drop {
  chain ingress { type filter hook ingress device "kc-in" priority 0; drop; }
}
EOF
}

kernel_clear() {
  nsx $GW nft flush ruleset
  nsx $GW sysctl -qw net.ipv4.ip_forward=0
  nsx $GW ip addr flush dev kc-in
  nsx $GW ip addr flush dev kc-out
  nsx $GW ip neigh flush all 2>/dev/null || true
}

# The packet sockets' rings: 16K frames of 2 KB (32 MB) instead of the PMD's 512, so that a
# worker that the scheduler leaves off its CPU for a few milliseconds loses nothing.
ring=blocksz=4096,framesz=2048,framecnt=16384
cat >"$work/gauntlet.yaml" <<EOF
# gauntlet as the pods' egress NAT gateway: the same job as the kernel's nftables rules.
workers: 1
ports:
  poll: adaptive  # the worker shares its CPU with kc-in's NAPI thread, which fills its ring
  outside:
    device: net_af_packet0,iface=kc-out,$ring
    addresses: [198.51.100.1/24]
  inside:
    device: net_af_packet1,iface=kc-in,$ring
    addresses: [10.0.0.1/24]
routes:
  - { prefix: 0.0.0.0/0, port: outside, via: 198.51.100.254 }
neighbours:
  - { address: 198.51.100.254, port: outside, mac: $sink_mac }
firewall:
  default: deny
allowlist:
  default: deny
  rules:
    - { id: pods-udp-443, action: allow, proto: udp, src: 10.0.0.0/24, dst_port: 443 }
conntrack:
  capacity: 65536
snat:
  address: 198.51.100.2
  from: [10.0.0.0/24]
  ports: 1024-65535
  max_ports_per_host: 0
EOF

gauntlet_start() {
  local log=$work/gauntlet-$1.log
  setsid ip netns exec $GW "$gauntlet" -l "$router_cpu" --no-huge -m 1024 --no-pci --no-shconf \
    --log-level='*:warning' -- --config "$work/gauntlet.yaml" --duration 600 \
    --summary-json "$work/gauntlet-$1.json" >"$log" 2>&1 &
  gl_pid=$!
  for _ in $(seq 300); do
    grep -q "running 1 worker" "$log" && return 0
    kill -0 "$gl_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$log" >&2
  die "gauntlet did not start (log: $log)"
}

gauntlet_stop() {
  kill -TERM "$gl_pid" 2>/dev/null || true
  wait "$gl_pid" 2>/dev/null || true
  gl_pid=""
}

# CPU time (ns) that the router's threads have run so far: kc-in's NAPI thread, the router
# CPU's ksoftirqd, and every thread of gauntlet while it runs (/proc/PID/task/*/schedstat).
router_cpu_ns() {
  local t total=0
  for t in /proc/"$napi"/task/* /proc/"$ksoftirqd"/task/* ${gl_pid:+/proc/$gl_pid/task/*}; do
    read -r run _ <"$t/schedstat" 2>/dev/null && total=$((total + run))
  done
  echo "$total"
}

# One window: trafgen for 1 s + duration; sets offered and forwarded (packets per second) and
# cpu_ns (the router's CPU time per forwarded packet, ns).
measure() {
  setsid ip netns exec $GEN trafgen --no-sock-mem -t 0 -P 1 -o kc-gen0 -c "$work/trafgen.cfg" >"$work/trafgen-$1.log" 2>&1 &
  tg_pid=$!
  sleep 1
  kill -0 "$tg_pid" 2>/dev/null || { cat "$work/trafgen-$1.log" >&2; die "trafgen stopped"; }
  local t0 tx0 rx0 c0 t1 tx1 rx1 c1
  t0=$(date +%s.%N) tx0=$(counter $GEN kc-gen0 tx_packets) rx0=$(counter $SINK kc-sink0 rx_packets)
  c0=$(router_cpu_ns)
  sleep "$duration"
  t1=$(date +%s.%N) tx1=$(counter $GEN kc-gen0 tx_packets) rx1=$(counter $SINK kc-sink0 rx_packets)
  c1=$(router_cpu_ns)
  kill -INT -- -"$tg_pid" 2>/dev/null || true  # trafgen and the process it forked
  wait "$tg_pid" 2>/dev/null || true
  tg_pid=""
  sleep 0.3  # what is in flight drains before the next mode starts
  read -r offered forwarded cpu_ns < <(awk -v t0="$t0" -v t1="$t1" -v a="$tx0" -v b="$tx1" \
    -v c="$rx0" -v d="$rx1" -v g="$c0" -v h="$c1" 'BEGIN {
      dt = t1 - t0; printf "%.0f %.0f %.0f\n", (b - a) / dt, (d - c) / dt, (d > c ? (h - g) / (d - c) : 0) }')
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
results=$work/results.txt
: >"$results"
for round in $(seq "$runs"); do
  for mode in generator kernel-plain kernel-nat gauntlet-nat; do
    case $mode in
      generator) kernel_clear; generator_only ;;
      kernel-plain) kernel_setup plain ;;
      kernel-nat) kernel_setup nat ;;
      gauntlet-nat) kernel_clear; gauntlet_start "$round" ;;
    esac
    measure "$mode-$round"
    [ "$mode" = gauntlet-nat ] && gauntlet_stop
    [ "$mode" = kernel-nat ] && nsx $GW sh -c 'cat /proc/sys/net/netfilter/nf_conntrack_count' \
      >"$work/conntrack-$round.txt" 2>/dev/null
    kernel_clear
    echo "$mode $round $offered $forwarded $cpu_ns" >>"$results"
    awk -v r="$round" -v m="$mode" -v o="$offered" -v f="$forwarded" -v c="$cpu_ns" 'BEGIN {
      printf "kernel_compare: round %d %-13s offered %6.3f Mpps, forwarded %6.3f Mpps, router CPU %s\n",
        r, m, o / 1e6, f / 1e6, (c > 0 ? sprintf("%.2f us/packet", c / 1e3) : "-") }' >&2
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

/usr/bin/python3 - "$results" "$work" "$duration" "$runs" "$ports" "$cpus" "$router_cpu" \
  "$load_before" "$load_after" "${json:-$work/kernel_compare.json}" <<'PY'
import json, statistics, sys
res, work, duration, runs, ports, cpus, router_cpu, lb, la, out = sys.argv[1:]
rows = [l.split() for l in open(res)]
modes = ["generator", "kernel-plain", "kernel-nat", "gauntlet-nat"]
per = {m: [(int(o), int(f)) for mm, _, o, f, _ in rows if mm == m] for m in modes}
cpu = {m: statistics.median(int(c) for mm, _, _, _, c in rows if mm == m) for m in modes}
med = {m: (statistics.median(o for o, _ in per[m]), statistics.median(f for _, f in per[m]))
       for m in modes}
print(f"gauntlet vs the kernel as an egress NAT gateway (veth, af_packet): {runs} round(s) of "
      f"{duration} s per mode, 200 pods x {ports} ports = {200 * int(ports)} UDP flows, 64 B; "
      f"{cpus} CPUs (trafgen on CPU 0, router on CPU {router_cpu}); load average before {lb}, "
      f"after {la}")
# Router CPU per forwarded packet: the time kc-in's NAPI thread, the router CPU's ksoftirqd
# and gauntlet's threads ran, over the packets forwarded. It holds on a busy machine, where the
# rates do not; a worker that polls without pause (ports.poll: busy) spends all it gets.
print(f"{'router':<14} {'offered':>9} {'forwarded':>10} {'fwd%':>6} {'CPU/pkt':>8}   "
      f"per round (Mpps forwarded)")
ceiling = med["generator"][0]
for m in modes:
    o, f = med[m]
    if m == "generator":
        rounds = " ".join(f"{x / 1e6:.3f}" for x, _ in per[m])
        print(f"{m:<14} {o / 1e6:7.3f}Mp {'-':>10} {'-':>6} {'-':>8}   {rounds} "
              f"(offered; kc-in drops all)")
        continue
    rounds = " ".join(f"{x / 1e6:.3f}" for _, x in per[m])
    # trafgen's sendto waits while its frames sit in the router's queue: an offer well below
    # the generator's own ceiling means the router held it back (the router's limit); all of
    # a full offer forwarded means the generator set the figure.
    why = ("router-bound: held the generator back" if o < 0.9 * ceiling else
           "generator-bound: forwarded all of a full offer" if f >= 0.99 * o else "")
    print(f"{m:<14} {o / 1e6:7.3f}Mp {f / 1e6:8.3f}Mp {100 * f / o if o else 0:6.1f} "
          f"{cpu[m] / 1e3:6.2f}us   {rounds}"
          f"{'  (' + why + ')' if why else ''}")
k = med["kernel-nat"][1]
g = med["gauntlet-nat"][1]
ratio = g / k if k else None
print(f"gauntlet-nat / kernel-nat: {ratio:.2f}x" if ratio else "gauntlet-nat / kernel-nat: -")
doc = {"duration_s": float(duration), "runs": int(runs), "flows": 200 * int(ports), "cpus": int(cpus),
       "router_cpu": int(router_cpu), "load_before": lb, "load_after": la,
       "modes": {m: {"offered_pps": med[m][0], "forwarded_pps": med[m][1],
                     "router_cpu_ns_per_packet": cpu[m],
                     "rounds": [{"offered_pps": o, "forwarded_pps": f} for o, f in per[m]]}
                 for m in modes},
       "ratio_gauntlet_to_kernel_nat": ratio, "logs": work}
json.dump(doc, open(out, "w"), indent=1)
print(f"wrote {out}; logs in {work}")
PY
