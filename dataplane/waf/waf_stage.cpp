// WAF stage: the client -> server bytes of every flow to a service with `waf:` on, as the
// backend will read them (TcpStream puts them in order), go through the HTTP request parser
// into the engine (waf_inspect), or, for TLS, through the ClientHello accumulator into the
// service's SNI lists. Runs after conntrack_commit (a SYN's flow exists: its ISN is kept)
// and before NAT (the packet still goes to the VIP).
//
// Outcomes, per packet of such a flow:
// - pass: waf:inspected (bytes read, nothing final against them), waf:buffered (ahead of a
//   hole: kept, and forwarded, since the backend cannot read it before the segment that fills
//   the hole, which is inspected first), waf:passthrough (TLS after an allowed ClientHello),
//   waf:logged (a request the engine let pass with an event: detect-only, log rules);
// - reset: the segment is dropped, its client gets a RST in its place, the backend a RST at
//   its next expected byte, and the flow is marked blocked: waf:blocked (the engine),
//   waf:protocol-violation (a terminal HTTP violation, a malformed ClientHello),
//   waf:sni-denied, waf:stream-overflow and waf:stream-conflict (TcpStream's budgets and
//   overlap policy), waf:flows-exhausted (no slot left: fail closed);
// - stop: waf:flow-blocked (later packets of a reset flow), waf:data-after-close (bytes past
//   the client's FIN), waf:fragment-dropped (IP fragments to a WAF service's VIP: a request
//   must not slip past inspection in pieces the stream never sees), waf:protocol-violation
//   for a SYN that carries data (TCP Fast Open: the client retries without it).
// Segments without payload (handshake, ACKs, FIN) get no WAF step.
#include <rte_mbuf.h>

#include "dataplane/lb/tcp_reset.h"
#include "dataplane/pipeline/stages.h"
#include "dataplane/waf/waf_reader.h"
#include "dataplane/waf/waf_reset.h"

namespace gauntlet {

namespace {

constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04;

// Ends the flow: RST to the backend (a new segment), RST to the client (this segment,
// rewritten), the flow marked blocked and expiring as a closed one.
void reset_flow(Worker& w, rte_mbuf* m, PacketContext& c, Reason why, uint32_t backend_seq,
                WafNote& note) noexcept {
  const Tables& t = *w.tables;
  const ParsedPacket& p = c.parsed;
  FlowEntry& e = *c.flow;
  e.waf_blocked = 1;
  w.flows.set_expiry(e, c.time_ns + uint64_t{t.conntrack.timeouts.tcp_close_s} * kNsPerSecond);
  w.waf.release(w.flows.index_of(e));
  const uint8_t* tcp = rte_pktmbuf_mtod_offset(m, const uint8_t*, p.l4_offset);
  BackendReset r{p.ip_version,       p.src, e.nat_addr, p.src_port, e.nat_port, backend_seq,
                 load_be32(tcp + 8), {},    {}};
  if (const NextHop* route = t.route(e.nat_addr, p.ip_version)) {
    const MacAddress* mac = w.neighbours.lookup(
        route->port, route->has_gateway ? route->gateway : e.nat_addr, p.ip_version);
    if (mac) {
      r.src_mac = t.ports[route->port].mac;
      r.dst_mac = *mac;
      rte_mbuf* reset = make_backend_reset(w.pool, r);  // sent after this packet's own RST
      if (reset) add_companion(c, reset, route->port);
      note.reset_backend = reset != nullptr;
      if (!reset && w.pool) w.counters.mbuf_alloc_failed.add();
    }
  }
  if (write_tcp_reset(m, p, t.ports[c.in_port].mac))
    c.stop_and_emit(Layer::waf, why, c.in_port);
  else
    c.decide(Layer::waf, Outcome::stop, why);
}

void inspect(Worker& w, rte_mbuf* m, PacketContext& c, const ServiceWafPolicy& policy,
             const WafEngine& engine, WafScratch& scratch, WafNote& note) noexcept {
  const ParsedPacket& p = c.parsed;
  FlowEntry& e = *c.flow;
  const uint32_t entry = w.flows.index_of(e);
  WafFlowRef& ref = w.waf.ref(entry);
  if (e.waf_blocked) {
    w.flows.set_expiry(
        e, c.time_ns + uint64_t{w.tables->conntrack.timeouts.tcp_close_s} * kNsPerSecond);
    c.decide(Layer::waf, Outcome::stop, Reason::waf_flow_blocked);
    return;
  }
  const uint8_t* tcp = rte_pktmbuf_mtod_offset(m, const uint8_t*, p.l4_offset);
  const uint32_t seq = load_be32(tcp + 4);
  const auto len = static_cast<uint32_t>(p.l3_end - p.payload_offset);
  if (p.tcp_flags & kSyn) {
    if (ref.phase == WafPhase::none || ref.phase == WafPhase::handshake)
      ref = {kNoWafSlot, seq + 1, WafPhase::handshake};
    // Data on a SYN (TCP Fast Open) is read by some backends and dropped by others: the WAF
    // cannot know which copy of those bytes the backend keeps. The client retries without.
    if (len) c.decide(Layer::waf, Outcome::stop, Reason::waf_protocol_violation);
    return;
  }
  if (p.tcp_flags & kRst) {  // the client gave up: nothing more of it will be read
    w.waf.release(entry);
    ref.phase = WafPhase::finished;
    ref.seq = seq;
    return;
  }
  if (len == 0 && !(p.tcp_flags & kFin)) return;  // an ACK: nothing to read
  if (ref.phase == WafPhase::passthrough) {
    if (len) c.decide(Layer::waf, Outcome::pass, Reason::waf_passthrough);
    return;
  }
  if (ref.phase == WafPhase::finished) {
    // Retransmitted bytes the stream already read pass; anything past its end does not.
    if (static_cast<int32_t>(seq + len - ref.seq) <= 0) {
      if (len) c.decide(Layer::waf, Outcome::pass, Reason::waf_inspected);
    } else {
      c.decide(Layer::waf, Outcome::stop, Reason::waf_data_after_close);
    }
    return;
  }
  if (ref.phase != WafPhase::inspecting) {
    if (len == 0) {  // FIN before any byte
      ref = {kNoWafSlot, seq, WafPhase::finished};
      return;
    }
    // Mid-stream (no SYN seen: the flow predates WAF on its service): from this byte on.
    if (!w.waf.acquire(entry, ref.phase == WafPhase::handshake ? ref.seq : seq)) {
      reset_flow(w, m, c, Reason::waf_flows_exhausted, seq, note);
      return;
    }
  }
  WafFlowSlot& slot = w.waf.slot(ref.slot);
  const uint32_t before = slot.stream.next_seq();
  const uint8_t* data = rte_pktmbuf_mtod_offset(m, const uint8_t*, p.payload_offset);
  const WafReadResult r =
      waf_read(engine, scratch, policy, slot, w.waf.reorder(), seq, data, len, note);
  switch (r.stream) {
    case StreamResult::overflow:
      reset_flow(w, m, c, Reason::waf_stream_overflow, before, note);
      return;
    case StreamResult::conflict:
      reset_flow(w, m, c, Reason::waf_stream_conflict, before, note);
      return;
    case StreamResult::stopped:
      if (r.verdict != WafVerdict::passthrough) {
        reset_flow(w, m, c, waf_reset_reason(r.verdict), before, note);
        return;
      }
      w.waf.release(entry);  // encrypted from here on: nothing more to read
      ref.phase = WafPhase::passthrough;
      c.decide(Layer::waf, Outcome::pass, Reason::waf_inspected);
      return;
    case StreamResult::buffered:
      c.decide(Layer::waf, Outcome::pass, Reason::waf_buffered);
      return;
    case StreamResult::delivered:
    case StreamResult::duplicate:
      break;
  }
  if ((p.tcp_flags & kFin) && slot.stream.next_seq() == seq + len) {
    ref.seq = seq + len;  // everything up to the FIN was read
    w.waf.release(entry);
    ref.phase = WafPhase::finished;
  }
  if (len == 0) return;
  c.log = c.log || r.logged;
  c.decide(Layer::waf, Outcome::pass, r.logged ? Reason::waf_logged : Reason::waf_inspected);
}

}  // namespace

void waf_stage(Worker& w, Burst& b) noexcept {
  if (!w.waf.active()) return;
  const Tables& t = *w.tables;
  const WafEngine* engine = t.waf_engine();
  WafScratch* scratch = t.waf_scratch(w.id);
  if (!engine || !scratch) return;  // config validation: WAF services need the waf: section
  for (uint16_t i = 0; i < b.count; ++i) {
    PacketContext& c = b.ctx[i];
    const ParsedPacket& p = c.parsed;
    if (c.final || c.direction != Direction::ingress || p.ip_version == 0) continue;
    if (p.has(kParseFragment) && t.waf_inspects_vip(p.dst, p.ip_version)) {
      c.decide(Layer::waf, Outcome::stop, Reason::waf_fragment_dropped);
      continue;
    }
    if (!c.flow || c.tracking != Tracking::tracked || p.l4_proto != 6 ||
        c.flow_dir != static_cast<uint8_t>(FlowDirection::original) ||
        c.flow->nat() != NatKind::destination)
      continue;
    // This generation's settings (a reload may have changed them); the pool is the worker's.
    const ServiceWafPolicy* policy = t.waf_policy(c.flow->backend >> 16);
    if (!policy) continue;
    WafNote& note = w.waf_notes[i];
    begin_waf_note(note);
    const uint8_t steps = c.step_count;
    inspect(w, b.mbufs[i], c, *policy, *engine, *scratch, note);
    if (c.step_count != steps) c.waf = &note;  // the WAF decided something about it
  }
}

}  // namespace gauntlet
