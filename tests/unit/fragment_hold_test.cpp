// The store of fragments held for their first fragment (conntrack/fragment_hold.h): order,
// release, time limit and every bound. The store never looks inside an mbuf, so tokens stand
// in for them here; the pipeline around it is tested by Rfc4787.Req14_* and the golden case
// nat-fragments-out-of-order.
#include "dataplane/conntrack/fragment_hold.h"

#include <gtest/gtest.h>
#include <vector>

namespace gauntlet {
namespace {

constexpr uint64_t kSecond = 1'000'000'000;

FragmentKey key(uint32_t id) {
  FragmentKey k;
  const uint8_t src[4] = {10, 0, 0, 10}, dst[4] = {203, 0, 113, 10};
  k.src = IpAddress::v4(src);
  k.dst = IpAddress::v4(dst);
  k.id = id;
  k.proto = 17;
  k.version = 4;
  return k;
}

rte_mbuf* token(uintptr_t n) { return reinterpret_cast<rte_mbuf*>(n * 64); }

PacketContext context(uint64_t sequence) {
  PacketContext c;
  c.sequence = sequence;
  return c;
}

struct Taken {
  rte_mbuf* mbuf;
  uint64_t sequence;
  bool timed_out;
};

std::vector<Taken> take_all(FragmentHold& h) {
  std::vector<Taken> out;
  rte_mbuf* m = nullptr;
  PacketContext c;
  bool timed_out = false;
  while (h.take(m, c, timed_out)) out.push_back({m, c.sequence, timed_out});
  return out;
}

TEST(FragmentHold, ReleasedFragmentsComeBackInArrivalOrderWithTheirContext) {
  FragmentHold h;
  ASSERT_TRUE(h.hold(key(1), token(3), context(3), 0));
  ASSERT_TRUE(h.hold(key(2), token(9), context(9), 0));  // another datagram, in between
  ASSERT_TRUE(h.hold(key(1), token(2), context(4), 0));
  EXPECT_EQ(h.held(), 3u);
  EXPECT_FALSE(h.due(0));  // nothing released, no time limit passed
  h.release(key(1));
  EXPECT_TRUE(h.due(0));
  const auto back = take_all(h);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].mbuf, token(3));
  EXPECT_EQ(back[0].sequence, 3u);
  EXPECT_EQ(back[1].mbuf, token(2));
  EXPECT_EQ(back[1].sequence, 4u);
  EXPECT_FALSE(back[0].timed_out || back[1].timed_out);
  EXPECT_EQ(h.held(), 1u);  // datagram 2 still waits
  h.release(key(1));        // nothing left for it
  EXPECT_TRUE(take_all(h).empty());
}

// Several workers (pipeline/handoff.h): a datagram's held fragments are taken out one at a
// time, oldest first, to move to the worker its first fragment went to; queued ones stay.
TEST(FragmentHold, HeldFragmentsAreTakenOutOldestFirstToMove) {
  FragmentHold h;
  ASSERT_TRUE(h.hold(key(1), token(5), context(5), 0));
  ASSERT_TRUE(h.hold(key(2), token(6), context(6), 0));
  ASSERT_TRUE(h.hold(key(1), token(7), context(7), 0));
  std::vector<FragmentKey> keys;
  h.for_each_held([&](const FragmentKey& k) { keys.push_back(k); });
  ASSERT_EQ(keys.size(), 2u);
  rte_mbuf* m = nullptr;
  PacketContext c;
  ASSERT_TRUE(h.take_held(key(1), m, c));
  EXPECT_EQ(m, token(5));
  EXPECT_EQ(c.sequence, 5u);
  ASSERT_TRUE(h.take_held(key(1), m, c));
  EXPECT_EQ(m, token(7));
  EXPECT_FALSE(h.take_held(key(1), m, c));  // the datagram is gone, its slot free
  EXPECT_EQ(h.held(), 1u);
  keys.clear();
  h.for_each_held([&](const FragmentKey& k) { keys.push_back(k); });
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0], key(2));
  h.release(key(2));  // queued to come back: no longer held, not taken out
  EXPECT_FALSE(h.take_held(key(2), m, c));
  ASSERT_EQ(take_all(h).size(), 1u);
  EXPECT_TRUE(h.empty());
  // Every slot came back: the limits hold as for a fresh store.
  for (uint32_t i = 0; i < FragmentHoldLimits{}.datagrams; ++i)
    EXPECT_TRUE(h.hold(key(100 + i), token(100 + i), context(i), 0));
}

TEST(FragmentHold, DatagramsPastTheTimeLimitComeBackTimedOut) {
  FragmentHold h({.fragments = 8, .per_datagram = 4, .datagrams = 4, .timeout_ns = 2 * kSecond});
  ASSERT_TRUE(h.hold(key(1), token(1), context(1), 10 * kSecond));
  ASSERT_TRUE(h.hold(key(2), token(2), context(2), 11 * kSecond));
  // The time limit runs from the datagram's first held fragment, not its latest.
  ASSERT_TRUE(h.hold(key(1), token(3), context(3), 11 * kSecond + kSecond / 2));
  EXPECT_FALSE(h.due(12 * kSecond - 1));
  EXPECT_TRUE(h.due(12 * kSecond));
  h.expire(12 * kSecond);
  const auto back = take_all(h);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].mbuf, token(1));
  EXPECT_EQ(back[1].mbuf, token(3));
  EXPECT_TRUE(back[0].timed_out && back[1].timed_out);
  EXPECT_EQ(h.held(), 1u);
  EXPECT_FALSE(h.due(13 * kSecond - 1));  // datagram 2: 11 s + 2 s
  h.expire(13 * kSecond);
  ASSERT_EQ(take_all(h).size(), 1u);
  EXPECT_TRUE(h.empty());
  EXPECT_FALSE(h.due(100 * kSecond));
}

TEST(FragmentHold, EveryLimitRefusesAndNothingIsLost) {
  FragmentHold h({.fragments = 4, .per_datagram = 2, .datagrams = 3, .timeout_ns = kSecond});
  EXPECT_TRUE(h.hold(key(1), token(1), context(1), 0));
  EXPECT_TRUE(h.hold(key(1), token(2), context(2), 0));
  EXPECT_FALSE(h.hold(key(1), token(3), context(3), 0));  // per datagram
  EXPECT_TRUE(h.hold(key(2), token(4), context(4), 0));
  EXPECT_TRUE(h.hold(key(3), token(5), context(5), 0));
  EXPECT_FALSE(h.hold(key(4), token(6), context(6), 0));  // datagrams (and fragments)
  EXPECT_FALSE(h.hold(key(2), token(7), context(7), 0));  // fragments in all
  EXPECT_EQ(h.held(), 4u);
  EXPECT_EQ(h.capacity(), 4u);
  // Released slots are reused; nothing held is dropped to make room.
  h.release(key(1));
  EXPECT_EQ(take_all(h).size(), 2u);
  EXPECT_TRUE(h.hold(key(4), token(8), context(8), 0));
  EXPECT_EQ(h.held(), 3u);
  h.expire(kSecond);
  const auto back = take_all(h);
  ASSERT_EQ(back.size(), 3u);
  EXPECT_TRUE(back[0].timed_out && back[1].timed_out && back[2].timed_out);
  EXPECT_TRUE(h.empty());
}

TEST(FragmentHold, AFloodOfOrphanFragmentsStaysWithinTheBudget) {
  FragmentHold h;  // the defaults: 256 fragments, 16 per datagram, 64 datagrams
  uint32_t held = 0;
  for (uint32_t id = 0; id < 10000; ++id) held += h.hold(key(id), token(id + 1), context(id), 0);
  EXPECT_EQ(held, 64u);
  for (uint32_t n = 0; n < 100; ++n) held += h.hold(key(7), token(n + 1), context(n), 0);
  EXPECT_EQ(held, 64u + 15u);
  EXPECT_EQ(h.held(), held);
  h.expire(h.limits().timeout_ns);
  EXPECT_EQ(take_all(h).size(), held);
  EXPECT_TRUE(h.empty());
}

}  // namespace
}  // namespace gauntlet
