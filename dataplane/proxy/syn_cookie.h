// SYN cookies for the l7-route proxy: the ISN gauntlet answers a client's SYN with carries
// everything the handshake must remember, so a SYN creates no state (a SYN flood fills no
// table) and the client's ACK proves it saw the SYN-ACK.
//
// Layout (before whitening), like Linux's cookies: a time counter, the client's options and
// a keyed MAC binding them to the connection:
//   bits 31..29  counter mod 8 (counter = dataplane time / kCookiePeriodNs)
//   bits 28..20  options: MSS index (2 bits, kCookieMss), window scale (4 bits, 15 = none),
//                SACK-permitted (1 bit), timestamps (1 bit), one bit zero
//   bits 19..0   SipHash-2-4(key, tuple | client ISN | counter | options) & 0xfffff
// The ISN sent is that value XOR the low 32 bits of SipHash-2-4(key, tuple), so the counter
// and options bits are not visible on the wire. A cookie verifies when its MAC matches for a
// counter at most kCookieMaxAge - 1 periods old: a forged cookie passes with probability
// about kCookieMaxAge / 2^20 per guess (the options' spare bit must also be zero).
//
// Timestamps: when the client offers them the SYN-ACK carries TSval = cookie_tsval(now) and
// echoes the client's TSval; the proxy later translates the backend's TSvals into that clock
// (seq_translate.h), so the client never sees time run backwards (PAWS).
//
// The key is 16 bytes: proxy.cookie_secret in the config (32 hex digits), so that replays are
// deterministic, or random at start. tools/pcapgen/proxy.py computes the same cookies.
// Threads: pure functions over a const key; any core; noexcept, no allocation.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "dataplane/packet/headers.h"

namespace gauntlet {

inline constexpr uint64_t kCookiePeriodNs = 64ull * 1000000000ull;  // one counter step
inline constexpr uint32_t kCookieMaxAge = 2;  // counters accepted: now and now - 1
// MSS values a cookie can carry; a client's MSS is rounded down to the largest entry not
// above it (anything below 536 becomes 536, the IPv4 default).
inline constexpr std::array<uint16_t, 4> kCookieMss = {536, 1300, 1440, 1460};
inline constexpr uint8_t kNoWindowScale = 15;

using CookieKey = std::array<uint8_t, 16>;

// The options a client's SYN offered, as far as a cookie keeps them.
struct SynOptions {
  uint16_t mss = 536;
  uint8_t window_scale = kNoWindowScale;  // 0..14, or kNoWindowScale when not offered
  bool sack_permitted = false;
  bool timestamps = false;
  bool operator==(const SynOptions&) const = default;
};

// A connection as the client sees it: its address and port, and the VIP's.
struct CookieTuple {
  IpAddress client{}, vip{};
  uint16_t client_port = 0, vip_port = 0;
};

// SipHash-2-4 (Aumasson and Bernstein) of `length` bytes: the keyed hash cookies use.
uint64_t siphash24(const CookieKey& key, const uint8_t* data, size_t length) noexcept;

// The options a SYN with `offered` gets back from the cookie (MSS rounded down to the table).
SynOptions cookie_options(const SynOptions& offered) noexcept;

// The ISN for the SYN-ACK answering a SYN with sequence `client_isn` at dataplane time `now_ns`.
uint32_t make_cookie(const CookieKey& key, const CookieTuple& t, uint32_t client_isn,
                     const SynOptions& offered, uint64_t now_ns) noexcept;

// Checks the ACK that completes the handshake: `ack` is its acknowledgement number and `seq`
// its sequence number (the client's ISN + 1). The options the cookie carried, or nullopt for
// a forged or expired cookie.
std::optional<SynOptions> check_cookie(const CookieKey& key, const CookieTuple& t, uint32_t seq,
                                       uint32_t ack, uint64_t now_ns) noexcept;

// The TSval gauntlet puts in a SYN-ACK at `now_ns`: milliseconds of the dataplane clock.
constexpr uint32_t cookie_tsval(uint64_t now_ns) noexcept {
  return static_cast<uint32_t>(now_ns / 1000000ull);
}

}  // namespace gauntlet
