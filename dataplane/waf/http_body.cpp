// Request bodies: Content-Length bodies and the chunked coding (RFC 9112 §7.1). Body bytes are
// never copied: each body event is a view into the bytes being fed. The chunk-size line is
// read byte by byte with counters only (its extensions are checked and skipped, not stored),
// so a chunked body costs no head storage until its trailers.
#include <algorithm>

#include "dataplane/waf/http_request.h"
#include "dataplane/waf/http_syntax.h"

namespace gauntlet {

// Content-Length body or chunk data: deliver as much of it as this segment holds.
bool HttpRequestParser::on_body(const uint8_t* data, size_t len, size_t& pos,
                                HttpEvent& event) noexcept {
  if (pos == len) return false;
  const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, len - pos));
  event.kind = HttpEventKind::body;
  event.body = std::span<const uint8_t>(data + pos, take);
  pos += take;
  remaining_ -= take;
  request_.body_bytes += take;
  if (remaining_ == 0)
    phase_ = phase_ == Phase::body_length ? Phase::message_done : Phase::chunk_data_cr;
  return true;
}

void HttpRequestParser::start_chunk_size() noexcept {
  phase_ = Phase::chunk_size;
  chunk_size_ = 0;
  chunk_digits_ = 0;
  chunk_extension_seen_ = chunk_whitespace_seen_ = false;
  chunk_line_len_ = 0;
}

// chunk-size = 1*HEXDIG. More than 16 digits (leading zeros count: a peer that reads fewer
// digits would frame differently) or a size past max_chunk_size overflows.
bool HttpRequestParser::on_chunk_size(const uint8_t* data, size_t len, size_t& pos,
                                      HttpEvent& event) noexcept {
  while (pos < len) {
    const int digit = http_syntax::hex_value(data[pos]);
    if (digit < 0) {
      if (chunk_digits_ == 0) {
        fail(HttpViolation::invalid_chunk, event);
        return true;
      }
      phase_ = Phase::chunk_extension;
      return true;
    }
    // 16 digits fit in 64 bits, so the check after the shift cannot miss a wrap.
    if (++chunk_digits_ > 16) {
      fail(HttpViolation::chunk_size_overflow, event);
      return true;
    }
    chunk_size_ = (chunk_size_ << 4) | static_cast<uint64_t>(digit);
    if (chunk_size_ > limits_.max_chunk_size) {
      fail(HttpViolation::chunk_size_overflow, event);
      return true;
    }
    ++pos;
  }
  return false;
}

// After the size: [BWS ';' chunk-ext] CRLF. Whitespace is allowed only before a ';' (a bare
// "5 \r\n" is not chunk syntax); extension bytes are bounded and may not be controls.
// Also handles the LF after the CR (phase chunk_size_lf).
bool HttpRequestParser::on_chunk_extension(const uint8_t* data, size_t len, size_t& pos,
                                           HttpEvent& event) noexcept {
  while (pos < len) {
    const char c = static_cast<char>(data[pos]);
    if (phase_ == Phase::chunk_size_lf) {
      if (c != '\n') {
        fail(HttpViolation::invalid_chunk, event);
        return true;
      }
      ++pos;
      chunk_size_line_done();
      return true;
    }
    if (c == '\r' || c == '\n') {
      if (chunk_whitespace_seen_ && !chunk_extension_seen_) {
        fail(HttpViolation::invalid_chunk, event);
        return true;
      }
      ++pos;
      if (c == '\r') {
        phase_ = Phase::chunk_size_lf;
        continue;
      }
      flag(HttpViolation::bare_lf);
      chunk_size_line_done();
      return true;
    }
    if (++chunk_line_len_ > limits_.max_chunk_extension) {
      fail(HttpViolation::chunk_extension_too_long, event);
      return true;
    }
    if (c == ';') {
      chunk_extension_seen_ = true;
    } else if (http_syntax::is_ows(c)) {
      chunk_whitespace_seen_ = true;
    } else if (!chunk_extension_seen_ || http_syntax::is_control(c)) {
      fail(HttpViolation::invalid_chunk, event);
      return true;
    }
    ++pos;
  }
  return false;
}

// The chunk-size line ended: data follows, or, after the last chunk (size 0), the trailers.
void HttpRequestParser::chunk_size_line_done() noexcept {
  if (chunk_size_ == 0) {
    in_trailers_ = true;
    field_pending_ = false;
    phase_ = Phase::field_start;
    return;
  }
  remaining_ = chunk_size_;
  phase_ = Phase::chunk_data;
}

// The CRLF after chunk data. A bare LF is accepted and flagged like anywhere else.
bool HttpRequestParser::on_chunk_delimiter(const uint8_t* data, size_t len, size_t& pos,
                                           HttpEvent& event) noexcept {
  if (pos == len) return false;
  const uint8_t c = data[pos];
  if (phase_ == Phase::chunk_data_cr && c == '\r') {
    ++pos;
    phase_ = Phase::chunk_data_lf;
    return true;
  }
  if (c != '\n') {
    fail(HttpViolation::invalid_chunk, event);
    return true;
  }
  if (phase_ == Phase::chunk_data_cr) flag(HttpViolation::bare_lf);
  ++pos;
  start_chunk_size();
  return true;
}

}  // namespace gauntlet
