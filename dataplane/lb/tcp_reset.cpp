#include "dataplane/lb/tcp_reset.h"

#include <rte_ip.h>
#include <rte_mbuf.h>

namespace gauntlet {

bool write_tcp_reset(rte_mbuf* m, const ParsedPacket& p, const MacAddress& port_mac) noexcept {
  constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kAck = 0x10;
  if (p.l4_proto != 6 || !p.has(kParseL4) || (p.tcp_flags & kRst)) return false;
  uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
  uint8_t* ip = f + p.l3_offset;
  uint8_t* tcp = f + p.l4_offset;
  const uint32_t seq = load_be32(tcp + 4), ack = load_be32(tcp + 8);
  const uint32_t length = (p.l3_end - p.payload_offset) + ((p.tcp_flags & kSyn) ? 1 : 0) +
                          ((p.tcp_flags & kFin) ? 1 : 0);
  uint8_t mac[6];
  std::memcpy(mac, f + 6, 6);
  std::memcpy(f, mac, 6);
  std::memcpy(f + 6, port_mac.bytes.data(), 6);
  // Swap ports; a 20-byte header, no options, no payload.
  uint8_t ports[4];
  std::memcpy(ports, tcp, 4);
  std::memcpy(tcp, ports + 2, 2);
  std::memcpy(tcp + 2, ports, 2);
  auto put32 = [](uint8_t* at, uint32_t v) {
    at[0] = static_cast<uint8_t>(v >> 24), at[1] = static_cast<uint8_t>(v >> 16);
    at[2] = static_cast<uint8_t>(v >> 8), at[3] = static_cast<uint8_t>(v);
  };
  if (p.tcp_flags & kAck) {
    put32(tcp + 4, ack);
    put32(tcp + 8, 0);
    tcp[13] = kRst;
  } else {
    put32(tcp + 4, 0);
    put32(tcp + 8, seq + length);
    tcp[13] = kRst | kAck;
  }
  tcp[12] = 5 << 4;
  tcp[14] = tcp[15] = 0;  // window
  tcp[16] = tcp[17] = 0;  // checksum, below
  tcp[18] = tcp[19] = 0;  // urgent pointer
  const uint16_t l3_header = static_cast<uint16_t>(p.l4_offset - p.l3_offset);
  if (p.ip_version == 4) {
    auto* h = reinterpret_cast<rte_ipv4_hdr*>(ip);
    const rte_be32_t a = h->src_addr;
    h->src_addr = h->dst_addr;
    h->dst_addr = a;
    h->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(l3_header + 20));
    h->time_to_live = 64;
    h->hdr_checksum = 0;
    h->hdr_checksum = rte_ipv4_cksum(h);
    const uint16_t sum = rte_ipv4_udptcp_cksum(h, tcp);
    std::memcpy(tcp + 16, &sum, 2);
  } else {
    auto* h = reinterpret_cast<rte_ipv6_hdr*>(ip);
    uint8_t a[16];
    std::memcpy(a, ip + 8, 16);
    std::memcpy(ip + 8, ip + 24, 16);
    std::memcpy(ip + 24, a, 16);
    // Extension headers are dropped with the payload: the RST follows the fixed header.
    if (l3_header != 40) {
      std::memmove(ip + 40, tcp, 20);
      tcp = ip + 40;
      ip[6] = 6;
    }
    h->payload_len = rte_cpu_to_be_16(20);
    h->hop_limits = 64;
    const uint16_t sum = rte_ipv6_udptcp_cksum(h, tcp);
    std::memcpy(tcp + 16, &sum, 2);
  }
  const uint16_t total = static_cast<uint16_t>((tcp - f) + 20);
  if (m->next) {
    rte_pktmbuf_free(m->next);
    m->next = nullptr;
    m->nb_segs = 1;
  }
  m->data_len = m->pkt_len = total;
  return true;
}

}  // namespace gauntlet
