// TCP connection tracking as a table, modelled on Linux netfilter's tcp_conntracks
// (net/netfilter/nf_conntrack_proto_tcp.c): next = kTcpTransitions[direction][flags][state].
// Pure constexpr data and functions: no state, callable from any core, hot-path safe.
//
// Where this table departs from Linux, and why:
// - Linux's IGNORE (sIG: "may be valid, let it pass, do not change state") is written here as
//   the current state: the packet passes and the state stays, which is what sIG does.
// - Linux >= 2.6.35 tracks simultaneous open in a tenth state, SYN_SENT2. It is folded into
//   SYN_RECV: a SYN answering a SYN moves to SYN_RECV, whose legal next packets (SYN-ACK from
//   either side, then ACK) are exactly what SYN_SENT2 leads to.
// - A reply SYN in TIME_WAIT (the server reopening with roles swapped) is invalid: one flow
//   entry cannot swap its original direction.
// Window tracking (sequence numbers) is not done; a stateless pass over flags, as the design
// budget of a conntrack hit (tens of cycles) allows.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "dataplane/conntrack/flow_key.h"

namespace gauntlet {

enum class TcpState : uint8_t {
  none,
  syn_sent,
  syn_recv,
  established,
  fin_wait,
  close_wait,
  last_ack,
  time_wait,
  close,
  invalid,  // a result, never stored: the packet does not fit the connection
  count
};
inline constexpr size_t kTcpStates = static_cast<size_t>(TcpState::invalid);  // storable ones

inline constexpr std::array<std::string_view, static_cast<size_t>(TcpState::count)> kTcpStateNames =
    {"none",       "syn-sent", "syn-recv",  "established", "fin-wait",
     "close-wait", "last-ack", "time-wait", "close",       "invalid"};
constexpr std::string_view tcp_state_name(TcpState s) noexcept {
  return kTcpStateNames[static_cast<size_t>(s)];
}

// What a segment's flags say, as Linux's get_conntrack_index sorts them.
enum class TcpFlagClass : uint8_t { syn, syn_ack, fin, ack, rst, none, count };
inline constexpr std::array<std::string_view, static_cast<size_t>(TcpFlagClass::count)>
    kTcpFlagClassNames = {"syn", "syn-ack", "fin", "ack", "rst", "none"};
constexpr std::string_view tcp_flag_class_name(TcpFlagClass c) noexcept {
  return kTcpFlagClassNames[static_cast<size_t>(c)];
}

// TCP header flag bits (byte 13 of the header, as ParsedPacket::tcp_flags holds it).
inline constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpPsh = 0x08,
                         kTcpAck = 0x10, kTcpUrg = 0x20;

namespace tcp_detail {
// Linux's tcp_valid_flags over FIN|SYN|RST|ACK|URG (PSH, ECE, CWR do not matter); every
// combination it does not list (SYN+FIN, SYN+RST, FIN without ACK, no flags, ...) is `none`,
// whose row in the table is all invalid.
constexpr std::array<TcpFlagClass, 64> make_flag_classes() {
  std::array<TcpFlagClass, 64> t{};
  for (auto& c : t) c = TcpFlagClass::none;
  t[kTcpSyn] = t[kTcpSyn | kTcpUrg] = TcpFlagClass::syn;
  t[kTcpSyn | kTcpAck] = TcpFlagClass::syn_ack;
  t[kTcpRst] = t[kTcpRst | kTcpAck] = TcpFlagClass::rst;
  t[kTcpFin | kTcpAck] = t[kTcpFin | kTcpAck | kTcpUrg] = TcpFlagClass::fin;
  t[kTcpAck] = t[kTcpAck | kTcpUrg] = TcpFlagClass::ack;
  return t;
}
inline constexpr std::array<TcpFlagClass, 64> kFlagClasses = make_flag_classes();
}  // namespace tcp_detail

constexpr TcpFlagClass tcp_flag_class(uint8_t tcp_flags) noexcept {
  return tcp_detail::kFlagClasses[tcp_flags & (kTcpFin | kTcpSyn | kTcpRst | kTcpAck | kTcpUrg)];
}

namespace tcp_detail {
using S = TcpState;
inline constexpr S sNO = S::none, sSS = S::syn_sent, sSR = S::syn_recv, sES = S::established,
                   sFW = S::fin_wait, sCW = S::close_wait, sLA = S::last_ack, sTW = S::time_wait,
                   sCL = S::close, sIV = S::invalid;
using Row = std::array<TcpState, kTcpStates>;
using Table = std::array<std::array<Row, static_cast<size_t>(TcpFlagClass::count)>, 2>;
}  // namespace tcp_detail

// [direction][flag class][current state] -> next state. Columns, in order:
//                 none  syn-sent syn-recv estab fin-wait close-wait last-ack time-wait close
inline constexpr tcp_detail::Table kTcpTransitions = [] {
  using namespace tcp_detail;
  return Table{{
      {{
          // ORIGINAL direction (the side that sent the first packet)
          /* syn     */ Row{sSS, sSS, sSR, sES, sFW, sCW, sLA, sSS, sSS},
          // SYN after SYN_SENT is in-window noise or a dead peer (Linux sIG: keep state);
          // in TIME_WAIT/CLOSE it reopens the connection (RFC 1122).
          /* syn-ack */ Row{sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV},
          // The client never sends SYN-ACK, except in simultaneous open (syn-recv).
          /* fin     */ Row{sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL},
          /* ack     */ Row{sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL},
          // ACK in NONE: a connection picked up mid-stream is assumed established; ACK in
          // SYN_SENT is invalid (no SYN-ACK seen yet).
          /* rst     */ Row{sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL},
          /* none    */ Row{sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV},
      }},
      {{
          // REPLY direction
          /* syn     */ Row{sIV, sSR, sSR, sIV, sIV, sIV, sIV, sIV, sIV},
          // SYN answering SYN: simultaneous open (Linux SYN_SENT2, folded into SYN_RECV).
          /* syn-ack */ Row{sIV, sSR, sSR, sES, sFW, sCW, sLA, sTW, sCL},
          // The normal open; later SYN-ACKs are retransmissions (Linux sIG: keep state).
          /* fin     */ Row{sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL},
          /* ack     */ Row{sIV, sSS, sSR, sES, sCW, sCW, sTW, sTW, sCL},
          // ACK in SYN_SENT may be a half-open peer answering (Linux sIG); in SYN_RECV it may
          // answer a retransmitted SYN.
          /* rst     */ Row{sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL},
          /* none    */ Row{sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV},
      }},
  }};
}();

// The next state, or TcpState::invalid: drop the packet and leave the flow as it was.
constexpr TcpState tcp_next_state(TcpState current, FlowDirection dir, TcpFlagClass c) noexcept {
  if (current >= TcpState::invalid) return TcpState::invalid;
  return kTcpTransitions[static_cast<size_t>(dir)][static_cast<size_t>(c)]
                        [static_cast<size_t>(current)];
}
constexpr TcpState tcp_next_state(TcpState current, FlowDirection dir, uint8_t tcp_flags) noexcept {
  return tcp_next_state(current, dir, tcp_flag_class(tcp_flags));
}

// One-sided tracking, for flows whose replies never pass (direct server return): only the
// client's segments are seen, so its ACK after the SYN is the one sign the server answered,
// and a segment of no flow may take the connection up mid-stream (a flow another gauntlet
// started before an ECMP change moved it here). Original direction only.
//                 none  syn-sent syn-recv estab fin-wait close-wait last-ack time-wait close
inline constexpr std::array<tcp_detail::Row, static_cast<size_t>(TcpFlagClass::count)>
    kTcpOneSided = [] {
      using namespace tcp_detail;
      return std::array<Row, static_cast<size_t>(TcpFlagClass::count)>{{
          /* syn     */ Row{sSS, sSS, sSR, sES, sFW, sCW, sLA, sSS, sSS},
          /* syn-ack */ Row{sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV},
          /* fin     */ Row{sFW, sFW, sFW, sFW, sFW, sLA, sLA, sTW, sCL},
          /* ack     */ Row{sES, sES, sES, sES, sFW, sCW, sLA, sTW, sCL},
          /* rst     */ Row{sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL},
          /* none    */ Row{sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV},
      }};
    }();

constexpr TcpState tcp_one_sided_state(TcpState current, uint8_t tcp_flags) noexcept {
  if (current >= TcpState::invalid) return TcpState::invalid;
  return kTcpOneSided[static_cast<size_t>(tcp_flag_class(tcp_flags))][static_cast<size_t>(current)];
}

// Idle timeouts, in seconds, with Linux's defaults (nf_conntrack_tcp_timeout_*, udp, icmp).
// A plain struct so config can override any field; `validate_timeouts` checks one.
struct ConntrackTimeouts {
  uint32_t tcp_syn_sent_s = 120;
  uint32_t tcp_syn_recv_s = 60;
  uint32_t tcp_established_s = 432000;  // 5 days
  uint32_t tcp_fin_wait_s = 120;
  uint32_t tcp_close_wait_s = 60;
  uint32_t tcp_last_ack_s = 30;
  uint32_t tcp_time_wait_s = 120;
  uint32_t tcp_close_s = 10;
  uint32_t udp_unreplied_s = 30;
  uint32_t udp_assured_s = 120;  // once the flow has seen a reply
  uint32_t icmp_s = 30;
  uint32_t other_s = 600;  // any other protocol (Linux's generic timeout)
};

inline constexpr uint64_t kNsPerSecond = 1'000'000'000ull;

// Seconds a flow may idle in `s`. NONE and INVALID are never stored, and give 0.
constexpr uint32_t tcp_timeout_s(const ConntrackTimeouts& t, TcpState s) noexcept {
  switch (s) {
    case TcpState::syn_sent:
      return t.tcp_syn_sent_s;
    case TcpState::syn_recv:
      return t.tcp_syn_recv_s;
    case TcpState::established:
      return t.tcp_established_s;
    case TcpState::fin_wait:
      return t.tcp_fin_wait_s;
    case TcpState::close_wait:
      return t.tcp_close_wait_s;
    case TcpState::last_ack:
      return t.tcp_last_ack_s;
    case TcpState::time_wait:
      return t.tcp_time_wait_s;
    case TcpState::close:
      return t.tcp_close_s;
    default:
      return 0;
  }
}

// Idle timeout of a non-TCP flow of protocol `proto`; `seen_reply` selects UDP's longer one.
constexpr uint32_t datagram_timeout_s(const ConntrackTimeouts& t, uint8_t proto,
                                      bool seen_reply) noexcept {
  if (proto == 17) return seen_reply ? t.udp_assured_s : t.udp_unreplied_s;
  if (is_icmp_proto(proto)) return t.icmp_s;
  return t.other_s;
}

// Control core, config validation: empty when usable, otherwise what is wrong (a zero
// timeout, which would expire a flow on its first packet, or one over a year).
std::string validate_timeouts(const ConntrackTimeouts& t);

}  // namespace gauntlet
