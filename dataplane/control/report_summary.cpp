// The per-layer summary: as a table for people and as JSON.
#include <algorithm>
#include <fmt/format.h>

#include "dataplane/control/report.h"

namespace gauntlet {

namespace {

double window_seconds(const LiveWindow& l) {
  return l.tsc_hz ? double(l.counts.tsc) / double(l.tsc_hz) : 0;
}

std::string stages_json(const std::vector<StageTotal>& stages) {
  std::string s = "[";
  for (size_t i = 0; i < stages.size(); ++i)
    fmt::format_to(std::back_inserter(s), R"({}{{"stage":"{}","cycles":{},"packets":{}}})",
                   i ? "," : "", stages[i].name, stages[i].cycles, stages[i].packets);
  return s + "]";
}

// Live mode's rates and --stage-cycles' figures, under the per-layer table.
std::string live_and_stage_lines(const Totals& t) {
  std::string s;
  if (t.live) {
    const LiveWindow& l = *t.live;
    const double secs = window_seconds(l);
    const uint64_t in = l.counts.rx[0] + l.counts.rx[1], out = l.counts.tx[0] + l.counts.tx[1];
    const double mpps = secs > 0 ? double(in) / secs / 1e6 : 0;
    s += fmt::format(
        "live: {} worker(s) for {:.2f} s; measured over {:.2f} s after {:.2f} s warm-up: in {:.3f} "
        "Mpps ({:.3f} per worker), out {:.3f} Mpps\n",
        l.workers, l.run_s, secs, l.warmup_s, mpps, mpps / std::max<uint32_t>(l.workers, 1),
        secs > 0 ? double(out) / secs / 1e6 : 0);
  }
  if (!t.stages.empty()) {
    uint64_t cycles = 0;
    for (const StageTotal& st : t.stages) cycles += st.cycles;
    const uint64_t packets = t.stages.front().packets;
    s += fmt::format("stage cycles per packet (TSC, whole run, {} packets):", packets);
    for (const StageTotal& st : t.stages)
      s += fmt::format(" {} {:.1f}", st.name,
                       st.packets ? double(st.cycles) / double(st.packets) : 0);
    s += fmt::format("; all steps {:.1f}\n", packets ? double(cycles) / double(packets) : 0);
  }
  return s;
}

// The most frequent final reasons of one layer, "name count" joined by ", ".
std::string top_reasons(const Totals& t, size_t dir, Layer layer, size_t limit) {
  std::vector<std::pair<uint64_t, size_t>> found;
  for (size_t r = 1; r < kReasons; ++r)
    if (kReasonLayers[r] == layer && t.reasons[dir][r] > 0) found.push_back({t.reasons[dir][r], r});
  std::stable_sort(found.begin(), found.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::string s;
  for (size_t i = 0; i < found.size() && i < limit; ++i)
    s += fmt::format("{}{} {}", i ? ", " : "", kReasonNames[found[i].second], found[i].first);
  return s;
}

}  // namespace

std::string summary_table(const Totals& t) {
  std::string s = fmt::format(
      "gauntlet summary (generation {}): in outside {} / inside {}; out outside {} / inside {}",
      t.generation, t.rx[0], t.rx[1], t.tx[0], t.tx[1]);
  if (t.tx_dropped[0] + t.tx_dropped[1])
    s += fmt::format("; tx refused {}", t.tx_dropped[0] + t.tx_dropped[1]);
  if (t.records_lost) s += fmt::format("; trace/event records lost {}", t.records_lost);
  s += fmt::format(
      "\nflows: {} active of {} (created {}, expired {}); snat ports in use: tcp {}, udp {}, icmp "
      "{}",
      t.flows_active, t.flow_capacity, t.flows_created, t.flows_expired, t.nat_ports_in_use[0],
      t.nat_ports_in_use[1], t.nat_ports_in_use[2]);
  {
    // SNAT allocation failures, printed once there are any (the egress reason counters).
    const size_t egress = static_cast<size_t>(Direction::egress);
    const uint64_t quota = t.reasons[egress][static_cast<size_t>(Reason::nat_quota_exceeded)];
    const uint64_t exhausted = t.reasons[egress][static_cast<size_t>(Reason::nat_port_exhausted)];
    if (quota + exhausted)
      s += fmt::format("; snat allocation failures: quota {}, pool exhausted {}", quota, exhausted);
  }
  if (const auto& f = t.waf)
    s += fmt::format(
        "\nwaf: {} flows inspected; slots {} in use of {} (max_flows {}), {} bytes of state per "
        "inspected flow; reorder windows {} in use of {} x {} bytes; {} bytes in all",
        f->inspected, f->slots_in_use, f->slots, f->max_flows, f->per_flow_bytes, f->windows_in_use,
        f->windows, f->window_bytes, f->memory_bytes);
  if (const auto& r = t.resources)
    s += fmt::format(
        "\nresources: fragment records {} live of {}; fragments held {} of {}; neighbours {}; "
        "mbufs {} in use of {}; {} {}; rx_nombuf outside {} / inside {}",
        r->fragments_live, r->fragment_slots, r->fragments_held, r->fragment_hold_slots,
        r->neighbours, r->mbufs_in_use, r->mbufs, kMbufExhausted, r->mbuf_alloc_failed,
        r->rx_nombuf[0], r->rx_nombuf[1]);
  s += fmt::format("\n{:<9} {:<12} {:>8} {:>8} {:>9} {:>8} {:>8} {:>8}  {}\n", "direction", "layer",
                   "seen", "passed", "forwarded", "answered", "consumed", "stopped", "top reasons");
  for (size_t d = 0; d < kDirections; ++d) {
    for (size_t l = 0; l < kLayers; ++l) {
      if (!(kLayerDirections[l] & (1u << d))) continue;
      const uint64_t* o = t.outcomes[d][l];
      uint64_t seen = 0;
      for (size_t i = 0; i < kOutcomes; ++i) seen += o[i];
      if (seen == 0 && static_cast<Layer>(l) == Layer::handoff) continue;  // one worker: none
      s += fmt::format("{:<9} {:<12} {:>8} {:>8} {:>9} {:>8} {:>8} {:>8}  {}\n", kDirectionNames[d],
                       kLayerNames[l], seen, o[0], o[1], o[2], o[3], o[4],
                       top_reasons(t, d, static_cast<Layer>(l), 3));
    }
  }
  // The busiest rules of each list, so a summary answers "which rule did that".
  for (size_t list = 0; list < 2; ++list) {
    std::vector<std::pair<uint64_t, std::string>> hit;
    for (const auto& [id, hits] : t.rule_hits[list])
      if (hits) hit.push_back({hits, id});
    if (hit.empty()) continue;
    std::stable_sort(hit.begin(), hit.end(), [](auto& a, auto& b) { return a.first > b.first; });
    s += fmt::format("{} rule hits:", list == 0 ? "firewall" : "allowlist");
    for (size_t i = 0; i < hit.size() && i < 8; ++i)
      s += fmt::format("{} {} {}", i ? "," : "", hit[i].second, hit[i].first);
    if (hit.size() > 8) s += fmt::format(", ... ({} rules hit)", hit.size());
    s += "\n";
  }
  for (const Totals::Backend& b : t.backends)
    s += fmt::format("backend {} {}: {} (weight {}), {} flows pinned\n", b.service, b.backend,
                     b.state, b.weight, b.flows);
  for (size_t w = 0; w < t.workers.size(); ++w)
    s +=
        fmt::format("worker {}: {} packets, {} handed to other workers, {} handed over to it\n", w,
                    t.workers[w].packets, t.workers[w].handoff_sent, t.workers[w].handoff_received);
  s += live_and_stage_lines(t);
  return s;
}

std::string summary_json(const Totals& t) {
  std::string s = fmt::format(
      R"({{"generation":{},"rx":{{"outside":{},"inside":{}}},"tx":{{"outside":{},"inside":{}}},"tx_refused":{},"records_lost":{},"flows":{{"active":{},"capacity":{},"created":{},"expired":{}}},"snat_ports_in_use":{{"tcp":{},"udp":{},"icmp":{}}},"layers":[)",
      t.generation, t.rx[0], t.rx[1], t.tx[0], t.tx[1], t.tx_dropped[0] + t.tx_dropped[1],
      t.records_lost, t.flows_active, t.flow_capacity, t.flows_created, t.flows_expired,
      t.nat_ports_in_use[0], t.nat_ports_in_use[1], t.nat_ports_in_use[2]);
  bool first = true;
  for (size_t d = 0; d < kDirections; ++d) {
    for (size_t l = 0; l < kLayers; ++l) {
      const uint64_t* o = t.outcomes[d][l];
      if (static_cast<Layer>(l) == Layer::handoff && std::count(o, o + kOutcomes, 0) == kOutcomes)
        continue;  // shown only when a handoff ring refused a packet
      fmt::format_to(std::back_inserter(s), R"({}{{"direction":"{}","layer":"{}")",
                     first ? "" : ",", kDirectionNames[d], kLayerNames[l]);
      first = false;
      for (size_t i = 0; i < kOutcomes; ++i)
        fmt::format_to(std::back_inserter(s), R"(,"{}":{})", kOutcomeNames[i], o[i]);
      s += R"(,"reasons":{)";
      bool first_reason = true;
      for (size_t r = 1; r < kReasons; ++r) {
        if (kReasonLayers[r] != static_cast<Layer>(l) || t.reasons[d][r] == 0) continue;
        fmt::format_to(std::back_inserter(s), R"({}"{}":{})", first_reason ? "" : ",",
                       kReasonNames[r], t.reasons[d][r]);
        first_reason = false;
      }
      s += "}}";
    }
  }
  s += "]";
  for (size_t list = 0; list < 2; ++list) {
    fmt::format_to(std::back_inserter(s), R"(,"{}_rules":[)", list == 0 ? "firewall" : "allowlist");
    for (size_t i = 0; i < t.rule_hits[list].size(); ++i)
      fmt::format_to(std::back_inserter(s), R"({}{{"id":"{}","hits":{}}})", i ? "," : "",
                     t.rule_hits[list][i].first, t.rule_hits[list][i].second);
    s += "]";
  }
  if (!t.stages.empty()) s += R"(,"stage_cycles":)" + stages_json(t.stages);
  if (!t.workers.empty()) {
    s += R"(,"workers":[)";
    for (size_t w = 0; w < t.workers.size(); ++w)
      fmt::format_to(std::back_inserter(s),
                     R"({}{{"worker":{},"packets":{},"handoff_sent":{},"handoff_received":{}}})",
                     w ? "," : "", w, t.workers[w].packets, t.workers[w].handoff_sent,
                     t.workers[w].handoff_received);
    s += "]";
  }
  if (t.live) {
    const LiveWindow& l = *t.live;
    const CounterSnapshot& c = l.counts;
    fmt::format_to(
        std::back_inserter(s),
        R"(,"live":{{"workers":{},"tsc_hz":{},"run_s":{:.6f},"warmup_s":{:.6f},)"
        R"("window":{{"seconds":{:.6f},"tsc_cycles":{},"rx":{{"outside":{},"inside":{}}},)"
        R"("tx":{{"outside":{},"inside":{}}},"tx_refused":{},"flows_created":{})",
        l.workers, l.tsc_hz, l.run_s, l.warmup_s, window_seconds(l), c.tsc, c.rx[0], c.rx[1],
        c.tx[0], c.tx[1], c.tx_dropped, c.flows_created);
    if (!t.live_stages.empty()) s += R"(,"stage_cycles":)" + stages_json(t.live_stages);
    s += "}}";
  }
  if (const auto& f = t.waf)
    fmt::format_to(
        std::back_inserter(s),
        R"(,"waf":{{"flows_inspected":{},"slots":{},"slots_in_use":{},"max_flows":{},"per_flow_bytes":{},"reorder_windows":{},"reorder_windows_in_use":{},"reorder_window_bytes":{},"reference_bytes":{},"memory_bytes":{}}})",
        f->inspected, f->slots, f->slots_in_use, f->max_flows, f->per_flow_bytes, f->windows,
        f->windows_in_use, f->window_bytes, f->reference_bytes, f->memory_bytes);
  if (const auto& r = t.resources)
    fmt::format_to(
        std::back_inserter(s),
        R"(,"resources":{{"fragments_live":{},"fragment_slots":{},"fragments_held":{},"fragment_hold_slots":{},"neighbours":{},"mbufs":{},"mbufs_in_use":{},"alloc_failures":{{"{}":{}}},"rx_nombuf":{{"outside":{},"inside":{}}}}})",
        r->fragments_live, r->fragment_slots, r->fragments_held, r->fragment_hold_slots,
        r->neighbours, r->mbufs, r->mbufs_in_use, kMbufExhausted, r->mbuf_alloc_failed,
        r->rx_nombuf[0], r->rx_nombuf[1]);
  if (!t.backends.empty()) {
    s += R"(,"backends":[)";
    for (size_t i = 0; i < t.backends.size(); ++i) {
      const Totals::Backend& b = t.backends[i];
      fmt::format_to(std::back_inserter(s),
                     R"({}{{"service":"{}","backend":"{}","weight":{},"state":"{}","flows":{}}})",
                     i ? "," : "", b.service, b.backend, b.weight, b.state, b.flows);
    }
    s += "]";
  }
  s += "}\n";
  return s;
}

}  // namespace gauntlet
