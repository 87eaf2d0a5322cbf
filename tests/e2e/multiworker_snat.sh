#!/usr/bin/env bash
# Two workers on af_packet (qpairs=2): pods fetch a page from the external server through
# SNAT, several times each. The kernel's fanout puts a flow's request and its reply (to the
# public address) on queues by their own tuples, so some packets reach a worker that does
# not own their flow and are handed over (pipeline/handoff.h). Every fetch succeeds, the
# summary counts handoffs on the workers, and no handoff ring refused a packet.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"

config=$GL_DIR/two-workers.yaml
sed -e 's/^workers:.*/workers: 2/' -e 's/\(device: net_af_packet[01],iface=[a-z-]*\)/\1,qpairs=2/' \
  "$GL_CONFIG" >"$config"
grep -q '^workers: 2' "$config" || fail "the config sets no workers: line to change"
[ "$(grep -c 'qpairs=2' "$config")" -eq 2 ] || fail "the ports' devices did not take qpairs=2"

# As gauntlet_start, with two worker lcores.
rm -f "$GL_DIR/events.jsonl" "$GL_DIR/gauntlet.out" "$GL_DIR/gauntlet.err"
# Three lcores (control + two workers) on however many CPUs there are: two suffice.
ip netns exec "$GL_NS_GAUNTLET" "$bin" --lcores 0@0,1@1,2@0 --no-huge -m 1024 --no-shconf --no-pci \
  --no-telemetry --log-level='*:warning' -- --config "$config" \
  --events "$GL_DIR/events.jsonl" --duration 90 >"$GL_DIR/gauntlet.out" 2>"$GL_DIR/gauntlet.err" &
gauntlet_pid=$!
for _ in $(seq 200); do
  grep -q "^gauntlet: running 2 worker" "$GL_DIR/gauntlet.err" && break
  kill -0 "$gauntlet_pid" 2>/dev/null || fail "gauntlet exited before it was running: $(cat "$GL_DIR/gauntlet.err")"
  sleep 0.1
done
grep -q "^gauntlet: running 2 worker" "$GL_DIR/gauntlet.err" || fail "gauntlet did not run 2 workers"
warm_up
fetches=0
for round in 1 2 3; do
  for pod in $GL_PODS; do
    body=$(in_pods curl -sS --interface "$pod" --max-time 5 http://93.184.216.34:443/) ||
      fail "$pod could not fetch http://93.184.216.34:443/ (round $round)"
    [ "$body" = "external 93.184.216.34" ] || fail "$pod got '$body'"
    fetches=$((fetches + 1))
  done
done
log "$fetches fetches through SNAT with two workers ($(elapsed) s)"
gauntlet_stop

out=$GL_DIR/gauntlet.out
[ "$(grep -c '^worker [01]: ' "$out")" -eq 2 ] || fail "the summary has no line per worker"
sent=$(awk '/^worker [01]: / { s += $5 } END { print s + 0 }' "$out")
taken=$(awk '/^worker [01]: / { s += $10 } END { print s + 0 }' "$out")
[ "$sent" -gt 0 ] || fail "no packet was handed between the workers"
[ "$sent" -eq "$taken" ] || fail "$sent packets handed over, $taken taken"
! grep -q 'handoff:ring-full' "$out" || fail "a handoff ring refused packets"
log "pass: $fetches fetches answered, $sent packets handed between the workers ($(elapsed) s)"
