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
//
// Fragments held for their first fragment (conntrack/fragment_hold.h) move the same way. A
// later fragment that comes ahead of its first, on a flow whose owner depends on ports it does
// not carry, is held by the worker that received it (steering.h); that worker receives the
// first fragment too (fragments are received by addresses alone). Once it has steered the
// first one to another worker, the held fragments move there, context and all, through a
// second ring per pair (move_held_fragments), and that worker holds them as if they had
// arrived there (adopt_held_fragments): they come back after their first fragment's verdict,
// as with one worker.
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

// A held fragment on its way to the worker its first fragment went to.
struct MovedFragment {
  rte_mbuf* mbuf;
  FragmentKey key;
  PacketContext ctx;  // as the holding worker's stages left it
};

class HandoffMesh {
 public:
  static constexpr uint32_t kRingSize = 1024;
  static constexpr uint32_t kFragmentSlots = 4096;  // per worker: datagrams in flight
  static constexpr uint32_t kMovedRingSize = 64;    // held fragments in flight per pair

  explicit HandoffMesh(uint32_t workers, uint32_t ring_size = kRingSize);
  uint32_t workers() const noexcept { return workers_; }
  SpscRing<HandedPacket>& ring(uint32_t from, uint32_t to) noexcept {
    return *rings_[from * workers_ + to];
  }
  SpscRing<MovedFragment>& moved(uint32_t from, uint32_t to) noexcept {
    return *moved_[from * workers_ + to];
  }
  // Where worker `w` steered the first fragments it received (steering.h).
  FragmentTable& fragments(uint32_t w) noexcept { return *fragments_[w]; }

 private:
  uint32_t workers_;
  std::vector<std::unique_ptr<SpscRing<HandedPacket>>> rings_;
  std::vector<std::unique_ptr<SpscRing<MovedFragment>>> moved_;
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

// Holding side, after each burst it ran (and after steering): the fragments it holds whose
// first fragment it steered to another worker go to that worker, oldest first, as many as
// the ring takes (the rest stay held here, and time out here if they must).
void move_held_fragments(Worker& w, HandoffMesh& mesh) noexcept;
// Owner side, before its packets run: holds what the others moved here. A datagram whose
// first fragment has already been decided here is released at once.
void adopt_held_fragments(Worker& w, HandoffMesh& mesh) noexcept;

// Pipeline step "handoff": stops the packets steer_burst could not hand over.
void handoff_stage(Worker& w, Burst& b) noexcept;

}  // namespace gauntlet
