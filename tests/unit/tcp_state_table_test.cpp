// Tests for the TCP conntrack table: flag classes, every cell of the table against an
// independently written copy of Linux's (with the documented departures), whole connection
// sequences, and the timeouts. No EAL.
#include <array>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/conntrack/tcp_state.h"

namespace gauntlet {
namespace {

constexpr auto O = FlowDirection::original;
constexpr auto R = FlowDirection::reply;
using C = TcpFlagClass;
using S = TcpState;

TEST(TcpFlagClass, ValidCombinationsFollowLinux) {
  EXPECT_EQ(tcp_flag_class(kTcpSyn), C::syn);
  EXPECT_EQ(tcp_flag_class(kTcpSyn | kTcpUrg), C::syn);
  EXPECT_EQ(tcp_flag_class(kTcpSyn | kTcpAck), C::syn_ack);
  EXPECT_EQ(tcp_flag_class(kTcpFin | kTcpAck), C::fin);
  EXPECT_EQ(tcp_flag_class(kTcpFin | kTcpAck | kTcpUrg), C::fin);
  EXPECT_EQ(tcp_flag_class(kTcpAck), C::ack);
  EXPECT_EQ(tcp_flag_class(kTcpAck | kTcpUrg), C::ack);
  EXPECT_EQ(tcp_flag_class(kTcpRst), C::rst);
  EXPECT_EQ(tcp_flag_class(kTcpRst | kTcpAck), C::rst);
}

TEST(TcpFlagClass, PshEceAndCwrDoNotChangeTheClass) {
  EXPECT_EQ(tcp_flag_class(kTcpAck | kTcpPsh), C::ack);
  EXPECT_EQ(tcp_flag_class(kTcpSyn | 0x40 | 0x80), C::syn);  // ECN-setup SYN
  EXPECT_EQ(tcp_flag_class(kTcpFin | kTcpAck | kTcpPsh), C::fin);
  EXPECT_EQ(tcp_flag_class(kTcpRst | kTcpAck | kTcpPsh), C::rst);
}

TEST(TcpFlagClass, SynFinSynRstNoFlagsAndBareFinAreInvalid) {
  for (uint8_t flags : {uint8_t{kTcpSyn | kTcpFin}, uint8_t{kTcpSyn | kTcpRst}, uint8_t{0},
                        uint8_t{kTcpFin}, uint8_t{kTcpFin | kTcpRst}, uint8_t{kTcpPsh},
                        uint8_t{kTcpUrg}, uint8_t{kTcpSyn | kTcpAck | kTcpFin},
                        uint8_t{kTcpSyn | kTcpAck | kTcpRst}, uint8_t{kTcpFin | kTcpPsh | kTcpUrg}})
    EXPECT_EQ(tcp_flag_class(flags), C::none) << "flags " << int{flags};
}

TEST(TcpStateTable, InvalidFlagCombinationsAreInvalidInEveryStateBothWays) {
  for (size_t s = 0; s < kTcpStates; ++s)
    for (auto dir : {O, R})
      for (uint8_t flags : {uint8_t{kTcpSyn | kTcpFin}, uint8_t{kTcpSyn | kTcpRst}, uint8_t{0}})
        EXPECT_EQ(tcp_next_state(static_cast<S>(s), dir, flags), S::invalid);
}

// Linux's table written out again, one line per (direction, class), with the columns
// none syn-sent syn-recv established fin-wait close-wait last-ack time-wait close.
// "ig" is Linux's IGNORE: the state must stay as it is.
struct Row {
  FlowDirection dir;
  TcpFlagClass cls;
  const char* cells;
};
constexpr Row kExpected[] = {
    {O, C::syn, "SS SS ig ig ig ig ig SS SS"}, {O, C::syn_ack, "IV IV SR IV IV IV IV IV IV"},
    {O, C::fin, "IV IV FW FW LA LA LA TW CL"}, {O, C::ack, "ES IV ES ES CW CW TW TW CL"},
    {O, C::rst, "IV CL CL CL CL CL CL CL CL"}, {O, C::none, "IV IV IV IV IV IV IV IV IV"},
    {R, C::syn, "IV SR SR IV IV IV IV IV IV"}, {R, C::syn_ack, "IV SR SR ig ig ig ig ig ig"},
    {R, C::fin, "IV IV FW FW LA LA LA TW CL"}, {R, C::ack, "IV ig SR ES CW CW TW TW CL"},
    {R, C::rst, "IV CL CL CL CL CL CL CL CL"}, {R, C::none, "IV IV IV IV IV IV IV IV IV"},
};

S parse_cell(const std::string& cell, S current) {
  static const std::pair<const char*, S> names[] = {
      {"SS", S::syn_sent},  {"SR", S::syn_recv},   {"ES", S::established},
      {"FW", S::fin_wait},  {"CW", S::close_wait}, {"LA", S::last_ack},
      {"TW", S::time_wait}, {"CL", S::close},      {"IV", S::invalid}};
  if (cell == "ig") return current;
  for (const auto& [name, s] : names)
    if (cell == name) return s;
  ADD_FAILURE() << "bad cell " << cell;
  return S::invalid;
}

TEST(TcpStateTable, EveryCellMatchesLinuxWithIgnoreKeepingTheState) {
  for (const Row& row : kExpected) {
    std::istringstream cells(row.cells);
    for (size_t s = 0; s < kTcpStates; ++s) {
      std::string cell;
      cells >> cell;
      const S current = static_cast<S>(s);
      EXPECT_EQ(tcp_next_state(current, row.dir, row.cls), parse_cell(cell, current))
          << flow_direction_name(row.dir) << " " << tcp_flag_class_name(row.cls) << " in "
          << tcp_state_name(current);
    }
  }
}

// Plays (direction, flags) packets from NONE and returns the state after each.
std::vector<S> play(std::initializer_list<std::pair<FlowDirection, uint8_t>> packets) {
  std::vector<S> out;
  S s = S::none;
  for (const auto& [dir, flags] : packets) {
    const S next = tcp_next_state(s, dir, flags);
    out.push_back(next);
    if (next != S::invalid) s = next;
  }
  return out;
}

constexpr uint8_t kSyn = kTcpSyn, kSynAck = kTcpSyn | kTcpAck, kAck = kTcpAck,
                  kFin = kTcpFin | kTcpAck, kRst = kTcpRst;

TEST(TcpStateSequence, ThreeWayHandshakeReachesEstablished) {
  EXPECT_EQ(play({{O, kSyn}, {R, kSynAck}, {O, kAck}}),
            (std::vector<S>{S::syn_sent, S::syn_recv, S::established}));
}

TEST(TcpStateSequence, ClientClosesFirstThroughTimeWait) {
  EXPECT_EQ(play({{O, kSyn}, {R, kSynAck}, {O, kAck}, {O, kFin}, {R, kAck}, {R, kFin}, {O, kAck}}),
            (std::vector<S>{S::syn_sent, S::syn_recv, S::established, S::fin_wait, S::close_wait,
                            S::last_ack, S::time_wait}));
}

TEST(TcpStateSequence, ServerClosesFirstThroughTimeWait) {
  EXPECT_EQ(play({{O, kSyn}, {R, kSynAck}, {O, kAck}, {R, kFin}, {O, kAck}, {O, kFin}, {R, kAck}}),
            (std::vector<S>{S::syn_sent, S::syn_recv, S::established, S::fin_wait, S::close_wait,
                            S::last_ack, S::time_wait}));
}

TEST(TcpStateSequence, SimultaneousCloseReachesTimeWait) {
  EXPECT_EQ(play({{O, kSyn}, {R, kSynAck}, {O, kAck}, {O, kFin}, {R, kFin}, {O, kAck}, {R, kAck}}),
            (std::vector<S>{S::syn_sent, S::syn_recv, S::established, S::fin_wait, S::last_ack,
                            S::time_wait, S::time_wait}));
}

TEST(TcpStateSequence, SimultaneousOpenGoesThroughSynRecv) {
  EXPECT_EQ(play({{O, kSyn}, {R, kSyn}, {O, kSynAck}, {R, kSynAck}, {O, kAck}}),
            (std::vector<S>{S::syn_sent, S::syn_recv, S::syn_recv, S::syn_recv, S::established}));
}

TEST(TcpStateSequence, RstFromEitherSideClosesEveryTrackedState) {
  for (size_t s = 1; s < kTcpStates; ++s)
    for (auto dir : {O, R}) {
      EXPECT_EQ(tcp_next_state(static_cast<S>(s), dir, kRst), S::close);
      EXPECT_EQ(tcp_next_state(static_cast<S>(s), dir, uint8_t{kTcpRst | kTcpAck}), S::close);
    }
  EXPECT_EQ(tcp_next_state(S::none, O, kRst), S::invalid);  // nothing to reset
}

TEST(TcpStateSequence, RetransmittedSynAndSynAckKeepTheirState) {
  EXPECT_EQ(play({{O, kSyn}, {O, kSyn}, {R, kSynAck}, {R, kSynAck}}),
            (std::vector<S>{S::syn_sent, S::syn_sent, S::syn_recv, S::syn_recv}));
}

TEST(TcpStateSequence, AckBeforeSynAckIsInvalidAndSynAckFromClientIsInvalid) {
  EXPECT_EQ(tcp_next_state(S::syn_sent, O, kAck), S::invalid);
  EXPECT_EQ(tcp_next_state(S::syn_sent, O, kSynAck), S::invalid);
  EXPECT_EQ(tcp_next_state(S::established, O, kSynAck), S::invalid);
}

TEST(TcpStateSequence, FirstPacketMustBeSynOrAMidStreamAck) {
  EXPECT_EQ(tcp_next_state(S::none, O, kSyn), S::syn_sent);
  EXPECT_EQ(tcp_next_state(S::none, O, kAck), S::established);  // picked up mid-stream
  EXPECT_EQ(tcp_next_state(S::none, O, kSynAck), S::invalid);
  EXPECT_EQ(tcp_next_state(S::none, O, kFin), S::invalid);
}

TEST(TcpStateSequence, SynAfterTimeWaitOrCloseReopens) {
  EXPECT_EQ(tcp_next_state(S::time_wait, O, kSyn), S::syn_sent);
  EXPECT_EQ(tcp_next_state(S::close, O, kSyn), S::syn_sent);
  EXPECT_EQ(tcp_next_state(S::time_wait, R, kSyn), S::invalid);  // roles cannot swap
}

TEST(TcpStateSequence, DataAfterCloseStaysClosed) {
  EXPECT_EQ(
      play({{O, kSyn}, {R, kSynAck}, {O, kAck}, {R, kRst}, {O, kAck}, {O, kFin}}),
      (std::vector<S>{S::syn_sent, S::syn_recv, S::established, S::close, S::close, S::close}));
}

TEST(TcpStateSequence, InvalidStateInputStaysInvalid) {
  EXPECT_EQ(tcp_next_state(S::invalid, O, kAck), S::invalid);
}

TEST(TcpStateNames, AreLowercaseForTraces) {
  EXPECT_EQ(tcp_state_name(S::established), "established");
  EXPECT_EQ(tcp_state_name(S::syn_sent), "syn-sent");
  EXPECT_EQ(tcp_state_name(S::time_wait), "time-wait");
  EXPECT_EQ(tcp_state_name(S::invalid), "invalid");
  EXPECT_EQ(tcp_flag_class_name(C::syn_ack), "syn-ack");
}

TEST(ConntrackTimeouts, DefaultsAreLinuxs) {
  const ConntrackTimeouts t;
  const std::array<std::pair<S, uint32_t>, 8> expected = {{{S::syn_sent, 120},
                                                           {S::syn_recv, 60},
                                                           {S::established, 432000},
                                                           {S::fin_wait, 120},
                                                           {S::close_wait, 60},
                                                           {S::last_ack, 30},
                                                           {S::time_wait, 120},
                                                           {S::close, 10}}};
  for (const auto& [state, seconds] : expected)
    EXPECT_EQ(tcp_timeout_s(t, state), seconds) << tcp_state_name(state);
  EXPECT_EQ(tcp_timeout_s(t, S::none), 0u);
  EXPECT_EQ(datagram_timeout_s(t, 17, false), 30u);
  EXPECT_EQ(datagram_timeout_s(t, 17, true), 120u);
  EXPECT_EQ(datagram_timeout_s(t, 1, false), 30u);
  EXPECT_EQ(datagram_timeout_s(t, 58, true), 30u);
  EXPECT_EQ(datagram_timeout_s(t, 47, false), 600u);
}

TEST(ConntrackTimeouts, ConfigOverridesAreUsed) {
  ConntrackTimeouts t;
  t.tcp_established_s = 3600;
  t.udp_assured_s = 180;
  EXPECT_EQ(tcp_timeout_s(t, S::established), 3600u);
  EXPECT_EQ(datagram_timeout_s(t, 17, true), 180u);
}

TEST(ConntrackTimeouts, ValidationRejectsZeroAndOverAYear) {
  EXPECT_EQ(validate_timeouts(ConntrackTimeouts{}), "");
  ConntrackTimeouts zero;
  zero.tcp_close_s = 0;
  EXPECT_NE(validate_timeouts(zero).find("tcp_close"), std::string::npos);
  ConntrackTimeouts huge;
  huge.udp_unreplied_s = 400u * 24 * 3600;
  EXPECT_NE(validate_timeouts(huge).find("udp_unreplied"), std::string::npos);
}

}  // namespace
}  // namespace gauntlet
