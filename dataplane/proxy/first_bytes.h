// What a connection's first bytes say, for routing: a TLS ClientHello (its SNI; split over
// segments and records is fine) or an HTTP/1.x request line and Host header. Reads the
// contiguous bytes held so far from the start each time they grow (at most l7_wait.bytes).
// Worker core; noexcept, no allocation; `storage` is the worker's ClientHello scratch.
#pragma once

#include <cstdint>
#include <span>

#include "dataplane/proxy/route_table.h"

namespace gauntlet {

enum class FirstBytesStatus : uint8_t {
  need_more,     // consistent so far: wait for more (bounded by l7_wait)
  decided,       // `match` holds the route decision (service may be kNoProxyService)
  unrecognised,  // neither TLS nor an HTTP/1.x request
  malformed,     // TLS whose lengths or fields do not hold (a lying length, a huge SNI)
};

struct FirstBytesResult {
  FirstBytesStatus status = FirstBytesStatus::need_more;
  bool tls = false;
  RouteMatch match;
  uint32_t request_end = 0;  // HTTP: one past the blank line ending the headers
};

FirstBytesResult read_first_bytes(const uint8_t* data, uint32_t length, const ProxyVip& vip,
                                  std::span<uint8_t> storage) noexcept;

}  // namespace gauntlet
