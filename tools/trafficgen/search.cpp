// Binary search for NDR and PDR (see search.h).
#include "tools/trafficgen/search.h"

namespace trafficgen {

namespace {

// The highest rate in [lower, upper] whose trial loses at most `tolerance`, by bisection. A
// trial "passes" on its measured loss; its offered rate is what the search reports.
TrialResult bisect(const Templates& t, rte_mempool* pool, const SearchConfig& cfg, double lower,
                   double upper, double tolerance, std::vector<TrialResult>& trials) {
  TrialResult best;  // offered_pps 0: nothing passed
  double lo = lower, hi = upper;
  for (unsigned i = 0; i < cfg.max_trials && hi - lo > cfg.precision * upper; ++i) {
    const double rate = i == 0 ? upper : (lo + hi) / 2;
    TrialConfig tc = cfg.trial;
    tc.rate_pps = rate;
    tc.duration_s = cfg.trial_s;
    const TrialResult r = run_trial(t, pool, tc);
    trials.push_back(r);
    // A trial passes when no more than the tolerance of its schedule went unforwarded: lost
    // by the DUT, or never taken by a link the DUT held back (memif has no other way to
    // refuse load). Nothing sent at all is no pass either.
    if (r.sent > 0 && r.schedule_loss_ratio() <= tolerance) {
      best = r;
      lo = rate;
      if (i == 0) break;  // the upper bound itself passes
    } else {
      hi = rate;
    }
  }
  return best;
}

}  // namespace

SearchResult search_throughput(const Templates& t, rte_mempool* pool, const SearchConfig& cfg) {
  SearchResult s;
  TrialConfig tc = cfg.trial;
  tc.rate_pps = 0;
  tc.duration_s = cfg.trial_s;
  s.max = run_trial(t, pool, tc);
  s.trials.push_back(s.max);
  double upper = s.max.tx_pps();
  if (cfg.max_rate_pps > 0 && cfg.max_rate_pps < upper) upper = cfg.max_rate_pps;
  // Nothing went out, or nothing came back even unthrottled: the search ends there, with
  // no NDR (a result, not an error).
  if (upper <= 0 || s.max.received == 0) return s;
  s.ndr = bisect(t, pool, cfg, 0, upper, 0.0, s.trials);
  // PDR >= NDR: its search starts where the zero-loss one ended.
  s.pdr = bisect(t, pool, cfg, s.ndr.offered_pps, upper, cfg.loss_tolerance, s.trials);
  if (s.pdr.offered_pps < s.ndr.offered_pps) s.pdr = s.ndr;
  if (s.ndr.offered_pps > 0) {
    tc.rate_pps = s.ndr.offered_pps;
    s.confirm = run_trial(t, pool, tc);
    s.trials.push_back(s.confirm);
  }
  return s;
}

}  // namespace trafficgen
