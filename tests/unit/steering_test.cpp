// Flow ownership (pipeline/steering.h): for every kind of flow, both directions (and the ICMP
// errors about it) name the same worker, for 1 to 8 workers. Tables are built by hand: the
// steering reads only the SNAT settings, the services, the own addresses and probe ports.
#include "dataplane/pipeline/steering.h"

#include <gtest/gtest.h>

#include "dataplane/conntrack/fragment_table.h"
#include "dataplane/nat/port_allocator.h"
#include "tests/unit/nat_gateway.h"

namespace gauntlet {
namespace {

using testing::Frame;
using testing::icmp;
using testing::ip;
using testing::ipv4;
using testing::kSyn;
using testing::tcp;
using testing::udp;

constexpr uint8_t kOutside = 0, kInside = 1;
constexpr NatPortRange kRange{1024, 65535};

Frame ether(const Frame& packet) {
  Frame f(14);
  f[12] = (packet[0] >> 4) == 6 ? 0x86 : 0x08;
  f[13] = (packet[0] >> 4) == 6 ? 0xdd : 0x00;
  f.insert(f.end(), packet.begin(), packet.end());
  return f;
}

// A minimal IPv6 packet with a UDP header (checksums are not read by the steering).
Frame ipv6_udp(const char* src, const char* dst, uint16_t sport, uint16_t dport) {
  Frame f(40 + 8);
  f[0] = 0x60, f[5] = 8, f[6] = 17, f[7] = 64;
  std::memcpy(&f[8], ip(src).bytes.data(), 16);
  std::memcpy(&f[24], ip(dst).bytes.data(), 16);
  f[40] = sport >> 8, f[41] = sport & 0xff, f[42] = dport >> 8, f[43] = dport & 0xff, f[45] = 8;
  return f;
}

class Steering : public ::testing::Test {
 protected:
  void SetUp() override {
    t.snat.enabled = true;
    t.snat.address = ip("198.51.100.2");
    t.snat.from = {Prefix{ip("10.0.0.0"), 4, 24}};
    t.snat.port_lo = kRange.lo;
    t.snat.port_hi = kRange.hi;
    std::string error;
    CompiledService s{"web", {}, 0, 6, {}, {}, *MaglevTable::build({}, 7, error), {}, {}, {}};
    s.vip = ip("198.51.100.80");
    s.version = 4;
    s.ports = {80};
    BackendConfig b;
    b.address = ip("10.0.1.5");
    b.version = 4;
    b.port = 8080;
    s.backends = {b};
    t.services.push_back(std::move(s));
    t.ports[kInside].v4 = ip("10.0.0.1");
    t.ports[kInside].has_v4 = true;
    t.probe_port_lo = 61000;
    t.probe_port_hi = 61999;
  }
  uint32_t owner(const Frame& packet, uint8_t port, uint32_t n) const {
    const Frame f = ether(packet);
    return steer_frame(f.data(), static_cast<uint32_t>(f.size()), port, t, n);
  }
  // The same with the receiving worker's memory of where first fragments went.
  uint32_t steer(const Frame& packet, uint8_t port, uint32_t n) {
    const Frame f = ether(packet);
    return steer_frame(f.data(), static_cast<uint32_t>(f.size()), port, t, n, &memory, 1000);
  }
  // The external port worker `w` of `n` would give out (any port of its slice).
  static uint16_t port_of(uint32_t w, uint32_t n, uint32_t salt) {
    const NatPortRange s = worker_port_slice(kRange, w, n);
    return static_cast<uint16_t>(s.lo + salt % s.size());
  }
  Tables t;
  FragmentTable memory{1024};
};

TEST_F(Steering, OneWorkerOwnsEverything) {
  EXPECT_EQ(owner(ipv4("10.0.0.10", "9.9.9.9", udp(41000, 53)), kInside, 1), 0u);
  EXPECT_EQ(owner(ipv4("9.9.9.9", "198.51.100.2", udp(53, 41000)), kOutside, 1), 0u);
}

// Egress through SNAT: a pod's address:port goes to the worker whose slice holds that port
// (so it is kept); that worker gives the external port, and the reply to public:port comes
// back to it.
TEST_F(Steering, SnatEgressAndReplyToPublicPort) {
  for (uint32_t n = 1; n <= 8; ++n) {
    for (uint32_t pod = 2; pod < 60; ++pod) {
      const std::string a = "10.0.0." + std::to_string(pod);
      const uint32_t w = owner(ipv4(a.c_str(), "9.9.9.9", udp(41000, 53)), kInside, n);
      ASSERT_LT(w, n);
      EXPECT_EQ(w, port_owner(kRange, n, 41000));  // the pod's port can be kept
      // Every flow of the address:port, to any destination, is on that worker (EIM holds).
      EXPECT_EQ(owner(ipv4(a.c_str(), "203.0.113.7", udp(41000, 443)), kInside, n), w);
      // A port below the range: the address decides, and the external port is from there.
      const uint32_t low = owner(ipv4(a.c_str(), "9.9.9.9", udp(500, 53)), kInside, n);
      EXPECT_EQ(low, address_owner(ip(a.c_str()), 4, n));
      EXPECT_EQ(owner(ipv4("9.9.9.9", "198.51.100.2", udp(53, port_of(low, n, pod))), kOutside, n),
                low);
      const uint16_t ext = port_of(w, n, pod * 7919);
      EXPECT_EQ(owner(ipv4("9.9.9.9", "198.51.100.2", udp(53, ext)), kOutside, n), w) << n;
      EXPECT_EQ(owner(ipv4("203.0.113.7", "198.51.100.2", tcp(443, ext, kSyn)), kOutside, n), w);
      // ICMP echo: the identifier is the port.
      const uint32_t we = owner(ipv4(a.c_str(), "9.9.9.9", icmp(8, 0, 4000 + pod)), kInside, n);
      EXPECT_EQ(we, port_owner(kRange, n, static_cast<uint16_t>(4000 + pod)));
      EXPECT_EQ(
          owner(ipv4("9.9.9.9", "198.51.100.2", icmp(0, 0, port_of(we, n, pod))), kOutside, n), we);
      // An ICMP error about the translated packet (quoting public:ext -> server).
      const Frame quoted = ipv4("198.51.100.2", "9.9.9.9", udp(ext, 53));
      EXPECT_EQ(owner(ipv4("192.0.2.1", "198.51.100.2", icmp(3, 3, 0, quoted)), kOutside, n), w);
      const Frame quoted_echo = ipv4("198.51.100.2", "9.9.9.9", icmp(8, 0, ext));
      EXPECT_EQ(owner(ipv4("192.0.2.1", "198.51.100.2", icmp(11, 0, 0, quoted_echo)), kOutside, n),
                w);
      // A flow let in on the pod's mapping by a third party, and the pod's answer to it.
      EXPECT_EQ(owner(ipv4("192.0.2.99", "198.51.100.2", udp(5000, ext)), kOutside, n), w);
      EXPECT_EQ(owner(ipv4(a.c_str(), "192.0.2.99", udp(41000, 5000)), kInside, n), w);
    }
  }
}

// A load-balanced flow: client -> VIP, backend -> client; ICMP errors both ways.
TEST_F(Steering, DnatFlowAndBackendReply) {
  for (uint32_t n = 1; n <= 8; ++n) {
    for (uint32_t c = 1; c < 200; c += 3) {
      const std::string client = "203.0.113." + std::to_string(c);
      const uint32_t w =
          owner(ipv4(client.c_str(), "198.51.100.80", tcp(50000, 80, kSyn)), kOutside, n);
      ASSERT_LT(w, n);
      EXPECT_EQ(owner(ipv4("10.0.1.5", client.c_str(), tcp(8080, 50000, kSyn)), kInside, n), w);
      // The reply translated back (VIP as source) quoted by a router outside.
      const Frame quoted = ipv4("198.51.100.80", client.c_str(), tcp(80, 50000, kSyn));
      EXPECT_EQ(owner(ipv4("192.0.2.1", "198.51.100.80", icmp(3, 4, 0, quoted)), kOutside, n), w);
      // The backend's host says the port is closed, quoting the translated client packet.
      const Frame to_backend = ipv4(client.c_str(), "10.0.1.5", tcp(50000, 8080, kSyn));
      EXPECT_EQ(owner(ipv4("10.0.1.5", client.c_str(), icmp(3, 3, 0, to_backend)), kInside, n), w);
    }
  }
}

// Routed flows (no NAT; a source outside snat.from; IPv6): both addresses together decide,
// whichever port each direction arrives on.
TEST_F(Steering, PlainRoutedFlowsIpv4AndIpv6) {
  for (uint32_t n = 1; n <= 8; ++n) {
    for (uint32_t r = 1; r < 100; ++r) {
      const std::string remote = "192.0.2." + std::to_string(r);
      const uint32_t w = owner(ipv4("172.16.0.5", remote.c_str(), udp(1000, 2000)), kInside, n);
      EXPECT_EQ(owner(ipv4(remote.c_str(), "172.16.0.5", udp(2000, 1000)), kOutside, n), w);
      // Both directions entering by the outside port (a transit link).
      const uint32_t t1 = owner(ipv4("203.0.113.9", remote.c_str(), udp(53, 999)), kOutside, n);
      EXPECT_EQ(owner(ipv4(remote.c_str(), "203.0.113.9", udp(999, 53)), kOutside, n), t1);
      const std::string remote6 = "2001:db8::" + std::to_string(r);
      const uint32_t w6 = owner(ipv6_udp("fd00::10", remote6.c_str(), 1000, 53), kInside, n);
      ASSERT_LT(w6, n);
      EXPECT_EQ(owner(ipv6_udp(remote6.c_str(), "fd00::10", 53, 1000), kOutside, n), w6);
    }
  }
}

// Fragments: a datagram's later fragments (no ports) go where its first one went: by the
// addresses alone, or (SNAT: the ports decide) by what the receiver remembered of the first.
TEST_F(Steering, FragmentsFollowTheFirst) {
  for (uint32_t n = 1; n <= 8; ++n) {
    for (uint32_t pod = 2; pod < 40; ++pod) {
      const std::string a = "10.0.0." + std::to_string(pod);
      const uint16_t sport = static_cast<uint16_t>(20000 + pod * 997);
      const Frame whole = ipv4(a.c_str(), "9.9.9.9", udp(sport, 53, std::string(64, 'x')),
                               static_cast<uint16_t>(4242 + n));
      const auto parts = testing::fragments(whole, 24);
      ASSERT_GE(parts.size(), 3u);
      const uint32_t w = steer(parts[0], kInside, n);
      EXPECT_EQ(w, port_owner(kRange, n, sport));
      for (const Frame& f : parts) EXPECT_EQ(steer(f, kInside, n), w);
      // The fragmented answer to public:ext.
      const uint16_t ext = port_of(w, n, pod);
      const Frame answer = ipv4("9.9.9.9", "198.51.100.2", udp(53, ext, std::string(64, 'z')),
                                static_cast<uint16_t>(777 + n));
      for (const Frame& f : testing::fragments(answer, 24)) EXPECT_EQ(steer(f, kOutside, n), w);
      // Fragments of a routed flow from outside, and of a load-balanced one.
      const std::string remote = "192.0.2." + std::to_string(pod);
      for (const char* dst : {"172.16.0.5", "198.51.100.80"}) {
        const Frame in = ipv4(remote.c_str(), dst, udp(53, 41000, std::string(64, 'y')), 99);
        const auto in_parts = testing::fragments(in, 24);
        const uint32_t wi = owner(in_parts[0], kOutside, n);
        for (const Frame& f : in_parts) EXPECT_EQ(owner(f, kOutside, n), wi);
      }
    }
  }
}

// A later fragment ahead of its first one, with no record of where the first went: on a
// flow whose owner the ports decide (SNAT), the worker that received it keeps it (to hold it
// and move it once the first is steered, handoff.h); otherwise the rules without ports name
// the owner the first one will have. A first fragment too short for its ports goes the same
// way, so that its later fragments find it stopped where they are.
TEST_F(Steering, FragmentsAheadOfTheirFirstOne) {
  for (uint32_t n = 2; n <= 8; ++n) {
    for (uint32_t pod = 2; pod < 20; ++pod) {
      const std::string a = "10.0.0." + std::to_string(pod);
      const Frame out = ipv4(a.c_str(), "9.9.9.9", udp(41000, 53, std::string(64, 'x')),
                             static_cast<uint16_t>(9000 + pod + n * 100));
      const auto parts = testing::fragments(out, 24);
      // Egress through SNAT, and the fragmented answer to the public address: kept.
      EXPECT_EQ(steer(parts.back(), kInside, n), kAnyWorker);
      const Frame answer = ipv4("9.9.9.9", "198.51.100.2", udp(53, 41000, std::string(64, 'z')),
                                static_cast<uint16_t>(7000 + pod + n * 100));
      EXPECT_EQ(steer(testing::fragments(answer, 24).back(), kOutside, n), kAnyWorker);
      // A routed flow from outside: its owner by addresses, as its first fragment's.
      const std::string remote = "192.0.2." + std::to_string(pod);
      const Frame in = ipv4(remote.c_str(), "172.16.0.5", udp(53, 41000, std::string(64, 'y')),
                            static_cast<uint16_t>(5000 + pod + n * 100));
      const auto in_parts = testing::fragments(in, 24);
      const uint32_t first = owner(in_parts[0], kOutside, n);
      EXPECT_EQ(steer(in_parts.back(), kOutside, n), first);
      // Its first fragment cut short of the UDP header (a parse failure): the same owner.
      Frame cut = in_parts[0];
      cut.resize(20 + 4);
      cut[2] = 0, cut[3] = 24, cut[10] = cut[11] = 0;
      const uint16_t h = testing::fold(testing::sum16(cut.data(), 20));
      cut[10] = h >> 8, cut[11] = h & 0xff;
      EXPECT_EQ(owner(cut, kOutside, n), first);
    }
  }
}

// A hairpinned flow: pod A to the public address:port of pod B's mapping, and B's answer to
// A's public address:port, which the owner of B's port gave out (from its own slice).
TEST_F(Steering, HairpinGoesToTheMappingOwner) {
  for (uint32_t n = 1; n <= 8; ++n) {
    for (uint32_t salt = 0; salt < 50; ++salt) {
      const uint32_t wb = (salt * 5) % n;
      const uint16_t b_port = port_of(wb, n, salt * 131);
      EXPECT_EQ(owner(ipv4("10.0.0.10", "198.51.100.2", udp(40000, b_port)), kInside, n), wb);
      const uint16_t a_port = port_of(wb, n, salt * 977 + 1);
      EXPECT_EQ(owner(ipv4("10.0.0.11", "198.51.100.2", udp(5000, a_port)), kInside, n), wb);
    }
  }
}

// Health-probe answers reach worker 0 (which sends every probe); ARP and neighbour
// discovery belong to whoever received them.
TEST_F(Steering, ProbesAndNeighbourTraffic) {
  for (uint32_t n = 2; n <= 8; ++n) {
    EXPECT_EQ(owner(ipv4("10.0.1.5", "10.0.0.1", tcp(8080, 61005, kSyn | 16)), kInside, n), 0u);
    Frame arp(28);
    arp[0] = 0, arp[1] = 1, arp[2] = 8, arp[4] = 6, arp[5] = 4, arp[7] = 1;
    Frame f(14);
    f[12] = 0x08, f[13] = 0x06;
    f.insert(f.end(), arp.begin(), arp.end());
    EXPECT_EQ(steer_frame(f.data(), static_cast<uint32_t>(f.size()), kOutside, t, n), kAnyWorker);
    EXPECT_EQ(owner(ipv4("198.51.100.254", "198.51.100.1", icmp(9, 0, 0)), kOutside, n),
              kAnyWorker);  // router advertisement
  }
}

TEST_F(Steering, AddressesSpreadOverAllWorkers) {
  for (uint32_t n = 2; n <= 8; ++n) {
    std::vector<uint32_t> hits(n);
    for (uint32_t i = 0; i < 4096; ++i) {
      IpAddress a{};
      a.bytes[0] = 10, a.bytes[1] = static_cast<uint8_t>(i >> 8), a.bytes[2] = i & 0xff,
      a.bytes[3] = 7;
      ++hits[address_owner(a, 4, n)];
    }
    for (uint32_t w = 0; w < n; ++w) EXPECT_GT(hits[w], 4096 / n / 2) << n << " " << w;
  }
}

}  // namespace
}  // namespace gauntlet
