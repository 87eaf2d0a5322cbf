"""Fragmented datagrams gauntlet writes are whole again at the far end: every IPv4 header
checksum is right, and each datagram, reassembled (IPv4 and IPv6), carries a right UDP/TCP
checksum. (check_checksums.py checks single packets; a first fragment's L4 checksum covers
the whole datagram, so it is checked here instead.) Usage: nat_fragment_checksums.py FILE...
"""
import sys

from scapy.all import IP, TCP, UDP, IPv6, IPv6ExtHdrFragment, Raw, defragment, defragment6, raw, rdpcap


def l4_ok(datagram, l3):
    for layer in (UDP, TCP):
        if layer in datagram:
            copy = datagram.copy()
            copy[layer].chksum = None
            return l3(raw(copy))[layer].chksum == datagram[layer].chksum
    return True


def main(paths):
    bad = checked = 0
    for path in paths:
        pkts = rdpcap(path)
        v4 = [p[IP] for p in pkts if IP in p]
        for p in v4:
            copy = p.copy()
            copy.chksum = None
            checked += 1
            if IP(raw(copy)).chksum != p.chksum:
                bad += 1
                print(f"{path}: IPv4 header checksum wrong: {p.summary()}")
        for d in defragment(v4):
            if d.flags.MF or d.frag:
                continue  # a datagram gauntlet did not send whole (a fragment it dropped)
            checked += 1
            if not l4_ok(d, IP):
                bad += 1
                print(f"{path}: reassembled datagram {d.src} -> {d.dst} id {d.id:#x}: L4 checksum wrong")
        frags6 = [p[IPv6] for p in pkts if IPv6ExtHdrFragment in p]
        if frags6:
            d = defragment6(frags6)
            checked += 1
            if not l4_ok(d, IPv6):
                bad += 1
                print(f"{path}: reassembled IPv6 datagram: L4 checksum wrong")
    print(f"fragment checksums: {checked} checked, {bad} wrong")
    return 1 if bad or not checked else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
