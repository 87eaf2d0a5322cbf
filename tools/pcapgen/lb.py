"""Load balancer health checks and draining (each case has its own pcaps/<case>/config.yaml).

Probes are the dataplane's own packets: they appear in the output inside.pcap, and the
backends' answers are ordinary packets of the input inside.pcap. An answer must acknowledge
its probe, so this file reproduces the probes' source ports and initial sequence numbers:
probe n (0-based, in the order they are sent; at one time, backends in config order) leaves
from port lo + n % size with ISN = splitmix64(n) (lb/health_monitor.cpp).
"""

from gen_pcaps import *  # noqa: F401,F403

HEALTH_VIP, ALLDOWN_VIP, DNS_VIP, DRAIN_VIP = ("198.51.100.30", "198.51.100.31",
                                               "198.51.100.32", "198.51.100.33")
PROBE_LO, PROBE_SIZE = 61000, 100
BACKENDS = [("10.0.0.10", "02:00:00:00:02:0a"), ("10.0.0.11", "02:00:00:00:02:0b"),
            ("10.0.0.12", "02:00:00:00:02:0c")]
M64 = (1 << 64) - 1


def probe_isn(n):
    """The initial sequence number of probe n (splitmix64, low 32 bits)."""
    z = (n + 0x9e3779b97f4a7c15) & M64
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
    return (z ^ (z >> 31)) & 0xffffffff


def probe_port(n):
    return PROBE_LO + n % PROBE_SIZE


class Story:
    """Packets placed at offsets (seconds) from the first one: gen_pcaps stamps packets 1 ms
    apart, so each jump becomes a (GAP, seconds) item."""

    def __init__(self):
        self.items, self.count, self.gap_us = [], 0, 0

    def at(self, seconds):
        target = int(round(seconds * 1000000))
        now = self.gap_us + self.count * STEP_US
        assert target >= now, (seconds, now)
        if target > now:
            gap = (target - now) / 1000000
            if int(gap * 1000000) != target - now:
                gap = (target - now + 0.5) / 1000000
            self.items.append((GAP, gap))
            self.gap_us += target - now
        return self

    def add(self, *pkts):
        for p in pkts:
            self.items.append(p)
            self.count += 1
        return self


def syn_ack(backend, n, port=80, seq=0x70000000):
    """Backend `backend` accepts probe n."""
    ip, mac = BACKENDS[backend]
    return inn(from_pod(mac, IP(src=ip, dst=IN_IP, ttl=64, flags="DF", id=0) /
                        TCP(sport=port, dport=probe_port(n), flags="SA", seq=seq + n,
                            ack=(probe_isn(n) + 1) & 0xffffffff, window=64240)))


def refused(backend, n, port):
    """Nothing listens on the probed port: the backend answers with RST|ACK."""
    ip, mac = BACKENDS[backend]
    return inn(from_pod(mac, IP(src=ip, dst=IN_IP, ttl=64, flags="DF", id=0) /
                        TCP(sport=port, dport=probe_port(n), flags="RA", seq=0,
                            ack=(probe_isn(n) + 1) & 0xffffffff, window=0)))


def http_answer(backend, n, status, request_len, port=80, seq=0x70000000):
    """The backend's response to probe n's GET (after its SYN-ACK with seq + n)."""
    ip, mac = BACKENDS[backend]
    body = "%d\n" % status
    text = ("HTTP/1.1 %d %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" %
            (status, "OK" if status == 200 else "Service Unavailable", len(body), body))
    return inn(from_pod(mac, IP(src=ip, dst=IN_IP, ttl=64, flags="DF", id=0) /
                        TCP(sport=port, dport=probe_port(n), flags="PA", seq=seq + n + 1,
                            ack=(probe_isn(n) + 1 + request_len) & 0xffffffff, window=502) /
                        Raw(text.encode())))


def client_syns(story, vip, first, count, dport=80):
    """`count` new client connections (SYN only), one per client address."""
    for i in range(first, first + count):
        story.add(syn_to(vip, "203.0.113.%d" % (100 + i), 20000 + 37 * i, dport=dport))


def case_lb_health_fall_rise():
    """Three backends, tcp checks every 1 s (timeout 500 ms, fall 2, rise 2). 10.0.0.11 stops
    answering for two rounds: it goes down, new flows avoid it while an established flow to
    another backend carries on; it answers again and comes back after two rounds."""
    s = Story()
    # Flow A, established before anything fails (its backend is 10.0.0.10, see expected/).
    a = TcpConn(CLIENT_A, 45000, BACKENDS[0][0], BACKENDS[0][1], 80, outside_isn=0x1000,
                pod_isn=0x2000, public_ip=HEALTH_VIP)
    s.add(a.outside("S", options=DEMO_SYN_OPTS))       # t=0: round 0 probes leave first
    s.add(a.pod("SA", options=DEMO_SYN_OPTS), a.outside("A"))
    s.at(0.010).add(*[syn_ack(b, b) for b in range(3)])  # round 0: all answer
    client_syns(s, HEALTH_VIP, 0, 12)                   # spread over all three
    s.at(1.010).add(syn_ack(0, 3), syn_ack(2, 5))       # round 1: 10.0.0.11 silent
    s.at(1.600).add(a.outside("PA", b"GET /1 HTTP/1.1\r\nHost: vip\r\n\r\n"), a.pod("A"))
    s.at(2.010).add(syn_ack(0, 6), syn_ack(2, 8))       # round 2: silent again -> down at 2.5
    s.at(2.600).add(a.outside("PA", b"GET /2 HTTP/1.1\r\nHost: vip\r\n\r\n"), a.pod("A"))
    client_syns(s, HEALTH_VIP, 12, 12)                  # none to 10.0.0.11
    s.at(3.010).add(*[syn_ack(b, 9 + b) for b in range(3)])   # round 3: all answer
    s.at(4.010).add(*[syn_ack(b, 12 + b) for b in range(3)])  # round 4: 10.0.0.11 up
    client_syns(s, HEALTH_VIP, 24, 12)                  # 10.0.0.11 gets its share again
    s.add(a.outside("PA", b"GET /3 HTTP/1.1\r\nHost: vip\r\n\r\n"), a.pod("A"))
    return s.items


HTTP_REQUEST_LEN = len(b"GET /healthz HTTP/1.1\r\nHost: 10.0.0.10:80\r\nUser-Agent: "
                       b"gauntlet-health\r\nConnection: close\r\n\r\n")


def case_lb_all_backends_down():
    """http checks (GET /healthz, expect 200, fall 1) on the web service's two backends and a
    tcp check on port 8053 of the dns service's one: both web backends answer 503, the dns
    backend refuses. With no backend left, a new TCP flow gets a RST and a UDP query an ICMP
    port unreachable, each with an event."""
    s = Story()
    s.add(syn_to(ALLDOWN_VIP, CLIENT_A, 46000))         # t=0: balanced; probes leave first
    s.at(0.005).add(syn_ack(0, 0), syn_ack(1, 1), refused(2, 2, 8053))
    s.at(0.010).add(http_answer(0, 0, 503, HTTP_REQUEST_LEN),
                    http_answer(1, 1, 503, HTTP_REQUEST_LEN))
    s.at(0.100).add(syn_to(ALLDOWN_VIP, CLIENT_B, 46001))
    s.add(out(from_internet(IP(src=CLIENT_B, dst=DNS_VIP, ttl=56) / UDP(sport=46002, dport=53) /
                            DNS(id=7, rd=1, qd=DNSQR(qname="example.com", qtype="A")))))
    return s.items


def case_lb_drain():
    """10.0.0.12 is drained (weight 0, drain_deadline 2s): new flows spread over the other two
    only; the deadline passes at 2 s (an event); the summary lists each backend's flows."""
    s = Story()
    client_syns(s, DRAIN_VIP, 0, 24)
    s.at(2.500)
    client_syns(s, DRAIN_VIP, 24, 6)
    return s.items


DSR_VIP, DSR_VIP6 = "198.51.100.40", "2001:db8:100::40"


def case_lb_dsr_ipip():
    """forwarding: dsr-ipip (inside mtu 1400): connections to an IPv4 and an IPv6 VIP leave
    for their Maglev backends inside IPIP / IPv6-in-IPv6 from the inside address, the client's
    packets unchanged; the backends answer the clients directly, so no reply appears here. A
    segment of a connection another instance started is taken up mid-stream; packets too big
    for the tunnel get ICMP fragmentation needed / packet too big, or are dropped without DF;
    an ICMP error from the client's side about a reply goes to the flow's backend."""
    # A packet on the inside port ends the replay's burst, so the next ones find the flow that
    # the packet before it created (a backend resolving gauntlet's inside address).
    settle = inn(arp_request(BACKENDS[0][1], BACKENDS[0][0], IN_IP))
    pkts = []
    a = TcpConn(CLIENT_A, 47000, DSR_VIP, None, 80, outside_isn=0x1000, pod_isn=0x2000)
    pkts += [a.outside("S", options=DEMO_SYN_OPTS), settle]
    a.pod("SA")  # the backend's answer goes straight to the client
    pkts += [a.outside("A"), a.outside("PA", b"GET / HTTP/1.1\r\nHost: dsr\r\n\r\n")]
    a.pod("PA", b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    pkts += [a.outside("A"), a.outside("FA")]
    b = TcpConn(CLIENT6, 47001, DSR_VIP6, None, 443, outside_isn=0x3000, pod_isn=0x4000, v6=True)
    pkts += [b.outside("S", options=DEMO_SYN_OPTS6), settle]
    b.pod("SA")
    pkts += [b.outside("A"), b.outside("PA", b"\x16\x03\x01\x00\x05hello")]
    # Moved here by ECMP from another instance: no SYN seen, taken up mid-stream.
    c = TcpConn(CLIENT_B, 47002, DSR_VIP, None, 80, outside_isn=0x5000, pod_isn=0x6000)
    c.o_ack = 0x6001
    pkts += [c.outside("PA", b"GET /moved HTTP/1.1\r\nHost: dsr\r\n\r\n"), settle]
    # 1381 bytes with DF: 1401 once wrapped, over the inside mtu of 1400.
    pkts.append(a.outside("PA", b"x" * (1381 - 40)))
    # The same size without DF: dropped (gauntlet does not fragment the tunnel).
    pkts.append(out(from_internet(IP(src=CLIENT_B, dst=DSR_VIP, ttl=56, flags=0, id=9) /
                                  TCP(sport=47002, dport=80, flags="PA", seq=c.o_seq,
                                      ack=c.o_ack, window=502) / Raw(b"y" * (1381 - 40)))))
    pkts.append(b.outside("PA", b"z" * (1361 - 60)))  # IPv6: 1361 + 40 > 1400
    # A router on the client's path: the reply the backend sent from the VIP is too big. The
    # error is about flow a, so it goes to a's backend in the tunnel, as it arrived.
    pkts.append(out(from_internet(IP(src=GW_IP, dst=DSR_VIP, ttl=60) /
                                  ICMP(type=3, code=4, nexthopmtu=1400) /
                                  Raw(quoted(DSR_VIP, 80, CLIENT_A, 47000, proto="tcp")))))
    return pkts


CASES = {
    "lb-dsr-ipip": case_lb_dsr_ipip,
    "lb-health-fall-rise": case_lb_health_fall_rise,
    "lb-all-backends-down": case_lb_all_backends_down,
    "lb-drain": case_lb_drain,
}
