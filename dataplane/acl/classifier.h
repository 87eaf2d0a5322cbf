// A rule list compiled into rte_acl contexts (one for IPv4, one for IPv6). Built on the
// control core (rte_acl_build is not MT-safe), immutable afterwards; classify is read-only
// and may run on any number of workers at once.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/acl/rule.h"
#include "dataplane/packet/parse.h"

struct rte_acl_ctx;

namespace gauntlet {

// Classifier input, fields in network byte order as rte_acl expects. Layouts match the
// field definitions in classifier.cpp.
struct AclKey4 {
  uint8_t proto;
  uint8_t pad[3];
  uint32_t src, dst;
  uint16_t src_port, dst_port;
};
struct AclKey6 {
  uint8_t proto;
  uint8_t pad[3];
  uint8_t src[16], dst[16];
  uint16_t src_port, dst_port;
};

// What the classifier sees of a packet: ports only for TCP/UDP with their header present.
AclTuple tuple_of(const ParsedPacket& p) noexcept;
void make_key(const AclTuple& t, AclKey4& k) noexcept;
void make_key(const AclTuple& t, AclKey6& k) noexcept;

// Hot path: the same keys straight from the parsed headers (equal to make_key(tuple_of(p))).
inline void make_key(const ParsedPacket& p, AclKey4& k) noexcept {
  const bool ports = (p.l4_proto == 6 || p.l4_proto == 17) && p.has(kParseL4);
  k.proto = p.l4_proto;
  std::memcpy(&k.src, p.src.bytes.data(), 4);
  std::memcpy(&k.dst, p.dst.bytes.data(), 4);
  k.src_port = ports ? __builtin_bswap16(p.src_port) : 0;
  k.dst_port = ports ? __builtin_bswap16(p.dst_port) : 0;
}
inline void make_key(const ParsedPacket& p, AclKey6& k) noexcept {
  const bool ports = (p.l4_proto == 6 || p.l4_proto == 17) && p.has(kParseL4);
  k.proto = p.l4_proto;
  std::memcpy(k.src, p.src.bytes.data(), 16);
  std::memcpy(k.dst, p.dst.bytes.data(), 16);
  k.src_port = ports ? __builtin_bswap16(p.src_port) : 0;
  k.dst_port = ports ? __builtin_bswap16(p.dst_port) : 0;
}

inline constexpr uint32_t kAclNoMatch = 0;  // results are rule index + 1

class AclClassifier {
 public:
  // `name` must be unique among live classifiers (rte_acl contexts are named globally).
  static std::unique_ptr<AclClassifier> build(const std::vector<AclRule>& rules,
                                              const std::string& name, std::string& error);
  ~AclClassifier();
  AclClassifier(const AclClassifier&) = delete;
  AclClassifier& operator=(const AclClassifier&) = delete;

  // Hot path. keys[i] point at AclKey4 / AclKey6; results[i] = first matching rule index
  // + 1, or kAclNoMatch.
  void classify4(const uint8_t** keys, uint32_t* results, uint32_t n) const noexcept;
  void classify6(const uint8_t** keys, uint32_t* results, uint32_t n) const noexcept;

  double build_seconds() const noexcept { return build_seconds_; }

 private:
  AclClassifier() = default;
  rte_acl_ctx* ctx4_ = nullptr;
  rte_acl_ctx* ctx6_ = nullptr;
  double build_seconds_ = 0;
};

}  // namespace gauntlet
