#include "dataplane/forward/fragment_output.h"

#include <algorithm>
#include <cstring>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dataplane/packet/headers.h"

namespace gauntlet {

namespace {

constexpr uint16_t kEther = 14, kMoreFragments = 0x2000, kOffsetMask = 0x1fff;

void finish_header(uint8_t* ip, uint16_t total, uint16_t flags_offset) noexcept {
  store_be16(ip + 2, total);
  store_be16(ip + 6, flags_offset);
  auto* h = reinterpret_cast<rte_ipv4_hdr*>(ip);
  h->hdr_checksum = 0;
  h->hdr_checksum = rte_ipv4_cksum(h);
}

}  // namespace

bool fragment_ipv4(rte_mbuf* m, uint16_t mtu, rte_mempool* pool, rte_mbuf*& rest) noexcept {
  rest = nullptr;
  if (!pool || m->nb_segs != 1 || rte_pktmbuf_data_len(m) < kEther + 20) return false;
  uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
  uint8_t* ip = f + kEther;
  const uint16_t ihl = static_cast<uint16_t>((ip[0] & 0x0f) * 4);
  const uint16_t total = load_be16(ip + 2);
  if ((ip[0] >> 4) != 4 || ihl < 20 || total <= mtu || total < ihl ||
      rte_pktmbuf_data_len(m) < kEther + total || mtu < ihl + 8)
    return false;
  const uint16_t word = load_be16(ip + 6);
  const uint16_t base = word & kOffsetMask;  // 8-byte units: this packet may be a fragment
  const uint16_t flags = word & ~(kOffsetMask | kMoreFragments);  // DF (clear here), reserved
  const bool more_after = word & kMoreFragments;
  const uint32_t payload = total - ihl;
  const uint16_t first = static_cast<uint16_t>((mtu - ihl) / 8 * 8);
  const uint16_t chunk = static_cast<uint16_t>((mtu - 20) / 8 * 8);
  rte_mbuf** tail = &rest;
  for (uint32_t off = first; off < payload; off += chunk) {
    const uint16_t len = static_cast<uint16_t>(std::min<uint32_t>(chunk, payload - off));
    rte_mbuf* x = rte_pktmbuf_alloc(pool);
    auto* d = x ? reinterpret_cast<uint8_t*>(rte_pktmbuf_append(x, kEther + 20 + len)) : nullptr;
    if (!d) {
      if (x) rte_pktmbuf_free(x);
      rte_pktmbuf_free(rest);  // the fragments so far, through their links
      rest = nullptr;
      return false;
    }
    std::memcpy(d, f, kEther);
    std::memcpy(d + kEther, ip, 20);
    d[kEther] = 0x45;
    std::memcpy(d + kEther + 20, ip + ihl + off, len);
    const bool more = off + len < payload || more_after;
    finish_header(d + kEther, static_cast<uint16_t>(20 + len),
                  static_cast<uint16_t>(flags | (more ? kMoreFragments : 0) | (base + off / 8)));
    *tail = x;
    tail = &x->next;
  }
  finish_header(ip, static_cast<uint16_t>(ihl + first),
                static_cast<uint16_t>(flags | kMoreFragments | base));
  rte_pktmbuf_trim(m, static_cast<uint16_t>(rte_pktmbuf_data_len(m) - (kEther + ihl + first)));
  return true;
}

}  // namespace gauntlet
