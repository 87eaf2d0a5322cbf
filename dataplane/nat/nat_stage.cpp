// NAT stage: packets of SNAT flows get their translation. Leaving (original direction)
// the source becomes the public address and port; replies get the pod back as
// destination. ICMP errors about a NATed flow are translated outside and inside: the
// outer address and the quoted packet (RFC 5508), then the ICMP checksum is recomputed.
#include <rte_mbuf.h>

#include "dataplane/forward/icmp_error.h"
#include "dataplane/nat/flow_mapping.h"
#include "dataplane/nat/icmp_inner.h"
#include "dataplane/nat/translate.h"
#include "dataplane/pipeline/stages.h"

namespace gauntlet {

namespace {

// The L4 field that NAT rewrites: TCP/UDP source (0) or destination (2) port; ICMP echo id.
uint8_t* port_field(uint8_t* l4, uint8_t proto, bool source) noexcept {
  if (proto == 6 || proto == 17) return l4 + (source ? 0 : 2);
  return l4 + 4;
}

// A packet of a DNAT flow (load-balanced, or let in on a pod's mapping): to the backend or
// pod, and back from the VIP or public address:port.
void translate_dnat(uint8_t* frame, const ParsedPacket& p, const FlowEntry& e,
                    FlowDirection dir) noexcept {
  uint8_t* ip = frame + p.l3_offset;
  uint8_t* l4 = frame + p.l4_offset;
  const bool has_l4 = !p.has(kParseLaterFragment);  // see translate_packet
  const L4Checksum sum =
      has_l4 ? l4_checksum(l4, p.l3_end - p.l4_offset, p.l4_proto) : L4Checksum{};
  const FlowEndpoint vip = e.original_destination();
  const bool to_backend = dir == FlowDirection::original;
  const IpAddress& address = to_backend ? e.nat_addr : vip.addr;
  HeaderRewrite r(p.ip_version == 4 ? ip : nullptr, sum);
  if (p.ip_version == 4)
    r.ipv4_address(ip + (to_backend ? 16 : 12), address);
  else
    r.ipv6_address(ip + (to_backend ? 24 : 8), address);
  if (has_l4) r.port(port_field(l4, p.l4_proto, !to_backend), to_backend ? e.nat_port : vip.port);
  r.commit();
}

// A packet of an SNAT flow. `hairpin_to`: for a hairpinned flow, the pod behind the public
// address:port it was sent to (its destination too is translated, both ways).
// Later fragments have no L4 header: only their IP header is translated (the first
// fragment's L4 checksum already covers the whole datagram's change).
void translate_packet(uint8_t* frame, const ParsedPacket& p, const FlowEntry& e, FlowDirection dir,
                      const FlowEndpoint* hairpin_to) noexcept {
  uint8_t* ip = frame + p.l3_offset;
  uint8_t* l4 = frame + p.l4_offset;
  const bool has_l4 = !p.has(kParseLaterFragment);
  const L4Checksum sum =
      has_l4 ? l4_checksum(l4, p.l3_end - p.l4_offset, p.l4_proto) : L4Checksum{};
  const FlowEndpoint internal = e.original_source();
  const bool leaving = dir == FlowDirection::original;
  HeaderRewrite r(ip, sum);
  r.ipv4_address(ip + (leaving ? 12 : 16), leaving ? e.nat_addr : internal.addr);
  if (has_l4) r.port(port_field(l4, p.l4_proto, leaving), leaving ? e.nat_port : internal.port);
  if (hairpin_to) {
    // The other end: the target pod going there, its public address:port coming back.
    const FlowEndpoint other = leaving ? *hairpin_to : e.original_destination();
    r.ipv4_address(ip + (leaving ? 16 : 12), other.addr);
    if (has_l4) r.port(port_field(l4, p.l4_proto, !leaving), other.port);
  }
  r.commit();
}

// An ICMP error about the flow: `dir` is the direction the error travels. The flow's
// translated end: an SNAT flow's source, an inbound flow's destination.
void translate_error(uint8_t* frame, const ParsedPacket& p, const QuotedPacket& q,
                     const FlowEntry& e, FlowDirection dir) noexcept {
  uint8_t* ip = frame + p.l3_offset;
  const bool source = e.nat() == NatKind::source;
  const FlowEndpoint internal = source ? e.original_source() : FlowEndpoint{e.nat_addr, e.nat_port};
  const FlowEndpoint external =
      source ? FlowEndpoint{e.nat_addr, e.nat_port} : e.original_destination();
  const bool leaving = (dir == FlowDirection::original) == source;
  // Outer header: no L4 checksum of its own to fix here (the ICMP one is recomputed).
  set_ipv4_address(ip, ip + (leaving ? 12 : 16), leaving ? external.addr : internal.addr,
                   L4Checksum{});
  // The quoted packet went the other way: its destination (leaving) or source is ours.
  uint8_t* qip = frame + q.l3_offset;
  uint8_t* ql4 = frame + q.l4_offset;
  const L4Checksum qsum = l4_checksum(ql4, q.end - q.l4_offset, q.proto);
  set_ipv4_address(qip, qip + (leaving ? 16 : 12), leaving ? external.addr : internal.addr, qsum);
  set_port(port_field(ql4, q.proto, !leaving), leaving ? external.port : internal.port, qsum);
  recompute_icmp4_checksum(frame + p.l4_offset, p.l3_end - p.l4_offset);
}

// An ICMP error about a load-balanced (DNAT) flow, IPv4 or IPv6, `dir` the way it travels.
// Toward the VIP (original): an error from the client's side about a reply the client saw
// from the VIP (fragmentation needed on the way back, port unreachable) goes to the backend,
// and the quote shows the reply as the backend sent it. Toward the client (reply): an error
// about a packet sent on to the backend comes from the VIP, quoting the packet as the client
// sent it. As Linux does it, the outer address is the mapping's whatever node wrote the error.
void translate_dnat_error(uint8_t* frame, const ParsedPacket& p, const QuotedPacket& q,
                          const FlowEntry& e, FlowDirection dir) noexcept {
  uint8_t* ip = frame + p.l3_offset;
  uint8_t* qip = frame + q.l3_offset;
  uint8_t* ql4 = frame + q.l4_offset;
  const FlowEndpoint vip = e.original_destination();
  const FlowEndpoint backend{e.nat_addr, e.nat_port};
  const bool to_backend = dir == FlowDirection::original;
  const FlowEndpoint& to = to_backend ? backend : vip;
  // Toward the backend: the outer destination and the quote's source are the VIP's;
  // toward the client, the outer source and the quote's destination are the backend's.
  const L4Checksum qsum = l4_checksum(ql4, q.end - q.l4_offset, q.proto);
  if (p.ip_version == 4) {
    set_ipv4_address(ip, ip + (to_backend ? 16 : 12), to.addr, L4Checksum{});
    set_ipv4_address(qip, qip + (to_backend ? 12 : 16), to.addr, qsum);
  } else {
    set_ipv6_address(ip + (to_backend ? 24 : 8), to.addr, L4Checksum{});
    set_ipv6_address(qip + (to_backend ? 8 : 24), to.addr, qsum);
  }
  set_port(port_field(ql4, q.proto, to_backend), to.port, qsum);
  if (p.ip_version == 4)
    recompute_icmp4_checksum(frame + p.l4_offset, p.l3_end - p.l4_offset);
  else
    recompute_icmp6_checksum(ip, frame + p.l4_offset, p.l3_end - p.l4_offset);
}

// An ICMP error about a hairpinned flow (RFC 5508 REQ-7), sent by (or about a packet from)
// one pod and bound for the other, `dir` the way it travels. Each pod knows itself by its own
// address:port and the other by the public address:port of the other's mapping: the error
// reaches the pod that sent the quoted packet, from the public address, quoting that packet
// as that pod sent it.
void translate_hairpin_error(uint8_t* frame, const ParsedPacket& p, const QuotedPacket& q,
                             const FlowEntry& e, FlowDirection dir,
                             const FlowEndpoint& target) noexcept {
  const FlowEndpoint initiator = e.original_source();
  const bool to_initiator = dir == FlowDirection::reply;
  const FlowEndpoint& pod = to_initiator ? initiator : target;
  const uint16_t other_public = to_initiator ? e.original_destination().port : e.nat_port;
  uint8_t* ip = frame + p.l3_offset;
  set_ipv4_address(ip, ip + 12, e.nat_addr, L4Checksum{});
  set_ipv4_address(ip, ip + 16, pod.addr, L4Checksum{});
  uint8_t* qip = frame + q.l3_offset;
  uint8_t* ql4 = frame + q.l4_offset;
  const L4Checksum qsum = l4_checksum(ql4, q.end - q.l4_offset, q.proto);
  set_ipv4_address(qip, qip + 12, pod.addr, qsum);
  set_port(port_field(ql4, q.proto, true), pod.port, qsum);
  set_ipv4_address(qip, qip + 16, e.nat_addr, qsum);
  set_port(port_field(ql4, q.proto, false), other_public, qsum);
  recompute_icmp4_checksum(frame + p.l4_offset, p.l3_end - p.l4_offset);
}

// RFC 4787 REQ-13 (and the same for TCP): a datagram leaving through the NAT that is larger than
// the outside port's MTU, with DF set, is answered with fragmentation-needed (type 3 code 4,
// the MTU as next-hop MTU) from the inside address, before translation, so that the quote is
// the packet as the pod sent it. With DF clear it is translated and fragmented on output
// (forward_stage).
bool refuse_too_big(const Tables& t, rte_mbuf* m, PacketContext& c) noexcept {
  const uint16_t mtu = t.ports[static_cast<uint8_t>(PortRole::outside)].mtu;
  const ParsedPacket& p = c.parsed;
  if (!mtu || p.ip_version != 4) return false;
  const uint8_t* ip = rte_pktmbuf_mtod_offset(m, const uint8_t*, p.l3_offset);
  if (load_be16(ip + 2) <= mtu || !(ip[6] & 0x40)) return false;
  const PortTable& in = t.ports[c.in_port];
  if (in.has_v4 && icmp_error_allowed(p)) {
    write_icmp_error(m, p, in.mac, in.v4, IcmpError::too_big, mtu);
    c.stop_and_emit(Layer::nat, Reason::nat_fragmentation_needed, c.in_port);
  } else {
    c.decide(Layer::nat, Outcome::stop, Reason::nat_fragmentation_needed);
  }
  return true;
}

// The pod behind the public port a hairpinned flow was sent to; null when its mapping is gone.
const PortMapping* hairpin_target(Worker& w, const FlowEntry& e) noexcept {
  return w.nat.mapping(*nat_protocol_of(e.key.proto), e.original_destination().port);
}

}  // namespace

void nat_stage(Worker& w, Burst& b) noexcept {
  for (uint16_t i = 0; i < b.count; ++i) {
    PacketContext& c = b.ctx[i];
    if (c.final || !c.flow || c.flow->nat() == NatKind::none) continue;
    uint8_t* frame = rte_pktmbuf_mtod(b.mbufs[i], uint8_t*);
    const FlowEntry& e = *c.flow;
    const auto dir = static_cast<FlowDirection>(c.flow_dir);
    if (c.tracking == Tracking::related) {
      QuotedPacket q;
      if (e.nat() == NatKind::destination) {
        if (!parse_quoted_packet(frame, c.parsed, q)) {
          c.decide(Layer::nat, Outcome::stop, Reason::nat_no_mapping);
          continue;
        }
        translate_dnat_error(frame, c.parsed, q, e, dir);
        continue;
      }
      // A hairpinned flow lives inside: an error about it from outside is forged.
      const bool hairpin = is_hairpin(e);
      const PortMapping* target = hairpin ? hairpin_target(w, e) : nullptr;
      if (!parse_quoted_packet(frame, c.parsed, q) ||
          (hairpin && (!target || c.direction != Direction::egress))) {
        c.decide(Layer::nat, Outcome::stop, Reason::nat_no_mapping);
        continue;
      }
      if (hairpin)
        translate_hairpin_error(frame, c.parsed, q, e, dir,
                                {target->internal_addr, target->internal_port});
      else
        translate_error(frame, c.parsed, q, e, dir);
    } else if (translates_destination(e.nat())) {
      translate_dnat(frame, c.parsed, e, dir);
    } else if (is_hairpin(e)) {
      // The target pod's mapping: this flow holds a share of it, so it is still there.
      const PortMapping* m = hairpin_target(w, e);
      if (!m) {
        c.decide(Layer::nat, Outcome::stop, Reason::nat_no_mapping);
        continue;
      }
      const FlowEndpoint target{m->internal_addr, m->internal_port};
      translate_packet(frame, c.parsed, e, dir, &target);
    } else {
      if (dir == FlowDirection::original && refuse_too_big(*w.tables, b.mbufs[i], c)) continue;
      translate_packet(frame, c.parsed, e, dir, nullptr);
    }
    c.decide(Layer::nat, Outcome::pass,
             dir == FlowDirection::original ? Reason::nat_mapped : Reason::nat_reversed);
  }
}

}  // namespace gauntlet
