#include "dataplane/conntrack/tcp_state.h"

#include <utility>

namespace gauntlet {

namespace {

// The table must never lead from a storable state to NONE: NONE means "no packet seen".
constexpr bool never_returns_to_none() {
  for (const auto& by_class : kTcpTransitions)
    for (const auto& row : by_class)
      for (TcpState next : row)
        if (next == TcpState::none) return false;
  return true;
}
static_assert(never_returns_to_none());
static_assert(tcp_next_state(TcpState::none, FlowDirection::original, kTcpSyn) ==
              TcpState::syn_sent);

}  // namespace

std::string validate_timeouts(const ConntrackTimeouts& t) {
  constexpr uint32_t kYear = 365u * 24 * 3600;
  const std::pair<const char*, uint32_t> fields[] = {
      {"tcp_syn_sent", t.tcp_syn_sent_s},
      {"tcp_syn_recv", t.tcp_syn_recv_s},
      {"tcp_established", t.tcp_established_s},
      {"tcp_fin_wait", t.tcp_fin_wait_s},
      {"tcp_close_wait", t.tcp_close_wait_s},
      {"tcp_last_ack", t.tcp_last_ack_s},
      {"tcp_time_wait", t.tcp_time_wait_s},
      {"tcp_close", t.tcp_close_s},
      {"udp_unreplied", t.udp_unreplied_s},
      {"udp_assured", t.udp_assured_s},
      {"icmp", t.icmp_s},
      {"other", t.other_s},
  };
  for (const auto& [name, seconds] : fields) {
    if (seconds == 0) return std::string("timeout ") + name + " must be at least 1 second";
    if (seconds > kYear) return std::string("timeout ") + name + " must be at most one year";
  }
  return {};
}

}  // namespace gauntlet
