// Frames the neighbour layer writes: ARP replies/requests and ND advertisements/
// solicitations, built in place in an mbuf the dataplane already holds (no allocation).
// Worker core.
#pragma once

#include "dataplane/packet/headers.h"

struct rte_mbuf;

namespace gauntlet {

// Turns `m` into a broadcast ARP request "who has `target`, tell `sender_ip`".
void write_arp_request(rte_mbuf* m, const MacAddress& sender_mac, const IpAddress& sender_ip,
                       const IpAddress& target) noexcept;

// Turns `m` into an NS for `target` to its solicited-node multicast group.
void write_neighbour_solicitation(rte_mbuf* m, const MacAddress& sender_mac,
                                  const IpAddress& sender_ip, const IpAddress& target) noexcept;

// Turns `m` (an NS whose IPv6 header starts at `l3_offset`) into the NA that answers it:
// solicited, override, router flags set, target link-layer address `mac`.
void write_neighbour_advertisement(rte_mbuf* m, uint16_t l3_offset, const MacAddress& mac,
                                   const MacAddress& to_mac, const IpAddress& target,
                                   const IpAddress& to) noexcept;

// Sets the ICMPv6 checksum of the IPv6 packet at `l3_offset` (payload starts right after
// the 40-byte header).
void set_icmpv6_checksum(rte_mbuf* m, uint16_t l3_offset) noexcept;

}  // namespace gauntlet
