#include "dataplane/control/report.h"

#include <algorithm>
#include <ctime>
#include <fmt/format.h>

namespace gauntlet {

namespace {

std::string proto_name(const Record& r) {
  if (r.ip_version == 0) return "arp";
  switch (r.l4_proto) {
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 1:
      return "icmp";
    case 58:
      return "icmpv6";
    default:
      return std::to_string(r.l4_proto);
  }
}

// The packet's identity: ports, addresses, protocol. Shared by traces and events.
void append_flow(std::string& s, const Record& r) {
  fmt::format_to(std::back_inserter(s),
                 R"("seq":{},"time":"{}","generation":{},"port":"{}","direction":"{}","len":{})",
                 r.sequence, format_time(r.time_ns), r.generation, port_role_name(r.in_port),
                 direction_name(r.direction), r.frame_length);
  // A frame stopped before its addresses were read has none to show.
  if (r.src == IpAddress{} && r.dst == IpAddress{}) return;
  const uint8_t v = r.ip_version == 0 ? 4 : r.ip_version;
  fmt::format_to(std::back_inserter(s), R"(,"proto":"{}","src":"{}","dst":"{}")", proto_name(r),
                 format_ip(r.src, v), format_ip(r.dst, v));
  if ((r.l4_proto == 6 || r.l4_proto == 17) && (r.src_port | r.dst_port) != 0)
    fmt::format_to(std::back_inserter(s), R"(,"sport":{},"dport":{})", r.src_port, r.dst_port);
}

// The printed id of the rule a step names: the config's id, or "default".
std::string rule_name(const Step& st, const Record& r, const Tables& t) {
  if (st.rule == kDefaultRule) return "default";
  const int list = st.layer == Layer::firewall ? 0 : st.layer == Layer::allowlist ? 1 : -1;
  if (list >= 0 && r.generation == t.generation && st.rule < t.acl[list].ids.size())
    return t.acl[list].ids[st.rule];
  if (st.layer == Layer::loadbalancer && r.generation == t.generation && r.lb_service < t.services.size() &&
      st.rule < t.services[r.lb_service].backends.size()) {
    const BackendConfig& b = t.services[r.lb_service].backends[st.rule];
    return fmt::format("{}:{}", format_ip(b.address, b.version), b.port);  // the backend chosen
  }
  return fmt::format("#{}", st.rule);  // a rule of a generation no longer loaded
}

void append_rule(std::string& s, const Step& st, const Record& r, const Tables& t) {
  if (st.rule == kNoRule) return;
  s += R"(,"rule":")";
  s += rule_name(st, r, t);  // ids are [A-Za-z0-9_.:-]+ (config validation): no escaping
  s += '"';
}

// `decisive`: the step to report. For a stop it is the last; for a logged pass, the rule
// that asked for the log.
void append_decision(std::string& s, const Record& r, const Tables& t, const Step& last) {
  fmt::format_to(std::back_inserter(s), R"(,"layer":"{}","verdict":"{}","reason":"{}")",
                 layer_name(last.layer), outcome_name(last.outcome), reason_name(last.reason));
  append_rule(s, last, r, t);
  if (r.out_port < kPortCount)
    fmt::format_to(std::back_inserter(s), R"(,"out_port":"{}")", port_role_name(r.out_port));
  if (!(r.next_hop == IpAddress{}))
    fmt::format_to(std::back_inserter(s), R"(,"next_hop":"{}")",
                   format_ip(r.next_hop, r.ip_version == 6 ? 6 : 4));
  if (r.has_flow) {
    const char* state = r.flow_proto == 6
                            ? tcp_state_name(static_cast<TcpState>(r.flow_state)).data()
                        : r.flow_seen_reply ? "replied"
                                            : "unreplied";
    fmt::format_to(std::back_inserter(s), R"(,"flow":{{"state":"{}","dir":"{}"}})", state,
                   flow_direction_name(static_cast<FlowDirection>(r.flow_dir)));
  }
  if (r.has_lb && r.generation == t.generation && r.lb_service < t.services.size()) {
    const CompiledService& svc = t.services[r.lb_service];
    if (r.lb_backend < svc.backends.size()) {
      const BackendConfig& b = svc.backends[r.lb_backend];
      const std::string address = b.version == 6 ? fmt::format("[{}]", format_ip(b.address, 6)) : format_ip(b.address, 4);
      fmt::format_to(std::back_inserter(s), R"(,"lb":{{"service":"{}","backend":"{}:{}")", svc.name, address, b.port);
      if (r.has_lb_slot) fmt::format_to(std::back_inserter(s), R"(,"slot":{})", r.lb_slot);
      s += "}";
    }
  }
  if (r.has_nat)
    fmt::format_to(std::back_inserter(s), R"(,"nat":{{"internal":"{}:{}","external":"{}:{}"}})",
                   format_ip(r.nat_internal, 4), r.nat_internal_port, format_ip(r.nat_external, 4),
                   r.nat_external_port);
}

}  // namespace

std::string format_time(uint64_t time_ns) {
  const time_t seconds = static_cast<time_t>(time_ns / 1000000000u);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:06}Z", date, (time_ns % 1000000000u) / 1000u);
}

std::string trace_json(const Record& r, const Tables& t) {
  std::string s = "{";
  append_flow(s, r);
  append_decision(s, r, t, r.steps[r.step_count - 1]);
  s += R"(,"chain":[)";
  for (uint8_t i = 0; i < r.step_count; ++i) {
    const Step& st = r.steps[i];
    fmt::format_to(std::back_inserter(s), R"({}{{"layer":"{}","outcome":"{}")", i ? "," : "",
                   layer_name(st.layer), outcome_name(st.outcome));
    if (st.reason != Reason::none)
      fmt::format_to(std::back_inserter(s), R"(,"reason":"{}")", reason_name(st.reason));
    append_rule(s, st, r, t);
    s += "}";
  }
  s += "]}";
  return s;
}

std::string event_json(const Record& r, const Tables& t) {
  // A stopped packet, or one a rule with `log: true` let through.
  const bool stopped = r.steps[r.step_count - 1].outcome == Outcome::stop;
  std::string s = stopped ? R"({"event":"stop",)" : R"({"event":"log",)";
  append_flow(s, r);
  const Step* decisive = &r.steps[r.step_count - 1];
  if (!stopped)
    for (uint8_t i = 0; i < r.step_count; ++i)
      if (r.steps[i].layer == Layer::firewall || r.steps[i].layer == Layer::allowlist)
        decisive = &r.steps[i];
  append_decision(s, r, t, *decisive);
  s += "}";
  return s;
}

Totals sum_counters(const std::vector<Worker*>& workers, const Tables& tables) {
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
    t.flows_created += k.flows_created.get();
    t.flows_expired += k.flows_expired.get();
    t.flows_active += w->flows.size();
    t.flow_capacity += w->flows.capacity();
    for (size_t p = 0; p < kNatProtocols; ++p) t.nat_ports_in_use[p] += w->nat.ports_in_use(static_cast<NatProtocol>(p));
  }
  return t;
}

namespace {

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
  s += fmt::format("\nflows: {} active of {} (created {}, expired {}); snat ports in use: tcp {}, udp {}, icmp {}",
                   t.flows_active, t.flow_capacity, t.flows_created, t.flows_expired, t.nat_ports_in_use[0],
                   t.nat_ports_in_use[1], t.nat_ports_in_use[2]);
  s += fmt::format("\n{:<9} {:<12} {:>8} {:>8} {:>9} {:>8} {:>8} {:>8}  {}\n", "direction", "layer",
                   "seen", "passed", "forwarded", "answered", "consumed", "stopped", "top reasons");
  for (size_t d = 0; d < kDirections; ++d) {
    for (size_t l = 0; l < kLayers; ++l) {
      if (!(kLayerDirections[l] & (1u << d))) continue;
      const uint64_t* o = t.outcomes[d][l];
      uint64_t seen = 0;
      for (size_t i = 0; i < kOutcomes; ++i) seen += o[i];
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
  return s;
}

std::string summary_json(const Totals& t) {
  std::string s = fmt::format(
      R"({{"generation":{},"rx":{{"outside":{},"inside":{}}},"tx":{{"outside":{},"inside":{}}},"tx_refused":{},"records_lost":{},"flows":{{"active":{},"capacity":{},"created":{},"expired":{}}},"snat_ports_in_use":{{"tcp":{},"udp":{},"icmp":{}}},"layers":[)",
      t.generation, t.rx[0], t.rx[1], t.tx[0], t.tx[1], t.tx_dropped[0] + t.tx_dropped[1],
      t.records_lost, t.flows_active, t.flow_capacity, t.flows_created, t.flows_expired, t.nat_ports_in_use[0],
      t.nat_ports_in_use[1], t.nat_ports_in_use[2]);
  bool first = true;
  for (size_t d = 0; d < kDirections; ++d) {
    for (size_t l = 0; l < kLayers; ++l) {
      const uint64_t* o = t.outcomes[d][l];
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
  s += "}\n";
  return s;
}

size_t drain_records(const std::vector<Worker*>& workers, FILE* trace, FILE* events,
                     const Tables& tables) {
  size_t handled = 0;
  Record r;
  for (Worker* w : workers) {
    while (w->to_control.pop(r)) {
      ++handled;
      switch (r.kind) {
        case RecordKind::trace:
          if (trace) fmt::print(trace, "{}\n", trace_json(r, tables));
          break;
        case RecordKind::event:
          if (events) fmt::print(events, "{}\n", event_json(r, tables));
          break;
        case RecordKind::neighbour_learned:
          // A full inbound ring only delays learning: the other worker solicits again.
          for (Worker* other : workers)
            if (other != w) other->from_control.push(r);
          break;
      }
    }
  }
  return handled;
}

}  // namespace gauntlet
