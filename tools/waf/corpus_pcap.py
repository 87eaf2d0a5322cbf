#!/usr/bin/python3
"""Write the WAF measurement corpus as pcaps, for replay through gauntlet.

    /usr/bin/python3 tools/waf/corpus_pcap.py --out-dir DIR [--corpus FILE] [--backend IP]

Each request of the corpus (tools/waf/make_corpus.py; built on the fly unless --corpus
names a file) becomes one TCP connection from an internet client to the web VIP
198.51.100.10:80: handshake, the request in 1-3 segments (more when a part exceeds the
MSS of 1460), the server's ACK, then FIN both ways. The server end is the pod --backend
(default 10.0.0.10:80): replay with a config whose web service has that one backend, so
that the replies come from the backend the balancer picks. One case folder per CRS family
(crs-930, ...) and per benign set (benign, libinjection-fp), each with outside.pcap and
inside.pcap in gen_pcaps.py's layout (1 ms between packets, global across both files) and
requests.tsv mapping each client address:port to its corpus id, whether it is an attack
and its kind (benign sets); tools/waf/corpus_replay.py replays them and scores the result.
DIR/config.yaml is that replay config: the web VIP with its one backend, inspected by the
WAF with the rules of rules/waf/ (--no-waf leaves the WAF out, for a baseline replay):

    gauntlet --no-huge -m 512 --no-shconf -- --config DIR/config.yaml --replay DIR/crs-942

Deterministic: the same corpus gives byte-identical files. Not committed; generated.
"""

import argparse
import base64
import collections
import json
import os
import subprocess
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tools/, for gen_pcaps

from gen_pcaps import (  # noqa: E402
    BASE_TIME_US, DEMO_SYN_OPTS, INSIDE, OUTSIDE, POD10_IP, POD10_MAC, POD11_IP, POD11_MAC,
    STEP_US, PcapWriter, TcpConn)

WEB_VIP = "198.51.100.10"
MSS = 1460
BACKENDS = {POD10_IP: POD10_MAC, POD11_IP: POD11_MAC}


def load_corpus(path):
    if path:
        with open(path, encoding="ascii") as f:
            return [json.loads(line) for line in f if line.strip()]
    text = subprocess.run([sys.executable, os.path.join(HERE, "make_corpus.py")],
                          check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in text.splitlines() if line]


def folder_of(rec):
    return "crs-%d" % rec["family"] if rec["set"] == "crs" else rec["set"]


def segments(rec_id, data):
    """1-3 pieces chosen from the id (deterministic), then cut to the MSS."""
    count = 1 + zlib.crc32(rec_id.encode()) % 3 if len(data) >= 3 else 1
    cuts = [len(data) * k // count for k in range(count + 1)]
    for a, b in zip(cuts, cuts[1:]):
        for at in range(a, b, MSS):
            yield data[at:min(b, at + MSS)]


def client_of(n):
    """The n-th client endpoint: 100 addresses of 203.0.113.0/24, then the next port."""
    return "203.0.113.%d" % (100 + n % 100), 20000 + n // 100


def connection(n, rec, backend):
    ip, port = client_of(n)
    isn = zlib.crc32(rec["id"].encode())
    conn = TcpConn(ip, port, backend, BACKENDS[backend], 80, outside_isn=isn,
                   pod_isn=isn ^ 0x5A5A5A5A, public_ip=WEB_VIP)
    pkts = [conn.outside("S", options=DEMO_SYN_OPTS), conn.pod("SA", options=DEMO_SYN_OPTS),
            conn.outside("A")]
    for piece in segments(rec["id"], base64.b64decode(rec["request"])):
        pkts.append(conn.outside("PA", piece))
    pkts += [conn.pod("A"), conn.outside("FA"), conn.pod("FA"), conn.outside("A")]
    return pkts


def write_folder(out_dir, name, recs, backend):
    folder = os.path.join(out_dir, name)
    os.makedirs(folder, exist_ok=True)
    writers = {}
    for port in (OUTSIDE, INSIDE):
        writers[port] = PcapWriter(os.path.join(folder, port + ".pcap"), linktype=1,
                                   endianness="<", snaplen=65535)
        writers[port].write_header(None)
    count = 0
    with open(os.path.join(folder, "requests.tsv"), "w", encoding="ascii") as index:
        index.write("client\tid\tattack\tkind\n")
        for n, rec in enumerate(recs):
            ip, port = client_of(n)
            index.write("%s:%d\t%s\t%s\t%s\n" % (ip, port, rec["id"], str(rec["attack"]).lower(),
                                                rec.get("kind", "")))
            for side, pkt in connection(n, rec, backend):
                sec, usec = divmod(BASE_TIME_US + count * STEP_US, 1000000)
                writers[side].write_packet(bytes(pkt), sec=sec, usec=usec)
                count += 1
    for w in writers.values():
        w.close()
    return count


CONFIG = """\
# Replay config for the WAF corpus pcaps (tools/waf/corpus_pcap.py): the web VIP
# 198.51.100.10:80 with the single backend %(backend)s:80%(waf_note)s.
ports:
  outside: { mac: 02:00:00:00:00:01, addresses: [198.51.100.1/24] }
  inside: { mac: 02:00:00:00:00:02, addresses: [10.0.0.1/24] }
routes:
  - { prefix: 0.0.0.0/0, port: outside, via: 198.51.100.254 }
neighbours:
  - { address: 198.51.100.254, port: outside, mac: 02:00:00:00:01:fe }
  - { address: %(backend)s, port: inside, mac: %(mac)s }
firewall:
  default: deny
  rules:
    - { id: web-vip, action: allow, proto: tcp, dst: 198.51.100.10/32, dst_port: 80 }
conntrack:
  capacity: 65536
%(waf_section)sservices:
  - name: web
    vip: 198.51.100.10
    ports: [80]
    protocol: tcp
    backends:
      - { address: %(backend)s, port: 80 }
%(waf_key)s"""


def write_config(out_dir, backend, waf):
    rules = os.path.join(os.path.dirname(os.path.dirname(HERE)), "rules", "waf", "*.yaml")
    text = CONFIG % {
        "backend": backend, "mac": BACKENDS[backend],
        "waf_note": ", inspected by the WAF" if waf else " (no WAF)",
        "waf_section": ("waf:\n  rules: [%s]\n  threshold: 5\n  mode: block\n" % rules)
        if waf else "",
        "waf_key": "    waf: true\n" if waf else ""}
    with open(os.path.join(out_dir, "config.yaml"), "w", encoding="ascii") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--corpus", help="corpus JSON lines (default: run make_corpus.py)")
    ap.add_argument("--backend", default=POD10_IP, choices=sorted(BACKENDS),
                    help="the web service's single backend in the replay config")
    ap.add_argument("--only", help="write only this folder (e.g. crs-942, benign)")
    ap.add_argument("--no-waf", action="store_true", help="config.yaml without the WAF")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    write_config(args.out_dir, args.backend, not args.no_waf)
    groups = collections.OrderedDict()
    for rec in load_corpus(args.corpus):
        groups.setdefault(folder_of(rec), []).append(rec)
    for name, recs in groups.items():
        if args.only and name != args.only:
            continue
        packets = write_folder(args.out_dir, name, recs, args.backend)
        print("%s: %d requests, %d packets" % (os.path.join(args.out_dir, name), len(recs),
                                                packets))


if __name__ == "__main__":
    main()
