// YAML -> Config. Every problem is collected with its file:line:column; nothing is built
// from a config that has any.
#include "dataplane/control/config.h"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <yaml-cpp/yaml.h>

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

namespace {

// A DPDK device string gauntlet can attach: a PCI address, or a virtual device of a PMD
// gauntlet supports, "<driver><N>[,key=value...]".
bool valid_device_string(const std::string& d) {
  static const std::regex kPci("^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7](,[A-Za-z0-9_]+=[^,]*)*$");
  static const std::regex kVdev(
      "^(net_af_packet|net_af_xdp|net_pcap|net_null|net_tap|net_tun|net_ring|net_memif|net_vhost|"
      "virtio_user|eth_af_packet|eth_pcap|eth_null|eth_ring)[0-9]+(,[A-Za-z0-9_]+=[^,]*)*$");
  return std::regex_match(d, kPci) || std::regex_match(d, kVdev);
}

class Loader {
 public:
  Loader(const std::string& file, std::vector<ConfigError>& errors)
      : file_(file), errors_(errors) {}

  void error(const YAML::Node& at, const std::string& message) {
    const YAML::Mark m = at.Mark();
    errors_.push_back({file_, m.line + 1, m.column + 1, message});
  }
  SourceMark mark(const YAML::Node& at) const {
    return {file_, at.Mark().line + 1, at.Mark().column + 1};
  }

  // A mapping whose keys must all be in `allowed`: a typo must not silently do nothing.
  bool check_map(const YAML::Node& node, const char* what,
                 std::initializer_list<const char*> allowed) {
    if (!node.IsMap()) {
      error(node, fmt::format("{} must be a mapping", what));
      return false;
    }
    for (const auto& kv : node) {
      const std::string key = kv.first.Scalar();
      bool ok = false;
      for (const char* a : allowed) ok = ok || key == a;
      if (!ok) {
        std::string list;
        for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
        error(kv.first,
              fmt::format("unknown key '{}' in {} (expected one of: {})", key, what, list));
      }
    }
    return true;
  }

  std::optional<std::string> scalar(const YAML::Node& node, const char* what) {
    if (!node.IsScalar()) {
      error(node, fmt::format("{} must be a single value", what));
      return std::nullopt;
    }
    return node.Scalar();
  }

  template <typename T>
  std::optional<T> number(const YAML::Node& node, const char* what, T lo, T hi) {
    auto text = scalar(node, what);
    if (!text) return std::nullopt;
    T value{};
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || end != text->data() + text->size() || value < lo || value > hi) {
      error(node,
            fmt::format("{} must be a whole number from {} to {}, not '{}'", what, lo, hi, *text));
      return std::nullopt;
    }
    return value;
  }

  std::optional<uint8_t> port(const YAML::Node& node) {
    auto text = scalar(node, "port");
    if (!text) return std::nullopt;
    auto p = port_role_from_name(*text);
    if (!p) error(node, fmt::format("unknown port role '{}' (expected outside or inside)", *text));
    return p;
  }

  std::optional<Prefix> prefix(const YAML::Node& node, const char* what, bool host_bits_allowed) {
    auto text = scalar(node, what);
    if (!text) return std::nullopt;
    const auto slash = text->find('/');
    Prefix p;
    p.version = parse_ip(text->substr(0, slash), p.address);
    if (p.version == 0) {
      error(node, fmt::format("{} '{}' is not an IPv4 or IPv6 address", what, *text));
      return std::nullopt;
    }
    const unsigned max_len = p.version == 4 ? 32 : 128;
    p.length = static_cast<uint8_t>(max_len);
    if (slash != std::string::npos) {
      unsigned len = 0;
      const std::string len_text = text->substr(slash + 1);
      auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
      if (ec != std::errc{} || end != len_text.data() + len_text.size() || len > max_len) {
        error(node,
              fmt::format("{} '{}' has an invalid prefix length (0..{})", what, *text, max_len));
        return std::nullopt;
      }
      p.length = static_cast<uint8_t>(len);
    }
    if (!host_bits_allowed) {
      Prefix masked = p;
      masked.address = {};
      for (unsigned i = 0; i < 16; ++i) {
        const int bits = std::clamp(static_cast<int>(p.length) - static_cast<int>(i * 8), 0, 8);
        masked.address.bytes[i] = p.address.bytes[i] & static_cast<uint8_t>(0xff00 >> bits);
      }
      if (!(masked.address == p.address)) {
        error(node, fmt::format("{} '{}' has bits set after the prefix length (did you mean {}?)",
                                what, *text, format_prefix(masked)));
        return std::nullopt;
      }
    }
    return p;
  }

  void load_port(const YAML::Node& node, uint8_t index, Config& cfg) {
    if (!check_map(node, "a port",
                   {"device", "mac", "addresses", "rx_descriptors", "tx_descriptors"}))
      return;
    PortConfig& port = cfg.ports[index];
    cfg.port_present[index] = true;
    port.mark = mark(node);
    if (node["device"]) {
      if (auto d = scalar(node["device"], "device")) {
        port.device = *d;
        if (!valid_device_string(*d))
          error(node["device"],
                fmt::format("device '{}' is not a device gauntlet can attach (expected e.g. "
                            "net_af_packet0,iface=eth1 / net_tap0,iface=gl0 / "
                            "virtio_user0,path=/tmp/vhost.sock / net_pcap0,rx_pcap=in.pcap / "
                            "a PCI address like 0000:01:00.0)",
                            *d));
      }
    }
    if (node["mac"]) {
      if (auto m = scalar(node["mac"], "mac")) {
        if (!parse_mac(*m, port.mac) || port.mac.is_multicast() || port.mac.is_zero())
          error(node["mac"],
                fmt::format("mac '{}' is not a unicast MAC address like 02:00:00:00:00:01", *m));
        else
          port.mac_set = true;
      }
    }
    if (const auto& a = node["addresses"]) {
      if (!a.IsSequence()) {
        error(a, "addresses must be a list of address/prefix-length entries");
      } else {
        for (const auto& entry : a)
          if (auto p = prefix(entry, "address", true)) port.addresses.push_back(*p);
      }
    }
    if (node["rx_descriptors"])
      if (auto n = number<uint16_t>(node["rx_descriptors"], "rx_descriptors", 64, 16384))
        port.rx_descriptors = *n;
    if (node["tx_descriptors"])
      if (auto n = number<uint16_t>(node["tx_descriptors"], "tx_descriptors", 64, 16384))
        port.tx_descriptors = *n;
  }

  void load_route(const YAML::Node& node, Config& cfg) {
    if (!check_map(node, "a route", {"prefix", "port", "via"})) return;
    RouteConfig r;
    r.mark = mark(node);
    bool ok = true;
    if (!node["prefix"])
      error(node, "a route needs a prefix"), ok = false;
    else if (auto p = prefix(node["prefix"], "prefix", false))
      r.prefix = *p;
    else
      ok = false;
    if (!node["port"])
      error(node, "a route needs a port (outside or inside)"), ok = false;
    else if (auto p = port(node["port"]))
      r.port = *p;
    else
      ok = false;
    if (node["via"]) {
      IpAddress via;
      auto text = scalar(node["via"], "via");
      uint8_t v = text ? parse_ip(*text, via) : 0;
      if (!text || v == 0) {
        error(node["via"], fmt::format("via '{}' is not an IP address", text.value_or("")));
        ok = false;
      } else if (ok && v != r.prefix.version) {
        error(node["via"],
              fmt::format("via {} is IPv{} but the prefix is IPv{}", *text, v, r.prefix.version));
        ok = false;
      } else {
        r.via = via;
      }
    }
    if (ok) cfg.routes.push_back(r);
  }

  void load_neighbour(const YAML::Node& node, Config& cfg) {
    if (!check_map(node, "a neighbour", {"address", "port", "mac"})) return;
    NeighbourConfig n;
    n.mark = mark(node);
    bool ok = true;
    if (!node["address"] || !node["port"] || !node["mac"]) {
      error(node, "a neighbour needs address, port and mac");
      return;
    }
    auto text = scalar(node["address"], "address");
    n.version = text ? parse_ip(*text, n.address) : 0;
    if (n.version == 0) error(node["address"], "address is not an IP address"), ok = false;
    if (auto p = port(node["port"]))
      n.port = *p;
    else
      ok = false;
    auto m = scalar(node["mac"], "mac");
    if (!m || !parse_mac(*m, n.mac) || n.mac.is_multicast() || n.mac.is_zero())
      error(node["mac"], "mac is not a unicast MAC address like 02:00:00:00:00:01"), ok = false;
    if (ok) cfg.neighbours.push_back(n);
  }

  void load(const YAML::Node& root, Config& cfg) {
    if (!root.IsMap()) {
      errors_.push_back(
          {file_, 1, 1, "the config must be a YAML mapping (workers:, ports:, routes:, ...)"});
      return;
    }
    check_map(root, "the config",
              {"workers", "neighbour_capacity", "mbufs", "ports", "routes", "neighbours"});
    if (root["workers"])
      if (auto n = number<uint32_t>(root["workers"], "workers", 1, 64)) cfg.workers = *n;
    if (root["neighbour_capacity"])
      if (auto n = number<uint32_t>(root["neighbour_capacity"], "neighbour_capacity", 16, 1u << 20))
        cfg.neighbour_capacity = *n;
    if (root["mbufs"])
      if (auto n = number<uint32_t>(root["mbufs"], "mbufs", 1023, 1u << 22)) cfg.mbufs = *n;
    if (const auto& ports = root["ports"]) {
      if (check_map(ports, "ports", {"outside", "inside"}))
        for (const auto& kv : ports)
          if (auto role = port_role_from_name(kv.first.Scalar())) load_port(kv.second, *role, cfg);
    } else {
      error(root, "the config needs a ports: section with outside and inside");
    }
    if (const auto& routes = root["routes"]) {
      if (!routes.IsSequence())
        error(routes, "routes must be a list");
      else
        for (const auto& r : routes) load_route(r, cfg);
    }
    if (const auto& neighbours = root["neighbours"]) {
      if (!neighbours.IsSequence())
        error(neighbours, "neighbours must be a list");
      else
        for (const auto& n : neighbours) load_neighbour(n, cfg);
    }
  }

 private:
  std::string file_;
  std::vector<ConfigError>& errors_;
};

void at(std::vector<ConfigError>& errors, const SourceMark& m, std::string message) {
  errors.push_back({m.file, m.line, m.column, std::move(message)});
}

// Checks that need the whole model: both ports, addresses unique, neighbours on-link.
void validate(Config& cfg, std::vector<ConfigError>& errors) {
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
  std::ifstream in(path);
  if (!in) {
    errors.push_back({path, 0, 0, "cannot open the config file"});
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  Config cfg;
  cfg.path = path;
  Loader loader(path, errors);
  try {
    const YAML::Node root = YAML::Load(text.str());
    loader.load(root, cfg);
  } catch (const YAML::Exception& e) {
    errors.push_back({path, e.mark.line + 1, e.mark.column + 1, e.msg});
    return std::nullopt;
  }
  if (errors.size() == before) validate(cfg, errors);
  if (errors.size() != before) return std::nullopt;
  return cfg;
}

}  // namespace gauntlet
