// Tests for SpscRing: order, fullness, capacity rounding, wrap-around, and one producer thread
// against one consumer thread.
#include "dataplane/pipeline/spsc_ring.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <gtest/gtest.h>
#include <thread>
#include <vector>

namespace gauntlet {
namespace {

// How many items fit before push refuses.
template <typename T>
uint32_t fill(SpscRing<T>& ring, uint32_t limit) {
  uint32_t n = 0;
  while (n < limit && ring.push(T{})) ++n;
  return n;
}

TEST(SpscRingTest, PopFromAnEmptyRingFailsAndLeavesTheItemAlone) {
  SpscRing<int> ring(8);
  int item = 42;
  EXPECT_FALSE(ring.pop(item));
  EXPECT_EQ(item, 42);
}

TEST(SpscRingTest, ItemsComeOutInTheOrderTheyWentIn) {
  SpscRing<int> ring(8);
  for (int i = 1; i <= 8; ++i) ASSERT_TRUE(ring.push(i * 11)) << i;
  for (int i = 1; i <= 8; ++i) {
    int item = 0;
    ASSERT_TRUE(ring.pop(item)) << i;
    EXPECT_EQ(item, i * 11);
  }
  int item = -1;
  EXPECT_FALSE(ring.pop(item));
  EXPECT_EQ(item, -1);
}

TEST(SpscRingTest, FullRingRefusesPushUntilAnItemIsPopped) {
  SpscRing<int> ring(4);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(ring.push(i));
  EXPECT_FALSE(ring.push(100));
  EXPECT_FALSE(ring.push(101));

  int item = -1;
  ASSERT_TRUE(ring.pop(item));
  EXPECT_EQ(item, 0);
  EXPECT_TRUE(ring.push(4));
  EXPECT_FALSE(ring.push(102));

  // The refused items were never stored.
  for (int want = 1; want <= 4; ++want) {
    ASSERT_TRUE(ring.pop(item));
    EXPECT_EQ(item, want);
  }
  EXPECT_FALSE(ring.pop(item));
}

TEST(SpscRingTest, CapacityRoundsUpToAPowerOfTwo) {
  struct Case {
    uint32_t asked, holds;
  };
  for (const Case c : {Case{1, 1}, Case{2, 2}, Case{3, 4}, Case{5, 8}, Case{8, 8}, Case{9, 16},
                       Case{100, 128}, Case{1000, 1024}, Case{1024, 1024}, Case{1025, 2048}}) {
    SpscRing<uint16_t> ring(c.asked);
    EXPECT_EQ(fill(ring, 4 * c.holds), c.holds) << "asked for " << c.asked;
  }
}

TEST(SpscRingTest, WrapsAroundOverManyCycles) {
  // A ring of 8 with fill levels 1..8 in turn: head and tail pass the end of the array
  // thousands of times, at every offset.
  SpscRing<uint64_t> ring(8);
  uint64_t next_in = 0, next_out = 0;
  for (int cycle = 0; cycle < 10000; ++cycle) {
    const int n = 1 + cycle % 8;
    for (int i = 0; i < n; ++i) ASSERT_TRUE(ring.push(next_in++)) << "cycle " << cycle;
    if (n == 8) {
      ASSERT_FALSE(ring.push(~uint64_t{0})) << "cycle " << cycle;
    }
    for (int i = 0; i < n; ++i) {
      uint64_t item = 0;
      ASSERT_TRUE(ring.pop(item)) << "cycle " << cycle;
      ASSERT_EQ(item, next_out++) << "cycle " << cycle;
    }
    uint64_t item = 0;
    ASSERT_FALSE(ring.pop(item)) << "cycle " << cycle;
  }
  EXPECT_EQ(next_out, next_in);
}

TEST(SpscRingTest, PartlyFullRingWrapsWithoutLosingItems) {
  // Keep 3 items in a ring of 4 while pushing and popping one at a time.
  SpscRing<uint32_t> ring(4);
  uint32_t next_in = 0, next_out = 0;
  for (; next_in < 3; ++next_in) ASSERT_TRUE(ring.push(next_in));
  for (int step = 0; step < 1000; ++step) {
    ASSERT_TRUE(ring.push(next_in++));
    ASSERT_FALSE(ring.push(12345));
    uint32_t item = 0;
    ASSERT_TRUE(ring.pop(item));
    ASSERT_EQ(item, next_out++);
  }
  uint32_t item = 0;
  for (; next_out < next_in; ++next_out) {
    ASSERT_TRUE(ring.pop(item));
    EXPECT_EQ(item, next_out);
  }
  EXPECT_FALSE(ring.pop(item));
}

TEST(SpscRingTest, WholeRecordsAreCopied) {
  struct Record {
    uint64_t a;
    uint32_t b;
    uint8_t c[20];
  };
  SpscRing<Record> ring(2);
  for (int round = 0; round < 5; ++round) {
    for (uint8_t k = 0; k < 2; ++k) {
      Record r{};
      r.a = 0x0102030405060708ull * (round + 1) + k;
      r.b = 0xdead0000u + k;
      for (uint8_t i = 0; i < sizeof r.c; ++i) r.c[i] = static_cast<uint8_t>(i * 3 + k + round);
      ASSERT_TRUE(ring.push(r));
    }
    for (uint8_t k = 0; k < 2; ++k) {
      Record r{};
      ASSERT_TRUE(ring.pop(r));
      EXPECT_EQ(r.a, 0x0102030405060708ull * (round + 1) + k);
      EXPECT_EQ(r.b, 0xdead0000u + k);
      for (uint8_t i = 0; i < sizeof r.c; ++i)
        EXPECT_EQ(r.c[i], static_cast<uint8_t>(i * 3 + k + round)) << int{i};
    }
  }
}

// One producer pushes 0..N-1 (retrying when full), one consumer pops until it has N items and
// checks that they come in order with none lost or repeated.
void run_two_threads(uint32_t ring_capacity, uint32_t count) {
  SpscRing<uint32_t> ring(ring_capacity);
  std::atomic<uint64_t> refused{0};
  std::atomic<bool> consumer_gave_up{false};

  std::thread producer([&] {
    uint64_t full = 0;
    for (uint32_t i = 0; i < count; ++i) {
      while (!ring.push(i)) {
        // A consumer past its deadline pops no more: stop, so the test fails, not hangs.
        if (consumer_gave_up.load(std::memory_order_relaxed)) return;
        ++full;
        std::this_thread::yield();
      }
    }
    refused.store(full, std::memory_order_relaxed);
  });

  uint32_t received = 0, out_of_order = 0, first_bad_index = 0, first_bad_value = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (received < count) {
    uint32_t item = 0;
    if (!ring.pop(item)) {
      if (std::chrono::steady_clock::now() > deadline) {
        consumer_gave_up.store(true, std::memory_order_relaxed);
        break;
      }
      std::this_thread::yield();
      continue;
    }
    if (item != received && out_of_order++ == 0) {
      first_bad_index = received;
      first_bad_value = item;
    }
    ++received;
  }
  producer.join();

  EXPECT_EQ(received, count);
  EXPECT_EQ(out_of_order, 0u) << "first at index " << first_bad_index << ": got "
                              << first_bad_value;
  uint32_t extra = 0;
  EXPECT_FALSE(ring.pop(extra)) << "an item beyond the last one pushed: " << extra;
  ::testing::Test::RecordProperty("producer_found_ring_full", static_cast<int>(refused.load()));
}

TEST(SpscRingTest, TwoThreadsPassAMillionIntegersInOrder) {
  const auto start = std::chrono::steady_clock::now();
  run_two_threads(1024, 1'000'000);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // Typically tens of milliseconds; the bound only catches a livelock-like slowdown.
  EXPECT_LT(elapsed, std::chrono::seconds(20));
}

TEST(SpscRingTest, TwoThreadsThroughATinyRingStayInOrder) {
  // A ring of 2 is full or empty most of the time: every push and pop races the other side.
  run_two_threads(2, 50'000);
}

}  // namespace
}  // namespace gauntlet
