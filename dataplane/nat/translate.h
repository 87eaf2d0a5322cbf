// Rewriting addresses, ports and ICMP identifiers in place with incremental checksum
// updates (RFC 1624): the IPv4 header checksum, the TCP/UDP checksum (whose pseudo-header
// covers the addresses) and the ICMP checksum. Worker core; no allocation.
#pragma once

#include <cstdint>

#include "dataplane/packet/headers.h"

namespace gauntlet {

// Where the L4 checksum of a (possibly quoted, possibly truncated) packet lives.
struct L4Checksum {
  uint8_t* field = nullptr;       // null: none to update (absent, cut off, or UDP's "no checksum")
  bool covers_addresses = false;  // TCP/UDP: the pseudo-header covers the IP addresses
  bool udp = false;               // a result of 0 is written as 0xffff (RFC 768)
};

L4Checksum l4_checksum(uint8_t* l4, uint32_t available, uint8_t proto) noexcept;

// Replaces the IPv4 address at `field` (4 bytes inside the header at `ip`).
void set_ipv4_address(uint8_t* ip, uint8_t* field, const IpAddress& to, L4Checksum l4) noexcept;

// Replaces the IPv6 address at `field`; only the L4 checksum covers it (no header checksum).
void set_ipv6_address(uint8_t* field, const IpAddress& to, L4Checksum l4) noexcept;

// Replaces a 16-bit port / ICMP identifier at `field` covered by the checksum `l4`.
void set_port(uint8_t* field, uint16_t to, L4Checksum l4) noexcept;

// Recomputes an ICMPv4 checksum over `len` bytes.
void recompute_icmp4_checksum(uint8_t* icmp, uint32_t len) noexcept;

// Recomputes an ICMPv6 checksum over `len` bytes, with the pseudo-header (RFC 4443 2.3) of
// the IPv6 header at `ip6`.
void recompute_icmp6_checksum(const uint8_t* ip6, uint8_t* icmp, uint32_t len) noexcept;

}  // namespace gauntlet
