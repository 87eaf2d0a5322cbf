// Firewall stage: the ingress firewall (outside -> inside) and the egress allow-list
// (inside -> outside), each an rte_acl classification over the burst's undecided IP
// packets, first match wins, the list's default otherwise. Judges packets that are about
// to be forwarded; traffic for gauntlet itself was answered by earlier layers.
// Until conntrack lands every packet is judged on its own, replies included: a reply is
// allowed only if the other direction's list allows it. Conntrack (running before this
// stage) will decide established flows' packets itself, and this stage already skips
// every packet that is decided.
#include "dataplane/pipeline/stages.h"

namespace gauntlet {

namespace {

constexpr Layer kLayers[2] = {Layer::firewall, Layer::allowlist};
constexpr Reason kAllowed[2] = {Reason::firewall_allowed, Reason::allowlist_allowed};
constexpr Reason kDenied[2] = {Reason::firewall_denied, Reason::allowlist_denied};
constexpr Reason kDefaultAllow[2] = {Reason::firewall_default_allow,
                                     Reason::allowlist_default_allow};
constexpr Reason kDefaultDeny[2] = {Reason::firewall_default_deny, Reason::allowlist_default_deny};

// The packets of one (direction, family) batch, as classifier input.
struct Batch {
  const uint8_t* keys[kBurstSize];
  uint16_t index[kBurstSize];  // position in the burst
  uint32_t results[kBurstSize];
  uint32_t count = 0;
};

void apply(Worker& w, Burst& b, const Batch& batch, size_t dir) noexcept {
  const CompiledAcl& acl = w.tables->acl[dir];
  RuleCounters& hits = w.rule_hits[dir];
  for (uint32_t k = 0; k < batch.count; ++k) {
    PacketContext& c = b.ctx[batch.index[k]];
    const uint32_t result = batch.results[k];
    if (result == kAclNoMatch) {
      hits.hits[hits.size - 1].add();
      if (acl.default_action == RuleAction::allow)
        c.decide(kLayers[dir], Outcome::pass, kDefaultAllow[dir], kDefaultRule);
      else
        c.decide(kLayers[dir], Outcome::stop, kDefaultDeny[dir], kDefaultRule);
      continue;
    }
    const uint32_t rule = result - 1;
    if (rule < hits.size - 1) hits.hits[rule].add();
    const uint8_t verdict = acl.verdicts[rule];
    if (verdict & kAclAllow) {
      c.decide(kLayers[dir], Outcome::pass, kAllowed[dir], rule);
      c.log = (verdict & kAclLog) != 0;
    } else {
      c.decide(kLayers[dir], Outcome::stop, kDenied[dir], rule);
    }
  }
}

}  // namespace

void firewall_stage(Worker& w, Burst& b) noexcept {
  AclKey4 keys4[kBurstSize];
  AclKey6 keys6[kBurstSize];
  Batch batches[2][2];  // [direction][family: 0 v4, 1 v6]
  for (uint16_t i = 0; i < b.count; ++i) {
    PacketContext& c = b.ctx[i];
    if (c.final || c.parsed.ip_version == 0 || c.flow_judged) continue;
    const size_t dir = static_cast<size_t>(c.direction);
    if (c.parsed.ip_version == 4) {
      Batch& batch = batches[dir][0];
      make_key(c.parsed, keys4[i]);
      batch.keys[batch.count] = reinterpret_cast<const uint8_t*>(&keys4[i]);
      batch.index[batch.count++] = i;
    } else {
      Batch& batch = batches[dir][1];
      make_key(c.parsed, keys6[i]);
      batch.keys[batch.count] = reinterpret_cast<const uint8_t*>(&keys6[i]);
      batch.index[batch.count++] = i;
    }
  }
  for (size_t dir = 0; dir < 2; ++dir) {
    const AclClassifier& classifier = *w.tables->acl[dir].classifier;
    if (Batch& v4 = batches[dir][0]; v4.count) {
      classifier.classify4(v4.keys, v4.results, v4.count);
      apply(w, b, v4, dir);
    }
    if (Batch& v6 = batches[dir][1]; v6.count) {
      classifier.classify6(v6.keys, v6.results, v6.count);
      apply(w, b, v6, dir);
    }
  }
}

}  // namespace gauntlet
