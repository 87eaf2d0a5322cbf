// Local stage: packets addressed to gauntlet itself. Echo requests to a port address are
// answered (operators ping their gateway); anything else for us is stopped; multicast and
// broadcast that no layer asked for are ignored rather than routed.
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dataplane/neighbour/solicit.h"
#include "dataplane/packet/checksum.h"
#include "dataplane/pipeline/stages.h"

namespace gauntlet {

namespace {

bool is_multicast_or_broadcast(const ParsedPacket& p) noexcept {
  if (p.ip_version == 6) return p.dst.bytes[0] == 0xff;
  return p.dst.bytes[0] >= 224;  // class D multicast, class E and 255.255.255.255
}

void answer_echo(const Tables& t, rte_mbuf* m, PacketContext& c) noexcept {
  const ParsedPacket& p = c.parsed;
  uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
  uint8_t mac[6];
  std::memcpy(mac, f + 6, 6);
  std::memcpy(f, mac, 6);
  std::memcpy(f + 6, t.ports[c.in_port].mac.bytes.data(), 6);
  uint8_t* l3 = f + p.l3_offset;
  uint8_t* icmp = f + p.l4_offset;
  if (p.ip_version == 4) {
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(l3);
    const rte_be32_t src = ip->src_addr;  // checksum unchanged: the same words, swapped
    ip->src_addr = ip->dst_addr;
    ip->dst_addr = src;
    const uint16_t old_word = load_be16(l3 + 8);
    l3[8] = 64;  // a fresh TTL, as any host answering
    ip->hdr_checksum = rte_cpu_to_be_16(
        checksum_adjust(rte_be_to_cpu_16(ip->hdr_checksum), old_word, load_be16(l3 + 8)));
    const uint16_t old_type = load_be16(icmp);
    icmp[0] = 0;  // echo reply
    store_be16(icmp + 2, checksum_adjust(load_be16(icmp + 2), old_type, load_be16(icmp)));
  } else {
    uint8_t tmp[16];
    std::memcpy(tmp, l3 + 8, 16);
    std::memcpy(l3 + 8, l3 + 24, 16);
    std::memcpy(l3 + 24, tmp, 16);
    l3[7] = 64;
    const uint16_t old_type = load_be16(icmp);
    icmp[0] = 129;  // echo reply; the pseudo-header sum is unchanged by the swap
    store_be16(icmp + 2, checksum_adjust(load_be16(icmp + 2), old_type, load_be16(icmp)));
  }
  c.decide(Layer::local, Outcome::answer, Reason::echo_request_answered);
  c.out_port = c.in_port;
}

}  // namespace

void local_stage(Worker& w, Burst& b) noexcept {
  const Tables& t = *w.tables;
  for (uint16_t i = 0; i < b.count; ++i) {
    PacketContext& c = b.ctx[i];
    // Packets of a flow (replies to the NAT address included) are not for gauntlet itself.
    if (c.final || c.parsed.ip_version == 0 || c.flow) continue;
    const ParsedPacket& p = c.parsed;
    if (is_multicast_or_broadcast(p)) {
      c.decide(Layer::local, Outcome::consume, Reason::local_multicast_ignored);
      continue;
    }
    if (t.owner_of(p.dst, p.ip_version) == kNoPort) continue;
    // A later fragment of a reply to a SNAT mapping, ahead of its first fragment: conntrack
    // holds it for it (conntrack/fragment_hold.h).
    if (p.has(kParseLaterFragment) && c.tracking == Tracking::untracked && t.snat.enabled &&
        p.ip_version == 4 && p.dst == t.snat.address)
      continue;
    const uint8_t echo_request = p.ip_version == 4 ? 8 : 128;
    const uint8_t icmp_proto = p.ip_version == 4 ? 1 : 58;
    if (p.l4_proto == icmp_proto && p.has(kParseL4) && !p.has(kParseFragment) &&
        p.icmp_type == echo_request && p.icmp_code == 0)
      answer_echo(t, b.mbufs[i], c);
    else if (t.service_at(p.dst, p.ip_version))
      continue;  // a VIP: the load balancer's
    else
      c.decide(Layer::local, Outcome::stop, Reason::local_unsupported);
  }
}

}  // namespace gauntlet
