"""WAF golden cases: client -> server streams to a service with `waf:` on.

Each case folder also holds config.yaml and waf-rules.yaml (its own small rule set, so
that tuning rules/waf/ cannot change these outputs). The service is the web VIP
198.51.100.10 with one backend, 10.0.0.10 (port 80; port 443 for TLS).
"""

import struct

from gen_pcaps import *  # noqa: F401,F403

WAF_VIP = "198.51.100.10"


def conn(sport, isn, dport=80, client=CLIENT_A):
    return TcpConn(client, sport, POD10_IP, POD10_MAC, dport, outside_isn=isn,
                   pod_isn=isn + 0x100000, public_ip=WAF_VIP)


def handshake(c):
    return [c.outside("S", options=DEMO_SYN_OPTS), c.pod("SA", options=DEMO_SYN_OPTS),
            c.outside("A")]


def at(c, offset, flags, data):
    """A client segment at `offset` bytes into its stream (out of order, overlapping), built
    without advancing the connection; the caller moves c.o_seq past the whole stream."""
    seq = c.o_seq
    c.o_seq = (seq + offset) & 0xffffffff
    pkt = c.outside(flags, data)
    c.o_seq = seq
    return pkt


def finish(c, length):
    """Mark `length` client bytes as sent (after segments built with at())."""
    c.o_seq = (c.o_seq + length) & 0xffffffff
    c.p_ack = c.o_seq


def case_waf_sqli_query():
    """SQL injection in the query: the segment is dropped, the client and the backend get a
    RST, and the flow's later packets are dropped."""
    c = conn(43000, 0x10000000)
    attack = b"GET /items?id=1%27%20OR%20%271%27%3D%271 HTTP/1.1\r\nHost: shop\r\n\r\n"
    return handshake(c) + [c.outside("PA", attack), c.outside("A"), c.outside("FA")]


def case_waf_xss_split_body():
    """An XSS form body split over three segments, the script tag itself cut in two."""
    c = conn(43100, 0x20000000)
    body = b"name=bob&comment=hello%3Cscr" + b"ipt%3Ealert(document.cookie)%3C/script%3E"
    head = b"POST /comments HTTP/1.1\r\nHost: shop\r\nContent-Type: application/x-www-form-urlencoded\r\n" \
           b"Content-Length: %d\r\n\r\n" % len(body)
    stream = head + body
    cut1, cut2 = len(head) + 20, len(head) + 33
    return handshake(c) + [c.outside("PA", stream[:cut1]), c.outside("PA", stream[cut1:cut2]),
                           c.outside("PA", stream[cut2:])]


def case_waf_xml_body():
    """XML bodies, split into attribute values and text: an order passes; the same order
    with SQL injection in an attribute value is reset, and so is one with it entity-encoded
    in a text node. The case's rule is anchored to a value's start, so it sees the
    injection only because the document is split into its values."""
    def order(item_id, note):
        body = (b'<?xml version="1.0" encoding="UTF-8"?>\n<order customer="jane">\n'
                b'  <item id="%s" qty="2">Men\'s running shoes</item>\n  <note>%s</note>\n'
                b'</order>\n' % (item_id, note))
        return (b"POST /orders HTTP/1.1\r\nHost: shop\r\nContent-Type: application/xml\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body)) + body
    good = conn(43700, 0x08000000)
    bad = conn(43701, 0x08100000)
    encoded = conn(43702, 0x08200000)
    pkts = handshake(good) + [good.outside("PA", order(b"42", b"leave at the door")),
                              good.pod("PA", http_response("ok")), good.outside("A")]
    pkts += handshake(bad) + [bad.outside("PA", order(b"42' or '1'='1", b"leave at the door"))]
    pkts += handshake(encoded) + [encoded.outside("PA", order(
        b"42", b"x&apos; or &apos;1&apos;=&apos;1"))]
    return pkts


def case_waf_long_body():
    """Bodies longer than the inspection buffer (body_inspect_bytes: 1024 in this case's
    config), sent in 1000-byte segments. Past the buffer the body is streamed through the
    rules that name `body`: a script tag 4.5 KB in is blocked, and so is one cut across two
    segments 3 KB in (the segment after a block is dropped); a long benign body passes whole."""
    pkts = []
    for sport, isn, body in (
            (43400, 0x50000000, b"x" * 4500 + b"<script>alert(1)</script>" + b"y" * 1475),
            (43401, 0x50100000, b"x" * 2996 + b"<script>alert(2)</script>" + b"y" * 2979),
            (43402, 0x50200000, b"note=" + b"plain words, " * 460)):
        c = conn(sport, isn)
        head = b"POST /upload HTTP/1.1\r\nHost: shop\r\nContent-Type: text/plain\r\n" \
               b"Content-Length: %d\r\n\r\n" % len(body)
        stream = head + body
        pkts += handshake(c) + [c.outside("PA", head)]
        pkts += [c.outside("PA", body[i:i + 1000]) for i in range(0, len(body), 1000)]
    return pkts


def case_waf_out_of_order():
    """An attack sent as three segments, last first: the first two are held (and forwarded),
    the one that fills the hole completes the request and is blocked. A benign connection
    sent out of order passes whole."""
    good = conn(43200, 0x30000000)
    ok = b"GET /search?q=blue+shoes HTTP/1.1\r\nHost: shop\r\n\r\n"
    bad = conn(43201, 0x30100000)
    attack = b"GET /search?q=x%27%20or%201%3D1--%20 HTTP/1.1\r\nHost: shop\r\n\r\n"
    pkts = handshake(good) + [at(good, 20, "PA", ok[20:]), at(good, 0, "PA", ok[:20])]
    finish(good, len(ok))
    pkts += [good.pod("PA", http_response("ok")), good.outside("A")]
    pkts += handshake(bad) + [at(bad, 30, "PA", attack[30:]), at(bad, 12, "PA", attack[12:30]),
                              at(bad, 0, "PA", attack[:12])]
    finish(bad, len(attack))
    return pkts


def case_waf_overlap():
    """Overlapping segments. One connection resends buffered bytes unchanged (fine: the
    request passes); another resends them changed (the stacks disagree on which copy wins,
    so the flow is reset: waf:stream-conflict); a third overlaps bytes already read with
    different ones (the backend keeps its copy, so does the WAF: only the new tail is read,
    and the request passes as the backend reads it)."""
    a = conn(43300, 0x40000000)
    req = b"GET /page?id=7 HTTP/1.1\r\nHost: shop\r\n\r\n"
    pkts = handshake(a) + [at(a, 10, "PA", req[10:]), at(a, 8, "PA", req[8:20]), at(a, 0, "PA", req[:12])]
    finish(a, len(req))
    b = conn(43301, 0x40100000)
    req_b = b"GET /page?id=7 HTTP/1.1\r\nHost: shop\r\n\r\n"
    changed = b"?id=1' or 1=1-- "
    pkts += handshake(b) + [at(b, 10, "PA", req_b[10:]), at(b, 9, "PA", changed)]
    finish(b, len(req_b))
    c = conn(43302, 0x40200000)
    req_c = b"GET /page?id=7 HTTP/1.1\r\nHost: shop\r\n\r\n"
    pkts += handshake(c) + [at(c, 0, "PA", req_c[:14]), at(c, 9, "PA", b"?id=X" + req_c[14:])]
    finish(c, len(req_c))
    return pkts


def case_waf_keepalive():
    """A keep-alive connection: the first request and its answer pass, the second request is
    an attack and is blocked."""
    c = conn(43400, 0x50000000)
    first = b"GET /index.html HTTP/1.1\r\nHost: shop\r\n\r\n"
    second = b"GET /download?file=5%27%20or%202%3D2-- HTTP/1.1\r\nHost: shop\r\n\r\n"
    return handshake(c) + [c.outside("PA", first), c.pod("PA", http_response("<html>hi</html>")),
                           c.outside("A"), c.outside("PA", second)]


def client_hello(sni, alpn=(b"h2", b"http/1.1")):
    """A TLS 1.2/1.3 ClientHello record with SNI and ALPN."""
    ext = b""
    if sni:
        name = sni.encode()
        server_name = struct.pack("!BH", 0, len(name)) + name
        ext += struct.pack("!HH", 0, len(server_name) + 2) + struct.pack("!H", len(server_name)) + server_name
    protos = b"".join(struct.pack("!B", len(p)) + p for p in alpn)
    ext += struct.pack("!HHH", 16, len(protos) + 2, len(protos)) + protos
    ext += struct.pack("!HHB", 43, 5, 4) + b"\x03\x04\x03\x03"  # supported_versions
    body = (b"\x03\x03" + bytes(range(32)) + b"\x00" + struct.pack("!H", 4) + b"\x13\x01\x13\x02" +
            b"\x01\x00" + struct.pack("!H", len(ext)) + ext)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def case_waf_sni_deny():
    """TLS to a service with SNI lists: an allowed name passes (the rest of the stream is
    not inspected), a denied one (its ClientHello split over two segments) is reset."""
    ok = conn(43500, 0x60000000, dport=443)
    hello_ok = client_hello("shop.example.com")
    bad = conn(43501, 0x60100000, dport=443)
    hello_bad = client_hello("admin.internal.example.com")
    return (handshake(ok) + [ok.outside("PA", hello_ok), ok.outside("PA", b"\x17\x03\x03\x00\x05hello")] +
            handshake(bad) + [bad.outside("PA", hello_bad[:40]), bad.outside("PA", hello_bad[40:])])


def case_waf_detect_only():
    """A service in detect mode: the attack is logged (an event) and passes to the backend."""
    c = conn(43600, 0x70000000)
    attack = b"GET /items?id=1%27%20OR%20%271%27%3D%271 HTTP/1.1\r\nHost: shop\r\n\r\n"
    return handshake(c) + [c.outside("PA", attack), c.pod("PA", http_response("[]")), c.outside("A")]


SHOP_VIP, SHOP_TLS_VIP = "198.51.100.12", "198.51.100.13"  # rules/gauntlet.yaml: shop, shop-tls


def demo_waf():
    """The demo's WAF part (rules/gauntlet.yaml, shipped rules): an ordinary shop request
    passes inspection; SQL injection in a query and a script in a form body are reset both
    ways; TLS to the shop's HTTPS VIP with an allowed name passes, with a denied one is reset."""
    ok = TcpConn("203.0.113.30", 45000, POD10_IP, POD10_MAC, 80, outside_isn=0x0a000000,
                 pod_isn=0x0b000000, public_ip=SHOP_VIP)
    sqli = TcpConn("203.0.113.31", 45001, POD10_IP, POD10_MAC, 80, outside_isn=0x0a100000,
                   pod_isn=0x0b100000, public_ip=SHOP_VIP)
    xss = TcpConn("203.0.113.32", 45002, POD10_IP, POD10_MAC, 80, outside_isn=0x0a200000,
                  pod_isn=0x0b200000, public_ip=SHOP_VIP)
    tls_ok = TcpConn("203.0.113.33", 45003, POD11_IP, POD11_MAC, 443, outside_isn=0x0a300000,
                     pod_isn=0x0b300000, public_ip=SHOP_TLS_VIP)
    tls_bad = TcpConn("203.0.113.34", 45004, POD11_IP, POD11_MAC, 443, outside_isn=0x0a400000,
                      pod_isn=0x0b400000, public_ip=SHOP_TLS_VIP)
    browse = (b"GET /products?category=shoes&sort=price&page=2 HTTP/1.1\r\nHost: shop.example.com\r\n"
              b"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
              b"Accept: text/html\r\nCookie: session=4f1c9a\r\n\r\n")
    attack = (b"GET /products?id=1%27%20OR%20%271%27%3D%271 HTTP/1.1\r\nHost: shop.example.com\r\n"
              b"User-Agent: curl/8.5.0\r\n\r\n")
    comment = b"name=eve&comment=<script>alert(document.cookie)</script>"
    post = (b"POST /reviews HTTP/1.1\r\nHost: shop.example.com\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n"
            % len(comment)) + comment
    pkts = handshake(ok) + [ok.outside("PA", browse), ok.pod("PA", http_response("<ul></ul>")),
                            ok.outside("FA"), ok.pod("FA"), ok.outside("A")]
    pkts += handshake(sqli) + [sqli.outside("PA", attack), sqli.outside("A")]
    pkts += handshake(xss) + [xss.outside("PA", post)]
    pkts += handshake(tls_ok) + [tls_ok.outside("PA", client_hello("shop.example.com")),
                                 tls_ok.outside("PA", b"\x17\x03\x03\x00\x05hello")]
    pkts += handshake(tls_bad) + [tls_bad.outside("PA", client_hello("admin.internal.example.com"))]
    return pkts


DEMO_PARTS = [demo_waf]

CASES = {
    "waf-sqli-query": case_waf_sqli_query,
    "waf-xss-split-body": case_waf_xss_split_body,
    "waf-long-body": case_waf_long_body,
    "waf-xml-body": case_waf_xml_body,
    "waf-out-of-order": case_waf_out_of_order,
    "waf-overlap": case_waf_overlap,
    "waf-keepalive": case_waf_keepalive,
    "waf-sni-deny": case_waf_sni_deny,
    "waf-detect-only": case_waf_detect_only,
}
