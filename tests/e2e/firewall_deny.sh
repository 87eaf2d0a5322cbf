#!/usr/bin/env bash
# The ingress firewall stops a client it denies: 192.0.2.66 (rule block-bad-net) gets no
# answer from a pod, the pod never sees it, and gauntlet writes a firewall:denied event naming
# the rule; the allowed client 203.0.113.10 reaches the same pod in the same run.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"

gauntlet_start
warm_up
code=$(in_internet curl -sS --interface 203.0.113.10 --max-time 5 -o /dev/null -w '%{http_code}' \
  http://10.0.0.10/) || fail "the allowed client 203.0.113.10 could not reach 10.0.0.10"
[ "$code" = 200 ] || fail "the allowed client got HTTP $code"

rc=0
in_internet curl -sS --interface 192.0.2.66 --max-time 3 -o /dev/null http://10.0.0.10/ || rc=$?
[ "$rc" -eq 28 ] || fail "curl from 192.0.2.66 should time out (exit 28), it exited $rc"
log "192.0.2.66 got no answer within 3 s ($(elapsed) s)"
gauntlet_stop

denied=$(events_count "$GL_DIR/events.jsonl" event=stop layer=firewall reason=firewall:denied \
  rule=block-bad-net proto=tcp src=192.0.2.66 dst=10.0.0.10 dport=80)
[ "$denied" -ge 1 ] || fail "no firewall:denied event for 192.0.2.66 -> 10.0.0.10:80 by rule block-bad-net"
grep -m1 '"rule":"block-bad-net"' "$GL_DIR/events.jsonl"
! grep -q '^192\.0\.2\.66 ' "$GL_DIR/http-10.0.0.10.log" || fail "the pod's server saw 192.0.2.66"
[ "$(rule_hits firewall block-bad-net)" -ge 1 ] || fail "the summary has no hit for block-bad-net"
log "pass: $denied SYNs from 192.0.2.66 stopped by block-bad-net ($(elapsed) s)"
