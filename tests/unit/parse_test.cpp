// Tests for parse_packet and the address text helpers. Frames are built byte by byte by the
// small builders below; no EAL is needed.
#include "dataplane/packet/parse.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <gtest/gtest.h>
#include <initializer_list>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "dataplane/packet/headers.h"
#include "dataplane/pipeline/vocabulary.h"

namespace gauntlet {
namespace {

using Bytes = std::vector<uint8_t>;
using A4 = std::array<uint8_t, 4>;
using A6 = std::array<uint8_t, 16>;

constexpr std::array<uint8_t, 6> kDstMac{0x02, 0, 0, 0, 0, 0x01};
constexpr std::array<uint8_t, 6> kSrcMac{0x02, 0, 0, 0, 0, 0x02};
constexpr A4 kSrc4{192, 0, 2, 1};
constexpr A4 kDst4{198, 51, 100, 7};
constexpr A6 kSrc6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
constexpr A6 kDst6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};

// ---------------------------------------------------------------------------------------------
// Builders

void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
template <typename C>
void put(Bytes& b, const C& c) {
  b.insert(b.end(), c.begin(), c.end());
}
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) put(out, p);
  return out;
}
Bytes pad_to(Bytes b, size_t n) {
  if (b.size() < n) b.resize(n, 0);
  return b;
}

uint16_t inet_checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2 != 0) sum += static_cast<uint32_t>(p[n - 1] << 8);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

Bytes ether(uint16_t type) {
  Bytes b;
  put(b, kDstMac);
  put(b, kSrcMac);
  put16(b, type);
  return b;
}
Bytes ether_vlan(uint16_t tci, uint16_t type) {
  Bytes b;
  put(b, kDstMac);
  put(b, kSrcMac);
  put16(b, 0x8100);
  put16(b, tci);
  put16(b, type);
  return b;
}

struct Ipv4Spec {
  uint8_t proto = 6;
  A4 src = kSrc4;
  A4 dst = kDst4;
  uint8_t ttl = 64;
  uint16_t frag = 0x4000;  // flags + fragment offset field; DF by default
  Bytes options = {};      // caller pads to a multiple of 4
};

Bytes ipv4(const Ipv4Spec& s, const Bytes& payload) {
  const size_t hlen = 20 + s.options.size();
  Bytes b;
  b.push_back(static_cast<uint8_t>(0x40 | (hlen / 4)));
  b.push_back(0);
  put16(b, static_cast<uint16_t>(hlen + payload.size()));
  put16(b, 0x1234);
  put16(b, s.frag);
  b.push_back(s.ttl);
  b.push_back(s.proto);
  put16(b, 0);
  put(b, s.src);
  put(b, s.dst);
  put(b, s.options);
  const uint16_t ck = inet_checksum(b.data(), hlen);
  store_be16(b.data() + 10, ck);
  put(b, payload);
  return b;
}

// Recomputes the IPv4 header checksum after a test edited the header at `l3`.
void refresh_ipv4_checksum(Bytes& f, size_t l3) {
  const size_t hlen = size_t{f[l3] & 0x0fu} * 4;
  store_be16(f.data() + l3 + 10, 0);
  store_be16(f.data() + l3 + 10, inet_checksum(f.data() + l3, std::min(hlen, f.size() - l3)));
}

Bytes ipv6(uint8_t next, const Bytes& payload, A6 src = kSrc6, A6 dst = kDst6) {
  Bytes b;
  put32(b, 0x60000000);
  put16(b, static_cast<uint16_t>(payload.size()));
  b.push_back(next);
  b.push_back(64);
  put(b, src);
  put(b, dst);
  put(b, payload);
  return b;
}

// Hop-by-hop / routing / destination options header of (units + 1) * 8 bytes, filled with
// one PadN option.
Bytes ext6(uint8_t next, uint8_t units) {
  Bytes b{next, units, 1, static_cast<uint8_t>((units + 1) * 8 - 4)};
  b.resize((size_t{units} + 1) * 8, 0);
  return b;
}
Bytes frag6(uint8_t next, uint16_t offset_units, bool more) {
  Bytes b{next, 0};
  put16(b, static_cast<uint16_t>(offset_units << 3 | (more ? 1 : 0)));
  put32(b, 0xabcdef01);
  return b;
}
Bytes ah6(uint8_t next, uint8_t payload_len) {
  Bytes b{next, payload_len};
  b.resize((size_t{payload_len} + 2) * 4, 0);
  return b;
}

Bytes tcp(uint16_t sport, uint16_t dport, uint8_t flags, const Bytes& options,
          const Bytes& payload) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put32(b, 1000);
  put32(b, 2000);
  b.push_back(static_cast<uint8_t>(((20 + options.size()) / 4) << 4));
  b.push_back(flags);
  put16(b, 65535);
  put16(b, 0);
  put16(b, 0);
  put(b, options);
  put(b, payload);
  return b;
}
Bytes udp(uint16_t sport, uint16_t dport, const Bytes& payload) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put16(b, static_cast<uint16_t>(8 + payload.size()));
  put16(b, 0);
  put(b, payload);
  return b;
}
Bytes icmp(uint8_t type, uint8_t code, uint16_t id, uint16_t seq, const Bytes& payload) {
  Bytes b{type, code, 0, 0};
  put16(b, id);
  put16(b, seq);
  put(b, payload);
  return b;
}
Bytes arp(uint16_t op, A4 sender, A4 target) {
  Bytes b;
  put16(b, 1);
  put16(b, 0x0800);
  b.push_back(6);
  b.push_back(4);
  put16(b, op);
  put(b, kSrcMac);
  put(b, sender);
  put(b, std::array<uint8_t, 6>{});
  put(b, target);
  return b;
}

// MSS, SACK-permitted, timestamps, NOP, window scale: 20 bytes of options.
Bytes common_tcp_options() {
  return {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
}

// Parses a copy of `f` in a buffer of exactly f.size() bytes, so that any read past the end is
// a read past the allocation (reported when built with AddressSanitizer).
Reason parse(const Bytes& f, ParsedPacket& out, bool verified = false) {
  const std::unique_ptr<uint8_t[]> exact(new uint8_t[std::max<size_t>(f.size(), 1)]);
  std::copy(f.begin(), f.end(), exact.get());
  return parse_packet(exact.get(), static_cast<uint32_t>(f.size()), out, verified);
}
Reason parse(const Bytes& f) {
  ParsedPacket out;
  return parse(f, out);
}

void expect_parsed(const ParsedPacket& got, const ParsedPacket& want) {
  EXPECT_EQ(got.ether_type, want.ether_type);
  EXPECT_EQ(got.vlan_tci, want.vlan_tci);
  EXPECT_EQ(got.l3_offset, want.l3_offset);
  EXPECT_EQ(got.l4_offset, want.l4_offset);
  EXPECT_EQ(got.payload_offset, want.payload_offset);
  EXPECT_EQ(got.l3_end, want.l3_end);
  EXPECT_EQ(got.ip_version, want.ip_version);
  EXPECT_EQ(got.l4_proto, want.l4_proto);
  EXPECT_EQ(got.flags, want.flags);
  EXPECT_EQ(got.ttl, want.ttl);
  EXPECT_EQ(got.tcp_flags, want.tcp_flags);
  EXPECT_EQ(got.icmp_type, want.icmp_type);
  EXPECT_EQ(got.icmp_code, want.icmp_code);
  EXPECT_EQ(got.src_port, want.src_port);
  EXPECT_EQ(got.dst_port, want.dst_port);
  EXPECT_EQ(format_ip(got.src, want.ip_version == 6 ? 6 : 4),
            format_ip(want.src, want.ip_version == 6 ? 6 : 4));
  EXPECT_EQ(format_ip(got.dst, want.ip_version == 6 ? 6 : 4),
            format_ip(want.dst, want.ip_version == 6 ? 6 : 4));
}

ParsedPacket v4_base(uint16_t l3_end, uint8_t proto) {
  ParsedPacket p;
  p.ether_type = 0x0800;
  p.l3_offset = 14;
  p.l4_offset = 34;
  p.l3_end = l3_end;
  p.ip_version = 4;
  p.l4_proto = proto;
  p.ttl = 64;
  p.src = IpAddress::v4(kSrc4.data());
  p.dst = IpAddress::v4(kDst4.data());
  return p;
}
ParsedPacket v6_base(uint16_t l3_end, uint8_t proto) {
  ParsedPacket p;
  p.ether_type = 0x86dd;
  p.l3_offset = 14;
  p.l4_offset = 54;
  p.l3_end = l3_end;
  p.ip_version = 6;
  p.l4_proto = proto;
  p.ttl = 64;
  p.src = IpAddress::v6(kSrc6.data());
  p.dst = IpAddress::v6(kDst6.data());
  return p;
}

// Frames shared by the truncation and randomised tests.
Bytes vlan_ipv4_tcp_options_frame() {
  return cat(
      {ether_vlan(0x2064, 0x0800), ipv4({.proto = 6, .options = {1, 7, 7, 4, 10, 0, 0, 1}},
                                        tcp(40000, 443, 0x02, common_tcp_options(), {'h', 'i'}))});
}
Bytes ipv6_udp_ext_frame() {
  return cat({ether(0x86dd), ipv6(0, cat({ext6(60, 0), ext6(44, 1), frag6(17, 0, true),
                                          udp(5353, 5353, {1, 2, 3, 4, 5})}))});
}
Bytes ipv4_icmp_echo_frame() {
  return pad_to(cat({ether(0x0800), ipv4({.proto = 1}, icmp(8, 0, 0x4242, 7, {0xaa, 0xbb}))}), 60);
}
Bytes ipv6_icmp_echo_frame() {
  return cat({ether_vlan(5, 0x86dd), ipv6(58, icmp(128, 0, 0x0102, 1, {9, 9, 9}))});
}
Bytes arp_frame() { return pad_to(cat({ether(0x0806), arp(1, kSrc4, kDst4)}), 60); }

// ---------------------------------------------------------------------------------------------
// Valid frames: every field checked

TEST(ParseValid, Ipv4TcpFillsEveryField) {
  const Bytes f = cat({ether(0x0800), ipv4({}, tcp(1234, 80, 0x18, {}, {1, 2, 3, 4, 5}))});
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  ParsedPacket want = v4_base(59, 6);
  want.payload_offset = 54;
  want.flags = kParseL4;
  want.tcp_flags = 0x18;
  want.src_port = 1234;
  want.dst_port = 80;
  expect_parsed(out, want);
}

TEST(ParseValid, Ipv4TcpWithOptionsBehindVlanFillsEveryField) {
  const Bytes f = vlan_ipv4_tcp_options_frame();
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  ParsedPacket want = v4_base(static_cast<uint16_t>(f.size()), 6);
  want.vlan_tci = 0x2064;
  want.l3_offset = 18;
  want.l4_offset = 18 + 28;
  want.payload_offset = 18 + 28 + 40;
  want.flags = kParseVlan | kParseIpOptions | kParseL4;
  want.tcp_flags = 0x02;
  want.src_port = 40000;
  want.dst_port = 443;
  expect_parsed(out, want);
}

TEST(ParseValid, Ipv4UdpWithEthernetPaddingEndsAtTotalLength) {
  const Bytes f = pad_to(cat({ether(0x0800), ipv4({.proto = 17}, udp(68, 67, {7}))}), 60);
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  ParsedPacket want = v4_base(14 + 20 + 9, 17);
  want.payload_offset = 42;
  want.flags = kParseL4;
  want.src_port = 68;
  want.dst_port = 67;
  expect_parsed(out, want);
}

TEST(ParseValid, Ipv4IcmpEchoRequestSetsIdentifierAsBothPorts) {
  const Bytes f = ipv4_icmp_echo_frame();
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  ParsedPacket want = v4_base(14 + 20 + 10, 1);
  want.payload_offset = 42;
  want.flags = kParseL4;
  want.icmp_type = 8;
  want.src_port = want.dst_port = 0x4242;
  expect_parsed(out, want);
}

TEST(ParseValid, Ipv4IcmpEchoReplySetsIdentifier) {
  const Bytes f = cat({ether(0x0800), ipv4({.proto = 1}, icmp(0, 0, 77, 1, {}))});
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  EXPECT_EQ(out.icmp_type, 0);
  EXPECT_EQ(out.src_port, 77);
  EXPECT_EQ(out.dst_port, 77);
}

TEST(ParseValid, Ipv4IcmpUnreachableLeavesPortsZero) {
  const Bytes f = cat({ether(0x0800), ipv4({.proto = 1}, icmp(3, 1, 0x9999, 0x9999, {}))});
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  ParsedPacket want = v4_base(42, 1);
  want.payload_offset = 42;
  want.flags = kParseL4;
  want.icmp_type = 3;
  want.icmp_code = 1;
  expect_parsed(out, want);
}

TEST(ParseValid, Ipv6TcpFillsEveryField) {
  const Bytes f = cat({ether(0x86dd), ipv6(6, tcp(5555, 22, 0x10, {1, 1, 1, 0}, {}))});
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  ParsedPacket want = v6_base(14 + 40 + 24, 6);
  want.payload_offset = 78;
  want.flags = kParseL4;
  want.tcp_flags = 0x10;
  want.src_port = 5555;
  want.dst_port = 22;
  expect_parsed(out, want);
}

TEST(ParseValid, Ipv6UdpFillsEveryField) {
  const Bytes f = cat({ether(0x86dd), ipv6(17, udp(546, 547, {1, 2, 3}))});
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  ParsedPacket want = v6_base(14 + 40 + 11, 17);
  want.payload_offset = 62;
  want.flags = kParseL4;
  want.src_port = 546;
  want.dst_port = 547;
  expect_parsed(out, want);
}

TEST(ParseValid, Ipv6IcmpEchoRequestBehindVlanFillsEveryField) {
  const Bytes f = ipv6_icmp_echo_frame();
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  ParsedPacket want = v6_base(static_cast<uint16_t>(f.size()), 58);
  want.vlan_tci = 5;
  want.l3_offset = 18;
  want.l4_offset = 58;
  want.payload_offset = 66;
  want.flags = kParseVlan | kParseL4;
  want.icmp_type = 128;
  want.src_port = want.dst_port = 0x0102;
  expect_parsed(out, want);
}

TEST(ParseValid, Icmpv6NonEchoLeavesPortsZero) {
  const Bytes f = cat({ether(0x86dd), ipv6(58, icmp(135, 0, 0x1111, 0x2222, Bytes(16, 0)))});
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  EXPECT_EQ(out.icmp_type, 135);
  EXPECT_EQ(out.src_port, 0);
  EXPECT_EQ(out.dst_port, 0);
  EXPECT_TRUE(out.has(kParseL4));
}

TEST(ParseValid, ArpRequestSetsSenderAsSourceAndTargetAsDestination) {
  const Bytes f = arp_frame();
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  ParsedPacket want;
  want.ether_type = 0x0806;
  want.l3_offset = 14;
  want.l4_offset = want.payload_offset = want.l3_end = 42;
  want.src = IpAddress::v4(kSrc4.data());
  want.dst = IpAddress::v4(kDst4.data());
  expect_parsed(out, want);
}

TEST(ParseValid, ArpBehindVlanParses) {
  const Bytes f = cat({ether_vlan(0x0fff, 0x0806), arp(2, kDst4, kSrc4)});
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  EXPECT_EQ(out.vlan_tci, 0x0fff);
  EXPECT_EQ(out.flags, kParseVlan);
  EXPECT_EQ(out.l3_offset, 18);
  EXPECT_EQ(out.ip_version, 0);
  EXPECT_EQ(out.src, IpAddress::v4(kDst4.data()));
}

TEST(ParseValid, VlanTagSetsTciAndInnerEtherType) {
  const Bytes f = cat({ether_vlan(0xe00a, 0x0800), ipv4({.proto = 17}, udp(1, 2, {}))});
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  EXPECT_EQ(out.ether_type, 0x0800);
  EXPECT_EQ(out.vlan_tci, 0xe00a);
  EXPECT_EQ(out.l3_offset, 18);
  EXPECT_EQ(out.flags, kParseVlan | kParseL4);
}

TEST(ParseValid, Ipv4OptionsAreWalkedAndFlagged) {
  // NOP, record route (7 bytes), router alert (4), EOL followed by ignored bytes.
  const Bytes opts = {1, 7, 7, 4, 0, 0, 0, 0, 0x94, 4, 0, 0, 0, 0xff, 0xff, 0xff};
  const Bytes f = cat({ether(0x0800), ipv4({.proto = 17, .options = opts}, udp(9, 9, {}))});
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  EXPECT_EQ(out.flags, kParseIpOptions | kParseL4);
  EXPECT_EQ(out.l4_offset, 14 + 36);
  EXPECT_EQ(out.payload_offset, 14 + 36 + 8);
}

TEST(ParseValid, Ipv4SourceZeroIsAllowed) {
  Ipv4Spec s{.proto = 17, .src = {0, 0, 0, 0}, .dst = {255, 255, 255, 255}};
  const Bytes f = cat({ether(0x0800), ipv4(s, udp(68, 67, Bytes(20, 0)))});
  ParsedPacket out;
  EXPECT_EQ(parse(f, out), Reason::none);
  EXPECT_EQ(out.src, IpAddress{});
}

TEST(ParseValid, Ipv4FirstFragmentStillParsesL4) {
  // MF set, offset 0; the UDP length covers the whole datagram, beyond this fragment.
  Bytes payload = udp(1000, 2000, Bytes(100, 0));
  store_be16(payload.data() + 4, 3000);
  const Bytes f = cat({ether(0x0800), ipv4({.proto = 17, .frag = 0x2000}, payload)});
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  ParsedPacket want = v4_base(static_cast<uint16_t>(f.size()), 17);
  want.payload_offset = 42;
  want.flags = kParseFragment | kParseL4;
  want.src_port = 1000;
  want.dst_port = 2000;
  expect_parsed(out, want);
}

TEST(ParseValid, Ipv4LaterFragmentSkipsL4) {
  const Bytes f = cat({ether(0x0800), ipv4({.proto = 6, .frag = 0x2000 | 185}, Bytes(40, 0xee))});
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  ParsedPacket want = v4_base(14 + 60, 6);
  want.payload_offset = 34;
  want.flags = kParseFragment | kParseLaterFragment;
  expect_parsed(out, want);
}

TEST(ParseValid, Ipv4LastFragmentIsALaterFragment) {
  const Bytes f = cat({ether(0x0800), ipv4({.proto = 17, .frag = 370}, Bytes(12, 0))});
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  EXPECT_EQ(out.flags, kParseFragment | kParseLaterFragment);
  EXPECT_EQ(out.src_port, 0);
}

TEST(ParseValid, Ipv4UnknownProtocolHasNoL4) {
  const Bytes f = cat({ether(0x0800), ipv4({.proto = 47}, Bytes(4, 0))});
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  ParsedPacket want = v4_base(14 + 24, 47);
  want.payload_offset = 34;
  expect_parsed(out, want);
}

TEST(ParseValid, Icmpv6UnderIpv4IsAnUnknownProtocol) {
  const Bytes f = cat({ether(0x0800), ipv4({.proto = 58}, Bytes(3, 0))});
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  EXPECT_EQ(out.l4_proto, 58);
  EXPECT_FALSE(out.has(kParseL4));
}

TEST(ParseValid, IcmpUnderIpv6IsAnUnknownProtocol) {
  const Bytes f = cat({ether(0x86dd), ipv6(1, Bytes(3, 0))});
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  EXPECT_EQ(out.l4_proto, 1);
  EXPECT_FALSE(out.has(kParseL4));
}

TEST(ParseValid, Ipv4ChecksumVerifiedByNicIsNotRechecked) {
  Bytes f = cat({ether(0x0800), ipv4({.proto = 17}, udp(1, 2, {}))});
  f[14 + 10] ^= 0xff;
  EXPECT_EQ(parse(f), Reason::malformed_ipv4_checksum);
  ParsedPacket out;
  EXPECT_EQ(parse(f, out, true), Reason::none);
}

// Every checksum value, right or wrong, gets the verdict of the plain 16-bit one's complement
// sum (the edge values 0x0000 and 0xffff included).
TEST(ParseMalformed, Ipv4ChecksumVerdictMatchesTheSixteenBitSumForRandomHeaders) {
  std::mt19937 rng(99);
  for (int round = 0; round < 100000; ++round) {
    Bytes f = cat({ether(0x0800), ipv4({.proto = 17}, udp(1, 2, {}))});
    uint8_t* ip = f.data() + 14;
    for (int i : {1, 4, 5, 8, 12, 13, 14, 15, 16, 17, 18, 19}) ip[i] = static_cast<uint8_t>(rng());
    ip[12] = static_cast<uint8_t>(1 + rng() % 126);  // a unicast, non-loopback source
    ip[16] = static_cast<uint8_t>(1 + rng() % 126);
    ip[6] = ip[7] = 0;  // not a fragment
    const int pick = static_cast<int>(rng() % 4);
    ip[10] = ip[11] = 0;
    const uint16_t right = inet_checksum(ip, 20);
    const uint16_t value = pick == 0   ? right
                           : pick == 1 ? 0x0000
                           : pick == 2 ? 0xffff
                                       : static_cast<uint16_t>(rng());
    ip[10] = static_cast<uint8_t>(value >> 8);
    ip[11] = static_cast<uint8_t>(value);
    const bool valid = inet_checksum(ip, 20) == 0;  // the sum with the checksum is 0xffff
    ASSERT_EQ(parse(f) == Reason::malformed_ipv4_checksum, !valid) << "round " << round;
  }
}

// The same with options (24 to 60 bytes of header): the sum covers the whole header, and a
// checksum word that carries out of every position still gets the 16-bit sum's verdict.
TEST(ParseMalformed, Ipv4ChecksumVerdictMatchesTheSixteenBitSumWithOptions) {
  std::mt19937 rng(7);
  for (int round = 0; round < 50000; ++round) {
    const size_t words = 1 + rng() % 10;
    Bytes opts(words * 4, 1);  // NOPs, so the option walk passes
    for (size_t i = 0; i + 1 < opts.size(); i += 4) opts[i + 1] = 1;
    if (rng() % 2) opts.back() = 0;  // EOL: the bytes after it are not walked
    Bytes f = cat({ether(0x0800), ipv4({.proto = 17, .options = opts}, udp(1, 2, {}))});
    uint8_t* ip = f.data() + 14;
    const size_t hlen = 20 + opts.size();
    for (int i : {1, 4, 5, 8, 13, 14, 15, 17, 18, 19}) ip[i] = static_cast<uint8_t>(rng());
    ip[12] = static_cast<uint8_t>(1 + rng() % 126);
    ip[16] = static_cast<uint8_t>(1 + rng() % 126);
    ip[6] = ip[7] = 0;
    ip[10] = ip[11] = 0;
    const uint16_t right = inet_checksum(ip, hlen);
    const int pick = static_cast<int>(rng() % 3);
    const uint16_t value = pick == 0   ? right
                           : pick == 1 ? static_cast<uint16_t>(right ^ 0xffff)
                                       : static_cast<uint16_t>(rng());
    ip[10] = static_cast<uint8_t>(value >> 8);
    ip[11] = static_cast<uint8_t>(value);
    const bool valid = inet_checksum(ip, hlen) == 0;
    ASSERT_EQ(parse(f) == Reason::malformed_ipv4_checksum, !valid) << "round " << round;
  }
}

TEST(ParseValid, Ipv6HopByHopDestinationOptionsFragmentChainParsesUdp) {
  const Bytes f = ipv6_udp_ext_frame();
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  ParsedPacket want = v6_base(static_cast<uint16_t>(f.size()), 17);
  want.l4_offset = 14 + 40 + 8 + 16 + 8;
  want.payload_offset = want.l4_offset + 8;
  want.flags = kParseIpOptions | kParseFragment | kParseL4;
  want.src_port = want.dst_port = 5353;
  expect_parsed(out, want);
}

TEST(ParseValid, Ipv6LaterFragmentStopsAtFragmentHeader) {
  const Bytes f = cat({ether(0x86dd), ipv6(44, cat({frag6(6, 100, false), Bytes(16, 0)}))});
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  ParsedPacket want = v6_base(static_cast<uint16_t>(f.size()), 6);
  want.l4_offset = want.payload_offset = 14 + 48;
  want.flags = kParseIpOptions | kParseFragment | kParseLaterFragment;
  expect_parsed(out, want);
}

TEST(ParseValid, Ipv6RoutingAndAuthenticationHeadersAreSkipped) {
  const Bytes f =
      cat({ether(0x86dd), ipv6(43, cat({ext6(51, 2), ah6(6, 4), tcp(1, 2, 0x01, {}, {})}))});
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  EXPECT_EQ(out.l4_proto, 6);
  EXPECT_EQ(out.l4_offset, 14 + 40 + 24 + 24);
  EXPECT_EQ(out.flags, kParseIpOptions | kParseL4);
  EXPECT_EQ(out.tcp_flags, 0x01);
}

TEST(ParseValid, Ipv6NoNextHeaderStopsWithProtocol59) {
  const Bytes f = cat({ether(0x86dd), ipv6(59, {})});
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  ParsedPacket want = v6_base(54, 59);
  want.payload_offset = 54;
  expect_parsed(out, want);
}

TEST(ParseValid, Ipv6EspStopsWithProtocol50) {
  const Bytes f = cat({ether(0x86dd), ipv6(60, cat({ext6(50, 0), Bytes(24, 0x55)}))});
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  EXPECT_EQ(out.l4_proto, 50);
  EXPECT_EQ(out.l4_offset, 62);
  EXPECT_EQ(out.flags, kParseIpOptions);
}

TEST(ParseValid, Ipv6EightExtensionHeadersAreAccepted) {
  Bytes chain = udp(1, 2, {});
  for (int i = 0; i < 8; ++i) chain = cat({ext6(i == 0 ? 17 : 60, 0), chain});
  const Bytes f = cat({ether(0x86dd), ipv6(60, chain)});
  ParsedPacket out;
  ASSERT_EQ(parse(f, out), Reason::none);
  EXPECT_EQ(out.l4_offset, 14 + 40 + 64);
}

TEST(ParseValid, UnalignedFrameParses) {
  const Bytes f = vlan_ipv4_tcp_options_frame();
  Bytes buf(f.size() + 1);
  std::copy(f.begin(), f.end(), buf.begin() + 1);
  ParsedPacket out;
  ASSERT_EQ(parse_packet(buf.data() + 1, static_cast<uint32_t>(f.size()), out), Reason::none);
  EXPECT_EQ(out.dst_port, 443);
}

TEST(ParseValid, OutputIsResetBeforeParsing) {
  ParsedPacket out;
  out.flags = 0xff;
  out.src_port = 9;
  out.ttl = 3;
  ASSERT_EQ(parse(arp_frame(), out), Reason::none);
  EXPECT_EQ(out.flags, 0);
  EXPECT_EQ(out.src_port, 0);
  EXPECT_EQ(out.ttl, 0);
}

// ---------------------------------------------------------------------------------------------
// Malformed and unsupported: one frame per reason

TEST(ParseMalformed, EthernetShorterThan14IsTruncated) {
  EXPECT_EQ(parse(Bytes(13, 0)), Reason::malformed_ethernet_truncated);
  EXPECT_EQ(parse(Bytes{}), Reason::malformed_ethernet_truncated);
}

TEST(ParseMalformed, VlanTagCutShortIsTruncated) {
  Bytes f = ether_vlan(1, 0x0800);
  f.resize(17);
  EXPECT_EQ(parse(f), Reason::malformed_vlan_truncated);
}

TEST(ParseMalformed, StackedVlanIsUnsupported) {
  EXPECT_EQ(parse(pad_to(ether_vlan(1, 0x8100), 60)), Reason::unsupported_vlan_stacked);
  EXPECT_EQ(parse(pad_to(ether_vlan(1, 0x88a8), 60)), Reason::unsupported_vlan_stacked);
  EXPECT_EQ(parse(pad_to(ether(0x88a8), 60)), Reason::unsupported_vlan_stacked);
}

TEST(ParseMalformed, UnknownEtherTypeIsUnsupported) {
  ParsedPacket out;
  EXPECT_EQ(parse(pad_to(ether(0x88cc), 60), out), Reason::unsupported_ethertype);
  EXPECT_EQ(out.ether_type, 0x88cc);
}

TEST(ParseMalformed, ArpShorterThan28IsMalformed) {
  Bytes f = cat({ether(0x0806), arp(1, kSrc4, kDst4)});
  f.pop_back();
  EXPECT_EQ(parse(f), Reason::malformed_arp_header);
}

TEST(ParseMalformed, ArpWithWrongTypesOrLengthsIsMalformed) {
  for (size_t at : {14u, 15u, 16u, 17u, 18u, 19u}) {
    Bytes f = cat({ether(0x0806), arp(1, kSrc4, kDst4)});
    f[at] ^= 0x01;
    EXPECT_EQ(parse(f), Reason::malformed_arp_header) << "byte " << at;
  }
}

TEST(ParseMalformed, Ipv4ShorterThan20IsTruncated) {
  Bytes f = cat({ether(0x0800), ipv4({.proto = 59}, {})});
  f.resize(14 + 19);
  EXPECT_EQ(parse(f), Reason::malformed_ipv4_truncated);
}

TEST(ParseMalformed, Ipv4WrongVersionIsMalformed) {
  Bytes f = cat({ether(0x0800), ipv4({.proto = 17}, udp(1, 2, {}))});
  f[14] = 0x65;
  refresh_ipv4_checksum(f, 14);
  EXPECT_EQ(parse(f), Reason::malformed_ipv4_version);
}

TEST(ParseMalformed, Ipv4IhlBelowFiveIsMalformed) {
  Bytes f = cat({ether(0x0800), ipv4({.proto = 17}, udp(1, 2, {}))});
  f[14] = 0x44;
  EXPECT_EQ(parse(f), Reason::malformed_ipv4_header_length);
}

TEST(ParseMalformed, Ipv4IhlBeyondFrameIsMalformed) {
  Bytes f = cat({ether(0x0800), ipv4({.proto = 17}, udp(1, 2, {}))});
  f[14] = 0x4f;  // 60 bytes of header, 28 in the frame
  EXPECT_EQ(parse(f), Reason::malformed_ipv4_header_length);
}

TEST(ParseMalformed, Ipv4TotalLengthBeyondFrameIsMalformed) {
  Bytes f = cat({ether(0x0800), ipv4({.proto = 17}, udp(1, 2, {}))});
  store_be16(f.data() + 16, 29);
  refresh_ipv4_checksum(f, 14);
  EXPECT_EQ(parse(f), Reason::malformed_ipv4_total_length);
}

TEST(ParseMalformed, Ipv4BadChecksumIsMalformed) {
  Bytes f = cat({ether(0x0800), ipv4({.proto = 17}, udp(1, 2, {}))});
  f[14 + 8] = 63;  // TTL changed without updating the checksum
  ParsedPacket out;
  EXPECT_EQ(parse(f, out), Reason::malformed_ipv4_checksum);
  EXPECT_EQ(out.ip_version, 4);
  EXPECT_EQ(out.l3_end, f.size());
}

TEST(ParseMalformed, Ipv4OptionLengthZeroIsMalformed) {
  const Bytes f = cat({ether(0x0800), ipv4({.proto = 59, .options = {7, 0, 0, 0}}, {})});
  EXPECT_EQ(parse(f), Reason::malformed_ipv4_options);
}

TEST(ParseMalformed, Ipv4OptionLengthOneIsMalformed) {
  const Bytes f = cat({ether(0x0800), ipv4({.proto = 59, .options = {1, 1, 0x94, 1}}, {})});
  EXPECT_EQ(parse(f), Reason::malformed_ipv4_options);
}

TEST(ParseMalformed, Ipv4OptionPastOptionAreaIsMalformed) {
  const Bytes f = cat({ether(0x0800), ipv4({.proto = 59, .options = {1, 7, 7, 4}}, {})});
  EXPECT_EQ(parse(f), Reason::malformed_ipv4_options);
}

TEST(ParseMalformed, Ipv4OptionMissingLengthByteIsMalformed) {
  const Bytes f = cat({ether(0x0800), ipv4({.proto = 59, .options = {1, 1, 1, 0x94}}, {})});
  EXPECT_EQ(parse(f), Reason::malformed_ipv4_options);
}

TEST(ParseMalformed, Ipv4FragmentPast65535IsMalformed) {
  // offset 8190 * 8 = 65520, plus 16 bytes of payload = 65536.
  const Bytes f = cat({ether(0x0800), ipv4({.proto = 17, .frag = 8190}, Bytes(16, 0))});
  EXPECT_EQ(parse(f), Reason::malformed_ipv4_fragment);
  const Bytes ok = cat({ether(0x0800), ipv4({.proto = 17, .frag = 8190}, Bytes(15, 0))});
  EXPECT_EQ(parse(ok), Reason::none);
}

TEST(ParseMalformed, Ipv4MulticastSourceIsMalformed) {
  const Bytes f = cat({ether(0x0800), ipv4({.proto = 17, .src = {224, 0, 0, 5}}, udp(1, 2, {}))});
  EXPECT_EQ(parse(f), Reason::malformed_ipv4_address);
}

TEST(ParseMalformed, Ipv4BroadcastSourceIsMalformed) {
  const Bytes f =
      cat({ether(0x0800), ipv4({.proto = 17, .src = {255, 255, 255, 255}}, udp(1, 2, {}))});
  EXPECT_EQ(parse(f), Reason::malformed_ipv4_address);
}

TEST(ParseMalformed, Ipv4ZeroDestinationIsMalformed) {
  const Bytes f = cat({ether(0x0800), ipv4({.proto = 17, .dst = {0, 0, 0, 0}}, udp(1, 2, {}))});
  EXPECT_EQ(parse(f), Reason::malformed_ipv4_address);
}

TEST(ParseMalformed, Ipv4LoopbackSourceOrDestinationIsMalformed) {
  const Bytes to = cat({ether(0x0800), ipv4({.proto = 6, .dst = {127, 0, 0, 1}}, Bytes(20, 0))});
  EXPECT_EQ(parse(to), Reason::malformed_ipv4_address);
  const Bytes from =
      cat({ether(0x0800), ipv4({.proto = 17, .src = {127, 9, 9, 9}}, udp(1, 2, {}))});
  EXPECT_EQ(parse(from), Reason::malformed_ipv4_address);
  const Bytes near =
      cat({ether(0x0800), ipv4({.proto = 17, .dst = {128, 0, 0, 1}}, udp(1, 2, {}))});
  EXPECT_EQ(parse(near), Reason::none);
}

TEST(ParseMalformed, Ipv6LoopbackSourceOrDestinationIsMalformed) {
  A6 loopback{};
  loopback[15] = 1;
  EXPECT_EQ(parse(cat({ether(0x86dd), ipv6(17, udp(1, 2, {}), loopback)})),
            Reason::malformed_ipv6_address);
  EXPECT_EQ(parse(cat({ether(0x86dd), ipv6(17, udp(1, 2, {}), kSrc6, loopback)})),
            Reason::malformed_ipv6_address);
}

TEST(ParseMalformed, Ipv6ShorterThan40IsTruncated) {
  Bytes f = cat({ether(0x86dd), ipv6(59, {})});
  f.pop_back();
  EXPECT_EQ(parse(f), Reason::malformed_ipv6_truncated);
}

TEST(ParseMalformed, Ipv6WrongVersionIsMalformed) {
  Bytes f = cat({ether(0x86dd), ipv6(59, {})});
  f[14] = 0x40;
  EXPECT_EQ(parse(f), Reason::malformed_ipv6_version);
}

TEST(ParseMalformed, Ipv6PayloadLengthBeyondFrameIsMalformed) {
  Bytes f = cat({ether(0x86dd), ipv6(17, udp(1, 2, {}))});
  store_be16(f.data() + 18, 9);
  EXPECT_EQ(parse(f), Reason::malformed_ipv6_payload_length);
}

TEST(ParseMalformed, Ipv6MulticastSourceIsMalformed) {
  A6 src{0xff, 0x02};
  src[15] = 1;
  const Bytes f = cat({ether(0x86dd), ipv6(17, udp(1, 2, {}), src)});
  EXPECT_EQ(parse(f), Reason::malformed_ipv6_address);
}

TEST(ParseMalformed, Ipv6HopByHopAfterFirstHeaderIsMalformed) {
  const Bytes f = cat({ether(0x86dd), ipv6(60, cat({ext6(0, 0), ext6(59, 0)}))});
  EXPECT_EQ(parse(f), Reason::malformed_ipv6_extension_header);
}

TEST(ParseMalformed, Ipv6ExtensionHeaderWithNoBytesLeftIsMalformed) {
  EXPECT_EQ(parse(cat({ether(0x86dd), ipv6(60, {})})), Reason::malformed_ipv6_extension_header);
  EXPECT_EQ(parse(cat({ether(0x86dd), ipv6(0, {59})})), Reason::malformed_ipv6_extension_header);
  EXPECT_EQ(parse(cat({ether(0x86dd), ipv6(51, {59})})), Reason::malformed_ipv6_extension_header);
}

TEST(ParseMalformed, Ipv6ExtensionHeaderPastPayloadIsMalformed) {
  Bytes f = cat({ether(0x86dd), ipv6(0, cat({ext6(17, 0), udp(1, 2, {})}))});
  f[14 + 40 + 1] = 2;  // claims 24 bytes, 16 remain
  EXPECT_EQ(parse(f), Reason::malformed_ipv6_extension_header);
}

TEST(ParseMalformed, Ipv6NineExtensionHeadersAreMalformed) {
  Bytes chain = udp(1, 2, {});
  for (int i = 0; i < 9; ++i) chain = cat({ext6(i == 0 ? 17 : 60, 0), chain});
  const Bytes f = cat({ether(0x86dd), ipv6(60, chain)});
  EXPECT_EQ(parse(f), Reason::malformed_ipv6_extension_header);
}

TEST(ParseMalformed, Ipv6TruncatedFragmentHeaderIsMalformed) {
  const Bytes f = cat({ether(0x86dd), ipv6(44, {17, 0, 0, 0, 0, 0})});
  EXPECT_EQ(parse(f), Reason::malformed_ipv6_extension_header);
}

TEST(ParseMalformed, Ipv6AuthenticationHeaderPastPayloadIsMalformed) {
  const Bytes f = cat({ether(0x86dd), ipv6(51, cat({Bytes{6, 4}, Bytes(10, 0)}))});
  EXPECT_EQ(parse(f), Reason::malformed_ipv6_extension_header);
}

TEST(ParseMalformed, Ipv6SecondFragmentHeaderIsMalformed) {
  const Bytes f =
      cat({ether(0x86dd), ipv6(44, cat({frag6(44, 0, true), frag6(17, 0, true), udp(1, 2, {})}))});
  EXPECT_EQ(parse(f), Reason::malformed_ipv6_fragment);
}

TEST(ParseMalformed, Ipv6FragmentPast65535IsMalformed) {
  const Bytes f = cat({ether(0x86dd), ipv6(44, cat({frag6(17, 8190, false), Bytes(16, 0)}))});
  EXPECT_EQ(parse(f), Reason::malformed_ipv6_fragment);
}

// RFC 1858: a TCP fragment at offset 8 overlaps the data offset and flags of the header the
// first fragment was judged on; at offset 16 or for UDP it is an ordinary later fragment.
TEST(ParseMalformed, TcpFragmentAtOffset8IsMalformed) {
  const Bytes f = cat({ether(0x0800), ipv4({.proto = 6, .frag = 0x2000 | 1}, Bytes(16, 0))});
  EXPECT_EQ(parse(f), Reason::malformed_ipv4_fragment);
  const Bytes f16 = cat({ether(0x0800), ipv4({.proto = 6, .frag = 0x2000 | 2}, Bytes(16, 0))});
  EXPECT_EQ(parse(f16), Reason::none);
  const Bytes udp8 = cat({ether(0x0800), ipv4({.proto = 17, .frag = 0x2000 | 1}, Bytes(16, 0))});
  EXPECT_EQ(parse(udp8), Reason::none);
  const Bytes f6 = cat({ether(0x86dd), ipv6(44, cat({frag6(6, 1, true), Bytes(16, 0)}))});
  EXPECT_EQ(parse(f6), Reason::malformed_ipv6_fragment);
  const Bytes f6_16 = cat({ether(0x86dd), ipv6(44, cat({frag6(6, 2, true), Bytes(16, 0)}))});
  EXPECT_EQ(parse(f6_16), Reason::none);
}

TEST(ParseMalformed, TcpShorterThan20IsMalformed) {
  Bytes seg = tcp(1, 2, 0, {}, {});
  seg.pop_back();
  EXPECT_EQ(parse(cat({ether(0x0800), ipv4({}, seg)})), Reason::malformed_tcp_header);
  EXPECT_EQ(parse(cat({ether(0x86dd), ipv6(6, seg)})), Reason::malformed_tcp_header);
}

TEST(ParseMalformed, TcpDataOffsetBelowFiveIsMalformed) {
  Bytes seg = tcp(1, 2, 0, {}, {});
  seg[12] = 0x40;
  ParsedPacket out;
  EXPECT_EQ(parse(cat({ether(0x0800), ipv4({}, seg)}), out), Reason::malformed_tcp_data_offset);
  EXPECT_EQ(out.src_port, 1);
  EXPECT_EQ(out.l4_offset, 34);
  EXPECT_FALSE(out.has(kParseL4));
}

TEST(ParseMalformed, TcpOptionLengthsMustMatchTheirKind) {
  const std::vector<Bytes> bad = {
      {2, 3, 0, 0},               // MSS length 3
      {3, 4, 0, 0},               // window scale length 4
      {4, 3, 0, 0},               // SACK-permitted length 3
      {8, 8, 0, 0, 0, 0, 0, 0},   // timestamps length 8
      {1, 1, 30, 0},              // unknown kind, length 0
      {1, 1, 1, 30},              // length byte missing
      {30, 1, 0, 0},              // length 1
      {30, 9, 0, 0, 0, 0, 0, 0},  // past the option area
  };
  for (const Bytes& opts : bad) {
    const Bytes f = cat({ether(0x0800), ipv4({}, tcp(1, 2, 0, opts, {}))});
    EXPECT_EQ(parse(f), Reason::malformed_tcp_options) << "first option kind " << int{opts[0]};
  }
}

TEST(ParseMalformed, UdpShorterThan8IsMalformed) {
  EXPECT_EQ(parse(cat({ether(0x0800), ipv4({.proto = 17}, Bytes(7, 0))})),
            Reason::malformed_udp_header);
}

TEST(ParseMalformed, UdpLengthBelow8IsMalformed) {
  Bytes seg = udp(1, 2, {1, 2});
  store_be16(seg.data() + 4, 7);
  EXPECT_EQ(parse(cat({ether(0x0800), ipv4({.proto = 17}, seg)})), Reason::malformed_udp_length);
}

TEST(ParseMalformed, IcmpShorterThan8IsMalformed) {
  EXPECT_EQ(parse(cat({ether(0x0800), ipv4({.proto = 1}, Bytes(7, 0))})),
            Reason::malformed_icmp_header);
}

TEST(ParseMalformed, Icmpv6ShorterThan8IsMalformed) {
  EXPECT_EQ(parse(cat({ether(0x86dd), ipv6(58, Bytes(7, 0))})), Reason::malformed_icmpv6_header);
}

TEST(ParseMalformed, FirstFragmentTooShortForItsL4HeaderIsMalformed) {
  const Bytes f = cat({ether(0x0800), ipv4({.proto = 6, .frag = 0x2000}, Bytes(8, 0))});
  EXPECT_EQ(parse(f), Reason::malformed_tcp_header);
}

// ---------------------------------------------------------------------------------------------
// Lying length fields

TEST(ParseLyingLengths, Ipv4TotalLengthBiggerThanFrameIsMalformed) {
  Bytes f = cat({ether(0x0800), ipv4({.proto = 6}, tcp(1, 2, 0, {}, Bytes(10, 0)))});
  store_be16(f.data() + 16, 1500);
  refresh_ipv4_checksum(f, 14);
  EXPECT_EQ(parse(f), Reason::malformed_ipv4_total_length);
}

TEST(ParseLyingLengths, Ipv4IhlBiggerThanTotalLengthIsMalformed) {
  Bytes f = pad_to(cat({ether(0x0800), ipv4({.proto = 59}, {})}), 100);
  f[14] = 0x4f;  // 60-byte header inside a 20-byte packet (the frame itself is long enough)
  refresh_ipv4_checksum(f, 14);
  EXPECT_EQ(parse(f), Reason::malformed_ipv4_total_length);
}

TEST(ParseLyingLengths, Ipv4TotalLengthBelowHeaderIsMalformed) {
  Bytes f = cat({ether(0x0800), ipv4({.proto = 17}, udp(1, 2, {}))});
  store_be16(f.data() + 16, 19);
  refresh_ipv4_checksum(f, 14);
  EXPECT_EQ(parse(f), Reason::malformed_ipv4_total_length);
}

TEST(ParseLyingLengths, UdpLengthBiggerThanIpPayloadIsMalformed) {
  Bytes seg = udp(1, 2, {1, 2, 3});
  store_be16(seg.data() + 4, 12);
  // Ethernet padding after the IP packet must not make the lie fit.
  const Bytes f = pad_to(cat({ether(0x0800), ipv4({.proto = 17}, seg)}), 60);
  EXPECT_EQ(parse(f), Reason::malformed_udp_length);
  const Bytes f6 = cat({ether(0x86dd), ipv6(17, seg)});
  EXPECT_EQ(parse(f6), Reason::malformed_udp_length);
}

TEST(ParseLyingLengths, UdpLengthBeyondFragmentIsAcceptedOnlyWhenMoreFragmentsFollow) {
  Bytes seg = udp(1, 2, {1, 2, 3});
  store_be16(seg.data() + 4, 400);
  EXPECT_EQ(parse(cat({ether(0x86dd), ipv6(44, cat({frag6(17, 0, true), seg}))})), Reason::none);
  // An atomic fragment (offset 0, M clear) is a whole datagram: the UDP length must fit.
  EXPECT_EQ(parse(cat({ether(0x86dd), ipv6(44, cat({frag6(17, 0, false), seg}))})),
            Reason::malformed_udp_length);
  EXPECT_EQ(parse(cat({ether(0x0800), ipv4({.proto = 17, .frag = 0x2000}, seg)})), Reason::none);
  EXPECT_EQ(parse(cat({ether(0x0800), ipv4({.proto = 17, .frag = 0}, seg)})),
            Reason::malformed_udp_length);
}

TEST(ParseLyingLengths, UdpLengthSmallerThanIpPayloadIsAccepted) {
  Bytes seg = udp(1, 2, {1, 2, 3});
  store_be16(seg.data() + 4, 9);
  ParsedPacket out;
  EXPECT_EQ(parse(cat({ether(0x0800), ipv4({.proto = 17}, seg)}), out), Reason::none);
  EXPECT_EQ(out.payload_offset, 42);
}

TEST(ParseLyingLengths, UdpLengthSmallerThanHeaderIsMalformed) {
  Bytes seg = udp(1, 2, {1, 2, 3});
  store_be16(seg.data() + 4, 0);
  EXPECT_EQ(parse(cat({ether(0x86dd), ipv6(17, seg)})), Reason::malformed_udp_length);
}

TEST(ParseLyingLengths, TcpDataOffsetPastEndIsMalformed) {
  Bytes seg = tcp(1, 2, 0, {}, Bytes(8, 0));
  seg[12] = 0x80;  // 32 bytes of header, 28 in the packet
  EXPECT_EQ(parse(pad_to(cat({ether(0x0800), ipv4({}, seg)}), 100)),
            Reason::malformed_tcp_data_offset);
  EXPECT_EQ(parse(cat({ether(0x86dd), ipv6(6, seg)})), Reason::malformed_tcp_data_offset);
}

TEST(ParseLyingLengths, Ipv6PayloadLengthPastEndIsMalformed) {
  Bytes f = cat({ether(0x86dd), ipv6(6, tcp(1, 2, 0, {}, {}))});
  store_be16(f.data() + 18, 0xffff);
  EXPECT_EQ(parse(f), Reason::malformed_ipv6_payload_length);
}

TEST(ParseLyingLengths, Ipv6PayloadLengthZeroWithUpperLayerIsMalformedAtL4) {
  Bytes f = cat({ether(0x86dd), ipv6(17, udp(1, 2, {}))});
  store_be16(f.data() + 18, 0);  // a jumbogram-style zero length is not supported
  EXPECT_EQ(parse(f), Reason::malformed_udp_header);
}

TEST(ParseLyingLengths, Ipv6ExtensionHeaderLengthPastEndIsMalformed) {
  Bytes f = cat({ether(0x86dd), ipv6(60, cat({ext6(59, 0)}))});
  f[14 + 40 + 1] = 255;
  EXPECT_EQ(parse(f), Reason::malformed_ipv6_extension_header);
}

TEST(ParseLyingLengths, Ipv6ExtensionHeaderPastPayloadLengthIntoPaddingIsMalformed) {
  Bytes f = pad_to(cat({ether(0x86dd), ipv6(60, Bytes{59, 0, 1, 0})}), 100);
  EXPECT_EQ(parse(f), Reason::malformed_ipv6_extension_header);
}

TEST(ParseLyingLengths, OptionLengthZeroOneAndPastEndAreMalformed) {
  for (const Bytes& opts : std::vector<Bytes>{{0x94, 0, 0, 0}, {0x94, 1, 0, 0}, {0x94, 5, 0, 0}}) {
    const Bytes v4 = cat({ether(0x0800), ipv4({.proto = 59, .options = opts}, {})});
    EXPECT_EQ(parse(v4), Reason::malformed_ipv4_options) << "length " << int{opts[1]};
    const Bytes t = cat({ether(0x0800), ipv4({}, tcp(1, 2, 0, opts, {}))});
    EXPECT_EQ(parse(t), Reason::malformed_tcp_options) << "length " << int{opts[1]};
  }
}

TEST(ParseLyingLengths, FrameLongerThan65535CannotOverflowOffsets) {
  // Offsets are 16-bit: only the first 65535 bytes are parsed, so an IP packet ending past
  // that is refused instead of wrapping l3_end.
  Bytes v4 = cat({ether_vlan(1, 0x0800), ipv4({.proto = 17}, udp(1, 2, Bytes(65535 - 28, 0)))});
  ASSERT_EQ(v4.size(), 18u + 65535u);
  EXPECT_EQ(parse(v4), Reason::malformed_ipv4_total_length);
  Bytes v6 = cat({ether(0x86dd), ipv6(17, udp(1, 2, Bytes(65535 - 8, 0)))});
  EXPECT_EQ(parse(v6), Reason::malformed_ipv6_payload_length);
}

// ---------------------------------------------------------------------------------------------
// Truncated at every offset: each prefix goes into its own exactly-sized buffer so that a read
// past `len` is a read past the allocation (visible under AddressSanitizer).

void expect_every_prefix_rejected(const Bytes& f) {
  ParsedPacket full;
  ASSERT_EQ(parse(f, full), Reason::none);
  const size_t claimed = full.ip_version != 0 || full.ether_type == 0x0806 ? full.l3_end : f.size();
  ASSERT_GT(claimed, 0u);
  for (size_t cut = 0; cut < f.size(); ++cut) {
    const Bytes prefix(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(cut));
    ParsedPacket out;
    const Reason r = parse(prefix, out);
    if (cut < claimed) {
      EXPECT_NE(r, Reason::none) << "cut at " << cut << " of " << f.size();
      EXPECT_EQ(reason_layer(r), Layer::parse) << "cut at " << cut;
    } else {
      // Only Ethernet padding was removed: same result as the whole frame.
      EXPECT_EQ(r, Reason::none) << "cut at " << cut;
      EXPECT_EQ(out.l3_end, full.l3_end);
      EXPECT_EQ(out.payload_offset, full.payload_offset);
    }
  }
}

TEST(ParseTruncation, VlanIpv4TcpWithOptionsIsRejectedAtEveryCut) {
  expect_every_prefix_rejected(vlan_ipv4_tcp_options_frame());
}

TEST(ParseTruncation, Ipv6UdpWithExtensionHeadersIsRejectedAtEveryCut) {
  expect_every_prefix_rejected(ipv6_udp_ext_frame());
}

TEST(ParseTruncation, Ipv4IcmpEchoIsRejectedAtEveryCutBeforePadding) {
  expect_every_prefix_rejected(ipv4_icmp_echo_frame());
}

TEST(ParseTruncation, Ipv6IcmpEchoIsRejectedAtEveryCut) {
  expect_every_prefix_rejected(ipv6_icmp_echo_frame());
}

TEST(ParseTruncation, ArpIsRejectedAtEveryCutBeforePadding) {
  expect_every_prefix_rejected(arp_frame());
}

// ---------------------------------------------------------------------------------------------
// Randomised mutations

TEST(ParseRandom, MutatedFramesNeverEscapeTheFrame) {
  const std::vector<Bytes> bases = {vlan_ipv4_tcp_options_frame(), ipv6_udp_ext_frame(),
                                    ipv4_icmp_echo_frame(), ipv6_icmp_echo_frame(), arp_frame()};
  std::mt19937 rng(20240611);
  int accepted = 0;
  int rejected = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes f = bases[rng() % bases.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 6) {
        case 0:  // truncate
          f.resize(rng() % (f.size() + 1));
          break;
        case 1:  // grow with random bytes
          for (uint32_t n = rng() % 32; n > 0; --n) f.push_back(static_cast<uint8_t>(rng()));
          break;
        case 2:  // a 16-bit field set to an extreme
          if (f.size() >= 2) {
            static constexpr uint16_t kExtremes[] = {0, 1, 0x00ff, 0x7fff, 0xfffe, 0xffff};
            store_be16(f.data() + rng() % (f.size() - 1), kExtremes[rng() % 6]);
          }
          break;
        default:  // random byte
          if (!f.empty()) f[rng() % f.size()] = static_cast<uint8_t>(rng());
          break;
      }
    }
    const Bytes exact(f.begin(), f.end());
    ParsedPacket out;
    const Reason r = parse(exact, out, (rng() & 1) != 0);
    ASSERT_EQ(reason_layer(r), Layer::parse) << "iteration " << i;
    if (r != Reason::none) {
      ++rejected;
      continue;
    }
    ++accepted;
    ASSERT_LE(out.l3_offset, out.l4_offset) << "iteration " << i;
    ASSERT_LE(out.l4_offset, out.payload_offset) << "iteration " << i;
    ASSERT_LE(out.payload_offset, out.l3_end) << "iteration " << i;
    ASSERT_LE(out.l3_end, exact.size()) << "iteration " << i;
    if (out.has(kParseL4)) {
      ASSERT_FALSE(out.has(kParseLaterFragment)) << "iteration " << i;
    }
  }
  EXPECT_GT(accepted, 1000);
  EXPECT_GT(rejected, 1000);
}

// ---------------------------------------------------------------------------------------------
// Address text forms

TEST(Address, Ipv4RoundTrips) {
  IpAddress a;
  ASSERT_EQ(parse_ip("192.0.2.1", a), 4);
  EXPECT_EQ(a, IpAddress::v4(kSrc4.data()));
  EXPECT_EQ(format_ip(a, 4), "192.0.2.1");
}

TEST(Address, Ipv6FormatsPerRfc5952) {
  IpAddress a;
  ASSERT_EQ(parse_ip("2001:0DB8:0:0:0:0:0:1", a), 6);
  EXPECT_EQ(a, IpAddress::v6(kSrc6.data()));
  EXPECT_EQ(format_ip(a, 6), "2001:db8::1");
}

TEST(Address, InvalidIpTextReturnsZeroAndLeavesOutput) {
  IpAddress a = IpAddress::v4(kDst4.data());
  for (const char* s : {"", "1.2.3", "1.2.3.256", "::g", "1.2.3.4 ", "hello"}) {
    EXPECT_EQ(parse_ip(s, a), 0) << s;
  }
  EXPECT_EQ(a, IpAddress::v4(kDst4.data()));
}

TEST(Address, MacFormatsLowerCase) {
  MacAddress m{{0x02, 0, 0, 0xAB, 0xcd, 0x01}};
  EXPECT_EQ(format_mac(m), "02:00:00:ab:cd:01");
}

TEST(Address, MacParsesSixHexGroups) {
  MacAddress m;
  ASSERT_TRUE(parse_mac("02:00:00:AB:cd:01", m));
  EXPECT_EQ(m, (MacAddress{{0x02, 0, 0, 0xab, 0xcd, 0x01}}));
}

TEST(Address, MacRejectsOtherShapes) {
  MacAddress m;
  for (const char* s :
       {"", "02:00:00:00:00", "02:00:00:00:00:01:02", "2:00:00:00:00:01", "02-00-00-00-00-01",
        "02:00:00:00:00:0g", "02:00:00:00:00:01 ", "0200.0000.0001", "02:00:00:00:000:1"}) {
    EXPECT_FALSE(parse_mac(s, m)) << s;
  }
}

}  // namespace
}  // namespace gauntlet
