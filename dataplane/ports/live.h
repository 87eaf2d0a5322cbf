// Live mode: the config's ports as DPDK ethdevs (af_packet, tap, virtio-user, pcap, null,
// PCI NICs), one RX/TX queue pair per worker, workers on the EAL's worker lcores (or on
// the main lcore when there is none). Runs until SIGINT/SIGTERM, then drains and prints
// the final summary.
#pragma once

#include <string>
#include <vector>

#include "dataplane/control/config.h"
#include "dataplane/control/drop_capture.h"

namespace gauntlet {

struct LiveOptions {
  std::string trace_path;         // empty: no trace
  std::string events_path;        // empty: events to stderr
  double duration_s = 0;          // > 0: stop by itself after this long (tests, benchmarks)
  double warmup_s = 0;            // rates are measured from this long after the start (benchmarks)
  bool stage_cycles = false;      // time each pipeline step per burst (--stage-cycles)
  std::string summary_json_path;  // non-empty: write the final summary there as JSON
  DropCaptureOptions drop_capture;  // path empty: no capture
};

// EAL arguments that attach the config's devices: --vdev for virtual devices, -a for PCI.
std::vector<std::string> device_eal_args(const Config& cfg);

// Runs after rte_eal_init. Returns the process exit code.
int run_live(const Config& cfg, const LiveOptions& options);

}  // namespace gauntlet
