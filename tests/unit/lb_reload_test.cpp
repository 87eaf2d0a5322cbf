// Reloads while health checks and drains run, through the same wiring as a live run
// (connect_reloads: Reloader -> HealthDriver::reload -> Generations::publish) and the real
// stages on one worker, with a dataplane clock the test moves: the probes are the segments the
// worker sends, their answers are segments it receives, the flows are real flows. Also the
// IPv6 probe path end to end (segment bytes, answer consumed as lb:probe-answer).
#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <unistd.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dataplane/control/reload.h"
#include "dataplane/control/report.h"
#include "dataplane/lb/health_driver.h"
#include "dataplane/pipeline/stages.h"
#include "tests/unit/eal_environment.h"

namespace gauntlet {
namespace {

const auto* const kEal = ::testing::AddGlobalTestEnvironment(new gauntlet::testing::EalEnvironment);

constexpr uint64_t kS = 1000000000ull, kMs = 1000000ull, kStart = 1700000000ull * kS;
constexpr uint8_t kOutside = 0, kInside = 1;
const uint8_t kOutMac[6] = {2, 0, 0, 0, 0, 1}, kInMac[6] = {2, 0, 0, 0, 0, 2},
              kPeer[6] = {2, 0, 0, 0, 1, 0xfe};

// Ethernet + IPv4/IPv6 + TCP (+ payload), checksums right, to gauntlet's MAC on `port`.
std::vector<uint8_t> tcp_frame(const std::string& src, uint16_t sport, const std::string& dst,
                               uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack,
                               uint8_t port, const std::string& payload = "") {
  IpAddress s{}, d{};
  const uint8_t version = parse_ip(src.c_str(), s);
  EXPECT_EQ(parse_ip(dst.c_str(), d), version);
  const size_t l3 = version == 6 ? 40 : 20;
  std::vector<uint8_t> f(14 + l3 + 20 + payload.size(), 0);
  std::memcpy(f.data(), port == kOutside ? kOutMac : kInMac, 6);
  std::memcpy(f.data() + 6, kPeer, 6);
  store_be16(f.data() + 12, version == 6 ? 0x86dd : 0x0800);
  uint8_t* ip = f.data() + 14;
  uint8_t* tcp = ip + l3;
  store_be16(tcp, sport);
  store_be16(tcp + 2, dport);
  for (int i = 0; i < 4; ++i)
    tcp[4 + i] = uint8_t(seq >> (24 - 8 * i)), tcp[8 + i] = uint8_t(ack >> (24 - 8 * i));
  tcp[12] = 5 << 4, tcp[13] = flags, tcp[14] = 0xfa;
  std::memcpy(tcp + 20, payload.data(), payload.size());
  uint16_t sum;
  if (version == 6) {
    ip[0] = 0x60, ip[6] = 6, ip[7] = 64;
    store_be16(ip + 4, uint16_t(20 + payload.size()));
    std::memcpy(ip + 8, s.bytes.data(), 16);
    std::memcpy(ip + 24, d.bytes.data(), 16);
    sum = rte_ipv6_udptcp_cksum(reinterpret_cast<rte_ipv6_hdr*>(ip), tcp);
  } else {
    ip[0] = 0x45, ip[6] = 0x40, ip[8] = 64, ip[9] = 6;
    store_be16(ip + 2, uint16_t(40 + payload.size()));
    std::memcpy(ip + 12, s.bytes.data(), 4);
    std::memcpy(ip + 16, d.bytes.data(), 4);
    auto* h = reinterpret_cast<rte_ipv4_hdr*>(ip);
    h->hdr_checksum = rte_ipv4_cksum(h);
    sum = rte_ipv4_udptcp_cksum(h, tcp);
  }
  std::memcpy(tcp + 16, &sum, 2);
  return f;
}

struct Sent {
  uint8_t port;
  std::vector<uint8_t> frame;
};

class LbReloadTest : public ::testing::Test {
 protected:
  void TearDown() override {
    health_.reset();
    reloader_.reset();
    generations_.reset();
    worker_.reset();
    published_.reset();
    if (pool_) rte_mempool_free(pool_);
    if (events_) fclose(events_);
    std::remove(path_.c_str());
  }

  void write(const std::string& services) {
    std::ofstream(path_)
        << "ports:\n  outside: { mac: 02:00:00:00:00:01, addresses: [198.51.100.1/24, "
           "2001:db8:100::1/64] }\n"
           "  inside: { mac: 02:00:00:00:00:02, addresses: [10.0.0.1/24, fd00::1/64] }\n"
           "routes:\n  - { prefix: 0.0.0.0/0, port: outside, via: 198.51.100.254 }\n"
           "  - { prefix: ::/0, port: outside, via: 2001:db8:100::fe }\n"
           "neighbours:\n  - { address: 198.51.100.254, port: outside, mac: 02:00:00:00:01:fe }\n"
           "  - { address: 2001:db8:100::fe, port: outside, mac: 02:00:00:00:01:fe }\n"
           "  - { address: 10.0.0.10, port: inside, mac: 02:00:00:00:02:0a }\n"
           "  - { address: 10.0.0.11, port: inside, mac: 02:00:00:00:02:0b }\n"
           "  - { address: 10.0.0.12, port: inside, mac: 02:00:00:00:02:0c }\n"
           "  - { address: fd00::10, port: inside, mac: 02:00:00:00:02:10 }\n"
        << services;
  }

  // Starts as a live run does: generation 1, one worker, the driver wired to the reloader.
  void start(const std::string& services) {
    write(services);
    std::vector<ConfigError> errors;
    cfg_ = load_config(path_, errors);
    ASSERT_TRUE(cfg_) << (errors.empty() ? "" : errors[0].to_string());
    std::string error;
    auto tables = build_tables(*cfg_, 1, nullptr, error);
    ASSERT_TRUE(tables) << error;
    published_ = std::make_unique<Published>(1);
    published_->publish(std::move(tables));
    pool_ = rte_pktmbuf_pool_create(("reload" + std::to_string(getpid())).c_str(), 511, 0, 0,
                                    RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_TRUE(pool_);
    worker_ = std::make_unique<Worker>(0, *cfg_, 1);
    worker_->pool = pool_;
    worker_->tables = published_->current();
    seed_neighbours(*worker_, *published_->current());
    workers_ = {worker_.get()};
    generations_ = std::make_unique<Generations>(*published_, nullptr, workers_);
    reloader_ = std::make_unique<Reloader>(*generations_, *cfg_);
    health_ = std::make_unique<HealthDriver>(*cfg_, *published_, nullptr);
    connect_reloads(*health_, *generations_, *reloader_, [this] { return now_; });
    events_ = tmpfile();
  }

  std::vector<Sent> take_tx() {
    std::vector<Sent> out;
    for (uint8_t p = 0; p < kPortCount; ++p) {
      for (uint16_t i = 0; i < worker_->tx_count[p]; ++i) {
        const uint8_t* d = rte_pktmbuf_mtod(worker_->tx[p][i], const uint8_t*);
        out.push_back({p, {d, d + rte_pktmbuf_data_len(worker_->tx[p][i])}});
        rte_pktmbuf_free(worker_->tx[p][i]);
      }
      worker_->tx_count[p] = 0;
    }
    return out;
  }

  // The control core's turn at `now_`: the monitor advances, the worker sends what it asked.
  std::vector<Sent> step() {
    EXPECT_TRUE(health_->step(now_, workers_, events_));
    worker_->tables = published_->current();
    apply_neighbour_updates(*worker_);
    return take_tx();
  }

  // One packet through the pipeline at `now_`; answers reach the monitor as in a live run.
  PacketContext send(const std::vector<uint8_t>& frame, uint8_t port, std::vector<Sent>* out) {
    worker_->tables = published_->current();
    Burst b;
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    std::memcpy(rte_pktmbuf_append(m, uint16_t(frame.size())), frame.data(), frame.size());
    b.mbufs[0] = m;
    b.count = 1;
    b.ctx[0].in_port = port;
    b.ctx[0].direction = port == kOutside ? Direction::ingress : Direction::egress;
    b.ctx[0].time_ns = now_;
    run_pipeline(*worker_, b);
    std::vector<Sent> sent = take_tx();
    if (out) *out = std::move(sent);
    drain_records(workers_, nullptr, nullptr, *published_->current(), {}, &health_->monitor());
    return b.ctx[0];
  }

  std::string events() {
    std::string text;
    rewind(events_);
    char buf[512];
    while (fgets(buf, sizeof buf, events_)) text += buf;
    return text;
  }

  std::string path_ = "/tmp/lb_reload_test_" + std::to_string(getpid()) + ".yaml";
  std::optional<Config> cfg_;
  std::unique_ptr<Published> published_;
  rte_mempool* pool_ = nullptr;
  std::unique_ptr<Worker> worker_;
  std::vector<Worker*> workers_;
  std::unique_ptr<Generations> generations_;
  std::unique_ptr<Reloader> reloader_;
  std::unique_ptr<HealthDriver> health_;
  FILE* events_ = nullptr;
  uint64_t now_ = kStart;
};

// What a probe segment says: destination address, ports, flags, sequence number.
struct ProbeSeen {
  std::string dst;
  uint16_t sport = 0, dport = 0;
  uint8_t flags = 0;
  uint32_t seq = 0;
};
ProbeSeen probe_of(const Sent& s) {
  const uint8_t* ip = s.frame.data() + 14;
  const bool v6 = load_be16(s.frame.data() + 12) == 0x86dd;
  IpAddress a{};
  std::memcpy(a.bytes.data(), ip + (v6 ? 24 : 16), v6 ? 16 : 4);
  const uint8_t* tcp = ip + (v6 ? 40 : 20);
  return {format_ip(a, v6 ? 6 : 4), load_be16(tcp), load_be16(tcp + 2), tcp[13],
          load_be32(tcp + 4)};
}

// The backend a flow's first packet went to (DNAT destination of the frame sent inside).
std::string backend_of(const std::vector<Sent>& out) {
  for (const Sent& s : out)
    if (s.port == kInside) return probe_of(s).dst;
  return "";
}

const std::string kChecked =
    "services:\n  - name: web\n    vip: 198.51.100.10\n    ports: [80]\n"
    "    health: { type: tcp, interval: 1s, timeout: 500ms, rise: 1, fall: 1 }\n"
    "    backends:\n";

TEST_F(LbReloadTest, AReloadAddsABackendAndRemovesAnotherWhileHealthChecksRun) {
  start(kChecked +
        "      - { address: 10.0.0.10, port: 80 }\n"
        "      - { address: 10.0.0.11, port: 80 }\n");
  std::vector<Sent> probes = step();
  ASSERT_EQ(probes.size(), 2u);
  for (const Sent& p : probes) {
    const ProbeSeen s = probe_of(p);
    ASSERT_EQ(s.flags, 0x02);
    // .10 answers, .11 refuses: .11 goes down (fall 1).
    const uint8_t flags = s.dst == "10.0.0.10" ? 0x12 : 0x14;
    EXPECT_EQ(send(tcp_frame(s.dst, 80, "10.0.0.1", s.sport, flags, 9000, s.seq + 1, kInside),
                   kInside, nullptr)
                  .last()
                  .reason,
              Reason::lb_probe_answer);
  }
  step();
  EXPECT_EQ(health_->monitor().health(0, 1), BackendHealth::down);
  const uint64_t before = published_->current()->generation;
  EXPECT_EQ(before, 2u);  // the health change was published

  // The next round, 1 s in: .10 answers again (.11, down, does not).
  now_ = kStart + kS;
  for (const Sent& p : step()) {
    const ProbeSeen seen = probe_of(p);
    if (seen.dst == "10.0.0.10")
      send(tcp_frame(seen.dst, 80, "10.0.0.1", seen.sport, 0x12, 9000, seen.seq + 1, kInside),
           kInside, nullptr);
  }
  EXPECT_EQ(step().size(), 1u);  // the RST that closes .10's probe

  // Reload 1.2 s in: .11 (down) removed, .12 added; the checks run on.
  now_ = kStart + 1200 * kMs;
  write(kChecked +
        "      - { address: 10.0.0.12, port: 80 }\n"
        "      - { address: 10.0.0.10, port: 80 }\n");
  const ReloadOutcome outcome = reloader_->reload();
  ASSERT_TRUE(outcome.ok) << (outcome.errors.empty() ? "" : outcome.errors[0]);
  EXPECT_EQ(outcome.generation, before + 1);
  EXPECT_EQ(published_->current()->generation, before + 1);
  EXPECT_EQ(health_->monitor().overlay().down[0], (std::vector<uint8_t>{0, 0}));

  // The added backend is probed at once, from the inside address, and answers.
  probes = step();
  ASSERT_EQ(probes.size(), 1u);
  ProbeSeen s = probe_of(probes[0]);
  EXPECT_EQ(probes[0].port, kInside);
  EXPECT_EQ(s.dst, "10.0.0.12");
  EXPECT_EQ(s.dport, 80);
  EXPECT_EQ(s.flags, 0x02);
  send(tcp_frame("10.0.0.12", 80, "10.0.0.1", s.sport, 0x12, 9000, s.seq + 1, kInside), kInside,
       nullptr);
  const std::vector<Sent> rst = step();  // connected: closed with a RST, nothing else due
  ASSERT_EQ(rst.size(), 1u);
  EXPECT_EQ(probe_of(rst[0]).dst, "10.0.0.12");
  EXPECT_EQ(probe_of(rst[0]).flags, 0x04);
  EXPECT_EQ(health_->monitor().health(0, 0), BackendHealth::up);
  EXPECT_EQ(published_->current()->generation, before + 1);  // no change, no generation

  // New flows now spread over .12 and .10, never the removed .11.
  std::map<std::string, int> spread;
  for (uint16_t port = 40000; port < 40200; ++port) {
    std::vector<Sent> out;
    const PacketContext c = send(
        tcp_frame("203.0.113.10", port, "198.51.100.10", 80, 0x02, 1, 0, kOutside), kOutside, &out);
    ASSERT_EQ(c.last().reason, Reason::forward_routed) << port;
    ++spread[backend_of(out)];
  }
  EXPECT_EQ(spread.size(), 2u);
  EXPECT_GT(spread["10.0.0.12"], 50);
  EXPECT_GT(spread["10.0.0.10"], 50);

  // Its next round, 1 s after the reload: .12 stops answering, goes down and new flows
  // avoid it (.10, probed at 2 s on its own schedule, answers).
  now_ = kStart + 2200 * kMs;
  probes = step();
  ASSERT_EQ(probes.size(), 2u);
  for (const Sent& p : probes) {
    s = probe_of(p);
    EXPECT_EQ(s.flags, 0x02);
    if (s.dst == "10.0.0.10")
      send(tcp_frame(s.dst, 80, "10.0.0.1", s.sport, 0x12, 9000, s.seq + 1, kInside), kInside,
           nullptr);
  }
  now_ = kStart + 2700 * kMs;
  step();
  EXPECT_EQ(health_->monitor().health(0, 0), BackendHealth::down);
  EXPECT_EQ(health_->monitor().health(0, 1), BackendHealth::up);
  std::vector<Sent> out;
  send(tcp_frame("203.0.113.11", 50000, "198.51.100.10", 80, 0x02, 1, 0, kOutside), kOutside, &out);
  EXPECT_EQ(backend_of(out), "10.0.0.10");
  const std::string log = events();
  EXPECT_NE(log.find("\"backend\":\"10.0.0.11:80\",\"from\":\"up\",\"to\":\"down\""),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("\"backend\":\"10.0.0.12:80\",\"from\":\"up\",\"to\":\"down\""),
            std::string::npos)
      << log;
}

TEST_F(LbReloadTest, ADrainDeadlineCountsFromTheReloadThatDrainedTheBackend) {
  const std::string service =
      "services:\n  - name: web\n    vip: 198.51.100.10\n    ports: [80]\n    backends:\n";
  start(service + "      - { address: 10.0.0.10, port: 80 }\n");
  // A flow pinned to .10 at the start.
  std::vector<Sent> out;
  send(tcp_frame("203.0.113.10", 40000, "198.51.100.10", 80, 0x02, 100, 0, kOutside), kOutside,
       &out);
  ASSERT_EQ(backend_of(out), "10.0.0.10");
  send(tcp_frame("10.0.0.10", 80, "203.0.113.10", 40000, 0x12, 500, 101, kInside), kInside, &out);
  step();

  // 100 s in, a reload drains .10 (and adds .11) with a 30 s deadline.
  now_ = kStart + 100 * kS;
  write(service +
        "      - { address: 10.0.0.10, port: 80, weight: 0, drain_deadline: 30s }\n"
        "      - { address: 10.0.0.11, port: 80 }\n");
  const ReloadOutcome outcome = reloader_->reload();
  ASSERT_TRUE(outcome.ok) << (outcome.errors.empty() ? "" : outcome.errors[0]);
  EXPECT_TRUE(health_->active());
  EXPECT_EQ(health_->next_due(), 0u);  // its first step starts it
  step();
  EXPECT_EQ(health_->next_due(), kStart + 130 * kS);

  // The pinned flow carries on past start + 30 s and until reload + 30 s.
  now_ = kStart + 129 * kS;
  step();
  PacketContext c =
      send(tcp_frame("203.0.113.10", 40000, "198.51.100.10", 80, 0x10, 101, 501, kOutside),
           kOutside, &out);
  EXPECT_EQ(c.last().reason, Reason::forward_routed);
  EXPECT_EQ(backend_of(out), "10.0.0.10");

  // Another reload in between (the deadline unchanged) does not restart the count.
  write(service +
        "      - { address: 10.0.0.11, port: 80 }\n"
        "      - { address: 10.0.0.10, port: 80, weight: 0, drain_deadline: 30s }\n");
  ASSERT_TRUE(reloader_->reload().ok);

  now_ = kStart + 130 * kS;
  step();
  c = send(tcp_frame("203.0.113.10", 40000, "198.51.100.10", 80, 0x18, 101, 501, kOutside),
           kOutside, &out);
  EXPECT_EQ(c.last().layer, Layer::loadbalancer);
  EXPECT_EQ(c.last().reason, Reason::lb_drain_reset);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].port, kOutside);
  EXPECT_EQ(out[0].frame[14 + 20 + 13], 0x04);  // a RST to the client
  const std::string log = events();
  EXPECT_NE(log.find("\"event\":\"drain-deadline\",\"time\":\"2023-11-14T22:15:30"),
            std::string::npos)
      << log;  // kStart + 130 s
}

TEST_F(LbReloadTest, Ipv6ProbesGoOutAsSegmentsAndTheirAnswersAreConsumedAndJudged) {
  start(
      "services:\n  - name: web6\n    vip: 2001:db8:100::10\n    ports: [80]\n"
      "    health: { type: http, path: /healthz, interval: 1s, timeout: 500ms, rise: 1, "
      "fall: 1 }\n"
      "    backends:\n      - { address: 'fd00::10', port: 80 }\n");
  std::vector<Sent> probes = step();
  ASSERT_EQ(probes.size(), 1u);
  const std::vector<uint8_t>& f = probes[0].frame;
  ASSERT_EQ(probes[0].port, kInside);
  ASSERT_EQ(f.size(), 14u + 40 + 20);
  const uint8_t backend_mac[6] = {2, 0, 0, 0, 2, 0x10};
  EXPECT_EQ(0, std::memcmp(f.data(), backend_mac, 6));
  EXPECT_EQ(0, std::memcmp(f.data() + 6, kInMac, 6));
  EXPECT_EQ(load_be16(f.data() + 12), 0x86dd);
  const uint8_t* ip = f.data() + 14;
  EXPECT_EQ(ip[0] >> 4, 6);
  EXPECT_EQ(load_be16(ip + 4), 20);  // payload length: the bare TCP header
  EXPECT_EQ(ip[6], 6);               // next header TCP
  EXPECT_EQ(ip[7], 64);
  IpAddress src{}, dst{};
  parse_ip("fd00::1", src);
  parse_ip("fd00::10", dst);
  EXPECT_EQ(0, std::memcmp(ip + 8, src.bytes.data(), 16));
  EXPECT_EQ(0, std::memcmp(ip + 24, dst.bytes.data(), 16));
  const uint8_t* tcp = ip + 40;
  const uint16_t sport = load_be16(tcp);
  EXPECT_GE(sport, 61000);
  EXPECT_LE(sport, 61999);
  EXPECT_EQ(load_be16(tcp + 2), 80);
  EXPECT_EQ(tcp[12], 5 << 4);
  EXPECT_EQ(tcp[13], 0x02);
  EXPECT_EQ(rte_ipv6_udptcp_cksum_verify(reinterpret_cast<const rte_ipv6_hdr*>(ip), tcp), 0);
  const uint32_t isn = load_be32(tcp + 4);

  // SYN-ACK: consumed as lb:probe-answer; the request follows.
  std::vector<Sent> out;
  PacketContext c = send(tcp_frame("fd00::10", 80, "fd00::1", sport, 0x12, 7000, isn + 1, kInside),
                         kInside, &out);
  EXPECT_EQ(c.last().layer, Layer::loadbalancer);
  EXPECT_EQ(c.last().reason, Reason::lb_probe_answer);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(worker_->flows.size(), 0u);  // never a flow
  probes = step();
  ASSERT_EQ(probes.size(), 1u);
  const std::vector<uint8_t>& g = probes[0].frame;
  const std::string request =
      "GET /healthz HTTP/1.1\r\nHost: [fd00::10]:80\r\nUser-Agent: "
      "gauntlet-health\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(g.size(), 14u + 40 + 20 + request.size());
  EXPECT_EQ(load_be16(g.data() + 14 + 4), 20 + request.size());
  EXPECT_EQ(g[14 + 40 + 13], 0x18);  // ACK|PSH
  EXPECT_EQ(load_be32(g.data() + 14 + 40 + 4), isn + 1);
  EXPECT_EQ(load_be32(g.data() + 14 + 40 + 8), 7001u);
  EXPECT_EQ(std::string(g.begin() + 14 + 40 + 20, g.end()), request);
  EXPECT_EQ(rte_ipv6_udptcp_cksum_verify(reinterpret_cast<const rte_ipv6_hdr*>(g.data() + 14),
                                         g.data() + 14 + 40),
            0);

  // A 503: the check fails (fall 1), the backend goes down, a generation without it follows.
  c = send(tcp_frame("fd00::10", 80, "fd00::1", sport, 0x18, 7001, isn + 1 + request.size(),
                     kInside, "HTTP/1.1 503 Service Unavailable\r\n\r\n"),
           kInside, &out);
  EXPECT_EQ(c.last().reason, Reason::lb_probe_answer);
  probes = step();
  ASSERT_EQ(probes.size(), 1u);  // the RST that closes the exchange
  EXPECT_EQ(probes[0].frame[14 + 40 + 13], 0x04);
  EXPECT_EQ(health_->monitor().health(0, 0), BackendHealth::down);
  EXPECT_EQ(published_->current()->generation, 2u);
  EXPECT_NE(events().find("\"backend\":\"[fd00::10]:80\",\"from\":\"up\",\"to\":\"down\","
                          "\"reason\":\"1 probes failed in a row, the last: status 503 "
                          "(expected 200)\""),
            std::string::npos)
      << events();
  // Every backend down: a new flow to the VIP is refused (RST), not balanced.
  c = send(tcp_frame("2001:db8:200::5", 40000, "2001:db8:100::10", 80, 0x02, 1, 0, kOutside),
           kOutside, &out);
  EXPECT_EQ(c.last().reason, Reason::lb_no_backend);

  // Next round passes (rise 1): up again, and flows reach it.
  now_ = kStart + kS;
  probes = step();
  ASSERT_EQ(probes.size(), 1u);
  const ProbeSeen s = probe_of(probes[0]);
  EXPECT_EQ(s.dst, "fd00::10");
  send(tcp_frame("fd00::10", 80, "fd00::1", s.sport, 0x12, 8000, s.seq + 1, kInside), kInside,
       &out);
  step();
  send(tcp_frame("fd00::10", 80, "fd00::1", s.sport, 0x18, 8001,
                 s.seq + 1 + uint32_t(request.size()), kInside, "HTTP/1.1 200 OK\r\n\r\n"),
       kInside, &out);
  step();
  EXPECT_EQ(health_->monitor().health(0, 0), BackendHealth::up);
  c = send(tcp_frame("2001:db8:200::5", 40001, "2001:db8:100::10", 80, 0x02, 1, 0, kOutside),
           kOutside, &out);
  EXPECT_EQ(c.last().reason, Reason::forward_routed);
  EXPECT_EQ(backend_of(out), "fd00::10");
}

}  // namespace
}  // namespace gauntlet
