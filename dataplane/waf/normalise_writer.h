// Output side shared by the normalisation transforms (internal to dataplane/waf): a bounded
// writer that implements the truncation contract of normalise.h, UTF-8 encoding, and the byte
// classes the transforms share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "dataplane/waf/normalise.h"

namespace gauntlet::normalise_detail {

// Writes into a fixed span. Once one write does not fit the writer is full and refuses every
// later write, so the output stays the result of a prefix of the input, never a patchwork.
class BoundedWriter {
 public:
  explicit BoundedWriter(std::span<char> out) noexcept : out_(out) {}

  bool put(char c) noexcept {
    if (full_ || size_ == out_.size()) {
      full_ = true;
      return false;
    }
    out_[size_++] = c;
    return true;
  }
  // All or nothing. `s` may point into the output at or after the write position (in-place
  // transforms), hence memmove.
  bool put(const char* s, size_t n) noexcept {
    if (full_ || out_.size() - size_ < n) {
      full_ = true;
      return false;
    }
    std::memmove(out_.data() + size_, s, n);
    size_ += n;
    return true;
  }
  bool full() const noexcept { return full_; }
  size_t size() const noexcept { return size_; }
  const char* data() const noexcept { return out_.data(); }
  void shrink_to(size_t n) noexcept { size_ = n < size_ ? n : size_; }

  NormaliseResult result(uint16_t flags) const noexcept {
    return {size_, static_cast<uint16_t>(flags | (full_ ? kNormTruncated : 0))};
  }

 private:
  std::span<char> out_;
  size_t size_ = 0;
  bool full_ = false;
};

// UTF-8 of `cp` (<= 0x10FFFF) into `buf`; returns the byte count (1-4). Surrogates are
// encoded like any other code point of their range.
inline size_t encode_utf8(uint32_t cp, char (&buf)[4]) noexcept {
  if (cp < 0x80) {
    buf[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    buf[0] = static_cast<char>(0xc0 | (cp >> 6));
    buf[1] = static_cast<char>(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    buf[0] = static_cast<char>(0xe0 | (cp >> 12));
    buf[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    buf[2] = static_cast<char>(0x80 | (cp & 0x3f));
    return 3;
  }
  buf[0] = static_cast<char>(0xf0 | (cp >> 18));
  buf[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
  buf[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
  buf[3] = static_cast<char>(0x80 | (cp & 0x3f));
  return 4;
}

inline int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The whitespace normalise() compresses: SP, HTAB, LF, VT, FF, CR.
constexpr bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// ASCII case folding of one byte: 'A'-'Z' -> 'a'-'z', every other byte unchanged.
constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace gauntlet::normalise_detail
