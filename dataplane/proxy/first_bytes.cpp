#include "dataplane/proxy/first_bytes.h"

#include <string_view>

#include "dataplane/waf/tls_client_hello.h"

namespace gauntlet {

namespace {

constexpr size_t kMaxMethod = 16;

bool upper(char ch) noexcept { return ch >= 'A' && ch <= 'Z'; }
char lower(char ch) noexcept { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch + 32) : ch; }

// "host" case-insensitively.
bool is_host(std::string_view name) noexcept {
  if (name.size() != 4) return false;
  return lower(name[0]) == 'h' && lower(name[1]) == 'o' && lower(name[2]) == 's' &&
         lower(name[3]) == 't';
}

std::string_view trim(std::string_view v) noexcept {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// The Host header's value without its port ("[v6]:port" keeps the brackets' contents).
std::string_view host_without_port(std::string_view h) noexcept {
  if (!h.empty() && h.front() == '[') {
    const size_t close = h.find(']');
    return close == std::string_view::npos ? h : h.substr(1, close - 1);
  }
  const size_t colon = h.find(':');
  return colon == std::string_view::npos ? h : h.substr(0, colon);
}

FirstBytesResult read_http(std::string_view text, const ProxyVip& vip) noexcept {
  FirstBytesResult r;
  size_t method = 0;
  while (method < text.size() && method < kMaxMethod && upper(text[method])) ++method;
  if (method == text.size() && method < kMaxMethod) return r;  // a method still arriving
  if (method == 0 || method == kMaxMethod || text[method] != ' ') {
    r.status = FirstBytesStatus::unrecognised;
    return r;
  }
  const size_t end = text.find("\r\n\r\n");
  if (end == std::string_view::npos) return r;
  const std::string_view head = text.substr(0, end + 2);
  const size_t line_end = head.find("\r\n");
  const std::string_view line = head.substr(0, line_end);
  const size_t sp = line.find(' ', method + 1);
  if (sp == std::string_view::npos || !line.substr(sp + 1).starts_with("HTTP/1.")) {
    r.status = FirstBytesStatus::unrecognised;
    return r;
  }
  const std::string_view path = line.substr(method + 1, sp - method - 1);
  std::string_view host;
  for (size_t at = line_end + 2; at < head.size();) {
    const size_t eol = head.find("\r\n", at);
    const std::string_view field = head.substr(at, eol - at);
    at = eol + 2;
    const size_t colon = field.find(':');
    if (colon != std::string_view::npos && is_host(field.substr(0, colon))) {
      host = host_without_port(trim(field.substr(colon + 1)));
      break;
    }
  }
  r.status = FirstBytesStatus::decided;
  r.match = match_route(vip, {false, {}, host, path});
  r.request_end = static_cast<uint32_t>(end + 4);
  return r;
}

}  // namespace

FirstBytesResult read_first_bytes(const uint8_t* data, uint32_t length, const ProxyVip& vip,
                                  std::span<uint8_t> storage) noexcept {
  FirstBytesResult r;
  if (length == 0) return r;
  if (data[0] != 22) return read_http({reinterpret_cast<const char*>(data), length}, vip);
  r.tls = true;
  TlsHelloAccumulator hello(storage);
  switch (hello.feed(data, length)) {
    case TlsHelloStatus::need_more:
      return r;
    case TlsHelloStatus::done:
      r.status = FirstBytesStatus::decided;
      r.match = match_route(vip, {true, hello.hello().sni(), {}, {}});
      return r;
    case TlsHelloStatus::not_tls:
      r.status = FirstBytesStatus::unrecognised;
      return r;
    default:
      r.status = FirstBytesStatus::malformed;
      return r;
  }
}

}  // namespace gauntlet
