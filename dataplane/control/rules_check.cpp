// Checks over whole rule lists: ids unique across both lists (an error), rules that can
// never match because an earlier one covers them, and rules that partly overlap an
// earlier one with the other action (warnings: both are legal, but rarely meant).
#include <unordered_map>

#include "dataplane/control/config_reader.h"

namespace gauntlet {

namespace {

constexpr size_t kMaxWarningsPerList = 10;
constexpr size_t kMaxAnalysedRules = 10000;  // pairwise analysis is quadratic

bool family_covers(uint8_t a, uint8_t b) { return a == 0 || a == b; }
bool families_meet(uint8_t a, uint8_t b) { return a == 0 || b == 0 || a == b; }
bool proto_covers(int16_t a, int16_t b) { return a < 0 || a == b; }
bool protos_meet(int16_t a, int16_t b) { return a < 0 || b < 0 || a == b; }
bool prefix_covers(const Prefix& a, const Prefix& b) {
  return a.length == 0 || (b.length >= a.length && a.contains(b.address, b.version));
}
bool prefixes_meet(const Prefix& a, const Prefix& b) {
  return prefix_covers(a, b) || prefix_covers(b, a);
}
bool range_covers(PortRange a, PortRange b) { return a.lo <= b.lo && b.hi <= a.hi; }
bool ranges_meet(PortRange a, PortRange b) { return a.lo <= b.hi && b.lo <= a.hi; }

bool covers(const AclRule& a, const AclRule& b) {
  return family_covers(a.family, b.family) && proto_covers(a.proto, b.proto) &&
         prefix_covers(a.src, b.src) && prefix_covers(a.dst, b.dst) &&
         range_covers(a.src_ports, b.src_ports) && range_covers(a.dst_ports, b.dst_ports);
}

bool meet(const AclRule& a, const AclRule& b) {
  return families_meet(a.family, b.family) && protos_meet(a.proto, b.proto) &&
         prefixes_meet(a.src, b.src) && prefixes_meet(a.dst, b.dst) &&
         ranges_meet(a.src_ports, b.src_ports) && ranges_meet(a.dst_ports, b.dst_ports);
}

std::string where(const SourceMark& m) { return fmt::format("{}:{}:{}", m.file, m.line, m.column); }

// Shadowed rules are warnings (the rule is dead). A later rule that partly overlaps an
// earlier one with the other action is how exceptions are written ("deny this net, allow
// web to pods"), so those are notes, shown by --check.
void analyse(const char* section, const AclList& list, std::vector<std::string>& warnings,
             std::vector<std::string>& notes) {
  if (list.rules.size() > kMaxAnalysedRules) return;
  size_t found = 0, overlaps = 0;
  for (size_t j = 1; j < list.rules.size(); ++j) {
    const AclRule& b = list.rules[j];
    for (size_t i = 0; i < j; ++i) {
      const AclRule& a = list.rules[i];
      if (covers(a, b)) {
        if (++found <= kMaxWarningsPerList)
          warnings.push_back(fmt::format(
              "{}: warning: {}: rule '{}' is shadowed by rule '{}' ({}): it can never match",
              where(b.mark), section, b.id, a.id, where(a.mark)));
        break;  // one finding per rule: the earliest rule that explains it
      }
      if (a.action != b.action && meet(a, b)) {
        if (++overlaps <= kMaxWarningsPerList)
          notes.push_back(
              fmt::format("{}: note: {}: rule '{}' overlaps rule '{}' ({}) with the other action; "
                          "'{}' decides where both match",
                          where(b.mark), section, b.id, a.id, where(a.mark), a.id));
        break;
      }
    }
  }
  if (found > kMaxWarningsPerList)
    warnings.push_back(fmt::format("{}: warning: {} more shadowed rules not shown", section,
                                   found - kMaxWarningsPerList));
  if (overlaps > kMaxWarningsPerList)
    notes.push_back(fmt::format("{}: note: {} more overlapping rules not shown", section,
                                overlaps - kMaxWarningsPerList));
}

}  // namespace

void check_acl_lists(Config& cfg, std::vector<ConfigError>& errors) {
  std::unordered_map<std::string, const AclRule*> seen;
  for (const AclList* list : {&cfg.firewall, &cfg.allowlist}) {
    for (const AclRule& r : list->rules) {
      auto [it, fresh] = seen.emplace(r.id, &r);
      if (!fresh)
        errors.push_back(
            {r.mark.file, r.mark.line, r.mark.column,
             fmt::format("duplicate rule id '{}' (first at {})", r.id, where(it->second->mark))});
    }
  }
  analyse("firewall", cfg.firewall, cfg.warnings, cfg.notes);
  analyse("allowlist", cfg.allowlist, cfg.warnings, cfg.notes);
}

}  // namespace gauntlet
