// The health monitor: decides when each checked backend is probed, what every answer means,
// and when a backend goes down or comes back (lb/health_state.h); also fires drain deadlines.
//
// Contract
// - Control core only (allocates). Time is the dataplane clock passed in: pcap time in
//   replay, so that a replay probes, times out and changes state at the same points every
//   run. Nothing here reads a wall clock.
// - The monitor starts at the first advance(): every checked backend is probed then, and
//   every `interval` after. A drain deadline counts from when the backend's draining began:
//   the start for a backend drained in the start config, else the reload (reconfigure())
//   that set its weight to 0; a reload that keeps it drained keeps that time.
// - reconfigure(next, now) follows a reload: state is keyed by service name + backend
//   address:port, so a backend that stays keeps its health, counts and probe in flight (its
//   probe restarts at `now` if its health settings changed), one that is new starts up (the
//   documented rule) and is probed at `now`, one that left is forgotten. The caller publishes
//   the new config with the reconfigured overlay; a copy of the monitor may be reconfigured
//   first and kept only once that publish succeeded (HealthDriver::reload).
// - advance(now) handles, in time order, every probe send, probe timeout and drain deadline
//   due at or before `now`; on_answer() takes a backend's answer (a probe_answer record).
//   Both queue segments for a worker to send (take_requests(): probe_send records, each
//   stamped with the time it is due) and state changes (take_transitions()).
// - overlay() is what the tables must reflect (build_tables' health overlay); changed() says
//   whether it moved since the last clear_changed().
// - Probe source ports rotate through the config's range; an answer to a port whose probe
//   has finished, or from another address/port, or with the wrong acknowledgement, is
//   ignored (a late answer never counts for a newer probe).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/control/tables.h"
#include "dataplane/lb/health_state.h"
#include "dataplane/pipeline/record.h"

namespace gauntlet {

inline constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();

struct HealthTransition {
  enum class Kind : uint8_t { health, drain_deadline };
  Kind kind = Kind::health;
  uint64_t time_ns = 0;
  uint16_t service = 0, backend = 0;
  std::string service_name, backend_name;  // "web", "10.0.0.11:80" / "[fd00::10]:80"
  BackendHealth from = BackendHealth::up, to = BackendHealth::up;
  std::string reason;
  uint32_t backends_up = 0;  // the service's backends that take new flows after the change
};

class HealthMonitor {
 public:
  explicit HealthMonitor(const Config& cfg);

  // Anything to do at all: a checked backend or a drain deadline.
  bool active() const noexcept;
  // The earliest time advance() has work; 0 before the first advance(); kNever when none.
  uint64_t next_due() const noexcept;
  void advance(uint64_t now);
  void on_answer(const Record& answer);
  // Follows a reload to `next` at dataplane time `now` (see the contract above).
  void reconfigure(const Config& next, uint64_t now);

  std::vector<Record> take_requests() { return std::exchange(requests_, {}); }
  std::vector<HealthTransition> take_transitions() { return std::exchange(transitions_, {}); }
  const HealthOverlay& overlay() const noexcept { return overlay_; }
  bool changed() const noexcept { return changed_; }
  void clear_changed() noexcept { changed_ = false; }
  BackendHealth health(size_t service, size_t backend) const noexcept {
    return overlay_.down[service][backend] ? BackendHealth::down : BackendHealth::up;
  }
  // When backend `backend` of service `service` began draining (kNever: not draining, or
  // drained from the start and the monitor not started yet).
  uint64_t drain_began(size_t service, size_t backend) const noexcept;

 private:
  enum class Phase : uint8_t { idle, syn_sent, request_sent };
  struct Probe {
    uint16_t service = 0, backend = 0;
    HealthConfig config;
    IpAddress address{};
    uint8_t version = 0;
    uint16_t backend_port = 0;    // with the address and service: the key across reloads
    uint16_t port = 0;            // the port probed
    uint32_t request_length = 0;  // http: bytes of the request
    HealthCounter counter;
    Phase phase = Phase::idle;
    uint64_t next_send_ns = 0, deadline_ns = kNever;
    uint16_t source_port = 0;
    uint32_t isn = 0;
  };
  // Every drained (weight 0) backend, with or without a deadline, so that a reload adding a
  // deadline counts it from when draining began.
  struct Drain {
    uint16_t service = 0, backend = 0;
    uint64_t after_ns = 0;       // the deadline after draining began; 0: none
    uint64_t began_ns = kNever;  // kNever: at the start (set by the first advance())
    uint64_t at_ns = kNever;     // began + after, once both are known
    bool fired = false;
  };

  void load(const Config& cfg);
  bool same_backend(const Probe& p, size_t service, const BackendConfig& b) const;
  void send(Probe& p, uint64_t now);
  void finish(Probe& p, bool ok, const std::string& cause, uint64_t now);
  void request(const Probe& p, uint8_t flags, uint32_t seq, uint32_t ack, bool http, uint64_t now);
  uint32_t backends_up(size_t service) const;
  HealthTransition transition(size_t service, size_t backend, uint64_t now) const;

  std::vector<ServiceConfig> services_;  // the config followed (a copy: reloads replace it)
  std::vector<Probe> probes_;
  std::vector<Drain> drains_;
  HealthOverlay overlay_;
  bool started_ = false, changed_ = false;
  uint16_t port_lo_ = 0;
  std::vector<int32_t> port_owner_;  // probe index per source port, -1: free
  uint32_t next_port_ = 0;
  uint64_t sent_ = 0;  // probes sent, seeds each probe's initial sequence number
  std::vector<Record> requests_;
  std::vector<HealthTransition> transitions_;
};

// "10.0.0.11:80" or "[fd00::10]:80": how events and the summary name a backend (defined in
// control/operations.cpp, declared there too).
std::string backend_name(const BackendConfig& b);

}  // namespace gauntlet
