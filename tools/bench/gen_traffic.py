#!/usr/bin/python3
"""Benchmark traffic for gauntlet: pcaps of N flows in the default topology.

    /usr/bin/python3 tools/bench/gen_traffic.py --out FILE [--flows N] [--packets N]
        [--proto udp|tcp|untracked] [--size 64|imix] [--direction ingress|egress]
        [--to pods|vip] [--shards K]

Plain struct packing (no scapy): a million flows take seconds, not minutes.  The
frames match rules/gauntlet.yaml and tools/gen_pcaps.py:

- ingress (arrives on the outside port): gateway 02:00:00:00:01:fe -> gauntlet
  02:00:00:00:00:01, from internet clients 203.0.113.1-254 (source ports from 1024) to
  the pods 10.0.0.10 / 10.0.0.11 (`--to pods`, static neighbours) or to the benchmark
  VIP 198.51.100.20 (`--to vip`, the UDP service in tools/bench/configs/).
- egress (arrives on the inside port): pod 02:00:00:00:02:0a -> gauntlet
  02:00:00:00:00:02, from pods 10.0.0.10-209 (source ports from 1024) to
  93.184.216.34 (through the default route and, with SNAT, the public address).

Packet j of the file belongs to flow j mod N, so each flow's packets are spread over the
file evenly.  `--packets` defaults to max(N, 65536): a small flow count still loops over
enough distinct buffers that the replay's memory is not all in cache.

What a looping replay (net_pcap infinite_rx=1) does to state, and why the protocols are:
- udp: the first pass creates every flow (conntrack:new, firewall, LB/SNAT slow path);
  every later pass is conntrack hits (established).  Time after a warm-up of one pass.
- tcp: each flow's first packet is a SYN, the others ACKs with data.  Looped, the SYN
  comes back to a flow that never saw a SYN-ACK: the TCP state table refuses the ACKs
  (conntrack:invalid).  Use it for replays of one pass, not for steady-state timing.
- untracked: IP protocol 253 (RFC 3692 experimental): conntrack passes it untracked and
  does no lookup, and the firewall judges every packet (no flow to remember a verdict).

Sizes are Ethernet frames with FCS (a 64 B frame is written as 60 bytes); `imix` is the
simple IMIX 64/594/1518 in the proportions 7:4:1, by packet index.

`--shards K` writes FILE.0 ... FILE.K-1, flow f to shard f mod K, one per worker queue.
Output: classic pcap, linktype Ethernet, 1 us apart.  Deterministic: no randomness.
"""

import argparse
import struct
import sys

OUT_MAC = bytes.fromhex("020000000001")  # gauntlet outside port
IN_MAC = bytes.fromhex("020000000002")  # gauntlet inside port
GW_MAC = bytes.fromhex("0200000001fe")  # internet gateway
POD_MAC = bytes.fromhex("02000000020a")  # pod 10.0.0.10
PODS = (bytes([10, 0, 0, 10]), bytes([10, 0, 0, 11]))  # static neighbours
VIP = bytes([198, 51, 100, 20])  # tools/bench/configs: UDP service on port 443
INTERNET_SERVER = bytes([93, 184, 216, 34])
IMIX = (64,) * 7 + (594,) * 4 + (1518,)
PROTO_UNTRACKED = 253
ETH_HEADER, IP_HEADER, FCS = 14, 20, 4


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def flow_tuple(f, args):
    """(src ip, dst ip, src port, dst port) of flow f."""
    if args.direction == "ingress":
        src = bytes([203, 0, 113, 1 + f % 254])
        sport = 1024 + f // 254
        if args.to == "vip":
            return src, VIP, sport, 443
        return src, PODS[f % 2], sport, 53 if args.proto == "udp" else 80
    src = bytes([10, 0, 0, 10 + f % 200])
    return src, INTERNET_SERVER, 1024 + f // 200, 443


def frame(f, j, size, args):
    """Frame j of the file (flow f), `size` bytes with FCS."""
    src, dst, sport, dport = flow_tuple(f, args)
    if args.direction == "ingress":
        eth = OUT_MAC + GW_MAC + b"\x08\x00"
    else:
        eth = IN_MAC + POD_MAC + b"\x08\x00"
    ip_len = size - FCS - ETH_HEADER
    proto = {"udp": 17, "tcp": 6, "untracked": PROTO_UNTRACKED}[args.proto]
    l4_len = ip_len - IP_HEADER
    # The payload is zeros: it adds nothing to a checksum, so only headers are summed.
    if proto == 17:
        l4 = struct.pack("!HHHH", sport, dport, l4_len, 0)
    elif proto == 6:
        first = j < args.flows  # a flow's first packet in the file
        flags = 0x02 if first else 0x18  # SYN, or PSH+ACK
        seq = 1000 if first else 1001 + (j // args.flows - 1) * (l4_len - 20)
        l4 = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, 0 if first else 1,
                         5 << 4, flags, 65535, 0, 0)
    else:
        l4 = b""
    if proto in (6, 17):
        pseudo = src + dst + struct.pack("!BBH", 0, proto, l4_len)
        c = checksum(pseudo + l4) or (0xFFFF if proto == 17 else 0)
        l4 = l4[:16 if proto == 6 else 6] + struct.pack("!H", c) + l4[18 if proto == 6 else 8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_len, f & 0xFFFF, 0, 64, proto, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    body = eth + ip + l4
    return body + bytes(size - FCS - len(body))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--flows", type=int, default=1000)
    ap.add_argument("--packets", type=int, default=0, help="default: max(flows, 65536)")
    ap.add_argument("--proto", choices=("udp", "tcp", "untracked"), default="udp")
    ap.add_argument("--size", choices=("64", "imix"), default="64")
    ap.add_argument("--direction", choices=("ingress", "egress"), default="ingress")
    ap.add_argument("--to", choices=("pods", "vip"), default="pods")
    ap.add_argument("--shards", type=int, default=1)
    args = ap.parse_args()
    limit = 254 * (65536 - 1024) if args.direction == "ingress" else 200 * (65536 - 1024)
    if not 1 <= args.flows <= limit:
        sys.exit(f"gen_traffic: --flows must be 1..{limit}")
    if args.direction == "egress" and args.to == "vip":
        sys.exit("gen_traffic: --to vip is for ingress")
    packets = args.packets or max(args.flows, 65536)
    files = [args.out] if args.shards == 1 else [f"{args.out}.{k}" for k in range(args.shards)]
    outs = [open(name, "wb") for name in files]
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for o in outs:
        o.write(header)
    cache = {}  # (flow, size) -> frame: UDP and untracked frames repeat per flow
    for j in range(packets):
        f = j % args.flows
        size = IMIX[j % len(IMIX)] if args.size == "imix" else 64
        if args.proto == "tcp":
            data = frame(f, j, size, args)
        else:
            data = cache.get((f, size))
            if data is None:
                data = frame(f, j, size, args)
                if packets > args.flows:
                    cache[(f, size)] = data
        sec, usec = divmod(j, 1000000)
        outs[f % args.shards].write(struct.pack("<IIII", 1700000000 + sec, usec, len(data),
                                                len(data)) + data)
    for o in outs:
        o.close()


if __name__ == "__main__":
    main()
