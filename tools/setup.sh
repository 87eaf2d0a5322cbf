#!/usr/bin/env bash
# Sets gauntlet up on a fresh Debian 12 machine (as root), builds it, then optionally runs
# the demo replay or the whole test suite:
#   tools/setup.sh           install what is missing + build
#   tools/setup.sh --demo    ... then replay pcaps/demo through rules/gauntlet.yaml
#   tools/setup.sh --test    ... then run every test suite
# Idempotent: apt-get runs only when a package is missing; meson reconfigures in place.
set -euo pipefail

cd "$(dirname "$0")/.."

# Exactly what the project needs: build, libraries, test tools, pcap generator, e2e clients.
packages=(
  build-essential g++ clang meson ninja-build pkg-config
  dpdk dpdk-dev libdpdk-dev libhyperscan-dev libpcap-dev libfmt-dev libyaml-cpp-dev libxxhash-dev
  libgtest-dev libgmock-dev googletest
  python3 python3-scapy iproute2 ethtool
  libcpp-httplib-dev        # the Prometheus endpoint
  libclang-rt-14-dev llvm   # libFuzzer and clang's sanitizer runtimes; llvm-symbolizer
  curl wrk iputils-ping iputils-arping
  nginx-light openssl   # e2e l7-route: HTTPS pools with certificates made at test time
  nodejs chromium   # the web view's browser test (playwright-core from npm drives chromium)
  libmodsecurity3 libmodsecurity-dev modsecurity-crs   # WAF baseline: tools/waf/modsec_eval
  netsniff-ng nftables   # tools/bench/kernel_compare.sh: trafgen, the kernel's NAT gateway;
                         # also the scale-out e2e backends' return path
  python3-matplotlib     # plots: gauntlet-trafficgen --plot
  bird2 frr              # scale-out: BGP announcements, the ECMP router
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: packages are missing and this is not root; run as root (or with sudo)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The web view's browser test drives chromium with playwright-core, pinned by
# tests/web/package-lock.json.
if [ ! -d tests/web/node_modules/playwright-core ]; then
  npm ci --prefix tests/web --no-audit --no-fund --loglevel=error
fi

build=${GAUNTLET_BUILD:-build}
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" -Dwerror=true
fi
ninja -C "$build"

case "${1:-}" in
  --demo)
    exec "$build/dataplane/gauntlet" --config rules/gauntlet.yaml --replay pcaps/demo \
      --out out/demo --trace out/demo/trace.jsonl
    ;;
  --test)
    status=0
    meson test -C "$build" --print-errorlogs --num-processes "$(nproc)" || status=1
    # unit and pcap again under ASan + UBSan (gcc); any report, leaks included, fails its
    # test. -O1 -g1 compiles in half the time of -O2 -g and still gives file:line.
    if [ ! -f "$build-asan/build.ninja" ]; then
      meson setup "$build-asan" -Db_sanitize=address,undefined -Db_lundef=false \
        -Doptimization=1 -Ddebug=false -Dcpp_args=-g1
    fi
    ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      meson test -C "$build-asan" --suite unit --suite pcap --print-errorlogs \
      --num-processes "$(nproc)" || status=1
    # libFuzzer harnesses (clang), GAUNTLET_FUZZ_SECONDS each (default 30): tests/fuzz.
    if [ ! -f "$build-fuzz/build.ninja" ]; then
      CXX=clang++ meson setup "$build-fuzz" -Dfuzz=true
    fi
    meson test -C "$build-fuzz" --suite fuzz --print-errorlogs --num-processes "$(nproc)" ||
      status=1
    # One line per test that did not pass, last, so that the end of a long log names them.
    for dir in "$build" "$build-asan" "$build-fuzz"; do
      log="$dir/meson-logs/testlog.json"
      [ -f "$log" ] || continue
      python3 -c 'import json, sys
for line in open(sys.argv[1]):
    test = json.loads(line)
    if test["result"] not in ("OK", "SKIP", "EXPECTEDFAIL"):
        print("not passed: %s: %s %s after %.1f s"
              % (sys.argv[2], test["name"], test["result"], test["duration"]))' "$log" "$dir"
    done
    exit "$status"
    ;;
  "") ;;
  *)
    echo "usage: tools/setup.sh [--demo|--test]" >&2
    exit 2
    ;;
esac
