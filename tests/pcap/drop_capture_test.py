#!/usr/bin/python3
"""Drop capture of the demo case: the capture holds exactly the stopped packets, in order,
each as it arrived (first 512 bytes, original length, arrival time); a layer filter keeps
only that layer's stops; a byte bound is never exceeded and keeps the first stops that fit.

Usage: drop_capture_test.py GAUNTLET SOURCE_ROOT
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

SNAP = 512


def read_pcap(path):
    """[(time_us, orig_len, data)] of a classic pcap (micro- or nanosecond)."""
    with open(path, "rb") as f:
        blob = f.read()
    magic = struct.unpack("<I", blob[:4])[0]
    assert magic in (0xA1B2C3D4, 0xA1B23C4D), f"{path}: not a little-endian pcap"
    nano = magic == 0xA1B23C4D
    snaplen = struct.unpack("<I", blob[16:20])[0]
    frames, off = [], 24
    while off < len(blob):
        sec, frac, incl, orig = struct.unpack("<IIII", blob[off:off + 16])
        frames.append((sec * 1_000_000 + (frac // 1000 if nano else frac), orig,
                       blob[off + 16:off + 16 + incl]))
        off += 16 + incl
    return snaplen, frames


def merged_inputs(case_dir):
    """The replay's input order: both ports merged by time, outside first on a tie."""
    stream = []
    for port, name in enumerate(("outside", "inside")):
        path = os.path.join(case_dir, name + ".pcap")
        if os.path.exists(path):
            stream += [(t, port, i, orig, data)
                       for i, (t, orig, data) in enumerate(read_pcap(path)[1])]
    stream.sort(key=lambda x: (x[0], x[1], x[2]))
    return [(t, orig, data) for t, _, _, orig, data in stream]


def run(gauntlet, root, out, *extra):
    cmd = [gauntlet, "--config", os.path.join(root, "rules/gauntlet.yaml"),
           "--replay", os.path.join(root, "pcaps/demo"), "--out", out, *extra]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {p.returncode}\n{p.stderr}")
    return p.stdout


def check_frames(frames, stops, inputs, what):
    for k, ((t, orig, data), stop) in enumerate(zip(frames, stops)):
        it, iorig, idata = inputs[stop["seq"] - 1]
        if (t, orig, data) != (it, iorig, idata[:SNAP]):
            sys.exit(f"FAIL ({what}): frame {k + 1} is not packet #{stop['seq']} as it arrived "
                     f"(time {t} vs {it}, length {orig} vs {iorig}, "
                     f"first bytes {data[:16].hex()} vs {idata[:16].hex()})")


def main():
    gauntlet, root = os.path.abspath(sys.argv[1]), sys.argv[2]
    inputs = merged_inputs(os.path.join(root, "pcaps/demo"))
    with tempfile.TemporaryDirectory() as tmp:
        # Every layer: one frame per stop event, in event order.
        cap = os.path.join(tmp, "drops.pcap")
        stdout = run(gauntlet, root, tmp, "--drop-capture", cap)
        with open(os.path.join(tmp, "events.jsonl")) as f:
            stops = [e for e in map(json.loads, f) if e["event"] == "stop"]
        snaplen, frames = read_pcap(cap)
        if snaplen != SNAP:
            sys.exit(f"FAIL: snap length {snaplen}, expected {SNAP}")
        with open(os.path.join(root, "pcaps/demo/expected/events.jsonl")) as f:
            golden = sum(1 for e in map(json.loads, f) if e["event"] == "stop")
        if len(stops) != golden or len(frames) != len(stops):
            sys.exit(f"FAIL: {len(frames)} frames captured for {len(stops)} stops "
                     f"(the demo's golden events have {golden})")
        check_frames(frames, stops, inputs, "all layers")
        # Rewritten stops are captured as they arrived, not as what was sent back.
        layers = {s["layer"] for s in stops}
        for needed in ("parse", "firewall", "waf", "allowlist", "forward", "loadbalancer"):
            if needed not in layers:
                sys.exit(f"FAIL: the demo no longer stops a packet in {needed}")
        if f"drop capture: {cap}: {golden} stopped packets" not in stdout:
            sys.exit(f"FAIL: no drop capture line in the output:\n{stdout}")
        print(f"all layers: {len(frames)} frames equal the stopped packets' input frames")

        # One layer.
        cap_fw = os.path.join(tmp, "fw.pcap")
        run(gauntlet, root, tmp, "--drop-capture", cap_fw, "--drop-capture-layer",
            "firewall,waf")
        fw_stops = [s for s in stops if s["layer"] in ("firewall", "waf")]
        _, fw_frames = read_pcap(cap_fw)
        if len(fw_frames) != len(fw_stops) or not any(s["layer"] == "waf" for s in fw_stops):
            sys.exit(f"FAIL: firewall,waf capture has {len(fw_frames)} frames, "
                     f"expected {len(fw_stops)} (firewall and waf stops)")
        check_frames(fw_frames, fw_stops, inputs, "firewall,waf")
        print(f"firewall,waf: {len(fw_frames)} frames, the firewall's and the WAF's stops")

        # Bounded: the file stays within the bound and keeps the first stops that fit.
        bound = 300
        cap_small = os.path.join(tmp, "small.pcap")
        stdout = run(gauntlet, root, tmp, "--drop-capture", cap_small, "--drop-capture-bytes",
                     str(bound))
        size = os.path.getsize(cap_small)
        _, small = read_pcap(cap_small)
        fits, total = 0, 24
        for s in stops:
            total += 16 + min(s["len"], SNAP)
            if total > bound:
                break
            fits += 1
        if size > bound or len(small) != fits or fits == 0:
            sys.exit(f"FAIL: bound {bound}: file {size} bytes with {len(small)} frames, "
                     f"expected at most {bound} bytes and {fits} frames")
        check_frames(small, stops, inputs, "bounded")
        if f"{len(stops) - fits} more left out" not in stdout:
            sys.exit(f"FAIL: the report does not count the frames left out:\n{stdout}")
        print(f"bound {bound}: {size} bytes, the first {fits} stops")

        # Live, on net_pcap ports: the worker lcore fills the ring, the control core writes
        # the file; the frames are the replay's (times are the wall clock here).
        case = os.path.join(root, "pcaps/fw-deny-source")
        with open(os.path.join(root, "rules/gauntlet.yaml")) as f:
            config = f.read()
        config = config.replace(
            "device: net_af_packet0,iface=gl-out",
            f"device: net_pcap0,rx_pcap={case}/outside.pcap,tx_pcap={tmp}/live-out.pcap").replace(
            "device: net_af_packet1,iface=gl-in", "device: net_null1,no-rx=1").replace(
            "rules: [waf/", "rules: [" + os.path.join(root, "rules/waf/"))
        live_cfg = os.path.join(tmp, "live.yaml")
        with open(live_cfg, "w") as f:
            f.write(config)
        cap_live = os.path.join(tmp, "live.pcap")
        p = subprocess.run([gauntlet, "-l", "0,1", "--no-huge", "-m", "512", "--no-shconf",
                            "--no-pci", "--no-telemetry", "--log-level=*:warning", "--",
                            "--config", live_cfg, "--duration", "2", "--events",
                            os.path.join(tmp, "live-events.jsonl"), "--drop-capture", cap_live],
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"FAIL: live run exited {p.returncode}\n{p.stderr}")
        replay_stops = [json.loads(l) for l in open(os.path.join(case, "expected/events.jsonl"))]
        replay_stops = [e for e in replay_stops if e["event"] == "stop"]
        case_inputs = merged_inputs(case)
        _, live_frames = read_pcap(cap_live)
        want = sorted(case_inputs[s["seq"] - 1][2][:SNAP] for s in replay_stops)
        have = sorted(data for _, _, data in live_frames)
        if not want or have != want:
            sys.exit(f"FAIL: live capture holds {len(have)} frames, replay stopped {len(want)}")
        print(f"live: {len(have)} frames, the stopped packets")

        # Bad options are refused before anything runs.
        for opts in (["--drop-capture-layer", "firewal"], ["--drop-capture-bytes", "12"],
                     ["--drop-capture-bytes", "10X"]):
            p = subprocess.run([gauntlet, "--config", os.path.join(root, "rules/gauntlet.yaml"),
                                "--replay", os.path.join(root, "pcaps/demo"), "--out", tmp,
                                "--drop-capture", cap, *opts], capture_output=True, text=True)
            if p.returncode != 2 or opts[0] not in p.stderr:
                sys.exit(f"FAIL: {' '.join(opts)}: exit {p.returncode}, stderr {p.stderr!r}")
        print("bad options refused")


if __name__ == "__main__":
    main()
