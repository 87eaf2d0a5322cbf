#!/usr/bin/env bash
# The web view in a real browser (Debian chromium, headless, driven by playwright-core from
# npm; tools/setup.sh installs both): the replay report of the demo case, checked as
# view_test.mjs describes. Usage: run_view_test.sh GAUNTLET SOURCE_ROOT OUTPUT_DIR
set -euo pipefail
bin=$(realpath "$1") root=$(realpath "$2") out=$3
[ -x /usr/bin/chromium ] || { echo "web view: skipped: /usr/bin/chromium is missing (tools/setup.sh installs it)"; exit 77; }
[ -d "$root/tests/web/node_modules/playwright-core" ] ||
  { echo "web view: skipped: playwright-core is missing (tools/setup.sh runs npm ci in tests/web)"; exit 77; }
mkdir -p "$out"
replay=$(mktemp -d)
trap 'rm -rf "$replay"' EXIT
"$bin" --config "$root/rules/gauntlet.yaml" --replay "$root/pcaps/demo" --out "$replay" >/dev/null 2>&1
[ -s "$replay/report.html" ] || { echo "web view: the replay wrote no report.html"; exit 1; }
cd "$root/tests/web"
node view_test.mjs --url "file://$replay/report.html" --direction ingress --layer waf \
  --rule 941100 --text "<script>alert(document.cookie)</script>" --screenshot "$out/web-view-replay.png"

# Live: gauntlet replays the demo's internet side in a loop (net_pcap infinite_rx) and serves
# the page on its metrics address; the counts must move while the browser watches.
port=$((20000 + $$ % 20000))
sed -e "s|device: net_af_packet0,iface=gl-out|device: net_pcap0,rx_pcap=$root/pcaps/demo/outside.pcap,infinite_rx=1|" \
    -e "s|device: net_af_packet1,iface=gl-in|device: net_null1,no-rx=1|" \
    -e "s|rules: \\[waf/|rules: [$root/rules/waf/|" \
    "$root/rules/gauntlet.yaml" >"$replay/live.yaml"
printf 'metrics: { listen: 127.0.0.1:%s }\n' "$port" >>"$replay/live.yaml"
"$bin" -l 0 --no-huge -m 512 --no-shconf --no-pci --no-telemetry --log-level='*:warning' -- \
  --config "$replay/live.yaml" --duration 60 --events /dev/null >"$replay/live.out" 2>"$replay/live.err" &
gl=$!
trap 'kill -TERM $gl 2>/dev/null; wait $gl 2>/dev/null; rm -rf "$replay"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/api/view" >/dev/null && break; sleep 0.1; done
curl -sf -o "$replay/page.html" "http://127.0.0.1:$port/" && grep -q "<title>gauntlet</title>" "$replay/page.html" ||
  { echo "web view: the live page is not served"; cat "$replay/live.err"; exit 1; }
node view_test.mjs --url "http://127.0.0.1:$port/" --live --direction ingress --layer firewall \
  --rule block-bad-net --screenshot "$out/web-view-live.png"
