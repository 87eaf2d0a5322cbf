// Runs the health monitor against the workers, on the control core: feeds it their probe
// answers (drain_records hands them over), gives worker 0 the segments to send (through its
// from_control ring, the one path in replay and live), writes state changes to the event log
// and publishes a new generation when the set of usable backends changed.
//
// Contract: control core only, one instance per dataplane, owning its monitor. `cfg`, the
// Published and `live_macs` (may be null) must outlive it. In replay the caller runs step()
// between bursts (single thread); in live it runs in the control loop, where publish() waits
// for the workers' next quiescent point.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "dataplane/control/reload.h"
#include "dataplane/lb/health_monitor.h"
#include "dataplane/pipeline/generation.h"
#include "dataplane/pipeline/worker.h"

namespace gauntlet {

// The one place a generation is rebuilt for health reasons: `cfg` compiled with the health
// overlay as generation current + 1, then published. False (error set) when the build fails;
// the current generation stays. A config reload publishes through the same function with the
// monitor's overlay, so a reload never brings a down backend back.
bool publish_generation(Published& published, const Config& cfg, const HealthOverlay& health,
                        const MacAddress* live_macs, std::string& error);

class HealthDriver {
 public:
  HealthDriver(const Config& cfg, Published& published, const MacAddress* live_macs)
      : cfg_(cfg), published_(published), live_macs_(live_macs), monitor_(cfg) {}

  // Live mode publishes through the reload path (control/reload.h), so that a health change
  // builds from the running config, not the one the driver started with. Unset: replay's
  // publish_generation with the start config.
  void publish_with(std::function<bool(std::string& error)> publish) {
    publish_ = std::move(publish);
  }

  // A reload to `next` at dataplane time `now`: a copy of the monitor follows `next`
  // (HealthMonitor::reconfigure) and `publish` builds and publishes `next` with that copy's
  // overlay, returning the generation (0 and `error` set on failure). Only once it succeeded
  // does the monitor become the copy, so a failed reload changes nothing and a successful one
  // is never reverted by a later health change.
  using ReloadPublish = std::function<uint64_t(const HealthOverlay& health, std::string& error)>;
  uint64_t reload(const Config& next, uint64_t now, const ReloadPublish& publish,
                  std::string& error);

  bool active() const noexcept { return monitor_.active(); }
  uint64_t next_due() const noexcept { return monitor_.next_due(); }
  HealthMonitor& monitor() noexcept { return monitor_; }

  // Advances the monitor to `now` (dataplane clock), sends what it asks for, logs and
  // publishes what changed. Returns false when a publish failed (message on stderr).
  bool step(uint64_t now, const std::vector<Worker*>& workers, FILE* events);

 private:
  const Config& cfg_;
  Published& published_;
  const MacAddress* live_macs_;
  HealthMonitor monitor_;
  std::function<bool(std::string& error)> publish_;
};

// Live wiring, once at start (all four must outlive the run): `generations` builds every
// generation with the monitor's overlay; a health change publishes the reloader's running
// config; a reload moves the monitor to the new config at `clock()` (the dataplane clock)
// through HealthDriver::reload, so backends may come, go and change checks while they run.
void connect_reloads(HealthDriver& health, Generations& generations, Reloader& reloader,
                     std::function<uint64_t()> clock);

}  // namespace gauntlet
