#!/usr/bin/python3
"""Writes the fuzz harnesses' seed corpora into OUT/<kind>/, one file per seed.

  frames     Ethernet frames from pcaps/**/*.pcap and ../shared/corpora/pcaps/*.pcap[ng]
  pipeline   the same frames behind pipeline_fuzz's header (flags, clock advance)
  tls        TLS ClientHellos: tests/fuzz/seeds/tls/*.hex and TCP payloads from the pcaps
  http       HTTP requests: tests/fuzz/seeds/http/* and TCP payloads from the pcaps
  normalise  fields: tests/fuzz/seeds/normalise/* and libinjection payloads
  xml        XML bodies: tools/waf/benign/xml_documents.py and a few hostile shapes below
  config     rules/gauntlet.yaml and pcaps/*/config.yaml
  rules      rule lines from those configs and ClassBench lines
  waf_pattern  the patterns of rules/waf/*.yaml

Each harness's control bytes are put in front here, so the committed seeds stay plain
text. Only the standard library: the pcap and pcapng readers are the few lines below.
Usage: make_seeds.py --source-root DIR --out DIR [--stamp FILE]
"""

import argparse
import hashlib
import shutil
import struct
from pathlib import Path

MAX_FRAMES_PER_FILE = 64  # unique frames kept from one capture
OUTSIDE_MAC = bytes.fromhex("020000000001")  # rules/gauntlet.yaml's outside port
HTTP_METHODS = (b"GET ", b"POST ", b"HEAD ", b"PUT ", b"DELETE ", b"OPTIONS ", b"TRACE ",
                b"PATCH ", b"CONNECT ", b"PROPFIND ")


def read_capture(path):
    """Yields (seconds as float, frame) for each Ethernet frame of a pcap or pcapng file."""
    data = path.read_bytes()
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1",
                 b"\xa1\xb2\x3c\x4d"):
        endian = "<" if magic[0] in (0xd4, 0x4d) else ">"
        nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
        if struct.unpack(endian + "I", data[20:24])[0] != 1:
            return  # not Ethernet
        at = 24
        while at + 16 <= len(data):
            sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[at:at + 16])
            at += 16
            yield sec + frac / (1e9 if nano else 1e6), data[at:at + caplen]
            at += caplen
    elif magic == b"\x0a\x0d\x0d\x0a":
        endian = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        links = []
        at = 0
        while at + 12 <= len(data):
            btype, blen = struct.unpack(endian + "II", data[at:at + 8])
            if blen < 12:
                return
            body = data[at + 8:at + blen - 4]
            if btype == 1:  # interface description
                links.append(struct.unpack(endian + "H", body[:2])[0])
            elif btype == 6:  # enhanced packet
                iface, hi, lo, caplen = struct.unpack(endian + "IIII", body[:16])
                if iface < len(links) and links[iface] == 1:
                    yield ((hi << 32) | lo) / 1e6, body[20:20 + caplen]
            at += blen


def tcp_payload(frame):
    """The TCP payload of an untagged IPv4/IPv6 Ethernet frame, or b""."""
    if len(frame) < 14:
        return b""
    etype = frame[12:14]
    if etype == b"\x08\x00" and len(frame) >= 34:
        ihl = (frame[14] & 15) * 4
        if frame[23] != 6:
            return b""
        total = struct.unpack(">H", frame[16:18])[0]
        l4, end = 14 + ihl, min(len(frame), 14 + total)
    elif etype == b"\x86\xdd" and len(frame) >= 54:
        if frame[20] != 6:
            return b""
        l4, end = 54, min(len(frame), 54 + struct.unpack(">H", frame[18:20])[0])
    else:
        return b""
    if end < l4 + 20:
        return b""
    return frame[l4 + (frame[l4 + 12] >> 4) * 4:end]


class Writer:
    def __init__(self, out):
        self.out = out
        self.counts = {}

    def add(self, kind, data):
        folder = self.out / kind
        folder.mkdir(parents=True, exist_ok=True)
        (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)
        self.counts[kind] = self.counts.get(kind, 0) + 1


def captures(root):
    own = sorted((root / "pcaps").glob("**/*.pcap"))
    shared = sorted((root.parent / "shared" / "corpora" / "pcaps").glob("*.pcap*"))
    return [(p, True) for p in own] + [(p, False) for p in shared]


def frame_seeds(w, root):
    streams = []  # TCP payloads, for the HTTP and TLS seeds
    for path, own in captures(root):
        seen, last = set(), None
        # Project pcaps name their port; everything else arrives on the outside port.
        port = 1 if own and path.name.startswith("inside") else 0
        for time, frame in read_capture(path):
            step = 0 if last is None else max(0, min(65535, int((time - last) * 100)))
            last = time
            payload = tcp_payload(frame)
            if payload:
                streams.append(payload)
            digest = hashlib.sha1(frame).digest()
            if digest in seen or len(seen) >= MAX_FRAMES_PER_FILE:
                continue
            seen.add(digest)
            w.add("frames", frame)
            if not own and len(frame) >= 6 and not frame[0] & 1:
                frame = OUTSIDE_MAC + frame[6:]  # addressed to gauntlet, not l2:not-for-us
            # flags: port, trace on; then the clock advance in 10 ms steps.
            w.add("pipeline", bytes([port | 4]) + struct.pack("<H", step) + frame)
    return streams


def stream_seeds(w, here, streams):
    hellos = [bytes.fromhex(p.read_text()) for p in sorted((here / "seeds" / "tls").glob("*.hex"))]
    hellos += [s for s in streams if len(s) > 5 and s[0] == 0x16 and s[1] == 3]
    for h in hellos:
        # Split at the start, and inside the record header.
        w.add("tls", b"\x00\x00" + h)
        w.add("tls", b"\x00\x03" + h)
    requests = [p.read_bytes() for p in sorted((here / "seeds" / "http").glob("*.http"))]
    requests += [s for s in streams if s.startswith(HTTP_METHODS)]
    for r in requests:
        # Segmentation: 256-byte segments; random sizes up to 16 with tiny limits.
        w.add("http", b"\x01\xff" + r)
        w.add("http", b"\x06\x0f" + r)


def normalise_seeds(w, here, root):
    fields = [p.read_bytes() for p in sorted((here / "seeds" / "normalise").glob("*.txt"))]
    corpora = root.parent / "shared" / "corpora"
    for name in ("libinjection_sqli.txt", "libinjection_xss.txt"):
        path = corpora / name
        if path.exists():
            lines = [l for l in path.read_bytes().splitlines() if l and not l.startswith(b"#")]
            fields += lines[::40]
    for i, f in enumerate(fields):
        # Function (cycling through all eight, field kind by turn), options, capacity:
        # large for most, small (truncating) for every third.
        function = (i % 8) | ((i // 8) % 3) << 3
        capacity = 16 if i % 3 == 0 else 128
        w.add("normalise", bytes([function, 0xff if i % 2 else 0x8b, capacity]) + f.strip())


# Shapes the ordinary documents lack: entities declared and referenced, CDATA, comments,
# processing instructions, faults and cut documents.
XML_SHAPES = [
    b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd"> <!ENTITY y "a>b]">]><r v="&x;">&y;</r>',
    b"<r><![CDATA[<script>alert(1)</script>]]><!-- c --><?pi x?><a p='&#x27; or 1=1'/></r>",
    b'<r a=1 b c="x" <d>&#0;&#xD800;&#12345678901;&amp;amp;</r',
    b'<r><a p="unterminated',
]


def xml_seeds(w, root):
    import importlib.util
    path = root / "tools" / "waf" / "benign" / "xml_documents.py"
    spec = importlib.util.spec_from_file_location("xml_documents", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    docs = [body.encode("utf-8") for _, body in module.DOCUMENTS] + XML_SHAPES
    for i, d in enumerate(docs):
        # Control byte: a 4 KiB buffer and the full limit for most; a 12-byte buffer and a
        # limit of 4 arguments for every third.
        w.add("xml", bytes([0x0c if i % 3 == 0 else 0xc0]) + d)


def waf_pattern_seeds(w, root):
    """Every pattern of the shipped WAF rules (YAML single-quoted scalars), caseless."""
    for path in sorted((root / "rules" / "waf").glob("*.yaml")):
        for line in path.read_text().splitlines():
            line = line.strip()
            if line.startswith("- '") and line.endswith("'"):
                w.add("waf_pattern", b"\x01" + line[3:-1].replace("''", "'").encode())


def config_seeds(w, root):
    configs = [root / "rules" / "gauntlet.yaml"] + sorted((root / "pcaps").glob("*/config.yaml"))
    for c in configs:
        text = c.read_bytes()
        w.add("config", text)
        rules = [l for l in text.splitlines() if l.lstrip().startswith(b"- { id:")]
        if rules:
            w.add("rules", b"\n".join(rules) + b"\n")
            for r in rules[:4]:
                w.add("rules", r + b"\n")
    classbench = root.parent / "shared" / "corpora" / "classbench"
    for name in ("fw1_seed_1_1k.rules", "acl1_seed_1_8k.rules"):
        path = classbench / name
        if path.exists():
            lines = path.read_bytes().splitlines()
            w.add("rules", b"\n".join(lines[:32]) + b"\n")
            for l in lines[:4]:
                w.add("rules", l + b"\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source-root", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--stamp", type=Path)
    args = ap.parse_args()
    root = args.source_root.resolve()
    here = Path(__file__).resolve().parent
    shutil.rmtree(args.out, ignore_errors=True)
    w = Writer(args.out)
    streams = frame_seeds(w, root)
    stream_seeds(w, here, streams)
    normalise_seeds(w, here, root)
    xml_seeds(w, root)
    config_seeds(w, root)
    waf_pattern_seeds(w, root)
    summary = " ".join(f"{k} {len(list((args.out / k).iterdir()))}" for k in sorted(w.counts))
    if args.stamp:
        args.stamp.write_text(summary + "\n")


if __name__ == "__main__":
    main()
