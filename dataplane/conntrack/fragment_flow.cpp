// Shallow reassembly on the worker: first fragments remember their flow, later ones follow
// it (fragment_table.h explains the model).
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
  if (!r) return false;
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

}  // namespace gauntlet
