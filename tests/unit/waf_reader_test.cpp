// waf_read: one flow's client bytes, segment by segment, through a WafFlows slot into the
// engine, as the WAF stage (conntrack flows) and the proxy layer (l7-route flows) both drive
// it: keep-alive requests, segments out of order, retransmissions, detect-only, a lying TLS
// record; and the slots that flows outside conntrack take from the same pool.
#include "dataplane/waf/waf_reader.h"

#include <gtest/gtest.h>
#include <string>

#include "tests/unit/waf_test_support.h"

namespace gauntlet {
namespace {

using waf_test::write_rules;

constexpr const char* kRules = R"(rules:
  - id: "942100"
    family: sqli
    fields: [args, body_args]
    patterns: ['\bor\b\s*[\d\x27"]+\s*=\s*[\d\x27"]+']
    flags: [caseless]
    score: 5
)";

Config config(uint32_t max_flows) {
  Config cfg;
  cfg.conntrack.capacity = 64;
  cfg.waf.enabled = true;
  cfg.waf.memory_bytes = 4 << 20;
  cfg.waf.max_flows = max_flows;
  cfg.waf.flow_buffer_bytes = 4096;
  cfg.waf.body_inspect_bytes = 1024;
  ServiceConfig web;
  web.name = "web";
  web.waf.enabled = true;
  cfg.services = {web};
  return cfg;
}

class WafReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    engine_ = build_waf_engine({write_rules("rules.yaml", kRules)}, 1024, error);
    ASSERT_NE(engine_, nullptr) << error;
    scratch_ = make_waf_scratch(*engine_);
  }
  WafReadResult read(WafFlowSlot& slot, uint32_t seq, const std::string& bytes) {
    begin_waf_note(note_);
    return waf_read(*engine_, *scratch_, policy_, slot, flows_.reorder(), seq,
                    reinterpret_cast<const uint8_t*>(bytes.data()),
                    static_cast<uint32_t>(bytes.size()), note_);
  }
  static std::string get(const std::string& target) {
    return "GET " + target + " HTTP/1.1\r\nHost: site.com\r\n\r\n";
  }
  WafEnginePtr engine_;
  WafScratchPtr scratch_;
  WafFlows flows_{config(4)};
  ServiceWafPolicy policy_;
  WafNote note_;
};

TEST_F(WafReaderTest, SecondKeepAliveRequestIsBlockedOnceItsHoleIsFilled) {
  const uint32_t isn = 0xfffffff0;  // the stream wraps within the second request
  const uint32_t index = flows_.acquire_slot(isn + 1);
  ASSERT_NE(index, kNoWafSlot);
  WafFlowSlot& slot = flows_.slot(index);
  const std::string first = get("/"), second = get("/search?q=1%27%20or%201=1");
  WafReadResult r = read(slot, isn + 1, first);
  EXPECT_EQ(r.stream, StreamResult::delivered);
  EXPECT_EQ(r.verdict, WafVerdict::none);
  EXPECT_TRUE(note_.has_request);
  EXPECT_EQ(note_.score, 0u);
  const uint32_t at = isn + 1 + static_cast<uint32_t>(first.size());
  // Its tail first: held in the reorder window, nothing read yet.
  r = read(slot, at + 10, second.substr(10));
  EXPECT_EQ(r.stream, StreamResult::buffered);
  EXPECT_EQ(flows_.reorder().in_use(), 1u);
  r = read(slot, at, second.substr(0, 10));
  EXPECT_EQ(r.stream, StreamResult::stopped);
  EXPECT_EQ(r.verdict, WafVerdict::blocked);
  EXPECT_EQ(waf_reset_reason(r.verdict), Reason::waf_blocked);
  EXPECT_EQ(note_.request, 1u);
  EXPECT_EQ(note_.score, 5u);
  ASSERT_EQ(note_.match_count, 1u);
  EXPECT_EQ(waf_rule_id(*engine_, note_.rules[0]), "942100");
  EXPECT_EQ(std::string(note_.excerpt, note_.excerpt_length), "1' or 1=1");
  flows_.release_slot(index);
  EXPECT_EQ(flows_.reorder().in_use(), 0u);
}

TEST_F(WafReaderTest, DetectOnlyPassesTheAttackWithAnEvent) {
  policy_.detect_only = true;
  const uint32_t index = flows_.acquire_slot(1);
  ASSERT_NE(index, kNoWafSlot);
  const WafReadResult r = read(flows_.slot(index), 1, get("/x?id=1%27%20or%20%271%27=%271"));
  EXPECT_EQ(r.stream, StreamResult::delivered);
  EXPECT_TRUE(r.logged);
  EXPECT_EQ(note_.score, 5u);
  EXPECT_EQ(note_.match_count, 1u);
  flows_.release_slot(index);
}

TEST_F(WafReaderTest, RetransmittedBytesAreNotReadAgain) {
  const uint32_t index = flows_.acquire_slot(100);
  ASSERT_NE(index, kNoWafSlot);
  const std::string request = get("/ok");
  EXPECT_EQ(read(flows_.slot(index), 100, request).stream, StreamResult::delivered);
  EXPECT_EQ(read(flows_.slot(index), 100, request).stream, StreamResult::duplicate);
  EXPECT_EQ(flows_.slot(index).stream.next_seq(), 100 + request.size());
  flows_.release_slot(index);
}

TEST_F(WafReaderTest, AHandshakeRecordThatLiesIsAViolation) {
  const uint32_t index = flows_.acquire_slot(1);
  ASSERT_NE(index, kNoWafSlot);
  const std::string lying("\x16\x09\x09\x00\x05hello", 10);
  const WafReadResult r = read(flows_.slot(index), 1, lying);
  EXPECT_EQ(r.stream, StreamResult::stopped);
  EXPECT_EQ(r.verdict, WafVerdict::violation);
  EXPECT_EQ(waf_reset_reason(r.verdict), Reason::waf_protocol_violation);
  EXPECT_EQ(note_.violation_kind, WafViolationKind::tls);
  flows_.release_slot(index);
}

TEST(WafFlowsOutsideConntrack, SlotsComeFromTheSamePoolAndLeaveReferencesAlone) {
  WafFlows f(config(2));
  const uint32_t a = f.acquire_slot(10);
  ASSERT_NE(a, kNoWafSlot);
  EXPECT_EQ(f.slot(a).stream.next_seq(), 10u);
  ASSERT_NE(f.acquire(3, 20), nullptr);       // a conntrack flow takes the other slot
  EXPECT_EQ(f.acquire_slot(30), kNoWafSlot);  // full: the proxied flow is reset
  EXPECT_EQ(f.ref(0).phase, WafPhase::none);
  f.release_slot(a);
  EXPECT_EQ(f.slots_in_use(), 1u);
  f.release_slot(kNoWafSlot);  // nothing held: nothing happens
  EXPECT_EQ(f.slots_in_use(), 1u);
  const uint32_t b = f.acquire_slot(40);
  ASSERT_NE(b, kNoWafSlot);
  EXPECT_EQ(f.slot(b).kind, WafStreamKind::unknown);
  EXPECT_EQ(f.flows_inspected(), 3u);
}

}  // namespace
}  // namespace gauntlet
