// Prometheus: GET /metrics on the configured address (metrics: {listen: ADDRESS:PORT}),
// served by cpp-httplib on its own two threads, in the text exposition format (HELP and TYPE
// for every family). Like telemetry, a scrape reads counters and the published generation
// and asks the workers for per-backend flow counts; it never blocks forwarding.
#pragma once

#include <memory>
#include <string>

#include "dataplane/control/operations.h"

namespace gauntlet {

// The exposition text for one scrape. Any thread.
std::string metrics_text(const Operations& ops);
// The web view's data (control/web_view.h), live. Any thread.
std::string web_view_json(const Operations& ops);

class MetricsServer {
 public:
  MetricsServer();
  // Control core: binds the address (false and `error` when it cannot), then serves on
  // threads of its own until destroyed. `ops` must outlive the server.
  bool start(const MetricsConfig& cfg, const Operations& ops, std::string& error);
  ~MetricsServer();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gauntlet
