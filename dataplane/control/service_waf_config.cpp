// services[].waf: whether a service's client -> server bytes are inspected, and how.
#include "dataplane/control/service_waf_config.h"

#include <algorithm>

#include "dataplane/control/config_reader.h"

namespace gauntlet {

namespace {

// A DNS name as TLS sends it in SNI (RFC 6066 3: no trailing dot), or "*." and such a name.
// Lower-cased: the ClientHello parser lower-cases what it reads.
bool valid_sni_pattern(std::string& name) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](char ch) { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch + 32) : ch; });
  const std::string_view host = name.starts_with("*.") ? std::string_view(name).substr(2) : name;
  if (host.empty() || host.size() > 253 || host.front() == '.' || host.back() == '.') return false;
  if (host.find("..") != std::string_view::npos) return false;
  return std::all_of(host.begin(), host.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
           ch == '_';
  });
}

bool load_sni_list(Loader& in, const YAML::Node& node, const char* what,
                   std::vector<std::string>& out) {
  if (!node.IsSequence()) {
    in.error(node, fmt::format("{} must be a list of server names", what));
    return false;
  }
  bool ok = true;
  for (const auto& item : node) {
    auto text = in.scalar(item, what);
    if (!text) {
      ok = false;
      continue;
    }
    std::string name = *text;
    if (!valid_sni_pattern(name)) {
      in.error(item, fmt::format("{} entry '{}' is not a server name or *.suffix", what, *text));
      ok = false;
      continue;
    }
    out.push_back(std::move(name));
  }
  return ok;
}

}  // namespace

bool load_service_waf(Loader& in, const YAML::Node& node, ServiceWafConfig& waf) {
  waf.mark = in.mark(node);
  if (node.IsScalar()) {
    const std::string& v = node.Scalar();
    if (v == "true" || v == "false") {
      waf.enabled = v == "true";
      return true;
    }
    in.error(node, fmt::format("waf must be true, false or a mapping, not '{}'", v));
    return false;
  }
  if (!in.check_map(node, "a service's waf", {"mode", "threshold", "sni_allow", "sni_deny"}))
    return false;
  waf.enabled = true;
  bool ok = true;
  if (node["mode"]) {
    auto v = in.scalar(node["mode"], "waf mode");
    if (v && (*v == "block" || *v == "detect"))
      waf.detect_only = *v == "detect";
    else
      in.error(node["mode"],
               fmt::format("waf mode must be block or detect, not '{}'", v.value_or(""))),
          ok = false;
  }
  if (node["threshold"]) {
    if (auto n = in.number<uint32_t>(node["threshold"], "waf threshold", 1, 1000000))
      waf.threshold = *n;
    else
      ok = false;
  }
  if (node["sni_allow"])
    ok = load_sni_list(in, node["sni_allow"], "sni_allow", waf.sni_allow) && ok;
  if (node["sni_deny"]) ok = load_sni_list(in, node["sni_deny"], "sni_deny", waf.sni_deny) && ok;
  return ok;
}

void check_service_waf(Loader& in, const std::vector<ServiceConfig>& services,
                       bool config_has_waf) {
  for (const ServiceConfig& svc : services)
    if (svc.waf.enabled && svc.proto != 6)
      in.errors().push_back(
          {svc.waf.mark.file, svc.waf.mark.line, svc.waf.mark.column,
           fmt::format("service '{}' is udp: waf inspects tcp services only", svc.name)});
  if (config_has_waf) return;
  for (const ServiceConfig& svc : services)
    if (svc.waf.enabled)
      in.errors().push_back(
          {svc.waf.mark.file, svc.waf.mark.line, svc.waf.mark.column,
           fmt::format("service '{}' has waf on, but the config has no top-level waf: "
                       "section (its rules)",
                       svc.name)});
}

}  // namespace gauntlet
