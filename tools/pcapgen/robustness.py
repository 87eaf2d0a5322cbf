"""Adversarial and flood cases: every frame gets a named outcome, and established traffic
keeps flowing while the rest is stopped. Each case has its own pcaps/<case>/config.yaml."""

import os
import random

from scapy.all import IPv6ExtHdrFragment  # noqa: E402

from gen_pcaps import *  # noqa: F401,F403  (helpers and constants of tools/gen_pcaps.py)


def truncations(frame, start=1):
    """The frame cut at every length from `start` to one byte short of whole."""
    return [frame[:n] for n in range(start, len(frame))]


def case_truncated_headers():
    """A TCP SYN with options (IPv4) and a UDP datagram (IPv6), each cut at every byte
    boundary: every cut frame is stopped as malformed (or as not ours when too short to
    name a protocol); the whole frames that follow are forwarded."""
    syn4 = raw(from_internet(IP(src=CLIENT_A, dst=POD10_IP, ttl=56, id=7) /
                             TCP(sport=40100, dport=80, flags="S", seq=99,
                                 options=SYN_OPTS)))
    udp6 = raw(from_internet(IPv6(src="2001:db8:cafe::10", dst=POD6_IP, hlim=56) /
                             UDP(sport=40200, dport=53) / Raw(b"0123456789")))
    pkts = [out(f) for f in truncations(syn4)]
    pkts += [out(f) for f in truncations(udp6)]
    pkts += [out(syn4), out(udp6)]
    return pkts


def ipv6_chain(count, nh_last=17):
    """An IPv6 UDP datagram behind `count` destination-options headers."""
    l4 = UDP(sport=40300, dport=53) / Raw(b"q")
    pkt = l4
    for _ in range(count):
        pkt = IPv6ExtHdrDestOpt() / pkt
    return out(from_internet(IPv6(src="2001:db8:cafe::10", dst=POD6_IP, hlim=56) / pkt))


def case_ipv6_extension_chains():
    """Extension-header chains: short ones pass, an overlong chain (past gauntlet's limit of
    8 headers), a hop-by-hop header out of place and a header whose length runs past the
    packet are stopped as malformed."""
    pkts = [ipv6_chain(1), ipv6_chain(7), ipv6_chain(9), ipv6_chain(40)]
    misplaced = out(from_internet(IPv6(src="2001:db8:cafe::10", dst=POD6_IP, hlim=56) /
                                  IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop() /
                                  UDP(sport=40301, dport=53) / Raw(b"q")))
    overrun = bytearray(raw(ipv6_chain(1)[1]))
    overrun[14 + 40 + 1] = 200  # Hdr Ext Len: (200 + 1) * 8 bytes, far past the payload
    pkts += [misplaced, out(bytes(overrun))]
    return pkts


def case_icmp_garbage_quotes():
    """ICMP errors to the public address and to a pod quoting garbage: too short, a quoted
    IPv4 header with a bad length, a quoted protocol nobody tracks, and a quote of a flow
    that does not exist. None reaches a pod; each has a reason."""
    target = NAT_IP
    quotes = [
        b"\x45\x00",                                       # 2 bytes of an IPv4 header
        b"\x4f" + bytes(27),                               # IHL 15 with 28 bytes quoted
        b"\x45\x00\x00\x1c" + bytes(5) + b"\x2f" + bytes(18),  # GRE: not tracked
        quoted(NAT_IP, 50000, "203.0.113.50", 123),        # no such mapping
        bytes(range(28)),                                  # not IPv4 at all
    ]
    pkts = []
    for q in quotes:
        pkts.append(out(from_internet(IP(src="203.0.113.50", dst=target, ttl=55) /
                                      ICMP(type=3, code=3) / Raw(q))))
        pkts.append(out(from_internet(IP(src="203.0.113.50", dst=POD10_IP, ttl=55) /
                                      ICMP(type=11, code=0) / Raw(q))))
    return pkts


def case_flood_udp_unmapped():
    """1000 UDP datagrams from random internet sources to random unmapped ports of the
    public address, while a pod's established UDP exchange goes on: every flood datagram
    is stopped without creating state, and every datagram of the exchange is forwarded."""
    rng = random.Random(4242)
    pkts = [udp_from_pod(POD10_MAC, POD10_IP, 41000, API, 123, b"query-0"),
            udp_to_public(API, 123, 41000, b"answer-0")]
    for i in range(1000):
        src = "203.0.%d.%d" % (rng.randrange(114, 120), rng.randrange(1, 255))
        pkts.append(udp_to_public(src, rng.randrange(1024, 65536), rng.randrange(1024, 65536),
                                  b"flood"))
        if i % 50 == 49:
            n = i // 50 + 1
            pkts.append(udp_from_pod(POD10_MAC, POD10_IP, 41000, API, 123, b"query-%d" % n))
            pkts.append(udp_to_public(API, 123, 41000, b"answer-%d" % n))
    return pkts


def ipv4_fragment(pkt, offset, data, more):
    """One IPv4 fragment of `pkt` (an IP/L4 scapy packet) carrying `data` at byte `offset`."""
    ip = pkt[IP]
    return IP(src=ip.src, dst=ip.dst, ttl=ip.ttl, id=ip.id, proto=ip.proto,
              flags="MF" if more else 0, frag=offset // 8) / Raw(data)


def ipv6_fragment(pkt, offset, data, more, ident):
    """One IPv6 fragment of `pkt` (an IPv6/L4 scapy packet) carrying `data` at byte `offset`."""
    ip = pkt[IPv6]
    return IPv6(src=ip.src, dst=ip.dst, hlim=ip.hlim) / \
        IPv6ExtHdrFragment(nh=ip.nh, offset=offset // 8, m=int(more), id=ident) / Raw(data)


def split(pkt, sizes, v6=False, ident=0):
    """`pkt`'s upper-layer bytes cut into fragments of `sizes` bytes (the last takes the
    rest), as (offset, data, more) triples."""
    l4 = raw(pkt[IPv6].payload if v6 else pkt[IP].payload)
    out, off = [], 0
    for n in sizes:
        out.append((off, l4[off:off + n], True))
        off += n
    out.append((off, l4[off:], False))
    return out


def case_fragment_evasions():
    """Fragments that try to slip past a first-fragment verdict (RFC 1858, RFC 8200), pods to
    the internet through the NAT (case config: NTP and HTTPS out). Tiny UDP fragments (the
    first carries just the UDP header) and duplicated ones are forwarded like their datagram,
    and an overlap with other bytes follows its flow (gauntlet does not reassemble: the
    receiver's overlap rules apply). A TCP first fragment too short for the TCP header is
    malformed, and its later fragments find no first one. A TCP fragment at offset 8 (it
    could rewrite the flags of the header the first fragment was judged on) is malformed. A
    datagram never completed within 2 s: its late fragments wait for a first one that has
    come and gone (conntrack:fragment-hold-timeout, seen when the echo at the end comes).
    IPv6 the same."""
    dst = "203.0.113.10"
    pkts = []
    pod = lambda l3: inn(from_pod(POD10_MAC, l3))  # noqa: E731
    pod6 = lambda l3: inn(from_pod(POD6_MAC, l3))  # noqa: E731

    # Tiny: 8-byte fragments, the first one only the UDP header.
    tiny = IP(src=POD10_IP, dst=dst, ttl=64, id=0x6001) / UDP(sport=41100, dport=123) / \
        Raw(b"t" * 40)
    pkts += [pod(ipv4_fragment(tiny, o, d, m)) for o, d, m in split(tiny, [8] * 5)]
    # Duplicated: every fragment twice.
    dup = IP(src=POD10_IP, dst=dst, ttl=64, id=0x6002) / UDP(sport=41101, dport=123) / \
        Raw(b"d" * 64)
    for o, d, m in split(dup, [32]):
        pkts += [pod(ipv4_fragment(dup, o, d, m))] * 2
    # Overlapping, with other bytes in the overlap.
    ovl = IP(src=POD10_IP, dst=dst, ttl=64, id=0x6003) / UDP(sport=41102, dport=123) / \
        Raw(b"o" * 64)
    first, rest = split(ovl, [40])
    pkts += [pod(ipv4_fragment(ovl, *first)),
             pod(ipv4_fragment(ovl, 24, b"X" * 24, True)),
             pod(ipv4_fragment(ovl, *rest))]
    # TCP first fragment of 16 bytes: no room for the TCP header.
    syn = IP(src=POD10_IP, dst=dst, ttl=64, id=0x6004) / \
        TCP(sport=41200, dport=443, flags="S", seq=1, options=SYN_OPTS)
    pkts += [pod(ipv4_fragment(syn, o, d, m)) for o, d, m in split(syn, [16])]
    # TCP at offset 8 (RFC 1858): the first fragment is a whole header; the second would
    # rewrite its flags and window at the receiver.
    syn2 = IP(src=POD10_IP, dst=dst, ttl=64, id=0x6005) / \
        TCP(sport=41201, dport=443, flags="S", seq=1, options=SYN_OPTS) / Raw(b"s" * 24)
    first, rest = split(syn2, [40])
    pkts += [pod(ipv4_fragment(syn2, *first)),
             pod(ipv4_fragment(syn2, 8, b"\x00" * 4 + b"\x50\x12\xff\xff" + b"\x00" * 8, True)),
             pod(ipv4_fragment(syn2, *rest))]
    # Never completed: the first fragment, then the rest 3 s later.
    never = IP(src=POD10_IP, dst=dst, ttl=64, id=0x6006) / UDP(sport=41103, dport=123) / \
        Raw(b"n" * 64)
    first, second, third = split(never, [24, 24])
    pkts += [pod(ipv4_fragment(never, *first)), (GAP, 3.0),
             pod(ipv4_fragment(never, *second)), pod(ipv4_fragment(never, *third))]

    # IPv6: tiny, overlapping, TCP too short, TCP at offset 8.
    dst6 = "2001:db8:cafe::53"
    t6 = IPv6(src=POD6_IP, dst=dst6, hlim=64) / UDP(sport=42100, dport=123) / Raw(b"T" * 40)
    pkts += [pod6(ipv6_fragment(t6, o, d, m, 0x7001)) for o, d, m in split(t6, [8] * 5, True)]
    o6 = IPv6(src=POD6_IP, dst=dst6, hlim=64) / UDP(sport=42101, dport=123) / Raw(b"O" * 64)
    first, rest = split(o6, [40], True)
    pkts += [pod6(ipv6_fragment(o6, *first, 0x7002)),
             pod6(ipv6_fragment(o6, 24, b"Y" * 24, True, 0x7002)),
             pod6(ipv6_fragment(o6, *rest, 0x7002))]
    s6 = IPv6(src=POD6_IP, dst=dst6, hlim=64) / \
        TCP(sport=42200, dport=443, flags="S", seq=1, options=SYN_OPTS)
    pkts += [pod6(ipv6_fragment(s6, o, d, m, 0x7003)) for o, d, m in split(s6, [16], True)]
    s6b = IPv6(src=POD6_IP, dst=dst6, hlim=64) / \
        TCP(sport=42201, dport=443, flags="S", seq=1, options=SYN_OPTS) / Raw(b"S" * 24)
    first, rest = split(s6b, [40], True)
    pkts += [pod6(ipv6_fragment(s6b, *first, 0x7004)),
             pod6(ipv6_fragment(s6b, 8, b"\x00" * 4 + b"\x50\x12\xff\xff" + b"\x00" * 8, True,
                                0x7004)),
             pod6(ipv6_fragment(s6b, *rest, 0x7004))]
    # 2.5 s on, an echo to the gateway: the fragments still held by then time out.
    pkts += [(GAP, 2.5), pod(IP(src=POD10_IP, dst=IN_IP, ttl=64) / ICMP(id=0x6007, seq=1))]
    return pkts


ZEEK_FRAGMENT_TRACES = ["zeek_ipv4_fragmented-2.pcap", "zeek_ipv4_fragmented-3.pcap",
                        "zeek_ipv4_fragmented-4.pcap", "zeek_ipv6-fragmented-dns.pcap"]


def case_zeek_fragments():
    """Zeek's fragment traces (../shared/corpora/pcaps/: a fragmented NetBIOS answer, a
    fragmented FTP segment, overlapping and out-of-order TCP fragments, fragmented IPv6 DNS
    answers), arriving on the outside port of a router with an open firewall (case config):
    every frame gets a named outcome; first fragments are judged, later ones follow them (held
    when they come first) or time out waiting for one."""
    from scapy.all import rdpcap
    corpora = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                           "shared", "corpora", "pcaps")
    pkts = []
    for name in ZEEK_FRAGMENT_TRACES:
        path = os.path.join(corpora, name)
        if not os.path.exists(path):
            raise SystemExit("gen_pcaps: zeek-fragments needs %s" % os.path.normpath(path))
        for p in rdpcap(path):
            frame = bytearray(raw(p))
            frame[0:6] = bytes.fromhex(OUT_MAC.replace(":", ""))
            frame[6:12] = bytes.fromhex(GW_MAC.replace(":", ""))
            pkts.append(out(bytes(frame)))
    # 2.5 s on, an echo to the router: fragments still held for their first one time out.
    return pkts + [(GAP, 2.5), out(from_internet(IP(src=CLIENT_A, dst=OUT_IP, ttl=56) /
                                                 ICMP(id=0x6008, seq=1)))]


def case_waf_tiny_segments():
    """TCP segmentation evasion: an SQL injection sent one byte per segment, in order and
    (another connection) last byte first, to a WAF service (the config and rules of
    waf-sqli-query). Each byte is forwarded or buffered until the request is whole, and the
    segment that completes it is blocked (both connections: RST to client and backend)."""
    attack = b"GET /items?id=1%27%20OR%20%271%27%3D%271 HTTP/1.1\r\nHost: shop\r\n\r\n"
    pkts = []
    for sport, isn, order in ((43400, 0x50000000, range(len(attack))),
                              (43401, 0x50100000, reversed(range(len(attack))))):
        c = TcpConn(CLIENT_A, sport, POD10_IP, POD10_MAC, 80, outside_isn=isn,
                    pod_isn=isn + 0x100000, public_ip="198.51.100.10")
        pkts += [c.outside("S", options=DEMO_SYN_OPTS), c.pod("SA", options=DEMO_SYN_OPTS),
                 c.outside("A")]
        start = c.o_seq
        for i in order:
            c.o_seq = (start + i) & 0xffffffff
            pkts.append(c.outside("PA", attack[i:i + 1]))
        c.o_seq = (start + len(attack)) & 0xffffffff
        c.p_ack = c.o_seq
    return pkts


CASES = {
    "truncated-headers": case_truncated_headers,
    "ipv6-extension-chains": case_ipv6_extension_chains,
    "icmp-garbage-quotes": case_icmp_garbage_quotes,
    "flood-udp-unmapped": case_flood_udp_unmapped,
    "fragment-evasions": case_fragment_evasions,
    "zeek-fragments": case_zeek_fragments,
    "waf-tiny-segments": case_waf_tiny_segments,
}
