// One round of live mode's control core (besides draining the workers' records into the
// event log's stream): a SIGHUP reopens the event log (rotation) and asks for a reload; a
// requested reload (SIGHUP, telemetry) runs and is logged; the views learn of a new
// generation; the event log is flushed. Reload requests that arrive while one runs fold into the
// next round, so a storm of signals costs at most one rebuild per round.
#pragma once

#include <atomic>

#include "dataplane/control/operations.h"

namespace gauntlet {

class ControlLoop {
 public:
  explicit ControlLoop(Operations& ops) : ops_(ops) {}

  // Signal handler for SIGHUP (async-signal-safe).
  static void on_hangup(int) noexcept { hangup_.store(true, std::memory_order_relaxed); }

  // Control core (or the only worker, offline from RCU while it runs).
  void tick();

 private:
  void reload();
  void apply_admin_health();

  static inline std::atomic<bool> hangup_{false};
  Operations& ops_;
};

// The event log record of a reload: {"event":"reload",...} or {"event":"reload_failed",...}.
std::string reload_record(const ReloadOutcome& outcome, uint64_t previous,
                          const std::string& config_path, uint64_t time_ns);

}  // namespace gauntlet
