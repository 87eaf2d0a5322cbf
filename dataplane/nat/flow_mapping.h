// What a NATed flow holds of the port allocator, so that expiry gives back exactly that.
// Worker core (slow path: flow creation and expiry); no allocation.
#pragma once

#include "dataplane/conntrack/flow_table.h"
#include "dataplane/nat/port_allocator.h"

namespace gauntlet {

// A pod's flow to the public address:port of another mapping (RFC 4787 REQ-9): its source is
// translated like any SNAT flow, its destination to the pod that holds that mapping.
inline bool is_hairpin(const FlowEntry& e) noexcept {
  return e.nat() == NatKind::source && (e.key.proto == 6 || e.key.proto == 17) &&
         e.original_destination().addr == e.nat_addr;
}

// Shares held: an SNAT flow its own mapping (nat_port); a hairpinned flow also the mapping it
// was sent to; an inbound flow (endpoint-independent filtering) the mapping it came in on.
inline void release_nat_ports(PortAllocator& nat, const FlowEntry& e) noexcept {
  const auto proto = nat_protocol_of(e.key.proto);
  if (!proto) return;
  if (e.nat() == NatKind::source) nat.release(*proto, e.nat_port);
  if (is_hairpin(e) || e.nat() == NatKind::inbound)
    nat.release(*proto, e.original_destination().port);
}

}  // namespace gauntlet
