// Test helpers for the WAF engine: rule files written into a temp directory, and a request
// run through HttpRequestParser and waf_inspect() the way the dataplane drives them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "dataplane/waf/http_request.h"
#include "dataplane/waf/waf_engine.h"

namespace gauntlet::waf_test {

// The temp directory of the rule files of test `t`.
inline std::filesystem::path rules_dir(const ::testing::TestInfo& t) {
  return std::filesystem::path(::testing::TempDir()) /
         (std::string("waf_") + t.test_suite_name() + "_" + t.name());
}

// A rule file with `text` in this test's own temp directory; returns its path. The directory
// goes when the test ends (RemoveRuleFiles).
inline std::string write_rules(const std::string& name, const std::string& text) {
  const std::filesystem::path file =
      rules_dir(*::testing::UnitTest::GetInstance()->current_test_info()) / name;
  std::filesystem::create_directories(file.parent_path());
  const std::string path = file.string();
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  return path;
}

// Removes each test's rule directory when the test ends: an engine has read its rules by then.
class RemoveRuleFiles : public ::testing::EmptyTestEventListener {
  void OnTestEnd(const ::testing::TestInfo& t) override {
    std::error_code ignored;  // a test that wrote no rules has no directory
    std::filesystem::remove_all(rules_dir(t), ignored);
  }
};
inline const bool kRuleFilesRemovedAfterEachTest = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new RemoveRuleFiles);
  return true;
}();

struct Verdict {
  WafDecision decision = WafDecision::undecided;
  uint32_t score = 0;
  bool logged = false;
  std::vector<std::string> rules;   // ids of the matches kept, in order
  std::vector<std::string> fields;  // their fields
  std::string excerpt;
  uint64_t body_uninspected = 0;
  uint64_t body_streamed = 0;
};

// Runs requests through one parser and engine; every request's verdict is kept.
class Runner {
 public:
  explicit Runner(const WafEngine& engine, uint32_t threshold = 5, bool detect_only = false)
      : engine_(engine),
        scratch_(make_waf_scratch(engine)),
        storage_(limits_),
        parser_(limits_, storage_.head, storage_.fields),
        body_(waf_body_inspect_bytes(engine)) {
    state_.threshold = threshold;
    state_.detect_only = detect_only;
    state_.body_buffer = body_;
    state_.stream_state = stream_state_;
  }

  // Feeds `bytes` in pieces cut at `cuts` (offsets, ascending). Returns the verdicts of the
  // requests completed or blocked so far.
  const std::vector<Verdict>& feed(std::string_view bytes, const std::vector<size_t>& cuts = {}) {
    size_t at = 0;
    for (size_t i = 0; i <= cuts.size(); ++i) {
      const size_t end = i < cuts.size() ? cuts[i] : bytes.size();
      parser_.feed(reinterpret_cast<const uint8_t*>(bytes.data()) + at, end - at,
                   [&](const HttpRequest& r, const HttpEvent& e) { on_event(r, e); });
      at = end;
    }
    return verdicts_;
  }
  const std::vector<Verdict>& verdicts() const { return verdicts_; }
  WafScratch& scratch() { return *scratch_; }

 private:
  void on_event(const HttpRequest& r, const HttpEvent& e) {
    if (e.kind == HttpEventKind::request_line) {
      state_.reset();
      reported_ = false;
    }
    const WafDecision d = waf_inspect(engine_, *scratch_, state_, r, e);
    if (reported_ || (d == WafDecision::undecided && e.kind != HttpEventKind::error)) return;
    reported_ = true;
    Verdict v;
    v.decision = d;
    v.score = state_.score;
    v.logged = state_.logged;
    for (uint8_t i = 0; i < state_.match_count; ++i) {
      v.rules.emplace_back(waf_rule_id(engine_, state_.matches[i].rule));
      v.fields.emplace_back(waf_field_name(state_.matches[i].field));
    }
    v.excerpt.assign(state_.excerpt, state_.excerpt_length);
    v.body_uninspected = state_.body_uninspected;
    v.body_streamed = state_.body_streamed;
    verdicts_.push_back(v);
  }

  const WafEngine& engine_;
  WafScratchPtr scratch_;
  HttpLimits limits_;
  HttpParserStorage storage_;
  HttpRequestParser parser_;
  std::vector<uint8_t> body_;
  std::vector<char> stream_state_ = std::vector<char>(kWafStreamStateBytes);
  WafRequestState state_;
  bool reported_ = false;
  std::vector<Verdict> verdicts_;
};

inline std::string get(const std::string& target, const std::string& extra_headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: example.com\r\nUser-Agent: Mozilla/5.0\r\n" +
         extra_headers + "\r\n";
}
inline std::string post(const std::string& target, const std::string& type,
                        const std::string& body) {
  return "POST " + target + " HTTP/1.1\r\nHost: example.com\r\nContent-Type: " + type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace gauntlet::waf_test
