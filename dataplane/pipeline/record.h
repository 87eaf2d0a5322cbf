// What workers hand to the control core: trace records (one per packet, when tracing),
// events (one per stopped packet) and neighbour updates. Fixed-size and trivially
// copyable so they travel through an SpscRing; the control core turns them into JSON.
#pragma once

#include <cstdint>

#include "dataplane/pipeline/context.h"
#include "dataplane/waf/waf_note.h"

namespace gauntlet {

// probe_send travels the other way (control -> worker, from_control): a health-check segment
// to send; probe_answer is a backend's answer to one, consumed by the dataplane.
enum class RecordKind : uint8_t { trace, event, neighbour_learned, probe_send, probe_answer };

// A health-check TCP segment (lb/health_probe.h): src/dst/ports/ip_version of the Record give
// its addresses (probe_send: dst is the backend; probe_answer: src is), lb_service/lb_backend
// the backend, time_ns when it is sent or was received. Sequence numbers in host order.
struct ProbeSegment {
  uint8_t tcp_flags = 0;
  bool http_request = false;  // probe_send: carry the backend's http request bytes
  uint16_t http_status = 0;   // probe_answer: the status of an "HTTP/1.x NNN" line, else 0
  uint16_t payload_length = 0;
  uint32_t seq = 0, ack = 0;
};

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
  ProbeSegment probe{};
  // The WAF looked at the packet (its client -> server bytes): what it found.
  bool has_waf = false;
  WafNote waf;
  // The proxy layer handled it (l7-route): route, service, backend, sequence offset.
  bool has_proxy = false;
  ProxyNote proxy;
  // NAT: the worker's pool for the packet's protocol when it found it exhausted.
  bool has_pool = false;
  uint32_t pool_in_use = 0, pool_size = 0;
  Step steps[kMaxSteps];
};

// Fills a trace/event record from a packet's context.
void fill_record(Record& r, RecordKind kind, const PacketContext& c, uint32_t frame_length,
                 uint64_t generation, uint8_t worker) noexcept;

}  // namespace gauntlet
