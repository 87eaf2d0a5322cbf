// Questions about flows, answered by the workers that own them. A worker's conntrack shard
// is its own: no other thread reads it. A query (telemetry's /gauntlet/flows, a metrics
// scrape) is posted to every worker's FlowQuery; each worker's poll loop scans a slice of its
// table per iteration (serve_flow_query) and marks the query answered when its pass is
// complete; the asker merges the answers. A scan pass costs the worker about
// capacity / kScanPerLoop loop iterations of kScanPerLoop entry reads each.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "dataplane/conntrack/flow_table.h"
#include "dataplane/control/config.h"

namespace gauntlet {

inline constexpr uint32_t kFlowTopMax = 32;     // flows one answer lists at most
inline constexpr uint32_t kBackendSlots = 256;  // distinct LB backends counted per answer
inline constexpr uint32_t kScanPerLoop = 256;   // entries a worker reads per loop iteration

struct FlowSample {
  FlowKey key{};  // canonical key (lo/hi ends); ports host order
  bool original_is_lo = false;
  uint8_t state = 0;
  NatKind nat = NatKind::none;
  IpAddress nat_addr{};
  uint16_t nat_port = 0;
  uint32_t backend = kNoFlowBackend;  // service << 16 | backend index (its generation's)
  uint64_t bytes = 0;                 // both directions
  uint64_t packets = 0;
  uint8_t worker = 0;
};

// DNAT or tunnelled flows pinned to one backend. Keyed by the flow's service index and the
// backend's address:port (what the flow is translated to), not by the backend's position in
// its list: a reload that reorders a backend list keeps every count with its backend.
struct BackendFlows {
  uint16_t service = 0;
  uint16_t port = 0;  // host order
  IpAddress address{};
  uint64_t flows = 0;
};

// One worker's mailbox. The asker writes the question, then publishes `asked`; the worker
// answers, then publishes `answered` with the same number.
struct alignas(64) FlowQuery {
  std::atomic<uint32_t> asked{0};
  std::atomic<uint32_t> answered{0};
  // The question (asker, before `asked`).
  bool filter = false;
  IpAddress address{};  // flows with this address at either end (original or translated)
  uint8_t version = 0;
  uint32_t limit = 0;
  // The answer (worker, before `answered`).
  uint32_t cursor = 0;
  uint32_t scanning = 0;  // the question being answered; 0: none
  uint32_t count = 0;
  uint64_t matched = 0;
  FlowSample top[kFlowTopMax];  // by bytes, largest first
  uint32_t backend_count = 0;
  BackendFlows backends[kBackendSlots];
};

// Worker, once per poll loop iteration: advances the current question by kScanPerLoop
// entries. A relaxed load when no question is open. No allocation, no locks.
void serve_flow_query(FlowQuery& q, FlowTable& flows, uint8_t worker) noexcept;

struct FlowAnswer {
  bool complete = false;               // every worker answered in time
  uint64_t matched = 0;                // flows matching the filter, all workers
  std::vector<FlowSample> top;         // by bytes, largest first, at most `limit`
  std::vector<BackendFlows> backends;  // DNAT flows per backend
};

// Flows pinned to `backend` of service number `service` (its index in the generation's
// services), from an answer's per-backend counts.
uint64_t flows_to_backend(const std::vector<BackendFlows>& counts, size_t service,
                          const BackendConfig& backend) noexcept;

// Any thread: asks every worker and merges. Questions are serialised; a worker that has not
// answered within `timeout_ms` (stopped, or stalled) leaves the answer incomplete.
class FlowQueries {
 public:
  explicit FlowQueries(size_t workers) : queries_(workers) {}
  FlowQuery& of(size_t worker) noexcept { return queries_[worker]; }
  FlowAnswer ask(const IpAddress* address, uint8_t version, uint32_t limit, unsigned timeout_ms);

 private:
  std::mutex ask_lock_;
  uint32_t next_ = 0;
  std::vector<FlowQuery> queries_;
};

}  // namespace gauntlet
