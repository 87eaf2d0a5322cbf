// The web view's page and data (README.md, "Web view"): a read-only picture of the layers,
// the latest stopped packets and the services. The page is one self-contained HTML file
// (no external links); live, it polls `api/view`; a replay writes it with the data inline.
// Control core only.
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/control/flow_query.h"
#include "dataplane/control/reload.h"
#include "dataplane/control/tables.h"

namespace gauntlet {

// The latest stopped packets, as trace JSON lines (with their decision chains), bounded.
// The control core adds; the web server's threads read copies.
class RecentStops {
 public:
  static constexpr size_t kKept = 200;
  void add(std::string trace_line);
  std::deque<std::string> lines() const;

 private:
  mutable std::mutex lock_;
  std::deque<std::string> lines_;
};

// Each backend's part of its service's Maglev table (what share of new flows it gets).
std::vector<double> maglev_shares(const CompiledService& s);
std::vector<ServiceView> service_views(const Tables& t);

// Per service: {"name","vip","ports","backends":[{"address","port","weight","share",
// "health" (when checked),"flows" (when known)}]}. `flows` (may be null): DNAT flows per
// backend, indexed service << 16 | backend.
std::string services_json(const std::vector<ServiceView>& services,
                          const std::vector<BackendFlows>* flows = nullptr);

// The data the page shows: {"mode":"live"|"replay","summary":..,"stopped":[..],"services":..}.
std::string view_json(std::string_view mode, const std::string& summary_json,
                      const RecentStops& stops, const std::string& services_json);

// The page; with `snapshot_json` (view_json's output) inline for a static report, or
// polling api/view when it is empty.
std::string web_page(std::string_view snapshot_json);

}  // namespace gauntlet
