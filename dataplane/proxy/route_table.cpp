#include "dataplane/proxy/route_table.h"

#include <fmt/format.h>
#include <random>

#include "dataplane/control/operations.h"
#include "dataplane/control/tables.h"
#include "dataplane/proxy/proxy_note.h"

namespace gauntlet {

namespace {

char lower(char ch) noexcept { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch + 32) : ch; }

bool equal_nocase(std::string_view a, std::string_view lower_b) noexcept {
  if (a.size() != lower_b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower_b[i]) return false;
  return true;
}

bool route_matches(const ProxyRoute& route, const RouteRequest& r) noexcept {
  if (route.tls != r.tls) return false;
  const std::string_view name = r.tls ? r.sni : r.host;
  if (!route.name.empty() && !route_name_matches(route, name)) return false;
  return r.tls || r.path.starts_with(route.path);
}

CookieKey process_key() {
  static const CookieKey key = [] {
    CookieKey k{};
    std::random_device rd;
    for (size_t i = 0; i < k.size(); i += 4) {
      const uint32_t v = rd();
      for (size_t j = 0; j < 4; ++j) k[i + j] = static_cast<uint8_t>(v >> (8 * j));
    }
    return k;
  }();
  return key;
}

uint16_t index_of(const Config& cfg, const std::string& name) {
  for (size_t i = 0; i < cfg.services.size(); ++i)
    if (cfg.services[i].name == name) return static_cast<uint16_t>(i);
  return kNoProxyService;
}

}  // namespace

bool route_name_matches(const ProxyRoute& route, std::string_view name) noexcept {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);  // "site.com." is site.com
  if (!route.wildcard) return equal_nocase(name, route.name);
  // ".site.com": at least one label before it.
  return name.size() > route.name.size() &&
         equal_nocase(name.substr(name.size() - route.name.size()), route.name);
}

RouteMatch match_route(const ProxyVip& vip, const RouteRequest& r) noexcept {
  for (size_t i = 0; i < vip.routes.size(); ++i)
    if (route_matches(vip.routes[i], r)) return {vip.routes[i].service, static_cast<uint16_t>(i)};
  return {vip.default_service, kDefaultRoute};
}

namespace {

std::string route_text(const ProxyVip& vip, uint16_t route) {
  if (route >= vip.routes.size()) return "default";
  const ProxyRoute& r = vip.routes[route];
  std::string s = fmt::format("{} {}{}", r.tls ? "sni" : "host", r.wildcard ? "*" : "",
                              r.name.empty() ? "any" : r.name);
  if (!r.path.empty()) s += " path " + r.path;
  return s;
}

}  // namespace

std::string proxy_words(const ProxyNote& n, const Tables& t, bool offset_known) {
  if (!n.set || n.vip_service >= t.services.size()) return "";
  std::string s = fmt::format("VIP {}", t.services[n.vip_service].name);
  const ProxyVip* vip = t.proxy.vip(n.vip_service);
  if (!n.bound || !vip) return s;
  s += fmt::format(", route {}", route_text(*vip, n.route));
  if (n.service < t.services.size() && n.backend < t.services[n.service].backends.size()) {
    const CompiledService& svc = t.services[n.service];
    const BackendConfig& b = svc.backends[n.backend];
    s += fmt::format(" to service {}, backend {}", svc.name, backend_name(b));
    if (offset_known) s += fmt::format(", seq offset {}", n.seq_delta);
  }
  return s;
}

std::string proxy_trace_json(const ProxyNote& n, const Tables& t) {
  if (n.vip_service >= t.services.size()) return "";
  std::string s = fmt::format(R"(,"proxy":{{"vip":"{}")", t.services[n.vip_service].name);
  const ProxyVip* vip = t.proxy.vip(n.vip_service);
  if (n.bound && vip) {
    s += fmt::format(R"(,"route":"{}")", route_text(*vip, n.route));
    if (n.service < t.services.size() && n.backend < t.services[n.service].backends.size()) {
      const CompiledService& svc = t.services[n.service];
      const BackendConfig& b = svc.backends[n.backend];
      s += fmt::format(R"(,"service":"{}","backend":"{}","seq_offset":{})", svc.name,
                       backend_name(b), n.seq_delta);
    }
  }
  return s + "}";
}

ProxyTables build_proxy_tables(const Config& cfg) {
  ProxyTables t;
  t.key = cfg.proxy.secret_set ? cfg.proxy.cookie_secret : process_key();
  t.flows = cfg.proxy.flows;
  t.connect_ns = cfg.proxy.connect_ns;
  t.linger_ns = cfg.proxy.linger_ns;
  for (const ServiceConfig& svc : cfg.services) {
    ProxyVip v;
    const ServiceProxyConfig& p = svc.proxy;
    v.l7 = p.mode == ServiceProxyConfig::Mode::l7_route;
    t.any = t.any || v.l7;
    v.wait_bytes = p.wait_bytes;
    v.wait_ns = p.wait_ns;
    if (!p.default_service.empty()) v.default_service = index_of(cfg, p.default_service);
    for (const ProxyRouteConfig& rc : p.routes) {
      ProxyRoute r;
      r.tls = !rc.sni.empty();
      r.name = r.tls ? rc.sni : rc.host;
      if (r.name.starts_with("*.")) {
        r.wildcard = true;
        r.name.erase(0, 1);
      }
      r.path = rc.path;
      r.service = index_of(cfg, rc.service);
      v.routes.push_back(std::move(r));
    }
    t.vips.push_back(std::move(v));
  }
  return t;
}

}  // namespace gauntlet
