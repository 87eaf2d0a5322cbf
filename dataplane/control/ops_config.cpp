// metrics: and events: sections: where Prometheus scrapes, and how many event lines a
// second the event log writes.
#include "dataplane/control/config_reader.h"

namespace gauntlet {

namespace {

// "host:port", "[v6]:port" or ":port" (loopback). The host must be an address literal: the
// endpoint binds before any name service could be trusted.
void load_listen(Loader& in, const YAML::Node& node, MetricsConfig& m) {
  auto text = in.scalar(node, "listen");
  if (!text) return;
  const std::string& t = *text;
  const size_t colon = t.rfind(':');
  std::string host = colon == std::string::npos ? "" : t.substr(0, colon);
  const std::string port = colon == std::string::npos ? t : t.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  uint16_t number = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  IpAddress address;
  if (colon == std::string::npos || ec != std::errc{} || end != port.data() + port.size() ||
      number == 0 || (!host.empty() && parse_ip(host, address) == 0)) {
    in.error(node, fmt::format("listen '{}' is not ADDRESS:PORT (e.g. 127.0.0.1:9090, "
                               "[::1]:9090)",
                               t));
    return;
  }
  if (!host.empty()) m.host = host;
  m.port = number;
}

}  // namespace

void load_operations(Loader& in, const YAML::Node& root, Config& cfg) {
  if (const auto& node = root["metrics"]) {
    cfg.metrics.enabled = true;
    cfg.metrics.mark = in.mark(node);
    // `metrics: {}` (or `metrics:` with nothing) serves on the default address.
    if (!node.IsNull() && in.check_map(node, "metrics", {"listen"}) && node["listen"])
      load_listen(in, node["listen"], cfg.metrics);
  }
  if (const auto& node = root["events"]) {
    if (!in.check_map(node, "events", {"per_second", "burst"})) return;
    if (node["per_second"])
      if (auto n = in.number<uint32_t>(node["per_second"], "per_second", 1, 10000000))
        cfg.events.per_second = *n;
    cfg.events.burst = cfg.events.per_second;
    if (node["burst"])
      if (auto n = in.number<uint32_t>(node["burst"], "burst", 1, 10000000)) cfg.events.burst = *n;
  }
}

}  // namespace gauntlet
