// Incremental HTTP/1.x request parser for one direction of one connection (client -> server).
// Stream-agnostic: it is fed the in-order byte stream in segments of any size and split —
// whole, one byte at a time, or anything between — and produces the same events and the same
// body bytes for every split. It neither reorders nor reassembles: that is the caller's job.
//
// What it produces, per request, as events (HttpEvent) in this order:
//   request_line      method, target, path, query and version are set on request()
//   header            one header field, as soon as it is known to be complete (the first byte
//                     of the following line has been seen, since that byte may fold it)
//   headers_complete  all headers seen; framing (none / Content-Length / chunked) decided
//   body              zero or more fragments of the body, de-chunked; each a view into the
//                     bytes just fed, so the body is never held in memory by the parser
//   trailer           trailer fields of a chunked body, like header
//   request_complete  the request ended; the next byte starts the next request (keep-alive,
//                     pipelining), and leading CR/LF between requests are skipped
//   error             a terminal violation (see http_violation.h): the parser is now in its
//                     terminal error state — it consumes and ignores everything it is fed.
//                     The dataplane resets such a flow.
// Non-terminal violations (bare LF, obsolete folding, missing Host, ...) are only recorded in
// request().violations; they never produce an event.
//
// Memory: bounded by HttpLimits and fixed at construction. The request line and the header and
// trailer lines of the current request are copied into caller-provided head storage (field
// views point into it); nothing else is buffered. A line past its limit is a terminal
// violation the moment the limit is passed, so a hostile stream cannot grow anything.
//
// Not its job: the server's side. After a CONNECT, or an Upgrade the server accepts (101), the
// rest of the stream is not HTTP; the caller, who sees the response, stops feeding. Framing
// follows RFC 9112 §6.3 for requests: Transfer-Encoding (chunked only) or Content-Length,
// otherwise no body.
//
// Threads: one parser per connection direction, used by the worker that owns the flow.
// noexcept, no allocation, no locks, no virtual calls. Storage is allocated by the caller
// (HttpParserStorage does it once, on the slow path) and must outlive the parser.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "dataplane/waf/http_violation.h"

namespace gauntlet {

struct HttpLimits {
  uint32_t max_request_line = 8192;             // bytes before the LF (a CR included)
  uint32_t max_header_line = 8192;              // one field line, folded continuations included
  uint32_t max_header_bytes = 32768;            // all header and trailer lines of one request
  uint16_t max_headers = 100;                   // header plus trailer fields of one request
  uint32_t max_chunk_extension = 4096;          // bytes after the chunk size, up to the CRLF
  uint64_t max_chunk_size = uint64_t{1} << 30;  // larger (or > 16 hex digits): overflow
};
// Storage a parser needs for `limits`: head bytes max_request_line + max_header_bytes, and
// max_headers fields (what HttpParserStorage allocates: about 43 KB with the defaults).

struct HttpHeader {
  std::string_view name;   // as sent (case kept); a token
  std::string_view value;  // leading and trailing SP/HTAB removed; folds replaced by SP
};

enum class HttpMethod : uint8_t {
  unknown,  // a valid token that is not one of the below (request has unknown_method)
  get,
  head,
  post,
  put,
  delete_,
  connect,
  options,
  trace,
  patch,
  count
};

enum class HttpBodyFraming : uint8_t { none, content_length, chunked };

// The request being parsed. Every string_view points into the parser's head storage and stays
// valid until the first byte of the next request is fed (so after request_complete the whole
// request can still be read), or until the parser is destroyed.
struct HttpRequest {
  uint64_t index = 0;       // 0 for the first request on the connection
  std::string_view method;  // as sent
  std::string_view target;  // raw request-target: path and query, not decoded
  std::string_view path;    // origin-form: before '?'; absolute-form: after authority;
                            // "*" for asterisk-form; empty for authority-form (CONNECT)
  std::string_view query;   // after the first '?', without it; empty when none
  HttpMethod method_id = HttpMethod::unknown;
  uint8_t version_major = 0;  // always 1 once the request line is accepted
  uint8_t version_minor = 0;  // 0 or 1 (HTTP/1.2..1.9 are read as 1.1 would be)
  std::span<const HttpHeader> headers;
  std::span<const HttpHeader> trailers;
  HttpBodyFraming framing = HttpBodyFraming::none;
  uint64_t content_length = 0;  // with content_length framing
  uint64_t body_bytes = 0;      // body bytes delivered so far (after de-chunking)
  uint32_t violations = 0;      // http_violation_bit() of every violation met

  constexpr bool has(HttpViolation v) const noexcept {
    return (violations & http_violation_bit(v)) != 0;
  }
  // The first header named `name` (ASCII case-insensitive); empty when there is none.
  std::string_view header(std::string_view name) const noexcept;
};

enum class HttpEventKind : uint8_t {
  none,  // nothing more from the bytes given
  request_line,
  header,
  headers_complete,
  body,
  trailer,
  request_complete,
  error
};

struct HttpEvent {
  HttpEventKind kind = HttpEventKind::none;
  HttpHeader field{};               // header, trailer
  std::span<const uint8_t> body{};  // body: a view into the bytes passed to next()/feed()
  HttpViolation violation = HttpViolation::none;  // error: the terminal violation
};

class HttpRequestParser {
 public:
  // `head` holds the request line and field lines of one request; `fields` the header and
  // trailer fields. The limits are lowered to what the storage can hold (see limits()).
  HttpRequestParser(const HttpLimits& limits, std::span<char> head,
                    std::span<HttpHeader> fields) noexcept;

  // Pull interface: parses from `data` until one event is ready or the bytes are used up.
  // Returns how many bytes it consumed; `event` is the event, or none when all `len` bytes
  // were consumed without completing one. An event can come with 0 bytes consumed and even
  // with len == 0 (request_complete of a request without body), so drive it as:
  //   do { used += p.next(data + used, len - used, ev); handle(ev); } while (ev.kind != none);
  // In the error state it consumes everything and returns none.
  size_t next(const uint8_t* data, size_t len, HttpEvent& event) noexcept;

  // Push interface over next(): calls sink(request(), event) for every event the bytes
  // complete (statically dispatched: any callable). Returns false once the parser is in its
  // terminal error state (the error event has then been delivered, once).
  template <class Sink>
  bool feed(const uint8_t* data, size_t len, Sink&& sink) noexcept {
    size_t used = 0;
    HttpEvent event;
    do {
      used += next(data + used, len - used, event);
      if (event.kind != HttpEventKind::none) sink(static_cast<const HttpRequest&>(request_), event);
    } while (event.kind != HttpEventKind::none && event.kind != HttpEventKind::error);
    return !failed();
  }

  const HttpRequest& request() const noexcept { return request_; }
  bool failed() const noexcept { return phase_ == Phase::error; }
  // Bytes of head storage in use now: never more than max_request_line + max_header_bytes.
  size_t buffered_bytes() const noexcept { return head_used_; }
  const HttpLimits& limits() const noexcept { return limits_; }

 private:
  enum class Phase : uint8_t {
    between_requests,  // skipping CR/LF before a request line
    request_line,
    field_start,  // at the first byte of a header/trailer line: fold, end, or a new field
    field_line,
    fields_end_lf,  // CR of the empty line seen
    body_length,
    chunk_size,
    chunk_extension,
    chunk_size_lf,
    chunk_data,
    chunk_data_cr,
    chunk_data_lf,
    message_done,  // request_complete is due
    error,
  };
  enum class LineStatus : uint8_t { partial, complete, line_too_long, head_too_large };

  void begin_request() noexcept;
  LineStatus take_line(const uint8_t* data, size_t len, size_t& pos, size_t line_limit,
                       size_t head_limit) noexcept;
  void flag(HttpViolation v) noexcept { request_.violations |= http_violation_bit(v); }
  void fail(HttpViolation v, HttpEvent& event) noexcept;

  bool on_request_line(const uint8_t* data, size_t len, size_t& pos, HttpEvent& event) noexcept;
  HttpViolation parse_request_line() noexcept;
  bool on_field_start(const uint8_t* data, size_t len, size_t& pos, HttpEvent& event) noexcept;
  bool on_field_line(const uint8_t* data, size_t len, size_t& pos, HttpEvent& event) noexcept;
  void emit_field(HttpEvent& event) noexcept;
  HttpViolation interpret_header(std::string_view name, std::string_view value) noexcept;
  void finish_fields(HttpEvent& event) noexcept;
  HttpViolation decide_framing() noexcept;
  bool on_body(const uint8_t* data, size_t len, size_t& pos, HttpEvent& event) noexcept;
  bool on_chunk_size(const uint8_t* data, size_t len, size_t& pos, HttpEvent& event) noexcept;
  bool on_chunk_extension(const uint8_t* data, size_t len, size_t& pos, HttpEvent& event) noexcept;
  void start_chunk_size() noexcept;
  void chunk_size_line_done() noexcept;
  bool on_chunk_delimiter(const uint8_t* data, size_t len, size_t& pos, HttpEvent& event) noexcept;

  HttpLimits limits_;
  std::span<char> head_;
  std::span<HttpHeader> fields_;
  HttpRequest request_;
  Phase phase_ = Phase::between_requests;
  bool in_trailers_ = false;
  bool field_pending_ = false;  // a complete field line waits for the next line's first byte
  size_t head_used_ = 0;
  size_t request_line_end_ = 0;  // field lines start here in head storage
  size_t field_start_ = 0;       // start of the current field line in head storage
  size_t line_len_ = 0;          // bytes of the current line (field: folds included)
  uint16_t header_count_ = 0;
  uint16_t trailer_count_ = 0;
  uint64_t next_index_ = 0;
  uint64_t remaining_ = 0;  // body bytes left of the Content-Length body or the chunk
  // Framing as the header fields tell it.
  uint8_t host_count_ = 0;
  bool has_content_type_ = false;
  bool has_content_length_ = false;
  bool has_transfer_encoding_ = false;
  bool chunked_last_ = false;         // the final transfer coding so far is "chunked"
  bool transfer_coding_bad_ = false;  // a coding other than one final "chunked"
  uint64_t content_length_ = 0;
  // The chunk-size line being read.
  uint64_t chunk_size_ = 0;
  uint8_t chunk_digits_ = 0;
  bool chunk_extension_seen_ = false;  // ';' seen
  bool chunk_whitespace_seen_ = false;
  uint32_t chunk_line_len_ = 0;
};

// Storage for one parser, sized from the limits. Allocates once (slow path, may throw
// std::bad_alloc); the vectors are never resized afterwards.
struct HttpParserStorage {
  explicit HttpParserStorage(const HttpLimits& limits);
  std::vector<char> head;
  std::vector<HttpHeader> fields;
};

}  // namespace gauntlet
