// services: virtual IPs, their ports and their Maglev backends.
#include <algorithm>
#include <charconv>
#include <set>
#include <sstream>

#include "dataplane/control/config_reader.h"
#include "dataplane/control/proxy_config.h"
#include "dataplane/control/service_waf_config.h"
#include "dataplane/lb/maglev_table.h"

namespace gauntlet {

namespace {

// "500ms", "5s", "2m" or a whole number of seconds, from 1 ms to 1 hour.
std::optional<uint64_t> duration_ns(Loader& in, const YAML::Node& node, const char* what) {
  auto text = in.scalar(node, what);
  if (!text) return std::nullopt;
  uint64_t value = 0;
  const char* end = text->data() + text->size();
  auto [rest, ec] = std::from_chars(text->data(), end, value);
  const std::string unit(rest, end);
  const uint64_t scale = unit == "ms"                  ? 1000000ull
                         : unit == "s" || unit.empty() ? 1000000000ull
                         : unit == "m"                 ? 60000000000ull
                                                       : 0;
  // Compared before multiplying: a huge number must not wrap into range.
  if (ec != std::errc{} || scale == 0 || value > 3600000000000ull / scale ||
      value * scale < 1000000ull) {
    in.error(node,
             fmt::format("{} must be a duration from 1ms to 1h like 500ms, 5s or 2m, not '{}'",
                         what, *text));
    return std::nullopt;
  }
  return value * scale;
}

// A health: mapping read over `h` (the service's settings, or the defaults). Service-level
// blocks may also give the probes' source_ports.
bool load_health(Loader& in, const YAML::Node& node, HealthConfig& h, ServiceConfig* svc) {
  const bool map_ok = svc ? in.check_map(node, "health",
                                         {"type", "interval", "timeout", "rise", "fall", "path",
                                          "expect_status", "port", "source_ports"})
                          : in.check_map(node, "a backend's health",
                                         {"type", "interval", "timeout", "rise", "fall", "path",
                                          "expect_status", "port"});
  if (!map_ok) return false;
  bool ok = true;
  if (node["type"]) {
    auto t = in.scalar(node["type"], "type");
    if (t && (*t == "tcp" || *t == "http"))
      h.type = *t == "tcp" ? HealthConfig::Type::tcp : HealthConfig::Type::http;
    else
      in.error(node["type"], "health type must be tcp or http"), ok = false;
  }
  if (node["interval"]) {
    if (auto d = duration_ns(in, node["interval"], "interval"))
      h.interval_ns = *d;
    else
      ok = false;
  }
  if (node["timeout"]) {
    if (auto d = duration_ns(in, node["timeout"], "timeout"))
      h.timeout_ns = *d;
    else
      ok = false;
  }
  if (node["rise"]) {
    if (auto n = in.number<uint32_t>(node["rise"], "rise", 1, 100))
      h.rise = *n;
    else
      ok = false;
  }
  if (node["fall"]) {
    if (auto n = in.number<uint32_t>(node["fall"], "fall", 1, 100))
      h.fall = *n;
    else
      ok = false;
  }
  if (node["path"]) {
    auto path = in.scalar(node["path"], "path");
    // Sent as the request target: printable, no spaces, bounded so the probe fits one segment.
    const bool printable = path && std::all_of(path->begin(), path->end(),
                                               [](char ch) { return ch > 0x20 && ch < 0x7f; });
    if (path && printable && !path->empty() && path->front() == '/' && path->size() <= 256)
      h.path = *path;
    else
      in.error(node["path"], "path must start with '/', have no spaces and at most 256 characters"),
          ok = false;
  }
  if (node["expect_status"]) {
    if (auto n = in.number<uint16_t>(node["expect_status"], "expect_status", 100, 599))
      h.expect_status = *n;
    else
      ok = false;
  }
  if (node["port"]) {
    if (auto n = in.number<uint16_t>(node["port"], "port", 1, 65535))
      h.port = *n;
    else
      ok = false;
  }
  if (svc && node["source_ports"]) {
    auto r = in.scalar(node["source_ports"], "source_ports");
    unsigned lo = 0, hi = 0;
    char dash = 0;
    std::istringstream is(r.value_or(""));
    if (r && (is >> lo >> dash >> hi) && is.eof() && dash == '-' && lo >= 1 && lo <= hi &&
        hi <= 65535)
      svc->probe_port_lo = static_cast<uint16_t>(lo),
      svc->probe_port_hi = static_cast<uint16_t>(hi);
    else
      in.error(
          node["source_ports"],
          fmt::format("source_ports must be a range like 61000-61999, not '{}'", r.value_or(""))),
          ok = false;
  }
  if (h.timeout_ns > h.interval_ns)
    in.error(node, "health timeout must not be longer than its interval"), ok = false;
  return ok;
}

std::optional<BackendConfig> load_backend(Loader& in, const YAML::Node& node,
                                          const ServiceConfig& svc) {
  if (!in.check_map(node, "a backend", {"address", "port", "weight", "health", "drain_deadline"}))
    return std::nullopt;
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
    in.error(node["address"], fmt::format("backend {} is IPv{} but the service's vip is IPv{}",
                                          *text, b.version, svc.version));
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
  b.health = svc.health;
  if (node["health"]) {
    HealthConfig h = svc.health.value_or(HealthConfig{});
    if (!load_health(in, node["health"], h, nullptr)) return std::nullopt;
    b.health = h;
  }
  if (node["drain_deadline"]) {
    auto d = duration_ns(in, node["drain_deadline"], "drain_deadline");
    if (!d) return std::nullopt;
    if (b.weight != 0) {
      in.error(node["drain_deadline"], "drain_deadline applies to a drained backend (weight: 0)");
      return std::nullopt;
    }
    b.drain_deadline_ns = *d;
  }
  return b;
}

// forwarding: dnat | dsr-ipip. With dsr-ipip the backend gets the client's packet unchanged
// (destination VIP:port), so its port must be one the VIP serves; the outer header leaves from
// the inside port's address of the VIP's family; and the WAF, which needs to see and reset
// both directions, cannot inspect a flow whose replies go around gauntlet.
bool load_forwarding(Loader& in, const YAML::Node& node, ServiceConfig& svc, const Config& cfg) {
  const YAML::Node& f = node["forwarding"];
  auto text = in.scalar(f, "forwarding");
  if (!text) return false;
  if (*text == "dnat") return true;
  if (*text != "dsr-ipip") {
    in.error(f, fmt::format("forwarding must be dnat or dsr-ipip, not '{}'", *text));
    return false;
  }
  svc.forwarding = Forwarding::dsr_ipip;
  bool ok = true;
  for (const BackendConfig& b : svc.backends)
    if (std::find(svc.ports.begin(), svc.ports.end(), b.port) == svc.ports.end())
      in.error_at(b.mark.line, b.mark.column,
                  fmt::format("backend port {} is not a port of the service (forwarding: "
                              "dsr-ipip sends the packet unchanged, to the VIP's own port)",
                              b.port)),
          ok = false;
  bool has_source = false;
  for (const Prefix& a : cfg.ports[static_cast<uint8_t>(PortRole::inside)].addresses)
    has_source = has_source || a.version == svc.version;
  if (svc.version && !has_source)
    in.error(f, fmt::format("forwarding: dsr-ipip needs an IPv{} address on the inside port (the "
                            "tunnel's source)",
                            svc.version)),
        ok = false;
  if (svc.waf.enabled)
    in.error(node["waf"],
             "waf cannot inspect a service with forwarding: dsr-ipip (its replies do not pass "
             "through gauntlet)"),
        ok = false;
  return ok;
}

void load_service(Loader& in, const YAML::Node& node, Config& cfg) {
  if (!in.check_map(node, "a service",
                    {"name", "vip", "ports", "protocol", "table_size", "backends", "health", "waf",
                     "forwarding", "mode", "routes", "default", "l7_wait"}))
    return;
  ServiceConfig svc;
  svc.mark = in.mark(node);
  // Without vip and ports a service is a pool other services' routes (proxy) lead to.
  svc.proxy.pool_only = !node["vip"] && !node["ports"];
  const bool l7 = node["mode"] && node["mode"].IsScalar() && node["mode"].Scalar() == "l7-route";
  if (!node["name"] || (!svc.proxy.pool_only && (!node["vip"] || !node["ports"])) ||
      (!node["backends"] && !l7)) {
    in.error(node,
             "a service needs name, vip, ports and backends (a pool reached by routes: "
             "name and backends; an l7-route service: no backends)");
    return;
  }
  bool ok = true;
  if (auto n = in.scalar(node["name"], "name"))
    svc.name = *n;
  else
    ok = false;
  if (svc.proxy.pool_only) {
    if (l7) in.error(node, "an l7-route service needs a vip and ports"), ok = false;
  } else if (auto v = in.scalar(node["vip"], "vip")) {
    svc.version = parse_ip(*v, svc.vip);
    if (svc.version == 0)
      in.error(node["vip"], fmt::format("vip '{}' is not an IP address", *v)), ok = false;
  } else {
    ok = false;
  }
  if (node["protocol"]) {
    auto p = in.scalar(node["protocol"], "protocol");
    if (p && (*p == "tcp" || *p == "udp"))
      svc.proto = *p == "tcp" ? 6 : 17;
    else
      in.error(node["protocol"], "protocol must be tcp or udp"), ok = false;
  }
  const YAML::Node& ports = node["ports"];
  if (svc.proxy.pool_only) {
    // a pool: no ports of its own
  } else if (!ports.IsSequence() || ports.size() == 0) {
    in.error(ports, "ports must be a non-empty list of port numbers");
    ok = false;
  } else {
    for (const auto& p : ports)
      if (auto n = in.number<uint16_t>(p, "port", 1, 65535))
        svc.ports.push_back(*n);
      else
        ok = false;
  }
  if (node["table_size"]) {
    auto m = in.number<uint32_t>(node["table_size"], "table_size", 7, 1u << 24);
    if (m && is_prime(*m))
      svc.table_size = *m;
    else if (m)
      in.error(node["table_size"],
               fmt::format("table_size {} is not a prime (try 65537 or 655373)", *m)),
          ok = false;
    else
      ok = false;
  }
  if (node["health"]) {
    HealthConfig h;
    if (load_health(in, node["health"], h, &svc))
      svc.health = h;
    else
      ok = false;
  }
  const YAML::Node& backends = node["backends"];
  ok = load_service_proxy(in, node, svc) && ok;
  if (l7) {
    // its routes lead to other services' backends (load_service_proxy)
  } else if (!backends.IsSequence() || backends.size() == 0) {
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
      in.error(backends, fmt::format("{} backends do not fit a table of {} slots",
                                     svc.backends.size(), svc.table_size)),
          ok = false;
  }
  if (node["waf"]) ok = load_service_waf(in, node["waf"], svc.waf) && ok;
  if (node["forwarding"]) ok = load_forwarding(in, node, svc, cfg) && ok;
  if (ok) cfg.services.push_back(std::move(svc));
}

// Every checked backend has one probe in flight at most, each on its own source port: the
// range must hold them all, be the same for every service, and stay clear of SNAT's ports
// (answers to it are the dataplane's own).
void check_probe_ports(Loader& in, Config& cfg) {
  constexpr uint16_t kDefaultLo = 61000, kDefaultHi = 61999;
  const ServiceConfig* named = nullptr;
  size_t checked = 0;
  for (const ServiceConfig& svc : cfg.services) {
    for (const BackendConfig& b : svc.backends) checked += b.health.has_value();
    if (!svc.probe_port_lo) continue;
    if (named &&
        (named->probe_port_lo != svc.probe_port_lo || named->probe_port_hi != svc.probe_port_hi))
      in.error_at(svc.mark.line, svc.mark.column,
                  fmt::format("service {}: health source_ports {}-{} differ from service {}'s "
                              "{}-{} (one range for all)",
                              svc.name, svc.probe_port_lo, svc.probe_port_hi, named->name,
                              named->probe_port_lo, named->probe_port_hi));
    if (!named) named = &svc;
  }
  if (checked == 0) {
    for (ServiceConfig& svc : cfg.services) svc.probe_port_lo = svc.probe_port_hi = 0;
    return;
  }
  const uint16_t lo = named ? named->probe_port_lo : kDefaultLo,
                 hi = named ? named->probe_port_hi : kDefaultHi;
  const SourceMark& at = named ? named->mark : cfg.services.front().mark;
  if (size_t{hi} - lo + 1 < checked)
    in.error_at(at.line, at.column,
                fmt::format("health source_ports {}-{} are fewer than the {} checked backends", lo,
                            hi, checked));
  if (cfg.snat.enabled && lo <= cfg.snat.port_hi && cfg.snat.port_lo <= hi)
    in.error_at(
        at.line, at.column,
        fmt::format(
            "health source_ports {}-{} overlap snat ports {}-{} (give one of them another range)",
            lo, hi, cfg.snat.port_lo, cfg.snat.port_hi));
  for (ServiceConfig& svc : cfg.services) svc.probe_port_lo = lo, svc.probe_port_hi = hi;
}

}  // namespace

void load_services(Loader& in, const YAML::Node& node, Config& cfg, bool config_has_waf) {
  if (!node.IsSequence()) {
    in.error(node, "services must be a list");
    return;
  }
  for (const auto& s : node) load_service(in, s, cfg);
  check_probe_ports(in, cfg);
  check_service_waf(in, cfg.services, config_has_waf);
  check_proxy_routes(in, cfg);
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
                               fmt::format("vip {} port {} belongs to two services",
                                           format_ip(svc.vip, svc.version), port)});
  }
}

}  // namespace gauntlet
