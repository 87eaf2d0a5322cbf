# Shared by the e2e tests; sourced, never run. A test calls `e2e_init "$@"` with meson's
# arguments (the gauntlet binary and the source root). Outside a topology, e2e_init re-runs
# the test inside `tools/topology.sh run` (which builds the namespaces and always tears them
# down); inside, it sets the helpers up. All traffic stays in the namespaces' own addresses.
set -euo pipefail

E2E_SKIP=77   # meson: skipped

e2e_init() {
  bin=$(realpath "$1")
  root=$(realpath "$2")
  if [ -z "${GL_TOPOLOGY:-}" ]; then
    if [ "$(id -u)" -ne 0 ]; then echo "e2e: skipped: needs root (network namespaces)"; exit $E2E_SKIP; fi
    local tool
    for tool in ip ethtool curl wrk ping arping ss flock /usr/bin/python3; do
      command -v "$tool" >/dev/null || { echo "e2e: skipped: $tool is missing (tools/setup.sh installs it)"; exit $E2E_SKIP; }
    done
    unshare -n true 2>/dev/null || { echo "e2e: skipped: cannot create network namespaces here"; exit $E2E_SKIP; }
    exec "$root/tools/topology.sh" run "$(realpath "$0")" "$bin" "$root"
  fi
  test_start=$(date +%s.%N)
  gauntlet_pid=""
  trap 'e2e_cleanup' EXIT
}

log() { echo "e2e: $*"; }

elapsed() { awk -v s="$test_start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

# Whatever else happens, gauntlet does not outlive the test (the topology's teardown would
# also stop it).
e2e_cleanup() {
  if [ -n "$gauntlet_pid" ] && kill -0 "$gauntlet_pid" 2>/dev/null; then
    kill -TERM "$gauntlet_pid" 2>/dev/null || true
  fi
}

# Stops gauntlet if it still runs (so that its summary and events are complete), prints
# what it said, then fails the test.
fail() {
  echo "e2e: FAIL: $*"
  local f i
  if [ -n "${gauntlet_pid:-}" ] && kill -TERM "$gauntlet_pid" 2>/dev/null; then
    for i in $(seq 50); do kill -0 "$gauntlet_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  for f in "$GL_DIR/gauntlet.err" "$GL_DIR/gauntlet.out"; do
    [ -s "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }
  done
  if [ -s "$GL_DIR/events.jsonl" ]; then echo "--- events (last 20)"; tail -n 20 "$GL_DIR/events.jsonl"; fi
  exit 1
}

in_internet() { ip netns exec "$GL_NS_INTERNET" "$@"; }
in_pods() { ip netns exec "$GL_NS_PODS" "$@"; }

# Starts gauntlet live on the topology (worker on lcore 1, control on lcore 0) and waits
# until it says it is running. --duration bounds the run even if nobody stops it.
# Args: [CONFIG [DURATION]].
gauntlet_start() {
  local config=${1:-$GL_CONFIG} duration=${2:-90} i
  rm -f "$GL_DIR/events.jsonl" "$GL_DIR/gauntlet.out" "$GL_DIR/gauntlet.err"
  ip netns exec "$GL_NS_GAUNTLET" "$bin" -l 0,1 --no-huge -m 512 --no-shconf --no-pci \
    --no-telemetry --log-level='*:warning' -- --config "$config" \
    --events "$GL_DIR/events.jsonl" --duration "$duration" \
    >"$GL_DIR/gauntlet.out" 2>"$GL_DIR/gauntlet.err" &
  gauntlet_pid=$!
  for i in $(seq 200); do
    grep -q "^gauntlet: running" "$GL_DIR/gauntlet.err" && { log "gauntlet running ($(elapsed) s)"; return 0; }
    kill -0 "$gauntlet_pid" 2>/dev/null || fail "gauntlet exited before it was running"
    sleep 0.1
  done
  fail "gauntlet did not report running within 20 s"
}

# SIGTERM: gauntlet drains, prints the summary and exits 0. Events are complete afterwards.
gauntlet_stop() {
  local rc=0 i
  [ -n "$gauntlet_pid" ] || fail "gauntlet_stop without gauntlet_start"
  kill -TERM "$gauntlet_pid" 2>/dev/null || fail "gauntlet was no longer running at the end"
  for i in $(seq 100); do
    kill -0 "$gauntlet_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$gauntlet_pid" 2>/dev/null && fail "gauntlet did not stop within 10 s of SIGTERM"
  wait "$gauntlet_pid" || rc=$?
  gauntlet_pid=""
  [ "$rc" -eq 0 ] || fail "gauntlet exited with $rc after SIGTERM"
  grep -q "^gauntlet summary" "$GL_DIR/gauntlet.out" || fail "gauntlet printed no summary"
  cat "$GL_DIR/gauntlet.out"
}

# gauntlet learns neighbours live: the internet gateway and each pod address given (all by
# default) ask it for its own address (ARP request, which it answers and learns the sender
# from); then pings go through it until the path works both ways: a packet towards a
# neighbour it does not know yet is dropped while gauntlet resolves it with an ARP request
# of its own. Bounded: 10 tries per pod. Args: [ANNOUNCED_PODS].
warm_up() {
  local pod i announced=${1-$GL_PODS}
  for pod in $announced; do
    in_pods arping -q -c 1 -w 2 -I "$GL_IN_PEER" -s "$pod" 10.0.0.1 || log "no ARP answer for 10.0.0.1 from $pod (retrying with ping)"
  done
  in_internet arping -q -c 1 -w 2 -I "$GL_OUT_PEER" -s 198.51.100.254 198.51.100.1 || log "no ARP answer for 198.51.100.1"
  for pod in $GL_PODS; do
    for i in $(seq 10); do
      in_internet ping -q -c 1 -W 1 -I 203.0.113.10 "$pod" >/dev/null && continue 2
    done
    fail "no ping answer from $pod through gauntlet after 10 tries"
  done
  log "warm: every pod answers pings through gauntlet ($(elapsed) s)"
}

# Counts the events in FILE whose fields equal every KEY=VALUE given (numbers compare as
# text: dport=80).
events_count() {
  /usr/bin/python3 - "$@" <<'PY'
import json, sys
path, wanted = sys.argv[1], [a.split("=", 1) for a in sys.argv[2:]]
n = 0
with open(path) as f:
    for line in f:
        e = json.loads(line)
        if all(str(e.get(k)) == v for k, v in wanted):
            n += 1
print(n)
PY
}

# The hits of one rule, from the summary's "firewall rule hits:" / "allowlist rule hits:"
# lines; 0 when it is not named.
rule_hits() {
  local list=$1 rule=$2
  sed -n "s/^$list rule hits: //p" "$GL_DIR/gauntlet.out" | tr ',' '\n' |
    awk -v r="$rule" '$1 == r { n = $2 } END { print n + 0 }'
}
