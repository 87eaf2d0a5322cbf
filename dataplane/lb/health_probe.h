// Health probes on the wire: the worker side of the health checks (lb/health_monitor.h
// decides what to send and what an answer means).
//
// Contract
// - emit_probe() runs on the worker core that pops a RecordKind::probe_send record from its
//   from_control ring; it takes one mbuf from Worker::pool and stages it for TX on the inside
//   port. noexcept, no allocation besides the mbuf, no locks.
// - probe_answer_stage() runs on every worker, before conntrack: a TCP segment arriving on the
//   inside port for the inside address and a port of Tables::probe_port_lo..hi is an answer
//   to a probe. It is consumed (loadbalancer, lb:probe-answer) and handed to the control core
//   as a RecordKind::probe_answer record on to_control; it never creates a flow.
// - http_probe_request() is control-core code (allocates): the bytes an http check sends,
//   built once per generation so that the worker only copies them.
#pragma once

#include <string>

#include "dataplane/conntrack/tcp_state.h"  // kTcpSyn, kTcpAck, ...
#include "dataplane/control/config.h"
#include "dataplane/pipeline/context.h"
#include "dataplane/pipeline/record.h"

namespace gauntlet {

struct Worker;

// "GET <path> HTTP/1.1\r\nHost: <address>\r\nUser-Agent: gauntlet-health\r\nConnection:
// close\r\n\r\n"
std::string http_probe_request(const HealthConfig& h, const BackendConfig& b);

// Builds the segment `request` describes and stages it on the inside port at request.time_ns.
// Returns false (nothing sent) when the backend's MAC is unknown, the inside port has no
// address of the backend's family, the pool is empty or the TX stage is full: the monitor
// then sees a timeout, as it would for a lost packet.
bool emit_probe(Worker& w, const Record& request) noexcept;

// The status code of an "HTTP/1.x NNN" status line at the start of `payload`, else 0.
uint16_t http_status_of(const uint8_t* payload, uint32_t length) noexcept;

void probe_answer_stage(Worker& w, Burst& b) noexcept;

}  // namespace gauntlet
