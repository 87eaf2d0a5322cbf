// waf_eval: runs the measurement corpus (tools/waf/make_corpus.py) through gauntlet's WAF as
// the dataplane does (HttpRequestParser events -> waf_inspect) and reports detection per CRS
// family, false positives per benign set, the misses, and throughput per core, next to a raw
// Hyperscan scan of the same bytes with every pattern of the same rules in one database.
//
//   waf_eval --corpus FILE [--config FILE | --rules FILE...] [--threshold N] [--detect]
//            [--passes N] [--misses] [--fp] [--scan-profile] [--json FILE]
//
// --scan-profile runs the passes once more with every Hyperscan scan timed (TSC) and prints
// scans, bytes and cycles per form, lane and tier (waf_attach_scan_profile).
//
// A request the parser rejects (a terminal protocol violation) counts as blocked, as the
// dataplane resets such a flow; its "rule" is the violation's name. Benchmarks print
// figures and never fail on a threshold: the exit code is 0 unless the inputs are bad.
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fmt/format.h>
#include <string>
#include <vector>

#include <hs/hs.h>

#include "dataplane/control/config.h"
#include "dataplane/waf/http_request.h"
#include "dataplane/waf/waf_database.h"
#include "tools/waf/eval_corpus.h"
#include "tools/waf/eval_report.h"

using namespace gauntlet;
using namespace gauntlet::waf_eval;

namespace {

struct Options {
  std::string corpus, config, json;
  std::vector<std::string> rules;
  uint32_t threshold = 0;  // 0: the config's (or 5)
  bool detect = false, misses = false, fps = false, scan_profile = false;
  uint32_t passes = 3;
};

double cpu_now() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}
double wall_now() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// One request through parser and engine; what the dataplane would decide.
class Runner {
 public:
  Runner(const WafEngine& engine, uint32_t threshold, bool detect)
      : engine_(engine),
        scratch_(make_waf_scratch(engine)),
        storage_(limits_),
        body_(waf_body_inspect_bytes(engine)) {
    state_.threshold = threshold;
    state_.detect_only = detect;
    state_.body_buffer = body_;
    state_.stream_state = stream_state_;
  }

  void profile(WafScanProfile* p) noexcept { waf_attach_scan_profile(*scratch_, p); }

  // Returns blocked; `rules` (if given) gets the matched rule ids, `excerpt` the first
  // match's excerpt (escaped).
  bool run(const std::string& bytes, std::vector<std::string>* rules,
           std::string* excerpt = nullptr) {
    HttpRequestParser parser(limits_, storage_.head, storage_.fields);
    bool blocked = false;
    state_.reset();
    parser.feed(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                [&](const HttpRequest& r, const HttpEvent& e) {
                  if (e.kind == HttpEventKind::request_line && r.index > 0) state_.reset();
                  const bool was_blocked = blocked;
                  const WafDecision d = waf_inspect(engine_, *scratch_, state_, r, e);
                  if (d == WafDecision::block) blocked = true;
                  if (e.kind == HttpEventKind::error) {
                    blocked = true;
                    if (rules) rules->emplace_back(http_violation_name(e.violation));
                  }
                  const bool final_now = (blocked && !was_blocked) ||
                                         (!blocked && e.kind == HttpEventKind::request_complete);
                  if (rules && final_now)
                    for (uint8_t i = 0; i < state_.match_count; ++i)
                      rules->emplace_back(waf_rule_id(engine_, state_.matches[i].rule));
                  if (excerpt && final_now && excerpt->empty())
                    for (uint8_t i = 0; i < state_.excerpt_length; ++i) {
                      const auto c = static_cast<unsigned char>(state_.excerpt[i]);
                      *excerpt += c >= 0x20 && c < 0x7f ? std::string(1, static_cast<char>(c))
                                                        : fmt::format("\\x{:02x}", c);
                    }
                });
    return blocked;
  }

 private:
  const WafEngine& engine_;
  WafScratchPtr scratch_;
  HttpLimits limits_;
  HttpParserStorage storage_;
  std::vector<uint8_t> body_;
  std::vector<char> stream_state_ = std::vector<char>(kWafStreamStateBytes);
  WafRequestState state_;
};

// Every pattern of the engine's rules in one database, scanned over the whole request.
struct RawReference {
  hs_database_t* db = nullptr;
  hs_scratch_t* scratch = nullptr;
  ~RawReference() {
    if (scratch) hs_free_scratch(scratch);
    if (db) hs_free_database(db);
  }
  bool build(const WafEngine& e, std::string& error) {
    std::vector<const char*> exprs;
    std::vector<unsigned> flags, ids;
    for (const WafRule& r : e.rules)
      for (const WafPattern& p : r.patterns) {
        exprs.push_back(p.expression.c_str());
        flags.push_back(r.hs_flags | HS_FLAG_SINGLEMATCH | HS_FLAG_CASELESS);
        ids.push_back(static_cast<unsigned>(ids.size()));
      }
    hs_compile_error_t* err = nullptr;
    if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), static_cast<unsigned>(ids.size()),
                         HS_MODE_BLOCK, nullptr, &db, &err) != HS_SUCCESS) {
      error = err ? err->message : "compile failed";
      hs_free_compile_error(err);
      return false;
    }
    return hs_alloc_scratch(db, &scratch) == HS_SUCCESS;
  }
  void scan(const std::string& bytes) {
    hs_scan(
        db, bytes.data(), static_cast<unsigned>(bytes.size()), 0, scratch,
        [](unsigned, unsigned long long, unsigned long long, unsigned, void*) { return 0; },
        nullptr);
  }
};

// The profile's rows (form, lane, tier) that scanned anything, with each one's share of all
// scan cycles, the size of its database (a scan's working set: the databases of one request
// together compete for the cache), and the total per request.
void print_scan_profile(const WafScanProfile& p, const WafEngine& engine, uint64_t requests) {
  uint64_t total = 0;
  for (const auto& form : p.cycles)
    for (const auto& lane : form)
      for (uint64_t c : lane) total += c;
  std::printf("\nHyperscan scans (TSC cycles), per form, lane and tier:\n");
  std::printf("%-10s %-12s %-5s %9s %11s %13s %8s %6s %8s\n", "form", "lane", "tier", "scans",
              "bytes", "cycles", "cyc/byte", "share", "db KiB");
  size_t all_db_bytes = 0;
  for (int f = 0; f < WafScanProfile::kForms; ++f)
    for (int l = 0; l < WafScanProfile::kLanes; ++l)
      for (int t = 0; t < WafScanProfile::kTiers; ++t) {
        if (p.scans[f][l][t] == 0) continue;
        const auto c = static_cast<double>(p.cycles[f][l][t]);
        size_t db_bytes = 0;
        if (const hs_database_t* db = engine.databases[f][waf_buffer(l, t)]; db != nullptr)
          hs_database_size(db, &db_bytes);
        all_db_bytes += db_bytes;
        std::printf("%-10s %-12s %-5s %9llu %11llu %13llu %8.1f %5.1f%% %8zu\n",
                    std::string(waf_form_name(f)).c_str(), std::string(waf_lane_name(l)).c_str(),
                    std::string(waf_tier_name(t)).c_str(),
                    static_cast<unsigned long long>(p.scans[f][l][t]),
                    static_cast<unsigned long long>(p.bytes[f][l][t]),
                    static_cast<unsigned long long>(p.cycles[f][l][t]),
                    c / static_cast<double>(p.bytes[f][l][t]),
                    total > 0 ? 100.0 * c / static_cast<double>(total) : 0.0, db_bytes / 1024);
      }
  std::printf("all scans: %llu cycles, %.0f per request; databases scanned: %zu KiB\n",
              static_cast<unsigned long long>(total),
              requests > 0 ? static_cast<double>(total) / static_cast<double>(requests) : 0.0,
              all_db_bytes / 1024);
}

bool parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : std::string(); };
    if (a == "--corpus")
      o.corpus = next();
    else if (a == "--config")
      o.config = next();
    else if (a == "--rules") {
      while (i + 1 < argc && argv[i + 1][0] != '-') o.rules.push_back(argv[++i]);
    } else if (a == "--threshold")
      o.threshold = static_cast<uint32_t>(std::stoul(next()));
    else if (a == "--passes")
      o.passes = static_cast<uint32_t>(std::stoul(next()));
    else if (a == "--detect")
      o.detect = true;
    else if (a == "--misses")
      o.misses = true;
    else if (a == "--fp")
      o.fps = true;
    else if (a == "--scan-profile")
      o.scan_profile = true;
    else if (a == "--json")
      o.json = next();
    else
      return false;
  }
  return !o.corpus.empty() && (!o.config.empty() || !o.rules.empty());
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse_args(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: waf_eval --corpus FILE (--config FILE | --rules FILE...) [--threshold N]"
                 " [--detect] [--passes N] [--misses] [--fp] [--scan-profile] [--json FILE]\n");
    return 2;
  }
  std::string error;
  WafEnginePtr engine;
  uint32_t threshold = 5;
  const double build_start = wall_now();
  if (!o.config.empty()) {
    std::vector<ConfigError> errors;
    auto cfg = load_config(o.config, errors);
    if (!cfg || !cfg->waf.enabled) {
      for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
      if (cfg) std::fprintf(stderr, "%s: no waf: section\n", o.config.c_str());
      return 2;
    }
    threshold = cfg->waf.threshold;
    o.detect = o.detect || cfg->waf.detect_only;
    engine = build_waf_engine(cfg->waf, error);
  } else {
    engine = build_waf_engine(o.rules, 16384, error);
  }
  if (!engine) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 2;
  }
  const double build_seconds = wall_now() - build_start;
  if (o.threshold != 0) threshold = o.threshold;
  std::vector<CorpusRequest> corpus;
  if (!read_corpus(o.corpus, corpus, error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 2;
  }

  Runner runner(*engine, threshold, o.detect);
  std::vector<waf_eval::Outcome> outcomes(corpus.size());
  std::vector<std::string> excerpts(corpus.size());
  for (size_t i = 0; i < corpus.size(); ++i)
    outcomes[i].blocked = runner.run(corpus[i].bytes, &outcomes[i].rules, &excerpts[i]);

  Timing timing;
  timing.passes = o.passes;
  const double cpu0 = cpu_now(), wall0 = wall_now();
  for (uint32_t p = 0; p < o.passes; ++p)
    for (const CorpusRequest& r : corpus) {
      runner.run(r.bytes, nullptr);
      timing.bytes += r.bytes.size();
      ++timing.requests;
    }
  timing.cpu_seconds = cpu_now() - cpu0;
  timing.wall_seconds = wall_now() - wall0;

  RawReference reference;
  double ref_cpu = 0;
  if (reference.build(*engine, error)) {
    const double c0 = cpu_now();
    for (uint32_t p = 0; p < o.passes; ++p)
      for (const CorpusRequest& r : corpus) reference.scan(r.bytes);
    ref_cpu = cpu_now() - c0;
  } else {
    std::fprintf(stderr, "raw reference does not compile: %s\n", error.c_str());
  }

  const std::string name =
      fmt::format("gauntlet WAF ({} rules, threshold {}{})", waf_rule_count(*engine), threshold,
                  o.detect ? ", detect-only" : "");
  write_text(stdout, name, corpus, outcomes, timing);
  const double gbps = timing.cpu_seconds > 0 ? timing.bytes * 8.0 / timing.cpu_seconds / 1e9 : 0;
  const double ref_gbps = ref_cpu > 0 ? timing.bytes * 8.0 / ref_cpu / 1e9 : 0;
  std::printf(
      "gauntlet WAF: %.2f Gbit/s of HTTP payload per core (%.0f requests/s); engine built "
      "in %.1f s\n",
      gbps, timing.cpu_seconds > 0 ? timing.requests / timing.cpu_seconds : 0, build_seconds);
  std::printf(
      "raw Hyperscan, same patterns in one database over the same bytes: %.2f Gbit/s "
      "per core (%.0f requests/s); WAF/raw = %.2f\n",
      ref_gbps, ref_cpu > 0 ? timing.requests / ref_cpu : 0, ref_gbps > 0 ? gbps / ref_gbps : 0);
  if (o.scan_profile) {
    WafScanProfile profile;
    runner.profile(&profile);
    for (uint32_t p = 0; p < o.passes; ++p)
      for (const CorpusRequest& r : corpus) runner.run(r.bytes, nullptr);
    runner.profile(nullptr);
    print_scan_profile(profile, *engine, timing.requests);
  }
  if (o.misses || o.fps) {
    for (size_t i = 0; i < corpus.size(); ++i) {
      const CorpusRequest& r = corpus[i];
      const bool miss = o.misses && r.set == "crs" && r.attack && !outcomes[i].blocked &&
                        family_group(r.family) != "other";
      const bool fp = o.fps && r.set != "crs" && outcomes[i].blocked;
      if (!miss && !fp) continue;
      std::string rules;
      for (const auto& id : outcomes[i].rules) rules += " " + id;
      std::printf("%s %s%s%s%s\n", miss ? "miss" : "fp", r.id.c_str(), rules.c_str(),
                  excerpts[i].empty() ? "" : " | ", excerpts[i].c_str());
    }
  }
  if (!o.json.empty()) {
    FILE* f = o.json == "-" ? stdout : std::fopen(o.json.c_str(), "w");
    if (f == nullptr) {
      std::fprintf(stderr, "cannot write %s\n", o.json.c_str());
      return 2;
    }
    write_json(f, "gauntlet", o.corpus, corpus, outcomes, timing);
    if (f != stdout) std::fclose(f);
  }
  return 0;
}
