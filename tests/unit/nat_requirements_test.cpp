// The MUSTs of RFC 4787 (UDP), RFC 5382 (TCP) and RFC 5508 (ICMP) that apply to a NAT
// gateway, as listed in ../shared/corpora/nat_requirements.json, one test each, named after
// the requirement. Each drives the real pipeline (every stage, tables built from a config)
// through tests/unit/nat_gateway.h and checks the packets gauntlet sends.
#include <gtest/gtest.h>

#include "dataplane/conntrack/flow_timeouts.h"
#include "tests/unit/eal_environment.h"
#include "tests/unit/nat_gateway.h"

namespace gauntlet::testing {
namespace {

const ::testing::Environment* const kEal = ::testing::AddGlobalTestEnvironment(new EalEnvironment);

constexpr const char* kServer1 = "203.0.113.10";
constexpr const char* kServer2 = "203.0.113.66";
constexpr const char* kThird = "203.0.113.77";

// RFC 4787 REQ-1: one internal address:port, one external address:port, whatever the
// destination.
TEST(Rfc4787, Req1_EndpointIndependentMapping) {
  Gateway g(gateway_config());
  const Result a = g.from_pod(ipv4(kPodA, kServer1, udp(5000, 123)));
  const Result b = g.from_pod(ipv4(kPodA, kServer2, udp(5000, 53)));
  ASSERT_TRUE(a.forwarded() && b.forwarded());
  EXPECT_EQ(a.src(), b.src());
  EXPECT_EQ(a.src(), std::string(kPublic) + ":5000");  // preserved, too
}

// RFC 4787 REQ-3: no port overloading: two internal endpoints never share an external port
// (even to one destination), and the port range class (0-1023 / 1024-65535) is kept.
TEST(Rfc4787, Req3_NoPortOverloadingAndRangeClassKept) {
  Gateway g(gateway_config(", ports: 1000-1100"));
  const Result a = g.from_pod(ipv4(kPodA, kServer1, udp(1050, 123)));
  const Result b = g.from_pod(ipv4(kPodB, kServer1, udp(1050, 123)));
  ASSERT_TRUE(a.forwarded() && b.forwarded());
  EXPECT_NE(a.parsed.src_port, b.parsed.src_port);
  EXPECT_GE(b.parsed.src_port, 1024);  // 1050 is taken: another port of the same class
  const Result low = g.from_pod(ipv4(kPodB, kServer1, udp(700, 123)));
  ASSERT_TRUE(low.forwarded());
  EXPECT_LT(low.parsed.src_port, 1024);
  // Each reply reaches its own pod.
  const Result ra = g.from_internet(ipv4(kServer1, kPublic, udp(123, a.parsed.src_port)));
  const Result rb = g.from_internet(ipv4(kServer1, kPublic, udp(123, b.parsed.src_port)));
  EXPECT_EQ(ra.dst(), std::string(kPodA) + ":1050");
  EXPECT_EQ(rb.dst(), std::string(kPodB) + ":1050");
}

// RFC 4787 REQ-5: a UDP mapping lives at least 2 minutes, even when conntrack's own UDP
// timeouts are shorter.
TEST(Rfc4787, Req5_UdpMappingLivesTwoMinutes) {
  Gateway g(gateway_config("", ", timeouts: { udp_unreplied: 10, udp_assured: 10 }"));
  const Result out = g.from_pod(ipv4(kPodA, kServer1, udp(5000, 123)));
  ASSERT_TRUE(out.forwarded());
  const Result late = g.from_internet(ipv4(kServer1, kPublic, udp(123, 5000)), 119.0);
  EXPECT_TRUE(late.forwarded());
  EXPECT_EQ(late.dst(), std::string(kPodA) + ":5000");
  const Result expired = g.from_internet(ipv4(kServer1, kPublic, udp(123, 5000)), 121.0);
  EXPECT_TRUE(expired.stopped(Reason::nat_no_mapping));
}

// RFC 4787 REQ-6: outbound traffic refreshes the mapping.
TEST(Rfc4787, Req6_OutboundRefreshesMapping) {
  Gateway g(gateway_config());
  ASSERT_TRUE(g.from_pod(ipv4(kPodA, kServer1, udp(5000, 123))).forwarded());
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(g.from_pod(ipv4(kPodA, kServer1, udp(5000, 123)), 100.0).forwarded());
  // 300 s after the first packet, 100 s after the last: still mapped.
  const Result reply = g.from_internet(ipv4(kServer1, kPublic, udp(123, 5000)), 100.0);
  EXPECT_TRUE(reply.forwarded());
  EXPECT_EQ(reply.dst(), std::string(kPodA) + ":5000");
}

// RFC 4787 REQ-9: a pod reaches another pod through the public address:port of its mapping,
// and sees the sender's external address:port as the source (REQ-9a).
TEST(Rfc4787, Req9_HairpinningUdp) {
  Gateway g(gateway_config());
  ASSERT_TRUE(g.from_pod(ipv4(kPodB, kServer1, udp(7000, 123))).forwarded());  // B's mapping
  ASSERT_TRUE(g.from_pod(ipv4(kPodA, kServer1, udp(6000, 123))).forwarded());  // A's mapping
  const Result to_b = g.from_pod(ipv4(kPodA, kPublic, udp(6000, 7000)));
  ASSERT_TRUE(to_b.forwarded());
  EXPECT_EQ(to_b.out_port, 1);  // inside
  EXPECT_EQ(to_b.src(), std::string(kPublic) + ":6000");
  EXPECT_EQ(to_b.dst(), std::string(kPodB) + ":7000");
  EXPECT_TRUE(checksums_ok(to_b.sent));
  const Result back = g.from_pod(ipv4(kPodB, kPublic, udp(7000, 6000)));
  ASSERT_TRUE(back.forwarded());
  EXPECT_EQ(back.src(), std::string(kPublic) + ":7000");
  EXPECT_EQ(back.dst(), std::string(kPodA) + ":6000");
  EXPECT_TRUE(checksums_ok(back.sent));
  // A public port nobody holds: nothing to hairpin to.
  EXPECT_TRUE(g.from_pod(ipv4(kPodA, kPublic, udp(6000, 9999))).stopped(Reason::nat_no_mapping));
}

// RFC 4787 REQ-11: the same input gives the same mappings and verdicts, run after run.
TEST(Rfc4787, Req11_DeterministicBehaviour) {
  auto run = [] {
    Gateway g(gateway_config(", ports: 2000-2010"));
    std::vector<std::string> seen;
    for (uint16_t i = 0; i < 12; ++i) {
      const Result r = g.from_pod(ipv4(i % 2 ? kPodA : kPodB, kServer1, udp(3000 + i, 123)));
      seen.push_back(r.forwarded() ? r.src() : std::string(reason_name(r.last.reason)));
    }
    seen.push_back(
        std::string(reason_name(g.from_internet(ipv4(kThird, kPublic, udp(1, 2000))).last.reason)));
    return seen;
  };
  const auto first = run();
  EXPECT_EQ(first, run());
  EXPECT_EQ(first[11], "nat:port-exhausted");  // 11 ports, 12 endpoints
}

// RFC 4787 REQ-13: a datagram leaving through the NAT larger than the outside port's MTU
// (1500 by default): DF set, fragmentation needed (type 3 code 4, next-hop MTU 1500) goes
// back to the pod from the inside address, quoting the datagram as the pod sent it, and
// nothing leaves; DF clear, the datagram is translated and leaves as correctly formed
// fragments.
TEST(Rfc4787, Req13_TooBigDfSetGetsFragNeededDfClearIsFragmented) {
  Gateway g(gateway_config());
  const std::string big(1572, 'x');  // UDP 1580 bytes: a 1600-byte datagram
  const Frame df = ipv4(kPodA, kServer1, udp(5000, 123, big), 7, 0x4000);
  const Result e = g.from_pod(df);
  EXPECT_TRUE(e.stopped(Reason::nat_fragmentation_needed)) << reason_name(e.last.reason);
  ASSERT_EQ(e.all_sent.size(), 1u);
  EXPECT_EQ(e.out_port, 1);  // back inside
  EXPECT_EQ(e.parsed.src, ip("10.0.0.1"));
  EXPECT_EQ(e.parsed.dst, ip(kPodA));
  EXPECT_EQ(e.sent[20], 3);
  EXPECT_EQ(e.sent[21], 4);
  EXPECT_EQ(load_be16(e.sent.data() + 26), 1500);  // next-hop MTU
  ASSERT_EQ(e.sent.size(), 20u + 8 + 28);
  EXPECT_TRUE(std::equal(df.begin(), df.begin() + 28, e.sent.begin() + 28));  // untranslated
  EXPECT_TRUE(checksums_ok(e.sent));

  const Frame clear = ipv4(kPodA, kServer1, udp(5000, 123, big), 8, 0);
  const Result f = g.from_pod(clear);
  EXPECT_EQ(f.last.reason, Reason::forward_fragmented);
  ASSERT_EQ(f.all_sent.size(), 2u);
  const Frame &a = f.all_sent[0], &b = f.all_sent[1];
  EXPECT_EQ(f.out_port, 0);
  EXPECT_EQ(a.size(), 1500u);
  EXPECT_EQ(load_be16(a.data() + 2), 1500);
  EXPECT_EQ(load_be16(a.data() + 6), 0x2000);  // MF, offset 0
  EXPECT_EQ(load_be16(b.data() + 2), 20 + 100);
  EXPECT_EQ(load_be16(b.data() + 6), 1480 / 8);  // last: no MF
  for (const Frame* x : {&a, &b}) {
    EXPECT_EQ(fold(sum16(x->data(), 20)), 0);
    EXPECT_EQ(load_be16(x->data() + 4), 8);  // the datagram's identification
    EXPECT_EQ(IpAddress::v4(x->data() + 12), ip(kPublic));
    EXPECT_EQ(x->data()[8], 63);  // one hop
  }
  EXPECT_EQ(load_be16(a.data() + 20), 5000);  // translated source port (kept)
  // Joined again, the translated datagram is whole with a right UDP checksum.
  Frame whole(a.begin(), a.end());
  whole.insert(whole.end(), b.begin() + 20, b.end());
  ASSERT_EQ(whole.size(), 1600u);
  whole[2] = 1600 >> 8, whole[3] = 1600 & 0xff, whole[6] = whole[7] = 0, whole[10] = whole[11] = 0;
  const uint16_t h = fold(sum16(whole.data(), 20));
  whole[10] = h >> 8, whole[11] = h & 0xff;
  EXPECT_TRUE(checksums_ok(whole));
  EXPECT_TRUE(std::equal(big.begin(), big.end(), whole.begin() + 28));
  // The mapping is the pod's, as for any datagram: the answer comes back.
  const Result reply = g.from_internet(ipv4(kServer1, kPublic, udp(123, 5000)));
  EXPECT_EQ(reply.dst(), std::string(kPodA) + ":5000");
}

// The same for IPv6 (no fragmentation on the way): packet too big (type 2, MTU 1500) from
// the inside address.
TEST(Rfc4787, Req13_Ipv6TooBigGetsPacketTooBig) {
  Gateway g(gateway_config());
  Frame v6(40 + 8 + 1500, 0);
  v6[0] = 0x60;
  store_be16(v6.data() + 4, 8 + 1500);
  v6[6] = 17, v6[7] = 64;
  IpAddress s{}, d{};
  parse_ip("fd00::10", s);
  parse_ip("2001:db8:cafe::53", d);
  std::memcpy(v6.data() + 8, s.bytes.data(), 16);
  std::memcpy(v6.data() + 24, d.bytes.data(), 16);
  store_be16(v6.data() + 40, 42000);
  store_be16(v6.data() + 42, 123);
  store_be16(v6.data() + 44, 8 + 1500);
  const uint16_t sum = fold(sum16(v6.data() + 40, 8 + 1500, sum16(v6.data() + 8, 32) + 17 + 1508));
  store_be16(v6.data() + 46, sum ? sum : 0xffff);
  const Result e = g.from_pod(v6);
  EXPECT_TRUE(e.stopped(Reason::forward_packet_too_big)) << reason_name(e.last.reason);
  ASSERT_EQ(e.all_sent.size(), 1u);
  EXPECT_EQ(e.out_port, 1);
  const Frame& x = e.sent;
  IpAddress from{};
  parse_ip("fd00::1", from);
  EXPECT_EQ(0, std::memcmp(x.data() + 8, from.bytes.data(), 16));
  EXPECT_EQ(0, std::memcmp(x.data() + 24, s.bytes.data(), 16));
  EXPECT_EQ(x[40], 2);
  EXPECT_EQ(x[41], 0);
  EXPECT_EQ(load_be32(x.data() + 44), 1500u);
  EXPECT_EQ(x.size(), 1280u);  // as much of the packet as fits the IPv6 minimum MTU
}

// RFC 4787 REQ-12 (and RFC 5382 REQ-10 below): an ICMP error about a flow does not tear the
// mapping down.
TEST(Rfc4787, Req12_IcmpDoesNotTearDownMapping) {
  Gateway g(gateway_config());
  const Result out = g.from_pod(ipv4(kPodA, kServer1, udp(5000, 123)));
  ASSERT_TRUE(out.forwarded());
  Frame quote(out.sent.begin(), out.sent.begin() + 28);
  const Result error = g.from_internet(ipv4(kServer1, kPublic, icmp(3, 3, 0, quote)));
  ASSERT_TRUE(error.forwarded());
  EXPECT_EQ(g.flows(), 1u);
  const Result reply = g.from_internet(ipv4(kServer1, kPublic, udp(123, 5000)));
  EXPECT_TRUE(reply.forwarded());
  EXPECT_EQ(g.ports_in_use(NatProtocol::udp), 1u);
}

// RFC 4787 REQ-14: fragments in order and out of order are handled; later fragments leave
// with the translated source (shallow reassembly), and fragment state is bounded.
TEST(Rfc4787, Req14_FragmentsTranslatedAndBounded) {
  Gateway g(gateway_config());
  const Frame whole = ipv4(kPodA, kServer1, udp(5000, 123, std::string(100, 'x')), 0x4242);
  const auto parts = fragments(whole, 48);
  ASSERT_EQ(parts.size(), 3u);
  for (const Frame& f : parts) {
    const Result r = g.from_pod(f);
    ASSERT_TRUE(r.forwarded()) << reason_name(r.last.reason);
    EXPECT_EQ(r.parsed.src, ip(kPublic));
    EXPECT_TRUE(checksums_ok(r.sent));
  }
  // Reassembled at the far end, the datagram's UDP checksum is right: the first fragment's
  // checksum update covered the address and port change for the whole datagram.
  // (Checked by the golden case nat-fragments with scapy's defragment.)

  // A flood of later fragments with no first one creates no flow, and what it holds is
  // bounded: 64 datagrams at once, the rest refused at once.
  const uint32_t flows = g.flows();
  uint32_t held = 0, refused = 0;
  for (uint16_t id = 0; id < 500; ++id) {
    auto p = fragments(ipv4(kPodB, kServer2, udp(id, 123, std::string(100, 'z')), id), 48);
    const Result r = g.from_pod(p[2], 0.0);
    held += r.held();
    refused += r.stopped(Reason::conntrack_fragment_hold_full);
  }
  EXPECT_EQ(held, 64u);
  EXPECT_EQ(refused, 500u - 64u);
  EXPECT_EQ(g.flows(), flows);
  EXPECT_EQ(g.worker().held_fragments.held(), 64u);
  // The fragment table is bounded (64 slots at this capacity, probing 4).
  EXPECT_EQ(g.worker().flows.fragments().slots(), 64u);
  // Their time (2 s of dataplane time) runs out: dropped, every mbuf back in the pool.
  ASSERT_TRUE(g.from_pod(parts[0], 2.5).forwarded());  // a new datagram of the same flow
  EXPECT_EQ(g.worker().held_fragments.held(), 0u);
  EXPECT_EQ(g.count(Direction::egress, Reason::conntrack_fragment_hold_timeout), 64u);
}

// RFC 4787 REQ-14, out of order: fragments ahead of their first one are held until it
// comes, then leave translated right after it, in the order they came.
TEST(Rfc4787, Req14_OutOfOrderFragmentsHeldForTheirFirst) {
  Gateway g(gateway_config());
  const auto parts =
      fragments(ipv4(kPodA, kServer1, udp(5000, 123, std::string(150, 'y')), 0x4343), 48);
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_TRUE(g.from_pod(parts[3]).held());
  EXPECT_TRUE(g.from_pod(parts[1]).held());
  EXPECT_TRUE(g.from_pod(parts[2]).held());
  const Result first = g.from_pod(parts[0]);
  ASSERT_TRUE(first.forwarded()) << reason_name(first.last.reason);
  ASSERT_EQ(first.all_sent.size(), 4u);
  const uint16_t offsets[] = {0, 18, 6, 12};  // the first, then 3, 1, 2 (8-byte units)
  for (size_t i = 0; i < 4; ++i) {
    const Frame& f = first.all_sent[i];
    EXPECT_EQ(IpAddress::v4(&f[12]), ip(kPublic)) << i;
    EXPECT_EQ(((f[6] << 8) | f[7]) & 0x1fff, offsets[i]) << i;
    EXPECT_TRUE(checksums_ok(f)) << i;
  }
  EXPECT_EQ(g.worker().held_fragments.held(), 0u);
  EXPECT_EQ(g.count(Direction::egress, Reason::conntrack_fragment_held), 3u);
  // The answer, last fragment first, reaches the pod the same way.
  const auto answer =
      fragments(ipv4(kServer1, kPublic, udp(123, 5000, std::string(100, 'a')), 0x4444), 48);
  EXPECT_TRUE(g.from_internet(answer[2]).held());
  const Result back = g.from_internet(answer[0]);
  ASSERT_TRUE(back.forwarded());
  ASSERT_EQ(back.all_sent.size(), 2u);
  EXPECT_EQ(IpAddress::v4(&back.all_sent[1][16]), ip(kPodA));
  EXPECT_TRUE(g.from_internet(answer[1]).forwarded());
}

// RFC 4787 REQ-14: held fragments take their first fragment's verdict, a stop included; one
// whose first fragment never comes is dropped when its time runs out.
TEST(Rfc4787, Req14_HeldFragmentsFollowAStoppedFirstOrTimeOut) {
  Gateway g(gateway_config());
  // To the public address on a port no pod holds: the first fragment is stopped, and so is
  // the fragment held for it.
  const auto unmapped =
      fragments(ipv4(kServer1, kPublic, udp(123, 7777, std::string(100, 'u')), 0x4545), 48);
  EXPECT_TRUE(g.from_internet(unmapped[1]).held());
  const Result first = g.from_internet(unmapped[0]);
  EXPECT_TRUE(first.stopped(Reason::nat_no_mapping)) << reason_name(first.last.reason);
  EXPECT_TRUE(first.all_sent.empty());
  EXPECT_EQ(g.worker().held_fragments.held(), 0u);
  EXPECT_EQ(g.count(Direction::ingress, Reason::conntrack_fragment_without_first), 1u);
  const auto never =
      fragments(ipv4(kPodB, kServer2, udp(6000, 123, std::string(100, 'n')), 0x4646), 48);
  EXPECT_TRUE(g.from_pod(never[1]).held());
  EXPECT_TRUE(g.from_pod(never[2], 1.9).held());  // the limit runs from the first one held
  const Result later = g.from_pod(ipv4(kPodA, kServer1, udp(5000, 123)), 0.2);
  ASSERT_TRUE(later.forwarded());
  EXPECT_EQ(g.worker().held_fragments.held(), 0u);
  EXPECT_EQ(g.count(Direction::egress, Reason::conntrack_fragment_hold_timeout), 2u);
  EXPECT_EQ(g.flows(), 1u);
}

// RFC 5382 REQ-1: endpoint-independent mapping for TCP.
TEST(Rfc5382, Req1_EndpointIndependentMappingTcp) {
  Gateway g(gateway_config());
  const Result a = g.from_pod(ipv4(kPodA, kServer1, tcp(40000, 443, kSyn)));
  const Result b = g.from_pod(ipv4(kPodA, kServer2, tcp(40000, 80, kSyn)));
  ASSERT_TRUE(a.forwarded() && b.forwarded());
  EXPECT_EQ(a.src(), b.src());
}

// RFC 5382 REQ-2: every valid TCP sequence, simultaneous open included (SYN crossing SYN).
TEST(Rfc5382, Req2_SimultaneousOpen) {
  Gateway g(gateway_config());
  ASSERT_TRUE(g.from_pod(ipv4(kPodA, kServer1, tcp(40000, 5555, kSyn, 100))).forwarded());
  const Result syn_in = g.from_internet(ipv4(kServer1, kPublic, tcp(5555, 40000, kSyn, 900)));
  ASSERT_TRUE(syn_in.forwarded()) << reason_name(syn_in.last.reason);
  EXPECT_EQ(syn_in.dst(), std::string(kPodA) + ":40000");
  EXPECT_TRUE(
      g.from_pod(ipv4(kPodA, kServer1, tcp(40000, 5555, kSyn | kAck, 100, 901))).forwarded());
  EXPECT_TRUE(g.from_internet(ipv4(kServer1, kPublic, tcp(5555, 40000, kSyn | kAck, 900, 101)))
                  .forwarded());
  EXPECT_TRUE(g.from_pod(ipv4(kPodA, kServer1, tcp(40000, 5555, kAck, 101, 901))).forwarded());
  EXPECT_TRUE(g.from_internet(ipv4(kServer1, kPublic, tcp(5555, 40000, kAck | kPsh, 901, 101)))
                  .forwarded());
}

// RFC 5382 REQ-4: an unsolicited inbound SYN gets no answer (silently dropped, nothing sent)
// and creates nothing.
TEST(Rfc5382, Req4_UnsolicitedSynNotAnswered) {
  Gateway g(gateway_config());
  const Result r = g.from_internet(ipv4(kServer1, kPublic, tcp(5555, 40000, kSyn)));
  EXPECT_TRUE(r.stopped(Reason::nat_no_mapping));
  EXPECT_TRUE(r.sent.empty());
  EXPECT_EQ(g.flows(), 0u);
}

// RFC 5382 REQ-5: established idle timeout at least 2 h 4 min; transitory at least 4 min.
TEST(Rfc5382, Req5_TcpTimeouts) {
  Gateway g(gateway_config("", ", timeouts: { tcp_established: 60, tcp_syn_sent: 5 }"));
  ASSERT_TRUE(g.from_pod(ipv4(kPodA, kServer1, tcp(40000, 443, kSyn))).forwarded());
  // Transitory (SYN sent): still there after 239 s.
  ASSERT_TRUE(g.from_internet(ipv4(kServer1, kPublic, tcp(443, 40000, kSyn | kAck, 9, 1001)), 239.0)
                  .forwarded());
  ASSERT_TRUE(g.from_pod(ipv4(kPodA, kServer1, tcp(40000, 443, kAck, 1001, 10))).forwarded());
  // Established: still there after 2 h 3 min idle.
  EXPECT_TRUE(
      g.from_internet(ipv4(kServer1, kPublic, tcp(443, 40000, kAck | kPsh, 10, 1001)), 7380.0)
          .forwarded());
  // And gone after 2 h 5 min.
  EXPECT_TRUE(g.from_internet(ipv4(kServer1, kPublic, tcp(443, 40000, kAck, 10, 1001)), 7500.0)
                  .stopped(Reason::nat_no_mapping));
}

// RFC 5382 REQ-7: no port overloading for TCP.
TEST(Rfc5382, Req7_NoPortOverloadingTcp) {
  Gateway g(gateway_config());
  const Result a = g.from_pod(ipv4(kPodA, kServer1, tcp(40000, 443, kSyn)));
  const Result b = g.from_pod(ipv4(kPodB, kServer1, tcp(40000, 443, kSyn)));
  ASSERT_TRUE(a.forwarded() && b.forwarded());
  EXPECT_NE(a.parsed.src_port, b.parsed.src_port);
}

// RFC 5382 REQ-8: TCP hairpinning, with the external source address:port presented.
TEST(Rfc5382, Req8_HairpinningTcp) {
  Gateway g(gateway_config());
  // B holds a mapping (an outbound connection from port 7000).
  ASSERT_TRUE(g.from_pod(ipv4(kPodB, kServer1, tcp(7000, 443, kSyn))).forwarded());
  const Result syn = g.from_pod(ipv4(kPodA, kPublic, tcp(6000, 7000, kSyn, 100)));
  ASSERT_TRUE(syn.forwarded()) << reason_name(syn.last.reason);
  EXPECT_EQ(syn.src(), std::string(kPublic) + ":6000");
  EXPECT_EQ(syn.dst(), std::string(kPodB) + ":7000");
  EXPECT_TRUE(checksums_ok(syn.sent));
  const Result synack = g.from_pod(ipv4(kPodB, kPublic, tcp(7000, 6000, kSyn | kAck, 500, 101)));
  ASSERT_TRUE(synack.forwarded()) << reason_name(synack.last.reason);
  EXPECT_EQ(synack.src(), std::string(kPublic) + ":7000");
  EXPECT_EQ(synack.dst(), std::string(kPodA) + ":6000");
  EXPECT_TRUE(checksums_ok(synack.sent));
  EXPECT_TRUE(g.from_pod(ipv4(kPodA, kPublic, tcp(6000, 7000, kAck, 101, 501))).forwarded());
  // The hairpinned flow's public tuple cannot be forged from outside.
  EXPECT_TRUE(g.from_internet(ipv4(kPublic, kPublic, tcp(7000, 6000, kAck, 501, 101)))
                  .stopped(Reason::nat_bypass));
}

// RFC 5382 REQ-10: ICMP does not terminate the mapping or the TCP connection.
TEST(Rfc5382, Req10_IcmpDoesNotTerminateTcp) {
  Gateway g(gateway_config());
  const Result syn = g.from_pod(ipv4(kPodA, kServer1, tcp(40000, 443, kSyn)));
  ASSERT_TRUE(syn.forwarded());
  ASSERT_TRUE(
      g.from_internet(ipv4(kServer1, kPublic, tcp(443, 40000, kSyn | kAck, 9, 1001))).forwarded());
  Frame quote(syn.sent.begin(), syn.sent.begin() + 28);
  EXPECT_TRUE(g.from_internet(ipv4(kServer1, kPublic, icmp(3, 1, 0, quote))).forwarded());
  EXPECT_TRUE(g.from_pod(ipv4(kPodA, kServer1, tcp(40000, 443, kAck, 1001, 10))).forwarded());
  EXPECT_EQ(g.flows(), 1u);
}

// RFC 5508 REQ-1: ICMP echo through the NAT, identifier translated and restored.
TEST(Rfc5508, Req1_IcmpQueryIdentifierTranslated) {
  Gateway g(gateway_config());
  const Result a = g.from_pod(ipv4(kPodA, kServer1, icmp(8, 0, 0x4242)));
  const Result b = g.from_pod(ipv4(kPodB, kServer1, icmp(8, 0, 0x4242)));
  ASSERT_TRUE(a.forwarded() && b.forwarded());
  EXPECT_NE(a.parsed.src_port, b.parsed.src_port);  // the second one gets another id
  EXPECT_TRUE(checksums_ok(b.sent));
  const Result rb = g.from_internet(ipv4(kServer1, kPublic, icmp(0, 0, b.parsed.src_port)));
  ASSERT_TRUE(rb.forwarded());
  EXPECT_EQ(rb.parsed.dst, ip(kPodB));
  EXPECT_EQ(rb.parsed.dst_port, 0x4242);
  EXPECT_TRUE(checksums_ok(rb.sent));
}

// RFC 5508 REQ-2: an ICMP query session lives at least 60 s.
TEST(Rfc5508, Req2_IcmpQueryTimeout) {
  Gateway g(gateway_config("", ", timeouts: { icmp: 5 }"));
  const Result out = g.from_pod(ipv4(kPodA, kServer1, icmp(8, 0, 7000)));
  ASSERT_TRUE(out.forwarded());
  const uint16_t id = out.parsed.src_port;
  EXPECT_TRUE(g.from_internet(ipv4(kServer1, kPublic, icmp(0, 0, id)), 59.0).forwarded());
  EXPECT_TRUE(g.from_internet(ipv4(kServer1, kPublic, icmp(0, 0, id)), 59.0).forwarded());
  EXPECT_TRUE(g.from_internet(ipv4(kServer1, kPublic, icmp(0, 0, id)), 61.0)
                  .stopped(Reason::nat_no_mapping));
}

// RFC 5508 REQ-3: an error with a bad ICMP checksum, or a bad checksum in the quoted IP
// header, is dropped; a quote that is cut short or lies is dropped too; none creates state.
TEST(Rfc5508, Req3_ErrorsWithBadChecksumsDropped) {
  Gateway g(gateway_config());
  const Result out = g.from_pod(ipv4(kPodA, kServer1, udp(5000, 123)));
  ASSERT_TRUE(out.forwarded());
  const Frame quote(out.sent.begin(), out.sent.begin() + 28);
  Frame bad_icmp = ipv4(kServer1, kPublic, icmp(3, 3, 0, quote));
  bad_icmp[22] ^= 0x55;
  EXPECT_TRUE(g.from_internet(bad_icmp).stopped(Reason::conntrack_malformed_icmp_error));
  Frame bad_inner = quote;
  bad_inner[10] ^= 0x55;  // the quoted header's checksum
  EXPECT_TRUE(g.from_internet(ipv4(kServer1, kPublic, icmp(3, 3, 0, bad_inner)))
                  .stopped(Reason::conntrack_malformed_icmp_error));
  const Frame cut(quote.begin(), quote.begin() + 24);  // 4 bytes of UDP header
  EXPECT_TRUE(g.from_internet(ipv4(kServer1, kPublic, icmp(3, 3, 0, cut)))
                  .stopped(Reason::conntrack_malformed_icmp_error));
  Frame lying = quote;
  lying[0] = 0x4f;  // IHL 60 bytes, more than quoted
  EXPECT_TRUE(g.from_internet(ipv4(kServer1, kPublic, icmp(3, 3, 0, lying)))
                  .stopped(Reason::conntrack_malformed_icmp_error));
  EXPECT_EQ(g.flows(), 1u);
}

// RFC 5508 REQ-4: an error from outside about a mapped flow is translated back (outer
// destination, quoted source address and port), type and code kept; one about no flow is
// dropped.
TEST(Rfc5508, Req4_ErrorsFromOutsideTranslated) {
  Gateway g(gateway_config());
  const Result out = g.from_pod(ipv4(kPodA, kServer1, udp(5000, 123)));
  ASSERT_TRUE(out.forwarded());
  const Frame quote(out.sent.begin(), out.sent.begin() + 28);
  const Result e = g.from_internet(ipv4("198.51.100.254", kPublic, icmp(11, 0, 0, quote)));
  ASSERT_TRUE(e.forwarded());
  EXPECT_EQ(e.parsed.dst, ip(kPodA));
  EXPECT_EQ(e.sent[20], 11);
  EXPECT_EQ(e.sent[21], 0);
  const uint8_t* q = e.sent.data() + 28;
  EXPECT_EQ(IpAddress::v4(q + 12), ip(kPodA));
  EXPECT_EQ(load_be16(q + 20), 5000);
  EXPECT_TRUE(checksums_ok(e.sent));
  Frame other = quote;
  other[21] ^= 1;  // another source port: no such flow
  other[26] = other[27] = 0;
  EXPECT_TRUE(g.from_internet(ipv4(kServer1, kPublic, icmp(3, 3, 0, other)))
                  .stopped(Reason::conntrack_orphan_icmp_error));
}

// RFC 5508 REQ-5: an error from inside about a flow's reply is translated outwards: outer
// source and quoted destination become the public address:port.
TEST(Rfc5508, Req5_ErrorsFromInsideTranslated) {
  Gateway g(gateway_config());
  ASSERT_TRUE(g.from_pod(ipv4(kPodA, kServer1, udp(5000, 123))).forwarded());
  const Result reply = g.from_internet(ipv4(kServer1, kPublic, udp(123, 5000)));
  ASSERT_TRUE(reply.forwarded());
  const Frame quote(reply.sent.begin(), reply.sent.begin() + 28);  // as the pod got it
  const Result e = g.from_pod(ipv4(kPodA, kServer1, icmp(3, 3, 0, quote)));
  ASSERT_TRUE(e.forwarded()) << reason_name(e.last.reason);
  EXPECT_EQ(e.parsed.src, ip(kPublic));
  const uint8_t* q = e.sent.data() + 28;
  EXPECT_EQ(IpAddress::v4(q + 16), ip(kPublic));
  EXPECT_EQ(load_be16(q + 22), 5000);
  EXPECT_TRUE(checksums_ok(e.sent));
}

// RFC 5508 REQ-6: an error about a query session neither refreshes nor deletes it.
TEST(Rfc5508, Req6_ErrorDoesNotRefreshSession) {
  Gateway g(gateway_config("", ", timeouts: { icmp: 60 }"));
  const Result out = g.from_pod(ipv4(kPodA, kServer1, icmp(8, 0, 9000)));
  ASSERT_TRUE(out.forwarded());
  const uint16_t id = out.parsed.src_port;
  const Frame quote(out.sent.begin(), out.sent.begin() + 28);
  EXPECT_TRUE(g.from_internet(ipv4(kServer1, kPublic, icmp(3, 1, 0, quote)), 50.0).forwarded());
  EXPECT_EQ(g.flows(), 1u);  // not deleted
  // 61 s after the echo request (11 s after the error): expired, the error refreshed nothing.
  EXPECT_TRUE(g.from_internet(ipv4(kServer1, kPublic, icmp(0, 0, id)), 11.0)
                  .stopped(Reason::nat_no_mapping));
}

// RFC 5508 REQ-7: ICMP errors about hairpinned flows are translated like the flows
// themselves and reach the right pod: each pod sees the other as the public address:port of
// the other's mapping, and gets the error from the public address, quoting the packet as it
// sent it. From outside, such an error can only be forged.
TEST(Rfc5508, Req7_HairpinnedIcmpErrorsTranslated) {
  Gateway g(gateway_config());
  ASSERT_TRUE(g.from_pod(ipv4(kPodB, kServer1, udp(7000, 123))).forwarded());  // B's mapping
  ASSERT_TRUE(g.from_pod(ipv4(kPodA, kServer1, udp(6000, 123))).forwarded());  // A's mapping
  const Result to_b = g.from_pod(ipv4(kPodA, kPublic, udp(6000, 7000)));
  ASSERT_TRUE(to_b.forwarded());
  const auto quote_is = [](const Result& e, const char* src, uint16_t sport, const char* dst,
                           uint16_t dport) {
    const uint8_t* q = e.sent.data() + 28;
    EXPECT_EQ(IpAddress::v4(q + 12), ip(src));
    EXPECT_EQ(IpAddress::v4(q + 16), ip(dst));
    EXPECT_EQ(load_be16(q + 20), sport);
    EXPECT_EQ(load_be16(q + 22), dport);
    EXPECT_EQ(fold(sum16(q, 20)), 0);  // the quoted header's checksum follows
  };

  // B's port is closed: its error about A's datagram (quoting it as B got it) goes to A.
  const Frame got_by_b(to_b.sent.begin(), to_b.sent.begin() + 28);
  const Result to_a = g.from_pod(ipv4(kPodB, kPublic, icmp(3, 3, 0, got_by_b)));
  ASSERT_TRUE(to_a.forwarded()) << reason_name(to_a.last.reason);
  EXPECT_EQ(to_a.out_port, 1);
  EXPECT_EQ(to_a.parsed.src, ip(kPublic));
  EXPECT_EQ(to_a.parsed.dst, ip(kPodA));
  EXPECT_EQ(to_a.sent[20], 3);
  EXPECT_EQ(to_a.sent[21], 3);
  quote_is(to_a, kPodA, 6000, kPublic, 7000);  // A's datagram as A sent it
  EXPECT_TRUE(checksums_ok(to_a.sent));

  // The other way: A's error about B's reply goes to B.
  const Result back = g.from_pod(ipv4(kPodB, kPublic, udp(7000, 6000)));
  ASSERT_TRUE(back.forwarded());
  const Frame got_by_a(back.sent.begin(), back.sent.begin() + 28);
  const Result to_b_err = g.from_pod(ipv4(kPodA, kPublic, icmp(3, 3, 0, got_by_a)));
  ASSERT_TRUE(to_b_err.forwarded()) << reason_name(to_b_err.last.reason);
  EXPECT_EQ(to_b_err.parsed.src, ip(kPublic));
  EXPECT_EQ(to_b_err.parsed.dst, ip(kPodB));
  quote_is(to_b_err, kPodB, 7000, kPublic, 6000);  // B's reply as B sent it
  EXPECT_TRUE(checksums_ok(to_b_err.sent));

  // From outside: dropped, never translated inwards.
  EXPECT_TRUE(g.from_internet(ipv4(kServer1, kPublic, icmp(3, 3, 0, got_by_a)))
                  .stopped(Reason::nat_no_mapping));
  EXPECT_EQ(g.flows(), 3u);  // the errors created nothing
}

// The timeout floors themselves, for every protocol (4787 REQ-5, 5382 REQ-5, 5508 REQ-2).
TEST(NatTimeoutFloors, HoldWhateverTheConfig) {
  ConntrackTimeouts t;
  t.udp_unreplied_s = t.udp_assured_s = t.icmp_s = 1;
  t.tcp_established_s = t.tcp_syn_sent_s = 1;
  FlowEntry e;
  e.nat_kind = static_cast<uint8_t>(NatKind::source);
  e.key.proto = 17;
  EXPECT_GE(flow_timeout_ns(t, e), 120 * kNsPerSecond);
  e.key.proto = 1;
  EXPECT_GE(flow_timeout_ns(t, e), 60 * kNsPerSecond);
  e.key.proto = 6;
  e.state = static_cast<uint8_t>(TcpState::established);
  EXPECT_GE(flow_timeout_ns(t, e), 7440 * kNsPerSecond);
  e.state = static_cast<uint8_t>(TcpState::syn_sent);
  EXPECT_GE(flow_timeout_ns(t, e), 240 * kNsPerSecond);
}

}  // namespace
}  // namespace gauntlet::testing
