// One paced trial (see trial.h).
#include "tools/trafficgen/trial.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

namespace trafficgen {

namespace {

constexpr uint16_t kBurst = 32;
// After its transmit time a paced trial goes on sending the rest of its schedule (the
// frames due in the last loop turn, or after the generator itself was descheduled) while
// the TX queue takes them, and for this long while the DUT holds the link back: frames it
// still refuses then count as unsent. 10 ms: 1% of a 1 s trial, the search's precision.
constexpr uint64_t kCatchUpMs = 10;
constexpr uint64_t kCatchUpMaxMs = 1000;  // a bound whatever happens

// Latency histogram: 64 octaves of 16 linear steps each (about 6% resolution), in TSC
// cycles; percentiles are read off the bucket's lower edge.
class Histogram {
 public:
  void add(uint64_t v) {
    ++buckets_[bucket(v)];
    ++count_;
    sum_ += static_cast<double>(v);
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }
  uint64_t count() const { return count_; }
  double mean() const { return count_ ? sum_ / count_ : 0; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  uint64_t percentile(double p) const {
    if (!count_) return 0;
    const auto rank = static_cast<uint64_t>(p * static_cast<double>(count_ - 1));
    uint64_t seen = 0;
    for (size_t b = 0; b < buckets_.size(); ++b) {
      seen += buckets_[b];
      if (seen > rank) return std::clamp(lower_edge(b), min_, max_);
    }
    return max_;
  }

 private:
  static size_t bucket(uint64_t v) {
    if (v < 16) return v;
    const int octave = 63 - __builtin_clzll(v);  // >= 4
    const uint64_t step = (v >> (octave - 4)) & 15;
    return static_cast<size_t>((octave - 3) * 16 + step);
  }
  static uint64_t lower_edge(size_t b) {
    if (b < 16) return b;
    const int octave = static_cast<int>(b / 16) + 3;
    return (uint64_t{16} + b % 16) << (octave - 4);
  }
  std::array<uint64_t, 64 * 16> buckets_{};
  uint64_t count_ = 0;
  double sum_ = 0;
  uint64_t min_ = std::numeric_limits<uint64_t>::max();
  uint64_t max_ = 0;
};

uint32_t sum16(const uint8_t* p, size_t n) {
  uint32_t acc = 0;
  for (size_t i = 0; i + 1 < n; i += 2) acc += (uint32_t{p[i]} << 8) | p[i + 1];
  return acc;
}

// Writes the stamp and adds its one's-complement sum into the L4 checksum (RFC 1624).
void stamp(uint8_t* frame, uint16_t at, uint16_t checksum_at, uint32_t sequence, uint64_t tsc) {
  const Stamp s{kStampMagic, sequence, tsc};
  std::memcpy(frame + at, &s, sizeof(s));
  if (!checksum_at) return;
  uint32_t acc = static_cast<uint16_t>(~((frame[checksum_at] << 8) | frame[checksum_at + 1]));
  acc += sum16(frame + at, sizeof(s));
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  uint16_t csum = static_cast<uint16_t>(~acc);
  if (csum == 0) csum = 0xffff;  // UDP: 0 would mean "no checksum"; same value for TCP
  frame[checksum_at] = static_cast<uint8_t>(csum >> 8);
  frame[checksum_at + 1] = static_cast<uint8_t>(csum);
}

// Adds `delta` to the 32-bit big-endian number at `at` and adjusts the L4 checksum at
// `checksum_at` by the change (RFC 1624, eqn. 3).
void advance32(uint8_t* frame, uint16_t at, uint16_t checksum_at, uint32_t delta) {
  uint8_t* p = frame + at;
  const uint32_t old = uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
  const uint32_t now = old + delta;
  p[0] = static_cast<uint8_t>(now >> 24), p[1] = static_cast<uint8_t>(now >> 16);
  p[2] = static_cast<uint8_t>(now >> 8), p[3] = static_cast<uint8_t>(now);
  uint8_t* c = frame + checksum_at;
  uint32_t acc = static_cast<uint16_t>(~(c[0] << 8 | c[1]));
  acc += static_cast<uint16_t>(~(old >> 16)) + static_cast<uint16_t>(~(old & 0xffff));
  acc += (now >> 16) + (now & 0xffff);
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  const auto csum = static_cast<uint16_t>(~acc);
  c[0] = static_cast<uint8_t>(csum >> 8), c[1] = static_cast<uint8_t>(csum);
}

uint16_t drop_received(uint16_t port) {
  rte_mbuf* bufs[kBurst];
  const uint16_t n = rte_eth_rx_burst(port, 0, bufs, kBurst);
  for (uint16_t i = 0; i < n; ++i) rte_pktmbuf_free(bufs[i]);
  return n;
}

struct Receiver {
  uint64_t run_tsc_start = 0;
  uint32_t max_sequence = 0;
  bool any = false;
  TrialResult* result = nullptr;
  Histogram latency;

  void poll(uint16_t port) {
    rte_mbuf* bufs[kBurst];
    const uint16_t n = rte_eth_rx_burst(port, 0, bufs, kBurst);
    if (!n) return;
    const uint64_t now = rte_rdtsc();
    for (uint16_t i = 0; i < n; ++i) {
      rte_mbuf* m = bufs[i];
      const uint32_t len = rte_pktmbuf_pkt_len(m);
      bool late = false;
      Stamp s;
      if (len >= kMinStampedFrame && m->nb_segs == 1) {
        // The sender put the stamp at (length - 16) rounded down to even.
        const auto* data = rte_pktmbuf_mtod(m, const uint8_t*);
        std::memcpy(&s, data + ((len - uint32_t{sizeof(s)}) & ~1u), sizeof(s));
        // A stamp older than this trial is a straggler of the one before, which counted it
        // as lost (it came after its drain time): not received here, where it would hide a
        // loss of this trial's own frames.
        late = s.magic == kStampMagic && s.tsc < run_tsc_start;
        if (s.magic == kStampMagic && !late && s.tsc <= now) {
          ++result->stamped;
          latency.add(now - s.tsc);
          if (any && s.sequence < max_sequence) ++result->reordered;
          if (!any || s.sequence > max_sequence) max_sequence = s.sequence;
          any = true;
        }
      }
      ++(late ? result->late : result->received);
      rte_pktmbuf_free(m);
    }
  }
};

}  // namespace

TrialResult run_trial(const Templates& t, rte_mempool* pool, const TrialConfig& cfg) {
  TrialResult r;
  r.offered_pps = cfg.rate_pps;
  Receiver rx;
  rx.result = &r;
  const uint64_t hz = rte_get_tsc_hz();
  const uint64_t start = rte_rdtsc();
  rx.run_tsc_start = start;
  const auto tx_cycles = static_cast<uint64_t>(cfg.duration_s * static_cast<double>(hz));
  const bool paced = cfg.rate_pps > 0;
  const double per_cycle = cfg.rate_pps / static_cast<double>(hz);
  // A paced trial's schedule: frame k is due at start + k / rate. A frame the TX queue
  // refuses is offered again next (a generator on a NIC waits for its TX ring the same way),
  // so a DUT that holds the link back delays frames, which their stamps (the scheduled time)
  // count as latency, rather than thinning the schedule out.
  const auto schedule = paced ? static_cast<uint64_t>(cfg.rate_pps * cfg.duration_s) : 0;
  const uint64_t give_up = tx_cycles + hz * kCatchUpMs / 1000;
  const uint64_t hard_stop = tx_cycles + hz * kCatchUpMaxMs / 1000;
  bool held_back = false;  // the last burst was refused in part
  SendCursor local;
  SendCursor& cursor = cfg.cursor ? *cfg.cursor : local;
  size_t& next = cursor.next;
  uint64_t now = start, last_send = start;
  rte_mbuf* bufs[kBurst];
  for (;;) {
    now = rte_rdtsc();
    const uint64_t at = now - start;
    if (paced ? r.sent >= schedule || (at >= give_up && held_back) || at >= hard_stop
              : at >= tx_cycles)
      break;
    uint64_t due = kBurst;
    if (paced) {
      const uint64_t target =
          at >= tx_cycles
              ? schedule
              : std::min(schedule, static_cast<uint64_t>(static_cast<double>(at) * per_cycle));
      due = target > r.sent ? std::min<uint64_t>(target - r.sent, kBurst) : 0;
    }
    if (due) {
      const auto n = static_cast<uint16_t>(due);
      if (rte_pktmbuf_alloc_bulk(pool, bufs, n) == 0) {
        for (uint16_t i = 0; i < n; ++i) {
          const std::vector<uint8_t>& f = t.frames[next];
          auto* data = reinterpret_cast<uint8_t*>(
              rte_pktmbuf_append(bufs[i], static_cast<uint16_t>(f.size())));
          std::memcpy(data, f.data(), f.size());
          const uint64_t k = r.sent + i;
          const uint64_t when =
              paced ? start + static_cast<uint64_t>(static_cast<double>(k) / per_cycle) : now;
          if (t.stamp_at[next])
            stamp(data, t.stamp_at[next], t.checksum_at[next], static_cast<uint32_t>(k), when);
          if (t.seq_at[next] && cursor.pass)
            advance32(data, t.seq_at[next], t.checksum_at[next],
                      static_cast<uint32_t>(cursor.pass * t.seq_step[next]));
          if (++next == t.frames.size()) next = 0, ++cursor.pass;
        }
        const uint16_t sent = rte_eth_tx_burst(cfg.tx_port, 0, bufs, n);
        r.sent += sent;
        for (uint16_t i = 0; i < sent; ++i) r.bytes_sent += rte_pktmbuf_pkt_len(bufs[i]);
        for (uint16_t i = sent; i < n; ++i) rte_pktmbuf_free(bufs[i]);
        r.tx_refused += n - sent;
        held_back = sent < n;
        if (sent) last_send = now;
        // The refused frames go again next, in order: a TCP stream (HTTP mode) must not skip
        // bytes, and a frame of the schedule is never dropped by the generator itself.
        for (uint16_t i = sent; i < n; ++i) {
          if (next == 0) next = t.frames.size(), --cursor.pass;
          --next;
        }
      }
    }
    // Before the poll: the high-water mark of what the links and the DUT hold (frames lost
    // on the way stay counted, so it is the peak plus the loss so far).
    r.in_flight_max = std::max(r.in_flight_max, r.sent - std::min(r.sent, r.received));
    rx.poll(cfg.rx_port);
  }
  if (paced) r.unsent = schedule - std::min(schedule, r.sent);
  const uint64_t tx_end = paced ? std::max(last_send, start + tx_cycles) : now;
  r.elapsed_s = static_cast<double>(tx_end - start) / static_cast<double>(hz);
  const uint64_t drain_end =
      rte_rdtsc() + static_cast<uint64_t>(cfg.drain_s * static_cast<double>(hz));
  while (rte_rdtsc() < drain_end) rx.poll(cfg.rx_port);

  const double ns_per_cycle = 1e9 / static_cast<double>(hz);
  r.latency_min_ns = static_cast<double>(rx.latency.min()) * ns_per_cycle;
  r.latency_avg_ns = rx.latency.mean() * ns_per_cycle;
  r.latency_max_ns = static_cast<double>(rx.latency.max()) * ns_per_cycle;
  r.latency_p50_ns = static_cast<double>(rx.latency.percentile(0.50)) * ns_per_cycle;
  r.latency_p99_ns = static_cast<double>(rx.latency.percentile(0.99)) * ns_per_cycle;
  r.latency_p999_ns = static_cast<double>(rx.latency.percentile(0.999)) * ns_per_cycle;
  return r;
}

SendOnceResult send_once(const std::vector<std::vector<uint8_t>>& frames, uint16_t port,
                         uint16_t rx_a, uint16_t rx_b, rte_mempool* pool, double drain_s) {
  SendOnceResult r;
  const uint64_t hz = rte_get_tsc_hz();
  const auto receive = [&] {
    drop_received(rx_a);
    if (rx_b != rx_a) r.received_b += drop_received(rx_b);
  };
  rte_mbuf* bufs[kBurst];
  uint64_t give_up = rte_rdtsc() + hz;  // a port that takes nothing for a second
  for (size_t at = 0; at < frames.size() && rte_rdtsc() < give_up;) {
    const auto n = static_cast<uint16_t>(std::min<size_t>(kBurst, frames.size() - at));
    if (rte_pktmbuf_alloc_bulk(pool, bufs, n) != 0) {
      receive();
      continue;
    }
    for (uint16_t i = 0; i < n; ++i) {
      const std::vector<uint8_t>& f = frames[at + i];
      std::memcpy(rte_pktmbuf_append(bufs[i], static_cast<uint16_t>(f.size())), f.data(), f.size());
    }
    const uint16_t took = rte_eth_tx_burst(port, 0, bufs, n);
    for (uint16_t i = took; i < n; ++i) rte_pktmbuf_free(bufs[i]);
    r.sent += took;
    at += took;
    if (took) give_up = rte_rdtsc() + hz;
    const uint64_t until = rte_rdtsc() + hz * 160 / 1000000;
    while (rte_rdtsc() < until) receive();
  }
  const uint64_t until = rte_rdtsc() + static_cast<uint64_t>(drain_s * static_cast<double>(hz));
  while (rte_rdtsc() < until) receive();
  return r;
}

}  // namespace trafficgen
