// Handoff between workers (handoff.h).
#include "dataplane/pipeline/handoff.h"

#include <rte_mbuf.h>

#include "dataplane/pipeline/stages.h"
#include "dataplane/pipeline/steering.h"
#include "dataplane/pipeline/worker.h"

namespace gauntlet {

HandoffMesh::HandoffMesh(uint32_t workers, uint32_t ring_size) : workers_(workers) {
  for (uint32_t i = 0; i < workers * workers; ++i) {
    const bool self = i / workers == i % workers;
    rings_.push_back(self ? nullptr : std::make_unique<SpscRing<HandedPacket>>(ring_size));
    moved_.push_back(self ? nullptr : std::make_unique<SpscRing<MovedFragment>>(kMovedRingSize));
  }
  for (uint32_t w = 0; w < workers; ++w)
    fragments_.push_back(std::make_unique<FragmentTable>(kFragmentSlots));
}

void steer_burst(Worker& w, Burst& b, HandoffMesh& mesh) noexcept {
  if (mesh.workers() <= 1) return;
  uint16_t kept = 0;
  for (uint16_t i = 0; i < b.count; ++i) {
    rte_mbuf* m = b.mbufs[i];
    PacketContext& c = b.ctx[i];
    const uint32_t owner =
        steer_frame(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m), c.in_port,
                    *w.tables, mesh.workers(), &mesh.fragments(w.id), c.time_ns);
    bool refused = false;
    if (owner != kAnyWorker && owner != w.id) {
      if (mesh.ring(w.id, owner).push({m, c.time_ns, c.sequence, c.in_port})) {
        w.counters.handoff_sent.add();
        continue;
      }
      refused = true;
    }
    if (kept != i) {
      b.mbufs[kept] = m;
      b.ctx[kept].in_port = c.in_port;
      b.ctx[kept].direction = c.direction;
      b.ctx[kept].time_ns = c.time_ns;
      b.ctx[kept].sequence = c.sequence;
    }
    b.ctx[kept++].handoff_refused = refused;
  }
  b.count = kept;
}

uint16_t collect_handed(Worker& w, Burst& b, HandoffMesh& mesh) noexcept {
  b.count = 0;
  HandedPacket h;
  for (uint32_t from = 0; from < mesh.workers() && b.count < kBurstSize; ++from) {
    if (from == w.id) continue;
    SpscRing<HandedPacket>& ring = mesh.ring(from, w.id);
    while (b.count < kBurstSize && ring.pop(h)) {
      PacketContext& c = b.ctx[b.count];
      c.in_port = h.in_port;
      c.direction = h.in_port == 0 ? Direction::ingress : Direction::egress;
      c.time_ns = h.time_ns;
      c.sequence = h.sequence;
      c.handoff_refused = false;
      b.mbufs[b.count++] = h.mbuf;
    }
  }
  w.counters.handoff_received.add(b.count);
  return b.count;
}

void move_held_fragments(Worker& w, HandoffMesh& mesh) noexcept {
  FragmentHold& hold = w.held_fragments;
  if (mesh.workers() <= 1 || hold.empty()) return;
  FragmentTable& steered = mesh.fragments(w.id);
  hold.for_each_held([&](const FragmentKey& k) {
    const FragmentRecord* r = steered.find(k, w.clock_ns);
    if (r == nullptr || r->flow_index == w.id || r->flow_index >= mesh.workers()) return;
    SpscRing<MovedFragment>& ring = mesh.moved(w.id, r->flow_index);
    MovedFragment f;
    f.key = k;
    while (!ring.full() && hold.take_held(k, f.mbuf, f.ctx)) ring.push(f);
  });
}

void adopt_held_fragments(Worker& w, HandoffMesh& mesh) noexcept {
  if (mesh.workers() <= 1) return;
  // Every poll loop calls this: nothing is built unless a ring has something.
  bool any = false;
  for (uint32_t from = 0; from < mesh.workers() && !any; ++from)
    any = from != w.id && !mesh.moved(from, w.id).empty();
  if (!any) return;
  FragmentHold& hold = w.held_fragments;
  Burst refused;  // not a member of Worker: rare, and only between bursts
  refused.count = 0;
  MovedFragment f;
  for (uint32_t from = 0; from < mesh.workers(); ++from) {
    if (from == w.id) continue;
    SpscRing<MovedFragment>& ring = mesh.moved(from, w.id);
    while (refused.count < kBurstSize && ring.pop(f)) {
      // Held from the time it arrived, so it times out as it would have where it was.
      if (hold.hold(f.key, f.mbuf, f.ctx, f.ctx.time_ns)) {
        if (w.flows.fragments().find(f.key, w.clock_ns)) hold.release(f.key);
        continue;
      }
      // No room here: stopped as any fragment the store cannot take.
      f.ctx.decide(Layer::conntrack, Outcome::stop, Reason::conntrack_fragment_hold_full);
      refused.mbufs[refused.count] = f.mbuf;
      refused.ctx[refused.count++] = f.ctx;
    }
  }
  if (refused.count != 0) {
    hold.returning = true;
    run_returning(w, refused);
    hold.returning = false;
  }
  if (hold.due(w.clock_ns)) resume_held_fragments(w);
}

void handoff_stage(Worker&, Burst& b) noexcept {
  for (uint16_t i = 0; i < b.count; ++i) {
    PacketContext& c = b.ctx[i];
    if (!c.handoff_refused) continue;
    c.handoff_refused = false;
    if (!c.final) c.decide(Layer::handoff, Outcome::stop, Reason::handoff_ring_full);
  }
}

}  // namespace gauntlet
