// Replay mode: pcaps in, pcaps out, deterministically. Packets of the two input files
// (one per port) are merged by timestamp (ties: outside first) and processed in that order
// by one worker on the main lcore (or, with --workers N, by N workers in turn: see
// ReplayOptions::workers); the pcap time is the dataplane clock. Writes
// <out>/outside.pcap, <out>/inside.pcap, <out>/events.jsonl, <out>/summary.{txt,json}.
#pragma once

#include <string>

#include "dataplane/control/config.h"
#include "dataplane/control/drop_capture.h"
#include "dataplane/control/report.h"

namespace gauntlet {

struct ReplayOptions {
  std::string inputs[kPortCount];  // empty: no traffic arrives on that port
  std::string out_dir;
  std::string trace_path;           // empty: no trace
  DropCaptureOptions drop_capture;  // path empty: no capture
  TraceObserver observe;            // sees each packet's trace record (explain, what-if)
  bool print_summary = true;        // also print the summary to standard output
  // Workers (--workers): 1 runs the pipeline on one worker; more split the flows between
  // that many, each packet received by one (a NIC-like hash) and handed to its owner
  // (pipeline/steering.h, handoff.h). All run in turn on the main lcore: deterministic.
  uint32_t workers = 1;
  // >= 0 (--settle): after the last packet the dataplane clock runs on this many seconds with
  // no traffic, so every timeout due by then fires; the summary then shows what is still held
  // (its resources section).
  double settle_s = -1;
};

// Checks the inputs can be read before EAL starts; returns an error line or "".
std::string check_replay_inputs(const ReplayOptions& options);

// Runs the replay after rte_eal_init. Returns the process exit code.
int run_replay(const Config& cfg, const ReplayOptions& options);

}  // namespace gauntlet
