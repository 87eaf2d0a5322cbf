// In-order delivery of one TCP flow's client -> server bytes, for inspection: the bytes the
// server's stack will hand its application, in the order it will hand them over, so that a
// request split, reordered or overlapped on the wire is inspected as the server will read it.
//
// Policy (one, documented; the same for every flow):
// - Sequence numbers are compared modulo 2^32 (RFC 9293 3.4): a flow may wrap.
// - Bytes before the next expected sequence number were already delivered: a retransmission
//   of them is ignored, and a segment that overlaps them only delivers its new tail. The
//   server's stack, which already has them too, keeps its copy (first data wins, as Linux
//   and the BSDs do for acknowledged bytes).
// - A segment ahead of a hole is copied into the flow's reorder window; it is delivered when
//   the hole is filled. A segment that overlaps bytes already in the window must carry the
//   same bytes there: stacks disagree on which copy wins (old or new) for unacknowledged
//   overlaps, so a disagreement means the inspected stream may differ from what the server
//   reads (Ptacek & Newsham's insertion/evasion): `conflict`, and the flow is reset.
// - Limits: bytes up to window_bytes ahead of the next expected one (per-flow budget), at
//   most kMaxRanges disjoint pieces in the window, and one window from the worker's
//   ReorderPool (the global budget). Past any of them: `overflow`, and the flow is reset,
//   never let through uninspected.
//
// Memory: a TcpStream is 76 bytes of metadata. Its reorder window is borrowed from the pool
// only while something is out of order, and given back as soon as the hole is filled.
// Threads: the worker that owns the flow; noexcept, no allocation after the pool is built.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gauntlet {

inline constexpr uint32_t kNoWindow = 0xffffffffu;

// Reorder windows of one worker: `count` windows of `window_bytes` (a power of two: a byte's
// place is its sequence number modulo the size, which stays right across the 2^32 wrap), all
// allocated by the constructor (control core; throws std::invalid_argument for a size that is
// not a power of two). Hot path: acquire/release from a free list.
class ReorderPool {
 public:
  ReorderPool(uint32_t window_bytes, uint32_t count);
  uint32_t acquire() noexcept;  // kNoWindow when every window is taken
  void release(uint32_t window) noexcept;
  uint8_t* data(uint32_t window) noexcept { return bytes_.data() + size_t{window} * window_bytes_; }
  uint32_t window_bytes() const noexcept { return window_bytes_; }
  uint32_t count() const noexcept { return count_; }
  uint32_t in_use() const noexcept { return count_ - free_count_; }
  size_t memory_bytes() const noexcept { return bytes_.size() + free_.size() * sizeof(uint32_t); }

 private:
  uint32_t window_bytes_;
  uint32_t count_;
  uint32_t free_count_;
  std::vector<uint8_t> bytes_;
  std::vector<uint32_t> free_;
};

enum class StreamResult : uint8_t {
  delivered,  // in-order bytes went to the sink (and whatever they made contiguous)
  buffered,   // ahead of a hole: kept in the window
  duplicate,  // nothing new (a retransmission, an empty segment)
  stopped,    // the sink asked to stop (the flow is being blocked)
  overflow,   // past a budget: reset the flow
  conflict,   // overlaps buffered bytes with different content: reset the flow
};

class TcpStream {
 public:
  static constexpr uint8_t kMaxRanges = 8;

  // Starts the stream: `next_seq` is the first byte expected (ISN + 1). Releases a window a
  // previous use still held.
  void start(ReorderPool& pool, uint32_t next_seq) noexcept;
  // Gives the window back (flow ended, reset or released).
  void clear(ReorderPool& pool) noexcept;

  // Takes one segment's payload. Every byte that becomes deliverable is passed, in order, to
  // `sink(const uint8_t* data, size_t len) -> bool` (false: stop; the flow is being blocked,
  // and the stream is not used again). The segment's own bytes are passed from `data`, no copy.
  template <class Sink>
  StreamResult accept(ReorderPool& pool, uint32_t seq, const uint8_t* data, uint32_t len,
                      Sink&& sink) noexcept {
    uint32_t fresh = 0;
    const StreamResult r = place(pool, seq, data, len, fresh);
    if (r != StreamResult::delivered) return r;
    const uint8_t* p = data + (len - fresh);
    next_ += fresh;
    if (!sink(p, size_t{fresh})) return StreamResult::stopped;
    const uint8_t* piece;
    uint32_t n;
    while (take_buffered(pool, piece, n))
      if (!sink(piece, size_t{n})) return StreamResult::stopped;
    return StreamResult::delivered;
  }

  uint32_t next_seq() const noexcept { return next_; }
  bool holds_window() const noexcept { return window_ != kNoWindow; }
  uint8_t ranges() const noexcept { return range_count_; }
  uint32_t buffered_bytes() const noexcept;  // payload bytes waiting in the window

 private:
  struct Range {
    uint32_t begin, end;  // sequence numbers [begin, end), end - begin > 0
  };
  // Checks, trims and (out of order) stores the segment. `delivered`: how many of its last
  // bytes are in order now (they start at next_).
  StreamResult place(ReorderPool& pool, uint32_t seq, const uint8_t* data, uint32_t len,
                     uint32_t& fresh) noexcept;
  bool matches_window(ReorderPool& pool, uint32_t seq, const uint8_t* data, uint32_t len) noexcept;
  bool insert_range(uint32_t begin, uint32_t end) noexcept;
  // The next contiguous piece of the window at next_ (a ring: at most two per range).
  bool take_buffered(ReorderPool& pool, const uint8_t*& piece, uint32_t& n) noexcept;

  uint32_t next_ = 0;
  uint32_t window_ = kNoWindow;
  uint8_t range_count_ = 0;
  Range ranges_[kMaxRanges];  // sorted, disjoint, not adjacent, all after next_
};

}  // namespace gauntlet
