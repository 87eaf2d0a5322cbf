// The health monitor's schedule and answer handling; see health_monitor.h.
#include "dataplane/lb/health_monitor.h"

#include <fmt/format.h>

#include "dataplane/lb/health_probe.h"

namespace gauntlet {

namespace {

// splitmix64: initial sequence numbers that differ per probe and repeat per replay.
uint32_t initial_sequence(uint64_t n) noexcept {
  uint64_t z = n + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return static_cast<uint32_t>(z ^ (z >> 31));
}

}  // namespace

HealthMonitor::HealthMonitor(const Config& cfg) { load(cfg); }

void HealthMonitor::load(const Config& cfg) {
  services_ = cfg.services;
  probes_.clear();
  drains_.clear();
  overlay_ = {};
  port_lo_ = 0;
  port_owner_.clear();
  for (size_t s = 0; s < cfg.services.size(); ++s) {
    const ServiceConfig& svc = cfg.services[s];
    overlay_.down.emplace_back(svc.backends.size(), 0);
    overlay_.drain_expired.emplace_back(svc.backends.size(), 0);
    if (svc.probe_port_lo) {
      port_lo_ = svc.probe_port_lo;
      port_owner_.assign(size_t{svc.probe_port_hi} - svc.probe_port_lo + 1, -1);
    }
    for (size_t i = 0; i < svc.backends.size(); ++i) {
      const BackendConfig& b = svc.backends[i];
      if (b.health) {
        Probe p;
        p.service = static_cast<uint16_t>(s);
        p.backend = static_cast<uint16_t>(i);
        p.config = *b.health;
        p.address = b.address;
        p.version = b.version;
        p.backend_port = b.port;
        p.port = b.health->port ? b.health->port : b.port;
        if (b.health->type == HealthConfig::Type::http)
          p.request_length = static_cast<uint32_t>(http_probe_request(*b.health, b).size());
        probes_.push_back(p);
      }
      if (b.weight == 0) {
        Drain d;
        d.service = static_cast<uint16_t>(s);
        d.backend = static_cast<uint16_t>(i);
        d.after_ns = b.drain_deadline_ns;
        drains_.push_back(d);
      }
    }
  }
  if (port_owner_.empty())
    next_port_ = 0;
  else
    next_port_ %= static_cast<uint32_t>(port_owner_.size());
}

bool HealthMonitor::active() const noexcept {
  if (!probes_.empty()) return true;
  for (const Drain& d : drains_)
    if (d.after_ns) return true;
  return false;
}

uint64_t HealthMonitor::drain_began(size_t service, size_t backend) const noexcept {
  for (const Drain& d : drains_)
    if (d.service == service && d.backend == backend) return d.began_ns;
  return kNever;
}

uint64_t HealthMonitor::next_due() const noexcept {
  if (!active()) return kNever;
  if (!started_) return 0;
  uint64_t due = kNever;
  for (const Probe& p : probes_)
    due = std::min(due, p.phase == Phase::idle ? p.next_send_ns : p.deadline_ns);
  for (const Drain& d : drains_)
    if (!d.fired) due = std::min(due, d.at_ns);
  return due;
}

void HealthMonitor::advance(uint64_t now) {
  if (!started_) {
    started_ = true;
    for (Probe& p : probes_) p.next_send_ns = now;
    for (Drain& d : drains_) {
      if (d.began_ns == kNever) d.began_ns = now;  // drained in the start config
      if (d.after_ns) d.at_ns = d.began_ns + d.after_ns;
    }
  }
  // One event at a time, earliest first, so that every send, timeout and deadline carries
  // the time it was due (ties: probes in config order, then drains).
  for (;;) {
    uint64_t due = kNever;
    Probe* probe = nullptr;
    Drain* drain = nullptr;
    for (Probe& p : probes_) {
      const uint64_t t = p.phase == Phase::idle ? p.next_send_ns : p.deadline_ns;
      if (t < due) due = t, probe = &p;
    }
    for (Drain& d : drains_)
      if (!d.fired && d.at_ns < due) due = d.at_ns, probe = nullptr, drain = &d;
    if (due > now) return;
    if (drain) {
      drain->fired = true;
      overlay_.drain_expired[drain->service][drain->backend] = 1;
      changed_ = true;
      HealthTransition t = transition(drain->service, drain->backend, due);
      t.kind = HealthTransition::Kind::drain_deadline;
      t.reason = fmt::format(
          "drain deadline of {} s passed: flows still pinned are reset on their next packet",
          static_cast<double>(drain->after_ns) / 1e9);
      transitions_.push_back(std::move(t));
    } else if (probe->phase == Phase::idle) {
      send(*probe, due);
    } else {
      if (probe->phase == Phase::request_sent)  // leave the backend no half-open connection
        request(*probe, kTcpRst, probe->isn + 1 + probe->request_length, 0, false, due);
      finish(*probe, false, "timeout", due);
    }
  }
}

void HealthMonitor::send(Probe& p, uint64_t now) {
  // The next free port of the range after the last one used: a port is reused only once
  // every other one has been, and never while its probe is in flight.
  const uint32_t size = static_cast<uint32_t>(port_owner_.size());
  for (uint32_t tries = 0; tries < size; ++tries, next_port_ = (next_port_ + 1) % size) {
    if (port_owner_[next_port_] >= 0) continue;
    port_owner_[next_port_] = static_cast<int32_t>(&p - probes_.data());
    p.source_port = static_cast<uint16_t>(port_lo_ + next_port_);
    next_port_ = (next_port_ + 1) % size;
    break;
  }
  p.isn = initial_sequence(sent_++);
  p.phase = Phase::syn_sent;
  p.deadline_ns = now + p.config.timeout_ns;
  p.next_send_ns = now + p.config.interval_ns;
  request(p, kTcpSyn, p.isn, 0, false, now);
}

void HealthMonitor::request(const Probe& p, uint8_t flags, uint32_t seq, uint32_t ack, bool http,
                            uint64_t now) {
  Record r;
  r.kind = RecordKind::probe_send;
  r.ip_version = p.version;
  r.l4_proto = 6;
  r.dst = p.address;
  r.src_port = p.source_port;
  r.dst_port = p.port;
  r.time_ns = now;
  r.lb_service = p.service;
  r.lb_backend = p.backend;
  r.probe.tcp_flags = flags;
  r.probe.seq = seq;
  r.probe.ack = ack;
  r.probe.http_request = http;
  requests_.push_back(r);
}

void HealthMonitor::on_answer(const Record& a) {
  if (a.dst_port < port_lo_ || size_t{a.dst_port} - port_lo_ >= port_owner_.size()) return;
  const int32_t owner = port_owner_[a.dst_port - port_lo_];
  if (owner < 0) return;  // that probe has finished: a late or stray answer
  Probe& p = probes_[static_cast<size_t>(owner)];
  if (a.src != p.address || a.ip_version != p.version || a.src_port != p.port) return;
  const uint8_t flags = a.probe.tcp_flags;
  if (flags & kTcpRst) {
    // RFC 9293 3.10.7.3: in SYN-SENT a reset counts only if it acknowledges our SYN.
    if (p.phase == Phase::syn_sent && (!(flags & kTcpAck) || a.probe.ack != p.isn + 1)) return;
    finish(p, false, "connection refused (RST)", a.time_ns);
    return;
  }
  if (p.phase == Phase::syn_sent) {
    if ((flags & (kTcpSyn | kTcpAck)) != (kTcpSyn | kTcpAck) || a.probe.ack != p.isn + 1) return;
    if (p.config.type == HealthConfig::Type::tcp) {
      request(p, kTcpRst, p.isn + 1, 0, false, a.time_ns);  // connected: that is all we asked
      finish(p, true, "", a.time_ns);
    } else {
      request(p, kTcpAck | kTcpPsh, p.isn + 1, a.probe.seq + 1, true, a.time_ns);
      p.phase = Phase::request_sent;
    }
  } else if (p.phase == Phase::request_sent && a.probe.payload_length > 0) {
    request(p, kTcpRst, p.isn + 1 + p.request_length, 0, false, a.time_ns);
    const uint16_t status = a.probe.http_status;
    if (status == p.config.expect_status)
      finish(p, true, "", a.time_ns);
    else if (status == 0)
      finish(p, false, "answer is not an HTTP status line", a.time_ns);
    else
      finish(p, false, fmt::format("status {} (expected {})", status, p.config.expect_status),
             a.time_ns);
  }
}

void HealthMonitor::finish(Probe& p, bool ok, const std::string& cause, uint64_t now) {
  p.phase = Phase::idle;
  p.deadline_ns = kNever;
  port_owner_[p.source_port - port_lo_] = -1;
  if (!p.counter.record(ok, p.config.rise, p.config.fall)) return;
  const bool down = p.counter.state == BackendHealth::down;
  overlay_.down[p.service][p.backend] = down ? 1 : 0;
  changed_ = true;
  HealthTransition t = transition(p.service, p.backend, now);
  t.from = down ? BackendHealth::up : BackendHealth::down;
  t.to = p.counter.state;
  t.reason = down ? fmt::format("{} probes failed in a row, the last: {}", p.config.fall, cause)
                  : fmt::format("{} probes passed in a row", p.config.rise);
  transitions_.push_back(std::move(t));
}

uint32_t HealthMonitor::backends_up(size_t service) const {
  const ServiceConfig& svc = services_[service];
  uint32_t up = 0;
  for (size_t i = 0; i < svc.backends.size(); ++i)
    up += svc.backends[i].weight > 0 && !overlay_.down[service][i];
  return up;
}

HealthTransition HealthMonitor::transition(size_t service, size_t backend, uint64_t now) const {
  HealthTransition t;
  t.time_ns = now;
  t.service = static_cast<uint16_t>(service);
  t.backend = static_cast<uint16_t>(backend);
  t.service_name = services_[service].name;
  t.backend_name = backend_name(services_[service].backends[backend]);
  t.from = t.to = overlay_.down[service][backend] ? BackendHealth::down : BackendHealth::up;
  t.backends_up = backends_up(service);
  return t;
}

}  // namespace gauntlet
