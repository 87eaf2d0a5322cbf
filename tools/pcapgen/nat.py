"""NAT gateway cases: filtering, hairpinning, fragments through the NAT, pool exhaustion.

Each case has its own pcaps/<case>/config.yaml (both ACLs open where the NAT itself is what
the case shows)."""
from gen_pcaps import *  # noqa: F401,F403
from scapy.all import IPv6ExtHdrFragment, fragment, fragment6  # noqa: E402


def case_nat_req_4787_req_8_eif():
    """snat.filtering endpoint-independent: once a pod has a mapping, any host reaches it on
    the public port (a new, translated flow) and the pod's answer leaves from the mapping;
    an unmapped port stays closed."""
    return [udp_from_pod(POD10_MAC, POD10_IP, 5000, "203.0.113.10", 3478),
            udp_to_public("203.0.113.10", 3478, 5000),
            udp_to_public("203.0.113.77", 4444, 5000, payload=b"hello from a third host"),
            udp_from_pod(POD10_MAC, POD10_IP, 5000, "203.0.113.77", 4444, payload=b"hi"),
            udp_to_public("203.0.113.77", 4444, 5001)]


def case_nat_req_4787_req_9_hairpin():
    """Pod A reaches pod B through B's public address:port (UDP and TCP); B sees A's public
    address:port as the source, and B's answers come back from B's public port.
    (A mapping serves packets of later bursts: replay starts a burst when the port changes,
    so the server's answers here also separate B's mapping from A's first packet.)"""
    b_out = udp_from_pod(POD11_MAC, POD11_IP, 7000, "203.0.113.10", 3478)
    b_answer = udp_to_public("203.0.113.10", 3478, 7000)
    a_to_b = udp_from_pod(POD10_MAC, POD10_IP, 6000, NAT_IP, 7000, payload=b"a->b")
    b_to_a = udp_from_pod(POD11_MAC, POD11_IP, 7000, NAT_IP, 6000, payload=b"b->a")
    b_tcp_out = inn(from_pod(POD11_MAC, IP(src=POD11_IP, dst="203.0.113.10", ttl=64) /
                             TCP(sport=7100, dport=443, flags="S", seq=1, options=DEMO_SYN_OPTS)))
    b_tcp_answer = out(from_internet(IP(src="203.0.113.10", dst=NAT_IP, ttl=56) /
                                     TCP(sport=443, dport=7100, flags="SA", seq=9, ack=2,
                                         options=DEMO_SYN_OPTS)))
    syn = inn(from_pod(POD10_MAC, IP(src=POD10_IP, dst=NAT_IP, ttl=64) /
                       TCP(sport=6100, dport=7100, flags="S", seq=100, options=DEMO_SYN_OPTS)))
    synack = inn(from_pod(POD11_MAC, IP(src=POD11_IP, dst=NAT_IP, ttl=64) /
                          TCP(sport=7100, dport=6100, flags="SA", seq=500, ack=101,
                              options=DEMO_SYN_OPTS)))
    ack = inn(from_pod(POD10_MAC, IP(src=POD10_IP, dst=NAT_IP, ttl=64) /
                       TCP(sport=6100, dport=7100, flags="A", seq=101, ack=501)))
    # A public port nobody holds: nothing to hairpin to.
    nobody = udp_from_pod(POD10_MAC, POD10_IP, 6000, NAT_IP, 9999)
    return [b_out, b_answer, a_to_b, b_to_a, b_tcp_out, b_tcp_answer, syn, synack, ack, nobody]


def case_nat_fragments():
    """Fragmented datagrams through the NAT (shallow reassembly): every fragment of a pod's
    datagram leaves with the public source; the fragmented answer reaches the pod; a later
    fragment ahead of its first one is held and follows it (conntrack:fragment-held); one
    whose first fragment the allow-list stopped is conntrack:fragment-without-first; IPv6
    fragments follow their flow. Within one burst a later fragment just ahead of its first one
    follows it without being held."""
    query = IP(src=POD10_IP, dst="203.0.113.10", ttl=64, id=0x1111) / \
        UDP(sport=41000, dport=123) / Raw(b"q" * 100)
    answer = IP(src="203.0.113.10", dst=NAT_IP, ttl=56, id=0x2222) / \
        UDP(sport=123, dport=41000) / Raw(b"a" * 100)
    late = IP(src=POD10_IP, dst="203.0.113.10", ttl=64, id=0x3333) / \
        UDP(sport=41000, dport=123) / Raw(b"l" * 100)
    denied = IP(src=POD10_IP, dst="203.0.113.10", ttl=64, id=0x4444) / \
        UDP(sport=41001, dport=5353) / Raw(b"d" * 100)
    v6 = IPv6(src=POD6_IP, dst="2001:db8:cafe::53", hlim=64) / \
        IPv6ExtHdrFragment(id=0x5555) / UDP(sport=42000, dport=123) / Raw(b"6" * 100)
    q = [inn(from_pod(POD10_MAC, f)) for f in fragment(query, fragsize=48)]
    a = [out(from_internet(f)) for f in fragment(answer, fragsize=48)]
    lt = [inn(from_pod(POD10_MAC, f)) for f in fragment(late, fragsize=48)]
    dn = [inn(from_pod(POD10_MAC, f)) for f in fragment(denied, fragsize=48)]
    six = [inn(from_pod(POD6_MAC, f)) for f in fragment6(v6, 100)]
    # Replay starts a burst when the port changes: the answer in between puts the late
    # datagram's second fragment in an earlier burst than its first.
    between = udp_to_public("203.0.113.10", 123, 41000, payload=b"between")
    return q + a + [lt[1], between, lt[0], lt[2]] + dn + six


def case_nat_fragments_out_of_order():
    """RFC 4787 REQ-14, out of order: later fragments that come ahead of their first one are
    held (conntrack:fragment-held) until it comes, then leave right after it, translated, in
    the order they came: a pod's UDP datagram through SNAT, last fragment first (the first
    in a later burst than the others); the answer the same way; IPv6 last-first (one burst). Held
    fragments take their first fragment's verdict: the allow-list stops a datagram's first
    fragment, and the fragment held for it is conntrack:fragment-without-first. A datagram
    whose first fragment never comes is conntrack:fragment-hold-timeout 2 s on. A flood of
    80 orphan fragments holds 64 datagrams (the budget) and is refused beyond it
    (conntrack:fragment-hold-full); the held ones time out, and the pods' traffic passes.
    The case ends with a fragment held (resource-hygiene sees it unsettled)."""
    query = IP(src=POD10_IP, dst="203.0.113.10", ttl=64, id=0x7171) / \
        UDP(sport=41000, dport=123) / Raw(b"q" * 140)
    answer = IP(src="203.0.113.10", dst=NAT_IP, ttl=56, id=0x7272) / \
        UDP(sport=123, dport=41000) / Raw(b"a" * 100)
    denied = IP(src=POD10_IP, dst="203.0.113.10", ttl=64, id=0x7373) / \
        UDP(sport=41001, dport=5353) / Raw(b"d" * 100)
    never = IP(src=POD11_IP, dst="203.0.113.10", ttl=64, id=0x7474) / \
        UDP(sport=41002, dport=123) / Raw(b"n" * 100)
    v6 = IPv6(src=POD6_IP, dst="2001:db8:cafe::53", hlim=64) / \
        IPv6ExtHdrFragment(id=0x7575) / UDP(sport=42000, dport=123) / Raw(b"6" * 100)
    q = [inn(from_pod(POD10_MAC, f)) for f in fragment(query, fragsize=48)]
    a = [out(from_internet(f)) for f in fragment(answer, fragsize=48)]
    dn = [inn(from_pod(POD10_MAC, f)) for f in fragment(denied, fragsize=48)]
    nv = [inn(from_pod(POD11_MAC, f)) for f in fragment(never, fragsize=48)]
    six = [inn(from_pod(POD6_MAC, f)) for f in fragment6(v6, 100)]
    # Replay starts a burst when the port changes: the packet from outside puts the query's
    # first fragment in a later burst than the fragments held for it (and `ping` the
    # answer's).
    between = udp_to_public("203.0.113.10", 123, 41000, payload=b"between")
    flood = [inn(from_pod(POD11_MAC, f)) for n in range(80) for f in fragment(
        IP(src=POD11_IP, dst="203.0.113.99", ttl=64, id=0x8000 + n) /
        UDP(sport=43000, dport=123) / Raw(b"f" * 100), fragsize=48)[1:2]]
    ping = udp_from_pod(POD10_MAC, POD10_IP, 41000, "203.0.113.10", 123)
    pong = udp_to_public("203.0.113.10", 123, 41000)
    # Packets the other way end a burst, so that the time limit is seen at the next one.
    return (q[:0:-1] + [between, q[0]] + [a[2], a[1], ping, a[0]] + six[::-1] +
            [dn[1], dn[0], nv[1], pong, (GAP, 2.5), ping] + flood + [pong, (GAP, 2.5), ping] +
            [nv[2]])


def case_nat_mtu():
    """RFC 4787 REQ-13 at the outside port's MTU (1500, the default): a 1600-byte datagram
    with DF set is answered with fragmentation-needed (next-hop MTU 1500) from the inside
    address, quoting it as the pod sent it (nat:fragmentation-needed); with DF clear it
    leaves translated as two fragments (forward:fragmented); the answer reaches the pod. An
    IPv6 packet too big for the outside port gets packet-too-big (forward:packet-too-big)."""
    big = Raw(b"m" * 1572)
    df = inn(from_pod(POD10_MAC, IP(src=POD10_IP, dst="203.0.113.10", ttl=64, id=0x6161,
                                    flags="DF") / UDP(sport=41000, dport=123) / big))
    clear = inn(from_pod(POD10_MAC, IP(src=POD10_IP, dst="203.0.113.10", ttl=64, id=0x6262) /
                         UDP(sport=41000, dport=123) / big))
    answer = udp_to_public("203.0.113.10", 123, 41000)
    v6 = inn(from_pod(POD6_MAC, IPv6(src=POD6_IP, dst="2001:db8:cafe::53", hlim=64) /
                      UDP(sport=42000, dport=123) / big))
    return [df, clear, answer, v6]


def case_nat_pool_exhausted():
    """A pool of two ports (case config): the third endpoint finds it exhausted; the event
    names the host and the pool state; the mapped flows keep working."""
    return [udp_from_pod(POD10_MAC, POD10_IP, 5000, "203.0.113.10", 123),
            udp_from_pod(POD10_MAC, POD10_IP, 5001, "203.0.113.10", 123),
            udp_from_pod(POD11_MAC, POD11_IP, 5000, "203.0.113.10", 123),
            udp_to_public("203.0.113.10", 123, 2001)]


CASES = {
    "nat-req-4787-req-8-eif": case_nat_req_4787_req_8_eif,
    "nat-req-4787-req-9-hairpin": case_nat_req_4787_req_9_hairpin,
    "nat-fragments": case_nat_fragments,
    "nat-fragments-out-of-order": case_nat_fragments_out_of_order,
    "nat-mtu": case_nat_mtu,
    "nat-pool-exhausted": case_nat_pool_exhausted,
}
