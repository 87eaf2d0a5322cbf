// The routes of l7-route VIPs, compiled on the control core with each generation and read by
// workers (immutable once published, like the Maglev tables). A route matches the first bytes
// of a connection: a TLS ClientHello's server name (sni) or an HTTP request's Host header
// without its port and its path (host, path). Names compare case-insensitively; "*.x" matches
// one or more labels below x (not x itself); a path is a byte-wise prefix of the request
// target. The first matching route wins, in config order; then the VIP's default, if any.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/control/config.h"
#include "dataplane/proxy/syn_cookie.h"

namespace gauntlet {

inline constexpr uint16_t kNoProxyService = 0xffff;
inline constexpr uint16_t kDefaultRoute = 0xfffe;  // RouteMatch::route when the default matched

struct ProxyRoute {
  bool tls = false;  // sni (ClientHello) or host/path (HTTP)
  bool wildcard = false;
  std::string name;  // lower case; a wildcard keeps ".suffix"; empty: any host (path only)
  std::string path;  // empty: any
  uint16_t service = kNoProxyService;  // index into Tables::services
};

struct ProxyVip {
  bool l7 = false;  // this service is mode: l7-route
  std::vector<ProxyRoute> routes;
  uint16_t default_service = kNoProxyService;
  uint32_t wait_bytes = 0;
  uint64_t wait_ns = 0;
};

// What a connection's first bytes said. tls: sni is the ClientHello's server name (may be
// empty); otherwise host (port already removed) and path of an HTTP request.
struct RouteRequest {
  bool tls = false;
  std::string_view sni, host, path;
};

struct RouteMatch {
  uint16_t service = kNoProxyService;  // kNoProxyService: nothing matched and no default
  uint16_t route = 0;                  // index into ProxyVip::routes, or kDefaultRoute
};

// Hot path (any worker): the first route of `vip` that matches `r`.
RouteMatch match_route(const ProxyVip& vip, const RouteRequest& r) noexcept;

// Whether `name` matches a route name (lower case, ".suffix" when wildcard). Any core.
bool route_name_matches(const ProxyRoute& route, std::string_view name) noexcept;

struct ProxyTables {
  std::vector<ProxyVip> vips;  // by service index, as Tables::services
  CookieKey key{};
  uint32_t flows = 0;  // proxied flows per worker (sizes the worker's pool at start)
  uint64_t connect_ns = 0;
  uint64_t linger_ns = 0;  // how long an ended flow lingers (proxy_flows.h)
  bool any = false;        // some service is l7-route
  const ProxyVip* vip(size_t service) const noexcept {
    return service < vips.size() && vips[service].l7 ? &vips[service] : nullptr;
  }
};

class Tables;
struct ProxyNote;
// Control core: the trace/event JSON member for what the proxy did (",\"proxy\":{...}"):
// the VIP's service, the route that matched ("sni api.site.com", "host *.site.com path
// /static/", "default"), the chosen service and backend, and the splice's sequence offset.
std::string proxy_trace_json(const ProxyNote& note, const Tables& t);
// The same in words, for --explain: "VIP site, route sni api.site.com to service site-api,
// backend 10.0.0.11:8080, seq offset N" (only the VIP before a route is decided; no offset
// until the backend has answered: `offset_known` false while connecting).
std::string proxy_words(const ProxyNote& note, const Tables& t, bool offset_known);

// Control core. Service names resolve to indexes of cfg.services (validated by the config).
// The cookie key is cfg.proxy's secret, or one random key per process.
ProxyTables build_proxy_tables(const Config& cfg);

}  // namespace gauntlet
