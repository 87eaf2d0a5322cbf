// The 5-tuple rule model shared by the ingress firewall and the egress allow-list, and a
// plain linear reference matcher (the specification the rte_acl classifier is tested
// against). Control core builds rule lists; the reference runs anywhere.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/control/prefix.h"

namespace gauntlet {

enum class RuleAction : uint8_t { allow, deny };

struct PortRange {
  uint16_t lo = 0, hi = 65535;
  bool contains(uint16_t p) const noexcept { return lo <= p && p <= hi; }
  bool any() const noexcept { return lo == 0 && hi == 65535; }
};

// One rule. `family` 0 means both (every address field is `any`); prefixes of `any` have
// length 0. A protocol of -1 means any.
struct AclRule {
  std::string id;
  RuleAction action = RuleAction::allow;
  bool log = false;    // allow rules: also log each match as an event
  uint8_t family = 0;  // 0 (both), 4 or 6
  Prefix src{}, dst{};
  PortRange src_ports{}, dst_ports{};
  int16_t proto = -1;
  SourceMark mark;
};

// The 5-tuple as the classifier sees it. Ports are 0 for protocols without ports and for
// non-first fragments.
struct AclTuple {
  uint8_t family = 4;
  uint8_t proto = 0;
  IpAddress src{}, dst{};
  uint16_t src_port = 0, dst_port = 0;
};

bool rule_matches(const AclRule& r, const AclTuple& t) noexcept;

// First match wins by position: the index of the first rule matching `t`, or -1.
int32_t reference_classify(const std::vector<AclRule>& rules, const AclTuple& t) noexcept;

struct AclList {
  RuleAction default_action = RuleAction::allow;
  std::vector<AclRule> rules;
};

}  // namespace gauntlet
