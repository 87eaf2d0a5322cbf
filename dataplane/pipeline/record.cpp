// A packet's trace/event record, filled from its context on the worker: for every packet when
// a trace is asked for, otherwise for stopped or logged packets only (their events).
#include "dataplane/pipeline/record.h"

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
  r.has_waf = c.waf != nullptr;
  if (r.has_waf) r.waf = *c.waf;
  r.has_flow = c.flow != nullptr;
  r.has_proxy = c.proxy.set;
  if (r.has_proxy) r.proxy = c.proxy;
  if (c.service != kNoService) {
    r.has_lb = r.has_lb_slot = true;
    r.lb_service = c.service;
    r.lb_backend = c.backend;
    r.lb_slot = c.lb_slot;
  } else if (c.flow && (c.flow->nat() == NatKind::destination || c.flow->tunnelled())) {
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
  r.has_nat = e.nat() == NatKind::source || e.nat() == NatKind::inbound;
  if (e.nat() == NatKind::source) {
    const FlowEndpoint internal = e.original_source();
    r.nat_internal = internal.addr;
    r.nat_internal_port = internal.port;
    r.nat_external = e.nat_addr;
    r.nat_external_port = e.nat_port;
  } else if (e.nat() == NatKind::inbound) {
    // Let in on a pod's mapping: the public end is where the flow was sent.
    const FlowEndpoint external = e.original_destination();
    r.nat_internal = e.nat_addr;
    r.nat_internal_port = e.nat_port;
    r.nat_external = external.addr;
    r.nat_external_port = external.port;
  }
}

}  // namespace gauntlet
