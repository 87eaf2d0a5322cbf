// The pipeline runner: stages in order, then one pass that counts every decision, hands
// trace/event records to the control core and stages packets for TX or frees them.
#include <rte_mbuf.h>

#include "dataplane/pipeline/stages.h"

namespace gauntlet {

void fill_record(Record& r, RecordKind kind, const PacketContext& c, uint32_t frame_length,
                 uint64_t generation, uint8_t worker) noexcept {
  const ParsedPacket& p = c.parsed;
  r.kind = kind;
  r.in_port = c.in_port;
  r.out_port = c.out_port;
  r.ip_version = p.ip_version;
  r.l4_proto = p.l4_proto;
  r.step_count = c.step_count;
  r.icmp_type = p.icmp_type;
  r.worker = worker;
  r.direction = c.direction;
  r.src_port = p.has(kParseL4) ? p.src_port : 0;
  r.dst_port = p.has(kParseL4) ? p.dst_port : 0;
  r.frame_length = frame_length;
  r.time_ns = c.time_ns;
  r.sequence = c.sequence;
  r.generation = generation;
  r.src = p.src;
  r.dst = p.dst;
  r.next_hop = c.next_hop;
  for (uint8_t s = 0; s < c.step_count; ++s) r.steps[s] = c.steps[s];
  r.has_flow = c.flow != nullptr;
  if (c.service != kNoService) {
    r.has_lb = r.has_lb_slot = true;
    r.lb_service = c.service;
    r.lb_backend = c.backend;
    r.lb_slot = c.lb_slot;
  } else if (c.flow && c.flow->nat() == NatKind::destination) {
    r.has_lb = true;
    r.lb_service = static_cast<uint16_t>(c.flow->backend >> 16);
    r.lb_backend = c.flow->backend & 0xffff;
  }
  if (!c.flow) return;
  const FlowEntry& e = *c.flow;
  r.flow_proto = e.key.proto;
  r.flow_state = e.state;
  r.flow_dir = c.flow_dir;
  r.flow_seen_reply = e.seen_reply;
  r.has_nat = e.nat() == NatKind::source;
  if (r.has_nat) {
    const FlowEndpoint internal = e.original_source();
    r.nat_internal = internal.addr;
    r.nat_internal_port = internal.port;
    r.nat_external = e.nat_addr;
    r.nat_external_port = e.nat_port;
  }
}

namespace {

void reset(PacketContext& c) noexcept {
  c.parsed = ParsedPacket{};
  c.out_port = kNoPort;
  c.step_count = 0;
  c.final = false;
  c.next_hop = IpAddress{};
  c.log = false;
  c.tracking = Tracking::none;
  c.flow = nullptr;
  c.flow_dir = 0;
  c.flow_judged = false;
  c.service = kNoService;
}

void record(Worker& w, RecordKind kind, const PacketContext& c, uint32_t frame_length) noexcept {
  Record r;
  fill_record(r, kind, c, frame_length, w.tables->generation, w.id);
  if (!w.to_control.push(r)) w.counters.records_lost.add();
}

void dispose(Worker& w, Burst& b, const uint32_t* frame_lengths) noexcept {
  WorkerCounters& k = w.counters;
  for (uint16_t i = 0; i < b.count; ++i) {
    PacketContext& c = b.ctx[i];
    // Every packet leaves with a final decision; a stage that forgot one is a bug that
    // must still not leak the mbuf.
    if (!c.final) c.decide(Layer::forward, Outcome::stop, Reason::forward_no_route);
    const size_t dir = static_cast<size_t>(c.direction);
    for (uint8_t s = 0; s < c.step_count; ++s) {
      const Step& st = c.steps[s];
      k.outcomes[dir][static_cast<size_t>(st.layer)][static_cast<size_t>(st.outcome)].add();
      k.reasons[dir][static_cast<size_t>(st.reason)].add();
    }
    const Step& last = c.last();
    if (w.trace) record(w, RecordKind::trace, c, frame_lengths[i]);
    if (last.outcome == Outcome::stop || c.log) record(w, RecordKind::event, c, frame_lengths[i]);
    if (c.out_port < kPortCount) {
      const uint8_t port = c.out_port;
      w.tx_time[port][w.tx_count[port]] = c.time_ns;
      w.tx[port][w.tx_count[port]++] = b.mbufs[i];
    } else {
      rte_pktmbuf_free(b.mbufs[i]);
    }
  }
}

}  // namespace

void run_pipeline(Worker& w, Burst& b) noexcept {
  uint32_t frame_lengths[kBurstSize];
  for (uint16_t i = 0; i < b.count; ++i) {
    reset(b.ctx[i]);
    frame_lengths[i] = rte_pktmbuf_pkt_len(b.mbufs[i]);
    w.counters.rx[b.ctx[i].in_port].add();
  }
  parse_stage(w, b);
  neighbour_stage(w, b);
  conntrack_stage(w, b);
  local_stage(w, b);
  firewall_stage(w, b);
  lb_stage(w, b);
  ttl_stage(w, b);
  conntrack_commit_stage(w, b);
  nat_stage(w, b);
  forward_stage(w, b);
  dispose(w, b, frame_lengths);
}

void seed_neighbours(Worker& w, const Tables& t) {
  for (const NeighbourConfig& n : t.static_neighbours)
    w.neighbours.add_static(n.port, n.address, n.version, n.mac);
}

void apply_neighbour_updates(Worker& w) noexcept {
  Record r;
  while (w.from_control.pop(r)) w.neighbours.learn(r.in_port, r.src, r.ip_version, r.mac);
}

}  // namespace gauntlet
