// One form's joined buffer of a request (internal to dataplane/waf): field values are added
// as segments tagged with the fields they stand for, separated by NUL, and the buffer is
// matched in one Hyperscan scan when it is full or flushed. The match callback keeps a match
// only when its rule names a field of the segment the match ends in, and scores it.
// Hot path: noexcept, no allocation (the buffers are the worker's WafScratch).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/waf/waf_database.h"

namespace gauntlet {

enum class WafDecode : uint8_t { plain, form };  // form: '+' is SP as well (query, form body)

// Scores `rule` for the request (once: the caller checks waf_rule_seen) and records the match
// in `st`, with `excerpt` if it is the first; blocks when the threshold is reached.
void waf_record(const WafEngine& e, WafRequestState& st, uint32_t rule, WafField field,
                std::string_view excerpt) noexcept;
inline bool waf_rule_seen(const WafRequestState& st, uint32_t rule) noexcept {
  return ((st.rule_seen[rule / 64] >> (rule % 64)) & 1) != 0;
}

class WafBatch {
 public:
  WafBatch(const WafEngine& e, WafScratch& s, WafRequestState& st, WafForm form) noexcept
      : e_(e), s_(s), st_(st), form_(form) {
    for (int b = 0; b < kWafBuffers; ++b) {
      buf_[b] = s.text[form][b].get();
      if (buf_[b] == nullptr) continue;  // a tier of a lane that is not tiered
      buf_[b][0] = '\0';                 // the leading NUL (waf_database.h)
      length_[b] = 1;
      segments_[b] = s.segments[form][b].get();
    }
  }

  bool done() const noexcept { return st_.decision == WafDecision::block; }
  WafForm form() const noexcept { return form_; }
  bool wants(uint32_t fields) const noexcept { return (fields & e_.form_fields[form_]) != 0; }

  // Adds `value` as it is (raw form) or normalised: decoded (percent, twice, and %u; '+' with
  // WafDecode::form), NUL removed, HTML entities decoded, whitespace runs as one SP, lower
  // case. A normalised value with "/*" is added once more with SQL comments replaced by SP.
  // A value whose fields lie in several lanes is added to each with that lane's part, to the
  // buffer of its tier (waf_alphabet.h; WafEngine::tier_buffer) where the lane is tiered.
  void add(uint32_t fields, std::string_view value, WafDecode d = WafDecode::plain) noexcept;
  // A name and its value, as two add() calls, kept next to each other in one buffer of each
  // lane (the tier of the two together): rules may match a name and the value after it
  // ("mosconfig_absolute_path\0https://...").
  void add_pair(uint32_t name_fields, std::string_view name, uint32_t value_fields,
                std::string_view value, WafDecode d = WafDecode::plain) noexcept;
  // A path: as add(), and normalised once more with dot segments resolved if that changes it.
  void add_path(uint32_t fields, std::string_view path) noexcept;
  // Matches what was added and empties the buffers.
  void flush() noexcept;

 private:
  // Buffers are indexed by waf_buffer(lane, tier); a lane's `any` buffer is where a value is
  // written first, and settle() moves it to its tier's buffer.
  size_t capacity(int b) const noexcept {
    return b % kWafTiers == kWafTierAny ? s_.capacity : s_.tier_capacity;
  }
  size_t room(int b) const noexcept { return capacity(b) - 1 - length_[b]; }
  // A tier buffer takes `n` bytes in `count` more segments, after a flush if need be.
  bool can_take(int b, size_t n, size_t count) const noexcept {
    return count <= kWafMaxSegments && n + 2 <= capacity(b);
  }
  std::string_view last_segment(int b) const noexcept {
    const size_t n = segment_count_[b];
    const size_t start = n > 1 ? segments_[b][n - 2].end + 1 : 1;
    return {buf_[b] + start, segments_[b][n - 1].end - start};
  }
  // Makes room for `n` bytes and a segment, matching what is there if need be.
  void reserve(int b, size_t n) noexcept {
    if (segment_count_[b] == kWafMaxSegments || room(b) < n) flush_buffer(b);
  }
  void close(int b, uint32_t fields, size_t n) noexcept {
    length_[b] += n;
    segments_[b][segment_count_[b]++] = {static_cast<uint32_t>(length_[b]), fields};
    buf_[b][length_[b]++] = '\0';
  }
  // Closes the `n` bytes written at the end of the lane's `any` buffer as a segment of the
  // buffer of their tier; returns where the segment now is. Without `may_flush`, a tier
  // buffer that is full is not matched and emptied: the bytes stay in `any` (whose database
  // holds every pattern of the tier's).
  std::string_view settle(int lane, uint32_t fields, size_t n, bool may_flush = true) noexcept;
  // Moves the segments held by add_pair() in the lane's `any` buffer to their common tier.
  void release(int lane) noexcept;
  void add_second_form(int lane, uint32_t fields, std::string_view text, bool path) noexcept;
  void flush_buffer(int b) noexcept;

  const WafEngine& e_;
  WafScratch& s_;
  WafRequestState& st_;
  WafForm form_;
  char* buf_[kWafBuffers] = {};
  WafSegment* segments_[kWafBuffers] = {};
  size_t length_[kWafBuffers] = {};  // with the leading NUL
  size_t segment_count_[kWafBuffers] = {};
  std::string_view added_;         // the segment add() closed last (for add_path)
  bool hold_ = false;              // in add_pair(): segments stay in `any` until released
  uint16_t held_[kWafLanes] = {};  // segments held at the end of each lane's `any` buffer
  bool pinned_[kWafLanes] = {};    // `any` was matched during the hold: nothing is moved
};

}  // namespace gauntlet
