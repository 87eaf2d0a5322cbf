// Fuzzes the reading of WAF patterns for tiers (dataplane/waf/waf_alphabet.h). Input: one
// control byte (bit 0: caseless, bit 1: dotall), then a pattern (at most 512 bytes). Checked:
// the reading ends on any input; a tier's answer is never "no" where a smaller tier's is
// "may match"; and where Hyperscan compiles the pattern and the reading says it cannot match a
// tier's values, it matches none of the values made of the input's own bytes of that tier
// (where the pattern is cheap enough to compile: see cheap_to_compile).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <hs/hs.h>

#include "dataplane/waf/waf_alphabet.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using namespace gauntlet;
using gauntlet::fuzz::check;

// Values of `tier` built from the bytes of `pattern` that belong to it: as they come, and
// each run of them alone (so a literal word of the pattern is tried as a value).
std::string tier_values(std::string_view pattern, const WafByteSet& tier) {
  std::string all(1, '\0'), runs(1, '\0');
  bool in_run = false;
  for (const char c : pattern) {
    if (!tier[static_cast<unsigned char>(c)]) {
      if (in_run) runs += '\0';
      in_run = false;
      continue;
    }
    all += c;
    runs += c;
    in_run = true;
  }
  return all + '\0' + runs.substr(1) + '\0';
}

// Compiles `pattern` once; false if Hyperscan refuses it.
struct Compiled {
  hs_database_t* db = nullptr;
  hs_scratch_t* scratch = nullptr;
  Compiled(const std::string& pattern, unsigned flags) {
    hs_compile_error_t* error = nullptr;
    if (hs_compile(pattern.c_str(), flags | HS_FLAG_ALLOWEMPTY, HS_MODE_BLOCK, nullptr, &db,
                   &error) != HS_SUCCESS) {
      hs_free_compile_error(error);
      db = nullptr;
      return;
    }
    if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) scratch = nullptr;
  }
  ~Compiled() {
    hs_free_scratch(scratch);
    hs_free_database(db);
  }
  // Some match of at least one byte in `text`.
  bool matches(const std::string& text) const {
    if (db == nullptr || scratch == nullptr) return false;
    bool found = false;
    hs_scan(
        db, text.data(), static_cast<unsigned>(text.size()), 0, scratch,
        [](unsigned, unsigned long long from, unsigned long long to, unsigned, void* c) {
          if (to > from) *static_cast<bool*>(c) = true;  // an empty match needs no byte
          return 0;
        },
        &found);
    return found;
  }
};

// Hyperscan compiles large or nested bounded repeats into large automata (x{12200} takes more
// than 2 GB, and [^<]{0,300} seconds under ASan): the oracle is left out for those, and the
// reading is still checked to end and to be monotone on them.
bool cheap_to_compile(std::string_view pattern) {
  int repeats = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '{' || i + 1 >= pattern.size() || pattern[i + 1] < '0' ||
        pattern[i + 1] > '9')
      continue;
    if (++repeats > 2) return false;
    unsigned bound = 0;
    for (size_t j = i + 1; j < pattern.size() && bound <= 32; ++j) {
      if (pattern[j] >= '0' && pattern[j] <= '9')
        bound = bound * 10 + static_cast<unsigned>(pattern[j] - '0');
      else if (pattern[j] == ',')
        bound = 0;
      else
        break;
    }
    if (bound > 32) return false;
  }
  return pattern.size() <= 256;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const unsigned flags =
      ((data[0] & 1) != 0 ? HS_FLAG_CASELESS : 0u) | ((data[0] & 2) != 0 ? HS_FLAG_DOTALL : 0u);
  const std::string pattern(reinterpret_cast<const char*>(data + 1),
                            std::min<size_t>(size - 1, 512));
  if (pattern.find('\0') != std::string::npos) return 0;  // Hyperscan takes C strings
  bool may[kWafTierAny] = {};
  WafByteSet alphabets[kWafTierAny];
  for (int t = kWafTierPlain; t < kWafTierAny; ++t) {
    alphabets[t] = waf_tier_bytes(static_cast<WafTier>(t));
    may[t] = waf_pattern_may_match_within(pattern, flags, alphabets[t]);
    check(t == kWafTierPlain || !may[t - 1] || may[t],
          "a pattern that may match a tier's values cannot match those of a larger tier");
  }
  // May match plain values: every larger tier's too (checked above), nothing to disprove.
  if (may[kWafTierPlain] || !cheap_to_compile(pattern)) return 0;
  const Compiled compiled(pattern, flags);
  for (int t = kWafTierPlain; t < kWafTierAny; ++t)
    if (!may[t])
      check(!compiled.matches(tier_values(pattern, alphabets[t])),
            "a pattern read as unable to match a tier's values matched one");
  return 0;
}
