// Handoff between workers (handoff.h).
#include "dataplane/pipeline/handoff.h"

#include <rte_mbuf.h>

#include "dataplane/pipeline/steering.h"
#include "dataplane/pipeline/worker.h"

namespace gauntlet {

HandoffMesh::HandoffMesh(uint32_t workers, uint32_t ring_size) : workers_(workers) {
  for (uint32_t i = 0; i < workers * workers; ++i)
    rings_.push_back(
        i / workers == i % workers ? nullptr : std::make_unique<SpscRing<HandedPacket>>(ring_size));
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

void handoff_stage(Worker&, Burst& b) noexcept {
  for (uint16_t i = 0; i < b.count; ++i) {
    PacketContext& c = b.ctx[i];
    if (!c.handoff_refused) continue;
    c.handoff_refused = false;
    if (!c.final) c.decide(Layer::handoff, Outcome::stop, Reason::handoff_ring_full);
  }
}

}  // namespace gauntlet
