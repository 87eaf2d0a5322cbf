// Reading one flow's client -> server bytes into the WAF: a segment goes through the flow's
// TcpStream (in order, as the backend will read it) into the HTTP request parser and the
// engine (waf_inspect), or, for TLS, the ClientHello accumulator and the service's SNI lists.
// Shared by the WAF stage (conntrack flows, waf_stage.cpp) and the proxy layer (l7-route
// flows, proxy/proxy_waf.cpp): the same engine, rules, scoring, detect-only mode and notes.
// Worker core; noexcept, no allocation.
#pragma once

#include <cstdint>

#include "dataplane/pipeline/vocabulary.h"
#include "dataplane/waf/waf_flows.h"
#include "dataplane/waf/waf_note.h"

namespace gauntlet {

// What the bytes of one segment came to.
enum class WafVerdict : uint8_t { none, passthrough, blocked, violation, sni_denied };

struct WafReadResult {
  StreamResult stream = StreamResult::duplicate;
  WafVerdict verdict = WafVerdict::none;  // set when `stream` is `stopped`
  bool logged = false;                    // a request passed with an event (detect, log rules)
};

// Clears what a note says before a packet is read.
void begin_waf_note(WafNote& n) noexcept;

// Takes one segment's payload (`seq`: its first byte, as the client numbers it) into `slot`.
// The note gets the request (or ClientHello) the segment decided or took part in.
WafReadResult waf_read(const WafEngine& engine, WafScratch& scratch, const ServiceWafPolicy& policy,
                       WafFlowSlot& slot, ReorderPool& reorder, uint32_t seq, const uint8_t* data,
                       uint32_t len, WafNote& note) noexcept;

// The reset reason of a stopping verdict (waf:blocked, waf:sni-denied, waf:protocol-violation).
Reason waf_reset_reason(WafVerdict v) noexcept;

}  // namespace gauntlet
