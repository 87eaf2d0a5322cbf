// Splicing: the L4 path's address rewrite plus the sequence translation of seq_translate.h.
#include <rte_mbuf.h>

#include "dataplane/packet/checksum.h"
#include "dataplane/proxy/proxy_internal.h"

namespace gauntlet {

namespace {

// Replaces an address (IPv4: at ip + 12 source, ip + 16 destination; IPv6: ip + 8, ip + 24)
// and the TCP port at tcp + port_at, adjusting the TCP checksum (the address is in the
// pseudo-header) and IPv4's header checksum.
void rewrite_endpoint(uint8_t version, uint8_t* ip, uint8_t* tcp, bool source, unsigned port_at,
                      const IpAddress& a, uint16_t port) noexcept {
  const bool v6 = version == 6;
  const unsigned at = v6 ? (source ? 8 : 24) : (source ? 12 : 16);
  const unsigned length = v6 ? 16 : 4;
  uint16_t ip_sum = v6 ? 0 : load_be16(ip + 10), tcp_sum = load_be16(tcp + 16);
  for (unsigned i = 0; i < length; i += 2) {
    const uint16_t old_word = load_be16(ip + at + i);
    const uint16_t new_word = static_cast<uint16_t>(a.bytes[i] << 8 | a.bytes[i + 1]);
    ip_sum = checksum_adjust(ip_sum, old_word, new_word);
    tcp_sum = checksum_adjust(tcp_sum, old_word, new_word);
    store_be16(ip + at + i, new_word);
  }
  tcp_sum = checksum_adjust(tcp_sum, load_be16(tcp + port_at), port);
  store_be16(tcp + port_at, port);
  if (!v6) store_be16(ip + 10, ip_sum);
  store_be16(tcp + 16, tcp_sum);
}

}  // namespace

void note_flow(PacketContext& c, const ProxyFlow& f) noexcept {
  c.proxy.set = true;
  c.proxy.vip_service = f.vip_service;
  c.proxy.bound = f.state == ProxyState::connecting || f.state == ProxyState::spliced ||
                  f.state == ProxyState::closing;
  c.proxy.route = f.route;
  c.proxy.service = f.service;
  c.proxy.backend = f.backend_index;
  c.proxy.seq_delta = f.offsets.seq_delta;
}

void splice(Worker& w, rte_mbuf* m, PacketContext& c, uint32_t i, uint8_t leg,
            WafNote& note) noexcept {
  if (leg == 0 && !inspect_spliced(w, m, c, i, note)) return;
  ProxyFlow& f = w.proxy[i];
  const ParsedPacket& p = c.parsed;
  uint8_t* ip = rte_pktmbuf_mtod_offset(m, uint8_t*, p.l3_offset);
  uint8_t* tcp = rte_pktmbuf_mtod_offset(m, uint8_t*, p.l4_offset);
  const unsigned header = p.payload_offset - p.l4_offset;
  if (leg == 0) {
    translate_to_backend(tcp, header, f.offsets);
    rewrite_endpoint(f.version, ip, tcp, false, 2, f.backend, f.backend_port);
    if (p.tcp_flags & kTcpFin) f.client_fin = true;
  } else {
    translate_to_client(tcp, header, f.offsets);
    rewrite_endpoint(f.version, ip, tcp, true, 0, f.vip, f.vip_port);
    if (p.tcp_flags & kTcpFin) f.backend_fin = true;
  }
  note_flow(c, f);
  c.tracking = Tracking::proxied;
  c.flow_judged = true;
  c.decide(Layer::proxy, Outcome::pass, Reason::proxy_spliced);
  // Ended (a RST, or both FINs): the flow lingers, its timer not extended by what follows, so
  // that segments still in flight on either leg are translated too; then it is freed.
  if (p.tcp_flags & kTcpRst || (f.client_fin && f.backend_fin)) {
    release_waf(w, f);  // nothing more the backend reads
    w.proxy.linger(i, c.time_ns + w.tables->proxy.linger_ns);
  } else if (f.state == ProxyState::spliced)
    w.proxy.set_expiry(i, c.time_ns + kProxyIdleNs);
}

}  // namespace gauntlet
