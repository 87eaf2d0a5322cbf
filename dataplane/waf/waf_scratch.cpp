// The per-worker WAF scratch (joined buffers of every form, lane and tier a lane keeps,
// Hyperscan scratch and stream) and the engine's read-only accessors. Built on the control
// core; the scratch is then a worker's own.
#include <algorithm>
#include <memory>

#include "dataplane/waf/waf_database.h"

namespace gauntlet {

WafScratch::~WafScratch() {
  if (stream != nullptr) hs_close_stream(stream, nullptr, nullptr, nullptr);
  if (hs != nullptr) hs_free_scratch(hs);
}

void destroy_waf_scratch(WafScratch* scratch) noexcept { delete scratch; }

WafScratchPtr make_waf_scratch(const WafEngine& engine) {
  WafScratchPtr s(new WafScratch);
  if (engine.scratch_prototype != nullptr &&
      hs_clone_scratch(engine.scratch_prototype, &s->hs) != HS_SUCCESS)
    return nullptr;
  s->capacity = engine.text_capacity;
  s->tier_capacity = std::min(s->capacity, kWafTierBufferBytes);
  for (int form = 0; form < kWafForms; ++form) {
    for (int lane = 0; lane < kWafLanes; ++lane) {
      for (int tier = 0; tier < kWafTiers; ++tier) {
        if (engine.tier_buffer[form][lane][tier] != tier) continue;
        const int b = waf_buffer(lane, tier);
        s->text[form][b] =
            std::make_unique<char[]>(tier == kWafTierAny ? s->capacity : s->tier_capacity);
        s->segments[form][b] = std::make_unique<WafSegment[]>(kWafMaxSegments);
      }
    }
  }
  s->decoded = std::make_unique<char[]>(s->capacity);
  if (engine.body_stream != nullptr &&
      hs_open_stream(engine.body_stream, 0, &s->stream) != HS_SUCCESS)
    return nullptr;
  return s;
}

uint32_t waf_rule_count(const WafEngine& engine) noexcept {
  return static_cast<uint32_t>(engine.rules.size());
}
uint32_t waf_body_inspect_bytes(const WafEngine& engine) noexcept {
  return engine.body_inspect_bytes;
}
std::string_view waf_rule_id(const WafEngine& engine, uint32_t rule) noexcept {
  return rule < engine.rules.size() ? std::string_view(engine.rules[rule].id) : "";
}
std::string_view waf_rule_message(const WafEngine& engine, uint32_t rule) noexcept {
  return rule < engine.rules.size() ? std::string_view(engine.rules[rule].message) : "";
}
std::string_view waf_rule_family(const WafEngine& engine, uint32_t rule) noexcept {
  return rule < engine.rules.size() ? std::string_view(engine.rules[rule].family) : "";
}
std::string_view waf_field_name(uint8_t field) noexcept {
  return field < kWafFields ? kWafFieldNames[field] : "";
}

void waf_attach_scan_profile(WafScratch& scratch, WafScanProfile* profile) noexcept {
  scratch.profile = profile;
}
std::string_view waf_form_name(int form) noexcept {
  return form == kWafRaw ? "raw" : form == kWafNormalised ? "normalised" : "";
}
std::string_view waf_lane_name(int lane) noexcept {
  constexpr std::string_view names[kWafLanes] = {"headers", "content-type", "client", "line",
                                                 "path",    "body",         "args"};
  return lane >= 0 && lane < kWafLanes ? names[lane] : "";
}
std::string_view waf_tier_name(int tier) noexcept {
  constexpr std::string_view names[kWafTiers] = {"plain", "text", "punct", "any"};
  return tier >= 0 && tier < kWafTiers ? names[tier] : "";
}

}  // namespace gauntlet
