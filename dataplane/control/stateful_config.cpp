// conntrack: and snat: sections.
#include "dataplane/control/config_reader.h"

namespace gauntlet {

void load_conntrack(Loader& in, const YAML::Node& node, Config& cfg) {
  if (!in.check_map(node, "conntrack", {"capacity", "invalid", "timeouts"})) return;
  ConntrackConfig& ct = cfg.conntrack;
  if (node["capacity"])
    if (auto n = in.number<uint32_t>(node["capacity"], "capacity", 16, 1u << 26)) ct.capacity = *n;
  if (node["invalid"]) {
    auto v = in.scalar(node["invalid"], "invalid");
    if (v && (*v == "drop" || *v == "pass"))
      ct.drop_invalid = *v == "drop";
    else
      in.error(node["invalid"],
               fmt::format("invalid must be drop or pass, not '{}'", v.value_or("")));
  }
  if (const auto& t = node["timeouts"]) {
    struct Field {
      const char* key;
      uint32_t ConntrackTimeouts::*field;
    };
    static constexpr Field kFields[] = {
        {"tcp_syn_sent", &ConntrackTimeouts::tcp_syn_sent_s},
        {"tcp_syn_recv", &ConntrackTimeouts::tcp_syn_recv_s},
        {"tcp_established", &ConntrackTimeouts::tcp_established_s},
        {"tcp_fin_wait", &ConntrackTimeouts::tcp_fin_wait_s},
        {"tcp_close_wait", &ConntrackTimeouts::tcp_close_wait_s},
        {"tcp_last_ack", &ConntrackTimeouts::tcp_last_ack_s},
        {"tcp_time_wait", &ConntrackTimeouts::tcp_time_wait_s},
        {"tcp_close", &ConntrackTimeouts::tcp_close_s},
        {"udp_unreplied", &ConntrackTimeouts::udp_unreplied_s},
        {"udp_assured", &ConntrackTimeouts::udp_assured_s},
        {"icmp", &ConntrackTimeouts::icmp_s},
        {"other", &ConntrackTimeouts::other_s},
    };
    if (!in.check_map(t, "conntrack.timeouts",
                      {"tcp_syn_sent", "tcp_syn_recv", "tcp_established", "tcp_fin_wait",
                       "tcp_close_wait", "tcp_last_ack", "tcp_time_wait", "tcp_close",
                       "udp_unreplied", "udp_assured", "icmp", "other"}))
      return;
    for (const Field& f : kFields)
      if (t[f.key])
        if (auto n = in.number<uint32_t>(t[f.key], f.key, 1, 366u * 86400u))
          ct.timeouts.*f.field = *n;
  }
}

void load_snat(Loader& in, const YAML::Node& node, Config& cfg) {
  if (!in.check_map(node, "snat", {"address", "from", "ports", "max_ports_per_host", "filtering"}))
    return;
  SnatConfig& s = cfg.snat;
  s.mark = in.mark(node);
  if (!node["address"] || !node["from"]) {
    in.error(node,
             "snat needs an address (the public IPv4 address) and from (the inside prefixes)");
    return;
  }
  auto text = in.scalar(node["address"], "address");
  if (text && parse_ip(*text, s.address) == 4)
    s.enabled = true;
  else
    in.error(node["address"],
             fmt::format("snat address '{}' is not an IPv4 address (NAT44)", text.value_or("")));
  if (!node["from"].IsSequence()) {
    in.error(node["from"], "from must be a list of prefixes");
  } else {
    for (const auto& f : node["from"]) {
      auto p = in.prefix(f, "from", false);
      if (p && p->version != 4)
        in.error(f, "snat from prefixes must be IPv4 (NAT44)");
      else if (p)
        s.from.push_back(*p);
    }
  }
  if (node["ports"]) {
    auto r = in.scalar(node["ports"], "ports");
    unsigned lo = 0, hi = 0;
    if (!r || std::sscanf(r->c_str(), "%u-%u", &lo, &hi) != 2 || lo < 1 || lo > hi || hi > 65535)
      in.error(node["ports"],
               fmt::format("ports must be a range like 1024-65535, not '{}'", r.value_or("")));
    else
      s.port_lo = static_cast<uint16_t>(lo), s.port_hi = static_cast<uint16_t>(hi);
  }
  if (node["max_ports_per_host"])
    if (auto n = in.number<uint32_t>(node["max_ports_per_host"], "max_ports_per_host", 0, 65535))
      s.max_ports_per_host = *n;
  if (node["filtering"]) {
    auto f = in.scalar(node["filtering"], "filtering");
    if (f && (*f == "endpoint-independent" || *f == "address-and-port-dependent"))
      s.endpoint_independent_filtering = *f == "endpoint-independent";
    else
      in.error(node["filtering"], fmt::format("filtering must be endpoint-independent or "
                                              "address-and-port-dependent, not '{}'",
                                              f.value_or("")));
  }
}

}  // namespace gauntlet
