// Tunnel stage (forwarding: dsr-ipip): a packet of a tunnelled flow, going from the client to
// the VIP, is sent to its backend unchanged inside an outer header: IPv4 protocol 4 (RFC 2003)
// or IPv6 next header 41 (RFC 2473), from the inside port's address to the backend's. The
// backend decapsulates it, finds the VIP on its own loopback, and answers the client directly.
// The backend is the one conntrack pinned (FlowEntry::nat_addr), chosen by Maglev, so another
// gauntlet with the same tables sends the same flow to the same backend.
//
// A packet that would not fit the inside port's MTU once wrapped is not fragmented: with DF
// (always, for IPv6) the client gets ICMP fragmentation needed / packet too big from the VIP,
// naming the MTU that fits, and lowers its path MTU; without DF it is dropped.
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dataplane/forward/icmp_error.h"
#include "dataplane/pipeline/stages.h"

namespace gauntlet {

namespace {

constexpr uint8_t kOuterTtl = 64;
constexpr uint8_t kInside = static_cast<uint8_t>(PortRole::inside);

void too_big(const Tables& t, rte_mbuf* m, PacketContext& c, uint16_t fits) noexcept {
  const ParsedPacket& p = c.parsed;
  const uint8_t* ip = rte_pktmbuf_mtod_offset(m, const uint8_t*, p.l3_offset);
  const bool dont_fragment = p.ip_version == 6 || (load_be16(ip + 6) & 0x4000) != 0;
  if (!dont_fragment) {
    c.decide(Layer::loadbalancer, Outcome::stop, Reason::lb_dsr_too_big);
    return;
  }
  if (!icmp_error_allowed(p)) {
    c.decide(Layer::loadbalancer, Outcome::stop, Reason::lb_dsr_fragmentation_needed);
    return;
  }
  // From the VIP, the address the client talked to (as the load balancer's other errors).
  write_icmp_error(m, p, t.ports[c.in_port].mac, p.dst, IcmpError::too_big, fits);
  c.stop_and_emit(Layer::loadbalancer, Reason::lb_dsr_fragmentation_needed, c.in_port);
}

// Prepends the outer header between the Ethernet header and the packet. False when the mbuf
// has no headroom for it (nothing changed then).
bool encapsulate(rte_mbuf* m, const ParsedPacket& p, const IpAddress& source,
                 const IpAddress& backend) noexcept {
  const bool v4 = p.ip_version == 4;
  const uint16_t outer = v4 ? 20 : 40;
  const uint16_t inner_len = static_cast<uint16_t>(p.l3_end - p.l3_offset);
  // Ethernet padding after the datagram would end up inside the outer packet's length.
  const uint32_t frame_len = rte_pktmbuf_pkt_len(m);
  if (frame_len > p.l3_end) rte_pktmbuf_trim(m, static_cast<uint16_t>(frame_len - p.l3_end));
  auto* f = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, outer));
  if (!f) return false;
  std::memmove(f, f + outer, p.l3_offset);  // the Ethernet header (and tag) to the front
  uint8_t* ip = f + p.l3_offset;
  const uint8_t* inner = ip + outer;
  if (v4) {
    ip[0] = 0x45;
    ip[1] = inner[1];  // DSCP and ECN copied (RFC 2003 3.1, RFC 6040 normal mode)
    store_be16(ip + 2, static_cast<uint16_t>(inner_len + outer));
    std::memcpy(ip + 4, inner + 4, 2);                  // the inner id: unique per sender
    store_be16(ip + 6, load_be16(inner + 6) & 0x4000);  // DF as the inner packet's, no offset
    ip[8] = kOuterTtl;
    ip[9] = 4;  // IP-in-IP
    ip[10] = ip[11] = 0;
    std::memcpy(ip + 12, source.bytes.data(), 4);
    std::memcpy(ip + 16, backend.bytes.data(), 4);
    auto* h = reinterpret_cast<rte_ipv4_hdr*>(ip);
    h->hdr_checksum = rte_ipv4_cksum(h);
  } else {
    std::memcpy(ip, inner, 4);  // version, traffic class and flow label (RFC 6438) copied
    store_be16(ip + 4, inner_len);
    ip[6] = 41;  // IPv6-in-IPv6
    ip[7] = kOuterTtl;
    std::memcpy(ip + 8, source.bytes.data(), 16);
    std::memcpy(ip + 24, backend.bytes.data(), 16);
  }
  return true;
}

}  // namespace

void tunnel_stage(Worker& w, Burst& b) noexcept {
  const Tables& t = *w.tables;
  const PortTable& inside = t.ports[kInside];
  // An inside port without `mtu:` is taken as Ethernet's 1500 for the tunnel's headroom.
  const uint32_t link_mtu = inside.mtu ? inside.mtu : 1500;
  for (uint16_t i = 0; i < b.count; ++i) {
    PacketContext& c = b.ctx[i];
    // An ICMP error about the flow that travels its original way (toward the VIP: about a
    // reply the backend sent) goes to the backend as it is, so its kernel sees it.
    if (c.final || !c.flow ||
        (c.tracking != Tracking::tracked && c.tracking != Tracking::related) ||
        c.flow_dir != static_cast<uint8_t>(FlowDirection::original) || !c.flow->tunnelled())
      continue;
    const ParsedPacket& p = c.parsed;
    const bool v4 = p.ip_version == 4;
    const uint16_t outer = v4 ? 20 : 40;
    if (uint32_t{p.l3_end} - p.l3_offset + outer > link_mtu) {
      too_big(t, b.mbufs[i], c, static_cast<uint16_t>(link_mtu - outer));
      continue;
    }
    // The source was checked with the config; a reload may since have taken it away.
    if (!(v4 ? inside.has_v4 : inside.has_v6) ||
        !encapsulate(b.mbufs[i], p, v4 ? inside.v4 : inside.v6, c.flow->nat_addr)) {
      c.decide(Layer::loadbalancer, Outcome::stop, Reason::lb_dsr_encap_failed);
      continue;
    }
    c.encapsulated = true;
    c.decide(Layer::loadbalancer, Outcome::pass, Reason::lb_dsr_ipip, c.flow->backend & 0xffff);
  }
}

}  // namespace gauntlet
