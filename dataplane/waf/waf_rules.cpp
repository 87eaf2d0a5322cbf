// Rule files -> WafRule. Errors carry the rule file's line and column (config_reader.h).
#include "dataplane/waf/waf_rules.h"

#include <map>

#include <hs/hs.h>

#include "dataplane/control/config_file.h"
#include "dataplane/control/config_reader.h"

namespace gauntlet {
namespace {

struct Flag {
  const char* name;
  unsigned hs;
};
constexpr Flag kFlags[] = {
    {"caseless", HS_FLAG_CASELESS},       {"dotall", HS_FLAG_DOTALL},       {"utf8", HS_FLAG_UTF8},
    {"singlematch", HS_FLAG_SINGLEMATCH}, {"multiline", HS_FLAG_MULTILINE},
};

std::vector<YAML::Node> list_of(Loader& in, const YAML::Node& node, const char* what) {
  std::vector<YAML::Node> out;
  if (node.IsScalar()) {
    out.push_back(node);
  } else if (node.IsSequence()) {
    for (const auto& e : node) out.push_back(e);
  } else {
    in.error(node, fmt::format("{} must be a list", what));
  }
  return out;
}

void load_fields(Loader& in, const YAML::Node& node, WafRule& r) {
  const size_t before = in.errors().size();
  for (const YAML::Node& e : list_of(in, node, "fields")) {
    auto name = in.scalar(e, "a field");
    if (!name) continue;
    bool known = false;
    for (size_t f = 0; f < kWafFields; ++f) {
      if (kWafFieldNames[f] == *name && static_cast<WafField>(f) != WafField::violation) {
        r.fields |= waf_field_bit(static_cast<WafField>(f));
        known = true;
      }
    }
    if (!known) {
      std::string names;
      for (size_t f = 0; f + 1 < kWafFields; ++f)
        names += fmt::format("{}{}", f ? ", " : "", kWafFieldNames[f]);
      in.error(e, fmt::format("unknown field '{}' (expected one of: {})", *name, names));
    }
  }
  if (r.fields == 0 && in.errors().size() == before)
    in.error(node, "fields must name at least one field");
}

void load_flags(Loader& in, const YAML::Node& node, WafRule& r) {
  for (const YAML::Node& e : list_of(in, node, "flags")) {
    auto name = in.scalar(e, "a flag");
    if (!name) continue;
    bool known = false;
    for (const Flag& f : kFlags)
      if (*name == f.name) r.hs_flags |= f.hs, known = true;
    if (!known)
      in.error(e, fmt::format("unknown flag '{}' (expected caseless, dotall, utf8, singlematch "
                              "or multiline)",
                              *name));
  }
}

void load_violation(Loader& in, const YAML::Node& node, WafRule& r) {
  auto name = in.scalar(node, "violation");
  if (!name) return;
  for (size_t v = 1; v < kHttpViolations; ++v)
    if (kHttpViolationNames[v] == *name) r.violation = static_cast<HttpViolation>(v);
  if (r.violation == HttpViolation::none)
    in.error(node,
             fmt::format("unknown violation '{}' (expected a name like http:missing-host)", *name));
}

// One rule; returns false when it had errors.
bool load_rule(Loader& in, const YAML::Node& node, WafRule& r) {
  const size_t before = in.errors().size();
  if (!in.check_map(node, "a waf rule",
                    {"id", "message", "family", "fields", "patterns", "flags", "transform",
                     "action", "score", "violation"}))
    return false;
  r.file = in.file();
  r.line = node.Mark().line + 1;
  r.column = node.Mark().column + 1;
  if (!node["id"]) {
    in.error(node, "a waf rule needs an id");
  } else if (auto id = in.scalar(node["id"], "id")) {
    r.id = *id;
    if (r.id.empty()) in.error(node["id"], "id must not be empty");
  }
  if (node["message"])
    if (auto m = in.scalar(node["message"], "message")) r.message = *m;
  if (node["family"])
    if (auto f = in.scalar(node["family"], "family")) r.family = *f;
  const bool has_patterns = static_cast<bool>(node["patterns"]);
  if (has_patterns == static_cast<bool>(node["violation"]))
    in.error(node,
             fmt::format("waf rule '{}' needs either patterns or violation (one of them)", r.id));
  if (node["violation"]) {
    load_violation(in, node["violation"], r);
    if (node["fields"] || node["flags"] || node["transform"])
      in.error(node, "a violation rule takes no fields, flags or transform");
  }
  if (has_patterns) {
    for (const YAML::Node& e : list_of(in, node["patterns"], "patterns")) {
      if (auto p = in.scalar(e, "a pattern")) {
        if (p->empty()) in.error(e, "a pattern must not be empty");
        r.patterns.push_back({*p, e.Mark().line + 1, e.Mark().column + 1});
      }
    }
    if (r.patterns.empty() && in.errors().size() == before)
      in.error(node["patterns"], "patterns must not be empty");
    if (node["fields"])
      load_fields(in, node["fields"], r);
    else
      in.error(node, fmt::format("waf rule '{}' needs fields (where to look)", r.id));
    if (node["flags"]) load_flags(in, node["flags"], r);
  }
  if (node["transform"]) {
    auto t = in.scalar(node["transform"], "transform");
    if (t && *t == "normalised")
      r.transform = WafTransform::normalised;
    else if (t && *t == "raw")
      r.transform = WafTransform::raw;
    else if (t && *t == "both")
      r.transform = WafTransform::both;
    else if (t)
      in.error(node["transform"],
               fmt::format("transform must be normalised, raw or both, not '{}'", *t));
  }
  if (node["action"]) {
    auto a = in.scalar(node["action"], "action");
    if (a && (*a == "block" || *a == "log"))
      r.block = *a == "block";
    else if (a)
      in.error(node["action"], fmt::format("action must be block or log, not '{}'", *a));
  }
  r.score = r.block ? 5 : 0;
  if (node["score"])
    if (auto n = in.number<uint32_t>(node["score"], "score", 0, 1000)) r.score = *n;
  return in.errors().size() == before;
}

void load_file(const std::string& file, std::vector<WafRule>& rules,
               std::vector<ConfigError>& errors) {
  std::string why;
  const std::optional<std::string> text = read_config_file(file, why);
  if (!text) {
    errors.push_back({file, 0, 0, "cannot open the waf rule file: " + why});
    return;
  }
  Loader in(file, errors);
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    errors.push_back({file, e.mark.line + 1, e.mark.column + 1, e.msg});
    return;
  }
  if (!root.IsMap() || !root["rules"]) {
    in.error_at(1, 1, "a waf rule file must be a mapping with a rules: list");
    return;
  }
  in.check_map(root, "a waf rule file", {"rules"});
  if (!root["rules"].IsSequence()) {
    in.error(root["rules"], "rules must be a list");
    return;
  }
  for (const auto& node : root["rules"]) {
    WafRule r;
    if (load_rule(in, node, r)) rules.push_back(std::move(r));
  }
}

}  // namespace

bool load_waf_rules(const std::vector<std::string>& files, std::vector<WafRule>& rules,
                    std::vector<std::string>& errors) {
  std::vector<ConfigError> found;
  const size_t first = rules.size();
  for (const std::string& f : files) load_file(f, rules, found);
  std::map<std::string, size_t> seen;
  for (size_t i = first; i < rules.size(); ++i) {
    const WafRule& r = rules[i];
    auto [it, fresh] = seen.emplace(r.id, i);
    if (!fresh) {
      const WafRule& other = rules[it->second];
      found.push_back({r.file, r.line, r.column,
                       fmt::format("duplicate waf rule id '{}' (first at {}:{}:{})", r.id,
                                   other.file, other.line, other.column)});
    }
  }
  if (rules.size() - first > kWafMaxRulesLoaded)
    found.push_back({files.empty() ? std::string() : files.back(), 0, 0,
                     fmt::format("{} waf rules; at most {} are supported", rules.size() - first,
                                 kWafMaxRulesLoaded)});
  for (const ConfigError& e : found) errors.push_back(e.to_string());
  return found.empty();
}

}  // namespace gauntlet
