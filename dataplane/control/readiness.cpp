#include "dataplane/control/readiness.h"

#include <fmt/format.h>

namespace gauntlet {

namespace {

// Service names are config text: quotes, backslashes and control characters escaped.
std::string escaped(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"')
      out += {'\\', c};
    else if (static_cast<unsigned char>(c) < 0x20)
      out += fmt::format("\\u{:04x}", c);
    else
      out += c;
  }
  return out;
}

// Prometheus label values escape a backslash, a quote and a newline.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    out += c == '\n' ? 'n' : c;
  }
  return out;
}

}  // namespace

const char* dataplane_state(const Operations& ops, uint64_t now_tsc) {
  const DataplaneStatus* d = ops.dataplane;
  if (!d) return "stopped";
  if (!d->started.load(std::memory_order_acquire)) return "starting";
  for (uint8_t p = 0; p < kPortCount; ++p)
    if (!d->link_up[p].load(std::memory_order_relaxed)) return "link-down";
  const double limit = kStalledAfterSeconds * static_cast<double>(d->tsc_hz);
  for (const Worker* w : ops.workers) {
    const uint64_t beat = w->counters.heartbeat_tsc.get();
    if (beat == 0 || (now_tsc > beat && static_cast<double>(now_tsc - beat) > limit))
      return "stalled";
  }
  return "running";
}

size_t healthy_backends(const ServiceView& svc) {
  size_t n = 0;
  for (size_t b = 0; b < svc.backends.size(); ++b)
    n += svc.backends[b].weight > 0 && !(b < svc.down.size() && svc.down[b]);
  return n;
}

std::string vips_json(const Operations& ops, uint64_t now_tsc) {
  const auto view = ops.generations->view();
  const std::string_view state = dataplane_state(ops, now_tsc);
  const bool running = state == "running";
  std::string s = fmt::format(R"({{"generation":{},"config_hash":"{}","dataplane":"{}","vips":[)",
                              view->generation, hash_hex(view->config_hash), state);
  auto out = std::back_inserter(s);
  for (size_t i = 0; i < view->services.size(); ++i) {
    const ServiceView& svc = view->services[i];
    const size_t healthy = healthy_backends(svc);
    fmt::format_to(out, R"({}{{"service":"{}","vip":"{}","ports":[{}],"protocol":"{}",)",
                   i ? "," : "", escaped(svc.name), format_ip(svc.vip, svc.version),
                   fmt::join(svc.ports, ","), svc.proto == 6 ? "tcp" : "udp");
    fmt::format_to(out,
                   R"("forwarding":"{}","ready":{},"healthy_backends":{},"backends":{},)"
                   R"("maglev_hash":"{}"}})",
                   forwarding_name(svc.forwarding), running && healthy > 0, healthy,
                   svc.backends.size(), hash_hex(svc.maglev_hash));
  }
  return s + "]}";
}

std::string readiness_metrics(const Operations& ops, uint64_t now_tsc) {
  const auto view = ops.generations->view();
  const bool running = std::string_view(dataplane_state(ops, now_tsc)) == "running";
  std::string s;
  auto out = std::back_inserter(s);
  fmt::format_to(out,
                 "# HELP gauntlet_config_generation The config generation forwarding now.\n"
                 "# TYPE gauntlet_config_generation gauge\n"
                 "gauntlet_config_generation {}\n",
                 view->generation);
  fmt::format_to(out,
                 "# HELP gauntlet_config_info Hash of the balancing config (services, VIPs, "
                 "backends, weights, health checks), the same on instances that agree.\n"
                 "# TYPE gauntlet_config_info gauge\n"
                 "gauntlet_config_info{{hash=\"{}\"}} 1\n",
                 hash_hex(view->config_hash));
  s += "# HELP gauntlet_maglev_table_info Hash of each service's Maglev table (backends, "
       "weights, health state), the same on instances that would pick the same backends.\n"
       "# TYPE gauntlet_maglev_table_info gauge\n";
  for (const ServiceView& svc : view->services)
    fmt::format_to(out, "gauntlet_maglev_table_info{{service=\"{}\",hash=\"{}\"}} 1\n",
                   label(svc.name), hash_hex(svc.maglev_hash));
  s += "# HELP gauntlet_vip_ready 1 when the dataplane runs and the VIP has a backend taking "
       "new flows (announce it), else 0.\n"
       "# TYPE gauntlet_vip_ready gauge\n";
  for (const ServiceView& svc : view->services)
    fmt::format_to(out, "gauntlet_vip_ready{{service=\"{}\",vip=\"{}\"}} {}\n", label(svc.name),
                   format_ip(svc.vip, svc.version), running && healthy_backends(svc) > 0 ? 1 : 0);
  return s;
}

}  // namespace gauntlet
