// Shared by the proxy stage's files (proxy_stage.cpp: the client leg; proxy_backend.cpp: the
// backend leg and timers; proxy_syn.cpp: cookies; proxy_splice.cpp: rewriting; proxy_waf.cpp:
// the WAF). Worker core; noexcept, no allocation except mbufs from the worker's pool for
// segments it originates.
#pragma once

#include "dataplane/pipeline/stages.h"
#include "dataplane/proxy/proxy_flows.h"
#include "dataplane/proxy/segment.h"

namespace gauntlet {

constexpr uint8_t kOutside = static_cast<uint8_t>(PortRole::outside);
constexpr uint8_t kInside = static_cast<uint8_t>(PortRole::inside);

// The trace fields of flow `f` on the packet.
void note_flow(PacketContext& c, const ProxyFlow& f) noexcept;

// A spliced segment: translated (seq_translate.h), its addresses rewritten like the L4 path
// (client -> backend: destination VIP -> backend; backend -> client: source backend -> VIP)
// and handed on to be routed (Tracking::proxied); client segments go through the WAF first.
// A RST, or the second FIN, ends the flow: it lingers for proxy.linger_ms (proxy_flows.h).
void splice(Worker& w, rte_mbuf* m, PacketContext& c, uint32_t flow, uint8_t leg,
            WafNote& note) noexcept;

// A backend segment of a flow still connecting (its SYN-ACK, or a refusal).
void backend_connecting(Worker& w, rte_mbuf* m, PacketContext& c, uint32_t flow) noexcept;

// A segment gauntlet originates (from the worker's pool), sent right after `c`'s packet
// through `port` (a companion: staged, counted and ordered with the packets of the burst).
// False: none sent (the pool is empty: counted as mbuf_alloc_failed).
bool send_segment(Worker& w, PacketContext& c, uint8_t port, const SegmentSpec& s) noexcept;

// A segment of the backend leg as gauntlet sends it for the client: from the client's
// address:port to the backend's, out of `port` to `next_hop_mac`. Sequence numbers, flags
// and options are the caller's.
SegmentSpec backend_leg_segment(const Tables& t, const ProxyFlow& f, uint8_t port,
                                const MacAddress& next_hop_mac) noexcept;
// A RST to the client of `f` (seq: what the client expects next from the VIP), after `c`.
bool reset_client(Worker& w, PacketContext& c, const ProxyFlow& f) noexcept;
// An event for `f` without a packet of its own (timeouts).
void flow_event(Worker& w, const ProxyFlow& f, Reason why, uint64_t now) noexcept;
// Timers due at `c`'s time: waiting and connecting flows are reset (the RST to the client
// follows `c`'s packet; an event), idle/closed ones freed.
void expire_proxy_flows(Worker& w, PacketContext& c) noexcept;
// Flow `i` back to the pool, with its WAF slot.
void free_flow(Worker& w, uint32_t i) noexcept;

// The WAF on proxied flows (proxy_waf.cpp). Once the route is decided: whether the WAF reads
// the flow (the routed service's settings, else the VIP's; once per flow). False: it must,
// but every WAF slot is taken (reset the flow: waf:flows-exhausted).
bool start_waf(Worker& w, ProxyFlow& f, uint16_t routed_service) noexcept;
// The held bytes (contiguous from the start) the WAF has not read yet go through it before
// any is replayed. False: the flow is reset (`c` decided, a RST over this packet to the
// client and one to the backend if it has gauntlet's SYN; the flow freed).
bool inspect_held(Worker& w, rte_mbuf* m, PacketContext& c, uint32_t flow, WafNote& note) noexcept;
// A client segment of a spliced flow, before it is translated. False: `c` is decided (the
// flow reset now, both legs, and lingering; or reset before: waf:flow-blocked).
bool inspect_spliced(Worker& w, rte_mbuf* m, PacketContext& c, uint32_t flow,
                     WafNote& note) noexcept;
// The flow's WAF slot goes back (the flow ended, or nothing more to read).
void release_waf(Worker& w, ProxyFlow& f) noexcept;

}  // namespace gauntlet
