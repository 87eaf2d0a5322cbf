// The immutable tables one config generation compiles into. Built on the control core,
// published to workers through one atomic pointer (see pipeline/generation.h), never
// written after publication.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/acl/classifier.h"
#include "dataplane/control/config.h"
#include "dataplane/lb/maglev_table.h"
#include "dataplane/proxy/route_table.h"
#include "dataplane/waf/waf_engine.h"
#include "dataplane/waf/waf_flows.h"

struct rte_lpm;
struct rte_lpm6;

namespace gauntlet {

inline constexpr uint8_t kMaxOwnedAddresses = 64;

struct OwnedAddress {
  IpAddress address{};
  uint8_t version = 0;
  uint8_t port = kNoPort;
};

struct NextHop {
  uint8_t port = kNoPort;
  uint8_t version = 0;
  bool has_gateway = false;
  IpAddress gateway{};
};

struct PortTable {
  MacAddress mac{};
  // The port's first address of each family: source of ICMP errors and ARP/ND requests.
  IpAddress v4{}, v6{};
  bool has_v4 = false, has_v6 = false;
  std::vector<Prefix> prefixes;  // connected prefixes
  uint16_t mtu = 0;              // IP MTU; 0: none
};

// A Service compiled: its Maglev table maps slots to indexes into `backends`.
struct CompiledService {
  std::string name;
  IpAddress vip{};
  uint8_t version = 0;
  uint8_t proto = 6;
  std::vector<uint16_t> ports;
  std::vector<BackendConfig> backends;
  MaglevTable table;
  // Per backend: a health check took it out of `table`; its drain deadline passed, so the
  // flows still pinned to it are reset on their next packet.
  std::vector<uint8_t> down, reset_flows;
  std::vector<std::string> probe_requests;  // per backend: an http check's request bytes
  bool reports_backends = false;            // checked or drained backends: the summary lists them
  Forwarding forwarding = Forwarding::dnat;
  uint64_t table_hash = 0;  // maglev_table_hash(): the same on every instance with this state
  bool any_reset = false;   // some reset_flows entry is set
  bool serves(uint16_t port) const noexcept {
    for (uint16_t p : ports)
      if (p == port) return true;
    return false;
  }
};

// A rule list compiled for one direction: the classifier and what each rule decides.
struct CompiledAcl {
  std::unique_ptr<AclClassifier> classifier;
  std::vector<uint8_t> verdicts;  // per rule: kAclAllow / kAclLog bits
  std::vector<std::string> ids;   // for traces and events (control core)
  RuleAction default_action = RuleAction::allow;
};
inline constexpr uint8_t kAclAllow = 1, kAclLog = 2;

class Tables {
 public:
  ~Tables();
  Tables() = default;
  Tables(const Tables&) = delete;
  Tables& operator=(const Tables&) = delete;

  uint64_t generation = 0;
  uint64_t config_hash = 0;  // balancing_config_hash() of the config this generation compiles
  PortTable ports[kPortCount];
  OwnedAddress owned[kMaxOwnedAddresses];
  uint8_t owned_count = 0;
  std::vector<NextHop> next_hops;  // indexed by the LPM's next-hop value
  std::vector<NeighbourConfig> static_neighbours;
  rte_lpm* lpm4 = nullptr;
  rte_lpm6* lpm6 = nullptr;
  CompiledAcl acl[2];  // by Direction: ingress firewall, egress allow-list
  std::vector<CompiledService> services;
  ProxyTables proxy;          // l7-route VIPs: routes by service index, cookie key
  ConntrackConfig conntrack;  // policy and timeouts
  SnatConfig snat;            // the NAT gateway (snat.enabled)
  // Answers to the inside address on these TCP ports are health-probe answers (0: none).
  uint16_t probe_port_lo = 0, probe_port_hi = 0;
  // rte_lpm has no depth 0: a default route (/0) lives here, indexed by version == 6.
  int32_t default_hop[2] = {-1, -1};

  // The port owning `a`, or kNoPort. Hot path: a scan over a handful of entries.
  uint8_t owner_of(const IpAddress& a, uint8_t version) const noexcept {
    for (uint8_t i = 0; i < owned_count; ++i)
      if (owned[i].version == version && owned[i].address == a) return owned[i].port;
    return kNoPort;
  }
  // The service whose VIP is `a`, or nullptr. Hot path: a scan over the services.
  const CompiledService* service_at(const IpAddress& a, uint8_t version) const noexcept {
    for (const CompiledService& s : services)
      if (s.version == version && s.vip == a) return &s;
    return nullptr;
  }
  // Longest-prefix match; nullptr when no route covers `dst`.
  const NextHop* route(const IpAddress& dst, uint8_t version) const noexcept;
  // What an LPM lookup of `version` gave (`found`: next-hop index `hop`) as a route: that
  // one, else the family's default route (rte_lpm has no depth 0), else nullptr.
  const NextHop* route_or_default(bool found, uint32_t hop, uint8_t version) const noexcept {
    if (found) return &next_hops[hop];
    const int32_t fallback = default_hop[version == 6];
    return fallback >= 0 ? &next_hops[static_cast<size_t>(fallback)] : nullptr;
  }

  // The WAF engine of this generation (nullptr without a waf: section) and each worker's
  // scratch for it; both live exactly as long as the generation.
  const WafEngine* waf_engine() const noexcept { return waf_.get(); }
  WafScratch* waf_scratch(uint8_t worker) const noexcept {
    return worker < waf_scratch_.size() ? waf_scratch_[worker].get() : nullptr;
  }
  // Service `service`'s WAF settings in this generation; nullptr when it has no WAF.
  const ServiceWafPolicy* waf_policy(uint32_t service) const noexcept {
    return service < waf_policies.size() && waf_policies[service].enabled ? &waf_policies[service]
                                                                          : nullptr;
  }
  // Whether `dst` is the VIP of a service with WAF on (IP fragments to it are dropped).
  bool waf_inspects_vip(const IpAddress& dst, uint8_t version) const noexcept {
    for (const ServiceWafPolicy& p : waf_policies)
      if (p.enabled && p.version == version && p.vip == dst) return true;
    return false;
  }
  std::vector<ServiceWafPolicy> waf_policies;  // by service index (compile_waf_policies)
  WafEnginePtr waf_;                           // set by build_tables()
  std::vector<WafScratchPtr> waf_scratch_;     // one per worker (Config::workers)
};

// What the control core knows on top of the config: backends health checks took down and
// drained backends whose deadline passed. Indexed [service][backend] as in cfg.services;
// missing entries mean "no". Backend indexes never change, so pinned flows keep theirs.
struct HealthOverlay {
  std::vector<std::vector<uint8_t>> down;
  std::vector<std::vector<uint8_t>> drain_expired;
};

// XXH64 of what instances behind one ECMP group must agree on: each service's name, VIP,
// protocol, ports, forwarding, table size and backends (address, port, weight, drain deadline,
// health checks), in config order and canonical text, so that formatting, comments and the
// per-instance parts of the file (ports, addresses, routes, neighbours) do not change it.
uint64_t balancing_config_hash(const Config& cfg);

// 16 lower-case hex digits, as metrics, telemetry and events print a hash.
std::string hash_hex(uint64_t hash);

// Compiles `cfg` into tables for `generation`. On failure returns nullptr and sets `error`.
// `live_macs` (may be null) gives each port's device MAC where the config sets none.
// `health` (may be null): down backends get no Maglev slot (as if weight 0).
std::unique_ptr<Tables> build_tables(const Config& cfg, uint64_t generation,
                                     const MacAddress* live_macs, std::string& error,
                                     const HealthOverlay* health = nullptr);

}  // namespace gauntlet
