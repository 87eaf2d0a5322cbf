#include "dataplane/waf/waf_reset.h"

#include <rte_ip.h>
#include <rte_mbuf.h>

namespace gauntlet {

namespace {

void store_be32(uint8_t* p, uint32_t v) noexcept {
  store_be16(p, static_cast<uint16_t>(v >> 16));
  store_be16(p + 2, static_cast<uint16_t>(v));
}

}  // namespace

rte_mbuf* make_backend_reset(rte_mempool* pool, const BackendReset& r) noexcept {
  constexpr uint8_t kRst = 0x04, kAck = 0x10;
  const uint16_t l3 = r.version == 4 ? 20 : 40;
  const auto total = static_cast<uint16_t>(14 + l3 + 20);
  rte_mbuf* m = pool ? rte_pktmbuf_alloc(pool) : nullptr;
  if (!m) return nullptr;
  auto* f = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, total));
  if (!f) {
    rte_pktmbuf_free(m);
    return nullptr;
  }
  std::memset(f, 0, total);
  std::memcpy(f, r.dst_mac.bytes.data(), 6);
  std::memcpy(f + 6, r.src_mac.bytes.data(), 6);
  store_be16(f + 12, r.version == 4 ? 0x0800 : 0x86dd);
  uint8_t* ip = f + 14;
  uint8_t* tcp = ip + l3;
  store_be16(tcp, r.client_port);
  store_be16(tcp + 2, r.backend_port);
  store_be32(tcp + 4, r.seq);
  store_be32(tcp + 8, r.ack);
  tcp[12] = 5 << 4;
  tcp[13] = kRst | kAck;
  if (r.version == 4) {
    ip[0] = 0x45;
    store_be16(ip + 2, static_cast<uint16_t>(l3 + 20));
    store_be16(ip + 6, 0x4000);  // DF
    ip[8] = 64;
    ip[9] = 6;
    std::memcpy(ip + 12, r.client.bytes.data(), 4);
    std::memcpy(ip + 16, r.backend.bytes.data(), 4);
    auto* h = reinterpret_cast<rte_ipv4_hdr*>(ip);
    h->hdr_checksum = rte_ipv4_cksum(h);
    const uint16_t sum = rte_ipv4_udptcp_cksum(h, tcp);
    std::memcpy(tcp + 16, &sum, 2);
  } else {
    ip[0] = 0x60;
    store_be16(ip + 4, 20);
    ip[6] = 6;
    ip[7] = 64;
    std::memcpy(ip + 8, r.client.bytes.data(), 16);
    std::memcpy(ip + 24, r.backend.bytes.data(), 16);
    const uint16_t sum = rte_ipv6_udptcp_cksum(reinterpret_cast<rte_ipv6_hdr*>(ip), tcp);
    std::memcpy(tcp + 16, &sum, 2);
  }
  return m;
}

}  // namespace gauntlet
