// Parse stage: headers checked, then the Ethernet destination: a frame not addressed to
// the port (its MAC, broadcast for ARP, IPv6 multicast) is not ours to route.
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dataplane/pipeline/stages.h"

namespace gauntlet {

namespace {

bool addressed_to_port(const uint8_t* frame, const ParsedPacket& p,
                       const MacAddress& port_mac) noexcept {
  MacAddress dst;
  std::memcpy(dst.bytes.data(), frame, 6);
  if (dst == port_mac) return true;
  static constexpr MacAddress kBroadcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
  if (dst == kBroadcast) return p.ether_type == 0x0806;
  // IPv6 multicast (33:33:...): neighbour discovery and the like.
  return dst.bytes[0] == 0x33 && dst.bytes[1] == 0x33 && p.ip_version == 6;
}

}  // namespace

void parse_stage(Worker& w, Burst& b) noexcept {
  for (uint16_t i = 0; i < b.count; ++i) {
    if (i + 1 < b.count) rte_prefetch0(rte_pktmbuf_mtod(b.mbufs[i + 1], void*));
    rte_mbuf* m = b.mbufs[i];
    PacketContext& c = b.ctx[i];
    const uint8_t* frame = rte_pktmbuf_mtod(m, const uint8_t*);
    const bool verified =
        (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD;
    const Reason r = parse_packet(frame, rte_pktmbuf_data_len(m), c.parsed, verified);
    if (r != Reason::none) {
      c.decide(Layer::parse, Outcome::stop, r);
    } else if (!addressed_to_port(frame, c.parsed, w.tables->ports[c.in_port].mac)) {
      c.decide(Layer::parse, Outcome::consume, Reason::l2_not_for_us);
    } else {
      c.decide(Layer::parse, Outcome::pass, Reason::none);
    }
  }
}

}  // namespace gauntlet
