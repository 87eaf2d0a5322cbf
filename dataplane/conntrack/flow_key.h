// The conntrack flow key: one canonical form per connection, so a packet and its reply find
// the same flow-table entry. Header-only and allocation-free: any core may build keys, and a
// worker builds one per packet on the hot path.
//
// Canonical form: the two endpoints (address, port) are ordered so that `lo` <= `hi`; the
// packet remembers whether its source was `lo` (PacketKey::src_is_lo). The flow entry
// remembers the same bit for the packet that created it, so comparing the two says
// original or reply direction.
//
// Byte order: addresses in network order (as gauntlet::IpAddress), ports in host order (as
// ParsedPacket gives them). ICMP/ICMPv6 echo: the identifier is both ports (parse does this),
// so a request and its reply differ only in the address order and map to one key.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE4_2__)
#include <nmmintrin.h>
#endif

#include "dataplane/packet/headers.h"
#include "dataplane/packet/parse.h"

namespace gauntlet {

// Direction of a packet relative to the packet that created its flow.
enum class FlowDirection : uint8_t { original, reply, count };
inline constexpr std::array<std::string_view, 2> kFlowDirectionNames = {"original", "reply"};
constexpr std::string_view flow_direction_name(FlowDirection d) noexcept {
  return kFlowDirectionNames[static_cast<size_t>(d)];
}

struct FlowEndpoint {
  IpAddress addr{};
  uint16_t port = 0;
  friend bool operator==(const FlowEndpoint&, const FlowEndpoint&) = default;
};

// 40 bytes, no implicit padding (the trailing two bytes are zeroed explicitly) so that keys
// compare and hash as plain memory.
struct FlowKey {
  IpAddress lo_addr{};
  IpAddress hi_addr{};
  uint16_t lo_port = 0;
  uint16_t hi_port = 0;
  uint8_t proto = 0;    // IPPROTO_*
  uint8_t version = 0;  // 4 or 6; 0 marks an unused flow-table entry
  uint8_t zero[2] = {0, 0};

  FlowEndpoint lo() const noexcept { return {lo_addr, lo_port}; }
  FlowEndpoint hi() const noexcept { return {hi_addr, hi_port}; }

  friend bool operator==(const FlowKey& a, const FlowKey& b) noexcept {
    // Five 8-byte words; the compiler turns this into a few vector compares.
    uint64_t x[5], y[5];
    std::memcpy(x, &a, sizeof x);
    std::memcpy(y, &b, sizeof y);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4])) == 0;
  }
};
static_assert(sizeof(FlowKey) == 40);

// A packet's key plus which side of it the packet came from.
struct PacketKey {
  FlowKey key;
  bool src_is_lo = true;
};

using FlowHash = uint32_t;

constexpr bool is_icmp_proto(uint8_t proto) noexcept { return proto == 1 || proto == 58; }

// Canonical key of a packet from (src, sport) to (dst, dport). When both endpoints are equal
// the packet counts as coming from `lo` (the two directions cannot be told apart).
// The key is written as five 8-byte words, the way flow_hash reads it back: reading a word
// that several narrower stores just wrote stalls store-to-load forwarding for ~15 cycles.
inline PacketKey make_packet_key(uint8_t version, uint8_t proto, const IpAddress& src,
                                 uint16_t sport, const IpAddress& dst, uint16_t dport) noexcept {
  uint64_t s[2], d[2];
  std::memcpy(s, src.bytes.data(), 16);
  std::memcpy(d, dst.bytes.data(), 16);
  // Any fixed total order works; native-order words are the cheapest to compare.
  const bool dst_less = s[0] != d[0] ? d[0] < s[0] : s[1] != d[1] ? d[1] < s[1] : dport < sport;
  PacketKey k;
  k.src_is_lo = !dst_less;
  const uint64_t* lo = k.src_is_lo ? s : d;
  const uint64_t* hi = k.src_is_lo ? d : s;
  const uint16_t lo_port = k.src_is_lo ? sport : dport, hi_port = k.src_is_lo ? dport : sport;
  if constexpr (std::endian::native == std::endian::little) {
    const uint64_t w[5] = {lo[0], lo[1], hi[0], hi[1],
                           uint64_t{lo_port} | uint64_t{hi_port} << 16 | uint64_t{proto} << 32 |
                               uint64_t{version} << 40};
    std::memcpy(&k.key, w, sizeof w);
  } else {
    std::memcpy(k.key.lo_addr.bytes.data(), lo, 16);
    std::memcpy(k.key.hi_addr.bytes.data(), hi, 16);
    k.key.lo_port = lo_port;
    k.key.hi_port = hi_port;
    k.key.proto = proto;
    k.key.version = version;
  }
  return k;
}

inline PacketKey make_packet_key(uint8_t version, uint8_t proto, const FlowEndpoint& src,
                                 const FlowEndpoint& dst) noexcept {
  return make_packet_key(version, proto, src.addr, src.port, dst.addr, dst.port);
}

// The key of a parsed packet (ParsedPacket already carries the echo id in both ports; other
// ICMP messages have ports 0: an ICMP error belongs to the flow of the packet it quotes, so
// the caller keys that inner packet instead).
inline PacketKey make_packet_key(const ParsedPacket& p) noexcept {
  return make_packet_key(p.ip_version, p.l4_proto, p.src, p.src_port, p.dst, p.dst_port);
}

// CRC32C over the five key words (the value rte_hash_crc_8byte computes, through the compiler
// intrinsic so that it schedules with the surrounding code), then a murmur3 finaliser so
// that every output bit depends on every input bit: the table takes its bucket from the high
// bits and its 8-bit tag from the low bits. Without SSE4.2, a multiply-xorshift mix.
inline FlowHash flow_hash(const FlowKey& key, uint32_t seed = 0x9e3779b9u) noexcept {
  uint64_t w[5];
  std::memcpy(w, &key, sizeof w);
#if defined(__SSE4_2__)
  uint64_t c = seed;
  for (uint64_t x : w) c = _mm_crc32_u64(c, x);
  uint32_t h = static_cast<uint32_t>(c);
#else
  uint64_t c = seed;
  for (uint64_t x : w) {
    c = (c ^ x) * 0x9e3779b97f4a7c15ull;
    c ^= c >> 29;
  }
  uint32_t h = static_cast<uint32_t>(c ^ (c >> 32));
#endif
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

}  // namespace gauntlet
