// Replay with several workers (replay_round.h).
#include "dataplane/ports/replay_round.h"

#include <algorithm>

#include <rte_mbuf.h>

#include "dataplane/conntrack/fragment_hold.h"
#include "dataplane/packet/parse.h"
#include "dataplane/pipeline/handoff.h"
#include "dataplane/pipeline/stages.h"

namespace gauntlet {

// Which worker a NIC would hand the packet to: a hash of its addresses and ports as they
// are, not symmetric (unlike steering.h), so that both directions of a flow are usually
// received by different workers and the handoff is exercised. Fragments, and packets whose
// transport header is cut short, by addresses only, as NICs hash them: a datagram's
// fragments all reach one worker, a first fragment too short for its ports included.
uint32_t receiving_worker(const uint8_t* frame, uint32_t len, uint32_t workers) noexcept {
  ParsedPacket p;
  const bool whole = parse_packet(frame, len, p) == Reason::none;
  if (p.ip_version == 0) return 0;
  uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&h](uint64_t v) { h = (h ^ v) * 0x100000001b3ull; };
  for (size_t i = 0; i < 16; ++i) mix(p.src.bytes[i] + (uint64_t{p.dst.bytes[i]} << 8) + (i << 16));
  mix(p.l4_proto);
  if (whole && !p.has(kParseFragment)) mix(uint64_t{p.src_port} << 16 | p.dst_port);
  return static_cast<uint32_t>(((h >> 32) * workers) >> 32);
}

// Several workers, one round (the packets one worker alone would take as one burst): each
// packet goes to the worker that receives it (receiving_worker); each steers what it
// received (own packets stay, others are handed over through the rings); then each worker,
// in turn, runs its own packets and those handed to it, in input order (a round holds one
// burst at most, so they fit in one). Deterministic, and — flows being independent — the
// same set of outputs and the same per-packet verdicts as one worker.
void replay_round(Burst& round, const std::vector<Worker*>& workers, HandoffMesh& mesh,
                  std::vector<Burst>& owned, Burst& handed, Burst& run) noexcept {
  const uint32_t count = static_cast<uint32_t>(workers.size());
  for (Burst& b : owned) b.count = 0;
  for (uint16_t i = 0; i < round.count; ++i) {
    rte_mbuf* m = round.mbufs[i];
    Burst& in = owned[receiving_worker(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m),
                                       count)];
    in.mbufs[in.count] = m;
    in.ctx[in.count++] = round.ctx[i];
  }
  // One worker's clock stands at the burst's last packet while it runs the burst (conntrack
  // moves it there first); so does every worker's for the round, so that flows and held
  // fragments expire, and held fragments leave, at the same times as with one worker.
  uint64_t end_ns = 0;
  for (uint16_t i = 0; i < round.count; ++i) end_ns = std::max(end_ns, round.ctx[i].time_ns);
  for (Worker* w : workers) w->clock_ns = std::max(w->clock_ns, end_ns);
  for (uint32_t r = 0; r < count; ++r)
    if (owned[r].count) steer_burst(*workers[r], owned[r], mesh);
  // Fragments held for a first fragment that was just steered elsewhere follow it.
  for (uint32_t r = 0; r < count; ++r) move_held_fragments(*workers[r], mesh);
  for (uint32_t w = 0; w < count; ++w) {
    const Burst& own = owned[w];
    adopt_held_fragments(*workers[w], mesh);
    collect_handed(*workers[w], handed, mesh);
    // Input order: its own packets are in order, but those handed over come ring by ring.
    struct Slot {
      uint64_t sequence;
      const Burst* from;
      uint16_t at;
    };
    Slot order[kBurstSize];
    uint16_t n = 0;
    for (const Burst* from : {&own, static_cast<const Burst*>(&handed)})
      for (uint16_t i = 0; i < from->count && n < kBurstSize; ++i)
        order[n++] = {from->ctx[i].sequence, from, i};
    std::sort(order, order + n,
              [](const Slot& a, const Slot& b) { return a.sequence < b.sequence; });
    run.count = 0;
    for (uint16_t i = 0; i < n; ++i) {
      run.mbufs[run.count] = order[i].from->mbufs[order[i].at];
      run.ctx[run.count++] = order[i].from->ctx[order[i].at];
    }
    if (run.count) run_pipeline(*workers[w], run);
    move_held_fragments(*workers[w], mesh);  // held in this round, first steered in it
  }
  // Held fragments moved to a worker whose turn had passed are taken in, and those past their
  // time come back timed out, whether or not the worker received anything in this round.
  for (Worker* w : workers) {
    adopt_held_fragments(*w, mesh);
    expire_held_fragments(*w);
  }
}

}  // namespace gauntlet
