// NAT policy beyond the RFC MUSTs: the filtering setting (RFC 4787 REQ-8, RFC 5382 REQ-3,
// recommended) and bad input (impossible TCP flags, packets to the public address that no
// mapping expects). Each refused packet is stopped with a named reason and creates nothing.
#include <gtest/gtest.h>

#include "tests/unit/eal_environment.h"
#include "tests/unit/nat_gateway.h"

namespace gauntlet::testing {
namespace {

const ::testing::Environment* const kEal = ::testing::AddGlobalTestEnvironment(new EalEnvironment);

constexpr const char* kServer = "203.0.113.10";
constexpr const char* kThird = "203.0.113.77";

TEST(NatFiltering, AddressAndPortDependentDropsOtherEndpointsAndCreatesNothing) {
  Gateway g(gateway_config(", filtering: address-and-port-dependent"));
  ASSERT_TRUE(g.from_pod(ipv4(kPodA, kServer, udp(5000, 123))).forwarded());
  // Another host, and the same host from another port: both filtered.
  EXPECT_TRUE(
      g.from_internet(ipv4(kThird, kPublic, udp(123, 5000))).stopped(Reason::nat_no_mapping));
  EXPECT_TRUE(
      g.from_internet(ipv4(kServer, kPublic, udp(124, 5000))).stopped(Reason::nat_no_mapping));
  EXPECT_TRUE(
      g.from_internet(ipv4(kThird, kPublic, tcp(80, 5000, kSyn))).stopped(Reason::nat_no_mapping));
  EXPECT_EQ(g.flows(), 1u);
  EXPECT_TRUE(g.from_internet(ipv4(kServer, kPublic, udp(123, 5000))).forwarded());
}

TEST(NatFiltering, EndpointIndependentLetsAnyEndpointReachThePod) {
  Gateway g(gateway_config(", filtering: endpoint-independent"));
  ASSERT_TRUE(g.from_pod(ipv4(kPodA, kServer, udp(5000, 123))).forwarded());
  const Result in = g.from_internet(ipv4(kThird, kPublic, udp(4444, 5000, "hello")));
  ASSERT_TRUE(in.forwarded()) << reason_name(in.last.reason);
  EXPECT_EQ(in.dst(), std::string(kPodA) + ":5000");
  EXPECT_EQ(in.src(), std::string(kThird) + ":4444");
  EXPECT_TRUE(checksums_ok(in.sent));
  EXPECT_EQ(g.flows(), 2u);  // a new flow, inbound
  // The pod answers: it leaves from its mapping.
  const Result answer = g.from_pod(ipv4(kPodA, kThird, udp(5000, 4444)));
  ASSERT_TRUE(answer.forwarded());
  EXPECT_EQ(answer.src(), std::string(kPublic) + ":5000");
  EXPECT_EQ(answer.dst(), std::string(kThird) + ":4444");
  EXPECT_TRUE(checksums_ok(answer.sent));
  // The inbound flow holds a share of the mapping: it outlives the pod's own flow.
  EXPECT_TRUE(g.from_internet(ipv4(kThird, kPublic, udp(4444, 5000)), 100.0).forwarded());
  EXPECT_EQ(g.ports_in_use(NatProtocol::udp), 1u);
  // An unmapped port stays closed, and a TCP packet that is no SYN starts nothing.
  EXPECT_TRUE(
      g.from_internet(ipv4(kThird, kPublic, udp(4444, 5001))).stopped(Reason::nat_no_mapping));
  EXPECT_TRUE(
      g.from_internet(ipv4(kThird, kPublic, tcp(80, 5000, kAck))).stopped(Reason::nat_no_mapping));
  // Everything expires, and the port goes back.
  g.from_pod(ipv4(kPodB, kServer, udp(6000, 123)), 400.0);
  EXPECT_EQ(g.ports_in_use(NatProtocol::udp), 1u);  // pod B's only
}

TEST(NatFiltering, EndpointIndependentTcpSynReachesThePod) {
  Gateway g(gateway_config(", filtering: endpoint-independent"));
  ASSERT_TRUE(g.from_pod(ipv4(kPodA, kServer, tcp(40000, 443, kSyn))).forwarded());
  const Result syn = g.from_internet(ipv4(kThird, kPublic, tcp(5555, 40000, kSyn, 7)));
  ASSERT_TRUE(syn.forwarded()) << reason_name(syn.last.reason);
  EXPECT_EQ(syn.dst(), std::string(kPodA) + ":40000");
  const Result synack = g.from_pod(ipv4(kPodA, kThird, tcp(40000, 5555, kSyn | kAck, 70, 8)));
  ASSERT_TRUE(synack.forwarded()) << reason_name(synack.last.reason);
  EXPECT_EQ(synack.src(), std::string(kPublic) + ":40000");
}

TEST(NatBadInput, ImpossibleTcpFlagsStartNothing) {
  Gateway g(gateway_config());
  EXPECT_TRUE(g.from_pod(ipv4(kPodA, kServer, tcp(40000, 443, kSyn | kFin)))
                  .stopped(Reason::conntrack_invalid));
  EXPECT_TRUE(g.from_pod(ipv4(kPodA, kServer, tcp(40001, 443, kSyn | kRst)))
                  .stopped(Reason::conntrack_invalid));
  EXPECT_TRUE(g.from_internet(ipv4(kServer, kPublic, tcp(443, 40000, kSyn | kFin)))
                  .stopped(Reason::nat_no_mapping));
  EXPECT_EQ(g.flows(), 0u);
  EXPECT_EQ(g.ports_in_use(NatProtocol::tcp), 0u);
  // Inside an established flow, SYN+FIN is invalid too and changes nothing.
  ASSERT_TRUE(g.from_pod(ipv4(kPodA, kServer, tcp(40002, 443, kSyn))).forwarded());
  ASSERT_TRUE(
      g.from_internet(ipv4(kServer, kPublic, tcp(443, 40002, kSyn | kAck, 9, 1001))).forwarded());
  EXPECT_TRUE(g.from_internet(ipv4(kServer, kPublic, tcp(443, 40002, kSyn | kFin, 10)))
                  .stopped(Reason::conntrack_invalid));
  EXPECT_TRUE(g.from_pod(ipv4(kPodA, kServer, tcp(40002, 443, kAck, 1001, 10))).forwarded());
}

TEST(NatBadInput, UnmappedPublicPortsStartNothing) {
  Gateway g(gateway_config());
  EXPECT_TRUE(
      g.from_internet(ipv4(kServer, kPublic, udp(53, 4444))).stopped(Reason::nat_no_mapping));
  EXPECT_TRUE(
      g.from_internet(ipv4(kServer, kPublic, tcp(80, 4444, kSyn))).stopped(Reason::nat_no_mapping));
  EXPECT_TRUE(
      g.from_internet(ipv4(kServer, kPublic, icmp(0, 0, 4444))).stopped(Reason::nat_no_mapping));
  EXPECT_EQ(g.flows(), 0u);
}

TEST(NatExhaustion, PoolExhaustedIsAStopAndFlowsThatExistKeepWorking) {
  Gateway g(gateway_config(", ports: 2000-2001"));
  ASSERT_TRUE(g.from_pod(ipv4(kPodA, kServer, udp(5000, 123))).forwarded());
  ASSERT_TRUE(g.from_pod(ipv4(kPodA, kServer, udp(5001, 123))).forwarded());
  EXPECT_TRUE(g.from_pod(ipv4(kPodB, kServer, udp(5000, 123))).stopped(Reason::nat_port_exhausted));
  EXPECT_EQ(g.flows(), 2u);
  EXPECT_TRUE(g.from_internet(ipv4(kServer, kPublic, udp(123, 2000))).forwarded());
}

TEST(NatFragments, FirstFragmentsBeyondTheTableAreStoppedAndLaterOnesFollowNothing) {
  Gateway g(gateway_config());  // capacity 1024: 64 fragment slots
  int full = 0, sent = 0;
  for (uint16_t id = 1; id <= 200; ++id) {
    const auto parts =
        fragments(ipv4(kPodA, kServer, udp(5000, 123, std::string(100, 'f')), id), 48);
    const Result r = g.from_pod(parts[0], 0.0);
    full += r.stopped(Reason::conntrack_fragment_table_full);
    sent += r.forwarded();
  }
  EXPECT_GT(full, 0);
  EXPECT_LE(sent, 64);
  EXPECT_EQ(full + sent, 200);
  // Records expire on the dataplane clock: 2 s later there is room again.
  const auto parts =
      fragments(ipv4(kPodA, kServer, udp(5000, 123, std::string(100, 'g')), 999), 48);
  EXPECT_TRUE(g.from_pod(parts[0], 2.5).forwarded());
  EXPECT_TRUE(g.from_pod(parts[1]).forwarded());
  EXPECT_TRUE(g.from_pod(parts[2]).forwarded());
}

TEST(NatConfig, FilteringTakesBothPoliciesAndRefusesOthers) {
  for (const char* policy : {"endpoint-independent", "address-and-port-dependent", "sideways"}) {
    const std::string yaml = gateway_config(std::string(", filtering: ") + policy);
    char path[] = "/tmp/nat-config-XXXXXX";
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, yaml.data(), yaml.size()), static_cast<ssize_t>(yaml.size()));
    close(fd);
    std::vector<ConfigError> errors;
    const auto cfg = load_config(path, errors);
    unlink(path);
    if (std::string(policy) == "sideways") {
      ASSERT_EQ(errors.size(), 1u);
      EXPECT_NE(errors[0].to_string().find("filtering must be endpoint-independent or "
                                           "address-and-port-dependent, not 'sideways'"),
                std::string::npos);
    } else {
      ASSERT_TRUE(cfg) << (errors.empty() ? "" : errors[0].to_string());
      EXPECT_EQ(cfg->snat.endpoint_independent_filtering,
                std::string(policy) == "endpoint-independent");
    }
  }
}

}  // namespace
}  // namespace gauntlet::testing
