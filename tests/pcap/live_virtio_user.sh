#!/usr/bin/env bash
# Live mode on virtio-user ports. This machine has no /dev/vhost-net, so the vhost side is a
# peer DPDK process: dpdk-testpmd serves two vhost-user sockets (net_vhost) and io-forwards
# between each socket and a pcap port. gauntlet attaches to the sockets as virtio_user0/1.
#   testpmd: pcap(outside input) <-> vhost(out.sock) <-> gauntlet <-> vhost(in.sock) <-> pcap
# Only the outside side sends (the order between two independent pcap ports is not fixed),
# and what gauntlet sends back out of each port must equal what replay makes of the same
# input, as sets. Usage: live_virtio_user.sh GAUNTLET SOURCE_ROOT
set -euo pipefail
bin=$1 root=$2
command -v dpdk-testpmd >/dev/null || { echo "virtio-user: skipped: no dpdk-testpmd"; exit 77; }
tmp=$(mktemp -d)
peer=""
gauntlet=""
cleanup() {
  [ -n "$gauntlet" ] && kill -TERM "$gauntlet" 2>/dev/null || true
  [ -n "$peer" ] && kill -TERM "$peer" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
input=$root/pcaps/forward-ttl/outside.pcap

# What replay does with the outside input alone: the expected outputs.
"$bin" --config "$root/rules/gauntlet.yaml" --outside-pcap "$input" --out "$tmp/replay" >/dev/null 2>&1

# An empty pcap for the inside peer's input (24-byte header, Ethernet).
/usr/bin/python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<IHHiIII",0xa1b2c3d4,2,4,0,0,65535,1))' \
  >"$tmp/empty.pcap"

sed -e "s|device: net_af_packet0,iface=gl-out|device: virtio_user0,path=$tmp/out.sock|" \
    -e "s|device: net_af_packet1,iface=gl-in|device: virtio_user1,path=$tmp/in.sock|" \
    -e "s|rules: \\[waf/|rules: [$root/rules/waf/|" \
    "$root/rules/gauntlet.yaml" >"$tmp/virtio.yaml"

export GL_INPUT=$input
# testpmd runs interactively on a pty so that forwarding starts only once gauntlet is up
# (it would otherwise read its pcap into a vhost port nobody listens to yet); --no-flush-rx
# keeps it from draining the pcap at start.
/usr/bin/python3 - "$tmp" <<'PY' &
import os, pty, subprocess, sys, time
tmp = sys.argv[1]
master, slave = pty.openpty()
args = ["dpdk-testpmd", "-l", "0,1", "--no-huge", "-m", "1024", "--no-pci",
        "--single-file-segments", "--file-prefix", "gl-vhost-peer-%d" % os.getpid(),
        "--log-level=*:warning",
        "--vdev", "net_pcap0,rx_pcap=%s,tx_pcap=%s/outside.pcap" % (os.environ["GL_INPUT"], tmp),
        "--vdev", "net_vhost0,iface=%s/out.sock" % tmp,
         "--vdev", "net_pcap1,rx_pcap=%s/empty.pcap,tx_pcap=%s/inside.pcap" % (tmp, tmp),
         "--vdev", "net_vhost1,iface=%s/in.sock" % tmp,
         "--", "-i", "--forward-mode=io", "--total-num-mbufs=8192", "--no-flush-rx"]
with open(tmp + "/peer.out", "w") as out:
    p = subprocess.Popen(args, stdin=slave, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.time() + 30
    while not os.path.exists(tmp + "/go") and time.time() < deadline and p.poll() is None:
        time.sleep(0.1)
    os.write(master, b"start\n")
    time.sleep(3)
    os.write(master, b"stop\n")
    time.sleep(1)
    os.write(master, b"quit\n")
    try:
        p.wait(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
PY
peer=$!

for _ in $(seq 100); do [ -S "$tmp/out.sock" ] && [ -S "$tmp/in.sock" ] && break; sleep 0.1; done
[ -S "$tmp/out.sock" ] && [ -S "$tmp/in.sock" ] || { echo "virtio-user: the vhost peer did not come up"; cat "$tmp/peer.out"; exit 1; }

# One lcore: gauntlet's worker runs on its main lcore (the peer's forwarding core is 1 too;
# both poll, each gets its share of the core).
"$bin" -l 1 --no-huge -m 512 --single-file-segments --file-prefix "gl-virtio-$$" --no-pci \
  --no-telemetry --log-level='*:warning' -- --config "$tmp/virtio.yaml" --duration 7 \
  >"$tmp/summary.txt" 2>"$tmp/gauntlet.err" &
gauntlet=$!
for _ in $(seq 100); do grep -q "^gauntlet: running" "$tmp/gauntlet.err" && break; sleep 0.1; done
grep -q "^gauntlet: running" "$tmp/gauntlet.err" || { echo "virtio-user: gauntlet did not start"; cat "$tmp/gauntlet.err"; exit 1; }
grep -q "port outside: Link up" "$tmp/gauntlet.err" || { echo "virtio-user: no link state reported"; cat "$tmp/gauntlet.err"; exit 1; }
touch "$tmp/go"
rc=0; wait "$gauntlet" || rc=$?
[ $rc -eq 0 ] || { echo "virtio-user: gauntlet exited with $rc"; cat "$tmp/gauntlet.err" "$tmp/summary.txt"; exit 1; }
gauntlet=""
wait "$peer" || true
peer=""
# The peer quit before gauntlet's run ended: its ports went down, and gauntlet said so.
grep -q "port outside: link down" "$tmp/gauntlet.err" ||
  { echo "virtio-user: the vhost peer's exit was not reported as link down"; cat "$tmp/gauntlet.err"; exit 1; }

/usr/bin/python3 - "$tmp/replay" "$tmp" <<'PY'
import os, sys
from scapy.all import raw, rdpcap
expected, live = sys.argv[1], sys.argv[2]
total = 0
for port in ("outside", "inside"):
    path = f"{expected}/{port}.pcap"
    want = sorted(raw(p) for p in rdpcap(path)) if os.path.exists(path) else []
    have = sorted(raw(p) for p in rdpcap(f"{live}/{port}.pcap"))
    if want != have:
        sys.exit(f"virtio-user: {port} packets differ from replay's ({len(have)} vs {len(want)})")
    total += len(have)
if total == 0:
    sys.exit("virtio-user: nothing came back")
print(f"virtio-user: {total} packets through vhost-user match replay on both ports")
PY
