#!/usr/bin/python3
"""Writes one long replay input from golden cases: every case's outside.pcap and inside.pcap,
case after case, the whole list repeated, re-timed onto one clock. Each case keeps its own
spacing; the next one starts GAP seconds after the last packet of the one before, so flows
that a case leaves closing expire (on the dataplane clock) while later ones run.

  usage: mix_pcaps.py --pcaps DIR --out DIR [--repeat N] [--gap SECONDS] CASE...
         writes OUT/outside.pcap and OUT/inside.pcap; prints the packet count and the clock span

Used by tests/pcap/resource_hygiene.sh (the resource-hygiene test) and for long soak replays:
  tools/mix_pcaps.py --pcaps pcaps --out /tmp/mix --repeat 500 demo lb-spread ...
Only the standard library: pcap (microsecond or nanosecond, either byte order) in,
nanosecond little-endian pcap out.
"""

import argparse
import struct
import sys
from pathlib import Path

NANO_MAGIC = 0xA1B23C4D


def read_pcap(path):
    """Returns [(time in ns, original length, frame bytes)] of an Ethernet pcap."""
    data = path.read_bytes()
    if len(data) < 24:
        return []
    magic_le = struct.unpack("<I", data[:4])[0]
    for endian in ("<", ">"):
        magic = struct.unpack(endian + "I", data[:4])[0]
        if magic in (0xA1B2C3D4, NANO_MAGIC):
            break
    else:
        sys.exit(f"mix_pcaps: {path}: not a pcap file (magic {magic_le:#x})")
    scale = 1 if magic == NANO_MAGIC else 1000
    if struct.unpack(endian + "I", data[20:24])[0] != 1:
        sys.exit(f"mix_pcaps: {path}: link type is not Ethernet")
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, caplen, length = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        out.append((sec * 1_000_000_000 + frac * scale, length, data[off:off + caplen]))
        off += caplen
    return out


def write_pcap(path, packets):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", NANO_MAGIC, 2, 4, 0, 0, 65535, 1))
        for t, length, frame in packets:
            f.write(struct.pack("<IIII", t // 1_000_000_000, t % 1_000_000_000, len(frame),
                                max(length, len(frame))))
            f.write(frame)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pcaps", required=True, type=Path, help="the golden cases' folder")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--gap", type=float, default=600.0,
                    help="seconds between one case's last packet and the next's first")
    ap.add_argument("--start", type=float, default=1_700_000_000.0,
                    help="the first packet's time (seconds since the epoch)")
    ap.add_argument("cases", nargs="+")
    a = ap.parse_args()

    cases = []
    for name in a.cases:
        ports = []
        for port in ("outside", "inside"):
            p = a.pcaps / name / f"{port}.pcap"
            ports.append(read_pcap(p) if p.exists() else [])
        if not ports[0] and not ports[1]:
            sys.exit(f"mix_pcaps: {a.pcaps / name}: no outside.pcap or inside.pcap")
        times = [t for pkts in ports for t, _, _ in pkts]
        cases.append((min(times), max(times), ports))

    out = ([], [])
    now = int(a.start * 1e9)
    gap = int(a.gap * 1e9)
    for _ in range(a.repeat):
        for first, last, ports in cases:
            for p in (0, 1):
                out[p].extend((now + t - first, length, frame) for t, length, frame in ports[p])
            now += last - first + gap
    a.out.mkdir(parents=True, exist_ok=True)
    write_pcap(a.out / "outside.pcap", out[0])
    write_pcap(a.out / "inside.pcap", out[1])
    span = (now - gap - int(a.start * 1e9)) / 1e9
    print(f"mix_pcaps: {len(out[0])} outside + {len(out[1])} inside packets over {span:.0f} s")


if __name__ == "__main__":
    main()
