// DPDK telemetry commands under /gauntlet/ (rte_telemetry; the socket is
// <runtime dir>/dpdk_telemetry.v2, e.g. /var/run/dpdk/rte/ for root with the default file
// prefix): stats, layers, services, flows, nat, reload. Callbacks run on DPDK's telemetry
// thread: they read counters and the published generation, ask the workers through
// FlowQueries, or set the reload flag the control loop acts on. Parameters are checked;
// anything malformed gets an error reply (-EINVAL), never a crash.
#pragma once

#include "dataplane/control/operations.h"

namespace gauntlet {

// Control core, after rte_eal_init: registers the commands (once per process) and points
// them at `ops`, which must stay alive until detach_telemetry().
void attach_telemetry(Operations* ops);
// Control core: commands answer -ENODEV from here on; returns once no callback runs.
void detach_telemetry();

}  // namespace gauntlet
