// Live mode (live.h): attaches and starts the ports, builds the workers and the control core's
// services, runs the loops until stopped, then prints the summary.
#include "dataplane/ports/live.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fmt/format.h>
#include <memory>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "dataplane/control/admin_health.h"
#include "dataplane/control/control_loop.h"
#include "dataplane/control/metrics.h"
#include "dataplane/control/report.h"
#include "dataplane/control/telemetry.h"
#include "dataplane/control/web_view.h"
#include "dataplane/lb/health_driver.h"
#include "dataplane/pipeline/generation.h"
#include "dataplane/pipeline/handoff.h"
#include "dataplane/pipeline/stages.h"
#include "dataplane/ports/live_shared.h"

namespace gauntlet {

int run_live(const Config& cfg, const LiveOptions& options) {
  LiveShared shared{};
  MacAddress macs[kPortCount];
  for (uint8_t p = 0; p < kPortCount; ++p) {
    const std::string name = device_name(cfg.ports[p].device);
    if (cfg.ports[p].device.empty() ||
        rte_eth_dev_get_port_by_name(name.c_str(), &shared.port_ids[p]) != 0) {
      fmt::print(stderr,
                 "{}:{}:{}: error: port {}: device '{}' could not be attached (see the "
                 "driver's message above)\n",
                 cfg.ports[p].mark.file, cfg.ports[p].mark.line, cfg.ports[p].mark.column,
                 port_role_name(p), cfg.ports[p].device);
      return 1;
    }
    rte_ether_addr mac{};
    rte_eth_macaddr_get(shared.port_ids[p], &mac);
    std::memcpy(macs[p].bytes.data(), mac.addr_bytes, 6);
  }
  // Worker lcores: every EAL lcore but the main one; none means one worker on the main lcore.
  std::vector<unsigned> lcores;
  unsigned lcore;
  RTE_LCORE_FOREACH_WORKER(lcore) lcores.push_back(lcore);
  const unsigned worker_count =
      lcores.empty() ? 1 : std::min<unsigned>(cfg.workers, static_cast<unsigned>(lcores.size()));
  rte_mempool* pool = create_packet_pool("live_pool", cfg.mbufs);
  if (!pool) {
    fmt::print(stderr, "gauntlet: cannot create the packet pool ({} mbufs): {}\n", cfg.mbufs,
               rte_strerror(rte_errno));
    return 1;
  }
  for (uint8_t p = 0; p < kPortCount; ++p)
    if (!start_port(shared.port_ids[p], p, cfg, pool, static_cast<uint16_t>(worker_count)))
      return 1;
  std::string error;
  auto tables = build_tables(cfg, 1, macs, error);
  if (!tables) {
    fmt::print(stderr, "gauntlet: {}: {}\n", cfg.path, error);
    return 2;
  }
  Published published(worker_count);
  published.publish(std::move(tables));
  shared.published = &published;
  // Always there: a reload may bring health checks or drain deadlines into a run without them.
  HealthDriver health(cfg, published, macs);
  shared.health = &health;
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  shared.realtime_base_ns = uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
  shared.tsc_base = rte_rdtsc();
  shared.tsc_hz = rte_get_tsc_hz();

  std::unique_ptr<FILE, int (*)(FILE*)> trace(
      options.trace_path.empty() ? nullptr : fopen(options.trace_path.c_str(), "w"), fclose);
  EventLog events(options.events_path, cfg.events);  // appends; reopened on SIGHUP
  FILE* events_out = events.stream();
  std::unique_ptr<DropCapture> drop_capture;
  if (!options.drop_capture.path.empty()) {
    drop_capture = DropCapture::open(options.drop_capture, error);
    if (!drop_capture) {
      fmt::print(stderr, "gauntlet: {}\n", error);
      return 1;
    }
    shared.drop_capture = drop_capture.get();
  }
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<Worker*> all;
  // Several workers: the NIC's hash (symmetric where the device takes our key) may still
  // put a flow's two directions, or a DNAT'd or SNAT'd flow's reply, on different queues.
  std::unique_ptr<HandoffMesh> handoff;
  if (worker_count > 1) handoff = std::make_unique<HandoffMesh>(worker_count);
  std::vector<LiveWorkerArgs> args(worker_count);
  for (unsigned i = 0; i < worker_count; ++i) {
    workers.push_back(std::make_unique<Worker>(static_cast<uint8_t>(i), cfg, worker_count));
    workers.back()->queue = static_cast<uint16_t>(i);
    workers.back()->pool = pool;
    workers.back()->handoff = handoff.get();
    workers.back()->trace = trace != nullptr;
    workers.back()->stage_cycles = options.stage_cycles;
    if (drop_capture) drop_capture->attach(*workers.back());
    workers.back()->tables = published.current();
    seed_neighbours(*workers.back(), *published.current());
    all.push_back(workers.back().get());
  }
  Generations generations(published, macs, all);
  AdminHealth admin;  // POST /api/backends/...: published by the control loop
  generations.use_admin_health(&admin);
  Reloader reloader(generations, cfg);
  connect_reloads(health, generations, reloader, [&shared] { return dataplane_now(shared); });
  FlowQueries flow_queries(worker_count);
  shared.flow_queries = &flow_queries;
  RecentStops stops;
  shared.stops = &stops;
  DataplaneStatus status;
  status.tsc_hz = shared.tsc_hz;
  status.pool = pool;
  for (uint8_t p = 0; p < kPortCount; ++p) status.port_ids[p] = shared.port_ids[p];
  shared.status = &status;
  Operations ops{all,           &generations, &reloader, &events, &flow_queries,
                 realtime_ns(), &stops,       &status,   &admin};
  ControlLoop control(ops);
  MetricsServer metrics;
  if (cfg.metrics.enabled) {
    if (!metrics.start(cfg.metrics, ops, error)) {
      fmt::print(stderr, "{}:{}:{}: error: {}\n", cfg.metrics.mark.file, cfg.metrics.mark.line,
                 cfg.metrics.mark.column, error);
      return 1;
    }
    fmt::print(stderr, "gauntlet: metrics on http://{}:{}/metrics\n", cfg.metrics.host,
               cfg.metrics.port);
  }
  attach_telemetry(&ops);
  for (unsigned i = 0; i < worker_count; ++i)
    args[i] = {all[i], &shared, lcores.empty(), &all, trace.get(), events_out, &control, cfg.poll};
  for (uint8_t p = 0; p < kPortCount; ++p) {
    print_link(shared.port_ids[p], p);
    rte_eth_link link{};
    rte_eth_link_get_nowait(shared.port_ids[p], &link);
    shared.link_up[p] = link.link_status == RTE_ETH_LINK_UP;
    status.link_up[p].store(shared.link_up[p], std::memory_order_relaxed);
  }
  std::signal(SIGINT, stop_on_signal);
  std::signal(SIGTERM, stop_on_signal);
  std::signal(SIGHUP, ControlLoop::on_hangup);  // reload, and reopen the event log
  // A vhost-user peer that goes away must not kill the dataplane: its socket's writes fail
  // (EPIPE) and the port reports link down instead.
  std::signal(SIGPIPE, SIG_IGN);
  const uint64_t deadline = options.duration_s > 0
                                ? rte_rdtsc() + uint64_t(options.duration_s * double(shared.tsc_hz))
                                : 0;
  fmt::print(stderr, "gauntlet: running {} worker(s); Ctrl-C stops\n", worker_count);
  status.started.store(true, std::memory_order_release);  // ready once the workers beat
  const uint64_t started = rte_rdtsc();
  CounterSnapshot window_start = snapshot_counters(all, started);
  double warmup_s = 0;  // taken on the control core; with one worker on the main lcore, none
  if (lcores.empty()) {
    if (deadline) {
      // Alone on the main lcore: nothing else can stop the loop at the deadline, so an
      // alarm does.
      std::signal(SIGALRM, stop_on_signal);
      alarm(static_cast<unsigned>(options.duration_s + 0.999));
    }
    live_worker_loop(&args[0]);
  } else {
    for (unsigned i = 0; i < worker_count; ++i)
      rte_eal_remote_launch(live_worker_loop, &args[i], lcores[i]);
    while (!stop_requested()) {
      if (drain_records(all, trace.get(), events_out, *published.current(), {}, &health.monitor(),
                        kRecordRingSize, &stops) == 0)
        rte_delay_us_sleep(1000);
      if (drop_capture) drop_capture->drain();
      health.step(dataplane_now(shared), all, events_out);
      watch_links(shared, events_out);
      control.tick();
      const uint64_t now = rte_rdtsc();
      if (options.warmup_s > 0 && warmup_s == 0 &&
          now - started >= uint64_t(options.warmup_s * double(shared.tsc_hz))) {
        window_start = snapshot_counters(all, now);
        warmup_s = double(now - started) / double(shared.tsc_hz);
      }
      if (deadline && now > deadline) request_stop();
    }
  }
  status.started.store(false, std::memory_order_release);
  const uint64_t stopped = rte_rdtsc();
  if (!lcores.empty()) rte_eal_mp_wait_lcore();
  detach_telemetry();
  drain_records(all, trace.get(), events_out, *published.current());
  events.close();
  if (drop_capture) drop_capture->drain();
  // The ports' own allocation failures (rx_nombuf) before they stop; the pool after, once
  // the workers have freed everything they held.
  uint64_t rx_nombuf[kPortCount] = {};
  for (uint8_t p = 0; p < kPortCount; ++p) {
    rte_eth_stats st{};
    if (rte_eth_stats_get(shared.port_ids[p], &st) == 0) rx_nombuf[p] = st.rx_nombuf;
  }
  for (uint8_t p = 0; p < kPortCount; ++p) rte_eth_dev_stop(shared.port_ids[p]);
  Totals totals = sum_counters(all, *published.current());
  totals.resources = resource_totals(all, dataplane_now(shared), pool);
  for (uint8_t p = 0; p < kPortCount; ++p) totals.resources->rx_nombuf[p] = rx_nombuf[p];
  const CounterSnapshot run = snapshot_counters(all, stopped);
  const CounterSnapshot window = run - window_start;
  totals.live = LiveWindow{static_cast<uint32_t>(worker_count), shared.tsc_hz,
                           double(stopped - started) / double(shared.tsc_hz), warmup_s, window};
  if (options.stage_cycles) {
    totals.stages = stage_totals(all, run);
    totals.live_stages = stage_totals(all, window);
  }
  fmt::print("{}", summary_table(totals));
  if (drop_capture) fmt::print("{}", drop_capture->report());
  for (uint8_t p = 0; p < kPortCount; ++p) rte_eth_dev_close(shared.port_ids[p]);
  int rc = 0;
  if (!options.summary_json_path.empty()) {
    std::unique_ptr<FILE, int (*)(FILE*)> json(fopen(options.summary_json_path.c_str(), "w"),
                                               fclose);
    if (json) {
      fmt::print(json.get(), "{}", summary_json(totals));
    } else {
      fmt::print(stderr, "gauntlet: cannot write {}: {}\n", options.summary_json_path,
                 strerror(errno));
      rc = 1;
    }
  }
  return rc;
}

}  // namespace gauntlet
