// A SYN to an l7-route VIP that the firewall let through is answered here with a SYN cookie
// (syn_cookie.h), in place: no flow of any kind is created, so a SYN flood fills no table.
// Ports the VIP does not serve are left to the load balancer (lb:port-not-configured).
#include <rte_mbuf.h>

#include "dataplane/proxy/proxy_internal.h"

namespace gauntlet {

void proxy_syn_stage(Worker& w, Burst& b) noexcept {
  const Tables& t = *w.tables;
  if (!t.proxy.any) return;
  for (uint16_t i = 0; i < b.count; ++i) {
    PacketContext& c = b.ctx[i];
    const ParsedPacket& p = c.parsed;
    if (c.final || c.tracking != Tracking::new_flow || (p.ip_version != 4 && p.ip_version != 6) ||
        p.l4_proto != 6 || (p.tcp_flags & (kTcpSyn | kTcpAck | kTcpRst | kTcpFin)) != kTcpSyn ||
        c.in_port != kOutside)
      continue;
    const CompiledService* svc = t.service_at(p.dst, p.ip_version);
    if (!svc || !svc->serves(p.dst_port)) continue;
    const size_t index = static_cast<size_t>(svc - t.services.data());
    const ProxyVip* vip = t.proxy.vip(index);
    if (!vip) continue;
    rte_mbuf* m = b.mbufs[i];
    const uint8_t* f = rte_pktmbuf_mtod(m, const uint8_t*);
    const uint8_t* tcp = f + p.l4_offset;
    const SeenOptions seen = read_options(tcp, p.payload_offset - p.l4_offset);
    const uint32_t client_isn = load_be32(tcp + 4);
    const CookieTuple tuple{p.src, p.dst, p.src_port, p.dst_port};
    SynOptions ours = cookie_options(seen.syn);
    const uint32_t cookie = make_cookie(t.proxy.key, tuple, client_isn, seen.syn, c.time_ns);
    // gauntlet's own window scale; the MSS it takes is the largest a cookie can say that fits
    // a 1500-byte MTU (IPv6's header is 20 bytes longer: 1440, as 1460 over IPv4).
    if (ours.window_scale != kNoWindowScale) ours.window_scale = kProxyWindowScale;
    ours.mss = p.ip_version == 6 ? kCookieMss[2] : kCookieMss.back();
    uint8_t options[20];
    SegmentSpec s;
    s.version = p.ip_version;
    std::memcpy(s.dst_mac.bytes.data(), f + 6, 6);
    s.src_mac = t.ports[c.in_port].mac;
    s.src = p.dst, s.dst = p.src;
    s.src_port = p.dst_port, s.dst_port = p.src_port;
    s.seq = cookie;
    s.ack = client_isn + 1;
    s.flags = kTcpSyn | kTcpAck;
    // The client may send no more than the VIP buffers before a backend is bound.
    s.window = static_cast<uint16_t>(std::min<uint32_t>(vip->wait_bytes, 65535));
    s.options = options;
    s.options_length = write_syn_options(options, ours, cookie_tsval(c.time_ns), seen.tsval);
    c.proxy = ProxyNote{};  // a cookie holds no flow: nothing bound
    c.proxy.set = true;
    c.proxy.vip_service = static_cast<uint16_t>(index);
    if (write_segment(m, s)) {
      c.decide(Layer::proxy, Outcome::answer, Reason::proxy_syn_cookie);
      c.out_port = c.in_port;
    } else {
      c.decide(Layer::proxy, Outcome::stop, Reason::proxy_unexpected);
    }
  }
}

}  // namespace gauntlet
