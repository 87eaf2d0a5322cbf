// How long a flow may idle in its current state (hot path helper).
#pragma once

#include "dataplane/conntrack/flow_table.h"
#include "dataplane/conntrack/tcp_state.h"

namespace gauntlet {

inline uint64_t flow_timeout_ns(const ConntrackTimeouts& t, const FlowEntry& e) noexcept {
  const uint32_t s = e.key.proto == 6 ? tcp_timeout_s(t, static_cast<TcpState>(e.state))
                                      : datagram_timeout_s(t, e.key.proto, e.seen_reply);
  return uint64_t{s} * kNsPerSecond;
}

// Printed flow state for traces: TCP's state, or udp/icmp unreplied/replied.
inline const char* flow_state_name(const FlowEntry& e) noexcept {
  if (e.key.proto == 6) return tcp_state_name(static_cast<TcpState>(e.state)).data();
  return e.seen_reply ? "replied" : "unreplied";
}

}  // namespace gauntlet
