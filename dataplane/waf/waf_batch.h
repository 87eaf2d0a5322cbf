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
    for (int lane = 0; lane < kWafLanes; ++lane) {
      buf_[lane] = s.text[form][lane].get();
      buf_[lane][0] = '\0';  // the leading NUL (waf_database.h)
      length_[lane] = 1;
      segments_[lane] = s.segments[form][lane].get();
    }
  }

  bool done() const noexcept { return st_.decision == WafDecision::block; }
  WafForm form() const noexcept { return form_; }
  bool wants(uint32_t fields) const noexcept { return (fields & e_.form_fields[form_]) != 0; }

  // Adds `value` as it is (raw form) or normalised: decoded (percent, twice, and %u; '+' with
  // WafDecode::form), NUL removed, HTML entities decoded, whitespace runs as one SP, lower
  // case. A normalised value with "/*" is added once more with SQL comments replaced by SP.
  // A value whose fields lie in several lanes is added to each with that lane's part.
  void add(uint32_t fields, std::string_view value, WafDecode d = WafDecode::plain) noexcept;
  // A path: as add(), and normalised once more with dot segments resolved if that changes it.
  void add_path(uint32_t fields, std::string_view path) noexcept;
  // Matches what was added and empties the buffers.
  void flush() noexcept;

 private:
  size_t room(int lane) const noexcept { return s_.capacity - 1 - length_[lane]; }
  std::string_view last_segment(int lane) const noexcept {
    const size_t n = segment_count_[lane];
    const size_t start = n > 1 ? segments_[lane][n - 2].end + 1 : 1;
    return {buf_[lane] + start, segments_[lane][n - 1].end - start};
  }
  // Makes room for `n` bytes and a segment, matching what is there if need be.
  void reserve(int lane, size_t n) noexcept {
    if (segment_count_[lane] == kWafMaxSegments || room(lane) < n) flush_lane(lane);
  }
  void close(int lane, uint32_t fields, size_t n) noexcept {
    length_[lane] += n;
    segments_[lane][segment_count_[lane]++] = {static_cast<uint32_t>(length_[lane]), fields};
    buf_[lane][length_[lane]++] = '\0';
  }
  void add_second_form(int lane, uint32_t fields, std::string_view text, bool path) noexcept;
  void flush_lane(int lane) noexcept;

  const WafEngine& e_;
  WafScratch& s_;
  WafRequestState& st_;
  WafForm form_;
  char* buf_[kWafLanes] = {};
  WafSegment* segments_[kWafLanes] = {};
  size_t length_[kWafLanes] = {};  // with the leading NUL
  size_t segment_count_[kWafLanes] = {};
};

}  // namespace gauntlet
