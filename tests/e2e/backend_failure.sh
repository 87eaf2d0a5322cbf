#!/usr/bin/env bash
# A backend fails: the web VIP's backends are health-checked (HTTP GET /, every 500 ms, down
# after 2 failures). 10.0.0.11's server is stopped; gauntlet takes it out within 3 s (fall x
# interval is 1 s) and from then on every new request to the VIP succeeds (served by
# 10.0.0.10), while a slow download running
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

# Twenty connections from fixed client ports, to be opened again on the same 5-tuples after
# the failure: a connection opened on the 5-tuple of one that has closed is new, placed
# afresh, not sent to the backend the closed one had (a client may reuse a port at any time).
from_port() {  # PORT -> the answer's body ("pod ADDR"), or "error: ..."
  in_internet /usr/bin/python3 -c '
import socket, struct, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.settimeout(5)
try:
    s.bind(("203.0.113.10", int(sys.argv[1])))
    s.connect(("198.51.100.10", 80))
    s.sendall(b"GET / HTTP/1.1\r\nHost: vip\r\nConnection: close\r\n\r\n")
    data = b""
    while chunk := s.recv(4096):
        data += chunk
    print(data.split(b"\r\n\r\n", 1)[-1].decode(errors="replace").strip())
except OSError as e:
    print("error:", e)
finally:
    # Abort (RST): no TIME_WAIT holds the port here; the flow is closed.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()' "$1"
}
declare -A first_answer
for port in $(seq 40100 40119); do first_answer[$port]=$(from_port "$port"); done
on_11=$(printf '%s\n' "${first_answer[@]}" | grep -c ' 10\.0\.0\.11$' || true)
on_10=$(printf '%s\n' "${first_answer[@]}" | grep -c ' 10\.0\.0\.10$' || true)
[ $((on_10 + on_11)) -eq 20 ] && [ "$on_11" -gt 0 ] ||
  fail "fixed client ports before the failure: $on_10 on 10.0.0.10, $on_11 on 10.0.0.11, of 20"

# About 10 s at 200 KB/s: it runs across the failure.
in_internet curl -sS --interface 203.0.113.10 --limit-rate 200k --max-time 60 \
  -o "$GL_DIR/big.out" http://10.0.0.10/big.bin &
download=$!
sleep 1
in_pods pkill -f "$GL_DIR/www/10.0.0.11" || fail "could not stop 10.0.0.11's server"
stopped=$(date +%s.%N)
log "stopped 10.0.0.11's server ($(elapsed) s)"
# Out after fall (2) failed probes 500 ms apart: about 1 s; 2 s more is margin for a loaded
# machine. The event is written once the tables without it are published.
for i in $(seq 30); do
  grep -q '"event":"health".*"backend":"10.0.0.11:80".*"to":"down"' "$GL_DIR/events.jsonl" && break
  sleep 0.1
done
taken_out=$(awk -v s="$stopped" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
grep -q '"event":"health".*"backend":"10.0.0.11:80".*"to":"down"' "$GL_DIR/events.jsonl" ||
  fail "10.0.0.11 was not taken out within 3 s of its server stopping"
log "10.0.0.11 taken out within $taken_out s of its server stopping"
codes=$(in_internet curl -sS --interface 203.0.113.10 --max-time 5 -H 'Connection: close' \
  -o /dev/null -w '%{http_code} port %{local_port} at %{time_connect} s\n' \
  "http://198.51.100.10/?after=[1-50]" 2>&1) || true
ok=$(grep -c '^200 ' <<<"$codes" || true)
[ "$ok" -eq 50 ] || fail "$ok of 50 new requests succeeded once 10.0.0.11 was out: $(grep -v '^200 ' <<<"$codes" | head -5 | tr '\n' ' ')"
log "once 10.0.0.11 was out: 50/50 new requests answered ($(elapsed) s)"
for port in $(seq 40100 40119); do
  again=$(from_port "$port")
  [[ "$again" == *" 10.0.0.10" ]] ||
    fail "client port $port again (before: '${first_answer[$port]}'): '$again'"
done
log "the 20 fixed client ports again ($on_11 were on 10.0.0.11): all answered by 10.0.0.10 ($(elapsed) s)"
wait "$download" || fail "the slow download from 10.0.0.10 failed"
cmp -s "$GL_DIR/big.out" "$GL_DIR/www/10.0.0.10/big.bin" || fail "the slow download arrived damaged"
log "the slow download (2 MB) completed intact ($(elapsed) s)"
gauntlet_stop

grep -q '"event":"health".*10.0.0.11' "$GL_DIR/events.jsonl" ||
  fail "no health event for 10.0.0.11: $(grep -c health "$GL_DIR/events.jsonl") health lines"
grep -m1 '"event":"health".*10.0.0.11' "$GL_DIR/events.jsonl"
log "pass ($(elapsed) s)"
