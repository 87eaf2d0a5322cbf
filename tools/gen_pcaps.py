#!/usr/bin/python3
"""Generate the deterministic sample pcaps that gauntlet replays.

Run with Debian's python3-scapy:

    /usr/bin/python3 tools/gen_pcaps.py [--out-dir pcaps] [--case NAME]

Each case folder gets ``outside.pcap`` (frames arriving on gauntlet's outside
port) and/or ``inside.pcap`` (frames arriving on the inside port); only files
that have packets are written.  Files are classic pcap (little endian, magic
0xa1b2c3d4, linktype Ethernet, microsecond timestamps).  A case's packets are
stamped 1 ms apart from 1700000000.0 in story order; the timestamps are global
across the two files of a case, so merging both files by timestamp replays the
story.  No wall-clock time or randomness is used: two runs give byte-identical
files.
"""

import argparse
import ipaddress
import os
import struct
import sys

from scapy.all import (  # noqa: F401  (scapy.all loads every layer binding)
    ARP,
    DNS,
    DNSQR,
    DNSRR,
    Dot1Q,
    Ether,
    ICMP,
    ICMPv6EchoRequest,
    ICMPv6PacketTooBig,
    ICMPv6ND_NS,
    ICMPv6NDOptSrcLLAddr,
    IP,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrHopByHop,
    PcapWriter,
    Raw,
    TCP,
    UDP,
)
from scapy.all import raw  # noqa: E402
from scapy.layers.inet import in4_chksum
from scapy.utils import checksum

# --------------------------------------------------------------------------
# Topology (matches the default config)
# --------------------------------------------------------------------------

OUT_MAC = "02:00:00:00:00:01"  # gauntlet outside port
OUT_IP = "198.51.100.1"
OUT_IP6 = "2001:db8:100::1"

IN_MAC = "02:00:00:00:00:02"  # gauntlet inside port
IN_IP = "10.0.0.1"
IN_IP6 = "fd00::1"

GW_MAC = "02:00:00:00:01:fe"  # internet gateway on the outside segment
GW_IP = "198.51.100.254"
GW_IP6 = "2001:db8:100::fe"

POD10_MAC, POD10_IP = "02:00:00:00:02:0a", "10.0.0.10"
POD11_MAC, POD11_IP = "02:00:00:00:02:0b", "10.0.0.11"
POD12_MAC, POD12_IP = "02:00:00:00:02:0c", "10.0.0.12"  # not a static neighbour
POD6_MAC, POD6_IP = "02:00:00:00:02:10", "fd00::10"

GAP = "gap"  # a case list item (GAP, seconds) delays the packets after it
NAT_IP = "198.51.100.2"  # the NAT gateway's public address (snat.address)
CLIENT_A = "203.0.113.10"
CLIENT_B = "203.0.113.66"
CLIENT_C = "203.0.113.77"
CLIENT6 = "2001:db8:cafe::10"

BCAST = "ff:ff:ff:ff:ff:ff"

BASE_TIME_US = 1700000000 * 1000000
STEP_US = 1000  # 1 ms between consecutive packets of a case

OUTSIDE = "outside"
INSIDE = "inside"

# Typical Linux SYN options (20 bytes) for the forwarding cases.
SYN_OPTS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (123456789, 0)),
            ("NOP", None), ("WScale", 7)]
SYNACK_OPTS = [("MSS", 1460), ("SAckOK", b""),
               ("Timestamp", (987654321, 123456789)), ("NOP", None),
               ("WScale", 7)]
# Demo connections use no timestamps so later segments need no options.
DEMO_SYN_OPTS = [("MSS", 1460), ("NOP", None), ("WScale", 7), ("NOP", None),
                 ("NOP", None), ("SAckOK", b"")]
DEMO_SYN_OPTS6 = [("MSS", 1440), ("NOP", None), ("WScale", 7), ("NOP", None),
                  ("NOP", None), ("SAckOK", b"")]


# --------------------------------------------------------------------------
# Frame helpers
# --------------------------------------------------------------------------

def from_internet(l3):
    """Frame arriving on the outside port from the gateway router."""
    return Ether(src=GW_MAC, dst=OUT_MAC) / l3


def from_pod(mac, l3):
    """Frame arriving on the inside port from a pod."""
    return Ether(src=mac, dst=IN_MAC) / l3


def out(pkt):
    """Tag a frame as arriving on the outside port."""
    return (OUTSIDE, pkt)


def inn(pkt):
    """Tag a frame as arriving on the inside port."""
    return (INSIDE, pkt)


def pad60(frame):
    """Zero-pad a frame to the 60-byte Ethernet minimum (no FCS)."""
    return frame + b"\x00" * max(0, 60 - len(frame))


def eth_hdr(src=GW_MAC, dst=OUT_MAC, ethertype=0x0800):
    """Raw 14-byte Ethernet header."""
    return (bytes.fromhex(dst.replace(":", "")) +
            bytes.fromhex(src.replace(":", "")) +
            struct.pack("!H", ethertype))


def ipv4_hdr(src, dst, proto, payload_len, ttl=64, ihl=5, version=4,
             options=b"", total_len=None, ident=1, flags_frag=0x4000,
             csum=None):
    """Raw IPv4 header; checksum computed over the bytes written unless given."""
    hdr_len = 20 + len(options)
    if total_len is None:
        total_len = hdr_len + payload_len
    fields = struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, 0, total_len,
                         ident, flags_frag, ttl, proto, 0,
                         bytes(map(int, src.split("."))),
                         bytes(map(int, dst.split("."))))
    hdr = fields + options
    if csum is None:
        csum = checksum(hdr)
    return hdr[:10] + struct.pack("!H", csum) + hdr[12:]


def tcp_syn_to_pod(sport=40000, seq=1000000, ttl=64, opts=None,
                   src=CLIENT_A, dst=POD10_IP, dport=80):
    """A well-formed client SYN from the internet (scapy packet)."""
    return from_internet(
        IP(src=src, dst=dst, ttl=ttl, flags="DF", id=0) /
        TCP(sport=sport, dport=dport, flags="S", seq=seq, window=64240,
            options=SYN_OPTS if opts is None else opts))


# --------------------------------------------------------------------------
# Case 1: ARP
# --------------------------------------------------------------------------

def arp_request(src_mac, src_ip, target_ip):
    """Broadcast ARP who-has."""
    return Ether(src=src_mac, dst=BCAST) / ARP(
        op=1, hwsrc=src_mac, psrc=src_ip, hwdst="00:00:00:00:00:00",
        pdst=target_ip)


def case_arp_reply():
    """ARP requests for our addresses, for someone else, and an unsolicited reply."""
    return [
        out(arp_request(GW_MAC, GW_IP, OUT_IP)),
        out(arp_request(GW_MAC, GW_IP, "198.51.100.77")),
        out(Ether(src="02:00:00:00:01:14", dst=OUT_MAC) /
            ARP(op=2, hwsrc="02:00:00:00:01:14", psrc="198.51.100.20",
                hwdst=OUT_MAC, pdst=OUT_IP)),
        inn(arp_request(POD12_MAC, POD12_IP, IN_IP)),
    ]


# --------------------------------------------------------------------------
# Case 2: IPv6 neighbour discovery
# --------------------------------------------------------------------------

def solicited_node(addr):
    """Solicited-node multicast IPv6 address and its Ethernet MAC."""
    low = ipaddress.IPv6Address(addr).packed[-3:]
    ip6 = str(ipaddress.IPv6Address(
        bytes.fromhex("ff0200000000000000000001ff") + low))
    mac = "33:33:ff:%02x:%02x:%02x" % tuple(low)
    return ip6, mac


def neighbor_solicit(src_mac, src_ip6, target):
    """ICMPv6 NS for target, sent to its solicited-node group, with SLLA."""
    mc_ip6, mc_mac = solicited_node(target)
    return (Ether(src=src_mac, dst=mc_mac) /
            IPv6(src=src_ip6, dst=mc_ip6, hlim=255) /
            ICMPv6ND_NS(tgt=target) /
            ICMPv6NDOptSrcLLAddr(lladdr=src_mac))


def case_nd_reply():
    """Neighbor Solicitations for our addresses and for someone else."""
    return [
        out(neighbor_solicit(GW_MAC, GW_IP6, OUT_IP6)),
        out(neighbor_solicit(GW_MAC, GW_IP6, "2001:db8:100::99")),
        inn(neighbor_solicit(POD6_MAC, POD6_IP, IN_IP6)),
    ]


# --------------------------------------------------------------------------
# Case 3: forwarding in both directions, TTL/hop-limit decrement
# --------------------------------------------------------------------------

def case_forward_ttl():
    """Forwarded traffic both ways over IPv4 and IPv6 (TTL decrements)."""
    dns_q = DNS(id=0x1234, rd=1, qd=DNSQR(qname="example.com", qtype="A"))
    return [
        out(tcp_syn_to_pod(sport=40000, seq=1000000)),
        inn(from_pod(POD10_MAC,
                     IP(src=POD10_IP, dst=CLIENT_A, ttl=64, flags="DF", id=0) /
                     TCP(sport=80, dport=40000, flags="SA", seq=2000000,
                         ack=1000001, window=65160, options=SYNACK_OPTS))),
        out(from_internet(IP(src=CLIENT_A, dst=POD11_IP, ttl=2) /
                          UDP(sport=5353, dport=53) / dns_q)),
        out(from_internet(IPv6(src=CLIENT6, dst=POD6_IP, hlim=64) /
                          TCP(sport=40001, dport=443, flags="S", seq=3000000,
                              window=64800, options=[
                                  ("MSS", 1440), ("SAckOK", b""),
                                  ("Timestamp", (222222222, 0)),
                                  ("NOP", None), ("WScale", 7)]))),
        inn(from_pod(POD6_MAC,
                     IPv6(src=POD6_IP, dst=CLIENT6, hlim=64) /
                     TCP(sport=443, dport=40001, flags="SA", seq=4000000,
                         ack=3000001, window=64260, options=[
                             ("MSS", 1440), ("SAckOK", b""),
                             ("Timestamp", (333333333, 222222222)),
                             ("NOP", None), ("WScale", 7)]))),
        out(from_internet(IP(src=CLIENT_B, dst=POD11_IP, ttl=64) /
                          ICMP(type=8, code=0, id=0x4242, seq=1) /
                          Raw(b"gauntlet-ping-01"))),
        inn(from_pod(POD11_MAC,
                     IP(src=POD11_IP, dst="93.184.216.34", ttl=64) /
                     UDP(sport=50000, dport=443) /
                     Raw(b"\xc3\x00\x00\x00\x01" + bytes(range(32))))),
    ]


# --------------------------------------------------------------------------
# Case 4: TTL / hop limit expiring at gauntlet
# --------------------------------------------------------------------------

def traceroute_probe(ttl=1, sport=33433, dport=33434, dst=POD10_IP):
    """UDP traceroute probe from the internet with a small TTL."""
    return from_internet(IP(src=CLIENT_A, dst=dst, ttl=ttl, id=0x7001) /
                         UDP(sport=sport, dport=dport) /
                         Raw(b"@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_"))


def case_ttl_expired():
    """Packets whose TTL/hop limit runs out at gauntlet (expect Time Exceeded)."""
    return [
        out(traceroute_probe(ttl=1)),
        out(from_internet(IPv6(src=CLIENT6, dst=POD6_IP, hlim=1) /
                          UDP(sport=33433, dport=33434) /
                          Raw(b"@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_"))),
        out(from_internet(IP(src=CLIENT_A, dst=POD10_IP, ttl=1) /
                          ICMP(type=8, code=0, id=0x5151, seq=1) /
                          Raw(b"ttl-one-echo-req"))),
        inn(from_pod(POD10_MAC,
                     IP(src=POD10_IP, dst=CLIENT_A, ttl=1, flags="DF", id=0) /
                     TCP(sport=45000, dport=443, flags="S", seq=5000000,
                         window=64240, options=SYN_OPTS))),
    ]


# --------------------------------------------------------------------------
# Case 5: malformed frames
# --------------------------------------------------------------------------

def mal_short_ethernet():
    """Ethernet frame of only 10 bytes (dst MAC + 4 bytes of src MAC)."""
    return eth_hdr()[:10]


def mal_ipv4_ihl4():
    """IPv4 header with IHL=4 (16 bytes, below the 20-byte minimum)."""
    udp = bytes(UDP(sport=1234, dport=80, chksum=0) / Raw(b"ihl4"))
    return eth_hdr() + ipv4_hdr(CLIENT_A, POD10_IP, 17, len(udp), ihl=4) + udp


def mal_ipv4_total_len_past_frame():
    """IPv4 total_length 1000 on a 60-byte frame."""
    frame = from_internet(IP(src=CLIENT_A, dst=POD10_IP, len=1000) /
                          TCP(sport=40010, dport=80, flags="S", seq=1))
    return pad60(bytes(frame))


def mal_ipv4_bad_checksum():
    """IPv4 header with a wrong header checksum."""
    good = IP(bytes(IP(src=CLIENT_A, dst=POD10_IP) /
                    UDP(sport=1234, dport=7777) / Raw(b"badcsum!")))
    bad = good.copy()
    bad.chksum = good.chksum ^ 0x5a5a
    return bytes(Ether(src=GW_MAC, dst=OUT_MAC) / bad)


def mal_ipv4_version5():
    """Ethertype 0x0800 carrying a header whose version field is 5."""
    udp = bytes(UDP(sport=1234, dport=80, chksum=0) / Raw(b"ver5"))
    return eth_hdr() + ipv4_hdr(CLIENT_A, POD10_IP, 17, len(udp),
                                version=5) + udp


def mal_ipv4_option_len0():
    """IPv4 Record Route option with length 0 (would loop a naive parser)."""
    udp = bytes(UDP(sport=1234, dport=80, chksum=0) / Raw(b"optlen0!"))
    opts = b"\x07\x00\x00\x00"
    return eth_hdr() + ipv4_hdr(CLIENT_A, POD10_IP, 17, len(udp), ihl=6,
                                options=opts) + udp


def mal_tcp_dataofs15():
    """TCP data offset 15 (60-byte header) on a 54-byte frame."""
    return bytes(from_internet(IP(src=CLIENT_A, dst=POD10_IP) /
                               TCP(sport=40011, dport=80, flags="S", seq=1,
                                   dataofs=15)))


def mal_tcp_truncated():
    """IPv4 total length covers only 10 bytes of the TCP header."""
    tcp = bytes(IP(src=CLIENT_A, dst=POD10_IP) /
                TCP(sport=40012, dport=80, flags="S", seq=1))[20:30]
    return eth_hdr() + ipv4_hdr(CLIENT_A, POD10_IP, 6, len(tcp)) + tcp


def mal_udp_len4():
    """UDP length field 4 (below the 8-byte header)."""
    return bytes(from_internet(IP(src=CLIENT_A, dst=POD11_IP) /
                               UDP(sport=1234, dport=7777, len=4) /
                               Raw(b"udplen-4")))


def mal_udp_len_too_big():
    """UDP length field larger than the IP payload."""
    return bytes(from_internet(IP(src=CLIENT_A, dst=POD11_IP) /
                               UDP(sport=1234, dport=7777, len=200) /
                               Raw(b"udp-lies")))


def mal_ipv6_plen_past_frame():
    """IPv6 payload length 200 with only 16 payload bytes in the frame."""
    return bytes(from_internet(IPv6(src=CLIENT6, dst=POD6_IP, plen=200) /
                               UDP(sport=1234, dport=7777) /
                               Raw(b"v6-plen!")))


def mal_ipv6_hbh_len_past_end():
    """IPv6 hop-by-hop header claiming 88 bytes inside a 20-byte payload."""
    # next header UDP, hdr ext len 10 -> (10 + 1) * 8 = 88 bytes; PadN filler.
    hbh = b"\x11\x0a\x01\x04\x00\x00\x00\x00"
    udp = b"\x04\xd2\x1e\x61\x00\x0c\x00\x00" + b"hbh!"
    return bytes(from_internet(IPv6(src=CLIENT6, dst=POD6_IP, nh=0) /
                               Raw(hbh + udp)))


def mal_ipv6_hbh_not_first():
    """IPv6 hop-by-hop header after a destination options header."""
    return bytes(from_internet(IPv6(src=CLIENT6, dst=POD6_IP) /
                               IPv6ExtHdrDestOpt() /
                               IPv6ExtHdrHopByHop() /
                               UDP(sport=1234, dport=7777) / Raw(b"hbh-2nd!")))


def mal_ipv6_src_multicast():
    """IPv6 source address ff02::1 (multicast source is invalid)."""
    return bytes(from_internet(IPv6(src="ff02::1", dst=POD6_IP) /
                               UDP(sport=1234, dport=7777) / Raw(b"mcast-sr")))


def mal_double_vlan():
    """QinQ: 802.1ad S-tag 100 then 802.1Q C-tag 200 around IPv4/UDP."""
    return bytes(Ether(src=GW_MAC, dst=OUT_MAC, type=0x88a8) /
                 Dot1Q(vlan=100, type=0x8100) /
                 Dot1Q(vlan=200, type=0x0800) /
                 IP(src=CLIENT_A, dst=POD10_IP) /
                 UDP(sport=1234, dport=7777) / Raw(b"qinq"))


def mal_lldp():
    """LLDP frame (ethertype 0x88cc), not something gauntlet routes."""
    def tlv(t, v):
        return struct.pack("!H", (t << 9) | len(v)) + v
    body = (tlv(1, b"\x04" + bytes.fromhex(GW_MAC.replace(":", ""))) +
            tlv(2, b"\x07" + b"ge-0/0/1") +
            tlv(3, struct.pack("!H", 120)) +
            tlv(0, b""))
    return pad60(eth_hdr(ethertype=0x88cc) + body)


def mal_icmp_4_bytes():
    """ICMP message only 4 bytes long (type, code, checksum; no id/seq)."""
    icmp = b"\x08\x00\x00\x00"
    icmp = icmp[:2] + struct.pack("!H", checksum(icmp))
    return eth_hdr() + ipv4_hdr(CLIENT_B, POD11_IP, 1, len(icmp)) + icmp


def mal_tcp_mss_len3():
    """TCP SYN whose MSS option has length 3 instead of 4."""
    opts = b"\x02\x03\x05\x00"  # kind MSS, len 3, one value byte, EOL
    tcp = bytearray(struct.pack("!HHIIBBHHH", 40013, 80, 1, 0, (6 << 4),
                                0x02, 64240, 0, 0) + opts)
    ip = IP(src=CLIENT_A, dst=POD10_IP, proto=6)
    struct.pack_into("!H", tcp, 16, in4_chksum(6, ip, bytes(tcp)))
    return eth_hdr() + ipv4_hdr(CLIENT_A, POD10_IP, 6, len(tcp)) + bytes(tcp)


MALFORMED = [
    mal_short_ethernet,
    mal_ipv4_ihl4,
    mal_ipv4_total_len_past_frame,
    mal_ipv4_bad_checksum,
    mal_ipv4_version5,
    mal_ipv4_option_len0,
    mal_tcp_dataofs15,
    mal_tcp_truncated,
    mal_udp_len4,
    mal_udp_len_too_big,
    mal_ipv6_plen_past_frame,
    mal_ipv6_hbh_len_past_end,
    mal_ipv6_hbh_not_first,
    mal_ipv6_src_multicast,
    mal_double_vlan,
    mal_lldp,
    mal_icmp_4_bytes,
    mal_tcp_mss_len3,
]


def case_malformed():
    """One frame per parser corner case, then a valid SYN to show the run goes on."""
    pkts = [out(fn()) for fn in MALFORMED]
    pkts.append(out(tcp_syn_to_pod(sport=40020, seq=7000000)))
    return pkts


# --------------------------------------------------------------------------
# Case 6: unresolved neighbour and locally addressed traffic
# --------------------------------------------------------------------------

def case_unresolved():
    """SYN to a pod with unknown MAC, its ARP reply, the retransmit; local-address traffic."""
    syn = tcp_syn_to_pod(sport=40030, seq=8000000, dst=POD12_IP)
    return [
        out(syn),
        inn(Ether(src=POD12_MAC, dst=IN_MAC) /
            ARP(op=2, hwsrc=POD12_MAC, psrc=POD12_IP, hwdst=IN_MAC,
                pdst=IN_IP)),
        out(syn.copy()),
        out(from_internet(IP(src=CLIENT_B, dst=OUT_IP, ttl=64) /
                          ICMP(type=8, code=0, id=0x6161, seq=1) /
                          Raw(b"ping-gauntlet-v4"))),
        out(from_internet(IP(src=CLIENT_B, dst=OUT_IP, ttl=64) /
                          UDP(sport=40040, dport=9999) /
                          Raw(b"anyone-listening?"))),
        out(from_internet(IPv6(src=CLIENT6, dst=OUT_IP6, hlim=64) /
                          ICMPv6EchoRequest(id=0x6262, seq=1,
                                            data=b"ping-gauntlet-v6"))),
    ]


# --------------------------------------------------------------------------
# Case 7: demo mix
# --------------------------------------------------------------------------

class TcpConn:
    """Tracks seq/ack for one TCP connection between an outside peer and a pod.

    ``outside_ip`` is the internet end (frames from it arrive on the outside
    port); ``pod_ip``/``pod_mac`` is the inside end.
    """

    def __init__(self, outside_ip, outside_port, pod_ip, pod_mac, pod_port,
                 outside_isn, pod_isn, ttl_outside=56, v6=False, public_ip=None):
        # public_ip: the pod's flow is NATed; the internet end addresses that instead.
        self.public_ip = public_ip
        self.o_ip, self.o_port = outside_ip, outside_port
        self.p_ip, self.p_mac, self.p_port = pod_ip, pod_mac, pod_port
        self.o_seq, self.p_seq = outside_isn, pod_isn
        self.o_ack = self.p_ack = 0
        self.ttl_outside = ttl_outside
        self.v6 = v6

    def _l3(self, from_pod_side):
        if from_pod_side:
            src, dst, ttl = self.p_ip, self.o_ip, 64
        else:
            src, dst, ttl = self.o_ip, self.public_ip or self.p_ip, self.ttl_outside
        if self.v6:
            return IPv6(src=src, dst=dst, hlim=ttl)
        return IP(src=src, dst=dst, ttl=ttl, flags="DF", id=0)

    def seg(self, from_pod_side, flags, data=b"", options=None):
        """Build one segment and advance the sender's sequence number."""
        if from_pod_side:
            sport, dport, seq = self.p_port, self.o_port, self.p_seq
            ack = self.p_ack
        else:
            sport, dport, seq = self.o_port, self.p_port, self.o_seq
            ack = self.o_ack
        tcp = TCP(sport=sport, dport=dport, flags=flags, seq=seq,
                  ack=ack if "A" in flags else 0, window=502 if "S" not in
                  flags else 64240, options=options or [])
        pkt = self._l3(from_pod_side) / tcp
        if data:
            pkt = pkt / Raw(data)
        adv = len(data) + (1 if "S" in flags else 0) + (1 if "F" in flags else 0)
        if from_pod_side:
            self.p_seq = (self.p_seq + adv) & 0xffffffff
            self.o_ack = self.p_seq  # what the outside peer will ack next
        else:
            self.o_seq = (self.o_seq + adv) & 0xffffffff
            self.p_ack = self.o_seq
        if from_pod_side:
            return inn(from_pod(self.p_mac, pkt))
        return out(from_internet(pkt))

    def outside(self, flags, data=b"", options=None):
        """Segment sent by the internet peer."""
        return self.seg(False, flags, data, options)

    def pod(self, flags, data=b"", options=None):
        """Segment sent by the pod."""
        return self.seg(True, flags, data, options)


def http_request(host):
    """Minimal HTTP/1.1 GET / request bytes."""
    return ("GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: curl/8.5.0\r\n"
            "Accept: */*\r\n\r\n" % host).encode()


def http_response(body):
    """Minimal HTTP/1.1 200 response bytes."""
    return ("HTTP/1.1 200 OK\r\nServer: pod\r\nContent-Type: text/html\r\n"
            "Content-Length: %d\r\n\r\n%s" % (len(body), body)).encode()


def http_exchange(conn, host, body, v6=False):
    """Inbound HTTP connection: handshake, GET, response, FIN/FIN/ACK."""
    syn_opts = DEMO_SYN_OPTS6 if v6 else DEMO_SYN_OPTS
    return [
        conn.outside("S", options=syn_opts),
        conn.pod("SA", options=syn_opts),
        conn.outside("A"),
        conn.outside("PA", http_request(host)),
        conn.pod("PA", http_response(body)),
        conn.outside("FA"),
        conn.pod("FA"),
        conn.outside("A"),
    ]


def dns_exchange(pod_ip, pod_mac, sport, qid, qname, answer, public_ip=NAT_IP):
    """Pod resolves qname via 9.9.9.9 through the NAT; returns (query, answer) frames."""
    q = inn(from_pod(pod_mac, IP(src=pod_ip, dst="9.9.9.9", ttl=64) /
                     UDP(sport=sport, dport=53) /
                     DNS(id=qid, rd=1, qd=DNSQR(qname=qname, qtype="A"))))
    a = out(from_internet(IP(src="9.9.9.9", dst=public_ip, ttl=56) /
                          UDP(sport=53, dport=sport) /
                          DNS(id=qid, qr=1, rd=1, ra=1,
                              qd=DNSQR(qname=qname, qtype="A"),
                              an=DNSRR(rrname=qname, type="A", ttl=300,
                                       rdata=answer))))
    return [q, a]


def interleave(*streams):
    """Round-robin merge of packet lists, preserving each list's order."""
    streams = [list(s) for s in streams]
    merged = []
    while any(streams):
        for s in streams:
            if s:
                merged.append(s.pop(0))
    return merged


def case_demo():
    """A realistic mix of everything above (about 60 packets)."""
    conn_a = TcpConn(CLIENT_A, 51000, POD10_IP, POD10_MAC, 80,
                     outside_isn=0x1a2b3c4d, pod_isn=0x5e6f7081)
    conn_b = TcpConn(CLIENT_B, 52000, POD11_IP, POD11_MAC, 80,
                     outside_isn=0x11111111, pod_isn=0x22222222, ttl_outside=49)
    conn_c = TcpConn(CLIENT6, 53000, POD6_IP, POD6_MAC, 80,
                     outside_isn=0x33333333, pod_isn=0x44444444, v6=True)
    conn_d = TcpConn(CLIENT_C, 54000, POD11_IP, POD11_MAC, 80,
                     outside_isn=0x55555555, pod_isn=0x66666666, ttl_outside=52)
    # Outbound: the pod is the client, 93.184.216.34 the server.
    conn_out = TcpConn("93.184.216.34", 443, POD11_IP, POD11_MAC, 47000,
                       outside_isn=0x77777777, pod_isn=0x88888888,
                       ttl_outside=55, public_ip=NAT_IP)
    # Inbound to 10.0.0.12 before its MAC is known.
    conn_12 = TcpConn(CLIENT_C, 54100, POD12_IP, POD12_MAC, 80,
                      outside_isn=0x99999999, pod_isn=0xaaaaaaaa, ttl_outside=52)

    http_a = http_exchange(conn_a, "10.0.0.10", "<h1>pod-10</h1>\n")
    http_b = http_exchange(conn_b, "10.0.0.11", "<h1>pod-11</h1>\n")
    http_c = http_exchange(conn_c, "[fd00::10]", "<h1>pod-6</h1>\n", v6=True)
    http_d = http_exchange(conn_d, "10.0.0.11", "<h1>pod-11 again</h1>\n")
    dns_1 = dns_exchange(POD10_IP, POD10_MAC, 41000, 0xbeef,
                         "api.example.com", "93.184.216.34")
    dns_2 = dns_exchange(POD11_IP, POD11_MAC, 41001, 0xcafe,
                         "cdn.example.net", "93.184.216.34")
    syn_12 = conn_12.outside("S", options=DEMO_SYN_OPTS)

    pkts = []
    # Neighbours first: the gateway resolves us (v4 and v6).
    pkts.append(out(arp_request(GW_MAC, GW_IP, OUT_IP)))
    pkts.append(out(neighbor_solicit(GW_MAC, GW_IP6, OUT_IP6)))
    # Pod 10 looks up the API, then two clients connect concurrently.
    pkts += dns_1
    pkts += interleave(http_a[:4], http_b[:4])
    # Someone pings the router itself.
    pkts.append(out(from_internet(IP(src=CLIENT_B, dst=OUT_IP, ttl=49) /
                                  ICMP(type=8, code=0, id=0x0101, seq=1) /
                                  Raw(b"0123456789abcdef"))))
    pkts += interleave(http_a[4:], http_b[4:])
    # Pod 11 resolves and calls out to 93.184.216.34:443.
    pkts += dns_2
    pkts.append(conn_out.pod("S", options=DEMO_SYN_OPTS))
    pkts.append(conn_out.outside("SA", options=DEMO_SYN_OPTS))
    pkts.append(conn_out.pod("A"))
    # Junk from the internet.
    pkts.append(out(mal_ipv4_ihl4()))
    # IPv6 client fetches from fd00::10 while a traceroute probes pod 10.
    pkts += http_c[:3]
    pkts.append(out(traceroute_probe(ttl=1, sport=33500)))
    pkts += http_c[3:]
    # A client tries 10.0.0.12, whose MAC gauntlet does not know yet.
    pkts.append(syn_12)
    pkts.append(out(mal_udp_len_too_big()))
    pkts.append(inn(arp_request(POD12_MAC, POD12_IP, IN_IP)))
    pkts.append(syn_12)  # retransmission, same segment
    pkts.append(conn_12.pod("SA", options=DEMO_SYN_OPTS))
    pkts.append(conn_12.outside("A"))
    # One more connection to pod 11, interrupted by a runt frame.
    pkts += http_d[:4]
    pkts.append(out(mal_short_ethernet()))
    pkts += http_d[4:]
    pkts.append(out(from_internet(IP(src=CLIENT_B, dst=OUT_IP, ttl=49) /
                                  ICMP(type=8, code=0, id=0x0101, seq=2) /
                                  Raw(b"0123456789abcdef"))))
    # The firewall at work: a blocked network, a port scan, an admin port closed on one
    # pod by an earlier rule, and a node port that is open.
    pkts.append(out(tcp_syn_to_pod(src=BAD_NET_HOST, sport=40100)))
    pkts.append(out(tcp_syn_to_pod(src=SCANNER, sport=40400, dport=22)))
    pkts.append(out(tcp_syn_to_pod(dst=POD11_IP, dport=8080, sport=40300)))
    pkts.append(out(tcp_syn_to_pod(dport=30080, sport=40201)))
    # The egress allow-list: a pod tries IRC (denied, logged), another resolves via an
    # unapproved resolver (denied).
    pkts.append(syn_from_pod(POD11_MAC, POD11_IP, IRC_SERVER, 6667, sport=46001))
    pkts.append(inn(from_pod(POD10_MAC, IP(src=POD10_IP, dst="8.8.8.8", ttl=64) /
                             UDP(sport=46004, dport=53) /
                             Raw(b"\x12\x35\x01\x00\x00\x01" + bytes(6)))))
    # The load balancer: new flows to the web VIP spread over its backends, a whole
    # conversation with the api VIP, and a port the VIP does not serve (RST).
    for i in range(6):
        pkts.append(syn_to(WEB_VIP, "203.0.113.%d" % (20 + i), 42000 + i))
    pkts += case_lb_dnat()[:9]
    pkts.append(syn_to(WEB_VIP, CLIENT_A, 41000, dport=81))
    for part in DEMO_PARTS:
        pkts += part()
    return pkts



# --------------------------------------------------------------------------
# Firewall and egress allow-list (rules in rules/gauntlet.yaml)
# --------------------------------------------------------------------------

BAD_NET_HOST = "192.0.2.66"   # inside the blocked 192.0.2.0/24
SCANNER = "203.0.113.99"
IRC_SERVER = "198.18.0.5"     # no allow-list rule reaches it


def syn_from_pod(src_mac, src, dst, dport, sport=46000, v6=False):
    """A pod opening a TCP connection to the internet."""
    l3 = IPv6(src=src, dst=dst, hlim=64) if v6 else IP(src=src, dst=dst, ttl=64, flags="DF", id=0)
    return inn(from_pod(src_mac, l3 / TCP(sport=sport, dport=dport, flags="S", seq=7000000,
                                          window=64240, options=SYN_OPTS)))


def syn6_to_pod(dport, sport=41000):
    """An IPv6 client opening a TCP connection to fd00::10."""
    return out(from_internet(IPv6(src=CLIENT6, dst=POD6_IP, hlim=60) /
                             TCP(sport=sport, dport=dport, flags="S", seq=3000000,
                                 window=64240, options=SYN_OPTS)))


def case_fw_deny_source():
    """Ingress from the blocked 192.0.2.0/24 is denied; the same SYN from elsewhere passes."""
    return [out(tcp_syn_to_pod(src=BAD_NET_HOST, sport=40100)),
            out(tcp_syn_to_pod(src=CLIENT_A, sport=40101)),
            out(tcp_syn_to_pod(src="192.0.2.255", sport=40102, dport=443)),
            out(tcp_syn_to_pod(src="192.0.3.1", sport=40103))]


def case_fw_port_range():
    """node-ports allows 30000-32767 only: the edges pass, one below and above do not."""
    return [out(tcp_syn_to_pod(sport=40200 + i, dport=port))
            for i, port in enumerate((29999, 30000, 31000, 32767, 32768))]


def case_fw_ipv6():
    """IPv6 rules: fd00::/64 ports 80 and 443 pass, 22 is denied by default."""
    return [syn6_to_pod(80, 41001), syn6_to_pod(443, 41002), syn6_to_pod(22, 41003),
            out(from_internet(IPv6(src=CLIENT6, dst=POD6_IP, hlim=60) /
                              ICMPv6EchoRequest(id=0x77, seq=1)))]


def case_fw_egress_default_deny():
    """Pods reach only approved destinations; the rest is denied (and logged) by default."""
    return [syn_from_pod(POD11_MAC, POD11_IP, IRC_SERVER, 6667, sport=46001),
            syn_from_pod(POD10_MAC, POD10_IP, "93.184.216.34", 443, sport=46002),
            inn(from_pod(POD10_MAC, IP(src=POD10_IP, dst="9.9.9.9", ttl=64) /
                         UDP(sport=46003, dport=53) / Raw(b"\x12\x34\x01\x00\x00\x01" + bytes(6)))),
            inn(from_pod(POD10_MAC, IP(src=POD10_IP, dst="8.8.8.8", ttl=64) /
                         UDP(sport=46004, dport=53) / Raw(b"\x12\x35\x01\x00\x00\x01" + bytes(6)))),
            syn_from_pod(POD6_MAC, POD6_IP, "2001:db8:beef::1", 25, sport=46005, v6=True)]


def case_fw_first_match():
    """First match wins: no-admin-on-11 (deny) precedes admin-8080 (allow) for 10.0.0.11."""
    return [out(tcp_syn_to_pod(dst=POD11_IP, dport=8080, sport=40300)),
            out(tcp_syn_to_pod(dst=POD10_IP, dport=8080, sport=40301)),
            out(tcp_syn_to_pod(dst=POD11_IP, dport=80, sport=40302))]


# --------------------------------------------------------------------------
# Conntrack and the NAT gateway (snat in rules/gauntlet.yaml: 198.51.100.2)
# --------------------------------------------------------------------------

API = "93.184.216.34"


def udp_from_pod(mac, src, sport, dst, dport, payload=b"ping"):
    """A UDP datagram a pod sends out."""
    return inn(from_pod(mac, IP(src=src, dst=dst, ttl=64) / UDP(sport=sport, dport=dport) /
                        Raw(payload)))


def udp_to_public(src, sport, dport, payload=b"pong", ttl=56):
    """A UDP datagram from the internet to the public address."""
    return out(from_internet(IP(src=src, dst=NAT_IP, ttl=ttl) / UDP(sport=sport, dport=dport) /
                             Raw(payload)))


def case_snat_tcp():
    """A pod's HTTPS connection through the NAT: handshake, data, FIN both ways."""
    c = TcpConn(API, 443, POD10_IP, POD10_MAC, 40500, outside_isn=0x01020304,
                pod_isn=0x0a0b0c0d, public_ip=NAT_IP)
    return [c.pod("S", options=DEMO_SYN_OPTS), c.outside("SA", options=DEMO_SYN_OPTS),
            c.pod("A"), c.pod("PA", b"\x16\x03\x01\x00\x05hello"),
            c.outside("PA", b"\x16\x03\x03\x00\x05world"), c.pod("A"),
            c.pod("FA"), c.outside("FA"), c.pod("A")]


def case_snat_udp_dns():
    """A DNS query leaves from the public address; the answer comes back to the pod."""
    return dns_exchange(POD10_IP, POD10_MAC, 41000, 0x1234, "api.example.com", API)


def case_snat_icmp_echo():
    """A pod pings through the NAT: the echo identifier is mapped like a port."""
    req = inn(from_pod(POD11_MAC, IP(src=POD11_IP, dst=API, ttl=64) /
                       ICMP(type=8, id=0x4242, seq=1) / Raw(b"abcdefgh")))
    rep = out(from_internet(IP(src=API, dst=NAT_IP, ttl=55) /
                            ICMP(type=0, id=0x4242, seq=1) / Raw(b"abcdefgh")))
    return [req, rep]


def quoted(src, sport, dst, dport, proto="udp", payload=b"data"):
    """The start of a packet as an ICMP error quotes it."""
    l4 = UDP(sport=sport, dport=dport) / Raw(payload) if proto == "udp" else \
        TCP(sport=sport, dport=dport, flags="A", seq=1000)
    return raw(IP(src=src, dst=dst, ttl=63, flags="DF" if proto == "tcp" else 0) / l4)[:28]


def case_snat_icmp_errors():
    """Port unreachable and fragmentation needed about NATed flows, translated to the pod."""
    probe = udp_from_pod(POD10_MAC, POD10_IP, 42000, "203.0.113.50", 123)
    unreach = out(from_internet(IP(src="203.0.113.50", dst=NAT_IP, ttl=55) /
                                ICMP(type=3, code=3) /
                                Raw(quoted(NAT_IP, 42000, "203.0.113.50", 123))))
    c = TcpConn(API, 443, POD10_IP, POD10_MAC, 40600, outside_isn=0x11, pod_isn=0x22,
                public_ip=NAT_IP)
    syn, synack, ack = c.pod("S", options=DEMO_SYN_OPTS), c.outside("SA", options=DEMO_SYN_OPTS), c.pod("A")
    frag_needed = out(from_internet(IP(src=GW_IP, dst=NAT_IP, ttl=64) /
                                    ICMP(type=3, code=4, nexthopmtu=1400) /
                                    Raw(quoted(NAT_IP, 40600, API, 443, proto="tcp"))))
    # An error about a flow nobody has: dropped.
    orphan = out(from_internet(IP(src="203.0.113.50", dst=NAT_IP, ttl=55) / ICMP(type=3, code=3) /
                               Raw(quoted(NAT_IP, 50000, "203.0.113.50", 123))))
    # RFC 5508 REQ-3: an error with a wrong ICMP checksum is dropped, not translated.
    bad_checksum = out(from_internet(IP(src="203.0.113.50", dst=NAT_IP, ttl=55) /
                                     ICMP(type=3, code=3, chksum=0x1234) /
                                     Raw(quoted(NAT_IP, 42000, "203.0.113.50", 123))))
    return [probe, unreach, syn, synack, ack, frag_needed, orphan, bad_checksum]


def case_snat_eim():
    """Endpoint-independent mapping: one pod port, two NTP servers, one public port."""
    return [udp_from_pod(POD10_MAC, POD10_IP, 5000, "203.0.113.10", 123),
            udp_from_pod(POD10_MAC, POD10_IP, 5000, "203.0.113.66", 123),
            udp_to_public("203.0.113.10", 123, 5000),
            udp_to_public("203.0.113.66", 123, 5000),
            # Address-and-port-dependent filtering: a third host may not use the mapping.
            udp_to_public("203.0.113.77", 123, 5000)]


def case_conntrack_timeout():
    """Flows expire on pcap time: a UDP answer 121 s after an unanswered query finds no flow."""
    pkts = [udp_from_pod(POD10_MAC, POD10_IP, 43000, "203.0.113.10", 123),
            udp_to_public("203.0.113.10", 123, 43000)]
    late_query = udp_from_pod(POD11_MAC, POD11_IP, 43001, "203.0.113.10", 123)
    late_answer = udp_to_public("203.0.113.10", 123, 43001)
    # NATed UDP mappings live at least 120 s (RFC 4787 REQ-5), whatever udp_unreplied says.
    return pkts + [late_query, (GAP, 121.0), late_answer]


def case_conntrack_invalid():
    """Packets that fit no state: a bare ACK, SYN+FIN, an unsolicited reply to the public address."""
    bare_ack = out(from_internet(IP(src=CLIENT_A, dst=POD10_IP, ttl=56) /
                                 TCP(sport=40700, dport=80, flags="A", seq=5, ack=6)))
    syn_fin = out(from_internet(IP(src=CLIENT_A, dst=POD10_IP, ttl=56) /
                                TCP(sport=40701, dport=80, flags="SF", seq=5)))
    unsolicited = udp_to_public(CLIENT_A, 53, 4444)
    echo_reply = out(from_internet(IP(src=CLIENT_A, dst=POD10_IP, ttl=56) / ICMP(type=0, id=9, seq=1)))
    return [bare_ack, syn_fin, unsolicited, echo_reply]


def case_snat_quota():
    """max_ports_per_host 2 (case config): a pod's third mapping is refused, others still map."""
    pkts = [udp_from_pod(POD10_MAC, POD10_IP, 44000 + i, "203.0.113.10", 123) for i in range(3)]
    pkts.append(udp_from_pod(POD11_MAC, POD11_IP, 44000, "203.0.113.10", 123))
    pkts.append(udp_to_public("203.0.113.10", 123, 44001))
    return pkts


def case_conntrack_table_full():
    """Capacity 16 (case config): a SYN flood of 32 random sources fills the table; the
    established connection keeps passing every packet."""
    c = TcpConn(CLIENT_A, 40800, POD10_IP, POD10_MAC, 80, outside_isn=0x100, pod_isn=0x200)
    pkts = [c.outside("S", options=DEMO_SYN_OPTS), c.pod("SA", options=DEMO_SYN_OPTS), c.outside("A")]
    for i in range(32):
        src = "203.0.%d.%d" % (114 + i // 200, (i * 37) % 250 + 1)
        pkts.append(out(tcp_syn_to_pod(src=src, sport=20000 + i, seq=0x1000 + i)))
        if i % 4 == 3:
            pkts.append(c.outside("PA", b"GET /%d HTTP/1.1\r\nHost: pod\r\n\r\n" % i))
            pkts.append(c.pod("A"))
    return pkts


# --------------------------------------------------------------------------
# Load balancer (services in rules/gauntlet.yaml; lb-spread has its own config)
# --------------------------------------------------------------------------

WEB_VIP, API_VIP, WEB_VIP6 = "198.51.100.10", "198.51.100.11", "2001:db8:100::10"
SPREAD_VIP = "198.51.100.20"


def syn_to(dst, src, sport, dport=80, v6=False):
    """A client SYN from the internet to `dst`."""
    l3 = IPv6(src=src, dst=dst, hlim=60) if v6 else IP(src=src, dst=dst, ttl=56, flags="DF", id=0)
    return out(from_internet(l3 / TCP(sport=sport, dport=dport, flags="S", seq=0x5000 + sport,
                                      window=64240, options=SYN_OPTS)))


def case_lb_spread():
    """1000 client flows to a VIP with 4 backends weighted 1:2:3:4 (case config)."""
    pkts = []
    for i in range(1000):
        src = "203.0.%d.%d" % (113 + (i // 250), i % 250 + 1)
        pkts.append(syn_to(SPREAD_VIP, src, 10000 + (i * 7919) % 50000))
    return pkts


def case_lb_dnat():
    """A connection to the api VIP: DNAT to its backend, replies leave from the VIP."""
    c = TcpConn(CLIENT_A, 40900, POD10_IP, POD10_MAC, 8080, outside_isn=0x3000, pod_isn=0x4000,
                public_ip=API_VIP)
    return [c.outside("S", options=DEMO_SYN_OPTS), c.pod("SA", options=DEMO_SYN_OPTS), c.outside("A"),
            c.outside("PA", b"GET /v1/items HTTP/1.1\r\nHost: api\r\n\r\n"),
            c.pod("PA", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]"), c.outside("A"),
            c.outside("FA"), c.pod("FA"), c.outside("A"),
            # The backend reached directly on the VIP's tuple: not through the balancer.
            out(from_internet(IP(src=CLIENT_A, dst=POD10_IP, ttl=56) /
                              TCP(sport=40900, dport=8080, flags="A", seq=1, ack=1)))]


def case_lb_icmp_errors():
    """ICMP errors about load-balanced flows, IPv4 and IPv6: from the client's side about a
    reply the client saw from the VIP (to the backend, quoting the reply as the backend sent
    it), from the backend about a packet it got (to the client, from the VIP)."""
    c = TcpConn(CLIENT_A, 40950, POD10_IP, POD10_MAC, 8080, outside_isn=0x5000, pod_isn=0x6000,
                public_ip=API_VIP)
    pkts = [c.outside("S", options=DEMO_SYN_OPTS), c.pod("SA", options=DEMO_SYN_OPTS), c.outside("A")]
    # A router on the client's path: the VIP's reply is too big for its next hop.
    pkts.append(out(from_internet(IP(src=GW_IP, dst=API_VIP, ttl=60) /
                                  ICMP(type=3, code=4, nexthopmtu=1400) /
                                  Raw(quoted(API_VIP, 8080, CLIENT_A, 40950, proto="tcp")))))
    # The backend's side: an error about the packet the client sent to the VIP.
    pkts.append(inn(from_pod(POD10_MAC, IP(src=POD10_IP, dst=CLIENT_A, ttl=64) /
                             ICMP(type=3, code=4, nexthopmtu=1280) /
                             Raw(quoted(CLIENT_A, 40950, POD10_IP, 8080, proto="tcp")))))
    # An error about a tuple of the VIP nobody has: dropped.
    pkts.append(out(from_internet(IP(src=GW_IP, dst=API_VIP, ttl=60) /
                                  ICMP(type=3, code=4, nexthopmtu=1400) /
                                  Raw(quoted(API_VIP, 8080, CLIENT_A, 40951, proto="tcp")))))
    c6 = TcpConn(CLIENT6, 41500, POD6_IP, POD6_MAC, 80, outside_isn=0x7000, pod_isn=0x8000,
                 v6=True, public_ip=WEB_VIP6)
    pkts += [c6.outside("S", options=DEMO_SYN_OPTS), c6.pod("SA", options=DEMO_SYN_OPTS),
             c6.outside("A")]
    reply6 = raw(IPv6(src=WEB_VIP6, dst=CLIENT6, hlim=63) /
                 TCP(sport=80, dport=41500, flags="A", seq=0x8001, ack=0x7001) / Raw(b"x" * 1300))
    pkts.append(out(from_internet(IPv6(src=GW_IP6, dst=WEB_VIP6, hlim=60) /
                                  ICMPv6PacketTooBig(mtu=1280) / Raw(reply6))))
    return pkts


def case_lb_port_not_configured():
    """A VIP port no service has: TCP gets a RST, UDP an ICMP port unreachable."""
    return [syn_to(WEB_VIP, CLIENT_A, 41000, dport=81),
            out(from_internet(IP(src=CLIENT_A, dst=WEB_VIP, ttl=56) / UDP(sport=41001, dport=443) /
                              Raw(b"\xc0\x00\x00\x00\x01" + bytes(16)))),
            syn_to(WEB_VIP6, CLIENT6, 41002, dport=443, v6=True)]

# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------

CASES = {
    "arp-reply": case_arp_reply,
    "nd-reply": case_nd_reply,
    "forward-ttl": case_forward_ttl,
    "ttl-expired": case_ttl_expired,
    "malformed": case_malformed,
    "unresolved": case_unresolved,
    "fw-deny-source": case_fw_deny_source,
    "fw-port-range": case_fw_port_range,
    "fw-ipv6": case_fw_ipv6,
    "fw-egress-default-deny": case_fw_egress_default_deny,
    "fw-first-match": case_fw_first_match,
    "snat-tcp": case_snat_tcp,
    "snat-udp-dns": case_snat_udp_dns,
    "snat-icmp-echo": case_snat_icmp_echo,
    "snat-icmp-errors": case_snat_icmp_errors,
    "snat-eim": case_snat_eim,
    "conntrack-timeout": case_conntrack_timeout,
    "conntrack-invalid": case_conntrack_invalid,
    "snat-quota": case_snat_quota,
    "conntrack-table-full": case_conntrack_table_full,
    "lb-spread": case_lb_spread,
    "lb-dnat": case_lb_dnat,
    "lb-icmp-errors": case_lb_icmp_errors,
    "lb-port-not-configured": case_lb_port_not_configured,
    "demo": case_demo,
}


# Parts of the demo that later layers add (tools/pcapgen/<area>.py: DEMO_PARTS, functions
# returning packet lists), appended to the demo in file order.
DEMO_PARTS = []


def load_area_cases():
    """Cases of later layers live in tools/pcapgen/<area>.py, each with its own CASES
    dict (and optionally DEMO_PARTS); they use this file's helpers through
    ``from gen_pcaps import *``."""
    import importlib.util
    sys.modules.setdefault("gen_pcaps", sys.modules[__name__])
    area_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pcapgen")
    if not os.path.isdir(area_dir):
        return
    for fname in sorted(os.listdir(area_dir)):
        if not fname.endswith(".py") or fname.startswith("_"):
            continue
        spec = importlib.util.spec_from_file_location(
            "pcapgen_" + fname[:-3], os.path.join(area_dir, fname))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, fn in getattr(module, "CASES", {}).items():
            if name in CASES:
                raise SystemExit("gen_pcaps: case %s defined twice (%s)" % (name, fname))
            CASES[name] = fn
        parts = getattr(module, "DEMO_PARTS", [])
        if parts is not DEMO_PARTS:  # a module without its own has ours, through import *
            DEMO_PARTS.extend(parts)


load_area_cases()


def write_case(out_dir, name):
    """Write one case folder; returns [(path, count)] for files written."""
    tagged = CASES[name]()
    case_dir = os.path.join(out_dir, name)
    os.makedirs(case_dir, exist_ok=True)
    per_port = {OUTSIDE: [], INSIDE: []}
    gap_us = 0
    i = 0
    for port, pkt in tagged:
        if port == GAP:  # ("gap", seconds): later packets arrive that much later
            gap_us += int(pkt * 1000000)
            continue
        frame = pkt if isinstance(pkt, bytes) else bytes(pkt)
        sec, usec = divmod(BASE_TIME_US + gap_us + i * STEP_US, 1000000)
        per_port[port].append((frame, sec, usec))
        i += 1
    written = []
    for port in (OUTSIDE, INSIDE):
        path = os.path.join(case_dir, port + ".pcap")
        if not per_port[port]:
            if os.path.exists(path):
                os.remove(path)  # stale file from an older layout
            continue
        writer = PcapWriter(path, linktype=1, endianness="<", snaplen=65535)
        writer.write_header(None)  # write_packet() alone would not emit it
        for frame, sec, usec in per_port[port]:
            writer.write_packet(frame, sec=sec, usec=usec)
        writer.close()
        written.append((path, len(per_port[port])))
    return written


def main(argv=None):
    default_out = os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pcaps")
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", default=default_out,
                    help="output directory (default: %(default)s)")
    ap.add_argument("--case", choices=sorted(CASES),
                    help="write only this case")
    args = ap.parse_args(argv)
    names = [args.case] if args.case else list(CASES)
    for name in names:
        for path, count in write_case(args.out_dir, name):
            print("%s: %d packet%s" % (path, count, "" if count == 1 else "s"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
