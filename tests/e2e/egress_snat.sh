#!/usr/bin/env bash
# Pods -> internet through the egress allow-list, conntrack and SNAT. Each pod fetches a page
# from the external server 93.184.216.34:443 (allowed: example-api, logged, then https-out):
# the call succeeds and the server sees only the SNAT address 198.51.100.2. A call to
# 198.18.0.5:6667, which no rule allows, gets nothing, the server there sees nothing, and
# gauntlet writes an allowlist:default-deny event naming the pod.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"

server_log=$GL_DIR/http-93.184.216.34.log
denied_log=$GL_DIR/http-198.18.0.5.log
gauntlet_start
warm_up
for pod in $GL_PODS; do
  body=$(in_pods curl -sS --interface "$pod" --max-time 5 http://93.184.216.34:443/) ||
    fail "$pod could not fetch http://93.184.216.34:443/"
  [ "$body" = "external 93.184.216.34" ] || fail "$pod got '$body'"
done
snat=$(grep -c '^198\.51\.100\.2 .*"GET / HTTP/1.1" 200' "$server_log" || true)
[ "$snat" -eq 3 ] || fail "the external server logged $snat requests from 198.51.100.2, not 3: $(cat "$server_log")"
! grep -q '^10\.0\.0\.' "$server_log" || fail "a pod address reached the external server: $(cat "$server_log")"
log "3 pods reached 93.184.216.34:443, seen there as 198.51.100.2 ($(elapsed) s)"

rc=0
in_pods curl -sS --interface 10.0.0.11 --max-time 3 -o /dev/null http://198.18.0.5:6667/ || rc=$?
[ "$rc" -eq 28 ] || fail "curl to 198.18.0.5:6667 should time out (exit 28), it exited $rc"
log "10.0.0.11 got no answer from 198.18.0.5:6667 within 3 s ($(elapsed) s)"
gauntlet_stop

! grep -q 'GET' "$denied_log" || fail "the server at 198.18.0.5:6667 was reached: $(cat "$denied_log")"
denied=$(events_count "$GL_DIR/events.jsonl" event=stop layer=allowlist reason=allowlist:default-deny \
  rule=default proto=tcp src=10.0.0.11 dst=198.18.0.5 dport=6667)
[ "$denied" -ge 1 ] || fail "no allowlist:default-deny event for 10.0.0.11 -> 198.18.0.5:6667"
grep -m1 '"reason":"allowlist:default-deny"' "$GL_DIR/events.jsonl"
logged=$(events_count "$GL_DIR/events.jsonl" event=log reason=allowlist:allowed rule=example-api \
  dst=93.184.216.34 dport=443)
[ "$logged" -eq 3 ] || fail "expected 3 log events for rule example-api (log: true), got $logged"
[ "$(rule_hits allowlist example-api)" -eq 3 ] || fail "the summary does not count 3 hits for example-api"
log "pass: SNAT to 198.51.100.2, $denied SYNs to 198.18.0.5:6667 stopped by the allow-list default ($(elapsed) s)"
