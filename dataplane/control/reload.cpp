#include "dataplane/control/reload.h"

#include <chrono>
#include <fmt/format.h>
#include <time.h>

#include "dataplane/control/admin_health.h"
#include "dataplane/control/report.h"
#include "dataplane/control/tables.h"
#include "dataplane/control/web_view.h"

namespace gauntlet {

Generations::Generations(Published& published, const MacAddress* live_macs,
                         const std::vector<Worker*>& workers)
    : published_(published), has_macs_(live_macs != nullptr), workers_(workers) {
  if (live_macs)
    for (uint8_t p = 0; p < kPortCount; ++p) macs_[p] = live_macs[p];
  view_ = std::make_shared<GenerationView>();
  refresh();
}

uint64_t Generations::publish(const Config& cfg, std::string& error, const HealthOverlay* health) {
  // Only the control core publishes, so the current generation cannot change meanwhile.
  const Tables* old = published_.current();
  const uint64_t next = old ? old->generation + 1 : 1;
  const HealthOverlay* overlay = health;
  HealthOverlay merged;
  if (admin_) {
    if (health) merged = *health;
    admin_->apply(cfg, merged);
    overlay = &merged;
  }
  auto tables = build_tables(cfg, next, has_macs_ ? macs_ : nullptr, error, overlay);
  if (!tables) return 0;
  published_.publish(std::move(tables));
  refresh();
  return next;
}

void Generations::refresh() {
  const Tables* t = published_.current();
  const auto old = view();
  if (!t || t->generation == old->generation) return;
  auto v = std::make_shared<GenerationView>();
  v->generation = t->generation;
  v->config_hash = t->config_hash;
  v->snat = t->snat;
  for (int list = 0; list < 2; ++list) {
    v->rule_ids[list] = t->acl[list].ids;
    if (old->generation == 0 || v->rule_ids[list] == old->rule_ids[list]) {
      v->rule_base[list] = old->rule_base[list];
      continue;
    }
    // Exact to within the packets judged while the workers crossed over.
    if (workers_.empty()) continue;
    const uint32_t slots = workers_.front()->rule_hits[list].size;
    v->rule_base[list].assign(slots, 0);
    for (const Worker* w : workers_)
      for (uint32_t i = 0; i < slots; ++i)
        v->rule_base[list][i] += w->rule_hits[list].hits[i].get();
  }
  v->services = service_views(*t);
  std::lock_guard lock(view_lock_);
  view_ = std::move(v);
}

std::shared_ptr<const GenerationView> Generations::view() const {
  std::lock_guard lock(view_lock_);
  return view_;
}

Totals Generations::totals(bool running) const {
  const auto v = view();
  // sum_counters names rules from a Tables: one holding just the view's names.
  Tables names;
  names.generation = v->generation;
  for (int list = 0; list < 2; ++list) names.acl[list].ids = v->rule_ids[list];
  Totals totals = sum_counters(workers_, names, running);
  for (int list = 0; list < 2; ++list) {
    const auto& base = v->rule_base[list];
    if (base.empty()) continue;
    auto& hits = totals.rule_hits[list];
    for (size_t i = 0; i < hits.size(); ++i) {
      // sum_counters lists the rules by position, then the default (the last slot).
      const size_t slot = i + 1 < hits.size() ? i : base.size() - 1;
      hits[i].second -= std::min(hits[i].second, base[slot]);
    }
  }
  return totals;
}

Reloader::Reloader(Generations& generations, Config running)
    : generations_(generations), running_(std::move(running)) {}

ReloadOutcome Reloader::reload() {
  const auto start = std::chrono::steady_clock::now();
  ReloadOutcome out;
  std::vector<ConfigError> errors;
  auto next = load_config(running_.path, errors);
  if (next) errors = restart_only_changes(running_, *next);
  if (next && errors.empty()) {
    std::string error;
    out.generation = publish_ ? publish_(*next, error) : generations_.publish(*next, error);
    if (out.generation == 0) errors.push_back({running_.path, 0, 0, error});
  }
  for (const ConfigError& e : errors) out.errors.push_back(e.to_string());
  out.ok = errors.empty();
  if (out.ok) {
    running_ = std::move(*next);
    succeeded_.fetch_add(1, std::memory_order_relaxed);
  } else {
    out.generation = generations_.generation();
    failed_.fetch_add(1, std::memory_order_relaxed);
  }
  const auto view = generations_.view();
  out.config_hash = view->config_hash;
  for (const ServiceView& s : view->services) out.maglev_hashes.emplace_back(s.name, s.maglev_hash);
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  last_ns_.store(uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec));
  out.milliseconds =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return out;
}

namespace {

void changed(std::vector<ConfigError>& errors, const SourceMark& at, const std::string& path,
             std::string what) {
  errors.push_back(
      {at.file.empty() ? path : at.file, at.line, at.column,
       fmt::format("{} changed: a running gauntlet takes it only on a restart", what)});
}

}  // namespace

namespace {

bool any_waf(const Config& c) {
  for (const ServiceConfig& s : c.services)
    if (s.waf.enabled) return true;
  return false;
}

}  // namespace

std::vector<ConfigError> restart_only_changes(const Config& a, const Config& b) {
  std::vector<ConfigError> e;
  const SourceMark file{b.path, 0, 0};
  if (a.workers != b.workers) changed(e, file, b.path, "workers");
  if (a.mbufs != b.mbufs) changed(e, file, b.path, "mbufs");
  if (a.neighbour_capacity != b.neighbour_capacity) changed(e, file, b.path, "neighbour_capacity");
  if (a.max_rules != b.max_rules) changed(e, file, b.path, "max_rules");
  for (uint8_t p = 0; p < kPortCount; ++p) {
    const PortConfig &x = a.ports[p], &y = b.ports[p];
    if (x.device != y.device || x.rx_descriptors != y.rx_descriptors ||
        x.tx_descriptors != y.tx_descriptors)
      changed(e, y.mark, b.path, fmt::format("ports.{} device or descriptors", port_role_name(p)));
  }
  if (a.poll.mode != b.poll.mode || a.poll.idle_sleep_us != b.poll.idle_sleep_us)
    changed(e, file, b.path, "ports.poll or ports.idle_sleep_us");
  // Workers seed their neighbour caches with the static entries once, at start.
  bool same_neighbours = a.neighbours.size() == b.neighbours.size();
  for (size_t i = 0; same_neighbours && i < a.neighbours.size(); ++i) {
    const NeighbourConfig &x = a.neighbours[i], &y = b.neighbours[i];
    same_neighbours = x.address == y.address && x.version == y.version && x.port == y.port &&
                      x.mac.bytes == y.mac.bytes;
  }
  if (!same_neighbours) changed(e, file, b.path, "neighbours");
  if (a.conntrack.capacity != b.conntrack.capacity) changed(e, file, b.path, "conntrack.capacity");
  if (a.snat.port_lo != b.snat.port_lo || a.snat.port_hi != b.snat.port_hi ||
      a.snat.max_ports_per_host != b.snat.max_ports_per_host)
    changed(e, b.snat.mark, b.path, "snat ports or max_ports_per_host");
  if (a.metrics.enabled != b.metrics.enabled || a.metrics.host != b.metrics.host ||
      a.metrics.port != b.metrics.port)
    changed(e, b.metrics.mark, b.path, "metrics");
  if (a.events.per_second != b.events.per_second || a.events.burst != b.events.burst)
    changed(e, file, b.path, "events");
  // Services, backends and health checks reload (the health monitor follows backends by
  // address:port); each worker's pool of inspected flows is sized at start, and only when
  // some service has WAF on.
  if (any_waf(a) != any_waf(b) || a.waf.max_flows != b.waf.max_flows ||
      a.waf.memory_bytes != b.waf.memory_bytes ||
      a.waf.flow_buffer_bytes != b.waf.flow_buffer_bytes ||
      a.waf.body_inspect_bytes != b.waf.body_inspect_bytes)
    changed(e, file, b.path,
            "WAF on or off, or waf: pool sizes (max_flows, memory_bytes, flow_buffer_bytes, "
            "body_inspect_bytes)");
  return e;
}

}  // namespace gauntlet
