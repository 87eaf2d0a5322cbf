// Rewriting addresses, ports and ICMP identifiers in place with incremental checksum
// updates (RFC 1624): the IPv4 header checksum, the TCP/UDP checksum (whose pseudo-header
// covers the addresses) and the ICMP checksum. Worker core; no allocation.
//
// Inline, and word by word in registers (HeaderRewrite): every packet of a NATed flow goes
// through here, and the checksums are read once and written once instead of once per word.
#pragma once

#include <cstdint>

#include "dataplane/packet/checksum.h"
#include "dataplane/packet/headers.h"

namespace gauntlet {

// Where the L4 checksum of a (possibly quoted, possibly truncated) packet lives.
struct L4Checksum {
  uint8_t* field = nullptr;       // null: none to update (absent, cut off, or UDP's "no checksum")
  bool covers_addresses = false;  // TCP/UDP: the pseudo-header covers the IP addresses
  bool udp = false;               // a result of 0 is written as 0xffff (RFC 768)
};

inline L4Checksum l4_checksum(uint8_t* l4, uint32_t available, uint8_t proto) noexcept {
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

// One packet's rewrite: the fields change in the order of the calls, each 16-bit word
// adjusting the checksums that cover it (RFC 1624 eqn. 3, one word at a time, so the bytes
// written are those of a word-at-a-time update in memory); the checksums are loaded by the
// constructor and stored by commit().
class HeaderRewrite {
 public:
  // `ipv4_header`: the IPv4 header whose checksum covers the addresses; null for IPv6.
  HeaderRewrite(uint8_t* ipv4_header, L4Checksum l4) noexcept
      : ip_field_(ipv4_header ? ipv4_header + 10 : nullptr), l4_(l4) {
    if (ip_field_) ip_sum_ = load_be16(ip_field_);
    if (l4_.field) l4_sum_ = load_be16(l4_.field);
  }

  // Replaces the IPv4 address at `field` (4 bytes inside the header given above).
  void ipv4_address(uint8_t* field, const IpAddress& to) noexcept { address(field, to, 2); }
  // Replaces the IPv6 address at `field`; only the L4 checksum covers it.
  void ipv6_address(uint8_t* field, const IpAddress& to) noexcept { address(field, to, 8); }
  // Replaces a 16-bit port / ICMP identifier at `field` covered by the L4 checksum.
  void port(uint8_t* field, uint16_t to) noexcept {
    if (l4_.field) l4_sum_ = adjusted(l4_sum_, load_be16(field), to, l4_.udp);
    store_be16(field, to);
  }
  void commit() noexcept {
    if (ip_field_) store_be16(ip_field_, ip_sum_);
    if (l4_.field) store_be16(l4_.field, l4_sum_);
  }

 private:
  static uint16_t adjusted(uint16_t sum, uint16_t old_word, uint16_t new_word,
                           bool udp_zero_guard) noexcept {
    const uint16_t v = checksum_adjust(sum, old_word, new_word);
    // UDP: a computed 0 is sent as 0xffff (RFC 768); both mean the same to a receiver.
    return udp_zero_guard && v == 0 ? 0xffff : v;
  }
  void address(uint8_t* field, const IpAddress& to, int words) noexcept {
    for (int w = 0; w < words; ++w) {
      const uint16_t old_word = load_be16(field + 2 * w);
      const uint16_t new_word = load_be16(to.bytes.data() + 2 * w);
      if (ip_field_) ip_sum_ = checksum_adjust(ip_sum_, old_word, new_word);
      if (l4_.field && l4_.covers_addresses)
        l4_sum_ = adjusted(l4_sum_, old_word, new_word, l4_.udp);
      store_be16(field + 2 * w, new_word);
    }
  }

  uint8_t* ip_field_;
  L4Checksum l4_;
  uint16_t ip_sum_ = 0;
  uint16_t l4_sum_ = 0;
};

// One field at a time (the ICMP error paths): a HeaderRewrite of that field alone.
inline void set_ipv4_address(uint8_t* ip, uint8_t* field, const IpAddress& to,
                             L4Checksum l4) noexcept {
  HeaderRewrite r(ip, l4);
  r.ipv4_address(field, to);
  r.commit();
}
inline void set_ipv6_address(uint8_t* field, const IpAddress& to, L4Checksum l4) noexcept {
  HeaderRewrite r(nullptr, l4);
  r.ipv6_address(field, to);
  r.commit();
}
inline void set_port(uint8_t* field, uint16_t to, L4Checksum l4) noexcept {
  HeaderRewrite r(nullptr, l4);
  r.port(field, to);
  r.commit();
}

// Recomputes an ICMPv4 checksum over `len` bytes.
void recompute_icmp4_checksum(uint8_t* icmp, uint32_t len) noexcept;

// Recomputes an ICMPv6 checksum over `len` bytes, with the pseudo-header (RFC 4443 2.3) of
// the IPv6 header at `ip6`.
void recompute_icmp6_checksum(const uint8_t* ip6, uint8_t* icmp, uint32_t len) noexcept;

}  // namespace gauntlet
