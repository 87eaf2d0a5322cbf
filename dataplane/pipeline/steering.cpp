// Flow ownership (steering.h explains the rule).
#include "dataplane/pipeline/steering.h"

#include <cstring>
#include <initializer_list>

#include "dataplane/conntrack/fragment_table.h"
#include "dataplane/nat/icmp_inner.h"
#include "dataplane/nat/port_allocator.h"

namespace gauntlet {

namespace {

constexpr uint8_t kInside = static_cast<uint8_t>(PortRole::inside);

struct End {
  IpAddress addr{};
  uint16_t port = 0;
  bool has_port = false;
};

// A service's VIP, or one of its backends (address:port; with no port, the address alone).
bool is_service_end(const Tables& t, const End& e, uint8_t version) noexcept {
  // A pool-only service (reached through l7-route routes) has no VIP, so no version of its
  // own: its backends are matched by theirs.
  for (const CompiledService& s : t.services) {
    if (s.version == version && s.vip == e.addr) return true;
    for (const BackendConfig& b : s.backends)
      if (b.version == version && b.address == e.addr && (!e.has_port || b.port == e.port))
        return true;
  }
  return false;
}

bool in_snat_from(const Tables& t, const IpAddress& a) noexcept {
  for (const Prefix& p : t.snat.from)
    if (p.contains(a, 4)) return true;
  return false;
}

uint32_t owner_of_ends(const Tables& t, uint8_t version, const End& inside, const End& outside,
                       uint32_t workers) noexcept {
  // The public address at either end: from outside, a reply or a flow let in on a mapping;
  // from inside, a hairpinned flow (its other end's mapping decides).
  for (const End* e : {&inside, &outside}) {
    if (!t.snat.enabled || version != 4 || e->addr != t.snat.address || !e->has_port) continue;
    const uint32_t o = port_owner({t.snat.port_lo, t.snat.port_hi}, workers, e->port);
    if (o < workers) return o;
  }
  if (is_service_end(t, inside, version)) return address_owner(outside.addr, version, workers);
  if (t.snat.enabled && version == 4 && inside.addr != t.snat.address &&
      in_snat_from(t, inside.addr)) {
    if (inside.has_port) {
      const uint32_t o = port_owner({t.snat.port_lo, t.snat.port_hi}, workers, inside.port);
      if (o < workers) return o;
    }
    return address_owner(inside.addr, version, workers);
  }
  return pair_owner(inside.addr, outside.addr, version, workers);
}

// Whether owner_of_ends would have looked at a port of these ends, had they carried one: the
// SNAT public address at either end (rule 1), or an inside end in snat.from (rule 3).
bool owner_needs_ports(const Tables& t, uint8_t version, const End& inside,
                       const End& outside) noexcept {
  if (!t.snat.enabled || version != 4) return false;
  if (inside.addr == t.snat.address || outside.addr == t.snat.address) return true;
  return !is_service_end(t, inside, version) && in_snat_from(t, inside.addr);
}

bool is_echo(const ParsedPacket& p) noexcept {
  return p.ip_version == 4 ? p.icmp_type == 0 || p.icmp_type == 8
                           : p.icmp_type == 128 || p.icmp_type == 129;
}

bool is_probe_answer(const ParsedPacket& p, uint8_t in_port, const Tables& t) noexcept {
  if (t.probe_port_lo == 0 || in_port != kInside || p.l4_proto != 6 || !p.has(kParseL4))
    return false;
  if (p.dst_port < t.probe_port_lo || p.dst_port > t.probe_port_hi) return false;
  const PortTable& port = t.ports[kInside];
  return p.ip_version == 4 ? port.has_v4 && p.dst == port.v4 : port.has_v6 && p.dst == port.v6;
}

}  // namespace

namespace {

uint32_t fold(const IpAddress& a, uint8_t version) noexcept {
  uint32_t words[4];
  std::memcpy(words, a.bytes.data(), sizeof words);
  return version == 6 ? words[0] ^ words[1] ^ words[2] ^ words[3] : words[0];
}

// Multiply by an odd constant, then scale the high bits to [0, workers).
uint32_t scale(uint32_t folded, uint32_t workers) noexcept {
  const uint32_t mixed = static_cast<uint32_t>((uint64_t{folded} * 0x9e3779b97f4a7c15ull) >> 32);
  return static_cast<uint32_t>((uint64_t{mixed} * workers) >> 32);
}

}  // namespace

uint32_t address_owner(const IpAddress& a, uint8_t version, uint32_t workers) noexcept {
  return scale(fold(a, version), workers);
}

uint32_t pair_owner(const IpAddress& a, const IpAddress& b, uint8_t version,
                    uint32_t workers) noexcept {
  return scale(fold(a, version) ^ fold(b, version), workers);
}

uint32_t flow_owner(const uint8_t* frame, const ParsedPacket& p, uint8_t in_port, const Tables& t,
                    uint32_t workers) noexcept {
  if (workers <= 1) return 0;
  if (p.ip_version != 4 && p.ip_version != 6) return kAnyWorker;
  if (is_probe_answer(p, in_port, t)) return 0;
  const bool l4 = p.has(kParseL4) && !p.has(kParseLaterFragment);
  const bool ported = l4 && (p.l4_proto == 6 || p.l4_proto == 17 || is_icmp_proto(p.l4_proto));
  if (l4 && is_icmp_proto(p.l4_proto) && !is_icmp_error(p) && !is_echo(p))
    return kAnyWorker;  // neighbour discovery, router advertisements: no flow
  if (l4 && is_icmp_proto(p.l4_proto) && is_icmp_error(p)) {
    // The quoted packet went the other way: arriving outside, it had left from inside.
    QuotedPacket q;
    if (!parse_quoted_packet(frame, p, q)) return kAnyWorker;  // dropped as malformed
    const End src{q.src, q.src_port, true}, dst{q.dst, q.dst_port, true};
    return in_port == kInside ? owner_of_ends(t, q.version, dst, src, workers)
                              : owner_of_ends(t, q.version, src, dst, workers);
  }
  const End src{p.src, p.src_port, ported}, dst{p.dst, p.dst_port, ported};
  return in_port == kInside ? owner_of_ends(t, p.ip_version, src, dst, workers)
                            : owner_of_ends(t, p.ip_version, dst, src, workers);
}

namespace {

// A fragment with no ports to go by (a later one its worker knows no first fragment of, or a
// first one too short for its transport header): where the rules without ports send it, or,
// on a flow whose owner its ports decide, the worker that received it. Such a later fragment
// is held there until its first fragment is steered, and then moves to the same worker
// (handoff.h); a first fragment stopped there leaves the record that stops its later ones.
uint32_t portless_fragment_owner(const uint8_t* frame, const ParsedPacket& p, uint8_t in_port,
                                 const Tables& t, uint32_t workers) noexcept {
  const End src{p.src, 0, false}, dst{p.dst, 0, false};
  const bool needs_ports = in_port == kInside ? owner_needs_ports(t, p.ip_version, src, dst)
                                              : owner_needs_ports(t, p.ip_version, dst, src);
  return needs_ports ? kAnyWorker : flow_owner(frame, p, in_port, t, workers);
}

}  // namespace

uint32_t steer_frame(const uint8_t* frame, uint32_t len, uint8_t in_port, const Tables& t,
                     uint32_t workers, FragmentTable* fragments, uint64_t now_ns) noexcept {
  if (workers <= 1) return 0;
  ParsedPacket p;
  if (parse_packet(frame, len, p) != Reason::none) {
    const bool cut_first_fragment = (p.ip_version == 4 || p.ip_version == 6) &&
                                    p.has(kParseFragment) && !p.has(kParseLaterFragment);
    return cut_first_fragment ? portless_fragment_owner(frame, p, in_port, t, workers) : kAnyWorker;
  }
  FragmentKey k;
  if (!fragments || !p.has(kParseFragment) || !fragment_key_of(frame, p, k))
    return flow_owner(frame, p, in_port, t, workers);
  if (p.has(kParseLaterFragment)) {
    if (const FragmentRecord* r = fragments->find(k, now_ns)) return r->flow_index;
    return portless_fragment_owner(frame, p, in_port, t, workers);
  }
  const uint32_t owner = flow_owner(frame, p, in_port, t, workers);
  // A full neighbourhood forgets nothing live: the later fragments then take the rule.
  fragments->remember(k, owner, 0, 0, now_ns, kSteeringFragmentTimeoutNs);
  return owner;
}

}  // namespace gauntlet
