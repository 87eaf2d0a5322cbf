// A worker's whole mutable world: its neighbour cache, counters, rings to the control
// core, and TX staging. One per lcore, cache-aligned, touched by no other core except the
// control core reading counters (single writer, relaxed atomics) and the rings.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "dataplane/conntrack/flow_table.h"
#include "dataplane/control/tables.h"
#include "dataplane/nat/port_allocator.h"
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
  Counter reasons[kDirections][kReasons];  // every step's reason (passes included)
  Counter rx[kPortCount];
  Counter tx[kPortCount];
  Counter tx_dropped[kPortCount];  // the port refused them (queue full)
  Counter records_lost;            // to_control ring full: trace/event lines lost
  Counter flows_created;
  Counter flows_expired;
};

// Hits per rule of one ACL list; the last slot counts the list's default.
struct RuleCounters {
  explicit RuleCounters(uint32_t rules) : hits(new Counter[rules + 1]), size(rules + 1) {}
  std::unique_ptr<Counter[]> hits;
  uint32_t size;
};

inline constexpr uint16_t kTxStage = 2 * kBurstSize;
inline constexpr uint32_t kRecordRingSize = 8192;

struct alignas(64) Worker {
  // Sizes everything from `cfg`; worker `id` of `workers` owns that slice of SNAT ports.
  Worker(uint8_t id_, const Config& cfg, uint32_t workers)
      : id(id_),
        neighbours(cfg.neighbour_capacity),
        rule_hits{RuleCounters(cfg.max_rules), RuleCounters(cfg.max_rules)},
        flows(cfg.conntrack.capacity),
        nat({worker_port_slice({cfg.snat.port_lo, cfg.snat.port_hi}, id_, workers),
             cfg.snat.max_ports_per_host}),
        to_control(kRecordRingSize),
        from_control(1024) {}

  uint8_t id;
  uint16_t queue = 0;
  bool trace = false;              // emit one trace record per packet
  const Tables* tables = nullptr;  // this loop iteration's generation (RCU-protected)
  NeighbourTable neighbours;
  WorkerCounters counters;
  RuleCounters rule_hits[2];      // by Direction: firewall, allow-list
  FlowTable flows;                // this worker's conntrack shard
  PortAllocator nat;              // this worker's slice of SNAT ports
  uint64_t clock_ns = 0;          // the latest dataplane time seen (drives expiry)
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
