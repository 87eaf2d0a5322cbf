#include "dataplane/waf/tcp_stream.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace gauntlet {

ReorderPool::ReorderPool(uint32_t window_bytes, uint32_t count)
    : window_bytes_(window_bytes), count_(window_bytes ? count : 0), free_count_(count_) {
  if (window_bytes & (window_bytes - 1))
    throw std::invalid_argument("reorder window size must be a power of two");
  bytes_.assign(size_t{window_bytes_} * count_, 0);  // touched now, not on the first use
  free_.resize(count_);
  for (uint32_t i = 0; i < count_; ++i) free_[i] = count_ - 1 - i;
}

uint32_t ReorderPool::acquire() noexcept { return free_count_ ? free_[--free_count_] : kNoWindow; }

void ReorderPool::release(uint32_t window) noexcept { free_[free_count_++] = window; }

void TcpStream::start(ReorderPool& pool, uint32_t next_seq) noexcept {
  clear(pool);
  next_ = next_seq;
}

void TcpStream::clear(ReorderPool& pool) noexcept {
  if (window_ != kNoWindow) pool.release(window_);
  window_ = kNoWindow;
  range_count_ = 0;
}

uint32_t TcpStream::buffered_bytes() const noexcept {
  uint32_t n = 0;
  for (uint8_t i = 0; i < range_count_; ++i) n += ranges_[i].end - ranges_[i].begin;
  return n;
}

StreamResult TcpStream::place(ReorderPool& pool, uint32_t seq, const uint8_t* data, uint32_t len,
                              uint32_t& fresh) noexcept {
  if (len == 0) return StreamResult::duplicate;
  // Signed distance modulo 2^32: negative is before next_, whatever the wrap.
  const int64_t off = static_cast<int32_t>(seq - next_);
  if (off <= 0) {
    if (off + len <= 0) return StreamResult::duplicate;  // all of it delivered already
    const auto skip = static_cast<uint32_t>(-off);       // first data wins: drop the old head
    if (range_count_ && !matches_window(pool, next_, data + skip, len - skip))
      return StreamResult::conflict;
    fresh = len - skip;
    return StreamResult::delivered;
  }
  const uint32_t size = pool.window_bytes();
  if (static_cast<uint64_t>(off) + len > size) return StreamResult::overflow;
  if (window_ == kNoWindow) {
    window_ = pool.acquire();
    if (window_ == kNoWindow) return StreamResult::overflow;
  }
  if (!matches_window(pool, seq, data, len)) return StreamResult::conflict;
  uint8_t* w = pool.data(window_);
  const uint32_t pos = seq & (size - 1);
  const uint32_t first = std::min(len, size - pos);
  std::memcpy(w + pos, data, first);
  std::memcpy(w, data + first, len - first);
  return insert_range(seq, seq + len) ? StreamResult::buffered : StreamResult::overflow;
}

bool TcpStream::matches_window(ReorderPool& pool, uint32_t seq, const uint8_t* data,
                               uint32_t len) noexcept {
  const uint32_t size = pool.window_bytes();
  const uint8_t* w = window_ == kNoWindow ? nullptr : pool.data(window_);
  const uint64_t a = seq - next_, b = a + len;  // relative to next_; ranges are after it
  for (uint8_t i = 0; i < range_count_; ++i) {
    const uint64_t lo = std::max<uint64_t>(a, ranges_[i].begin - next_);
    const uint64_t hi = std::min<uint64_t>(b, ranges_[i].end - next_);
    for (uint64_t at = lo; at < hi;) {  // at most two pieces: the window is a ring
      const uint32_t pos = (next_ + static_cast<uint32_t>(at)) & (size - 1);
      const auto n = static_cast<uint32_t>(std::min<uint64_t>(hi - at, size - pos));
      if (std::memcmp(w + pos, data + (at - a), n) != 0) return false;
      at += n;
    }
  }
  return true;
}

bool TcpStream::insert_range(uint32_t begin, uint32_t end) noexcept {
  // Relative to next_, so that the order survives the wrap.
  uint32_t b = begin - next_, e = end - next_;
  Range out[kMaxRanges + 1];
  uint8_t n = 0;
  bool placed = false;
  for (uint8_t i = 0; i < range_count_; ++i) {
    const uint32_t rb = ranges_[i].begin - next_, re = ranges_[i].end - next_;
    if (re < b) {
      out[n++] = ranges_[i];
    } else if (rb > e) {
      if (!placed) out[n++] = {next_ + b, next_ + e}, placed = true;
      out[n++] = ranges_[i];
    } else {  // overlapping or adjacent: one range
      b = std::min(b, rb);
      e = std::max(e, re);
    }
  }
  if (!placed) out[n++] = {next_ + b, next_ + e};
  if (n > kMaxRanges) return false;
  std::copy(out, out + n, ranges_);
  range_count_ = n;
  return true;
}

bool TcpStream::take_buffered(ReorderPool& pool, const uint8_t*& piece, uint32_t& n) noexcept {
  // Ranges the in-order bytes have covered are gone; a range they reached into is trimmed.
  uint8_t drop = 0;
  while (drop < range_count_ && static_cast<int32_t>(ranges_[drop].end - next_) <= 0) ++drop;
  if (drop) {
    std::copy(ranges_ + drop, ranges_ + range_count_, ranges_);
    range_count_ = static_cast<uint8_t>(range_count_ - drop);
  }
  if (range_count_ == 0) {
    if (window_ != kNoWindow) pool.release(window_), window_ = kNoWindow;
    return false;
  }
  Range& r = ranges_[0];
  if (static_cast<int32_t>(r.begin - next_) > 0) return false;  // still a hole before it
  const uint32_t size = pool.window_bytes();
  const uint32_t pos = next_ & (size - 1);
  n = std::min(r.end - next_, size - pos);
  piece = pool.data(window_) + pos;
  next_ += n;
  return true;
}

}  // namespace gauntlet
