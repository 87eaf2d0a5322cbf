#include "dataplane/nat/translate.h"

#include <cstring>

#include <rte_ip.h>

namespace gauntlet {

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
