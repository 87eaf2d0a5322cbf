// What the traffic generator prints: a table for people and JSON for plots.
#pragma once

#include <cstdio>
#include <string>

#include "tools/trafficgen/search.h"

namespace trafficgen {

struct RunReport {
  double avg_frame_bytes = 0;    // without FCS
  double line_pps = 0;           // at the TX port's link speed; 0 when it reports none
  double avg_payload_bytes = 0;  // HTTP mode: request bytes per frame (0: not HTTP)
  size_t templates = 0;
  TrialResult single;  // without --search
  SearchResult search;
  bool has_search = false;
};

void print_report(const RunReport& r, FILE* out);
bool write_json(const RunReport& r, const std::string& path);

}  // namespace trafficgen
