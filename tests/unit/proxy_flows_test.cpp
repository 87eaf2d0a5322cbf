// The proxied flow pool's closing state: an ended flow lingers until its (never extended)
// linger deadline, lingering flows are listed oldest first so a full pool can take one back,
// and freeing a lingering flow (timer, reclaim, reuse) keeps the list and the keys right.
#include "dataplane/proxy/proxy_flows.h"

#include <gtest/gtest.h>
#include <vector>

namespace gauntlet {
namespace {

constexpr uint64_t kSecond = 1000000000ull;

ProxyKey key(uint8_t host, uint16_t port) {
  ProxyKey k;
  k.src.bytes[0] = 203, k.src.bytes[3] = host;
  k.dst.bytes[0] = 198, k.dst.bytes[3] = 20;
  k.src_port = port, k.dst_port = 443;
  return k;
}

std::vector<uint32_t> expire(ProxyFlows& flows, uint64_t now) {
  std::vector<uint32_t> freed;
  flows.expire(now, 4096, [&](uint32_t i) noexcept {
    freed.push_back(i);
    flows.close(i);
  });
  return freed;
}

TEST(ProxyFlows, LingersUntilItsDeadlineNotLonger) {
  ProxyFlows flows(4, 64);
  const uint32_t a = flows.open(key(1, 1000), 300 * kSecond);
  ASSERT_NE(a, kNoProxyFlow);
  flows[a].state = ProxyState::spliced;
  flows.linger(a, 2 * kSecond);  // earlier than its idle timer: moved up
  EXPECT_EQ(flows[a].state, ProxyState::closing);
  flows.linger(a, 9 * kSecond);  // already lingering: not extended
  EXPECT_EQ(flows.lingering(), 1u);
  uint8_t leg = 9;
  EXPECT_EQ(flows.find(key(1, 1000), leg), a);  // still found while lingering
  EXPECT_TRUE(expire(flows, 1 * kSecond).empty());
  EXPECT_EQ(expire(flows, 2 * kSecond + 20000000), std::vector<uint32_t>{a});
  EXPECT_EQ(flows.find(key(1, 1000), leg), kNoProxyFlow);
  EXPECT_EQ(flows.lingering(), 0u);
  EXPECT_EQ(flows.oldest_lingering(), kNoProxyFlow);
  EXPECT_EQ(flows.in_use(), 0u);
}

TEST(ProxyFlows, OldestLingeringIsTakenBackFirst) {
  ProxyFlows flows(3, 64);
  uint32_t f[3];
  for (uint8_t i = 0; i < 3; ++i) {
    f[i] = flows.open(key(i, 2000), 300 * kSecond);
    flows[f[i]].state = ProxyState::spliced;
  }
  EXPECT_EQ(flows.open(key(9, 2000), 300 * kSecond), kNoProxyFlow);  // full
  flows.linger(f[2], 10 * kSecond);
  flows.linger(f[0], 11 * kSecond);
  flows.linger(f[1], 12 * kSecond);
  EXPECT_EQ(flows.lingering(), 3u);
  EXPECT_EQ(flows.oldest_lingering(), f[2]);
  flows.close(f[0]);  // from the middle of the list (a SYN reusing its tuple)
  EXPECT_EQ(flows.oldest_lingering(), f[2]);
  flows.close(f[2]);  // the head (reclaimed)
  EXPECT_EQ(flows.oldest_lingering(), f[1]);
  EXPECT_EQ(flows.lingering(), 1u);
  const uint32_t n = flows.open(key(9, 2000), 300 * kSecond);
  ASSERT_NE(n, kNoProxyFlow);
  EXPECT_EQ(flows[n].state, ProxyState::waiting);
  EXPECT_EQ(flows.oldest_lingering(), f[1]);
  flows.close(f[1]);
  EXPECT_EQ(flows.oldest_lingering(), kNoProxyFlow);
  EXPECT_EQ(flows.lingering(), 0u);
  // The freed flows' timers are gone: nothing but the open one expires later.
  EXPECT_EQ(expire(flows, 301 * kSecond), std::vector<uint32_t>{n});
}

}  // namespace
}  // namespace gauntlet
