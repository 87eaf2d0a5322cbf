"""Adversarial and flood cases: every frame gets a named outcome, and established traffic
keeps flowing while the rest is stopped. Each case has its own pcaps/<case>/config.yaml."""

import random

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


CASES = {
    "truncated-headers": case_truncated_headers,
    "ipv6-extension-chains": case_ipv6_extension_chains,
    "icmp-garbage-quotes": case_icmp_garbage_quotes,
    "flood-udp-unmapped": case_flood_udp_unmapped,
}
