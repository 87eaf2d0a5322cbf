#!/usr/bin/env bash
# Bad input gets one clear error naming the file (and line:column for config) and a
# non-zero exit, never a crash or a half-started dataplane.
set -uo pipefail
bin=$1 root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# expect EXIT_CODE PATTERN -- COMMAND...: runs COMMAND, checks its exit code and that its
# standard error matches PATTERN (grep -E).
expect() {
  local code=$1 pattern=$2
  shift 3
  "$@" >"$tmp/stdout" 2>"$tmp/stderr"
  local rc=$?
  if [ $rc -ne "$code" ] || ! grep -Eq -- "$pattern" "$tmp/stderr"; then
    echo "FAIL: $* -> exit $rc (want $code), stderr:"
    sed 's/^/    /' "$tmp/stderr" | head -5
    echo "    (want a line matching: $pattern)"
    failures=$((failures + 1))
  else
    echo "ok: exit $code, $(head -1 "$tmp/stderr")"
  fi
}

# The shipped config, its WAF rule files named by absolute path so that copies made in $tmp
# (with one fault each) still find them.
cfg=$tmp/gauntlet.yaml
sed "s|rules: \\[waf/|rules: [$root/rules/waf/|" "$root/rules/gauntlet.yaml" >"$cfg"
demo=$root/pcaps/demo/outside.pcap

# Input pcaps.
expect 2 "$tmp/missing.pcap: cannot read pcap" -- "$bin" --config "$cfg" --outside-pcap "$tmp/missing.pcap"
head -c 100 /dev/urandom >"$tmp/garbage.pcap"
expect 2 "$tmp/garbage.pcap: cannot read pcap" -- "$bin" --config "$cfg" --outside-pcap "$tmp/garbage.pcap"
# A classic pcap header with link type 113 (Linux cooked capture).
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x71\x00\x00\x00' >"$tmp/sll.pcap"
expect 2 "$tmp/sll.pcap: link type LINUX_SLL is not Ethernet" -- "$bin" --config "$cfg" --outside-pcap "$tmp/sll.pcap"
expect 2 "$tmp: holds neither outside.pcap nor inside.pcap" -- "$bin" --config "$cfg" --replay "$tmp"
# A pcap cut in the middle of a record: the packets before it are processed, then an error.
head -c 200 "$demo" >"$tmp/cut.pcap"
expect 1 "$tmp/cut.pcap: read error" -- "$bin" --config "$cfg" --outside-pcap "$tmp/cut.pcap" --out "$tmp/cut"

# Config.
expect 2 "$tmp/none.yaml: error: cannot open the config file" -- "$bin" --config "$tmp/none.yaml" --replay "$root/pcaps/demo"
printf 'ports:\n  outside: [\n' >"$tmp/syntax.yaml"
expect 2 "^$tmp/syntax.yaml:3:1: error: " -- "$bin" --config "$tmp/syntax.yaml" --replay "$root/pcaps/demo"
sed 's/^  inside:/  dmz:/' "$cfg" >"$tmp/role.yaml"
expect 2 "^$tmp/role.yaml:[0-9]+:3: error: unknown key 'dmz' in ports" -- "$bin" --config "$tmp/role.yaml" --check
sed 's/port: outside, via: 198/port: dmz, via: 198/' "$cfg" >"$tmp/route-role.yaml"
expect 2 "^$tmp/route-role.yaml:[0-9]+:[0-9]+: error: unknown port role 'dmz'" -- "$bin" --config "$tmp/route-role.yaml" --check
sed 's/device: net_af_packet0,iface=gl-out/device: "net_af_packet0 iface=gl-out"/' "$cfg" >"$tmp/device.yaml"
expect 2 "^$tmp/device.yaml:[0-9]+:13: error: device 'net_af_packet0 iface=gl-out' is not a device" -- "$bin" --config "$tmp/device.yaml" --check
sed 's/mac: 02:00:00:00:00:01/mac: 01:00:00:00:00:01/; s/198.51.100.1\/24/198.51.100.300\/24/' "$cfg" >"$tmp/two.yaml"
"$bin" --config "$tmp/two.yaml" --check 2>"$tmp/two.err"
if [ "$(grep -c ': error: ' "$tmp/two.err")" -ne 2 ]; then
  echo "FAIL: a config with two errors must report both:"; cat "$tmp/two.err"; failures=$((failures + 1))
else
  echo "ok: both errors of a config with two are reported"
fi

sed '/mac: 02:00:00:00:00:02/d' "$cfg" >"$tmp/nomac.yaml"
expect 2 "^$tmp/nomac.yaml:[0-9]+:5: error: replay needs ports.inside.mac" -- "$bin" --config "$tmp/nomac.yaml" --replay "$root/pcaps/demo"
# A bad firewall rule: nothing starts.
cat >"$tmp/fw.yaml" <<'YAML'
ports:
  outside: { mac: 02:00:00:00:00:01, addresses: [198.51.100.1/24] }
  inside: { mac: 02:00:00:00:00:02, addresses: [10.0.0.1/24] }
firewall:
  rules:
    - { id: web, action: allow, proto: tcp, dst_port: 90-80 }
YAML
expect 2 "^$tmp/fw.yaml:6:55: error: dst_port range 90-80 is upside down" -- "$bin" --config "$tmp/fw.yaml" --replay "$root/pcaps/demo"

# Options.
expect 2 "unknown option '--bogus'" -- "$bin" --config "$cfg" --bogus
expect 2 "--config FILE is required" -- "$bin" --replay "$root/pcaps/demo"
expect 2 "--duration: 'soon' is not a number" -- "$bin" --config "$cfg" --duration soon

# Live mode on a device that cannot be attached: a clear failure, no hang.
sed 's/iface=gl-out/iface=gauntlet-no-such-if/' "$cfg" >"$tmp/noif.yaml"
expect 1 "could not be attached" -- timeout 30 "$bin" --config "$tmp/noif.yaml" --duration 1

echo "$failures failure(s)"
[ $failures -eq 0 ]
