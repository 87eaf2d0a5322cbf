// One trial of the traffic generator: transmit the templates on one port at a set rate
// for a set time (paced by the TSC), receive on another, and count what came back. Runs on
// the calling lcore (TX and RX interleaved in one loop: two cores are the most a small
// machine can give a generator and the device under test together).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tools/trafficgen/traffic.h"

struct rte_mempool;

namespace trafficgen {

// Where the sender is in the templates: the next frame and how many passes over them are
// done. Kept across trials when the templates carry sequence numbers (HTTP mode): a trial
// goes on where the one before stopped, so no request is sent twice.
struct SendCursor {
  size_t next = 0;
  uint64_t pass = 0;
};

struct TrialConfig {
  uint16_t tx_port = 0;
  uint16_t rx_port = 1;
  double rate_pps = 0;           // 0: as fast as the TX path takes them
  double duration_s = 1;         // transmit time
  double drain_s = 0.2;          // receive time after the last transmit, for packets in flight
  SendCursor* cursor = nullptr;  // nullptr: each trial starts at the first frame
};

struct TrialResult {
  double offered_pps = 0;      // the rate asked for (0: unthrottled)
  double elapsed_s = 0;        // transmit time actually spent
  uint64_t sent = 0;           // accepted by the TX queue
  uint64_t tx_refused = 0;     // times the TX queue was full for a frame (offered again next)
  uint64_t unsent = 0;         // paced: frames of the schedule the TX queue never took
  uint64_t received = 0;       // frames received on the RX port, less `late` ones
  uint64_t late = 0;           // stamped by an earlier trial: arrived after its drain time
  uint64_t stamped = 0;        // received frames that carried this run's stamp
  uint64_t reordered = 0;      // stamped frames whose sequence was below one seen before
  uint64_t in_flight_max = 0;  // most frames sent and not yet received at once (lost: too)
  uint64_t bytes_sent = 0;
  // Latency of stamped frames (TX burst build -> RX burst), nanoseconds.
  double latency_min_ns = 0, latency_avg_ns = 0, latency_max_ns = 0;
  double latency_p50_ns = 0, latency_p99_ns = 0, latency_p999_ns = 0;

  uint64_t lost() const { return sent > received ? sent - received : 0; }
  double loss_ratio() const { return sent ? static_cast<double>(lost()) / sent : 0; }
  // What a search judges a trial by: frames of the schedule that were not forwarded, sent
  // or not (a link that will not take the offered load fails the trial as loss would).
  double schedule_loss_ratio() const {
    const uint64_t scheduled = sent + unsent;
    return scheduled ? static_cast<double>(lost() + unsent) / scheduled : 0;
  }
  double tx_pps() const { return elapsed_s > 0 ? sent / elapsed_s : 0; }
  double tx_gbps() const { return elapsed_s > 0 ? bytes_sent * 8 / elapsed_s / 1e9 : 0; }
};

TrialResult run_trial(const Templates& templates, rte_mempool* pool, const TrialConfig& cfg);

// Sends `frames` once on `port`, paced (32 frames, then 160 us; frames the port refuses are
// offered again, until it has taken nothing for a second), while receiving and freeing what arrives
// on `rx_a` and `rx_b`; then receives for `drain_s`. For handshakes before the trials.
struct SendOnceResult {
  uint64_t sent = 0;        // frames the port took
  uint64_t received_b = 0;  // frames that arrived on rx_b meanwhile
};
SendOnceResult send_once(const std::vector<std::vector<uint8_t>>& frames, uint16_t port,
                         uint16_t rx_a, uint16_t rx_b, rte_mempool* pool, double drain_s);

}  // namespace trafficgen
