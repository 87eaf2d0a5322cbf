// TCP segments the proxy writes itself (SYN-ACK with a cookie, the backend's SYN, the replay
// of buffered bytes, resets) and the options it reads from the ones it receives, over IPv4
// or IPv6.
// Worker core; noexcept, no allocation (the caller owns the mbuf).
#pragma once

#include <cstdint>

#include "dataplane/conntrack/tcp_state.h"  // kTcpSyn, kTcpAck, ...
#include "dataplane/packet/headers.h"
#include "dataplane/proxy/syn_cookie.h"

struct rte_mbuf;

namespace gauntlet {

struct SegmentSpec {
  uint8_t version = 4;  // 4 or 6: the family of src and dst
  MacAddress src_mac{}, dst_mac{};
  IpAddress src{}, dst{};
  uint16_t src_port = 0, dst_port = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;
  const uint8_t* options = nullptr;  // a multiple of 4 bytes, at most 40
  uint8_t options_length = 0;
  const uint8_t* payload = nullptr;
  uint16_t payload_length = 0;
};

// Overwrites `m` (its first segment; any chain is freed) with the Ethernet, IP and TCP
// headers and payload of `s`, checksums included. False when it does not fit the mbuf.
bool write_segment(rte_mbuf* m, const SegmentSpec& s) noexcept;

// What a segment's options said.
struct SeenOptions {
  SynOptions syn;  // MSS (536 when absent), window scale, SACK-permitted, timestamps present
  uint32_t tsval = 0, tsecr = 0;
};
SeenOptions read_options(const uint8_t* tcp, unsigned header_length) noexcept;

// Writes SYN options (MSS, SACK-permitted, timestamps, window scale, as in `o`) to `out`
// (20 bytes of room); returns the length, a multiple of 4.
uint8_t write_syn_options(uint8_t* out, const SynOptions& o, uint32_t tsval,
                          uint32_t tsecr) noexcept;
// A timestamps option padded to 12 bytes (NOP NOP TS).
uint8_t write_ts_option(uint8_t* out, uint32_t tsval, uint32_t tsecr) noexcept;

}  // namespace gauntlet
