// Drop capture, worker side. When a capture is on, the first bytes of every packet of a
// burst are kept before any stage runs: a stage may write an ICMP error, a TCP RST or an
// ARP request over the very packet it stops, and the capture must show what arrived. Once
// the burst is decided, each stopped packet of a captured layer is copied into a ring that
// the control core drains into a pcap (control/drop_capture.h).
// Allocated by the control core before the worker starts and owned by it; the worker only
// copies into preallocated slots: no allocation, no locks. A full ring counts the loss.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include <rte_mbuf.h>

#include "dataplane/pipeline/worker.h"

namespace gauntlet {

// The most bytes kept of one packet (pcap snap length); headers and the start of a request.
inline constexpr uint16_t kDropSnapLength = 512;
inline constexpr uint32_t kDropRingSize = 2048;

struct CapturedFrame {
  uint64_t time_ns = 0;  // dataplane clock when the packet arrived
  uint64_t sequence = 0;
  uint32_t frame_length = 0;  // the whole frame as it arrived
  uint16_t captured = 0;      // bytes in `data`
  uint8_t in_port = kNoPort;
  Layer layer = Layer::parse;
  Reason reason = Reason::none;
  uint8_t data[kDropSnapLength];
};

struct DropTap {
  DropTap(uint32_t layer_mask, uint16_t snap) : layers(layer_mask), snap_length(snap) {}

  const uint32_t layers;       // bit (1 << Layer): stops of that layer are captured
  const uint16_t snap_length;  // <= kDropSnapLength
  SpscRing<CapturedFrame> ring{kDropRingSize};
  Counter captured;                 // handed to the control core
  Counter lost;                     // the ring was full
  CapturedFrame heads[kBurstSize];  // this burst's packets as they arrived
};

// Before the stages: keeps the first bytes of each packet of the burst.
inline void drop_tap_snapshot(DropTap& t, const Burst& b) noexcept {
  for (uint16_t i = 0; i < b.count; ++i) {
    const rte_mbuf* m = b.mbufs[i];
    const uint16_t n = std::min<uint16_t>(rte_pktmbuf_data_len(m), t.snap_length);
    std::memcpy(t.heads[i].data, rte_pktmbuf_mtod(m, const uint8_t*), n);
    t.heads[i].captured = n;
  }
}

// After the stages, for packet `i` whose final step `last` stopped it.
inline void drop_tap_offer(DropTap& t, uint16_t i, const PacketContext& c, const Step& last,
                           uint32_t frame_length) noexcept {
  if (!(t.layers & (1u << static_cast<unsigned>(last.layer)))) return;
  CapturedFrame& f = t.heads[i];
  f.time_ns = c.time_ns;
  f.sequence = c.sequence;
  f.frame_length = frame_length;
  f.in_port = c.in_port;
  f.layer = last.layer;
  f.reason = last.reason;
  if (t.ring.push(f))
    t.captured.add();
  else
    t.lost.add();
}

}  // namespace gauntlet
