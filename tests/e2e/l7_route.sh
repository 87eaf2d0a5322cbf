#!/usr/bin/env bash
# The l7-route proxy with real clients and servers. VIP 198.51.100.20 (ports 80 and 443,
# mode l7-route, no default service) routes by HTTP Host and path and by TLS SNI to nginx
# pools in the pods namespace (tools/nginx_pool.sh; each answer names its pool and server;
# the services are e2e-site, e2e-api, ... beside the shipped config's own site VIP):
#   Host api.site.com                -> site-api       10.0.0.11:8081
#   Host *.site.com, path /static/   -> site-static    10.0.0.12:8082
#   Host site.com                    -> site-main      10.0.0.10:8081, 10.0.0.12:8081
#   SNI  api.site.com                -> site-api-tls   10.0.0.11:8444 (HTTPS)
#   SNI  site.com                    -> site-main-tls  10.0.0.10:8444, 10.0.0.12:8444 (HTTPS)
# Clients are curl --resolve (HTTP, and HTTPS with -k over a certificate made at test time):
# every answer comes from the pool its name and path route to, site.com's 40 connections
# spread over both of its servers (Maglev within the pool), and an 8 MiB body arrives with
# its sha256 over HTTP and over HTTPS. Requests that match no route (an unknown Host, a
# *.site.com path outside /static/, an unknown SNI) are reset, reach no server, and each
# leaves a proxy:no-route stop event naming the VIP and the client's port. Then wrk (1 thread, 4 keep-alive
# connections, 10 s) through the spliced path: only 2xx, no socket errors, and the pool's
# log holds as many requests as wrk counted. Skipped only when the binary has no l7-route
# mode yet.
set -euo pipefail
if [ -z "${GL_TOPOLOGY:-}" ]; then
  # Checked before the namespaces are built: what this test alone needs.
  # The proxy stage's vocabulary (proxy:spliced) is in the binary once the stage is.
  if [ -f "$1" ] && ! grep -aq 'proxy:spliced' "$1"; then
    echo "e2e: skipped: this gauntlet has no l7-route proxy stage (services: mode: l7-route)"
    exit 77
  fi
  for tool in nginx openssl sha256sum; do
    command -v "$tool" >/dev/null || { echo "e2e: skipped: $tool is missing (tools/setup.sh installs it)"; exit 77; }
  done
fi
source "$(dirname "$0")/lib.sh"
e2e_init "$@"

VIP=198.51.100.20
CLIENT=203.0.113.10
POOL_DIR="$GL_DIR/nginx"

# The live config plus the VIP, a firewall rule for it, and its pools.
awk -v vip="$VIP" '
  /id: web-vip,/ { print "    - { id: e2e-site-vip, action: allow, proto: tcp, dst: " vip "/32 }" }
  { print }
  /^services:/ {
    print "  - name: e2e-site"
    print "    vip: " vip
    print "    ports: [80, 443]"
    print "    protocol: tcp"
    print "    mode: l7-route"
    print "    routes:"
    print "      - { sni: api.site.com, service: e2e-api-tls }"
    print "      - { sni: site.com, service: e2e-main-tls }"
    print "      - { host: api.site.com, service: e2e-api }"
    print "      - { host: \"*.site.com\", path: /static/, service: e2e-static }"
    print "      - { host: site.com, service: e2e-main }"
    print "    l7_wait: { bytes: 8192, ms: 3000 }"
    print "  - name: e2e-api"
    print "    backends: [{ address: 10.0.0.11, port: 8081 }]"
    print "  - name: e2e-api-tls"
    print "    backends: [{ address: 10.0.0.11, port: 8444 }]"
    print "  - name: e2e-static"
    print "    backends: [{ address: 10.0.0.12, port: 8082 }]"
    print "  - name: e2e-main"
    print "    backends: [{ address: 10.0.0.10, port: 8081 }, { address: 10.0.0.12, port: 8081 }]"
    print "  - name: e2e-main-tls"
    print "    backends: [{ address: 10.0.0.10, port: 8444 }, { address: 10.0.0.12, port: 8444 }]"
  }
' "$GL_CONFIG" >"$GL_DIR/l7.yaml"
grep -q "id: e2e-site-vip" "$GL_DIR/l7.yaml" && grep -q "mode: l7-route" "$GL_DIR/l7.yaml" ||
  fail "could not add the l7-route service to the live config"
"$bin" --config "$GL_DIR/l7.yaml" --check >"$GL_DIR/check.out" 2>&1 ||
  fail "gauntlet refuses the l7-route config: $(cat "$GL_DIR/check.out")"

"$root/tools/nginx_pool.sh" start "$GL_NS_PODS" "$POOL_DIR" \
  site-api@10.0.0.11:8081 site-api-tls@10.0.0.11:8444/tls site-static@10.0.0.12:8082 \
  site-main@10.0.0.10:8081 site-main@10.0.0.12:8081 \
  site-main-tls@10.0.0.10:8444/tls site-main-tls@10.0.0.12:8444/tls || fail "nginx pools did not start"
big_sha=$(cat "$POOL_DIR/big.bin.sha256")
log "nginx pools up ($(elapsed) s)"

gauntlet_start "$GL_DIR/l7.yaml" 120
warm_up

# One request: HOST routes (--resolve to the VIP); prints the body. Args: SCHEME HOST PATH [curl options].
get() {
  local scheme=$1 host=$2 path=$3 port=80 opts=()
  shift 3
  [ "$scheme" = https ] && port=443 opts=(-k)
  in_internet curl -sS --interface "$CLIENT" --max-time 10 -H 'Connection: close' "${opts[@]}" \
    --resolve "$host:$port:$VIP" "$@" "$scheme://$host$path"
}

# Expect the answer to name POOL (and its scheme). Args: POOL SCHEME HOST PATH.
expect_pool() {
  local pool=$1 scheme=$2 host=$3 path=$4 body
  body=$(get "$scheme" "$host" "$path" 2>&1) || fail "$scheme://$host$path failed: $body"
  [[ $body =~ ^$pool\ 10\.0\.0\.[0-9]+:[0-9]+\ $scheme$ ]] ||
    fail "$scheme://$host$path should come from $pool, got '$body'"
  echo "$body"
}

expect_pool site-api http api.site.com /
expect_pool site-api http api.site.com /static/   # the first route that matches wins
expect_pool site-static http www.site.com /static/
expect_pool site-static http img.site.com /static/index.html
expect_pool site-main http site.com /
expect_pool site-api-tls https api.site.com /
expect_pool site-main-tls https site.com /static/
log "Host, path and SNI routes each reached their pool ($(elapsed) s)"

# Maglev within a pool: site.com's new connections spread over both of its servers.
for scheme in http https; do
  pool=site-main
  [ $scheme = https ] && pool=site-main-tls
  : >"$GL_DIR/bodies-$scheme"
  for i in $(seq 20); do expect_pool $pool $scheme site.com "/?n=$i" >>"$GL_DIR/bodies-$scheme"; done
  awk '{ print $2 }' "$GL_DIR/bodies-$scheme" | sort | uniq -c >"$GL_DIR/spread-$scheme"
  [ "$(wc -l <"$GL_DIR/spread-$scheme")" -eq 2 ] ||
    fail "site.com over $scheme: 20 connections did not reach both servers: $(tr '\n' ' ' <"$GL_DIR/spread-$scheme")"
  log "site.com over $scheme, 20 connections: $(tr -s ' \n' ' ' <"$GL_DIR/spread-$scheme")"
done

# Large bodies, spliced both ways (many windows, ACKs translated), byte for byte.
for target in "http www.site.com /static/big.bin site-static" "https api.site.com /big.bin site-api-tls"; do
  read -r scheme host path pool <<<"$target"
  sum=$(get "$scheme" "$host" "$path" --max-time 60 | sha256sum | cut -d' ' -f1)
  [ "$sum" = "$big_sha" ] || fail "$scheme://$host$path: sha256 $sum, expected $big_sha"
  grep -q "^$pool .* \"GET $path HTTP/1.1\" 200 8388608$" "$POOL_DIR/access.log" ||
    fail "$pool's log shows no complete $path"
done
log "8 MiB over HTTP (site-static) and HTTPS (site-api-tls): sha256 $big_sha ($(elapsed) s)"

# No route: reset at once (curl sees the reset, not a timeout), no server sees the request.
# Each from its own client port, so that its event can be told apart.
no_route() {
  local scheme=$1 host=$2 path=$3 cport=$4 rc=0 expected
  get "$scheme" "$host" "$path" --local-port "$cport" -o /dev/null 2>"$GL_DIR/curl-$cport.err" || rc=$?
  # HTTP: 56 (connection reset while receiving) or 52 (empty reply); HTTPS: 35 (reset in
  # the TLS handshake) or 56. 28 would be a timeout: not a reset.
  expected="52 56"
  [ "$scheme" = https ] && expected="35 56"
  [[ " $expected " == *" $rc "* ]] ||
    fail "$scheme://$host$path (no route) ended with curl exit $rc, not a reset: $(cat "$GL_DIR/curl-$cport.err")"
  log "no route: $scheme://$host$path reset (curl exit $rc)"
}
no_route http other.example / 41001
no_route http www.site.com /private/ 41002
no_route https unknown.example.org / 41003
lines=$(wc -l <"$POOL_DIR/access.log")

out=$(in_internet timeout 30 wrk -t1 -c4 -d10s --timeout 5s -H 'Host: api.site.com' "http://$VIP/") ||
  fail "wrk failed: $out"
echo "$out"
! grep -q 'Non-2xx' <<<"$out" || fail "wrk got responses other than 2xx/3xx"
! grep -q 'Socket errors' <<<"$out" || fail "wrk saw socket errors"
requests=$(awk '/ requests in / { print $1 }' <<<"$out")
rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
[ "${requests:-0}" -gt 0 ] || fail "wrk completed no request"
served=$(tail -n +$((lines + 1)) "$POOL_DIR/access.log" | grep -c '^site-api 10.0.0.11:8081 http sni=- host=api.site.com "GET / HTTP/1.1" 200' || true)
# wrk stops mid-request on up to its 4 connections: those reach the server uncounted.
[ "$served" -ge "$requests" ] && [ "$served" -le $((requests + 4)) ] ||
  fail "wrk counted $requests requests, site-api served $served"
gauntlet_stop

! grep -Eq 'host=(other\.example|www\.site\.com "GET /private/)|sni=unknown\.example\.org' "$POOL_DIR/access.log" ||
  fail "a server saw a request that matched no route: $(grep -E 'other\.example|/private/|unknown\.example' "$POOL_DIR/access.log")"
for cport in 41001 41002 41003; do
  n=$(events_count "$GL_DIR/events.jsonl" event=stop layer=proxy reason=proxy:no-route src=$CLIENT dst=$VIP sport=$cport)
  [ "$n" -ge 1 ] || fail "no proxy:no-route event for the connection from port $cport"
  log "event for port $cport: $(grep -m1 "\"sport\":$cport," "$GL_DIR/events.jsonl")"
done
log "pass: routes by Host, path and SNI; no route reset with events; wrk $requests requests, all 2xx, $rps requests/s (wrk -t1 -c4 -d10s) ($(elapsed) s)"
