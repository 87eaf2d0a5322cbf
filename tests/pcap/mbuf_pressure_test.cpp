// mbuf pool pressure: the golden case waf-sqli-query (attacks the WAF blocks, each with a
// companion RST to the backend that the worker allocates from its packet pool) replayed
// through run_pipeline three times on a small pool, as replay drives a worker:
//   1. a free pool: every blocked request resets the backend;
//   2. the pool drained by a holder (a stalled TX peer, a PMD filling its RX ring): every
//      packet still gets the same verdict and output, the RSTs the worker cannot allocate are
//      counted as alloc:mbuf-exhausted, nothing crashes;
//   3. the holder lets go: companions at 100% again, and every mbuf is back in the pool.
#include <algorithm>
#include <cstring>
#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <vector>

#include <pcap/pcap.h>
#include <rte_mbuf.h>

#include "dataplane/control/config.h"
#include "dataplane/control/report.h"
#include "dataplane/pipeline/generation.h"
#include "dataplane/pipeline/stages.h"
#include "dataplane/pipeline/worker.h"
#include "tests/unit/eal_environment.h"

namespace gauntlet {
namespace {

constexpr unsigned kPoolSize = 255;

struct Frame {
  uint8_t port;
  uint64_t time_ns;
  std::vector<uint8_t> bytes;
};

// Both inputs of a case, merged by time (ties: outside first), as replay merges them.
std::vector<Frame> read_case(const std::string& dir) {
  std::vector<Frame> frames;
  for (uint8_t port = 0; port < kPortCount; ++port) {
    char err[PCAP_ERRBUF_SIZE];
    const std::string path = dir + (port == 0 ? "/outside.pcap" : "/inside.pcap");
    pcap_t* p =
        pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
    if (!p) continue;
    pcap_pkthdr* h;
    const u_char* d;
    while (pcap_next_ex(p, &h, &d) == 1)
      frames.push_back({port, uint64_t(h->ts.tv_sec) * 1000000000u + uint64_t(h->ts.tv_usec),
                        std::vector<uint8_t>(d, d + h->caplen)});
    pcap_close(p);
  }
  std::stable_sort(frames.begin(), frames.end(), [](const Frame& a, const Frame& b) {
    return a.time_ns != b.time_ns ? a.time_ns < b.time_ns : a.port < b.port;
  });
  return frames;
}

// What one pass produced: frames sent per port (bytes), and the worker's counters.
struct Pass {
  std::vector<std::vector<uint8_t>> sent[kPortCount];
  uint64_t alloc_failed = 0;
  uint64_t blocked = 0;
};

class MbufPressure : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::vector<ConfigError> errors;
    cfg_ = std::make_unique<Config>(*load_config(
        std::string(GAUNTLET_SOURCE_ROOT) + "/pcaps/waf-sqli-query/config.yaml", errors));
    frames_ = read_case(std::string(GAUNTLET_SOURCE_ROOT) + "/pcaps/waf-sqli-query");
    pool_ = rte_pktmbuf_pool_create("pressure_pool", kPoolSize, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                    SOCKET_ID_ANY);
  }
  static void TearDownTestSuite() { rte_mempool_free(pool_); }

  // One pass with a fresh worker (fresh flows). `hold`: take every mbuf the burst's input
  // leaves free before the pipeline runs, and give them back after.
  Pass run(bool hold) {
    Pass out;
    Worker w(0, *cfg_, 1);
    std::string error;
    Published published(1);
    published.publish(build_tables(*cfg_, 1, nullptr, error));
    w.tables = published.current();
    w.pool = pool_;
    seed_neighbours(w, *w.tables);
    Burst b;
    uint64_t sequence = 0;
    auto flush = [&] {
      if (b.count == 0) return;
      std::vector<rte_mbuf*> held;
      if (hold)
        while (rte_mbuf* m = rte_pktmbuf_alloc(pool_)) held.push_back(m);
      run_pipeline(w, b);
      b.count = 0;
      for (uint8_t p = 0; p < kPortCount; ++p) {
        for (uint16_t i = 0; i < w.tx_count[p]; ++i) {
          rte_mbuf* m = w.tx[p][i];
          const auto* d = rte_pktmbuf_mtod(m, const uint8_t*);
          out.sent[p].emplace_back(d, d + rte_pktmbuf_data_len(m));
          rte_pktmbuf_free(m);
        }
        w.tx_count[p] = 0;
      }
      for (rte_mbuf* m : held) rte_pktmbuf_free(m);
      Record r;
      while (w.to_control.pop(r)) {
      }
    };
    uint8_t burst_port = kNoPort;
    for (const Frame& f : frames_) {
      if (f.port != burst_port || b.count == kBurstSize) flush();
      burst_port = f.port;
      rte_mbuf* m = rte_pktmbuf_alloc(pool_);
      EXPECT_NE(m, nullptr);
      if (!m) break;
      std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(f.bytes.size())), f.bytes.data(),
                  f.bytes.size());
      PacketContext& c = b.ctx[b.count];
      c = PacketContext{};
      c.in_port = f.port;
      c.direction = f.port == 0 ? Direction::ingress : Direction::egress;
      c.time_ns = f.time_ns;
      c.sequence = ++sequence;
      b.mbufs[b.count++] = m;
    }
    flush();
    out.alloc_failed = w.counters.mbuf_alloc_failed.get();
    out.blocked = w.counters.reasons[0][static_cast<size_t>(Reason::waf_blocked)].get();
    return out;
  }

  static std::unique_ptr<Config> cfg_;
  static std::vector<Frame> frames_;
  static rte_mempool* pool_;
};

std::unique_ptr<Config> MbufPressure::cfg_;
std::vector<Frame> MbufPressure::frames_;
rte_mempool* MbufPressure::pool_ = nullptr;

TEST_F(MbufPressure, DrainedPoolCountsFailuresKeepsVerdictsAndRecovers) {
  ASSERT_NE(pool_, nullptr);
  ASSERT_FALSE(frames_.empty());
  ASSERT_EQ(rte_mempool_in_use_count(pool_), 0u);

  const Pass free_pool = run(false);
  ASSERT_GT(free_pool.blocked, 0u) << "the case must have requests the WAF blocks";
  EXPECT_EQ(free_pool.alloc_failed, 0u);
  // Each blocked request: the client's RST (outside) and the backend's companion (inside).
  EXPECT_EQ(rte_mempool_in_use_count(pool_), 0u);

  const Pass pressed = run(true);
  EXPECT_EQ(pressed.blocked, free_pool.blocked) << "verdicts change under pressure";
  EXPECT_EQ(pressed.alloc_failed, free_pool.blocked)
      << "every companion RST counted as " << kMbufExhausted;
  // Outside: the same frames, byte for byte (client RSTs reuse the packet's own mbuf).
  EXPECT_EQ(pressed.sent[0], free_pool.sent[0]);
  // Inside: all but the companions.
  EXPECT_EQ(pressed.sent[1].size() + free_pool.blocked, free_pool.sent[1].size());
  EXPECT_EQ(rte_mempool_in_use_count(pool_), 0u) << "an mbuf leaked under pressure";

  const Pass recovered = run(false);
  EXPECT_EQ(recovered.alloc_failed, 0u);
  EXPECT_EQ(recovered.sent[0], free_pool.sent[0]);
  EXPECT_EQ(recovered.sent[1], free_pool.sent[1]) << "companions back at 100%";
  EXPECT_EQ(rte_mempool_in_use_count(pool_), 0u);
}

}  // namespace
}  // namespace gauntlet

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new gauntlet::testing::EalEnvironment);
  return RUN_ALL_TESTS();
}
