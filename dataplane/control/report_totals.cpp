// Counters summed over the workers: totals, snapshots and their differences, resources.
#include <algorithm>

#include <rte_mempool.h>

#include "dataplane/control/report.h"

namespace gauntlet {

namespace {

// Flows pinned to each backend of the services that report theirs: one pass over the flow
// tables, so only once the workers have stopped.
void add_backend_totals(Totals& t, const std::vector<Worker*>& workers, const Tables& tables) {
  std::vector<std::vector<uint64_t>> pinned(tables.services.size());
  bool any = false;
  for (size_t s = 0; s < tables.services.size(); ++s)
    if (tables.services[s].reports_backends) {
      pinned[s].resize(tables.services[s].backends.size());
      any = true;
    }
  if (!any) return;
  for (Worker* w : workers) {
    for (uint32_t i = 0; i < w->flows.capacity(); ++i) {
      const FlowEntry& e = w->flows.at(i);
      if (!e.in_use() || e.nat() != NatKind::destination) continue;
      const size_t service = e.backend >> 16;
      if (service >= pinned.size() || pinned[service].empty()) continue;
      // By the flow's backend address:port: a reload may have reordered the list since.
      const std::vector<BackendConfig>& list = tables.services[service].backends;
      const auto is_pinned = [&e](const BackendConfig& b) {
        return b.address == e.nat_addr && b.port == e.nat_port;
      };
      size_t backend = e.backend & 0xffff;
      if (backend >= list.size() || !is_pinned(list[backend]))
        backend =
            static_cast<size_t>(std::find_if(list.begin(), list.end(), is_pinned) - list.begin());
      if (backend < list.size()) ++pinned[service][backend];
    }
  }
  for (size_t s = 0; s < tables.services.size(); ++s) {
    const CompiledService& svc = tables.services[s];
    for (size_t i = 0; i < pinned[s].size(); ++i) {
      const BackendConfig& b = svc.backends[i];
      const char* state = svc.down[i]          ? "down"
                          : b.weight != 0      ? "up"
                          : svc.reset_flows[i] ? "drained-reset"
                                               : "drained";
      t.backends.push_back({svc.name, backend_name(b), state, b.weight, pinned[s][i]});
    }
  }
}

}  // namespace

Totals sum_counters(const std::vector<Worker*>& workers, const Tables& tables, bool running) {
  Totals t;
  t.generation = tables.generation;
  for (size_t list = 0; list < 2; ++list) {
    const auto& ids = tables.acl[list].ids;
    for (size_t i = 0; i <= ids.size(); ++i) {
      uint64_t hits = 0;
      for (const Worker* w : workers) {
        const RuleCounters& rc = w->rule_hits[list];
        hits += rc.hits[i < ids.size() ? i : rc.size - 1].get();
      }
      t.rule_hits[list].push_back({i < ids.size() ? ids[i] : "default", hits});
    }
  }
  for (const Worker* w : workers) {
    const WorkerCounters& k = w->counters;
    for (size_t d = 0; d < kDirections; ++d) {
      for (size_t l = 0; l < kLayers; ++l)
        for (size_t o = 0; o < kOutcomes; ++o) t.outcomes[d][l][o] += k.outcomes[d][l][o].get();
      for (size_t r = 0; r < kReasons; ++r) t.reasons[d][r] += k.reasons[d][r].get();
    }
    for (size_t p = 0; p < kPortCount; ++p) {
      t.rx[p] += k.rx[p].get();
      t.tx[p] += k.tx[p].get();
      t.tx_dropped[p] += k.tx_dropped[p].get();
    }
    t.records_lost += k.records_lost.get();
    if (workers.size() > 1)
      t.workers.push_back(
          {k.rx[0].get() + k.rx[1].get(), k.handoff_sent.get(), k.handoff_received.get()});
    t.flows_created += k.flows_created.get();
    t.flows_expired += k.flows_expired.get();
    t.flows_active += running ? k.flows_in_use.get() : w->flows.size();
    t.flow_capacity += w->flows.capacity();
    for (size_t p = 0; p < kNatProtocols; ++p)
      t.nat_ports_in_use[p] +=
          running ? k.nat_ports_in_use[p].get() : w->nat.ports_in_use(static_cast<NatProtocol>(p));
  }
  for (const Worker* w : workers) {
    if (!w->waf.active()) continue;
    Totals::Waf& f = t.waf ? *t.waf : t.waf.emplace();
    f.inspected += w->waf.flows_inspected();
    f.slots += w->waf.slot_count();
    f.slots_in_use += w->waf.slots_in_use();
    f.max_flows += w->waf.max_flows();
    f.per_flow_bytes = w->waf.per_flow_bytes();
    f.windows += w->waf.reorder().count();
    if (!running) f.windows_in_use += w->waf.reorder().in_use();
    f.window_bytes = w->waf.reorder().window_bytes();
    f.reference_bytes += w->waf.reference_bytes();
    f.memory_bytes += w->waf.memory_bytes();
  }
  if (!running) add_backend_totals(t, workers, tables);
  return t;
}

ResourceTotals resource_totals(const std::vector<Worker*>& workers, uint64_t now_ns,
                               const rte_mempool* pool) {
  ResourceTotals r;
  for (const Worker* w : workers) {
    const FragmentTable& f = w->flows.fragments();
    r.fragments_live += f.live(now_ns);
    r.fragment_slots += f.slots();
    r.fragments_held += w->held_fragments.held();
    r.fragment_hold_slots += w->held_fragments.capacity();
    r.neighbours += w->neighbours.size();
    r.mbuf_alloc_failed += w->counters.mbuf_alloc_failed.get();
  }
  if (pool) {
    r.mbufs = pool->size;
    r.mbufs_in_use = rte_mempool_in_use_count(pool);
  }
  return r;
}

CounterSnapshot snapshot_counters(const std::vector<Worker*>& workers, uint64_t tsc) {
  CounterSnapshot c;
  c.tsc = tsc;
  for (const Worker* w : workers) {
    const WorkerCounters& k = w->counters;
    for (size_t p = 0; p < kPortCount; ++p) {
      c.rx[p] += k.rx[p].get();
      c.tx[p] += k.tx[p].get();
      c.tx_dropped += k.tx_dropped[p].get();
    }
    c.flows_created += k.flows_created.get();
    for (size_t i = 0; i < kMaxTimedStages; ++i) {
      c.stage_cycles[i] += k.stages[i].cycles.get();
      c.stage_packets[i] += k.stages[i].packets.get();
    }
    const StageCounters* io[2] = {&k.io_rx, &k.io_tx};
    for (size_t i = 0; i < 2; ++i) {
      c.io_cycles[i] += io[i]->cycles.get();
      c.io_packets[i] += io[i]->packets.get();
    }
  }
  return c;
}

CounterSnapshot operator-(const CounterSnapshot& later, const CounterSnapshot& earlier) {
  CounterSnapshot d;
  d.tsc = later.tsc - earlier.tsc;
  for (size_t p = 0; p < kPortCount; ++p) {
    d.rx[p] = later.rx[p] - earlier.rx[p];
    d.tx[p] = later.tx[p] - earlier.tx[p];
  }
  d.tx_dropped = later.tx_dropped - earlier.tx_dropped;
  d.flows_created = later.flows_created - earlier.flows_created;
  for (size_t i = 0; i < kMaxTimedStages; ++i) {
    d.stage_cycles[i] = later.stage_cycles[i] - earlier.stage_cycles[i];
    d.stage_packets[i] = later.stage_packets[i] - earlier.stage_packets[i];
  }
  for (size_t i = 0; i < 2; ++i) {
    d.io_cycles[i] = later.io_cycles[i] - earlier.io_cycles[i];
    d.io_packets[i] = later.io_packets[i] - earlier.io_packets[i];
  }
  return d;
}

std::vector<StageTotal> stage_totals(const std::vector<Worker*>& workers,
                                     const CounterSnapshot& counts) {
  std::vector<StageTotal> stages;
  for (const Worker* w : workers) {
    if (!w->stage_cycles) continue;
    // Every worker runs the same steps; the first that ran a burst names them.
    for (size_t i = 0; i < kMaxTimedStages && w->stage_names[i]; ++i)
      stages.push_back({w->stage_names[i], counts.stage_cycles[i], counts.stage_packets[i]});
    if (!stages.empty()) break;
  }
  if (!stages.empty() && counts.io_packets[0]) {
    stages.insert(stages.begin(), {"rx", counts.io_cycles[0], counts.io_packets[0]});
    stages.push_back({"tx", counts.io_cycles[1], counts.io_packets[1]});
  }
  return stages;
}

}  // namespace gauntlet
