// SYN cookies: what a cookie keeps of the client's options, and that only the genuine ACK of
// a recent SYN-ACK passes.
#include <gtest/gtest.h>
#include <random>

#include "dataplane/proxy/syn_cookie.h"

namespace gauntlet {
namespace {

constexpr CookieKey kKey = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                            0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
constexpr uint64_t kSecond = 1000000000ull;

CookieTuple tuple() {
  CookieTuple t;
  const uint8_t client[4] = {203, 0, 113, 7}, vip[4] = {198, 51, 100, 20};
  t.client = IpAddress::v4(client);
  t.vip = IpAddress::v4(vip);
  t.client_port = 40000;
  t.vip_port = 443;
  return t;
}

TEST(SipHash, MatchesTheReferenceVectors) {
  // The paper's test vectors: key 00..0f, message 00..(n-1).
  uint8_t msg[64];
  for (int i = 0; i < 64; ++i) msg[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(siphash24(kKey, msg, 0), 0x726fdb47dd0e0e31ull);
  EXPECT_EQ(siphash24(kKey, msg, 1), 0x74f839c593dc67fdull);
  EXPECT_EQ(siphash24(kKey, msg, 15), 0xa129ca6149be45e5ull);
  EXPECT_EQ(siphash24(kKey, msg, 63), 0x958a324ceb064572ull);
}

TEST(SynCookie, AckOfTheCookieReturnsTheOptions) {
  const SynOptions offered{1460, 7, true, true};
  const uint64_t now = 1000 * kSecond;
  const uint32_t isn = 0x12345678;
  const uint32_t cookie = make_cookie(kKey, tuple(), isn, offered, now);
  const auto got = check_cookie(kKey, tuple(), isn + 1, cookie + 1, now + 5 * kSecond);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, offered);
}

TEST(SynCookie, OptionsAreRoundedToWhatTheCookieHolds) {
  EXPECT_EQ(cookie_options({1400, 3, false, false}), (SynOptions{1300, 3, false, false}));
  EXPECT_EQ(cookie_options({9000, 14, true, false}), (SynOptions{1460, 14, true, false}));
  EXPECT_EQ(cookie_options({100, 20, false, true}), (SynOptions{536, kNoWindowScale, false, true}));
  for (uint16_t mss : {536, 1300, 1440, 1460, 1500})
    for (uint8_t ws : {0, 7, 14, 15})
      for (bool sack : {false, true})
        for (bool ts : {false, true}) {
          const SynOptions want = cookie_options({mss, ws, sack, ts});
          const uint32_t c = make_cookie(kKey, tuple(), 77, {mss, ws, sack, ts}, 0);
          const auto got = check_cookie(kKey, tuple(), 78, c + 1, 0);
          ASSERT_TRUE(got.has_value());
          EXPECT_EQ(*got, want);
        }
}

TEST(SynCookie, ClientIsnAtTheWrapVerifies) {
  const uint32_t isn = 0xffffffffu;  // its ACK carries seq 0
  const uint32_t c = make_cookie(kKey, tuple(), isn, {1460, 7, true, true}, 0);
  EXPECT_TRUE(check_cookie(kKey, tuple(), 0, c + 1, 0).has_value());
}

TEST(SynCookie, ExpiresAfterItsAgeBound) {
  const uint64_t sent = 7 * kCookiePeriodNs - kSecond;  // counter 6, next is 7, then 8 (wraps)
  const uint32_t c = make_cookie(kKey, tuple(), 1, {1460, 7, true, true}, sent);
  EXPECT_TRUE(check_cookie(kKey, tuple(), 2, c + 1, sent).has_value());
  EXPECT_TRUE(check_cookie(kKey, tuple(), 2, c + 1, sent + kCookiePeriodNs).has_value());
  EXPECT_FALSE(check_cookie(kKey, tuple(), 2, c + 1, sent + 2 * kCookiePeriodNs).has_value());
  EXPECT_FALSE(check_cookie(kKey, tuple(), 2, c + 1, sent + 8 * kCookiePeriodNs).has_value());
  // From the future (the clock never runs back): refused.
  EXPECT_FALSE(check_cookie(kKey, tuple(), 2, c + 1, sent - kCookiePeriodNs).has_value());
}

TEST(SynCookie, BoundToTupleIsnAndKey) {
  const uint32_t c = make_cookie(kKey, tuple(), 1000, {1460, 7, true, true}, 0);
  CookieTuple other = tuple();
  other.client_port = 40001;
  EXPECT_FALSE(check_cookie(kKey, other, 1001, c + 1, 0).has_value());
  other = tuple();
  other.vip_port = 80;
  EXPECT_FALSE(check_cookie(kKey, other, 1001, c + 1, 0).has_value());
  EXPECT_FALSE(check_cookie(kKey, tuple(), 1002, c + 1, 0).has_value());  // another ISN
  CookieKey key2 = kKey;
  key2[0] ^= 1;
  EXPECT_FALSE(check_cookie(key2, tuple(), 1001, c + 1, 0).has_value());
}

TEST(SynCookie, ForgedAcksAlmostNeverPass) {
  // 2^20 MAC values and up to 2 counters: about 2 in a million guesses pass.
  std::mt19937 rng(42);
  int passed = 0;
  for (int i = 0; i < 200000; ++i)
    passed += check_cookie(kKey, tuple(), rng(), rng(), 100 * kSecond).has_value();
  EXPECT_LE(passed, 5);
}

TEST(SynCookie, IsnsSpreadOverTheSequenceSpace) {
  // Whitening hides the counter and options bits: the top bits differ between clients.
  uint32_t top_bits_seen = 0;
  CookieTuple t = tuple();
  for (uint16_t p = 1000; p < 1064; ++p) {
    t.client_port = p;
    top_bits_seen |= 1u << (make_cookie(kKey, t, 5, {1460, 7, true, true}, 0) >> 27);
  }
  EXPECT_GT(__builtin_popcount(top_bits_seen), 16);
}

}  // namespace
}  // namespace gauntlet
