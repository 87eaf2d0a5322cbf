// IPv4 fragmentation on output (RFC 791 3.2, RFC 1812 4.2.2.7): a packet larger than the
// outgoing port's MTU, with DF clear, leaves as fragments. Worker core; noexcept; the only
// allocation is mbufs from the worker's pool.
#pragma once

#include <cstdint>

struct rte_mbuf;
struct rte_mempool;

namespace gauntlet {

// Splits the IPv4 packet in `m` (untagged Ethernet + IPv4, single segment, already rewritten
// for its next hop and translated) into fragments of at most `mtu` bytes of IP, each payload
// a multiple of 8 bytes but the last. `m` becomes the first fragment (its header and options
// kept); the others get a copy of the 20-byte base header (no options: RFC 791 copies only
// some, gauntlet none) and are returned in `rest`, linked through their `next` fields as a
// list of whole packets, not as segments (pipeline dispose unlinks them and sends them right
// after `m`, in order). Offsets count from the packet's own offset and the last fragment
// keeps its MF flag, so a fragment is fragmented correctly too. The L4 checksum is untouched:
// it covers the datagram, not the fragment. Returns false, changing nothing and leaking
// nothing, when `m` is not such a packet or the pool runs out.
bool fragment_ipv4(rte_mbuf* m, uint16_t mtu, rte_mempool* pool, rte_mbuf*& rest) noexcept;

}  // namespace gauntlet
