// Protocol violations an HTTP/1.x request can carry, declared once (name, whether it is
// terminal) and reused by the parser, the matcher and, later, the event log. A request keeps
// every violation it met as one bit in HttpRequest::violations, so rules can match on them.
//
// Terminal violations stop the connection's parsing for good (HttpRequestParser enters its
// error state): after them the parser can no longer tell where this request ends and the next
// begins, so anything it said about later bytes could be what a smuggler wants the WAF to see.
// The dataplane resets such a flow. Non-terminal ones are recorded and parsing goes on.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace gauntlet {

// X(id, printed name, terminal)
#define GAUNTLET_HTTP_VIOLATIONS(X)                                                            \
  X(none, "none", false)                                                                       \
  X(missing_host, "http:missing-host", false) /* HTTP/1.1 without Host */                      \
  X(duplicate_host, "http:duplicate-host", false)                                              \
  X(body_without_content_type, "http:body-without-content-type", false)                        \
  X(body_on_get_or_head, "http:body-on-get-or-head", false)                                    \
  X(unknown_method, "http:unknown-method", false)               /* a token, but not known */   \
  X(obsolete_line_folding, "http:obsolete-line-folding", false) /* unfolded to spaces */       \
  X(bare_lf, "http:bare-lf", false)                             /* LF without CR, accepted */  \
  X(invalid_header_value, "http:invalid-header-value", false)   /* control bytes, kept */      \
  X(invalid_method, "http:invalid-method", true)                /* empty or not a token */     \
  X(invalid_request_line, "http:invalid-request-line", true)                                   \
  X(invalid_version, "http:invalid-version", true) /* also garbage after it */                 \
  X(request_line_too_long, "http:request-line-too-long", true)                                 \
  X(header_line_too_long, "http:header-line-too-long", true)                                   \
  X(headers_too_large, "http:headers-too-large", true)                                         \
  X(too_many_headers, "http:too-many-headers", true)                                           \
  X(invalid_header_name, "http:invalid-header-name", true)                                     \
  X(bare_cr, "http:bare-cr", true) /* CR not followed by LF */                                 \
  X(content_length_with_transfer_encoding, "http:content-length-with-transfer-encoding", true) \
  X(invalid_content_length, "http:invalid-content-length", true)                               \
  X(conflicting_content_length, "http:conflicting-content-length", true)                       \
  X(unsupported_transfer_encoding, "http:unsupported-transfer-encoding", true)                 \
  X(chunk_size_overflow, "http:chunk-size-overflow", true)                                     \
  X(invalid_chunk, "http:invalid-chunk", true)                                                 \
  X(chunk_extension_too_long, "http:chunk-extension-too-long", true)

enum class HttpViolation : uint8_t {
#define GAUNTLET_HTTP_VIOLATION_ENUM(id, name, terminal) id,
  GAUNTLET_HTTP_VIOLATIONS(GAUNTLET_HTTP_VIOLATION_ENUM)
#undef GAUNTLET_HTTP_VIOLATION_ENUM
      count
};
inline constexpr size_t kHttpViolations = static_cast<size_t>(HttpViolation::count);
static_assert(kHttpViolations <= 32, "HttpRequest::violations is a 32-bit mask");

inline constexpr std::array<std::string_view, kHttpViolations> kHttpViolationNames = {
#define GAUNTLET_HTTP_VIOLATION_NAME(id, name, terminal) name,
    GAUNTLET_HTTP_VIOLATIONS(GAUNTLET_HTTP_VIOLATION_NAME)
#undef GAUNTLET_HTTP_VIOLATION_NAME
};

inline constexpr std::array<bool, kHttpViolations> kHttpViolationTerminal = {
#define GAUNTLET_HTTP_VIOLATION_TERMINAL(id, name, terminal) terminal,
    GAUNTLET_HTTP_VIOLATIONS(GAUNTLET_HTTP_VIOLATION_TERMINAL)
#undef GAUNTLET_HTTP_VIOLATION_TERMINAL
};

constexpr std::string_view http_violation_name(HttpViolation v) noexcept {
  return kHttpViolationNames[static_cast<size_t>(v)];
}
constexpr bool http_violation_is_terminal(HttpViolation v) noexcept {
  return kHttpViolationTerminal[static_cast<size_t>(v)];
}
// The bit of `v` in HttpRequest::violations (none has no bit).
constexpr uint32_t http_violation_bit(HttpViolation v) noexcept {
  return v == HttpViolation::none ? 0u : 1u << static_cast<unsigned>(v);
}

}  // namespace gauntlet
