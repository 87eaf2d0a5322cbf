#include "dataplane/nat/icmp_inner.h"

#include <rte_ip.h>

namespace gauntlet {

bool is_icmp_error(const ParsedPacket& p) noexcept {
  if (!p.has(kParseL4)) return false;
  if (p.ip_version == 4 && p.l4_proto == 1)
    return p.icmp_type == 3 || p.icmp_type == 4 || p.icmp_type == 5 || p.icmp_type == 11 ||
           p.icmp_type == 12;
  if (p.ip_version == 6 && p.l4_proto == 58) return p.icmp_type >= 1 && p.icmp_type <= 4;
  return false;
}

bool parse_quoted_packet(const uint8_t* frame, const ParsedPacket& p, QuotedPacket& out) noexcept {
  out = {};
  const uint32_t start = p.l4_offset + 8u, end = p.l3_end;
  if (start >= end) return false;
  // RFC 5508 REQ-3: and neither is one whose own ICMPv4 checksum is wrong.
  if (p.ip_version == 4 &&
      static_cast<uint16_t>(~rte_raw_cksum(frame + p.l4_offset, end - p.l4_offset)) != 0)
    return false;
  const uint8_t* q = frame + start;
  const uint32_t available = end - start;
  uint32_t header = 0;
  if (p.ip_version == 4) {
    if (available < 20 || (q[0] >> 4) != 4) return false;
    header = (q[0] & 0x0f) * 4u;
    if (header < 20 || header > available) return false;
    // RFC 5508 REQ-3: an error whose quoted header checksum is wrong is not trusted.
    if (static_cast<uint16_t>(~rte_raw_cksum(q, header)) != 0) return false;
    out.proto = q[9];
    out.src = IpAddress::v4(q + 12);
    out.dst = IpAddress::v4(q + 16);
    // A quoted non-first fragment carries no ports.
    if ((load_be16(q + 6) & 0x1fff) != 0) return false;
  } else {
    if (available < 40 || (q[0] >> 4) != 6) return false;
    header = 40;
    out.proto = q[6];
    out.src = IpAddress::v6(q + 8);
    out.dst = IpAddress::v6(q + 24);
  }
  out.version = p.ip_version;
  out.l3_offset = static_cast<uint16_t>(start);
  out.l4_offset = static_cast<uint16_t>(start + header);
  out.end = static_cast<uint16_t>(end);
  const uint8_t* l4 = q + header;
  if (available - header < 8) return false;
  const uint8_t echo_request = p.ip_version == 4 ? 8 : 128,
                echo_reply = p.ip_version == 4 ? 0 : 129;
  if (out.proto == 6 || out.proto == 17) {
    out.src_port = load_be16(l4);
    out.dst_port = load_be16(l4 + 2);
    return true;
  }
  if ((out.proto == 1 && p.ip_version == 4) || (out.proto == 58 && p.ip_version == 6)) {
    if (l4[0] != echo_request && l4[0] != echo_reply) return false;
    out.src_port = out.dst_port = load_be16(l4 + 4);
    return true;
  }
  return false;
}

}  // namespace gauntlet
