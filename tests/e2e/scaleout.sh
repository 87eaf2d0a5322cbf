#!/usr/bin/env bash
# Scale-out: two gauntlet instances behind an ECMP router, each announcing the VIPs it can serve
# over eBGP (BIRD 2, or FRR), the routes kept by tools/scaleout/gauntlet-announce.
#
#   gs-client                gs-router (BIRD/FRR, ECMP)              gs-a / gs-b
#   203.0.113.10 --- 203.0.113.254   172.16.1.254 ---------- gs-a-out [gauntlet a] gs-a-in --+
#                                    172.16.11.254 --(BGP)-- gs-a-m 172.16.11.1 (metrics :9101)
#                                    172.16.2.254 ---------- gs-b-out [gauntlet b] gs-b-in --+
#                                    172.16.12.254 --(BGP)-- gs-b-m 172.16.12.1 (metrics :9102)
#                                    172.16.20.254 --+                                       |
#                                                    |  gs-pods: bridge gs-br 10.0.0.10-12 --+
#                                                    +- gs-pr 172.16.20.1 (the backends' default)
#
# Services: web 198.51.100.10:80 (DNAT) and web-dsr 198.51.100.20:80 (dsr-ipip) over the
# backends (TCP checks every second, down after 3 failures), and dead 198.51.100.30 whose one
# backend does not exist. In DNAT mode a backend must answer through the instance that
# translated the flow: the backends mark each connection with the MAC it came from (nftables)
# and route its replies back through that instance. In dsr-ipip mode they decapsulate (ipip,
# VIP on lo) and answer the client directly through the router.
#
# Shown, in order: both instances announce the web VIP (the router has 2 next hops) and nobody
# announces the dead one; 100 client 5-tuples spread by ECMP over both instances (each carries
# a share), then each sent again through the other instance (per-port rules on the router),
# reach the same backends; when a backend fails, both instances take it out (the disagreement
# window is printed) and end with equal Maglev hashes; an instance reloaded with other weights
# is reported as diverging by the announcers, then as converged; stopping the instance that a
# held dsr-ipip connection crosses withdraws its route (the time is printed) while that
# connection keeps working through the other instance, to the same backend, and new
# connections succeed; a BGP session taken down and a broken router config are reported; the
# announcer's own stop leaves no route behind.
# Args: GAUNTLET_BINARY SOURCE_ROOT [bird|frr] (or ROUTER=frr). Needs root; skips without the
# tools (tools/setup.sh installs them).
set -euo pipefail

E2E_SKIP=77
bin=$(realpath "$1")
root=$(realpath "$2")
router_kind=${3:-${ROUTER:-bird}}
announce=$root/tools/scaleout/gauntlet-announce
PY=/usr/bin/python3
VIP=198.51.100.10 VIP_DSR=198.51.100.20 VIP_DEAD=198.51.100.30
CLIENT=203.0.113.10
BACKENDS="10.0.0.10 10.0.0.11 10.0.0.12"
NS_ALL="gs-client gs-router gs-a gs-b gs-pods"

if [ "$(id -u)" -ne 0 ]; then echo "scaleout: skipped: needs root (network namespaces)"; exit $E2E_SKIP; fi
case "$router_kind" in
  bird) need="bird birdc" ;;
  frr) need="vtysh /usr/lib/frr/bgpd /usr/lib/frr/zebra" ;;
  *) echo "scaleout: unknown router '$router_kind' (bird or frr)"; exit 2 ;;
esac
for tool in ip nft ethtool curl arping flock $PY $need; do
  command -v "$tool" >/dev/null ||
    { echo "scaleout: skipped: $tool is missing (tools/setup.sh installs it)"; exit $E2E_SKIP; }
done
unshare -n true 2>/dev/null || { echo "scaleout: skipped: cannot create network namespaces here"; exit $E2E_SKIP; }

exec 9>/run/gs-scaleout.lock
flock -w 300 9 || { echo "scaleout: another run holds /run/gs-scaleout.lock"; exit 1; }

dir=$(mktemp -d /tmp/gs-scaleout.XXXXXX)
test_start=$(date +%s.%N)
declare -A gl_pid=()

log() { echo "scaleout: $*"; }
elapsed() { awk -v s="$test_start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }
now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }'; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

delete_ns() {
  local ns=$1 pid i
  [ -e "/run/netns/$ns" ] || return 0
  for pid in $(ip netns pids "$ns" 2>/dev/null || true); do kill -TERM "$pid" 2>/dev/null || true; done
  for i in $(seq 30); do
    [ -n "$(ip netns pids "$ns" 2>/dev/null || true)" ] || break
    sleep 0.1
  done
  for pid in $(ip netns pids "$ns" 2>/dev/null || true); do kill -KILL "$pid" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
}

cleanup() {
  local rc=$? ns
  for ns in $NS_ALL; do delete_ns "$ns"; done
  if [ "$rc" -eq 0 ] && [ -z "${GS_KEEP:-}" ]; then rm -rf "$dir"; else log "files kept in $dir"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  echo "scaleout: FAIL: $*"
  local f
  for f in "$dir"/gauntlet-*.err "$dir"/announce-*.log "$dir"/router-*.log "$dir"/frr-*/*.log; do
    [ -s "$f" ] && { echo "--- $f"; tail -n 25 "$f"; }
  done
  echo "--- router: $(in_ns gs-router ip route show "$VIP" 2>&1 | tr '\n' ' ')"
  echo "--- backends listening: $(in_ns gs-pods ss -Hltn 2>&1 | awk '{ print $4 }' | tr '\n' ' ')"
  exit 1
}

# ---------------------------------------------------------------- namespaces and links
for ns in $NS_ALL; do delete_ns "$ns"; done   # leftovers of a run that could not clean up
for ns in $NS_ALL; do
  ip netns add "$ns"
  in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
done
veth() {  # NS1 IF1 NS2 IF2
  ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
  ip -n "$1" link set "$2" up
  ip -n "$3" link set "$4" up
}
veth gs-client gs-c gs-router gs-rc
veth gs-router gs-ra gs-a gs-a-out
veth gs-router gs-ram gs-a gs-a-m
veth gs-router gs-rb gs-b gs-b-out
veth gs-router gs-rbm gs-b gs-b-m
veth gs-router gs-rp gs-pods gs-pr
veth gs-a gs-a-in gs-pods gs-pa
veth gs-b gs-b-in gs-pods gs-pb
# gauntlet reads what the kernel wrote: the peers of its ports fill in their checksums.
for link in "gs-router gs-ra" "gs-router gs-rb" "gs-pods gs-pa" "gs-pods gs-pb"; do
  set -- $link
  in_ns "$1" ethtool -K "$2" tx off >/dev/null
done
# Known MACs: the backends tell the two instances apart by them.
ip -n gs-a link set gs-a-in address 02:00:00:00:0a:02
ip -n gs-b link set gs-b-in address 02:00:00:00:0b:02

ip -n gs-client addr add $CLIENT/24 dev gs-c
ip -n gs-client route add default via 203.0.113.254
ip -n gs-router addr add 203.0.113.254/24 dev gs-rc
ip -n gs-router addr add 172.16.1.254/24 dev gs-ra
ip -n gs-router addr add 172.16.11.254/24 dev gs-ram
ip -n gs-router addr add 172.16.2.254/24 dev gs-rb
ip -n gs-router addr add 172.16.12.254/24 dev gs-rbm
ip -n gs-router addr add 172.16.20.254/24 dev gs-rp
# The router hashes the 5-tuple from the headers (policy 3 with these fields): policy 1 takes
# the hash a packet already carries, and a packet from a socket on this host (the client's
# namespace) carries the socket's own hash, which Linux draws again when it retransmits a SYN,
# so one connection could start through one instance and finish through the other.
in_ns gs-router sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=3 \
  net.ipv4.fib_multipath_hash_fields=0x0037
ip -n gs-a addr add 172.16.11.1/24 dev gs-a-m
ip -n gs-a route add default via 172.16.11.254
ip -n gs-b addr add 172.16.12.1/24 dev gs-b-m
ip -n gs-b route add default via 172.16.12.254

# The backends: three addresses on one bridge with both instances' inside ports.
ip -n gs-pods link add gs-br type bridge
ip -n gs-pods link set gs-pa master gs-br
ip -n gs-pods link set gs-pb master gs-br
ip -n gs-pods link set gs-br up
for a in $BACKENDS; do ip -n gs-pods addr add "$a/24" dev gs-br; done
ip -n gs-pods addr add 172.16.20.1/24 dev gs-pr
ip -n gs-pods route add default via 172.16.20.254
# DNAT replies go back through the instance the connection came from.
ip -n gs-pods route add default via 10.0.0.1 table 101
ip -n gs-pods route add default via 10.0.0.2 table 102
ip -n gs-pods rule add fwmark 1 table 101
ip -n gs-pods rule add fwmark 2 table 102
in_ns gs-pods nft -f - <<'EOF'
table ip gs_return {
  chain pre {
    type filter hook prerouting priority mangle;
    ct state new ether saddr 02:00:00:00:0a:02 ct mark set 1
    ct state new ether saddr 02:00:00:00:0b:02 ct mark set 2
  }
  chain out {
    type route hook output priority mangle;
    meta mark set ct mark
  }
}
EOF
# dsr-ipip: decapsulate, own the VIP without answering ARP for it, accept what arrives there.
# With the kernel's ipip module that is `ip link add ... type ipip external` (README, "Scaling
# out"). A kernel built without it (CONFIG_NET_IPIP unset) gets the same done in user space:
# a raw socket takes the IPIP packets addressed to the backends, and the inner packets go into
# the stack through a TUN device. It also logs, per inner TCP source port, the backend address
# each packet was tunnelled to.
ip -n gs-pods addr add $VIP_DSR/32 dev lo
in_ns gs-pods sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
  net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
decap='
import fcntl, os, socket, struct, sys
tun = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(tun, 0x400454CA, struct.pack("16sH", b"gs-decap", 0x0001 | 0x1000))  # TUNSETIFF: TUN, NO_PI
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, 4)
log = open(sys.argv[1], "a", buffering=1)
print("ready", file=log)
seen = set()
while True:
    pkt = raw.recv(65535)
    outer = (pkt[0] & 15) * 4
    inner = pkt[outer:]
    os.write(tun, inner)
    if len(inner) >= 24 and inner[9] == 6:
        key = (socket.inet_ntoa(pkt[16:20]), struct.unpack("!H", inner[(inner[0] & 15) * 4:][:2])[0])
        if key not in seen:
            seen.add(key)
            print("%s %d" % key, file=log)
'
if in_ns gs-pods ip link add name gs-ipip type ipip external 2>/dev/null; then
  ip -n gs-pods link set gs-ipip up
  in_ns gs-pods sysctl -qw net.ipv4.conf.gs-ipip.rp_filter=0
  decap_log=""
  log "dsr-ipip backends: the kernel's ipip device"
else
  ip netns exec gs-pods "$PY" -u -c "$decap" "$dir/decap.log" </dev/null 2>"$dir/decap.err" &
  for i in $(seq 50); do grep -q ready "$dir/decap.log" 2>/dev/null && break; sleep 0.1; done
  ip -n gs-pods link set gs-decap up || fail "the user-space decapsulator did not start: $(cat "$dir/decap.err")"
  in_ns gs-pods sysctl -qw net.ipv4.conf.gs-decap.rp_filter=0
  decap_log=$dir/decap.log
  log "dsr-ipip backends: this kernel has no ipip; decapsulating in user space (TUN)"
fi

# HTTP servers: each answers "backend ADDR" and keeps connections alive (HTTP/1.1).
http_server='
import http.server, socketserver, sys
addr, port = sys.argv[1], int(sys.argv[2])
body = f"backend {addr}\n".encode()
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, fmt, *a):
        sys.stderr.write("%s:%d %s\n" % (self.client_address[0], self.client_address[1], fmt % a))
class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]
Server(("0.0.0.0" if addr == "any" else addr, port), Handler).serve_forever()
'
declare -A http_pid=()
for a in $BACKENDS; do
  ip netns exec gs-pods "$PY" -u -c "$http_server" "$a" 80 </dev/null 2>"$dir/http-$a.log" &
  http_pid[$a]=$!
done
# The DSR VIP: one server on the VIP; the decapsulated packet tells which backend got it
# (the server answers with the VIP, so the body names the tunnel's far end instead).
dsr_server='
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 80)); s.listen(64)
def serve(c):
    with c:
        f = c.makefile("rb")
        while True:
            line = f.readline()
            if not line: return
            if line in (b"\r\n", b"\n"):
                body = b"dsr %s\n" % sys.argv[1].encode()
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
'
ip netns exec gs-pods "$PY" -u -c "$dsr_server" "$VIP_DSR" </dev/null 2>"$dir/http-dsr.log" &

# ---------------------------------------------------------------- routing daemons
write_node_bird() {  # NODE NODE_ID DATA_ADDR
  sed -e "s/^define NODE_ID = .*/define NODE_ID = $2;/" \
      -e "s/^define DATA_NEXT_HOP = .*/define DATA_NEXT_HOP = $3;/" \
      -e "s/^define ROUTER = .*/define ROUTER = ${2%.*}.254;/" \
    "$root/rules/scaleout/bird-node.conf" >"$dir/bird-$1.conf"
}
start_bird() {  # NS NAME CONFIG
  ip netns exec "$1" bird -f -c "$3" -s "$dir/bird-$2.ctl" -P "$dir/bird-$2.pid" \
    </dev/null >"$dir/router-$2.log" 2>&1 &
}
birdc_() { local name=$1; shift; birdc -s "$dir/bird-$name.ctl" "$@"; }

if [ "$router_kind" = bird ]; then
  cp "$root/rules/scaleout/bird-router.conf" "$dir/bird-router.conf"
  write_node_bird a 172.16.11.1 172.16.1.1
  write_node_bird b 172.16.12.1 172.16.2.1
  start_bird gs-router router "$dir/bird-router.conf"
  start_bird gs-a a "$dir/bird-a.conf"
  start_bird gs-b b "$dir/bird-b.conf"
  router_args() { echo "--router bird --router-socket $dir/bird-$1.ctl --router-config $dir/bird-$1.conf"; }
else
  # zebra and bgpd per namespace, as user frr, with their sockets in the test's directory;
  # the configs go in through vtysh as `vtysh -b` would.
  write_node_frr() {  # NODE NODE_ID DATA_ADDR
    sed -e "s/^hostname .*/hostname gauntlet-$1/" -e "s/bgp router-id .*/bgp router-id $2/" \
        -e "s/set ip next-hop .*/set ip next-hop $3/" -e "s/172\.16\.11\.254/${2%.*}.254/g" \
      "$root/rules/scaleout/frr-node.conf" >"$dir/frr-$1.conf"
  }
  start_frr() {  # NS NAME CONFIG
    local run=$dir/frr-$2 d
    mkdir -p "$run"
    : >"$run/empty.conf"
    chown -R frr:frr "$run"
    for d in zebra bgpd; do
      ip netns exec "$1" "/usr/lib/frr/$d" -d -f "$run/empty.conf" -z "$run/zserv.api" \
        --vty_socket "$run" -i "$run/$d.pid" --log "file:$run/$d.log" ||
        fail "$d did not start in $1"
    done
    for d in $(seq 50); do [ -S "$run/bgpd.vty" ] && break; sleep 0.1; done
    ip netns exec "$1" vtysh --vty_socket "$run" -f "$3" >"$dir/router-$2-vtysh.log" 2>&1 ||
      fail "vtysh refused $3: $(cat "$dir/router-$2-vtysh.log")"
  }
  chmod 711 "$dir"   # the daemons drop to user frr
  cp "$root/rules/scaleout/frr-router.conf" "$dir/frr-router.conf"
  write_node_frr a 172.16.11.1 172.16.1.1
  write_node_frr b 172.16.12.1 172.16.2.1
  start_frr gs-router router "$dir/frr-router.conf"
  start_frr gs-a a "$dir/frr-a.conf"
  start_frr gs-b b "$dir/frr-b.conf"
  router_args() { echo "--router frr --router-socket $dir/frr-$1 --router-config $dir/frr-$1.conf"; }
fi

# ---------------------------------------------------------------- gauntlet instances
write_gauntlet() {  # NODE OUT_ADDR IN_ADDR METRICS
  cat >"$dir/gauntlet-$1.yaml" <<EOF
workers: 1
ports:
  outside: { device: "net_af_packet0,iface=gs-$1-out", addresses: [$2/24] }
  inside: { device: "net_af_packet1,iface=gs-$1-in", addresses: [$3/24] }
routes:
  - { prefix: 0.0.0.0/0, port: outside, via: ${2%.*}.254 }
firewall:
  default: deny
  rules:
    - { id: vips, action: allow, log: true, proto: tcp, dst: 198.51.100.0/24, dst_port: 80 }
metrics: { listen: "$4" }
services:
  - name: web
    vip: $VIP
    ports: [80]
    protocol: tcp
    health: { type: tcp, interval: 1s, timeout: 900ms, rise: 1, fall: 3 }
    backends:
      - { address: 10.0.0.10, port: 80, weight: 1 }
      - { address: 10.0.0.11, port: 80, weight: 1 }
      - { address: 10.0.0.12, port: 80, weight: 1 }
  - name: web-dsr
    vip: $VIP_DSR
    ports: [80]
    protocol: tcp
    forwarding: dsr-ipip
    health: { type: tcp, interval: 1s, timeout: 900ms, rise: 1, fall: 3 }
    backends:
      - { address: 10.0.0.10, port: 80, weight: 1 }
      - { address: 10.0.0.11, port: 80, weight: 1 }
  - name: dead
    vip: $VIP_DEAD
    ports: [80]
    protocol: tcp
    health: { type: tcp, interval: 1s, timeout: 900ms, rise: 1, fall: 3 }
    backends:
      - { address: 10.0.0.99, port: 80 }
EOF
}
start_gauntlet() {  # NODE MAIN_LCORE: the two busy-polling workers on different CPUs
  ip netns exec "gs-$1" "$bin" -l 0,1 --main-lcore "$2" --no-huge -m 512 --no-shconf --no-pci --no-telemetry \
    --file-prefix "gs-$1" --log-level='*:warning' -- --config "$dir/gauntlet-$1.yaml" \
    --events "$dir/events-$1.jsonl" --duration 150 >"$dir/gauntlet-$1.out" 2>"$dir/gauntlet-$1.err" &
  gl_pid[$1]=$!
}
write_gauntlet a 172.16.1.1 10.0.0.1 172.16.11.1:9101
write_gauntlet b 172.16.2.1 10.0.0.2 172.16.12.1:9102
start_gauntlet a 0
start_gauntlet b 1
for i in $(seq 300); do
  grep -q "^gauntlet: running" "$dir/gauntlet-a.err" && grep -q "^gauntlet: running" "$dir/gauntlet-b.err" && break
  for n in a b; do kill -0 "${gl_pid[$n]}" 2>/dev/null || fail "gauntlet $n exited before it was running"; done
  sleep 0.1
done
grep -q "^gauntlet: running" "$dir/gauntlet-b.err" || fail "the instances did not report running within 30 s"
log "both instances running ($(elapsed) s)"

start_announce() {  # NODE OWN_URL PEER_URL
  ip netns exec "gs-$1" "$announce" --instance "$2" --peer "$3" --name "$1" --interval-ms 200 \
    --timeout-ms 400 --down-after-ms 600 --divergence-grace-ms 1500 $(router_args "$1") \
    --events "$dir/announce-$1.jsonl" </dev/null >"$dir/announce-$1.log" 2>&1 &
  announce_pids[$1]=$!
}
declare -A announce_pids=()
start_announce a http://172.16.11.1:9101 http://172.16.12.1:9102
start_announce b http://172.16.12.1:9102 http://172.16.11.1:9101

# gauntlet learns its neighbours from ARP: the router and every backend introduce themselves.
in_ns gs-router arping -q -c 1 -w 2 -I gs-ra -s 172.16.1.254 172.16.1.1 || log "no ARP answer from a"
in_ns gs-router arping -q -c 1 -w 2 -I gs-rb -s 172.16.2.254 172.16.2.1 || log "no ARP answer from b"
for a in $BACKENDS; do
  in_ns gs-pods arping -q -c 1 -w 2 -I gs-br -s "$a" 10.0.0.1 || log "no ARP answer for 10.0.0.1 from $a"
  in_ns gs-pods arping -q -c 1 -w 2 -I gs-br -s "$a" 10.0.0.2 || log "no ARP answer for 10.0.0.2 from $a"
done

nexthops() {  # VIP -> the router's next hops for it, one per line
  in_ns gs-router ip -j route show "$1/32" | $PY -c '
import json, sys
for r in json.load(sys.stdin):
    for h in r.get("nexthops") or [r]:
        if "gateway" in h:
            print(h["gateway"])'
}
wait_nexthops() {  # VIP N SECONDS -> waits until the router has N next hops for VIP
  local i
  for i in $(seq $(($3 * 20))); do
    [ "$(nexthops "$1" | wc -l)" -eq "$2" ] && return 0
    sleep 0.05
  done
  return 1
}
backends_up() {  # NODE SERVICE -> how many of its backends the instance has up
  in_ns gs-router curl -sS --max-time 3 "$(url_of "$1")/metrics" |
    grep -c "^gauntlet_backend_up{service=\"$2\",.*} 1$" || true
}
url_of() { [ "$1" = a ] && echo http://172.16.11.1:9101 || echo http://172.16.12.1:9102; }
# The first probes can meet an unresolved neighbour and fail; wait until every backend is up.
for i in $(seq 100); do
  [ "$(backends_up a web)" -eq 3 ] && [ "$(backends_up b web)" -eq 3 ] && break
  sleep 0.2
done
[ "$(backends_up a web)" -eq 3 ] && [ "$(backends_up b web)" -eq 3 ] ||
  fail "not every backend is up after 20 s: a $(backends_up a web), b $(backends_up b web)"
wait_nexthops $VIP 2 30 || fail "the router did not get 2 next hops for $VIP within 30 s: $(nexthops $VIP | tr '\n' ' ')"
log "announced: the router has 2 next hops for $VIP: $(nexthops $VIP | tr '\n' ' ')($(elapsed) s)"
# Its backend starts up, then fails its checks (fall 3 x 1 s): withdrawn, never back.
wait_nexthops $VIP_DEAD 0 10 || fail "the dead VIP (no healthy backend) is still announced: $(nexthops $VIP_DEAD)"
for n in a b; do
  in_ns gs-router curl -sS --max-time 3 "$(url_of $n)/metrics" >"$dir/metrics-$n.txt" || fail "no /metrics from $n"
  grep -q "^gauntlet_vip_ready{service=\"dead\",vip=\"$VIP_DEAD\"} 0$" "$dir/metrics-$n.txt" &&
    grep -q "^gauntlet_vip_ready{service=\"web\",vip=\"$VIP\"} 1$" "$dir/metrics-$n.txt" ||
    fail "instance $n's gauntlet_vip_ready: $(grep '^gauntlet_vip_ready' "$dir/metrics-$n.txt" | tr '\n' ' ')"
done
log "not announced: $VIP_DEAD (its only backend does not exist; gauntlet_vip_ready 0 on both)"

# ---------------------------------------------------------------- helpers for the checks
# Client connections from fixed source ports: prints "PORT BODY" per connection (BODY is the
# server's answer, e.g. "backend 10.0.0.11"; "error:..." when it failed twice).
client='
import socket, struct, sys, time
from concurrent.futures import ThreadPoolExecutor
vip, ports = sys.argv[1], [int(p) for p in sys.argv[2:]]
def one(port):
    errors = []
    for attempt in range(2):
        s = socket.socket()
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.settimeout(4)
            s.bind(("203.0.113.10", port))
            s.connect((vip, 80))
            s.sendall(b"GET / HTTP/1.1\r\nHost: vip\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            # The server closed first; abort rather than wait in LAST-ACK, so that the same
            # 5-tuple is free at once for the next round.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
            return "%d %s" % (port, data.split(b"\r\n\r\n", 1)[1].decode().strip())
        except (OSError, IndexError) as e:
            errors.append(str(e) or type(e).__name__)
            # Abort (RST): the retry needs the same 5-tuple free again.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
            time.sleep(0.3)
    return "%d error:%s" % (port, "|".join(errors).replace(" ", "_"))
with ThreadPoolExecutor(8) as ex:
    for line in ex.map(one, ports):
        print(line, flush=True)
'
connect_from() { local vip=$1; shift; in_ns gs-client "$PY" -c "$client" "$vip" "$@"; }

# The client source ports of the flows an instance let in (its firewall logs each new one).
ports_through() {  # NODE VIP FIRST LAST
  $PY - "$dir/events-$1.jsonl" "$2" "$3" "$4" <<'PY'
import json, sys
path, vip, lo, hi = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
seen = set()
for line in open(path):
    e = json.loads(line)
    if e.get("event") == "log" and e.get("dst") == vip and lo <= int(e.get("sport", 0)) <= hi:
        seen.add(int(e["sport"]))
print(" ".join(str(p) for p in sorted(seen)))
PY
}

metric() {  # NODE NAME -> the value of an unlabelled metric
  in_ns gs-router curl -sS --max-time 3 "$(url_of "$1")/metrics" | awk -v m="$2" '$1 == m { print $2 }'
}
vips_json() {  # NODE -> GET /api/vips
  in_ns gs-router curl -sS --max-time 3 "$(url_of "$1")/api/vips"
}
vip_field() {  # NODE SERVICE FIELD
  vips_json "$1" | $PY -c '
import json, sys
d = json.load(sys.stdin)
print(next((v.get(sys.argv[2]) for v in d["vips"] if v["service"] == sys.argv[1]), None) if sys.argv[2] != "config_hash" else d.get("config_hash"))' "$2" "$3"
}
wait_event() {  # FILE EVENT SECONDS -> waits for a JSON line with "event": "EVENT"
  local i
  for i in $(seq $(($3 * 10))); do
    grep -q "\"event\": \"$2\"" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------- consistency across instances
health_events() { cat "$dir/events-a.jsonl" "$dir/events-b.jsonl" | grep -c '"event":"health"' || true; }
web_hashes_agree() {  # both instances: all three web backends up and the same web Maglev table
  local ha hb
  ha=$(vip_field a web maglev_hash) hb=$(vip_field b web maglev_hash)
  [ "$(backends_up a web)" -eq 3 ] && [ "$(backends_up b web)" -eq 3 ] && [ "$ha" != None ] && [ "$ha" = "$hb" ]
}
# The router's route to VIP as the kernel holds it (next hops, nexthop object id): a route
# installed again while connections run can move a 5-tuple to the other next hop.
route_state() { in_ns gs-router ip -d -j route show "$1/32"; }
# Linux passes a flow to a next hop of a nexthop group only while that hop's neighbour entry
# is valid; one still resolving (INCOMPLETE) sends the hop's flows to the other hop. The first
# packet towards a hop creates that entry, so a connection opened then could send its SYN one
# way and its ACK the other. The router resolves both hops before a round (a datagram to the
# discard port makes the kernel ask; gauntlet answers ARP for its address).
resolve_next_hops() {
  local dev_hop dev hop state i
  for dev_hop in "gs-ra 172.16.1.1" "gs-rb 172.16.2.1"; do
    read -r dev hop <<<"$dev_hop"
    in_ns gs-router bash -c "echo >/dev/udp/$hop/9" 2>/dev/null || true
    for i in $(seq 60); do
      state=$(ip -n gs-router neigh show to "$hop" dev "$dev" | awk '{ print $NF }')
      case "$state" in REACHABLE | STALE | DELAY | PROBE | PERMANENT) break ;; esac
      sleep 0.05
    done
    case "$state" in
      REACHABLE | STALE | DELAY | PROBE | PERMANENT) ;;
      *) fail "the router did not resolve next hop $hop on $dev: '${state:-no entry}'" ;;
    esac
  done
}
# One round: 100 client 5-tuples from FIRST on, through ECMP, then each through the other
# instance. Returns 2 when a health change (a probe starved on a loaded machine) or a new
# route to the VIP happened meanwhile: the tables or the paths then legitimately differ,
# and the round says nothing.
consistency_round() {  # FIRST
  local first=$1 last=$(($1 + 99)) health_before route_before p
  ports=$(seq "$first" "$last")
  for i in $(seq 100); do web_hashes_agree && break; sleep 0.1; done
  web_hashes_agree || fail "the instances do not agree on the web backends before the round: a $(vip_field a web maglev_hash), b $(vip_field b web maglev_hash)"
  resolve_next_hops
  health_before=$(health_events)
  route_before=$(route_state $VIP)
  created_a=$(metric a gauntlet_conntrack_flows_created_total)
  created_b=$(metric b gauntlet_conntrack_flows_created_total)
  connect_from $VIP $ports >"$dir/ecmp.txt"
  grep -q error "$dir/ecmp.txt" && fail "connections through ECMP failed: $(grep -c error "$dir/ecmp.txt") of 100: $(grep -m3 error "$dir/ecmp.txt" | tr '\n' ' ')"
  flows_a=$(($(metric a gauntlet_conntrack_flows_created_total) - created_a))
  flows_b=$(($(metric b gauntlet_conntrack_flows_created_total) - created_b))
  via_a=$(ports_through a $VIP "$first" "$last")
  via_b=$(ports_through b $VIP "$first" "$last")
  n_a=$(wc -w <<<"$via_a") n_b=$(wc -w <<<"$via_b")
  if [ "$(health_events)" != "$health_before" ] || [ "$(route_state $VIP)" != "$route_before" ]; then
    log "a backend's health or the router's route to $VIP changed during the ECMP connections (a $n_a, b $n_b); the round does not count"
    return 2
  fi
  # (A connection retried after a lost SYN counts twice in the metrics, once in the ports.)
  [ $((n_a + n_b)) -eq 100 ] && [ "$flows_a" -ge "$n_a" ] && [ "$flows_b" -ge "$n_b" ] ||
    fail "instance a logged $n_a source ports and created $flows_a flows, b $n_b and $flows_b; 100 connections; on both: $(comm -12 <(tr ' ' '\n' <<<"$via_a") <(tr ' ' '\n' <<<"$via_b") | tr '\n' ' ')"
  [ "$n_a" -ge 20 ] && [ "$n_b" -ge 20 ] || fail "ECMP spread 100 flows $n_a / $n_b"
  log "spread: 100 connections through ECMP: instance a carried $n_a, instance b $n_b ($(elapsed) s)"

  # Now each 5-tuple crosses the other instance: forced by per-port rules on the router.
  {
    echo "route replace $VIP/32 via 172.16.1.1 table 201"
    echo "route replace $VIP/32 via 172.16.2.1 table 202"
    for p in $ports; do
      echo "rule add iif gs-rc ipproto tcp sport $p table $(grep -qw "$p" <<<"$via_a" && echo 202 || echo 201)"
    done
  } | ip -n gs-router -batch - || fail "could not add the router's per-port rules"
  connect_from $VIP $ports >"$dir/swapped.txt"
  grep -q error "$dir/swapped.txt" && fail "connections through the other instance failed: $(grep -m3 error "$dir/swapped.txt" | tr '\n' ' ')"
  {
    for p in $ports; do echo "rule del iif gs-rc ipproto tcp sport $p"; done
  } | ip -n gs-router -batch - || fail "could not remove the router's per-port rules"
  [ "$(ports_through a $VIP "$first" "$last")" = "$(echo $ports)" ] && [ "$(ports_through b $VIP "$first" "$last")" = "$(echo $ports)" ] ||
    fail "after the swap, not every 5-tuple has crossed both instances"
  if [ "$(health_events)" != "$health_before" ]; then
    log "a backend's health changed during the round (a starved probe); the round does not count"
    return 2
  fi
  differ=$(join "$dir/ecmp.txt" "$dir/swapped.txt" | awk '$3 != $5' | wc -l)
  [ "$differ" -eq 0 ] || fail "$differ of 100 5-tuples reached another backend through the other instance: $(join "$dir/ecmp.txt" "$dir/swapped.txt" | awk '$3 != $5' | head -3 | tr '\n' ' ')"
  per_backend=$(awk '{ n[$3]++ } END { for (b in n) printf "%s %d, ", b, n[b] }' "$dir/ecmp.txt")
  log "consistent: each of 100 5-tuples reached the same backend through a and through b ($per_backend$(elapsed) s)"
}
rc=0
consistency_round 41000 || rc=$?
if [ "$rc" -eq 2 ]; then
  rc=0
  consistency_round 42000 || rc=$?
  [ "$rc" -eq 0 ] || fail "health or route changes during two rounds of the consistency check"
fi

# ---------------------------------------------------------------- health-state agreement
# Both instances probe the same way; a backend that fails is taken out by each on its own
# probes. The window in which they disagree is the time between their two health events.
kill -TERM "${http_pid[10.0.0.12]}"
killed=$(now)
# The first down event of 10.0.0.12 since its server stopped, on each instance (an earlier
# one is a probe starved on a loaded machine, the backend back up since).
down_since_kill='
import datetime, json, sys
killed = float(sys.argv[3])
def down_at(path):
    for line in open(path):
        e = json.loads(line)
        if e.get("event") == "health" and e.get("backend") == "10.0.0.12:80" and e.get("to") == "down":
            t = datetime.datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp()
            if t >= killed - 0.2:
                return t
    return None
a, b = down_at(sys.argv[1]), down_at(sys.argv[2])
print("missing" if a is None or b is None else "%.0f %.2f %.2f" % (abs(a - b) * 1000, a - killed, b - killed))
'
for i in $(seq 100); do
  window=$($PY -c "$down_since_kill" "$dir/events-a.jsonl" "$dir/events-b.jsonl" "$killed")
  [ "$window" != missing ] && break
  sleep 0.1
done
[ "$window" != missing ] || fail "10 s after 10.0.0.12's server stopped, not both instances took it out"
read -r window_ms down_a down_b <<<"$window"
log "health agreement: a took 10.0.0.12 out $down_a s after its server stopped, b after $down_b s: disagreement window $window_ms ms"
agree_on_two() {
  hash_a=$(vip_field a web maglev_hash) hash_b=$(vip_field b web maglev_hash)
  [ "$(backends_up a web)" -eq 2 ] && [ "$(backends_up b web)" -eq 2 ] &&
    [ -n "$hash_a" ] && [ "$hash_a" != None ] && [ "$hash_a" = "$hash_b" ]
}
for i in $(seq 50); do agree_on_two && break; sleep 0.1; done
agree_on_two || fail "after the failure: a has $(backends_up a web) web backends up (maglev $hash_a), b $(backends_up b web) ($hash_b)"
connect_from $VIP $(seq 41100 41139) >"$dir/after-failure.txt"
grep -q error "$dir/after-failure.txt" && fail "new connections after the failure failed: $(grep -m3 error "$dir/after-failure.txt" | tr '\n' ' ')"
! grep -q 10.0.0.12 "$dir/after-failure.txt" || fail "a new connection reached the failed backend"
log "both instances agree again (web maglev $hash_a); 40 new connections, none to 10.0.0.12 ($(elapsed) s)"

# ---------------------------------------------------------------- divergence is reported
# b reloads with other weights: its config and Maglev hashes differ from a's, and both
# exporters say so once the difference outlives the grace period (1.5 s here).
cp "$dir/gauntlet-b.yaml" "$dir/gauntlet-b.orig"
sed -i '/name: web$/,/name: web-dsr/s/10.0.0.10, port: 80, weight: 1/10.0.0.10, port: 80, weight: 3/' "$dir/gauntlet-b.yaml"
kill -HUP "${gl_pid[b]}"
wait_event "$dir/announce-a.jsonl" divergence 10 || fail "no divergence reported by a's exporter after b reloaded other weights"
wait_event "$dir/announce-b.jsonl" divergence 5 || fail "no divergence reported by b's exporter"
log "divergence reported: $(grep -m1 '"event": "divergence"' "$dir/announce-a.jsonl" | $PY -c 'import json, sys; print("; ".join(json.load(sys.stdin)["differences"]))')"
cp "$dir/gauntlet-b.orig" "$dir/gauntlet-b.yaml"
kill -HUP "${gl_pid[b]}"
wait_event "$dir/announce-a.jsonl" peer_converged 10 || fail "a's exporter did not see b converge after b reloaded the common config"
log "b reloaded the common config: converged again ($(elapsed) s)"

# ---------------------------------------------------------------- an instance stops
# A connection to the dsr-ipip VIP, held open with a request every 100 ms, and the instance
# it crosses is stopped: its exporter withdraws the route, the router moves the flow to the
# other instance, which sends it to the same backend; the answers never crossed gauntlet.
held='
import socket, sys, time
port, out = int(sys.argv[1]), sys.argv[2]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.settimeout(8)
s.bind(("203.0.113.10", port))
s.connect((sys.argv[3], 80))
f = s.makefile("rb")
ok, error, started = 0, "", time.time()
log = open(out, "w", buffering=1)
while True:
    try:
        s.sendall(b"GET / HTTP/1.1\r\nHost: vip\r\n\r\n")
        if not f.readline().startswith(b"HTTP/1.1 200"):
            raise OSError("bad status")
        length = 0
        while True:
            line = f.readline()
            if line in (b"\r\n", b""):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        f.read(length)
        ok += 1
    except OSError as e:
        error = str(e)
        break
    print("ok %d %.2f" % (ok, time.time() - started), file=log)
    try:
        open(out + ".stop").close()
        break
    except OSError:
        time.sleep(0.1)
print("done %d %s" % (ok, error or "clean"), file=log)
'
held_port=45000
ip netns exec gs-client "$PY" -c "$held" $held_port "$dir/held.txt" $VIP_DSR &
held_pid=$!
for i in $(seq 50); do grep -q "^ok 3 " "$dir/held.txt" 2>/dev/null && break; sleep 0.1; done
grep -q "^ok 3 " "$dir/held.txt" || fail "the held dsr-ipip connection did not get going: $(cat "$dir/held.txt")"
victim=$([ -n "$(ports_through a $VIP_DSR $held_port $held_port)" ] && echo a || echo b)
survivor=$([ $victim = a ] && echo b || echo a)
[ -n "$(ports_through $victim $VIP_DSR $held_port $held_port)" ] || fail "no instance logged the held connection"

kill -TERM "${gl_pid[$victim]}"
stopped=$(now)
wait_nexthops $VIP 1 10 || fail "the router still has $(nexthops $VIP | wc -l) next hops 10 s after instance $victim stopped"
withdraw_s=$(since "$stopped")
[ "$(nexthops $VIP)" = "$([ $survivor = a ] && echo 172.16.1.1 || echo 172.16.2.1)" ] ||
  fail "the router's remaining next hop is $(nexthops $VIP), not instance $survivor's"
wait_nexthops $VIP_DSR 1 5 || fail "the dsr VIP still has 2 next hops"
log "instance $victim stopped: the router is down to 1 next hop after $withdraw_s s ($(elapsed) s)"
connect_from $VIP $(seq 41200 41229) >"$dir/after-stop.txt"
grep -q error "$dir/after-stop.txt" && fail "new connections after instance $victim stopped failed: $(grep -m3 error "$dir/after-stop.txt" | tr '\n' ' ')"
log "30/30 new connections through instance $survivor ($(elapsed) s)"
requests_at_stop=$(grep -c "^ok" "$dir/held.txt")
sleep 1.5
touch "$dir/held.txt.stop"
wait "$held_pid" || true
result=$(tail -n 1 "$dir/held.txt")
[ "${result##* }" = clean ] || fail "the held dsr-ipip connection broke: $result"
requests=$(awk '{ print $2 }' <<<"$result")
[ "$requests" -gt $((requests_at_stop + 5)) ] || fail "the held connection made only $requests requests ($requests_at_stop when $victim stopped)"
[ -n "$(ports_through $survivor $VIP_DSR $held_port $held_port)" ] || fail "the held connection never crossed instance $survivor"
if [ -n "${decap_log:-}" ]; then
  backend_after=$(awk -v p=$held_port '$2 == p { print $1 }' "$decap_log" | sort -u | tr '\n' ' ')
  [ "$(wc -w <<<"$backend_after")" -eq 1 ] || fail "the held connection was tunnelled to more than one backend: $backend_after"
fi
log "the held dsr-ipip connection moved from $victim to $survivor and kept working: $requests requests, all to backend ${backend_after:-?}($(elapsed) s)"

# ---------------------------------------------------------------- bad input is reported
# The router drops the survivor's BGP session; then the survivor's BIRD config is broken.
survivor_addr=$([ $survivor = a ] && echo 172.16.11.1 || echo 172.16.12.1)
if [ "$router_kind" = bird ]; then
  birdc_ router disable "node_$survivor" >/dev/null || fail "birdc could not disable node_$survivor"
else
  in_ns gs-router vtysh --vty_socket "$dir/frr-router" -c "configure terminal" -c "router bgp 65000" \
    -c "neighbor $survivor_addr shutdown" >/dev/null || fail "vtysh could not shut the session to $survivor_addr"
fi
wait_event "$dir/announce-$survivor.jsonl" bgp_peer_down 6 || fail "the exporter did not report its BGP session going down"
wait_nexthops $VIP 0 5 || fail "the router kept a route to $VIP without any session"
log "BGP session down: reported ($(grep -m1 '"event": "bgp_peer_down"' "$dir/announce-$survivor.jsonl" | $PY -c 'import json, sys; print(json.load(sys.stdin)["state"])'))"
if [ "$router_kind" = bird ]; then
  echo "protocol bgp broken { neighbor; }" >>"$dir/bird-$survivor.conf"
else
  echo "router bgp not-a-number" >>"$dir/frr-$survivor.conf"
fi
wait_event "$dir/announce-$survivor.jsonl" router_config_error 6 || fail "the exporter did not report the broken router config"
log "router config error: reported ($(grep -m1 '"event": "router_config_error"' "$dir/announce-$survivor.jsonl" | $PY -c 'import json, sys; print(json.load(sys.stdin)["errors"][-1])'))"

# The survivor's routing daemon dies: the announcer says it no longer answers.
if [ "$router_kind" = bird ]; then
  kill -TERM "$(cat "$dir/bird-$survivor.pid")"
else
  kill -TERM "$(cat "$dir/frr-$survivor/bgpd.pid")"
fi
wait_event "$dir/announce-$survivor.jsonl" router_unreachable 6 || fail "the exporter did not report its routing daemon gone"
log "routing daemon gone: reported ($(elapsed) s)"

# The exporter's own stop withdraws what it announced.
announce_pid=${announce_pids[$survivor]}
kill -TERM "$announce_pid"
for i in $(seq 50); do kill -0 "$announce_pid" 2>/dev/null || break; sleep 0.1; done
[ -z "$(ip -n "gs-$survivor" route show table 100)" ] || fail "the stopped exporter left routes: $(ip -n "gs-$survivor" route show table 100)"
grep -q '"event": "stop"' "$dir/announce-$survivor.jsonl" || fail "the exporter did not log its stop"

for n in a b; do
  [ -n "${gl_pid[$n]:-}" ] && kill -TERM "${gl_pid[$n]}" 2>/dev/null || true
done
for n in a b; do
  rc=0
  wait "${gl_pid[$n]}" || rc=$?
  [ "$rc" -eq 0 ] || fail "instance $n exited with $rc"
  grep -q "^gauntlet summary" "$dir/gauntlet-$n.out" || fail "instance $n printed no summary"
done
log "pass: withdraw $withdraw_s s, disagreement window $window_ms ms, spread $n_a / $n_b ($(elapsed) s)"
