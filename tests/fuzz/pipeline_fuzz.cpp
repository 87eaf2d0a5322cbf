// Fuzzes the whole pipeline (gauntlet::run_pipeline) on one packet at a time, with the shipped
// config (rules/gauntlet.yaml, path compiled in as GAUNTLET_FUZZ_CONFIG). Input: a flags byte
// (bit 0: arrives on the inside port, else outside; bit 1: the NIC verified the IPv4
// checksum; bit 2: trace on), two bytes of clock advance (little endian, in 10 ms steps, so
// flows also expire), then the frame.
//
// One worker lives for the whole run, as in replay: flows, NAT mappings and learned neighbours
// that earlier inputs created are there for later ones (replies, ICMP errors about a flow),
// so a crash may need the inputs before it; libFuzzer's -runs=1 on the saved input alone
// does not always reproduce it. After each packet, what the worker staged for TX is checked
// and freed, as a driver would, and its trace/event records are drained and formatted.
// Checked: every frame gauntlet sends fits its mbuf and parses cleanly again, and every mbuf
// is back in the pool.
//
// Packet bytes live in DPDK memory, which AddressSanitizer does not track: a stage reading
// past the frame but inside the mbuf's buffer goes unseen here (packet_fuzz and
// icmp_quote_fuzz run the parsers on exact-size buffers instead).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dataplane/control/config.h"
#include "dataplane/control/report.h"
#include "dataplane/control/tables.h"
#include "dataplane/packet/rx_offload.h"
#include "dataplane/pipeline/generation.h"
#include "dataplane/pipeline/stages.h"
#include "dataplane/pipeline/worker.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using namespace gauntlet;
using gauntlet::fuzz::check;

// One packet in flight plus the fragments the worker may hold for their first one (256,
// conntrack/fragment_hold.h); a power of two minus one.
constexpr unsigned kMbufs = 511;
constexpr uint16_t kMaxFrame = 9216;  // as replay
constexpr uint16_t kDataRoom = kMaxFrame + RTE_PKTMBUF_HEADROOM;
constexpr uint64_t kClockStep = 10'000'000;  // 10 ms

struct Harness {
  Config cfg;
  Published published{1};
  std::unique_ptr<Worker> worker;
  rte_mempool* pool = nullptr;
  FILE* sink = nullptr;  // trace and event lines are formatted, then thrown away
  uint64_t clock_ns = uint64_t{1'700'000'000} * 1'000'000'000;  // 2023-11-14
  uint64_t sequence = 0;
  Burst burst;
};
Harness* h = nullptr;

void flush_tx(Worker& w) {
  for (uint8_t p = 0; p < kPortCount; ++p) {
    for (uint16_t i = 0; i < w.tx_count[p]; ++i) {
      rte_mbuf* m = w.tx[p][i];
      check(m->nb_segs == 1 && m->next == nullptr && m->pkt_len == m->data_len,
            "a sent frame is not one segment");
      check(uint32_t{m->data_off} + m->data_len <= m->buf_len, "a sent frame overruns its mbuf");
      // Checked with the checksum verdict the frame came in with, as the parse stage reads
      // it, not the current input's: a fragment held since an earlier input
      // (conntrack/fragment_hold.h) goes out with the checksum it came with, good or bad.
      ParsedPacket parsed;
      check(parse_packet(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len, parsed,
                         rx_ipv4_checksum_good(m)) == Reason::none,
            "gauntlet sent a frame its own parser refuses");
      rte_pktmbuf_free(m);
    }
    w.counters.tx[p].add(w.tx_count[p]);
    w.tx_count[p] = 0;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  gauntlet::fuzz::start_eal();
  std::vector<ConfigError> errors;
  auto cfg = load_config(GAUNTLET_FUZZ_CONFIG, errors);
  if (!cfg) {
    for (const ConfigError& e : errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
    gauntlet::fuzz::fail("cannot load the pipeline config");
  }
  h = new Harness{};
  h->cfg = std::move(*cfg);
  std::string error;
  auto tables = build_tables(h->cfg, 1, nullptr, error);
  if (!tables) {
    std::fprintf(stderr, "%s\n", error.c_str());
    gauntlet::fuzz::fail("cannot build the pipeline tables");
  }
  h->published.publish(std::move(tables));
  h->worker = std::make_unique<Worker>(0, h->cfg, 1);
  h->worker->tables = h->published.current();
  seed_neighbours(*h->worker, *h->worker->tables);
  h->pool = rte_pktmbuf_pool_create("fuzz_pool", kMbufs, 0, 0, kDataRoom, SOCKET_ID_ANY);
  check(h->pool != nullptr, "cannot create the mbuf pool");
  h->sink = std::fopen("/dev/null", "w");
  check(h->sink != nullptr, "cannot open /dev/null");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const uint8_t flags = data[0];
  h->clock_ns += (uint64_t{data[1]} | uint64_t{data[2]} << 8) * kClockStep;
  const uint16_t len = static_cast<uint16_t>(size - 3 < kMaxFrame ? size - 3 : kMaxFrame);

  Worker& w = *h->worker;
  rte_mbuf* m = rte_pktmbuf_alloc(h->pool);
  check(m != nullptr, "mbuf pool exhausted");
  char* room = rte_pktmbuf_append(m, len);
  check(room != nullptr, "frame larger than the mbuf");
  if (len) std::memcpy(room, data + 3, len);
  const bool checksum_verified = (flags & 2) != 0;
  if (checksum_verified) m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD;
  w.trace = (flags & 4) != 0;

  Burst& b = h->burst;
  b.count = 1;
  b.mbufs[0] = m;
  PacketContext& c = b.ctx[0];
  c.in_port = flags & 1;
  c.direction = c.in_port == 0 ? Direction::ingress : Direction::egress;
  c.time_ns = h->clock_ns;
  c.sequence = ++h->sequence;
  run_pipeline(w, b);
  b.count = 0;

  flush_tx(w);
  drain_records({&w}, h->sink, h->sink, *w.tables);
  check(rte_mempool_avail_count(h->pool) == kMbufs - w.held_fragments.held(),
        "an mbuf was neither sent, freed nor held");
  return 0;
}
