// Lookups of hairpinned flows (hairpin_lookup.h).
#include "dataplane/conntrack/hairpin_lookup.h"

#include "dataplane/conntrack/flow_key.h"
#include "dataplane/nat/flow_mapping.h"
#include "dataplane/nat/icmp_inner.h"
#include "dataplane/pipeline/worker.h"

namespace gauntlet {

FlowMatch hairpin_reply(Worker& w, const ParsedPacket& p) noexcept {
  const Tables& t = *w.tables;
  if (!t.snat.enabled || p.ip_version != 4 || p.dst != t.snat.address ||
      (p.l4_proto != 6 && p.l4_proto != 17))
    return {};
  const uint16_t external =
      w.nat.external_port_of(*nat_protocol_of(p.l4_proto), {p.src, p.src_port}, 4);
  if (external == 0) return {};
  const PacketKey k = make_packet_key(4, p.l4_proto, t.snat.address, external, p.dst, p.dst_port);
  const FlowMatch m = w.flows.lookup(k, flow_hash(k.key));
  if (!m || !m.via_translation || m.direction != FlowDirection::reply || !is_hairpin(*m.entry))
    return {};
  return m;
}

FlowMatch hairpin_quote(Worker& w, const uint8_t* frame, const ParsedPacket& p) noexcept {
  const Tables& t = *w.tables;
  QuotedPacket q;
  if (!t.snat.enabled || !parse_quoted_packet(frame, p, q) || q.version != 4 ||
      q.src != t.snat.address || (q.proto != 6 && q.proto != 17))
    return {};
  const uint16_t external =
      w.nat.external_port_of(*nat_protocol_of(q.proto), {q.dst, q.dst_port}, 4);
  if (external == 0) return {};
  const PacketKey k = make_packet_key(4, q.proto, q.src, q.src_port, t.snat.address, external);
  const FlowMatch m = w.flows.lookup(k, flow_hash(k.key));
  if (!m || !m.via_translation || m.direction != FlowDirection::original || !is_hairpin(*m.entry))
    return {};
  return m;
}

}  // namespace gauntlet
