// Live mode's workers: the poll loop that receives, runs the pipeline and transmits, and
// (with one worker on the main lcore) does the control core's duties in between.
#include <atomic>
#include <sys/prctl.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dataplane/conntrack/fragment_hold.h"
#include "dataplane/control/control_loop.h"
#include "dataplane/control/drop_capture.h"
#include "dataplane/control/report.h"
#include "dataplane/lb/health_driver.h"
#include "dataplane/pipeline/generation.h"
#include "dataplane/pipeline/handoff.h"
#include "dataplane/pipeline/stages.h"
#include "dataplane/ports/live_shared.h"

namespace gauntlet {

namespace {

std::atomic<bool> g_stop{false};

void flush_tx(Worker& w, const LiveShared& s) noexcept {
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

}  // namespace

int live_worker_loop(void* arg) {
  auto& a = *static_cast<LiveWorkerArgs*>(arg);
  Worker& w = *a.worker;
  LiveShared& s = *a.shared;
  Burst burst;
  uint64_t sequence = 0;
  unsigned loops = 0;
  unsigned empty_polls = 0;  // loops in a row that found no packet (ports.poll: adaptive)
  const bool adaptive = a.poll.mode == PollMode::adaptive;
  // The kernel rounds a sleep up by the thread's timer slack (50 us by default): the worker's
  // own, 1 us, keeps idle_sleep_us what it says.
  if (adaptive) prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
  s.published->online(w.id);
  while (!stop_requested()) {
    s.published->quiescent(w.id);
    w.tables = s.published->current();
    apply_neighbour_updates(w);
    serve_flow_query(s.flow_queries->of(w.id), w.flows, w.id);
    flush_tx(w, s);  // health probes it was asked to send
    const uint64_t now = dataplane_now(s);
    bool found = false;
    for (uint8_t p = 0; p < kPortCount; ++p) {
      // --stage-cycles: the driver's part of a burst, counted as testpmd's
      // --record-core-cycles counts (polls that brought packets): RX, then TX.
      const uint64_t rx_start = w.stage_cycles ? rte_rdtsc() : 0;
      burst.count = rte_eth_rx_burst(s.port_ids[p], w.queue, burst.mbufs, kBurstSize);
      if (burst.count == 0) continue;
      found = true;
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
      if (burst.count != 0) run_pipeline(w, burst);
      // Fragments held here whose first fragment went to another worker follow it.
      if (w.handoff) move_held_fragments(w, *w.handoff);
      if (burst.count == 0) continue;
      const uint64_t tx_start = w.stage_cycles ? rte_rdtsc() : 0;
      flush_tx(w, s);
      if (w.stage_cycles) count_io(w.counters.io_tx, tx_start, burst.count);
    }
    // What the other workers handed over: a burst per loop at most, so their rings drain
    // at the pace of this worker's own RX.
    if (w.handoff) adopt_held_fragments(w, *w.handoff);
    if (w.handoff && collect_handed(w, burst, *w.handoff) > 0) {
      found = true;
      run_pipeline(w, burst);
      flush_tx(w, s);
    }
    if (found) {
      empty_polls = 0;
    } else if (adaptive && ++empty_polls >= kIdlePollsBeforeSleep) {
      // Nothing came for a while: the CPU goes to whoever shares it (the kernel thread that
      // fills an af_packet ring, on a shared core) until the next poll. The count stays at
      // the threshold, so a worker that wakes to nothing sleeps again at once.
      empty_polls = kIdlePollsBeforeSleep;
      rte_delay_us_sleep(a.poll.idle_sleep_us);
    }
    if (++loops % 256 == 0) {
      // Held fragments time out on the clock, not only when a burst comes: with the pool
      // drained by them, the port has no mbuf to receive into, and no burst would come.
      expire_held_fragments_at(w, now);
      // Occupancy for readers on other threads (telemetry, metrics), who never read the
      // worker's own tables.
      w.counters.flows_in_use.set(w.flows.size());
      w.counters.fragments_held.set(w.held_fragments.held());
      w.counters.heartbeat_tsc.set(rte_rdtsc());  // readiness: this worker polls
      for (size_t p = 0; p < kNatProtocols; ++p)
        w.counters.nat_ports_in_use[p].set(w.nat.ports_in_use(static_cast<NatProtocol>(p)));
    }
    if (a.control_duties && loops % 1024 == 0) {
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

void request_stop() noexcept { g_stop.store(true, std::memory_order_relaxed); }
bool stop_requested() noexcept { return g_stop.load(std::memory_order_relaxed); }
void stop_on_signal(int) noexcept { request_stop(); }

}  // namespace gauntlet
