#!/usr/bin/python3
"""Hostile client streams to a WAF service, each with its documented outcome.

Writes its pcap and config into a temporary folder at test time (the tiny-segment cases are
too big to keep in the tree), replays them through gauntlet, and checks, per connection
(client port), the reason of the last WAF step its packets got:

  port  stream                                               outcome
  1001  a 100 KB header line                                 reset: waf:protocol-violation (http:header-line-too-long)
  1002  chunk size past 2^64                                 reset: waf:protocol-violation (http:chunk-size-overflow)
  1003  a TLS record claiming more than 2^14 bytes           reset: waf:protocol-violation (tls:record-length)
  1004  a TLS record longer than the ClientHello it holds    reset: waf:protocol-violation (tls:record-handshake-mismatch)
  1005  garbage after the request line                       reset: waf:protocol-violation (http:invalid-version)
  1006  invalid UTF-8 in the query, no attack                pass: waf:inspected
  1007  an attack sent one byte per segment                  reset: waf:blocked (942100)
  1008  TINY one-byte segments in order (a long body)        pass: every byte read, nothing kept
  1009  one-byte segments behind a hole, contiguous          reset: waf:stream-overflow (the 4 KiB window)
  1010  one-byte segments behind holes, apart                reset: waf:stream-overflow (too many holes)
  1011  data on the SYN (TCP Fast Open)                      that SYN dropped: waf:protocol-violation
  1012  a request in IP fragments                            dropped: waf:fragment-dropped

Usage: waf_bad_input.py GAUNTLET [TINY]   (TINY: segments of 1008, default 200000)
"""

import json
import os
import struct
import subprocess
import sys
import tempfile

CLIENT, VIP = bytes([203, 0, 113, 10]), bytes([198, 51, 100, 10])
GW_MAC, OUT_MAC = bytes.fromhex("0200000001fe"), bytes.fromhex("020000000001")
POD_MAC, IN_MAC = bytes.fromhex("02000000020a"), bytes.fromhex("020000000002")
POD = bytes([10, 0, 0, 10])

CONFIG = """ports:
  outside: { mac: 02:00:00:00:00:01, addresses: [198.51.100.1/24] }
  inside: { mac: 02:00:00:00:00:02, addresses: [10.0.0.1/24] }
routes:
  - { prefix: 0.0.0.0/0, port: outside, via: 198.51.100.254 }
neighbours:
  - { address: 198.51.100.254, port: outside, mac: 02:00:00:00:01:fe }
  - { address: 10.0.0.10, port: inside, mac: 02:00:00:00:02:0a }
waf:
  rules: [rules.yaml]
  flow_buffer_bytes: 4096
  memory_bytes: 4194304
services:
  - { name: web, vip: 198.51.100.10, ports: [80], waf: true, backends: [{ address: 10.0.0.10, port: 80 }] }
"""

RULES = """rules:
  - id: "942100"
    message: "SQL injection: boolean tautology"
    family: sqli
    fields: [args, body_args]
    patterns: ['\\bor\\b\\s*[\\d\\x27"]+\\s*=\\s*[\\d\\x27"]+']
    flags: [caseless]
"""


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def ip_frame(src, dst, body, smac, dmac, frag=0x4000, ident=0):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), ident, frag, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dmac + smac + b"\x08\x00" + ip + body


def tcp_segment(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, ack, 5 << 4, flags, 64240, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
    return tcp[:16] + struct.pack("!H", csum(pseudo + tcp + payload)) + tcp[18:] + payload


def frame(src, dst, sport, dport, seq, ack, flags, payload, smac, dmac):
    return ip_frame(src, dst, tcp_segment(src, dst, sport, dport, seq, ack, flags, payload), smac, dmac)


CLOCK = [1700000000 * 1000000]  # one clock for both files: replay merges them by time


class Pcap:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))

    def write(self, data):
        CLOCK[0] += 10
        t = CLOCK[0]
        self.f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(data), len(data)))
        self.f.write(data)


def connection(out, inn, sport, segments, syn_data=b"", fragmented=False):
    """Handshake, then `segments` as (offset, bytes) from the client (ISN 1000)."""
    isn, pisn = 1000, 5000
    A, S, PA, SA, F = 0x10, 0x02, 0x18, 0x12, 0x11
    if syn_data:  # TCP Fast Open: data on the SYN, then the SYN again without it
        out.write(frame(CLIENT, VIP, sport, 80, isn, 0, S, syn_data, GW_MAC, OUT_MAC))
    out.write(frame(CLIENT, VIP, sport, 80, isn, 0, S, b"", GW_MAC, OUT_MAC))
    inn.write(frame(POD, CLIENT, 80, sport, pisn, isn + 1, SA, b"", POD_MAC, IN_MAC))
    out.write(frame(CLIENT, VIP, sport, 80, isn + 1, pisn + 1, A, b"", GW_MAC, OUT_MAC))
    end = 0
    for offset, data in segments:
        if fragmented:  # the segment in two IPv4 fragments, cut 4 bytes into its payload
            body = tcp_segment(CLIENT, VIP, sport, 80, isn + 1 + offset, pisn + 1, PA, data)
            out.write(ip_frame(CLIENT, VIP, body[:24], GW_MAC, OUT_MAC, frag=0x2000, ident=sport))
            out.write(ip_frame(CLIENT, VIP, body[24:], GW_MAC, OUT_MAC, frag=3, ident=sport))
        else:
            out.write(frame(CLIENT, VIP, sport, 80, isn + 1 + offset, pisn + 1, PA, data, GW_MAC, OUT_MAC))
        end = max(end, offset + len(data))
    out.write(frame(CLIENT, VIP, sport, 80, isn + 1 + end, pisn + 1, F, b"", GW_MAC, OUT_MAC))


def whole(data):
    """In order, in segments of at most an MSS."""
    return [(i, data[i:i + 1400]) for i in range(0, len(data), 1400)]


def bytewise(data, start=0):
    return [(start + i, data[i:i + 1]) for i in range(len(data))]


def tls_record(length, body):
    return b"\x16\x03\x01" + struct.pack("!H", length) + body


def main():
    gauntlet = sys.argv[1]
    tiny = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
    tmp = tempfile.mkdtemp(prefix="waf-bad-input-")
    with open(os.path.join(tmp, "config.yaml"), "w") as f:
        f.write(CONFIG)
    with open(os.path.join(tmp, "rules.yaml"), "w") as f:
        f.write(RULES)
    out, inn = Pcap(os.path.join(tmp, "outside.pcap")), Pcap(os.path.join(tmp, "inside.pcap"))
    hello = b"\x01\x00\x00\x30" + b"\x03\x03" + bytes(46)
    body = b"a=" + b"b" * (tiny - 2)
    post = b"POST /upload HTTP/1.1\r\nHost: shop\r\nContent-Length: %d\r\n\r\n" % len(body)
    cases = {  # port: (outcome, what the event's waf fields must say, the stream)
        1001: ("waf:protocol-violation", "http:header-line-too-long",
               whole(b"GET / HTTP/1.1\r\nHost: shop\r\nX-Long: " + b"x" * 100000 + b"\r\n\r\n")),
        1002: ("waf:protocol-violation", "http:chunk-size-overflow",
               whole(b"POST / HTTP/1.1\r\nHost: shop\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"1ffffffffffffffffff\r\nabc\r\n")),
        1003: ("waf:protocol-violation", "tls:record-length", whole(tls_record(0x4001, hello))),
        1004: ("waf:protocol-violation", "tls:record-handshake-mismatch",
               whole(tls_record(len(hello) + 40, hello + bytes(40)))),
        1005: ("waf:protocol-violation", "http:invalid-version",
               whole(b"GET / HTTP/1.1 and more\r\nHost: shop\r\n\r\n")),
        1006: ("pass", "", whole(b"GET /q?name=\xc3\x28\xff\xfe%C3%28 HTTP/1.1\r\nHost: shop\r\n\r\n")),
        1007: ("waf:blocked", "942100",
               bytewise(b"GET /items?id=1%27%20or%20%271%27%3D%271 HTTP/1.1\r\nHost: shop\r\n\r\n")),
        1008: ("pass", "", whole(post) + bytewise(body, len(post))),
        1009: ("waf:stream-overflow", "", bytewise(b"x" * 5000, 1)),
        1010: ("waf:stream-overflow", "", [(1 + 2 * i, b"x") for i in range(20)]),
        1011: ("waf:protocol-violation", "", whole(b"GET / HTTP/1.1\r\nHost: shop\r\n\r\n")),
        1012: ("waf:fragment-dropped", "", whole(b"GET /?id=1%27%20or%201%3D1 HTTP/1.1\r\nHost: shop\r\n\r\n")),
    }
    for sport, (_, _, segments) in cases.items():
        connection(out, inn, sport, segments, b"GET /?id=1' or 1=1 HTTP/1.1\r\n\r\n" if sport == 1011 else b"",
                   fragmented=sport == 1012)
    out.f.close(), inn.f.close()
    run = subprocess.run([gauntlet, "--config", os.path.join(tmp, "config.yaml"), "--replay", tmp,
                          "--out", os.path.join(tmp, "out")], capture_output=True, text=True, timeout=300)
    if run.returncode != 0:
        print("gauntlet failed (%d):\n%s" % (run.returncode, run.stderr))
        return 1
    stops = {}  # client port -> (reason, waf fields) of its first WAF stop: what ended the flow
    with open(os.path.join(tmp, "out", "events.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            if r.get("layer") == "waf" and r.get("sport") in cases and r["sport"] not in stops:
                stops[r["sport"]] = (r["reason"], r.get("waf", {}))
    failures = 0
    for sport, (want, detail, _) in cases.items():
        got, fields = stops.get(sport, ("pass", {}))
        ok = got == want and detail in json.dumps(fields)
        print("%s: port %d: %s %s (want %s %s)" % ("ok" if ok else "FAIL", sport, got, json.dumps(fields),
                                                  want, detail))
        failures += not ok
    summary = json.load(open(os.path.join(tmp, "out", "summary.json")))
    reasons = {}
    for layer in summary["layers"]:
        reasons.update(layer["reasons"])
    print("waf reasons: %s" % json.dumps({k: v for k, v in reasons.items() if k.startswith("waf:")}))
    if reasons.get("waf:inspected", 0) < tiny:
        print("FAIL: the %d one-byte segments were not all read" % tiny)
        failures += 1
    waf = summary.get("waf", {})
    print("waf state: %s" % json.dumps(waf))
    if waf.get("slots_in_use") != 0 or waf.get("reorder_windows_in_use") != 0:
        print("FAIL: every flow ended, yet inspection state is still held")
        failures += 1
    if failures == 0:
        subprocess.run(["rm", "-rf", tmp])
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
