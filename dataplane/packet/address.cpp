// Text forms of IP and MAC addresses (control path only: these allocate).
#include <arpa/inet.h>
#include <cstdio>

#include "dataplane/packet/headers.h"

namespace gauntlet {

std::string format_ip(const IpAddress& a, uint8_t version) {
  char buf[INET6_ADDRSTRLEN] = {};
  const int family = version == 6 ? AF_INET6 : AF_INET;
  if (inet_ntop(family, a.bytes.data(), buf, sizeof(buf)) == nullptr) return {};
  return buf;
}

uint8_t parse_ip(const std::string& text, IpAddress& out) {
  IpAddress a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) {
    out = a;
    return 4;
  }
  a = IpAddress{};
  if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) {
    out = a;
    return 6;
  }
  return 0;
}

std::string format_mac(const MacAddress& m) {
  char buf[18];
  std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", m.bytes[0], m.bytes[1],
                m.bytes[2], m.bytes[3], m.bytes[4], m.bytes[5]);
  return buf;
}

namespace {
int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

bool parse_mac(const std::string& text, MacAddress& out) {
  // Exactly "xx:xx:xx:xx:xx:xx": six two-hex-digit groups, five colons, nothing else.
  if (text.size() != 17) return false;
  MacAddress m;
  for (size_t i = 0; i < 6; ++i) {
    const size_t at = i * 3;
    if (i != 0 && text[at - 1] != ':') return false;
    const int hi = hex_value(text[at]);
    const int lo = hex_value(text[at + 1]);
    if (hi < 0 || lo < 0) return false;
    m.bytes[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  out = m;
  return true;
}

}  // namespace gauntlet
