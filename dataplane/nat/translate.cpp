#include "dataplane/nat/translate.h"

#include <rte_ip.h>

#include "dataplane/packet/checksum.h"

namespace gauntlet {

L4Checksum l4_checksum(uint8_t* l4, uint32_t available, uint8_t proto) noexcept {
  L4Checksum c;
  if (proto == 6 && available >= 18) {
    c.field = l4 + 16;
    c.covers_addresses = true;
  } else if (proto == 17 && available >= 8) {
    // UDP over IPv4 may carry no checksum (0): it must stay 0.
    if (load_be16(l4 + 6) != 0) {
      c.field = l4 + 6;
      c.covers_addresses = true;
      c.udp = true;
    }
  } else if (proto == 1 && available >= 4) {
    c.field = l4 + 2;
  } else if (proto == 58 && available >= 4) {
    c.field = l4 + 2;
    c.covers_addresses = true;  // ICMPv6 has a pseudo-header
  }
  return c;
}

namespace {

void adjust(uint8_t* checksum, uint16_t old_word, uint16_t new_word, bool udp_zero_guard) noexcept {
  uint16_t v = checksum_adjust(load_be16(checksum), old_word, new_word);
  // UDP: a computed 0 is sent as 0xffff (RFC 768); both mean the same to a receiver.
  if (udp_zero_guard && v == 0) v = 0xffff;
  store_be16(checksum, v);
}

}  // namespace

void set_ipv4_address(uint8_t* ip, uint8_t* field, const IpAddress& to, L4Checksum l4) noexcept {
  for (int w = 0; w < 2; ++w) {
    const uint16_t old_word = load_be16(field + 2 * w);
    const uint16_t new_word = load_be16(to.bytes.data() + 2 * w);
    adjust(ip + 10, old_word, new_word, false);
    if (l4.field && l4.covers_addresses) adjust(l4.field, old_word, new_word, l4.udp);
    store_be16(field + 2 * w, new_word);
  }
}

void set_ipv6_address(uint8_t* field, const IpAddress& to, L4Checksum l4) noexcept {
  for (int w = 0; w < 8; ++w) {
    const uint16_t old_word = load_be16(field + 2 * w);
    const uint16_t new_word = load_be16(to.bytes.data() + 2 * w);
    if (l4.field && l4.covers_addresses) adjust(l4.field, old_word, new_word, l4.udp);
    store_be16(field + 2 * w, new_word);
  }
}

void set_port(uint8_t* field, uint16_t to, L4Checksum l4) noexcept {
  if (l4.field) adjust(l4.field, load_be16(field), to, l4.udp);
  store_be16(field, to);
}

void recompute_icmp4_checksum(uint8_t* icmp, uint32_t len) noexcept {
  icmp[2] = icmp[3] = 0;
  const uint16_t sum = static_cast<uint16_t>(~rte_raw_cksum(icmp, len));
  std::memcpy(icmp + 2, &sum, 2);
}

void recompute_icmp6_checksum(const uint8_t* ip6, uint8_t* icmp, uint32_t len) noexcept {
  icmp[2] = icmp[3] = 0;
  const uint32_t pseudo[2] = {rte_cpu_to_be_32(len), rte_cpu_to_be_32(58)};
  uint32_t sum = __rte_raw_cksum(ip6 + 8, 32, 0);
  sum = __rte_raw_cksum(pseudo, sizeof pseudo, sum);
  sum = __rte_raw_cksum(icmp, len, sum);
  const uint16_t folded = static_cast<uint16_t>(~__rte_raw_cksum_reduce(sum));
  std::memcpy(icmp + 2, &folded, 2);
}

}  // namespace gauntlet
