// The health monitor following a reload (HealthMonitor::reconfigure; see health_monitor.h):
// state carried over by service name + backend address:port, never by position.
#include "dataplane/lb/health_monitor.h"

namespace gauntlet {

namespace {

bool same_check(const HealthConfig& x, const HealthConfig& y) noexcept {
  return x.type == y.type && x.interval_ns == y.interval_ns && x.timeout_ns == y.timeout_ns &&
         x.rise == y.rise && x.fall == y.fall && x.path == y.path &&
         x.expect_status == y.expect_status && x.port == y.port;
}

// A backend's key: its service's name and its address:port.
bool same_key(const ServiceConfig& sa, const BackendConfig& a, const ServiceConfig& sb,
              const BackendConfig& b) noexcept {
  return sa.name == sb.name && a.version == b.version && a.address == b.address && a.port == b.port;
}

}  // namespace

void HealthMonitor::reconfigure(const Config& next, uint64_t now) {
  const std::vector<ServiceConfig> old_services = std::move(services_);
  const std::vector<Probe> old_probes = std::move(probes_);
  const std::vector<Drain> old_drains = std::move(drains_);
  load(next);
  const auto was = [&](uint16_t os, uint16_t ob, uint16_t s, uint16_t b) {
    return same_key(old_services[os], old_services[os].backends[ob], services_[s],
                    services_[s].backends[b]);
  };

  for (size_t i = 0; i < probes_.size(); ++i) {
    Probe& p = probes_[i];
    // New here, or checked differently: probed at the reload (or at the start, if the monitor
    // has not started: advance() sets every probe's first send then).
    p.next_send_ns = started_ ? now : 0;
    const Probe* old = nullptr;
    for (const Probe& o : old_probes)
      if (was(o.service, o.backend, p.service, p.backend)) old = &o;
    if (!old) continue;  // a new backend starts up (HealthCounter's initial state)
    p.counter = old->counter;
    overlay_.down[p.service][p.backend] = p.counter.state == BackendHealth::down ? 1 : 0;
    // Settings changed: the exchange in flight is abandoned (its port is free again, so a late
    // answer counts for nothing) and the backend is probed under the new ones at once.
    if (!same_check(old->config, p.config) || old->port != p.port) continue;
    p.next_send_ns = old->next_send_ns;
    if (old->phase == Phase::idle) continue;
    const size_t slot = size_t{old->source_port} - port_lo_;
    if (old->source_port < port_lo_ || slot >= port_owner_.size() || port_owner_[slot] >= 0) {
      p.next_send_ns = now;  // its port left the range: probe again from a new one
      continue;
    }
    p.phase = old->phase;
    p.deadline_ns = old->deadline_ns;
    p.source_port = old->source_port;
    p.isn = old->isn;
    port_owner_[slot] = static_cast<int32_t>(i);
  }

  for (Drain& d : drains_) {
    const Drain* old = nullptr;
    for (const Drain& o : old_drains)
      if (was(o.service, o.backend, d.service, d.backend)) old = &o;
    // Draining began with this reload, unless the backend was drained already.
    d.began_ns = old ? old->began_ns : now;
    if (!d.after_ns) continue;  // no deadline (any earlier expiry is lifted)
    d.fired = old && old->fired;
    if (d.fired) {
      overlay_.drain_expired[d.service][d.backend] = 1;
    } else if (d.began_ns != kNever) {
      // A deadline already past when the reload set it fires at the reload.
      d.at_ns = std::max(d.began_ns + d.after_ns, now);
    }
  }
  changed_ = true;
}

}  // namespace gauntlet
