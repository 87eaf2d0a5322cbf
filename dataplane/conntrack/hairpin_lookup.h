// Conntrack's lookups of hairpinned flows (a pod reaching another pod through the public
// address, RFC 4787 REQ-9 / RFC 5508 REQ-7) for packets whose own tuple finds no flow: they
// are found as the tuple the flow was translated to. Worker-local, fast path (rare packets).
#pragma once

#include <cstdint>

#include "dataplane/conntrack/flow_table.h"
#include "dataplane/packet/parse.h"

namespace gauntlet {

struct Worker;

// A packet of no flow from a pod to the public address: the reply of a hairpinned flow,
// looked up as what it becomes once its own source is translated (its pod's mapping).
FlowMatch hairpin_reply(Worker& w, const ParsedPacket& p) noexcept;

// An ICMP error from a pod about a hairpinned packet it received (RFC 5508 REQ-7): the quote
// is that packet as the pod saw it, from the public address:port of the sender's mapping to
// the pod's own address:port. Looked up as the hairpinned flow's translated tuple: the pod's
// end becomes the public address:port of its mapping.
FlowMatch hairpin_quote(Worker& w, const uint8_t* frame, const ParsedPacket& p) noexcept;

}  // namespace gauntlet
