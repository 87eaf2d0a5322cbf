// The request line: method SP request-target SP HTTP-version (RFC 9112 §3), split into the
// fields of HttpRequest. Strict where leniency lets two parsers disagree: exactly one SP
// between the parts, no control bytes in the target, the version exactly HTTP/1.DIGIT.
#include <array>
#include <string_view>

#include "dataplane/waf/http_request.h"
#include "dataplane/waf/http_syntax.h"

namespace gauntlet {
namespace {

struct KnownMethod {
  std::string_view name;
  HttpMethod id;
};
// Methods are case-sensitive (RFC 9110 §9.1): "get" is a valid token but an unknown method.
constexpr std::array<KnownMethod, 9> kKnownMethods = {{
    {"GET", HttpMethod::get},
    {"HEAD", HttpMethod::head},
    {"POST", HttpMethod::post},
    {"PUT", HttpMethod::put},
    {"DELETE", HttpMethod::delete_},
    {"CONNECT", HttpMethod::connect},
    {"OPTIONS", HttpMethod::options},
    {"TRACE", HttpMethod::trace},
    {"PATCH", HttpMethod::patch},
}};

HttpMethod method_id(std::string_view method) noexcept {
  for (const KnownMethod& m : kKnownMethods)
    if (m.name == method) return m.id;
  return HttpMethod::unknown;
}

// Bytes that cannot be in a request-target on the wire: controls, SP and DEL. Bytes >= 0x80
// are let through (and left to the matcher): real clients send raw UTF-8 paths.
bool valid_target(std::string_view target) noexcept {
  if (target.empty()) return false;
  for (char c : target) {
    const auto u = static_cast<uint8_t>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

// Path and query of a target. Origin-form "/p?q"; absolute-form "scheme://authority/p?q"
// (path after the authority); asterisk-form "*"; anything else is authority-form (CONNECT
// host:port), which has neither.
void split_target(std::string_view target, std::string_view& path,
                  std::string_view& query) noexcept {
  path = query = {};
  std::string_view rest = target;
  if (target == "*") {
    path = target;
    return;
  }
  if (target.front() != '/') {
    const size_t scheme_end = target.find("://");
    if (scheme_end == std::string_view::npos) return;  // authority-form
    rest = target.substr(scheme_end + 3);
    const size_t path_start = rest.find_first_of("/?");
    rest = path_start == std::string_view::npos ? std::string_view{} : rest.substr(path_start);
  }
  const size_t q = rest.find('?');
  path = rest.substr(0, q);
  if (q != std::string_view::npos) query = rest.substr(q + 1);
}

}  // namespace

HttpViolation HttpRequestParser::parse_request_line() noexcept {
  const std::string_view line(head_.data(), request_line_end_);
  const size_t first_space = line.find(' ');
  const std::string_view method = line.substr(0, first_space);
  if (!http_syntax::is_token(method)) return HttpViolation::invalid_method;
  if (first_space == std::string_view::npos) return HttpViolation::invalid_request_line;
  // The target ends at the second SP; whatever follows must be exactly the version, so
  // "GET / HTTP/1.1 x" and "GET /a b HTTP/1.1" both have an invalid version.
  const size_t second_space = line.find(' ', first_space + 1);
  // One space only: "GET /" (HTTP/0.9) or "GET HTTP/1.1" — the version is missing.
  if (second_space == std::string_view::npos) return HttpViolation::invalid_version;
  const std::string_view target = line.substr(first_space + 1, second_space - first_space - 1);
  const std::string_view version = line.substr(second_space + 1);
  if (!valid_target(target)) return HttpViolation::invalid_request_line;
  // HTTP/1.DIGIT; another major version, lower case, or anything after it is invalid.
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[5] != '1' ||
      version[6] != '.' || version[7] < '0' || version[7] > '9')
    return HttpViolation::invalid_version;

  request_.method = method;
  request_.method_id = method_id(method);
  if (request_.method_id == HttpMethod::unknown) flag(HttpViolation::unknown_method);
  request_.target = target;
  split_target(target, request_.path, request_.query);
  request_.version_major = 1;
  request_.version_minor = version[7] == '0' ? 0 : 1;
  return HttpViolation::none;
}

}  // namespace gauntlet
