// Tests for the per-worker flow table: both directions find one entry, capacity limits,
// erase and reuse, translated (NAT) keys, expiry through the wheel, a 1M-flow table and a
// random churn against a reference map. No EAL.
#include <cstdint>
#include <gtest/gtest.h>
#include <map>
#include <random>
#include <stdexcept>
#include <vector>

#include "dataplane/conntrack/flow_table.h"

namespace gauntlet {
namespace {

constexpr uint64_t kSecond = 1'000'000'000ull;
constexpr uint64_t kLater = 1000 * kSecond;

IpAddress v4(uint32_t host_order) {
  const uint8_t b[4] = {static_cast<uint8_t>(host_order >> 24),
                        static_cast<uint8_t>(host_order >> 16),
                        static_cast<uint8_t>(host_order >> 8), static_cast<uint8_t>(host_order)};
  return IpAddress::v4(b);
}
IpAddress v6(uint32_t low) {
  uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8};
  for (int i = 0; i < 4; ++i) b[12 + i] = static_cast<uint8_t>(low >> (24 - 8 * i));
  return IpAddress::v6(b);
}

PacketKey tcp4(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport) {
  return make_packet_key(4, 6, v4(src), sport, v4(dst), dport);
}

FlowMatch find(FlowTable& t, const PacketKey& k) { return t.lookup(k, flow_hash(k.key)); }
FlowEntry* add(FlowTable& t, const PacketKey& k, uint64_t expiry = kLater) {
  return t.insert(k, flow_hash(k.key), expiry);
}

TEST(FlowTable, BothDirectionsOfAnIpv4FlowFindOneEntry) {
  FlowTable t(16);
  const PacketKey out = tcp4(0x0a000001, 40000, 0xc0000207, 443);
  const PacketKey back = tcp4(0xc0000207, 443, 0x0a000001, 40000);
  FlowEntry* e = add(t, out);
  ASSERT_NE(e, nullptr);
  const FlowMatch a = find(t, out), b = find(t, back);
  EXPECT_EQ(a.entry, e);
  EXPECT_EQ(a.direction, FlowDirection::original);
  EXPECT_EQ(b.entry, e);
  EXPECT_EQ(b.direction, FlowDirection::reply);
  EXPECT_EQ(e->original_source(), (FlowEndpoint{v4(0x0a000001), 40000}));
}

TEST(FlowTable, BothDirectionsOfAnIpv6FlowFindOneEntry) {
  FlowTable t(16);
  const PacketKey out = make_packet_key(6, 17, v6(9), 5353, v6(1), 53);
  const PacketKey back = make_packet_key(6, 17, v6(1), 53, v6(9), 5353);
  FlowEntry* e = add(t, out);
  EXPECT_EQ(find(t, back).entry, e);
  EXPECT_EQ(find(t, back).direction, FlowDirection::reply);
  EXPECT_EQ(find(t, out).direction, FlowDirection::original);
  // Same low address bits over IPv4 are another flow.
  EXPECT_FALSE(find(t, make_packet_key(4, 17, v4(9), 5353, v4(1), 53)));
}

TEST(FlowTable, UnknownFlowIsAMiss) {
  FlowTable t(16);
  add(t, tcp4(1, 1, 2, 2));
  const FlowMatch m = find(t, tcp4(1, 1, 2, 3));
  EXPECT_FALSE(m);
  EXPECT_EQ(m.entry, nullptr);
}

TEST(FlowTable, FullTableRefusesInsertButStillFindsEveryFlow) {
  constexpr uint32_t kCapacity = 1000;
  FlowTable t(kCapacity);
  for (uint32_t i = 0; i < kCapacity; ++i)
    ASSERT_NE(add(t, tcp4(0x0a000000 + i, 1000, 0x08080808, 53)), nullptr) << i;
  EXPECT_EQ(t.size(), kCapacity);
  EXPECT_EQ(add(t, tcp4(0x0b000000, 1000, 0x08080808, 53)), nullptr);
  for (uint32_t i = 0; i < kCapacity; ++i) {
    const FlowMatch m = find(t, tcp4(0x08080808, 53, 0x0a000000 + i, 1000));
    ASSERT_TRUE(m) << i;
    EXPECT_EQ(m.direction, FlowDirection::reply);
  }
}

TEST(FlowTable, ErasedEntryIsGoneAndItsRoomIsReused) {
  FlowTable t(2);
  FlowEntry* a = add(t, tcp4(1, 1, 2, 2));
  add(t, tcp4(3, 3, 4, 4));
  a->rule = 7;
  a->account(FlowDirection::original, 100);
  t.erase(*a);
  EXPECT_FALSE(find(t, tcp4(1, 1, 2, 2)));
  EXPECT_TRUE(find(t, tcp4(3, 3, 4, 4)));
  EXPECT_EQ(t.size(), 1u);
  FlowEntry* c = add(t, tcp4(5, 5, 6, 6));
  ASSERT_EQ(c, a);  // the freed entry, reset
  EXPECT_EQ(c->rule, kNoFlowRule);
  EXPECT_EQ(c->packets[0], 0u);
  EXPECT_EQ(find(t, tcp4(6, 6, 5, 5)).entry, c);
}

TEST(FlowTable, MillionFlowTableFindsEveryInsertedFlow) {
  constexpr uint32_t kFlows = 1'000'000;
  FlowTable t(kFlows);
  std::mt19937_64 rng(3);
  std::vector<PacketKey> keys;
  keys.reserve(kFlows);
  for (uint32_t i = 0; i < kFlows; ++i) {
    // Distinct by construction (i in the source address), random elsewhere.
    keys.push_back(make_packet_key(4, 6, v4(0x0a000000 | i), static_cast<uint16_t>(rng()),
                                   v4(static_cast<uint32_t>(rng())), 443));
    ASSERT_NE(add(t, keys.back()), nullptr) << i;
  }
  EXPECT_EQ(t.size(), kFlows);
  std::shuffle(keys.begin(), keys.end(), rng);
  uint32_t found = 0;
  for (const PacketKey& k : keys) found += find(t, k).entry != nullptr;
  EXPECT_EQ(found, kFlows);
  // Both arrays round up to a whole huge page; the wheel adds 16 KiB.
  EXPECT_LE(t.memory_bytes(), size_t{kFlows} * FlowTable::kBytesPerFlow +
                                  2 * HugePageArray<char>::kHugePage + 64 * 1024);
}

TEST(FlowTable, MemoryPerFlowIsAtMost128Bytes) {
  EXPECT_EQ(sizeof(FlowEntry), 112u);
  EXPECT_EQ(FlowTable::kBytesPerFlow, 128u);
}

TEST(FlowTable, SnatReplyToTheTranslatedPortFindsTheFlowAsReply) {
  FlowTable t(16);
  const PacketKey out = tcp4(0x0a000005, 40000, 0x5db8d822, 443);  // pod -> internet
  FlowEntry* e = add(t, out);
  ASSERT_EQ(t.bind_translation(*e, NatKind::source, v4(0xcb007101), 61000), BindResult::bound);
  const FlowMatch reply = find(t, tcp4(0x5db8d822, 443, 0xcb007101, 61000));
  EXPECT_EQ(reply.entry, e);
  EXPECT_EQ(reply.direction, FlowDirection::reply);
  EXPECT_EQ(find(t, out).direction, FlowDirection::original);
  EXPECT_FALSE(find(t, tcp4(0x5db8d822, 443, 0xcb007101, 61001)));
  EXPECT_FALSE(find(t, tcp4(0x5db8d823, 443, 0xcb007101, 61000)));  // other remote
}

TEST(FlowTable, DnatReplyFromTheBackendFindsTheFlowAsReply) {
  FlowTable t(16);
  const PacketKey in = tcp4(0x01020304, 50000, 0xcb007150, 80);  // client -> VIP
  FlowEntry* e = add(t, in);
  ASSERT_EQ(t.bind_translation(*e, NatKind::destination, v4(0x0a000063), 8080), BindResult::bound);
  const FlowMatch reply = find(t, tcp4(0x0a000063, 8080, 0x01020304, 50000));
  EXPECT_EQ(reply.entry, e);
  EXPECT_EQ(reply.direction, FlowDirection::reply);
  EXPECT_EQ(find(t, tcp4(0xcb007150, 80, 0x01020304, 50000)).direction, FlowDirection::reply);
}

TEST(FlowTable, IcmpEchoReplyToTheTranslatedIdFindsTheFlow) {
  FlowTable t(16);
  const PacketKey request = make_packet_key(4, 1, v4(0x0a000005), 77, v4(0x08080808), 77);
  FlowEntry* e = add(t, request);
  ASSERT_EQ(t.bind_translation(*e, NatKind::source, v4(0xcb007101), 1200), BindResult::bound);
  const PacketKey reply = make_packet_key(4, 1, v4(0x08080808), 1200, v4(0xcb007101), 1200);
  EXPECT_EQ(find(t, reply).entry, e);
  EXPECT_EQ(find(t, reply).direction, FlowDirection::reply);
}

TEST(FlowTable, Ipv6SnatReplyFindsTheFlow) {
  FlowTable t(16);
  FlowEntry* e = add(t, make_packet_key(6, 17, v6(5), 3000, v6(0xffff0001), 53));
  ASSERT_EQ(t.bind_translation(*e, NatKind::source, v6(0x100), 3000), BindResult::bound);
  EXPECT_EQ(find(t, make_packet_key(6, 17, v6(0xffff0001), 53, v6(0x100), 3000)).entry, e);
}

TEST(FlowTable, TranslationOntoAnotherFlowsKeyIsAConflict) {
  FlowTable t(16);
  FlowEntry* a = add(t, tcp4(0x0a000001, 1000, 0x08080808, 53));
  FlowEntry* b = add(t, tcp4(0x0a000002, 1000, 0x08080808, 53));
  ASSERT_EQ(t.bind_translation(*a, NatKind::source, v4(0xcb007101), 2000), BindResult::bound);
  EXPECT_EQ(t.bind_translation(*b, NatKind::source, v4(0xcb007101), 2000), BindResult::conflict);
  EXPECT_EQ(b->nat(), NatKind::none);
  EXPECT_EQ(find(t, tcp4(0x08080808, 53, 0xcb007101, 2000)).entry, a);
}

TEST(FlowTable, RebindingReplacesTheTranslatedKey) {
  FlowTable t(16);
  FlowEntry* e = add(t, tcp4(0x0a000001, 1000, 0x08080808, 53));
  t.bind_translation(*e, NatKind::source, v4(0xcb007101), 2000);
  t.bind_translation(*e, NatKind::source, v4(0xcb007101), 2001);
  EXPECT_FALSE(find(t, tcp4(0x08080808, 53, 0xcb007101, 2000)));
  EXPECT_EQ(find(t, tcp4(0x08080808, 53, 0xcb007101, 2001)).entry, e);
}

TEST(FlowTable, IdentityTranslationNeedsNoSecondKey) {
  FlowTable t(16);
  FlowEntry* e = add(t, tcp4(0x0a000001, 1000, 0x08080808, 53));
  EXPECT_EQ(t.bind_translation(*e, NatKind::source, v4(0x0a000001), 1000), BindResult::bound);
  EXPECT_FALSE(e->reply_key_indexed);
  EXPECT_EQ(find(t, tcp4(0x08080808, 53, 0x0a000001, 1000)).entry, e);
}

TEST(FlowTable, EraseRemovesTheTranslatedKeyToo) {
  FlowTable t(16);
  FlowEntry* e = add(t, tcp4(0x0a000001, 1000, 0x08080808, 53));
  t.bind_translation(*e, NatKind::source, v4(0xcb007101), 2000);
  t.erase(*e);
  EXPECT_FALSE(find(t, tcp4(0x08080808, 53, 0xcb007101, 2000)));
  EXPECT_FALSE(find(t, tcp4(0x0a000001, 1000, 0x08080808, 53)));
}

TEST(FlowTable, ExpiredFlowIsHandedToTheCallbackThenRemoved) {
  FlowTable t(16);
  FlowEntry* e = add(t, tcp4(1, 1, 2, 2), 30 * kSecond);
  t.bind_translation(*e, NatKind::source, v4(9), 5000);
  add(t, tcp4(3, 3, 4, 4), 120 * kSecond);
  std::vector<uint16_t> released;
  EXPECT_EQ(t.expire(29 * kSecond, 1000, [&](FlowEntry& x) { released.push_back(x.nat_port); }),
            0u);
  EXPECT_EQ(t.expire(30 * kSecond, 1000, [&](FlowEntry& x) { released.push_back(x.nat_port); }),
            1u);
  EXPECT_EQ(released, std::vector<uint16_t>{5000});
  EXPECT_FALSE(find(t, tcp4(1, 1, 2, 2)));
  EXPECT_FALSE(find(t, tcp4(2, 2, 9, 5000)));
  EXPECT_TRUE(find(t, tcp4(3, 3, 4, 4)));
  EXPECT_EQ(t.size(), 1u);
}

TEST(FlowTable, RefreshedFlowOutlivesItsFirstExpiryAndShortenedOneGoesEarly) {
  FlowTable t(16);
  FlowEntry* kept = add(t, tcp4(1, 1, 2, 2), 30 * kSecond);
  FlowEntry* closed = add(t, tcp4(3, 3, 4, 4), 432000 * kSecond);
  t.set_expiry(*kept, 90 * kSecond);    // traffic: later
  t.set_expiry(*closed, 40 * kSecond);  // RST: earlier
  auto none = [](FlowEntry&) {};
  EXPECT_EQ(t.expire(35 * kSecond, 1000, none), 0u);
  EXPECT_EQ(t.expire(40 * kSecond, 1000, none), 1u);
  EXPECT_TRUE(find(t, tcp4(1, 1, 2, 2)));
  EXPECT_EQ(t.expire(90 * kSecond, 1000, none), 1u);
  EXPECT_EQ(t.size(), 0u);
}

TEST(FlowTable, RandomChurnWithTranslationsMatchesAReferenceMap) {
  // A small table (overflowing buckets, wrap-around) under inserts, binds and erases.
  constexpr uint32_t kCapacity = 64;
  FlowTable t(kCapacity);
  std::mt19937_64 rng(5);
  std::map<uint32_t, FlowEntry*> live;  // flow id -> entry
  auto key_of = [](uint32_t id) { return tcp4(0x0a000000 + id, 1000, 0x08080808, 53); };
  auto nat_reply = [](uint32_t id) {
    return tcp4(0x08080808, 53, 0xcb007101, static_cast<uint16_t>(10000 + id));
  };
  for (int step = 0; step < 50000; ++step) {
    const uint32_t id = static_cast<uint32_t>(rng() % 200);
    auto it = live.find(id);
    if (it == live.end()) {
      FlowEntry* e = add(t, key_of(id));
      ASSERT_EQ(e == nullptr, live.size() == kCapacity);
      if (!e) continue;
      if (rng() % 2) {
        ASSERT_EQ(t.bind_translation(*e, NatKind::source, v4(0xcb007101),
                                     static_cast<uint16_t>(10000 + id)),
                  BindResult::bound);
      }
      live[id] = e;
    } else {
      t.erase(*it->second);
      live.erase(it);
    }
    if (step % 97 == 0)
      for (uint32_t f = 0; f < 200; ++f) {
        auto l = live.find(f);
        FlowEntry* want = l == live.end() ? nullptr : l->second;
        ASSERT_EQ(find(t, key_of(f)).entry, want) << f;
        FlowEntry* via_nat = find(t, nat_reply(f)).entry;
        ASSERT_TRUE(via_nat == nullptr || via_nat == want);
        if (want && want->nat() == NatKind::source) {
          ASSERT_EQ(via_nat, want);
        }
      }
  }
}

// White-box: a capacity-8 table has two buckets, and a key's home bucket is the top bit of
// its hash. Builds the state where both buckets have overflowed into each other.
TEST(FlowTable, MissEndsEvenWhenEveryBucketHasOverflowed) {
  FlowTable t(8);
  auto home = [](const PacketKey& k) { return flow_hash(k.key) >> 31; };
  uint32_t next_client = 0;
  uint16_t next_port = 20000;
  // A flow whose key has home `primary`; with `translated` >= 0, also translated to a port
  // whose reply key has that home.
  auto flow = [&](uint32_t primary, int translated) {
    PacketKey k;
    do k = tcp4(0x0a000000 + next_client++, 1000, 0x08080808, 53);
    while (home(k) != primary);
    FlowEntry* e = add(t, k);
    EXPECT_NE(e, nullptr);
    if (translated >= 0) {
      uint16_t port = next_port;
      while (home(tcp4(0x08080808, 53, 0xcb007101, port)) != uint32_t(translated)) ++port;
      EXPECT_EQ(t.bind_translation(*e, NatKind::source, v4(0xcb007101), port), BindResult::bound);
      next_port = static_cast<uint16_t>(port + 1);
    }
    return e;
  };
  std::vector<FlowEntry*> filler;
  for (int i = 0; i < 6; ++i) filler.push_back(flow(1, 1));  // bucket 1: 12 keys, full
  flow(1, 0);                               // its primary key overflows into bucket 0
  for (FlowEntry* e : filler) t.erase(*e);  // bucket 1 empty, its overflow count stays 1
  for (int i = 0; i < 5; ++i) flow(0, 0);   // bucket 0: 12 keys, full
  flow(0, -1);                              // overflows into bucket 1
  EXPECT_EQ(t.size(), 7u);
  for (uint32_t c = 0; c < 64; ++c) EXPECT_FALSE(find(t, tcp4(0x0b000000 + c, 1, 0x0c000000, 2)));
}

TEST(FlowTable, PrefetchingAnyHashIsHarmless) {
  FlowTable t(100);
  const PacketKey k = tcp4(1, 1, 2, 2);
  add(t, k);
  for (uint32_t h : {0u, 1u, 0x7fffffffu, 0xffffffffu, flow_hash(k.key)}) {
    t.prefetch(h);
    t.prefetch_entry(h);
  }
  EXPECT_TRUE(find(t, k));
}

TEST(FlowTable, ZeroOrHugeCapacityIsRejected) {
  EXPECT_THROW(FlowTable(0), std::invalid_argument);
  EXPECT_THROW(FlowTable(FlowTable::kMaxCapacity + 1), std::invalid_argument);
}

}  // namespace
}  // namespace gauntlet
