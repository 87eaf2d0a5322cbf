// The parser's driver: the phase dispatch, line accumulation into head storage, the request
// line and field-line phases. Request-line syntax is in http_request_line.cpp, field meaning
// in http_fields.cpp, bodies in http_body.cpp.
#include "dataplane/waf/http_request.h"

#include <algorithm>
#include <cstring>

#include "dataplane/waf/http_syntax.h"

namespace gauntlet {

HttpRequestParser::HttpRequestParser(const HttpLimits& limits, std::span<char> head,
                                     std::span<HttpHeader> fields) noexcept
    : limits_(limits), head_(head), fields_(fields) {
  // The request line gets its limit first; field lines get what is left of the storage.
  limits_.max_request_line =
      static_cast<uint32_t>(std::min<size_t>(limits_.max_request_line, head_.size()));
  limits_.max_header_bytes = static_cast<uint32_t>(
      std::min<size_t>(limits_.max_header_bytes, head_.size() - limits_.max_request_line));
  limits_.max_header_line = std::min(limits_.max_header_line, limits_.max_header_bytes);
  limits_.max_headers =
      static_cast<uint16_t>(std::min<size_t>(limits_.max_headers, fields_.size()));
}

HttpParserStorage::HttpParserStorage(const HttpLimits& limits)
    : head(size_t{limits.max_request_line} + limits.max_header_bytes), fields(limits.max_headers) {}

void HttpRequestParser::begin_request() noexcept {
  request_ = HttpRequest{};
  request_.index = next_index_++;
  in_trailers_ = field_pending_ = false;
  head_used_ = request_line_end_ = field_start_ = line_len_ = 0;
  header_count_ = trailer_count_ = 0;
  remaining_ = 0;
  host_count_ = 0;
  has_content_type_ = false;
  has_content_length_ = has_transfer_encoding_ = chunked_last_ = transfer_coding_bad_ = false;
  content_length_ = 0;
}

void HttpRequestParser::fail(HttpViolation v, HttpEvent& event) noexcept {
  flag(v);
  phase_ = Phase::error;
  event.kind = HttpEventKind::error;
  event.violation = v;
}

// Copies bytes up to the next LF into head storage and, once the LF arrives, drops it and the
// CR before it (a missing CR is flagged bare LF). The limits are checked before copying, so a
// line never grows past them: an over-long line is reported as soon as it is known to be one.
HttpRequestParser::LineStatus HttpRequestParser::take_line(const uint8_t* data, size_t len,
                                                           size_t& pos, size_t line_limit,
                                                           size_t head_limit) noexcept {
  const uint8_t* start = data + pos;
  const size_t room = line_limit - line_len_;
  const size_t scan = std::min(len - pos, room + 1);  // one past room proves the line too long
  const auto* lf = static_cast<const uint8_t*>(std::memchr(start, '\n', scan));
  const size_t take = lf != nullptr ? static_cast<size_t>(lf - start) : scan;
  // Whichever limit the bytes cross first is the one reported (the line's on a tie), so the
  // violation is the same for every split of the stream.
  const size_t head_room = head_limit - head_used_;
  if (take > room || take > head_room)
    return room <= head_room ? LineStatus::line_too_long : LineStatus::head_too_large;
  std::memcpy(head_.data() + head_used_, start, take);
  head_used_ += take;
  line_len_ += take;
  pos += take;
  if (lf == nullptr) return LineStatus::partial;
  ++pos;  // the LF
  if (line_len_ > 0 && head_[head_used_ - 1] == '\r') {
    --head_used_;
    --line_len_;
  } else {
    flag(HttpViolation::bare_lf);
  }
  return LineStatus::complete;
}

size_t HttpRequestParser::next(const uint8_t* data, size_t len, HttpEvent& event) noexcept {
  event = HttpEvent{};
  size_t pos = 0;
  for (;;) {
    bool progressed = false;  // false: all bytes used and nothing is due
    switch (phase_) {
      case Phase::between_requests:
        while (pos < len && (data[pos] == '\r' || data[pos] == '\n')) ++pos;
        if (pos < len) {
          begin_request();
          phase_ = Phase::request_line;
          progressed = true;
        }
        break;
      case Phase::request_line:
        progressed = on_request_line(data, len, pos, event);
        break;
      case Phase::field_start:
        progressed = on_field_start(data, len, pos, event);
        break;
      case Phase::field_line:
        progressed = on_field_line(data, len, pos, event);
        break;
      case Phase::fields_end_lf:
        if (pos < len) {
          if (data[pos] != '\n') {
            fail(HttpViolation::bare_cr, event);
          } else {
            ++pos;
            finish_fields(event);
          }
          progressed = true;
        }
        break;
      case Phase::body_length:
      case Phase::chunk_data:
        progressed = on_body(data, len, pos, event);
        break;
      case Phase::chunk_size:
        progressed = on_chunk_size(data, len, pos, event);
        break;
      case Phase::chunk_extension:
      case Phase::chunk_size_lf:
        progressed = on_chunk_extension(data, len, pos, event);
        break;
      case Phase::chunk_data_cr:
      case Phase::chunk_data_lf:
        progressed = on_chunk_delimiter(data, len, pos, event);
        break;
      case Phase::message_done:
        event.kind = HttpEventKind::request_complete;
        phase_ = Phase::between_requests;
        return pos;
      case Phase::error:
        return len;
    }
    if (event.kind != HttpEventKind::none || !progressed) return pos;
  }
}

bool HttpRequestParser::on_request_line(const uint8_t* data, size_t len, size_t& pos,
                                        HttpEvent& event) noexcept {
  if (pos == len) return false;
  switch (take_line(data, len, pos, limits_.max_request_line, limits_.max_request_line)) {
    case LineStatus::partial:
      return false;
    case LineStatus::line_too_long:
    case LineStatus::head_too_large:
      fail(HttpViolation::request_line_too_long, event);
      return true;
    case LineStatus::complete:
      break;
  }
  request_line_end_ = head_used_;
  if (const HttpViolation v = parse_request_line(); v != HttpViolation::none) {
    fail(v, event);
    return true;
  }
  event.kind = HttpEventKind::request_line;
  phase_ = Phase::field_start;
  return true;
}

// At the first byte of a line after the request line or a field line. That byte decides
// whether the pending field is complete (so it is emitted first) or continues (obs-fold).
bool HttpRequestParser::on_field_start(const uint8_t* data, size_t len, size_t& pos,
                                       HttpEvent& event) noexcept {
  if (pos == len) return false;
  const char c = static_cast<char>(data[pos]);
  if (field_pending_) {
    if (!http_syntax::is_ows(c)) {
      emit_field(event);
      return true;
    }
    // RFC 9112 §5.2: a recipient may replace the fold with SP. The CRLF was dropped; the
    // whitespace byte that starts the continuation becomes the SP.
    flag(HttpViolation::obsolete_line_folding);
    if (line_len_ + 1 > limits_.max_header_line) {
      fail(HttpViolation::header_line_too_long, event);
      return true;
    }
    if (head_used_ + 1 > request_line_end_ + limits_.max_header_bytes) {
      fail(HttpViolation::headers_too_large, event);
      return true;
    }
    head_[head_used_++] = ' ';
    ++line_len_;
    field_pending_ = false;
    ++pos;
    phase_ = Phase::field_line;
    return true;
  }
  if (c == '\r') {
    ++pos;
    phase_ = Phase::fields_end_lf;
    return true;
  }
  if (c == '\n') {
    ++pos;
    flag(HttpViolation::bare_lf);
    finish_fields(event);
    return true;
  }
  if (http_syntax::is_ows(c)) {
    // Whitespace-led line with no field to continue (right after the request line): RFC 9112
    // §2.2 says reject — a server that ignored it and one that did not would disagree.
    fail(HttpViolation::invalid_header_name, event);
    return true;
  }
  if (header_count_ + trailer_count_ >= limits_.max_headers) {
    fail(HttpViolation::too_many_headers, event);
    return true;
  }
  field_start_ = head_used_;
  line_len_ = 0;
  phase_ = Phase::field_line;
  return true;
}

bool HttpRequestParser::on_field_line(const uint8_t* data, size_t len, size_t& pos,
                                      HttpEvent& event) noexcept {
  if (pos == len) return false;
  switch (take_line(data, len, pos, limits_.max_header_line,
                    request_line_end_ + limits_.max_header_bytes)) {
    case LineStatus::partial:
      return false;
    case LineStatus::line_too_long:
      fail(HttpViolation::header_line_too_long, event);
      return true;
    case LineStatus::head_too_large:
      fail(HttpViolation::headers_too_large, event);
      return true;
    case LineStatus::complete:
      break;
  }
  field_pending_ = true;
  phase_ = Phase::field_start;
  return true;
}

// The empty line after the headers or the trailers.
void HttpRequestParser::finish_fields(HttpEvent& event) noexcept {
  if (in_trailers_) {
    phase_ = Phase::message_done;
    return;
  }
  if (const HttpViolation v = decide_framing(); v != HttpViolation::none) {
    fail(v, event);
    return;
  }
  event.kind = HttpEventKind::headers_complete;
  switch (request_.framing) {
    case HttpBodyFraming::none:
      phase_ = Phase::message_done;
      break;
    case HttpBodyFraming::content_length:
      remaining_ = request_.content_length;
      phase_ = remaining_ == 0 ? Phase::message_done : Phase::body_length;
      break;
    case HttpBodyFraming::chunked:
      start_chunk_size();
      break;
  }
}

}  // namespace gauntlet
