// Health checks: the rise/fall state machine, the monitor's probe schedule and answer
// handling on a given clock, and what a backend going down does to its Maglev table.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

#include "dataplane/lb/health_monitor.h"
#include "dataplane/lb/health_probe.h"
#include "dataplane/lb/maglev_table.h"

namespace gauntlet {
namespace {

constexpr uint64_t kMs = 1000000, kStart = 1700000000ull * 1000000000ull;

TEST(HealthCounter, GoesDownAfterFallFailuresInARowAndUpAfterRisePasses) {
  HealthCounter c;
  EXPECT_EQ(c.state, BackendHealth::up);
  EXPECT_FALSE(c.record(false, 2, 3));
  EXPECT_FALSE(c.record(false, 2, 3));
  EXPECT_TRUE(c.record(false, 2, 3));
  EXPECT_EQ(c.state, BackendHealth::down);
  EXPECT_FALSE(c.record(true, 2, 3));
  EXPECT_TRUE(c.record(true, 2, 3));
  EXPECT_EQ(c.state, BackendHealth::up);
}

TEST(HealthCounter, AResultAgreeingWithTheStateResetsTheCount) {
  HealthCounter c;
  EXPECT_FALSE(c.record(false, 2, 3));
  EXPECT_FALSE(c.record(false, 2, 3));
  EXPECT_FALSE(c.record(true, 2, 3));  // flapping never reaches fall
  EXPECT_FALSE(c.record(false, 2, 3));
  EXPECT_FALSE(c.record(false, 2, 3));
  EXPECT_EQ(c.state, BackendHealth::up);
  EXPECT_TRUE(c.record(false, 2, 3));
  EXPECT_FALSE(c.record(true, 2, 3));
  EXPECT_FALSE(c.record(false, 2, 3));  // back to zero passes
  EXPECT_FALSE(c.record(true, 2, 3));
  EXPECT_TRUE(c.record(true, 2, 3));
}

TEST(HealthCounter, RiseAndFallOfOneActAtOnce) {
  HealthCounter c;
  EXPECT_TRUE(c.record(false, 1, 1));
  EXPECT_TRUE(c.record(true, 1, 1));
  EXPECT_FALSE(c.record(true, 1, 1));
}

BackendConfig backend(const char* address, uint16_t port, const HealthConfig& h) {
  BackendConfig b;
  b.version = parse_ip(address, b.address);
  b.port = port;
  b.health = h;
  return b;
}

Config one_service(HealthConfig h) {
  Config cfg;
  ServiceConfig svc;
  svc.name = "web";
  svc.version = parse_ip("198.51.100.10", svc.vip);
  svc.ports = {80};
  svc.health = h;
  svc.probe_port_lo = 61000;
  svc.probe_port_hi = 61009;
  svc.backends = {backend("10.0.0.10", 80, h), backend("10.0.0.11", 80, h)};
  cfg.services.push_back(svc);
  return cfg;
}

HealthConfig tcp_check() {
  HealthConfig h;
  h.interval_ns = 1000 * kMs;
  h.timeout_ns = 500 * kMs;
  h.rise = 2;
  h.fall = 2;
  return h;
}

// The backend's answer to `probe` with `flags`; seq is the backend's own.
Record answer(const Record& probe, uint8_t flags, uint64_t time_ns, uint32_t seq = 7000,
              uint16_t payload = 0, uint16_t status = 0) {
  Record a;
  a.kind = RecordKind::probe_answer;
  a.ip_version = probe.ip_version;
  a.src = probe.dst;
  a.src_port = probe.dst_port;
  a.dst_port = probe.src_port;
  a.time_ns = time_ns;
  a.probe.tcp_flags = flags;
  a.probe.seq = seq;
  a.probe.ack = probe.probe.seq + 1;
  a.probe.payload_length = payload;
  a.probe.http_status = status;
  return a;
}

TEST(HealthMonitor, ProbesEveryBackendAtStartThenEveryInterval) {
  const Config cfg = one_service(tcp_check());
  HealthMonitor m(cfg);
  ASSERT_TRUE(m.active());
  EXPECT_EQ(m.next_due(), 0u);  // starts at the first advance
  m.advance(kStart);
  auto sent = m.take_requests();
  ASSERT_EQ(sent.size(), 2u);
  for (const Record& r : sent) {
    EXPECT_EQ(r.kind, RecordKind::probe_send);
    EXPECT_EQ(r.probe.tcp_flags, kTcpSyn);
    EXPECT_EQ(r.dst_port, 80);
    EXPECT_EQ(r.time_ns, kStart);
    EXPECT_GE(r.src_port, 61000);
    EXPECT_LE(r.src_port, 61009);
  }
  EXPECT_NE(sent[0].src_port, sent[1].src_port);
  EXPECT_EQ(m.next_due(), kStart + 500 * kMs);  // the timeouts come first
  m.on_answer(answer(sent[0], kTcpSyn | kTcpAck, kStart + kMs));
  m.on_answer(answer(sent[1], kTcpSyn | kTcpAck, kStart + kMs));
  auto resets = m.take_requests();
  ASSERT_EQ(resets.size(), 2u);  // connected: each is closed with a RST
  EXPECT_EQ(resets[0].probe.tcp_flags, kTcpRst);
  EXPECT_EQ(resets[0].probe.seq, sent[0].probe.seq + 1);
  EXPECT_EQ(resets[0].time_ns, kStart + kMs);
  EXPECT_EQ(m.next_due(), kStart + 1000 * kMs);
  m.advance(kStart + 999 * kMs);
  EXPECT_TRUE(m.take_requests().empty());
  m.advance(kStart + 1000 * kMs);
  EXPECT_EQ(m.take_requests().size(), 2u);
  EXPECT_TRUE(m.take_transitions().empty());
  EXPECT_FALSE(m.changed());
}

TEST(HealthMonitor, TimeoutsTakeABackendDownAfterFallAndPassesBringItBack) {
  const Config cfg = one_service(tcp_check());
  HealthMonitor m(cfg);
  std::vector<HealthTransition> changes;
  // Backend 0 always answers; backend 1 answers nothing for two rounds, then again.
  for (int round = 0; round < 5; ++round) {
    const uint64_t t = kStart + uint64_t(round) * 1000 * kMs;
    m.advance(t);
    for (const Record& r : m.take_requests())
      if (r.probe.tcp_flags == kTcpSyn && (r.lb_backend == 0 || round >= 3))
        m.on_answer(answer(r, kTcpSyn | kTcpAck, t + 2 * kMs));
    m.take_requests();
    for (auto& c : m.take_transitions()) changes.push_back(c);
  }
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].backend, 1);
  EXPECT_EQ(changes[0].to, BackendHealth::down);
  // Timed out at 500 ms into the second round.
  EXPECT_EQ(changes[0].time_ns, kStart + 1500 * kMs);
  EXPECT_EQ(changes[0].reason, "2 probes failed in a row, the last: timeout");
  EXPECT_EQ(changes[0].backends_up, 1u);
  EXPECT_EQ(changes[0].backend_name, "10.0.0.11:80");
  EXPECT_EQ(changes[1].to, BackendHealth::up);
  EXPECT_EQ(changes[1].time_ns, kStart + 4002 * kMs);  // rise 2: rounds 3 and 4
  EXPECT_EQ(m.health(0, 1), BackendHealth::up);
  EXPECT_TRUE(m.changed());
}

TEST(HealthMonitor, ARefusalCountsAsAFailureAndAllDownLeavesNoBackend) {
  HealthConfig h = tcp_check();
  h.fall = 1;
  const Config cfg = one_service(h);
  HealthMonitor m(cfg);
  m.advance(kStart);
  for (const Record& r : m.take_requests()) m.on_answer(answer(r, kTcpRst | kTcpAck, kStart + kMs));
  const auto changes = m.take_transitions();
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1].reason, "1 probes failed in a row, the last: connection refused (RST)");
  EXPECT_EQ(changes[1].backends_up, 0u);
  EXPECT_EQ(m.overlay().down[0], (std::vector<uint8_t>{1, 1}));
}

TEST(HealthMonitor, IgnoresStrayLateAndMisacknowledgedAnswers) {
  const Config cfg = one_service(tcp_check());
  HealthMonitor m(cfg);
  m.advance(kStart);
  const auto sent = m.take_requests();
  Record wrong_ack = answer(sent[0], kTcpSyn | kTcpAck, kStart + kMs);
  wrong_ack.probe.ack += 5;
  m.on_answer(wrong_ack);
  Record wrong_source = answer(sent[0], kTcpSyn | kTcpAck, kStart + kMs);
  wrong_source.src_port = 81;
  m.on_answer(wrong_source);
  Record rst_without_ack = answer(sent[0], kTcpRst, kStart + kMs);  // RFC 9293: not for our SYN
  m.on_answer(rst_without_ack);
  EXPECT_TRUE(m.take_requests().empty());
  m.advance(kStart + 500 * kMs);  // both time out
  // Answers to the finished probes arrive late: they count for nothing.
  m.on_answer(answer(sent[0], kTcpSyn | kTcpAck, kStart + 600 * kMs));
  EXPECT_TRUE(m.take_requests().empty());
  m.advance(kStart + 1000 * kMs);
  const auto next = m.take_requests();
  ASSERT_EQ(next.size(), 2u);
  EXPECT_NE(next[0].src_port, sent[0].src_port);  // a fresh port per probe
  EXPECT_NE(next[0].probe.seq, sent[0].probe.seq);
}

TEST(HealthMonitor, HttpCheckSendsTheRequestAndJudgesTheStatusLine) {
  HealthConfig h = tcp_check();
  h.type = HealthConfig::Type::http;
  h.path = "/healthz";
  h.fall = 1;
  const Config cfg = one_service(h);
  HealthMonitor m(cfg);
  m.advance(kStart);
  const auto syns = m.take_requests();
  for (const Record& r : syns) m.on_answer(answer(r, kTcpSyn | kTcpAck, kStart + kMs, 9000));
  const auto gets = m.take_requests();
  ASSERT_EQ(gets.size(), 2u);
  EXPECT_EQ(gets[0].probe.tcp_flags, kTcpAck | kTcpPsh);
  EXPECT_TRUE(gets[0].probe.http_request);
  EXPECT_EQ(gets[0].probe.seq, syns[0].probe.seq + 1);
  EXPECT_EQ(gets[0].probe.ack, 9001u);
  const std::string request = http_probe_request(h, cfg.services[0].backends[0]);
  EXPECT_EQ(request,
            "GET /healthz HTTP/1.1\r\nHost: 10.0.0.10:80\r\nUser-Agent: gauntlet-health\r\n"
            "Connection: close\r\n\r\n");
  // Backend 0 answers 200, backend 1 answers 503; a bare ACK before that changes nothing.
  m.on_answer(answer(syns[1], kTcpAck, kStart + 2 * kMs, 9001));
  m.on_answer(answer(syns[0], kTcpAck | kTcpPsh, kStart + 3 * kMs, 9001, 40, 200));
  m.on_answer(answer(syns[1], kTcpAck | kTcpPsh, kStart + 3 * kMs, 9001, 40, 503));
  const auto closes = m.take_requests();
  ASSERT_EQ(closes.size(), 2u);
  EXPECT_EQ(closes[0].probe.tcp_flags, kTcpRst);
  EXPECT_EQ(closes[0].probe.seq, syns[0].probe.seq + 1 + request.size());
  const auto changes = m.take_transitions();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].backend, 1);
  EXPECT_EQ(changes[0].reason, "1 probes failed in a row, the last: status 503 (expected 200)");
}

TEST(HealthMonitor, DrainDeadlineFiresOnceAtStartPlusDeadline) {
  Config cfg;
  ServiceConfig svc;
  svc.name = "web";
  BackendConfig drained;
  drained.version = parse_ip("10.0.0.12", drained.address);
  drained.port = 80;
  drained.weight = 0;
  drained.drain_deadline_ns = 30000 * kMs;
  svc.backends = {drained};
  cfg.services.push_back(svc);
  HealthMonitor m(cfg);
  ASSERT_TRUE(m.active());
  m.advance(kStart);
  EXPECT_EQ(m.next_due(), kStart + 30000 * kMs);
  m.advance(kStart + 29999 * kMs);
  EXPECT_TRUE(m.take_transitions().empty());
  m.advance(kStart + 40000 * kMs);
  const auto changes = m.take_transitions();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, HealthTransition::Kind::drain_deadline);
  EXPECT_EQ(changes[0].time_ns, kStart + 30000 * kMs);
  EXPECT_EQ(m.overlay().drain_expired[0][0], 1);
  EXPECT_EQ(m.next_due(), kNever);
}

// Two backends, 10.0.0.10 and 10.0.0.11, with `weight` and `deadline` for the second.
Config drain_config(uint32_t weight, uint64_t deadline_ns) {
  Config cfg;
  ServiceConfig svc;
  svc.name = "web";
  for (const char* a : {"10.0.0.10", "10.0.0.11"}) {
    BackendConfig b;
    b.version = parse_ip(a, b.address);
    b.port = 80;
    svc.backends.push_back(b);
  }
  svc.backends[1].weight = weight;
  svc.backends[1].drain_deadline_ns = deadline_ns;
  cfg.services.push_back(svc);
  return cfg;
}

TEST(HealthMonitor, DrainDeadlineCountsFromTheReloadThatDrainedTheBackend) {
  HealthMonitor m(drain_config(1, 0));
  EXPECT_FALSE(m.active());
  m.advance(kStart);
  // 100 s into the run a reload drains backend 1 with a 30 s deadline: it fires at 130 s,
  // not at 30 s (the start).
  m.reconfigure(drain_config(0, 30000 * kMs), kStart + 100000 * kMs);
  ASSERT_TRUE(m.active());
  EXPECT_EQ(m.drain_began(0, 1), kStart + 100000 * kMs);
  EXPECT_EQ(m.next_due(), kStart + 130000 * kMs);
  m.advance(kStart + 129999 * kMs);
  EXPECT_TRUE(m.take_transitions().empty());
  EXPECT_EQ(m.overlay().drain_expired[0][1], 0);
  // A later reload that keeps it drained (the deadline raised to 40 s) keeps when draining
  // began: the deadline counts from 100 s still.
  m.reconfigure(drain_config(0, 40000 * kMs), kStart + 120000 * kMs);
  EXPECT_EQ(m.drain_began(0, 1), kStart + 100000 * kMs);
  m.advance(kStart + 135000 * kMs);
  EXPECT_TRUE(m.take_transitions().empty());
  m.advance(kStart + 150000 * kMs);
  const auto changes = m.take_transitions();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, HealthTransition::Kind::drain_deadline);
  EXPECT_EQ(changes[0].time_ns, kStart + 140000 * kMs);
  EXPECT_EQ(changes[0].backend_name, "10.0.0.11:80");
  EXPECT_EQ(m.overlay().drain_expired[0][1], 1);
  // Undrained, then drained again: a new drain, counted from that reload.
  m.reconfigure(drain_config(1, 0), kStart + 200000 * kMs);
  EXPECT_EQ(m.overlay().drain_expired[0][1], 0);
  EXPECT_EQ(m.drain_began(0, 1), kNever);
  m.reconfigure(drain_config(0, 10000 * kMs), kStart + 300000 * kMs);
  EXPECT_EQ(m.next_due(), kStart + 310000 * kMs);
}

TEST(HealthMonitor, ADeadlineAlreadyPastWhenAReloadSetsItFiresAtTheReload) {
  HealthMonitor m(drain_config(0, 0));  // drained from the start, no deadline
  m.advance(kStart);
  EXPECT_EQ(m.drain_began(0, 1), kStart);
  m.reconfigure(drain_config(0, 5000 * kMs), kStart + 60000 * kMs);
  EXPECT_EQ(m.next_due(), kStart + 60000 * kMs);
  m.advance(kStart + 60000 * kMs);
  const auto changes = m.take_transitions();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].time_ns, kStart + 60000 * kMs);
}

TEST(HealthMonitor, AReloadKeepsRemainingBackendsStateAddsNewOnesUpAndDropsRemovedOnes) {
  HealthConfig h = tcp_check();
  h.fall = 1;
  Config first = one_service(h);  // 10.0.0.10, 10.0.0.11
  HealthMonitor m(first);
  m.advance(kStart);
  // .10 refuses (down, fall 1); .11's probe is left in flight.
  auto sent = m.take_requests();
  ASSERT_EQ(sent.size(), 2u);
  m.on_answer(answer(sent[0], kTcpRst | kTcpAck, kStart + kMs));
  ASSERT_EQ(m.take_transitions().size(), 1u);
  EXPECT_EQ(m.health(0, 0), BackendHealth::down);

  // Reload: .12 added in front, .10 kept (now second), .11 removed.
  Config second = first;
  auto& backends = second.services[0].backends;
  backends = {backend("10.0.0.12", 80, h), backends[0]};
  m.reconfigure(second, kStart + 100 * kMs);
  EXPECT_EQ(m.overlay().down[0], (std::vector<uint8_t>{0, 1}));  // .12 starts up; .10 stays down
  EXPECT_EQ(m.health(0, 1), BackendHealth::down);
  EXPECT_TRUE(m.changed());
  // The removed backend's probe in flight counts for nothing: its answer is ignored.
  m.on_answer(answer(sent[1], kTcpSyn | kTcpAck, kStart + 101 * kMs));
  EXPECT_TRUE(m.take_requests().empty());
  // The new backend is probed at the reload; the kept one on its own schedule (1 s).
  EXPECT_EQ(m.next_due(), kStart + 100 * kMs);
  m.advance(kStart + 100 * kMs);
  auto probes = m.take_requests();
  ASSERT_EQ(probes.size(), 1u);
  EXPECT_EQ(format_ip(probes[0].dst, 4), "10.0.0.12");
  EXPECT_EQ(probes[0].lb_backend, 0);
  EXPECT_EQ(probes[0].time_ns, kStart + 100 * kMs);
  m.on_answer(answer(probes[0], kTcpRst | kTcpAck, kStart + 102 * kMs));
  auto changes = m.take_transitions();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].backend_name, "10.0.0.12:80");
  EXPECT_EQ(changes[0].backend, 0);
  EXPECT_EQ(changes[0].to, BackendHealth::down);
  m.take_requests();
  m.advance(kStart + 1000 * kMs);
  probes = m.take_requests();
  ASSERT_EQ(probes.size(), 1u);
  EXPECT_EQ(format_ip(probes[0].dst, 4), "10.0.0.10");
  EXPECT_EQ(probes[0].lb_backend, 1);  // its new index
  // Rise 2 for the kept backend counts from its kept state.
  m.on_answer(answer(probes[0], kTcpSyn | kTcpAck, kStart + 1001 * kMs));
  m.advance(kStart + 2000 * kMs);
  for (const Record& r : m.take_requests())
    if (r.lb_backend == 1 && r.probe.tcp_flags == kTcpSyn)
      m.on_answer(answer(r, kTcpSyn | kTcpAck, kStart + 2001 * kMs));
  changes = m.take_transitions();
  ASSERT_FALSE(changes.empty());
  EXPECT_EQ(changes.back().backend_name, "10.0.0.10:80");
  EXPECT_EQ(changes.back().to, BackendHealth::up);
}

TEST(HealthMonitor, AProbeInFlightSurvivesAReloadThatKeepsItsBackendAndSettings) {
  const Config cfg = one_service(tcp_check());
  HealthMonitor m(cfg);
  m.advance(kStart);
  auto sent = m.take_requests();
  ASSERT_EQ(sent.size(), 2u);
  Config reordered = cfg;
  std::swap(reordered.services[0].backends[0], reordered.services[0].backends[1]);
  HealthConfig slower = tcp_check();
  slower.interval_ns = 2000 * kMs;
  reordered.services[0].backends[0].health = slower;  // .11: settings changed
  m.reconfigure(reordered, kStart + 10 * kMs);
  // .10 (now index 1) keeps its exchange: its answer completes it (a RST closes it).
  m.on_answer(answer(sent[0], kTcpSyn | kTcpAck, kStart + 11 * kMs));
  auto out = m.take_requests();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].probe.tcp_flags, kTcpRst);
  EXPECT_EQ(out[0].lb_backend, 1);
  // .11's exchange was abandoned: its late answer is ignored, and it is probed again now.
  m.on_answer(answer(sent[1], kTcpSyn | kTcpAck, kStart + 12 * kMs));
  EXPECT_TRUE(m.take_requests().empty());
  m.advance(kStart + 10 * kMs);
  out = m.take_requests();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(format_ip(out[0].dst, 4), "10.0.0.11");
  EXPECT_EQ(out[0].probe.tcp_flags, kTcpSyn);
  EXPECT_EQ(m.next_due(), kStart + 510 * kMs);  // its timeout
}

TEST(HttpStatus, ReadsOnlyAnHttpStatusLine) {
  auto status = [](const char* s) {
    return http_status_of(reinterpret_cast<const uint8_t*>(s), std::strlen(s));
  };
  EXPECT_EQ(status("HTTP/1.1 200 OK\r\n"), 200);
  EXPECT_EQ(status("HTTP/1.0 503 Service Unavailable\r\n"), 503);
  EXPECT_EQ(status("HTTP/1.1 200"), 200);
  EXPECT_EQ(status("HTTP/2 200 OK\r\n"), 0);
  EXPECT_EQ(status("HTTP/1.1 20x OK"), 0);
  EXPECT_EQ(status("HTTP/1.1 2000 OK"), 0);
  EXPECT_EQ(status("SSH-2.0-OpenSSH"), 0);
}

// What the health overlay does to a table: the backend keeps its key and index with weight 0.
std::vector<MaglevBackend> equal_backends(uint32_t n) {
  std::vector<MaglevBackend> out;
  for (uint32_t i = 0; i < n; ++i)
    out.push_back({*maglev_backend_key(
                       "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1), 80),
                   1});
  return out;
}

MaglevTable build(const std::vector<MaglevBackend>& b, uint32_t m) {
  std::string error;
  auto t = MaglevTable::build(b, m, error);
  EXPECT_TRUE(t) << error;
  return std::move(*t);
}

TEST(MaglevHealth, ADownBackendsSlotsMoveAndFewOthersDoAndItsReturnRestoresTheTable) {
  for (uint32_t n : {10u, 100u, 1000u}) {
    const auto healthy = equal_backends(n);
    const uint32_t down = n / 3;
    auto overlay = healthy;
    overlay[down].weight = 0;
    auto removed = healthy;
    removed.erase(removed.begin() + down);
    const MaglevTable before = build(healthy, kDefaultMaglevTableSize);
    const MaglevTable after = build(overlay, kDefaultMaglevTableSize);
    const MaglevTable without = build(removed, kDefaultMaglevTableSize);
    uint32_t its = 0, others = 0, others_moved = 0;
    for (uint32_t s = 0; s < kDefaultMaglevTableSize; ++s) {
      const uint32_t was = before.slots()[s], now = after.slots()[s];
      // Same table as without the backend, and indexes unchanged for everyone else.
      ASSERT_EQ(now, without.slots()[s] < down ? without.slots()[s] : without.slots()[s] + 1);
      ASSERT_NE(now, down);
      if (was == down) {
        ++its;
      } else {
        ++others;
        others_moved += now != was;
      }
    }
    EXPECT_GT(its, 0u);
    const double pct = 100.0 * others_moved / others;
    EXPECT_LE(pct, 1.0) << "N=" << n;
    std::printf("backend down: N=%u, its %u slots moved, and %.3f%% of the other slots\n", n, its,
                pct);
    // Coming back: the original table, slot for slot.
    auto back = overlay;
    back[down].weight = 1;
    const MaglevTable rejoined = build(back, kDefaultMaglevTableSize);
    EXPECT_TRUE(
        std::equal(rejoined.slots().begin(), rejoined.slots().end(), before.slots().begin()));
  }
}

TEST(MaglevHealth, EveryBackendDownGivesAnEmptyTableNotADivision) {
  auto all = equal_backends(3);
  for (auto& b : all) b.weight = 0;
  const MaglevTable t = build(all, 7);
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.lookup(12345), kNoBackend);
  EXPECT_EQ(t.table_size(), 7u);
}

// Config: health and drain keys, and what they may not be.
class HealthConfigTest : public ::testing::Test {
 protected:
  std::string path_ = "/tmp/lb_health_test_" + std::to_string(getpid()) + ".yaml";
  void TearDown() override { std::remove(path_.c_str()); }
  std::optional<Config> load(const std::string& services, const std::string& extra,
                             std::vector<ConfigError>& errors) {
    std::ofstream(path_)
        << "ports:\n  outside: { mac: 02:00:00:00:00:01, addresses: [198.51.100.1/24] }\n"
           "  inside: { mac: 02:00:00:00:00:02, addresses: [10.0.0.1/24] }\n"
        << extra << "services:\n"
        << services;
    return load_config(path_, errors);
  }
  std::string errors_text(const std::vector<ConfigError>& errors) {
    std::string s;
    for (const ConfigError& e : errors) s += e.to_string() + "\n";
    return s;
  }
};

TEST_F(HealthConfigTest, ServiceSettingsReachEveryBackendAndABackendOverrides) {
  std::vector<ConfigError> errors;
  const auto cfg = load(
      "  - name: web\n    vip: 198.51.100.10\n    ports: [80]\n"
      "    health: { type: http, path: /healthz, interval: 2s, timeout: 500ms, rise: 1, fall: 4 }\n"
      "    backends:\n      - { address: 10.0.0.10, port: 80 }\n"
      "      - { address: 10.0.0.11, port: 80, health: { type: tcp, port: 8081 } }\n"
      "      - { address: 10.0.0.12, port: 80, weight: 0, drain_deadline: 30s }\n",
      "", errors);
  ASSERT_TRUE(cfg) << errors_text(errors);
  const auto& b = cfg->services[0].backends;
  ASSERT_TRUE(b[0].health && b[1].health);
  EXPECT_EQ(b[0].health->type, HealthConfig::Type::http);
  EXPECT_EQ(b[0].health->path, "/healthz");
  EXPECT_EQ(b[0].health->interval_ns, 2000 * kMs);
  EXPECT_EQ(b[0].health->timeout_ns, 500 * kMs);
  EXPECT_EQ(b[0].health->fall, 4u);
  EXPECT_EQ(b[1].health->type, HealthConfig::Type::tcp);
  EXPECT_EQ(b[1].health->port, 8081);
  EXPECT_EQ(b[1].health->fall, 4u);  // the rest from the service
  EXPECT_EQ(b[2].drain_deadline_ns, 30000 * kMs);
  EXPECT_EQ(cfg->services[0].probe_port_lo, 61000);  // the default range
  EXPECT_EQ(cfg->services[0].probe_port_hi, 61999);
}

TEST_F(HealthConfigTest, ProbePortsOverlappingSnatAreAConfigErrorWithItsPlace) {
  std::vector<ConfigError> errors;
  const auto cfg = load(
      "  - name: web\n    vip: 198.51.100.10\n    ports: [80]\n"
      "    health: { type: tcp }\n    backends:\n      - { address: 10.0.0.10, port: 80 }\n",
      "snat: { address: 198.51.100.2, from: [10.0.0.0/24], ports: 1024-65535 }\n", errors);
  EXPECT_FALSE(cfg);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 6);  // the service
  EXPECT_NE(errors[0].message.find("overlap snat ports 1024-65535"), std::string::npos)
      << errors[0].message;
  errors.clear();
  EXPECT_TRUE(
      load("  - name: web\n    vip: 198.51.100.10\n    ports: [80]\n"
           "    health: { type: tcp }\n    backends:\n      - { address: 10.0.0.10, port: 80 }\n",
           "snat: { address: 198.51.100.2, from: [10.0.0.0/24], ports: 1024-60999 }\n", errors))
      << errors_text(errors);
}

TEST_F(HealthConfigTest, BadHealthValuesAreRefusedOneByOne) {
  std::vector<ConfigError> errors;
  const auto cfg = load(
      "  - name: web\n    vip: 198.51.100.10\n    ports: [80]\n"
      "    health: { type: udp, interval: 5 parsecs, rise: 0, path: no-slash, expect_status: 99,"
      " source_ports: 62000-61000, colour: red }\n"
      "    backends:\n      - { address: 10.0.0.10, port: 80, drain_deadline: 5s }\n",
      "", errors);
  EXPECT_FALSE(cfg);
  const std::string text = errors_text(errors);
  for (const char* expected :
       {"unknown key 'colour'", "health type must be tcp or http", "interval must be a duration",
        "rise must be a whole number", "path must start with '/'", "expect_status must be",
        "source_ports must be a range", "drain_deadline applies to a drained backend"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
}

TEST_F(HealthConfigTest, TimeoutLongerThanIntervalAndTooFewProbePortsAreRefused) {
  std::vector<ConfigError> errors;
  EXPECT_FALSE(
      load("  - name: web\n    vip: 198.51.100.10\n    ports: [80]\n"
           "    health: { interval: 1s, timeout: 2s }\n"
           "    backends:\n      - { address: 10.0.0.10, port: 80 }\n",
           "", errors));
  EXPECT_NE(errors_text(errors).find("timeout must not be longer than its interval"),
            std::string::npos)
      << errors_text(errors);
  errors.clear();
  EXPECT_FALSE(
      load("  - name: web\n    vip: 198.51.100.10\n    ports: [80]\n"
           "    health: { source_ports: 61000-61000 }\n"
           "    backends:\n      - { address: 10.0.0.10, port: 80 }\n      - { address: 10.0.0.11, "
           "port: 80 }\n",
           "", errors));
  EXPECT_NE(errors_text(errors).find("fewer than the 2 checked backends"), std::string::npos)
      << errors_text(errors);
}

}  // namespace
}  // namespace gauntlet
