// Forward stage: static routing between the ports. Longest-prefix match on the
// destination (after NAT), TTL / hop limit decremented, next-hop MAC from the worker's
// neighbour cache. The TTL check itself runs earlier (ttl_stage, before flows are created
// and NAT rewrites anything), so an ICMP time-exceeded quotes the packet as it arrived. An
// unresolved next hop costs the packet: its mbuf becomes the ARP request / neighbour solicitation
// that resolves the next one.
#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_lpm.h>
#include <rte_mbuf.h>

#include "dataplane/forward/fragment_output.h"
#include "dataplane/forward/icmp_error.h"
#include "dataplane/neighbour/solicit.h"
#include "dataplane/packet/checksum.h"
#include "dataplane/pipeline/stages.h"

namespace gauntlet {

namespace {

void expire(const Tables& t, rte_mbuf* m, PacketContext& c) noexcept {
  const PortTable& in = t.ports[c.in_port];
  const bool v4 = c.parsed.ip_version == 4;
  if ((v4 ? in.has_v4 : in.has_v6) && icmp_error_allowed(c.parsed)) {
    write_time_exceeded(m, c.parsed, in.mac, v4 ? in.v4 : in.v6);
    c.stop_and_emit(Layer::forward, Reason::forward_ttl_exceeded, c.in_port);
  } else {
    c.decide(Layer::forward, Outcome::stop, Reason::forward_ttl_exceeded);
  }
}

void solicit(const Tables& t, rte_mbuf* m, PacketContext& c, uint8_t port,
             const IpAddress& hop) noexcept {
  const PortTable& out = t.ports[port];
  const bool v4 = c.parsed.ip_version == 4;
  c.next_hop = hop;
  if (!(v4 ? out.has_v4 : out.has_v6)) {
    c.decide(Layer::forward, Outcome::stop, Reason::forward_neighbour_unresolved);
    return;
  }
  if (v4)
    write_arp_request(m, out.mac, out.v4, hop);
  else
    write_neighbour_solicitation(m, out.mac, out.v6, hop);
  c.stop_and_emit(Layer::forward, Reason::forward_neighbour_unresolved, port);
}

// A packet larger than the MTU of the port it leaves by: IPv6 and IPv4 with DF set are answered
// with packet-too-big / fragmentation-needed from the port they came in on (RFC 4443 3.2,
// RFC 1191), quoting the packet as it is here (before TTL decrement); IPv4 with DF clear is
// fragmented once rewritten (true). SNAT flows leaving are checked earlier, before
// translation (nat_stage), so their errors quote the pod's own addresses.
bool too_big(const Tables& t, rte_mbuf* m, PacketContext& c, uint16_t mtu) noexcept {
  const ParsedPacket& p = c.parsed;
  const uint8_t* l3 = rte_pktmbuf_mtod_offset(m, const uint8_t*, p.l3_offset);
  const bool v4 = p.ip_version == 4;
  const uint32_t length = v4 ? load_be16(l3 + 2) : 40u + load_be16(l3 + 4);
  if (!mtu || length <= mtu) return false;
  if (v4 && !(l3[6] & 0x40)) return true;
  const Reason why = v4 ? Reason::forward_fragmentation_needed : Reason::forward_packet_too_big;
  const PortTable& in = t.ports[c.in_port];
  if ((v4 ? in.has_v4 : in.has_v6) && icmp_error_allowed(p)) {
    write_icmp_error(m, p, in.mac, v4 ? in.v4 : in.v6, IcmpError::too_big, mtu);
    c.stop_and_emit(Layer::forward, why, c.in_port);
  } else {
    c.decide(Layer::forward, Outcome::stop, why);
  }
  return false;
}

// Decrements TTL / hop limit (not a tunnel's new outer header), drops any VLAN tag and
// writes the Ethernet header.
void rewrite(rte_mbuf* m, PacketContext& c, const MacAddress& src, const MacAddress& dst) noexcept {
  uint8_t* l3 = rte_pktmbuf_mtod_offset(m, uint8_t*, c.parsed.l3_offset);
  if (c.encapsulated) {
    // gauntlet is the tunnel's entry: the outer header starts with its own TTL.
  } else if (c.parsed.ip_version == 4) {
    const uint16_t old_word = load_be16(l3 + 8);
    --l3[8];
    store_be16(l3 + 10, checksum_adjust(load_be16(l3 + 10), old_word, load_be16(l3 + 8)));
  } else {
    --l3[7];
  }
  if (c.parsed.has(kParseVlan)) {
    // Ports are untagged: move the MAC addresses up over the tag and drop 4 bytes.
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    std::memmove(f + 4, f, 12);
    rte_pktmbuf_adj(m, 4);
  }
  uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
  std::memcpy(f, dst.bytes.data(), 6);
  std::memcpy(f + 6, src.bytes.data(), 6);
  store_be16(f + 12, c.parsed.ip_version == 4 ? 0x0800 : 0x86dd);
}

// The last two next hops resolved in a burst: a burst mostly leaves through one gateway or a
// few backends, and the neighbour cache does not change while the stage runs. Both are
// compared without a branch between them, since traffic balanced over two backends takes
// one or the other at random.
class RecentHops {
 public:
  const MacAddress* find(uint8_t port, const IpAddress& hop, uint8_t version) const noexcept {
    // Masks rather than ?: so that the compiler does not branch on which entry matched.
    const uintptr_t first = matches(0, port, hop, version);
    const uintptr_t second = matches(1, port, hop, version) & !first;
    const uintptr_t mac = (-first & reinterpret_cast<uintptr_t>(mac_[0])) |
                          (-second & reinterpret_cast<uintptr_t>(mac_[1]));
    return reinterpret_cast<const MacAddress*>(mac);
  }
  void add(uint8_t port, const IpAddress& hop, uint8_t version, const MacAddress* mac) noexcept {
    port_[next_] = port;
    version_[next_] = version;
    hop_[next_] = hop;
    mac_[next_] = mac;
    next_ ^= 1;
  }

 private:
  bool matches(size_t e, uint8_t port, const IpAddress& hop, uint8_t version) const noexcept {
    return (mac_[e] != nullptr) & (port_[e] == port) & (version_[e] == version) & (hop_[e] == hop);
  }
  IpAddress hop_[2]{};
  const MacAddress* mac_[2] = {nullptr, nullptr};
  uint8_t port_[2] = {kNoPort, kNoPort};
  uint8_t version_[2] = {0, 0};
  size_t next_ = 0;
};

}  // namespace

void ttl_stage(Worker& w, Burst& b) noexcept {
  for (uint16_t i = 0; i < b.count; ++i) {
    PacketContext& c = b.ctx[i];
    if (!c.final && c.parsed.ip_version != 0 && c.parsed.ttl <= 1) expire(*w.tables, b.mbufs[i], c);
  }
}

void forward_stage(Worker& w, Burst& b) noexcept {
  const Tables& t = *w.tables;
  // First every destination, NAT's rewrite included (read from the packet, not the parse),
  // then the IPv4 ones looked up together (rte_lpm_lookup_bulk): the table is 64 MiB, so a
  // burst of destinations all over the internet overlaps its misses instead of waiting for
  // one after another, and no packet pays a call per lookup.
  IpAddress dsts[kBurstSize];
  const NextHop* routes[kBurstSize];
  uint32_t v4_dsts[kBurstSize], v4_entries[kBurstSize];
  uint8_t v4_packets[kBurstSize];
  uint16_t v4_count = 0;
  for (uint16_t i = 0; i < b.count; ++i) {
    const PacketContext& c = b.ctx[i];
    if (c.final) continue;
    const uint8_t* l3 = rte_pktmbuf_mtod_offset(b.mbufs[i], const uint8_t*, c.parsed.l3_offset);
    if (c.parsed.ip_version == 4) {
      dsts[i] = IpAddress::v4(l3 + 16);
      v4_dsts[v4_count] = rte_be_to_cpu_32(dsts[i].v4_be());
      v4_packets[v4_count++] = static_cast<uint8_t>(i);
    } else {
      dsts[i] = IpAddress::v6(l3 + 24);
      routes[i] = t.route(dsts[i], c.parsed.ip_version);
    }
  }
  if (v4_count) rte_lpm_lookup_bulk(t.lpm4, v4_dsts, v4_entries, v4_count);
  for (uint16_t k = 0; k < v4_count; ++k) {
    const uint32_t entry = v4_entries[k];
    routes[v4_packets[k]] =
        t.route_or_default(entry & RTE_LPM_LOOKUP_SUCCESS, entry & 0x00ffffffu, 4);
  }
  RecentHops recent;
  for (uint16_t i = 0; i < b.count; ++i) {
    PacketContext& c = b.ctx[i];
    if (c.final) continue;
    const ParsedPacket& p = c.parsed;
    rte_mbuf* m = b.mbufs[i];
    const IpAddress& dst = dsts[i];
    const NextHop* route = routes[i];
    if (!route) {
      c.decide(Layer::forward, Outcome::stop, Reason::forward_no_route);
      continue;
    }
    const IpAddress& hop = route->has_gateway ? route->gateway : dst;
    const MacAddress* mac = recent.find(route->port, hop, p.ip_version);
    if (!mac) [[unlikely]] {
      mac = w.neighbours.lookup(route->port, hop, p.ip_version);
      if (mac) recent.add(route->port, hop, p.ip_version, mac);
    }
    if (!mac) {
      solicit(t, m, c, route->port, hop);
      continue;
    }
    const uint16_t mtu = t.ports[route->port].mtu;
    const bool fragment = too_big(t, m, c, mtu);
    if (c.final) continue;
    rewrite(m, c, t.ports[route->port].mac, *mac);
    c.next_hop = hop;
    if (fragment) {
      // The fragments after the first follow it as its companions (pipeline dispose).
      rte_mbuf* rest = nullptr;
      if (c.companion || !fragment_ipv4(m, mtu, w.pool, rest)) {
        c.decide(Layer::forward, Outcome::stop, Reason::forward_fragment_no_buffer);
        continue;
      }
      c.companion = rest;
      c.companion_port = route->port;
    }
    c.out_port = route->port;
    c.decide(Layer::forward, Outcome::forward,
             fragment ? Reason::forward_fragmented : Reason::forward_routed);
  }
}

}  // namespace gauntlet
