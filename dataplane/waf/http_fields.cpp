// Header and trailer fields: splitting a complete field line into name and value, and what
// the framing fields (Host, Content-Length, Transfer-Encoding) mean for the request
// (RFC 9112 §6). Framing is judged strictly: every case where two HTTP implementations could
// disagree on where the body ends is a terminal violation, because that disagreement is what
// request smuggling exploits.
#include <limits>

#include "dataplane/waf/http_request.h"
#include "dataplane/waf/http_syntax.h"

namespace gauntlet {
namespace {

using http_syntax::iequals;
using http_syntax::trim_ows;

// Calls `f(element)` for each comma-separated element, trimmed of OWS.
template <class F>
void for_each_list_element(std::string_view list, F&& f) noexcept {
  for (;;) {
    const size_t comma = list.find(',');
    f(trim_ows(list.substr(0, comma)));
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

// Content-Length: 1*DIGIT, or a list of identical values ("5, 5", which RFC 9110 §8.6 lets a
// recipient accept). A sign, spaces inside, an empty element or a value past 2^64-1 is
// invalid; two different values (in one field or across fields) conflict.
HttpViolation parse_content_length(std::string_view value, bool& seen, uint64_t& length) noexcept {
  HttpViolation result = HttpViolation::none;
  for_each_list_element(value, [&](std::string_view element) {
    if (result != HttpViolation::none) return;
    if (element.empty()) {
      result = HttpViolation::invalid_content_length;
      return;
    }
    uint64_t n = 0;
    for (char c : element) {
      const uint64_t digit = static_cast<uint64_t>(c - '0');
      if (c < '0' || c > '9' || n > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
        result = HttpViolation::invalid_content_length;
        return;
      }
      n = n * 10 + digit;
    }
    if (seen && n != length) {
      result = HttpViolation::conflicting_content_length;
      return;
    }
    seen = true;
    length = n;
  });
  return result;
}

}  // namespace

std::string_view HttpRequest::header(std::string_view name) const noexcept {
  for (const HttpHeader& h : headers)
    if (iequals(h.name, name)) return h.value;
  return {};
}

// The pending field line is complete: emit it as a header or trailer event, or fail.
void HttpRequestParser::emit_field(HttpEvent& event) noexcept {
  field_pending_ = false;
  const std::string_view line(head_.data() + field_start_, head_used_ - field_start_);
  const size_t colon = line.find(':');
  const std::string_view name = line.substr(0, colon);
  // No whitespace before the colon (RFC 9112 §5.1): "Host : x" is rejected, not trimmed.
  if (colon == std::string_view::npos || !http_syntax::is_token(name)) {
    fail(HttpViolation::invalid_header_name, event);
    return;
  }
  const std::string_view value = trim_ows(line.substr(colon + 1));
  for (char c : value) {
    if (c == '\r') {  // the line's final CR is already gone: this one is bare
      fail(HttpViolation::bare_cr, event);
      return;
    }
    if (http_syntax::is_control(c)) flag(HttpViolation::invalid_header_value);
  }
  const size_t index = size_t{header_count_} + trailer_count_;
  fields_[index] = HttpHeader{name, value};
  if (in_trailers_) {
    ++trailer_count_;
    request_.trailers = fields_.subspan(header_count_, trailer_count_);
    event.kind = HttpEventKind::trailer;
  } else {
    ++header_count_;
    request_.headers = fields_.first(header_count_);
    if (const HttpViolation v = interpret_header(name, value); v != HttpViolation::none) {
      fail(v, event);
      return;
    }
    event.kind = HttpEventKind::header;
  }
  event.field = fields_[index];
}

// Trailers never change framing (RFC 9110 §6.5.1): only header fields are interpreted.
HttpViolation HttpRequestParser::interpret_header(std::string_view name,
                                                  std::string_view value) noexcept {
  if (iequals(name, "host")) {
    if (++host_count_ > 1) {
      host_count_ = 2;  // saturate
      flag(HttpViolation::duplicate_host);
    }
    return HttpViolation::none;
  }
  if (iequals(name, "content-type")) has_content_type_ = true;
  if (iequals(name, "content-length")) {
    return parse_content_length(value, has_content_length_, content_length_);
  }
  if (iequals(name, "transfer-encoding")) {
    // Only "chunked", once, as the final coding: the WAF cannot look inside other codings,
    // and a body framed any other way has no length it could agree on with the server.
    has_transfer_encoding_ = true;
    for_each_list_element(value, [&](std::string_view coding) {
      if (coding.empty()) return;  // empty list elements are allowed (RFC 9110 §5.6.1)
      if (chunked_last_ || !iequals(coding, "chunked")) transfer_coding_bad_ = true;
      chunked_last_ = iequals(coding, "chunked");
    });
  }
  return HttpViolation::none;
}

HttpViolation HttpRequestParser::decide_framing() noexcept {
  if (request_.version_minor >= 1 && host_count_ == 0) flag(HttpViolation::missing_host);
  if (has_transfer_encoding_) {
    if (has_content_length_) return HttpViolation::content_length_with_transfer_encoding;
    if (transfer_coding_bad_ || !chunked_last_) return HttpViolation::unsupported_transfer_encoding;
    request_.framing = HttpBodyFraming::chunked;
  } else if (has_content_length_) {
    request_.framing = HttpBodyFraming::content_length;
    request_.content_length = content_length_;
  }
  // A body the server cannot tell the type of, or one on a method whose body has no
  // meaning: what a server does with either differs (smuggling, parser confusion).
  const bool body = request_.framing == HttpBodyFraming::chunked || request_.content_length > 0;
  if (body && !has_content_type_) flag(HttpViolation::body_without_content_type);
  if (body && (request_.method_id == HttpMethod::get || request_.method_id == HttpMethod::head))
    flag(HttpViolation::body_on_get_or_head);
  return HttpViolation::none;
}

}  // namespace gauntlet
