#include "dataplane/waf/waf_reader.h"

#include <algorithm>
#include <cstring>

namespace gauntlet {

namespace {

void note_request(WafNote& n, const WafFlowSlot& s) noexcept {
  const WafRequestState& st = s.state;
  n.has_request = true;
  n.request = s.request_index;
  n.score = st.score;
  n.match_count = st.match_count;
  for (uint8_t i = 0; i < st.match_count; ++i)
    n.rules[i] = st.matches[i].rule, n.fields[i] = st.matches[i].field;
  n.excerpt_length = st.excerpt_length;
  std::memcpy(n.excerpt, st.excerpt, st.excerpt_length);
}

void note_hello(WafNote& n, const TlsClientHello& h) noexcept {
  n.has_hello = true;
  const std::string_view sni = h.sni();
  n.sni_length = static_cast<uint8_t>(std::min(sni.size(), kWafNoteSniBytes));
  std::memcpy(n.sni, sni.data(), n.sni_length);
  if (const auto alpn = h.alpn_protocols(); !alpn.empty()) {
    n.alpn_length = static_cast<uint8_t>(std::min(alpn[0].size(), kWafNoteAlpnBytes));
    std::memcpy(n.alpn, alpn[0].data(), n.alpn_length);
  }
}

// Takes the in-order bytes TcpStream delivers; false stops the delivery (a final verdict).
struct Reader {
  const WafEngine& engine;
  WafScratch& scratch;
  const ServiceWafPolicy& policy;
  WafFlowSlot& slot;
  WafNote& note;
  WafVerdict verdict = WafVerdict::none;
  bool logged = false;  // a request passed with an event
  bool noted = false;   // the note holds a decided request: later requests leave it alone

  bool operator()(const uint8_t* data, size_t len) noexcept {
    if (len == 0) return true;
    if (slot.kind == WafStreamKind::unknown)
      slot.kind = data[0] == 22 ? WafStreamKind::tls : WafStreamKind::http;  // a handshake record
    return slot.kind == WafStreamKind::tls ? hello(data, len) : http(data, len);
  }

  bool hello(const uint8_t* data, size_t len) noexcept {
    switch (slot.tls.feed(data, len)) {
      case TlsHelloStatus::need_more:
        return true;
      case TlsHelloStatus::done:
        note_hello(note, slot.tls.hello());
        verdict = policy.sni_allowed(slot.tls.hello().sni()) ? WafVerdict::passthrough
                                                             : WafVerdict::sni_denied;
        return false;
      default:  // not_tls after a first byte of 22, or malformed: a record that lies
        note.violation_kind = WafViolationKind::tls;
        note.violation = static_cast<uint8_t>(slot.tls.status() == TlsHelloStatus::malformed
                                                  ? slot.tls.reason()
                                                  : TlsMalformed::record_version);
        verdict = WafVerdict::violation;
        return false;
    }
  }

  bool http(const uint8_t* data, size_t len) noexcept {
    size_t used = 0;
    HttpEvent ev;
    for (;;) {
      used += slot.parser.next(data + used, len - used, ev);
      if (ev.kind == HttpEventKind::none) return true;
      if (!event(slot.parser.request(), ev)) return false;
    }
  }

  bool event(const HttpRequest& request, const HttpEvent& ev) noexcept {
    WafRequestState& st = slot.state;
    if (request.index != slot.request_index) {  // the first event of a new request
      slot.request_index = request.index;
      st.reset();
      st.threshold = policy.threshold;
      st.detect_only = policy.detect_only;
    }
    // Terminal violations go to the engine too: a rule may name them (and block first).
    if (st.decision == WafDecision::undecided) {
      const WafDecision d = waf_inspect(engine, scratch, st, request, ev);
      if (d == WafDecision::block) {
        note_request(note, slot);
        verdict = WafVerdict::blocked;
        return false;
      }
      if (d == WafDecision::pass && st.logged && !noted)
        note_request(note, slot), logged = noted = true;
    }
    if (ev.kind == HttpEventKind::error) {
      if (!noted) note_request(note, slot);
      note.violation_kind = WafViolationKind::http;
      note.violation = static_cast<uint8_t>(ev.violation);
      verdict = WafVerdict::violation;
      return false;
    }
    return true;
  }
};

}  // namespace

void begin_waf_note(WafNote& n) noexcept {
  n.request = 0;
  n.score = 0;
  n.match_count = n.excerpt_length = n.sni_length = n.alpn_length = 0;
  n.violation_kind = WafViolationKind::none;
  n.violation = 0;
  n.has_request = n.has_hello = n.reset_backend = false;
}

WafReadResult waf_read(const WafEngine& engine, WafScratch& scratch, const ServiceWafPolicy& policy,
                       WafFlowSlot& slot, ReorderPool& reorder, uint32_t seq, const uint8_t* data,
                       uint32_t len, WafNote& note) noexcept {
  Reader reader{engine, scratch, policy, slot, note};
  WafReadResult r;
  r.stream = slot.stream.accept(reorder, seq, data, len, reader);
  r.verdict = reader.verdict;
  r.logged = reader.logged;
  if ((r.stream == StreamResult::delivered || r.stream == StreamResult::duplicate) &&
      slot.kind == WafStreamKind::http && !reader.noted && slot.request_index != ~uint64_t{0})
    note_request(note, slot);
  return r;
}

Reason waf_reset_reason(WafVerdict v) noexcept {
  switch (v) {
    case WafVerdict::blocked:
      return Reason::waf_blocked;
    case WafVerdict::sni_denied:
      return Reason::waf_sni_denied;
    default:
      return Reason::waf_protocol_violation;
  }
}

}  // namespace gauntlet
