// Handoff between workers (pipeline/handoff.h) over the real pipeline: a packet received by
// a worker that does not own it reaches its owner and leaves translated from there; a full
// ring stops the packet with handoff:ring-full, counted and never leaked.
#include "dataplane/pipeline/handoff.h"

#include <gtest/gtest.h>

#include "dataplane/nat/port_allocator.h"
#include "dataplane/pipeline/steering.h"
#include "tests/unit/eal_environment.h"
#include "tests/unit/nat_gateway.h"

namespace gauntlet {
namespace {

using testing::EalEnvironment;
using testing::Frame;
using testing::ipv4;
using testing::udp;

const ::testing::Environment* const kEal = ::testing::AddGlobalTestEnvironment(new EalEnvironment);

constexpr uint8_t kInside = 1;

class Handoff : public ::testing::Test {
 protected:
  void SetUp() override {
    char path[] = "/tmp/handoff-test-XXXXXX";
    const int fd = mkstemp(path);
    const std::string yaml = testing::gateway_config();
    ASSERT_EQ(write(fd, yaml.data(), yaml.size()), static_cast<ssize_t>(yaml.size()));
    close(fd);
    std::vector<ConfigError> errors;
    auto cfg = load_config(path, errors);
    unlink(path);
    ASSERT_TRUE(cfg);
    cfg_ = std::move(*cfg);
    cfg_.workers = 2;
    std::string error;
    published_.publish(build_tables(cfg_, 1, nullptr, error));
    ASSERT_EQ(error, "");
    static int pools = 0;
    pool_ = rte_pktmbuf_pool_create(("handoff" + std::to_string(pools++)).c_str(), 255, 0, 0,
                                    2048 + RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
    ASSERT_NE(pool_, nullptr);
    for (uint8_t i = 0; i < 2; ++i) {
      workers_[i] = std::make_unique<Worker>(i, cfg_, 2);
      workers_[i]->tables = published_.current();
      seed_neighbours(*workers_[i], *published_.current());
    }
  }
  void TearDown() override {
    for (auto& w : workers_) {
      for (uint8_t p = 0; p < kPortCount; ++p) {
        rte_pktmbuf_free_bulk(w->tx[p], w->tx_count[p]);
        w->tx_count[p] = 0;
      }
      w.reset();
    }
    rte_mempool_free(pool_);
  }
  // A burst of pod packets (UDP from 10.0.0.10:port to 9.9.9.9:53) as the driver fills it.
  void receive(Burst& b, const std::vector<uint16_t>& ports) {
    b.count = 0;
    for (uint16_t port : ports) {
      const Frame ip = ipv4("10.0.0.10", "9.9.9.9", udp(port, 53));
      Frame f = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 2, 0x0a, 0x08, 0x00};
      f.insert(f.end(), ip.begin(), ip.end());
      rte_mbuf* m = rte_pktmbuf_alloc(pool_);
      ASSERT_NE(m, nullptr);
      std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(f.size())), f.data(), f.size());
      PacketContext& c = b.ctx[b.count];
      c.in_port = kInside;
      c.direction = Direction::egress;
      c.time_ns = 1'000'000'000;
      c.sequence = b.count + 1;
      b.mbufs[b.count++] = m;
    }
  }
  static uint16_t port_of(uint32_t worker) {
    return static_cast<uint16_t>(worker_port_slice({1024, 65535}, worker, 2).lo + 100);
  }
  // The source port of the packets `w` sent outside.
  std::vector<uint16_t> sent_ports(const Worker& w) const {
    std::vector<uint16_t> out;
    for (uint16_t i = 0; i < w.tx_count[0]; ++i) {
      const uint8_t* d = rte_pktmbuf_mtod(w.tx[0][i], const uint8_t*);
      out.push_back(static_cast<uint16_t>(d[34] << 8 | d[35]));
    }
    return out;
  }

  Config cfg_;
  Published published_{2};
  rte_mempool* pool_ = nullptr;
  std::unique_ptr<Worker> workers_[2];
};

TEST_F(Handoff, OwnedPacketsStayOthersReachTheirOwner) {
  HandoffMesh mesh(2);
  for (auto& w : workers_) w->handoff = &mesh;
  Burst b;
  const uint16_t mine = port_of(0), theirs = port_of(1);
  receive(b, {mine, theirs, mine, theirs});
  steer_burst(*workers_[0], b, mesh);
  ASSERT_EQ(b.count, 2);
  EXPECT_EQ(b.ctx[0].sequence, 1u);
  EXPECT_EQ(b.ctx[1].sequence, 3u);
  EXPECT_EQ(workers_[0]->counters.handoff_sent.get(), 2u);
  run_pipeline(*workers_[0], b);
  EXPECT_EQ(sent_ports(*workers_[0]), (std::vector<uint16_t>{mine, mine}));  // ports kept

  Burst handed;
  ASSERT_EQ(collect_handed(*workers_[1], handed, mesh), 2);
  EXPECT_EQ(handed.ctx[0].sequence, 2u);
  EXPECT_EQ(handed.ctx[1].sequence, 4u);
  EXPECT_EQ(handed.ctx[0].direction, Direction::egress);
  run_pipeline(*workers_[1], handed);
  EXPECT_EQ(sent_ports(*workers_[1]), (std::vector<uint16_t>{theirs, theirs}));
  EXPECT_EQ(workers_[1]->counters.handoff_received.get(), 2u);
  EXPECT_EQ(workers_[1]->flows.size(), 1u);  // both packets of one flow, on its owner
  EXPECT_EQ(workers_[0]->flows.size(), 1u);
}

TEST_F(Handoff, FullRingStopsThePacketWithAReason) {
  HandoffMesh mesh(2, 2);  // two slots
  Burst b;
  const uint16_t theirs = port_of(1);
  receive(b, {theirs, theirs, theirs, theirs, theirs});
  steer_burst(*workers_[0], b, mesh);
  EXPECT_EQ(workers_[0]->counters.handoff_sent.get(), 2u);
  ASSERT_EQ(b.count, 3);
  run_pipeline(*workers_[0], b);
  for (uint16_t i = 0; i < b.count; ++i) {
    EXPECT_EQ(b.ctx[i].last().reason, Reason::handoff_ring_full);
    EXPECT_EQ(b.ctx[i].last().layer, Layer::handoff);
  }
  EXPECT_EQ(workers_[0]->tx_count[0], 0);
  const size_t egress = static_cast<size_t>(Direction::egress);
  EXPECT_EQ(
      workers_[0]->counters.reasons[egress][static_cast<size_t>(Reason::handoff_ring_full)].get(),
      3u);
  EXPECT_EQ(workers_[0]->flows.size(), 0u);  // no state made for a packet it does not own
  Burst handed;
  ASSERT_EQ(collect_handed(*workers_[1], handed, mesh), 2);
  run_pipeline(*workers_[1], handed);
  EXPECT_EQ(workers_[1]->tx_count[0], 2);
  EXPECT_EQ(rte_mempool_in_use_count(pool_), 2u);  // the two sent; the refused were freed
}

}  // namespace
}  // namespace gauntlet
