// WafFlows: the per-worker pool of inspected flows stays within waf.memory_bytes and
// waf.max_flows, hands slots out and takes them back; per-service SNI policy; and the
// services[].waf config key with its errors.
#include "dataplane/waf/waf_flows.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>

namespace gauntlet {
namespace {

Config waf_config(uint64_t memory, uint32_t max_flows, uint32_t window) {
  Config cfg;
  cfg.conntrack.capacity = 1024;
  cfg.waf.enabled = true;
  cfg.waf.memory_bytes = memory;
  cfg.waf.max_flows = max_flows;
  cfg.waf.flow_buffer_bytes = window;
  cfg.waf.body_inspect_bytes = 4096;
  ServiceConfig plain, inspected;
  plain.name = "plain";
  inspected.name = "web";
  inspected.version = 4;
  inspected.vip.bytes = {198, 51, 100, 10};
  inspected.waf.enabled = true;
  inspected.waf.threshold = 7;
  cfg.services = {plain, inspected};
  return cfg;
}

TEST(WafFlows, NothingIsAllocatedWithoutAWafService) {
  Config cfg;
  WafFlows f(cfg);
  EXPECT_FALSE(f.active());
  EXPECT_EQ(f.memory_bytes(), 0u);
  EXPECT_EQ(f.policy(0), nullptr);
}

TEST(WafFlows, PoliciesTakeTheSectionDefaultsWhereTheServiceSaysNothing) {
  Config cfg = waf_config(4 << 20, 100, 4096);
  cfg.waf.detect_only = true;
  WafFlows f(cfg);
  ASSERT_TRUE(f.active());
  EXPECT_EQ(f.policy(0), nullptr);  // "plain" has no waf
  ASSERT_NE(f.policy(1), nullptr);
  EXPECT_EQ(f.policy(1)->threshold, 7u);
  EXPECT_TRUE(f.policy(1)->detect_only);
  EXPECT_EQ(f.policy(2), nullptr);
  IpAddress vip;
  vip.bytes = {198, 51, 100, 10};
  EXPECT_TRUE(f.inspects_vip(vip, 4));
  EXPECT_FALSE(f.inspects_vip(vip, 6));
}

TEST(WafFlows, SlotsAreBoundedByMaxFlows) {
  WafFlows f(waf_config(64 << 20, 3, 4096));
  EXPECT_EQ(f.slot_count(), 3u);
  EXPECT_NE(f.acquire(1, 100), nullptr);
  EXPECT_NE(f.acquire(2, 200), nullptr);
  WafFlowSlot* third = f.acquire(3, 300);
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(third->stream.next_seq(), 300u);
  EXPECT_EQ(f.ref(3).phase, WafPhase::inspecting);
  EXPECT_EQ(f.acquire(4, 400), nullptr);  // all taken: the caller resets the flow
  EXPECT_EQ(f.slots_in_use(), 3u);
  f.release(2);
  EXPECT_EQ(f.ref(2).slot, kNoWafSlot);
  EXPECT_NE(f.acquire(4, 400), nullptr);
  f.forget(4);
  EXPECT_EQ(f.ref(4).phase, WafPhase::none);
  EXPECT_EQ(f.slots_in_use(), 2u);
  EXPECT_EQ(f.flows_inspected(), 4u);
}

TEST(WafFlows, SlotsAndWindowsAreBoundedByMemory) {
  const uint64_t memory = 1 << 20;
  WafFlows f(waf_config(memory, 100000, 5000));
  EXPECT_EQ(f.reorder().window_bytes(), 4096u);  // rounded down to a power of two
  EXPECT_EQ(f.reorder().count(), memory / 4 / 4096);
  EXPECT_EQ(f.slot_count(), (memory - memory / 4) / f.per_flow_bytes());
  EXPECT_LE(f.memory_bytes() - f.reference_bytes(), memory);
  EXPECT_EQ(f.reference_bytes(), 1024 * sizeof(WafFlowRef));
}

TEST(WafFlows, AReusedSlotStartsClean) {
  WafFlows f(waf_config(4 << 20, 1, 4096));
  WafFlowSlot* s = f.acquire(1, 10);
  ASSERT_NE(s, nullptr);
  const uint8_t later[3] = {'a', 'b', 'c'};
  auto ignore = [](const uint8_t*, size_t) { return true; };
  EXPECT_EQ(s->stream.accept(f.reorder(), 20, later, 3, ignore), StreamResult::buffered);
  s->kind = WafStreamKind::http;
  EXPECT_EQ(f.reorder().in_use(), 1u);
  f.release(1);
  EXPECT_EQ(f.reorder().in_use(), 0u);  // the window went back with the slot
  s = f.acquire(2, 99);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->kind, WafStreamKind::unknown);
  EXPECT_EQ(s->stream.next_seq(), 99u);
  EXPECT_EQ(s->stream.ranges(), 0u);
}

TEST(ServiceWafPolicy, SniListsExactAndSuffix) {
  ServiceWafPolicy p;
  EXPECT_TRUE(p.sni_allowed("anything.example"));
  EXPECT_TRUE(p.sni_allowed(""));  // no lists: a hello without SNI passes
  p.sni_deny = {"*.internal.example.com", "bad.example"};
  EXPECT_FALSE(p.sni_allowed("admin.internal.example.com"));
  EXPECT_FALSE(p.sni_allowed("a.b.internal.example.com"));
  EXPECT_TRUE(p.sni_allowed("internal.example.com"));  // *.x needs a label before x
  EXPECT_TRUE(p.sni_allowed("notinternal.example.com"));
  EXPECT_FALSE(p.sni_allowed("bad.example"));
  p.sni_allow = {"shop.example.com", "*.cdn.example.com"};
  EXPECT_TRUE(p.sni_allowed("shop.example.com"));
  EXPECT_TRUE(p.sni_allowed("img.cdn.example.com"));
  EXPECT_FALSE(p.sni_allowed("www.example.com"));
  EXPECT_FALSE(p.sni_allowed(""));  // an allow list wants a name
}

// The services[].waf key, through the whole config loader.
class ServiceWafConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = "/tmp/gauntlet-waf-flows-test-" + std::to_string(getpid());
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ + "/rules.yaml") << "rules: []\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::optional<Config> load(const std::string& services, bool waf_section) {
    const std::string path = dir_ + "/config.yaml";
    std::ofstream out(path);
    out << "ports:\n"
           "  outside: { mac: 02:00:00:00:00:01, addresses: [198.51.100.1/24] }\n"
           "  inside: { mac: 02:00:00:00:00:02, addresses: [10.0.0.1/24] }\n"
           "services:\n"
           "  - name: web\n"
           "    vip: 198.51.100.10\n"
           "    ports: [80]\n"
           "    backends: [{ address: 10.0.0.10, port: 80 }]\n"
        << services << (waf_section ? "waf:\n  rules: [rules.yaml]\n" : "");
    out.close();
    errors.clear();
    return load_config(path, errors);
  }
  std::string first_error() const { return errors.empty() ? "" : errors[0].to_string(); }
  std::string dir_;
  std::vector<ConfigError> errors;
};

TEST_F(ServiceWafConfigTest, TrueAndMapping) {
  auto cfg = load("    waf: true\n", true);
  ASSERT_TRUE(cfg) << first_error();
  EXPECT_TRUE(cfg->services[0].waf.enabled);
  cfg = load(
      "    waf: { mode: detect, threshold: 10, sni_allow: [Shop.Example.com, '*.cdn.example.com'] "
      "}\n",
      true);
  ASSERT_TRUE(cfg) << first_error();
  const ServiceWafConfig& w = cfg->services[0].waf;
  EXPECT_TRUE(w.enabled);
  EXPECT_EQ(w.detect_only, std::optional<bool>(true));
  EXPECT_EQ(w.threshold, std::optional<uint32_t>(10));
  EXPECT_EQ(w.sni_allow, (std::vector<std::string>{"shop.example.com", "*.cdn.example.com"}));
  cfg = load("    waf: false\n", false);
  ASSERT_TRUE(cfg) << first_error();
  EXPECT_FALSE(cfg->services[0].waf.enabled);
}

TEST_F(ServiceWafConfigTest, WafWithoutTheWafSectionIsAnError) {
  EXPECT_FALSE(load("    waf: true\n", false));
  EXPECT_NE(
      first_error().find("config.yaml:9:10: error: service 'web' has waf on, but the config has no "
                         "top-level waf: section"),
      std::string::npos)
      << first_error();
}

TEST_F(ServiceWafConfigTest, BadValuesNameTheirPlace) {
  EXPECT_FALSE(load("    waf: yes please\n", true));
  EXPECT_NE(first_error().find("config.yaml:9:10: error: waf must be true, false or a mapping"),
            std::string::npos)
      << first_error();
  EXPECT_FALSE(load("    waf: { mode: stop }\n", true));
  EXPECT_NE(first_error().find(":9:18: error: waf mode must be block or detect"), std::string::npos)
      << first_error();
  EXPECT_FALSE(load("    waf: { sni_deny: ['*.'] }\n", true));
  EXPECT_NE(first_error().find("sni_deny entry '*.' is not a server name"), std::string::npos)
      << first_error();
  EXPECT_FALSE(load("    waf: { treshold: 3 }\n", true));
  EXPECT_NE(first_error().find("unknown key 'treshold'"), std::string::npos) << first_error();
}

}  // namespace
}  // namespace gauntlet
