"""The lb-dsr-ipip golden outputs, checked byte by byte against the input (independently of the
gauntlet that wrote them): every packet that left the inside port is an outer IPv4 (protocol 4)
or IPv6 (next header 41) header from the inside address to a backend, TTL 64, lengths and IPv4
header checksum right, DF/DSCP (IPv6: first word) copied, around a client packet exactly as it
arrived; the packets too big for the tunnel got ICMP fragmentation needed / packet too big from
the VIP with the tunnel's MTU. Usage: dsr_check.py CASE_DIR
"""
import ipaddress
import struct
import sys

from scapy.all import rdpcap  # noqa: E402 (scapy.all binds Ethernet)

INSIDE4, INSIDE6 = "10.0.0.1", "fd00::1"
BACKENDS4 = {"10.0.0.10", "10.0.0.11", "10.0.0.12"}
BACKENDS6 = {"fd00::10", "fd00::11"}
VIP4, VIP6 = "198.51.100.40", "2001:db8:100::40"
MTU = 1400


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def ip_datagram(frame):
    """The IP datagram of an Ethernet frame (padding cut by the IP length)."""
    etype = struct.unpack("!H", frame[12:14])[0]
    ip = frame[14:]
    if etype == 0x0800:
        return ip[:struct.unpack("!H", ip[2:4])[0]]
    return ip[:40 + struct.unpack("!H", ip[4:6])[0]]


def main(case_dir):
    inputs = [ip_datagram(bytes(p)) for p in rdpcap(case_dir + "/outside.pcap")
              if struct.unpack("!H", bytes(p)[12:14])[0] in (0x0800, 0x86dd)]
    problems, tunnelled = [], {4: 0, 6: 0}
    for n, p in enumerate(rdpcap(case_dir + "/expected/inside.pcap"), 1):
        f = bytes(p)
        etype = struct.unpack("!H", f[12:14])[0]
        if etype == 0x0806:
            continue  # ARP replies to the backend
        o = f[14:]
        if etype == 0x0800:
            inner = o[20:]
            ok = (o[0] == 0x45 and o[9] == 4 and o[8] == 64 and checksum(o[:20]) == 0 and
                  struct.unpack("!H", o[2:4])[0] == len(inner) + 20 and
                  str(ipaddress.ip_address(o[12:16])) == INSIDE4 and
                  str(ipaddress.ip_address(o[16:20])) in BACKENDS4 and
                  o[1] == inner[1] and (o[6] & 0x40) == (inner[6] & 0x40) and
                  inner in inputs and len(o) <= MTU)
            tunnelled[4] += ok
        elif etype == 0x86dd:
            inner = o[40:]
            ok = (o[6] == 41 and o[7] == 64 and o[0:4] == inner[0:4] and
                  struct.unpack("!H", o[4:6])[0] == len(inner) and
                  str(ipaddress.ip_address(o[8:24])) == INSIDE6 and
                  str(ipaddress.ip_address(o[24:40])) in BACKENDS6 and
                  inner in inputs and len(o) <= MTU)
            tunnelled[6] += ok
        else:
            ok = False
        if not ok:
            problems.append("inside packet %d is not a correct tunnel around an input packet" % n)
    errors = {4: 0, 6: 0}
    for p in rdpcap(case_dir + "/expected/outside.pcap"):
        o = bytes(p)[14:]
        if o[0] >> 4 == 4 and o[9] == 1 and o[20] == 3 and o[21] == 4:
            ok = (str(ipaddress.ip_address(o[12:16])) == VIP4 and
                  struct.unpack("!H", o[26:28])[0] == MTU - 20 and checksum(o[20:]) == 0)
            errors[4] += ok
        elif o[0] >> 4 == 6 and o[6] == 58 and o[40] == 2:
            ok = (str(ipaddress.ip_address(o[8:24])) == VIP6 and
                  struct.unpack("!I", o[44:48])[0] == MTU - 40)
            errors[6] += ok
    print("tunnelled: %d IPv4, %d IPv6; too big: %d ICMP, %d ICMPv6" %
          (tunnelled[4], tunnelled[6], errors[4], errors[6]))
    # IPv4: five of flows a and c, and the ICMP error about a reply of flow a.
    if tunnelled != {4: 7, 6: 3} or errors != {4: 1, 6: 1}:
        problems.append("expected 7 IPv4 and 3 IPv6 tunnelled packets, one ICMP and one ICMPv6")
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
