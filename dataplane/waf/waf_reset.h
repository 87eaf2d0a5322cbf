// The RST a blocked flow's backend gets: a new segment from the client's address and port to
// the backend's (after DNAT), at the backend's next expected sequence number, so that its
// stack accepts it (RFC 5961 3.2: exactly rcv_nxt). The client's RST is written over the
// offending segment itself (lb/tcp_reset.h). Worker core; noexcept, no allocation besides the
// mbuf from the worker's pool.
#pragma once

#include <cstdint>

#include "dataplane/packet/headers.h"

struct rte_mbuf;
struct rte_mempool;

namespace gauntlet {

struct BackendReset {
  uint8_t version = 4;
  IpAddress client{}, backend{};               // network order
  uint16_t client_port = 0, backend_port = 0;  // host order
  uint32_t seq = 0, ack = 0;        // host order: the backend's rcv_nxt; the client's ack
  MacAddress src_mac{}, dst_mac{};  // the inside port's; the backend's (or its next hop's)
};

// A new mbuf from `pool` holding the RST; nullptr when the pool is empty.
rte_mbuf* make_backend_reset(rte_mempool* pool, const BackendReset& r) noexcept;

}  // namespace gauntlet
