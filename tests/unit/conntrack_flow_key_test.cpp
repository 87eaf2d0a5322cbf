// Tests for the canonical flow key and its hash: both directions of a flow share one key,
// anything that names a different flow changes it. No EAL.
#include <cstdint>
#include <gtest/gtest.h>
#include <random>
#include <unordered_set>
#include <vector>

#include "dataplane/conntrack/flow_key.h"
#include "dataplane/packet/parse.h"

namespace gauntlet {
namespace {

IpAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  const uint8_t bytes[4] = {a, b, c, d};
  return IpAddress::v4(bytes);
}
IpAddress v6(uint16_t last) {
  uint8_t bytes[16] = {0x20, 0x01, 0x0d, 0xb8};
  bytes[14] = static_cast<uint8_t>(last >> 8);
  bytes[15] = static_cast<uint8_t>(last);
  return IpAddress::v6(bytes);
}

TEST(FlowKey, ReplyOfAnIpv4PacketHasTheSameKeyAndTheOtherSide) {
  const PacketKey out = make_packet_key(4, 6, v4(10, 0, 0, 1), 40000, v4(192, 0, 2, 7), 443);
  const PacketKey back = make_packet_key(4, 6, v4(192, 0, 2, 7), 443, v4(10, 0, 0, 1), 40000);
  EXPECT_EQ(out.key, back.key);
  EXPECT_NE(out.src_is_lo, back.src_is_lo);
  EXPECT_EQ(flow_hash(out.key), flow_hash(back.key));
}

TEST(FlowKey, ReplyOfAnIpv6PacketHasTheSameKeyAndTheOtherSide) {
  const PacketKey out = make_packet_key(6, 17, v6(0x0102), 5353, v6(0x0201), 53);
  const PacketKey back = make_packet_key(6, 17, v6(0x0201), 53, v6(0x0102), 5353);
  EXPECT_EQ(out.key, back.key);
  EXPECT_NE(out.src_is_lo, back.src_is_lo);
  EXPECT_EQ(flow_hash(out.key), flow_hash(back.key));
}

TEST(FlowKey, KeyIsOrderedByAddressThenPort) {
  const PacketKey k = make_packet_key(4, 6, v4(10, 0, 0, 2), 1, v4(10, 0, 0, 1), 2);
  EXPECT_FALSE(k.src_is_lo);
  EXPECT_EQ(k.key.lo_addr, v4(10, 0, 0, 1));
  EXPECT_EQ(k.key.lo_port, 2);
  const PacketKey same_addr = make_packet_key(4, 6, v4(10, 0, 0, 1), 9, v4(10, 0, 0, 1), 8);
  EXPECT_FALSE(same_addr.src_is_lo);
  EXPECT_EQ(same_addr.key.lo_port, 8);
}

TEST(FlowKey, PacketToItselfCountsAsComingFromLo) {
  const PacketKey k = make_packet_key(4, 17, v4(10, 0, 0, 1), 7, v4(10, 0, 0, 1), 7);
  EXPECT_TRUE(k.src_is_lo);
}

TEST(FlowKey, ProtocolVersionAndEachPortNameDifferentFlows) {
  const PacketKey base = make_packet_key(4, 6, v4(10, 0, 0, 1), 1000, v4(10, 0, 0, 2), 80);
  EXPECT_NE(base.key, make_packet_key(4, 17, v4(10, 0, 0, 1), 1000, v4(10, 0, 0, 2), 80).key);
  EXPECT_NE(base.key, make_packet_key(6, 6, v4(10, 0, 0, 1), 1000, v4(10, 0, 0, 2), 80).key);
  EXPECT_NE(base.key, make_packet_key(4, 6, v4(10, 0, 0, 1), 1001, v4(10, 0, 0, 2), 80).key);
  EXPECT_NE(base.key, make_packet_key(4, 6, v4(10, 0, 0, 1), 1000, v4(10, 0, 0, 2), 81).key);
  EXPECT_NE(base.key, make_packet_key(4, 6, v4(10, 0, 0, 3), 1000, v4(10, 0, 0, 2), 80).key);
}

TEST(FlowKey, IcmpEchoRequestAndReplyShareAKeyThroughTheIdentifier) {
  // parse_packet puts the echo identifier in both ports.
  ParsedPacket request;
  request.ip_version = 4;
  request.l4_proto = 1;
  request.src = v4(10, 0, 0, 1);
  request.dst = v4(8, 8, 8, 8);
  request.src_port = request.dst_port = 0x1234;
  ParsedPacket reply = request;
  std::swap(reply.src, reply.dst);
  EXPECT_EQ(make_packet_key(request).key, make_packet_key(reply).key);
  ParsedPacket other_id = request;
  other_id.src_port = other_id.dst_port = 0x1235;
  EXPECT_NE(make_packet_key(request).key, make_packet_key(other_id).key);
}

TEST(FlowKey, ParsedPacketKeyMatchesTheExplicitOne) {
  ParsedPacket p;
  p.ip_version = 6;
  p.l4_proto = 6;
  p.src = v6(1);
  p.dst = v6(2);
  p.src_port = 1234;
  p.dst_port = 443;
  const PacketKey a = make_packet_key(p);
  const PacketKey b = make_packet_key(6, 6, v6(1), 1234, v6(2), 443);
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.src_is_lo, b.src_is_lo);
}

TEST(FlowKey, HashSpreadsRandomFlowsEvenlyOverBuckets) {
  std::mt19937_64 rng(7);
  constexpr uint32_t kFlows = 200000, kBuckets = 1024;
  std::vector<uint32_t> buckets(kBuckets);
  std::unordered_set<uint32_t> distinct;
  for (uint32_t i = 0; i < kFlows; ++i) {
    const uint32_t a = static_cast<uint32_t>(rng()), b = static_cast<uint32_t>(rng());
    const PacketKey k = make_packet_key(4, 6, IpAddress::v4(&a), static_cast<uint16_t>(rng()),
                                        IpAddress::v4(&b), 443);
    const FlowHash h = flow_hash(k.key);
    ++buckets[(uint64_t{h} * kBuckets) >> 32];
    distinct.insert(h);
  }
  // Expected 195 per bucket, standard deviation ~14: 6 sigma either side.
  for (uint32_t n : buckets) {
    EXPECT_GT(n, 110u);
    EXPECT_LT(n, 280u);
  }
  // Birthday bound for 2e5 values in 2^32: about 5 collisions.
  EXPECT_GT(distinct.size(), kFlows - 50);
}

TEST(FlowKey, HashOfSequentialPortsDiffersInTheTagBits) {
  // The table takes its 8-bit tag from the low bits: neighbouring flows must not share it.
  std::unordered_set<uint8_t> tags;
  for (uint16_t port = 1000; port < 1064; ++port)
    tags.insert(static_cast<uint8_t>(
        flow_hash(make_packet_key(4, 6, v4(10, 0, 0, 1), port, v4(10, 0, 0, 2), 80).key)));
  EXPECT_GT(tags.size(), 48u);
}

TEST(FlowKey, DirectionNames) {
  EXPECT_EQ(flow_direction_name(FlowDirection::original), "original");
  EXPECT_EQ(flow_direction_name(FlowDirection::reply), "reply");
}

}  // namespace
}  // namespace gauntlet
