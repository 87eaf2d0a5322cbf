// Flow ownership with several workers: which worker owns a packet, so that both directions
// of every flow (and a DNAT'd flow's reply from its backend, an SNAT'd flow's reply to the
// public address, ICMP errors about either) are handled by the one worker whose conntrack
// shard and SNAT port slice hold the flow. A pure function of the packet's headers and the
// generation's immutable tables: no flow table, no state, callable from any core.
//
// The rule. A packet is seen as (inside end I, outside end O): arriving outside, O is its
// source and I its destination; arriving inside, the other way round. An ICMP error stands
// for the packet it quotes (which went the other way): its quote gives I and O.
//   1. I (or, for a hairpinned flow sent from inside, O) is the SNAT public address: the worker
//   whose port slice holds I's port (TCP/UDP
//      port, ICMP echo identifier; nat/port_allocator.h port_owner). That worker gave the
//      port out, so it holds the mapping, every flow on it (replies, flows let in on it,
//      hairpinned flows) and its ICMP errors. No port (a later fragment), or a port outside
//      the range: rule 4.
//   2. I is a service VIP or a backend's address (a load-balanced flow, either way): the hash
//      of O's address, the client.
//   3. I is in snat.from (IPv4, SNAT on): the hash of I's address. Every flow of one inside
//      host is on one worker, whose slice gives its ports: endpoint-independent mapping
//      (RFC 4787 REQ-1) and the per-host quota hold across workers, and replies map back
//      by rule 1.
//   4. Otherwise: the hash of O's address (plain routed flows, IPv6).
// Addresses only, never ports (except rule 1): a datagram's later fragments carry no ports
// and go where its first one went. The exception is a later fragment to the public address
// (rule 1 needs a port): it falls to rule 4, the worker of the remote address, which owns
// the flow only when that is also the worker the inside host hashes to. The owner of such a
// fragment's flow drops it otherwise (conntrack:fragment-without-first), as a single worker
// does a later fragment whose first one it never saw.
//   Probe answers (TCP to gauntlet's own address on the health-check ports) belong to
// worker 0, which sends every probe. ARP, ND, other non-IP and malformed packets belong to
// no flow: kAnyWorker, whoever received them handles them.
#pragma once

#include <cstdint>

#include "dataplane/control/tables.h"
#include "dataplane/packet/parse.h"

namespace gauntlet {

inline constexpr uint32_t kAnyWorker = 0xffffffffu;

// The worker of `workers` that `a` hashes to (a multiply-shift of the folded address).
uint32_t address_owner(const IpAddress& a, uint8_t version, uint32_t workers) noexcept;

// The owner of the parsed packet `p` (parse_packet succeeded) in `frame`, arrived on
// `in_port`; kAnyWorker when any worker may handle it. `workers` >= 1.
uint32_t flow_owner(const uint8_t* frame, const ParsedPacket& p, uint8_t in_port, const Tables& t,
                    uint32_t workers) noexcept;

// Parses `frame` and names its owner; kAnyWorker for a frame that does not parse.
uint32_t steer_frame(const uint8_t* frame, uint32_t len, uint8_t in_port, const Tables& t,
                     uint32_t workers) noexcept;

}  // namespace gauntlet
