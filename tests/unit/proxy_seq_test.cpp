// Sequence translation of spliced segments: seq/ack deltas modulo 2^32, SACK edges,
// timestamps, window rescaling, and a checksum that stays right.
#include <cstring>
#include <gtest/gtest.h>
#include <vector>

#include "dataplane/proxy/seq_translate.h"

namespace gauntlet {
namespace {

uint32_t get32(const uint8_t* p) { return splice_detail::get32(p); }
void put32(uint8_t* p, uint32_t v) {
  p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = static_cast<uint8_t>(v);
}

// One's complement sum of the header's words; a correct checksum makes it 0xffff (we treat
// the header alone as the checksummed bytes: incremental updates do not care what else is).
uint16_t header_sum(const std::vector<uint8_t>& h) {
  uint32_t s = 0;
  for (size_t i = 0; i < h.size(); i += 2) s += uint32_t{h[i]} << 8 | h[i + 1];
  return fold_checksum(s);
}
void seal(std::vector<uint8_t>& h) {
  h[16] = h[17] = 0;
  const uint16_t c = static_cast<uint16_t>(~header_sum(h));
  h[16] = c >> 8, h[17] = static_cast<uint8_t>(c);
}

// A header with flags ACK, window, and the given options (padded to 4 bytes with NOPs first,
// so that options land at odd offsets when `odd` is set).
std::vector<uint8_t> segment(uint32_t seq, uint32_t ack, uint16_t window,
                             std::vector<uint8_t> options, bool odd = false) {
  if (odd) options.insert(options.begin(), 1);
  while (options.size() % 4) options.push_back(0);
  std::vector<uint8_t> h(20 + options.size());
  put32(&h[4], seq);
  put32(&h[8], ack);
  h[12] = static_cast<uint8_t>((h.size() / 4) << 4);
  h[13] = 0x10;
  h[14] = window >> 8, h[15] = static_cast<uint8_t>(window);
  if (!options.empty()) std::memcpy(&h[20], options.data(), options.size());
  seal(h);
  return h;
}

std::vector<uint8_t> timestamps(uint32_t val, uint32_t ecr) {
  std::vector<uint8_t> o = {8, 10, 0, 0, 0, 0, 0, 0, 0, 0};
  put32(&o[2], val);
  put32(&o[6], ecr);
  return o;
}

TEST(SeqTranslate, BackendSegmentsGetTheCookieSequenceAcrossTheWrap) {
  SpliceOffsets o;
  o.seq_delta = 0x10;  // cookie ISN 0x0000000a, backend ISN 0xfffffffa
  auto h = segment(0xfffffff0u, 12345, 100, {});
  translate_to_client(h.data(), h.size(), o);
  EXPECT_EQ(get32(&h[4]), 0x00000000u);
  EXPECT_EQ(get32(&h[8]), 12345u);  // the client's space is the same on both legs
  EXPECT_EQ(header_sum(h), 0xffff);
}

TEST(SeqTranslate, ClientAcksAndSackBlocksGoBackToTheBackendSpace) {
  SpliceOffsets o;
  o.seq_delta = 0x80000000u;
  std::vector<uint8_t> sack = {5, 18};
  sack.resize(18);
  put32(&sack[2], 0x80000100u), put32(&sack[6], 0x80000200u);
  put32(&sack[10], 0x00000010u), put32(&sack[14], 0x00000020u);  // past the wrap
  for (bool odd : {false, true}) {
    auto h = segment(777, 0x7fffffffu, 100, sack, odd);
    translate_to_backend(h.data(), h.size(), o);
    EXPECT_EQ(get32(&h[4]), 777u);
    EXPECT_EQ(get32(&h[8]), 0xffffffffu);
    const size_t at = 20 + odd + 2;
    EXPECT_EQ(get32(&h[at]), 0x00000100u);
    EXPECT_EQ(get32(&h[at + 4]), 0x00000200u);
    EXPECT_EQ(get32(&h[at + 8]), 0x80000010u);
    EXPECT_EQ(get32(&h[at + 12]), 0x80000020u);
    EXPECT_EQ(header_sum(h), 0xffff) << "odd=" << odd;
  }
}

TEST(SeqTranslate, AckIsLeftAloneWithoutTheAckFlag) {
  SpliceOffsets o;
  o.seq_delta = 5;
  auto h = segment(1, 0, 100, {});
  h[13] = 0x02;  // SYN only
  seal(h);
  translate_to_backend(h.data(), h.size(), o);
  EXPECT_EQ(get32(&h[8]), 0u);
  EXPECT_EQ(header_sum(h), 0xffff);
}

TEST(SeqTranslate, TimestampsFollowGauntletsClockTowardsTheClient) {
  SpliceOffsets o;
  o.ts_delta = 0x00000100u;
  for (bool odd : {false, true}) {
    auto h = segment(1, 2, 100, timestamps(0xffffff80u, 4242), odd);
    translate_to_client(h.data(), h.size(), o);
    EXPECT_EQ(get32(&h[20 + odd + 2]), 0x00000080u);  // TSval wraps
    EXPECT_EQ(get32(&h[20 + odd + 6]), 4242u);        // the client's own TSval echoed as is
    EXPECT_EQ(header_sum(h), 0xffff);
    auto back = segment(2, 3, 100, timestamps(5000, 0x00000080u), odd);
    translate_to_backend(back.data(), back.size(), o);
    EXPECT_EQ(get32(&back[20 + odd + 2]), 5000u);
    EXPECT_EQ(get32(&back[20 + odd + 6]), 0xffffff80u);
    EXPECT_EQ(header_sum(back), 0xffff);
  }
}

TEST(SeqTranslate, WindowIsRescaledToTheClientsScale) {
  SpliceOffsets o;
  o.backend_window_scale = 9;
  o.client_window_scale = 7;
  auto h = segment(1, 2, 1000, {});
  translate_to_client(h.data(), h.size(), o);
  EXPECT_EQ(h[14] << 8 | h[15], 4000);
  auto big = segment(1, 2, 0x8000, {});
  translate_to_client(big.data(), big.size(), o);
  EXPECT_EQ(big[14] << 8 | big[15], 0xffff);  // clamped
  EXPECT_EQ(header_sum(big), 0xffff);
}

TEST(SeqTranslate, MalformedOptionsStopTheWalkWithoutTouchingBytes) {
  SpliceOffsets o;
  o.seq_delta = 1;
  o.ts_delta = 1;
  auto h = segment(1, 2, 100, {8, 40, 0, 0, 0, 0, 0, 0, 0, 0});  // length runs past the header
  const auto before = h;
  translate_to_client(h.data(), h.size(), o);
  EXPECT_TRUE(std::equal(h.begin() + 20, h.end(), before.begin() + 20));
  EXPECT_EQ(header_sum(h), 0xffff);
}

}  // namespace
}  // namespace gauntlet
