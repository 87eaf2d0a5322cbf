// SNAT port allocation for one public address on one worker. Each worker owns a disjoint
// slice of the public port range (worker_port_slice), so the port of a reply names the worker
// that owns its flow (port_owner) and no two workers ever hand out the same port.
//
// Behaviour (RFC 4787 names):
// - Endpoint-independent mapping (REQ-1): one internal address:port gets one external port,
//   whatever the destination, for as long as any flow uses it. acquire() per new flow,
//   release() per ended flow: the mapping is reference counted and freed with its last flow.
// - Port preservation: the internal port itself when it is in the slice and free.
// - Otherwise a free port of the same range class (REQ-3a: 0-1023 or 1024-65535) and the
//   same parity (REQ-4), then of the same class with the other parity, then — only when the
//   slice has no free port of that class at all (e.g. a slice of 1024-65535 and an internal
//   port below 1024) — any free port of the slice: a working mapping beats a dropped flow.
//   Among candidates the search is next-fit from the last port given out, so ports just
//   released are not handed out again at once.
// - Per-host quota: a new mapping for an internal address that already holds
//   max_ports_per_host ports of this protocol fails with nat:quota-exceeded; a full slice
//   fails with nat:port-exhausted. Reusing an existing mapping never fails.
// - TCP, UDP and ICMP (echo identifier) are separate spaces: the same port number may be in
//   use in each, by different hosts.
//
// Threads and memory: constructed on the control core, which allocates everything (80-140
// bytes per port of the slice, per protocol); used by its worker only, on the slow path
// (first packet of a flow, flow expiry). noexcept, no allocation, no locks after construction.
// Byte order: addresses network order (gauntlet::IpAddress), ports host order.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "dataplane/conntrack/flow_key.h"

namespace gauntlet {

enum class NatProtocol : uint8_t { tcp, udp, icmp, count };
inline constexpr size_t kNatProtocols = static_cast<size_t>(NatProtocol::count);

// TCP, UDP, ICMP/ICMPv6 (echo id); nothing else is port-translated.
constexpr std::optional<NatProtocol> nat_protocol_of(uint8_t ip_proto) noexcept {
  if (ip_proto == 6) return NatProtocol::tcp;
  if (ip_proto == 17) return NatProtocol::udp;
  if (is_icmp_proto(ip_proto)) return NatProtocol::icmp;
  return std::nullopt;
}

struct NatPortRange {
  uint16_t lo = 1024;
  uint16_t hi = 65535;
  uint32_t size() const noexcept { return lo <= hi ? uint32_t{hi} - lo + 1 : 0; }
  bool contains(uint16_t p) const noexcept { return lo <= p && p <= hi; }
  friend bool operator==(const NatPortRange&, const NatPortRange&) = default;
};

// Worker `worker` of `workers`: contiguous, disjoint slices covering `all`, the first
// (size % workers) one port longer. Needs 1 <= workers <= all.size().
NatPortRange worker_port_slice(NatPortRange all, uint32_t worker, uint32_t workers) noexcept;
// The worker whose slice holds `port`; `workers` when `all` does not hold it.
uint32_t port_owner(NatPortRange all, uint32_t workers, uint16_t port) noexcept;

#define GAUNTLET_PORT_RESULTS(X)          \
  X(ok, "nat:mapped")                     \
  X(port_exhausted, "nat:port-exhausted") \
  X(quota_exceeded, "nat:quota-exceeded")

enum class PortResult : uint8_t {
#define GAUNTLET_PORT_RESULT_ENUM(id, name) id,
  GAUNTLET_PORT_RESULTS(GAUNTLET_PORT_RESULT_ENUM)
#undef GAUNTLET_PORT_RESULT_ENUM
      count
};
inline constexpr std::array<std::string_view, static_cast<size_t>(PortResult::count)>
    kPortResultNames = {
#define GAUNTLET_PORT_RESULT_NAME(id, name) name,
        GAUNTLET_PORT_RESULTS(GAUNTLET_PORT_RESULT_NAME)
#undef GAUNTLET_PORT_RESULT_NAME
};
constexpr std::string_view port_result_name(PortResult r) noexcept {
  return kPortResultNames[static_cast<size_t>(r)];
}

// How the external port was chosen (for traces).
enum class PortChoice : uint8_t {
  none,
  existing,
  preserved,
  same_class_parity,
  same_class,
  other_class
};

inline constexpr std::array<std::string_view, 6> kPortChoiceNames = {
    "none", "existing", "preserved", "same-class-parity", "same-class", "other-class"};
constexpr std::string_view port_choice_name(PortChoice c) noexcept {
  return kPortChoiceNames[static_cast<size_t>(c)];
}

struct PortLease {
  PortResult result = PortResult::port_exhausted;
  uint16_t external_port = 0;
  PortChoice how = PortChoice::none;
};

// What an external port maps back to (the reply path's reverse translation).
struct PortMapping {
  IpAddress internal_addr{};
  uint16_t internal_port = 0;
  uint8_t version = 0;
  uint32_t flows = 0;  // 0: the port is free
};

struct PortAllocatorConfig {
  NatPortRange range;                  // this worker's slice
  uint32_t max_ports_per_host = 1024;  // per protocol on this worker; 0: no quota
};

// One protocol's ports. Use through PortAllocator.
class PortSpace {
 public:
  PortSpace(NatPortRange range, uint32_t quota);
  PortLease acquire(const FlowEndpoint& internal, uint8_t version) noexcept;
  bool release(uint16_t external_port) noexcept;
  const PortMapping* mapping(uint16_t external_port) const noexcept;
  uint16_t external_port_of(const FlowEndpoint& internal, uint8_t version) const noexcept;
  uint32_t in_use() const noexcept { return in_use_; }
  uint32_t host_ports(const IpAddress& addr, uint8_t version) const noexcept;

 private:
  struct HostUse {
    IpAddress addr{};
    uint8_t version = 0;  // 0: empty slot
    uint32_t ports = 0;
  };
  static constexpr uint32_t kNone = 0xffffffffu;
  uint32_t find_mapping_slot(const IpAddress& a, uint16_t port, uint8_t version) const noexcept;
  uint32_t find_host_slot(const IpAddress& a, uint8_t version) const noexcept;
  uint32_t choose(uint16_t internal_port, PortChoice& how) const noexcept;
  uint32_t find_free(uint32_t first, uint32_t last, int parity) const noexcept;
  uint32_t scan(uint32_t from, uint32_t to, int parity) const noexcept;
  void erase_mapping_slot(uint32_t slot) noexcept;
  void erase_host_slot(uint32_t slot) noexcept;

  NatPortRange range_;
  uint32_t quota_;
  uint32_t in_use_ = 0;
  uint32_t cursor_ = 0;                // next-fit: offset after the last port given out
  std::vector<PortMapping> ports_;     // by port - range.lo
  std::vector<uint64_t> free_bits_;    // bit set: that offset is free
  std::vector<uint32_t> by_internal_;  // open addressing: offset + 1 of a mapping, 0 empty
  std::vector<HostUse> hosts_;         // open addressing: ports held per internal address
};

class PortAllocator {
 public:
  // Control core. Throws std::invalid_argument when the range is empty or includes port 0.
  explicit PortAllocator(const PortAllocatorConfig& config);

  // Slow path, once per new flow: the external port for `internal` (existing mapping first).
  PortLease acquire(NatProtocol p, const FlowEndpoint& internal, uint8_t version) noexcept {
    return spaces_[static_cast<size_t>(p)].acquire(internal, version);
  }
  // Once per ended flow that acquire() succeeded for. False when the port is not in use.
  bool release(NatProtocol p, uint16_t external_port) noexcept {
    return spaces_[static_cast<size_t>(p)].release(external_port);
  }
  // Reply path: who an external port belongs to; nullptr when it is free or not ours.
  const PortMapping* mapping(NatProtocol p, uint16_t external_port) const noexcept {
    return spaces_[static_cast<size_t>(p)].mapping(external_port);
  }
  // Hairpinning: the external port `internal` is mapped to now; 0 when it has no mapping.
  uint16_t external_port_of(NatProtocol p, const FlowEndpoint& internal,
                            uint8_t version) const noexcept {
    return spaces_[static_cast<size_t>(p)].external_port_of(internal, version);
  }
  uint32_t ports_in_use(NatProtocol p) const noexcept {
    return spaces_[static_cast<size_t>(p)].in_use();
  }
  uint32_t host_ports(NatProtocol p, const IpAddress& addr, uint8_t version) const noexcept {
    return spaces_[static_cast<size_t>(p)].host_ports(addr, version);
  }
  NatPortRange range() const noexcept { return range_; }

 private:
  NatPortRange range_;
  std::array<PortSpace, kNatProtocols> spaces_;
};

}  // namespace gauntlet
