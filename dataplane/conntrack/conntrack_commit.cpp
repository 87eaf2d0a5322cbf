// Conntrack, slow path: a packet that started no flow yet and that the firewall let
// through gets its flow, and, leaving for the internet from a NATed prefix, its SNAT
// mapping (endpoint-independent: the allocator hands an internal address:port the same
// external port for every destination). A full table or an exhausted port pool stops the
// packet; flows that exist keep working.
#include <rte_mbuf.h>

#include "dataplane/conntrack/flow_create.h"
#include "dataplane/conntrack/flow_timeouts.h"
#include "dataplane/nat/flow_mapping.h"
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

// From outside to a pod's mapping on the public address, let in by endpoint-independent
// filtering (conntrack_stage checked the mapping and the policy).
bool inbound_applies(const Tables& t, const PacketContext& c) noexcept {
  return t.snat.enabled && t.snat.endpoint_independent_filtering && c.parsed.ip_version == 4 &&
         c.direction == Direction::ingress && c.parsed.dst == t.snat.address &&
         (c.parsed.l4_proto == 6 || c.parsed.l4_proto == 17);
}

// A share of the mapping on public port `port` (hairpin target, inbound flow): the mapping
// then outlives the flows of its own pod for as long as this flow lives. nullptr: no mapping.
const PortMapping* share_mapping(Worker& w, uint8_t l4_proto, uint16_t port) noexcept {
  const NatProtocol proto = *nat_protocol_of(l4_proto);
  const PortMapping* m = w.nat.mapping(proto, port);
  if (!m) return nullptr;
  w.nat.acquire(proto, {m->internal_addr, m->internal_port}, m->version);  // existing: never fails
  return m;
}

// The rule that let the packet through, to remember with its flow.
uint32_t judging_rule(const PacketContext& c) noexcept {
  for (uint8_t s = 0; s < c.step_count; ++s)
    if (c.steps[s].layer == Layer::firewall || c.steps[s].layer == Layer::allowlist)
      return c.steps[s].rule;
  return kNoRule;
}

}  // namespace

void create_flow(Worker& w, PacketContext& c, uint32_t frame_length, bool provisional) noexcept {
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
  // dsr-ipip: the backend answers the client directly; only this direction is seen.
  const bool tunnel =
      c.service != kNoService && t.services[c.service].forwarding == Forwarding::dsr_ipip;
  const TcpState first = tunnel
                             ? tcp_one_sided_state(TcpState::none, p.tcp_flags)
                             : tcp_next_state(TcpState::none, FlowDirection::original, p.tcp_flags);
  e->state = p.l4_proto == 6 ? static_cast<uint8_t>(first) : 0;
  e->generation = static_cast<uint32_t>(t.generation);
  e->rule = judging_rule(c);
  if (c.service != kNoService) {
    const BackendConfig& backend = t.services[c.service].backends[c.backend];
    // A tunnelled flow keeps its backend's address (the tunnel's end) but translates nothing.
    if (w.flows.bind_translation(*e, tunnel ? NatKind::none : NatKind::destination, backend.address,
                                 backend.port) != BindResult::bound) {
      // The same client port already talks to that backend directly: ambiguous replies.
      w.flows.erase(*e);
      c.decide(Layer::nat, Outcome::stop, Reason::nat_port_exhausted);
      return;
    }
    e->backend = (uint32_t{c.service} << 16) | c.backend;
  } else if (inbound_applies(t, c)) {
    const PortMapping* m = share_mapping(w, p.l4_proto, p.dst_port);
    if (!m) {  // its last flow ended since the lookup
      w.flows.erase(*e);
      c.decide(Layer::nat, Outcome::stop, Reason::nat_no_mapping);
      return;
    }
    if (w.flows.bind_translation(*e, NatKind::inbound, m->internal_addr, m->internal_port) !=
        BindResult::bound) {
      w.nat.release(*nat_protocol_of(p.l4_proto), p.dst_port);
      w.flows.erase(*e);
      c.decide(Layer::nat, Outcome::stop, Reason::nat_no_mapping);
      return;
    }
  } else if (snat_applies(t, c)) {
    const NatProtocol proto = *nat_protocol_of(p.l4_proto);
    const bool hairpin = p.dst == t.snat.address;
    if (hairpin && !w.nat.mapping(proto, p.dst_port)) {
      w.flows.erase(*e);
      c.decide(Layer::nat, Outcome::stop, Reason::nat_no_mapping);
      return;
    }
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
    if (hairpin) share_mapping(w, p.l4_proto, p.dst_port);  // checked above; released on expiry
  }
  w.flows.set_expiry(*e, c.time_ns + flow_timeout_ns(t.conntrack.timeouts, *e));
  e->account(FlowDirection::original, frame_length);
  if (!provisional) w.counters.flows_created.add();
  c.flow = e;
  c.flow_dir = static_cast<uint8_t>(FlowDirection::original);
  c.tracking = Tracking::tracked;
}

namespace {

void commit(Worker& w, PacketContext& c, rte_mbuf*& m) noexcept {
  if (c.tracking == Tracking::new_flow && c.flow) {
    // Opened early (create_flow's `provisional`): kept only if no layer stopped the packet.
    if (c.final) {
      release_nat_ports(w.nat, *c.flow);
      w.flows.erase(*c.flow);
      c.flow = nullptr;
      return;
    }
    c.flow->rule = judging_rule(c);
    c.tracking = Tracking::tracked;
    w.counters.flows_created.add();
  } else if (c.final) {
    return;
  } else if (is_deferred_fragment(c)) {
    if (!attach_fragment(w, c, rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_pkt_len(m)))
      hold_or_stop_fragment(w, c, m);  // out of order, or its first fragment was stopped
    else if (w.held_fragments.returning)
      c.steps[c.step_count - 1].reason = Reason::conntrack_fragment_held;  // held, then followed
    return;
  } else if (c.tracking == Tracking::new_flow) {
    create_flow(w, c, rte_pktmbuf_pkt_len(m), false);
  } else if (c.tracking == Tracking::tracked && !c.flow_judged) {
    // Judged again under the current rules, and allowed: current from now on.
    c.flow->generation = static_cast<uint32_t>(w.tables->generation);
    c.flow->rule = judging_rule(c);
  }
  if (!c.final && c.tracking == Tracking::tracked && c.parsed.has(kParseFragment) &&
      !c.parsed.has(kParseLaterFragment))
    remember_fragment(w, c, rte_pktmbuf_mtod(m, const uint8_t*));
}

}  // namespace

void conntrack_commit_stage(Worker& w, Burst& b) noexcept {
  for (uint16_t i = 0; i < b.count; ++i) {
    commit(w, b.ctx[i], b.mbufs[i]);
    // A first fragment, remembered or stopped: what was held for it follows it.
    if (b.mbufs[i] && b.ctx[i].parsed.has(kParseFragment))
      first_fragment_decided(w, b.ctx[i], rte_pktmbuf_mtod(b.mbufs[i], const uint8_t*));
  }
}

}  // namespace gauntlet
