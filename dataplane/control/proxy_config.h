// The reverse proxy's config: a service's mode:, routes:, default: and l7_wait: keys, and the
// top-level proxy: section (ServiceProxyConfig, ProxyConfig in config.h). Control core only;
// internal to dataplane/control.
#pragma once

#include <yaml-cpp/yaml.h>

#include "dataplane/control/config.h"

namespace gauntlet {

class Loader;

// A service's proxy keys (`node` is the service mapping). Errors go to `in` with
// file:line:col; returns false when there was one.
bool load_service_proxy(Loader& in, const YAML::Node& node, ServiceConfig& svc);

// After every service is read: routes and defaults name known services that have backends
// (not l7-route ones), TCP only; no route is listed twice.
void check_proxy_routes(Loader& in, const Config& cfg);

// proxy: {flows: N, cookie_secret: 32 hex digits, connect_ms: N, linger_ms: N}
void load_proxy(Loader& in, const YAML::Node& node, Config& cfg);

}  // namespace gauntlet
