// Fuzzes the header parser (dataplane/packet/parse.h) on arbitrary frames, parsed twice: with
// the IPv4 checksum left to the parser and as if the NIC had verified it. Besides what the
// sanitizers catch, it checks what every later stage relies on: a parsed packet's offsets lie
// in order inside the frame, and a verified checksum only ever removes a reason to stop.
#include <cstddef>
#include <cstdint>

#include "dataplane/packet/parse.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using gauntlet::ParsedPacket;
using gauntlet::Reason;
using gauntlet::fuzz::check;

void check_offsets(const ParsedPacket& p, size_t len) {
  const size_t frame = len > 0xffff ? 0xffff : len;
  check(p.l3_offset == 14 || p.l3_offset == 18, "l3_offset is not after the Ethernet header");
  check(p.l3_offset <= p.l4_offset, "l4_offset before l3_offset");
  check(p.l4_offset <= p.payload_offset, "payload_offset before l4_offset");
  check(p.payload_offset <= p.l3_end, "payload_offset past l3_end");
  check(p.l3_end <= frame, "l3_end past the frame");
}

bool same(const ParsedPacket& a, const ParsedPacket& b) {
  return a.ether_type == b.ether_type && a.vlan_tci == b.vlan_tci && a.l3_offset == b.l3_offset &&
         a.l4_offset == b.l4_offset && a.payload_offset == b.payload_offset &&
         a.l3_end == b.l3_end && a.ip_version == b.ip_version && a.l4_proto == b.l4_proto &&
         a.flags == b.flags && a.ttl == b.ttl && a.tcp_flags == b.tcp_flags &&
         a.icmp_type == b.icmp_type && a.icmp_code == b.icmp_code && a.src_port == b.src_port &&
         a.dst_port == b.dst_port && a.src == b.src && a.dst == b.dst;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ParsedPacket checked, verified;
  const auto len = static_cast<uint32_t>(size);
  const Reason r = gauntlet::parse_packet(data, len, checked, false);
  const Reason rv = gauntlet::parse_packet(data, len, verified, true);
  if (r == Reason::none) {
    check_offsets(checked, size);
    check(rv == Reason::none, "a verified checksum made a good packet bad");
    check(same(checked, verified), "a verified checksum changed the parse");
  }
  if (rv == Reason::none) check_offsets(verified, size);
  return 0;
}
