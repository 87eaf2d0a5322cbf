#include "dataplane/acl/rule.h"

namespace gauntlet {

bool rule_matches(const AclRule& r, const AclTuple& t) noexcept {
  if (r.family != 0 && r.family != t.family) return false;
  if (r.proto >= 0 && r.proto != t.proto) return false;
  if (r.src.length != 0 && !r.src.contains(t.src, t.family)) return false;
  if (r.dst.length != 0 && !r.dst.contains(t.dst, t.family)) return false;
  return r.src_ports.contains(t.src_port) && r.dst_ports.contains(t.dst_port);
}

int32_t reference_classify(const std::vector<AclRule>& rules, const AclTuple& t) noexcept {
  for (size_t i = 0; i < rules.size(); ++i)
    if (rule_matches(rules[i], t)) return static_cast<int32_t>(i);
  return -1;
}

}  // namespace gauntlet
