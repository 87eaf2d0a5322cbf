// Admin health: a source of truth outside gauntlet (one that every instance behind an ECMP
// group follows, so that their Maglev tables agree) sets a backend down or up whatever its own
// checks say, or hands it back to them (auto). Requests arrive on the metrics address
// (POST /api/backends/<service>/<address>:<port> {"state":"down"|"up"|"auto"}), are applied
// by the control loop and published through Generations::publish like a health change.
// Keyed by service name and backend name ("10.0.0.11:80", "[fd00::10]:443"), so a state
// follows its backend across reloads that reorder the config.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/control/config.h"

namespace gauntlet {

struct HealthOverlay;

enum class AdminState : uint8_t { automatic, down, up };
const char* admin_state_name(AdminState s) noexcept;

class AdminHealth {
 public:
  struct Change {
    std::string service, backend;
    AdminState state = AdminState::automatic;
  };

  // Any thread: records the wish; returns the ticket applied() reaches once it is published.
  uint64_t set(const std::string& service, const std::string& backend, AdminState state);
  // Control core: the wishes since the last call (empty: nothing to publish) and the ticket
  // of the last of them, for done().
  std::vector<Change> take(uint64_t& ticket);
  // Control core, after publishing what take() returned (or failing to).
  void done(uint64_t ticket) noexcept { applied_.store(ticket, std::memory_order_release); }
  uint64_t applied() const noexcept { return applied_.load(std::memory_order_acquire); }

  // Control core: `overlay` for `cfg` with every admin state on top (down: out of the table;
  // up: in it even if its checks failed). Sizes `overlay.down` to the config.
  void apply(const Config& cfg, HealthOverlay& overlay) const;

 private:
  mutable std::mutex lock_;
  std::map<std::pair<std::string, std::string>, AdminState> states_;
  std::vector<Change> pending_;
  uint64_t requested_ = 0;
  std::atomic<uint64_t> applied_{0};
};

}  // namespace gauntlet
