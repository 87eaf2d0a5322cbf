// The one vocabulary of gauntlet: layers, outcomes and reasons. Stats, traces, events and
// the per-layer summary all print these names; nothing else may invent its own.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace gauntlet {

// Layers in the order a packet meets them: X(id, printed name, directions it serves).
// New layers are added here when they land.
#define GAUNTLET_LAYERS(X)                         \
  X(parse, "parse", kBothDirections)               \
  X(handoff, "handoff", kBothDirections)           \
  X(neighbour, "neighbour", kBothDirections)       \
  X(conntrack, "conntrack", kBothDirections)       \
  X(local, "local", kBothDirections)               \
  X(firewall, "firewall", kIngressOnly)            \
  X(allowlist, "allowlist", kEgressOnly)           \
  X(proxy, "proxy", kBothDirections)               \
  X(waf, "waf", kIngressOnly)                      \
  X(loadbalancer, "loadbalancer", kBothDirections) \
  X(nat, "nat", kBothDirections)                   \
  X(forward, "forward", kBothDirections)

inline constexpr uint8_t kIngressOnly = 1, kEgressOnly = 2, kBothDirections = 3;

enum class Layer : uint8_t {
#define GAUNTLET_LAYER_ENUM(id, name, dirs) id,
  GAUNTLET_LAYERS(GAUNTLET_LAYER_ENUM)
#undef GAUNTLET_LAYER_ENUM
      count
};

inline constexpr std::array<std::string_view, static_cast<size_t>(Layer::count)> kLayerNames = {
#define GAUNTLET_LAYER_NAME(id, name, dirs) name,
    GAUNTLET_LAYERS(GAUNTLET_LAYER_NAME)
#undef GAUNTLET_LAYER_NAME
};

// Bit 0: the layer judges ingress packets; bit 1: egress. The summary shows a layer only
// for the directions it serves.
inline constexpr std::array<uint8_t, static_cast<size_t>(Layer::count)> kLayerDirections = {
#define GAUNTLET_LAYER_DIRS(id, name, dirs) dirs,
    GAUNTLET_LAYERS(GAUNTLET_LAYER_DIRS)
#undef GAUNTLET_LAYER_DIRS
};

constexpr std::string_view layer_name(Layer l) noexcept {
  return kLayerNames[static_cast<size_t>(l)];
}

// What a layer did with a packet. `pass` hands it to the next layer; the others are final.
enum class Outcome : uint8_t {
  pass,     // the layer looked and let it continue
  forward,  // sent out of a port towards its destination
  answer,   // the dataplane answered it itself (ARP/ND reply, echo reply)
  consume,  // absorbed without an answer and without fault (learned ARP, not our frame)
  stop,     // stopped: the packet goes no further; the reason says why
  count
};

inline constexpr std::array<std::string_view, static_cast<size_t>(Outcome::count)> kOutcomeNames = {
    "pass", "forward", "answer", "consume", "stop"};

constexpr std::string_view outcome_name(Outcome o) noexcept {
  return kOutcomeNames[static_cast<size_t>(o)];
}

// Reasons: X(id, layer, printed name). The printed name is what users grep for.
#define GAUNTLET_REASONS(X)                                                          \
  X(none, parse, "none")                                                             \
  X(malformed_ethernet_truncated, parse, "malformed:ethernet-truncated")             \
  X(malformed_vlan_truncated, parse, "malformed:vlan-truncated")                     \
  X(unsupported_vlan_stacked, parse, "unsupported:vlan-stacked")                     \
  X(unsupported_ethertype, parse, "unsupported:ethertype")                           \
  X(malformed_arp_header, parse, "malformed:arp-header")                             \
  X(malformed_ipv4_truncated, parse, "malformed:ipv4-truncated")                     \
  X(malformed_ipv4_version, parse, "malformed:ipv4-version")                         \
  X(malformed_ipv4_header_length, parse, "malformed:ipv4-header-length")             \
  X(malformed_ipv4_total_length, parse, "malformed:ipv4-total-length")               \
  X(malformed_ipv4_checksum, parse, "malformed:ipv4-checksum")                       \
  X(malformed_ipv4_options, parse, "malformed:ipv4-options")                         \
  X(malformed_ipv4_fragment, parse, "malformed:ipv4-fragment")                       \
  X(malformed_ipv4_address, parse, "malformed:ipv4-address")                         \
  X(malformed_ipv6_truncated, parse, "malformed:ipv6-truncated")                     \
  X(malformed_ipv6_version, parse, "malformed:ipv6-version")                         \
  X(malformed_ipv6_payload_length, parse, "malformed:ipv6-payload-length")           \
  X(malformed_ipv6_extension_header, parse, "malformed:ipv6-extension-header")       \
  X(malformed_ipv6_fragment, parse, "malformed:ipv6-fragment")                       \
  X(malformed_ipv6_address, parse, "malformed:ipv6-address")                         \
  X(malformed_tcp_header, parse, "malformed:tcp-header")                             \
  X(malformed_tcp_data_offset, parse, "malformed:tcp-data-offset")                   \
  X(malformed_tcp_options, parse, "malformed:tcp-options")                           \
  X(malformed_udp_header, parse, "malformed:udp-header")                             \
  X(malformed_udp_length, parse, "malformed:udp-length")                             \
  X(malformed_icmp_header, parse, "malformed:icmp-header")                           \
  X(malformed_icmpv6_header, parse, "malformed:icmpv6-header")                       \
  X(l2_not_for_us, parse, "l2:not-for-us")                                           \
  X(handoff_ring_full, handoff, "handoff:ring-full")                                 \
  X(arp_request_answered, neighbour, "neighbour:arp-request-answered")               \
  X(nd_solicitation_answered, neighbour, "neighbour:nd-solicitation-answered")       \
  X(neighbour_learned, neighbour, "neighbour:learned")                               \
  X(neighbour_not_for_us, neighbour, "neighbour:not-for-us")                         \
  X(neighbour_unsupported, neighbour, "neighbour:unsupported-operation")             \
  X(neighbour_bad_source, neighbour, "neighbour:bad-source-address")                 \
  X(neighbour_table_full, neighbour, "neighbour:table-full")                         \
  X(neighbour_malformed, neighbour, "neighbour:malformed-message")                   \
  X(conntrack_new, conntrack, "conntrack:new")                                       \
  X(conntrack_established, conntrack, "conntrack:established")                       \
  X(conntrack_reply, conntrack, "conntrack:reply")                                   \
  X(conntrack_related, conntrack, "conntrack:related")                               \
  X(conntrack_untracked, conntrack, "conntrack:untracked")                           \
  X(conntrack_invalid, conntrack, "conntrack:invalid")                               \
  X(conntrack_table_full, conntrack, "conntrack:table-full")                         \
  X(conntrack_orphan_icmp_error, conntrack, "conntrack:orphan-icmp-error")           \
  X(conntrack_malformed_icmp_error, conntrack, "conntrack:malformed-icmp-error")     \
  X(conntrack_fragment_without_first, conntrack, "conntrack:fragment-without-first") \
  X(conntrack_fragment_table_full, conntrack, "conntrack:fragment-table-full")       \
  X(conntrack_fragment_held, conntrack, "conntrack:fragment-held")                   \
  X(conntrack_fragment_hold_timeout, conntrack, "conntrack:fragment-hold-timeout")   \
  X(conntrack_fragment_hold_full, conntrack, "conntrack:fragment-hold-full")         \
  X(echo_request_answered, local, "local:echo-request-answered")                     \
  X(local_unsupported, local, "local:unsupported-protocol")                          \
  X(local_multicast_ignored, local, "local:multicast-ignored")                       \
  X(firewall_allowed, firewall, "firewall:allowed")                                  \
  X(firewall_denied, firewall, "firewall:denied")                                    \
  X(firewall_default_allow, firewall, "firewall:default-allow")                      \
  X(firewall_default_deny, firewall, "firewall:default-deny")                        \
  X(allowlist_allowed, allowlist, "allowlist:allowed")                               \
  X(allowlist_denied, allowlist, "allowlist:denied")                                 \
  X(allowlist_default_allow, allowlist, "allowlist:default-allow")                   \
  X(allowlist_default_deny, allowlist, "allowlist:default-deny")                     \
  X(lb_backend_chosen, loadbalancer, "lb:backend-chosen")                            \
  X(lb_port_not_configured, loadbalancer, "lb:port-not-configured")                  \
  X(lb_no_backend, loadbalancer, "lb:no-backend")                                    \
  X(lb_probe_answer, loadbalancer, "lb:probe-answer")                                \
  X(lb_drain_reset, loadbalancer, "lb:drain-deadline-reset")                         \
  X(lb_dsr_ipip, loadbalancer, "lb:dsr-ipip")                                        \
  X(lb_dsr_fragmentation_needed, loadbalancer, "lb:dsr-fragmentation-needed")        \
  X(lb_dsr_too_big, loadbalancer, "lb:dsr-too-big")                                  \
  X(lb_dsr_encap_failed, loadbalancer, "lb:dsr-encap-failed")                        \
  X(proxy_syn_cookie, proxy, "proxy:syn-cookie")                                     \
  X(proxy_cookie_invalid, proxy, "proxy:cookie-invalid")                             \
  X(proxy_no_flow, proxy, "proxy:no-flow")                                           \
  X(proxy_flow_table_full, proxy, "proxy:flow-table-full")                           \
  X(proxy_linger_reclaimed, proxy, "proxy:linger-reclaimed")                         \
  X(proxy_buffered, proxy, "proxy:buffered")                                         \
  X(proxy_connecting, proxy, "proxy:connecting")                                     \
  X(proxy_bound, proxy, "proxy:bound")                                               \
  X(proxy_spliced, proxy, "proxy:spliced")                                           \
  X(proxy_no_route, proxy, "proxy:no-route")                                         \
  X(proxy_no_backend, proxy, "proxy:no-backend")                                     \
  X(proxy_unrecognised, proxy, "proxy:unrecognised-protocol")                        \
  X(proxy_malformed_hello, proxy, "proxy:malformed-client-hello")                    \
  X(proxy_wait_overflow, proxy, "proxy:wait-overflow")                               \
  X(proxy_wait_timeout, proxy, "proxy:wait-timeout")                                 \
  X(proxy_backend_timeout, proxy, "proxy:backend-timeout")                           \
  X(proxy_backend_refused, proxy, "proxy:backend-refused")                           \
  X(proxy_client_reset, proxy, "proxy:client-reset")                                 \
  X(proxy_unexpected, proxy, "proxy:unexpected-segment")                             \
  X(waf_inspected, waf, "waf:inspected")                                             \
  X(waf_buffered, waf, "waf:buffered")                                               \
  X(waf_passthrough, waf, "waf:passthrough")                                         \
  X(waf_logged, waf, "waf:logged")                                                   \
  X(waf_blocked, waf, "waf:blocked")                                                 \
  X(waf_flow_blocked, waf, "waf:flow-blocked")                                       \
  X(waf_protocol_violation, waf, "waf:protocol-violation")                           \
  X(waf_sni_denied, waf, "waf:sni-denied")                                           \
  X(waf_stream_overflow, waf, "waf:stream-overflow")                                 \
  X(waf_stream_conflict, waf, "waf:stream-conflict")                                 \
  X(waf_flows_exhausted, waf, "waf:flows-exhausted")                                 \
  X(waf_data_after_close, waf, "waf:data-after-close")                               \
  X(waf_fragment_dropped, waf, "waf:fragment-dropped")                               \
  X(nat_mapped, nat, "nat:mapped")                                                   \
  X(nat_reversed, nat, "nat:reversed")                                               \
  X(nat_port_exhausted, nat, "nat:port-exhausted")                                   \
  X(nat_quota_exceeded, nat, "nat:quota-exceeded")                                   \
  X(nat_no_mapping, nat, "nat:no-mapping")                                           \
  X(nat_bypass, nat, "nat:bypass")                                                   \
  X(nat_fragmentation_needed, nat, "nat:fragmentation-needed")                       \
  X(forward_routed, forward, "forward:routed")                                       \
  X(forward_no_route, forward, "forward:no-route")                                   \
  X(forward_ttl_exceeded, forward, "forward:ttl-exceeded")                           \
  X(forward_neighbour_unresolved, forward, "forward:neighbour-unresolved")           \
  X(forward_fragmented, forward, "forward:fragmented")                               \
  X(forward_fragmentation_needed, forward, "forward:fragmentation-needed")           \
  X(forward_packet_too_big, forward, "forward:packet-too-big")                       \
  X(forward_fragment_no_buffer, forward, "forward:fragment-no-buffer")

enum class Reason : uint16_t {
#define GAUNTLET_REASON_ENUM(id, layer, name) id,
  GAUNTLET_REASONS(GAUNTLET_REASON_ENUM)
#undef GAUNTLET_REASON_ENUM
      count
};

inline constexpr std::array<std::string_view, static_cast<size_t>(Reason::count)> kReasonNames = {
#define GAUNTLET_REASON_NAME(id, layer, name) name,
    GAUNTLET_REASONS(GAUNTLET_REASON_NAME)
#undef GAUNTLET_REASON_NAME
};

inline constexpr std::array<Layer, static_cast<size_t>(Reason::count)> kReasonLayers = {
#define GAUNTLET_REASON_LAYER(id, layer, name) Layer::layer,
    GAUNTLET_REASONS(GAUNTLET_REASON_LAYER)
#undef GAUNTLET_REASON_LAYER
};

constexpr std::string_view reason_name(Reason r) noexcept {
  return kReasonNames[static_cast<size_t>(r)];
}
constexpr Layer reason_layer(Reason r) noexcept { return kReasonLayers[static_cast<size_t>(r)]; }

// Not a packet's reason but the dataplane's own: a packet it meant to originate (a companion
// RST, a health probe) found the packet pool empty.
inline constexpr std::string_view kMbufExhausted = "alloc:mbuf-exhausted";

// Direction is fixed by the port a packet arrived on: outside -> ingress, inside -> egress.
enum class Direction : uint8_t { ingress, egress, count };
inline constexpr std::array<std::string_view, 2> kDirectionNames = {"ingress", "egress"};
constexpr std::string_view direction_name(Direction d) noexcept {
  return kDirectionNames[static_cast<size_t>(d)];
}

}  // namespace gauntlet
