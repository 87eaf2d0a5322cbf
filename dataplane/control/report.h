// What the user sees: trace and event lines (JSON, one object per line), the per-layer
// summary table, and the same summary as JSON. Control core only.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "dataplane/pipeline/worker.h"

namespace gauntlet {

std::string format_time(uint64_t time_ns);  // ISO 8601 UTC with microseconds
// `tables` names the rules (records carry rule indexes of tables->generation).
std::string trace_json(const Record& r, const Tables& tables);
std::string event_json(const Record& r, const Tables& tables);

// Counters summed over all workers at one moment.
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
};
Totals sum_counters(const std::vector<Worker*>& workers, const Tables& tables);

std::string summary_table(const Totals& t);
std::string summary_json(const Totals& t);

// Drains the workers' rings: writes trace/event lines to the open files (either may be
// null) and fans learned neighbours out to the other workers. Returns records handled.
size_t drain_records(const std::vector<Worker*>& workers, FILE* trace, FILE* events,
                     const Tables& tables);

}  // namespace gauntlet
