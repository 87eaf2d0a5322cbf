// Fuzzes the parsing of the packet an ICMP/ICMPv6 error quotes (dataplane/nat/icmp_inner.h),
// as conntrack and NAT use it: the input is a frame; when it parses and is an ICMP error, its
// quote is parsed. A quote that parses must lie inside the error's IP packet.
#include <cstddef>
#include <cstdint>

#include "dataplane/nat/icmp_inner.h"
#include "tests/fuzz/fuzz_support.h"

using gauntlet::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gauntlet::ParsedPacket p;
  if (gauntlet::parse_packet(data, static_cast<uint32_t>(size), p) != gauntlet::Reason::none)
    return 0;
  if (!gauntlet::is_icmp_error(p)) return 0;
  gauntlet::QuotedPacket q;
  if (!gauntlet::parse_quoted_packet(data, p, q)) return 0;
  check(q.version == p.ip_version, "quote of another IP version accepted");
  check(q.l3_offset >= p.l4_offset + 8u, "quote starts inside the ICMP header");
  check(q.l3_offset < q.l4_offset, "quoted L4 header before its IP header");
  check(q.l4_offset + 8u <= q.end, "quoted L4 header shorter than 8 bytes");
  check(q.end <= p.l3_end, "quote runs past the error's IP packet");
  return 0;
}
