// Readiness per VIP, for routing software that announces a VIP only where it can be served
// (BIRD, FRR behind ECMP): GET /api/vips on the metrics address, and the Prometheus families
// that let instances be compared (config generation and hash, each service's Maglev table
// hash). A VIP is ready when the dataplane runs (workers polling, every port's link up) and at
// least one of its backends takes new flows (weight > 0, not taken down by health checks).
//
// The JSON contract (one line, keys in this order):
//   {"generation":N,"config_hash":"hex16","dataplane":"running","vips":[{"service":"web",
//    "vip":"198.51.100.10","ports":[80],"protocol":"tcp","forwarding":"dnat","ready":true,
//    "healthy_backends":2,"backends":3,"maglev_hash":"hex16"}]}
// dataplane: running | starting | link-down | stalled | stopped (not a live run).
// Any thread: reads the published view and atomics only, never the workers' tables.
#pragma once

#include <string>

#include "dataplane/control/operations.h"

namespace gauntlet {

// A worker that has not stamped its heartbeat for this long is stalled (a reload that compiles
// a large WAF rule set holds the worker that runs the control duties for seconds).
inline constexpr double kStalledAfterSeconds = 5.0;

// The dataplane's state word; `now_tsc` is the TSC the heartbeats are compared with.
const char* dataplane_state(const Operations& ops, uint64_t now_tsc);

// Backends of `svc` that take new flows.
size_t healthy_backends(const ServiceView& svc);

std::string vips_json(const Operations& ops, uint64_t now_tsc);

// gauntlet_config_generation, gauntlet_config_info, gauntlet_maglev_table_info and
// gauntlet_vip_ready, with HELP and TYPE.
std::string readiness_metrics(const Operations& ops, uint64_t now_tsc);

}  // namespace gauntlet
