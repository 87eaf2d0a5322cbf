// Checksum helpers. Incremental updates follow RFC 1624 (eqn. 3), which never produces the
// 0x0000 / 0xffff ambiguity of the older RFC 1141 form.
#pragma once

#include <cstdint>

namespace gauntlet {

// One's complement sum folded to 16 bits.
constexpr uint16_t fold_checksum(uint32_t sum) noexcept {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// HC' = ~(~HC + ~m + m'): the checksum after one 16-bit word changed from `old_word` to
// `new_word`. All three in host order as read with load_be16.
constexpr uint16_t checksum_adjust(uint16_t checksum, uint16_t old_word,
                                   uint16_t new_word) noexcept {
  const uint32_t sum = uint32_t{static_cast<uint16_t>(~checksum)} +
                       uint32_t{static_cast<uint16_t>(~old_word)} + uint32_t{new_word};
  return static_cast<uint16_t>(~fold_checksum(sum));
}

}  // namespace gauntlet
