// Neighbour stage: answers ARP requests and IPv6 neighbour solicitations for the port's
// own addresses, and learns neighbours from ARP/ND addressed to us (as Linux does: no
// learning from requests for someone else). Other packets pass untouched, without a step.
#include <rte_mbuf.h>

#include "dataplane/neighbour/solicit.h"
#include "dataplane/pipeline/stages.h"

namespace gauntlet {

namespace {

constexpr uint16_t kArpRequest = 1, kArpReply = 2;
constexpr uint8_t kNdSolicit = 135, kNdAdvert = 136;

bool on_link(const Tables& t, uint8_t port, const IpAddress& a, uint8_t version) noexcept {
  for (const Prefix& p : t.ports[port].prefixes)
    if (p.contains(a, version)) return true;
  return false;
}

// Learns locally and tells the control core, which passes it on to the other workers.
Reason learn(Worker& w, PacketContext& c, const IpAddress& a, uint8_t version,
             const MacAddress& mac) noexcept {
  const auto result = w.neighbours.learn(c.in_port, a, version, mac);
  if (result == NeighbourTable::Learn::full) return Reason::neighbour_table_full;
  if (result == NeighbourTable::Learn::added || result == NeighbourTable::Learn::updated) {
    Record r;
    r.kind = RecordKind::neighbour_learned;
    r.in_port = c.in_port;
    r.ip_version = version;
    r.src = a;
    r.mac = mac;
    r.worker = w.id;
    r.time_ns = c.time_ns;
    if (!w.to_control.push(r)) w.counters.records_lost.add();
  }
  return Reason::neighbour_learned;
}

void handle_arp(Worker& w, rte_mbuf* m, PacketContext& c) noexcept {
  const Tables& t = *w.tables;
  uint8_t* arp = rte_pktmbuf_mtod_offset(m, uint8_t*, c.parsed.l3_offset);
  const uint16_t op = load_be16(arp + 6);
  MacAddress sender_mac;
  std::memcpy(sender_mac.bytes.data(), arp + 8, 6);
  const IpAddress& sender = c.parsed.src;
  const IpAddress& target = c.parsed.dst;
  if (sender_mac.is_multicast() || sender_mac.is_zero() || t.owner_of(sender, 4) != kNoPort) {
    c.decide(Layer::neighbour, Outcome::stop, Reason::neighbour_bad_source);
    return;
  }
  const bool for_us = t.owner_of(target, 4) == c.in_port;
  const bool gratuitous = sender == target;
  if (op != kArpRequest && op != kArpReply) {
    c.decide(Layer::neighbour, Outcome::stop, Reason::neighbour_unsupported);
    return;
  }
  if (!for_us && !gratuitous) {
    c.decide(Layer::neighbour, Outcome::consume, Reason::neighbour_not_for_us);
    return;
  }
  Reason learned = Reason::neighbour_not_for_us;
  if (sender.v4_be() != 0 && on_link(t, c.in_port, sender, 4))
    learned = learn(w, c, sender, 4, sender_mac);
  if (op == kArpReply || !for_us) {
    c.decide(Layer::neighbour, Outcome::consume, learned);
    return;
  }
  // Answer in place: the request becomes the reply.
  const MacAddress& mine = t.ports[c.in_port].mac;
  uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
  std::memcpy(f, sender_mac.bytes.data(), 6);
  std::memcpy(f + 6, mine.bytes.data(), 6);
  store_be16(arp + 6, kArpReply);
  std::memcpy(arp + 18, sender_mac.bytes.data(), 6);
  std::memcpy(arp + 24, sender.bytes.data(), 4);
  std::memcpy(arp + 8, mine.bytes.data(), 6);
  std::memcpy(arp + 14, target.bytes.data(), 4);
  c.decide(Layer::neighbour, Outcome::answer, Reason::arp_request_answered);
  c.out_port = c.in_port;
}

// Finds the link-layer address option `type` in an NS/NA body; false when malformed.
bool nd_link_option(const uint8_t* opt, const uint8_t* end, uint8_t type,
                    const uint8_t*& mac) noexcept {
  mac = nullptr;
  while (opt < end) {
    if (end - opt < 2 || opt[1] == 0 || end - opt < opt[1] * 8) return false;
    if (opt[0] == type && opt[1] == 1) mac = opt + 2;
    opt += opt[1] * 8;
  }
  return true;
}

void handle_nd(Worker& w, rte_mbuf* m, PacketContext& c) noexcept {
  const Tables& t = *w.tables;
  const ParsedPacket& p = c.parsed;
  const uint8_t* icmp = rte_pktmbuf_mtod_offset(m, const uint8_t*, p.l4_offset);
  const uint8_t* end = rte_pktmbuf_mtod_offset(m, const uint8_t*, p.l3_end);
  const uint8_t* link = nullptr;
  if (p.ttl != 255 || p.icmp_code != 0 || end - icmp < 24 ||
      !nd_link_option(icmp + 24, end, p.icmp_type == kNdSolicit ? 1 : 2, link)) {
    c.decide(Layer::neighbour, Outcome::stop, Reason::neighbour_malformed);
    return;
  }
  const IpAddress target = IpAddress::v6(icmp + 8);
  const bool unspecified_source = p.src == IpAddress{};
  const bool for_us = t.owner_of(target, 6) == c.in_port;
  if (t.owner_of(p.src, 6) != kNoPort) {
    c.decide(Layer::neighbour, Outcome::stop, Reason::neighbour_bad_source);
    return;
  }
  MacAddress link_mac;
  if (link) std::memcpy(link_mac.bytes.data(), link, 6);
  if (p.icmp_type == kNdAdvert) {
    Reason r = Reason::neighbour_not_for_us;
    if (link && !link_mac.is_multicast() && on_link(t, c.in_port, target, 6))
      r = learn(w, c, target, 6, link_mac);
    c.decide(Layer::neighbour, Outcome::consume, r);
    return;
  }
  // A solicitation from "::" is duplicate address detection: not ours to answer.
  if (!for_us || unspecified_source) {
    c.decide(Layer::neighbour, Outcome::consume, Reason::neighbour_not_for_us);
    return;
  }
  if (link && !link_mac.is_multicast() && on_link(t, c.in_port, p.src, 6))
    learn(w, c, p.src, 6, link_mac);
  MacAddress to_mac;
  if (link)
    to_mac = link_mac;
  else
    std::memcpy(to_mac.bytes.data(), rte_pktmbuf_mtod_offset(m, uint8_t*, 6), 6);
  const IpAddress to = p.src;
  write_neighbour_advertisement(m, p.l3_offset, t.ports[c.in_port].mac, to_mac, target, to);
  c.decide(Layer::neighbour, Outcome::answer, Reason::nd_solicitation_answered);
  c.out_port = c.in_port;
}

}  // namespace

void neighbour_stage(Worker& w, Burst& b) noexcept {
  for (uint16_t i = 0; i < b.count; ++i) {
    PacketContext& c = b.ctx[i];
    if (c.final) continue;
    const ParsedPacket& p = c.parsed;
    if (p.ether_type == 0x0806) {
      handle_arp(w, b.mbufs[i], c);
    } else if (p.ip_version == 6 && p.l4_proto == 58 && p.has(kParseL4) && p.icmp_type >= 133 &&
               p.icmp_type <= 137) {
      if (p.icmp_type == kNdSolicit || p.icmp_type == kNdAdvert)
        handle_nd(w, b.mbufs[i], c);
      else  // router solicitation/advertisement, redirect: gauntlet is configured, not
            // autoconfigured
        c.decide(Layer::neighbour, Outcome::consume, Reason::neighbour_unsupported);
    }
  }
}

}  // namespace gauntlet
