// Generations and reload. A generation is every table one config compiles into (routes,
// ACLs, services and their Maglev tables, conntrack and SNAT settings); `Generations`
// builds one on the control core and publishes it with one atomic swap, the previous one
// freed once every worker has passed a quiescent point (pipeline/generation.h). `Reloader`
// reads the config file again, validates it as a whole and publishes it, or keeps the running
// generation and says why. Conntrack state lives in the workers and is not touched: an
// established flow keeps its backend and NAT mapping across a reload.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dataplane/control/config.h"
#include "dataplane/control/tables.h"
#include "dataplane/pipeline/generation.h"
#include "dataplane/pipeline/worker.h"

namespace gauntlet {

struct Totals;
class AdminHealth;

// What the operator's views (telemetry, metrics; other threads) know of the current
// generation: copied from its tables by the control core, so a view never reads tables that
// a publish may free, whoever publishes.
struct ServiceView {
  std::string name;
  IpAddress vip{};
  uint8_t version = 0, proto = 6;
  std::vector<uint16_t> ports;
  std::vector<BackendConfig> backends;
  std::vector<uint8_t> down;  // per backend, when health checks run: taken out by them
  std::vector<double> share;  // per backend: its part of the Maglev table (web view)
  Forwarding forwarding = Forwarding::dnat;
  uint64_t maglev_hash = 0;  // CompiledService::table_hash
};
struct GenerationView {
  uint64_t generation = 0;
  uint64_t config_hash = 0;              // Tables::config_hash
  std::vector<std::string> rule_ids[2];  // by Direction: firewall, allow-list
  // Per list: hits by position (default last) when its current rule list came in; a list
  // that changed counts from there (positions now name other rules).
  std::vector<uint64_t> rule_base[2];
  std::vector<ServiceView> services;
  SnatConfig snat;
};

class Generations {
 public:
  // `live_macs` (may be null; copied): each port's device MAC where the config sets none.
  // `workers`: whose counters the views sum (may be empty).
  Generations(Published& published, const MacAddress* live_macs,
              const std::vector<Worker*>& workers);

  // Control core: the one publication path (reload and health checks alike). Compiles `cfg`
  // with the health overlay, if one is set, into the next generation and publishes it
  // (returns once no worker holds the previous one, which is then freed). Returns its
  // number, or 0 with `error` set (the running generation stays).
  uint64_t publish(const Config& cfg, std::string& error) { return publish(cfg, error, health_); }
  // The same with `health` (may be null) in place of the overlay set: a reload whose backends
  // the health monitor is following into the new config (HealthDriver::reload).
  uint64_t publish(const Config& cfg, std::string& error, const HealthOverlay* health);
  // Control core: backends health checks took down stay down in every generation built
  // from here on. `overlay` (may be null) must outlive this object.
  void use_health_overlay(const HealthOverlay* overlay) noexcept { health_ = overlay; }
  // Control core: admin states (control/admin_health.h) go on top of the health overlay in
  // every generation built from here on. `admin` (may be null) must outlive this object.
  void use_admin_health(const AdminHealth* admin) noexcept { admin_ = admin; }

  // Control core, every loop round: refreshes the view when the generation changed
  // (published here or elsewhere). Cheap when it did not.
  void refresh();
  // Any thread.
  std::shared_ptr<const GenerationView> view() const;
  uint64_t generation() const { return view()->generation; }
  // Any thread: the workers' counters summed for `view()`; per-rule hits counted from the
  // generation that brought in the current rule list. `running`: occupancy from the gauges.
  Totals totals(bool running) const;

 private:
  Published& published_;
  MacAddress macs_[kPortCount]{};
  bool has_macs_ = false;
  std::vector<Worker*> workers_;
  const HealthOverlay* health_ = nullptr;
  const AdminHealth* admin_ = nullptr;
  mutable std::mutex view_lock_;
  std::shared_ptr<const GenerationView> view_;
};

// What one reload did.
struct ReloadOutcome {
  bool ok = false;
  uint64_t generation = 0;          // published (ok) or still running (not ok)
  std::vector<std::string> errors;  // "file:line:col: error: ..." (not ok)
  double milliseconds = 0;          // load, validate, build and publish
  // What the running generation is (published, or kept): its balancing_config_hash and each
  // service's Maglev table hash, so that instances can be compared after every reload.
  uint64_t config_hash = 0;
  std::vector<std::pair<std::string, uint64_t>> maglev_hashes;
};

class Reloader {
 public:
  Reloader(Generations& generations, Config running);

  // Any thread, async-signal-safe: asks the control loop for a reload. Requests made before
  // the loop gets to them fold into one.
  void request() noexcept { requested_.store(true, std::memory_order_release); }
  bool take_request() noexcept { return requested_.exchange(false, std::memory_order_acq_rel); }

  // Control core: reloads the running config's file.
  ReloadOutcome reload();
  // Control core: how a validated config is published (default: Generations::publish).
  // Returns the generation, or 0 with `error` set.
  using Publish = std::function<uint64_t(const Config& next, std::string& error)>;
  void publish_with(Publish publish) { publish_ = std::move(publish); }

  const Config& running() const noexcept { return running_; }  // control core only
  uint64_t succeeded() const noexcept { return succeeded_.load(std::memory_order_relaxed); }
  uint64_t failed() const noexcept { return failed_.load(std::memory_order_relaxed); }
  uint64_t last_reload_ns() const noexcept { return last_ns_.load(std::memory_order_relaxed); }

 private:
  Generations& generations_;
  Config running_;
  Publish publish_;
  std::atomic<bool> requested_{false};
  std::atomic<uint64_t> succeeded_{0}, failed_{0}, last_ns_{0};
};

// Settings a running dataplane cannot take without a restart (sizes of per-worker state,
// ports, workers, endpoints), as config errors naming where the new config changes them.
std::vector<ConfigError> restart_only_changes(const Config& running, const Config& next);

}  // namespace gauntlet
