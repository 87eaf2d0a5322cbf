// What the user sees: trace and event lines (JSON, one object per line), the per-layer
// summary table, and the same summary as JSON. Control core only.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/lb/health_monitor.h"
#include "dataplane/pipeline/worker.h"

struct rte_mempool;

namespace gauntlet {

std::string format_time(uint64_t time_ns);  // ISO 8601 UTC with microseconds
// `tables` names the rules (records carry rule indexes of tables->generation).
std::string trace_json(const Record& r, const Tables& tables);
std::string event_json(const Record& r, const Tables& tables);

// Counters only (no worker tables), so they may be read while the workers run.
struct CounterSnapshot {
  uint64_t tsc = 0;  // when it was taken
  uint64_t rx[kPortCount] = {}, tx[kPortCount] = {}, tx_dropped = 0;
  uint64_t flows_created = 0;
  uint64_t stage_cycles[kMaxTimedStages] = {}, stage_packets[kMaxTimedStages] = {};
  uint64_t io_cycles[2] = {}, io_packets[2] = {};  // live driver: rx, tx
};
CounterSnapshot snapshot_counters(const std::vector<Worker*>& workers, uint64_t tsc);
CounterSnapshot operator-(const CounterSnapshot& later, const CounterSnapshot& earlier);

// One timed step of run_pipeline (--stage-cycles), summed over the workers.
struct StageTotal {
  std::string name;
  uint64_t cycles = 0, packets = 0;
};
// The steps in pipeline order, between the live driver's "rx" and "tx" when it timed them;
// `counts` gives the figures (a snapshot or a difference of two).
// Names are read from the workers: call once they have stopped.
std::vector<StageTotal> stage_totals(const std::vector<Worker*>& workers,
                                     const CounterSnapshot& counts);

// Live mode: what ran, and the window the rates are measured over: from the end of the
// warm-up (--warmup) to the stop, so that the traffic's first pass (flows being created)
// can be left out.
struct LiveWindow {
  uint32_t workers = 0;
  uint64_t tsc_hz = 0;
  double run_s = 0;        // workers started to stopped
  double warmup_s = 0;     // left out at the start of the run
  CounterSnapshot counts;  // within the window; counts.tsc is its length in TSC cycles
};

// Counters summed over all workers at one moment.
// Inspected flows (waf/waf_flows.h), when a service has WAF on: the state they hold, in
// bytes, and how much of the configured budget is in use. (Outside Totals: a nested class
// with member initialisers is not default-constructible inside its enclosing class for
// clang, and Totals::waf is an optional of it.)
struct WafTotals {
  uint64_t inspected = 0;  // flows that got a slot, since the start
  uint64_t slots = 0, slots_in_use = 0, max_flows = 0;
  uint64_t per_flow_bytes = 0;  // one slot: parser, head storage, body buffer, stream
  uint64_t windows = 0, windows_in_use = 0, window_bytes = 0;  // reorder windows
  uint64_t reference_bytes = 0;                                // per flow-table entry references
  uint64_t memory_bytes = 0;                                   // all of it, all workers
};

// What the dataplane still holds, to check that state returns to zero (replay --settle, live's
// final summary). The driver fills it: it knows the packet pool, the ports and the clock.
struct ResourceTotals {
  uint64_t fragments_live = 0, fragment_slots = 0;       // first-fragment records alive at `now`
  uint64_t fragments_held = 0, fragment_hold_slots = 0;  // later fragments (mbufs) waiting
  uint64_t neighbours = 0;                               // static + learned entries, all workers
  uint64_t mbufs = 0, mbufs_in_use = 0;                  // the packet pool: size, taken
  uint64_t mbuf_alloc_failed = 0;                        // kMbufExhausted, all workers
  uint64_t rx_nombuf[kPortCount] = {};                   // live: the ports' rte_eth_stats rx_nombuf
};

struct Totals {
  uint64_t outcomes[kDirections][kLayers][kOutcomes] = {};
  uint64_t reasons[kDirections][kReasons] = {};
  uint64_t rx[kPortCount] = {}, tx[kPortCount] = {}, tx_dropped[kPortCount] = {};
  uint64_t records_lost = 0;
  uint64_t flows_created = 0, flows_expired = 0;
  // Read from the workers' tables: exact once workers have stopped (replay, final summary).
  uint64_t flows_active = 0, flow_capacity = 0, nat_ports_in_use[kNatProtocols] = {};
  uint64_t generation = 0;
  // Per ACL list (by Direction): (rule id, hits) in rule order, then ("default", hits).
  std::vector<std::pair<std::string, uint64_t>> rule_hits[2];
  // Shown only when set, so replay's summaries stay as they are:
  std::vector<StageTotal> stages;       // --stage-cycles: run_pipeline's steps, in order
  std::optional<LiveWindow> live;       // live mode: the run's length and its measured window
  std::vector<StageTotal> live_stages;  // --stage-cycles in live mode: within the window
  // Backends of services with health checks or drained backends: their state and the flows
  // still pinned to them (read from the workers' flow tables once they stopped).
  struct Backend {
    std::string service, backend, state;
    uint32_t weight = 0;
    uint64_t flows = 0;
  };
  std::vector<Backend> backends;
  // Inspected flows when a service has WAF on (WafTotals).
  using Waf = WafTotals;
  std::optional<Waf> waf;
  // Several workers: per worker, the packets its pipeline ran (handed-over ones included)
  // and its handoffs (pipeline/handoff.h). Empty with one worker.
  struct WorkerTotal {
    uint64_t packets = 0, handoff_sent = 0, handoff_received = 0;
  };
  std::vector<WorkerTotal> workers;
  std::optional<ResourceTotals> resources;  // shown only when set
};
// Workers stopped: their fragment records alive at `now_ns`, fragments held, neighbours and
// failed allocations; `pool` (may be null) gives the mbuf figures.
ResourceTotals resource_totals(const std::vector<Worker*>& workers, uint64_t now_ns,
                               const rte_mempool* pool);
// `running`: the workers still run; occupancy comes from the gauges their loops refresh.
Totals sum_counters(const std::vector<Worker*>& workers, const Tables& tables,
                    bool running = false);

std::string summary_table(const Totals& t);
std::string summary_json(const Totals& t);

class RecentStops;

// Sees every trace record drained, after its line is written (explain, what-if).
using TraceObserver = std::function<void(const Record&, const Tables&)>;

// Drains the workers' rings: writes trace/event lines to the open files (either may be
// null), hands trace records to `observe` (if set) and fans learned neighbours out to the
// other workers. Returns records handled.
// Health-probe answers go to `health` (dropped when null). At most `budget` records per
// worker, so that workers faster than the drain never keep the control loop here. Stopped
// packets' decision chains go to `stops` (may be null), for the web view.
size_t drain_records(const std::vector<Worker*>& workers, FILE* trace, FILE* events,
                     const Tables& tables, const TraceObserver& observe = {},
                     HealthMonitor* health = nullptr, size_t budget = SIZE_MAX,
                     RecentStops* stops = nullptr);

// One health state change (or drain deadline) as an event line; `generation`: the tables
// that reflect it, whose Maglev table for the service hashes to `maglev_hash`.
std::string health_event_json(const HealthTransition& t, uint64_t generation, uint64_t maglev_hash);

// For the plain-words views (control/explain.h): the protocol as traces print it ("tcp",
// "arp", ...), and the printed id of the rule a step names (as in traces).
std::string record_proto_name(const Record& r);
std::string step_rule_name(const Step& st, const Record& r, const Tables& tables);

}  // namespace gauntlet
