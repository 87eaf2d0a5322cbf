#include "dataplane/ports/replay.h"

#include <fmt/format.h>
#include <memory>

#include <rte_errno.h>
#include <rte_mbuf.h>

#include "dataplane/control/report.h"
#include "dataplane/control/web_view.h"
#include "dataplane/lb/health_driver.h"
#include "dataplane/pipeline/generation.h"
#include "dataplane/pipeline/handoff.h"
#include "dataplane/pipeline/stages.h"
#include "dataplane/ports/replay_pcap.h"
#include "dataplane/ports/replay_round.h"

namespace gauntlet {

namespace {

// Replay takes jumbo frames whole; live pools use the default 2 KB buffers.
constexpr uint16_t kReplayDataRoom = 9216 + RTE_PKTMBUF_HEADROOM;
constexpr unsigned kReplayMbufs = 4095;

class Replay {
 public:
  Replay(const Config& cfg, const ReplayOptions& o)
      : cfg_(cfg),
        options_(o),
        count_(std::max<uint32_t>(1, o.workers)),
        owned_(make_workers(cfg, count_)),
        worker_(*owned_.front()) {
    for (const auto& w : owned_) workers_.push_back(w.get());
    if (count_ > 1) {
      mesh_ = std::make_unique<HandoffMesh>(count_);
      own_.resize(count_);
    }
  }
  // The pool's name is global in EAL: a second replay in the process (what-if) needs it free.
  ~Replay() { rte_mempool_free(pool_); }

  int run();

 private:
  void process_burst();
  void process_round();
  void flush_tx(Worker& w);
  void health_step(uint64_t now);

  const Config& cfg_;
  const ReplayOptions& options_;
  static std::vector<std::unique_ptr<Worker>> make_workers(const Config& cfg, uint32_t n) {
    std::vector<std::unique_ptr<Worker>> v;
    for (uint32_t i = 0; i < n; ++i)
      v.push_back(std::make_unique<Worker>(static_cast<uint8_t>(i), cfg, n));
    return v;
  }

  const uint32_t count_;  // workers
  std::vector<std::unique_ptr<Worker>> owned_;
  Worker& worker_;  // the only one, or the one that sends health probes
  std::vector<Worker*> workers_;
  std::unique_ptr<HandoffMesh> mesh_;
  Burst burst_;
  std::vector<Burst> own_;  // several workers: what each received and owns, per round
  Burst received_[2];       // a worker's round in input order; what was handed to it
  std::unique_ptr<Published> published_;
  std::unique_ptr<HealthDriver> health_;
  rte_mempool* pool_ = nullptr;
  ReplayOutputs outputs_;
  RecentStops stops_;  // the report page's stopped packets
  std::unique_ptr<DropCapture> drop_capture_;
  uint64_t sequence_ = 0;
  uint64_t oversize_ = 0;
};

void Replay::flush_tx(Worker& w) {
  for (uint8_t p = 0; p < kPortCount; ++p) {
    for (uint16_t i = 0; i < w.tx_count[p]; ++i) {
      outputs_.write(p, w.tx[p][i], w.tx_time[p][i]);
      rte_pktmbuf_free(w.tx[p][i]);
    }
    w.counters.tx[p].add(w.tx_count[p]);
    w.tx_count[p] = 0;
  }
}

// Several workers: each worker sees the generation and what the others learned in earlier
// rounds, then the round runs (replay_round.h).
void Replay::process_round() {
  for (Worker* w : workers_) {
    w->tables = published_->current();
    apply_neighbour_updates(*w);
  }
  replay_round(burst_, workers_, *mesh_, own_, received_[1], received_[0]);
}

void Replay::process_burst() {
  if (burst_.count == 0) return;
  if (count_ > 1)
    process_round();
  else
    run_pipeline(worker_, burst_);
  burst_.count = 0;
  for (Worker* w : workers_) flush_tx(*w);
  drain_records(workers_, outputs_.trace(), outputs_.events(), *worker_.tables, options_.observe,
                health_ ? &health_->monitor() : nullptr, SIZE_MAX, &stops_);
  if (drop_capture_) drop_capture_->drain();
  // Answers in this burst may finish probes: their follow-up segments and state changes.
  uint64_t now = 0;
  for (const Worker* w : workers_) now = std::max(now, w->clock_ns);
  if (health_) health_step(now);
}

// Health checks on the pcap clock: the monitor runs to `now`, worker 0 sends what it asks
// for through from_control (as in live mode), and a changed backend set is a new generation.
void Replay::health_step(uint64_t now) {
  health_->step(now, workers_, outputs_.events());
  worker_.tables = published_->current();
  apply_neighbour_updates(worker_);
  flush_tx(worker_);
}

int Replay::run() {
  ReplayInput inputs[kPortCount];
  for (uint8_t p = 0; p < kPortCount; ++p) {
    if (options_.inputs[p].empty()) continue;
    std::string error;
    inputs[p].pcap = open_input(options_.inputs[p], error);
    if (!inputs[p].pcap) {
      fmt::print(stderr, "gauntlet: {}\n", error);
      return 2;
    }
    inputs[p].advance();
  }
  pool_ =
      rte_pktmbuf_pool_create("replay_pool", kReplayMbufs, 256, 0, kReplayDataRoom, SOCKET_ID_ANY);
  if (!pool_) {
    fmt::print(stderr, "gauntlet: cannot create the packet pool: {}\n", rte_strerror(rte_errno));
    return 1;
  }
  std::string error;
  auto tables = build_tables(cfg_, 1, nullptr, error);
  if (!tables) {
    fmt::print(stderr, "gauntlet: {}: {}\n", cfg_.path, error);
    return 2;
  }
  if (!outputs_.open(options_.out_dir, options_.trace_path)) return 1;
  published_ = std::make_unique<Published>(1);
  published_->publish(std::move(tables));
  for (Worker* w : workers_) {
    w->tables = published_->current();
    w->pool = pool_;
    w->handoff = mesh_.get();
  }
  health_ = std::make_unique<HealthDriver>(cfg_, *published_, nullptr);
  if (!health_->active()) health_.reset();
  for (Worker* w : workers_) w->trace = !options_.trace_path.empty() || options_.observe;
  if (!options_.drop_capture.path.empty()) {
    drop_capture_ = DropCapture::open(options_.drop_capture, error);
    if (!drop_capture_) {
      fmt::print(stderr, "gauntlet: {}\n", error);
      return 1;
    }
    for (Worker* w : workers_) drop_capture_->attach(*w);
  }
  for (Worker* w : workers_) seed_neighbours(*w, *w->tables);

  uint8_t burst_port = kNoPort;
  for (;;) {
    // The earlier packet goes first; on a tie, outside before inside.
    uint8_t next = kNoPort;
    for (uint8_t p = 0; p < kPortCount; ++p)
      if (inputs[p].has_next && (next == kNoPort || inputs[p].time_ns() < inputs[next].time_ns()))
        next = p;
    if (next == kNoPort) break;
    ReplayInput& in = inputs[next];
    ++sequence_;
    if (in.header->caplen > kReplayDataRoom - RTE_PKTMBUF_HEADROOM) {
      ++oversize_;
      fmt::print(stderr, "gauntlet: {}: packet {} ({} bytes) is larger than a buffer; skipped\n",
                 options_.inputs[next], sequence_, in.header->caplen);
      in.advance();
      continue;
    }
    if (next != burst_port || burst_.count == kBurstSize) process_burst();
    // Probes and timeouts due by this packet's time happen before it.
    if (health_ && health_->next_due() <= in.time_ns()) {
      process_burst();
      health_step(in.time_ns());
    }
    burst_port = next;
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (!m) {
      fmt::print(stderr, "gauntlet: packet pool exhausted\n");
      return 1;
    }
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(in.header->caplen)), in.data,
                in.header->caplen);
    PacketContext& c = burst_.ctx[burst_.count];
    c.in_port = next;
    c.direction = next == 0 ? Direction::ingress : Direction::egress;
    c.time_ns = in.time_ns();
    c.sequence = sequence_;
    burst_.mbufs[burst_.count++] = m;
    in.advance();
  }
  process_burst();
  for (uint8_t p = 0; p < kPortCount; ++p) {
    if (!inputs[p].error.empty()) {
      fmt::print(stderr, "gauntlet: {}: read error: {}\n", options_.inputs[p], inputs[p].error);
      return 1;
    }
  }
  uint64_t settled_ns = 0;
  if (options_.settle_s >= 0) {
    for (const Worker* w : workers_) settled_ns = std::max(settled_ns, w->clock_ns);
    settled_ns += uint64_t(options_.settle_s * 1e9);
    for (Worker* w : workers_) conntrack_advance_clock(*w, settled_ns);
  }
  Totals totals = sum_counters(workers_, *worker_.tables);
  if (options_.settle_s >= 0) totals.resources = resource_totals(workers_, settled_ns, pool_);
  std::string table = summary_table(totals);
  if (oversize_)
    table += fmt::format("replay: {} packets larger than {} bytes were skipped\n", oversize_,
                         kReplayDataRoom - RTE_PKTMBUF_HEADROOM);
  if (options_.print_summary) fmt::print("{}", table);
  if (drop_capture_) fmt::print("{}", drop_capture_->report());
  for (const auto& [name, text] :
       {std::pair{"summary.txt", table}, std::pair{"summary.json", summary_json(totals)},
        std::pair{"report.html",
                  web_page(view_json("replay", summary_json(totals), stops_,
                                     services_json(service_views(*worker_.tables))))}}) {
    std::unique_ptr<FILE, FileCloser> f(fopen((options_.out_dir + "/" + name).c_str(), "w"));
    if (f) fmt::print(f.get(), "{}", text);
  }
  return 0;
}

}  // namespace

std::string check_replay_inputs(const ReplayOptions& options) {
  bool any = false;
  for (uint8_t p = 0; p < kPortCount; ++p) {
    if (options.inputs[p].empty()) continue;
    any = true;
    std::string error;
    if (!open_input(options.inputs[p], error)) return error;
  }
  if (!any) return "replay needs at least one input pcap";
  return "";
}

int run_replay(const Config& cfg, const ReplayOptions& options) {
  if (options.workers > 1 && options.workers != cfg.workers) {
    Config several = cfg;  // per-worker tables (WAF scratch) for that many workers
    several.workers = options.workers;
    Replay replay(several, options);
    return replay.run();
  }
  Replay replay(cfg, options);
  return replay.run();
}

}  // namespace gauntlet
