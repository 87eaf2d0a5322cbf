// The WAF's inspection engine: rules compiled into Hyperscan databases (immutable, built on
// the control core, published with the config generation), per-worker scanning resources,
// and the per-request evaluation state an inspected flow carries.
//
// How the dataplane drives it, per inspected flow (client -> server bytes, in order):
//   reassembled bytes -> HttpRequestParser -> every HttpEvent -> waf_inspect() -> WafDecision
// A decision other than `undecided` is final for the request; `block` makes the dataplane
// drop the segment, reset both ends and emit an event built from WafRequestState.
//
// Threads: a WafEngine is read-only after build and shared by all workers. A WafScratch
// belongs to one worker. A WafRequestState belongs to one flow (so to one worker).
// Hot path functions are noexcept and allocate nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/waf/http_request.h"

namespace gauntlet {

class WafEngine;
struct WafConfig;  // control/config.h: the `waf:` section (rule files, threshold, mode, limits)

enum class WafDecision : uint8_t {
  undecided,  // nothing final yet: keep feeding
  pass,       // the request is complete and under the threshold (or detect-only)
  block,      // the score reached the threshold, and the request is not detect-only
};

inline constexpr size_t kWafMaxMatches = 8;     // rule matches kept per request, for the event
inline constexpr size_t kWafExcerptBytes = 64;  // bytes of matched text kept for the event
// Bytes of compressed Hyperscan stream state a flow keeps for its body stream. An engine
// whose body rules need more does not build (the error says how much they need).
inline constexpr size_t kWafStreamStateBytes = 2048;

// The evaluation of one request. Fixed size apart from the two buffers it is given.
struct WafMatch {
  uint32_t rule = 0;  // index into WafEngine's rules
  uint8_t field = 0;  // WafField of the match
};

// Rules an engine may hold: WafRequestState keeps one "already matched" bit per rule, so a
// rule adds its score once per request however many fields it matches.
inline constexpr size_t kWafMaxRules = 1024;

struct WafRequestState {
  // Set by the dataplane from the service's settings before the first event of each request;
  // reset() keeps them.
  uint32_t threshold = 5;    // block when score >= threshold (0 is read as 1)
  bool detect_only = false;  // never block: reaching the threshold only sets `logged`
  WafDecision decision = WafDecision::undecided;  // final once not undecided
  uint32_t score = 0;
  uint8_t match_count = 0;  // matches kept (up to kWafMaxMatches; score counts all)
  WafMatch matches[kWafMaxMatches];
  uint8_t excerpt_length = 0;  // of the first match's field text around the match, raw bytes
  char excerpt[kWafExcerptBytes];
  bool logged = false;  // a log-action rule matched (an event even when passing)
  // Body inspection buffer (given by the owner, e.g. a per-flow pool slot; may be empty).
  // The body is buffered up to body_buffer.size() (the engine's body_inspect_bytes) and
  // matched with every body rule when the buffer is full or the request completes,
  // whichever comes first. A body longer than the buffer is then streamed to its end through
  // the rules that name the `body` field (Hyperscan streaming mode, from the body's first
  // byte, so a match may span the buffer's end): their state between segments is kept
  // compressed in stream_state (given by the owner, kWafStreamStateBytes). Bytes no rule saw
  // (no stream_state, or the engine changed under a request) are counted in
  // body_uninspected.
  std::span<uint8_t> body_buffer;
  size_t body_length = 0;
  uint64_t body_uninspected = 0;
  bool body_inspected = false;
  std::span<char> stream_state;
  uint32_t stream_state_length = 0;            // 0: no stream open
  const WafEngine* stream_engine = nullptr;    // the engine the open stream belongs to
  uint64_t body_streamed = 0;                  // bytes past the buffer matched in the stream
  uint64_t rule_seen[kWafMaxRules / 64] = {};  // rules that matched in this request
  // New request on the same connection: everything but the buffer, threshold and
  // detect_only is cleared.
  void reset() noexcept;
};

// Per-worker scanning resources (Hyperscan scratch for every database of one engine).
// Control core: allocate with make_waf_scratch(engine) for each worker, again after a reload
// publishes a new engine (hs_clone_scratch / hs_alloc_scratch).
class WafScratch;
void destroy_waf_scratch(WafScratch* scratch) noexcept;
struct WafScratchDeleter {
  void operator()(WafScratch* s) const noexcept { destroy_waf_scratch(s); }
};
using WafScratchPtr = std::unique_ptr<WafScratch, WafScratchDeleter>;
// nullptr only when Hyperscan cannot allocate (out of memory).
WafScratchPtr make_waf_scratch(const WafEngine& engine);

// Where Hyperscan's time goes, per joined buffer: for each form (raw, normalised), lane and
// tier, the block-mode scans made, the bytes scanned and the TSC cycles they took. Off unless a
// profile is attached to a scratch; then each scan reads the TSC twice. Owned by the caller,
// written only by the worker that owns the scratch; read it when that worker is done.
struct WafScanProfile {
  static constexpr int kForms = 2, kLanes = 7, kTiers = 4;
  uint64_t scans[kForms][kLanes][kTiers] = {};
  uint64_t bytes[kForms][kLanes][kTiers] = {};
  uint64_t cycles[kForms][kLanes][kTiers] = {};
};
// nullptr detaches.
void waf_attach_scan_profile(WafScratch& scratch, WafScanProfile* profile) noexcept;
std::string_view waf_form_name(int form) noexcept;  // "raw", "normalised"
std::string_view waf_lane_name(int lane) noexcept;  // "headers", "content-type", ... "args"
std::string_view waf_tier_name(int tier) noexcept;  // "plain", "text", "punct", "any"

// Control core: compiles the rule files of `cfg`. nullptr and `error` (file:line:col or the
// rule id with Hyperscan's message) when anything fails; nothing starts then.
void destroy_waf_engine(WafEngine* engine) noexcept;
struct WafEngineDeleter {
  void operator()(WafEngine* e) const noexcept { destroy_waf_engine(e); }
};
using WafEnginePtr = std::unique_ptr<WafEngine, WafEngineDeleter>;
WafEnginePtr build_waf_engine(const WafConfig& cfg, std::string& error);
// The same from rule files given directly (tests, tools): `files` are paths, read in order.
WafEnginePtr build_waf_engine(const std::vector<std::string>& files, uint32_t body_inspect_bytes,
                              std::string& error);
// Rules of an engine, and the body prefix size it was built for (the size of the
// body_buffer a WafRequestState should get).
uint32_t waf_rule_count(const WafEngine& engine) noexcept;
uint32_t waf_body_inspect_bytes(const WafEngine& engine) noexcept;

// Hot path: takes one parser event of the flow's current request. Returns the decision as
// far as it is known after this event: the request line and headers are matched together at
// headers_complete (so a block comes before any body byte is passed), the body when
// body_inspect_bytes of it are buffered or at request_complete. A block is final; at
// request_complete an undecided request passes. What is matched when: waf_inspect.cpp.
WafDecision waf_inspect(const WafEngine& engine, WafScratch& scratch, WafRequestState& state,
                        const HttpRequest& request, const HttpEvent& event) noexcept;

// Control core (events, traces): a rule's id, message and family; a field's name.
std::string_view waf_rule_id(const WafEngine& engine, uint32_t rule) noexcept;
std::string_view waf_rule_message(const WafEngine& engine, uint32_t rule) noexcept;
std::string_view waf_rule_family(const WafEngine& engine, uint32_t rule) noexcept;
std::string_view waf_field_name(uint8_t field) noexcept;

}  // namespace gauntlet
