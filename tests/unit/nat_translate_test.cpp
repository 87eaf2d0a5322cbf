// HeaderRewrite (nat/translate.h) against the plain reference it replaces: each 16-bit word
// adjusted in memory, the checksum read back and written once per word (RFC 1624 eqn. 3,
// UDP's 0 sent as 0xffff). Both rewrite the same random headers, the checksums' edge values
// (0x0000, 0xffff) included, and must leave the same bytes.
#include <array>
#include <cstring>
#include <gtest/gtest.h>
#include <random>

#include "dataplane/nat/translate.h"

namespace gauntlet {
namespace {

// The reference: one word at a time, through memory.
void reference_adjust(uint8_t* checksum, uint16_t old_word, uint16_t new_word, bool udp) {
  uint16_t v = checksum_adjust(load_be16(checksum), old_word, new_word);
  if (udp && v == 0) v = 0xffff;
  store_be16(checksum, v);
}
void reference_address(uint8_t* ipv4_header, uint8_t* field, const IpAddress& to, int words,
                       L4Checksum l4) {
  for (int w = 0; w < words; ++w) {
    const uint16_t old_word = load_be16(field + 2 * w);
    const uint16_t new_word = load_be16(to.bytes.data() + 2 * w);
    if (ipv4_header) reference_adjust(ipv4_header + 10, old_word, new_word, false);
    if (l4.field && l4.covers_addresses) reference_adjust(l4.field, old_word, new_word, l4.udp);
    store_be16(field + 2 * w, new_word);
  }
}
void reference_port(uint8_t* field, uint16_t to, L4Checksum l4) {
  if (l4.field) reference_adjust(l4.field, load_be16(field), to, l4.udp);
  store_be16(field, to);
}

// A frame: IP header at 0 (20 bytes v4, 40 v6), L4 header right after.
struct Frame {
  std::array<uint8_t, 128> bytes{};
};

uint16_t edge_or_random(std::mt19937& rng) {
  switch (rng() % 4) {
    case 0:
      return 0x0000;
    case 1:
      return 0xffff;
    default:
      return static_cast<uint16_t>(rng());
  }
}

IpAddress random_address(std::mt19937& rng, int version) {
  IpAddress a;
  for (int i = 0; i < (version == 4 ? 4 : 16); ++i) a.bytes[i] = static_cast<uint8_t>(rng());
  // Words that cancel out or stay the same are the cases a one-sum shortcut would get wrong.
  if (rng() % 4 == 0) a.bytes[0] = a.bytes[1] = 0xff;
  return a;
}

TEST(NatTranslate, HeaderRewriteWritesTheSameBytesAsWordByWordInMemory) {
  std::mt19937 rng(1234);
  const uint8_t protos[] = {6, 17, 1, 58};
  for (int round = 0; round < 200000; ++round) {
    const uint8_t proto = protos[rng() % 4];
    const int version = proto == 58 ? 6 : proto == 1 ? 4 : (rng() % 2 ? 4 : 6);
    Frame f;
    for (auto& b : f.bytes) b = static_cast<uint8_t>(rng());
    const uint32_t l4_offset = version == 4 ? 20 : 40;
    uint8_t* l4 = f.bytes.data() + l4_offset;
    store_be16(f.bytes.data() + 10, edge_or_random(rng));
    const uint32_t checksum_at = proto == 6 ? 16 : proto == 17 ? 6 : 2;
    store_be16(l4 + checksum_at, edge_or_random(rng));
    const uint32_t available = rng() % 8 == 0 ? rng() % 20 : 64;
    Frame g = f;

    // The same change list on both copies: an address or two, a port or two.
    const int changes = 1 + static_cast<int>(rng() % 4);
    struct Change {
      bool address;
      uint32_t at;
      IpAddress to;
      uint16_t port;
    } list[4];
    for (int i = 0; i < changes; ++i) {
      list[i].address = rng() % 2;
      list[i].at = list[i].address ? (version == 4 ? 12 + 4 * (rng() % 2) : 8 + 16 * (rng() % 2))
                                   : (proto == 6 || proto == 17 ? 2 * (rng() % 2) : 4);
      list[i].to = random_address(rng, version);
      list[i].port = rng() % 4 == 0 ? load_be16(l4 + list[i].at) : edge_or_random(rng);
    }

    const L4Checksum ref_sum = l4_checksum(l4, available, proto);
    uint8_t* ref_ip = version == 4 ? f.bytes.data() : nullptr;
    for (int i = 0; i < changes; ++i) {
      if (list[i].address)
        reference_address(ref_ip, f.bytes.data() + list[i].at, list[i].to, version == 4 ? 2 : 8,
                          ref_sum);
      else
        reference_port(l4 + list[i].at, list[i].port, ref_sum);
    }

    uint8_t* l4g = g.bytes.data() + l4_offset;
    HeaderRewrite r(version == 4 ? g.bytes.data() : nullptr, l4_checksum(l4g, available, proto));
    for (int i = 0; i < changes; ++i) {
      if (!list[i].address)
        r.port(l4g + list[i].at, list[i].port);
      else if (version == 4)
        r.ipv4_address(g.bytes.data() + list[i].at, list[i].to);
      else
        r.ipv6_address(g.bytes.data() + list[i].at, list[i].to);
    }
    r.commit();
    ASSERT_EQ(0, std::memcmp(f.bytes.data(), g.bytes.data(), f.bytes.size()))
        << "round " << round << " proto " << int{proto} << " version " << version;
  }
}

TEST(NatTranslate, UdpWithoutChecksumKeepsZeroAndAComputedZeroIsSentAsFfff) {
  Frame f;
  uint8_t* ip = f.bytes.data();
  uint8_t* udp = ip + 20;
  store_be16(udp + 6, 0);  // no checksum: stays 0 whatever changes
  HeaderRewrite none(ip, l4_checksum(udp, 8, 17));
  none.port(udp, 4242);
  none.commit();
  EXPECT_EQ(load_be16(udp + 6), 0);
  EXPECT_EQ(load_be16(udp), 4242);

  // Checksum 0xfffe, port 0x0001 -> 0x0000: ~(~0xfffe + ~1 + 0) = ~(1 + 0xfffe) = 0, sent as
  // 0xffff.
  store_be16(udp, 1);
  store_be16(udp + 6, 0xfffe);
  HeaderRewrite zero(ip, l4_checksum(udp, 8, 17));
  zero.port(udp, 0);
  zero.commit();
  EXPECT_EQ(load_be16(udp + 6), 0xffff);
}

}  // namespace
}  // namespace gauntlet
