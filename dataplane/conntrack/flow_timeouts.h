// How long a flow may idle in its current state (hot path helper).
#pragma once

#include <algorithm>

#include "dataplane/conntrack/flow_table.h"
#include "dataplane/conntrack/tcp_state.h"

namespace gauntlet {

// A NAT mapping lives at least as long as RFC 4787 REQ-5 (UDP: 2 min), RFC 5382 REQ-5
// (TCP: 2 h 4 min established, 4 min transitory) and RFC 5508 REQ-2 (ICMP query: 60 s)
// demand, whatever shorter conntrack timeouts are configured.
inline constexpr uint32_t kNatUdpFloor = 120, kNatIcmpFloor = 60, kNatTcpTransitoryFloor = 240,
                          kNatTcpEstablishedFloor = 7440;

inline uint64_t flow_timeout_ns(const ConntrackTimeouts& t, const FlowEntry& e) noexcept {
  uint32_t s = e.key.proto == 6 ? tcp_timeout_s(t, static_cast<TcpState>(e.state))
                                : datagram_timeout_s(t, e.key.proto, e.seen_reply);
  if (e.nat() != NatKind::none) {
    if (e.key.proto == 17)
      s = std::max(s, kNatUdpFloor);
    else if (is_icmp_proto(e.key.proto))
      s = std::max(s, kNatIcmpFloor);
    else if (e.key.proto == 6)
      s = std::max(s, static_cast<TcpState>(e.state) == TcpState::established
                          ? kNatTcpEstablishedFloor
                          : kNatTcpTransitoryFloor);
  }
  return uint64_t{s} * kNsPerSecond;
}

// Printed flow state for traces: TCP's state, or udp/icmp unreplied/replied.
inline const char* flow_state_name(const FlowEntry& e) noexcept {
  if (e.key.proto == 6) return tcp_state_name(static_cast<TcpState>(e.state)).data();
  return e.seen_reply ? "replied" : "unreplied";
}

}  // namespace gauntlet
