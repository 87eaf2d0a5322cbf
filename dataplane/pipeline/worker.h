// A worker's whole mutable world: its neighbour cache, counters, rings to the control
// core, and TX staging. One per lcore, cache-aligned, touched by no other core except the
// control core reading counters (single writer, relaxed atomics) and the rings.
#pragma once

#include <atomic>
#include <cstdint>

#include "dataplane/control/tables.h"
#include "dataplane/neighbour/neighbour_table.h"
#include "dataplane/pipeline/context.h"
#include "dataplane/pipeline/record.h"
#include "dataplane/pipeline/spsc_ring.h"

namespace gauntlet {

// A counter with one writer (its worker) and any number of relaxed readers: a plain add on
// x86, no lock prefix, and no torn reads.
struct Counter {
  std::atomic<uint64_t> value{0};
  void add(uint64_t n = 1) noexcept {
    value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t get() const noexcept { return value.load(std::memory_order_relaxed); }
};

inline constexpr size_t kDirections = static_cast<size_t>(Direction::count);
inline constexpr size_t kLayers = static_cast<size_t>(Layer::count);
inline constexpr size_t kOutcomes = static_cast<size_t>(Outcome::count);
inline constexpr size_t kReasons = static_cast<size_t>(Reason::count);

struct WorkerCounters {
  Counter outcomes[kDirections][kLayers][kOutcomes];
  Counter reasons[kDirections][kReasons];  // the reason of each packet's final decision
  Counter rx[kPortCount];
  Counter tx[kPortCount];
  Counter tx_dropped[kPortCount];  // the port refused them (queue full)
  Counter records_lost;            // to_control ring full: trace/event lines lost
};

inline constexpr uint16_t kTxStage = 2 * kBurstSize;
inline constexpr uint32_t kRecordRingSize = 8192;

struct alignas(64) Worker {
  Worker(uint8_t id_, uint32_t neighbour_capacity)
      : id(id_), neighbours(neighbour_capacity), to_control(kRecordRingSize), from_control(1024) {}

  uint8_t id;
  uint16_t queue = 0;
  bool trace = false;              // emit one trace record per packet
  const Tables* tables = nullptr;  // this loop iteration's generation (RCU-protected)
  NeighbourTable neighbours;
  WorkerCounters counters;
  SpscRing<Record> to_control;    // traces, events, learned neighbours
  SpscRing<Record> from_control;  // neighbours learned by other workers

  // Packets the pipeline decided to send, per port, with their dataplane time (replay
  // writes it as the pcap timestamp). The driver flushes them after each burst.
  rte_mbuf* tx[kPortCount][kTxStage];
  uint64_t tx_time[kPortCount][kTxStage];
  uint16_t tx_count[kPortCount] = {0, 0};
};

// Seeds a worker's neighbour cache with the static entries of `t`.
void seed_neighbours(Worker& w, const Tables& t);
// Applies neighbour updates other workers learned (the control core fans them out).
void apply_neighbour_updates(Worker& w) noexcept;

}  // namespace gauntlet
