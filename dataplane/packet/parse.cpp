// Header parser. Every read is preceded by a length check against the frame (or against
// l3_end for everything inside the IP packet). Offsets are handled as uint32_t internally and
// stored as uint16_t; frames are clamped to 65535 bytes so every stored offset fits.
#include "dataplane/packet/parse.h"

#include <cstring>
#include <netinet/in.h>

#include "dataplane/packet/checksum.h"

namespace gauntlet {
namespace {

constexpr uint32_t kEthHeader = 14;
constexpr uint32_t kVlanTag = 4;
constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherArp = 0x0806;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinQ = 0x88a8;
constexpr uint16_t kEtherIpv6 = 0x86dd;
constexpr uint32_t kArpBody = 28;
constexpr uint32_t kIpv4Header = 20;
constexpr uint32_t kIpv6Header = 40;
constexpr uint32_t kTcpHeader = 20;
constexpr uint32_t kUdpHeader = 8;
constexpr uint32_t kIcmpHeader = 8;
constexpr uint32_t kIpv6FragHeader = 8;
constexpr int kMaxIpv6ExtHeaders = 8;
constexpr uint32_t kMaxFrame = 0xffff;

// Walks a type-length-value option area [begin, end) of `p`. EOL ends the walk, NOP is one
// byte, every other option needs a length byte >= 2 that keeps it inside the area.
// `tcp`: the known TCP options must also carry their fixed length.
bool walk_options(const uint8_t* p, uint32_t begin, uint32_t end, bool tcp) noexcept {
  uint32_t i = begin;
  while (i < end) {
    const uint8_t kind = p[i];
    if (kind == 0) return true;  // end of option list
    if (kind == 1) {             // no-operation
      ++i;
      continue;
    }
    if (i + 1 >= end) return false;
    const uint8_t olen = p[i + 1];
    if (olen < 2 || olen > end - i) return false;
    if (tcp) {
      if ((kind == 2 && olen != 4) || (kind == 3 && olen != 3) || (kind == 4 && olen != 2) ||
          (kind == 8 && olen != 10)) {
        return false;
      }
    }
    i += olen;
  }
  return true;
}

// Whether an IPv4 header of `hlen` bytes (a multiple of 4) sums to all ones: the same
// answer as rte_raw_cksum(p, hlen) == 0xffff, but over 32-bit words into a 64-bit sum, a few
// cycles instead of a loop of 16-bit adds. (2^16 = 1 mod 0xffff, so folding the wider words
// gives the sum of the 16-bit words; a non-zero sum never folds to 0.)
bool ipv4_header_checksum_ok(const uint8_t* p, uint32_t hlen) noexcept {
  uint64_t sum = 0;
  for (uint32_t i = 0; i < hlen; i += 4) {
    uint32_t word;
    std::memcpy(&word, p + i, 4);
    sum += word;
  }
  sum = (sum & 0xffffffffu) + (sum >> 32);
  sum = (sum & 0xffffffffu) + (sum >> 32);
  return fold_checksum(static_cast<uint32_t>(sum)) == 0xffff;
}

// Stores the L4 offsets for a packet whose L4 header is not parsed (unknown protocol,
// later fragment, ESP, no-next-header): both point just past the L3 headers.
void set_no_l4(ParsedPacket& out, uint32_t l4) noexcept {
  out.l4_offset = static_cast<uint16_t>(l4);
  out.payload_offset = static_cast<uint16_t>(l4);
}

Reason parse_tcp(const uint8_t* f, uint32_t l4, uint32_t end, ParsedPacket& out) noexcept {
  const uint32_t avail = end - l4;
  if (avail < kTcpHeader) return Reason::malformed_tcp_header;
  const uint8_t* p = f + l4;
  out.src_port = load_be16(p);
  out.dst_port = load_be16(p + 2);
  out.tcp_flags = p[13];
  const uint32_t hlen = static_cast<uint32_t>(p[12] >> 4) * 4;
  if (hlen < kTcpHeader || hlen > avail) return Reason::malformed_tcp_data_offset;
  if (!walk_options(p, kTcpHeader, hlen, true)) return Reason::malformed_tcp_options;
  out.payload_offset = static_cast<uint16_t>(l4 + hlen);
  out.flags |= kParseL4;
  return Reason::none;
}

// `partial`: a first fragment with more to follow carries only the start of the datagram, so
// the UDP length may exceed it.
Reason parse_udp(const uint8_t* f, uint32_t l4, uint32_t end, bool partial,
                 ParsedPacket& out) noexcept {
  const uint32_t avail = end - l4;
  if (avail < kUdpHeader) return Reason::malformed_udp_header;
  const uint8_t* p = f + l4;
  out.src_port = load_be16(p);
  out.dst_port = load_be16(p + 2);
  const uint32_t ulen = load_be16(p + 4);
  if (ulen < kUdpHeader || (ulen > avail && !partial)) {
    return Reason::malformed_udp_length;
  }
  out.payload_offset = static_cast<uint16_t>(l4 + kUdpHeader);
  out.flags |= kParseL4;
  return Reason::none;
}

Reason parse_icmp(const uint8_t* f, uint32_t l4, uint32_t end, ParsedPacket& out,
                  bool v6) noexcept {
  if (end - l4 < kIcmpHeader) {
    return v6 ? Reason::malformed_icmpv6_header : Reason::malformed_icmp_header;
  }
  const uint8_t* p = f + l4;
  out.icmp_type = p[0];
  out.icmp_code = p[1];
  const bool echo = v6 ? (p[0] == 128 || p[0] == 129) : (p[0] == 8 || p[0] == 0);
  if (echo) out.src_port = out.dst_port = load_be16(p + 4);
  out.payload_offset = static_cast<uint16_t>(l4 + kIcmpHeader);
  out.flags |= kParseL4;
  return Reason::none;
}

// Dispatches to the L4 parser for `proto`; the header lies in [l4, end).
Reason dispatch_l4(const uint8_t* f, uint8_t proto, uint32_t l4, uint32_t end, bool v6,
                   bool partial, ParsedPacket& out) noexcept {
  out.l4_proto = proto;
  set_no_l4(out, l4);
  switch (proto) {
    case IPPROTO_TCP:
      return parse_tcp(f, l4, end, out);
    case IPPROTO_UDP:
      return parse_udp(f, l4, end, partial, out);
    case IPPROTO_ICMP:
      return v6 ? Reason::none : parse_icmp(f, l4, end, out, false);
    case IPPROTO_ICMPV6:
      return v6 ? parse_icmp(f, l4, end, out, true) : Reason::none;
    default:
      return Reason::none;
  }
}

Reason parse_arp(const uint8_t* f, uint32_t l3, uint32_t len, ParsedPacket& out) noexcept {
  if (len - l3 < kArpBody) return Reason::malformed_arp_header;
  const uint8_t* p = f + l3;
  if (load_be16(p) != 1 || load_be16(p + 2) != kEtherIpv4 || p[4] != 6 || p[5] != 4) {
    return Reason::malformed_arp_header;
  }
  out.src = IpAddress::v4(p + 14);
  out.dst = IpAddress::v4(p + 24);
  out.l3_end = static_cast<uint16_t>(l3 + kArpBody);
  set_no_l4(out, l3 + kArpBody);
  return Reason::none;
}

Reason parse_ipv4(const uint8_t* f, uint32_t l3, uint32_t len, bool cksum_ok,
                  ParsedPacket& out) noexcept {
  const uint32_t avail = len - l3;
  if (avail < kIpv4Header) return Reason::malformed_ipv4_truncated;
  const uint8_t* p = f + l3;
  if ((p[0] >> 4) != 4) return Reason::malformed_ipv4_version;
  out.ip_version = 4;
  const uint32_t hlen = uint32_t{p[0] & 0x0fu} * 4;
  if (hlen < kIpv4Header || hlen > avail) return Reason::malformed_ipv4_header_length;
  const uint32_t total = load_be16(p + 2);
  if (total < hlen || total > avail) return Reason::malformed_ipv4_total_length;
  out.l3_end = static_cast<uint16_t>(l3 + total);
  out.ttl = p[8];
  out.l4_proto = p[9];
  out.src = IpAddress::v4(p + 12);
  out.dst = IpAddress::v4(p + 16);
  if (!cksum_ok && !ipv4_header_checksum_ok(p, hlen)) return Reason::malformed_ipv4_checksum;
  if (hlen > kIpv4Header) {
    out.flags |= kParseIpOptions;
    if (!walk_options(p, kIpv4Header, hlen, false)) return Reason::malformed_ipv4_options;
  }
  const uint32_t src = load_be32(p + 12), dst = load_be32(p + 16);
  // Loopback (127/8) is never on a wire (RFC 1122 3.2.1.3): neither source nor destination.
  if ((src >> 28) == 0xe || src == 0xffffffffu || dst == 0 || (src >> 24) == 127 ||
      (dst >> 24) == 127) {
    return Reason::malformed_ipv4_address;
  }
  const uint16_t frag = load_be16(p + 6);
  const uint32_t frag_off = uint32_t{frag & 0x1fffu} * 8;
  set_no_l4(out, l3 + hlen);
  if ((frag & 0x2000u) != 0 || frag_off != 0) {
    out.flags |= kParseFragment;
    if (frag_off + (total - hlen) > 0xffff) return Reason::malformed_ipv4_fragment;
    if (frag_off != 0) {
      // RFC 1858: a TCP fragment at offset 8 would rewrite, at the receiver, the data offset
      // and flags that the first fragment was judged on.
      if (frag_off == 8 && p[9] == 6) return Reason::malformed_ipv4_fragment;
      out.flags |= kParseLaterFragment;
      return Reason::none;
    }
  }
  return dispatch_l4(f, p[9], l3 + hlen, l3 + total, false, (frag & 0x2000u) != 0, out);
}

// Position in an IPv6 header chain. After walk_ipv6_ext succeeds, `off`/`nh` name the
// upper-layer header; `stop`: parsing ended inside the chain (later fragment, ESP, no next
// header); `more`: a fragment header with the M flag was seen.
struct Chain {
  uint32_t off;
  uint8_t nh;
  bool stop;
  bool more;
};

Reason walk_ipv6_ext(const uint8_t* f, uint32_t l3, uint32_t end, Chain& c,
                     ParsedPacket& out) noexcept {
  uint32_t& off = c.off;
  uint8_t& nh = c.nh;
  for (int count = 0;; ++count) {
    if (nh == IPPROTO_ESP || nh == IPPROTO_NONE) {
      c.stop = true;
      return Reason::none;
    }
    const bool ext = nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS ||
                     nh == IPPROTO_FRAGMENT || nh == IPPROTO_AH;
    if (!ext) return Reason::none;
    out.flags |= kParseIpOptions;
    if (count >= kMaxIpv6ExtHeaders || (nh == IPPROTO_HOPOPTS && count != 0) || end - off < 2) {
      return Reason::malformed_ipv6_extension_header;
    }
    const uint8_t* h = f + off;
    uint32_t hlen = 0;
    if (nh == IPPROTO_FRAGMENT) {
      hlen = kIpv6FragHeader;
    } else if (nh == IPPROTO_AH) {
      hlen = (uint32_t{h[1]} + 2) * 4;
    } else {
      hlen = (uint32_t{h[1]} + 1) * 8;
    }
    if (hlen > end - off) return Reason::malformed_ipv6_extension_header;
    if (nh == IPPROTO_FRAGMENT) {
      if (out.has(kParseFragment)) return Reason::malformed_ipv6_fragment;  // second one
      out.flags |= kParseFragment;
      const uint32_t frag_off = uint32_t{load_be16(h + 2) & 0xfff8u};
      c.more = (h[3] & 1) != 0;
      // Reassembled payload: unfragmentable headers + offset + this fragment's data.
      if ((off - (l3 + kIpv6Header)) + frag_off + (end - off - hlen) > 0xffff) {
        return Reason::malformed_ipv6_fragment;
      }
      if (frag_off != 0) {
        if (frag_off == 8 && h[0] == 6) return Reason::malformed_ipv6_fragment;  // RFC 1858
        out.flags |= kParseLaterFragment;
        nh = h[0];
        off += hlen;
        c.stop = true;
        return Reason::none;
      }
    }
    nh = h[0];
    off += hlen;
  }
}

bool is_ipv6_loopback(const uint8_t* a) noexcept {
  static constexpr uint8_t kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return std::memcmp(a, kLoopback, 16) == 0;
}

Reason parse_ipv6(const uint8_t* f, uint32_t l3, uint32_t len, ParsedPacket& out) noexcept {
  const uint32_t avail = len - l3;
  if (avail < kIpv6Header) return Reason::malformed_ipv6_truncated;
  const uint8_t* p = f + l3;
  if ((p[0] >> 4) != 6) return Reason::malformed_ipv6_version;
  out.ip_version = 6;
  const uint32_t plen = load_be16(p + 4);
  if (kIpv6Header + plen > avail) return Reason::malformed_ipv6_payload_length;
  const uint32_t end = l3 + kIpv6Header + plen;
  out.l3_end = static_cast<uint16_t>(end);
  out.l4_proto = p[6];
  out.ttl = p[7];
  out.src = IpAddress::v6(p + 8);
  out.dst = IpAddress::v6(p + 24);
  if (p[8] == 0xff || is_ipv6_loopback(p + 8) || is_ipv6_loopback(p + 24)) {
    return Reason::malformed_ipv6_address;  // ::1 is never on a wire (RFC 4291 2.5.3)
  }
  Chain c{l3 + kIpv6Header, p[6], false, false};
  set_no_l4(out, c.off);
  const Reason r = walk_ipv6_ext(f, l3, end, c, out);
  if (r != Reason::none) return r;
  if (c.stop) {
    out.l4_proto = c.nh;
    set_no_l4(out, c.off);
    return Reason::none;
  }
  return dispatch_l4(f, c.nh, c.off, end, true, c.more, out);
}

}  // namespace

Reason parse_packet(const uint8_t* frame, uint32_t len, ParsedPacket& out,
                    bool ipv4_checksum_verified) noexcept {
  out = ParsedPacket{};
  if (len > kMaxFrame) len = kMaxFrame;  // offsets are uint16_t; nothing real is larger
  if (len < kEthHeader) return Reason::malformed_ethernet_truncated;
  uint16_t type = load_be16(frame + 12);
  uint32_t l3 = kEthHeader;
  out.ether_type = type;
  if (type == kEtherQinQ) return Reason::unsupported_vlan_stacked;
  if (type == kEtherVlan) {
    if (len < kEthHeader + kVlanTag) return Reason::malformed_vlan_truncated;
    out.flags |= kParseVlan;
    out.vlan_tci = load_be16(frame + 14);
    type = load_be16(frame + 16);
    out.ether_type = type;
    l3 += kVlanTag;
    if (type == kEtherVlan || type == kEtherQinQ) return Reason::unsupported_vlan_stacked;
  }
  out.l3_offset = static_cast<uint16_t>(l3);
  switch (type) {
    case kEtherArp:
      return parse_arp(frame, l3, len, out);
    case kEtherIpv4:
      return parse_ipv4(frame, l3, len, ipv4_checksum_verified, out);
    case kEtherIpv6:
      return parse_ipv6(frame, l3, len, out);
    default:
      return Reason::unsupported_ethertype;
  }
}

}  // namespace gauntlet
