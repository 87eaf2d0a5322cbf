// The proxy layer's client leg (l7-route VIPs). Before conntrack, because these flows are
// not conntrack's: a cookie-proven ACK opens a proxied flow (proxy_flows.h); its first bytes
// are held (bounded by l7_wait) until they name a route; with the WAF on they are inspected
// then (proxy_waf.cpp); the backend of the routed service that Maglev picks gets a SYN
// carrying the client's options, and once it answers (proxy_backend.cpp) both legs are
// spliced. Anything that cannot be routed is reset, with an event: no route, not TLS/HTTP, a
// malformed ClientHello, more than l7_wait.bytes, no backend. The SYN itself is answered after
// the firewall (proxy_syn.cpp).
#include <xxhash.h>

#include <rte_mbuf.h>

#include "dataplane/lb/tcp_reset.h"
#include "dataplane/neighbour/solicit.h"
#include "dataplane/proxy/first_bytes.h"
#include "dataplane/proxy/proxy_internal.h"

namespace gauntlet {

namespace {

// Stops the packet and answers it with a RST (when it can be); the flow, if any, is freed.
void refuse(Worker& w, rte_mbuf* m, PacketContext& c, Reason why, uint32_t flow) noexcept {
  if (flow != kNoProxyFlow) {
    note_flow(c, w.proxy[flow]);
    free_flow(w, flow);
  }
  if (write_tcp_reset(m, c.parsed, w.tables->ports[c.in_port].mac))
    c.stop_and_emit(Layer::proxy, why, c.in_port);
  else
    c.decide(Layer::proxy, Outcome::stop, why);
}

// The same hash the load balancer uses for a flow (lb_stage.cpp), over the client's tuple.
uint64_t client_hash(const ProxyFlow& f) noexcept {
  uint8_t key[37];
  std::memcpy(key, f.client.bytes.data(), 16);
  std::memcpy(key + 16, f.vip.bytes.data(), 16);
  store_be16(key + 32, f.client_port);
  store_be16(key + 34, f.vip_port);
  key[36] = 6;
  return XXH64(key, sizeof key, 0);
}

// The route is decided: pick the backend, turn this packet into the SYN towards it.
void connect_backend(Worker& w, rte_mbuf* m, PacketContext& c, uint32_t i, const RouteMatch& match,
                     WafNote& note) noexcept {
  const Tables& t = *w.tables;
  ProxyFlow& f = w.proxy[i];
  f.route = match.route;
  if (match.service == kNoProxyService) return refuse(w, m, c, Reason::proxy_no_route, i);
  // The WAF reads the held request before a backend hears of it.
  if (!start_waf(w, f, match.service)) {
    note_flow(c, f);
    free_flow(w, i);
    if (write_tcp_reset(m, c.parsed, t.ports[c.in_port].mac))
      c.stop_and_emit(Layer::waf, Reason::waf_flows_exhausted, c.in_port);
    else
      c.decide(Layer::waf, Outcome::stop, Reason::waf_flows_exhausted);
    return;
  }
  if (!inspect_held(w, m, c, i, note)) return;
  const CompiledService& svc = t.services[match.service];
  const uint32_t backend = svc.table.lookup(client_hash(f));
  if (backend == kNoBackend) return refuse(w, m, c, Reason::proxy_no_backend, i);
  const BackendConfig& b = svc.backends[backend];
  const NextHop* hop = b.version == f.version ? t.route(b.address, f.version) : nullptr;
  if (!hop) return refuse(w, m, c, Reason::proxy_no_backend, i);
  const IpAddress& next = hop->has_gateway ? hop->gateway : b.address;
  const MacAddress* mac = w.neighbours.lookup(hop->port, next, f.version);
  if (!mac) {
    // Ask for it with this packet; the client's retransmission finds the route again.
    const PortTable& out = t.ports[hop->port];
    if (!(f.version == 6 ? out.has_v6 : out.has_v4))
      return refuse(w, m, c, Reason::proxy_no_backend, i);
    if (f.version == 6)
      write_neighbour_solicitation(m, out.mac, out.v6, next);
    else
      write_arp_request(m, out.mac, out.v4, next);
    c.next_hop = next;
    c.stop_and_emit(Layer::forward, Reason::forward_neighbour_unresolved, hop->port);
    return;
  }
  f.service = match.service;
  f.backend_index = backend;
  f.backend = b.address;
  f.backend_port = b.port;
  f.state = ProxyState::connecting;
  w.proxy.bind(i);
  w.proxy.set_expiry(i, c.time_ns + t.proxy.connect_ns);
  uint8_t options[20];
  SegmentSpec s = backend_leg_segment(t, f, hop->port, *mac);
  s.seq = f.client_isn;
  s.flags = kTcpSyn;
  s.window = f.client_window;
  s.options = options;
  s.options_length = write_syn_options(options, f.options, f.client_tsval, 0);
  note_flow(c, f);
  if (!write_segment(m, s)) return refuse(w, m, c, Reason::proxy_unexpected, i);
  c.decide(Layer::proxy, Outcome::forward, Reason::proxy_connecting);
  c.out_port = hop->port;
  c.next_hop = next;
}

// Client bytes of a flow not yet spliced: held; read for a route while waiting.
void hold(Worker& w, rte_mbuf* m, PacketContext& c, uint32_t i, const uint8_t* tcp,
          WafNote& note) noexcept {
  const ParsedPacket& p = c.parsed;
  ProxyFlow& f = w.proxy[i];
  const SeenOptions seen = read_options(tcp, p.payload_offset - p.l4_offset);
  if (seen.syn.timestamps) f.client_tsval = seen.tsval;
  if (p.tcp_flags & kTcpRst) {
    note_flow(c, f);
    free_flow(w, i);
    c.decide(Layer::proxy, Outcome::stop, Reason::proxy_client_reset);
    return;
  }
  const uint32_t length = p.l3_end - p.payload_offset;
  const uint32_t offset = load_be32(tcp + 4) - (f.client_isn + 1);
  const uint8_t* data = rte_pktmbuf_mtod_offset(m, const uint8_t*, p.payload_offset);
  if (length && !w.proxy.store(i, offset, data, length)) {
    if (f.state == ProxyState::waiting) return refuse(w, m, c, Reason::proxy_wait_overflow, i);
    // Connecting: later bytes the buffer cannot take are dropped; the client sends them again.
  }
  note_flow(c, f);
  if (f.state == ProxyState::waiting && length) {
    const ProxyVip* vip = w.tables->proxy.vip(f.vip_service);
    if (!vip) return refuse(w, m, c, Reason::proxy_no_route, i);  // a reload took the VIP away
    const uint32_t have = f.contiguous();
    const FirstBytesResult r =
        read_first_bytes(w.proxy.buffer(i), have, *vip, w.proxy.hello_storage());
    switch (r.status) {
      case FirstBytesStatus::decided:
        return connect_backend(w, m, c, i, r.match, note);
      case FirstBytesStatus::unrecognised:
        return refuse(w, m, c, Reason::proxy_unrecognised, i);
      case FirstBytesStatus::malformed:
        return refuse(w, m, c, Reason::proxy_malformed_hello, i);
      case FirstBytesStatus::need_more:
        if (have >= f.wait_bytes) return refuse(w, m, c, Reason::proxy_wait_overflow, i);
        break;
    }
  }
  // Connecting: bytes that joined the held request are read before any is replayed.
  if (f.state == ProxyState::connecting && !inspect_held(w, m, c, i, note)) return;
  c.decide(Layer::proxy, Outcome::consume, Reason::proxy_buffered);
}

// An ACK (maybe with data) to an l7-route VIP without a flow: it must carry a valid cookie.
void open_flow(Worker& w, rte_mbuf* m, PacketContext& c, uint16_t vip_service, const ProxyVip& vip,
               WafNote& note) noexcept {
  const Tables& t = *w.tables;
  const ParsedPacket& p = c.parsed;
  const uint8_t* frame = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint8_t* tcp = frame + p.l4_offset;
  c.proxy = ProxyNote{};  // no flow yet: nothing bound (the context may hold an older packet's)
  c.proxy.set = true;
  c.proxy.vip_service = vip_service;
  if ((p.tcp_flags & (kTcpSyn | kTcpRst | kTcpAck)) != kTcpAck) {
    c.decide(Layer::proxy, Outcome::stop, Reason::proxy_no_flow);
    return;
  }
  const CookieTuple tuple{p.src, p.dst, p.src_port, p.dst_port};
  const auto options =
      check_cookie(t.proxy.key, tuple, load_be32(tcp + 4), load_be32(tcp + 8), c.time_ns);
  if (!options) {
    c.decide(Layer::proxy, Outcome::stop, Reason::proxy_cookie_invalid);
    return;
  }
  uint32_t i = w.proxy.open({p.src, p.dst, p.src_port, p.dst_port}, c.time_ns + vip.wait_ns);
  if (const uint32_t old = w.proxy.oldest_lingering(); i == kNoProxyFlow && old != kNoProxyFlow) {
    // Full, but a flow that has ended still lingers: the oldest one gives its slot (an event).
    flow_event(w, w.proxy[old], Reason::proxy_linger_reclaimed, c.time_ns);
    free_flow(w, old);
    i = w.proxy.open({p.src, p.dst, p.src_port, p.dst_port}, c.time_ns + vip.wait_ns);
  }
  if (i == kNoProxyFlow) return refuse(w, m, c, Reason::proxy_flow_table_full, kNoProxyFlow);
  ProxyFlow& f = w.proxy[i];
  const SeenOptions seen = read_options(tcp, p.payload_offset - p.l4_offset);
  std::memcpy(f.client_mac.bytes.data(), frame + 6, 6);
  f.vip_service = vip_service;
  f.version = p.ip_version;
  f.wait_bytes = std::min(vip.wait_bytes, w.proxy.buffer_bytes());
  f.client_isn = load_be32(tcp + 4) - 1;
  f.cookie_isn = load_be32(tcp + 8) - 1;
  f.options = *options;
  f.our_tsval = seen.tsecr;
  f.client_tsval = seen.tsval;
  f.client_window = load_be16(tcp + 14);
  f.offsets.client_window_scale = options->window_scale == kNoWindowScale ? 0 : kProxyWindowScale;
  hold(w, m, c, i, tcp, note);
}

}  // namespace

void proxy_stage(Worker& w, Burst& b) noexcept {
  const Tables& t = *w.tables;
  if (w.proxy.capacity() == 0) return;
  for (uint16_t i = 0; i < b.count; ++i) {
    PacketContext& c = b.ctx[i];
    // Per packet: a replay burst may span seconds of pcap time.
    expire_proxy_flows(w, c);
    const ParsedPacket& p = c.parsed;
    if (c.final || (p.ip_version != 4 && p.ip_version != 6) || p.l4_proto != 6 ||
        !p.has(kParseL4) || p.has(kParseFragment))
      continue;
    rte_mbuf* m = b.mbufs[i];
    uint8_t leg = 0;
    uint32_t flow = w.proxy.find({p.src, p.dst, p.src_port, p.dst_port}, leg);
    if (flow != kNoProxyFlow && leg == 0 && w.proxy[flow].state == ProxyState::closing &&
        (p.tcp_flags & (kTcpSyn | kTcpAck)) == kTcpSyn) {
      free_flow(w, flow);  // the client reuses the tuple of a lingering flow: a new connection
      flow = kNoProxyFlow;
    }
    WafNote& note = w.waf_notes[i];
    if (flow != kNoProxyFlow) {
      const ProxyState state = w.proxy[flow].state;
      if (leg == 1 && state == ProxyState::connecting)
        backend_connecting(w, m, c, flow);
      else if (state == ProxyState::spliced || state == ProxyState::closing)
        splice(w, m, c, flow, leg, note);
      else if (leg == 0)
        hold(w, m, c, flow, rte_pktmbuf_mtod_offset(m, const uint8_t*, p.l4_offset), note);
      continue;
    }
    if (c.in_port != kOutside || (p.tcp_flags & kTcpSyn)) continue;  // SYNs: proxy_syn_stage
    const CompiledService* svc = t.service_at(p.dst, p.ip_version);
    if (!svc || !svc->serves(p.dst_port)) continue;
    const uint16_t index = static_cast<uint16_t>(svc - t.services.data());
    if (const ProxyVip* vip = t.proxy.vip(index)) open_flow(w, m, c, index, *vip, note);
  }
}

}  // namespace gauntlet
