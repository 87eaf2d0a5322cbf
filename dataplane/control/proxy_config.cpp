// A service's l7-route keys and the proxy: section.
#include "dataplane/control/proxy_config.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "dataplane/control/config_reader.h"

namespace gauntlet {

namespace {

// A DNS name: labels of letters, digits, '-' and '_', 1..63 each, 253 in all; "*." may lead
// (one or more labels below the rest). Lower-cased into `out`.
bool route_name(const std::string& text, std::string& out) {
  std::string name = text;
  for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  std::string_view rest = name;
  if (rest.starts_with("*.")) rest.remove_prefix(2);
  if (rest.empty() || rest.size() > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i <= rest.size(); ++i) {
    if (i == rest.size() || rest[i] == '.') {
      if (label == 0 || label > 63) return false;
      label = 0;
      continue;
    }
    const char ch = rest[i];
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_')) return false;
    ++label;
  }
  out = name;
  return true;
}

std::optional<ProxyRouteConfig> load_route(Loader& in, const YAML::Node& node) {
  if (!in.check_map(node, "a route", {"sni", "host", "path", "service"})) return std::nullopt;
  ProxyRouteConfig r;
  r.mark = in.mark(node);
  if (!node["service"]) {
    in.error(node, "a route needs a service");
    return std::nullopt;
  }
  if (node["sni"] && (node["host"] || node["path"])) {
    in.error(node, "a route matches sni (TLS) or host/path (HTTP), not both");
    return std::nullopt;
  }
  if (!node["sni"] && !node["host"] && !node["path"]) {
    in.error(node, "a route needs sni, host or path");
    return std::nullopt;
  }
  bool ok = true;
  for (const char* key : {"sni", "host"}) {
    if (!node[key]) continue;
    auto text = in.scalar(node[key], key);
    std::string name;
    if (!text || !route_name(*text, name)) {
      in.error(node[key], fmt::format("{} '{}' is not a host name or '*.' and a host name", key,
                                      text.value_or("")));
      ok = false;
      continue;
    }
    (std::string_view(key) == "sni" ? r.sni : r.host) = name;
  }
  if (node["path"]) {
    auto path = in.scalar(node["path"], "path");
    const bool printable = path && std::all_of(path->begin(), path->end(),
                                               [](char ch) { return ch > 0x20 && ch < 0x7f; });
    if (path && printable && !path->empty() && path->front() == '/' && path->size() <= 256)
      r.path = *path;
    else
      in.error(node["path"], "path must start with '/', have no spaces and at most 256 characters"),
          ok = false;
  }
  if (auto s = in.scalar(node["service"], "service"))
    r.service = *s;
  else
    ok = false;
  if (!ok) return std::nullopt;
  return r;
}

}  // namespace

bool load_service_proxy(Loader& in, const YAML::Node& node, ServiceConfig& svc) {
  ServiceProxyConfig& p = svc.proxy;
  bool ok = true;
  if (node["mode"]) {
    auto m = in.scalar(node["mode"], "mode");
    if (m && (*m == "l4" || *m == "l7-route"))
      p.mode = *m == "l4" ? ServiceProxyConfig::Mode::l4 : ServiceProxyConfig::Mode::l7_route;
    else
      in.error(node["mode"], "mode must be l4 or l7-route"), ok = false;
  }
  const bool l7 = p.mode == ServiceProxyConfig::Mode::l7_route;
  for (const char* key : {"routes", "default", "l7_wait"})
    if (node[key] && !l7) {
      in.error(node[key], fmt::format("{} applies to a service with mode: l7-route", key));
      ok = false;
    }
  if (!l7 || !ok || svc.proxy.pool_only) return ok;  // a pool: refused by load_service
  if (node["backends"])
    in.error(node["backends"],
             "an l7-route service has no backends of its own: its routes name services"),
        ok = false;
  if (svc.proto != 6) in.error(node, "an l7-route service must be tcp"), ok = false;
  if (const YAML::Node& routes = node["routes"]) {
    if (!routes.IsSequence()) {
      in.error(routes, "routes must be a list");
      ok = false;
    } else {
      for (const auto& r : routes)
        if (auto route = load_route(in, r))
          p.routes.push_back(*route);
        else
          ok = false;
    }
  }
  if (node["default"]) {
    if (auto d = in.scalar(node["default"], "default"))
      p.default_service = *d;
    else
      ok = false;
  }
  if (p.routes.empty() && p.default_service.empty())
    in.error(node, "an l7-route service needs routes or a default"), ok = false;
  if (const YAML::Node& wait = node["l7_wait"]) {
    if (in.check_map(wait, "l7_wait", {"bytes", "ms"})) {
      if (wait["bytes"]) {
        if (auto n = in.number<uint32_t>(wait["bytes"], "l7_wait.bytes", 64, 65536))
          p.wait_bytes = *n;
        else
          ok = false;
      }
      if (wait["ms"]) {
        if (auto n = in.number<uint32_t>(wait["ms"], "l7_wait.ms", 1, 60000))
          p.wait_ns = uint64_t{*n} * 1000000ull;
        else
          ok = false;
      }
    } else {
      ok = false;
    }
  }
  return ok;
}

void check_proxy_routes(Loader& in, const Config& cfg) {
  // The backend's SYN comes from the client's own address: a route's backends are of the
  // VIP's family.
  auto target = [&](const ServiceConfig& vip, const std::string& name, const SourceMark& at,
                    const std::string& from) {
    for (const ServiceConfig& s : cfg.services) {
      if (s.name != name) continue;
      const bool other_family =
          std::any_of(s.backends.begin(), s.backends.end(),
                      [&](const BackendConfig& b) { return b.version != vip.version; });
      if (s.proxy.mode == ServiceProxyConfig::Mode::l7_route)
        in.error_at(at.line, at.column,
                    fmt::format("{} names service '{}', an l7-route service (routes end at a "
                                "service with backends)",
                                from, name));
      else if (s.proto != 6)
        in.error_at(at.line, at.column,
                    fmt::format("{} names service '{}', which is not tcp", from, name));
      else if (other_family)
        in.error_at(at.line, at.column,
                    fmt::format("{} names service '{}', whose backends are not all IPv{} like "
                                "the vip of '{}' (the backend sees the client's address)",
                                from, name, vip.version, vip.name));
      return;
    }
    in.error_at(at.line, at.column, fmt::format("{} names unknown service '{}'", from, name));
  };
  for (const ServiceConfig& svc : cfg.services) {
    if (svc.proxy.mode != ServiceProxyConfig::Mode::l7_route) continue;
    std::set<std::tuple<std::string, std::string, std::string>> seen;
    for (const ProxyRouteConfig& r : svc.proxy.routes) {
      target(svc, r.service, r.mark, "route");
      if (!seen.insert({r.sni, r.host, r.path}).second)
        in.error_at(r.mark.line, r.mark.column,
                    "this route repeats an earlier one of the service (it could never match)");
    }
    if (!svc.proxy.default_service.empty())
      target(svc, svc.proxy.default_service, svc.mark, "default");
  }
}

void load_proxy(Loader& in, const YAML::Node& node, Config& cfg) {
  if (!in.check_map(node, "proxy", {"flows", "cookie_secret", "connect_ms", "linger_ms"})) return;
  cfg.proxy.mark = in.mark(node);
  if (node["flows"])
    if (auto n = in.number<uint32_t>(node["flows"], "proxy.flows", 1, 1u << 20))
      cfg.proxy.flows = *n;
  if (node["connect_ms"])
    if (auto n = in.number<uint32_t>(node["connect_ms"], "proxy.connect_ms", 1, 60000))
      cfg.proxy.connect_ns = uint64_t{*n} * 1000000ull;
  if (node["linger_ms"])
    if (auto n = in.number<uint32_t>(node["linger_ms"], "proxy.linger_ms", 1, 120000))
      cfg.proxy.linger_ns = uint64_t{*n} * 1000000ull;
  if (node["cookie_secret"]) {
    auto text = in.scalar(node["cookie_secret"], "cookie_secret");
    auto hex = [](char ch) {
      return ch >= '0' && ch <= '9'   ? ch - '0'
             : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
             : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                      : -1;
    };
    bool ok = text && text->size() == 32;
    for (size_t i = 0; ok && i < 16; ++i) {
      const int hi = hex((*text)[2 * i]), lo = hex((*text)[2 * i + 1]);
      ok = hi >= 0 && lo >= 0;
      cfg.proxy.cookie_secret[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    if (ok)
      cfg.proxy.secret_set = true;
    else
      in.error(node["cookie_secret"], "cookie_secret must be 32 hex digits (16 bytes)");
  }
}

}  // namespace gauntlet
