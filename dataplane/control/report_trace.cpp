// Trace and event lines: one JSON object per record, naming its flow, decision and chain.
#include <algorithm>
#include <ctime>
#include <fmt/format.h>

#include "dataplane/control/operations.h"
#include "dataplane/control/report.h"

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
    return backend_name(b);  // the backend chosen
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
      fmt::format_to(std::back_inserter(s), R"(,"lb":{{"service":"{}","backend":"{}")", svc.name,
                     backend_name(b));
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

}  // namespace gauntlet
