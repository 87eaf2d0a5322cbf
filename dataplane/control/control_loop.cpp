#include "dataplane/control/control_loop.h"

#include <fmt/format.h>

#include "dataplane/control/admin_health.h"
#include "dataplane/control/report.h"

namespace gauntlet {

namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += {'\\', c};
    else if (static_cast<unsigned char>(c) < 0x20)
      out += fmt::format("\\u{:04x}", c);
    else
      out += c;
  }
  return out + "\"";
}

}  // namespace

std::string reload_record(const ReloadOutcome& o, uint64_t previous, const std::string& path,
                          uint64_t time_ns) {
  std::string s = fmt::format(R"({{"event":"{}","time":"{}","generation":{},"previous":{},)"
                              R"("config":{},"ms":{:.1f})",
                              o.ok ? "reload" : "reload_failed", format_time(time_ns), o.generation,
                              previous, json_string(path), o.milliseconds);
  fmt::format_to(std::back_inserter(s), R"(,"config_hash":"{}","maglev":{{)",
                 hash_hex(o.config_hash));
  for (size_t i = 0; i < o.maglev_hashes.size(); ++i)
    fmt::format_to(std::back_inserter(s), R"({}{}:"{}")", i ? "," : "",
                   json_string(o.maglev_hashes[i].first), hash_hex(o.maglev_hashes[i].second));
  s += "}";
  if (!o.ok) {
    s += R"(,"errors":[)";
    for (size_t i = 0; i < o.errors.size(); ++i) s += (i ? "," : "") + json_string(o.errors[i]);
    s += "]";
  }
  return s + "}";
}

void ControlLoop::reload() {
  const uint64_t previous = ops_.generations->generation();
  const ReloadOutcome o = ops_.reloader->reload();
  const std::string& path = ops_.reloader->running().path;
  ops_.events->control_event(reload_record(o, previous, path, realtime_ns()));
  if (o.ok) return;
  for (const std::string& e : o.errors) fmt::print(stderr, "{}\n", e);
  fmt::print(stderr, "gauntlet: reload of {} failed: generation {} keeps running\n", path,
             o.generation);
}

// Admin health requests (control/admin_health.h): one publish for all that arrived, then an
// event per request with the generation and the service's table hash it produced.
void ControlLoop::apply_admin_health() {
  if (!ops_.admin) return;
  uint64_t ticket = 0;
  const std::vector<AdminHealth::Change> changes = ops_.admin->take(ticket);
  if (changes.empty()) return;
  std::string error;
  const uint64_t generation = ops_.generations->publish(ops_.reloader->running(), error);
  if (generation == 0)
    fmt::print(stderr, "gauntlet: admin health: cannot build a generation: {}\n", error);
  const auto view = ops_.generations->view();
  for (const AdminHealth::Change& c : changes) {
    uint64_t hash = 0;
    for (const ServiceView& s : view->services)
      if (s.name == c.service) hash = s.maglev_hash;
    ops_.events->control_event(fmt::format(
        R"({{"event":"admin-health","time":"{}","generation":{},"service":{},"backend":{},)"
        R"("state":"{}","published":{},"maglev_hash":"{}"}})",
        format_time(realtime_ns()), view->generation, json_string(c.service),
        json_string(c.backend), admin_state_name(c.state), generation != 0, hash_hex(hash)));
  }
  ops_.admin->done(ticket);
}

void ControlLoop::tick() {
  if (hangup_.exchange(false, std::memory_order_relaxed)) {
    ops_.events->reopen();
    ops_.reloader->request();
  }
  if (ops_.reloader->take_request()) reload();
  apply_admin_health();
  ops_.generations->refresh();
  ops_.events->flush();
}

}  // namespace gauntlet
