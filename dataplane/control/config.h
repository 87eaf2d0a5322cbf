// The config model: one YAML file parsed into plain structs with a default for every field,
// validated as a whole before anything is built. Control core only.
#pragma once

#include <array>
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
  // IP MTU of the link (bytes of IP packet): larger packets leaving by the port are fragmented
  // (IPv4, DF clear) or answered with fragmentation-needed / packet-too-big. The outside port
  // defaults to 1500; the inside port has none unless set (0).
  uint16_t mtu = 0;
  SourceMark mark;
};

// How a live worker waits for packets (ports.poll). busy: it polls without pause, the lowest
// latency where the worker has its core to itself (a NIC). adaptive: after
// kIdlePollsBeforeSleep polls in a row that found nothing it sleeps idle_sleep_us between
// polls until packets come again, giving the CPU back to whatever shares it; where that is the
// kernel feeding the port (af_packet, af_xdp, tap), a worker that spins on an empty ring
// delays the very packets it waits for.
enum class PollMode : uint8_t { busy, adaptive };
// A few microseconds of empty polls: a pause between two bursts of a busy port costs no sleep.
inline constexpr uint32_t kIdlePollsBeforeSleep = 64;

// adaptive by default: a worker with packets waiting never sleeps, so a loaded port runs as
// with busy; an idle one costs a wake-up of idle_sleep_us (20 us: 300 packets at 14.88 Mpps,
// well inside a NIC's 1024 descriptors) instead of a whole CPU.
struct PollConfig {
  PollMode mode = PollMode::adaptive;
  uint32_t idle_sleep_us = 20;
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
  // RFC 4787 REQ-8 / RFC 5382 REQ-3. false: address-and-port-dependent (only the endpoints a
  // pod sent to may answer on its mapping); true: endpoint-independent (any endpoint may).
  bool endpoint_independent_filtering = false;
  SourceMark mark;
};

// Active health checks the dataplane sends to a backend (lb/health_monitor.h). A backend
// starts up; `fall` failed probes in a row take it out of the Maglev table, `rise` passed
// probes in a row bring it back.
struct HealthConfig {
  enum class Type : uint8_t { tcp, http };
  Type type = Type::tcp;              // tcp: SYN -> SYN-ACK -> RST; http: GET path, status line
  uint64_t interval_ns = 5000000000;  // from one probe of a backend to its next
  uint64_t timeout_ns = 2000000000;   // an exchange not finished by then failed
  uint32_t rise = 2, fall = 3;
  std::string path = "/";        // http: the request target
  uint16_t expect_status = 200;  // http: the status that passes
  uint16_t port = 0;             // 0: the backend's own port
};

struct BackendConfig {
  IpAddress address{};
  uint8_t version = 0;
  uint16_t port = 0;
  uint32_t weight = 1;                 // 0: drained (no new flows; pinned flows continue)
  std::optional<HealthConfig> health;  // the service's settings with this backend's overrides
  uint64_t drain_deadline_ns = 0;      // weight 0: flows still pinned this long after are reset
  SourceMark mark;
};

// A service's WAF settings: `waf: true`, or a mapping (service_waf_config.cpp). Unset values
// take the top-level waf: section's.
struct ServiceWafConfig {
  bool enabled = false;
  std::optional<bool> detect_only;     // mode: block | detect
  std::optional<uint32_t> threshold;   // anomaly score that blocks a request
  std::vector<std::string> sni_allow;  // TLS server names: exact or "*.suffix", lower case
  std::vector<std::string> sni_deny;   // checked first; a non-empty allow list denies the rest
  SourceMark mark;
};

// How a service's packets reach the chosen backend.
// - dnat: destination rewritten to the backend's address:port; replies come back through
//   gauntlet, which gives them the VIP as source.
// - dsr_ipip: the packet, unchanged, inside an outer IPv4 (protocol 4) or IPv6 (next header 41)
//   header from the inside port's address to the backend's; the backend decapsulates and
//   answers the client directly (direct server return).
enum class Forwarding : uint8_t { dnat, dsr_ipip };
constexpr const char* forwarding_name(Forwarding f) noexcept {
  return f == Forwarding::dnat ? "dnat" : "dsr-ipip";
}

// Reverse proxy (proxy_config.cpp). One route of an l7-route service: a TLS server name
// (sni) or an HTTP Host (host, optionally with a path prefix), exact or "*.suffix", lower case.
struct ProxyRouteConfig {
  std::string sni, host, path;
  std::string service;  // the target service's name
  SourceMark mark;
};

// A service's proxy settings. l4: today's DNAT. l7_route: gauntlet answers the handshake
// (SYN cookie) and binds a backend of a routed service once the first bytes name it.
struct ServiceProxyConfig {
  enum class Mode : uint8_t { l4, l7_route };
  Mode mode = Mode::l4;
  bool pool_only = false;  // no vip/ports: reachable only through another service's routes
  std::vector<ProxyRouteConfig> routes;
  std::string default_service;       // empty: no match is reset
  uint32_t wait_bytes = 8192;        // first data buffered until a route decides
  uint64_t wait_ns = 3000000000ull;  // from the handshake to the route decision
};

// The proxy: section: per-worker proxied flows, the SYN cookie key, the backend's deadline.
struct ProxyConfig {
  uint32_t flows = 1024;
  bool secret_set = false;
  std::array<uint8_t, 16> cookie_secret{};  // 32 hex digits; unset: random at start
  uint64_t connect_ns = 3000000000ull;      // a backend's SYN-ACK must come by then
  uint64_t linger_ns = 10000000000ull;      // an ended flow (FINs, RST) lingers this long
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
  Forwarding forwarding = Forwarding::dnat;
  std::vector<BackendConfig> backends;
  std::optional<HealthConfig> health;  // the service's checks (backends may override)
  // Health-check probes leave gauntlet's inside address from these source ports (every
  // service that checks names the same range; it may not overlap SNAT's ports).
  uint16_t probe_port_lo = 0, probe_port_hi = 0;  // 0: no backend is checked
  ServiceWafConfig waf;  // stream inspection of the service's client -> server bytes
  ServiceProxyConfig proxy;
  SourceMark mark;
};

// The `waf:` section: the rule set every WAF-inspected service shares, its defaults and the
// per-worker limits of stream inspection (parsed in waf_config.cpp).
struct WafConfig {
  bool enabled = false;                 // a waf: section is present
  std::vector<std::string> rule_files;  // resolved paths, globs expanded, in the order given
  uint32_t threshold = 5;               // default anomaly threshold
  bool detect_only = false;             // default mode for services that do not say
  uint32_t body_inspect_bytes = 16384;  // body prefix buffered and matched per request
  uint32_t max_flows = 4096;            // inspected flows per worker
  uint32_t flow_buffer_bytes = 65536;   // out-of-order bytes buffered per flow
  uint64_t memory_bytes = 64ull << 20;  // all inspected flows of one worker together
  SourceMark mark;
};

// Operations (ops_config.cpp): the Prometheus endpoint and the event log's rate limit. Read
// once at start; a reload that changes them is refused (they need a restart).
struct MetricsConfig {
  bool enabled = false;            // metrics: present
  std::string host = "127.0.0.1";  // listen address (IPv4 or IPv6 literal)
  uint16_t port = 9090;
  SourceMark mark;
};

struct EventsConfig {
  uint32_t per_second = 1000;  // event lines written per second; the rest become "suppressed"
  uint32_t burst = 1000;       // lines allowed at once after a quiet spell
};

struct Config {
  std::string path;
  uint32_t workers = 1;                // live mode worker lcores (replay: --workers)
  uint32_t neighbour_capacity = 4096;  // learned + static entries per worker
  uint32_t mbufs = 16383;              // packet buffers in the pool
  PortConfig ports[kPortCount];
  PollConfig poll;  // ports.poll, ports.idle_sleep_us (live mode)
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
  WafConfig waf;
  ProxyConfig proxy;                  // l7-route services (proxy_config.cpp)
  MetricsConfig metrics;              // Prometheus endpoint (ops_config.cpp)
  EventsConfig events;                // event log rate limit (ops_config.cpp)
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
