// Direct server return through the real stages (forwarding: dsr-ipip): the client's packet
// leaves for its Maglev backend unchanged inside an outer IPv4/IPv6 header from the inside
// address; a segment of a connection this instance never saw is taken up mid-stream and sent
// to the backend another instance would pick; packets too big for the tunnel get ICMP
// fragmentation needed / packet too big; the config refuses what cannot work.
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dataplane/conntrack/tcp_state.h"
#include "dataplane/control/tables.h"
#include "dataplane/pipeline/stages.h"
#include "tests/unit/eal_environment.h"

namespace gauntlet {
namespace {

const auto* const kEal = ::testing::AddGlobalTestEnvironment(new gauntlet::testing::EalEnvironment);

constexpr uint8_t kOutMac[6] = {2, 0, 0, 0, 0, 1}, kInMac[6] = {2, 0, 0, 0, 0, 2},
                  kGwMac[6] = {2, 0, 0, 0, 1, 0xfe};

const char* const kConfig = R"(ports:
  outside: { mac: 02:00:00:00:00:01, addresses: [198.51.100.1/24, 2001:db8:100::1/64] }
  inside: { mac: 02:00:00:00:00:02, addresses: [10.0.0.1/24, fd00::1/64]MTU }
routes:
  - { prefix: 0.0.0.0/0, port: outside, via: 198.51.100.254 }
  - { prefix: ::/0, port: outside, via: 2001:db8:100::fe }
neighbours:
  - { address: 198.51.100.254, port: outside, mac: 02:00:00:00:01:fe }
  - { address: 2001:db8:100::fe, port: outside, mac: 02:00:00:00:01:fe }
  - { address: 10.0.0.10, port: inside, mac: 02:00:00:00:02:0a }
  - { address: 10.0.0.11, port: inside, mac: 02:00:00:00:02:0b }
  - { address: 10.0.0.12, port: inside, mac: 02:00:00:00:02:0c }
  - { address: fd00::10, port: inside, mac: 02:00:00:00:02:10 }
  - { address: fd00::11, port: inside, mac: 02:00:00:00:02:11 }
services:
  - name: web
    vip: 198.51.100.10
    ports: [80]
    forwarding: dsr-ipip
    backends:
      - { address: 10.0.0.10, port: 80 }
      - { address: 10.0.0.11, port: 80 }
      - { address: 10.0.0.12, port: 80 }
  - name: web6
    vip: 2001:db8:100::10
    ports: [443]
    forwarding: dsr-ipip
    backends:
      - { address: fd00::10, port: 443 }
      - { address: fd00::11, port: 443 }
  - name: dns
    vip: 198.51.100.11
    ports: [53]
    protocol: udp
    forwarding: dsr-ipip
    backends:
      - { address: 10.0.0.10, port: 53 }
      - { address: 10.0.0.11, port: 53 }
)";

std::string config_text(const std::string& mtu) {
  std::string s = kConfig;
  s.replace(s.find("MTU"), 3, mtu.empty() ? "" : ", mtu: " + mtu);
  return s;
}

std::optional<Config> load(const std::string& text, std::vector<ConfigError>& errors) {
  const std::string path = "/tmp/lb_dsr_test_" + std::to_string(getpid()) + ".yaml";
  std::ofstream(path) << text;
  auto cfg = load_config(path, errors);
  std::remove(path.c_str());
  return cfg;
}

// Ethernet from the gateway + IPv4 or IPv6 + TCP (or UDP) with `payload` bytes, to the VIP.
void put32(uint8_t* p, uint32_t v) {
  store_be16(p, uint16_t(v >> 16));
  store_be16(p + 2, uint16_t(v));
}

std::vector<uint8_t> client_packet(bool v6, const std::string& src, uint16_t sport,
                                   const std::string& dst, uint16_t dport, uint8_t flags,
                                   size_t payload = 0, bool df = true, uint8_t proto = 6) {
  const size_t l3 = v6 ? 40 : 20, l4 = proto == 6 ? 20 : 8;
  std::vector<uint8_t> f(14 + l3 + l4 + payload, 0);
  std::memcpy(f.data(), kOutMac, 6);
  std::memcpy(f.data() + 6, kGwMac, 6);
  store_be16(f.data() + 12, v6 ? 0x86dd : 0x0800);
  uint8_t* ip = f.data() + 14;
  IpAddress s{}, d{};
  parse_ip(src, s);
  parse_ip(dst, d);
  if (v6) {
    ip[0] = 0x60, ip[1] = 0x0a, ip[2] = 0xbc, ip[3] = 0xde;  // traffic class 0, flow label
    store_be16(ip + 4, uint16_t(l4 + payload));
    ip[6] = proto, ip[7] = 57;
    std::memcpy(ip + 8, s.bytes.data(), 16);
    std::memcpy(ip + 24, d.bytes.data(), 16);
  } else {
    ip[0] = 0x45, ip[1] = 0x2a;  // DSCP 10, ECN 2: copied to the outer header
    store_be16(ip + 2, uint16_t(l3 + l4 + payload));
    store_be16(ip + 4, 0x1234);
    ip[6] = df ? 0x40 : 0, ip[8] = 57, ip[9] = proto;
    std::memcpy(ip + 12, s.bytes.data(), 4);
    std::memcpy(ip + 16, d.bytes.data(), 4);
  }
  uint8_t* t = ip + l3;
  store_be16(t, sport);
  store_be16(t + 2, dport);
  if (proto == 6) {
    put32(t + 4, 1000);
    put32(t + 8, flags & 0x10 ? 5000 : 0);
    t[12] = 5 << 4, t[13] = flags, t[14] = 0xfa;
  } else {
    store_be16(t + 4, uint16_t(8 + payload));
  }
  for (size_t i = 0; i < payload; ++i) t[l4 + i] = uint8_t(i * 7);
  const uint16_t sum = v6 ? rte_ipv6_udptcp_cksum(reinterpret_cast<rte_ipv6_hdr*>(ip), t)
                          : (reinterpret_cast<rte_ipv4_hdr*>(ip)->hdr_checksum =
                                 rte_ipv4_cksum(reinterpret_cast<rte_ipv4_hdr*>(ip)),
                             rte_ipv4_udptcp_cksum(reinterpret_cast<rte_ipv4_hdr*>(ip), t));
  std::memcpy(t + (proto == 6 ? 16 : 6), &sum, 2);
  return f;
}

// One gauntlet instance: its own tables and worker built from the same config text.
class Instance {
 public:
  explicit Instance(const std::string& text, int id) {
    std::vector<ConfigError> errors;
    cfg = load(text, errors);
    if (!cfg) {
      for (const ConfigError& e : errors) ADD_FAILURE() << e.to_string();
      return;
    }
    std::string error;
    tables = build_tables(*cfg, uint64_t(id), nullptr, error);  // EAL names differ per id
    EXPECT_TRUE(tables) << error;
    pool = rte_pktmbuf_pool_create(
        ("dsr" + std::to_string(getpid()) + "_" + std::to_string(id)).c_str(), 255, 0, 0,
        RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    EXPECT_TRUE(pool);
    worker = std::make_unique<Worker>(0, *cfg, 1);
    worker->tables = tables.get();
    seed_neighbours(*worker, *tables);
  }
  ~Instance() {
    worker.reset();
    if (pool) rte_mempool_free(pool);
  }

  // Runs one frame through the pipeline; `sent`: the frame it sent (if any) and the port.
  PacketContext send(const std::vector<uint8_t>& frame, std::vector<uint8_t>* sent = nullptr,
                     uint8_t* sent_port = nullptr, uint64_t time_ns = 1000) {
    Burst b;
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    std::memcpy(rte_pktmbuf_append(m, uint16_t(frame.size())), frame.data(), frame.size());
    b.mbufs[0] = m;
    b.count = 1;
    b.ctx[0].in_port = 0;
    b.ctx[0].direction = Direction::ingress;
    b.ctx[0].time_ns = time_ns;
    run_pipeline(*worker, b);
    for (uint8_t p = 0; p < kPortCount; ++p) {
      for (uint16_t i = 0; i < worker->tx_count[p]; ++i) {
        if (sent) {
          const uint8_t* d = rte_pktmbuf_mtod(worker->tx[p][i], const uint8_t*);
          sent->assign(d, d + rte_pktmbuf_data_len(worker->tx[p][i]));
        }
        if (sent_port) *sent_port = p;
        rte_pktmbuf_free(worker->tx[p][i]);
      }
      worker->tx_count[p] = 0;
    }
    Record r;
    while (worker->to_control.pop(r)) {
    }
    return b.ctx[0];
  }

  std::optional<Config> cfg;
  std::unique_ptr<Tables> tables;
  rte_mempool* pool = nullptr;
  std::unique_ptr<Worker> worker;
};

bool has_step(const PacketContext& c, Reason r) {
  for (uint8_t s = 0; s < c.step_count; ++s)
    if (c.steps[s].reason == r) return true;
  return false;
}

uint16_t ones_complement(const uint8_t* p, size_t n) {
  return static_cast<uint16_t>(~rte_raw_cksum(p, n));
}

TEST(LbDsrTest, Ipv4PacketLeavesInsideAnOuterHeaderToItsBackendUnchanged) {
  Instance a(config_text(""), 1);
  const auto syn = client_packet(false, "203.0.113.10", 40000, "198.51.100.10", 80, 0x02);
  std::vector<uint8_t> out;
  uint8_t port = 0xff;
  const PacketContext c = a.send(syn, &out, &port);
  ASSERT_EQ(c.last().reason, Reason::forward_routed);
  EXPECT_TRUE(has_step(c, Reason::lb_backend_chosen));
  EXPECT_TRUE(has_step(c, Reason::lb_dsr_ipip));
  EXPECT_EQ(port, 1);  // inside
  const uint8_t backend = uint8_t(10 + c.backend);
  ASSERT_EQ(out.size(), syn.size() + 20);
  // Ethernet: to the backend's MAC, from the inside port.
  const uint8_t backend_mac[6] = {2, 0, 0, 0, 2, uint8_t(0x0a + c.backend)};
  EXPECT_EQ(0, std::memcmp(out.data(), backend_mac, 6));
  EXPECT_EQ(0, std::memcmp(out.data() + 6, kInMac, 6));
  EXPECT_EQ(load_be16(out.data() + 12), 0x0800);
  const uint8_t* outer = out.data() + 14;
  EXPECT_EQ(outer[0], 0x45);
  EXPECT_EQ(outer[1], 0x2a);  // DSCP/ECN copied
  EXPECT_EQ(load_be16(outer + 2), syn.size() - 14 + 20);
  EXPECT_EQ(load_be16(outer + 6), 0x4000);  // DF as the inner packet's
  EXPECT_EQ(outer[8], 64);                  // a fresh TTL, not decremented
  EXPECT_EQ(outer[9], 4);                   // IP in IP
  EXPECT_EQ(ones_complement(outer, 20), 0);
  const uint8_t source[4] = {10, 0, 0, 1}, dest[4] = {10, 0, 0, backend};
  EXPECT_EQ(0, std::memcmp(outer + 12, source, 4));
  EXPECT_EQ(0, std::memcmp(outer + 16, dest, 4));
  // The inner packet is byte for byte what the client sent (TTL and destination included).
  EXPECT_TRUE(std::equal(syn.begin() + 14, syn.end(), out.begin() + 34));
}

TEST(LbDsrTest, Ipv6PacketLeavesInsideAnOuterIpv6Header) {
  Instance a(config_text(""), 2);
  const auto syn = client_packet(true, "2001:db8:cafe::10", 41000, "2001:db8:100::10", 443, 0x02);
  std::vector<uint8_t> out;
  const PacketContext c = a.send(syn, &out);
  ASSERT_EQ(c.last().reason, Reason::forward_routed);
  EXPECT_TRUE(has_step(c, Reason::lb_dsr_ipip));
  ASSERT_EQ(out.size(), syn.size() + 40);
  EXPECT_EQ(load_be16(out.data() + 12), 0x86dd);
  const uint8_t* outer = out.data() + 14;
  EXPECT_EQ(0, std::memcmp(outer, syn.data() + 14, 4));  // version, class, flow label
  EXPECT_EQ(load_be16(outer + 4), syn.size() - 14);      // payload: the inner packet
  EXPECT_EQ(outer[6], 41);
  EXPECT_EQ(outer[7], 64);
  IpAddress source{}, backend{};
  parse_ip("fd00::1", source);
  parse_ip(c.backend == 0 ? "fd00::10" : "fd00::11", backend);
  EXPECT_EQ(0, std::memcmp(outer + 8, source.bytes.data(), 16));
  EXPECT_EQ(0, std::memcmp(outer + 24, backend.bytes.data(), 16));
  EXPECT_TRUE(std::equal(syn.begin() + 14, syn.end(), out.begin() + 54));
}

TEST(LbDsrTest, LaterSegmentsFollowThePinnedBackendWithoutEverSeeingAReply) {
  Instance a(config_text(""), 3);
  std::vector<uint8_t> first, later;
  const PacketContext syn =
      a.send(client_packet(false, "203.0.113.10", 40001, "198.51.100.10", 80, 0x02), &first);
  ASSERT_EQ(syn.last().reason, Reason::forward_routed);
  // The handshake's ACK, data, then FIN: no SYN-ACK ever passes (the backend answers directly).
  const FlowEntry* flow = nullptr;
  for (uint8_t flags : {0x10, 0x18, 0x11}) {
    const PacketContext c = a.send(
        client_packet(false, "203.0.113.10", 40001, "198.51.100.10", 80, flags, 100), &later);
    ASSERT_EQ(c.last().reason, Reason::forward_routed) << int(flags);
    EXPECT_TRUE(has_step(c, Reason::conntrack_established));
    EXPECT_TRUE(has_step(c, Reason::lb_dsr_ipip));
    EXPECT_EQ(0, std::memcmp(later.data() + 14 + 16, first.data() + 14 + 16, 4));  // same backend
    flow = c.flow;
  }
  ASSERT_EQ(a.worker->flows.size(), 1u);
  ASSERT_TRUE(flow);
  EXPECT_TRUE(flow->tunnelled());
  EXPECT_EQ(flow->nat(), NatKind::none);
  EXPECT_EQ(static_cast<TcpState>(flow->state), TcpState::fin_wait);
}

TEST(LbDsrTest, AnotherInstanceTakesAMovedConnectionUpMidStreamToTheSameBackend) {
  Instance a(config_text(""), 4), b(config_text(""), 5);
  int spread[3] = {0, 0, 0};
  for (uint16_t port = 42000; port < 42060; ++port) {
    std::vector<uint8_t> via_a, via_b;
    const PacketContext syn =
        a.send(client_packet(false, "203.0.113.20", port, "198.51.100.10", 80, 0x02), &via_a);
    ASSERT_EQ(syn.last().reason, Reason::forward_routed);
    ++spread[syn.backend];
    // ECMP moved the connection: b never saw its SYN, and takes its data segment up.
    const PacketContext moved =
        b.send(client_packet(false, "203.0.113.20", port, "198.51.100.10", 80, 0x18, 50), &via_b);
    ASSERT_EQ(moved.last().reason, Reason::forward_routed) << port;
    EXPECT_TRUE(has_step(moved, Reason::conntrack_new));
    EXPECT_EQ(moved.backend, syn.backend) << port;
    EXPECT_EQ(0, std::memcmp(via_a.data() + 14 + 16, via_b.data() + 14 + 16, 4)) << port;
  }
  for (int n : spread) EXPECT_GT(n, 5);  // the flows did spread over all three backends
  // A mid-stream segment to a dnat service would still be invalid: only dsr takes them up.
  Instance c(config_text("").replace(config_text("").find("    forwarding: dsr-ipip\n"), 25, ""),
             6);
  const PacketContext stray =
      c.send(client_packet(false, "203.0.113.20", 42000, "198.51.100.10", 80, 0x18, 50));
  EXPECT_EQ(stray.last().reason, Reason::conntrack_invalid);
}

TEST(LbDsrTest, UdpIsTunnelledToo) {
  Instance a(config_text(""), 7);
  const auto query =
      client_packet(false, "203.0.113.30", 5353, "198.51.100.11", 53, 0, 30, true, 17);
  std::vector<uint8_t> out;
  const PacketContext c = a.send(query, &out);
  ASSERT_EQ(c.last().reason, Reason::forward_routed);
  ASSERT_EQ(out.size(), query.size() + 20);
  EXPECT_EQ(out[14 + 9], 4);
  EXPECT_TRUE(std::equal(query.begin() + 14, query.end(), out.begin() + 34));
}

TEST(LbDsrTest, TooBigForTheTunnelGetsFragmentationNeededOrIsDropped) {
  Instance a(config_text("1400"), 8);
  // 1380 + 20 fits exactly.
  std::vector<uint8_t> out;
  uint8_t port = 0xff;
  const PacketContext fits =
      a.send(client_packet(false, "203.0.113.40", 43000, "198.51.100.10", 80, 0x02, 1380 - 40),
             &out, &port);
  EXPECT_EQ(fits.last().reason, Reason::forward_routed);
  EXPECT_EQ(out.size(), 14u + 1400);
  // One byte more with DF: ICMP fragmentation needed to the client, from the VIP, MTU 1380.
  const auto big =
      client_packet(false, "203.0.113.40", 43001, "198.51.100.10", 80, 0x02, 1381 - 40);
  const PacketContext c = a.send(big, &out, &port);
  EXPECT_EQ(c.last().reason, Reason::lb_dsr_fragmentation_needed);
  EXPECT_EQ(port, 0);
  EXPECT_EQ(0, std::memcmp(out.data(), kGwMac, 6));
  const uint8_t* ip = out.data() + 14;
  const uint8_t vip[4] = {198, 51, 100, 10}, client[4] = {203, 0, 113, 40};
  EXPECT_EQ(ip[9], 1);
  EXPECT_EQ(0, std::memcmp(ip + 12, vip, 4));
  EXPECT_EQ(0, std::memcmp(ip + 16, client, 4));
  const uint8_t* icmp = ip + 20;
  EXPECT_EQ(icmp[0], 3);
  EXPECT_EQ(icmp[1], 4);
  EXPECT_EQ(load_be16(icmp + 6), 1380);
  EXPECT_EQ(ones_complement(icmp, out.size() - 34), 0);
  EXPECT_EQ(0, std::memcmp(icmp + 8, big.data() + 14, 28));  // quotes the header + 8 bytes
  // Without DF: dropped, named.
  const PacketContext no_df = a.send(
      client_packet(false, "203.0.113.40", 43002, "198.51.100.10", 80, 0x02, 1381 - 40, false),
      &out, &port);
  EXPECT_EQ(no_df.last().reason, Reason::lb_dsr_too_big);
  // IPv6: packet too big, MTU 1360.
  const auto big6 =
      client_packet(true, "2001:db8:cafe::10", 43003, "2001:db8:100::10", 443, 0x02, 1361 - 60);
  const PacketContext c6 = a.send(big6, &out, &port);
  EXPECT_EQ(c6.last().reason, Reason::lb_dsr_fragmentation_needed);
  EXPECT_EQ(port, 0);
  EXPECT_EQ(out[14 + 6], 58);
  EXPECT_EQ(out[54], 2);
  EXPECT_EQ(out[55], 0);
  EXPECT_EQ(load_be32(out.data() + 58), 1360u);
}

TEST(LbDsrTest, OneSidedTcpStatesFollowTheClientAlone) {
  EXPECT_EQ(tcp_one_sided_state(TcpState::none, kTcpSyn), TcpState::syn_sent);
  EXPECT_EQ(tcp_one_sided_state(TcpState::syn_sent, kTcpAck), TcpState::established);
  EXPECT_EQ(tcp_one_sided_state(TcpState::none, kTcpAck | kTcpPsh), TcpState::established);
  EXPECT_EQ(tcp_one_sided_state(TcpState::established, kTcpFin | kTcpAck), TcpState::fin_wait);
  EXPECT_EQ(tcp_one_sided_state(TcpState::established, kTcpRst), TcpState::close);
  EXPECT_EQ(tcp_one_sided_state(TcpState::none, kTcpSyn | kTcpAck), TcpState::invalid);
  EXPECT_EQ(tcp_one_sided_state(TcpState::established, kTcpSyn | kTcpFin), TcpState::invalid);
}

std::vector<std::string> errors_of(const std::string& text) {
  std::vector<ConfigError> errors;
  EXPECT_FALSE(load(text, errors));
  std::vector<std::string> out;
  for (const ConfigError& e : errors) out.push_back(e.to_string());
  return out;
}

bool any_contains(const std::vector<std::string>& v, const std::string& what) {
  for (const std::string& s : v)
    if (s.find(what) != std::string::npos) return true;
  ADD_FAILURE() << "no error contains '" << what << "'; got " << v.size() << " errors"
                << (v.empty() ? "" : ": " + v.front());
  return false;
}

TEST(LbDsrTest, ConfigRefusesWhatDirectServerReturnCannotDo) {
  std::string text = config_text("");
  // A backend on another port: the packet arrives unchanged, on the VIP's port.
  std::string port = text;
  port.replace(port.find("{ address: 10.0.0.11, port: 80 }"), 32,
               "{ address: 10.0.0.11, port: 8080 }");
  const auto e1 = errors_of(port);
  EXPECT_TRUE(any_contains(e1, ":22:9: error: backend port 8080 is not a port of the service"));
  // No IPv6 address on the inside port for the IPv6 service's tunnels.
  std::string v6 = text;
  v6.replace(v6.find(", fd00::1/64"), 12, "");
  EXPECT_TRUE(any_contains(errors_of(v6), ":27:17: error: forwarding: dsr-ipip needs an IPv6"));
  std::string bad = text;
  bad.replace(bad.find("dsr-ipip"), 8, "tunnel");
  EXPECT_TRUE(any_contains(errors_of(bad), "forwarding must be dnat or dsr-ipip, not 'tunnel'"));
  std::string waf = text;
  waf.replace(waf.find("    forwarding: dsr-ipip\n"), 0, "    waf: true\n");
  EXPECT_TRUE(any_contains(errors_of(waf), "waf cannot inspect a service with forwarding"));
  std::string mtu = config_text("100");
  EXPECT_TRUE(any_contains(errors_of(mtu), "mtu must be a whole number from 1280 to 9216"));
}

}  // namespace
}  // namespace gauntlet
