// What the proxy layer says of a packet, for traces and events: the VIP's service, the route
// that matched (index in its routes, or the default), the chosen service and backend, and the
// sequence offset of the splice. Trivially copyable (it travels in a Record).
#pragma once

#include <cstdint>

namespace gauntlet {

struct ProxyNote {
  bool set = false;
  bool bound = false;  // route, service, backend and seq_delta are known
  uint16_t vip_service = 0;
  uint16_t route = 0;  // kDefaultRoute (route_table.h) when the VIP's default was taken
  uint16_t service = 0;
  uint32_t backend = 0;
  uint32_t seq_delta = 0;
};

}  // namespace gauntlet
