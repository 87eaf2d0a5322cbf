// Which patterns may match values of a tier (waf_alphabet.h): the reading of each construct,
// and, for the shipped rule set, that no pattern read as unable to match a tier's values
// matches any of them in Hyperscan.
#include "dataplane/waf/waf_alphabet.h"

#include <filesystem>
#include <gtest/gtest.h>
#include <set>
#include <string>
#include <vector>

#include <hs/hs.h>

#include "dataplane/waf/waf_rules.h"

#ifndef GAUNTLET_SOURCE_ROOT
#error "GAUNTLET_SOURCE_ROOT must name the source tree (set in tests/unit/meson.build)"
#endif

namespace gauntlet {
namespace {

const WafByteSet kPlain = waf_tier_bytes(kWafTierPlain);
const WafByteSet kText = waf_tier_bytes(kWafTierText);
const WafByteSet kPunct = waf_tier_bytes(kWafTierPunct);

bool plain(std::string_view e, unsigned flags = 0) {
  return waf_pattern_may_match_within(e, flags, kPlain);
}

TEST(WafAlphabet, ValuesTakeTheTierOfTheirRarestByte) {
  EXPECT_EQ(waf_value_tier("john smith 42"), kWafTierPlain);
  EXPECT_EQ(waf_value_tier("2024-01-05_v1.2"), kWafTierPlain);
  EXPECT_EQ(waf_value_tier("https://example.com/a?b"), kWafTierText);
  EXPECT_EQ(waf_value_tier("jane@example.com"), kWafTierText);
  EXPECT_EQ(waf_value_tier("a(b)"), kWafTierPunct);
  EXPECT_EQ(waf_value_tier("consent=1&groups=c1:1|c2:0&date=mon (cet); x"), kWafTierPunct);
  EXPECT_EQ(waf_value_tier("Mozilla/5.0 (X11; Linux x86_64)"), kWafTierPunct);
  EXPECT_EQ(waf_value_tier("' or 1=1"), kWafTierAny);
  EXPECT_EQ(waf_value_tier("a(b)\"1"), kWafTierAny);
  EXPECT_EQ(waf_value_tier("<b>"), kWafTierAny);
  EXPECT_EQ(waf_value_tier("$(id)"), kWafTierAny);
  EXPECT_EQ(waf_value_tier("{x}"), kWafTierAny);
  EXPECT_EQ(waf_value_tier("a\\b"), kWafTierAny);
  EXPECT_EQ(waf_value_tier(std::string_view("a\0b", 3)), kWafTierAny);
  EXPECT_EQ(waf_value_tier("caf\xc3\xa9"), kWafTierAny);
  EXPECT_EQ(waf_value_tier(""), kWafTierPlain);
}

TEST(WafAlphabet, AnAtomEveryMatchNeedsOutsideTheAlphabetRulesThePatternOut) {
  EXPECT_FALSE(plain(R"(['"]\s*or\s+\d+=\d+)"));
  EXPECT_FALSE(plain(R"(\bunion\b.{0,40}\(select)"));
  EXPECT_FALSE(plain(R"(<script\b)"));
  EXPECT_FALSE(plain(R"(;\s*(?:ls|id)\b)"));
  EXPECT_FALSE(plain(R"(\$\{jndi:)"));
  EXPECT_FALSE(plain(R"(\x27)"));        // a quote written as a hex escape
  EXPECT_FALSE(plain(R"(a(?:b|c)\))"));  // the group is fine, the ')' is not
}

TEST(WafAlphabet, WhatCanMatchWordsAndBlanksIsKept) {
  EXPECT_TRUE(plain(R"(\bunion\s+(?:all\s+)?select\b)"));
  EXPECT_TRUE(plain(R"(\bwaitfor\s+delay\b)"));
  EXPECT_TRUE(plain(R"((?:^|\x00)\s*id\s*(?:$|\x00))"));  // NUL: the value separator
  EXPECT_TRUE(plain(R"(a'?b)"));                          // the quote is optional
  EXPECT_TRUE(plain(R"(a'{0,3}b)"));
  EXPECT_TRUE(plain(R"(x(?:'|y))"));  // one branch is enough
  EXPECT_TRUE(plain(R"(\.\./)"
                    "|etc.passwd"));
  EXPECT_TRUE(plain(R"([^'"])"));  // a negated class holds most bytes
  EXPECT_TRUE(plain(R"(.)"));
}

TEST(WafAlphabet, CaseFoldingLetsUpperCaseLettersMatchLowerCaseText) {
  WafByteSet lower_only{};
  for (int c = 'a'; c <= 'z'; ++c) lower_only[static_cast<size_t>(c)] = true;
  EXPECT_FALSE(waf_pattern_may_match_within("SELECT", 0, lower_only));
  EXPECT_TRUE(waf_pattern_may_match_within("SELECT", HS_FLAG_CASELESS, lower_only));
  EXPECT_TRUE(waf_pattern_may_match_within("(?i)SELECT", 0, lower_only));
  EXPECT_TRUE(waf_pattern_may_match_within("(?i:SE)lect", 0, lower_only));
  EXPECT_FALSE(waf_pattern_may_match_within("(?i:se)LECT", 0, lower_only));  // ends with the group
  EXPECT_TRUE(waf_pattern_may_match_within("[A-Z]", HS_FLAG_CASELESS, lower_only));
  EXPECT_FALSE(waf_pattern_may_match_within("[^a-z\\x00]", HS_FLAG_CASELESS, lower_only));
}

TEST(WafAlphabet, ClassesAreReadWithRangesEscapesAndNegation) {
  EXPECT_FALSE(plain(R"([<>'"])"));
  EXPECT_FALSE(plain(R"([^\w\s.\x00-])"));  // nothing plain is left
  EXPECT_TRUE(plain(R"([\]a])"));
  EXPECT_FALSE(plain(R"([\]!])"));
  EXPECT_TRUE(plain(R"([!-/])"));  // the range holds '-' and '.'
  EXPECT_FALSE(plain(R"([!-,])"));
  EXPECT_TRUE(plain(R"([]a])"));  // a leading ']' is a literal
  EXPECT_FALSE(plain(R"([\x01-\x1f])"));
  EXPECT_TRUE(plain(R"([\x00-\x1f])"));  // NUL, the separator of values, is in every tier
  EXPECT_TRUE(plain(R"([^a-z])"));
  EXPECT_TRUE(plain(R"([[:punct:]])"));   // not modelled: may match
  EXPECT_TRUE(plain(R"([^[:alpha:]])"));  // and its negation neither
  EXPECT_TRUE(waf_pattern_may_match_within(R"(a/b)", 0, kText));
}

TEST(WafAlphabet, WhatIsNotModelledIsTakenToMatch) {
  EXPECT_TRUE(plain(R"(\p{Lu})"));
  EXPECT_TRUE(plain(R"((a)\1)"));
  EXPECT_TRUE(plain(R"(\Q'\E)"));
  EXPECT_TRUE(plain(R"((?x) ' )"));
  EXPECT_TRUE(plain(R"((?='))"));  // a lookaround is an assertion: always true
  EXPECT_TRUE(plain(R"(a(b)"));    // unbalanced: Hyperscan's error, not ours
  EXPECT_TRUE(plain(R"(*a)"));
  // Numbers of any length read without overflow (saturated).
  EXPECT_FALSE(plain(R"(\x{0666666666666666666666666666666666666666})"));
  EXPECT_TRUE(plain(R"(a'{0000000000000000000000000000000000000000,2})"));
  EXPECT_FALSE(plain(R"(a'{99999999999999999999999999})"));
  // Nesting past what the reader follows: "may match", read in bounded depth.
  const std::string deep = std::string(100000, '(') + "'" + std::string(100000, ')');
  EXPECT_TRUE(plain(deep));
  EXPECT_FALSE(plain(std::string(50, '(') + "'" + std::string(50, ')')));
}

std::vector<std::string> shipped_rule_files() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(GAUNTLET_SOURCE_ROOT "/rules/waf"))
    if (e.path().extension() == ".yaml") files.push_back(e.path().string());
  return files;
}

// Values of a tier that the shipped patterns' own words are made of: every run of the tier's
// bytes in a pattern, alone and joined to the next ones in the ways values join words.
std::vector<std::string> tier_values(const std::vector<WafRule>& rules, const WafByteSet& tier) {
  std::set<std::string> words;
  for (const WafRule& r : rules)
    for (const WafPattern& p : r.patterns) {
      std::string run;
      for (char c : p.expression + "\\") {
        if (c != '\\' && tier[static_cast<unsigned char>(c)]) {
          run += c;
          continue;
        }
        if (!run.empty()) words.insert(run);
        run.clear();
      }
    }
  std::vector<std::string> values(words.begin(), words.end());
  const std::vector<std::string> list(words.begin(), words.end());
  for (size_t i = 0; i + 2 < list.size(); ++i) {
    values.push_back(list[i] + " " + list[i + 1] + " " + list[i + 2]);
    values.push_back(list[i] + list[i + 1] + "1 " + list[i + 2]);
    values.push_back(list[i] + "-" + list[i + 1] + "." + list[i + 2]);
  }
  for (size_t i = 0; i < values.size(); i += 2) values[i] += " 1 2";
  return values;
}

void expect_no_match_outside(const WafByteSet& tier, const char* tier_name,
                             size_t at_least_ruled_out) {
  std::vector<WafRule> rules;
  std::vector<std::string> errors;
  ASSERT_TRUE(load_waf_rules(shipped_rule_files(), rules, errors)) << errors.front();
  std::vector<const char*> expressions;
  std::vector<unsigned> flags, ids;
  std::vector<std::string> names;
  for (const WafRule& r : rules)
    for (const WafPattern& p : r.patterns) {
      // Caseless, as normalised text is matched (the tiers hold both cases of every
      // letter, so case-sensitive patterns are read the same).
      const unsigned f =
          (r.hs_flags & ~static_cast<unsigned>(HS_FLAG_SINGLEMATCH)) | HS_FLAG_CASELESS;
      if (waf_pattern_may_match_within(p.expression, f, tier)) continue;
      expressions.push_back(p.expression.c_str());
      flags.push_back(f);
      ids.push_back(static_cast<unsigned>(names.size()));
      names.push_back(r.id + ": " + p.expression);
    }
  ASSERT_GT(names.size(), at_least_ruled_out) << "shipped patterns cannot match " << tier_name;
  hs_database_t* db = nullptr;
  hs_compile_error_t* error = nullptr;
  ASSERT_EQ(
      hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                       static_cast<unsigned>(ids.size()), HS_MODE_BLOCK, nullptr, &db, &error),
      HS_SUCCESS)
      << error->message;
  hs_scratch_t* scratch = nullptr;
  ASSERT_EQ(hs_alloc_scratch(db, &scratch), HS_SUCCESS);
  struct Found {
    const std::vector<std::string>* names;
    std::string value;
  };
  for (const std::string& v : tier_values(rules, tier)) {
    // Framed as in a joined buffer: NUL before and after the value.
    const std::string framed = std::string(1, '\0') + v + std::string(1, '\0');
    Found found{&names, v};
    hs_scan(
        db, framed.data(), static_cast<unsigned>(framed.size()), 0, scratch,
        [](unsigned id, unsigned long long, unsigned long long, unsigned, void* c) {
          auto& f = *static_cast<Found*>(c);
          ADD_FAILURE() << (*f.names)[id] << " matched \"" << f.value << "\"";
          return 0;
        },
        &found);
  }
  hs_free_scratch(scratch);
  hs_free_database(db);
}

TEST(WafAlphabet, NoShippedPatternReadAsUnableToMatchPlainValuesMatchesOne) {
  expect_no_match_outside(kPlain, "plain values", 200);
}

TEST(WafAlphabet, NoShippedPatternReadAsUnableToMatchTextValuesMatchesOne) {
  expect_no_match_outside(kText, "text values", 200);
}

TEST(WafAlphabet, NoShippedPatternReadAsUnableToMatchPunctValuesMatchesOne) {
  expect_no_match_outside(kPunct, "punct values", 100);
}

TEST(WafAlphabet, TiersAreNestedAndPunctLeavesOutWhatInjectionsNeed) {
  for (int b = 0; b < 256; ++b) {
    EXPECT_TRUE(!kPlain[b] || kText[b]) << b;
    EXPECT_TRUE(!kText[b] || kPunct[b]) << b;
  }
  for (char c : std::string_view("'\"`<>${}\\"))
    EXPECT_FALSE(kPunct[static_cast<unsigned char>(c)]) << c;
  const auto punct = [](std::string_view e) { return waf_pattern_may_match_within(e, 0, kPunct); };
  EXPECT_FALSE(punct(R"(['"]\s*or\s+\d+=\d+)"));
  EXPECT_FALSE(punct(R"(<script\b)"));
  EXPECT_FALSE(punct(R"(\$\{jndi:)"));
  EXPECT_TRUE(punct(R"(;\s*(?:ls|id)\b)"));
  EXPECT_TRUE(punct(R"(\bsleep\s*\(\s*\d+\s*\))"));
  EXPECT_TRUE(punct(R"(\|\|?\s*cat\b)"));
}

}  // namespace
}  // namespace gauntlet
