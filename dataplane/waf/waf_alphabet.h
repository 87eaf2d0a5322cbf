// Which patterns can match text made of a small alphabet only (control core, at engine
// build). Most bytes a request carries are in values of letters, digits, blanks and a few
// punctuation marks (names, words, numbers, dates, ids). Almost no attack pattern can match
// such text: it needs a quote, a bracket, an operator or a shell character. The engine
// matches those "plain" values against a database of the few patterns that can, and the
// rest against all (waf_database.h), so the costly patterns never see the plain bytes.
//
// The analysis reads a pattern in Hyperscan's PCRE syntax and answers whether some string
// whose every byte is in the alphabet (or NUL, the separator of joined values) is matched.
// It is conservative: a construct it does not model (an assertion, a lookaround, a Unicode
// property, an escape it does not know) is taken to allow a match, so a "no" is a proof and a
// "yes" may be a pattern that could never match there. No allocation beyond the caller's.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

namespace gauntlet {

using WafByteSet = std::array<bool, 256>;

// Tiers of values by the bytes they are made of (waf_database.h): a value is matched against
// the database of the smallest tier whose alphabet holds all its bytes, which holds only the
// patterns that may match within that alphabet.
//   plain: ASCII letters, digits, SP, '_', '.', '-' (words, names, numbers, ids, dates)
//   text:  plain and "/:,@?#%~+!*[]^" (URLs, e-mail addresses, times, lists)
//   punct: text and "&();=|" (query strings nested in cookies, browsers' User-Agent, titles
//          and prose with brackets): no quote, angle bracket, '$', '{' or backslash, which
//          most injection patterns need; a third of the argument patterns cannot match it
//   any:   every byte; every pattern of the lane
// A lane may join a tier's values to a larger tier's buffer (WafEngine::tier_buffer).
enum WafTier : uint8_t { kWafTierPlain, kWafTierText, kWafTierPunct, kWafTierAny, kWafTiers };

constexpr WafByteSet waf_tier_bytes(WafTier tier) noexcept {
  WafByteSet t{};
  if (tier == kWafTierAny) {
    t.fill(true);
    return t;
  }
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<size_t>(c)] = true;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<size_t>(c)] = true;
  for (char c : {' ', '_', '.', '-'}) t[static_cast<unsigned char>(c)] = true;
  if (tier >= kWafTierText)
    for (char c : std::string_view("/:,@?#%~+!*[]^")) t[static_cast<unsigned char>(c)] = true;
  if (tier == kWafTierPunct)
    for (char c : std::string_view("&();=|")) t[static_cast<unsigned char>(c)] = true;
  return t;
}

// The smallest tier each byte belongs to (NUL, the separator, only to `any`).
inline constexpr std::array<uint8_t, 256> kWafByteTier = [] {
  std::array<uint8_t, 256> t{};
  const WafByteSet plain = waf_tier_bytes(kWafTierPlain), text = waf_tier_bytes(kWafTierText),
                   punct = waf_tier_bytes(kWafTierPunct);
  for (size_t b = 0; b < 256; ++b)
    t[b] = plain[b]   ? kWafTierPlain
           : text[b]  ? kWafTierText
           : punct[b] ? kWafTierPunct
                      : kWafTierAny;
  return t;
}();

// The tier of a value: the largest tier of its bytes (stops early at `any`).
inline WafTier waf_value_tier(std::string_view value) noexcept {
  uint8_t tier = kWafTierPlain;
  for (const char c : value) {
    tier = std::max(tier, kWafByteTier[static_cast<unsigned char>(c)]);
    if (tier == kWafTierAny) break;
  }
  return static_cast<WafTier>(tier);
}

// True unless `expression` (Hyperscan flags `hs_flags`: caseless and dotall are read) provably
// matches no string made of bytes of `alphabet` and NUL. A pattern that does not parse is
// answered true (Hyperscan reports its errors when the database is compiled).
bool waf_pattern_may_match_within(std::string_view expression, unsigned hs_flags,
                                  const WafByteSet& alphabet) noexcept;

}  // namespace gauntlet
