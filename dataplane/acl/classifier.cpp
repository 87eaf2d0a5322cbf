#include "dataplane/acl/classifier.h"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <fmt/format.h>

#include <rte_acl.h>
#include <rte_byteorder.h>

namespace gauntlet {

namespace {

enum Field4 { f4_proto, f4_src, f4_dst, f4_sport, f4_dport, f4_count };
enum Field6 {
  f6_proto,
  f6_src0,
  f6_dst0 = f6_src0 + 4,
  f6_sport = f6_dst0 + 4,
  f6_dport,
  f6_count
};

RTE_ACL_RULE_DEF(Acl4Rule, f4_count);
RTE_ACL_RULE_DEF(Acl6Rule, f6_count);

// rte_acl wants the first field one byte long and groups the rest in 4-byte input words;
// both ports share one word.
std::vector<rte_acl_field_def> fields4() {
  return {
      {RTE_ACL_FIELD_TYPE_BITMASK, 1, f4_proto, 0, offsetof(AclKey4, proto)},
      {RTE_ACL_FIELD_TYPE_MASK, 4, f4_src, 1, offsetof(AclKey4, src)},
      {RTE_ACL_FIELD_TYPE_MASK, 4, f4_dst, 2, offsetof(AclKey4, dst)},
      {RTE_ACL_FIELD_TYPE_RANGE, 2, f4_sport, 3, offsetof(AclKey4, src_port)},
      {RTE_ACL_FIELD_TYPE_RANGE, 2, f4_dport, 3, offsetof(AclKey4, dst_port)},
  };
}

std::vector<rte_acl_field_def> fields6() {
  std::vector<rte_acl_field_def> f{
      {RTE_ACL_FIELD_TYPE_BITMASK, 1, f6_proto, 0, offsetof(AclKey6, proto)}};
  for (uint8_t w = 0; w < 4; ++w)
    f.push_back({RTE_ACL_FIELD_TYPE_MASK, 4, static_cast<uint8_t>(f6_src0 + w),
                 static_cast<uint8_t>(1 + w),
                 static_cast<uint32_t>(offsetof(AclKey6, src) + 4 * w)});
  for (uint8_t w = 0; w < 4; ++w)
    f.push_back({RTE_ACL_FIELD_TYPE_MASK, 4, static_cast<uint8_t>(f6_dst0 + w),
                 static_cast<uint8_t>(5 + w),
                 static_cast<uint32_t>(offsetof(AclKey6, dst) + 4 * w)});
  f.push_back({RTE_ACL_FIELD_TYPE_RANGE, 2, f6_sport, 9, offsetof(AclKey6, src_port)});
  f.push_back({RTE_ACL_FIELD_TYPE_RANGE, 2, f6_dport, 9, offsetof(AclKey6, dst_port)});
  return f;
}

void set_common(rte_acl_rule_data& d, size_t index) {
  d.category_mask = 1;
  // First match wins: earlier rules get higher priority.
  d.priority = static_cast<int32_t>(RTE_ACL_MAX_PRIORITY - index);
  d.userdata = static_cast<uint32_t>(index + 1);
}

void set_proto(rte_acl_field& f, const AclRule& r) {
  f.value.u8 = r.proto < 0 ? 0 : static_cast<uint8_t>(r.proto);
  f.mask_range.u8 = r.proto < 0 ? 0 : 0xff;
}

void set_ports(rte_acl_field& s, rte_acl_field& d, const AclRule& r) {
  s.value.u16 = r.src_ports.lo, s.mask_range.u16 = r.src_ports.hi;
  d.value.u16 = r.dst_ports.lo, d.mask_range.u16 = r.dst_ports.hi;
}

// A 32-bit word of an address prefix, host order, with its own prefix length.
void set_word(rte_acl_field& f, const Prefix& p, unsigned word) {
  uint32_t be;
  std::memcpy(&be, p.address.bytes.data() + 4 * word, 4);
  f.value.u32 = rte_be_to_cpu_32(be);
  f.mask_range.u32 = static_cast<uint32_t>(
      std::clamp(static_cast<int>(p.length) - 32 * static_cast<int>(word), 0, 32));
}

template <typename Rule>
rte_acl_ctx* build_ctx(const std::string& name, const std::vector<Rule>& rules,
                       const std::vector<rte_acl_field_def>& defs, std::string& error) {
  if (rules.empty()) return nullptr;
  rte_acl_param param{};
  param.name = name.c_str();
  param.socket_id = SOCKET_ID_ANY;
  param.rule_size = RTE_ACL_RULE_SZ(defs.size());
  param.max_rule_num = static_cast<uint32_t>(rules.size());
  rte_acl_ctx* ctx = rte_acl_create(&param);
  if (!ctx) {
    error = fmt::format("{}: cannot create the ACL context", name);
    return nullptr;
  }
  rte_acl_config cfg{};
  cfg.num_categories = 1;
  cfg.num_fields = static_cast<uint32_t>(defs.size());
  std::copy(defs.begin(), defs.end(), cfg.defs);
  int rc = rte_acl_add_rules(ctx, reinterpret_cast<const rte_acl_rule*>(rules.data()),
                             static_cast<uint32_t>(rules.size()));
  if (rc == 0) rc = rte_acl_build(ctx, &cfg);
  if (rc != 0) {
    error = fmt::format("{}: rte_acl cannot build {} rules: {}", name, rules.size(), strerror(-rc));
    rte_acl_free(ctx);
    return nullptr;
  }
  return ctx;
}

}  // namespace

AclTuple tuple_of(const ParsedPacket& p) noexcept {
  AclTuple t;
  t.family = p.ip_version;
  t.proto = p.l4_proto;
  t.src = p.src;
  t.dst = p.dst;
  if ((p.l4_proto == 6 || p.l4_proto == 17) && p.has(kParseL4)) {
    t.src_port = p.src_port;
    t.dst_port = p.dst_port;
  }
  return t;
}

void make_key(const AclTuple& t, AclKey4& k) noexcept {
  k = {};
  k.proto = t.proto;
  std::memcpy(&k.src, t.src.bytes.data(), 4);
  std::memcpy(&k.dst, t.dst.bytes.data(), 4);
  k.src_port = rte_cpu_to_be_16(t.src_port);
  k.dst_port = rte_cpu_to_be_16(t.dst_port);
}

void make_key(const AclTuple& t, AclKey6& k) noexcept {
  k = {};
  k.proto = t.proto;
  std::memcpy(k.src, t.src.bytes.data(), 16);
  std::memcpy(k.dst, t.dst.bytes.data(), 16);
  k.src_port = rte_cpu_to_be_16(t.src_port);
  k.dst_port = rte_cpu_to_be_16(t.dst_port);
}

std::unique_ptr<AclClassifier> AclClassifier::build(const std::vector<AclRule>& rules,
                                                    const std::string& name, std::string& error) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<Acl4Rule> r4;
  std::vector<Acl6Rule> r6;
  for (size_t i = 0; i < rules.size(); ++i) {
    const AclRule& r = rules[i];
    if (r.family != 6) {
      Acl4Rule a{};
      set_common(a.data, i);
      set_proto(a.field[f4_proto], r);
      set_word(a.field[f4_src], r.src, 0);
      set_word(a.field[f4_dst], r.dst, 0);
      set_ports(a.field[f4_sport], a.field[f4_dport], r);
      r4.push_back(a);
    }
    if (r.family != 4) {
      Acl6Rule a{};
      set_common(a.data, i);
      set_proto(a.field[f6_proto], r);
      for (unsigned w = 0; w < 4; ++w) {
        set_word(a.field[f6_src0 + w], r.src, w);
        set_word(a.field[f6_dst0 + w], r.dst, w);
      }
      set_ports(a.field[f6_sport], a.field[f6_dport], r);
      r6.push_back(a);
    }
  }
  std::unique_ptr<AclClassifier> c(new AclClassifier);
  c->ctx4_ = build_ctx(name + "_v4", r4, fields4(), error);
  if (!r4.empty() && !c->ctx4_) return nullptr;
  c->ctx6_ = build_ctx(name + "_v6", r6, fields6(), error);
  if (!r6.empty() && !c->ctx6_) return nullptr;
  c->build_seconds_ =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return c;
}

AclClassifier::~AclClassifier() {
  if (ctx4_) rte_acl_free(ctx4_);
  if (ctx6_) rte_acl_free(ctx6_);
}

void AclClassifier::classify4(const uint8_t** keys, uint32_t* results, uint32_t n) const noexcept {
  if (ctx4_)
    rte_acl_classify(ctx4_, keys, results, n, 1);
  else
    std::fill(results, results + n, kAclNoMatch);
}

void AclClassifier::classify6(const uint8_t** keys, uint32_t* results, uint32_t n) const noexcept {
  if (ctx6_)
    rte_acl_classify(ctx6_, keys, results, n, 1);
  else
    std::fill(results, results + n, kAclNoMatch);
}

}  // namespace gauntlet
