// Tests for the body past the inspection buffer: streamed through the rules that name the
// `body` field (Hyperscan streaming mode), so an attack deep in a long body, across the
// buffer's end, split over many segments or anchored at the body's end is still matched;
// rules on parsed arguments stay limited to the buffer; keep-alive requests each get a fresh
// stream. Small rule sets written here; no EAL.
#include <gtest/gtest.h>
#include <string>
#include <vector>

#include "dataplane/waf/waf_engine.h"
#include "tests/unit/waf_test_support.h"

namespace gauntlet {
namespace {

using waf_test::post;
using waf_test::Runner;
using waf_test::Verdict;
using waf_test::write_rules;

constexpr const char* kRules = R"(rules:
  - id: "body-marker"
    family: test
    fields: [body]
    patterns: ['evil-payload-marker']
  - id: "body-raw"
    family: test
    fields: [body]
    transform: raw
    patterns: ['RawCaseMatters']
  - id: "body-end"
    family: test
    fields: [body]
    patterns: ['tail-at-the-end$']
  - id: "args-only"
    family: sqli
    fields: [body_args]
    patterns: ['\bunion\s+select\b']
)";

constexpr uint32_t kBuffer = 256;  // body_inspect_bytes of the engine under test

class WafBodyStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    engine_ = build_waf_engine({write_rules("rules.yaml", kRules)}, kBuffer, error);
    ASSERT_NE(engine_, nullptr) << error;
  }
  Verdict run(const std::string& request, const std::vector<size_t>& cuts = {}) {
    Runner r(*engine_);
    const auto& v = r.feed(request, cuts);
    EXPECT_EQ(v.size(), 1u);
    return v.empty() ? Verdict{} : v.front();
  }
  // A text body of `size` bytes with `insert` at `at`.
  static std::string body_with(size_t size, size_t at, const std::string& insert) {
    std::string body(size, 'x');
    return body.replace(at, insert.size(), insert);
  }
  WafEnginePtr engine_;
};

TEST_F(WafBodyStreamTest, AttackDeepInALongBodyIsBlocked) {
  const Verdict v = run(post("/f", "text/plain", body_with(5000, 4000, "evil-payload-marker")));
  EXPECT_EQ(v.decision, WafDecision::block);
  ASSERT_EQ(v.rules.size(), 1u);
  EXPECT_EQ(v.rules[0], "body-marker");
  EXPECT_EQ(v.fields[0], "body");
  EXPECT_NE(v.excerpt.find("evil-payload-marker"), std::string::npos) << v.excerpt;
  EXPECT_EQ(v.body_uninspected, 0u);
}

TEST_F(WafBodyStreamTest, AttackAcrossTheBufferEndIsBlocked) {
  for (size_t at = kBuffer - 18; at <= kBuffer; ++at) {
    const Verdict v = run(post("/f", "text/plain", body_with(1000, at, "evil-payload-marker")));
    EXPECT_EQ(v.decision, WafDecision::block) << "marker at " << at;
  }
}

TEST_F(WafBodyStreamTest, EverySegmentationOfTheTailGivesTheSameDecision) {
  const std::string request = post("/f", "text/plain", body_with(900, 600, "evil-payload-marker"));
  const size_t marker = request.find("evil-payload-marker");
  for (size_t cut = marker - 2; cut <= marker + 20; ++cut) {
    EXPECT_EQ(run(request, {cut}).decision, WafDecision::block) << "cut at " << cut;
    EXPECT_EQ(run(request, {cut - 1, cut, cut + 1}).decision, WafDecision::block);
  }
}

TEST_F(WafBodyStreamTest, NormalisedPatternsAreCaselessAndRawOnesAreNot) {
  EXPECT_EQ(run(post("/f", "text/plain", body_with(2000, 1500, "EVIL-PAYLOAD-MARKER"))).decision,
            WafDecision::block);
  EXPECT_EQ(run(post("/f", "text/plain", body_with(2000, 1500, "RawCaseMatters"))).decision,
            WafDecision::block);
  EXPECT_EQ(run(post("/f", "text/plain", body_with(2000, 1500, "rawcasematters"))).decision,
            WafDecision::pass);
}

TEST_F(WafBodyStreamTest, PatternAnchoredAtTheEndMatchesOnlyAtTheEnd) {
  const std::string tail = "tail-at-the-end";
  EXPECT_EQ(run(post("/f", "text/plain", std::string(3000, 'y') + tail)).decision,
            WafDecision::block);
  EXPECT_EQ(run(post("/f", "text/plain", std::string(3000, 'y') + tail + "z")).decision,
            WafDecision::pass);
}

TEST_F(WafBodyStreamTest, LongBenignBodyPassesWithEveryByteMatched) {
  const std::string body(20000, 'b');
  const Verdict v = run(post("/f", "text/plain", body));
  EXPECT_EQ(v.decision, WafDecision::pass);
  EXPECT_EQ(v.body_uninspected, 0u);
  EXPECT_EQ(v.body_streamed, body.size() - kBuffer);
}

TEST_F(WafBodyStreamTest, ArgumentRulesStayWithinTheBuffer) {
  // Parsed arguments exist only for the buffered prefix: past it, only `body` rules match.
  const std::string body = "pad=" + std::string(400, 'x') + "&q=union+select+1";
  const Verdict v = run(post("/f", "application/x-www-form-urlencoded", body));
  EXPECT_EQ(v.decision, WafDecision::pass);
  EXPECT_EQ(v.body_uninspected, 0u);
}

TEST_F(WafBodyStreamTest, KeepAliveRequestsEachGetAFreshStream) {
  // The first body ends with half the marker, the second starts with the other half: no
  // match may run from one request into the next.
  const std::string first = post("/a", "text/plain", std::string(1000, 'x') + "evil-payl");
  const std::string second = post("/b", "text/plain", "oad-marker" + std::string(1000, 'x'));
  Runner r(*engine_);
  const auto& v = r.feed(first + second);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].decision, WafDecision::pass);
  EXPECT_EQ(v[1].decision, WafDecision::pass);
  const auto& w = r.feed(post("/c", "text/plain", body_with(3000, 2000, "evil-payload-marker")));
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[2].decision, WafDecision::block);
}

TEST(WafBodyStreamEngineTest, WithoutBodyRulesTheTailIsCountedUninspected) {
  std::string error;
  auto engine = build_waf_engine(
      {write_rules("args.yaml",
                   "rules:\n  - id: a\n    family: t\n    fields: [args]\n    patterns: ['x']\n")},
      kBuffer, error);
  ASSERT_NE(engine, nullptr) << error;
  Runner r(*engine);
  const Verdict v = r.feed(post("/f", "text/plain", std::string(1000, 'q'))).at(0);
  EXPECT_EQ(v.decision, WafDecision::pass);
  EXPECT_EQ(v.body_uninspected, 1000u - kBuffer);
}

}  // namespace
}  // namespace gauntlet
