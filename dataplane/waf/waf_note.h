// What the WAF stage says about one packet it looked at, for that packet's trace line and
// event (pipeline/record.h carries it to the control core, control/report.cpp prints it).
// Fixed size and trivially copyable: it travels through the worker's record ring.
#pragma once

#include <cstdint>

#include "dataplane/waf/waf_engine.h"

namespace gauntlet {

// The protocol a terminal violation belongs to.
enum class WafViolationKind : uint8_t { none, http, tls };

inline constexpr size_t kWafNoteSniBytes = 253;  // a whole DNS name (kTlsMaxSniLength)
inline constexpr size_t kWafNoteAlpnBytes = 16;  // the first ALPN protocol, cut there

struct WafNote {
  uint64_t request = 0;  // the request's index on its connection (0: the first)
  uint32_t score = 0;
  uint8_t match_count = 0;
  uint8_t excerpt_length = 0;
  uint8_t sni_length = 0;
  uint8_t alpn_length = 0;
  WafViolationKind violation_kind = WafViolationKind::none;
  uint8_t violation = 0;           // HttpViolation or TlsMalformed
  bool has_request = false;        // an HTTP request was (being) read: request, score, matches
  bool has_hello = false;          // a TLS ClientHello was read: sni, alpn
  bool reset_backend = false;      // the blocked flow's backend was sent a RST too
  uint32_t rules[kWafMaxMatches];  // engine rule indexes (generation's engine)
  uint8_t fields[kWafMaxMatches];
  char excerpt[kWafExcerptBytes];  // raw bytes: escaped when printed
  char sni[kWafNoteSniBytes];
  char alpn[kWafNoteAlpnBytes];
};

}  // namespace gauntlet
