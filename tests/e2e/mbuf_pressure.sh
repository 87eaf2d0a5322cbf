#!/usr/bin/env bash
# A small packet pool (mbufs: 255) drained live, then recovered. A pod sends 320 later
# fragments of 20 IPv6 datagrams whose first fragments never come: gauntlet holds each, mbuf
# and all, for its first one (up to 256 per worker, 2 s), more than the pool has. The port
# then has no mbuf to receive into: frames wait in the kernel's ring. gauntlet stays up and
# answers /metrics throughout; every mbuf is in use. The held fragments time out on the clock
# (no packet needs to come), the waiting frames come in, are held and time out in turn; then
# every mbuf is back, pings and an HTTP fetch go through again. Reports the peak RSS.
# IPv6, because af_packet's fanout reassembles IPv4 in the kernel (PACKET_FANOUT_FLAG_DEFRAG):
# IPv4 fragments without their first one never reach gauntlet.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"

metrics_url=http://127.0.0.1:9190/metrics
config=$GL_DIR/small-pool.yaml
sent=320
{
  sed 's/^workers: 1 .*$/workers: 1\nmbufs: 255/' "$GL_CONFIG"
  echo 'metrics: { listen: 127.0.0.1:9190 }'
} >"$config"
grep -q '^mbufs: 255$' "$config" || fail "could not set mbufs in $config"

# A busy machine may starve one scrape: three tries before it counts as no answer.
scrape() {
  local try
  for try in 1 2 3; do
    ip netns exec "$GL_NS_GAUNTLET" curl -sS --max-time 10 "$metrics_url" && return 0
  done
  return 1
}
# One sample's value (0 when absent). Args: METRICS_FILE NAME_WITH_LABELS.
value() { awk -v m="$2" '$1 == m { v = $2 } END { print v + 0 }' "$1"; }
rss_kb() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$gauntlet_pid/status"; }
rx_inside='gauntlet_port_packets_total{port="inside",direction="rx"}'
nombuf_inside='gauntlet_port_rx_nombuf_total{port="inside"}'
timeout_reason='gauntlet_reason_packets_total{direction="egress",layer="conntrack",reason="conntrack:fragment-hold-timeout"}'

gauntlet_start "$config" 110  # --duration: a bound, not the test's length
warm_up
scrape >"$GL_DIR/idle.txt" || fail "no /metrics answer before the pressure"
pool=$(value "$GL_DIR/idle.txt" gauntlet_mbufs)
idle=$(value "$GL_DIR/idle.txt" gauntlet_mbufs_in_use)
rx_before=$(value "$GL_DIR/idle.txt" "$rx_inside")
[ "$pool" -eq 255 ] || fail "gauntlet_mbufs is $pool, not 255"
rss_before=$(rss_kb)
log "pool of $pool mbufs, $idle in use when idle; peak RSS ${rss_before} kB ($(elapsed) s)"

gauntlet_mac=$(ip netns exec "$GL_NS_GAUNTLET" cat /sys/class/net/gl-in/address)
peer_mac=$(in_pods cat "/sys/class/net/$GL_IN_PEER/address")
in_pods /usr/bin/python3 - "$gauntlet_mac" "$peer_mac" "$GL_IN_PEER" <<'PY'
import sys
from scapy.all import Ether, IPv6, IPv6ExtHdrFragment, Raw, sendp
dst, src, iface = sys.argv[1:4]
frames = [Ether(src=src, dst=dst) / IPv6(src="fd00::11", dst="2001:db8:100::fe") /
          IPv6ExtHdrFragment(nh=17, id=4000 + d, offset=1 + k, m=1) / Raw(b"x" * 64)
          for d in range(20) for k in range(16)]
sendp(frames, iface=iface, verbose=0)
PY
log "sent $sent later fragments without their first ones ($(elapsed) s)"

# Exhaustion: every mbuf held, and frames the port could not take yet. Polled, not slept.
drained=0
for i in $(seq 100); do
  kill -0 "$gauntlet_pid" 2>/dev/null || fail "gauntlet died under mbuf pressure"
  scrape >"$GL_DIR/pressure.txt" || fail "no /metrics answer under mbuf pressure"
  in_use=$(value "$GL_DIR/pressure.txt" gauntlet_mbufs_in_use)
  held=$(value "$GL_DIR/pressure.txt" gauntlet_fragments_held)
  rx=$(($(value "$GL_DIR/pressure.txt" "$rx_inside") - rx_before))
  if [ "$in_use" -eq "$pool" ] && [ "$held" -eq "$pool" ]; then drained=1; break; fi
  sleep 0.05
done
[ "$drained" -eq 1 ] || fail "the pool was not drained: $in_use of $pool in use, $held fragments held"
[ "$rx" -lt "$sent" ] || fail "the port received all $sent frames with the pool drained"
nombuf=$(value "$GL_DIR/pressure.txt" "$nombuf_inside")
log "drained: $in_use of $pool mbufs in use, $held fragments held, $rx of $sent frames received, rx_nombuf $nombuf ($(elapsed) s)"

# Recovery: the pool back at its idle level, every frame received and timed out.
recovered=0
for i in $(seq 150); do
  kill -0 "$gauntlet_pid" 2>/dev/null || fail "gauntlet died while recovering"
  scrape >"$GL_DIR/after.txt" || fail "no /metrics answer while recovering"
  in_use=$(value "$GL_DIR/after.txt" gauntlet_mbufs_in_use)
  held=$(value "$GL_DIR/after.txt" gauntlet_fragments_held)
  rx=$(($(value "$GL_DIR/after.txt" "$rx_inside") - rx_before))
  timeouts=$(value "$GL_DIR/after.txt" "$timeout_reason")
  if [ "$in_use" -le "$idle" ] && [ "$held" -eq 0 ] && [ "$timeouts" -eq "$sent" ]; then
    recovered=1
    break
  fi
  sleep 0.1
done
[ "$recovered" -eq 1 ] ||
  fail "no recovery: $in_use mbufs in use (idle: $idle), $held held, $rx received, $timeouts timed out"
[ "$rx" -eq "$sent" ] || fail "the port received $rx frames, not the $sent sent"
log "recovered: $in_use of $pool mbufs in use, $timeouts fragments timed out ($(elapsed) s)"

for pod in $GL_PODS; do
  in_internet ping -q -c 3 -i 0.2 -W 2 -I 203.0.113.10 "$pod" >/dev/null ||
    fail "no ping answer from $pod through gauntlet after the pressure"
done
body=$(in_pods curl -sS --interface 10.0.0.11 --max-time 5 http://93.184.216.34:443/) ||
  fail "10.0.0.11 could not fetch http://93.184.216.34:443/ after the pressure"
[ "$body" = "external 93.184.216.34" ] || fail "10.0.0.11 got '$body'"
log "traffic flows again: pings to every pod, HTTP through SNAT ($(elapsed) s)"

rss_after=$(rss_kb)
gauntlet_stop
log "gauntlet stopped ($(elapsed) s)"
grep -q "^resources: .*fragments held 0 of 256; .*mbufs 0 in use of 255;" "$GL_DIR/gauntlet.out" ||
  fail "the summary's resources line does not show the pool full"
growth=$((rss_after - rss_before))
log "peak RSS ${rss_after} kB, ${growth} kB over the peak before the pressure"
[ "$growth" -lt 16384 ] || fail "the peak RSS grew by $growth kB under pressure"
log "pass: a pool of 255 drained by held fragments and recovered ($(elapsed) s)"
