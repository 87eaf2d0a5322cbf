// The body stream: contract in waf_body_stream.h.
#include "dataplane/waf/waf_body_stream.h"

#include <algorithm>
#include <string_view>

#include "dataplane/waf/waf_batch.h"

namespace gauntlet {
namespace {

constexpr size_t kExcerptBefore = 48;  // bytes of context before a match's end

// What the match callback needs: the bytes being scanned and where they start in the stream
// (a match in bytes already gone gets no excerpt).
struct StreamScan {
  const WafEngine* engine;
  WafRequestState* state;
  const uint8_t* data;
  uint64_t start;
  size_t size;
};

int on_match(unsigned id, unsigned long long /*from*/, unsigned long long to, unsigned /*flags*/,
             void* context) noexcept {
  auto& c = *static_cast<StreamScan*>(context);
  const uint32_t rule = c.engine->pattern_rule[id];
  if (waf_rule_seen(*c.state, rule)) return 0;
  std::string_view excerpt;
  if (to > c.start && to <= c.start + c.size) {
    const size_t end = static_cast<size_t>(to - c.start);
    const size_t from = end > kExcerptBefore ? end - kExcerptBefore : 0;
    const size_t upto = std::min(c.size, from + kWafExcerptBytes);
    excerpt = {reinterpret_cast<const char*>(c.data) + from, upto - from};
  }
  waf_record(*c.engine, *c.state, rule, WafField::body, excerpt);
  return c.state->decision == WafDecision::block ? 1 : 0;  // nothing more to learn
}

// Bytes of the body the stream has seen: the buffered prefix, then what came after.
uint64_t stream_offset(const WafRequestState& st) noexcept {
  return st.body_length + st.body_streamed;
}

bool scan(const WafEngine& e, WafScratch& s, WafRequestState& st,
          std::span<const uint8_t> bytes) noexcept {
  StreamScan c{&e, &st, bytes.data(), stream_offset(st), bytes.size()};
  const hs_error_t r = hs_scan_stream(s.stream, reinterpret_cast<const char*>(bytes.data()),
                                      static_cast<unsigned>(bytes.size()), 0, s.hs, on_match, &c);
  return r == HS_SUCCESS || r == HS_SCAN_TERMINATED;
}

// Keeps the worker's stream as this request's state; false (stream closed) if it does not fit.
bool save(WafScratch& s, WafRequestState& st) noexcept {
  size_t used = 0;
  if (hs_compress_stream(s.stream, st.stream_state.data(), st.stream_state.size(), &used) !=
      HS_SUCCESS) {
    st.stream_state_length = 0;
    return false;
  }
  st.stream_state_length = static_cast<uint32_t>(used);
  return true;
}

bool restore(const WafEngine& e, WafScratch& s, WafRequestState& st) noexcept {
  if (st.stream_state_length == 0 || st.stream_engine != &e || s.stream == nullptr) return false;
  // Resetting the worker's stream would report the end-of-data matches of whichever flow used
  // it last: no callback for that.
  return hs_reset_and_expand_stream(s.stream, st.stream_state.data(), st.stream_state_length, s.hs,
                                    nullptr, nullptr) == HS_SUCCESS;
}

}  // namespace

bool waf_stream_start(const WafEngine& e, WafScratch& s, WafRequestState& st,
                      std::span<const uint8_t> prefix) noexcept {
  st.stream_engine = &e;
  st.stream_state_length = 0;
  if (e.body_stream == nullptr || s.stream == nullptr || st.stream_state.empty()) return false;
  if (hs_reset_stream(s.stream, 0, nullptr, nullptr, nullptr) != HS_SUCCESS) return false;
  // The prefix was matched already (block mode); rules seen there do not count twice. It is
  // scanned again so that the stream knows what a pattern crossing its end started with.
  StreamScan c{&e, &st, prefix.data(), 0, prefix.size()};
  const hs_error_t r = hs_scan_stream(s.stream, reinterpret_cast<const char*>(prefix.data()),
                                      static_cast<unsigned>(prefix.size()), 0, s.hs, on_match, &c);
  if (r != HS_SUCCESS && r != HS_SCAN_TERMINATED) return false;
  return st.decision == WafDecision::block || save(s, st);
}

void waf_stream_feed(const WafEngine& e, WafScratch& s, WafRequestState& st,
                     std::span<const uint8_t> bytes) noexcept {
  if (bytes.empty() || st.decision == WafDecision::block) return;
  if (!restore(e, s, st) || !scan(e, s, st, bytes)) {
    st.stream_state_length = 0;
    st.body_uninspected += bytes.size();
    return;
  }
  st.body_streamed += bytes.size();
  if (st.decision == WafDecision::block) {
    st.stream_state_length = 0;
    return;
  }
  save(s, st);
}

void waf_stream_finish(const WafEngine& e, WafScratch& s, WafRequestState& st) noexcept {
  if (st.decision == WafDecision::block || !restore(e, s, st)) {
    st.stream_state_length = 0;
    return;
  }
  StreamScan c{&e, &st, nullptr, stream_offset(st), 0};
  hs_reset_stream(s.stream, 0, s.hs, on_match, &c);
  st.stream_state_length = 0;
}

}  // namespace gauntlet
