#!/usr/bin/env bash
# The live test topology: network namespaces, veth pairs, real HTTP servers, and a live config
# for gauntlet on af_packet. The e2e tests (tests/e2e/) run inside it; you can also bring it
# up by hand and run gauntlet yourself.
#
#   tools/topology.sh up           build it and leave it up; prints the live config's path
#   tools/topology.sh down         stop its servers (and any gauntlet in it), delete it
#   tools/topology.sh run CMD...   up, run CMD, then always down (also on failure or a signal)
#
#   gl-internet                           gl-gauntlet                      gl-pods
#   gl-out-peer 198.51.100.254/24 ----- gl-out [gauntlet] gl-in ----- gl-in-peer 10.0.0.10/24
#     route 10.0.0.0/24 via 198.51.100.1                                         10.0.0.11/24
#   lo: 203.0.113.10   internet client                                          10.0.0.12/24
#       192.0.2.66     blocked client (firewall rule block-bad-net)  default via 10.0.0.1
#       93.184.216.34  external server, HTTP on :443 (allow-list https-out / example-api)
#       198.18.0.5     external server, HTTP on :6667 (not on the allow-list)
#                                      pods: Python http.server on :80 of each address
#
# The external servers sit on the internet namespace's loopback: the internet namespace is
# both the pods' default gateway (198.51.100.254) and the far end. With SNAT, pods' traffic
# reaches them from 198.51.100.2, which is on-link there; gauntlet answers ARP for it.
# gauntlet's two veth ends live in their own namespace, gl-gauntlet, without addresses, so
# that no kernel stack answers on them; run gauntlet there with `ip netns exec gl-gauntlet`.
# IPv6 is off in all three namespaces (the test traffic is IPv4).
#
# The live config ($GL_DIR/live.yaml) is rules/gauntlet.yaml (or $GL_BASE_CONFIG) with the
# ports' devices set to net_af_packet{0,1},iface=gl-{out,in}, the ports' `mac:` lines removed
# (live ports use the device's MAC) and the static `neighbours:` removed: gauntlet learns
# them live from ARP. GL_NEIGHBOURS=static writes the namespaces' real MACs there instead.
#
# Environment: GL_DIR (work directory for the config, web roots and server logs; default a
# new temporary directory, removed by `down`), GL_BASE_CONFIG, GL_NEIGHBOURS (learned|static).
# `run` exports to CMD: GL_TOPOLOGY=1, GL_DIR, GL_CONFIG, GL_NS_GAUNTLET, GL_NS_INTERNET,
# GL_NS_PODS, GL_PODS, GL_OUT_PEER, GL_IN_PEER; it holds a lock so that two runs on one
# machine take turns.
# Needs root, iproute2, ethtool and /usr/bin/python3.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
NS_GAUNTLET=gl-gauntlet NS_INTERNET=gl-internet NS_PODS=gl-pods
OUT_IF=gl-out IN_IF=gl-in OUT_PEER=gl-out-peer IN_PEER=gl-in-peer
PODS="10.0.0.10 10.0.0.11 10.0.0.12"
GATEWAY=198.51.100.254
CLIENTS="203.0.113.10 192.0.2.66"
EXTERNAL_OK=93.184.216.34 EXTERNAL_OK_PORT=443
EXTERNAL_DENIED=198.18.0.5 EXTERNAL_DENIED_PORT=6667
PYTHON=/usr/bin/python3
state=/run/gl-topology.dir   # the work directory of the topology that is up
lock=/run/gl-topology.lock

log() { echo "topology: $*" >&2; }

ns_exists() { [ -e "/run/netns/$1" ]; }

# Stops every process left in the namespace (servers, gauntlet: all started here or by the
# tests), then deletes it; its veth ends go with it.
delete_ns() {
  local ns=$1 pids pid i
  ns_exists "$ns" || return 0
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
  for i in $(seq 30); do
    [ -n "$(ip netns pids "$ns" 2>/dev/null || true)" ] || break
    sleep 0.1
  done
  for pid in $(ip netns pids "$ns" 2>/dev/null || true); do kill -KILL "$pid" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
}

down() {
  local ns dir
  for ns in "$NS_GAUNTLET" "$NS_PODS" "$NS_INTERNET"; do delete_ns "$ns"; done
  if [ -f "$state" ]; then
    dir=$(cat "$state")
    # Only a directory that `up` created itself (it leaves a marker) is removed.
    if [ -n "$dir" ] && [ -f "$dir/.gl-topology-tmp" ]; then rm -rf "$dir"; fi
    rm -f "$state"
  fi
}

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

mac_of() {  # NS IF -> the interface's MAC, read with `ip -j link`
  ip -n "$1" -j link show dev "$2" |
    "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)[0]["address"])'
}

# Waits until something listens on ADDR:PORT in NS (at most 10 s).
wait_listen() {
  local ns=$1 addr=$2 port=$3 i
  for i in $(seq 100); do
    if in_ns "$ns" ss -Hltn "sport = :$port" | grep -q "$addr:$port "; then return 0; fi
    sleep 0.1
  done
  log "nothing listens on $addr:$port in $ns (see $dir/http-$addr.log)"
  return 1
}

# Python's http.server (SimpleHTTPRequestHandler, threaded) on ADDR:PORT in NS, serving
# "NAME ADDR" from its own web root. HTTP/1.1 keeps connections alive, and TCP_NODELAY stops
# Nagle from holding the body back behind the headers for a delayed ACK (40 ms a request,
# which `python3 -m http.server --protocol HTTP/1.1` suffers). Binding skips http.server's
# reverse DNS lookup of its own address (a query that could only time out in a namespace).
# Its log shows client addresses.
http_server='
import functools, http.server, socketserver, sys
class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
class Server(http.server.ThreadingHTTPServer):
    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]
addr, port, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
server = Server((addr, port), functools.partial(Handler, directory=root))
print(f"Serving HTTP on {addr} port {port}", file=sys.stderr)
server.serve_forever()
'
start_http() {
  local ns=$1 addr=$2 port=$3 name=$4
  mkdir -p "$dir/www/$addr"
  echo "$name $addr" >"$dir/www/$addr/index.html"
  in_ns "$ns" "$PYTHON" -u -c "$http_server" "$addr" "$port" "$dir/www/$addr" \
    </dev/null >"$dir/http-$addr.log" 2>&1 &
}

write_config() {
  local base=${GL_BASE_CONFIG:-$root/rules/gauntlet.yaml} neighbours="" out_mac in_mac a
  if [ "${GL_NEIGHBOURS:-learned}" = static ]; then
    out_mac=$(mac_of "$NS_INTERNET" "$OUT_PEER")
    in_mac=$(mac_of "$NS_PODS" "$IN_PEER")
    neighbours="neighbours:   # the namespaces' real MACs (GL_NEIGHBOURS=static)"
    neighbours+=$'\n'"  - { address: $GATEWAY, port: outside, mac: $out_mac }"
    for a in $PODS; do neighbours+=$'\n'"  - { address: $a, port: inside, mac: $in_mac }"; done
  fi
  awk -v out_dev="net_af_packet0,iface=$OUT_IF" -v in_dev="net_af_packet1,iface=$IN_IF" \
      -v neighbours="$neighbours" -v rules_dir="$(dirname "$base")" '
    /^  outside:/ { port = "outside" }
    /^  inside:/ { port = "inside" }
    /^[[:space:]]*mac:/ { next }                      # live ports use the device MAC
    /^[[:space:]]*device:/ {
      sub(/device:[[:space:]]*[^[:space:]]+/, "device: " (port == "outside" ? out_dev : in_dev))
    }
    /^neighbours:/ {
      skip = 1
      print (neighbours != "" ? neighbours : "# neighbours: none static; learned live from ARP (tools/topology.sh)")
      next
    }
    /^[[:space:]]*rules: \[/ { gsub(/\[waf\//, "[" rules_dir "/waf/") }   # the copy lives elsewhere
    skip && (/^$/ || /^[^[:space:]-]/) { skip = 0 }
    skip { next }
    { print }
  ' "$base" >"$dir/live.yaml"
}

up() {
  local a ns
  [ "$(id -u)" -eq 0 ] || { log "needs root (network namespaces)"; return 1; }
  down   # leftovers of an earlier run that could not clean up
  if [ -n "${GL_DIR:-}" ]; then
    dir=$GL_DIR
    mkdir -p "$dir"
  else
    dir=$(mktemp -d /tmp/gl-topology.XXXXXX)
    touch "$dir/.gl-topology-tmp"
  fi
  echo "$dir" >"$state"

  for ns in "$NS_GAUNTLET" "$NS_INTERNET" "$NS_PODS"; do
    ip netns add "$ns"
    in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
  done
  ip link add "$OUT_IF" netns "$NS_GAUNTLET" type veth peer name "$OUT_PEER" netns "$NS_INTERNET"
  ip link add "$IN_IF" netns "$NS_GAUNTLET" type veth peer name "$IN_PEER" netns "$NS_PODS"

  # The peers fill in their checksums: af_packet hands gauntlet what the kernel wrote.
  in_ns "$NS_INTERNET" ethtool -K "$OUT_PEER" tx off >/dev/null
  in_ns "$NS_PODS" ethtool -K "$IN_PEER" tx off >/dev/null

  ip -n "$NS_INTERNET" addr add "$GATEWAY/24" dev "$OUT_PEER"
  for a in $CLIENTS "$EXTERNAL_OK" "$EXTERNAL_DENIED"; do
    ip -n "$NS_INTERNET" addr add "$a/32" dev lo
  done
  ip -n "$NS_INTERNET" link set "$OUT_PEER" up
  ip -n "$NS_INTERNET" route add 10.0.0.0/24 via 198.51.100.1

  for a in $PODS; do ip -n "$NS_PODS" addr add "$a/24" dev "$IN_PEER"; done
  ip -n "$NS_PODS" link set "$IN_PEER" up
  ip -n "$NS_PODS" route add default via 10.0.0.1

  ip -n "$NS_GAUNTLET" link set "$OUT_IF" up
  ip -n "$NS_GAUNTLET" link set "$IN_IF" up

  for a in $PODS; do start_http "$NS_PODS" "$a" 80 pod; done
  start_http "$NS_INTERNET" "$EXTERNAL_OK" "$EXTERNAL_OK_PORT" external
  start_http "$NS_INTERNET" "$EXTERNAL_DENIED" "$EXTERNAL_DENIED_PORT" external
  for a in $PODS; do wait_listen "$NS_PODS" "$a" 80; done
  wait_listen "$NS_INTERNET" "$EXTERNAL_OK" "$EXTERNAL_OK_PORT"
  wait_listen "$NS_INTERNET" "$EXTERNAL_DENIED" "$EXTERNAL_DENIED_PORT"

  write_config
}

export_env() {
  export GL_TOPOLOGY=1 GL_DIR="$dir" GL_CONFIG="$dir/live.yaml" GL_NS_GAUNTLET="$NS_GAUNTLET"
  export GL_NS_INTERNET="$NS_INTERNET" GL_NS_PODS="$NS_PODS" GL_PODS="$PODS"
  export GL_OUT_PEER="$OUT_PEER" GL_IN_PEER="$IN_PEER"
}

child=""
case "${1:-}" in
  up)
    # A failed or interrupted `up` leaves nothing behind.
    trap 'rc=$?; if [ $rc -ne 0 ]; then down; fi; exit $rc' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    up
    trap - EXIT INT TERM
    cat <<EOF
topology: up; work directory $dir (server logs http-*.log)
  live config: $dir/live.yaml
  run gauntlet: ip netns exec $NS_GAUNTLET build/dataplane/gauntlet -l 0,1 --no-huge -m 512 \\
      --no-shconf --no-pci --log-level='*:warning' -- --config $dir/live.yaml
  then e.g.:    ip netns exec $NS_INTERNET curl --interface 203.0.113.10 http://10.0.0.10/
  (gauntlet learns neighbours live: the first packet towards one it does not know yet is
  dropped while it sends an ARP request; TCP's retransmission carries on)
  tear down:    tools/topology.sh down
EOF
    ;;
  down)
    down
    ;;
  run)
    shift
    [ $# -gt 0 ] || { echo "usage: tools/topology.sh run CMD..." >&2; exit 2; }
    exec 9>"$lock"
    flock -w 300 9 || { log "another topology run holds $lock"; exit 1; }
    trap 'rc=$?; if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; fi; down; exit $rc' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    up
    export_env
    # In the background, so that a signal reaches the trap at once rather than after CMD.
    "$@" &
    child=$!
    rc=0
    wait "$child" || rc=$?
    child=""
    exit $rc
    ;;
  *)
    echo "usage: tools/topology.sh up | down | run CMD..." >&2
    exit 2
    ;;
esac
