// The WAF measurement corpus (tools/waf/make_corpus.py): one request per JSON line,
// {"id", "set", "family", "attack", ["kind",] "request": base64 of the raw HTTP bytes}.
// Read once, up front, by the evaluation tools (modsec_eval, waf_eval); nothing here is on a
// hot path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gauntlet::waf_eval {

struct CorpusRequest {
  std::string id;       // "942100-3", "benign-api-007", ...
  std::string set;      // "crs" | "benign" | "libinjection-fp"
  std::string kind;     // benign sets: "browse", "api", "query", ...; empty for crs
  uint32_t family = 0;  // CRS family number (942); 0 for the benign sets
  bool attack = false;  // crs: the test expects its rule to fire
  std::string bytes;    // the request exactly as sent: request line, headers, body
};

// Reads the whole corpus. false and `error` ("FILE:LINE: what") on the first bad line.
bool read_corpus(const std::string& path, std::vector<CorpusRequest>& out, std::string& error);

// The report group of a CRS family: "930".."944" as themselves, 920 and 921 as "protocol",
// everything else as "other".
std::string family_group(uint32_t family);

}  // namespace gauntlet::waf_eval
