// Sequence translation for a spliced connection. The client's sequence space is the same on
// both legs (the backend's SYN carries the client's ISN); the server's is not: the client
// knows gauntlet's ISN (the SYN cookie), the backend chose its own. So, for every segment:
//   backend -> client: seq += seq_delta, TSval += ts_delta, window rescaled
//                      (backend's scale -> the scale gauntlet gave the client)
//   client -> backend: ack -= seq_delta, each SACK block's edges -= seq_delta,
//                      TSecr -= ts_delta
// where seq_delta = cookie ISN - backend ISN and ts_delta = gauntlet's SYN-ACK TSval - the
// backend's. All arithmetic is modulo 2^32 (sequence numbers and timestamps wrap).
// The TCP checksum is adjusted incrementally (RFC 1624) for every byte changed; options at
// odd offsets are handled. `tcp` points at the TCP header, `header_length` is its data
// offset in bytes (20..60, already validated by the parser).
// Threads: pure functions over one packet; worker core; noexcept, no allocation.
#pragma once

#include <algorithm>
#include <cstdint>

#include "dataplane/packet/checksum.h"

namespace gauntlet {

struct SpliceOffsets {
  uint32_t seq_delta = 0;
  uint32_t ts_delta = 0;
  uint8_t backend_window_scale = 0;  // what the backend's SYN-ACK said (0 when none)
  uint8_t client_window_scale = 0;   // what gauntlet's SYN-ACK told the client (0 when none)
};

namespace splice_detail {

inline uint32_t get32(const uint8_t* p) noexcept {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
inline uint16_t word_at(const uint8_t* tcp, unsigned even) noexcept {
  return static_cast<uint16_t>(tcp[even] << 8 | tcp[even + 1]);
}

// Writes `bytes` bytes of `value` (big-endian) at tcp + offset and fixes the checksum.
inline void rewrite(uint8_t* tcp, unsigned offset, uint32_t value, unsigned bytes) noexcept {
  const unsigned first = offset & ~1u, last = (offset + bytes + 1) & ~1u;  // words [first, last)
  uint16_t old_words[4];
  for (unsigned w = first, i = 0; w < last; w += 2, ++i) old_words[i] = word_at(tcp, w);
  for (unsigned i = 0; i < bytes; ++i)
    tcp[offset + i] = static_cast<uint8_t>(value >> (8 * (bytes - 1 - i)));
  uint16_t sum = word_at(tcp, 16);
  for (unsigned w = first, i = 0; w < last; w += 2, ++i)
    sum = checksum_adjust(sum, old_words[i], word_at(tcp, w));
  tcp[16] = static_cast<uint8_t>(sum >> 8), tcp[17] = static_cast<uint8_t>(sum);
}

// Calls f(kind, offset of the option's first byte, option length) for each well-formed option.
template <typename F>
inline void each_option(const uint8_t* tcp, unsigned header_length, F&& f) noexcept {
  unsigned i = 20;
  while (i < header_length) {
    const uint8_t kind = tcp[i];
    if (kind == 0) return;
    if (kind == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= header_length) return;
    const uint8_t len = tcp[i + 1];
    if (len < 2 || i + len > header_length) return;
    f(kind, i, len);
    i += len;
  }
}

}  // namespace splice_detail

// A backend -> client segment, rewritten for the client.
inline void translate_to_client(uint8_t* tcp, unsigned header_length,
                                const SpliceOffsets& o) noexcept {
  using namespace splice_detail;
  rewrite(tcp, 4, get32(tcp + 4) + o.seq_delta, 4);
  each_option(tcp, header_length, [&](uint8_t kind, unsigned at, uint8_t len) noexcept {
    if (kind == 8 && len == 10) rewrite(tcp, at + 2, get32(tcp + at + 2) + o.ts_delta, 4);
  });
  if (o.backend_window_scale != o.client_window_scale) {
    const uint64_t bytes = uint64_t{word_at(tcp, 14)} << o.backend_window_scale;
    rewrite(tcp, 14,
            static_cast<uint32_t>(std::min<uint64_t>(bytes >> o.client_window_scale, 0xffff)), 2);
  }
}

// A client -> backend segment, rewritten for the backend.
inline void translate_to_backend(uint8_t* tcp, unsigned header_length,
                                 const SpliceOffsets& o) noexcept {
  using namespace splice_detail;
  if (tcp[13] & 0x10) rewrite(tcp, 8, get32(tcp + 8) - o.seq_delta, 4);  // only with ACK set
  each_option(tcp, header_length, [&](uint8_t kind, unsigned at, uint8_t len) noexcept {
    if (kind == 8 && len == 10) rewrite(tcp, at + 6, get32(tcp + at + 6) - o.ts_delta, 4);
    if (kind == 5 && (len - 2) % 8 == 0)
      for (unsigned e = at + 2; e < at + len; e += 4)
        rewrite(tcp, e, get32(tcp + e) - o.seq_delta, 4);
  });
}

}  // namespace gauntlet
