#!/usr/bin/env bash
# Internet -> pods through routing, the firewall (rule web-to-pods) and conntrack: the
# internet client 203.0.113.10 sends 100 HTTP requests to each pod, each on a new TCP
# connection; every one is answered 200 by the pod it was sent to, which sees the client's
# own address (no NAT on the way in). 10.0.0.12 does not announce itself first: gauntlet
# resolves it with an ARP request of its own, dropping the packet that needed it.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"

gauntlet_start
warm_up "10.0.0.10 10.0.0.11"
for pod in $GL_PODS; do
  body=$(in_internet curl -sS --interface 203.0.113.10 --max-time 5 "http://$pod/") ||
    fail "$pod: the first request failed"
  [ "$body" = "pod $pod" ] || fail "$pod: answered by '$body'"
  codes=$(in_internet timeout 60 curl -sS --interface 203.0.113.10 --max-time 5 \
    -H 'Connection: close' -o /dev/null -w '%{http_code}\n' "http://$pod/?n=[1-100]" 2>&1) || true
  ok=$(grep -c '^200$' <<<"$codes" || true)
  [ "$ok" -eq 100 ] || fail "$pod: $ok of 100 requests answered 200; answers: $(sort <<<"$codes" | uniq -c | tr '\n' ' ')"
  seen=$(grep -c "^203\.0\.113\.10 .*\"GET /?n=" "$GL_DIR/http-$pod.log" || true)
  [ "$seen" -eq 100 ] || fail "$pod: its server logged $seen requests from 203.0.113.10, not 100"
  log "$pod: 100/100 answered 200 by the pod, client address kept ($(elapsed) s)"
done
gauntlet_stop

# One firewall decision per connection (a flow's later packets and its replies pass on the
# conntrack hit): 101 connections per pod.
hits=$(rule_hits firewall web-to-pods)
[ "$hits" -ge 303 ] || fail "firewall rule web-to-pods decided $hits flows, expected at least 303"
stops=$(events_count "$GL_DIR/events.jsonl" event=stop)
unresolved=$(events_count "$GL_DIR/events.jsonl" event=stop reason=forward:neighbour-unresolved \
  next_hop=10.0.0.12)
[ "$unresolved" -ge 1 ] || fail "no forward:neighbour-unresolved event for 10.0.0.12"
[ "$stops" -eq "$unresolved" ] || fail "$((stops - unresolved)) packets were stopped for other reasons"
log "pass: 303 connections, web-to-pods hits $hits; stopped only $unresolved packet(s) while resolving 10.0.0.12 ($(elapsed) s)"
