#include "dataplane/control/what_if.h"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <unordered_map>

#include "dataplane/control/explain.h"
#include "dataplane/control/operations.h"
#include "dataplane/ports/replay.h"

namespace gauntlet {

namespace {

constexpr uint32_t kNoLabel = 0xffffffffu;

// Rule ids and backends of both runs, by text, so that verdicts compare as numbers.
class Labels {
 public:
  uint32_t intern(std::string text) {
    auto [it, added] = ids_.try_emplace(std::move(text), static_cast<uint32_t>(texts_.size()));
    if (added) texts_.push_back(it->first);
    return it->second;
  }
  const std::string& text(uint32_t id) const { return texts_[id]; }

 private:
  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<std::string> texts_;
};

struct Verdict {
  bool present = false;
  Layer layer = Layer::parse;
  Outcome outcome = Outcome::stop;
  Reason reason = Reason::none;
  uint32_t rule = kNoLabel, backend = kNoLabel;
  uint8_t out_port = kNoPort;
  uint8_t version = 4;
  IpAddress next_hop{};

  bool same_decision(const Verdict& o) const {
    return layer == o.layer && outcome == o.outcome && reason == o.reason;
  }
  bool same_path(const Verdict& o) const {
    return outcome != Outcome::forward || (out_port == o.out_port && next_hop == o.next_hop);
  }
  bool operator==(const Verdict& o) const {
    return present == o.present && same_decision(o) && rule == o.rule && backend == o.backend &&
           same_path(o);
  }
};

Verdict verdict_of(const Record& r, const Tables& t, Labels& labels) {
  Verdict v;
  v.present = true;
  const Step& last = r.steps[r.step_count - 1];
  v.layer = last.layer;
  v.outcome = last.outcome;
  v.reason = last.reason;
  for (uint8_t i = r.step_count; i-- > 0;) {
    const Step& st = r.steps[i];
    if (st.rule == kNoRule || st.layer == Layer::loadbalancer) continue;
    v.rule = labels.intern(step_rule_name(st, r, t));
    break;
  }
  if (r.has_lb && r.generation == t.generation && r.lb_service < t.services.size()) {
    const CompiledService& svc = t.services[r.lb_service];
    if (r.lb_backend < svc.backends.size()) {
      const BackendConfig& b = svc.backends[r.lb_backend];
      v.backend = labels.intern(fmt::format("{} (service {})", backend_name(b), svc.name));
    }
  }
  v.out_port = r.out_port;
  v.version = r.ip_version == 6 ? 6 : 4;
  v.next_hop = r.next_hop;
  return v;
}

std::string path_text(const Verdict& v) {
  if (v.outcome != Outcome::forward || v.out_port >= kPortCount) return "";
  if (v.next_hop == IpAddress{}) return fmt::format("via {}", port_role_name(v.out_port));
  return fmt::format("to {} via {}", format_ip(v.next_hop, v.version), port_role_name(v.out_port));
}

std::string verdict_text(const Verdict& v, const Labels& labels) {
  if (!v.present) return "no verdict (the packet was not replayed)";
  std::string s = fmt::format("{} at {}: {}", outcome_name(v.outcome), layer_name(v.layer),
                              reason_name(v.reason));
  if (v.rule != kNoLabel) s += ", rule " + labels.text(v.rule);
  if (v.backend != kNoLabel) s += ", backend " + labels.text(v.backend);
  if (std::string p = path_text(v); !p.empty()) s += ", " + p;
  return s;
}

// What changed between two verdicts, in the coarsest terms that tell them apart.
std::string change_kind(const Verdict& a, const Verdict& b, const Labels& labels) {
  auto label = [&](uint32_t id) { return id == kNoLabel ? std::string("none") : labels.text(id); };
  if (!a.present || !b.present || !a.same_decision(b))
    return fmt::format("{} ({}) → {} ({})", a.present ? reason_name(a.reason) : "absent",
                       a.present ? outcome_name(a.outcome) : "-",
                       b.present ? reason_name(b.reason) : "absent",
                       b.present ? outcome_name(b.outcome) : "-");
  if (a.rule != b.rule)
    return fmt::format("{}: rule {} → rule {}", reason_name(a.reason), label(a.rule),
                       label(b.rule));
  if (a.backend != b.backend)
    return fmt::format("{}: backend {} → {}", reason_name(a.reason), label(a.backend),
                       label(b.backend));
  return fmt::format("{}: {} → {}", reason_name(a.reason), path_text(a), path_text(b));
}

ReplayOptions run_options(const ReplayOptions& base, const char* side) {
  ReplayOptions o = base;
  o.out_dir = fmt::format("{}/{}", base.out_dir, side);
  o.trace_path = o.out_dir + "/trace.jsonl";
  o.print_summary = false;
  return o;
}

}  // namespace

int run_what_if(const Config& a, const Config& b, const ReplayOptions& options) {
  Labels labels;
  std::vector<Verdict> under_a;  // by seq
  ReplayOptions oa = run_options(options, "a");
  oa.observe = [&](const Record& r, const Tables& t) {
    if (r.sequence >= under_a.size()) under_a.resize(r.sequence + 1);
    under_a[r.sequence] = verdict_of(r, t, labels);
  };
  if (int rc = run_replay(a, oa); rc != 0) return rc;

  struct Difference {
    uint64_t seq;
    std::string packet;
    Verdict a, b;
  };
  std::vector<Difference> differences;
  uint64_t packets = 0;
  uint64_t last_seq = 0;
  ReplayOptions ob = run_options(options, "b");
  ob.observe = [&](const Record& r, const Tables& t) {
    ++packets;
    last_seq = r.sequence;
    const Verdict vb = verdict_of(r, t, labels);
    const Verdict va = r.sequence < under_a.size() ? under_a[r.sequence] : Verdict{};
    if (!(va == vb)) differences.push_back({r.sequence, explain_packet(r), va, vb});
  };
  if (int rc = run_replay(b, ob); rc != 0) return rc;
  // Packets only A saw (none, as both replay the same input; said if it ever happens).
  for (uint64_t seq = last_seq + 1; seq < under_a.size(); ++seq)
    if (under_a[seq].present)
      differences.push_back({seq, fmt::format("#{}", seq), under_a[seq], Verdict{}});

  fmt::print("what-if: A {}, B {}: {} packets, {} with another verdict\n", a.path, b.path, packets,
             differences.size());
  std::map<std::string, uint64_t> kinds;
  for (const Difference& d : differences) {
    fmt::print("{}\n  A: {}\n  B: {}\n", d.packet, verdict_text(d.a, labels),
               verdict_text(d.b, labels));
    ++kinds[change_kind(d.a, d.b, labels)];
  }
  if (kinds.empty()) return 0;
  std::vector<std::pair<std::string, uint64_t>> sorted(kinds.begin(), kinds.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& x, const auto& y) { return x.second > y.second; });
  fmt::print("changes:\n");
  for (const auto& [kind, count] : sorted) fmt::print("  {:>6}  {}\n", count, kind);
  return 0;
}

}  // namespace gauntlet
