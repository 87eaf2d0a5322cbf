// TcpStream: what the inspector reads is what the server will read, whatever the segmentation,
// order, overlap and wrap; and a flow never holds more than its budgets.
#include "dataplane/waf/tcp_stream.h"

#include <gtest/gtest.h>
#include <string>

namespace gauntlet {
namespace {

struct Collector {
  std::string bytes;
  size_t calls = 0;
  size_t stop_after = SIZE_MAX;  // calls
  bool operator()(const uint8_t* p, size_t n) {
    bytes.append(reinterpret_cast<const char*>(p), n);
    return ++calls < stop_after;
  }
};

class TcpStreamTest : public ::testing::Test {
 protected:
  StreamResult feed(uint32_t seq, const std::string& s) {
    return stream.accept(pool, seq, reinterpret_cast<const uint8_t*>(s.data()),
                         static_cast<uint32_t>(s.size()), out);
  }
  ReorderPool pool{1024, 2};
  TcpStream stream;
  Collector out;
};

TEST_F(TcpStreamTest, InOrderSegmentsAreDeliveredAsTheyCome) {
  stream.start(pool, 1000);
  EXPECT_EQ(feed(1000, "GET / "), StreamResult::delivered);
  EXPECT_EQ(feed(1006, "HTTP/1.1\r\n"), StreamResult::delivered);
  EXPECT_EQ(out.bytes, "GET / HTTP/1.1\r\n");
  EXPECT_EQ(stream.next_seq(), 1016u);
  EXPECT_FALSE(stream.holds_window());
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST_F(TcpStreamTest, OutOfOrderSegmentsWaitForTheHole) {
  stream.start(pool, 1);
  EXPECT_EQ(feed(7, "world"), StreamResult::buffered);
  EXPECT_EQ(feed(4, "lo "), StreamResult::buffered);
  EXPECT_EQ(out.bytes, "");
  EXPECT_EQ(stream.buffered_bytes(), 8u);
  EXPECT_EQ(stream.ranges(), 1u);  // adjacent pieces are one range
  EXPECT_EQ(pool.in_use(), 1u);
  EXPECT_EQ(feed(1, "hel"), StreamResult::delivered);
  EXPECT_EQ(out.bytes, "hello world");
  EXPECT_EQ(stream.next_seq(), 12u);
  EXPECT_EQ(pool.in_use(), 0u);  // the window goes back once the hole is filled
}

TEST_F(TcpStreamTest, ThreeSegmentsInReverseOrderGiveTheSameBytes) {
  stream.start(pool, 100);
  EXPECT_EQ(feed(108, "c=3"), StreamResult::buffered);
  EXPECT_EQ(feed(104, "b=2&"), StreamResult::buffered);
  EXPECT_EQ(feed(100, "a=1&"), StreamResult::delivered);
  EXPECT_EQ(out.bytes, "a=1&b=2&c=3");
}

TEST_F(TcpStreamTest, RetransmissionsAreIgnored) {
  stream.start(pool, 1);
  feed(1, "abcdef");
  EXPECT_EQ(feed(1, "abcdef"), StreamResult::duplicate);
  EXPECT_EQ(feed(3, "cd"), StreamResult::duplicate);
  // Already delivered bytes are not compared: the server has them and keeps its copy.
  EXPECT_EQ(feed(1, "XXXXXX"), StreamResult::duplicate);
  EXPECT_EQ(feed(7, ""), StreamResult::duplicate);
  EXPECT_EQ(out.bytes, "abcdef");
}

TEST_F(TcpStreamTest, OverlapWithDeliveredBytesDeliversOnlyTheNewTail) {
  stream.start(pool, 1);
  feed(1, "abcd");
  EXPECT_EQ(feed(3, "ZZef"), StreamResult::delivered);  // first data wins for c, d
  EXPECT_EQ(out.bytes, "abcdef");
}

TEST_F(TcpStreamTest, NewSegmentOverlappingBufferedBytesMustAgree) {
  stream.start(pool, 1);
  EXPECT_EQ(feed(5, "efgh"), StreamResult::buffered);
  EXPECT_EQ(feed(3, "cdefgh"), StreamResult::buffered);  // covers it, same bytes: fine
  EXPECT_EQ(feed(7, "gX"), StreamResult::conflict);      // new bytes disagree with old
  EXPECT_EQ(out.bytes, "");
}

TEST_F(TcpStreamTest, OldBufferedSegmentInsideANewOneMustAgree) {
  stream.start(pool, 1);
  EXPECT_EQ(feed(6, "fg"), StreamResult::buffered);
  EXPECT_EQ(feed(4, "deFGhi"), StreamResult::conflict);  // the new one disagrees inside
}

TEST_F(TcpStreamTest, InOrderSegmentOverlappingBufferedBytesMustAgree) {
  stream.start(pool, 1);
  EXPECT_EQ(feed(4, "d' or 1=1"), StreamResult::buffered);
  EXPECT_EQ(feed(1, "abcd-- harmless"), StreamResult::conflict);
  EXPECT_EQ(out.bytes, "");  // nothing of the ambiguous stream was handed on
}

TEST_F(TcpStreamTest, InOrderSegmentOverlappingBufferedBytesThatAgreeDeliversOnce) {
  stream.start(pool, 1);
  EXPECT_EQ(feed(4, "defg"), StreamResult::buffered);
  EXPECT_EQ(feed(1, "abcde"), StreamResult::delivered);
  EXPECT_EQ(out.bytes, "abcdefg");
}

TEST_F(TcpStreamTest, SequenceNumbersWrap) {
  stream.start(pool, 0xfffffffcu);
  EXPECT_EQ(feed(0x00000002u, "ghij"), StreamResult::buffered);  // after the wrap
  EXPECT_EQ(feed(0xfffffffcu, "abcdef"), StreamResult::delivered);
  EXPECT_EQ(out.bytes, "abcdefghij");
  EXPECT_EQ(stream.next_seq(), 6u);
  // A segment from before the wrap is old now.
  EXPECT_EQ(feed(0xfffffff0u, "old"), StreamResult::duplicate);
}

TEST_F(TcpStreamTest, WrapInsideTheRingWindow) {
  // Buffered bytes that run past the end of the ring continue at its start.
  stream.start(pool, 1000);
  const std::string tail(30, 't');
  EXPECT_EQ(feed(1010, tail), StreamResult::buffered);  // ring positions 1010..1023, 0..15
  EXPECT_EQ(feed(1000, "0123456789"), StreamResult::delivered);
  EXPECT_EQ(out.bytes, "0123456789" + tail);
  EXPECT_GE(out.calls, 3u);  // the ring gave the buffered bytes in two pieces
}

TEST_F(TcpStreamTest, PerFlowBudgetOverflowResets) {
  stream.start(pool, 1);
  EXPECT_EQ(feed(1 + 1000, std::string(24, 'a')), StreamResult::buffered);  // ends at 1024
  EXPECT_EQ(feed(1 + 1001, std::string(24, 'a')), StreamResult::overflow);  // one past
}

TEST_F(TcpStreamTest, GlobalBudgetOverflowResets) {
  TcpStream a, b, c;
  a.start(pool, 1), b.start(pool, 1), c.start(pool, 1);
  const uint8_t x[1] = {'x'};
  Collector sink;
  EXPECT_EQ(a.accept(pool, 5, x, 1, sink), StreamResult::buffered);
  EXPECT_EQ(b.accept(pool, 5, x, 1, sink), StreamResult::buffered);
  EXPECT_EQ(c.accept(pool, 5, x, 1, sink), StreamResult::overflow);  // no window left
  a.clear(pool);
  EXPECT_EQ(c.accept(pool, 5, x, 1, sink), StreamResult::buffered);
  b.clear(pool), c.clear(pool);
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST_F(TcpStreamTest, TooManyHolesResets) {
  stream.start(pool, 1);
  for (uint32_t i = 0; i < TcpStream::kMaxRanges; ++i)
    EXPECT_EQ(feed(10 + 3 * i, "x"), StreamResult::buffered);
  EXPECT_EQ(feed(10 + 3 * TcpStream::kMaxRanges, "x"), StreamResult::overflow);
}

TEST_F(TcpStreamTest, ZeroSizedWindowRefusesAnyReordering) {
  ReorderPool none(0, 4);
  TcpStream s;
  s.start(none, 1);
  const uint8_t x[1] = {'x'};
  Collector sink;
  EXPECT_EQ(s.accept(none, 2, x, 1, sink), StreamResult::overflow);
  EXPECT_EQ(s.accept(none, 1, x, 1, sink), StreamResult::delivered);
}

TEST_F(TcpStreamTest, SinkCanStopTheDelivery) {
  stream.start(pool, 1);
  feed(4, "def");
  out.stop_after = 1;
  EXPECT_EQ(feed(1, "abc"), StreamResult::stopped);
  EXPECT_EQ(out.bytes, "abc");
  stream.clear(pool);
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST_F(TcpStreamTest, NonPowerOfTwoWindowIsRefused) {
  EXPECT_THROW(ReorderPool(1000, 1), std::invalid_argument);
}

TEST_F(TcpStreamTest, AMillionTinySegmentsStayBounded) {
  // In order: every byte delivered, nothing buffered.
  stream.start(pool, 7);
  const uint8_t one[1] = {'a'};
  size_t delivered = 0;
  auto count = [&](const uint8_t*, size_t n) { return delivered += n, true; };
  uint32_t seq = 7;
  for (int i = 0; i < 1000000; ++i)
    ASSERT_EQ(stream.accept(pool, seq++, one, 1, count), StreamResult::delivered);
  EXPECT_EQ(delivered, 1000000u);
  EXPECT_FALSE(stream.holds_window());
  // Out of order behind one hole: contiguous tiny segments merge into one range; the
  // window's size bounds them, then the flow is reset.
  const uint32_t hole = seq;
  StreamResult r = StreamResult::buffered;
  int taken = 0;
  for (int i = 0; i < 1000000 && r == StreamResult::buffered; ++i, ++taken)
    r = stream.accept(pool, hole + 1 + static_cast<uint32_t>(i), one, 1, count);
  EXPECT_EQ(r, StreamResult::overflow);
  EXPECT_EQ(taken, 1024);  // 1023 bytes fit after the one-byte hole
  EXPECT_EQ(stream.ranges(), 1u);
  EXPECT_LE(stream.buffered_bytes(), pool.window_bytes());
}

}  // namespace
}  // namespace gauntlet
