// Tests for SNAT port allocation: endpoint-independent mapping, port preservation, range
// class and parity, per-host quota, exhaustion, release and reuse, per-protocol spaces and
// per-worker slices. No EAL.
#include <cstdint>
#include <gtest/gtest.h>
#include <set>
#include <stdexcept>

#include "dataplane/nat/port_allocator.h"

namespace gauntlet {
namespace {

IpAddress host(uint8_t last) {
  const uint8_t b[4] = {10, 0, 0, last};
  return IpAddress::v4(b);
}
FlowEndpoint ep(uint8_t last, uint16_t port) { return {host(last), port}; }

PortAllocator make(uint16_t lo, uint16_t hi, uint32_t quota = 0) {
  return PortAllocator({{lo, hi}, quota});
}

constexpr auto kTcp = NatProtocol::tcp;
constexpr auto kUdp = NatProtocol::udp;

TEST(PortAllocator, SameInternalEndpointGetsTheSamePortForEveryDestination) {
  PortAllocator a = make(20000, 29999);
  const PortLease first = a.acquire(kTcp, ep(5, 40000), 4);   // flow to one destination
  const PortLease second = a.acquire(kTcp, ep(5, 40000), 4);  // flow to another
  ASSERT_EQ(first.result, PortResult::ok);
  EXPECT_EQ(second.external_port, first.external_port);
  EXPECT_EQ(second.how, PortChoice::existing);
  EXPECT_EQ(a.mapping(kTcp, first.external_port)->flows, 2u);
  EXPECT_EQ(a.ports_in_use(kTcp), 1u);
}

TEST(PortAllocator, MappingOutlivesAllButItsLastFlow) {
  PortAllocator a = make(20000, 29999);
  const uint16_t port = a.acquire(kTcp, ep(5, 40000), 4).external_port;
  a.acquire(kTcp, ep(5, 40000), 4);
  EXPECT_TRUE(a.release(kTcp, port));
  ASSERT_NE(a.mapping(kTcp, port), nullptr);
  EXPECT_EQ(a.acquire(kTcp, ep(5, 40000), 4).external_port, port);
  EXPECT_TRUE(a.release(kTcp, port));
  EXPECT_TRUE(a.release(kTcp, port));
  EXPECT_EQ(a.mapping(kTcp, port), nullptr);
  EXPECT_FALSE(a.release(kTcp, port));  // already free
}

TEST(PortAllocator, ReplyPortMapsBackToTheInternalEndpoint) {
  PortAllocator a = make(20000, 29999);
  const uint16_t port = a.acquire(kUdp, ep(7, 5353), 4).external_port;
  const PortMapping* m = a.mapping(kUdp, port);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->internal_addr, host(7));
  EXPECT_EQ(m->internal_port, 5353);
  EXPECT_EQ(a.mapping(kUdp, 19999), nullptr);  // not this worker's
}

TEST(PortAllocator, FreeInternalPortInTheSliceIsPreserved) {
  PortAllocator a = make(20000, 29999);
  const PortLease l = a.acquire(kTcp, ep(5, 25000), 4);
  EXPECT_EQ(l.external_port, 25000);
  EXPECT_EQ(l.how, PortChoice::preserved);
}

TEST(PortAllocator, TakenInternalPortFallsBackToTheSameParityAndClass) {
  PortAllocator a = make(20000, 29999);
  a.acquire(kTcp, ep(5, 25001), 4);
  const PortLease l = a.acquire(kTcp, ep(6, 25001), 4);  // another host, same port
  EXPECT_NE(l.external_port, 25001);
  EXPECT_EQ(l.external_port % 2, 1);
  EXPECT_EQ(l.how, PortChoice::same_class_parity);
  const PortLease even = a.acquire(kTcp, ep(6, 50000), 4);  // outside the slice
  EXPECT_EQ(even.external_port % 2, 0);
}

TEST(PortAllocator, PrivilegedInternalPortMapsBelow1024WhenTheSliceHasSuch) {
  PortAllocator a = make(600, 2000);
  const PortLease low = a.acquire(kUdp, ep(5, 123), 4);  // NTP
  EXPECT_LT(low.external_port, 1024);
  EXPECT_EQ(low.external_port % 2, 1);
  const PortLease high = a.acquire(kUdp, ep(5, 40001), 4);
  EXPECT_GE(high.external_port, 1024);
  EXPECT_EQ(high.external_port % 2, 1);
}

TEST(PortAllocator, ClassFallsBackToTheOtherWhenTheSliceHasNoneOfIt) {
  PortAllocator a = make(30000, 30010);
  const PortLease l = a.acquire(kUdp, ep(5, 123), 4);
  EXPECT_EQ(l.result, PortResult::ok);
  EXPECT_EQ(l.how, PortChoice::other_class);
}

TEST(PortAllocator, ParityFallsBackWhenOnlyTheOtherParityIsFree) {
  PortAllocator a = make(30000, 30001);
  a.acquire(kUdp, ep(1, 30000), 4);                      // takes the only even port
  const PortLease l = a.acquire(kUdp, ep(2, 40000), 4);  // wants even
  EXPECT_EQ(l.external_port, 30001);
  EXPECT_EQ(l.how, PortChoice::same_class);
}

TEST(PortAllocator, HostOverQuotaGetsQuotaExceededOthersDoNot) {
  PortAllocator a = make(20000, 29999, 2);
  EXPECT_EQ(a.acquire(kTcp, ep(5, 1001), 4).result, PortResult::ok);
  EXPECT_EQ(a.acquire(kTcp, ep(5, 1002), 4).result, PortResult::ok);
  const PortLease third = a.acquire(kTcp, ep(5, 1003), 4);
  EXPECT_EQ(third.result, PortResult::quota_exceeded);
  EXPECT_EQ(port_result_name(third.result), "nat:quota-exceeded");
  EXPECT_EQ(a.acquire(kTcp, ep(5, 1001), 4).result, PortResult::ok);  // existing mapping
  EXPECT_EQ(a.acquire(kTcp, ep(6, 1003), 4).result, PortResult::ok);  // another host
  EXPECT_EQ(a.acquire(kUdp, ep(5, 1003), 4).result, PortResult::ok);  // another protocol
  EXPECT_EQ(a.host_ports(kTcp, host(5), 4), 2u);
}

TEST(PortAllocator, ReleasingAPortRestoresTheHostsQuota) {
  PortAllocator a = make(20000, 29999, 1);
  const uint16_t port = a.acquire(kTcp, ep(5, 1001), 4).external_port;
  EXPECT_EQ(a.acquire(kTcp, ep(5, 1002), 4).result, PortResult::quota_exceeded);
  a.release(kTcp, port);
  EXPECT_EQ(a.host_ports(kTcp, host(5), 4), 0u);
  EXPECT_EQ(a.acquire(kTcp, ep(5, 1002), 4).result, PortResult::ok);
}

TEST(PortAllocator, FullSliceGivesPortExhausted) {
  PortAllocator a = make(40000, 40003);
  for (uint8_t h = 1; h <= 4; ++h)
    ASSERT_EQ(a.acquire(kTcp, ep(h, 1000), 4).result, PortResult::ok);
  const PortLease l = a.acquire(kTcp, ep(9, 1000), 4);
  EXPECT_EQ(l.result, PortResult::port_exhausted);
  EXPECT_EQ(port_result_name(l.result), "nat:port-exhausted");
  EXPECT_EQ(a.acquire(kTcp, ep(1, 1000), 4).result, PortResult::ok);  // existing still works
}

TEST(PortAllocator, ReleasedPortIsReusedByAnotherHost) {
  PortAllocator a = make(40000, 40003);
  uint16_t ports[4];
  for (uint8_t h = 1; h <= 4; ++h) ports[h - 1] = a.acquire(kTcp, ep(h, 1000), 4).external_port;
  EXPECT_TRUE(a.release(kTcp, ports[2]));
  const PortLease l = a.acquire(kTcp, ep(9, 1000), 4);
  EXPECT_EQ(l.result, PortResult::ok);
  EXPECT_EQ(l.external_port, ports[2]);
  EXPECT_EQ(a.mapping(kTcp, ports[2])->internal_addr, host(9));
}

TEST(PortAllocator, NextFitDoesNotHandBackAJustReleasedPort) {
  PortAllocator a = make(40000, 40100);
  const uint16_t p1 = a.acquire(kTcp, ep(1, 50000), 4).external_port;
  a.release(kTcp, p1);
  EXPECT_NE(a.acquire(kTcp, ep(2, 50000), 4).external_port, p1);
}

TEST(PortAllocator, ProtocolsHaveSeparatePortSpaces) {
  PortAllocator a = make(40000, 40000);
  EXPECT_EQ(a.acquire(kTcp, ep(1, 1), 4).external_port, 40000);
  EXPECT_EQ(a.acquire(kUdp, ep(2, 1), 4).external_port, 40000);
  EXPECT_EQ(a.acquire(NatProtocol::icmp, ep(3, 1), 4).external_port, 40000);
  EXPECT_EQ(a.acquire(kTcp, ep(4, 1), 4).result, PortResult::port_exhausted);
}

TEST(PortAllocator, ManyMappingsAndReleasesKeepTheIndexConsistent) {
  PortAllocator a = make(10000, 10999);
  std::set<uint16_t> used;
  for (uint16_t i = 0; i < 1000; ++i) {
    const PortLease l = a.acquire(kTcp, ep(static_cast<uint8_t>(i % 200), 30000 + i), 4);
    ASSERT_EQ(l.result, PortResult::ok);
    ASSERT_TRUE(used.insert(l.external_port).second);
  }
  for (uint16_t p : used)
    if (p % 3 == 0) a.release(kTcp, p);
  for (uint16_t i = 0; i < 1000; ++i) {
    const FlowEndpoint e = ep(static_cast<uint8_t>(i % 200), 30000 + i);
    const PortLease l = a.acquire(kTcp, e, 4);
    ASSERT_EQ(l.result, PortResult::ok);
    EXPECT_EQ(a.mapping(kTcp, l.external_port)->internal_port, e.port);
  }
  EXPECT_EQ(a.ports_in_use(kTcp), 1000u);
}

TEST(PortSlices, WorkersGetDisjointSlicesCoveringTheRange) {
  const NatPortRange all{1024, 65535};
  for (uint32_t workers : {1u, 3u, 8u, 7u}) {
    uint32_t next = all.lo, total = 0;
    for (uint32_t w = 0; w < workers; ++w) {
      const NatPortRange s = worker_port_slice(all, w, workers);
      EXPECT_EQ(s.lo, next);
      EXPECT_LE(s.lo, s.hi);
      total += s.size();
      next = s.hi + 1u;
      EXPECT_EQ(port_owner(all, workers, s.lo), w);
      EXPECT_EQ(port_owner(all, workers, s.hi), w);
    }
    EXPECT_EQ(total, all.size());
    EXPECT_EQ(port_owner(all, workers, 80), workers);  // outside: nobody
  }
}

TEST(PortSlices, TwoWorkersNeverHandOutTheSamePort) {
  const NatPortRange all{1024, 1100};
  PortAllocator w0({worker_port_slice(all, 0, 2), 0});
  PortAllocator w1({worker_port_slice(all, 1, 2), 0});
  std::set<uint16_t> seen;
  for (uint16_t i = 0; i < 38; ++i) {
    const PortLease a = w0.acquire(kTcp, ep(1, 1024 + i), 4);
    const PortLease b = w1.acquire(kTcp, ep(1, 1024 + i), 4);
    ASSERT_EQ(a.result, PortResult::ok);
    ASSERT_EQ(b.result, PortResult::ok);
    EXPECT_TRUE(seen.insert(a.external_port).second);
    EXPECT_TRUE(seen.insert(b.external_port).second);
    EXPECT_EQ(port_owner(all, 2, a.external_port), 0u);
    EXPECT_EQ(port_owner(all, 2, b.external_port), 1u);
  }
}

TEST(PortAllocator, ProtocolNumbersMapToSpaces) {
  EXPECT_EQ(nat_protocol_of(6), NatProtocol::tcp);
  EXPECT_EQ(nat_protocol_of(17), NatProtocol::udp);
  EXPECT_EQ(nat_protocol_of(1), NatProtocol::icmp);
  EXPECT_EQ(nat_protocol_of(58), NatProtocol::icmp);
  EXPECT_FALSE(nat_protocol_of(47).has_value());
}

TEST(PortAllocator, EmptyRangeOrPortZeroIsRejected) {
  EXPECT_THROW(make(0, 100), std::invalid_argument);
  EXPECT_THROW(make(2000, 1000), std::invalid_argument);
}

}  // namespace
}  // namespace gauntlet
