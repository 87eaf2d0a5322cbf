// Tests for the WAF rule loader and compiler: what a rule file may say, the defaults, and
// every error with its file:line:col — duplicate ids across files, unknown fields, flags,
// violations, missing parts, YAML syntax — and Hyperscan compile errors naming the rule and
// the pattern's position. No EAL.
#include "dataplane/waf/waf_rules.h"

#include <filesystem>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <string>
#include <vector>

#include <hs/hs.h>

#include "dataplane/control/config.h"
#include "dataplane/waf/waf_engine.h"
#include "tests/unit/waf_test_support.h"

namespace gauntlet {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using waf_test::write_rules;

std::vector<std::string> load_errors(const std::vector<std::string>& files) {
  std::vector<WafRule> rules;
  std::vector<std::string> errors;
  EXPECT_FALSE(load_waf_rules(files, rules, errors));
  return errors;
}

TEST(WafRulesTest, LoadsRulesWithTheirDefaults) {
  const std::string f = write_rules("a.yaml", R"(rules:
  - id: "100"
    message: "first"
    family: sqli
    fields: [args, cookies]
    patterns: ['union\s+select', 'sleep\(']
    flags: [caseless, dotall]
  - id: "101"
    fields: [user_agent]
    patterns: ['nikto']
    transform: raw
    action: log
  - id: "102"
    violation: http:duplicate-host
    score: 2
)");
  std::vector<WafRule> rules;
  std::vector<std::string> errors;
  ASSERT_TRUE(load_waf_rules({f}, rules, errors)) << errors.front();
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[0].id, "100");
  EXPECT_EQ(rules[0].family, "sqli");
  EXPECT_EQ(rules[0].fields, waf_field_bit(WafField::args) | waf_field_bit(WafField::cookies));
  EXPECT_EQ(rules[0].patterns.size(), 2u);
  EXPECT_EQ(rules[0].patterns[1].line, 6);
  EXPECT_EQ(rules[0].hs_flags, static_cast<unsigned>(HS_FLAG_CASELESS | HS_FLAG_DOTALL));
  EXPECT_EQ(rules[0].transform, WafTransform::normalised);
  EXPECT_TRUE(rules[0].block);
  EXPECT_EQ(rules[0].score, 5u);
  EXPECT_EQ(rules[1].family, "other");
  EXPECT_EQ(rules[1].transform, WafTransform::raw);
  EXPECT_FALSE(rules[1].block);
  EXPECT_EQ(rules[1].score, 0u);  // log rules score nothing unless told
  EXPECT_EQ(rules[2].violation, HttpViolation::duplicate_host);
  EXPECT_EQ(rules[2].score, 2u);
}

TEST(WafRulesTest, DuplicateIdAcrossFilesNamesBothPlaces) {
  const std::string a = write_rules("a.yaml",
                                    "rules:\n  - id: \"7\"\n    fields: [args]\n"
                                    "    patterns: ['x1']\n");
  const std::string b = write_rules("b.yaml",
                                    "rules:\n  - id: \"8\"\n    fields: [args]\n"
                                    "    patterns: ['x2']\n  - id: \"7\"\n"
                                    "    fields: [path]\n    patterns: ['x3']\n");
  EXPECT_THAT(load_errors({a, b}),
              ElementsAre(b + ":5:5: error: duplicate waf rule id '7' (first at " + a + ":2:5)"));
}

TEST(WafRulesTest, ErrorsCarryTheirPosition) {
  const std::string f = write_rules("bad.yaml", R"(rules:
  - id: "1"
    fields: [args, argz]
    patterns: ['a']
  - id: "2"
    fields: [args]
    patterns: ['b']
    flags: [caseles]
  - id: "3"
    violation: http:no-such-thing
  - id: "4"
    fields: [args]
  - id: "5"
    fields: [args]
    patterns: ['c']
    transform: decoded
    action: drop
    score: -1
  - id: "6"
    fields: [args]
    patterns: ['d']
    colour: blue
)");
  const std::vector<std::string> errors = load_errors({f});
  ASSERT_EQ(errors.size(), 8u) << ::testing::PrintToString(errors);
  EXPECT_THAT(errors[0], HasSubstr(f + ":3:20: error: unknown field 'argz'"));
  EXPECT_THAT(errors[1], HasSubstr(f + ":8:13: error: unknown flag 'caseles'"));
  EXPECT_THAT(errors[2], HasSubstr(f + ":10:16: error: unknown violation 'http:no-such-thing'"));
  EXPECT_EQ(errors[3], f + ":11:5: error: waf rule '4' needs either patterns or violation "
                           "(one of them)");
  EXPECT_EQ(errors[4], f + ":16:16: error: transform must be normalised, raw or both, not "
                           "'decoded'");
  EXPECT_EQ(errors[5], f + ":17:13: error: action must be block or log, not 'drop'");
  EXPECT_THAT(errors[6], HasSubstr(f + ":18:12: error: score must be a whole number"));
  EXPECT_THAT(errors[7], HasSubstr(f + ":22:5: error: unknown key 'colour' in a waf rule"));
}

TEST(WafRulesTest, YamlSyntaxErrorHasPosition) {
  const std::string f = write_rules("syntax.yaml", "rules:\n  - id: \"1\"\n    fields: [args\n");
  const std::vector<std::string> errors = load_errors({f});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], ::testing::StartsWith(f + ":"));
  EXPECT_THAT(errors[0], HasSubstr("error"));
}

TEST(WafRulesTest, MissingFileIsAnError) {
  EXPECT_THAT(load_errors({"/nonexistent/waf.yaml"}),
              ElementsAre("/nonexistent/waf.yaml: error: cannot open the waf rule file: No such "
                          "file or directory"));
  EXPECT_THAT(load_errors({"/dev/zero"}),
              ElementsAre("/dev/zero: error: cannot open the waf rule file: not a regular file"));
}

TEST(WafRulesTest, CompileErrorNamesTheRuleAndPattern) {
  const std::string f = write_rules("compile.yaml", R"(rules:
  - id: "ok"
    fields: [args]
    patterns: ['fine']
  - id: "942999"
    fields: [args]
    patterns:
      - 'good'
      - 'broken(group'
)");
  std::string error;
  EXPECT_EQ(build_waf_engine({f}, 1024, error), nullptr);
  EXPECT_THAT(error, HasSubstr(f + ":9:9: error: waf rule 942999: pattern 2 does not compile: "));
  EXPECT_THAT(error, HasSubstr("parenthes"));  // Hyperscan's own message
}

TEST(WafRulesTest, PatternMatchingEmptyTextIsRefused) {
  const std::string f = write_rules("empty.yaml",
                                    "rules:\n  - id: \"e1\"\n    fields: [args]\n"
                                    "    patterns: ['a*']\n");
  std::string error;
  EXPECT_EQ(build_waf_engine({f}, 1024, error), nullptr);
  EXPECT_THAT(error, HasSubstr("waf rule e1: pattern 1 does not compile"));
}

TEST(WafRulesTest, LoaderErrorsStopTheBuild) {
  const std::string f = write_rules("x.yaml",
                                    "rules:\n  - id: \"1\"\n    fields: [nowhere]\n"
                                    "    patterns: ['a']\n");
  std::string error;
  EXPECT_EQ(build_waf_engine({f}, 1024, error), nullptr);
  EXPECT_THAT(error, HasSubstr(f + ":3:14: error: unknown field 'nowhere'"));
}

TEST(WafRulesTest, RuleAccessorsForEvents) {
  const std::string f = write_rules("ok.yaml",
                                    "rules:\n  - id: \"r1\"\n    message: \"m1\"\n"
                                    "    family: xss\n    fields: [args]\n"
                                    "    patterns: ['<script']\n");
  std::string error;
  auto engine = build_waf_engine({f}, 1024, error);
  ASSERT_NE(engine, nullptr) << error;
  EXPECT_EQ(waf_rule_count(*engine), 1u);
  EXPECT_EQ(waf_rule_id(*engine, 0), "r1");
  EXPECT_EQ(waf_rule_message(*engine, 0), "m1");
  EXPECT_EQ(waf_rule_family(*engine, 0), "xss");
  EXPECT_EQ(waf_rule_id(*engine, 5), "");
  EXPECT_EQ(waf_field_name(static_cast<uint8_t>(WafField::cookies)), "cookies");
  EXPECT_EQ(waf_body_inspect_bytes(*engine), 1024u);
}

// The config's waf: section: rule globs resolved against the config file's directory, the
// defaults, and its errors with their positions.
constexpr const char* kPorts =
    "ports:\n"
    "  outside: { mac: 02:00:00:00:00:01, addresses: [198.51.100.1/24] }\n"
    "  inside: { mac: 02:00:00:00:00:02, addresses: [10.0.0.1/24] }\n";

TEST(WafConfigTest, SectionBecomesTheModel) {
  const std::string a = write_rules("waf/b.yaml", "rules: []\n");
  write_rules("waf/a.yaml", "rules: []\n");
  const std::string dir = std::filesystem::path(a).parent_path().parent_path().string();
  const std::string config = write_rules("config.yaml", std::string(kPorts) +
                                                            "waf:\n"
                                                            "  rules: [waf/*.yaml]\n"
                                                            "  threshold: 8\n"
                                                            "  mode: detect\n"
                                                            "  body_inspect_bytes: 4096\n");
  std::vector<ConfigError> errors;
  auto cfg = load_config(config, errors);
  ASSERT_TRUE(cfg.has_value()) << ::testing::PrintToString(errors.size()) << " "
                               << (errors.empty() ? "" : errors.front().to_string());
  EXPECT_TRUE(cfg->waf.enabled);
  EXPECT_THAT(cfg->waf.rule_files, ElementsAre(dir + "/waf/a.yaml", dir + "/waf/b.yaml"));
  EXPECT_EQ(cfg->waf.threshold, 8u);
  EXPECT_TRUE(cfg->waf.detect_only);
  EXPECT_EQ(cfg->waf.body_inspect_bytes, 4096u);
  EXPECT_EQ(cfg->waf.max_flows, 4096u);  // default
  std::string error;
  EXPECT_NE(build_waf_engine(cfg->waf, error), nullptr) << error;
}

TEST(WafConfigTest, ErrorsCarryTheirPosition) {
  const std::string config = write_rules("config.yaml", std::string(kPorts) +
                                                            "waf:\n"
                                                            "  rules: [nothing/*.yaml]\n"
                                                            "  threshold: 0\n"
                                                            "  mode: maybe\n"
                                                            "  colour: red\n");
  std::vector<ConfigError> errors;
  EXPECT_FALSE(load_config(config, errors).has_value());
  std::vector<std::string> lines;
  for (const auto& e : errors) lines.push_back(e.to_string());
  ASSERT_EQ(lines.size(), 4u) << ::testing::PrintToString(lines);
  EXPECT_THAT(lines[0], HasSubstr(config + ":8:3: error: unknown key 'colour' in waf"));
  EXPECT_THAT(lines[1], HasSubstr(config + ":5:11: error: waf.rules entry 'nothing/*.yaml' names "
                                           "no file"));
  EXPECT_THAT(lines[2], HasSubstr(config + ":6:14: error: waf.threshold must be a whole number"));
  EXPECT_EQ(lines[3], config + ":7:9: error: waf.mode must be block or detect, not 'maybe'");
}

TEST(WafConfigTest, GlobsHaveWildcardsInTheFileNameOnly) {
  // A wildcard in a directory would walk whole trees (/*/*/*/* reaches into /proc): refused
  // before any directory is read.
  for (const char* entry : {"/*/*/*/*/*.yaml", "w*f/*.yaml", "/pro?/self/x"}) {
    const std::string config =
        write_rules("config.yaml", std::string(kPorts) + "waf:\n  rules: ['" + entry + "']\n");
    std::vector<ConfigError> errors;
    EXPECT_FALSE(load_config(config, errors).has_value());
    ASSERT_EQ(errors.size(), 1u) << entry;
    EXPECT_EQ(errors[0].to_string(),
              config + ":5:11: error: waf.rules entry '" + entry +
                  "' has a wildcard in a directory; wildcards are allowed in the file name only "
                  "(e.g. waf/*.yaml)");
  }
}

}  // namespace
}  // namespace gauntlet
