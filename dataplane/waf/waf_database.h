// The compiled WAF engine and the per-worker scratch (internal to dataplane/waf; the public
// contract is waf_engine.h). Built on the control core, read-only afterwards.
//
// Databases: one Hyperscan block-mode database per form of the text (raw, or normalised) and
// lane (a group of fields, below), holding the patterns of every rule that looks at that form
// and at a field of that lane. A request's fields are joined into one buffer per form and
// lane (segments separated by NUL, each segment tagged with the fields it stands for), so a
// request head costs a few scans, not one per field; a match counts only when its rule names
// a field of the segment it ends in (checked in the match callback). Lanes exist for speed:
// most of a request's bytes are header values, which only a few rules look at, so they are
// scanned against those rules only, not against every pattern written for arguments.
// Tiers (waf_alphabet.h): in every lane but the body, a value made only of letters, digits
// and a few punctuation marks is joined into a buffer of its tier, matched against a database
// of the lane's patterns that can match within the tier's alphabet (found by reading each
// pattern at build; often a third of them), so the costly patterns never see those bytes.
// Where a tier's database would hold nearly all of a larger tier's patterns, the lane joins
// that tier's values to the larger one's buffer instead (one scan, not two).
// Values are joined in the order they come, and a match across two of them is an accident of
// that order, except for a name and its value, which rules read together (931110): those are
// added as a pair and kept side by side in the tier of the two (WafBatch::add_pair). With
// tiers a lane's matches may be reported in another order.
// Hyperscan ids are indexes into pattern_rule, the same in every database.
// A joined buffer starts with a NUL and every segment is followed by one, so a NUL is both
// where a value starts and where it ends: block-mode patterns are compiled with every anchor
// `^` and `$` as `\x00` (waf_build.cpp), which Hyperscan matches faster than an anchor
// alternative, and which holds at every value, not only at the first or last of a buffer.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <hs/hs.h>

#include "dataplane/waf/waf_alphabet.h"
#include "dataplane/waf/waf_engine.h"
#include "dataplane/waf/waf_rules.h"

namespace gauntlet {

static_assert(kWafMaxRules == kWafMaxRulesLoaded);

enum WafForm : uint8_t { kWafRaw = 0, kWafNormalised = 1, kWafForms = 2 };

// Lanes: every field belongs to exactly one. A value standing for fields of several lanes
// (the User-Agent is `headers` and `user_agent`) is added to each lane with that lane's part.
enum WafLane : uint8_t {
  kWafLaneHeaders,      // header values and names, Host
  kWafLaneContentType,  // Content-Type: its own rules are costly, its value is short
  kWafLaneClient,       // User-Agent, Referer
  kWafLaneLine,         // request line, method, whole query
  kWafLanePath,
  kWafLaneBody,  // the body as sent
  kWafLaneArgs,  // arguments, their names, cookies (and any field not named above)
  kWafLanes
};
constexpr uint32_t waf_lane_fields(WafLane lane) noexcept {
  constexpr auto b = [](WafField f) { return waf_field_bit(f); };
  constexpr uint32_t headers = b(WafField::headers) | b(WafField::header_names) | b(WafField::host);
  constexpr uint32_t content_type = b(WafField::content_type);
  constexpr uint32_t client = b(WafField::user_agent) | b(WafField::referer);
  constexpr uint32_t line = b(WafField::request_line) | b(WafField::method) | b(WafField::query);
  constexpr uint32_t path = b(WafField::path);
  constexpr uint32_t body = b(WafField::body);
  switch (lane) {
    case kWafLaneHeaders:
      return headers;
    case kWafLaneContentType:
      return content_type;
    case kWafLaneClient:
      return client;
    case kWafLaneLine:
      return line;
    case kWafLanePath:
      return path;
    case kWafLaneBody:
      return body;
    default:
      return ~(headers | content_type | client | line | path | body);
  }
}

// Lanes whose values are split by tier: all but the body, matched as one stretch.
constexpr bool waf_lane_tiered(int lane) noexcept { return lane != kWafLaneBody; }

// One joined buffer per lane and tier. A tier's buffers hold values up to this size (a larger
// body prefix would make them as large as the `any` buffers); a longer value is matched in
// `any`.
inline constexpr size_t kWafTierBufferBytes = 65536;
inline constexpr int kWafBuffers = int{kWafLanes} * int{kWafTiers};
constexpr int waf_buffer(int lane, int tier) noexcept { return lane * kWafTiers + tier; }

// One stretch of a joined buffer: where it ends and which fields it stands for.
struct WafSegment {
  uint32_t end = 0;     // offset just past its last byte (the NUL separator follows)
  uint32_t fields = 0;  // waf_field_bit() of every field this text is
};
inline constexpr size_t kWafMaxSegments = 512;  // per joined buffer; more: scanned in parts

class WafEngine {
 public:
  ~WafEngine();
  std::vector<WafRule> rules;
  std::vector<uint32_t> pattern_rule;            // Hyperscan id -> rule index
  bool field_forms[kWafFields][kWafForms] = {};  // some rule looks at the field in the form
  uint32_t form_fields[kWafForms] = {};          // the same as masks of waf_field_bit()
  std::vector<uint32_t> violation_rules;         // rules with a violation instead of patterns
  // Per form, lane and tier (waf_buffer()): nullptr where no rule looks at that form of a
  // field of that lane, or none of them can match within the tier's alphabet.
  hs_database_t* databases[kWafForms][kWafBuffers] = {};
  // The lane has rules for the form and splits its values by tier.
  bool tiered[kWafForms][kWafLanes] = {};
  // Where a tiered lane's values of each tier are joined: their own tier's buffer, or that of
  // a larger tier whose database is hardly larger (waf_build.cpp: one scan, not two, for a
  // request with values of both). Its buffer and database exist only where a tier maps to
  // itself.
  uint8_t tier_buffer[kWafForms][kWafLanes][kWafTiers] = {};
  WafTier buffer_tier(WafForm form, int lane, WafTier value_tier) const noexcept {
    return static_cast<WafTier>(tier_buffer[form][lane][value_tier]);
  }
  // Streaming mode: the patterns of rules naming `body` (normalised ones caseless: the
  // stream sees the bytes as sent), for bodies longer than body_inspect_bytes.
  hs_database_t* body_stream = nullptr;
  hs_scratch_t* scratch_prototype = nullptr;
  uint32_t body_inspect_bytes = 0;
  size_t text_capacity = 0;  // bytes of each text buffer of a WafScratch

  bool wants(WafField f) const noexcept {
    const auto i = static_cast<size_t>(f);
    return field_forms[i][kWafRaw] || field_forms[i][kWafNormalised];
  }
  bool wants(WafField f, WafForm form) const noexcept {
    return field_forms[static_cast<size_t>(f)][form];
  }
};

// One worker's: Hyperscan scratch for every database, the joined buffers of every form and
// lane with their segment tables, and a buffer for one unescaped JSON string (text_capacity bytes
// each, allocated once).
class WafScratch {
 public:
  ~WafScratch();
  hs_scratch_t* hs = nullptr;
  // Joined buffers per form and waf_buffer() (a tier's only where the lane is tiered).
  std::unique_ptr<char[]> text[kWafForms][kWafBuffers];
  std::unique_ptr<WafSegment[]> segments[kWafForms][kWafBuffers];
  std::unique_ptr<char[]> decoded;  // one JSON string, unescaped
  size_t capacity = 0;              // bytes of each `any` buffer and of `decoded`
  size_t tier_capacity = 0;         // bytes of each tier's buffer (at most kWafTierBufferBytes)
  // Opened once against the engine's body_stream; each flow's state is expanded into it,
  // scanned and compressed back (hs_reset_and_expand_stream / hs_compress_stream), so no
  // stream is allocated on the hot path.
  hs_stream_t* stream = nullptr;
  WafScanProfile* profile = nullptr;  // waf_attach_scan_profile(); nullptr: not timed
};
static_assert(WafScanProfile::kForms == kWafForms && WafScanProfile::kLanes == kWafLanes &&
              WafScanProfile::kTiers == kWafTiers);

}  // namespace gauntlet
