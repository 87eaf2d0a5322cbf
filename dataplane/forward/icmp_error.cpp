#include "dataplane/forward/icmp_error.h"

#include <algorithm>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dataplane/neighbour/solicit.h"

namespace gauntlet {

namespace {
constexpr uint16_t kIpv6MinMtu = 1280;
}

bool icmp_error_allowed(const ParsedPacket& p) noexcept {
  if (p.has(kParseLaterFragment)) return false;
  if (p.ip_version == 4) {
    if (p.l4_proto == 1 && p.has(kParseL4) && p.icmp_type != 0 && p.icmp_type != 8) return false;
    const uint8_t s = p.src.bytes[0];
    return p.src.v4_be() != 0 && s < 224 && p.dst.bytes[0] < 224;
  }
  if (p.l4_proto == 58 && p.has(kParseL4) && p.icmp_type < 128) return false;
  return p.src.bytes[0] != 0xff && p.dst.bytes[0] != 0xff && !(p.src == IpAddress{});
}

void write_time_exceeded(rte_mbuf* m, const ParsedPacket& p, const MacAddress& port_mac,
                         const IpAddress& source) noexcept {
  write_icmp_error(m, p, port_mac, source, IcmpError::time_exceeded);
}

void write_icmp_error(rte_mbuf* m, const ParsedPacket& p, const MacAddress& port_mac,
                      const IpAddress& source, IcmpError kind, uint16_t mtu) noexcept {
  uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
  const uint16_t available =
      static_cast<uint16_t>(std::min<uint32_t>(p.l3_end, rte_pktmbuf_data_len(m)) - p.l3_offset);
  const IpAddress sender = p.src;
  uint8_t to_mac[6];
  std::memcpy(to_mac, f + 6, 6);
  const bool v4 = p.ip_version == 4;
  const uint16_t l3_len = v4 ? 20 : 40;
  const uint16_t quoted =
      v4 ? std::min<uint16_t>(available, static_cast<uint16_t>(p.l4_offset - p.l3_offset + 8))
         : std::min<uint16_t>(available, kIpv6MinMtu - 48);
  uint8_t* ip = f + 14;
  uint8_t* icmp = ip + l3_len;
  std::memmove(icmp + 8, f + p.l3_offset, quoted);  // the quote first: headers overwrite it
  std::memcpy(f, to_mac, 6);
  std::memcpy(f + 6, port_mac.bytes.data(), 6);
  store_be16(f + 12, v4 ? 0x0800 : 0x86dd);
  std::memset(icmp, 0, 8);
  const uint16_t icmp_len = static_cast<uint16_t>(8 + quoted);
  if (v4) {
    auto* h = reinterpret_cast<rte_ipv4_hdr*>(ip);
    std::memset(h, 0, 20);
    h->version_ihl = 0x45;
    h->type_of_service = 0xc0;  // internetwork control, as routers send errors
    h->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(20 + icmp_len));
    h->time_to_live = 64;
    h->next_proto_id = 1;
    std::memcpy(&h->src_addr, source.bytes.data(), 4);
    std::memcpy(&h->dst_addr, sender.bytes.data(), 4);
    h->hdr_checksum = rte_ipv4_cksum(h);
    icmp[0] = kind == IcmpError::time_exceeded ? 11 : 3;
    icmp[1] = kind == IcmpError::time_exceeded ? 0 : kind == IcmpError::too_big ? 4 : 3;
    if (kind == IcmpError::too_big) store_be16(icmp + 6, mtu);
    const uint16_t sum = static_cast<uint16_t>(~rte_raw_cksum(icmp, icmp_len));
    std::memcpy(icmp + 2, &sum, 2);
  } else {
    ip[0] = 0x60, ip[1] = ip[2] = ip[3] = 0;
    store_be16(ip + 4, icmp_len);
    ip[6] = 58;
    ip[7] = 64;
    std::memcpy(ip + 8, source.bytes.data(), 16);
    std::memcpy(ip + 24, sender.bytes.data(), 16);
    icmp[0] = kind == IcmpError::time_exceeded ? 3 : kind == IcmpError::too_big ? 2 : 1;
    icmp[1] = kind == IcmpError::port_unreachable ? 4 : 0;
    if (kind == IcmpError::too_big) store_be16(icmp + 6, mtu);  // high half stays 0
  }
  m->data_len = m->pkt_len = static_cast<uint16_t>(14 + l3_len + icmp_len);
  if (m->next) {
    rte_pktmbuf_free(m->next);
    m->next = nullptr;
    m->nb_segs = 1;
  }
  if (!v4) set_icmpv6_checksum(m, 14);
}

}  // namespace gauntlet
