// A TCP RST built in place from the segment it answers (RFC 9293 3.10.7.1: for a segment
// without ACK, seq 0 and ack = its sequence + length; else seq = its ack). Worker core.
#pragma once

#include "dataplane/packet/parse.h"

struct rte_mbuf;

namespace gauntlet {

// Rewrites `m` into the RST back to the sender, from `port_mac`. False when the segment is
// itself a RST (never answered) or not a whole TCP header.
bool write_tcp_reset(rte_mbuf* m, const ParsedPacket& p, const MacAddress& port_mac) noexcept;

}  // namespace gauntlet
