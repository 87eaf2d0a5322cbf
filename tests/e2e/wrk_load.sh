#!/usr/bin/env bash
# A short load: wrk (1 thread, 4 keep-alive connections, 10 s) from the internet namespace to
# the web VIP (198.51.100.10, Maglev over two pods) through gauntlet. Every response is 2xx and
# no socket errors occur. The requests/s figure is printed, never judged: it depends on the
# machine (2 cores here, one of them busy-polled by gauntlet's worker) and on Python's server.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"

gauntlet_start
warm_up
out=$(in_internet timeout 30 wrk -t1 -c4 -d10s --timeout 5s http://198.51.100.10/) || fail "wrk failed: $out"
echo "$out"
! grep -q 'Non-2xx' <<<"$out" || fail "wrk got responses other than 2xx/3xx"
! grep -q 'Socket errors' <<<"$out" || fail "wrk saw socket errors"
requests=$(awk '/ requests in / { print $1 }' <<<"$out")
rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
[ "${requests:-0}" -gt 0 ] || fail "wrk completed no request"
gauntlet_stop
stops=$(events_count "$GL_DIR/events.jsonl" event=stop)
log "pass: $requests requests, all 2xx, no socket errors; $rps requests/s (wrk -t1 -c4 -d10s) ($(elapsed) s)"
[ "$stops" -eq 0 ] || log "note: gauntlet stopped $stops packets during the run (see the summary above)"
