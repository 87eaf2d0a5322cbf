#!/usr/bin/env bash
# A backend fails: the web VIP's backends are health-checked (HTTP GET /, every 500 ms, down
# after 2 failures). 10.0.0.11's server is stopped; within fall x interval + 1 s every new
# request to the VIP succeeds again (served by 10.0.0.10), while a slow download running
# meanwhile from 10.0.0.10 completes intact. gauntlet logs the health change.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"

# Probes leave from ports SNAT does not use.
sed -e '/^    table_size: 65537$/a\    health: { type: http, path: /, interval: 500ms, timeout: 400ms, rise: 2, fall: 2 }' \
  -e 's/^  ports: 1024-65535$/  ports: 1024-60999/' "$GL_CONFIG" >"$GL_DIR/health.yaml"
grep -q "type: http" "$GL_DIR/health.yaml" || fail "could not add health checks to the web service"
head -c 2000000 /dev/urandom >"$GL_DIR/www/10.0.0.10/big.bin"

gauntlet_start "$GL_DIR/health.yaml"
warm_up "10.0.0.10 10.0.0.11"
sleep 1.5  # a few probe rounds: both backends answer
codes=$(in_internet curl -sS --interface 203.0.113.10 --max-time 5 -H 'Connection: close' \
  -o /dev/null -w '%{http_code}\n' "http://198.51.100.10/?before=[1-20]" 2>&1) || true
[ "$(grep -c '^200$' <<<"$codes")" -eq 20 ] || fail "before the failure: $(sort <<<"$codes" | uniq -c | tr '\n' ' ')"

# About 10 s at 200 KB/s: it runs across the failure.
in_internet curl -sS --interface 203.0.113.10 --limit-rate 200k --max-time 60 \
  -o "$GL_DIR/big.out" http://10.0.0.10/big.bin &
download=$!
sleep 1
in_pods pkill -f "$GL_DIR/www/10.0.0.11" || fail "could not stop 10.0.0.11's server"
log "stopped 10.0.0.11's server ($(elapsed) s)"
sleep 2  # fall (2) x interval (0.5 s) + 1 s
codes=$(in_internet curl -sS --interface 203.0.113.10 --max-time 5 -H 'Connection: close' \
  -o /dev/null -w '%{http_code}\n' "http://198.51.100.10/?after=[1-50]" 2>&1) || true
ok=$(grep -c '^200$' <<<"$codes" || true)
[ "$ok" -eq 50 ] || fail "$ok of 50 new requests succeeded 2 s after the failure: $(sort <<<"$codes" | uniq -c | tr '\n' ' ')"
log "2 s after the failure: 50/50 new requests answered ($(elapsed) s)"
wait "$download" || fail "the slow download from 10.0.0.10 failed"
cmp -s "$GL_DIR/big.out" "$GL_DIR/www/10.0.0.10/big.bin" || fail "the slow download arrived damaged"
log "the slow download (2 MB) completed intact ($(elapsed) s)"
gauntlet_stop

grep -q '"event":"health".*10.0.0.11' "$GL_DIR/events.jsonl" ||
  fail "no health event for 10.0.0.11: $(grep -c health "$GL_DIR/events.jsonl") health lines"
grep -m1 '"event":"health".*10.0.0.11' "$GL_DIR/events.jsonl"
log "pass ($(elapsed) s)"
