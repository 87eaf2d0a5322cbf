// Header parsing: Ethernet (+ one 802.1Q tag), ARP, IPv4, IPv6 (extension-header chain),
// TCP, UDP, ICMP, ICMPv6. Pure function over bytes: no mbuf, no EAL, callable from any core.
// Every length is checked against the frame before it is read; a frame that lies gets the
// Reason naming the first field that does not hold.
#pragma once

#include <cstdint>

#include "dataplane/packet/headers.h"
#include "dataplane/pipeline/vocabulary.h"

namespace gauntlet {

enum ParseFlags : uint8_t {
  kParseVlan = 1u << 0,           // one 802.1Q tag was present
  kParseFragment = 1u << 1,       // an IPv4/IPv6 fragment (any)
  kParseLaterFragment = 1u << 2,  // offset != 0: no L4 header in this packet
  kParseIpOptions = 1u << 3,      // IPv4 options or IPv6 extension headers present
  kParseL4 = 1u << 4,             // an L4 header (TCP/UDP/ICMP/ICMPv6) was parsed
};

// Offsets are from the first byte of the frame. Addresses stay in network byte order;
// ports, lengths and ids are converted to host order.
struct ParsedPacket {
  uint16_t ether_type = 0;      // after the VLAN tag, host order
  uint16_t vlan_tci = 0;        // host order, valid with kParseVlan
  uint16_t l3_offset = 0;       // first byte of ARP / IPv4 / IPv6
  uint16_t l4_offset = 0;       // first byte of the L4 header (after IPv6 extensions)
  uint16_t payload_offset = 0;  // first byte after the L4 header
  uint16_t l3_end = 0;          // one past the last byte the IP header claims (ignores padding)
  uint8_t ip_version = 0;       // 0 (ARP / other), 4 or 6
  uint8_t l4_proto = 0;         // IPPROTO_* of the final header (after extensions)
  uint8_t flags = 0;            // ParseFlags
  uint8_t ttl = 0;              // IPv4 TTL or IPv6 hop limit
  uint8_t tcp_flags = 0;        // with TCP
  uint8_t icmp_type = 0;        // with ICMP / ICMPv6
  uint8_t icmp_code = 0;
  uint16_t src_port = 0;  // TCP/UDP ports; ICMP echo identifier in both fields
  uint16_t dst_port = 0;
  IpAddress src{};  // IPv4 in the first 4 bytes, the rest zero
  IpAddress dst{};

  constexpr bool has(ParseFlags f) const noexcept { return (flags & f) != 0; }
};

// Parses `len` bytes at `frame`. Returns Reason::none on success; otherwise the malformed:
// or unsupported: reason and `out` holds what was parsed up to that point.
// `ipv4_checksum_verified`: the NIC already verified the IPv4 header checksum (mbuf
// RX offload flag); when false the parser verifies it.
Reason parse_packet(const uint8_t* frame, uint32_t len, ParsedPacket& out,
                    bool ipv4_checksum_verified = false) noexcept;

}  // namespace gauntlet
