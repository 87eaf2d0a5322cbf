// YAML -> Config. Every problem is collected with its file:line:column; nothing is built
// from a config that has any.
#include "dataplane/control/config.h"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>
#include <regex>
#include <set>
#include <yaml-cpp/yaml.h>

#include "dataplane/control/config_file.h"
#include "dataplane/control/config_reader.h"
#include "dataplane/control/proxy_config.h"
#include "dataplane/control/waf_config.h"

namespace gauntlet {

const char* port_role_name(uint8_t port) noexcept {
  switch (port) {
    case 0:
      return "outside";
    case 1:
      return "inside";
    default:
      return "none";
  }
}

std::optional<uint8_t> port_role_from_name(const std::string& name) noexcept {
  if (name == "outside") return 0;
  if (name == "inside") return 1;
  return std::nullopt;
}

bool Prefix::contains(const IpAddress& a, uint8_t v) const noexcept {
  if (v != version) return false;
  uint8_t full = length / 8, rest = length % 8;
  for (uint8_t i = 0; i < full; ++i)
    if (a.bytes[i] != address.bytes[i]) return false;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (address.bytes[full] & mask);
}

std::string format_prefix(const Prefix& p) {
  return fmt::format("{}/{}", format_ip(p.address, p.version), p.length);
}

std::string ConfigError::to_string() const {
  if (line == 0) return fmt::format("{}: error: {}", file, message);
  return fmt::format("{}:{}:{}: error: {}", file, line, column, message);
}

// A DPDK device string gauntlet can attach: a PCI address, or a virtual device of a PMD
// gauntlet supports, "<driver><N>[,key=value...]".
bool valid_device_string(const std::string& d) {
  static const std::regex kPci(
      "^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7](,[A-Za-z0-9_-]+=[^,]*)*$");
  static const std::regex kVdev(
      "^(net_af_packet|net_af_xdp|net_pcap|net_null|net_tap|net_tun|net_ring|net_memif|net_vhost|"
      "virtio_user|eth_af_packet|eth_pcap|eth_null|eth_ring)[0-9]+(,[A-Za-z0-9_-]+=[^,]*)*$");
  return std::regex_match(d, kPci) || std::regex_match(d, kVdev);
}

namespace {

void load_port(Loader& in, const YAML::Node& node, uint8_t index, Config& cfg) {
  if (!in.check_map(node, "a port",
                    {"device", "mac", "addresses", "rx_descriptors", "tx_descriptors", "mtu"}))
    return;
  PortConfig& port = cfg.ports[index];
  if (index == static_cast<uint8_t>(PortRole::outside)) port.mtu = 1500;
  if (node["mtu"])
    if (auto n = in.number<uint16_t>(node["mtu"], "mtu", 1280, 9216)) port.mtu = *n;
  cfg.port_present[index] = true;
  port.mark = in.mark(node);
  if (node["device"]) {
    if (auto d = in.scalar(node["device"], "device")) {
      port.device = *d;
      if (!valid_device_string(*d))
        in.error(node["device"],
                 fmt::format("device '{}' is not a device gauntlet can attach (expected e.g. "
                             "net_af_packet0,iface=eth1 / net_tap0,iface=gl0 / "
                             "virtio_user0,path=/tmp/vhost.sock / net_pcap0,rx_pcap=in.pcap / "
                             "a PCI address like 0000:01:00.0)",
                             *d));
    }
  }
  if (node["mac"]) {
    if (auto m = in.scalar(node["mac"], "mac")) {
      if (!parse_mac(*m, port.mac) || port.mac.is_multicast() || port.mac.is_zero())
        in.error(node["mac"],
                 fmt::format("mac '{}' is not a unicast MAC address like 02:00:00:00:00:01", *m));
      else
        port.mac_set = true;
    }
  }
  if (const auto& a = node["addresses"]) {
    if (!a.IsSequence()) {
      in.error(a, "addresses must be a list of address/prefix-length entries");
    } else {
      for (const auto& entry : a)
        if (auto p = in.prefix(entry, "address", true)) port.addresses.push_back(*p);
    }
  }
  if (node["rx_descriptors"])
    if (auto n = in.number<uint16_t>(node["rx_descriptors"], "rx_descriptors", 64, 16384))
      port.rx_descriptors = *n;
  if (node["tx_descriptors"])
    if (auto n = in.number<uint16_t>(node["tx_descriptors"], "tx_descriptors", 64, 16384))
      port.tx_descriptors = *n;
}

void load_poll(Loader& in, const YAML::Node& ports, PollConfig& poll) {
  if (ports["poll"]) {
    if (auto m = in.scalar(ports["poll"], "poll")) {
      if (*m == "busy")
        poll.mode = PollMode::busy;
      else if (*m == "adaptive")
        poll.mode = PollMode::adaptive;
      else
        in.error(ports["poll"], fmt::format("poll '{}' is not busy or adaptive", *m));
    }
  }
  if (ports["idle_sleep_us"])
    if (auto n = in.number<uint32_t>(ports["idle_sleep_us"], "idle_sleep_us", 1, 10000))
      poll.idle_sleep_us = *n;
}

void load_route(Loader& in, const YAML::Node& node, Config& cfg) {
  if (!in.check_map(node, "a route", {"prefix", "port", "via"})) return;
  RouteConfig r;
  r.mark = in.mark(node);
  bool ok = true;
  if (!node["prefix"])
    in.error(node, "a route needs a prefix"), ok = false;
  else if (auto p = in.prefix(node["prefix"], "prefix", false))
    r.prefix = *p;
  else
    ok = false;
  if (!node["port"])
    in.error(node, "a route needs a port (outside or inside)"), ok = false;
  else if (auto p = in.port(node["port"]))
    r.port = *p;
  else
    ok = false;
  if (node["via"]) {
    IpAddress via;
    auto text = in.scalar(node["via"], "via");
    uint8_t v = text ? parse_ip(*text, via) : 0;
    if (!text) {
      ok = false;  // already reported: not a single value
    } else if (v == 0) {
      in.error(node["via"], fmt::format("via '{}' is not an IP address", *text));
      ok = false;
    } else if (r.prefix.version != 0 && v != r.prefix.version) {
      in.error(node["via"],
               fmt::format("via {} is IPv{} but the prefix is IPv{}", *text, v, r.prefix.version));
      ok = false;
    } else {
      r.via = via;
    }
  }
  if (ok) cfg.routes.push_back(r);
}

void load_neighbour(Loader& in, const YAML::Node& node, Config& cfg) {
  if (!in.check_map(node, "a neighbour", {"address", "port", "mac"})) return;
  NeighbourConfig n;
  n.mark = in.mark(node);
  bool ok = true;
  if (!node["address"] || !node["port"] || !node["mac"]) {
    in.error(node, "a neighbour needs address, port and mac");
    return;
  }
  auto text = in.scalar(node["address"], "address");
  n.version = text ? parse_ip(*text, n.address) : 0;
  if (text && n.version == 0) in.error(node["address"], "address is not an IP address");
  ok = ok && n.version != 0;
  if (auto p = in.port(node["port"]))
    n.port = *p;
  else
    ok = false;
  auto m = in.scalar(node["mac"], "mac");
  if (!m)
    ok = false;
  else if (!parse_mac(*m, n.mac) || n.mac.is_multicast() || n.mac.is_zero())
    in.error(node["mac"], "mac is not a unicast MAC address like 02:00:00:00:00:01"), ok = false;
  if (ok) cfg.neighbours.push_back(n);
}

void load_root(Loader& in, const YAML::Node& root, Config& cfg) {
  if (!root.IsMap()) {
    in.error_at(1, 1, "the config must be a YAML mapping (workers:, ports:, routes:, ...)");
    return;
  }
  in.check_map(root, "the config",
               {"workers", "neighbour_capacity", "mbufs", "ports", "routes", "neighbours",
                "max_rules", "firewall", "allowlist", "conntrack", "snat", "services", "waf",
                "metrics", "events", "proxy"});
  if (root["workers"])
    if (auto n = in.number<uint32_t>(root["workers"], "workers", 1, 64)) cfg.workers = *n;
  if (root["neighbour_capacity"])
    if (auto n =
            in.number<uint32_t>(root["neighbour_capacity"], "neighbour_capacity", 16, 1u << 20))
      cfg.neighbour_capacity = *n;
  if (root["mbufs"])
    if (auto n = in.number<uint32_t>(root["mbufs"], "mbufs", 255, 1u << 22)) cfg.mbufs = *n;
  if (const auto& ports = root["ports"]) {
    if (in.check_map(ports, "ports", {"outside", "inside", "poll", "idle_sleep_us"})) {
      for (const auto& kv : ports)
        if (auto role = port_role_from_name(kv.first.Scalar()))
          load_port(in, kv.second, *role, cfg);
      load_poll(in, ports, cfg.poll);
    }
  } else {
    in.error(root, "the config needs a ports: section with outside and inside");
  }
  if (const auto& routes = root["routes"]) {
    if (!routes.IsSequence())
      in.error(routes, "routes must be a list");
    else
      for (const auto& r : routes) load_route(in, r, cfg);
  }
  if (const auto& neighbours = root["neighbours"]) {
    if (!neighbours.IsSequence())
      in.error(neighbours, "neighbours must be a list");
    else
      for (const auto& n : neighbours) load_neighbour(in, n, cfg);
  }
  // max_rules first: the lists are checked against it as they load.
  if (root["max_rules"])
    if (auto n = in.number<uint32_t>(root["max_rules"], "max_rules", 1, 1u << 20))
      cfg.max_rules = *n;
  if (root["firewall"]) load_acl_list(in, root["firewall"], "firewall", cfg.firewall, cfg);
  if (root["allowlist"]) load_acl_list(in, root["allowlist"], "allowlist", cfg.allowlist, cfg);
  if (root["conntrack"]) load_conntrack(in, root["conntrack"], cfg);
  if (root["snat"]) load_snat(in, root["snat"], cfg);
  if (root["services"]) load_services(in, root["services"], cfg, static_cast<bool>(root["waf"]));
  load_operations(in, root, cfg);
  if (root["waf"]) load_waf(in, root["waf"], cfg);
  if (root["proxy"]) load_proxy(in, root["proxy"], cfg);
}

void at(std::vector<ConfigError>& errors, const SourceMark& m, std::string message) {
  errors.push_back({m.file, m.line, m.column, std::move(message)});
}

// Checks that need the whole model: both ports, addresses unique, neighbours on-link.
void validate(Config& cfg, std::vector<ConfigError>& errors) {
  // Each worker owns a slice of the SNAT ports (nat/port_allocator.h).
  if (const uint32_t ports = uint32_t{cfg.snat.port_hi} - cfg.snat.port_lo + 1;
      cfg.snat.enabled && cfg.snat.port_lo <= cfg.snat.port_hi && ports < cfg.workers)
    at(errors, cfg.snat.mark,
       fmt::format("snat ports {}-{} are {} ports, fewer than workers ({}): each worker needs a "
                   "slice of its own",
                   cfg.snat.port_lo, cfg.snat.port_hi, ports, cfg.workers));
  if (cfg.neighbours.size() > cfg.neighbour_capacity)
    at(errors, cfg.neighbours[cfg.neighbour_capacity].mark,
       fmt::format("more static neighbours ({}) than neighbour_capacity ({})",
                   cfg.neighbours.size(), cfg.neighbour_capacity));
  for (uint8_t p = 0; p < kPortCount; ++p)
    if (!cfg.port_present[p])
      errors.push_back(
          {cfg.path, 0, 0, fmt::format("ports: needs an '{}' port", port_role_name(p))});
  std::set<std::pair<uint8_t, std::array<uint8_t, 16>>> own;
  for (uint8_t p = 0; p < kPortCount; ++p) {
    for (const Prefix& a : cfg.ports[p].addresses) {
      if (!own.insert({a.version, a.address.bytes}).second)
        at(errors, cfg.ports[p].mark,
           fmt::format("address {} is given twice", format_ip(a.address, a.version)));
    }
  }
  for (const auto& n : cfg.neighbours) {
    bool on_link = false;
    for (const Prefix& a : cfg.ports[n.port].addresses)
      on_link = on_link || a.contains(n.address, n.version);
    if (!on_link)
      at(errors, n.mark,
         fmt::format("neighbour {} is not inside any prefix of port {}",
                     format_ip(n.address, n.version), port_role_name(n.port)));
  }
  for (const auto& r : cfg.routes) {
    if (!r.via) continue;
    bool on_link = false;
    for (const Prefix& a : cfg.ports[r.port].addresses)
      on_link = on_link || a.contains(*r.via, r.prefix.version);
    if (!on_link)
      at(errors, r.mark,
         fmt::format("gateway {} of route {} is not inside any prefix of port {}",
                     format_ip(*r.via, r.prefix.version), format_prefix(r.prefix),
                     port_role_name(r.port)));
  }
}

}  // namespace

std::optional<Config> load_config(const std::string& path, std::vector<ConfigError>& errors) {
  const size_t before = errors.size();
  std::string why;
  const std::optional<std::string> text = read_config_file(path, why);
  if (!text) {
    errors.push_back({path, 0, 0, "cannot open the config file: " + why});
    return std::nullopt;
  }
  Config cfg;
  cfg.path = path;
  Loader loader(path, errors);
  try {
    const YAML::Node root = YAML::Load(*text);
    load_root(loader, root, cfg);
  } catch (const YAML::Exception& e) {
    errors.push_back({path, e.mark.line + 1, e.mark.column + 1, e.msg});
    return std::nullopt;
  }
  if (errors.size() == before) validate(cfg, errors);
  if (errors.size() == before) check_acl_lists(cfg, errors);
  if (errors.size() != before) return std::nullopt;
  return cfg;
}

}  // namespace gauntlet
