#include "dataplane/control/explain.h"

#include <cctype>
#include <charconv>
#include <fmt/format.h>

#include "dataplane/conntrack/flow_key.h"
#include "dataplane/conntrack/tcp_state.h"
#include "dataplane/proxy/route_table.h"
#include "dataplane/waf/waf_engine.h"

namespace gauntlet {

namespace {

bool parse_number(std::string_view text, uint64_t& n) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  return ec == std::errc{} && end == text.data() + text.size() && n > 0;
}

uint8_t version_of(const Record& r) { return r.ip_version == 6 ? 6 : 4; }

std::string endpoint(const IpAddress& a, uint8_t version, uint16_t port) {
  if (version == 6) return fmt::format("[{}]:{}", format_ip(a, 6), port);
  return fmt::format("{}:{}", format_ip(a, 4), port);
}

// ICMP/ICMPv6 message names for the types a dataplane meets; others by number.
struct IcmpName {
  uint8_t proto, type;
  const char* name;
};
constexpr IcmpName kIcmpNames[] = {
    {1, 0, "echo-reply"},
    {1, 3, "destination-unreachable"},
    {1, 8, "echo-request"},
    {1, 11, "time-exceeded"},
    {58, 1, "destination-unreachable"},
    {58, 2, "packet-too-big"},
    {58, 3, "time-exceeded"},
    {58, 128, "echo-request"},
    {58, 129, "echo-reply"},
    {58, 133, "router-solicitation"},
    {58, 134, "router-advertisement"},
    {58, 135, "neighbour-solicitation"},
    {58, 136, "neighbour-advertisement"},
};

std::string icmp_type_name(uint8_t l4_proto, uint8_t type) {
  for (const IcmpName& n : kIcmpNames)
    if (n.proto == l4_proto && n.type == type) return n.name;
  return fmt::format("type {}", type);
}

std::string protocol_words(const Record& r) {
  const std::string name = record_proto_name(r);
  if (name == "icmpv6") return "ICMPv6";
  if (std::isdigit(static_cast<unsigned char>(name[0]))) return "protocol " + name;
  std::string upper = name;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return upper;
}

// The reason in words: without its layer prefix, except in parse, whose prefixes name the
// kind of fault ("malformed:", "unsupported:").
std::string_view reason_word(const Step& st) {
  const std::string_view name = reason_name(st.reason);
  if (st.layer == Layer::parse) return name;
  const size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

std::string flow_state(const Record& r) {
  if (r.flow_proto == 6) return std::string(tcp_state_name(static_cast<TcpState>(r.flow_state)));
  return r.flow_seen_reply ? "replied" : "unreplied";
}

std::string backend_words(const Record& r, const Tables& t, bool with_slot) {
  if (!r.has_lb || r.generation != t.generation || r.lb_service >= t.services.size()) return "";
  const CompiledService& svc = t.services[r.lb_service];
  if (r.lb_backend >= svc.backends.size()) return "";
  const BackendConfig& b = svc.backends[r.lb_backend];
  std::string s = fmt::format("{} (service {}", endpoint(b.address, b.version, b.port), svc.name);
  if (with_slot && r.has_lb_slot) s += fmt::format(", slot {}", r.lb_slot);
  return s + ")";
}

// What a stop sent back in place of the packet (the stage rewrote it): named for the reasons
// that do; otherwise a TCP packet's refusal is a RST (load balancer, WAF), any other "a reply".
std::string emitted_words(const Step& st, const Record& r) {
  switch (st.reason) {
    case Reason::forward_ttl_exceeded:
      return r.ip_version == 6 ? "ICMPv6 time-exceeded" : "ICMP time-exceeded";
    case Reason::forward_neighbour_unresolved:
      return fmt::format("{} for {}", r.ip_version == 6 ? "neighbour solicitation" : "ARP request",
                         format_ip(r.next_hop, version_of(r)));
    case Reason::lb_port_not_configured:
    case Reason::lb_no_backend:
      if (r.l4_proto == 6) return "TCP RST";
      return r.ip_version == 6 ? "ICMPv6 port-unreachable" : "ICMP port-unreachable";
    case Reason::lb_dsr_fragmentation_needed:
      return r.ip_version == 6 ? "ICMPv6 packet-too-big" : "ICMP fragmentation-needed";
    default:
      return r.l4_proto == 6 ? "TCP RST" : "a reply";
  }
}

// The layer-specific part of a step, after its word. A layer without details prints only
// "layer: word" (with the outcome when final).
void append_details(std::string& s, const Step& st, bool final, const Record& r, const Tables& t) {
  switch (st.layer) {
    case Layer::conntrack:
      // The flow's state after this packet, where it says more than the reason does.
      if (st.outcome == Outcome::pass && r.has_flow && flow_state(r) != reason_word(st))
        s += fmt::format(" ({})", flow_state(r));
      break;
    case Layer::loadbalancer:
      if (st.reason == Reason::lb_backend_chosen) {
        if (std::string b = backend_words(r, t, true); !b.empty()) s += " " + b;
        return;  // the step's rule is the backend, named just now
      }
      if (st.reason == Reason::lb_dsr_ipip) {
        if (std::string b = backend_words(r, t, false); !b.empty()) s += " to " + b;
        return;
      }
      break;
    case Layer::nat:
      if (r.has_nat)
        s += fmt::format(" ({} ⇄ {})", endpoint(r.nat_internal, 4, r.nat_internal_port),
                         endpoint(r.nat_external, 4, r.nat_external_port));
      else if (std::string b = backend_words(r, t, false); !b.empty())
        s += (st.reason == Reason::nat_reversed ? " from backend " : " to backend ") + b;
      break;
    case Layer::forward:
      if (st.outcome == Outcome::forward && r.out_port < kPortCount) {
        if (!(r.next_hop == IpAddress{}))
          s += fmt::format(" to {}", format_ip(r.next_hop, version_of(r)));
        s += fmt::format(" via {}", port_role_name(r.out_port));
      }
      break;
    case Layer::waf:
      // What the WAF matched: each rule id (as traces print it) and the field it matched in,
      // then the request's score. Further WAF details (SNI, violations) slot in here.
      if (r.has_waf && r.waf.has_request && r.waf.match_count) {
        const WafEngine* engine = r.generation == t.generation ? t.waf_engine() : nullptr;
        for (uint8_t m = 0; m < r.waf.match_count && m < kWafMaxMatches; ++m) {
          const std::string id = engine ? std::string(waf_rule_id(*engine, r.waf.rules[m]))
                                        : fmt::format("#{}", r.waf.rules[m]);
          s += fmt::format("{}rule {} in {}", m ? ", " : " (", id, waf_field_name(r.waf.fields[m]));
        }
        s += fmt::format(", score {})", r.waf.score);
      }
      break;
    case Layer::proxy:
      // The l7-route flow: its VIP, and once bound the route, service, backend, seq offset.
      if (r.has_proxy && r.generation == t.generation)
        if (std::string p = proxy_words(r.proxy, t, st.reason != Reason::proxy_connecting);
            !p.empty())
          s += " (" + p + ")";
      break;
    default:
      break;
  }
  if (st.rule != kNoRule) s += fmt::format(" (rule {})", step_rule_name(st, r, t));
  if (final && r.out_port < kPortCount) {
    if (st.outcome == Outcome::answer)
      s += fmt::format(" via {}", port_role_name(r.out_port));
    else if (st.outcome == Outcome::stop)
      s += fmt::format(" ({} sent via {})", emitted_words(st, r), port_role_name(r.out_port));
  }
}

}  // namespace

std::optional<PacketSelection> PacketSelection::parse(std::string_view text, std::string& error) {
  PacketSelection sel;
  if (text == "all") {
    sel.all_ = true;
    return sel;
  }
  const std::string_view whole = text;
  while (true) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    const size_t dash = item.find('-');
    uint64_t lo = 0, hi = 0;
    const bool ok = dash == std::string_view::npos
                        ? parse_number(item, lo) && (hi = lo, true)
                        : parse_number(item.substr(0, dash), lo) &&
                              parse_number(item.substr(dash + 1), hi) && lo <= hi;
    if (!ok) {
      error = fmt::format(
          "'{}' in '{}' is not a packet number or range (packets count from 1: 4,7-9 or all)", item,
          whole);
      return std::nullopt;
    }
    sel.ranges_.push_back({lo, hi});
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
  }
  return sel;
}

bool PacketSelection::contains(uint64_t seq) const noexcept {
  if (all_) return true;
  for (const auto& [lo, hi] : ranges_)
    if (seq >= lo && seq <= hi) return true;
  return false;
}

std::string explain_packet(const Record& r) {
  std::string s = fmt::format("#{} ", r.sequence);
  if (r.src == IpAddress{} && r.dst == IpAddress{})
    return s + fmt::format("{}-byte frame on {}", r.frame_length, port_role_name(r.in_port));
  const uint8_t v = version_of(r);
  const bool ports = (r.l4_proto == 6 || r.l4_proto == 17) && (r.src_port | r.dst_port) != 0;
  if (ports)
    s += fmt::format("{} → {}", endpoint(r.src, v, r.src_port), endpoint(r.dst, v, r.dst_port));
  else
    s += fmt::format("{} → {}", format_ip(r.src, v), format_ip(r.dst, v));
  s += " " + protocol_words(r);
  // The ICMP type is known once parse has passed the packet.
  const bool parsed = r.step_count > 1 || r.steps[0].outcome == Outcome::pass;
  if (r.ip_version != 0 && (r.l4_proto == 1 || r.l4_proto == 58) && parsed)
    s += " " + icmp_type_name(r.l4_proto, r.icmp_type);
  return s;
}

std::string explain_step(const Step& st, bool final, const Record& r, const Tables& t) {
  std::string s = fmt::format("{}:", layer_name(st.layer));
  if (final && st.outcome != Outcome::pass) {
    s += ' ';
    for (char ch : outcome_name(st.outcome))
      s += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  if (st.reason != Reason::none)
    s += fmt::format(" {}", reason_word(st));
  else if (!final || st.outcome == Outcome::pass)
    s += fmt::format(" {}", outcome_name(st.outcome));
  append_details(s, st, final, r, t);
  return s;
}

std::string explain_line(const Record& r, const Tables& t) {
  std::string s = explain_packet(r) + " ";
  bool first = true;
  for (uint8_t i = 0; i < r.step_count; ++i) {
    const Step& st = r.steps[i];
    const bool final = i + 1 == r.step_count;
    if (!final && st.outcome == Outcome::pass && st.reason == Reason::none) continue;
    s += first ? " " : " → ";
    s += explain_step(st, final, r, t);
    first = false;
  }
  return s;
}

TraceObserver Explainer::observer() {
  return [this](const Record& r, const Tables& t) {
    if (!selection_.contains(r.sequence)) return;
    fmt::print(out_, "{}\n", explain_line(r, t));
    ++printed_;
  };
}

}  // namespace gauntlet
