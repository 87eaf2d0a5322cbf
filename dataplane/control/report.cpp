#include "dataplane/control/report.h"

#include <algorithm>
#include <ctime>
#include <fmt/format.h>

#include <rte_mempool.h>

#include "dataplane/control/web_view.h"

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
  if (st.layer == Layer::loadbalancer && r.generation == t.generation &&
      r.lb_service < t.services.size() && st.rule < t.services[r.lb_service].backends.size()) {
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

// Bytes from the wire as a JSON string body: printable ASCII as is, the rest \u00XX.
void append_escaped(std::string& s, const char* text, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const auto ch = static_cast<uint8_t>(text[i]);
    if (ch == '"' || ch == '\\')
      s += '\\', s += static_cast<char>(ch);
    else if (ch >= 0x20 && ch < 0x7f)
      s += static_cast<char>(ch);
    else
      fmt::format_to(std::back_inserter(s), "\\u{:04x}", ch);
  }
}

// What the WAF found in the packet's stream (only on packets it looked at and found
// something to say about).
void append_waf(std::string& s, const Record& r, const Tables& t) {
  const WafNote& n = r.waf;
  const WafEngine* engine = r.generation == t.generation ? t.waf_engine() : nullptr;
  s += R"(,"waf":{)";
  const size_t start = s.size();
  if (n.has_request) {
    fmt::format_to(std::back_inserter(s), R"("request":{},"score":{})", n.request, n.score);
    if (n.match_count) {
      s += R"(,"matches":[)";
      for (uint8_t i = 0; i < n.match_count && i < kWafMaxMatches; ++i) {
        const std::string id =
            engine ? std::string(waf_rule_id(*engine, n.rules[i])) : fmt::format("#{}", n.rules[i]);
        s += i ? R"(,{"rule":")" : R"({"rule":")";
        append_escaped(s, id.data(), id.size());
        fmt::format_to(std::back_inserter(s), R"(","field":"{}"}})", waf_field_name(n.fields[i]));
      }
      s += "]";
    }
    if (n.excerpt_length) {
      s += R"(,"excerpt":")";
      append_escaped(s, n.excerpt, std::min<size_t>(n.excerpt_length, kWafExcerptBytes));
      s += '"';
    }
  }
  if (n.has_hello) {
    s += s.size() == start ? R"("sni":")" : R"(,"sni":")";
    append_escaped(s, n.sni, n.sni_length);
    s += '"';
    if (n.alpn_length) {
      s += R"(,"alpn":")";
      append_escaped(s, n.alpn, n.alpn_length);
      s += '"';
    }
  }
  if (n.violation_kind != WafViolationKind::none) {
    const std::string_view v = n.violation_kind == WafViolationKind::http
                                   ? http_violation_name(static_cast<HttpViolation>(n.violation))
                                   : tls_malformed_name(static_cast<TlsMalformed>(n.violation));
    fmt::format_to(std::back_inserter(s), R"({}"violation":"{}")", s.size() == start ? "" : ",", v);
  }
  if (n.reset_backend)
    s += s.size() == start ? R"("backend_reset":true)" : R"(,"backend_reset":true)";
  s += "}";
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
      const std::string address =
          b.version == 6 ? fmt::format("[{}]", format_ip(b.address, 6)) : format_ip(b.address, 4);
      fmt::format_to(std::back_inserter(s), R"(,"lb":{{"service":"{}","backend":"{}:{}")", svc.name,
                     address, b.port);
      if (r.has_lb_slot) fmt::format_to(std::back_inserter(s), R"(,"slot":{})", r.lb_slot);
      s += "}";
    }
  }
  if (r.has_proxy && r.generation == t.generation) s += proxy_trace_json(r.proxy, t);
  if (r.has_nat)
    fmt::format_to(std::back_inserter(s), R"(,"nat":{{"internal":"{}:{}","external":"{}:{}"}})",
                   format_ip(r.nat_internal, 4), r.nat_internal_port, format_ip(r.nat_external, 4),
                   r.nat_external_port);
  if (r.has_pool)  // an exhausted pool: the host is the packet's source
    fmt::format_to(std::back_inserter(s), R"(,"pool":{{"in_use":{},"size":{}}})", r.pool_in_use,
                   r.pool_size);
  if (r.has_waf && (r.waf.has_request || r.waf.has_hello ||
                    r.waf.violation_kind != WafViolationKind::none || r.waf.reset_backend))
    append_waf(s, r, t);
}

}  // namespace

std::string record_proto_name(const Record& r) { return proto_name(r); }
std::string step_rule_name(const Step& st, const Record& r, const Tables& t) {
  return rule_name(st, r, t);
}

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
      if (r.steps[i].layer == Layer::firewall || r.steps[i].layer == Layer::allowlist ||
          r.steps[i].reason == Reason::waf_logged)
        decisive = &r.steps[i];
  append_decision(s, r, t, *decisive);
  s += "}";
  return s;
}

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
    r.neighbours += w->neighbours.size();
    r.mbuf_alloc_failed += w->counters.mbuf_alloc_failed.get();
  }
  if (pool) {
    r.mbufs = pool->size;
    r.mbufs_in_use = rte_mempool_in_use_count(pool);
  }
  return r;
}

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
        "\nresources: fragment records {} live of {}; neighbours {}; mbufs {} in use of {}; {} {}; "
        "rx_nombuf outside {} / inside {}",
        r->fragments_live, r->fragment_slots, r->neighbours, r->mbufs_in_use, r->mbufs,
        kMbufExhausted, r->mbuf_alloc_failed, r->rx_nombuf[0], r->rx_nombuf[1]);
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
        R"(,"resources":{{"fragments_live":{},"fragment_slots":{},"neighbours":{},"mbufs":{},"mbufs_in_use":{},"alloc_failures":{{"{}":{}}},"rx_nombuf":{{"outside":{},"inside":{}}}}})",
        r->fragments_live, r->fragment_slots, r->neighbours, r->mbufs, r->mbufs_in_use,
        kMbufExhausted, r->mbuf_alloc_failed, r->rx_nombuf[0], r->rx_nombuf[1]);
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

std::string health_event_json(const HealthTransition& t, uint64_t generation,
                              uint64_t maglev_hash) {
  const bool deadline = t.kind == HealthTransition::Kind::drain_deadline;
  std::string s =
      fmt::format(R"({{"event":"{}","time":"{}","generation":{},"service":"{}","backend":"{}")",
                  deadline ? "drain-deadline" : "health", format_time(t.time_ns), generation,
                  t.service_name, t.backend_name);
  if (!deadline)
    fmt::format_to(std::back_inserter(s), R"(,"from":"{}","to":"{}")", backend_health_name(t.from),
                   backend_health_name(t.to));
  // The reason is text the monitor wrote: no quotes or backslashes in it.
  fmt::format_to(std::back_inserter(s), R"(,"reason":"{}","backends_up":{},"maglev_hash":"{}"}})",
                 t.reason, t.backends_up, hash_hex(maglev_hash));
  return s;
}

size_t drain_records(const std::vector<Worker*>& workers, FILE* trace, FILE* events,
                     const Tables& tables, const TraceObserver& observe, HealthMonitor* health,
                     size_t budget, RecentStops* stops) {
  size_t handled = 0;
  Record r;
  for (Worker* w : workers) {
    for (size_t taken = 0; taken < budget && w->to_control.pop(r); ++taken) {
      ++handled;
      switch (r.kind) {
        case RecordKind::trace:
          if (trace) fmt::print(trace, "{}\n", trace_json(r, tables));
          if (observe) observe(r, tables);
          break;
        case RecordKind::event:
          if (events) fmt::print(events, "{}\n", event_json(r, tables));
          if (stops && r.step_count && r.steps[r.step_count - 1].outcome == Outcome::stop)
            stops->add(trace_json(r, tables));
          break;
        case RecordKind::neighbour_learned:
          // A full inbound ring only delays learning: the other worker solicits again.
          for (Worker* other : workers)
            if (other != w) other->from_control.push(r);
          break;
        case RecordKind::probe_answer:
          if (health) health->on_answer(r);
          break;
        case RecordKind::probe_send:  // travels to workers only
          break;
      }
    }
  }
  return handled;
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
