#!/usr/bin/env bash
# The load balancer and the WAF with real clients and servers. 300 curl requests to the web
# VIP 198.51.100.10:80 (three equal backends here: 10.0.0.10, .11, .12) all get 200, each
# backend serving at least 20% (a weighted spread over 1000 flows is the lb-spread golden
# case's). Through the shop VIP
# 198.51.100.12 (WAF on, backend 10.0.0.10): an ordinary request gets 200; one carrying SQL
# injection has its connection reset, the backend's server never sees it, and the event
# names the WAF rule.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"

sed -e 's/- { address: 10.0.0.11, port: 80, weight: 2 }/- { address: 10.0.0.11, port: 80, weight: 1 }/' \
  -e '/- { address: 10.0.0.11, port: 80, weight: 1 }/a\      - { address: 10.0.0.12, port: 80, weight: 1 }' \
  "$GL_CONFIG" >"$GL_DIR/three.yaml"
grep -q "10.0.0.12, port: 80, weight: 1" "$GL_DIR/three.yaml" || fail "could not add a third backend"
gauntlet_start "$GL_DIR/three.yaml"
warm_up
codes=$(in_internet timeout 90 curl -sS --interface 203.0.113.10 --max-time 5 \
  -H 'Connection: close' -o /dev/null -w '%{http_code}\n' "http://198.51.100.10/?vip=[1-300]" 2>&1) || true
ok=$(grep -c '^200$' <<<"$codes" || true)
[ "$ok" -eq 300 ] || fail "$ok of 300 requests to the VIP answered 200: $(sort <<<"$codes" | uniq -c | tr '\n' ' ')"
n10=$(grep -c '"GET /?vip=' "$GL_DIR/http-10.0.0.10.log" || true)
n11=$(grep -c '"GET /?vip=' "$GL_DIR/http-10.0.0.11.log" || true)
n12=$(grep -c '"GET /?vip=' "$GL_DIR/http-10.0.0.12.log" || true)
[ $((n10 + n11 + n12)) -eq 300 ] || fail "the backends logged $n10 + $n11 + $n12 requests, not 300"
# 300 new flows over three equal backends: 100 each expected; 20% (60) is five standard
# deviations below.
[ "$n10" -ge 60 ] && [ "$n11" -ge 60 ] && [ "$n12" -ge 60 ] ||
  fail "the VIP's requests split $n10 / $n11 / $n12 between three equal backends"
log "VIP: 300/300 answered 200, split $n10 / $n11 / $n12 over three backends ($(elapsed) s)"

body=$(in_internet curl -sS --interface 203.0.113.10 --max-time 5 \
  "http://198.51.100.12/?category=shoes&sort=price") || fail "the shop's ordinary request failed"
[ "$body" = "pod 10.0.0.10" ] || fail "the shop answered '$body'"
rc=0
in_internet curl -sS --interface 203.0.113.10 --max-time 5 -o /dev/null \
  "http://198.51.100.12/?id=1%27%20OR%20%271%27%3D%271" 2>"$GL_DIR/curl-sqli.err" || rc=$?
# 56: connection reset (recv failure); 52: empty reply. Either way no HTTP answer came.
[ "$rc" -eq 56 ] || [ "$rc" -eq 52 ] || fail "the SQL injection request ended with curl exit $rc: $(cat "$GL_DIR/curl-sqli.err")"
log "shop: ordinary request 200, SQL injection reset (curl exit $rc) ($(elapsed) s)"
gauntlet_stop

! grep -q "OR%20" "$GL_DIR/http-10.0.0.10.log" || fail "the backend's server saw the SQL injection request"
blocked=$(events_count "$GL_DIR/events.jsonl" event=stop layer=waf reason=waf:blocked src=203.0.113.10 dst=198.51.100.12)
[ "$blocked" -ge 1 ] || fail "no waf:blocked event for the SQL injection"
grep -m1 '"reason":"waf:blocked"' "$GL_DIR/events.jsonl" | grep -q '"matches":\[{"rule":"942' ||
  fail "the waf:blocked event names no SQL injection rule: $(grep -m1 waf:blocked "$GL_DIR/events.jsonl")"
log "pass: the backend never saw the attack; the event names rule $(grep -m1 -o '"rule":"942[0-9]*"' "$GL_DIR/events.jsonl") ($(elapsed) s)"
