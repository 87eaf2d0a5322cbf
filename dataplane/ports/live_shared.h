// Live mode's inside (live.h is its outside): what the control core's set-up (live.cpp),
// the ports (live_ports.cpp) and the workers' poll loop (live_worker.cpp) share.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <rte_cycles.h>

#include "dataplane/control/config.h"

struct rte_mempool;

namespace gauntlet {

class ControlLoop;
class DropCapture;
class FlowQueries;
class HealthDriver;
class Published;
struct DataplaneStatus;
class RecentStops;
struct Worker;

struct LiveShared {
  Published* published;
  FlowQueries* flow_queries;  // telemetry and metrics ask the workers about their flows
  uint16_t port_ids[kPortCount];
  uint64_t realtime_base_ns;  // wall clock at tsc_base
  uint64_t tsc_base;
  uint64_t tsc_hz;
  HealthDriver* health = nullptr;       // checks and drain deadlines (idle without any)
  RecentStops* stops = nullptr;         // the web view's latest stopped packets
  DropCapture* drop_capture = nullptr;  // null: no drop capture
  // Link state as last seen by the control core (watch_links), and when to look again.
  bool link_up[kPortCount] = {true, true};
  uint64_t next_link_check_tsc = 0;
  DataplaneStatus* status = nullptr;  // readiness (GET /api/vips): links and start/stop
};

// The dataplane clock: wall time at start plus TSC time since.
inline uint64_t dataplane_now(const LiveShared& s) noexcept {
  // Whole seconds and the rest apart: the TSC delta times 1e9 passes 2^64 after 2^64 / 1e9
  // cycles (about 9 s at 2 GHz), and the clock would jump back.
  const uint64_t delta = rte_rdtsc() - s.tsc_base;
  return s.realtime_base_ns + delta / s.tsc_hz * 1000000000u +
         delta % s.tsc_hz * 1000000000u / s.tsc_hz;
}

// --- ports (live_ports.cpp) ---------------------------------------------------------------

// The ethdev name of a device string: everything before the first comma.
std::string device_name(const std::string& device);
// Configures and starts port `id` in `role`: one RX/TX queue pair per worker (symmetric RSS
// with several), RX buffers from `pool`. Prints why on stderr and returns false when it can't.
bool start_port(uint16_t id, uint8_t role, const Config& cfg, rte_mempool* pool, uint16_t queues);
// The packet pool: `mbufs` of RTE_MBUF_DEFAULT_BUF_SIZE. Null on failure (rte_errno says why).
rte_mempool* create_packet_pool(const char* name, uint32_t mbufs);
// The port's link as the driver reports it, on stderr.
void print_link(uint16_t id, uint8_t role);
// Control core, about once a second: link changes on stderr and as events.
void watch_links(LiveShared& s, FILE* events);

// --- workers (live_worker.cpp) ------------------------------------------------------------

struct LiveWorkerArgs {
  Worker* worker;
  LiveShared* shared;
  bool control_duties;  // the only worker runs on the main lcore: drain records here too
  std::vector<Worker*>* all;
  FILE* trace;
  FILE* events;
  ControlLoop* control;  // reload, views, event log (control_duties: run here too)
  PollConfig poll;       // busy, or adaptive: sleep between polls once idle
};

// A worker's poll loop (an lcore function: `arg` is a LiveWorkerArgs); returns at stop.
int live_worker_loop(void* arg);
// Asks every loop to stop (signal-safe); whether one was asked.
void request_stop() noexcept;
bool stop_requested() noexcept;
// Signal handler that calls request_stop.
void stop_on_signal(int) noexcept;

}  // namespace gauntlet
