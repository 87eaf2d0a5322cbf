// The packet an ICMP/ICMPv6 error quotes (RFC 792 / 4443): its addresses and ports, so
// conntrack can find the flow the error is about and NAT can translate it (RFC 5508).
// Pure function over bytes; every length checked: an error whose quote lies or is cut
// short is malformed, never read past.
#pragma once

#include <cstdint>

#include "dataplane/packet/parse.h"

namespace gauntlet {

struct QuotedPacket {
  uint16_t l3_offset = 0;  // frame offset of the quoted IP header
  uint16_t l4_offset = 0;  // frame offset of its L4 header
  uint16_t end = 0;        // frame offset one past the quoted bytes
  uint8_t version = 0;
  uint8_t proto = 0;
  IpAddress src{}, dst{};
  uint16_t src_port = 0, dst_port = 0;  // TCP/UDP ports; ICMP echo: identifier in both
};

// True for the ICMP types that quote a packet: v4 3, 4, 5, 11, 12; v6 1, 2, 3, 4.
bool is_icmp_error(const ParsedPacket& p) noexcept;

// Parses the quote of the ICMP error `p` in `frame`. Returns false when it is truncated,
// lies about its lengths, is of another IP version, quotes a protocol other than TCP, UDP
// or ICMP echo (with at least the 8 bytes RFC 792 promises), or when the ICMPv4 checksum
// or the quoted IPv4 header checksum is wrong (RFC 5508 REQ-3).
bool parse_quoted_packet(const uint8_t* frame, const ParsedPacket& p, QuotedPacket& out) noexcept;

}  // namespace gauntlet
