// Conntrack's slow path, shared by its two stages: the flow of a packet that has none, with
// its NAT translation (SNAT, DNAT to a chosen backend, hairpin, inbound through a mapping),
// and the fragments of a datagram following its first one (fragment_flow.cpp).
// Worker core; noexcept, no allocation.
#pragma once

#include "dataplane/pipeline/context.h"
#include "dataplane/pipeline/worker.h"

namespace gauntlet {

// Creates the flow of `c` (or finds the one an earlier packet of the burst created) and sets
// c.flow, c.flow_dir, c.tracking = tracked; on a full table, an exhausted pool or a lost
// mapping it decides the stop instead and leaves nothing behind.
// `provisional`: opened before the firewall has judged the packet (packets to the public
// address, which the local stage would otherwise take as gauntlet's own): not counted as
// created; conntrack_commit keeps it, or erases it when a later layer stopped the packet.
void create_flow(Worker& w, PacketContext& c, uint32_t frame_length, bool provisional) noexcept;

// Shallow reassembly (fragment_table.h): remembers the flow of `c`, a first fragment that
// has one (c.flow); stops it as conntrack:fragment-table-full when no slot is free.
void remember_fragment(Worker& w, PacketContext& c, const uint8_t* frame) noexcept;

// A later fragment whose first fragment is not known yet: marked untracked and judged (no
// layer judges a fragment on its own) and left undecided; conntrack_commit, once the first
// fragments of the burst have their flows, attaches it or holds it for its first fragment
// (hold_or_stop_fragment).
inline void defer_fragment(PacketContext& c) noexcept {
  c.tracking = Tracking::untracked;
  c.flow_judged = true;
}
inline bool is_deferred_fragment(const PacketContext& c) noexcept {
  return c.tracking == Tracking::untracked && c.flow_judged && c.flow == nullptr &&
         c.parsed.has(kParseLaterFragment);
}

// A deferred later fragment that attach_fragment could not attach: held for its first
// fragment (fragment_hold.h; `m` becomes null, the store owns it, the packet is decided
// consumed so that no later stage touches it), or stopped: conntrack:fragment-hold-full when
// the store is full, conntrack:fragment-without-first when it comes back from the hold or its
// first fragment was stopped.
void hold_or_stop_fragment(Worker& w, PacketContext& c, rte_mbuf*& m) noexcept;

// Every packet at the end of conntrack_commit: if `c` (with `frame`) is a first fragment, the
// later fragments held for it come back after this burst; stopped, it is remembered as such
// (kFirstFragmentStopped) so that its later fragments are not held for it.
void first_fragment_decided(Worker& w, const PacketContext& c, const uint8_t* frame) noexcept;

// Attaches the later fragment `c` to the flow its first fragment went to (that flow's
// verdict and translation) and decides its conntrack pass; false, deciding nothing, when no
// live first fragment is known.
bool attach_fragment(Worker& w, PacketContext& c, const uint8_t* frame,
                     uint32_t frame_length) noexcept;

}  // namespace gauntlet
