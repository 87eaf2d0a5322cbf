#include "dataplane/control/operations.h"

#include <fmt/format.h>

namespace gauntlet {

std::string backend_name(const BackendConfig& b) {
  return b.version == 6 ? fmt::format("[{}]:{}", format_ip(b.address, 6), b.port)
                        : fmt::format("{}:{}", format_ip(b.address, 4), b.port);
}

const BackendConfig* backend_of(const GenerationView& t, uint32_t backend, std::string* service) {
  const uint32_t s = backend >> 16, b = backend & 0xffff;
  if (s >= t.services.size() || b >= t.services[s].backends.size()) return nullptr;
  if (service) *service = t.services[s].name;
  return &t.services[s].backends[b];
}

}  // namespace gauntlet
