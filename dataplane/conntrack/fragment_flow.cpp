// Shallow reassembly on the worker: first fragments remember their flow, later ones follow
// it (fragment_table.h explains the model); later ones that come first wait for it
// (fragment_hold.h).
#include <rte_mbuf.h>

#include "dataplane/conntrack/flow_create.h"

namespace gauntlet {

namespace {
// How long the first fragment of a datagram speaks for the later ones (dataplane clock).
constexpr uint64_t kFragmentTimeoutNs = 2 * kNsPerSecond;
}  // namespace

void remember_fragment(Worker& w, PacketContext& c, const uint8_t* frame) noexcept {
  FragmentKey k;
  if (!c.flow || c.parsed.has(kParseLaterFragment) || !fragment_key_of(frame, c.parsed, k)) return;
  if (!w.flows.fragments().remember(k, w.flows.index_of(*c.flow), flow_hash(c.flow->key),
                                    c.flow_dir, c.time_ns, kFragmentTimeoutNs))
    c.decide(Layer::conntrack, Outcome::stop, Reason::conntrack_fragment_table_full);
}

bool attach_fragment(Worker& w, PacketContext& c, const uint8_t* frame,
                     uint32_t frame_length) noexcept {
  FragmentKey k;
  const FragmentRecord* r =
      fragment_key_of(frame, c.parsed, k) ? w.flows.fragments().find(k, c.time_ns) : nullptr;
  if (!r || r->flow_index == kFirstFragmentStopped) return false;
  FlowEntry& e = w.flows.at(r->flow_index);
  if (!e.in_use() || flow_hash(e.key) != r->flow_key_hash) return false;  // flow gone since
  const auto dir = static_cast<FlowDirection>(r->flow_dir);
  e.account(dir, frame_length);
  c.flow = &e;
  c.flow_dir = r->flow_dir;
  c.tracking = Tracking::tracked;
  c.flow_judged = true;  // the first fragment was judged: the datagram is one decision
  c.decide(
      Layer::conntrack, Outcome::pass,
      dir == FlowDirection::original ? Reason::conntrack_established : Reason::conntrack_reply);
  return true;
}

void hold_or_stop_fragment(Worker& w, PacketContext& c, rte_mbuf*& m) noexcept {
  FragmentHold& hold = w.held_fragments;
  FragmentKey k;
  const bool keyed = fragment_key_of(rte_pktmbuf_mtod(m, const uint8_t*), c.parsed, k);
  if (hold.returning || !keyed || w.flows.fragments().find(k, c.time_ns)) {
    // Its first fragment came and was stopped (or its flow is gone since): no verdict to take.
    c.decide(Layer::conntrack, Outcome::stop, Reason::conntrack_fragment_without_first);
    return;
  }
  if (!hold.hold(k, m, c, c.time_ns)) {
    c.decide(Layer::conntrack, Outcome::stop, Reason::conntrack_fragment_hold_full);
    return;
  }
  // The store owns the mbuf now: the runner neither counts, sends nor frees it (the decision
  // only keeps the later stages off it).
  m = nullptr;
  c.decide(Layer::conntrack, Outcome::consume, Reason::conntrack_fragment_held);
}

void first_fragment_decided(Worker& w, const PacketContext& c, const uint8_t* frame) noexcept {
  if (!c.parsed.has(kParseFragment) || c.parsed.has(kParseLaterFragment)) return;
  if (!c.final && w.held_fragments.empty()) return;  // remembered with its flow; none waits
  FragmentKey k;
  if (!fragment_key_of(frame, c.parsed, k)) return;
  FragmentTable& table = w.flows.fragments();
  // Stopped: its later fragments need not wait for it. (No slot free: they wait, and time out.)
  if (c.final && !table.find(k, c.time_ns))
    table.remember(k, kFirstFragmentStopped, 0, 0, c.time_ns, kFragmentTimeoutNs);
  w.held_fragments.release(k);
}

}  // namespace gauntlet
