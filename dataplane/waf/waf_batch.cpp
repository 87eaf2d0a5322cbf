// WafBatch: joined buffers, the match callback and scoring. Contract in waf_batch.h.
#include "dataplane/waf/waf_batch.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include <rte_cycles.h>

#include "dataplane/waf/normalise.h"

namespace gauntlet {
namespace {

constexpr size_t kExcerptBefore = 48;  // bytes of context before a match's end

struct ScanContext {
  const WafEngine* engine;
  WafRequestState* state;
  const char* text;
  const WafSegment* segments;
  size_t segment_count;
};

int on_match(unsigned id, unsigned long long /*from*/, unsigned long long to, unsigned /*flags*/,
             void* context) noexcept {
  auto& c = *static_cast<ScanContext*>(context);
  const uint32_t rule = c.engine->pattern_rule[id];
  if (waf_rule_seen(*c.state, rule)) return 0;
  // The segment of the match's last byte: the first whose end (its NUL) is at or after it.
  // A match ending in a separator belongs to the value before it.
  // A match ending in the buffer's leading NUL belongs to no value.
  if (to <= 1) return 0;
  const size_t last = static_cast<size_t>(to) - 1;
  size_t lo = 0, hi = c.segment_count;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (c.segments[mid].end < last)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == c.segment_count) return 0;
  const uint32_t fields = c.engine->rules[rule].fields & c.segments[lo].fields;
  if (fields == 0) return 0;  // the rule does not look at this field
  const size_t start = lo == 0 ? 1 : c.segments[lo - 1].end + 1;
  const size_t end = std::min<size_t>(static_cast<size_t>(to), c.segments[lo].end);
  const size_t from = end - start > kExcerptBefore ? end - kExcerptBefore : start;
  const size_t upto = std::min<size_t>(c.segments[lo].end, from + kWafExcerptBytes);
  waf_record(*c.engine, *c.state, rule, static_cast<WafField>(__builtin_ctz(fields)),
             {c.text + from, upto - from});
  return c.state->decision == WafDecision::block ? 1 : 0;  // nothing more to learn
}

// normalise() of a text field after percent-decoding (twice, and %u), as add() promises.
size_t normalise_into(std::string_view in, char* out, size_t cap, WafDecode d) noexcept {
  size_t n = 0;
  const FoldInput sent = d == WafDecode::form ? FoldInput::sent_form : FoldInput::sent_plain;
  if (in.size() <= cap && fold_text(in, out, sent, n)) return n;
  const PercentDecodeOptions decode{d == WafDecode::form, true, true, true};
  const NormaliseResult r = percent_decode(in, {out, cap}, decode);
  // In place, a fold that gave up would leave the decoded text garbled: fold only where it
  // cannot give up (no NUL).
  if (std::memchr(out, '\0', r.length) == nullptr &&
      fold_text({out, r.length}, out, FoldInput::decoded, n))
    return n;
  NormaliseOptions o;
  o.html_entities = true;
  o.compress_whitespace = true;
  return normalise(FieldKind::text, {out, r.length}, {out, cap}, o).length;
}

}  // namespace

void waf_record(const WafEngine& e, WafRequestState& st, uint32_t rule, WafField field,
                std::string_view excerpt) noexcept {
  st.rule_seen[rule / 64] |= uint64_t{1} << (rule % 64);
  if (st.match_count < kWafMaxMatches) {
    st.matches[st.match_count++] = {rule, static_cast<uint8_t>(field)};
    if (st.match_count == 1) {
      st.excerpt_length = static_cast<uint8_t>(std::min(excerpt.size(), kWafExcerptBytes));
      // A match at the end of a body stream has no bytes left to quote (an empty view).
      if (st.excerpt_length != 0) std::memcpy(st.excerpt, excerpt.data(), st.excerpt_length);
    }
  }
  const WafRule& r = e.rules[rule];
  st.score += r.score;
  if (!r.block) st.logged = true;
  if (st.score >= (st.threshold == 0 ? 1u : st.threshold)) {
    if (st.detect_only)
      st.logged = true;
    else
      st.decision = WafDecision::block;
  }
}

void WafBatch::add(uint32_t fields, std::string_view value, WafDecode d) noexcept {
  added_ = {};
  if (value.empty() || done() || !wants(fields)) return;
  std::string_view normalised;  // as added to the first lane: the same for every lane
  bool have_normalised = false;
  for (int lane = 0; lane < kWafLanes; ++lane) {
    const uint32_t part = fields & waf_lane_fields(static_cast<WafLane>(lane));
    const int any = waf_buffer(lane, kWafTierAny);
    if (part == 0 || e_.databases[form_][any] == nullptr) continue;
    reserve(any, value.size());
    char* at = buf_[any] + length_[any];
    if (form_ == kWafRaw) {
      const size_t n = std::min(value.size(), room(any));
      std::memcpy(at, value.data(), n);
      added_ = settle(lane, part, n);
      continue;
    }
    // After reserve() a lane has room for the value, or it is longer than any lane holds and
    // every lane has the same room: the first lane's result fits every other as it is.
    if (have_normalised) {
      std::memcpy(at, normalised.data(), normalised.size());
      added_ = settle(lane, part, normalised.size());
    } else {
      added_ = settle(lane, part, normalise_into(value, at, room(any), d));
      normalised = added_;
      have_normalised = true;
    }
    if (added_.find("/*") != std::string_view::npos) add_second_form(lane, part, added_, false);
  }
}

void WafBatch::add_path(uint32_t fields, std::string_view path) noexcept {
  if (path.empty() || done() || !wants(fields)) return;
  add(fields, path);
  constexpr int lane = kWafLanePath;
  static_assert(waf_lane_fields(kWafLanePath) == waf_field_bit(WafField::path));
  if (form_ == kWafNormalised && !done() && added_.data() != nullptr)
    add_second_form(lane, fields, added_, true);
}

std::string_view WafBatch::settle(int lane, uint32_t fields, size_t n, bool may_flush) noexcept {
  const int any = waf_buffer(lane, kWafTierAny);
  const std::string_view text{buf_[any] + length_[any], n};
  if (hold_ && e_.tiered[form_][lane]) {
    close(any, fields, n);
    ++held_[lane];
    return last_segment(any);
  }
  if (e_.tiered[form_][lane]) {
    const WafTier tier = e_.buffer_tier(form_, lane, waf_value_tier(text));
    const int b = waf_buffer(lane, tier);
    const bool fits = segment_count_[b] < kWafMaxSegments && room(b) >= n;
    if (tier != kWafTierAny && (fits || (may_flush && can_take(b, n, 1)))) {
      reserve(b, n);
      std::memcpy(buf_[b] + length_[b], text.data(), n);
      close(b, fields, n);
      return last_segment(b);
    }
  }
  close(any, fields, n);
  return last_segment(any);
}

void WafBatch::add_pair(uint32_t name_fields, std::string_view name, uint32_t value_fields,
                        std::string_view value, WafDecode d) noexcept {
  hold_ = true;
  add(name_fields, name, d);
  add(value_fields, value, d);
  hold_ = false;
  for (int lane = 0; lane < kWafLanes; ++lane) release(lane);
}

void WafBatch::release(int lane) noexcept {
  const size_t count = held_[lane];
  held_[lane] = 0;
  if (std::exchange(pinned_[lane], false) || count == 0) return;
  const int any = waf_buffer(lane, kWafTierAny);
  const size_t first = segment_count_[any] - count;
  const size_t start = first == 0 ? 1 : segments_[any][first - 1].end + 1;
  uint8_t tier = kWafTierPlain;
  for (size_t k = first, from = start; k < segment_count_[any]; from = segments_[any][k++].end + 1)
    tier =
        std::max<uint8_t>(tier, waf_value_tier({buf_[any] + from, segments_[any][k].end - from}));
  tier = e_.buffer_tier(form_, lane, static_cast<WafTier>(tier));
  const int b = waf_buffer(lane, tier);
  if (tier == kWafTierAny || done() || !can_take(b, length_[any] - start, count)) return;
  if (segment_count_[b] + count > kWafMaxSegments || room(b) < length_[any] - start)
    flush_buffer(b);
  for (size_t k = first, from = start; k < segment_count_[any];
       from = segments_[any][k++].end + 1) {
    const size_t n = segments_[any][k].end - from;
    std::memcpy(buf_[b] + length_[b], buf_[any] + from, n);
    close(b, segments_[any][k].fields, n);
  }
  length_[any] = start;
  segment_count_[any] = first;
}

void WafBatch::flush_buffer(int b) noexcept {
  if (b % kWafTiers == kWafTierAny && hold_) {
    held_[b / kWafTiers] = 0;
    pinned_[b / kWafTiers] = true;
  }
  hs_database_t* db = e_.databases[form_][b];
  if (segment_count_[b] > 0 && !done() && db != nullptr) {
    ScanContext c{&e_, &st_, buf_[b], segments_[b], segment_count_[b]};
    const uint64_t start = s_.profile != nullptr ? rte_rdtsc() : 0;
    hs_scan(db, buf_[b], static_cast<unsigned>(length_[b]), 0, s_.hs, on_match, &c);
    if (s_.profile != nullptr) [[unlikely]] {
      const int lane = b / kWafTiers, tier = b % kWafTiers;
      ++s_.profile->scans[form_][lane][tier];
      s_.profile->bytes[form_][lane][tier] += length_[b];
      s_.profile->cycles[form_][lane][tier] += rte_rdtsc() - start;
    }
  }
  length_[b] = 1;  // the leading NUL stays
  segment_count_[b] = 0;
}

void WafBatch::flush() noexcept {
  // Per lane, the `any` tier first: where a request has an attack, its first match (the
  // event's excerpt) is most likely there.
  for (int lane = 0; lane < kWafLanes; ++lane)
    for (int tier = kWafTiers - 1; tier >= 0; --tier)
      if (buf_[waf_buffer(lane, tier)] != nullptr) flush_buffer(waf_buffer(lane, tier));
}

// Copies `text` (just added) to the end of the lane's `any` buffer and rewrites it there: SQL
// comments as SP, or dot segments resolved; then settles it as a new segment. Nothing is added
// when the rewrite changes nothing, or when it does not fit (a value that large has filled
// the buffer already).
void WafBatch::add_second_form(int lane, uint32_t fields, std::string_view text,
                               bool path) noexcept {
  const int any = waf_buffer(lane, kWafTierAny);
  if (segment_count_[any] == kWafMaxSegments || room(any) < text.size()) return;
  char* at = buf_[any] + length_[any];
  std::memmove(at, text.data(), text.size());
  const NormaliseResult r = path ? normalise_path({at, text.size()}, {at, text.size()})
                                 : replace_sql_comments({at, text.size()}, {at, text.size()});
  if (r.length == text.size() && std::memcmp(at, text.data(), text.size()) == 0) return;
  settle(lane, fields, r.length, false);  // `text` may be in the buffer a flush would empty
}

}  // namespace gauntlet
