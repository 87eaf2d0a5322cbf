// build_waf_engine: rule files -> Hyperscan databases per (form, lane, tier); the per-worker
// scratch is waf_scratch.cpp's. Control core only.
#include <algorithm>
#include <array>
#include <fmt/format.h>

#include "dataplane/control/config.h"
#include "dataplane/waf/waf_database.h"
#include "dataplane/waf/waf_db_cache.h"

namespace gauntlet {
namespace {

struct PatternRef {
  uint32_t rule;
  uint32_t pattern;  // index within the rule
};

// Block-mode databases scan joined buffers framed by NUL (waf_database.h): the buffer starts
// with NUL and every value is followed by one, so the start and the end of a value are both
// "a NUL". Every anchor `^` or `$` outside a character class is compiled as `\x00`: the
// rules' `(?:^|\x00)` and `(?:$|\x00)` become one literal byte, which Hyperscan matches far
// faster than an anchor alternative, and a bare `^` (`$`) holds at the start (end) of every
// value, not of the first (last) value of the buffer only. The body stream sees the bytes as
// sent, without NUL: its patterns are compiled as written.
std::string framed_expression(std::string_view e) {
  std::string out;
  out.reserve(e.size() + 8);
  bool in_class = false;
  size_t class_start = 0;  // a ']' there is a literal
  for (size_t i = 0; i < e.size(); ++i) {
    const char c = e[i];
    if (c == '\\' && i + 1 < e.size()) {
      out += c;
      out += e[++i];
      continue;
    }
    if (in_class) {
      if (c == ']' && i != class_start) in_class = false;
      out += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out += c;
      if (i + 1 < e.size() && e[i + 1] == '^') out += e[++i];
      class_start = i + 1;
      continue;
    }
    if (c == '^' || c == '$')
      out += "\\x00";
    else
      out += c;
  }
  return out;
}

bool form_applies(WafTransform t, WafForm form) noexcept {
  return t == WafTransform::both || (form == kWafRaw) == (t == WafTransform::raw);
}

// The Hyperscan flags of a rule's patterns in a database of `form` (`mode`: HS_MODE_BLOCK,
// or HS_MODE_STREAM for the body stream).
unsigned pattern_flags(const WafRule& r, WafForm form, unsigned mode) noexcept {
  // Normalised text is lower case: its patterns are caseless whatever the rule says. No
  // single-match: a scan covers all fields of a request, and a pattern's first match may
  // be in a field its rule does not look at (a rule counts once per request anyway).
  // The body stream sees raw bytes: the patterns written for normalised text are caseless
  // there, raw ones stay as written.
  const bool caseless =
      mode == HS_MODE_STREAM ? r.transform != WafTransform::raw : form == kWafNormalised;
  return (r.hs_flags & ~static_cast<unsigned>(HS_FLAG_SINGLEMATCH)) |
         (caseless ? HS_FLAG_CASELESS : 0u);
}

// Compiles the patterns `ids` (indexes into refs) into one database (`mode`: HS_MODE_BLOCK,
// or HS_MODE_STREAM for the body stream).
hs_database_t* compile(const WafEngine& e, const std::vector<PatternRef>& refs,
                       const std::vector<uint32_t>& ids, WafForm form, unsigned mode,
                       std::string& error) {
  std::vector<std::string> framed;
  framed.reserve(ids.size());
  std::vector<const char*> expressions;
  std::vector<unsigned> flags, hs_ids;
  for (uint32_t id : ids) {
    const WafRule& r = e.rules[refs[id].rule];
    const std::string& written = r.patterns[refs[id].pattern].expression;
    if (mode == HS_MODE_BLOCK) framed.push_back(framed_expression(written));
    expressions.push_back(mode == HS_MODE_BLOCK ? framed.back().c_str() : written.c_str());
    flags.push_back(pattern_flags(r, form, mode));
    hs_ids.push_back(id);
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (compile_multi_cached(expressions.data(), flags.data(), hs_ids.data(),
                           static_cast<unsigned>(ids.size()), mode, &db, &err) != HS_SUCCESS) {
    if (err != nullptr && err->expression >= 0) {
      const PatternRef& ref = refs[ids[static_cast<size_t>(err->expression)]];
      const WafRule& r = e.rules[ref.rule];
      const WafPattern& p = r.patterns[ref.pattern];
      error = fmt::format("{}:{}:{}: error: waf rule {}: pattern {} does not compile: {}", r.file,
                          p.line, p.column, r.id, ref.pattern + 1, err->message);
    } else {
      error = fmt::format("waf: Hyperscan cannot compile the rules: {}",
                          err != nullptr ? err->message : "unknown error");
    }
    hs_free_compile_error(err);
    return nullptr;
  }
  hs_free_compile_error(err);
  return db;
}

// Of the patterns `ids`, those that may match a value of `tier` (waf_alphabet.h), as they
// are compiled in a block-mode database of `form`.
std::vector<uint32_t> patterns_within(const WafEngine& e, const std::vector<PatternRef>& refs,
                                      const std::vector<uint32_t>& ids, WafForm form,
                                      WafTier tier) {
  if (tier == kWafTierAny) return ids;
  const WafByteSet alphabet = waf_tier_bytes(tier);
  std::vector<uint32_t> within;
  for (uint32_t id : ids) {
    const WafRule& r = e.rules[refs[id].rule];
    const std::string framed = framed_expression(r.patterns[refs[id].pattern].expression);
    if (waf_pattern_may_match_within(framed, pattern_flags(r, form, HS_MODE_BLOCK), alphabet))
      within.push_back(id);
  }
  return within;
}

// The patterns of each tier of a lane (all of `ids` for `any`), and where each tier's values
// are joined (`tier_buffer`). A tier has a buffer of its own unless its patterns are more than
// three quarters of those of the next larger tier that has one: its values then go there, so
// a request with values of both costs one scan, against a database hardly larger (Hyperscan
// costs about the same per byte). A tier whose values no pattern can match keeps its buffer
// (never scanned). A lane that is not tiered joins every value in `any`.
std::array<std::vector<uint32_t>, kWafTiers> tiers_within(const WafEngine& e,
                                                          const std::vector<PatternRef>& refs,
                                                          const std::vector<uint32_t>& ids,
                                                          WafForm form, bool tiered,
                                                          uint8_t (&tier_buffer)[kWafTiers]) {
  std::array<std::vector<uint32_t>, kWafTiers> within;
  within[kWafTierAny] = ids;
  tier_buffer[kWafTierAny] = kWafTierAny;
  int larger = kWafTierAny;  // the smallest tier above with a buffer of its own
  for (int tier = kWafTierAny - 1; tier >= 0; --tier) {
    tier_buffer[tier] = static_cast<uint8_t>(larger);
    if (!tiered) continue;
    within[static_cast<size_t>(tier)] =
        patterns_within(e, refs, ids, form, static_cast<WafTier>(tier));
    const size_t own = within[static_cast<size_t>(tier)].size();
    if (own == 0 || own * 4 <= within[static_cast<size_t>(larger)].size() * 3) {
      tier_buffer[tier] = static_cast<uint8_t>(tier);
      larger = tier;
    }
  }
  return within;
}

// The streaming database for bodies longer than the buffer: every pattern of a rule naming
// `body`, whatever its transform (the stream sees raw bytes; normalised patterns match them
// caseless). Its state must fit a flow's kWafStreamStateBytes.
bool build_body_stream(WafEngine& e, const std::vector<PatternRef>& refs, std::string& error) {
  std::vector<uint32_t> ids;
  for (uint32_t id = 0; id < refs.size(); ++id)
    if ((e.rules[refs[id].rule].fields & waf_field_bit(WafField::body)) != 0) ids.push_back(id);
  if (ids.empty()) return true;
  e.body_stream = compile(e, refs, ids, kWafRaw, HS_MODE_STREAM, error);
  if (e.body_stream == nullptr) return false;
  size_t state_bytes = 0;
  if (hs_stream_size(e.body_stream, &state_bytes) != HS_SUCCESS ||
      state_bytes > kWafStreamStateBytes) {
    error = fmt::format(
        "waf: the rules naming the body field need {} bytes of stream state per flow; at most "
        "{} are kept (fewer or simpler body patterns)",
        state_bytes, kWafStreamStateBytes);
    return false;
  }
  if (hs_alloc_scratch(e.body_stream, &e.scratch_prototype) != HS_SUCCESS) {
    error = "waf: cannot allocate Hyperscan scratch";
    return false;
  }
  return true;
}

}  // namespace

WafEngine::~WafEngine() {
  for (auto& lanes : databases)
    for (hs_database_t* db : lanes)
      if (db != nullptr) hs_free_database(db);
  if (body_stream != nullptr) hs_free_database(body_stream);
  if (scratch_prototype != nullptr) hs_free_scratch(scratch_prototype);
}

void destroy_waf_engine(WafEngine* engine) noexcept { delete engine; }

WafEnginePtr build_waf_engine(const std::vector<std::string>& files, uint32_t body_inspect_bytes,
                              std::string& error) {
  WafEnginePtr e(new WafEngine);
  e->body_inspect_bytes = body_inspect_bytes;
  // Room for the largest text matched at once: a body prefix, or a request head.
  e->text_capacity = std::max<size_t>(body_inspect_bytes, 65536);
  std::vector<std::string> errors;
  if (!load_waf_rules(files, e->rules, errors)) {
    error = errors.front();
    for (size_t i = 1; i < errors.size(); ++i) error += "\n" + errors[i];
    return nullptr;
  }
  std::vector<PatternRef> refs;
  for (uint32_t r = 0; r < e->rules.size(); ++r) {
    if (e->rules[r].violation != HttpViolation::none) e->violation_rules.push_back(r);
    for (uint32_t p = 0; p < e->rules[r].patterns.size(); ++p) {
      refs.push_back({r, p});
      e->pattern_rule.push_back(r);
    }
  }
  for (const WafRule& r : e->rules)
    for (size_t f = 0; f < kWafFields; ++f)
      for (int form = 0; form < kWafForms; ++form)
        if (!r.patterns.empty() && (r.fields & waf_field_bit(static_cast<WafField>(f))) != 0 &&
            form_applies(r.transform, static_cast<WafForm>(form)))
          e->field_forms[f][form] = true,
          e->form_fields[form] |= waf_field_bit(static_cast<WafField>(f));
  for (auto& lanes : e->tier_buffer)  // a lane without rules joins nothing but in `any`
    for (auto& tiers : lanes) std::fill(std::begin(tiers), std::end(tiers), kWafTierAny);
  for (int form = 0; form < kWafForms; ++form) {
    for (int lane = 0; lane < kWafLanes; ++lane) {
      std::vector<uint32_t> ids;
      for (uint32_t id = 0; id < refs.size(); ++id) {
        const WafRule& r = e->rules[refs[id].rule];
        if (form_applies(r.transform, static_cast<WafForm>(form)) &&
            (r.fields & waf_lane_fields(static_cast<WafLane>(lane))) != 0)
          ids.push_back(id);
      }
      if (ids.empty()) continue;
      e->tiered[form][lane] = waf_lane_tiered(lane);
      const std::array<std::vector<uint32_t>, kWafTiers> within =
          tiers_within(*e, refs, ids, static_cast<WafForm>(form), e->tiered[form][lane],
                       e->tier_buffer[form][lane]);
      for (int tier = 0; tier < kWafTiers; ++tier) {
        if (e->tier_buffer[form][lane][tier] != tier) continue;  // joined to a larger tier
        const std::vector<uint32_t>& tier_ids = within[static_cast<size_t>(tier)];
        if (tier_ids.empty()) continue;  // values of the tier need no scan in this lane
        hs_database_t*& db = e->databases[form][waf_buffer(lane, tier)];
        db = compile(*e, refs, tier_ids, static_cast<WafForm>(form), HS_MODE_BLOCK, error);
        if (db == nullptr) return nullptr;
        if (hs_alloc_scratch(db, &e->scratch_prototype) != HS_SUCCESS) {
          error = "waf: cannot allocate Hyperscan scratch";
          return nullptr;
        }
      }
    }
  }
  return build_body_stream(*e, refs, error) ? std::move(e) : nullptr;
}

WafEnginePtr build_waf_engine(const WafConfig& cfg, std::string& error) {
  return build_waf_engine(cfg.rule_files, cfg.body_inspect_bytes, error);
}

}  // namespace gauntlet
