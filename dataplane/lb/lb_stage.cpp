// Load balancer stage: a new flow to a VIP:port the firewall let through gets a backend
// from the service's Maglev table, by a hash of its 5-tuple; conntrack_commit pins it to
// the flow (DNAT), so the rest of the flow and its replies keep that backend whatever
// happens to the table. A VIP port no service has is refused: TCP RST, ICMP port
// unreachable for UDP. Flows pinned to a drained backend whose deadline passed are reset.
#include <xxhash.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dataplane/forward/icmp_error.h"
#include "dataplane/lb/tcp_reset.h"
#include "dataplane/pipeline/stages.h"

namespace gauntlet {

namespace {

// The same on every gauntlet instance (scale-out relies on it): XXH64 of the 5-tuple.
uint64_t flow_tuple_hash(const ParsedPacket& p) noexcept {
  uint8_t key[37];
  std::memcpy(key, p.src.bytes.data(), 16);
  std::memcpy(key + 16, p.dst.bytes.data(), 16);
  store_be16(key + 32, p.src_port);
  store_be16(key + 34, p.dst_port);
  key[36] = p.l4_proto;
  return XXH64(key, sizeof key, 0);
}

void refuse(const Tables& t, rte_mbuf* m, PacketContext& c, Reason why) noexcept {
  const ParsedPacket& p = c.parsed;
  const PortTable& in = t.ports[c.in_port];
  if (p.l4_proto == 6) {
    if (write_tcp_reset(m, p, in.mac)) {
      c.stop_and_emit(Layer::loadbalancer, why, c.in_port);
      return;
    }
  } else if ((p.ip_version == 4 ? in.has_v4 : in.has_v6) && icmp_error_allowed(p)) {
    // The error comes from the VIP itself, the address the client talked to.
    write_icmp_error(m, p, in.mac, p.dst, IcmpError::port_unreachable);
    c.stop_and_emit(Layer::loadbalancer, why, c.in_port);
    return;
  }
  c.decide(Layer::loadbalancer, Outcome::stop, why);
}

// A packet of a flow pinned to a backend whose drain deadline has passed: the sender gets a
// RST (TCP) and the flow expires now; its other end gets one on its next packet.
bool reset_if_drain_expired(Worker& w, const Tables& t, rte_mbuf* m, PacketContext& c) noexcept {
  const FlowEntry& e = *c.flow;
  if (e.nat() != NatKind::destination && !e.tunnelled()) return false;
  const size_t service = e.backend >> 16;
  if (service >= t.services.size() || !t.services[service].any_reset) return false;
  // The backend the flow is pinned to is its address:port; a reload that changed the backend
  // list since the flow began may have moved it to another index.
  const CompiledService& svc = t.services[service];
  const auto pinned = [&e](const BackendConfig& b) {
    return b.address == e.nat_addr && b.port == e.nat_port;
  };
  size_t backend = e.backend & 0xffff;
  if (backend >= svc.backends.size() || !pinned(svc.backends[backend])) {
    backend = 0;
    while (backend < svc.backends.size() && !pinned(svc.backends[backend])) ++backend;
    if (backend == svc.backends.size()) return false;  // its backend left the service
  }
  if (!svc.reset_flows[backend]) return false;
  w.flows.set_expiry(*c.flow, c.time_ns);
  if (c.parsed.l4_proto == 6 && write_tcp_reset(m, c.parsed, t.ports[c.in_port].mac))
    c.stop_and_emit(Layer::loadbalancer, Reason::lb_drain_reset, c.in_port);
  else
    c.decide(Layer::loadbalancer, Outcome::stop, Reason::lb_drain_reset);
  return true;
}

}  // namespace

void lb_stage(Worker& w, Burst& b) noexcept {
  const Tables& t = *w.tables;
  if (t.services.empty()) return;
  for (uint16_t i = 0; i < b.count; ++i) {
    PacketContext& c = b.ctx[i];
    if (c.final) continue;
    if (c.tracking == Tracking::tracked) {
      reset_if_drain_expired(w, t, b.mbufs[i], c);
      continue;
    }
    if (c.tracking != Tracking::new_flow) continue;
    const ParsedPacket& p = c.parsed;
    const CompiledService* svc = t.service_at(p.dst, p.ip_version);
    if (!svc) continue;
    if (p.l4_proto != svc->proto || !svc->serves(p.dst_port)) {
      refuse(t, b.mbufs[i], c, Reason::lb_port_not_configured);
      continue;
    }
    const uint64_t hash = flow_tuple_hash(p);
    const uint32_t backend = svc->table.lookup(hash);
    if (backend == kNoBackend) {
      refuse(t, b.mbufs[i], c, Reason::lb_no_backend);  // every backend drained or down
      continue;
    }
    c.service = static_cast<uint16_t>(svc - t.services.data());
    c.backend = backend;
    c.lb_slot = static_cast<uint32_t>(hash % svc->table.table_size());
    c.decide(Layer::loadbalancer, Outcome::pass, Reason::lb_backend_chosen, backend);
  }
}

}  // namespace gauntlet
