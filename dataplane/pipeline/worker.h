// A worker's whole mutable world: its neighbour cache, counters, rings to the control
// core, and TX staging. One per lcore, cache-aligned, touched by no other core except the
// control core reading counters (single writer, relaxed atomics) and the rings.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "dataplane/conntrack/flow_table.h"
#include "dataplane/conntrack/fragment_hold.h"
#include "dataplane/control/tables.h"
#include "dataplane/nat/port_allocator.h"
#include "dataplane/neighbour/neighbour_table.h"
#include "dataplane/pipeline/context.h"
#include "dataplane/pipeline/record.h"
#include "dataplane/pipeline/spsc_ring.h"
#include "dataplane/proxy/proxy_flows.h"
#include "dataplane/waf/waf_flows.h"

struct rte_mempool;

namespace gauntlet {

struct DropTap;  // pipeline/drop_tap.h

class HandoffMesh;  // pipeline/handoff.h

// A counter with one writer (its worker) and any number of relaxed readers: a plain add on
// x86, no lock prefix, and no torn reads.
struct Counter {
  std::atomic<uint64_t> value{0};
  void add(uint64_t n = 1) noexcept {
    value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t get() const noexcept { return value.load(std::memory_order_relaxed); }
  void set(uint64_t n) noexcept { value.store(n, std::memory_order_relaxed); }  // gauges
};

inline constexpr size_t kDirections = static_cast<size_t>(Direction::count);
inline constexpr size_t kLayers = static_cast<size_t>(Layer::count);
inline constexpr size_t kOutcomes = static_cast<size_t>(Outcome::count);
inline constexpr size_t kReasons = static_cast<size_t>(Reason::count);

// Per-stage cycle accounting (--stage-cycles): the steps of run_pipeline by position, each
// with the TSC cycles it took and the packets of the bursts it ran on.
inline constexpr size_t kMaxTimedStages = 24;
struct StageCounters {
  Counter cycles;
  Counter packets;
};

struct WorkerCounters {
  Counter outcomes[kDirections][kLayers][kOutcomes];
  Counter reasons[kDirections][kReasons];  // every step's reason (passes included)
  Counter rx[kPortCount];
  Counter tx[kPortCount];
  Counter tx_dropped[kPortCount];  // the port refused them (queue full)
  Counter records_lost;            // to_control ring full: trace/event lines lost
  // Several workers (pipeline/handoff.h): packets this worker received but another owns,
  // handed over; packets other workers handed to this one.
  Counter handoff_sent;
  Counter handoff_received;
  Counter flows_created;
  Counter flows_expired;
  // Packets the worker meant to originate (a companion RST, a health probe) but could not:
  // the packet pool was empty (kMbufExhausted).
  Counter mbuf_alloc_failed;
  // Occupancy gauges the live poll loop refreshes, so other threads never read the worker's
  // own tables: flows in its conntrack shard, SNAT ports held per protocol, fragments (and
  // their mbufs) held for their first fragment.
  Counter flows_in_use;
  Counter fragments_held;
  Counter heartbeat_tsc;  // the live poll loop's TSC when it last refreshed the gauges
  Counter nat_ports_in_use[kNatProtocols];
  StageCounters stages[kMaxTimedStages];  // only while Worker::stage_cycles is on
  StageCounters io_rx, io_tx;             // the live driver's RX burst and TX flush, as stages
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
        from_control(1024),
        waf(cfg),
        proxy(cfg) {}

  uint8_t id;
  uint16_t queue = 0;
  bool trace = false;         // emit one trace record per packet
  bool stage_cycles = false;  // time each pipeline step (counters.stages)
  // The name of each timed step (string literals, set by the worker; read once it stopped).
  const char* stage_names[kMaxTimedStages] = {};
  const Tables* tables = nullptr;  // this loop iteration's generation (RCU-protected)
  NeighbourTable neighbours;
  WorkerCounters counters;
  RuleCounters rule_hits[2];      // by Direction: firewall, allow-list
  FlowTable flows;                // this worker's conntrack shard
  FragmentHold held_fragments;    // later fragments waiting for their first one
  PortAllocator nat;              // this worker's slice of SNAT ports
  uint64_t clock_ns = 0;          // the latest dataplane time seen (drives expiry)
  SpscRing<Record> to_control;    // traces, events, learned neighbours
  SpscRing<Record> from_control;  // neighbours learned by other workers, probes to send
  rte_mempool* pool = nullptr;    // where packets the worker originates (probes) come from
  DropTap* drop_tap = nullptr;    // drop capture (pipeline/drop_tap.h); null: off
  WafFlows waf;                   // inspected flows (waf/waf_flows.h); sized from cfg.waf
  WafNote waf_notes[kBurstSize];  // what the WAF said of each packet of the burst (traces)
  ProxyFlows proxy;               // l7-route flows (proxy/proxy_flows.h); sized from cfg.proxy

  // Several workers: the rings to and from the others (pipeline/handoff.h); null with one.
  HandoffMesh* handoff = nullptr;

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
