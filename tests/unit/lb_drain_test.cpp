// Draining through the real stages: a flow pinned to a backend keeps it when the backend
// leaves the Maglev table, and is reset on its next packet once the backend's drain deadline
// has passed (the health overlay's drain_expired, as the monitor publishes it).
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dataplane/control/tables.h"
#include "dataplane/pipeline/stages.h"
#include "tests/unit/eal_environment.h"

namespace gauntlet {
namespace {

const auto* const kEal = ::testing::AddGlobalTestEnvironment(new gauntlet::testing::EalEnvironment);

// Ethernet + IPv4 + TCP from a client on the outside to the VIP (or back, from inside).
std::vector<uint8_t> segment(const uint8_t src[4], uint16_t sport, const uint8_t dst[4],
                             uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack,
                             bool from_outside) {
  std::vector<uint8_t> f(54, 0);
  const uint8_t out_mac[6] = {2, 0, 0, 0, 0, 1}, in_mac[6] = {2, 0, 0, 0, 0, 2},
                peer[6] = {2, 0, 0, 0, 1, 0xfe};
  std::memcpy(f.data(), from_outside ? out_mac : in_mac, 6);
  std::memcpy(f.data() + 6, peer, 6);
  f[12] = 0x08;
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x45, ip[3] = 40, ip[6] = 0x40, ip[8] = 64, ip[9] = 6;
  std::memcpy(ip + 12, src, 4);
  std::memcpy(ip + 16, dst, 4);
  uint8_t* tcp = ip + 20;
  store_be16(tcp, sport);
  store_be16(tcp + 2, dport);
  for (int i = 0; i < 4; ++i)
    tcp[4 + i] = uint8_t(seq >> (24 - 8 * i)), tcp[8 + i] = uint8_t(ack >> (24 - 8 * i));
  tcp[12] = 5 << 4, tcp[13] = flags, tcp[14] = 0xfa;
  auto* h = reinterpret_cast<rte_ipv4_hdr*>(ip);
  h->hdr_checksum = rte_ipv4_cksum(h);
  const uint16_t sum = rte_ipv4_udptcp_cksum(h, tcp);
  std::memcpy(tcp + 16, &sum, 2);
  return f;
}

class LbDrainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = "/tmp/lb_drain_test_" + std::to_string(getpid()) + ".yaml";
    std::ofstream(path)
        << "ports:\n  outside: { mac: 02:00:00:00:00:01, addresses: [198.51.100.1/24] }\n"
           "  inside: { mac: 02:00:00:00:00:02, addresses: [10.0.0.1/24] }\n"
           "routes:\n  - { prefix: 0.0.0.0/0, port: outside, via: 198.51.100.254 }\n"
           "neighbours:\n  - { address: 198.51.100.254, port: outside, mac: 02:00:00:00:01:fe }\n"
           "  - { address: 10.0.0.10, port: inside, mac: 02:00:00:00:02:0a }\n"
           "  - { address: 10.0.0.11, port: inside, mac: 02:00:00:00:02:0b }\n"
           "services:\n  - name: web\n    vip: 198.51.100.10\n    ports: [80]\n    backends:\n"
           "      - { address: 10.0.0.10, port: 80 }\n      - { address: 10.0.0.11, port: 80 }\n";
    std::vector<ConfigError> errors;
    cfg_ = load_config(path, errors);
    std::remove(path.c_str());
    ASSERT_TRUE(cfg_);
    std::string error;
    tables_ = build_tables(*cfg_, 1, nullptr, error);
    ASSERT_TRUE(tables_) << error;
    pool_ = rte_pktmbuf_pool_create(("drain" + std::to_string(getpid())).c_str(), 255, 0, 0,
                                    RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_TRUE(pool_);
    worker_ = std::make_unique<Worker>(0, *cfg_, 1);
    worker_->tables = tables_.get();
    seed_neighbours(*worker_, *tables_);
  }
  void TearDown() override {
    worker_.reset();
    rte_mempool_free(pool_);
  }

  // Runs one packet through the pipeline; returns its context and what it sent (if anything).
  PacketContext send(const std::vector<uint8_t>& frame, uint8_t port, uint64_t time_ns,
                     std::vector<uint8_t>* sent = nullptr) {
    Burst b;
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    std::memcpy(rte_pktmbuf_append(m, uint16_t(frame.size())), frame.data(), frame.size());
    b.mbufs[0] = m;
    b.count = 1;
    b.ctx[0].in_port = port;
    b.ctx[0].direction = port == 0 ? Direction::ingress : Direction::egress;
    b.ctx[0].time_ns = time_ns;
    run_pipeline(*worker_, b);
    for (uint8_t p = 0; p < kPortCount; ++p) {
      for (uint16_t i = 0; i < worker_->tx_count[p]; ++i) {
        if (sent) {
          const uint8_t* d = rte_pktmbuf_mtod(worker_->tx[p][i], const uint8_t*);
          sent->assign(d, d + rte_pktmbuf_data_len(worker_->tx[p][i]));
        }
        rte_pktmbuf_free(worker_->tx[p][i]);
      }
      worker_->tx_count[p] = 0;
    }
    Record r;
    while (worker_->to_control.pop(r)) {
    }
    return b.ctx[0];
  }

  // Client 203.0.113.10:port opens a connection to the VIP (SYN, then the backend's
  // SYN-ACK); returns the backend Maglev chose.
  uint32_t open_connection(uint16_t port, uint64_t time_ns) {
    const PacketContext syn =
        send(segment(kClient, port, kVip, 80, 0x02, 100, 0, true), 0, time_ns);
    EXPECT_EQ(syn.last().reason, Reason::forward_routed);
    const uint8_t backend_ip[4] = {10, 0, 0, uint8_t(10 + syn.backend)};
    send(segment(backend_ip, 80, kClient, port, 0x12, 500, 101, false), 1, time_ns + 1000);
    return syn.backend;
  }

  // The tables of `generation` with `backend` taken out, as a health check or a drain's
  // weight 0 (`overlay.down`) publishes them, and past its drain deadline when asked.
  std::unique_ptr<Tables> without(uint32_t backend, uint64_t generation, bool deadline_passed) {
    HealthOverlay overlay;
    overlay.down = {{0, 0}};
    overlay.down[0][backend] = 1;
    if (deadline_passed) {
      overlay.drain_expired = {{0, 0}};
      overlay.drain_expired[0][backend] = 1;
    }
    std::string error;
    auto tables = build_tables(*cfg_, generation, nullptr, error, &overlay);
    EXPECT_TRUE(tables) << error;
    return tables;
  }

  static constexpr uint8_t kClient[4] = {203, 0, 113, 10}, kVip[4] = {198, 51, 100, 10};
  std::optional<Config> cfg_;
  std::unique_ptr<Tables> tables_;
  rte_mempool* pool_ = nullptr;
  std::unique_ptr<Worker> worker_;
};

TEST_F(LbDrainTest, APinnedFlowSurvivesItsBackendLeavingAndIsResetAfterTheDeadline) {
  const uint8_t* client = kClient;
  const uint8_t* vip = kVip;
  const uint32_t backend = open_connection(40000, 1000);
  EXPECT_EQ(worker_->flows.size(), 1u);

  // The backend is drained (weight 0): new flows avoid it, the pinned one carries on.
  auto drained = without(backend, 2, false);
  ASSERT_TRUE(drained);
  worker_->tables = drained.get();
  const PacketContext ack = send(segment(client, 40000, vip, 80, 0x10, 101, 501, true), 0, 3000);
  EXPECT_EQ(ack.last().reason, Reason::forward_routed);
  for (uint16_t port = 41000; port < 41020; ++port) {
    const PacketContext other = send(segment(client, port, vip, 80, 0x02, 1, 0, true), 0, 3000);
    EXPECT_NE(other.backend, backend) << port;
  }

  // The deadline passed: the flow's next packet is answered with a RST and the flow expires.
  auto expired = without(backend, 3, true);
  ASSERT_TRUE(expired);
  worker_->tables = expired.get();
  std::vector<uint8_t> rst;
  const PacketContext data =
      send(segment(client, 40000, vip, 80, 0x18, 101, 501, true), 0, 4000, &rst);
  EXPECT_EQ(data.last().layer, Layer::loadbalancer);
  EXPECT_EQ(data.last().reason, Reason::lb_drain_reset);
  EXPECT_EQ(data.out_port, 0);
  ASSERT_EQ(rst.size(), 54u);
  EXPECT_EQ(rst[14 + 20 + 13], 0x04);  // RST, seq = the segment's ack
  EXPECT_EQ(load_be32(rst.data() + 14 + 20 + 4), 501u);
  EXPECT_EQ(0, std::memcmp(rst.data() + 14 + 12, vip, 4));  // from the VIP
  const size_t before = worker_->flows.size();
  // Expiry runs before the next burst's lookups (the wheel turns in whole ticks: a second on).
  const PacketContext after =
      send(segment(client, 40000, vip, 80, 0x10, 101, 501, true), 0, 1000004000);
  EXPECT_EQ(worker_->flows.size(), before - 1);
  EXPECT_EQ(after.last().reason, Reason::conntrack_invalid);  // no flow any more
  worker_->tables = tables_.get();
}

TEST_F(LbDrainTest, AConnectionReopenedOnAClosedFlowIsBalancedAfresh) {
  // A connection runs its course to TIME_WAIT; its backend is then taken out (a health
  // check). The client opens a new connection on the same 5-tuple: it must reach the other
  // backend, and the new backend's answers must find it.
  const uint8_t* client = kClient;
  const uint8_t* vip = kVip;
  const uint32_t backend = open_connection(40001, 1000);
  const uint8_t backend_ip[4] = {10, 0, 0, uint8_t(10 + backend)};
  send(segment(client, 40001, vip, 80, 0x10, 101, 501, true), 0, 3000);
  send(segment(backend_ip, 80, client, 40001, 0x11, 501, 101, false), 1, 4000);  // FIN
  send(segment(client, 40001, vip, 80, 0x11, 101, 502, true), 0, 5000);          // FIN
  send(segment(backend_ip, 80, client, 40001, 0x10, 502, 102, false), 1, 6000);  // last ACK
  ASSERT_EQ(worker_->flows.size(), 1u);
  const uint64_t created = worker_->counters.flows_created.get();

  // Same tables: the new connection is placed afresh and Maglev places it where it was.
  const PacketContext again = send(segment(client, 40001, vip, 80, 0x02, 900, 0, true), 0, 7000);
  const auto passed = [](const PacketContext& c, Reason r) {
    for (uint8_t s = 0; s < c.step_count; ++s)
      if (c.steps[s].reason == r) return true;
    return false;
  };
  EXPECT_TRUE(passed(again, Reason::conntrack_new));
  EXPECT_EQ(again.last().reason, Reason::forward_routed);
  EXPECT_EQ(again.backend, backend);
  EXPECT_EQ(worker_->flows.size(), 1u);
  EXPECT_EQ(worker_->counters.flows_created.get(), created + 1);
  send(segment(client, 40001, vip, 80, 0x04, 901, 0, true), 0, 8000);  // RST: closed again

  auto taken_out = without(backend, 2, false);
  ASSERT_TRUE(taken_out);
  worker_->tables = taken_out.get();
  const PacketContext moved = send(segment(client, 40001, vip, 80, 0x02, 1000, 0, true), 0, 9000);
  EXPECT_EQ(moved.last().reason, Reason::forward_routed);
  EXPECT_TRUE(passed(moved, Reason::conntrack_new));
  EXPECT_NE(moved.backend, backend);
  const uint8_t other_ip[4] = {10, 0, 0, uint8_t(10 + moved.backend)};
  const PacketContext answer =
      send(segment(other_ip, 80, client, 40001, 0x12, 700, 1001, false), 1, 10000);
  EXPECT_EQ(answer.last().reason, Reason::forward_routed);
  // The old backend's late segment for that 5-tuple belongs to no flow any more.
  const PacketContext late =
      send(segment(backend_ip, 80, client, 40001, 0x10, 503, 102, false), 1, 11000);
  EXPECT_NE(late.last().reason, Reason::forward_routed);
  EXPECT_EQ(worker_->flows.size(), 1u);
  worker_->tables = tables_.get();
}

}  // namespace
}  // namespace gauntlet
