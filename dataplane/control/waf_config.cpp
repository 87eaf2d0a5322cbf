// waf: section. The rule files themselves are read when the engine is built
// (waf/waf_rules.cpp), where their own errors get their own file:line:col.
#include "dataplane/control/waf_config.h"

#include <algorithm>
#include <filesystem>
#include <glob.h>

#include "dataplane/control/config_reader.h"

namespace gauntlet {
namespace {

// Rule files one entry may name: a glob that matches more is refused, not loaded.
constexpr size_t kMaxRuleFilesPerEntry = 256;

// Wildcards stand in the file name only: one directory is read per entry. A wildcard in a
// directory (`/*/*/*.yaml`) would walk whole trees, /proc included, for seconds or longer.
bool wildcard_in_directory(const std::string& pattern) {
  const size_t slash = pattern.rfind('/');
  return slash != std::string::npos && pattern.find_first_of("*?[") < slash;
}

// Paths matching `pattern` (relative to `dir` unless absolute), sorted; empty when none.
std::vector<std::string> expand(const std::string& dir, const std::string& pattern) {
  const std::filesystem::path p(pattern);
  const std::string full = p.is_absolute() ? pattern : (std::filesystem::path(dir) / p).string();
  glob_t g{};
  std::vector<std::string> out;
  if (glob(full.c_str(), GLOB_NOSORT, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  globfree(&g);
  std::sort(out.begin(), out.end());
  return out;
}

void load_rule_files(Loader& in, const YAML::Node& node, WafConfig& waf) {
  std::vector<YAML::Node> entries;
  if (node.IsScalar()) {
    entries.push_back(node);
  } else if (node.IsSequence() && node.size() > 0) {
    for (const auto& e : node) entries.push_back(e);
  } else {
    in.error(node, "waf.rules must be a file or glob, or a non-empty list of them");
    return;
  }
  const std::string dir = std::filesystem::path(in.file()).parent_path().string();
  for (const YAML::Node& e : entries) {
    auto text = in.scalar(e, "a waf.rules entry");
    if (!text) continue;
    if (wildcard_in_directory(*text)) {
      in.error(e, fmt::format("waf.rules entry '{}' has a wildcard in a directory; wildcards "
                              "are allowed in the file name only (e.g. waf/*.yaml)",
                              *text));
      continue;
    }
    const std::vector<std::string> files = expand(dir.empty() ? "." : dir, *text);
    if (files.empty()) {
      in.error(e, fmt::format("waf.rules entry '{}' names no file (relative to {})", *text,
                              dir.empty() ? "." : dir));
      continue;
    }
    if (files.size() > kMaxRuleFilesPerEntry) {
      in.error(e, fmt::format("waf.rules entry '{}' names {} files; at most {}", *text,
                              files.size(), kMaxRuleFilesPerEntry));
      continue;
    }
    for (const std::string& f : files)
      if (std::find(waf.rule_files.begin(), waf.rule_files.end(), f) == waf.rule_files.end())
        waf.rule_files.push_back(f);
  }
}

}  // namespace

void load_waf(Loader& in, const YAML::Node& node, Config& cfg) {
  if (!in.check_map(node, "waf",
                    {"rules", "threshold", "mode", "body_inspect_bytes", "max_flows",
                     "flow_buffer_bytes", "memory_bytes"}))
    return;
  WafConfig& waf = cfg.waf;
  waf.enabled = true;
  waf.mark = in.mark(node);
  if (node["rules"])
    load_rule_files(in, node["rules"], waf);
  else
    in.error(node, "waf needs rules: (rule files or globs, e.g. [waf/*.yaml])");
  if (node["threshold"])
    if (auto n = in.number<uint32_t>(node["threshold"], "waf.threshold", 1, 1000000))
      waf.threshold = *n;
  if (node["mode"]) {
    auto v = in.scalar(node["mode"], "waf.mode");
    if (v && (*v == "block" || *v == "detect"))
      waf.detect_only = *v == "detect";
    else if (v)
      in.error(node["mode"], fmt::format("waf.mode must be block or detect, not '{}'", *v));
  }
  if (node["body_inspect_bytes"])
    if (auto n =
            in.number<uint32_t>(node["body_inspect_bytes"], "waf.body_inspect_bytes", 0, 16u << 20))
      waf.body_inspect_bytes = *n;
  if (node["max_flows"])
    if (auto n = in.number<uint32_t>(node["max_flows"], "waf.max_flows", 1, 1u << 22))
      waf.max_flows = *n;
  if (node["flow_buffer_bytes"])
    if (auto n =
            in.number<uint32_t>(node["flow_buffer_bytes"], "waf.flow_buffer_bytes", 0, 64u << 20))
      waf.flow_buffer_bytes = *n;
  if (node["memory_bytes"])
    if (auto n = in.number<uint64_t>(node["memory_bytes"], "waf.memory_bytes", 1u << 16,
                                     uint64_t{1} << 40))
      waf.memory_bytes = *n;
}

}  // namespace gauntlet
