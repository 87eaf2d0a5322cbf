// The config model: one YAML file parsed into plain structs with a default for every field,
// validated as a whole before anything is built. Control core only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/acl/rule.h"
#include "dataplane/conntrack/tcp_state.h"
#include "dataplane/control/prefix.h"
#include "dataplane/packet/headers.h"

namespace gauntlet {

// Port roles. The index is the port's number everywhere in the dataplane.
enum class PortRole : uint8_t { outside = 0, inside = 1, count };
inline constexpr uint8_t kPortCount = static_cast<uint8_t>(PortRole::count);
inline constexpr uint8_t kNoPort = 0xff;
const char* port_role_name(uint8_t port) noexcept;
std::optional<uint8_t> port_role_from_name(const std::string& name) noexcept;

struct PortConfig {
  std::string device;  // DPDK device string; live mode only
  MacAddress mac{};    // required in replay; live default: the device's MAC
  bool mac_set = false;
  std::vector<Prefix> addresses;  // the port's own addresses with their connected prefix
  uint16_t rx_descriptors = 1024;
  uint16_t tx_descriptors = 1024;
  SourceMark mark;
};

struct RouteConfig {
  Prefix prefix;
  uint8_t port = kNoPort;
  std::optional<IpAddress> via;  // gateway; absent: the destination is on-link
  SourceMark mark;
};

struct NeighbourConfig {
  IpAddress address{};
  uint8_t version = 0;
  uint8_t port = kNoPort;
  MacAddress mac{};
  SourceMark mark;
};

struct ConntrackConfig {
  uint32_t capacity = 65536;  // flows per worker
  bool drop_invalid = true;   // packets that fit no state: conntrack:invalid (else pass untracked)
  ConntrackTimeouts timeouts;
};

// The NAT gateway: flows from `from` prefixes leaving through the outside port get source
// `address`. IPv4 only (NAT44).
struct SnatConfig {
  bool enabled = false;
  IpAddress address{};
  std::vector<Prefix> from;
  uint16_t port_lo = 1024, port_hi = 65535;  // split evenly between workers
  uint32_t max_ports_per_host = 1024;        // per protocol per worker; 0: no quota
  SourceMark mark;
};

struct BackendConfig {
  IpAddress address{};
  uint8_t version = 0;
  uint16_t port = 0;
  uint32_t weight = 1;  // 0: drained (no new flows; pinned flows continue)
  SourceMark mark;
};

// A Service: a virtual IP whose ports are spread over backends by Maglev.
struct ServiceConfig {
  std::string name;
  IpAddress vip{};
  uint8_t version = 0;
  uint8_t proto = 6;  // tcp or udp
  std::vector<uint16_t> ports;
  uint32_t table_size = 65537;  // Maglev M, a prime
  std::vector<BackendConfig> backends;
  SourceMark mark;
};

struct Config {
  std::string path;
  uint32_t workers = 1;                // live mode worker lcores (replay runs one)
  uint32_t neighbour_capacity = 4096;  // learned + static entries per worker
  uint32_t mbufs = 16383;              // packet buffers in the pool
  PortConfig ports[kPortCount];
  bool port_present[kPortCount] = {false, false};
  std::vector<RouteConfig> routes;  // explicit routes; connected routes are implied
  std::vector<NeighbourConfig> neighbours;
  // Ingress firewall (outside -> inside) and egress allow-list (inside -> outside). First
  // match wins by position; the list's default applies when nothing matches.
  AclList firewall{RuleAction::allow, {}};
  AclList allowlist{RuleAction::deny, {}};
  uint32_t max_rules = 65536;  // per list
  ConntrackConfig conntrack;
  SnatConfig snat;
  std::vector<ServiceConfig> services;
  std::vector<std::string> warnings;  // "file:line:col: warning: ..." (shadowed rules)
  std::vector<std::string> notes;     // rule pairs that overlap with opposite actions
};

struct ConfigError {
  std::string file;
  int line = 0;    // 1-based; 0 when the error is about the file as a whole
  int column = 0;  // 1-based
  std::string message;
  std::string to_string() const;  // "file:line:col: error: message"
};

// Loads and validates `path`. Returns the model, or fills `errors` with every problem found
// (not just the first) and returns nullopt.
std::optional<Config> load_config(const std::string& path, std::vector<ConfigError>& errors);

}  // namespace gauntlet
