// Shared by the proxy stage's files (proxy_stage.cpp: the client leg; proxy_backend.cpp: the
// backend leg and timers; proxy_syn.cpp: cookies; proxy_splice.cpp: rewriting). Worker core;
// noexcept, no allocation except mbufs from the worker's pool for segments it originates.
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
// and handed on to be routed (Tracking::proxied). A RST, or the second FIN, ends the flow:
// it lingers for proxy.linger_ms (proxy_flows.h).
void splice(Worker& w, rte_mbuf* m, PacketContext& c, uint32_t flow, uint8_t leg) noexcept;

// A backend segment of a flow still connecting (its SYN-ACK, or a refusal).
void backend_connecting(Worker& w, rte_mbuf* m, PacketContext& c, uint32_t flow) noexcept;

// Segments gauntlet originates (its pool), queued for TX on `port` at `now`. False: none sent.
bool send_segment(Worker& w, uint8_t port, const SegmentSpec& s, uint64_t now) noexcept;
// A RST to the client of `f` (seq: what the client expects next from the VIP).
bool reset_client(Worker& w, const ProxyFlow& f, uint64_t now) noexcept;
// An event for `f` without a packet (timeouts).
void flow_event(Worker& w, const ProxyFlow& f, Reason why, uint64_t now) noexcept;
// Timers due at `now`: waiting and connecting flows are reset (event), idle/closed ones freed.
void expire_proxy_flows(Worker& w, uint64_t now) noexcept;

}  // namespace gauntlet
