#include "dataplane/control/admin_health.h"

#include "dataplane/control/operations.h"
#include "dataplane/control/tables.h"

namespace gauntlet {

const char* admin_state_name(AdminState s) noexcept {
  switch (s) {
    case AdminState::down:
      return "down";
    case AdminState::up:
      return "up";
    default:
      return "auto";
  }
}

uint64_t AdminHealth::set(const std::string& service, const std::string& backend,
                          AdminState state) {
  std::lock_guard lock(lock_);
  if (state == AdminState::automatic)
    states_.erase({service, backend});
  else
    states_[{service, backend}] = state;
  pending_.push_back({service, backend, state});
  return ++requested_;
}

std::vector<AdminHealth::Change> AdminHealth::take(uint64_t& ticket) {
  std::lock_guard lock(lock_);
  ticket = requested_;
  return std::exchange(pending_, {});
}

void AdminHealth::apply(const Config& cfg, HealthOverlay& overlay) const {
  std::lock_guard lock(lock_);
  overlay.down.resize(cfg.services.size());
  for (size_t s = 0; s < cfg.services.size(); ++s) {
    const ServiceConfig& svc = cfg.services[s];
    overlay.down[s].resize(svc.backends.size(), 0);
    for (size_t b = 0; b < svc.backends.size(); ++b) {
      const auto it = states_.find({svc.name, backend_name(svc.backends[b])});
      if (it != states_.end()) overlay.down[s][b] = it->second == AdminState::down ? 1 : 0;
    }
  }
}

}  // namespace gauntlet
