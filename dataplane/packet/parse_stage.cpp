// Parse stage: headers checked, then the Ethernet destination: a frame not addressed to
// the port (its MAC, broadcast for ARP, IPv6 multicast) is not ours to route.
#include <cstring>

#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dataplane/packet/rx_offload.h"
#include "dataplane/pipeline/stages.h"

namespace gauntlet {

namespace {

// A MAC address as the low 48 bits of a word, for one compare instead of a 6-byte memcmp.
uint64_t mac_bits(const uint8_t* p) noexcept {
  uint32_t head;
  uint16_t tail;
  std::memcpy(&head, p, 4);
  std::memcpy(&tail, p + 4, 2);
  return uint64_t{head} | uint64_t{tail} << 32;
}

// A frame not addressed to the port's own MAC: broadcast is ours for ARP, IPv6 multicast
// (33:33:...) for neighbour discovery and the like.
bool addressed_to_all(const uint8_t* frame, const ParsedPacket& p) noexcept {
  if (mac_bits(frame) == 0xffffffffffffu) return p.ether_type == 0x0806;
  return frame[0] == 0x33 && frame[1] == 0x33 && p.ip_version == 6;
}

}  // namespace

void parse_stage(Worker& w, Burst& b) noexcept {
  static_assert(kPortCount == 2);
  const uint64_t port_macs[2] = {mac_bits(w.tables->ports[0].mac.bytes.data()),
                                 mac_bits(w.tables->ports[1].mac.bytes.data())};
  for (uint16_t i = 0; i < b.count; ++i) {
    if (i + 1 < b.count) rte_prefetch0(rte_pktmbuf_mtod(b.mbufs[i + 1], void*));
    rte_mbuf* m = b.mbufs[i];
    PacketContext& c = b.ctx[i];
    const uint8_t* frame = rte_pktmbuf_mtod(m, const uint8_t*);
    const Reason r =
        parse_packet(frame, rte_pktmbuf_data_len(m), c.parsed, rx_ipv4_checksum_good(m));
    if (r != Reason::none) {
      c.decide(Layer::parse, Outcome::stop, r);
    } else if (mac_bits(frame) != port_macs[c.in_port] && !addressed_to_all(frame, c.parsed)) {
      c.decide(Layer::parse, Outcome::consume, Reason::l2_not_for_us);
    } else {
      c.decide(Layer::parse, Outcome::pass, Reason::none);
    }
  }
}

}  // namespace gauntlet
