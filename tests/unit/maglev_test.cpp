// Tests for the Maglev table builder: exact upstream vectors (Envoy), the paper's balance and
// disruption properties, determinism, bad input, and the backend key helper. No EAL.
//
// Corpus: ../shared/corpora/maglev/maglev_vectors.json. Every vector carrying
// "expected_table_host_index" is Envoy's algorithm and is reproduced exactly
// (envoy_basic_addr, envoy_basic_hostname, envoy_weighted). Not applicable:
// cilium_reproducible (MurmurHash3 permutation and Cilium's own weight rule; gauntlet builds
// Envoy's variant only).
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/lb/maglev_table.h"

namespace gauntlet {
namespace {

// ---------------------------------------------------------------------------------------------
// Just enough JSON for the corpus: objects, arrays, strings (simple escapes), numbers, literals.

struct Json {
  enum class Kind { null, boolean, number, string, array, object } kind = Kind::null;
  double number = 0;
  std::string text;
  std::vector<Json> items;        // array elements, or object values
  std::vector<std::string> keys;  // object keys, parallel to items
  const Json* find(std::string_view key) const {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) return &items[i];
    }
    return nullptr;
  }
};

class JsonParser {
 public:
  explicit JsonParser(std::string_view s) : s_(s) {}
  // The whole input must be one value; on failure, at() is where parsing stopped.
  bool parse(Json& out) {
    const bool ok = parse_value(out);
    skip_space();
    return ok && pos_ == s_.size();
  }
  size_t at() const { return pos_; }

 private:
  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool eat(char c) {
    skip_space();
    if (pos_ >= s_.size() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool parse_value(Json& out) {
    skip_space();
    if (pos_ >= s_.size()) return false;
    if (s_[pos_] == '{') return parse_object(out);
    if (s_[pos_] == '[') return parse_array(out);
    if (s_[pos_] == '"') {
      out.kind = Json::Kind::string;
      return parse_string(out.text);
    }
    for (std::string_view literal : {"true", "false", "null"}) {
      if (s_.substr(pos_).starts_with(literal)) {
        out.kind = literal == "null" ? Json::Kind::null : Json::Kind::boolean;
        out.number = literal == "true";
        pos_ += literal.size();
        return true;
      }
    }
    out.kind = Json::Kind::number;
    const auto [end, ec] = std::from_chars(s_.data() + pos_, s_.data() + s_.size(), out.number);
    pos_ = static_cast<size_t>(end - s_.data());
    return ec == std::errc();
  }
  bool parse_string(std::string& out) {
    for (++pos_; pos_ < s_.size();) {
      const char c = s_[pos_++];
      if (c == '"') return true;
      if (c != '\\') {
        out += c;
      } else if (pos_ < s_.size()) {  // \" \\ \/ \n \t; the corpus has no \u escapes
        const char e = s_[pos_++];
        out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
      }
    }
    return false;
  }
  bool parse_array(Json& out) {
    out.kind = Json::Kind::array;
    ++pos_;
    if (eat(']')) return true;
    do {
      if (!parse_value(out.items.emplace_back())) return false;
    } while (eat(','));
    return eat(']');
  }
  bool parse_object(Json& out) {
    out.kind = Json::Kind::object;
    ++pos_;
    if (eat('}')) return true;
    do {
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] != '"' || !parse_string(out.keys.emplace_back()) ||
          !eat(':') || !parse_value(out.items.emplace_back()))
        return false;
    } while (eat(','));
    return eat('}');
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Fixtures

std::vector<MaglevBackend> equal_backends(uint32_t n, uint32_t weight = 1) {
  std::vector<MaglevBackend> out;
  for (uint32_t i = 0; i < n; ++i) {
    out.push_back({*maglev_backend_key(
                       "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1), 8080),
                   weight});
  }
  return out;
}

// Throws (GoogleTest reports it as the test's failure) where build is expected to succeed.
MaglevTable build_or_fail(std::span<const MaglevBackend> backends, uint32_t m) {
  std::string error;
  std::optional<MaglevTable> t = MaglevTable::build(backends, m, error);
  if (!t) throw std::runtime_error(error);
  return std::move(*t);
}

std::vector<uint32_t> counts_of(const MaglevTable& t, size_t backends) {
  std::vector<uint32_t> counts(backends, 0);
  for (uint32_t b : t.slots()) ++counts.at(b);
  return counts;
}

// ---------------------------------------------------------------------------------------------
// Upstream vectors

TEST(MaglevVectors, ReproducesEveryEnvoyVectorInTheCorpus) {
  const std::string path =
      std::string(GAUNTLET_SOURCE_ROOT) + "/../shared/corpora/maglev/maglev_vectors.json";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot open " << path;
  std::stringstream text;
  text << in.rdbuf();
  const std::string json = text.str();
  JsonParser parser(json);
  Json root;
  ASSERT_TRUE(parser.parse(root)) << path << ": JSON error at byte " << parser.at();
  const Json* vectors = root.find("vectors");
  ASSERT_TRUE(vectors && vectors->kind == Json::Kind::array);

  std::vector<std::string> reproduced, not_applicable;
  for (const Json& v : vectors->items) {
    const std::string id = v.find("id") ? v.find("id")->text : "?";
    const Json* expected = v.find("expected_table_host_index");
    if (expected == nullptr) {  // another algorithm (Cilium's): not what gauntlet builds
      not_applicable.push_back(id);
      continue;
    }
    const Json* keys = v.find("keys");
    const Json* weights = v.find("weights");
    ASSERT_TRUE(keys && weights && v.find("M")) << id;
    ASSERT_EQ(keys->items.size(), weights->items.size()) << id;
    std::vector<MaglevBackend> backends;
    for (size_t i = 0; i < keys->items.size(); ++i) {
      backends.push_back({keys->items[i].text, static_cast<uint32_t>(weights->items[i].number)});
    }
    const MaglevTable t = build_or_fail(backends, static_cast<uint32_t>(v.find("M")->number));
    std::vector<uint32_t> want;
    for (const Json& e : expected->items) want.push_back(static_cast<uint32_t>(e.number));
    const std::span<const uint32_t> got = t.slots();
    EXPECT_EQ(std::vector<uint32_t>(got.begin(), got.end()), want) << id;
    reproduced.push_back(id);
  }
  EXPECT_EQ(reproduced.size(), 3u);
  const auto join = [](const std::vector<std::string>& ids) {
    std::string out;
    for (const std::string& id : ids) out += (out.empty() ? "" : ", ") + id;
    return out;
  };
  RecordProperty("reproduced", join(reproduced));
  RecordProperty("not_applicable", join(not_applicable));
  std::printf("vectors reproduced: %s; not applicable: %s\n", join(reproduced).c_str(),
              join(not_applicable).c_str());
}

// Envoy's LocalityWeightedDifferentLocalityWeights (maglev_lb_test.cc): normalised weights
// 0.8 / 0.2, the one upstream case that shows the per-backend target starting at 0 (Envoy's
// `double target_weight_{}`); starting it at w_i instead gives a different table here.
TEST(MaglevVectors, EnvoyTargetWeightStartsAtZero) {
  const std::vector<MaglevBackend> backends{{"127.0.0.1:90", 4}, {"127.0.0.1:91", 1}};
  const MaglevTable t = build_or_fail(backends, 17);
  const std::vector<uint32_t> want{1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0};
  EXPECT_EQ(std::vector<uint32_t>(t.slots().begin(), t.slots().end()), want);
}

// ---------------------------------------------------------------------------------------------
// Paper properties

TEST(MaglevProperties, EqualWeightsGiveEveryBackendItsShareWithinOnePercent) {
  double worst = 0;
  for (uint32_t n : {3u, 100u, 655u}) {
    const auto backends = equal_backends(n);
    const MaglevTable t = build_or_fail(backends, kDefaultMaglevTableSize);
    const double share = double(kDefaultMaglevTableSize) / n;
    for (uint32_t c : counts_of(t, n)) {
      const double deviation = std::abs(c - share) / share;
      EXPECT_LE(deviation, 0.01) << "N=" << n << " count=" << c;
      worst = std::max(worst, deviation);
    }
  }
  RecordProperty("worst_balance_deviation_pct", std::to_string(worst * 100));
  std::printf("balance: worst deviation from M/N %.3f%%\n", worst * 100);
}

TEST(MaglevProperties, WeightedSharesAreProportionalWithinOnePercent) {
  std::vector<MaglevBackend> backends = equal_backends(20);
  uint64_t sum = 0;
  for (size_t i = 0; i < backends.size(); ++i) sum += backends[i].weight = 1 + i % 5;
  const MaglevTable t = build_or_fail(backends, kDefaultMaglevTableSize);
  const std::vector<uint32_t> counts = counts_of(t, backends.size());
  double worst = 0;
  for (size_t i = 0; i < backends.size(); ++i) {
    const double share = double(kDefaultMaglevTableSize) * backends[i].weight / sum;
    const double deviation = std::abs(counts[i] - share) / share;
    EXPECT_LE(deviation, 0.01) << backends[i].key << " weight " << backends[i].weight;
    worst = std::max(worst, deviation);
  }
  std::printf("weights: worst deviation from proportional share %.3f%%\n", worst * 100);
}

TEST(MaglevProperties, RemovingOneBackendMovesFewOtherSlots) {
  for (uint32_t n : {100u, 1000u}) {
    const auto before_backends = equal_backends(n);
    const uint32_t removed = n / 2;
    auto after_backends = before_backends;
    after_backends.erase(after_backends.begin() + removed);
    const MaglevTable before = build_or_fail(before_backends, kDefaultMaglevTableSize);
    const MaglevTable after = build_or_fail(after_backends, kDefaultMaglevTableSize);
    uint32_t kept = 0, moved = 0;
    for (uint32_t s = 0; s < kDefaultMaglevTableSize; ++s) {
      const uint32_t was = before.slots()[s];
      if (was == removed) continue;  // must move: its backend is gone
      ++kept;
      // Compare by key: indices after the removed one shift down by one.
      if (after_backends[after.slots()[s]].key != before_backends[was].key) ++moved;
      EXPECT_NE(after_backends[after.slots()[s]].key, before_backends[removed].key);
    }
    const double pct = 100.0 * moved / kept;
    EXPECT_LE(pct, 5.0) << "N=" << n;
    RecordProperty("disruption_pct_n" + std::to_string(n), std::to_string(pct));
    std::printf("disruption: N=%u remove 1 -> %.3f%% of the other slots moved\n", n, pct);
  }
}

TEST(MaglevProperties, BuildsAreByteIdenticalAndIndependentOfListOrder) {
  auto backends = equal_backends(50);
  backends[7].weight = 3;
  backends[9].weight = 0;
  const MaglevTable a = build_or_fail(backends, 4099);
  const MaglevTable b = build_or_fail(backends, 4099);
  ASSERT_EQ(a.slots().size(), b.slots().size());
  EXPECT_TRUE(std::equal(a.slots().begin(), a.slots().end(), b.slots().begin()));

  std::vector<MaglevBackend> reversed(backends.rbegin(), backends.rend());
  const MaglevTable r = build_or_fail(reversed, 4099);
  for (uint32_t s = 0; s < 4099; ++s) {
    ASSERT_EQ(reversed[r.slots()[s]].key, backends[a.slots()[s]].key) << "slot " << s;
  }
}

TEST(MaglevProperties, DrainedBackendGetsNoSlot) {
  auto backends = equal_backends(10);
  backends[3].weight = 0;
  const MaglevTable t = build_or_fail(backends, 257);
  const std::vector<uint32_t> counts = counts_of(t, backends.size());
  EXPECT_EQ(counts[3], 0u);
  for (size_t i = 0; i < counts.size(); ++i) {
    if (i == 3) continue;
    EXPECT_GE(counts[i], 28u) << i;  // 257 / 9 = 28.6
  }
}

TEST(MaglevLookup, ReadsTheSlotOfHashModuloM) {
  const auto backends = equal_backends(5);
  const MaglevTable t = build_or_fail(backends, 31);
  for (uint64_t h : {0ull, 1ull, 30ull, 31ull, 12345678901234567ull, ~0ull}) {
    EXPECT_EQ(t.lookup(h), t.slots()[h % 31]);
  }
}

// ---------------------------------------------------------------------------------------------
// Bad input

TEST(MaglevBadInput, EmptyListOrAllDrainedGivesAnEmptyTable) {
  std::string error;
  const auto none = MaglevTable::build({}, 7, error);
  ASSERT_TRUE(none) << error;
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(none->lookup(42), kNoBackend);

  const auto drained = equal_backends(3, 0);
  const auto zero = MaglevTable::build(drained, 7, error);
  ASSERT_TRUE(zero) << error;
  EXPECT_TRUE(zero->slots().empty());
  EXPECT_EQ(zero->lookup(0), kNoBackend);
  EXPECT_EQ(zero->lookup(~0ull), kNoBackend);
}

TEST(MaglevBadInput, RejectsNonPrimeSize) {
  std::string error;
  const auto backends = equal_backends(3);
  for (uint32_t m : {0u, 1u, 4u, 65536u, 65535u}) {
    error.clear();
    EXPECT_FALSE(MaglevTable::build(backends, m, error)) << m;
    EXPECT_NE(error.find("not prime"), std::string::npos) << error;
  }
}

TEST(MaglevBadInput, RejectsSizeSmallerThanBackendCount) {
  std::string error;
  const auto backends = equal_backends(12);
  EXPECT_FALSE(MaglevTable::build(backends, 11, error));
  EXPECT_NE(error.find("smaller than"), std::string::npos) << error;
  EXPECT_TRUE(MaglevTable::build(std::span(backends).first(11), 11, error)) << error;
}

TEST(MaglevBadInput, RejectsEmptyAndDuplicateKeys) {
  std::string error;
  const std::vector<MaglevBackend> dup{{"10.0.0.1:80", 1}, {"10.0.0.2:80", 1}, {"10.0.0.1:80", 2}};
  EXPECT_FALSE(MaglevTable::build(dup, 7, error));
  EXPECT_NE(error.find("duplicate"), std::string::npos) << error;
  const std::vector<MaglevBackend> empty_key{{"", 1}};
  EXPECT_FALSE(MaglevTable::build(empty_key, 7, error));
  EXPECT_NE(error.find("empty key"), std::string::npos) << error;
}

// ---------------------------------------------------------------------------------------------
// Helpers

TEST(MaglevPrime, MatchesTrialDivisionAndKnownLargePrimes) {
  for (uint64_t n = 0; n < 5000; ++n) {
    bool trial = n >= 2;
    for (uint64_t d = 2; d * d <= n && trial; ++d) trial = n % d != 0;
    EXPECT_EQ(is_prime(n), trial) << n;
  }
  EXPECT_TRUE(is_prime(65537));
  EXPECT_TRUE(is_prime(655373));
  EXPECT_TRUE(is_prime(4294967291ull));            // largest 32-bit prime
  EXPECT_TRUE(is_prime(18446744073709551557ull));  // largest 64-bit prime
  EXPECT_FALSE(is_prime(3215031751ull));           // strong pseudoprime to bases 2, 3, 5, 7
  EXPECT_FALSE(is_prime(4294967297ull));           // 641 * 6700417
  EXPECT_FALSE(is_prime(~0ull));
}

TEST(MaglevKey, FormatsAddressAndPortCanonically) {
  EXPECT_EQ(maglev_backend_key("127.0.0.1", 90), "127.0.0.1:90");
  EXPECT_EQ(maglev_backend_key("2001:db8::1", 443), "[2001:db8::1]:443");
  EXPECT_EQ(maglev_backend_key("2001:DB8:0:0::1", 443), "[2001:db8::1]:443");
  EXPECT_EQ(maglev_backend_key("[::1]", 8080), "[::1]:8080");
  EXPECT_EQ(maglev_backend_key("10.1.2.3", 0), "10.1.2.3:0");
  EXPECT_FALSE(maglev_backend_key("backend.example", 80));
  EXPECT_FALSE(maglev_backend_key("[10.0.0.1]", 80));
  EXPECT_FALSE(maglev_backend_key("10.0.0.1:80", 80));
  EXPECT_FALSE(maglev_backend_key("", 80));
}

}  // namespace
}  // namespace gauntlet
