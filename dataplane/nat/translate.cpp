#include "dataplane/nat/translate.h"

#include <cstring>

#include <rte_ip.h>

namespace gauntlet {

void recompute_icmp4_checksum(uint8_t* icmp, uint32_t len) noexcept {
  icmp[2] = icmp[3] = 0;
  const uint16_t sum = static_cast<uint16_t>(~rte_raw_cksum(icmp, len));
  std::memcpy(icmp + 2, &sum, 2);
}

}  // namespace gauntlet
