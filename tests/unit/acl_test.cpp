// The rte_acl classifier against the linear reference matcher: random rule sets (IPv4,
// IPv6 and both), random packets and packets aimed inside rules, ClassBench rule sets
// with their traces, and every burst size 1..64 giving the same answers.
#include <arpa/inet.h>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <random>
#include <unistd.h>

#include "dataplane/acl/classifier.h"
#include "dataplane/control/config.h"
#include "tests/unit/eal_environment.h"

namespace gauntlet {
namespace {

::testing::Environment* const kEal =
    ::testing::AddGlobalTestEnvironment(new testing::EalEnvironment);

Prefix random_prefix(std::mt19937& rng, uint8_t version) {
  Prefix p;
  p.version = version;
  std::uniform_int_distribution<int> byte(0, 255);
  // Few distinct high bytes, so that random rules overlap and nest like real ones.
  p.address.bytes[0] = static_cast<uint8_t>(byte(rng) % 4 + 10);
  for (unsigned i = 1; i < (version == 4 ? 4u : 16u); ++i)
    p.address.bytes[i] = static_cast<uint8_t>(byte(rng) % 8);
  const unsigned max = version == 4 ? 32 : 128;
  p.length = static_cast<uint8_t>(std::uniform_int_distribution<unsigned>(0, max)(rng));
  for (unsigned bit = p.length; bit < max; ++bit)
    p.address.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  return p;
}

PortRange random_range(std::mt19937& rng) {
  std::uniform_int_distribution<int> kind(0, 3);
  std::uniform_int_distribution<int> port(0, 2000);
  switch (kind(rng)) {
    case 0:
      return {};
    case 1: {
      const auto p = static_cast<uint16_t>(port(rng));
      return {p, p};
    }
    default: {
      auto a = static_cast<uint16_t>(port(rng)), b = static_cast<uint16_t>(port(rng));
      return {std::min(a, b), std::max(a, b)};
    }
  }
}

std::vector<AclRule> random_rules(std::mt19937& rng, size_t n) {
  std::vector<AclRule> rules;
  std::uniform_int_distribution<int> family(0, 2);
  std::uniform_int_distribution<int> proto(0, 3);
  for (size_t i = 0; i < n; ++i) {
    AclRule r;
    r.id = "r" + std::to_string(i);
    r.action = i % 3 ? RuleAction::allow : RuleAction::deny;
    const int f = family(rng);
    r.family = f == 0 ? 0 : f == 1 ? 4 : 6;
    if (r.family) {
      r.src = random_prefix(rng, r.family);
      r.dst = random_prefix(rng, r.family);
    }
    const int p = proto(rng);
    r.proto = p == 0 ? -1 : p == 1 ? 6 : p == 2 ? 17 : (r.family == 6 ? 58 : 1);
    if (r.proto == 6 || r.proto == 17 || r.proto == -1) {
      r.src_ports = random_range(rng);
      r.dst_ports = random_range(rng);
    }
    rules.push_back(r);
  }
  return rules;
}

// A tuple inside a random rule (so rules actually match), or anywhere.
AclTuple random_tuple(std::mt19937& rng, const std::vector<AclRule>& rules) {
  AclTuple t;
  std::uniform_int_distribution<int> byte(0, 255), coin(0, 1);
  const AclRule& r = rules[std::uniform_int_distribution<size_t>(0, rules.size() - 1)(rng)];
  const bool aimed = coin(rng);
  t.family = r.family ? r.family : (coin(rng) ? 4 : 6);
  auto address = [&](const Prefix& p) {
    IpAddress a;
    for (unsigned i = 0; i < (t.family == 4 ? 4u : 16u); ++i)
      a.bytes[i] = static_cast<uint8_t>(byte(rng) % 8);
    a.bytes[0] = static_cast<uint8_t>(byte(rng) % 4 + 10);
    if (aimed && p.length) {
      for (unsigned bit = 0; bit < p.length; ++bit) {
        const uint8_t mask = static_cast<uint8_t>(0x80 >> (bit % 8));
        a.bytes[bit / 8] =
            static_cast<uint8_t>((a.bytes[bit / 8] & ~mask) | (p.address.bytes[bit / 8] & mask));
      }
    }
    return a;
  };
  t.src = address(r.src);
  t.dst = address(r.dst);
  const int protos[] = {6, 17, t.family == 4 ? 1 : 58, 47};
  t.proto = static_cast<uint8_t>(aimed && r.proto >= 0 ? r.proto : protos[byte(rng) % 4]);
  if (t.proto == 6 || t.proto == 17) {
    auto port = [&](PortRange range) {
      if (aimed)
        return static_cast<uint16_t>(std::uniform_int_distribution<int>(range.lo, range.hi)(rng));
      return static_cast<uint16_t>(std::uniform_int_distribution<int>(0, 2100)(rng));
    };
    t.src_port = port(r.src_ports);
    t.dst_port = port(r.dst_ports);
  }
  return t;
}

// Classifies `tuples` in bursts of `burst`; returns first-match indexes (-1: none).
std::vector<int32_t> classify_all(const AclClassifier& c, const std::vector<AclTuple>& tuples,
                                  size_t burst) {
  std::vector<int32_t> out(tuples.size());
  std::vector<AclKey4> k4(tuples.size());
  std::vector<AclKey6> k6(tuples.size());
  for (size_t start = 0; start < tuples.size(); start += burst) {
    const uint8_t* keys4[64];
    const uint8_t* keys6[64];
    size_t at4[64], at6[64];
    uint32_t n4 = 0, n6 = 0, r4[64], r6[64];
    for (size_t i = start; i < std::min(tuples.size(), start + burst); ++i) {
      if (tuples[i].family == 4) {
        make_key(tuples[i], k4[i]);
        keys4[n4] = reinterpret_cast<const uint8_t*>(&k4[i]);
        at4[n4++] = i;
      } else {
        make_key(tuples[i], k6[i]);
        keys6[n6] = reinterpret_cast<const uint8_t*>(&k6[i]);
        at6[n6++] = i;
      }
    }
    if (n4) c.classify4(keys4, r4, n4);
    if (n6) c.classify6(keys6, r6, n6);
    for (uint32_t i = 0; i < n4; ++i) out[at4[i]] = static_cast<int32_t>(r4[i]) - 1;
    for (uint32_t i = 0; i < n6; ++i) out[at6[i]] = static_cast<int32_t>(r6[i]) - 1;
  }
  return out;
}

void expect_same_as_reference(const std::vector<AclRule>& rules,
                              const std::vector<AclTuple>& tuples, const AclClassifier& c,
                              size_t burst) {
  const auto got = classify_all(c, tuples, burst);
  size_t mismatches = 0;
  for (size_t i = 0; i < tuples.size(); ++i) {
    const int32_t want = reference_classify(rules, tuples[i]);
    if (got[i] != want && ++mismatches <= 5)
      ADD_FAILURE() << "burst " << burst << " packet " << i << ": rte_acl rule " << got[i]
                    << ", reference " << want;
  }
  EXPECT_EQ(mismatches, 0u) << "burst size " << burst;
}

int name_counter = 0;
std::unique_ptr<AclClassifier> build(const std::vector<AclRule>& rules) {
  std::string error;
  auto c = AclClassifier::build(rules, "acl_test_" + std::to_string(name_counter++), error);
  EXPECT_TRUE(c) << error;
  return c;
}

TEST(AclClassifier, RandomRulesMatchReferenceAtEveryBurstSize) {
  std::mt19937 rng(7);
  const auto rules = random_rules(rng, 300);
  std::vector<AclTuple> tuples;
  for (int i = 0; i < 4000; ++i) tuples.push_back(random_tuple(rng, rules));
  auto c = build(rules);
  ASSERT_TRUE(c);
  size_t matched = 0;
  for (const auto& t : tuples) matched += reference_classify(rules, t) >= 0;
  EXPECT_GT(matched, tuples.size() / 3) << "the generator must aim enough packets inside rules";
  for (size_t burst = 1; burst <= 64; ++burst) expect_same_as_reference(rules, tuples, *c, burst);
}

TEST(AclClassifier, ManyRandomRuleSetsMatchReference) {
  std::mt19937 rng(11);
  for (int set = 0; set < 20; ++set) {
    const auto rules = random_rules(rng, 1 + set * 25);
    std::vector<AclTuple> tuples;
    for (int i = 0; i < 1000; ++i) tuples.push_back(random_tuple(rng, rules));
    auto c = build(rules);
    ASSERT_TRUE(c);
    expect_same_as_reference(rules, tuples, *c, 32);
  }
}

TEST(AclClassifier, FirstMatchWinsOverLaterBroaderRule) {
  AclRule deny;
  deny.id = "deny-one", deny.action = RuleAction::deny, deny.family = 4;
  deny.dst.version = 4, deny.dst.length = 32, deny.dst.address.bytes = {10, 0, 0, 11};
  AclRule allow;
  allow.id = "allow-all";
  const std::vector<AclRule> rules{deny, allow};
  auto c = build(rules);
  ASSERT_TRUE(c);
  AclTuple to11{.family = 4, .proto = 6};
  to11.dst.bytes = {10, 0, 0, 11};
  AclTuple to10 = to11;
  to10.dst.bytes = {10, 0, 0, 10};
  AclTuple v6{.family = 6, .proto = 17};
  EXPECT_EQ(classify_all(*c, {to11, to10, v6}, 3), (std::vector<int32_t>{0, 1, 1}));
}

TEST(AclClassifier, EmptyRuleListMatchesNothing) {
  auto c = build({});
  ASSERT_TRUE(c);
  AclTuple t{.family = 4, .proto = 6};
  EXPECT_EQ(classify_all(*c, {t, AclTuple{.family = 6, .proto = 6}}, 2),
            (std::vector<int32_t>{-1, -1}));
}

// ClassBench rule sets with their traces (as dpdk-test-acl reads them), loaded through the
// config loader; the trace's last column is the generating rule, not the answer, so the
// answer is the reference's linear scan.
void classbench_case(const std::string& name) {
  const std::string corpora = std::string(GAUNTLET_SOURCE_ROOT) + "/../shared/corpora/classbench/";
  const std::string rules_file = corpora + name, trace_file = corpora + name + "_trace";
  ASSERT_TRUE(std::filesystem::exists(rules_file))
      << rules_file << " (the shared corpora must sit beside the repo)";
  const auto dir =
      std::filesystem::temp_directory_path() / ("acl_test_" + std::to_string(getpid()) + name);
  std::filesystem::create_directories(dir);
  const std::string config = (dir / "config.yaml").string();
  std::ofstream(config) << "ports:\n"
                        << "  outside: { mac: 02:00:00:00:00:01, addresses: [198.51.100.1/24] }\n"
                        << "  inside: { mac: 02:00:00:00:00:02, addresses: [10.0.0.1/24] }\n"
                        << "max_rules: 20000\nfirewall: { classbench: " << rules_file << " }\n";
  std::vector<ConfigError> errors;
  auto cfg = load_config(config, errors);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(cfg) << (errors.empty() ? "" : errors[0].to_string());
  const auto& rules = cfg->firewall.rules;
  ASSERT_GT(rules.size(), 500u);
  std::ifstream trace(trace_file);
  std::vector<AclTuple> tuples;
  uint64_t src, dst, sport, dport, proto, flags, rule;
  while (trace >> src >> dst >> sport >> dport >> proto >> flags >> rule) {
    AclTuple t{.family = 4, .proto = static_cast<uint8_t>(proto)};
    const uint32_t s = htonl(static_cast<uint32_t>(src)), d = htonl(static_cast<uint32_t>(dst));
    std::memcpy(t.src.bytes.data(), &s, 4);
    std::memcpy(t.dst.bytes.data(), &d, 4);
    // Ports only exist for TCP and UDP, as the firewall stage sees packets.
    if (proto == 6 || proto == 17)
      t.src_port = static_cast<uint16_t>(sport), t.dst_port = static_cast<uint16_t>(dport);
    tuples.push_back(t);
  }
  ASSERT_GT(tuples.size(), 500u);
  auto c = build(rules);
  ASSERT_TRUE(c);
  for (size_t burst : {1, 7, 32, 64}) expect_same_as_reference(rules, tuples, *c, burst);
}

TEST(AclClassifier, ClassBenchFw1MatchesReference) { classbench_case("fw1_seed_1_1k.rules"); }
TEST(AclClassifier, ClassBenchAcl1MatchesReference) { classbench_case("acl1_seed_1_8k.rules"); }

}  // namespace
}  // namespace gauntlet
