// What the operator's views (DPDK telemetry, Prometheus) read: the live run's workers,
// generations, reload, event log and flow queries. Owned by ports/live.cpp for the length of
// a live run; the views only read counters and published tables, ask the workers through
// FlowQueries, or ask the control loop for a reload.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/control/event_log.h"
#include "dataplane/control/flow_query.h"
#include "dataplane/control/reload.h"

struct rte_mempool;

namespace gauntlet {

class AdminHealth;
class RecentStops;

// Whether the live dataplane forwards now, for readiness (control/readiness.h). The live
// driver owns it and writes it; the views read it from their own threads.
struct DataplaneStatus {
  std::atomic<bool> started{false};  // workers launched and not yet told to stop
  std::atomic<bool> link_up[kPortCount] = {};
  uint64_t tsc_hz = 0;  // workers stamp WorkerCounters::heartbeat_tsc in TSC cycles
  // The packet pool and the ports, for the pool's occupancy and the ports' rx_nombuf.
  const rte_mempool* pool = nullptr;
  uint16_t port_ids[kPortCount] = {};
};

struct Operations {
  std::vector<Worker*> workers;
  Generations* generations = nullptr;
  Reloader* reloader = nullptr;
  EventLog* events = nullptr;
  FlowQueries* flows = nullptr;
  uint64_t started_ns = 0;       // wall clock
  RecentStops* stops = nullptr;  // the web view's latest stopped packets (may be null)
  const DataplaneStatus* dataplane = nullptr;  // null: not a live run (never ready)
  AdminHealth* admin = nullptr;                // null: no admin health requests taken
};

// "address:port" of a backend ("[v6]:port"), as traces, events and the views print it.
std::string backend_name(const BackendConfig& b);
// The service and backend a flow's `backend` field names in `view` (a flow balanced under
// another generation whose service list differed names what is there now).
const BackendConfig* backend_of(const GenerationView& view, uint32_t backend, std::string* service);

}  // namespace gauntlet
