// ICMP / ICMPv6 errors built in place from the packet that caused them. Worker core.
#pragma once

#include "dataplane/control/tables.h"
#include "dataplane/pipeline/context.h"

struct rte_mbuf;

namespace gauntlet {

// May this packet be answered with an ICMP error at all? RFC 1812 4.3.2.7 / RFC 4443 2.4:
// never for an ICMP error, a non-first fragment, or a multicast/broadcast/unspecified
// source or multicast destination.
bool icmp_error_allowed(const ParsedPacket& p) noexcept;

// Rewrites `m` into ICMP time-exceeded (v4 type 11 / v6 type 3, code 0) from `source` to
// the packet's sender, addressed at L2 to the MAC it came from. Quotes the IPv4 header + 8
// bytes, or as much of the IPv6 packet as fits in 1280 bytes. Drops any VLAN tag.
enum class IcmpError : uint8_t { time_exceeded, port_unreachable, too_big };

// The same for any error kind: port unreachable is v4 type 3 code 3, v6 type 1 code 4; too big
// is v4 fragmentation needed (type 3 code 4, RFC 1191: `mtu` in the next-hop MTU field) or
// v6 packet too big (type 2 code 0, RFC 4443 3.2: `mtu` in the MTU field).
void write_icmp_error(rte_mbuf* m, const ParsedPacket& p, const MacAddress& port_mac,
                      const IpAddress& source, IcmpError kind, uint16_t mtu = 0) noexcept;

void write_time_exceeded(rte_mbuf* m, const ParsedPacket& p, const MacAddress& port_mac,
                         const IpAddress& source) noexcept;

}  // namespace gauntlet
