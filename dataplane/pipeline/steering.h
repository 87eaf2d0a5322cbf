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
//   2. I is a service VIP or a backend (its address and port; the address alone when the
//      packet has no port): a load-balanced flow, either way. The hash of O's address, the
//      client. (A pod that is a backend and also calls out through SNAT: its answers from
//      the backend port take this rule, its own calls rule 3.)
//   3. I is in snat.from (IPv4, SNAT on): the worker whose slice holds I's own port (so the
//      port is kept when free, as with one worker); a port outside the SNAT range, or none:
//      the hash of I's address. That worker gives the external port from its slice, so the
//      replies map back by rule 1, and one internal address:port is always on one worker:
//      endpoint-independent mapping (RFC 4787 REQ-1) holds across workers. The per-host
//      quota (snat.max_ports_per_host) counts per worker.
//   4. Otherwise: the hash of both addresses together, the same whichever way a packet goes
//      and whichever port it arrives on (plain routed flows, IPv6; a router whose two
//      directions both enter by the outside port, as in a tap of a transit link).
// Fragments: rules 2 and 4 use addresses only, so a datagram's fragments go where its first
// one goes. Rules 1 and 3 need the ports only the first fragment carries: the receiving
// worker remembers where it sent each first fragment (steer_frame's `fragments`) and sends
// the later ones after it. NICs hash the fragments of a datagram by addresses alone, so one
// worker receives them all. A later fragment received before its first one, under rules 2
// and 4, goes where the first one will; under rules 1 and 3 it stays with the worker that
// received it (kAnyWorker), which holds it until the first one comes and then moves it to
// the first one's owner (handoff.h). A first fragment too short for its ports (stopped as
// malformed) goes where such a later fragment goes, so that they find it stopped.
//   Probe answers (TCP to gauntlet's own address on the health-check ports) belong to
// worker 0, which sends every probe. ARP, ND, other non-IP and other malformed packets belong
// to no flow: kAnyWorker, whoever received them handles them.
#pragma once

#include <cstdint>

#include "dataplane/control/tables.h"
#include "dataplane/packet/parse.h"

namespace gauntlet {

inline constexpr uint32_t kAnyWorker = 0xffffffffu;

// The worker of `workers` that `a` hashes to (a multiply-shift of the folded address).
uint32_t address_owner(const IpAddress& a, uint8_t version, uint32_t workers) noexcept;
// The same for the pair {a, b}, symmetric: pair_owner(a, b) == pair_owner(b, a).
uint32_t pair_owner(const IpAddress& a, const IpAddress& b, uint8_t version,
                    uint32_t workers) noexcept;

// The owner of the parsed packet `p` (parse_packet succeeded) in `frame`, arrived on
// `in_port`; kAnyWorker when any worker may handle it. `workers` >= 1.
uint32_t flow_owner(const uint8_t* frame, const ParsedPacket& p, uint8_t in_port, const Tables& t,
                    uint32_t workers) noexcept;

class FragmentTable;  // conntrack/fragment_table.h
inline constexpr uint64_t kSteeringFragmentTimeoutNs = 2'000'000'000;

// Parses `frame` and names its owner; kAnyWorker for a frame that does not parse.
// `fragments` (the receiving worker's own; may be null): a datagram's first fragment is
// steered by the rule and remembered there (as the owner's number) for kSteering-
// FragmentTimeoutNs on the dataplane clock; its later fragments follow it. A later fragment
// found there is steered by the rule without ports.
uint32_t steer_frame(const uint8_t* frame, uint32_t len, uint8_t in_port, const Tables& t,
                     uint32_t workers, FragmentTable* fragments = nullptr,
                     uint64_t now_ns = 0) noexcept;

}  // namespace gauntlet
