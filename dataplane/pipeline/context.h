// Per-packet state that travels through the stages of one burst, and the decision record
// every stage appends to. Owned by one worker; never shared.
#pragma once

#include <cstdint>

#include "dataplane/control/config.h"
#include "dataplane/packet/parse.h"
#include "dataplane/pipeline/vocabulary.h"
#include "dataplane/proxy/proxy_note.h"

struct rte_mbuf;

namespace gauntlet {

struct FlowEntry;
struct WafNote;

// What conntrack made of a packet, for the layers after it.
enum class Tracking : uint8_t {
  none,       // not looked at (not IP, or decided before conntrack)
  new_flow,   // no flow yet: judged by the firewall, then created (conntrack_commit)
  tracked,    // belongs to a flow; `flow` and `flow_dir` are set
  related,    // an ICMP error about a flow (`flow` set; the quoted packet is its)
  untracked,  // conntrack does not follow it (later fragments, other protocols)
  proxied,    // a spliced segment of an l7-route VIP's flow (proxy layer): only routed on
};

inline constexpr uint16_t kBurstSize = 32;
inline constexpr uint32_t kNoRule = 0xffffffffu;
inline constexpr uint32_t kDefaultRule = 0xfffffffeu;  // the list's default decided
inline constexpr uint8_t kMaxSteps = 8;
inline constexpr uint16_t kNoService = 0xffff;

// One layer's decision about one packet.
struct Step {
  Layer layer = Layer::parse;
  Outcome outcome = Outcome::pass;
  Reason reason = Reason::none;
  uint32_t rule = kNoRule;  // index of the deciding rule in the layer's table, if any
};

struct PacketContext {
  ParsedPacket parsed;
  uint64_t time_ns = 0;   // dataplane clock: pcap time in replay, TSC-derived live
  uint64_t sequence = 0;  // replay: input packet number (1-based); live: per-worker count
  uint8_t in_port = kNoPort;
  uint8_t out_port = kNoPort;  // where the mbuf leaves, for forward/answer and emitted stops
  Direction direction = Direction::ingress;
  uint8_t step_count = 0;
  bool final = false;
  bool log = false;      // a matching rule asked for an event even though it passed
  IpAddress next_hop{};  // forward: the neighbour the packet was sent to
  Tracking tracking = Tracking::none;
  uint8_t flow_dir = 0;      // FlowDirection of the packet within `flow`
  bool flow_judged = false;  // its flow was judged under the current generation: no firewall
  FlowEntry* flow = nullptr;
  // Load balancer: the service a new flow to a VIP is for, and the backend Maglev chose.
  uint16_t service = kNoService;
  uint32_t backend = 0;
  uint32_t lb_slot = 0;
  const WafNote* waf = nullptr;  // the WAF looked at it: what it found (trace/event fields)
  ProxyNote proxy;               // the proxy layer handled it (route, backend, seq offset)
  // Packets a stage built besides this one, sent right after it in the order of their lists
  // (`next` links): `companion` through companion_port (the fragments after the first), then
  // `originated`, each through the port add_companion gave it (the RST a WAF-blocked flow's
  // backend gets, the proxy's RSTs and replayed bytes). The mbufs are the runner's to send
  // or free.
  rte_mbuf* companion = nullptr;
  uint8_t companion_port = kNoPort;
  rte_mbuf* originated = nullptr;
  // The tunnel stage put the packet inside an outer IP header (at parsed.l3_offset now): the
  // outer header is new, so forwarding does not decrement its TTL.
  bool encapsulated = false;
  // Set by the driver (pipeline/handoff.h): the owner's handoff ring refused this packet.
  bool handoff_refused = false;
  Step steps[kMaxSteps];

  // Appends a decision. `pass` keeps the packet going; every other outcome is final.
  void decide(Layer layer, Outcome outcome, Reason reason, uint32_t rule = kNoRule) noexcept {
    if (step_count < kMaxSteps) steps[step_count++] = {layer, outcome, reason, rule};
    final = outcome != Outcome::pass;
  }
  // Stop, but the stage rewrote the mbuf into something to send (ICMP error, ARP request).
  void stop_and_emit(Layer layer, Reason reason, uint8_t port) noexcept {
    decide(layer, Outcome::stop, reason);
    out_port = port;
  }
  const Step& last() const noexcept { return steps[step_count - 1]; }
  // Before the first stage: everything a packet's stages set is cleared (the port, time and
  // sequence are the driver's). `parsed` is not: the parse stage, first on every packet,
  // writes it whole (parse_packet starts from an empty ParsedPacket).
  void reset() noexcept {
    out_port = kNoPort;
    step_count = 0;
    final = false;
    next_hop = IpAddress{};
    log = false;
    tracking = Tracking::none;
    flow = nullptr;
    flow_dir = 0;
    flow_judged = false;
    service = kNoService;
    waf = nullptr;
    proxy = ProxyNote{};  // every field: a SYN sets only some of them
    companion = nullptr;
    originated = nullptr;
    encapsulated = false;
  }
};

// Appends `m` to the packets sent after `c`'s own (`originated`), to leave through `port`
// (kept in the mbuf's port field until then). Worker core; pipeline/pipeline.cpp.
void add_companion(PacketContext& c, rte_mbuf* m, uint8_t port) noexcept;

struct Burst {
  rte_mbuf* mbufs[kBurstSize];
  PacketContext ctx[kBurstSize];
  uint16_t count = 0;
};

}  // namespace gauntlet
