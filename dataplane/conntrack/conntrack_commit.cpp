// Conntrack, slow path: a packet that started no flow yet and that the firewall let
// through gets its flow, and, leaving for the internet from a NATed prefix, its SNAT
// mapping (endpoint-independent: the allocator hands an internal address:port the same
// external port for every destination). A full table or an exhausted port pool stops the
// packet; flows that exist keep working.
#include <rte_mbuf.h>

#include "dataplane/conntrack/flow_timeouts.h"
#include "dataplane/pipeline/stages.h"

namespace gauntlet {

namespace {

bool snat_applies(const Tables& t, const PacketContext& c) noexcept {
  if (!t.snat.enabled || c.parsed.ip_version != 4 || c.direction != Direction::egress) return false;
  bool from = false, to_inside = false;
  for (const Prefix& p : t.snat.from) {
    from = from || p.contains(c.parsed.src, 4);
    to_inside = to_inside || p.contains(c.parsed.dst, 4);
  }
  return from && !to_inside;
}

// The rule that let the packet through, to remember with its flow.
uint32_t judging_rule(const PacketContext& c) noexcept {
  for (uint8_t s = 0; s < c.step_count; ++s)
    if (c.steps[s].layer == Layer::firewall || c.steps[s].layer == Layer::allowlist)
      return c.steps[s].rule;
  return kNoRule;
}

void create(Worker& w, PacketContext& c, uint32_t frame_length) noexcept {
  const Tables& t = *w.tables;
  const ParsedPacket& p = c.parsed;
  const PacketKey key = make_packet_key(p);
  const FlowHash hash = flow_hash(key.key);
  // An earlier packet of this burst may have created the flow since the lookup.
  if (const FlowMatch m = w.flows.lookup(key, hash)) {
    m.entry->account(m.direction, frame_length);
    c.flow = m.entry;
    c.flow_dir = static_cast<uint8_t>(m.direction);
    c.tracking = Tracking::tracked;
    return;
  }
  FlowEntry* e = w.flows.insert(key, hash, c.time_ns);
  if (!e) {
    c.decide(Layer::conntrack, Outcome::stop, Reason::conntrack_table_full);
    return;
  }
  e->state = p.l4_proto == 6 ? static_cast<uint8_t>(tcp_next_state(
                                   TcpState::none, FlowDirection::original, p.tcp_flags))
                             : 0;
  e->generation = static_cast<uint32_t>(t.generation);
  e->rule = judging_rule(c);
  if (c.service != kNoService) {
    const BackendConfig& backend = t.services[c.service].backends[c.backend];
    if (w.flows.bind_translation(*e, NatKind::destination, backend.address, backend.port) != BindResult::bound) {
      // The same client port already talks to that backend directly: ambiguous replies.
      w.flows.erase(*e);
      c.decide(Layer::nat, Outcome::stop, Reason::nat_port_exhausted);
      return;
    }
    e->backend = (uint32_t{c.service} << 16) | c.backend;
  } else if (snat_applies(t, c)) {
    const NatProtocol proto = *nat_protocol_of(p.l4_proto);
    const PortLease lease = w.nat.acquire(proto, {p.src, p.src_port}, 4);
    if (lease.result != PortResult::ok) {
      w.flows.erase(*e);
      c.decide(Layer::nat, Outcome::stop,
               lease.result == PortResult::quota_exceeded ? Reason::nat_quota_exceeded
                                                          : Reason::nat_port_exhausted);
      return;
    }
    if (w.flows.bind_translation(*e, NatKind::source, t.snat.address, lease.external_port) !=
        BindResult::bound) {
      // Another flow already owns public:port -> destination: the mapping cannot be used.
      w.nat.release(proto, lease.external_port);
      w.flows.erase(*e);
      c.decide(Layer::nat, Outcome::stop, Reason::nat_port_exhausted);
      return;
    }
  }
  w.flows.set_expiry(*e, c.time_ns + flow_timeout_ns(t.conntrack.timeouts, *e));
  e->account(FlowDirection::original, frame_length);
  w.counters.flows_created.add();
  c.flow = e;
  c.flow_dir = static_cast<uint8_t>(FlowDirection::original);
  c.tracking = Tracking::tracked;
}

}  // namespace

void conntrack_commit_stage(Worker& w, Burst& b) noexcept {
  for (uint16_t i = 0; i < b.count; ++i) {
    PacketContext& c = b.ctx[i];
    if (c.final) continue;
    if (c.tracking == Tracking::new_flow) {
      create(w, c, rte_pktmbuf_pkt_len(b.mbufs[i]));
    } else if (c.tracking == Tracking::tracked && !c.flow_judged) {
      // Judged again under the current rules, and allowed: current from now on.
      c.flow->generation = static_cast<uint32_t>(w.tables->generation);
      c.flow->rule = judging_rule(c);
    }
  }
}

}  // namespace gauntlet
