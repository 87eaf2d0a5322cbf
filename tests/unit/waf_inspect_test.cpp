// Tests for waf_inspect(): anomaly scoring against the threshold, detect-only and log
// rules, protocol-violation rules, the fields a rule looks at, normalisation against
// evasions (double encoding, %u, case, SQL comments, dot segments, HTML entities), bodies
// (urlencoded, JSON, multipart, the inspection limit), keep-alive, and the same decision for
// every split of the stream. Small rule sets written here; no EAL.
#include <algorithm>
#include <gtest/gtest.h>
#include <iterator>
#include <string>
#include <vector>

#include "dataplane/waf/waf_alphabet.h"
#include "dataplane/waf/waf_engine.h"
#include "tests/unit/waf_test_support.h"

namespace gauntlet {
namespace {

using waf_test::get;
using waf_test::post;
using waf_test::Runner;
using waf_test::Verdict;
using waf_test::write_rules;

constexpr const char* kRules = R"(rules:
  - id: "sqli-union"
    message: "UNION SELECT"
    family: sqli
    fields: [args, body_args]
    patterns: ['\bunion\s+select\b']
  - id: "three-a"
    family: test
    fields: [args]
    patterns: ['alpha']
    score: 3
  - id: "three-b"
    family: test
    fields: [args]
    patterns: ['bravo']
    score: 3
  - id: "log-only"
    family: test
    fields: [user_agent]
    patterns: ['curious-bot']
    action: log
  - id: "header-only"
    family: test
    fields: [headers]
    patterns: ['forbidden-word']
  - id: "passwd"
    family: lfi
    fields: [path]
    patterns: ['/etc/passwd']
  - id: "script"
    family: xss
    fields: [args]
    patterns: ['<script']
  - id: "raw-encoded"
    family: lfi
    fields: [args]
    transform: raw
    flags: [caseless]
    patterns: ['%2e%2e%2f']
  - id: "no-host"
    family: protocol
    violation: http:missing-host
  - id: "quote-or-value"
    family: sqli
    fields: [args, body_args]
    patterns: ['^\x27\s*or\s']
  - id: "secret-name"
    family: test
    fields: [args_names]
    patterns: ['^secret_name$']
  - id: "path-then-url"
    family: rfi
    fields: [args]
    patterns: ['(?:^|\x00)[a-z_]{0,20}_path\x00https?://']
)";

class WafInspectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    engine_ = build_waf_engine({write_rules("rules.yaml", kRules)}, 256, error);
    ASSERT_NE(engine_, nullptr) << error;
  }
  Verdict run(const std::string& request, uint32_t threshold = 5, bool detect = false) {
    Runner r(*engine_, threshold, detect);
    const auto& v = r.feed(request);
    EXPECT_EQ(v.size(), 1u) << request;
    return v.empty() ? Verdict{} : v.front();
  }
  WafEnginePtr engine_;
};

TEST_F(WafInspectTest, OrdinaryRequestPassesWithScoreZero) {
  const Verdict v = run(get("/index.html?page=2&sort=name"));
  EXPECT_EQ(v.decision, WafDecision::pass);
  EXPECT_EQ(v.score, 0u);
  EXPECT_TRUE(v.rules.empty());
}

TEST_F(WafInspectTest, OneCriticalRuleReachesTheDefaultThreshold) {
  const Verdict v = run(get("/?q=1+union+select+password"));
  EXPECT_EQ(v.decision, WafDecision::block);
  EXPECT_EQ(v.score, 5u);
  EXPECT_EQ(v.rules, std::vector<std::string>{"sqli-union"});
  EXPECT_EQ(v.fields, std::vector<std::string>{"args"});
  EXPECT_NE(v.excerpt.find("union select"), std::string::npos) << v.excerpt;
}

TEST_F(WafInspectTest, ScoresAddUpToTheThreshold) {
  EXPECT_EQ(run(get("/?a=alpha")).decision, WafDecision::pass);
  EXPECT_EQ(run(get("/?a=alpha")).score, 3u);
  const Verdict both = run(get("/?a=alpha&b=bravo"));
  EXPECT_EQ(both.decision, WafDecision::block);
  EXPECT_EQ(both.score, 6u);
  // A rule adds its score once per request, however often it matches.
  EXPECT_EQ(run(get("/?a=alpha&b=alpha&c=alpha")).score, 3u);
}

TEST_F(WafInspectTest, HigherThresholdLetsTheSameRequestPass) {
  EXPECT_EQ(run(get("/?a=alpha&b=bravo"), 10).decision, WafDecision::pass);
  EXPECT_EQ(run(get("/?a=alpha&b=bravo"), 6).decision, WafDecision::block);
}

TEST_F(WafInspectTest, DetectOnlyPassesButLogs) {
  const Verdict v = run(get("/?q=1+union+select+2"), 5, true);
  EXPECT_EQ(v.decision, WafDecision::pass);
  EXPECT_TRUE(v.logged);
  EXPECT_EQ(v.score, 5u);
  EXPECT_EQ(v.rules, std::vector<std::string>{"sqli-union"});
}

TEST_F(WafInspectTest, LogActionSetsLoggedWithoutScore) {
  const Verdict v = run(get("/", "User-Agent: curious-bot/1.0\r\n"));
  EXPECT_EQ(v.decision, WafDecision::pass);
  EXPECT_TRUE(v.logged);
  EXPECT_EQ(v.score, 0u);
  EXPECT_EQ(v.rules, std::vector<std::string>{"log-only"});
  EXPECT_EQ(v.fields, std::vector<std::string>{"user_agent"});
}

TEST_F(WafInspectTest, ViolationRuleMatchesMissingHost) {
  const Verdict v = run("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n");
  EXPECT_EQ(v.decision, WafDecision::block);
  EXPECT_EQ(v.rules, std::vector<std::string>{"no-host"});
  EXPECT_EQ(v.fields, std::vector<std::string>{"violation"});
  EXPECT_EQ(v.excerpt, "http:missing-host");
  // HTTP/1.0 needs no Host.
  EXPECT_EQ(run("GET / HTTP/1.0\r\n\r\n").decision, WafDecision::pass);
}

TEST_F(WafInspectTest, RuleLooksOnlyAtItsFields) {
  // "forbidden-word" is a headers rule: in the query it is nothing.
  EXPECT_EQ(run(get("/?x=forbidden-word")).decision, WafDecision::pass);
  EXPECT_EQ(run(get("/", "X-Note: forbidden-word\r\n")).decision, WafDecision::block);
  // "union select" is an argument rule: in a header it is nothing.
  EXPECT_EQ(run(get("/", "X-Note: union select\r\n")).decision, WafDecision::pass);
}

TEST_F(WafInspectTest, ValueOfFieldsInSeveralLanesIsMatchedForEach) {
  // The User-Agent is `headers` (header-only's lane) and `user_agent` (log-only's lane): one
  // value, matched against both rules; its excerpt is the same text.
  const Verdict v = run(get("/", "User-Agent: curious-bot forbidden-word\r\n"), 5, true);
  EXPECT_EQ(v.score, 5u);
  EXPECT_TRUE(v.logged);
  std::vector<std::string> rules = v.rules;
  std::sort(rules.begin(), rules.end());
  EXPECT_EQ(rules, (std::vector<std::string>{"header-only", "log-only"}));
  // Many values of every lane in one request (more than one joined buffer's worth of
  // segments) still reach the rules of their own lanes only.
  std::string query = "/?";
  for (int i = 0; i < 600; ++i) query += "k" + std::to_string(i) + "=v&";
  query += "q=union+select+1";
  const Verdict many = run(get(query, "X-Note: union select\r\n"));
  EXPECT_EQ(many.decision, WafDecision::block);
  EXPECT_EQ(many.rules, std::vector<std::string>{"sqli-union"});
  EXPECT_EQ(many.fields, std::vector<std::string>{"args"});
}

TEST_F(WafInspectTest, AnArgumentNameIsFollowedByItsValueWhateverTheirTiers) {
  // The name is plain text and the value a URL (waf_alphabet.h tiers): a rule that reads the
  // name and the value after it still sees them side by side.
  const Verdict v = run(get("/?a=1&base_path=https://evil.example/x.txt"));
  EXPECT_EQ(v.decision, WafDecision::block);
  EXPECT_EQ(v.rules, std::vector<std::string>{"path-then-url"});
  for (const char* name : {"base_path", "base_path%27"})
    EXPECT_EQ(run(get(std::string("/?") + name + "=http://x/&b=c")).decision,
              name == std::string("base_path") ? WafDecision::block : WafDecision::pass)
        << name;
  // A URL that is not this name's value is nothing to the rule.
  EXPECT_EQ(run(get("/?base_path=1&next=https://evil.example/")).decision, WafDecision::pass);
}

TEST_F(WafInspectTest, EvasionsAreNormalisedAway) {
  for (const char* target : {
           "/?q=1%20UNION%20SELECT%20x",        // percent-encoding
           "/?q=1%2520union%2520select%2520x",  // double encoding
           "/?q=1+%u0055NION+%u0053ELECT+x",    // IIS %u
           "/?q=1+UnIoN+SeLeCt+x",              // mixed case
           "/?q=1+union/**/select+x",           // SQL comment as separator
           "/?q=1+union%09%0a+select+x",        // whitespace runs
           "/?q=1+un%00ion+select",             // NUL inside the word
       })
    EXPECT_EQ(run(get(target)).decision, WafDecision::block) << target;
  EXPECT_EQ(run(get("/?q=union+station+selection")).decision, WafDecision::pass);
}

TEST_F(WafInspectTest, CommentCannotHideWhatFollows) {
  // The comment-free form is matched in addition to the text as sent.
  EXPECT_EQ(run(get("/?q=/*%3Cscript%3Ealert(1)")).decision, WafDecision::block);
}

TEST_F(WafInspectTest, PathIsMatchedDecodedAndWithDotSegmentsResolved) {
  EXPECT_EQ(run(get("/etc/passwd")).decision, WafDecision::block);
  EXPECT_EQ(run(get("/static/../etc/./passwd")).decision, WafDecision::block);
  EXPECT_EQ(run(get("/%65tc/%70asswd")).decision, WafDecision::block);
  EXPECT_EQ(run(get("//etc//passwd")).decision, WafDecision::block);
  EXPECT_EQ(run(get("/docs/etc")).decision, WafDecision::pass);
}

TEST_F(WafInspectTest, HtmlEntitiesAreDecodedForMarkupRules) {
  EXPECT_EQ(run(get("/?x=%26lt;script%26gt;")).decision, WafDecision::block);
  EXPECT_EQ(run(get("/?x=%26%2360;script")).decision, WafDecision::block);
}

TEST_F(WafInspectTest, ValuesWithNothingToPercentDecodeAreNormalisedAlike) {
  // A value with no '%' is normalised in one pass (entities, NUL, whitespace, case); these
  // take that pass or leave it, and must decide as the full chain does.
  const std::string json = "application/json";
  for (const char* body : {
           R"({"a": "1 UNION&Tab;SELECT"})",            // entity and case, no decoding
           R"({"a": "\u00001 union&Tab;select"})",      // NUL before the entity
           R"({"a": "1 union&Ta\u0000b;select"})",      // NUL inside it: "&Tab;" once removed
           R"({"a": "1 union&Tab;&NewLine; select"})",  // entities that are whitespace runs
           R"({"a": "1 union &#83;ELECT 2"})",          // a numeric reference for a letter
       })
    EXPECT_EQ(run(post("/f", json, body)).decision, WafDecision::block) << body;
  EXPECT_EQ(run(post("/f", json, R"({"a": "1 union&amp;Tab;select"})")).decision,
            WafDecision::pass);
  EXPECT_EQ(run(get("/", "X-Note: FORBIDDEN&#x2D;Word\r\n")).decision, WafDecision::block);
  // '+' is SP in a form, and "%2B" stays '+' however the value is taken.
  EXPECT_EQ(run(get("/?q=1+UNION++SELECT+x")).decision, WafDecision::block);
  EXPECT_EQ(run(get("/?q=1%2Bunion%2Bselect+x")).decision, WafDecision::pass);
  // A value of two lanes, normalised once for both.
  const Verdict v = run(get("/", "User-Agent: CURIOUS-bot &lt; Forbidden-Word\r\n"), 5, true);
  EXPECT_EQ(v.score, 5u);
  EXPECT_TRUE(v.logged);
}

TEST_F(WafInspectTest, RawRuleSeesTheEncodingItself) {
  EXPECT_EQ(run(get("/?f=%2E%2E%2Fetc")).decision, WafDecision::block);
  EXPECT_EQ(run(get("/?f=../etc")).decision, WafDecision::pass);  // not encoded: not this rule
}

TEST_F(WafInspectTest, BodiesAreSplitIntoArguments) {
  EXPECT_EQ(run(post("/f", "application/x-www-form-urlencoded", "a=1&q=union+select+1")).decision,
            WafDecision::block);
  EXPECT_EQ(run(post("/f", "application/json", R"({"q": "x union\u0020select y"})")).decision,
            WafDecision::block);
  const std::string multipart =
      "--XyZ\r\nContent-Disposition: form-data; name=\"comment\"\r\n\r\n"
      "1 union select 2\r\n--XyZ--\r\n";
  EXPECT_EQ(run(post("/f", "multipart/form-data; boundary=XyZ", multipart)).decision,
            WafDecision::block);
  EXPECT_EQ(run(post("/f", "application/json", R"({"note": "a union station"})")).decision,
            WafDecision::pass);
}

// Argument patterns of each tier: a request's values of each tier are joined and scanned
// apart, as every smaller tier's patterns are at most three quarters of the next larger's.
constexpr const char* kTierRules = R"(rules:
  - id: "union"
    family: sqli
    fields: [args]
    patterns: ['\bunion\s+select\b']
  - id: "evil-url"
    family: rfi
    fields: [args]
    patterns: ['https?://evil\.example']
  - id: "sleep"
    family: sqli
    fields: [args]
    patterns: ['\bsleep\s*\(']
  - id: "cat"
    family: rce
    fields: [args]
    patterns: [';\s*cat\b']
  - id: "quote-or"
    family: sqli
    fields: [args]
    patterns: ['\x27\s*or\s']
  - id: "script"
    family: xss
    fields: [args]
    patterns: ['<script']
  - id: "jndi"
    family: java
    fields: [args]
    patterns: ['\$\{jndi']
)";

constexpr int kNormalised = 1, kArgs = 6;

// "q" and "hello" are plain; "u" and "http://x.example/" text; "f(x);y" punctuation; "it's"
// needs the `any` tier (a quote).
constexpr const char* kValueOfEachTier =
    "/search?q=hello&u=http://x.example/&p=f%28x%29%3By&n=it%27s";

// Feeds one GET of kValueOfEachTier to `r` with a scan profile attached (left attached);
// the request passes.
void profile_value_of_each_tier(Runner& r, WafScanProfile& profile) {
  waf_attach_scan_profile(r.scratch(), &profile);
  r.feed(get(kValueOfEachTier));
  ASSERT_EQ(r.verdicts().size(), 1u);
  EXPECT_EQ(r.verdicts().front().decision, WafDecision::pass);
}

WafEnginePtr engine_of(const char* rules) {
  std::string error;
  WafEnginePtr engine = build_waf_engine({write_rules("rules.yaml", rules)}, 256, error);
  EXPECT_NE(engine, nullptr) << error;
  return engine;
}

TEST(WafInspectTiers, ScanProfileCountsEachScanByFormLaneAndTier) {
  const WafEnginePtr engine = engine_of(kTierRules);
  ASSERT_NE(engine, nullptr);
  Runner r(*engine);
  WafScanProfile profile;
  profile_value_of_each_tier(r, profile);
  constexpr int kPlain = kWafTierPlain, kText = kWafTierText, kPunct = kWafTierPunct,
                kAny = kWafTierAny;
  ASSERT_EQ(waf_form_name(kNormalised), "normalised");
  ASSERT_EQ(waf_lane_name(kArgs), "args");
  ASSERT_EQ(waf_tier_name(kPlain), "plain");
  ASSERT_EQ(waf_tier_name(kText), "text");
  ASSERT_EQ(waf_tier_name(kPunct), "punct");
  ASSERT_EQ(waf_tier_name(kAny), "any");
  // One scan per buffer that held values: the leading NUL, then "q\0hello\0" in `plain`,
  // "u\0http://x.example/\0" in `text`, "p\0f(x);y\0" in `punct` and "n\0it's\0" in
  // `any` (a name stays in its value's tier).
  const uint64_t bytes[kWafTiers] = {1 + 2 + 6, 1 + 2 + 18, 1 + 2 + 7, 1 + 2 + 5};
  uint64_t cycles = 0;
  for (int tier = 0; tier < kWafTiers; ++tier) {
    EXPECT_EQ(profile.scans[kNormalised][kArgs][tier], 1u) << waf_tier_name(tier);
    EXPECT_EQ(profile.bytes[kNormalised][kArgs][tier], bytes[tier]) << waf_tier_name(tier);
    cycles += profile.cycles[kNormalised][kArgs][tier];
  }
  EXPECT_GT(cycles, 0u);
  // Each tier's database holds its patterns: an attack in a value of each tier is found.
  for (const char* attack :
       {"/s?a=1+union+select+2", "/s?a=http://evil.example/x", "/s?a=sleep(5)", "/s?a=x;cat+/etc",
        "/s?a=%27+or+1", "/s?a=%3Cscript", "/s?a=%24%7Bjndi:x%7D"}) {
    Runner attacked(*engine);
    attacked.feed(get(attack));
    ASSERT_EQ(attacked.verdicts().size(), 1u) << attack;
    EXPECT_EQ(attacked.verdicts().front().decision, WafDecision::block) << attack;
  }
  // Detached, nothing more is counted.
  waf_attach_scan_profile(r.scratch(), nullptr);
  const WafScanProfile before = profile;
  r.feed(get("/search?q=again"));
  EXPECT_EQ(profile.scans[kNormalised][kArgs][kPlain], before.scans[kNormalised][kArgs][kPlain]);
}

TEST(WafInspectTiers, ATierWithNearlyAllOfALargerTiersPatternsIsJoinedToIt) {
  // Every argument pattern can match plain values: one database would hold them all in every
  // tier, so every value is joined in `any` and a request costs one scan.
  const WafEnginePtr engine = engine_of(R"(rules:
  - id: "union"
    family: sqli
    fields: [args]
    patterns: ['\bunion\s+select\b']
  - id: "alpha"
    family: test
    fields: [args]
    patterns: ['alpha']
)");
  ASSERT_NE(engine, nullptr);
  Runner r(*engine);
  WafScanProfile profile;
  profile_value_of_each_tier(r, profile);
  for (int tier = 0; tier < kWafTierAny; ++tier)
    EXPECT_EQ(profile.scans[kNormalised][kArgs][tier], 0u) << waf_tier_name(tier);
  EXPECT_EQ(profile.scans[kNormalised][kArgs][kWafTierAny], 1u);
  EXPECT_EQ(profile.bytes[kNormalised][kArgs][kWafTierAny], 1u + 8u + 20u + 9u + 7u);
  r.feed(get("/search?q=hello+alpha"));
  ASSERT_EQ(r.verdicts().size(), 2u);
  EXPECT_EQ(r.verdicts().back().decision, WafDecision::block);
}

TEST(WafInspectLargeValues, ValuesLargerThanATiersBufferAreMatchedAll) {
  // A body prefix of 200 KB: a plain value longer than a tier's buffer (kWafTierBufferBytes)
  // is matched in the lane's `any` buffer, its end included; so is a long name's value.
  std::string error;
  const WafEnginePtr engine = build_waf_engine({write_rules("rules.yaml", kRules)}, 200000, error);
  ASSERT_NE(engine, nullptr) << error;
  const std::string filler(100000, 'a');
  for (const std::string& body :
       {"q=" + filler + "+union+select+1", "n" + filler + "=union+select+1",
        "q=" + filler + "&w=1+union+select+2"}) {
    Runner r(*engine);
    const auto& v = r.feed(post("/f", "application/x-www-form-urlencoded", body));
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v.front().decision, WafDecision::block) << body.substr(body.size() - 30);
  }
}

TEST_F(WafInspectTest, WhatFollowsAnEncodedEqualsSignInANameIsMatchedAsAValue) {
  // "pay%3D' or 1" is one name; a backend that decodes before it splits reads "' or 1" as
  // pay's value, and so does the rule anchored to a value's start.
  const std::string form = "application/x-www-form-urlencoded";
  EXPECT_EQ(run(post("/f", form, "pay%3D%27+or+1")).decision, WafDecision::block);
  EXPECT_EQ(run(post("/f", form, "a=1&pay%253d%2527%20or%201")).decision, WafDecision::block);
  EXPECT_EQ(run(get("/?pay%3D%27%20or%201")).decision, WafDecision::block);
  EXPECT_EQ(run(post("/f", form, "pay%3Dit%27s+%27+or+none")).decision, WafDecision::pass);
  EXPECT_EQ(run(post("/f", form, "pay+%27+or+1")).decision, WafDecision::pass);  // no '='
}

TEST_F(WafInspectTest, XmlBodiesAreSplitIntoAttributeValuesTextAndNames) {
  // A rule anchored to a value's start sees an attribute value or a text node, entity-decoded.
  const Verdict attribute = run(post("/f", "application/xml", R"(<r><a p="' or 1=1"/></r>)"));
  EXPECT_EQ(attribute.decision, WafDecision::block);
  EXPECT_EQ(attribute.rules, std::vector<std::string>{"quote-or-value"});
  EXPECT_EQ(attribute.fields, std::vector<std::string>{"body_args"});
  EXPECT_EQ(run(post("/f", "text/xml; charset=utf-8", "<r><a>\n  &apos; or 1=1</a></r>")).decision,
            WafDecision::block);
  EXPECT_EQ(run(post("/f", "application/soap+xml", "<r><![CDATA[' or 1=1]]></r>")).decision,
            WafDecision::block);
  EXPECT_EQ(run(post("/f", "application/xml", "<r><secret_name>1</secret_name></r>")).decision,
            WafDecision::block);
  EXPECT_EQ(run(post("/f", "application/xml", R"(<r secret_name="1"/>)")).decision,
            WafDecision::block);
  // Without a Content-Type, a body starting with '<' is read as XML too.
  const std::string untyped = R"(<r p="' or 1"/>)";
  EXPECT_EQ(run("POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(untyped.size()) +
                "\r\n\r\n" + untyped)
                .decision,
            WafDecision::block);
  // A percent-encoded value is decoded as a form value is, '+' as SP; without a '%' a '+' is
  // the character itself.
  EXPECT_EQ(run(post("/f", "application/xml", R"(<r><a p="%27+or+1=1"/></r>)")).decision,
            WafDecision::block);
  EXPECT_EQ(run(post("/f", "application/xml", R"(<r><a p="'+or+1=1"/></r>)")).decision,
            WafDecision::pass);
  // The same text in the middle of a value, or in a body that is not XML, is not at a start.
  EXPECT_EQ(run(post("/f", "application/xml", R"(<r><a p="it's ' or none"/></r>)")).decision,
            WafDecision::pass);
  EXPECT_EQ(run(post("/f", "text/plain", R"(<r><a p="' or 1=1"/></r>)")).decision,
            WafDecision::pass);
  // A document that parses is matched through its values: its markup and comments (which
  // no application reads as data) are `body` only, not an argument. One with faults is also
  // matched whole, as an argument, as a body that is not XML is.
  EXPECT_EQ(run(post("/f", "application/xml", "<r><!-- 1 union select 2 --></r>")).decision,
            WafDecision::pass);
  EXPECT_EQ(run(post("/f", "application/xml", "<r>1 < 2<!-- 1 union select 2 --></r>")).decision,
            WafDecision::block);
}

TEST_F(WafInspectTest, XmlValueCutByTheInspectionLimitIsMatchedUpToTheCut) {
  // The engine was built with body_inspect_bytes = 256: the value starts at byte 240.
  const std::string head = "<r pad=\"" + std::string(240 - 8, 'x') + "\" v=\"";
  const std::string body =
      head.substr(0, 240 - 4) + "\"v=\"' or 1=1 " + std::string(100, 'y') + "\"/>";
  ASSERT_EQ(body.find("' or"), 240u);
  ASSERT_GT(body.size(), 256u + 90u);
  EXPECT_EQ(run(post("/f", "application/xml", body)).decision, WafDecision::block);
}

TEST_F(WafInspectTest, BodyPastTheInspectionLimitIsCountedNotMatched) {
  // The engine was built with body_inspect_bytes = 256.
  const std::string padding(300, 'x');
  const std::string body = "pad=" + padding + "&q=union+select+1";
  const Verdict late = run(post("/f", "application/x-www-form-urlencoded", body));
  EXPECT_EQ(late.decision, WafDecision::pass);
  EXPECT_EQ(late.body_uninspected, body.size() - 256);
  const Verdict early =
      run(post("/f", "application/x-www-form-urlencoded", "q=union+select+1&pad=" + padding));
  EXPECT_EQ(early.decision, WafDecision::block);
}

TEST_F(WafInspectTest, KeepAliveResetsBetweenRequests) {
  Runner r(*engine_);
  const auto& v = r.feed(get("/?a=alpha") + get("/?b=bravo") + get("/?q=union+select+1"));
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].decision, WafDecision::pass);
  EXPECT_EQ(v[1].decision, WafDecision::pass);  // 3 + 3 would block, but not across requests
  EXPECT_EQ(v[1].score, 3u);
  EXPECT_EQ(v[2].decision, WafDecision::block);
}

TEST_F(WafInspectTest, EverySplitOfTheStreamGivesTheSameDecision) {
  const std::string attack = post("/submit?a=alpha", "application/x-www-form-urlencoded",
                                  "name=x&q=1+UNION%20SELECT+2&b=bravo");
  const std::string benign =
      post("/submit?a=1", "application/x-www-form-urlencoded", "name=x&q=selection&b=union");
  for (const std::string* request : {&attack, &benign}) {
    Runner whole(*engine_);
    const Verdict expected = whole.feed(*request).at(0);
    for (size_t cut = 1; cut < request->size(); ++cut) {
      Runner split(*engine_);
      const auto& v = split.feed(*request, {cut});
      ASSERT_EQ(v.size(), 1u) << cut;
      EXPECT_EQ(v[0].decision, expected.decision) << cut;
      EXPECT_EQ(v[0].score, expected.score) << cut;
      EXPECT_EQ(v[0].rules, expected.rules) << cut;
    }
    std::vector<size_t> every_byte;
    for (size_t i = 1; i < request->size(); ++i) every_byte.push_back(i);
    Runner bytewise(*engine_);
    EXPECT_EQ(bytewise.feed(*request, every_byte).at(0).rules, expected.rules);
  }
  EXPECT_EQ(Runner(*engine_).feed(attack).at(0).decision, WafDecision::block);
  EXPECT_EQ(Runner(*engine_).feed(benign).at(0).decision, WafDecision::pass);
}

TEST_F(WafInspectTest, HostileBodiesGetADecision) {
  // Truncated and malformed structure in every body kind: each request still ends in a
  // decision, and nothing reads outside the buffers (ASan runs of this suite check that).
  uint32_t seed = 12345;
  auto next = [&seed]() { return seed = seed * 1103515245u + 12345u; };
  const std::string pieces[] = {"--b\r\n",
                                "Content-Disposition: form-data; name=\"",
                                "\"",
                                "\r\n\r\n",
                                "{\"",
                                "\\u00",
                                "\\",
                                "%",
                                "%u",
                                "&",
                                "=",
                                "+",
                                "/*",
                                "<",
                                "union select",
                                "\x00",
                                "\xff",
                                "filename=\"x"};
  for (const char* type :
       {"multipart/form-data; boundary=b", "application/json", "application/x-www-form-urlencoded",
        "text/xml", "multipart/form-data; boundary=\"unterminated"}) {
    for (int i = 0; i < 200; ++i) {
      std::string body;
      for (uint32_t n = next() % 40; n > 0; --n) body += pieces[next() % std::size(pieces)];
      const Verdict v = run(post("/f", type, body));
      EXPECT_NE(v.decision, WafDecision::undecided) << type << " " << body;
    }
  }
}

TEST(WafEngineTest, AnchorsHoldAtEveryValue) {
  // ^ and $ are the start and end of each value, whichever of a lane's values it is.
  std::string error;
  auto engine = build_waf_engine({write_rules("anchors.yaml", R"(rules:
  - id: "whole-value"
    family: lfi
    fields: [args]
    patterns: ['^etc/passwd$']
  - id: "value-end"
    family: test
    fields: [args]
    patterns: ['(?:^|\x00)-{2}(?:$|\x00)']
)")},
                                 1024, error);
  ASSERT_NE(engine, nullptr) << error;
  const auto decide = [&](const std::string& target) {
    Runner r(*engine);
    const Verdict v = r.feed(get(target)).at(0);
    return v.rules.empty() ? std::string() : v.rules.front();
  };
  EXPECT_EQ(decide("/?a=1&b=etc/passwd&c=2"), "whole-value");
  EXPECT_EQ(decide("/?b=etc/passwd"), "whole-value");
  EXPECT_EQ(decide("/?a=1&b=xetc/passwd"), "");
  EXPECT_EQ(decide("/?a=1&b=etc/passwdx&c=2"), "");
  EXPECT_EQ(decide("/?a=1&b=--&c=2"), "value-end");
  EXPECT_EQ(decide("/?a=1&b=x--&c=2"), "");
}

TEST(WafEngineTest, ContentTypeRulesSeeTheContentTypeOnly) {
  std::string error;
  auto engine = build_waf_engine({write_rules("ctype.yaml", R"(rules:
  - id: "ctype"
    family: protocol
    fields: [content_type]
    patterns: ['charset=evil']
  - id: "any-header"
    family: test
    fields: [headers]
    patterns: ['forbidden-word']
)")},
                                 1024, error);
  ASSERT_NE(engine, nullptr) << error;
  const auto verdict = [&](const std::string& headers) {
    Runner r(*engine, 100);  // every match is scored, none blocks
    return r.feed(get("/", headers)).at(0);
  };
  EXPECT_EQ(verdict("Content-Type: text/plain; charset=evil\r\n").rules,
            std::vector<std::string>{"ctype"});
  EXPECT_TRUE(verdict("X-Note: text/plain; charset=evil\r\n").rules.empty());
  // The Content-Type value is a header value as well.
  const Verdict both = verdict("Content-Type: forbidden-word; charset=evil\r\n");
  std::vector<std::string> rules = both.rules;
  std::sort(rules.begin(), rules.end());
  EXPECT_EQ(rules, (std::vector<std::string>{"any-header", "ctype"}));
}

TEST(WafEngineTest, EmptyRuleSetPassesEverything) {
  std::string error;
  auto engine = build_waf_engine({write_rules("empty.yaml", "rules: []\n")}, 1024, error);
  ASSERT_NE(engine, nullptr) << error;
  EXPECT_EQ(waf_rule_count(*engine), 0u);
  Runner r(*engine);
  EXPECT_EQ(r.feed(get("/?q=1+union+select+2")).at(0).decision, WafDecision::pass);
}

}  // namespace
}  // namespace gauntlet
