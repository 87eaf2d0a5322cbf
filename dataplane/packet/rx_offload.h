// What the NIC reported about a received frame, from its mbuf's RX offload flags.
#pragma once

#include <rte_mbuf.h>

namespace gauntlet {

// The NIC checked the frame's IPv4 header checksum and found it good, so the parser need not
// sum it again. It stays the frame's verdict while gauntlet holds it (a held fragment).
inline bool rx_ipv4_checksum_good(const rte_mbuf* m) noexcept {
  return (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD;
}

}  // namespace gauntlet
