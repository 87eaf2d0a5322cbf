// Addresses and byte-order helpers shared by every stage. On-wire headers are DPDK's own
// (rte_ether.h, rte_ip.h, ...); this file adds the address type gauntlet keys things by.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

namespace gauntlet {

// An IPv4 or IPv6 address in network byte order. IPv4 uses bytes[0..3], the rest is zero;
// the IP version always travels beside it (ParsedPacket::ip_version, config entries).
struct IpAddress {
  std::array<uint8_t, 16> bytes{};

  static IpAddress v4(const void* network_order) noexcept {
    IpAddress a;
    std::memcpy(a.bytes.data(), network_order, 4);
    return a;
  }
  static IpAddress v6(const void* network_order) noexcept {
    IpAddress a;
    std::memcpy(a.bytes.data(), network_order, 16);
    return a;
  }
  uint32_t v4_be() const noexcept {
    uint32_t x;
    std::memcpy(&x, bytes.data(), 4);
    return x;
  }
  // Two 8-byte words, not memcmp: the defaulted form compiles to a libc call, and the hot
  // path compares addresses on every packet (conntrack, neighbours, NAT).
  friend constexpr bool operator==(const IpAddress& a, const IpAddress& b) noexcept {
    const auto x = std::bit_cast<std::array<uint64_t, 2>>(a.bytes);
    const auto y = std::bit_cast<std::array<uint64_t, 2>>(b.bytes);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
  }
};

// Text form: dotted quad for version 4, RFC 5952 for version 6.
std::string format_ip(const IpAddress& a, uint8_t version);

// Parses "a.b.c.d" or an IPv6 literal; returns the version (4/6) or 0 when invalid.
uint8_t parse_ip(const std::string& text, IpAddress& out);

struct MacAddress {
  std::array<uint8_t, 6> bytes{};
  friend bool operator==(const MacAddress&, const MacAddress&) = default;
  bool is_multicast() const noexcept { return (bytes[0] & 1) != 0; }
  bool is_zero() const noexcept { return *this == MacAddress{}; }
};

std::string format_mac(const MacAddress& m);
bool parse_mac(const std::string& text, MacAddress& out);

constexpr uint16_t load_be16(const uint8_t* p) noexcept {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
constexpr uint32_t load_be32(const uint8_t* p) noexcept {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
constexpr void store_be16(uint8_t* p, uint16_t v) noexcept {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

}  // namespace gauntlet
