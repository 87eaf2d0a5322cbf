"""Every packet gauntlet writes carries valid IPv4 header and L4 checksums.

Independent of the golden bytes: rebuilds each output packet with scapy, letting it compute
the checksums, and compares. Usage: check_checksums.py FILE.pcap...
"""
import sys

from scapy.all import ICMP, IP, TCP, UDP, Ether, IPv6, raw, rdpcap


def recomputed(pkt, layer, field):
    copy = pkt.copy()
    setattr(copy[layer], field, None)
    return getattr(Ether(raw(copy))[layer], field)


def main(paths):
    bad = 0
    checked = 0
    for path in paths:
        for index, pkt in enumerate(rdpcap(path)):
            layers = [(layer, "chksum") for layer in (IP, TCP, UDP, ICMP) if layer in pkt]
            if IPv6 in pkt:
                for l4 in pkt[IPv6].iterpayloads():
                    if hasattr(l4, "cksum"):
                        layers.append((type(l4), "cksum"))
                        break
            for layer, field in layers:
                # Quoted headers inside ICMP errors are the offender's, not ours.
                if pkt.getlayer(layer).underlayer is not None and \
                        type(pkt.getlayer(layer).underlayer).__name__.endswith("error"):
                    continue
                checked += 1
                have = getattr(pkt[layer], field)
                want = recomputed(pkt, layer, field)
                if have != want:
                    bad += 1
                    print(f"{path}: packet {index + 1} ({pkt.summary()}): {layer.__name__} "
                          f"checksum {have:#06x}, expected {want:#06x}")
    print(f"checksums: {checked} checked, {bad} wrong")
    return 1 if bad or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
