#include "dataplane/control/metrics.h"

#include <chrono>
#include <fmt/format.h>
#include <httplib.h>
#include <thread>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "dataplane/control/admin_health.h"
#include "dataplane/control/readiness.h"
#include "dataplane/control/report.h"
#include "dataplane/control/web_view.h"

namespace gauntlet {

namespace {

void family(std::string& s, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(s), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

// Label values: rule ids, service names and addresses need no escaping, but a backslash,
// quote or newline would break the line, so they are escaped as the format says.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// POST /api/backends/<service>/<backend> {"state":"down"|"up"|"auto"}: sets the backend's
// admin health and waits (up to 5 s) for the control loop to publish it.
void admin_request(const Operations& ops, const httplib::Request& req, httplib::Response& res) {
  const std::string service = req.matches[1], backend = req.matches[2];
  const auto view = ops.generations->view();
  bool known = false;
  for (const ServiceView& s : view->services)
    if (s.name == service)
      for (const BackendConfig& b : s.backends) known = known || backend_name(b) == backend;
  if (!known) {
    res.status = 404;
    res.set_content(R"x({"error":"no such service and backend (backend as address:port)"})x",
                    "application/json");
    return;
  }
  const std::string& body = req.body;
  const size_t key = body.find("\"state\"");
  const size_t colon = key == std::string::npos ? key : body.find(':', key);
  const size_t open = colon == std::string::npos ? colon : body.find('"', colon);
  const size_t close = open == std::string::npos ? open : body.find('"', open + 1);
  const std::string word =
      close == std::string::npos ? "" : body.substr(open + 1, close - open - 1);
  if (word != "down" && word != "up" && word != "auto") {
    res.status = 400;
    res.set_content(R"x({"error":"the body must be {\"state\":\"down\"|\"up\"|\"auto\"}"})x",
                    "application/json");
    return;
  }
  const AdminState state = word == "down" ? AdminState::down
                           : word == "up" ? AdminState::up
                                          : AdminState::automatic;
  const uint64_t ticket = ops.admin->set(service, backend, state);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (ops.admin->applied() < ticket && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const bool applied = ops.admin->applied() >= ticket;
  const auto now = ops.generations->view();
  uint64_t hash = 0;
  for (const ServiceView& s : now->services)
    if (s.name == service) hash = s.maglev_hash;
  res.status = applied ? 200 : 503;
  res.set_content(
      fmt::format(R"({{"service":"{}","backend":"{}","state":"{}","applied":{},)"
                  R"("generation":{},"maglev_hash":"{}"}})",
                  label(service), label(backend), word, applied, now->generation, hash_hex(hash)),
      "application/json");
}

// The packet pool and what ran short of it: live runs only (ops.dataplane names the pool).
void pool_metrics(std::string& s, const Operations& ops) {
  const DataplaneStatus* d = ops.dataplane;
  if (!d || !d->pool) return;
  auto out = std::back_inserter(s);
  family(s, "gauntlet_mbufs", "gauge", "Packet buffers in the pool (the config's mbufs).");
  fmt::format_to(out, "gauntlet_mbufs {}\n", d->pool->size);
  family(s, "gauntlet_mbufs_in_use", "gauge",
         "Packet buffers taken from the pool (held fragments, packets in flight).");
  fmt::format_to(out, "gauntlet_mbufs_in_use {}\n", rte_mempool_in_use_count(d->pool));
  family(s, "gauntlet_port_rx_nombuf_total", "counter",
         "Frames a port could not receive because the pool was empty (rte_eth_stats).");
  for (uint8_t p = 0; p < kPortCount; ++p) {
    rte_eth_stats st{};
    if (rte_eth_stats_get(d->port_ids[p], &st) != 0) continue;
    fmt::format_to(out, "gauntlet_port_rx_nombuf_total{{port=\"{}\"}} {}\n", port_role_name(p),
                   st.rx_nombuf);
  }
  uint64_t alloc_failed = 0, held = 0;
  for (const Worker* w : ops.workers) {
    alloc_failed += w->counters.mbuf_alloc_failed.get();
    held += w->counters.fragments_held.get();
  }
  family(s, "gauntlet_alloc_failures_total", "counter",
         "Packets a worker meant to originate but could not allocate, by reason.");
  fmt::format_to(out, "gauntlet_alloc_failures_total{{reason=\"{}\"}} {}\n", kMbufExhausted,
                 alloc_failed);
  family(s, "gauntlet_fragments_held", "gauge",
         "Fragments (and their mbufs) held for their first fragment, all workers.");
  fmt::format_to(out, "gauntlet_fragments_held {}\n", held);
}

}  // namespace

std::string web_view_json(const Operations& ops) {
  const FlowAnswer flows = ops.flows->ask(nullptr, 0, 0, 1000);
  static const RecentStops none;
  return view_json("live", summary_json(ops.generations->totals(true)),
                   ops.stops ? *ops.stops : none,
                   services_json(ops.generations->view()->services, &flows.backends));
}

std::string metrics_text(const Operations& ops) {
  const FlowAnswer flows = ops.flows->ask(nullptr, 0, 0, 1000);
  const Totals t = ops.generations->totals(true);
  std::string s;
  auto out = std::back_inserter(s);
  family(s, "gauntlet_layer_packets_total", "counter",
         "Packets each layer decided, by direction, layer and outcome.");
  for (size_t d = 0; d < kDirections; ++d)
    for (size_t l = 0; l < kLayers; ++l) {
      if (!(kLayerDirections[l] & (1u << d))) continue;
      for (size_t o = 0; o < kOutcomes; ++o)
        fmt::format_to(
            out,
            "gauntlet_layer_packets_total{{direction=\"{}\",layer=\"{}\",outcome=\"{}\"}} {}\n",
            kDirectionNames[d], kLayerNames[l], kOutcomeNames[o], t.outcomes[d][l][o]);
    }
  family(s, "gauntlet_reason_packets_total", "counter",
         "Packets by the reason of a layer's decision (passes included), by direction.");
  for (size_t d = 0; d < kDirections; ++d)
    for (size_t r = 1; r < kReasons; ++r)
      if (t.reasons[d][r] > 0)
        fmt::format_to(
            out,
            "gauntlet_reason_packets_total{{direction=\"{}\",layer=\"{}\",reason=\"{}\"}} {}\n",
            kDirectionNames[d], kLayerNames[static_cast<size_t>(kReasonLayers[r])], kReasonNames[r],
            t.reasons[d][r]);
  family(s, "gauntlet_port_packets_total", "counter",
         "Packets received, sent, and refused by the device (queue full), per port.");
  for (uint8_t p = 0; p < kPortCount; ++p) {
    fmt::format_to(out, "gauntlet_port_packets_total{{port=\"{}\",direction=\"rx\"}} {}\n",
                   port_role_name(p), t.rx[p]);
    fmt::format_to(out, "gauntlet_port_packets_total{{port=\"{}\",direction=\"tx\"}} {}\n",
                   port_role_name(p), t.tx[p]);
    fmt::format_to(out, "gauntlet_port_packets_total{{port=\"{}\",direction=\"tx_refused\"}} {}\n",
                   port_role_name(p), t.tx_dropped[p]);
  }
  family(s, "gauntlet_rule_hits_total", "counter",
         "Flows each rule judged (default: the list's default), counted since the generation "
         "that brought in the current rule list.");
  for (size_t list = 0; list < 2; ++list)
    for (const auto& [id, hits] : t.rule_hits[list])
      fmt::format_to(out,
                     "gauntlet_rule_hits_total{{list=\"{}\",rule=\"{}\",generation=\"{}\"}} {}\n",
                     list == 0 ? "firewall" : "allowlist", label(id), t.generation, hits);
  {
    const auto view = ops.generations->view();
    const GenerationView& tables = *view;
    family(s, "gauntlet_backend_flows", "gauge",
           "Active load-balanced flows per service backend (read from the workers' flow tables).");
    family(s, "gauntlet_backend_weight", "gauge", "Configured Maglev weight per service backend.");
    family(s, "gauntlet_backend_up", "gauge",
           "Health-checked backends: 1 up, 0 taken out by its checks.");
    for (size_t i = 0; i < tables.services.size(); ++i) {
      const ServiceView& svc = tables.services[i];
      for (size_t b = 0; b < svc.backends.size(); ++b) {
        const uint64_t n = flows_to_backend(flows.backends, i, svc.backends[b]);
        const std::string labels = fmt::format("service=\"{}\",backend=\"{}\"", label(svc.name),
                                               label(backend_name(svc.backends[b])));
        fmt::format_to(out, "gauntlet_backend_flows{{{}}} {}\n", labels, n);
        fmt::format_to(out, "gauntlet_backend_weight{{{}}} {}\n", labels, svc.backends[b].weight);
        if (b < svc.down.size())
          fmt::format_to(out, "gauntlet_backend_up{{{}}} {}\n", labels, svc.down[b] ? 0 : 1);
      }
    }
    family(s, "gauntlet_nat_ports_capacity", "gauge", "SNAT ports per protocol (all workers).");
    static constexpr const char* kNames[kNatProtocols] = {"tcp", "udp", "icmp"};
    const uint64_t capacity =
        tables.snat.enabled ? uint64_t{tables.snat.port_hi} - tables.snat.port_lo + 1 : 0;
    for (const char* p : kNames)
      fmt::format_to(out, "gauntlet_nat_ports_capacity{{protocol=\"{}\"}} {}\n", p, capacity);
    family(s, "gauntlet_nat_ports_in_use", "gauge", "SNAT ports held by flows, per protocol.");
    for (size_t p = 0; p < kNatProtocols; ++p)
      fmt::format_to(out, "gauntlet_nat_ports_in_use{{protocol=\"{}\"}} {}\n", kNames[p],
                     t.nat_ports_in_use[p]);
  }
  if (!t.workers.empty()) {
    family(s, "gauntlet_worker_packets_total", "counter",
           "Packets each worker's pipeline ran (those handed over to it included).");
    for (size_t w = 0; w < t.workers.size(); ++w)
      fmt::format_to(out, "gauntlet_worker_packets_total{{worker=\"{}\"}} {}\n", w,
                     t.workers[w].packets);
    family(s, "gauntlet_worker_handoffs_total", "counter",
           "Packets a worker received but another owns, handed over (sent), and packets handed "
           "to it (received).");
    for (size_t w = 0; w < t.workers.size(); ++w) {
      fmt::format_to(out, "gauntlet_worker_handoffs_total{{worker=\"{}\",direction=\"sent\"}} {}\n",
                     w, t.workers[w].handoff_sent);
      fmt::format_to(out,
                     "gauntlet_worker_handoffs_total{{worker=\"{}\",direction=\"received\"}} {}\n",
                     w, t.workers[w].handoff_received);
    }
  }
  family(s, "gauntlet_conntrack_flows", "gauge", "Flows in the conntrack tables (all workers).");
  fmt::format_to(out, "gauntlet_conntrack_flows {}\n", t.flows_active);
  family(s, "gauntlet_conntrack_capacity", "gauge", "Flow table capacity (all workers).");
  fmt::format_to(out, "gauntlet_conntrack_capacity {}\n", t.flow_capacity);
  family(s, "gauntlet_conntrack_flows_created_total", "counter", "Flows created.");
  fmt::format_to(out, "gauntlet_conntrack_flows_created_total {}\n", t.flows_created);
  family(s, "gauntlet_conntrack_flows_expired_total", "counter", "Flows expired.");
  fmt::format_to(out, "gauntlet_conntrack_flows_expired_total {}\n", t.flows_expired);
  family(s, "gauntlet_generation", "gauge", "The config generation forwarding now.");
  fmt::format_to(out, "gauntlet_generation {}\n", t.generation);
  family(s, "gauntlet_reloads_total", "counter", "Reloads, by result.");
  fmt::format_to(out, "gauntlet_reloads_total{{result=\"ok\"}} {}\n", ops.reloader->succeeded());
  fmt::format_to(out, "gauntlet_reloads_total{{result=\"failed\"}} {}\n", ops.reloader->failed());
  family(s, "gauntlet_reload_last_timestamp_seconds", "gauge",
         "When the last reload finished (0: none yet).");
  fmt::format_to(out, "gauntlet_reload_last_timestamp_seconds {:.3f}\n",
                 double(ops.reloader->last_reload_ns()) / 1e9);
  family(s, "gauntlet_events_total", "counter",
         "Event log lines: written, suppressed by the rate limit, lost to write errors.");
  fmt::format_to(out, "gauntlet_events_total{{outcome=\"written\"}} {}\n", ops.events->written());
  fmt::format_to(out, "gauntlet_events_total{{outcome=\"suppressed\"}} {}\n",
                 ops.events->suppressed());
  fmt::format_to(out, "gauntlet_events_total{{outcome=\"lost\"}} {}\n", ops.events->lost());
  family(s, "gauntlet_event_log_write_errors_total", "counter",
         "Failed opens and writes of the event log.");
  fmt::format_to(out, "gauntlet_event_log_write_errors_total {}\n", ops.events->write_errors());
  family(s, "gauntlet_records_lost_total", "counter",
         "Trace and event records a worker could not hand to the control core (ring full).");
  fmt::format_to(out, "gauntlet_records_lost_total {}\n", t.records_lost);
  family(s, "gauntlet_flow_query_complete", "gauge",
         "1 when every worker answered this scrape's flow count in time.");
  fmt::format_to(out, "gauntlet_flow_query_complete {}\n", flows.complete ? 1 : 0);
  pool_metrics(s, ops);
  s += readiness_metrics(ops, rte_rdtsc());
  return s;
}

struct MetricsServer::Impl {
  httplib::Server server;
  std::thread thread;
};

MetricsServer::MetricsServer() = default;

bool MetricsServer::start(const MetricsConfig& cfg, const Operations& ops, std::string& error) {
  auto impl = std::make_unique<Impl>();
  // Two threads are plenty for scrapes; the library's default would take one per CPU.
  impl->server.new_task_queue = [] { return new httplib::ThreadPool(2); };
  impl->server.Get("/metrics", [&ops](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_text(ops), "text/plain; version=0.0.4; charset=utf-8");
  });
  // The web view (read-only): the page, and the data it polls.
  impl->server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(web_page(""), "text/html; charset=utf-8");
  });
  impl->server.Get("/api/view", [&ops](const httplib::Request&, httplib::Response& res) {
    res.set_content(web_view_json(ops), "application/json");
  });
  // Readiness per VIP for route announcers (control/readiness.h): never waits on the workers.
  impl->server.Get("/api/vips", [&ops](const httplib::Request&, httplib::Response& res) {
    res.set_content(vips_json(ops, rte_rdtsc()), "application/json");
  });
  if (ops.admin)
    impl->server.Post(R"(/api/backends/([^/]+)/([^/]+))",
                      [&ops](const httplib::Request& req, httplib::Response& res) {
                        admin_request(ops, req, res);
                      });
  impl->server.set_read_timeout(5, 0);
  impl->server.set_write_timeout(5, 0);
  if (!impl->server.bind_to_port(cfg.host, cfg.port)) {
    error = fmt::format("metrics: cannot listen on {}:{}: {}", cfg.host, cfg.port,
                        std::strerror(errno));
    return false;
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->server.listen_after_bind(); });
  impl_ = std::move(impl);
  return true;
}

MetricsServer::~MetricsServer() {
  if (!impl_) return;
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace gauntlet
