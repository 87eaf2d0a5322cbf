#include "dataplane/neighbour/solicit.h"

#include <cstring>

#include <rte_ip.h>
#include <rte_mbuf.h>

namespace gauntlet {

namespace {

constexpr uint16_t kArpLength = 14 + 28;
constexpr uint16_t kNdLength = 40 + 32;  // IPv6 header + NS/NA with one link-layer option

void set_length(rte_mbuf* m, uint16_t len) noexcept {
  // Multi-segment mbufs lose their tail: the frame we write fits the first segment.
  if (m->next) {
    rte_pktmbuf_free(m->next);
    m->next = nullptr;
    m->nb_segs = 1;
  }
  m->data_len = len;
  m->pkt_len = len;
}

void write_ethernet(uint8_t* f, const MacAddress& dst, const MacAddress& src,
                    uint16_t type) noexcept {
  std::memcpy(f, dst.bytes.data(), 6);
  std::memcpy(f + 6, src.bytes.data(), 6);
  store_be16(f + 12, type);
}

// IPv6 header + ND body (type, target, one link-layer option) at `l3`.
void write_nd(uint8_t* l3, const IpAddress& src, const IpAddress& dst, uint8_t type, uint32_t flags,
              const IpAddress& target, uint8_t option, const MacAddress& mac) noexcept {
  l3[0] = 0x60, l3[1] = 0, l3[2] = 0, l3[3] = 0;
  store_be16(l3 + 4, 32);
  l3[6] = 58;   // ICMPv6
  l3[7] = 255;  // RFC 4861: ND messages carry hop limit 255
  std::memcpy(l3 + 8, src.bytes.data(), 16);
  std::memcpy(l3 + 24, dst.bytes.data(), 16);
  uint8_t* icmp = l3 + 40;
  icmp[0] = type, icmp[1] = 0, icmp[2] = 0, icmp[3] = 0;
  icmp[4] = static_cast<uint8_t>(flags >> 24), icmp[5] = icmp[6] = icmp[7] = 0;
  std::memcpy(icmp + 8, target.bytes.data(), 16);
  icmp[24] = option, icmp[25] = 1;
  std::memcpy(icmp + 26, mac.bytes.data(), 6);
}

}  // namespace

void set_icmpv6_checksum(rte_mbuf* m, uint16_t l3_offset) noexcept {
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, l3_offset);
  auto* icmp = reinterpret_cast<uint8_t*>(ip + 1);
  icmp[2] = icmp[3] = 0;
  const uint16_t sum = rte_ipv6_udptcp_cksum(ip, icmp);
  std::memcpy(icmp + 2, &sum, 2);
}

void write_arp_request(rte_mbuf* m, const MacAddress& sender_mac, const IpAddress& sender_ip,
                       const IpAddress& target) noexcept {
  uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
  write_ethernet(f, MacAddress{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, sender_mac, 0x0806);
  uint8_t* arp = f + 14;
  store_be16(arp, 1);           // Ethernet
  store_be16(arp + 2, 0x0800);  // IPv4
  arp[4] = 6, arp[5] = 4;
  store_be16(arp + 6, 1);  // request
  std::memcpy(arp + 8, sender_mac.bytes.data(), 6);
  std::memcpy(arp + 14, sender_ip.bytes.data(), 4);
  std::memset(arp + 18, 0, 6);
  std::memcpy(arp + 24, target.bytes.data(), 4);
  set_length(m, kArpLength);
}

void write_neighbour_solicitation(rte_mbuf* m, const MacAddress& sender_mac,
                                  const IpAddress& sender_ip, const IpAddress& target) noexcept {
  uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
  IpAddress group{};  // solicited-node multicast ff02::1:ffXX:XXXX
  group.bytes[0] = 0xff, group.bytes[1] = 0x02, group.bytes[11] = 0x01, group.bytes[12] = 0xff;
  std::memcpy(group.bytes.data() + 13, target.bytes.data() + 13, 3);
  MacAddress group_mac{{0x33, 0x33, 0xff, target.bytes[13], target.bytes[14], target.bytes[15]}};
  write_ethernet(f, group_mac, sender_mac, 0x86dd);
  write_nd(f + 14, sender_ip, group, 135, 0, target, 1, sender_mac);
  set_length(m, 14 + kNdLength);
  set_icmpv6_checksum(m, 14);
}

void write_neighbour_advertisement(rte_mbuf* m, uint16_t l3_offset, const MacAddress& mac,
                                   const MacAddress& to_mac, const IpAddress& target,
                                   const IpAddress& to) noexcept {
  uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
  write_ethernet(f, to_mac, mac, load_be16(f + 12));  // keeps a VLAN TPID if there is one
  constexpr uint32_t kRouterSolicitedOverride = 0xe0000000u;
  write_nd(f + l3_offset, target, to, 136, kRouterSolicitedOverride, target, 2, mac);
  set_length(m, static_cast<uint16_t>(l3_offset + kNdLength));
  set_icmpv6_checksum(m, l3_offset);
}

}  // namespace gauntlet
