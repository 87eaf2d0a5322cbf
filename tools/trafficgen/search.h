// Throughput search (RFC 2544 section 26.1): the highest offered rate at which the DUT
// forwards everything (NDR, zero loss) and the highest at which it loses at most a
// tolerance (PDR), each found by binary search over trials of a set duration; the upper
// bound is what an unthrottled trial achieves.
#pragma once

#include <vector>

#include "tools/trafficgen/trial.h"

namespace trafficgen {

struct SearchConfig {
  TrialConfig trial;   // ports, drain; rate set by the search
  double trial_s = 1;  // duration of each trial
  double loss_tolerance = 0.005;
  double precision = 0.01;   // stop when hi - lo < precision × upper bound
  unsigned max_trials = 24;  // per search, a bound on time whatever the precision
  double max_rate_pps = 0;   // upper bound of the search (0: what an unthrottled trial reaches)
};

struct SearchResult {
  TrialResult max;                  // the unthrottled trial
  TrialResult ndr, pdr;             // the best passing trial of each search (rate 0: none passed)
  TrialResult confirm;              // a second trial at the NDR's rate: the result holds
  std::vector<TrialResult> trials;  // every trial, in order
};

SearchResult search_throughput(const Templates& templates, rte_mempool* pool,
                               const SearchConfig& cfg);

}  // namespace trafficgen
