// The stages, in the order the pipeline runs them. Each is a function over a burst that
// appends at most one decision per undecided packet (PacketContext::decide). Worker core
// only; noexcept, no allocation, no locks, no logging.
#pragma once

#include "dataplane/pipeline/context.h"
#include "dataplane/pipeline/worker.h"

namespace gauntlet {

void parse_stage(Worker& w, Burst& b) noexcept;             // packet/parse_stage.cpp
void handoff_stage(Worker& w, Burst& b) noexcept;           // pipeline/handoff.cpp
void neighbour_stage(Worker& w, Burst& b) noexcept;         // neighbour/neighbour_stage.cpp
void conntrack_stage(Worker& w, Burst& b) noexcept;         // conntrack/conntrack_stage.cpp
void local_stage(Worker& w, Burst& b) noexcept;             // forward/local_stage.cpp
void firewall_stage(Worker& w, Burst& b) noexcept;          // firewall/firewall_stage.cpp
void proxy_stage(Worker& w, Burst& b) noexcept;             // proxy/proxy_stage.cpp
void proxy_syn_stage(Worker& w, Burst& b) noexcept;         // proxy/proxy_syn.cpp
void lb_stage(Worker& w, Burst& b) noexcept;                // lb/lb_stage.cpp
void ttl_stage(Worker& w, Burst& b) noexcept;               // forward/forward_stage.cpp
void conntrack_commit_stage(Worker& w, Burst& b) noexcept;  // conntrack/conntrack_commit.cpp
void waf_stage(Worker& w, Burst& b) noexcept;               // waf/waf_stage.cpp
void nat_stage(Worker& w, Burst& b) noexcept;               // nat/nat_stage.cpp
void tunnel_stage(Worker& w, Burst& b) noexcept;            // lb/tunnel_stage.cpp
void forward_stage(Worker& w, Burst& b) noexcept;           // forward/forward_stage.cpp

// Runs every stage over `b`, then counts, records and stages each packet for TX (or frees
// it). Packets must have in_port, direction, time_ns and sequence set.
void run_pipeline(Worker& w, Burst& b) noexcept;  // pipeline/pipeline.cpp

// Fragments coming back from the hold (conntrack/fragment_hold.h): the steps from
// conntrack_commit on, then the same counting, records and TX staging as run_pipeline.
void run_returning(Worker& w, Burst& b) noexcept;  // pipeline/pipeline.cpp

// Runs the worker's clock on to `now_ns` with no packet: every flow due by then expires
// (replay --settle). conntrack/conntrack_stage.cpp
void conntrack_advance_clock(Worker& w, uint64_t now_ns) noexcept;

}  // namespace gauntlet
