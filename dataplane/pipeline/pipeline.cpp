// The pipeline runner: stages in order, then one pass that counts every decision, hands
// trace/event records to the control core and stages packets for TX or frees them.
#include <cstddef>
#include <cstring>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "dataplane/lb/health_probe.h"
#include "dataplane/pipeline/drop_tap.h"
#include "dataplane/pipeline/stages.h"

namespace gauntlet {

void add_companion(PacketContext& c, rte_mbuf* m, uint8_t port) noexcept {
  m->port = port;
  m->next = nullptr;
  rte_mbuf** tail = &c.originated;
  while (*tail) tail = &(*tail)->next;
  *tail = m;
}

namespace {

void record(Worker& w, RecordKind kind, const PacketContext& c, uint32_t frame_length) noexcept {
  Record r;
  fill_record(r, kind, c, frame_length, w.tables->generation, w.id);
  if (c.last().reason == Reason::nat_port_exhausted) {
    if (const auto proto = nat_protocol_of(c.parsed.l4_proto)) {
      r.has_pool = true;
      r.pool_in_use = w.nat.ports_in_use(*proto);
      r.pool_size = w.nat.range().size();
    }
  }
  if (!w.to_control.push(r)) w.counters.records_lost.add();
}

// Stages the packets of `list` (`next` links) after the packet they follow, through `port`
// (kNoPort: each mbuf's own), but never into the room the burst's `later` packets need.
void send_after(Worker& w, rte_mbuf* list, uint8_t port, uint64_t time, uint16_t later) noexcept {
  for (rte_mbuf* x = list; x;) {
    rte_mbuf* next = x->next;
    x->next = nullptr;
    const uint8_t p = port < kPortCount ? port : static_cast<uint8_t>(x->port);
    if (w.tx_count[p] + later < kTxStage) {
      w.tx_time[p][w.tx_count[p]] = time;
      w.tx[p][w.tx_count[p]++] = x;
    } else {
      rte_pktmbuf_free(x);
      w.counters.tx_dropped[p].add();
    }
    x = next;
  }
}

// The layer/outcome/reason counters of each packet's steps. Two counter updates per step
// and packet, each a load and a store that the next packet's update of the same counter
// waits for, cost more than the rest of dispose; the packets of a burst mostly take one
// path, so a run of packets with the same steps (direction, layers, outcomes, reasons) is
// counted once, by its length.
class PathTally {
 public:
  explicit PathTally(WorkerCounters& k) noexcept : k_(k) {}
  PathTally(const PathTally&) = delete;
  PathTally& operator=(const PathTally&) = delete;
  ~PathTally() { flush(); }

  // `c` must stay unchanged until the tally is flushed.
  void add(const PacketContext& c) noexcept {
    if (run_ && same_path(*run_, c)) {
      ++length_;
      return;
    }
    flush();
    run_ = &c;
    length_ = 1;
  }

 private:
  // A step's layer, outcome and reason are its first four bytes (the rule is left out): one
  // load and one compare per step.
  static uint32_t code(const Step& s) noexcept {
    static_assert(offsetof(Step, layer) == 0 && offsetof(Step, outcome) == 1 &&
                  offsetof(Step, reason) == 2 && sizeof(Reason) == 2);
    uint32_t c;
    std::memcpy(&c, &s, sizeof c);
    return c;
  }
  static bool same_path(const PacketContext& a, const PacketContext& b) noexcept {
    if (a.direction != b.direction || a.step_count != b.step_count) return false;
    for (uint8_t s = 0; s < a.step_count; ++s)
      if (code(a.steps[s]) != code(b.steps[s])) return false;
    return true;
  }
  void flush() noexcept {
    if (!run_) return;
    const size_t dir = static_cast<size_t>(run_->direction);
    for (uint8_t s = 0; s < run_->step_count; ++s) {
      const Step& st = run_->steps[s];
      k_.outcomes[dir][static_cast<size_t>(st.layer)][static_cast<size_t>(st.outcome)].add(length_);
      k_.reasons[dir][static_cast<size_t>(st.reason)].add(length_);
    }
    run_ = nullptr;
  }

  WorkerCounters& k_;
  const PacketContext* run_ = nullptr;
  uint32_t length_ = 0;
};

void dispose(Worker& w, Burst& b, const uint32_t* frame_lengths) noexcept {
  WorkerCounters& k = w.counters;
  PathTally tally(k);
  const bool trace = w.trace;
  DropTap* const tap = w.drop_tap;
  // The ports' staging counts live in registers over the burst: kept in the worker, each
  // packet's increment waited for the one before it through memory.
  static_assert(kPortCount == 2);
  uint16_t staged[2] = {w.tx_count[0], w.tx_count[1]};
  for (uint16_t i = 0; i < b.count; ++i) {
    // Held back (conntrack/fragment_hold.h): counted when it comes back.
    if (!b.mbufs[i]) continue;
    PacketContext& c = b.ctx[i];
    // Every packet leaves with a final decision; a stage that forgot one is a bug that
    // must still not leak the mbuf.
    if (!c.final) c.decide(Layer::forward, Outcome::stop, Reason::forward_no_route);
    tally.add(c);
    const Step& last = c.last();
    if (trace) record(w, RecordKind::trace, c, frame_lengths[i]);
    if (last.outcome == Outcome::stop || c.log) record(w, RecordKind::event, c, frame_lengths[i]);
    if (tap && last.outcome == Outcome::stop) drop_tap_offer(*tap, i, c, last, frame_lengths[i]);
    if (c.out_port == 0) {
      w.tx_time[0][staged[0]] = c.time_ns;
      w.tx[0][staged[0]++] = b.mbufs[i];
    } else if (c.out_port == 1) {
      w.tx_time[1][staged[1]] = c.time_ns;
      w.tx[1][staged[1]++] = b.mbufs[i];
    } else {
      rte_pktmbuf_free(b.mbufs[i]);
    }
    if (c.companion || c.originated) [[unlikely]] {
      // Packets a stage made besides this one (the fragments after the first, the WAF's
      // second RST, the proxy's own segments), sent right after it in order.
      w.tx_count[0] = staged[0];
      w.tx_count[1] = staged[1];
      const auto later = static_cast<uint16_t>(b.count - i - 1);
      send_after(w, c.companion, c.companion_port, c.time_ns, later);
      send_after(w, c.originated, kNoPort, c.time_ns, later);
      staged[0] = w.tx_count[0];
      staged[1] = w.tx_count[1];
    }
  }
  w.tx_count[0] = staged[0];
  w.tx_count[1] = staged[1];
}

// Runs the pipeline's steps; with --stage-cycles (Worker::stage_cycles) it also adds each
// step's TSC cycles and the burst's packets to the step's slot (its position). Off, that
// is one predictable branch per step per burst; on, one TSC read per step per burst.
// A step is one line in run_pipeline: step("name", function or lambda over (Worker&, Burst&)).
class StageClock {
 public:
  StageClock(Worker& w, Burst& b) noexcept : w_(w), b_(b), on_(w.stage_cycles) {
    if (on_) last_ = rte_rdtsc();
  }
  template <typename Step>
  __attribute__((always_inline)) void operator()(const char* name, Step&& run) noexcept {
    run(w_, b_);
    if (!on_ || slot_ >= kMaxTimedStages) return;
    const uint64_t now = rte_rdtsc();
    StageCounters& s = w_.counters.stages[slot_];
    s.cycles.add(now - last_);
    s.packets.add(b_.count);
    w_.stage_names[slot_++] = name;
    last_ = now;
  }

 private:
  Worker& w_;
  Burst& b_;
  const bool on_;
  size_t slot_ = 0;
  uint64_t last_ = 0;
};

}  // namespace

void run_pipeline(Worker& w, Burst& b) noexcept {
  uint32_t frame_lengths[kBurstSize];
  if (w.drop_tap) drop_tap_snapshot(*w.drop_tap, b);  // before any stage rewrites a packet
  StageClock step(w, b);
  step("setup", [&frame_lengths](Worker& wk, Burst& bk) noexcept {
    uint32_t rx[kPortCount] = {};  // counted here, added once: no chain through memory
    for (uint16_t i = 0; i < bk.count; ++i) {
      bk.ctx[i].reset();
      frame_lengths[i] = rte_pktmbuf_pkt_len(bk.mbufs[i]);
      for (uint8_t p = 0; p < kPortCount; ++p) rx[p] += bk.ctx[i].in_port == p;
    }
    for (uint8_t p = 0; p < kPortCount; ++p)
      if (rx[p]) wk.counters.rx[p].add(rx[p]);
  });
  step("parse", parse_stage);
  step("handoff", handoff_stage);  // packets another worker owns, whose ring was full
  step("neighbour", neighbour_stage);
  step("proxy", proxy_stage);  // l7-route flows: cookies checked, first bytes, splicing
  step("probe_answer", probe_answer_stage);  // health-check answers: before conntrack
  step("conntrack", conntrack_stage);
  step("local", local_stage);
  step("firewall", firewall_stage);
  step("proxy_syn", proxy_syn_stage);  // an allowed SYN to an l7-route VIP: SYN cookie
  step("lb", lb_stage);
  step("ttl", ttl_stage);
  step("conntrack_commit", conntrack_commit_stage);
  step("waf", waf_stage);  // after commit: a SYN's new flow exists, so its ISN is kept
  step("nat", nat_stage);
  step("tunnel", tunnel_stage);  // dsr-ipip: after every layer that reads the inner headers
  step("forward", forward_stage);
  step("dispose",
       [&frame_lengths](Worker& wk, Burst& bk) noexcept { dispose(wk, bk, frame_lengths); });
  // Later fragments held for a first fragment of this burst (or out of time) come back now.
  if (w.held_fragments.due(w.clock_ns)) resume_held_fragments(w);
}

void run_returning(Worker& w, Burst& b) noexcept {
  uint32_t frame_lengths[kBurstSize];
  for (uint16_t i = 0; i < b.count; ++i) frame_lengths[i] = rte_pktmbuf_pkt_len(b.mbufs[i]);
  if (w.drop_tap) drop_tap_snapshot(*w.drop_tap, b);
  conntrack_commit_stage(w, b);
  waf_stage(w, b);
  nat_stage(w, b);
  tunnel_stage(w, b);
  forward_stage(w, b);
  dispose(w, b, frame_lengths);
}

void seed_neighbours(Worker& w, const Tables& t) {
  for (const NeighbourConfig& n : t.static_neighbours)
    w.neighbours.add_static(n.port, n.address, n.version, n.mac);
}

void apply_neighbour_updates(Worker& w) noexcept {
  Record r;
  while (w.from_control.pop(r)) {
    if (r.kind == RecordKind::probe_send)
      emit_probe(w, r);  // a health check's segment
    else
      w.neighbours.learn(r.in_port, r.src, r.ip_version, r.mac);
  }
}

}  // namespace gauntlet
