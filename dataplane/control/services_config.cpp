// services: virtual IPs, their ports and their Maglev backends.
#include <set>

#include "dataplane/control/config_reader.h"
#include "dataplane/lb/maglev_table.h"

namespace gauntlet {

namespace {

std::optional<BackendConfig> load_backend(Loader& in, const YAML::Node& node, const ServiceConfig& svc) {
  if (!in.check_map(node, "a backend", {"address", "port", "weight"})) return std::nullopt;
  BackendConfig b;
  b.mark = in.mark(node);
  if (!node["address"] || !node["port"]) {
    in.error(node, "a backend needs an address and a port");
    return std::nullopt;
  }
  auto text = in.scalar(node["address"], "address");
  if (!text) return std::nullopt;
  b.version = parse_ip(*text, b.address);
  if (b.version == 0) {
    in.error(node["address"], fmt::format("backend address '{}' is not an IP address", *text));
    return std::nullopt;
  }
  if (svc.version && b.version != svc.version) {
    in.error(node["address"], fmt::format("backend {} is IPv{} but the service's vip is IPv{}", *text, b.version,
                                          svc.version));
    return std::nullopt;
  }
  auto port = in.number<uint16_t>(node["port"], "port", 1, 65535);
  if (!port) return std::nullopt;
  b.port = *port;
  if (node["weight"]) {
    auto w = in.number<uint32_t>(node["weight"], "weight", 0, 1000000);
    if (!w) return std::nullopt;
    b.weight = *w;
  }
  return b;
}

void load_service(Loader& in, const YAML::Node& node, Config& cfg) {
  if (!in.check_map(node, "a service", {"name", "vip", "ports", "protocol", "table_size", "backends"})) return;
  ServiceConfig svc;
  svc.mark = in.mark(node);
  if (!node["name"] || !node["vip"] || !node["ports"] || !node["backends"]) {
    in.error(node, "a service needs name, vip, ports and backends");
    return;
  }
  bool ok = true;
  if (auto n = in.scalar(node["name"], "name")) svc.name = *n;
  else ok = false;
  if (auto v = in.scalar(node["vip"], "vip")) {
    svc.version = parse_ip(*v, svc.vip);
    if (svc.version == 0) in.error(node["vip"], fmt::format("vip '{}' is not an IP address", *v)), ok = false;
  } else {
    ok = false;
  }
  if (node["protocol"]) {
    auto p = in.scalar(node["protocol"], "protocol");
    if (p && (*p == "tcp" || *p == "udp")) svc.proto = *p == "tcp" ? 6 : 17;
    else in.error(node["protocol"], "protocol must be tcp or udp"), ok = false;
  }
  const YAML::Node& ports = node["ports"];
  if (!ports.IsSequence() || ports.size() == 0) {
    in.error(ports, "ports must be a non-empty list of port numbers");
    ok = false;
  } else {
    for (const auto& p : ports)
      if (auto n = in.number<uint16_t>(p, "port", 1, 65535)) svc.ports.push_back(*n);
      else ok = false;
  }
  if (node["table_size"]) {
    auto m = in.number<uint32_t>(node["table_size"], "table_size", 7, 1u << 24);
    if (m && is_prime(*m)) svc.table_size = *m;
    else if (m) in.error(node["table_size"], fmt::format("table_size {} is not a prime (try 65537 or 655373)", *m)), ok = false;
    else ok = false;
  }
  const YAML::Node& backends = node["backends"];
  if (!backends.IsSequence() || backends.size() == 0) {
    in.error(backends, "backends must be a non-empty list");
    ok = false;
  } else {
    std::set<std::pair<std::array<uint8_t, 16>, uint16_t>> seen;
    for (const auto& b : backends) {
      auto backend = load_backend(in, b, svc);
      if (!backend) {
        ok = false;
        continue;
      }
      if (!seen.insert({backend->address.bytes, backend->port}).second)
        in.error(b, "this backend is listed twice"), ok = false;
      svc.backends.push_back(*backend);
    }
    if (ok && svc.backends.size() > svc.table_size)
      in.error(backends, fmt::format("{} backends do not fit a table of {} slots", svc.backends.size(), svc.table_size)),
          ok = false;
  }
  if (ok) cfg.services.push_back(std::move(svc));
}

}  // namespace

void load_services(Loader& in, const YAML::Node& node, Config& cfg) {
  if (!node.IsSequence()) {
    in.error(node, "services must be a list");
    return;
  }
  for (const auto& s : node) load_service(in, s, cfg);
  // A VIP:port:protocol belongs to one service.
  std::set<std::tuple<std::array<uint8_t, 16>, uint16_t, uint8_t>> taken;
  std::set<std::string> names;
  for (const ServiceConfig& svc : cfg.services) {
    if (!names.insert(svc.name).second)
      in.errors().push_back({svc.mark.file, svc.mark.line, svc.mark.column,
                             fmt::format("service name '{}' is used twice", svc.name)});
    for (uint16_t port : svc.ports)
      if (!taken.insert({svc.vip.bytes, port, svc.proto}).second)
        in.errors().push_back({svc.mark.file, svc.mark.line, svc.mark.column,
                               fmt::format("vip {} port {} belongs to two services", format_ip(svc.vip, svc.version),
                                           port)});
  }
}

}  // namespace gauntlet
