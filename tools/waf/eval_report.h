// The figures a WAF evaluation tool reports over the corpus (eval_corpus.h): detection per
// CRS family group, false positives per benign set, requests/s per core. modsec_eval and
// waf_eval write the same JSON (shape below), so tools/waf/compare.sh can put them side by
// side.
//
// JSON (--json):
//   {"engine": STR, "corpus": STR, "requests": N,
//    "families": {GROUP: {"attacks": N, "blocked": N, "detection": F, "negatives": N,
//                         "negatives_blocked": N, "misses": [ID...]}, ...},
//    "false_positives": {SET: {"requests": N, "blocked": N, "rate": F,
//                              "kinds": {KIND: {"requests": N, "blocked": N}, ...},
//                              "blocked_ids": [{"id": ID, "rules": [RULE...]}...]}, ...},
//    "throughput": {"requests": N, "bytes": N, "passes": N, "cpu_seconds": F,
//                   "wall_seconds": F, "requests_per_second_per_core": F,
//                   "mbit_per_second_per_core": F}}
// GROUP is "930" ... "944", "protocol" (920, 921) or "other", in that order. `negatives`
// are CRS tests that expect their rule not to fire; they are not benign traffic, so they
// are reported but never counted as false positives.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "tools/waf/eval_corpus.h"

namespace gauntlet::waf_eval {

struct Outcome {
  bool blocked = false;
  std::vector<std::string> rules;  // ids of the rules that matched (for misses and FPs)
};

struct Timing {
  uint64_t requests = 0;  // requests inspected in the timed passes
  uint64_t bytes = 0;     // their raw HTTP bytes
  uint32_t passes = 0;
  double cpu_seconds = 0;  // CPU time of the inspecting thread
  double wall_seconds = 0;
};

// `outcomes[i]` belongs to `corpus[i]`.
void write_json(FILE* out, const std::string& engine, const std::string& corpus_path,
                const std::vector<CorpusRequest>& corpus, const std::vector<Outcome>& outcomes,
                const Timing& timing);
void write_text(FILE* out, const std::string& engine, const std::vector<CorpusRequest>& corpus,
                const std::vector<Outcome>& outcomes, const Timing& timing);

}  // namespace gauntlet::waf_eval
