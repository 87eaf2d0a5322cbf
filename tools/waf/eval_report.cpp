// Aggregation and output of the evaluation figures (see eval_report.h for the JSON shape).
#include "tools/waf/eval_report.h"

#include <map>

namespace gauntlet::waf_eval {
namespace {

const char* const kGroups[] = {"930", "931", "932", "933",      "934",
                               "941", "942", "944", "protocol", "other"};

struct GroupFigures {
  uint64_t attacks = 0, blocked = 0, negatives = 0, negatives_blocked = 0;
  std::vector<const CorpusRequest*> misses;
};

struct SetFigures {
  uint64_t requests = 0, blocked = 0;
  std::map<std::string, std::pair<uint64_t, uint64_t>> kinds;  // kind -> requests, blocked
  std::vector<size_t> blocked_index;
};

struct Figures {
  std::map<std::string, GroupFigures> groups;
  std::map<std::string, SetFigures> sets;
};

Figures aggregate(const std::vector<CorpusRequest>& corpus, const std::vector<Outcome>& outcomes) {
  Figures f;
  for (const char* g : kGroups) f.groups[g];
  for (size_t i = 0; i < corpus.size(); ++i) {
    const CorpusRequest& r = corpus[i];
    const bool blocked = outcomes[i].blocked;
    if (r.set == "crs") {
      GroupFigures& g = f.groups[family_group(r.family)];
      if (r.attack) {
        ++g.attacks;
        if (blocked)
          ++g.blocked;
        else
          g.misses.push_back(&r);
      } else {
        ++g.negatives;
        if (blocked) ++g.negatives_blocked;
      }
      continue;
    }
    SetFigures& s = f.sets[r.set];
    ++s.requests;
    auto& kind = s.kinds[r.kind];
    ++kind.first;
    if (blocked) {
      ++s.blocked;
      ++kind.second;
      s.blocked_index.push_back(i);
    }
  }
  return f;
}

double share(uint64_t part, uint64_t whole) {
  return whole ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

void json_string(FILE* out, const std::string& s) {
  std::fputc('"', out);
  for (unsigned char c : s) {
    if (c == '"' || c == '\\')
      std::fprintf(out, "\\%c", c);
    else if (c < 0x20)
      std::fprintf(out, "\\u%04x", c);
    else
      std::fputc(c, out);
  }
  std::fputc('"', out);
}

double per_core(const Timing& t) { return t.cpu_seconds > 0 ? t.requests / t.cpu_seconds : 0; }

}  // namespace

void write_json(FILE* out, const std::string& engine, const std::string& corpus_path,
                const std::vector<CorpusRequest>& corpus, const std::vector<Outcome>& outcomes,
                const Timing& timing) {
  const Figures f = aggregate(corpus, outcomes);
  std::fprintf(out, "{\"engine\": ");
  json_string(out, engine);
  std::fprintf(out, ",\n \"corpus\": ");
  json_string(out, corpus_path);
  std::fprintf(out, ",\n \"requests\": %zu,\n \"families\": {", corpus.size());
  const char* sep = "\n";
  for (const char* name : kGroups) {
    const GroupFigures& g = f.groups.at(name);
    std::fprintf(out,
                 "%s  \"%s\": {\"attacks\": %lu, \"blocked\": %lu, \"detection\": %.4f, "
                 "\"negatives\": %lu, \"negatives_blocked\": %lu, \"misses\": [",
                 sep, name, g.attacks, g.blocked, share(g.blocked, g.attacks), g.negatives,
                 g.negatives_blocked);
    for (size_t i = 0; i < g.misses.size(); ++i) {
      if (i) std::fputs(", ", out);
      json_string(out, g.misses[i]->id);
    }
    std::fputs("]}", out);
    sep = ",\n";
  }
  std::fputs("},\n \"false_positives\": {", out);
  sep = "\n";
  for (const auto& [name, s] : f.sets) {
    std::fprintf(out, "%s  ", sep);
    json_string(out, name);
    std::fprintf(out, ": {\"requests\": %lu, \"blocked\": %lu, \"rate\": %.4f, \"kinds\": {",
                 s.requests, s.blocked, share(s.blocked, s.requests));
    const char* ksep = "";
    for (const auto& [kind, n] : s.kinds) {
      std::fputs(ksep, out);
      json_string(out, kind);
      std::fprintf(out, ": {\"requests\": %lu, \"blocked\": %lu}", n.first, n.second);
      ksep = ", ";
    }
    std::fputs("},\n    \"blocked_ids\": [", out);
    for (size_t i = 0; i < s.blocked_index.size(); ++i) {
      const size_t at = s.blocked_index[i];
      std::fputs(i ? ",\n      {\"id\": " : "\n      {\"id\": ", out);
      json_string(out, corpus[at].id);
      std::fputs(", \"rules\": [", out);
      for (size_t k = 0; k < outcomes[at].rules.size(); ++k) {
        if (k) std::fputs(", ", out);
        json_string(out, outcomes[at].rules[k]);
      }
      std::fputs("]}", out);
    }
    std::fputs("]}", out);
    sep = ",\n";
  }
  std::fprintf(out,
               "},\n \"throughput\": {\"requests\": %lu, \"bytes\": %lu, \"passes\": %u, "
               "\"cpu_seconds\": %.3f, \"wall_seconds\": %.3f, "
               "\"requests_per_second_per_core\": %.1f, \"mbit_per_second_per_core\": %.2f}}\n",
               timing.requests, timing.bytes, timing.passes, timing.cpu_seconds,
               timing.wall_seconds, per_core(timing),
               timing.cpu_seconds > 0 ? timing.bytes * 8.0 / timing.cpu_seconds / 1e6 : 0.0);
}

void write_text(FILE* out, const std::string& engine, const std::vector<CorpusRequest>& corpus,
                const std::vector<Outcome>& outcomes, const Timing& timing) {
  const Figures f = aggregate(corpus, outcomes);
  std::fprintf(out, "%s\n\n%-10s %8s %8s %9s   %s\n", engine.c_str(), "family", "attacks",
               "blocked", "detection", "(negative tests blocked)");
  uint64_t attacks = 0, blocked = 0;
  for (const char* name : kGroups) {
    const GroupFigures& g = f.groups.at(name);
    attacks += g.attacks;
    blocked += g.blocked;
    std::fprintf(out, "%-10s %8lu %8lu %8.1f%%   (%lu of %lu)\n", name, g.attacks, g.blocked,
                 100 * share(g.blocked, g.attacks), g.negatives_blocked, g.negatives);
  }
  std::fprintf(out, "%-10s %8lu %8lu %8.1f%%\n\n%-16s %8s %8s %9s\n", "all", attacks, blocked,
               100 * share(blocked, attacks), "benign set", "requests", "blocked", "FP rate");
  for (const auto& [name, s] : f.sets) {
    std::fprintf(out, "%-16s %8lu %8lu %8.2f%%\n", name.c_str(), s.requests, s.blocked,
                 100 * share(s.blocked, s.requests));
    for (const auto& [kind, n] : s.kinds) {
      std::fprintf(out, "  %-14s %8lu %8lu %8.2f%%\n", kind.c_str(), n.first, n.second,
                   100 * share(n.second, n.first));
    }
  }
  std::fprintf(out,
               "\nthroughput: %lu requests (%u passes, %.1f MB) in %.2f s CPU (%.2f s wall): "
               "%.0f requests/s per core, %.1f Mbit/s per core\n",
               timing.requests, timing.passes, timing.bytes / 1e6, timing.cpu_seconds,
               timing.wall_seconds, per_core(timing),
               timing.cpu_seconds > 0 ? timing.bytes * 8.0 / timing.cpu_seconds / 1e6 : 0.0);
}

}  // namespace gauntlet::waf_eval
