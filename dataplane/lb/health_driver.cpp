#include "dataplane/lb/health_driver.h"

#include <fmt/format.h>

#include "dataplane/control/report.h"

namespace gauntlet {

bool publish_generation(Published& published, const Config& cfg, const HealthOverlay& health,
                        const MacAddress* live_macs, std::string& error) {
  const Tables* current = published.current();
  const uint64_t generation = current ? current->generation + 1 : 1;
  auto tables = build_tables(cfg, generation, live_macs, error, &health);
  if (!tables) return false;
  published.publish(std::move(tables));
  return true;
}

uint64_t HealthDriver::reload(const Config& next, uint64_t now, const ReloadPublish& publish,
                              std::string& error) {
  HealthMonitor following = monitor_;
  following.reconfigure(next, now);
  const uint64_t generation = publish(following.overlay(), error);
  if (generation == 0) return 0;
  following.clear_changed();
  monitor_ = std::move(following);  // Generations' overlay pointer names monitor_: still valid
  return generation;
}

bool HealthDriver::step(uint64_t now, const std::vector<Worker*>& workers, FILE* events) {
  if (!monitor_.active() || workers.empty()) return true;
  monitor_.advance(now);
  // A full ring loses the segment: the probe then times out, as a lost packet would.
  for (const Record& r : monitor_.take_requests()) workers.front()->from_control.push(r);
  const std::vector<HealthTransition> changes = monitor_.take_transitions();
  bool ok = true;
  uint64_t generation = published_.current()->generation;
  if (monitor_.changed()) {
    std::string error;
    ok = publish_ ? publish_(error)
                  : publish_generation(published_, cfg_, monitor_.overlay(), live_macs_, error);
    if (ok) {
      monitor_.clear_changed();
      generation = published_.current()->generation;
    } else {
      fmt::print(stderr, "gauntlet: health: cannot build generation {}: {}\n", generation + 1,
                 error);
    }
  }
  if (events) {
    const Tables& now = *published_.current();
    for (const HealthTransition& t : changes)
      fmt::print(events, "{}\n",
                 health_event_json(
                     t, generation,
                     t.service < now.services.size() ? now.services[t.service].table_hash : 0));
  }
  return ok;
}

void connect_reloads(HealthDriver& health, Generations& generations, Reloader& reloader,
                     std::function<uint64_t()> clock) {
  generations.use_health_overlay(&health.monitor().overlay());
  health.publish_with([&generations, &reloader](std::string& error) {
    return generations.publish(reloader.running(), error) != 0;
  });
  reloader.publish_with(
      [&health, &generations, clock = std::move(clock)](const Config& next, std::string& error) {
        return health.reload(
            next, clock(),
            [&](const HealthOverlay& overlay, std::string& e) {
              return generations.publish(next, e, &overlay);
            },
            error);
      });
}

}  // namespace gauntlet
