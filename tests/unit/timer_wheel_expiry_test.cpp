// Tests for the hashed timer wheel: expiry at the right tick, lazy extension, earlier expiry,
// bounded work per advance, clock jumps. Nodes live inside a plain test struct, as they live
// inside flow entries. No EAL.
#include <algorithm>
#include <cstdint>
#include <gtest/gtest.h>
#include <random>
#include <stdexcept>
#include <vector>

#include "dataplane/conntrack/timer_wheel.h"

namespace gauntlet {
namespace {

constexpr uint64_t kSecond = 1'000'000'000ull;

struct Item {
  uint32_t payload = 0;
  TimerNode timer;
};

struct Fixture {
  explicit Fixture(uint32_t count, TimerWheelConfig config = {})
      : items(count),
        wheel(config,
              TimerWheel::nodes_of(items.data(), static_cast<uint32_t>(count), &Item::timer)) {}
  void at(uint32_t i, uint64_t expiry_ns) {
    items[i].timer.expiry_ns = expiry_ns;
    wheel.schedule(i);
  }
  std::vector<uint32_t> advance(uint64_t now_ns, uint32_t max_work = 1u << 30) {
    std::vector<uint32_t> expired;
    wheel.advance(now_ns, max_work, [&](uint32_t i) { expired.push_back(i); });
    std::sort(expired.begin(), expired.end());
    return expired;
  }
  std::vector<Item> items;
  TimerWheel wheel;
};

using Ids = std::vector<uint32_t>;

TEST(TimerWheel, ExpiresAtTheTickOfItsExpiryAndNotBefore) {
  Fixture f(4);
  f.at(0, 5 * kSecond);
  f.at(1, 7 * kSecond);
  EXPECT_EQ(f.advance(4 * kSecond), Ids{});
  EXPECT_EQ(f.advance(5 * kSecond - 1), Ids{});
  EXPECT_EQ(f.advance(5 * kSecond), Ids{0});
  EXPECT_EQ(f.advance(6 * kSecond), Ids{});
  EXPECT_EQ(f.advance(7 * kSecond), Ids{1});
  EXPECT_FALSE(f.wheel.scheduled(0));
  EXPECT_EQ(f.wheel.scheduled_count(), 0u);
}

TEST(TimerWheel, ExpiryBetweenTicksFiresAtTheNextTickNeverEarly) {
  Fixture f(1);
  f.at(0, 5 * kSecond + kSecond / 2);
  EXPECT_EQ(f.advance(5 * kSecond + kSecond / 2 - 1), Ids{});
  EXPECT_EQ(f.advance(5 * kSecond + 3 * kSecond / 4), Ids{});  // its tick (6) not reached
  EXPECT_EQ(f.advance(6 * kSecond), Ids{0});
}

TEST(TimerWheel, ExtendedExpiryIsHonouredWhenTheOldSlotComesDue) {
  Fixture f(1);
  f.at(0, 5 * kSecond);
  f.wheel.set_expiry(0, 9 * kSecond);  // lazy: a store, the node stays in slot 5
  EXPECT_EQ(f.advance(5 * kSecond), Ids{});
  EXPECT_TRUE(f.wheel.scheduled(0));
  EXPECT_EQ(f.advance(8 * kSecond), Ids{});
  EXPECT_EQ(f.advance(9 * kSecond), Ids{0});
}

TEST(TimerWheel, EarlierExpiryIsHonouredAtOnce) {
  Fixture f(1);
  f.at(0, 432000 * kSecond);            // an established TCP flow
  f.wheel.set_expiry(0, 10 * kSecond);  // then a RST: close timeout
  EXPECT_EQ(f.advance(9 * kSecond), Ids{});
  EXPECT_EQ(f.advance(10 * kSecond), Ids{0});
}

TEST(TimerWheel, CancelledNodeNeverExpires) {
  Fixture f(2);
  f.at(0, 3 * kSecond);
  f.at(1, 3 * kSecond);
  f.wheel.cancel(0);
  f.wheel.cancel(0);  // twice is harmless
  EXPECT_EQ(f.advance(10 * kSecond), Ids{1});
}

TEST(TimerWheel, ExpiryMoreThanOneTurnAheadWaitsForItsTurn) {
  Fixture f(1, {kSecond, 16});
  f.at(0, 100 * kSecond);  // slot 100 % 16 = 4, met at 4, 20, 36, ...
  for (uint64_t s = 1; s < 100; ++s) ASSERT_EQ(f.advance(s * kSecond), Ids{}) << s;
  EXPECT_EQ(f.advance(100 * kSecond), Ids{0});
}

TEST(TimerWheel, BoundedWorkPerAdvanceResumesOnTheNextCall) {
  Fixture f(1000);
  for (uint32_t i = 0; i < 1000; ++i) f.at(i, 5 * kSecond);
  f.advance(4 * kSecond);
  Ids all;
  int calls = 0;
  while (all.size() < 1000 && calls < 100) {
    const Ids got = f.advance(5 * kSecond, 64);
    EXPECT_LE(got.size(), 64u);
    all.insert(all.end(), got.begin(), got.end());
    ++calls;
  }
  EXPECT_EQ(all.size(), 1000u);
  EXPECT_GE(calls, 1000 / 64);
  EXPECT_TRUE(f.wheel.caught_up());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::unique(all.begin(), all.end()), all.end());
}

TEST(TimerWheel, NotCaughtUpWhileWorkRemains) {
  Fixture f(10);
  for (uint32_t i = 0; i < 10; ++i) f.at(i, 1 * kSecond);
  EXPECT_EQ(f.advance(2 * kSecond, 3).size(), 1u);  // slots 0 and 1 visited, then 1 node
  EXPECT_FALSE(f.wheel.caught_up());
}

TEST(TimerWheel, ClockJumpFarAheadVisitsEachSlotOnceNotEachTick) {
  Fixture f(3, {kSecond, 4096});
  f.at(0, 10 * kSecond);
  f.at(1, 5000 * kSecond);
  f.at(2, 50'000'000 * kSecond);
  f.advance(1 * kSecond);
  // A replay gap of about a year: one call with a budget of one turn plus the nodes does it.
  const uint64_t later = 31'536'000 * kSecond;
  EXPECT_EQ(f.advance(later, 4096 + 3), (Ids{0, 1}));
  EXPECT_TRUE(f.wheel.caught_up());
  EXPECT_TRUE(f.wheel.scheduled(2));
  EXPECT_EQ(f.advance(50'000'000 * kSecond, 4096 + 3), Ids{2});
}

TEST(TimerWheel, FirstAdvanceAtPcapTimeDoesNotWalkFromZero) {
  Fixture f(1);
  const uint64_t pcap_now = 1'700'000'000 * kSecond;
  f.at(0, pcap_now + 30 * kSecond);
  EXPECT_EQ(f.advance(pcap_now, 4097), Ids{});
  EXPECT_TRUE(f.wheel.caught_up());
  EXPECT_EQ(f.advance(pcap_now + 30 * kSecond), Ids{0});
}

TEST(TimerWheel, ClockGoingBackwardsExpiresNothing) {
  Fixture f(1);
  f.at(0, 20 * kSecond);
  f.advance(10 * kSecond);
  EXPECT_EQ(f.advance(5 * kSecond), Ids{});
  EXPECT_EQ(f.advance(20 * kSecond), Ids{0});
}

TEST(TimerWheel, ScheduledInThePastExpiresOnTheNextAdvance) {
  Fixture f(1);
  f.advance(100 * kSecond);
  f.at(0, 50 * kSecond);
  EXPECT_EQ(f.advance(100 * kSecond), Ids{});  // its tick was taken already: the next one
  EXPECT_EQ(f.advance(101 * kSecond), Ids{0});
}

TEST(TimerWheel, CallbackMayRescheduleTheExpiredNode) {
  Fixture f(1);
  f.at(0, 2 * kSecond);
  int fired = 0;
  f.wheel.advance(2 * kSecond, 100, [&](uint32_t i) {
    ++fired;
    f.items[i].timer.expiry_ns = 4 * kSecond;
    f.wheel.schedule(i);
  });
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(f.advance(3 * kSecond), Ids{});
  EXPECT_EQ(f.advance(4 * kSecond), Ids{0});
}

TEST(TimerWheel, RandomScheduleMatchesAReferenceModel) {
  constexpr uint32_t kNodes = 2000;
  Fixture f(kNodes, {kSecond, 64});
  std::mt19937_64 rng(11);
  std::vector<uint64_t> expiry(kNodes, 0);  // 0: not scheduled in the model
  uint64_t now = 0;
  for (int step = 0; step < 3000; ++step) {
    const uint32_t i = static_cast<uint32_t>(rng() % kNodes);
    const uint64_t when = now + (rng() % 300) * kSecond + rng() % kSecond;
    if (expiry[i] == 0) {
      f.at(i, when);
    } else {
      f.wheel.set_expiry(i, when);
    }
    expiry[i] = when;
    now += (rng() % 3) * kSecond / 2;
    for (uint32_t id : f.advance(now)) {
      ASSERT_NE(expiry[id], 0u);
      ASSERT_LE(expiry[id], now);  // never early
      expiry[id] = 0;
    }
    for (uint32_t n = 0; n < kNodes; ++n)  // never more than one tick late
      ASSERT_TRUE(expiry[n] == 0 || expiry[n] + kSecond > now) << n;
  }
}

TEST(TimerWheel, InvalidConfigIsRejected) {
  std::vector<Item> items(1);
  const auto nodes = TimerWheel::nodes_of(items.data(), 1, &Item::timer);
  EXPECT_THROW(TimerWheel({kSecond, 1000}, nodes), std::invalid_argument);
  EXPECT_THROW(TimerWheel({0, 4096}, nodes), std::invalid_argument);
  EXPECT_NO_THROW(TimerWheel({kSecond, 2}, nodes));
}

}  // namespace
}  // namespace gauntlet
