// The on-disk cache of compiled Hyperscan databases: a second compile of the same patterns
// loads the first one's file; a damaged file is compiled again and replaced; different
// patterns get their own file; GAUNTLET_WAF_CACHE=off writes nothing.
#include "dataplane/waf/waf_db_cache.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>

#include <hs/hs.h>

namespace gauntlet {
namespace {

namespace fs = std::filesystem;

class WafDbCache : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gauntlet-waf-cache-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    setenv("GAUNTLET_WAF_CACHE", dir_.c_str(), 1);
  }
  void TearDown() override {
    fs::remove_all(dir_);
    unsetenv("GAUNTLET_WAF_CACHE");
  }
  size_t files() const {
    if (!fs::exists(dir_)) return 0;
    return static_cast<size_t>(
        std::distance(fs::directory_iterator(dir_), fs::directory_iterator()));
  }
  // Compiles (or loads) the patterns and counts their matches in `text`.
  int matches(const char* const* patterns, unsigned count, const std::string& text) {
    unsigned flags[4] = {HS_FLAG_CASELESS, HS_FLAG_CASELESS, HS_FLAG_CASELESS, HS_FLAG_CASELESS};
    unsigned ids[4] = {1, 2, 3, 4};
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    EXPECT_EQ(compile_multi_cached(patterns, flags, ids, count, HS_MODE_BLOCK, &db, &err),
              HS_SUCCESS);
    hs_scratch_t* scratch = nullptr;
    EXPECT_EQ(hs_alloc_scratch(db, &scratch), HS_SUCCESS);
    int n = 0;
    hs_scan(
        db, text.data(), static_cast<unsigned>(text.size()), 0, scratch,
        [](unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) {
          ++*static_cast<int*>(ctx);
          return 0;
        },
        &n);
    hs_free_scratch(scratch);
    hs_free_database(db);
    return n;
  }
  fs::path dir_;
};

const char* const kSqli[] = {"union\\s+select", "\\bor\\s+1=1"};
const char* const kXss[] = {"<script"};

TEST_F(WafDbCache, SecondCompileLoadsTheFirstOnesFile) {
  EXPECT_EQ(matches(kSqli, 2, "x UNION  SELECT y or 1=1"), 2);
  ASSERT_EQ(files(), 1u);
  const fs::path file = fs::directory_iterator(dir_)->path();
  const auto written = fs::last_write_time(file);
  EXPECT_EQ(matches(kSqli, 2, "x UNION  SELECT y or 1=1"), 2);
  EXPECT_EQ(files(), 1u);
  EXPECT_EQ(fs::last_write_time(file), written);  // loaded, not written again
}

TEST_F(WafDbCache, OtherPatternsGetTheirOwnFile) {
  EXPECT_EQ(matches(kSqli, 2, "or 1=1"), 1);
  EXPECT_EQ(matches(kXss, 1, "<SCRIPT>"), 1);
  EXPECT_EQ(files(), 2u);
}

TEST_F(WafDbCache, DamagedFileIsCompiledAgainAndReplaced) {
  EXPECT_EQ(matches(kXss, 1, "<script>"), 1);
  const fs::path file = fs::directory_iterator(dir_)->path();
  const auto size = fs::file_size(file);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << "not a database";
  EXPECT_EQ(matches(kXss, 1, "<script> <script>"), 2);
  EXPECT_EQ(fs::file_size(file), size);
}

TEST_F(WafDbCache, OffWritesNothing) {
  setenv("GAUNTLET_WAF_CACHE", "off", 1);
  EXPECT_EQ(matches(kXss, 1, "<script>"), 1);
  EXPECT_EQ(files(), 0u);
}

}  // namespace
}  // namespace gauntlet
