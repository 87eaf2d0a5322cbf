// What-if: the same input replayed through two configs, A and B, one after the other (each a
// whole replay of its own, writing OUT/a/ and OUT/b/ with a trace.jsonl each), then the
// packets whose final verdicts differ, and how:
//
//   what-if: A rules/gauntlet.yaml, B flipped.yaml: 51 packets, 2 with another verdict
//   #5 203.0.113.10:51000 → 10.0.0.10:80 TCP
//     A: forward at forward: forward:routed, rule web-to-pods, to 10.0.0.10 via inside
//     B: stop at firewall: firewall:denied, rule web-to-pods
//   changes:
//     2  forward:routed (forward) → firewall:denied (stop)
//
// A verdict is the final step (layer, outcome, reason), the policy rule that decided (the
// rule of the last step naming one, other than the load balancer's), the backend of a
// balanced flow, and where a forwarded packet went (port and next hop). Replay is
// deterministic, so the report is too. Control core, after rte_eal_init.
#pragma once

#include "dataplane/control/config.h"

namespace gauntlet {

struct ReplayOptions;

// Replays `options`' inputs through `a`, then `b`, and prints the report to standard
// output. Returns the process exit code (a replay's failure code, else 0).
int run_what_if(const Config& a, const Config& b, const ReplayOptions& options);

}  // namespace gauntlet
