#!/usr/bin/env bash
# Live mode on tap ports: gauntlet creates two kernel tap interfaces (net_tap), one per port;
# each is moved into a network namespace of its own that plays the internet or the pods,
# with the addresses and MACs of the shipped config's neighbours. A ping from the internet
# namespace to a pod crosses gauntlet both ways (ARP, firewall, conntrack, forward); a ping
# to gauntlet's own outside address is answered by gauntlet itself.
# Usage: live_tap.sh GAUNTLET SOURCE_ROOT (needs root; skipped otherwise)
set -euo pipefail
bin=$1 root=$2
[ "$(id -u)" -eq 0 ] || { echo "tap: skipped: needs root"; exit 77; }
[ -e /dev/net/tun ] || { echo "tap: skipped: no /dev/net/tun"; exit 77; }
command -v ping >/dev/null || { echo "tap: skipped: no ping"; exit 77; }
unshare -n true 2>/dev/null || { echo "tap: skipped: cannot create network namespaces"; exit 77; }

tag=$$
ns_gl=gl-tap-g$tag ns_out=gl-tap-o$tag ns_in=gl-tap-i$tag
tap_out=gltapo$tag tap_in=gltapi$tag
tmp=$(mktemp -d)
gauntlet=""
cleanup() {
  [ -n "$gauntlet" ] && kill -TERM "$gauntlet" 2>/dev/null && wait "$gauntlet" 2>/dev/null || true
  ip netns del "$ns_gl" 2>/dev/null || true
  ip netns del "$ns_out" 2>/dev/null || true
  ip netns del "$ns_in" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns_gl"
ip netns add "$ns_out"
ip netns add "$ns_in"

sed -e "s|device: net_af_packet0,iface=gl-out|device: net_tap0,iface=$tap_out|" \
    -e "s|device: net_af_packet1,iface=gl-in|device: net_tap1,iface=$tap_in|" \
    -e "s|rules: \\[waf/|rules: [$root/rules/waf/|" \
    "$root/rules/gauntlet.yaml" >"$tmp/tap.yaml"

ip netns exec "$ns_gl" "$bin" -l 0 --no-huge -m 512 --no-shconf --no-pci --no-telemetry \
  --log-level='*:error' -- --config "$tmp/tap.yaml" --events "$tmp/events.jsonl" --duration 30 \
  >"$tmp/summary.txt" 2>"$tmp/gauntlet.err" &
gauntlet=$!
for _ in $(seq 200); do grep -q "^gauntlet: running" "$tmp/gauntlet.err" && break; sleep 0.1; done
grep -q "^gauntlet: running" "$tmp/gauntlet.err" || { echo "tap: gauntlet did not start"; cat "$tmp/gauntlet.err"; exit 1; }

# The kernel sides of the taps become the internet gateway and a pod.
ip -n "$ns_gl" link set "$tap_out" netns "$ns_out"
ip -n "$ns_gl" link set "$tap_in" netns "$ns_in"
ip -n "$ns_out" link set "$tap_out" address 02:00:00:00:01:fe up
ip -n "$ns_out" addr add 198.51.100.254/24 dev "$tap_out"
ip -n "$ns_out" addr add 203.0.113.10/32 dev "$tap_out"
ip -n "$ns_out" route add 10.0.0.0/24 via 198.51.100.1
ip -n "$ns_in" link set "$tap_in" address 02:00:00:00:02:0a up
ip -n "$ns_in" addr add 10.0.0.10/24 dev "$tap_in"
ip -n "$ns_in" route add default via 10.0.0.1

ok=0
for _ in $(seq 10); do
  if ip netns exec "$ns_out" ping -q -c 1 -W 1 -I 203.0.113.10 10.0.0.10 >/dev/null; then ok=1; break; fi
done
[ $ok -eq 1 ] || { echo "tap: no ping answer from the pod through gauntlet"; cat "$tmp/gauntlet.err"; exit 1; }
ip netns exec "$ns_out" ping -q -c 3 -i 0.2 -W 1 -I 203.0.113.10 10.0.0.10 >/dev/null ||
  { echo "tap: pings through gauntlet were lost once the path was warm"; exit 1; }
ip netns exec "$ns_out" ping -q -c 2 -i 0.2 -W 1 198.51.100.1 >/dev/null ||
  { echo "tap: gauntlet did not answer a ping to its own outside address"; exit 1; }

kill -TERM "$gauntlet"
rc=0
wait "$gauntlet" || rc=$?
gauntlet=""
[ $rc -eq 0 ] || { echo "tap: gauntlet exited with $rc"; cat "$tmp/gauntlet.err"; exit 1; }
grep -q "^gauntlet summary" "$tmp/summary.txt" || { echo "tap: no summary"; exit 1; }
# Four echo requests crossed the firewall and were forwarded in, four replies came back
# as conntrack replies and were forwarded out (the warm-up may add some).
forwarded() { awk -v d="$1" '$1 == d && $2 == "forward" { print $5 }' "$tmp/summary.txt"; }
[ "$(forwarded ingress)" -ge 4 ] && [ "$(forwarded egress)" -ge 4 ] ||
  { echo "tap: the summary does not show the pings forwarded both ways"; cat "$tmp/summary.txt"; exit 1; }
grep -q "^firewall rule hits: .*ping" "$tmp/summary.txt" ||
  { echo "tap: the firewall's ping rule judged nothing"; cat "$tmp/summary.txt"; exit 1; }
echo "tap: pings cross gauntlet both ways over net_tap ports; gauntlet answers its own address"
