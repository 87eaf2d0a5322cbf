// What workers hand to the control core: trace records (one per packet, when tracing),
// events (one per stopped packet) and neighbour updates. Fixed-size and trivially
// copyable so they travel through an SpscRing; the control core turns them into JSON.
#pragma once

#include <cstdint>

#include "dataplane/pipeline/context.h"

namespace gauntlet {

enum class RecordKind : uint8_t { trace, event, neighbour_learned };

struct Record {
  RecordKind kind = RecordKind::trace;
  uint8_t in_port = kNoPort;
  uint8_t out_port = kNoPort;
  uint8_t ip_version = 0;
  uint8_t l4_proto = 0;
  uint8_t step_count = 0;
  uint8_t icmp_type = 0;
  uint8_t worker = 0;
  Direction direction = Direction::ingress;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t frame_length = 0;
  uint64_t time_ns = 0;
  uint64_t sequence = 0;
  uint64_t generation = 0;
  IpAddress src{}, dst{}, next_hop{};
  MacAddress mac{};  // neighbour_learned: the learned MAC (address in src)
  // The packet's flow, when it has one: its state after this packet and its NAT mapping.
  bool has_flow = false;
  bool has_nat = false;
  uint8_t flow_proto = 0, flow_state = 0, flow_dir = 0, flow_seen_reply = 0;
  uint16_t nat_internal_port = 0, nat_external_port = 0;
  IpAddress nat_internal{}, nat_external{};
  // Load balancer: the service and backend of the packet's flow; the Maglev slot when this
  // packet's flow was just balanced (has_lb_slot).
  bool has_lb = false, has_lb_slot = false;
  uint16_t lb_service = 0;
  uint32_t lb_backend = 0, lb_slot = 0;
  Step steps[kMaxSteps];
};

// Fills a trace/event record from a packet's context.
void fill_record(Record& r, RecordKind kind, const PacketContext& c, uint32_t frame_length,
                 uint64_t generation, uint8_t worker) noexcept;

}  // namespace gauntlet
