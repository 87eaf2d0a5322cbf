#include "dataplane/proxy/syn_cookie.h"

#include <cstring>

namespace gauntlet {

namespace {

constexpr uint64_t rotl(uint64_t x, int b) noexcept { return (x << b) | (x >> (64 - b)); }

uint64_t load_le64(const uint8_t* p) noexcept {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void put_be(uint8_t* at, uint32_t v, int bytes) noexcept {
  for (int i = bytes - 1; i >= 0; --i, v >>= 8) at[i] = static_cast<uint8_t>(v);
}

// client | vip | client port | vip port: 36 bytes, ports in network order.
constexpr size_t kTupleBytes = 36;
void tuple_bytes(const CookieTuple& t, uint8_t* out) noexcept {
  std::memcpy(out, t.client.bytes.data(), 16);
  std::memcpy(out + 16, t.vip.bytes.data(), 16);
  put_be(out + 32, t.client_port, 2);
  put_be(out + 34, t.vip_port, 2);
}

uint32_t whitening(const CookieKey& key, const CookieTuple& t) noexcept {
  uint8_t in[kTupleBytes];
  tuple_bytes(t, in);
  return static_cast<uint32_t>(siphash24(key, in, sizeof in));
}

uint32_t mac(const CookieKey& key, const CookieTuple& t, uint32_t client_isn, uint32_t counter,
             uint32_t options) noexcept {
  uint8_t in[kTupleBytes + 10];
  tuple_bytes(t, in);
  put_be(in + kTupleBytes, client_isn, 4);
  put_be(in + kTupleBytes + 4, counter, 4);
  put_be(in + kTupleBytes + 8, options, 2);
  return static_cast<uint32_t>(siphash24(key, in, sizeof in)) & 0xfffffu;
}

uint32_t encode_options(const SynOptions& o) noexcept {
  uint32_t mss_index = 0;
  for (uint32_t i = 0; i < kCookieMss.size(); ++i)
    if (kCookieMss[i] <= o.mss) mss_index = i;
  const uint32_t ws = o.window_scale > 14 ? kNoWindowScale : o.window_scale;
  return (mss_index << 7) | (ws << 3) | (uint32_t{o.sack_permitted} << 2) |
         (uint32_t{o.timestamps} << 1);
}

std::optional<SynOptions> decode_options(uint32_t bits) noexcept {
  if (bits & 1) return std::nullopt;  // the spare bit: never set by make_cookie
  SynOptions o;
  o.mss = kCookieMss[(bits >> 7) & 3];
  o.window_scale = static_cast<uint8_t>((bits >> 3) & 15);
  o.sack_permitted = (bits >> 2) & 1;
  o.timestamps = (bits >> 1) & 1;
  return o;
}

}  // namespace

uint64_t siphash24(const CookieKey& key, const uint8_t* data, size_t length) noexcept {
  const uint64_t k0 = load_le64(key.data()), k1 = load_le64(key.data() + 8);
  uint64_t v0 = 0x736f6d6570736575ull ^ k0, v1 = 0x646f72616e646f6dull ^ k1;
  uint64_t v2 = 0x6c7967656e657261ull ^ k0, v3 = 0x7465646279746573ull ^ k1;
  auto round = [&]() noexcept {
    v0 += v1, v1 = rotl(v1, 13), v1 ^= v0, v0 = rotl(v0, 32);
    v2 += v3, v3 = rotl(v3, 16), v3 ^= v2;
    v0 += v3, v3 = rotl(v3, 21), v3 ^= v0;
    v2 += v1, v1 = rotl(v1, 17), v1 ^= v2, v2 = rotl(v2, 32);
  };
  const size_t whole = length & ~size_t{7};
  for (size_t i = 0; i < whole; i += 8) {
    const uint64_t m = load_le64(data + i);
    v3 ^= m, round(), round(), v0 ^= m;
  }
  uint64_t last = uint64_t{length & 0xff} << 56;
  for (size_t i = 0; i < (length & 7); ++i) last |= uint64_t{data[whole + i]} << (8 * i);
  v3 ^= last, round(), round(), v0 ^= last;
  v2 ^= 0xff;
  round(), round(), round(), round();
  return v0 ^ v1 ^ v2 ^ v3;
}

SynOptions cookie_options(const SynOptions& offered) noexcept {
  return *decode_options(encode_options(offered));
}

uint32_t make_cookie(const CookieKey& key, const CookieTuple& t, uint32_t client_isn,
                     const SynOptions& offered, uint64_t now_ns) noexcept {
  const uint32_t counter = static_cast<uint32_t>(now_ns / kCookiePeriodNs);
  const uint32_t options = encode_options(offered);
  const uint32_t plain =
      ((counter & 7) << 29) | (options << 20) | mac(key, t, client_isn, counter, options);
  return plain ^ whitening(key, t);
}

std::optional<SynOptions> check_cookie(const CookieKey& key, const CookieTuple& t, uint32_t seq,
                                       uint32_t ack, uint64_t now_ns) noexcept {
  const uint32_t client_isn = seq - 1;
  const uint32_t plain = (ack - 1) ^ whitening(key, t);
  const uint32_t now = static_cast<uint32_t>(now_ns / kCookiePeriodNs);
  const uint32_t age = (now - (plain >> 29)) & 7;
  if (age >= kCookieMaxAge || age > now) return std::nullopt;
  const uint32_t counter = now - age, options = (plain >> 20) & 0x1ff;
  if ((plain & 0xfffffu) != mac(key, t, client_isn, counter, options)) return std::nullopt;
  return decode_options(options);
}

}  // namespace gauntlet
