// firewall: / allowlist: rule loading: the rule model each line produces, rule files and
// ClassBench files, and every bad rule rejected with its file:line:column.
#include <filesystem>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "dataplane/control/config.h"

namespace gauntlet {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Lines 1-3: valid ports, so a test's own lines start at line 4.
constexpr const char* kPorts =
    "ports:\n"
    "  outside: { mac: 02:00:00:00:00:01, addresses: [198.51.100.1/24] }\n"
    "  inside: { mac: 02:00:00:00:00:02, addresses: [10.0.0.1/24] }\n";

class RulesConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rules_config_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::optional<Config> load(const std::string& body) {
    errors_.clear();
    return load_config(write("config.yaml", std::string(kPorts) + body), errors_);
  }
  std::vector<std::string> error_lines() const {
    std::vector<std::string> lines;
    for (const auto& e : errors_) lines.push_back(e.to_string().substr(dir_.string().size() + 1));
    return lines;
  }

  fs::path dir_;
  std::vector<ConfigError> errors_;
};

TEST_F(RulesConfig, RuleFieldsBecomeTheModel) {
  auto cfg = load(
      "firewall:\n"
      "  default: deny\n"
      "  rules:\n"
      "    - { id: web, action: allow, log: true, proto: tcp, src: 203.0.113.0/24, dst: "
      "10.0.0.0/24, "
      "src_port: 1024-65535, dst_port: 80 }\n"
      "    - { id: v6, action: deny, dst: fd00::/64, proto: 47 }\n"
      "    - { id: all, action: allow }\n");
  ASSERT_TRUE(cfg) << error_lines()[0];
  EXPECT_EQ(cfg->firewall.default_action, RuleAction::deny);
  EXPECT_EQ(cfg->allowlist.default_action, RuleAction::deny)
      << "the egress allow-list denies by default";
  ASSERT_EQ(cfg->firewall.rules.size(), 3u);
  const AclRule& web = cfg->firewall.rules[0];
  EXPECT_EQ(web.id, "web");
  EXPECT_EQ(web.action, RuleAction::allow);
  EXPECT_TRUE(web.log);
  EXPECT_EQ(web.family, 4);
  EXPECT_EQ(web.proto, 6);
  EXPECT_EQ(format_prefix(web.src), "203.0.113.0/24");
  EXPECT_EQ(format_prefix(web.dst), "10.0.0.0/24");
  EXPECT_EQ(web.src_ports.lo, 1024);
  EXPECT_EQ(web.src_ports.hi, 65535);
  EXPECT_EQ(web.dst_ports.lo, 80);
  EXPECT_EQ(web.dst_ports.hi, 80);
  EXPECT_EQ(web.mark.line, 7);
  EXPECT_EQ(web.mark.column, 7);
  const AclRule& v6 = cfg->firewall.rules[1];
  EXPECT_EQ(v6.family, 6);
  EXPECT_EQ(v6.proto, 47);
  EXPECT_EQ(v6.src.length, 0) << "a missing src is any";
  const AclRule& all = cfg->firewall.rules[2];
  EXPECT_EQ(all.family, 0) << "no address: both families";
  EXPECT_EQ(all.proto, -1);
  EXPECT_TRUE(all.src_ports.any());
}

TEST_F(RulesConfig, IcmpRulesTakeTheirFamily) {
  auto cfg = load(
      "allowlist:\n  rules:\n    - { id: p4, action: allow, proto: icmp }\n"
      "    - { id: p6, action: allow, proto: icmpv6 }\n");
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->allowlist.rules[0].family, 4);
  EXPECT_EQ(cfg->allowlist.rules[1].family, 6);
}

TEST_F(RulesConfig, EveryBadRuleIsReportedAtItsPosition) {
  EXPECT_FALSE(
      load("firewall:\n"
           "  rules:\n"
           "    - { id: a, action: allow, dst: 10.0.0.0/33 }\n"
           "    - { id: b, action: allow, proto: tcp, dst_port: 2000-1000 }\n"
           "    - { id: c, action: allow, proto: gre }\n"
           "    - { id: d, action: maybe }\n"
           "    - { id: e, action: allow, src: 10.0.0.0/8, dst: fd00::/64 }\n"
           "    - { id: f, action: allow, proto: icmp, dst: fd00::/64 }\n"
           "    - { id: g, action: allow, dst_port: 80 }\n"
           "    - { id: 'h i', action: allow }\n"
           "    - { action: allow }\n"
           "    - { id: j, action: allow, colour: red }\n"
           "    - { id: k, action: allow, dst: 10.0.0.1/24 }\n"));
  EXPECT_THAT(
      error_lines(),
      ElementsAre(
          "config.yaml:6:36: error: dst '10.0.0.0/33' has an invalid prefix length (0..32)",
          "config.yaml:7:53: error: dst_port range 2000-1000 is upside down (write 1000-2000)",
          "config.yaml:8:38: error: unknown protocol 'gre' (tcp, udp, icmp, icmpv6, any or 0-255)",
          "config.yaml:9:24: error: action must be allow or deny, not 'maybe'",
          "config.yaml:10:7: error: rule 'e' mixes an IPv4 source with an IPv6 destination",
          "config.yaml:11:38: error: icmp is an IPv4 protocol but rule 'f' is IPv6",
          "config.yaml:12:7: error: rule 'g' matches ports but its proto is not tcp or udp",
          "config.yaml:13:13: error: rule id 'h i' must be letters, digits, '_', '.', ':' or '-'",
          "config.yaml:14:7: error: a rule needs an id and an action (allow or deny)",
          "config.yaml:15:31: error: unknown key 'colour' in a rule (expected one of: id, action, "
          "log, src, "
          "dst, src_port, dst_port, proto)",
          "config.yaml:16:36: error: dst '10.0.0.1/24' has bits set after the prefix length (did "
          "you mean "
          "10.0.0.0/24?)"));
}

TEST_F(RulesConfig, DuplicateIdsAcrossBothListsAreErrors) {
  EXPECT_FALSE(
      load("firewall:\n  rules:\n    - { id: x, action: allow }\n"
           "allowlist:\n  rules:\n    - { id: x, action: deny }\n"));
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_EQ(errors_[0].line, 9);
  EXPECT_THAT(errors_[0].message, HasSubstr("duplicate rule id 'x' (first at "));
  EXPECT_THAT(errors_[0].message, HasSubstr("config.yaml:6:7)"));
}

TEST_F(RulesConfig, RuleCountPastMaxRulesIsAnError) {
  EXPECT_FALSE(
      load("max_rules: 2\nfirewall:\n  rules:\n    - { id: a, action: allow }\n"
           "    - { id: b, action: allow }\n    - { id: c, action: allow }\n    - { id: d, action: "
           "allow }\n"));
  EXPECT_THAT(error_lines(),
              ElementsAre("config.yaml:9:7: error: firewall has more than max_rules (2) rules"));
}

TEST_F(RulesConfig, ShadowedRulesAreWarningsAndOverlapsAreNotes) {
  auto cfg = load(
      "firewall:\n  rules:\n"
      "    - { id: wide, action: allow, proto: tcp, dst: 10.0.0.0/24 }\n"
      "    - { id: narrow, action: deny, proto: tcp, dst: 10.0.0.5/32, dst_port: 22 }\n"
      "    - { id: bad-net, action: deny, src: 192.0.2.0/24 }\n");
  ASSERT_TRUE(cfg);
  ASSERT_EQ(cfg->warnings.size(), 1u);
  EXPECT_THAT(cfg->warnings[0],
              HasSubstr("config.yaml:7:7: warning: firewall: rule 'narrow' is shadowed by rule "
                        "'wide'"));
  ASSERT_EQ(cfg->notes.size(), 1u);
  EXPECT_THAT(cfg->notes[0], HasSubstr("rule 'bad-net' overlaps rule 'wide'"));
}

TEST_F(RulesConfig, RuleFilesAreReadRelativeToTheConfigWithTheirOwnPositions) {
  write("extra.yaml",
        "- { id: from-file, action: deny, proto: udp }\n- { id: broken, action: allow, proto: nope "
        "}\n");
  write("list.yaml", "rules:\n  - { id: listed, action: allow }\n");
  EXPECT_FALSE(load("firewall:\n  rule_files: [extra.yaml, list.yaml, missing.yaml]\n"));
  EXPECT_THAT(
      error_lines(),
      ElementsAre(
          "extra.yaml:2:39: error: unknown protocol 'nope' (tcp, udp, icmp, icmpv6, any or 0-255)",
          HasSubstr("config.yaml:5:39: error: cannot open rule file ")));
  write("extra.yaml", "- { id: from-file, action: deny, proto: udp }\n");
  auto cfg = load("firewall:\n  rule_files: [extra.yaml, list.yaml]\n");
  ASSERT_TRUE(cfg);
  ASSERT_EQ(cfg->firewall.rules.size(), 2u);
  EXPECT_EQ(cfg->firewall.rules[0].id, "from-file");
  EXPECT_EQ(cfg->firewall.rules[1].id, "listed");
}

TEST_F(RulesConfig, ClassBenchRulesLoadAsAllowRules) {
  write(
      "set.rules",
      "@175.212.181.112/28\t172.105.239.56/30\t88 : 88\t24032 : 24032\t0x11/0xFF\t0x0000/0x0000\t\n"
      "@0.0.0.0/0\t10.0.0.0/8\t0 : 65535\t1000 : 2000\t0x00/0x00\t0x0000/0x0000\t\n");
  auto cfg = load("firewall:\n  classbench: set.rules\n");
  ASSERT_TRUE(cfg) << error_lines()[0];
  ASSERT_EQ(cfg->firewall.rules.size(), 2u);
  const AclRule& r = cfg->firewall.rules[0];
  EXPECT_EQ(r.id, "cb1");
  EXPECT_EQ(r.proto, 17);
  EXPECT_EQ(format_prefix(r.src), "175.212.181.112/28");
  EXPECT_EQ(r.src_ports.lo, 88);
  EXPECT_EQ(r.dst_ports.hi, 24032);
  EXPECT_EQ(cfg->firewall.rules[1].proto, -1);
  EXPECT_EQ(cfg->firewall.rules[1].dst_ports.lo, 1000);
  // A device is not read (it would never end).
  EXPECT_FALSE(load("firewall:\n  classbench: /dev/zero\n"));
  EXPECT_THAT(
      error_lines(),
      ElementsAre(HasSubstr("error: cannot open ClassBench file /dev/zero: not a regular file")));
  write("bad.rules", "@1.2.3.4/40 5.6.7.8/8 1 : 2 3 : 4 0x06/0xFF\n");
  EXPECT_FALSE(load("firewall:\n  classbench: bad.rules\n"));
  EXPECT_THAT(error_lines(),
              ElementsAre("bad.rules:1:1: error: not a ClassBench rule (@src/len dst/len lo : hi "
                          "lo : hi proto/mask)"));
}

}  // namespace
}  // namespace gauntlet
