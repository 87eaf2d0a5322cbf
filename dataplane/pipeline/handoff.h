// Handoff: with several workers, a packet received by a worker that does not own its flow
// (pipeline/steering.h names the owner) is handed to the owner through a single-producer
// single-consumer ring per (receiver, owner) pair, and the owner runs it through its
// pipeline. No locks, no allocation after construction (control core), bounded: a full ring
// refuses the packet, which the receiver then stops with handoff:ring-full (a named step of
// its own pipeline, so it is counted, traced and logged like any stop).
//
// The ring carries what the driver knows of the packet (mbuf, port, time, input number);
// the owner parses it again. Counted per worker: handoff_sent by the receiver,
// handoff_received by the owner.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/conntrack/fragment_table.h"
#include "dataplane/pipeline/context.h"
#include "dataplane/pipeline/spsc_ring.h"

namespace gauntlet {

struct Worker;

struct HandedPacket {
  rte_mbuf* mbuf;
  uint64_t time_ns;
  uint64_t sequence;
  uint8_t in_port;
};

class HandoffMesh {
 public:
  static constexpr uint32_t kRingSize = 1024;
  static constexpr uint32_t kFragmentSlots = 4096;  // per worker: datagrams in flight

  explicit HandoffMesh(uint32_t workers, uint32_t ring_size = kRingSize);
  uint32_t workers() const noexcept { return workers_; }
  SpscRing<HandedPacket>& ring(uint32_t from, uint32_t to) noexcept {
    return *rings_[from * workers_ + to];
  }
  // Where worker `w` steered the first fragments it received (steering.h).
  FragmentTable& fragments(uint32_t w) noexcept { return *fragments_[w]; }

 private:
  uint32_t workers_;
  std::vector<std::unique_ptr<SpscRing<HandedPacket>>> rings_;
  std::vector<std::unique_ptr<FragmentTable>> fragments_;
};

// Receiver side, on a burst the driver just filled (mbufs, ports, times, numbers): names each
// packet's owner; the worker's own packets (and those anyone may handle) stay in `b`, in
// order; the others go to their owner's ring. A packet its owner's ring refused stays too,
// marked so that the handoff step stops it. Does nothing with one worker.
void steer_burst(Worker& w, Burst& b, HandoffMesh& mesh) noexcept;

// Owner side: fills `b` with up to kBurstSize packets other workers handed over (each ring
// in turn, in the order they were handed). Returns how many.
uint16_t collect_handed(Worker& w, Burst& b, HandoffMesh& mesh) noexcept;

// Pipeline step "handoff": stops the packets steer_burst could not hand over.
void handoff_stage(Worker& w, Burst& b) noexcept;

}  // namespace gauntlet
