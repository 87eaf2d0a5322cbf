"""Reverse proxy (l7-route) golden cases.

gauntlet answers a client's SYN with a SYN cookie, so the client's ACK must carry that
cookie: this module computes it exactly as dataplane/proxy/syn_cookie.cpp does (SipHash-2-4
keyed with the config's proxy.cookie_secret, the SYN's pcap time, the client's options).
Backends live on the inside port (the lb cases' pods); their SYN-ACKs acknowledge the SYN
gauntlet sends them (the client's ISN, the client's options), and every later segment of
either side is written in its own sequence space: the client's in the cookie's, the
backend's in its own ISN's. gauntlet translates between them.
"""

import ipaddress
import struct

from gen_pcaps import *  # noqa: F401,F403

SECRET = bytes(range(16))  # proxy.cookie_secret: 000102030405060708090a0b0c0d0e0f
VIP = "198.51.100.20"  # the golden cases' site (their own config.yaml)
DEMO_SITE_VIP = "198.51.100.14"  # rules/gauntlet.yaml's site (.20 is an ARP neighbour there)
API, MAIN, STATIC = (POD11_IP, POD11_MAC, 8080), (POD10_IP, POD10_MAC, 8080), (POD12_IP, POD12_MAC, 80)
VIP6 = "2001:db8:100::20"  # proxy-ipv6's site
API6, MAIN6 = ("fd00::11", "02:00:00:00:02:11", 8080), (POD6_IP, POD6_MAC, 8080)
M64 = (1 << 64) - 1
COOKIE_MSS = [536, 1300, 1440, 1460]
PERIOD_NS = 64 * 10**9


def _rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & M64


def siphash24(key, data):
    k0, k1 = struct.unpack("<QQ", key)
    v = [0x736f6d6570736575 ^ k0, 0x646f72616e646f6d ^ k1,
         0x6c7967656e657261 ^ k0, 0x7465646279746573 ^ k1]

    def rnd():
        v[0] = (v[0] + v[1]) & M64; v[1] = _rotl(v[1], 13); v[1] ^= v[0]; v[0] = _rotl(v[0], 32)  # noqa
        v[2] = (v[2] + v[3]) & M64; v[3] = _rotl(v[3], 16); v[3] ^= v[2]  # noqa
        v[0] = (v[0] + v[3]) & M64; v[3] = _rotl(v[3], 21); v[3] ^= v[0]  # noqa
        v[2] = (v[2] + v[1]) & M64; v[1] = _rotl(v[1], 17); v[1] ^= v[2]; v[2] = _rotl(v[2], 32)  # noqa

    whole = len(data) & ~7
    for i in range(0, whole, 8):
        m = struct.unpack("<Q", data[i:i + 8])[0]
        v[3] ^= m; rnd(); rnd(); v[0] ^= m  # noqa
    last = (len(data) & 0xff) << 56
    for i, b in enumerate(data[whole:]):
        last |= b << (8 * i)
    v[3] ^= last; rnd(); rnd(); v[0] ^= last  # noqa
    v[2] ^= 0xff
    for _ in range(4):
        rnd()
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def _tuple(client, cport, vip, vport):
    a = ipaddress.ip_address(client).packed.ljust(16, b"\0")
    b = ipaddress.ip_address(vip).packed.ljust(16, b"\0")
    return a + b + struct.pack("!HH", cport, vport)


def ip_header(src, dst):
    """IPv4 (DF, as Linux sends) or IPv6, by the addresses' family."""
    if ":" in src:
        return IPv6(src=src, dst=dst, hlim=64)
    return IP(src=src, dst=dst, ttl=64, flags="DF", id=0)


def cookie(client, cport, vip, vport, isn, mss, ws, sack, ts, now_ns):
    """syn_cookie.cpp's make_cookie (ws None: not offered)."""
    t = _tuple(client, cport, vip, vport)
    idx = max(i for i, m in enumerate(COOKIE_MSS) if m <= mss) if mss >= 536 else 0
    wsb = 15 if ws is None or ws > 14 else ws
    opts = (idx << 7) | (wsb << 3) | (int(sack) << 2) | (int(ts) << 1)
    counter = (now_ns // PERIOD_NS) & 0xffffffff
    mac = siphash24(SECRET, t + struct.pack("!IIH", isn, counter, opts)) & 0xfffff
    plain = ((counter & 7) << 29) | (opts << 20) | mac
    return (plain ^ siphash24(SECRET, t)) & 0xffffffff


class Story:
    """Packets placed at offsets (seconds) from the first one (as in pcapgen/lb.py)."""

    def __init__(self):
        self.items, self.count, self.gap_us = [], 0, 0

    def at(self, seconds):
        target = int(round(seconds * 1000000))
        now = self.gap_us + self.count * STEP_US
        assert target >= now, (seconds, now)
        if target > now:
            self.items.append((GAP, (target - now) / 1000000))
            self.gap_us += target - now
        return self

    def add(self, *pkts):
        for p in pkts:
            self.items.append(p)
            self.count += 1
        return self


def client_hello(sni):
    """A TLS 1.3 ClientHello record with SNI and ALPN (as in pcapgen/waf.py)."""
    name = sni.encode()
    server_name = struct.pack("!BH", 0, len(name)) + name
    ext = struct.pack("!HHH", 0, len(server_name) + 2, len(server_name)) + server_name
    protos = b"\x02h2\x08http/1.1"
    ext += struct.pack("!HHH", 16, len(protos) + 2, len(protos)) + protos
    ext += struct.pack("!HHB", 43, 5, 4) + b"\x03\x04\x03\x03"
    body = (b"\x03\x03" + bytes(range(32)) + b"\x00" + struct.pack("!H", 4) +
            b"\x13\x01\x13\x02" + b"\x01\x00" + struct.pack("!H", len(ext)) + ext)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def story_ns(s):
    """The pcap time (ns) the next packet added to Story `s` gets."""
    return (BASE_TIME_US + s.gap_us + s.count * STEP_US) * 1000


class Proxied:
    """One client connection through the VIP and its backend leg."""

    def __init__(self, s, sport, isn, backend, dport=443, client=CLIENT_A, ts=True,
                 backend_isn=0x50000000, vip=VIP):
        self.s, self.sport, self.isn, self.dport, self.client = s, sport, isn, dport, client
        self.vip = vip
        self.bip, self.bmac, self.bport = backend
        self.ts, self.bisn = ts, backend_isn
        self.ctv, self.btv = 1000, 777000  # client's and backend's TSvals
        self.sent = 0      # client bytes so far
        self.received = 0  # server bytes so far
        self.ck = None

    def syn_opts(self):
        o = [("MSS", 1440 if ":" in self.client else 1460), ("SAckOK", b"")]
        if self.ts:
            o.append(("Timestamp", (self.ctv, 0)))
        return o + [("NOP", None), ("WScale", 7)]

    def c(self, flags, data=b"", seq=None, ack=None, opts=None):
        ip = ip_header(self.client, self.vip)
        o = list(opts or [])
        if self.ts and "S" not in flags:
            o = [("NOP", None), ("NOP", None), ("Timestamp", (self.ctv, self.our_tv))] + o
        tcp = TCP(sport=self.sport, dport=self.dport, flags=flags,
                  seq=(self.isn + 1 + self.sent if seq is None else seq) & 0xffffffff,
                  ack=(self.ck + 1 + self.received if ack is None else ack) & 0xffffffff,
                  window=502, options=o)
        return out(from_internet(ip / tcp / data))

    def handshake(self):
        now = story_ns(self.s)
        self.our_tv = (now // 10**6) & 0xffffffff
        mss = 1440 if ":" in self.client else 1460
        self.ck = cookie(self.client, self.sport, self.vip, self.dport, self.isn, mss, 7, True,
                         self.ts, now)
        ip = ip_header(self.client, self.vip)
        self.s.add(out(from_internet(ip / TCP(sport=self.sport, dport=self.dport, flags="S",
                                              seq=self.isn, window=64240,
                                              options=self.syn_opts()))))
        self.ctv += 1
        self.s.add(self.c("A"))
        return self

    def send(self, data, flags="PA"):
        self.ctv += 1
        self.s.add(self.c(flags, data))
        self.sent += len(data)
        return self

    def b(self, flags, data=b"", seq=None, opts=None):
        ip = ip_header(self.bip, self.client)
        o = list(opts or [])
        if self.ts:
            o = [("NOP", None), ("NOP", None), ("Timestamp", (self.btv, self.ctv))] + o
        tcp = TCP(sport=self.bport, dport=self.sport, flags=flags,
                  seq=(self.bisn + 1 + self.received if seq is None else seq) & 0xffffffff,
                  ack=(self.isn + 1 + self.sent) & 0xffffffff, window=501, options=o)
        return inn(from_pod(self.bmac, ip / tcp / data))

    def accept(self):
        """The backend's SYN-ACK to gauntlet's SYN."""
        port = self.bport
        ip = ip_header(self.bip, self.client)
        o = [("MSS", 1460), ("SAckOK", b"")]
        if self.ts:
            o.append(("Timestamp", (self.btv, self.ctv)))
        o += [("NOP", None), ("WScale", 7)]
        self.s.add(inn(from_pod(self.bmac, ip / TCP(sport=port, dport=self.sport, flags="SA",
                                                    seq=self.bisn,
                                                    ack=(self.isn + 1) & 0xffffffff,
                                                    window=65160, options=o))))
        return self

    def respond(self, data, flags="PA"):
        self.btv += 1
        self.s.add(self.b(flags, data))
        self.received += len(data)
        return self

    def client_ack(self, sack=None):
        self.ctv += 1
        opts = [("NOP", None), ("NOP", None), ("SAck", sack)] if sack else None
        self.s.add(self.c("A", opts=opts))
        return self

    def close(self):
        """Client FIN, backend FIN-ACK, client's last ACK."""
        self.ctv += 1
        self.s.add(self.c("FA"))
        self.sent += 1
        self.btv += 1
        self.s.add(self.b("FA"))
        self.received += 1
        self.ctv += 1
        self.s.add(self.c("A"))
        return self


def http(host, path="/"):
    return ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n" %
            (path, host)).encode()


def case_proxy_sni_route():
    """TLS by SNI: api.site.com to the api pool, site.com (its ClientHello split over two
    segments) to the main pool; each gets the backend's bytes back in the cookie's space."""
    s = Story()
    a = Proxied(s, 41000, 0x11110000, API).handshake()
    hello = client_hello("api.site.com")
    a.send(hello).accept().respond(b"\x16\x03\x03\x00\x04api!").client_ack().close()
    m = Proxied(s, 41001, 0xfffffff0, MAIN, backend_isn=0xfffffff8).handshake()  # both wrap
    hello = client_hello("site.com")
    m.send(hello[:30]).send(hello[30:]).accept().respond(b"\x16\x03\x03\x00\x05main!")
    m.client_ack().close()
    return s.items


def case_proxy_http_route():
    """HTTP by Host and path prefix: api.site.com, img.site.com/static/ and site.com go to
    three pools; a Host no route names is reset (the VIP has no default)."""
    s = Story()
    for port, host, path, pool in ((42000, "api.site.com", "/v1/users", API),
                                   (42001, "img.site.com:80", "/static/logo.png", STATIC),
                                   (42002, "SITE.com", "/", MAIN)):
        c = Proxied(s, port, 0x22220000 + port, pool, dport=80, ts=False).handshake()
        c.send(http(host, path)).accept()
        c.respond(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").client_ack().close()
    nope = Proxied(s, 42003, 0x2222a000, MAIN, dport=80, ts=False).handshake()
    nope.send(http("unknown.example", "/"))
    return s.items


def case_proxy_syn_flood():
    """A SYN flood: every SYN is answered with a cookie and no flow is created; ACKs with
    forged cookies are dropped (proxy:cookie-invalid); one real client still gets through."""
    s = Story()
    for i in range(64):
        src = "203.0.113.%d" % (100 + i)
        ip = IP(src=src, dst=VIP, ttl=64, flags="DF", id=0)
        s.add(out(from_internet(ip / TCP(sport=1024 + i, dport=443, flags="S",
                                         seq=0x01000000 * i, window=64240,
                                         options=[("MSS", 1460)]))))
    for i in range(16):
        src = "203.0.113.%d" % (100 + i)
        ip = IP(src=src, dst=VIP, ttl=64, flags="DF", id=0)
        s.add(out(from_internet(ip / TCP(sport=1024 + i, dport=443, flags="A",
                                         seq=0x01000000 * i + 1, ack=0xdead0000 + i,
                                         window=502))))
    a = Proxied(s, 43000, 0x33330000, API).handshake()
    a.send(client_hello("api.site.com")).accept().respond(b"\x16\x03\x03\x00\x02ok")
    return s.items


def case_proxy_bad_input():
    """Each bounded and reset with an event: garbage first bytes, a 1,000-byte SNI, more
    than l7_wait.bytes without a request's end, a client that never sends data (wait
    timeout), a backend that never answers (backend timeout)."""
    s = Story()
    g = Proxied(s, 44000, 0x44440000, MAIN, dport=80, ts=False).handshake()
    g.send(b"\x00\x01garbage that is neither TLS nor HTTP\r\n")
    h = Proxied(s, 44001, 0x44450000, MAIN).handshake()
    hello = client_hello("a" * 1000 + ".site.com")
    h.send(hello[:600]).send(hello[600:])
    o = Proxied(s, 44002, 0x44460000, MAIN, dport=80, ts=False).handshake()
    for _ in range(4):
        o.send(b"GET /" + b"x" * 1300)  # a request line that never ends
    idle = Proxied(s, 44003, 0x44470000, MAIN, dport=80, ts=False).handshake()  # noqa: F841
    silent = Proxied(s, 44004, 0x44480000, API, dport=80, ts=False).handshake()
    silent.send(http("api.site.com"))  # the backend never answers
    s.at(5.0)
    late = Proxied(s, 44005, 0x44490000, MAIN, dport=80, ts=False).handshake()  # noqa: F841
    return s.items


def case_proxy_long_transfer():
    """A spliced download of 10 segments: the 4th is lost, the client SACKs the rest (edges in
    the cookie's space, translated into the backend's), the backend retransmits it, the
    client acknowledges everything; the client also retransmits its ClientHello (bytes
    gauntlet held and replayed), which passes to the backend as a duplicate."""
    s = Story()
    c = Proxied(s, 45000, 0x55550000, API, backend_isn=0xffffe000).handshake()
    hello = client_hello("api.site.com")
    c.send(hello).accept()
    seg, base = 1000, c.received
    for k in range(10):
        c.btv += 1
        if k != 3:
            s.add(c.b("PA", bytes([65 + k]) * seg, seq=(c.bisn + 1 + base + k * seg)))
    c.received = base + 3 * seg
    left = (c.ck + 1 + base + 4 * seg) & 0xffffffff
    right = (c.ck + 1 + base + 10 * seg) & 0xffffffff
    c.client_ack(sack=(left, right))
    c.ctv += 1
    s.add(c.c("PA", hello, seq=c.isn + 1))  # the ClientHello again
    c.btv += 1
    s.add(c.b("PA", bytes([65 + 3]) * seg, seq=(c.bisn + 1 + base + 3 * seg)))
    c.received = base + 10 * seg
    c.client_ack()
    c.close()
    return s.items


ALERT = b"\x15\x03\x03\x00\x02\x01\x00"  # a TLS close_notify alert record


def late_close(c):
    """The server closes first (close_notify with its FIN); the client's FIN overtakes its own
    close_notify, so both FINs have passed when the close_notify, the server's RST answering
    it, the client's last ACK and a second RST (answering the FIN) arrive, a second later."""
    c.btv += 1
    c.s.add(c.b("FPA", ALERT))
    c.received += len(ALERT) + 1
    c.client_ack()
    c.ctv += 1
    c.s.add(c.c("FA", seq=c.isn + 1 + c.sent + len(ALERT)))
    c.s.at((story_ns(c.s) - BASE_TIME_US * 1000) / 1e9 + 1.0)
    c.ctv += 1
    c.s.add(c.c("PA", ALERT))
    c.sent += len(ALERT) + 1
    c.btv += 1
    c.s.add(c.b("R", seq=c.bisn + 1 + c.received))
    c.ctv += 1
    c.s.add(c.c("A"))
    c.s.add(c.b("R", seq=c.bisn + 1 + c.received))


def case_proxy_late_close():
    """Closing, with proxy.linger_ms 5000 and a pool of 3 flows: the server closes first and
    every late segment of either side (late_close) is translated and forwarded; a SYN on the
    lingering tuple starts a new connection (to the same backend); then a flow that has ended
    lingers while the pool fills, and the next new flow takes its slot
    (proxy:linger-reclaimed), after which that flow's late ACK meets no flow."""
    s = Story()
    a = Proxied(s, 47000, 0x47000000, MAIN).handshake()
    a.send(client_hello("site.com")).accept().respond(b"\x16\x03\x03\x00\x02hi").client_ack()
    late_close(a)
    s.at(3.0)
    again = Proxied(s, 47000, 0x47100000, MAIN).handshake()  # the same tuple, 2 s later
    again.send(client_hello("site.com")).accept().respond(b"\x16\x03\x03\x00\x03new")
    again.client_ack()
    ended = Proxied(s, 47001, 0x47200000, API).handshake()
    ended.send(client_hello("api.site.com")).accept().respond(b"\x16\x03\x03\x00\x02ok")
    ended.client_ack().close()
    busy = Proxied(s, 47002, 0x47300000, API).handshake()
    busy.send(client_hello("api.site.com")).accept()
    full = Proxied(s, 47003, 0x47400000, MAIN).handshake()  # the pool is full: reclaims 47001
    full.send(client_hello("site.com")).accept()
    ended.ctv += 1
    s.add(ended.c("A"))  # its slot was taken back: proxy:cookie-invalid
    return s.items


def demo_proxy():
    """The demo's proxy part (rules/gauntlet.yaml's site VIP, DEMO_SITE_VIP): HTTP by Host to
    the api pool, TLS by SNI to the main pool, a Host no route names (reset), and an SQL
    injection in the held request (the VIP's WAF resets it). No timestamps, so the cookies
    depend only on the 64-second counter (the demo starts on a counter boundary and lasts
    well under a minute): the same wherever in the demo these packets land."""
    s = Story()
    vip = DEMO_SITE_VIP
    a = Proxied(s, 46000, 0x46000000, API, dport=80, client="203.0.113.40", ts=False, vip=vip)
    a.handshake().send(http("api.site.com", "/v1/users")).accept()
    a.respond(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").client_ack().close()
    m = Proxied(s, 46001, 0x46100000, MAIN, client="203.0.113.41", ts=False, vip=vip)
    m.handshake()
    m.send(client_hello("site.com")).accept().respond(b"\x16\x03\x03\x00\x02hi")
    nope = Proxied(s, 46002, 0x46200000, MAIN, dport=80, client="203.0.113.42", ts=False,
                   vip=vip)
    nope.handshake().send(http("www.example.org"))
    attack = Proxied(s, 46003, 0x46300000, API, dport=80, client="203.0.113.43", ts=False,
                     vip=vip)  # the VIP's WAF resets it before a backend hears of it
    attack.handshake().send(http("api.site.com", "/v1/users?id=1%27%20OR%20%271%27%3D%271"))
    return s.items


OK_200 = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def post(host, path, body):
    return ("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: %d\r\n\r\n" % (path, host, len(body))).encode() + body


def case_proxy_waf():
    """The WAF on an l7-route VIP (waf: true, block) and its static pool (waf: detect): a
    benign request is routed; an SQL injection in the held request is reset before any
    backend hears of it; one in a body that arrives while the backend is being connected is
    reset on both legs; a second request on a spliced keep-alive connection is read in the
    client's sequence numbers and reset on both legs (later client segments stop); the
    detect-only pool passes its attack with an event."""
    s = Story()
    ok = Proxied(s, 48000, 0x48000000, API, dport=80, ts=False).handshake()
    ok.send(http("api.site.com", "/v1/users?id=42")).accept().respond(OK_200).client_ack().close()
    held = Proxied(s, 48001, 0x48100000, API, dport=80, ts=False).handshake()
    held.send(http("api.site.com", "/v1/users?id=1%27%20or%20%271%27=%271"))
    body = Proxied(s, 48002, 0x48200000, API, dport=80, ts=False).handshake()
    form = b"name=x&id=1' or '1'='1"
    request = post("api.site.com", "/v1/login", form)
    body.send(request[:-len(form)]).send(form)  # before the backend answers gauntlet's SYN
    keep = Proxied(s, 48003, 0xfffffff0, MAIN, dport=80, ts=False).handshake()  # wraps
    keep.send(http("site.com", "/")).accept().respond(OK_200).client_ack()
    keep.send(http("site.com", "/search?q=1%27%20or%201=1"))
    keep.send(http("site.com", "/after"))  # the flow was reset: waf:flow-blocked
    detect = Proxied(s, 48004, 0x48400000, STATIC, dport=80, ts=False).handshake()
    detect.send(http("img.site.com", "/static/x?q=1%27%20or%20%271%27=%271")).accept()
    detect.respond(OK_200).client_ack().close()
    return s.items


def case_proxy_ipv6():
    """An IPv6 VIP: TLS by SNI and HTTP by Host to two IPv6 pools, with timestamps and
    window scaling (the SYN-ACK's MSS is 1440), spliced both ways; a Host no route names is
    reset; and with the VIP's WAF on, an SQL injection in a keep-alive connection's second
    request resets both legs."""
    s = Story()
    a = Proxied(s, 49000, 0x49000000, API6, client=CLIENT6, vip=VIP6).handshake()
    a.send(client_hello("api.site.com")).accept().respond(b"\x16\x03\x03\x00\x02ok")
    a.client_ack().close()
    m = Proxied(s, 49001, 0xfffffff8, MAIN6, dport=80, client=CLIENT6, vip=VIP6,
                backend_isn=0xfffffffc).handshake()  # both wrap
    m.send(http("site.com", "/")).accept().respond(OK_200).client_ack()
    m.send(http("site.com", "/?id=1%27%20or%20%271%27=%271"))
    nope = Proxied(s, 49002, 0x49200000, MAIN6, dport=80, client=CLIENT6, vip=VIP6, ts=False)
    nope.handshake().send(http("unknown.example"))
    return s.items


DEMO_PARTS = [demo_proxy]

CASES = {
    "proxy-sni-route": case_proxy_sni_route,
    "proxy-http-route": case_proxy_http_route,
    "proxy-syn-flood": case_proxy_syn_flood,
    "proxy-bad-input": case_proxy_bad_input,
    "proxy-long-transfer": case_proxy_long_transfer,
    "proxy-late-close": case_proxy_late_close,
    "proxy-waf": case_proxy_waf,
    "proxy-ipv6": case_proxy_ipv6,
}
