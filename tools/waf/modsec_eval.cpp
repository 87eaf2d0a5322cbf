// modsec_eval: runs the WAF corpus (tools/waf/make_corpus.py) through ModSecurity 3 with
// OWASP CRS 3.3 and reports detection per CRS family, false positives per benign set and
// requests/s per core (tools/waf/eval_report.h), the baseline gauntlet's WAF is compared
// with (tools/waf/compare.sh). Prints figures only, never fails on a threshold.
//
//   modsec_eval --config tools/waf/modsecurity.conf --corpus FILE [--json [FILE]] [--passes N]
//
// The figures go to stdout as text; --json FILE also writes them as JSON (eval_report.h) to
// FILE, --json alone (or --json -) writes only the JSON, to stdout.
//
// Each request goes through one transaction the way a web server module drives it:
// connection, URI, request headers (phase 1), request body (phase 2), logging; the request
// counts as blocked when ModSecurity asks for an intervention after phase 1 or 2. The server
// side is played here: the raw bytes are split into request line, headers and body (chunked
// bodies de-chunked, bodies cut at Content-Length) before ModSecurity sees them, and that
// split is outside the timed section, as it would be in a server. The first pass records
// the matched rule ids; the --passes timed passes (default 1) measure CPU time of this one
// thread.
#include <algorithm>
#include <cerrno>
#include <cstddef>  // before the ModSecurity headers, which use NULL and free() unqualified
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <modsecurity/intervention.h>
#include <modsecurity/modsecurity.h>
#include <modsecurity/rule_message.h>
#include <modsecurity/rules_set.h>
#include <modsecurity/transaction.h>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tools/waf/eval_corpus.h"
#include "tools/waf/eval_report.h"

namespace {

using gauntlet::waf_eval::CorpusRequest;
using gauntlet::waf_eval::Outcome;

struct HttpParts {
  std::string method, uri, version;  // version without "HTTP/", as servers pass it
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Chunked body to plain bytes; stops at the last chunk or at the first malformed size.
std::string dechunk(std::string_view in) {
  std::string out;
  while (!in.empty()) {
    const size_t eol = in.find('\n');
    if (eol == std::string_view::npos) break;
    char* end = nullptr;
    const std::string size_text(in.substr(0, eol));
    const unsigned long size = std::strtoul(size_text.c_str(), &end, 16);
    if (end == size_text.c_str() || size == 0 || size > in.size()) break;
    in.remove_prefix(eol + 1);
    out.append(in.substr(0, size));
    in.remove_prefix(std::min<size_t>(in.size(), size));
    if (in.starts_with("\r\n"))
      in.remove_prefix(2);
    else if (in.starts_with("\n"))
      in.remove_prefix(1);
  }
  return out;
}

HttpParts split_request(std::string_view raw) {
  HttpParts p;
  size_t head_end = raw.find("\r\n\r\n");
  size_t body_at = head_end == std::string_view::npos ? raw.size() : head_end + 4;
  if (head_end == std::string_view::npos) {
    head_end = raw.find("\n\n");
    body_at = head_end == std::string_view::npos ? raw.size() : head_end + 2;
    if (head_end == std::string_view::npos) head_end = raw.size();
  }
  std::string_view head = raw.substr(0, head_end);
  size_t eol = head.find('\n');
  const std::string_view line = trim(head.substr(0, eol));
  head = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 1);
  // Request line: method, target, version; the target may itself contain spaces.
  const size_t first = line.find_first_of(" \t");
  const size_t last = line.find_last_of(" \t");
  p.method = std::string(line.substr(0, first));
  if (first != std::string_view::npos) {
    if (last > first) {
      p.uri = std::string(trim(line.substr(first + 1, last - first - 1)));
      std::string_view version = line.substr(last + 1);
      if (version.starts_with("HTTP/")) version.remove_prefix(5);
      p.version = std::string(version);
    } else {
      p.uri = std::string(trim(line.substr(first + 1)));
      p.version = "0.9";
    }
  }
  while (!head.empty()) {
    eol = head.find('\n');
    const std::string_view h = head.substr(0, eol);
    head = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 1);
    if ((h.starts_with(" ") || h.starts_with("\t")) && !p.headers.empty()) {  // obs-fold
      p.headers.back().second += " " + std::string(trim(h));
      continue;
    }
    const size_t colon = h.find(':');
    if (colon == std::string_view::npos) continue;
    p.headers.emplace_back(std::string(h.substr(0, colon)), std::string(trim(h.substr(colon + 1))));
  }
  const std::string_view rest = raw.substr(std::min(body_at, raw.size()));
  bool chunked = false;
  long length = -1;
  for (const auto& [name, value] : p.headers) {
    if (iequals(name, "Transfer-Encoding") && value.find("chunked") != std::string::npos) {
      chunked = true;
    } else if (iequals(name, "Content-Length")) {
      char* end = nullptr;
      const long v = std::strtol(value.c_str(), &end, 10);
      if (end != value.c_str() && v >= 0) length = v;
    }
  }
  if (chunked)
    p.body = dechunk(rest);
  else if (length >= 0)
    p.body = std::string(rest.substr(0, static_cast<size_t>(length)));
  // No Content-Length and not chunked: a request has no body (RFC 9112 6.3).
  return p;
}

void record_rule(void* data, const void* message) {
  if (data == nullptr || message == nullptr) return;
  const auto* rm = static_cast<const modsecurity::RuleMessage*>(message);
  static_cast<std::vector<std::string>*>(data)->push_back(std::to_string(rm->m_ruleId));
}

bool intervened(modsecurity::Transaction& t) {
  modsecurity::ModSecurityIntervention it;
  modsecurity::intervention::clean(&it);
  const bool disrupt = t.intervention(&it) && it.disruptive;
  modsecurity::intervention::free(&it);
  return disrupt;
}

// One request through one transaction; `rules_seen` (may be null) collects matched rule ids.
bool inspect(modsecurity::ModSecurity& ms, modsecurity::RulesSet& rules, const HttpParts& p,
             std::vector<std::string>* rules_seen) {
  modsecurity::Transaction t(&ms, &rules, rules_seen);
  t.processConnection("203.0.113.10", 40000, "198.51.100.10", 80);
  t.processURI(p.uri.c_str(), p.method.c_str(), p.version.c_str());
  for (const auto& [name, value] : p.headers) t.addRequestHeader(name, value);
  t.processRequestHeaders();
  bool blocked = intervened(t);
  if (!blocked) {
    t.appendRequestBody(reinterpret_cast<const unsigned char*>(p.body.data()), p.body.size());
    t.processRequestBody();
    blocked = intervened(t);
  }
  t.processLogging();
  return blocked;
}

double seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

int usage() {
  std::fprintf(stderr,
               "usage: modsec_eval --config FILE --corpus FILE [--json [FILE]] [--passes N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config, corpus_path;
  std::string json;  // "": text only; "-": JSON on stdout only; else: text + JSON file
  uint32_t passes = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const bool has_value = i + 1 < argc && !std::string_view(argv[i + 1]).starts_with("--");
    if (a == "--config" && has_value) {
      config = argv[++i];
    } else if (a == "--corpus" && has_value) {
      corpus_path = argv[++i];
    } else if (a == "--passes" && has_value) {
      passes = static_cast<uint32_t>(std::atoi(argv[++i]));
    } else if (a == "--json") {
      json = has_value ? argv[++i] : "-";
    } else {
      return usage();
    }
  }
  if (config.empty() || corpus_path.empty() || passes == 0) return usage();

  std::vector<CorpusRequest> corpus;
  std::string error;
  if (!gauntlet::waf_eval::read_corpus(corpus_path, corpus, error)) {
    std::fprintf(stderr, "modsec_eval: %s\n", error.c_str());
    return 1;
  }
  modsecurity::ModSecurity ms;
  ms.setConnectorInformation("gauntlet modsec_eval");
  ms.setServerLogCb(record_rule, modsecurity::RuleMessageLogProperty);
  modsecurity::RulesSet rules;
  if (rules.loadFromUri(config.c_str()) < 0) {
    std::fprintf(stderr, "modsec_eval: %s: %s\n", config.c_str(), rules.getParserError().c_str());
    return 1;
  }

  std::vector<HttpParts> parts;
  parts.reserve(corpus.size());
  for (const CorpusRequest& r : corpus) parts.push_back(split_request(r.bytes));

  std::vector<Outcome> outcomes(corpus.size());
  for (size_t i = 0; i < corpus.size(); ++i) {
    outcomes[i].blocked = inspect(ms, rules, parts[i], &outcomes[i].rules);
  }

  gauntlet::waf_eval::Timing timing;
  timing.passes = passes;
  const double cpu0 = seconds(CLOCK_THREAD_CPUTIME_ID), wall0 = seconds(CLOCK_MONOTONIC);
  for (uint32_t pass = 0; pass < passes; ++pass) {
    for (size_t i = 0; i < corpus.size(); ++i) {
      if (inspect(ms, rules, parts[i], nullptr) != outcomes[i].blocked) {
        std::fprintf(stderr, "modsec_eval: %s: decision differs between passes\n",
                     corpus[i].id.c_str());
      }
      timing.bytes += corpus[i].bytes.size();
    }
    timing.requests += corpus.size();
  }
  timing.cpu_seconds = seconds(CLOCK_THREAD_CPUTIME_ID) - cpu0;
  timing.wall_seconds = seconds(CLOCK_MONOTONIC) - wall0;

  const std::string engine = "ModSecurity " + std::string(MODSECURITY_VERSION) +
                             " + OWASP CRS 3.3 (paranoia 1, inbound threshold 5)";
  if (json != "-") gauntlet::waf_eval::write_text(stdout, engine, corpus, outcomes, timing);
  if (!json.empty()) {
    FILE* out = json == "-" ? stdout : std::fopen(json.c_str(), "w");
    if (out == nullptr) {
      std::fprintf(stderr, "modsec_eval: cannot write %s: %s\n", json.c_str(),
                   std::strerror(errno));
      return 1;
    }
    gauntlet::waf_eval::write_json(out, engine, corpus_path, corpus, outcomes, timing);
    if (out != stdout) std::fclose(out);
  }
  return 0;
}
