// Tests for NeighbourTable: learned vs static entries, per-port and per-version keys, capacity,
// and probing over colliding keys. No EAL is needed.
#include "dataplane/neighbour/neighbour_table.h"

#include <cstdint>
#include <gtest/gtest.h>
#include <ostream>
#include <string>
#include <vector>

#include "dataplane/packet/headers.h"

namespace gauntlet {

// Learn results print by name in failure messages (found by ADL in NeighbourTable's namespace).
void PrintTo(NeighbourTable::Learn l, std::ostream* os) {
  using Learn = NeighbourTable::Learn;
  switch (l) {
    case Learn::added:
      *os << "added";
      return;
    case Learn::updated:
      *os << "updated";
      return;
    case Learn::unchanged:
      *os << "unchanged";
      return;
    case Learn::static_kept:
      *os << "static_kept";
      return;
    case Learn::full:
      *os << "full";
      return;
  }
  *os << "Learn(" << static_cast<int>(l) << ")";
}

namespace {

using Learn = NeighbourTable::Learn;

IpAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  const uint8_t bytes[4] = {a, b, c, d};
  return IpAddress::v4(bytes);
}

IpAddress v6(const std::string& text) {
  IpAddress a;
  EXPECT_EQ(parse_ip(text, a), 6) << text;
  return a;
}

// A distinct unicast MAC per number.
MacAddress mac(uint32_t n) {
  MacAddress m;
  m.bytes = {0x02,
             0x00,
             static_cast<uint8_t>(n >> 24),
             static_cast<uint8_t>(n >> 16),
             static_cast<uint8_t>(n >> 8),
             static_cast<uint8_t>(n)};
  return m;
}

// The i-th of many distinct keys: IPv4 for even i, IPv6 for odd i, on port i / 2 % 2.
struct Key {
  uint8_t port;
  IpAddress address;
  uint8_t version;
};
Key key(uint32_t i) {
  const uint8_t port = static_cast<uint8_t>((i / 2) % 2);
  if (i % 2 == 0)
    return {port,
            v4(10, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8),
               static_cast<uint8_t>(i)),
            4};
  IpAddress a = v6("fd00::");
  a.bytes[13] = static_cast<uint8_t>(i >> 16);
  a.bytes[14] = static_cast<uint8_t>(i >> 8);
  a.bytes[15] = static_cast<uint8_t>(i);
  return {port, a, 6};
}

// The table's home slot for a key (FNV-1a as in neighbour_table.cpp), used only to build keys
// that are sure to collide. Should the table's hash change, these tests still check lookups;
// they just collide less.
uint32_t home_slot(uint8_t port, const IpAddress& a, uint8_t version, uint32_t mask) {
  uint32_t h = 2166136261u ^ port ^ (uint32_t{version} << 8);
  const unsigned n = version == 4 ? 4 : 16;
  for (unsigned i = 0; i < n; ++i) h = (h ^ a.bytes[i]) * 16777619u;
  return h & mask;
}

// IPv4 keys on `port` whose home slot is `slot` in a table of `slots` slots.
std::vector<IpAddress> colliding_v4(uint8_t port, uint32_t slot, uint32_t slots, size_t count) {
  std::vector<IpAddress> out;
  for (uint32_t i = 0; out.size() < count; ++i) {
    const IpAddress a = v4(192, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8),
                           static_cast<uint8_t>(i));
    if (home_slot(port, a, 4, slots - 1) == slot) out.push_back(a);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Learned and static entries

TEST(NeighbourTableTest, NewTableIsEmptyWithTheGivenCapacity) {
  const NeighbourTable t(64);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.capacity(), 64u);
  EXPECT_EQ(t.lookup(0, v4(10, 0, 0, 1), 4), nullptr);
  EXPECT_EQ(t.lookup(1, v6("fd00::1"), 6), nullptr);
}

TEST(NeighbourTableTest, LearningANewAddressAddsIt) {
  NeighbourTable t(64);
  EXPECT_EQ(t.learn(0, v4(10, 0, 0, 1), 4, mac(1)), Learn::added);
  EXPECT_EQ(t.size(), 1u);
  const MacAddress* m = t.lookup(0, v4(10, 0, 0, 1), 4);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(*m, mac(1));
  EXPECT_EQ(t.lookup(0, v4(10, 0, 0, 2), 4), nullptr);
}

TEST(NeighbourTableTest, RelearningTheSameMacIsUnchanged) {
  NeighbourTable t(64);
  ASSERT_EQ(t.learn(1, v6("fd00::10"), 6, mac(7)), Learn::added);
  EXPECT_EQ(t.learn(1, v6("fd00::10"), 6, mac(7)), Learn::unchanged);
  EXPECT_EQ(t.size(), 1u);
  ASSERT_NE(t.lookup(1, v6("fd00::10"), 6), nullptr);
  EXPECT_EQ(*t.lookup(1, v6("fd00::10"), 6), mac(7));
}

TEST(NeighbourTableTest, LearningANewMacUpdatesTheEntry) {
  NeighbourTable t(64);
  ASSERT_EQ(t.learn(0, v4(10, 0, 0, 1), 4, mac(1)), Learn::added);
  EXPECT_EQ(t.learn(0, v4(10, 0, 0, 1), 4, mac(2)), Learn::updated);
  EXPECT_EQ(t.size(), 1u);
  ASSERT_NE(t.lookup(0, v4(10, 0, 0, 1), 4), nullptr);
  EXPECT_EQ(*t.lookup(0, v4(10, 0, 0, 1), 4), mac(2));
  EXPECT_EQ(t.learn(0, v4(10, 0, 0, 1), 4, mac(2)), Learn::unchanged);
  EXPECT_EQ(t.learn(0, v4(10, 0, 0, 1), 4, mac(1)), Learn::updated);
  EXPECT_EQ(*t.lookup(0, v4(10, 0, 0, 1), 4), mac(1));
}

TEST(NeighbourTableTest, StaticEntryIsKeptOverWhatIsLearned) {
  NeighbourTable t(64);
  ASSERT_TRUE(t.add_static(0, v4(198, 51, 100, 254), 4, mac(0xfe)));
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.learn(0, v4(198, 51, 100, 254), 4, mac(0xbad)), Learn::static_kept);
  EXPECT_EQ(t.learn(0, v4(198, 51, 100, 254), 4, mac(0xfe)), Learn::static_kept);
  EXPECT_EQ(t.size(), 1u);
  const MacAddress* m = t.lookup(0, v4(198, 51, 100, 254), 4);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(*m, mac(0xfe));
}

TEST(NeighbourTableTest, StaticEntryReplacesALearnedOne) {
  NeighbourTable t(64);
  ASSERT_EQ(t.learn(1, v4(10, 0, 0, 10), 4, mac(1)), Learn::added);
  EXPECT_TRUE(t.add_static(1, v4(10, 0, 0, 10), 4, mac(2)));
  EXPECT_EQ(t.size(), 1u);
  ASSERT_NE(t.lookup(1, v4(10, 0, 0, 10), 4), nullptr);
  EXPECT_EQ(*t.lookup(1, v4(10, 0, 0, 10), 4), mac(2));
  EXPECT_EQ(t.learn(1, v4(10, 0, 0, 10), 4, mac(1)), Learn::static_kept);
  EXPECT_EQ(*t.lookup(1, v4(10, 0, 0, 10), 4), mac(2));
}

TEST(NeighbourTableTest, AddingAStaticEntryAgainReplacesItsMac) {
  NeighbourTable t(64);
  ASSERT_TRUE(t.add_static(1, v6("fd00::10"), 6, mac(1)));
  EXPECT_TRUE(t.add_static(1, v6("fd00::10"), 6, mac(2)));
  EXPECT_EQ(t.size(), 1u);
  ASSERT_NE(t.lookup(1, v6("fd00::10"), 6), nullptr);
  EXPECT_EQ(*t.lookup(1, v6("fd00::10"), 6), mac(2));
}

// ---------------------------------------------------------------------------------------------
// Keys: port and version

TEST(NeighbourTableTest, SameAddressOnTwoPortsIsTwoEntries) {
  NeighbourTable t(64);
  ASSERT_EQ(t.learn(0, v4(10, 0, 0, 1), 4, mac(1)), Learn::added);
  EXPECT_EQ(t.lookup(1, v4(10, 0, 0, 1), 4), nullptr);
  EXPECT_EQ(t.learn(1, v4(10, 0, 0, 1), 4, mac(2)), Learn::added);
  EXPECT_EQ(t.size(), 2u);
  ASSERT_NE(t.lookup(0, v4(10, 0, 0, 1), 4), nullptr);
  ASSERT_NE(t.lookup(1, v4(10, 0, 0, 1), 4), nullptr);
  EXPECT_EQ(*t.lookup(0, v4(10, 0, 0, 1), 4), mac(1));
  EXPECT_EQ(*t.lookup(1, v4(10, 0, 0, 1), 4), mac(2));

  // A static entry on one port leaves the other port's entry learnable.
  ASSERT_TRUE(t.add_static(0, v4(10, 0, 0, 1), 4, mac(3)));
  EXPECT_EQ(t.learn(1, v4(10, 0, 0, 1), 4, mac(4)), Learn::updated);
  EXPECT_EQ(*t.lookup(0, v4(10, 0, 0, 1), 4), mac(3));
  EXPECT_EQ(*t.lookup(1, v4(10, 0, 0, 1), 4), mac(4));
  EXPECT_EQ(t.size(), 2u);
}

TEST(NeighbourTableTest, SameBytesAsV4AndV6AreTwoEntries) {
  // 10.0.0.1 as IPv4 and a00:1:: as IPv6 have identical 16 address bytes.
  const IpAddress bytes = v4(10, 0, 0, 1);
  ASSERT_EQ(bytes, v6("a00:1::"));
  NeighbourTable t(64);
  ASSERT_EQ(t.learn(0, bytes, 4, mac(4)), Learn::added);
  EXPECT_EQ(t.lookup(0, bytes, 6), nullptr);
  EXPECT_EQ(t.learn(0, bytes, 6, mac(6)), Learn::added);
  EXPECT_EQ(t.size(), 2u);
  ASSERT_NE(t.lookup(0, bytes, 4), nullptr);
  ASSERT_NE(t.lookup(0, bytes, 6), nullptr);
  EXPECT_EQ(*t.lookup(0, bytes, 4), mac(4));
  EXPECT_EQ(*t.lookup(0, bytes, 6), mac(6));
}

// Learns `a` as (`port`, `version`) so that it lands exactly on the home slot of the same
// address as (`other_port`, `other_version`), by first filling the slots in between with
// other keys. A lookup of the other key then meets this entry first and must tell them apart.
// Returns false when `a`'s two home slots are too far apart for that.
bool learn_on_home_slot_of(NeighbourTable& t, uint8_t port, const IpAddress& a, uint8_t version,
                           uint8_t other_port, uint8_t other_version, const MacAddress& m) {
  constexpr uint32_t kMask = 31;  // tables of capacity 16
  const uint32_t from = home_slot(port, a, version, kMask);
  const uint32_t to = home_slot(other_port, a, other_version, kMask);
  const uint32_t distance = (to - from) & kMask;
  if (distance > 8) return false;
  for (const IpAddress& filler : colliding_v4(port, from, kMask + 1, distance))
    EXPECT_EQ(t.learn(port, filler, 4, mac(0xf000)), Learn::added);
  EXPECT_EQ(t.learn(port, a, version, m), Learn::added);
  return true;
}

TEST(NeighbourTableTest, LookupOnTheOtherPortDoesNotMatchAnEntryInItsProbePath) {
  for (uint32_t i = 1; i < 4096; ++i) {
    const IpAddress a = v4(10, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i));
    NeighbourTable t(16);
    if (!learn_on_home_slot_of(t, 1, a, 4, 0, 4, mac(1))) continue;
    EXPECT_EQ(t.lookup(0, a, 4), nullptr);
    ASSERT_TRUE(t.add_static(1, a, 4, mac(2)));
    EXPECT_EQ(t.learn(0, a, 4, mac(3)), Learn::added);
    EXPECT_EQ(t.learn(0, a, 4, mac(4)), Learn::updated);
    ASSERT_NE(t.lookup(0, a, 4), nullptr);
    ASSERT_NE(t.lookup(1, a, 4), nullptr);
    EXPECT_EQ(*t.lookup(0, a, 4), mac(4));
    EXPECT_EQ(*t.lookup(1, a, 4), mac(2));
    return;
  }
  ADD_FAILURE() << "no address has its two home slots close enough";
}

TEST(NeighbourTableTest, LookupAsTheOtherVersionDoesNotMatchAnEntryInItsProbePath) {
  for (uint32_t i = 1; i < 4096; ++i) {
    const IpAddress a = v4(10, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i));
    NeighbourTable t(16);
    if (!learn_on_home_slot_of(t, 0, a, 6, 0, 4, mac(6))) continue;
    EXPECT_EQ(t.lookup(0, a, 4), nullptr);
    ASSERT_TRUE(t.add_static(0, a, 6, mac(7)));
    EXPECT_EQ(t.learn(0, a, 4, mac(8)), Learn::added);
    ASSERT_NE(t.lookup(0, a, 4), nullptr);
    ASSERT_NE(t.lookup(0, a, 6), nullptr);
    EXPECT_EQ(*t.lookup(0, a, 4), mac(8));
    EXPECT_EQ(*t.lookup(0, a, 6), mac(7));
    return;
  }
  ADD_FAILURE() << "no address has its two home slots close enough";
}

TEST(NeighbourTableTest, V6AddressesDifferingOnlyInTheLastByteAreDistinct) {
  NeighbourTable t(64);
  ASSERT_EQ(t.learn(1, v6("fd00::1"), 6, mac(1)), Learn::added);
  ASSERT_EQ(t.learn(1, v6("fd00::2"), 6, mac(2)), Learn::added);
  ASSERT_EQ(t.learn(1, v6("fe00::1"), 6, mac(3)), Learn::added);
  EXPECT_EQ(*t.lookup(1, v6("fd00::1"), 6), mac(1));
  EXPECT_EQ(*t.lookup(1, v6("fd00::2"), 6), mac(2));
  EXPECT_EQ(*t.lookup(1, v6("fe00::1"), 6), mac(3));
  EXPECT_EQ(t.lookup(1, v6("fd00::3"), 6), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Capacity

TEST(NeighbourTableTest, FillsToCapacityThenReportsFull) {
  constexpr uint32_t kCapacity = 16;
  NeighbourTable t(kCapacity);
  for (uint32_t i = 0; i < kCapacity; ++i) {
    const Key k = key(i);
    ASSERT_EQ(t.learn(k.port, k.address, k.version, mac(i)), Learn::added) << i;
  }
  EXPECT_EQ(t.size(), kCapacity);

  const Key extra = key(kCapacity);
  EXPECT_EQ(t.learn(extra.port, extra.address, extra.version, mac(99)), Learn::full);
  EXPECT_EQ(t.lookup(extra.port, extra.address, extra.version), nullptr);
  EXPECT_FALSE(t.add_static(extra.port, extra.address, extra.version, mac(99)));
  EXPECT_EQ(t.lookup(extra.port, extra.address, extra.version), nullptr);
  EXPECT_EQ(t.size(), kCapacity);

  // Entries already present are still updated, and may still become static, when full.
  const Key k0 = key(0), k1 = key(1), k2 = key(2);
  EXPECT_EQ(t.learn(k0.port, k0.address, k0.version, mac(0)), Learn::unchanged);
  EXPECT_EQ(t.learn(k1.port, k1.address, k1.version, mac(100)), Learn::updated);
  EXPECT_TRUE(t.add_static(k2.port, k2.address, k2.version, mac(200)));
  EXPECT_EQ(t.learn(k2.port, k2.address, k2.version, mac(2)), Learn::static_kept);
  EXPECT_EQ(t.size(), kCapacity);

  for (uint32_t i = 0; i < kCapacity; ++i) {
    const Key k = key(i);
    const MacAddress* m = t.lookup(k.port, k.address, k.version);
    ASSERT_NE(m, nullptr) << i;
    EXPECT_EQ(*m, i == 1 ? mac(100) : i == 2 ? mac(200) : mac(i)) << i;
  }
}

TEST(NeighbourTableTest, StaticEntriesCountTowardsCapacity) {
  constexpr uint32_t kCapacity = 16;
  NeighbourTable t(kCapacity);
  for (uint32_t i = 0; i < kCapacity - 1; ++i) {
    const Key k = key(i);
    ASSERT_TRUE(t.add_static(k.port, k.address, k.version, mac(i))) << i;
  }
  const Key last = key(kCapacity - 1), extra = key(kCapacity);
  EXPECT_EQ(t.learn(last.port, last.address, last.version, mac(1)), Learn::added);
  EXPECT_EQ(t.size(), kCapacity);
  EXPECT_EQ(t.learn(extra.port, extra.address, extra.version, mac(2)), Learn::full);
  EXPECT_FALSE(t.add_static(extra.port, extra.address, extra.version, mac(2)));
  EXPECT_EQ(t.size(), kCapacity);
}

TEST(NeighbourTableTest, CapacityOfOneHoldsOneEntry) {
  NeighbourTable t(1);
  EXPECT_EQ(t.learn(0, v4(10, 0, 0, 1), 4, mac(1)), Learn::added);
  EXPECT_EQ(t.learn(0, v4(10, 0, 0, 2), 4, mac(2)), Learn::full);
  EXPECT_EQ(t.learn(1, v4(10, 0, 0, 1), 4, mac(3)), Learn::full);
  EXPECT_EQ(t.learn(0, v4(10, 0, 0, 1), 4, mac(4)), Learn::updated);
  EXPECT_EQ(t.size(), 1u);
  ASSERT_NE(t.lookup(0, v4(10, 0, 0, 1), 4), nullptr);
  EXPECT_EQ(*t.lookup(0, v4(10, 0, 0, 1), 4), mac(4));
  EXPECT_EQ(t.lookup(0, v4(10, 0, 0, 2), 4), nullptr);
  EXPECT_EQ(t.lookup(1, v4(10, 0, 0, 1), 4), nullptr);
}

TEST(NeighbourTableTest, LookupOfAbsentEntriesReturnsNullWhenTheTableIsFull) {
  constexpr uint32_t kCapacity = 256;
  NeighbourTable t(kCapacity);
  for (uint32_t i = 0; i < kCapacity; ++i) {
    const Key k = key(i);
    ASSERT_EQ(t.learn(k.port, k.address, k.version, mac(i)), Learn::added) << i;
  }
  ASSERT_EQ(t.size(), kCapacity);
  for (uint32_t i = kCapacity; i < 20 * kCapacity; ++i) {
    const Key k = key(i);
    ASSERT_EQ(t.lookup(k.port, k.address, k.version), nullptr) << i;
  }
  // Present addresses asked for on the other port or as the other version are absent too.
  for (uint32_t i = 0; i < kCapacity; ++i) {
    const Key k = key(i);
    ASSERT_EQ(t.lookup(static_cast<uint8_t>(1 - k.port), k.address, k.version), nullptr) << i;
    ASSERT_EQ(t.lookup(k.port, k.address, k.version == 4 ? 6 : 4), nullptr) << i;
  }
}

// ---------------------------------------------------------------------------------------------
// Collisions

TEST(NeighbourTableTest, ManyEntriesAreAllFound) {
  constexpr uint32_t kCapacity = 4096;
  NeighbourTable t(kCapacity);
  for (uint32_t i = 0; i < kCapacity; ++i) {
    const Key k = key(i);
    if (i % 3 == 0) {
      ASSERT_TRUE(t.add_static(k.port, k.address, k.version, mac(i))) << i;
    } else {
      ASSERT_EQ(t.learn(k.port, k.address, k.version, mac(i)), Learn::added) << i;
    }
  }
  EXPECT_EQ(t.size(), kCapacity);
  for (uint32_t i = 0; i < kCapacity; ++i) {
    const Key k = key(i);
    const MacAddress* m = t.lookup(k.port, k.address, k.version);
    ASSERT_NE(m, nullptr) << i;
    ASSERT_EQ(*m, mac(i)) << i;
    ASSERT_EQ(t.learn(k.port, k.address, k.version, mac(i)),
              i % 3 == 0 ? Learn::static_kept : Learn::unchanged)
        << i;
  }
  EXPECT_EQ(t.size(), kCapacity);
}

TEST(NeighbourTableTest, KeysWithTheSameHomeSlotAreAllFound) {
  // Capacity 16 gives 32 slots. All keys share home slot 5: each probes past the others.
  constexpr uint32_t kCapacity = 16, kSlots = 32;
  const std::vector<IpAddress> keys = colliding_v4(0, 5, kSlots, kCapacity + 8);
  NeighbourTable t(kCapacity);
  for (uint32_t i = 0; i < kCapacity; ++i)
    ASSERT_EQ(t.learn(0, keys[i], 4, mac(i)), Learn::added) << i;
  ASSERT_EQ(t.learn(0, keys[kCapacity], 4, mac(99)), Learn::full);
  for (uint32_t i = 0; i < kCapacity; ++i) {
    const MacAddress* m = t.lookup(0, keys[i], 4);
    ASSERT_NE(m, nullptr) << i;
    EXPECT_EQ(*m, mac(i)) << i;
  }
  for (uint32_t i = kCapacity; i < keys.size(); ++i)
    EXPECT_EQ(t.lookup(0, keys[i], 4), nullptr) << i;
  // Updating the last key in the probe chain finds it, not an empty slot after the chain.
  EXPECT_EQ(t.learn(0, keys[kCapacity - 1], 4, mac(1000)), Learn::updated);
  EXPECT_EQ(t.size(), kCapacity);
  EXPECT_EQ(*t.lookup(0, keys[kCapacity - 1], 4), mac(1000));
}

TEST(NeighbourTableTest, ProbingWrapsFromTheLastSlotToTheFirst) {
  // All keys share the last home slot, so all but the first live at the start of the table.
  constexpr uint32_t kCapacity = 16, kSlots = 32;
  const std::vector<IpAddress> keys = colliding_v4(1, kSlots - 1, kSlots, kCapacity + 4);
  NeighbourTable t(kCapacity);
  for (uint32_t i = 0; i < kCapacity; ++i) ASSERT_TRUE(t.add_static(1, keys[i], 4, mac(i))) << i;
  for (uint32_t i = 0; i < kCapacity; ++i) {
    const MacAddress* m = t.lookup(1, keys[i], 4);
    ASSERT_NE(m, nullptr) << i;
    EXPECT_EQ(*m, mac(i)) << i;
    EXPECT_EQ(t.learn(1, keys[i], 4, mac(500)), Learn::static_kept) << i;
  }
  for (uint32_t i = kCapacity; i < keys.size(); ++i) {
    EXPECT_EQ(t.lookup(1, keys[i], 4), nullptr) << i;
    EXPECT_EQ(t.learn(1, keys[i], 4, mac(i)), Learn::full) << i;
  }
  // The same addresses on the other port are other keys.
  for (uint32_t i = 0; i < kCapacity; ++i) EXPECT_EQ(t.lookup(0, keys[i], 4), nullptr) << i;
  EXPECT_EQ(t.size(), kCapacity);
}

TEST(NeighbourTableTest, CollidingKeysOfBothPortsAndVersionsAreKeptApart) {
  constexpr uint32_t kCapacity = 16, kSlots = 32;
  const std::vector<IpAddress> on0 = colliding_v4(0, 9, kSlots, 4);
  const std::vector<IpAddress> on1 = colliding_v4(1, 9, kSlots, 4);
  NeighbourTable t(kCapacity);
  for (uint32_t i = 0; i < 4; ++i) {
    ASSERT_EQ(t.learn(0, on0[i], 4, mac(i)), Learn::added);
    ASSERT_EQ(t.learn(1, on1[i], 4, mac(10 + i)), Learn::added);
    ASSERT_EQ(t.learn(0, on0[i], 6, mac(20 + i)), Learn::added);
  }
  EXPECT_EQ(t.size(), 12u);
  for (uint32_t i = 0; i < 4; ++i) {
    ASSERT_NE(t.lookup(0, on0[i], 4), nullptr);
    ASSERT_NE(t.lookup(1, on1[i], 4), nullptr);
    ASSERT_NE(t.lookup(0, on0[i], 6), nullptr);
    EXPECT_EQ(*t.lookup(0, on0[i], 4), mac(i));
    EXPECT_EQ(*t.lookup(1, on1[i], 4), mac(10 + i));
    EXPECT_EQ(*t.lookup(0, on0[i], 6), mac(20 + i));
  }
}

}  // namespace
}  // namespace gauntlet
