// The WAF on proxied (l7-route) flows. A flow whose routed service has `waf:` on (else whose
// VIP has) gets a slot of the worker's WafFlows once its route is decided, and the client's
// bytes go through the same reader as the WAF stage's (waf/waf_reader.h: stream, parser,
// engine, scoring, detect-only, notes), numbered as the client numbers them (the same on
// both legs): first the held bytes, before any of them is replayed to the backend, then
// every client segment of the spliced flow (retransmissions, holes and overlaps as the L4
// path treats them). A reset is the L4 path's: the offending segment becomes the client's
// RST, the backend (when it has heard of the flow) gets one at its next expected byte, and
// later client segments stop (waf:flow-blocked). The slot goes back when the flow ends.
#include <rte_mbuf.h>

#include "dataplane/lb/tcp_reset.h"
#include "dataplane/proxy/proxy_internal.h"
#include "dataplane/waf/waf_reader.h"

namespace gauntlet {

static_assert(kNoWafSlot == 0xffffffffu, "ProxyFlow::waf_slot starts as kNoWafSlot");

namespace {

// Reads [seq, seq + len) of the client's stream into the flow's slot and adds the WAF's step
// to `c`. Returns the reason to reset the flow for, or Reason::none.
Reason read(Worker& w, PacketContext& c, ProxyFlow& f, uint32_t seq, const uint8_t* data,
            uint32_t len, WafNote& note) noexcept {
  const Tables& t = *w.tables;
  const ServiceWafPolicy* policy = t.waf_policy(f.waf_service);
  const WafEngine* engine = t.waf_engine();
  WafScratch* scratch = t.waf_scratch(w.id);
  if (!policy || !engine || !scratch) {  // a reload turned the WAF off for this service
    release_waf(w, f);
    f.waf = ProxyWaf::off;
    return Reason::none;
  }
  begin_waf_note(note);
  c.waf = &note;
  const WafReadResult r = waf_read(*engine, *scratch, *policy, w.waf.slot(f.waf_slot),
                                   w.waf.reorder(), seq, data, len, note);
  switch (r.stream) {
    case StreamResult::overflow:
      return Reason::waf_stream_overflow;
    case StreamResult::conflict:
      return Reason::waf_stream_conflict;
    case StreamResult::stopped:
      if (r.verdict != WafVerdict::passthrough) return waf_reset_reason(r.verdict);
      release_waf(w, f);  // encrypted from here on: nothing more to read
      f.waf = ProxyWaf::passthrough;
      c.decide(Layer::waf, Outcome::pass, Reason::waf_inspected);
      return Reason::none;
    case StreamResult::buffered:
      c.decide(Layer::waf, Outcome::pass, Reason::waf_buffered);
      return Reason::none;
    case StreamResult::delivered:
    case StreamResult::duplicate:
      break;
  }
  c.log = c.log || r.logged;
  c.decide(Layer::waf, Outcome::pass, r.logged ? Reason::waf_logged : Reason::waf_inspected);
  return Reason::none;
}

// The backend's RST at `seq` (its next expected byte), after `c`'s packet; `ack` with
// kTcpAck in `flags` once the backend's ISN is known.
bool reset_backend(Worker& w, PacketContext& c, const ProxyFlow& f, uint32_t seq, uint32_t ack,
                   uint8_t flags) noexcept {
  const Tables& t = *w.tables;
  const NextHop* hop = t.route(f.backend, f.version);
  if (!hop) return false;
  const MacAddress* mac =
      w.neighbours.lookup(hop->port, hop->has_gateway ? hop->gateway : f.backend, f.version);
  if (!mac) return false;
  SegmentSpec s = backend_leg_segment(t, f, hop->port, *mac);
  s.seq = seq;
  s.ack = ack;
  s.flags = flags;
  return send_segment(w, c, hop->port, s);
}

// The client's RST over its own segment `m`, and the WAF's stop.
void reset_client_segment(Worker& w, rte_mbuf* m, PacketContext& c, const ProxyFlow& f,
                          Reason why) noexcept {
  note_flow(c, f);
  if (write_tcp_reset(m, c.parsed, w.tables->ports[c.in_port].mac))
    c.stop_and_emit(Layer::waf, why, c.in_port);
  else
    c.decide(Layer::waf, Outcome::stop, why);
}

}  // namespace

void release_waf(Worker& w, ProxyFlow& f) noexcept {
  w.waf.release_slot(f.waf_slot);
  f.waf_slot = kNoWafSlot;
}

bool start_waf(Worker& w, ProxyFlow& f, uint16_t routed_service) noexcept {
  if (f.waf != ProxyWaf::unset) return true;
  const Tables& t = *w.tables;
  f.waf = ProxyWaf::off;
  if (!w.waf.active() || !t.waf_engine()) return true;
  if (t.waf_policy(routed_service))
    f.waf_service = routed_service;
  else if (t.waf_policy(f.vip_service))
    f.waf_service = f.vip_service;
  else
    return true;
  f.waf_slot = w.waf.acquire_slot(f.client_isn + 1);
  if (f.waf_slot == kNoWafSlot) return false;
  f.waf = ProxyWaf::inspecting;
  return true;
}

bool inspect_held(Worker& w, rte_mbuf* m, PacketContext& c, uint32_t i, WafNote& note) noexcept {
  ProxyFlow& f = w.proxy[i];
  if (f.waf != ProxyWaf::inspecting) return true;
  const uint32_t from = w.waf.slot(f.waf_slot).stream.next_seq() - (f.client_isn + 1);
  const uint32_t have = f.contiguous();
  if (static_cast<int32_t>(have - from) <= 0) return true;
  const Reason why =
      read(w, c, f, f.client_isn + 1 + from, w.proxy.buffer(i) + from, have - from, note);
  if (why == Reason::none) return true;
  // Nothing was replayed yet: a backend that has gauntlet's SYN expects the first byte.
  if (f.state == ProxyState::connecting)
    note.reset_backend = reset_backend(w, c, f, f.client_isn + 1, 0, kTcpRst);
  reset_client_segment(w, m, c, f, why);
  free_flow(w, i);
  return false;
}

bool inspect_spliced(Worker& w, rte_mbuf* m, PacketContext& c, uint32_t i, WafNote& note) noexcept {
  ProxyFlow& f = w.proxy[i];
  const ParsedPacket& p = c.parsed;
  if (f.waf == ProxyWaf::blocked) {
    note_flow(c, f);
    c.decide(Layer::waf, Outcome::stop, Reason::waf_flow_blocked);
    return false;
  }
  const auto len = static_cast<uint32_t>(p.l3_end - p.payload_offset);
  if (f.waf != ProxyWaf::inspecting || f.state != ProxyState::spliced || len == 0 ||
      (p.tcp_flags & kTcpRst))
    return true;
  const uint8_t* tcp = rte_pktmbuf_mtod_offset(m, const uint8_t*, p.l4_offset);
  const uint32_t before = w.waf.slot(f.waf_slot).stream.next_seq();
  const Reason why = read(w, c, f, load_be32(tcp + 4),
                          rte_pktmbuf_mtod_offset(m, const uint8_t*, p.payload_offset), len, note);
  if (why == Reason::none) return true;
  // The backend's ack space is its own: the client's ack less the splice's offset.
  note.reset_backend =
      reset_backend(w, c, f, before, load_be32(tcp + 8) - f.offsets.seq_delta, kTcpRst | kTcpAck);
  release_waf(w, f);
  f.waf = ProxyWaf::blocked;
  reset_client_segment(w, m, c, f, why);
  w.proxy.linger(i, c.time_ns + w.tables->proxy.linger_ns);
  return false;
}

}  // namespace gauntlet
