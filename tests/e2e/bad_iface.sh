#!/usr/bin/env bash
# A live config whose af_packet interface does not exist: gauntlet exits non-zero within a
# few seconds, with an error that names the port and the device, and never hangs or crashes.
# Each port in turn; the other port's interface exists.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"

for port in outside inside; do
  iface=$([ "$port" = outside ] && echo gl-out || echo gl-in)
  ! ip -n "$GL_NS_GAUNTLET" link show gl-nosuch0 >/dev/null 2>&1 || fail "gl-nosuch0 exists"
  sed "s/iface=$iface\b/iface=gl-nosuch0/" "$GL_CONFIG" >"$GL_DIR/bad-$port.yaml"
  grep -q "iface=gl-nosuch0" "$GL_DIR/bad-$port.yaml" || fail "could not write the bad config"
  start=$(date +%s.%N)
  rc=0
  timeout -k 2 20 ip netns exec "$GL_NS_GAUNTLET" "$bin" -l 0,1 --no-huge -m 512 --no-shconf \
    --no-pci --no-telemetry --log-level='*:warning' -- --config "$GL_DIR/bad-$port.yaml" \
    --duration 5 >"$GL_DIR/bad-$port.out" 2>"$GL_DIR/bad-$port.err" || rc=$?
  took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
  echo "--- $port missing: exit $rc after $took s; stderr:"
  cat "$GL_DIR/bad-$port.err"
  case $rc in
    0) fail "$port: gauntlet ran with a missing interface (exit 0)" ;;
    124 | 137) fail "$port: gauntlet hung (killed after 20 s)" ;;
    1 | 2) ;;
    *) fail "$port: gauntlet exited $rc (a crash?)" ;;
  esac
  awk -v t="$took" 'BEGIN { exit !(t < 10) }' || fail "$port: gauntlet took $took s to give up"
  grep -q "error: port $port: device 'net_af_packet[01],iface=gl-nosuch0'" "$GL_DIR/bad-$port.err" ||
    fail "$port: the error does not name port $port and its device"
done
log "pass: a missing interface on either port is refused with its name ($(elapsed) s)"
