// Address prefixes and source positions: the small value types config, routes and rules
// share.
#pragma once

#include <cstdint>
#include <string>

#include "dataplane/packet/headers.h"

namespace gauntlet {

struct Prefix {
  IpAddress address{};
  uint8_t version = 0;  // 4 or 6
  uint8_t length = 0;
  bool contains(const IpAddress& a, uint8_t v) const noexcept;
};
std::string format_prefix(const Prefix& p);

// Where in a config or rule file a value came from, for errors found after parsing.
struct SourceMark {
  std::string file;
  int line = 0;
  int column = 0;
};

}  // namespace gauntlet
