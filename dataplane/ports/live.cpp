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

namespace gauntlet {

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true, std::memory_order_relaxed); }

std::string device_name(const std::string& device) { return device.substr(0, device.find(',')); }

struct Shared {
  Published* published;
  FlowQueries* flow_queries;  // telemetry and metrics ask the workers about their flows
  uint16_t port_ids[kPortCount];
  uint64_t realtime_base_ns;  // wall clock at tsc_base
  uint64_t tsc_base;
  uint64_t tsc_hz;
  HealthDriver* health = nullptr;       // checks and drain deadlines (idle without any)
  RecentStops* stops = nullptr;         // the web view's latest stopped packets
  DropCapture* drop_capture = nullptr;  // null: no drop capture
  // Link state as last seen by the control core (watch_links), and when to look again.
  bool link_up[kPortCount] = {true, true};
  uint64_t next_link_check_tsc = 0;
  DataplaneStatus* status = nullptr;  // readiness (GET /api/vips): links and start/stop
};

// The dataplane clock: wall time at start plus TSC time since.
uint64_t dataplane_now(const Shared& s) noexcept {
  // Whole seconds and the rest apart: the TSC delta times 1e9 passes 2^64 after 2^64 / 1e9
  // cycles (about 9 s at 2 GHz), and the clock would jump back.
  const uint64_t delta = rte_rdtsc() - s.tsc_base;
  return s.realtime_base_ns + delta / s.tsc_hz * 1000000000u +
         delta % s.tsc_hz * 1000000000u / s.tsc_hz;
}

// Control core, about once a second: a port whose link went down (a cable pulled, a vhost
// peer gone) or came back is reported on stderr and as an event naming the port.
void watch_links(Shared& s, FILE* events) {
  const uint64_t now = rte_rdtsc();
  if (now < s.next_link_check_tsc) return;
  s.next_link_check_tsc = now + s.tsc_hz;
  for (uint8_t p = 0; p < kPortCount; ++p) {
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(s.port_ids[p], &link) != 0) continue;
    const bool up = link.link_status == RTE_ETH_LINK_UP;
    if (up == s.link_up[p]) continue;
    s.link_up[p] = up;
    if (s.status) s.status->link_up[p].store(up, std::memory_order_relaxed);
    fmt::print(stderr, "gauntlet: port {}: link {}\n", port_role_name(p), up ? "up" : "down");
    if (events)
      fmt::print(events,
                 "{{\"event\":\"link\",\"time\":\"{}\",\"port\":\"{}\",\"state\":\"{}\"}}\n",
                 format_time(dataplane_now(s)), port_role_name(p), up ? "up" : "down");
  }
}

struct WorkerArgs {
  Worker* worker;
  Shared* shared;
  bool control_duties;  // the only worker runs on the main lcore: drain records here too
  std::vector<Worker*>* all;
  FILE* trace;
  FILE* events;
  ControlLoop* control;  // reload, views, event log (control_duties: run here too)
};

void flush_tx(Worker& w, const Shared& s) noexcept {
  for (uint8_t p = 0; p < kPortCount; ++p) {
    const uint16_t n = w.tx_count[p];
    if (n == 0) continue;
    const uint16_t sent = rte_eth_tx_burst(s.port_ids[p], w.queue, w.tx[p], n);
    if (sent < n) rte_pktmbuf_free_bulk(w.tx[p] + sent, n - sent);
    w.counters.tx[p].add(sent);
    w.counters.tx_dropped[p].add(n - sent);
    w.tx_count[p] = 0;
  }
}

void count_io(StageCounters& c, uint64_t start, uint16_t packets) noexcept {
  c.cycles.add(rte_rdtsc() - start);
  c.packets.add(packets);
}

int worker_loop(void* arg) {
  auto& a = *static_cast<WorkerArgs*>(arg);
  Worker& w = *a.worker;
  Shared& s = *a.shared;
  Burst burst;
  uint64_t sequence = 0;
  unsigned idle = 0;
  s.published->online(w.id);
  while (!g_stop.load(std::memory_order_relaxed)) {
    s.published->quiescent(w.id);
    w.tables = s.published->current();
    apply_neighbour_updates(w);
    serve_flow_query(s.flow_queries->of(w.id), w.flows, w.id);
    flush_tx(w, s);  // health probes it was asked to send
    const uint64_t now = dataplane_now(s);
    for (uint8_t p = 0; p < kPortCount; ++p) {
      // --stage-cycles: the driver's part of a burst, counted as testpmd's
      // --record-core-cycles counts (polls that brought packets): RX, then TX.
      const uint64_t rx_start = w.stage_cycles ? rte_rdtsc() : 0;
      burst.count = rte_eth_rx_burst(s.port_ids[p], w.queue, burst.mbufs, kBurstSize);
      if (burst.count == 0) continue;
      for (uint16_t i = 0; i < burst.count; ++i) {
        PacketContext& c = burst.ctx[i];
        c.in_port = p;
        c.direction = p == 0 ? Direction::ingress : Direction::egress;
        c.time_ns = now;
        c.sequence = ++sequence;
      }
      if (w.stage_cycles) count_io(w.counters.io_rx, rx_start, burst.count);
      // Several workers: packets another worker owns go to it (pipeline/handoff.h).
      if (w.handoff) steer_burst(w, burst, *w.handoff);
      if (burst.count == 0) continue;
      run_pipeline(w, burst);
      const uint64_t tx_start = w.stage_cycles ? rte_rdtsc() : 0;
      flush_tx(w, s);
      if (w.stage_cycles) count_io(w.counters.io_tx, tx_start, burst.count);
    }
    // What the other workers handed over: a burst per loop at most, so their rings drain
    // at the pace of this worker's own RX.
    if (w.handoff && collect_handed(w, burst, *w.handoff) > 0) {
      run_pipeline(w, burst);
      flush_tx(w, s);
    }
    if (++idle % 256 == 0) {
      // Occupancy for readers on other threads (telemetry, metrics), who never read the
      // worker's own tables.
      w.counters.flows_in_use.set(w.flows.size());
      w.counters.heartbeat_tsc.set(rte_rdtsc());  // readiness: this worker polls
      for (size_t p = 0; p < kNatProtocols; ++p)
        w.counters.nat_ports_in_use[p].set(w.nat.ports_in_use(static_cast<NatProtocol>(p)));
    }
    if (a.control_duties && idle % 1024 == 0) {
      drain_records(*a.all, a.trace, a.events, *w.tables, {}, &s.health->monitor(), kRecordRingSize,
                    s.stops);
      if (s.drop_capture) s.drop_capture->drain();
      watch_links(s, a.events);
      // A reload publishes and waits for every online reader: this one steps aside meanwhile.
      s.published->offline(w.id);
      a.control->tick();
      s.published->online(w.id);
      if (s.health->active()) {
        // Publishing waits for every online reader: this one steps aside meanwhile.
        s.published->offline(w.id);
        s.health->step(dataplane_now(s), *a.all, a.events);
        s.published->online(w.id);
        w.tables = s.published->current();
      }
    }
  }
  s.published->offline(w.id);
  return 0;
}

bool start_port(uint16_t id, uint8_t role, const Config& cfg, rte_mempool* pool, uint16_t queues) {
  const PortConfig& pc = cfg.ports[role];
  rte_eth_dev_info info{};
  if (rte_eth_dev_info_get(id, &info) != 0) return false;
  if (queues > info.max_rx_queues || queues > info.max_tx_queues) {
    fmt::print(
        stderr,
        "gauntlet: port {} ({}): the device has {} rx / {} tx queues, workers: {} needs {}\n",
        port_role_name(role), pc.device, info.max_rx_queues, info.max_tx_queues, queues, queues);
    return false;
  }
  rte_eth_conf conf{};
  // A Toeplitz key of repeated 0x6d5a hashes (a, b) and (b, a) alike: both directions of
  // a flow reach the same queue, so the same worker owns its conntrack entry.
  static uint8_t symmetric_key[64];
  for (size_t i = 0; i < sizeof symmetric_key; ++i) symmetric_key[i] = i % 2 ? 0x5a : 0x6d;
  if (queues > 1) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_key = symmetric_key;
    conf.rx_adv_conf.rss_conf.rss_key_len = static_cast<uint8_t>(
        info.hash_key_size ? std::min<size_t>(info.hash_key_size, sizeof symmetric_key) : 40);
    conf.rx_adv_conf.rss_conf.rss_hf =
        (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
  }
  int rc = rte_eth_dev_configure(id, queues, queues, &conf);
  uint16_t rxd = pc.rx_descriptors, txd = pc.tx_descriptors;
  if (rc == 0) rc = rte_eth_dev_adjust_nb_rx_tx_desc(id, &rxd, &txd);
  for (uint16_t q = 0; rc == 0 && q < queues; ++q) {
    rc = rte_eth_rx_queue_setup(id, q, rxd, rte_eth_dev_socket_id(id), nullptr, pool);
    if (rc == 0) rc = rte_eth_tx_queue_setup(id, q, txd, rte_eth_dev_socket_id(id), nullptr);
  }
  if (rc == 0) rc = rte_eth_dev_start(id);
  if (rc != 0) {
    fmt::print(stderr, "gauntlet: port {} ({}): cannot start: {}\n", port_role_name(role),
               pc.device, rte_strerror(-rc));
    return false;
  }
  rte_eth_promiscuous_enable(id);  // not every PMD has it; a failure is harmless
  return true;
}

void print_link(uint16_t id, uint8_t role) {
  rte_eth_link link{};
  rte_eth_link_get_nowait(id, &link);
  char text[RTE_ETH_LINK_MAX_STR_LEN];
  rte_eth_link_to_str(text, sizeof text, &link);
  fmt::print(stderr, "gauntlet: port {}: {}\n", port_role_name(role), text);
}

}  // namespace

std::vector<std::string> device_eal_args(const Config& cfg) {
  std::vector<std::string> args;
  for (uint8_t p = 0; p < kPortCount; ++p) {
    const std::string& d = cfg.ports[p].device;
    if (d.empty()) continue;
    const std::string name = device_name(d);
    const bool pci = name.find(':') != std::string::npos && name.find('_') == std::string::npos;
    args.push_back(pci ? "-a" : "--vdev");
    args.push_back(d);
  }
  return args;
}

int run_live(const Config& cfg, const LiveOptions& options) {
  Shared shared{};
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
  rte_mempool* pool = rte_pktmbuf_pool_create("live_pool", cfg.mbufs, 256, 0,
                                              RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
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
  std::vector<WorkerArgs> args(worker_count);
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
    args[i] = {all[i], &shared, lcores.empty(), &all, trace.get(), events_out, &control};
  for (uint8_t p = 0; p < kPortCount; ++p) {
    print_link(shared.port_ids[p], p);
    rte_eth_link link{};
    rte_eth_link_get_nowait(shared.port_ids[p], &link);
    shared.link_up[p] = link.link_status == RTE_ETH_LINK_UP;
    status.link_up[p].store(shared.link_up[p], std::memory_order_relaxed);
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
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
      std::signal(SIGALRM, on_signal);
      alarm(static_cast<unsigned>(options.duration_s + 0.999));
    }
    worker_loop(&args[0]);
  } else {
    for (unsigned i = 0; i < worker_count; ++i)
      rte_eal_remote_launch(worker_loop, &args[i], lcores[i]);
    while (!g_stop.load(std::memory_order_relaxed)) {
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
      if (deadline && now > deadline) g_stop.store(true);
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
