// The proxy layer's backend leg before splicing, segments gauntlet originates, and timers.
// The backend's SYN-ACK fixes the sequence offset (cookie ISN - backend ISN) and the
// timestamp offset; gauntlet ACKs it with the held client bytes (the replay), and from then
// on both legs are spliced (proxy_splice.cpp). A backend that refuses (RST) or never answers
// costs the client a RST and an event; so does a client that never sends its first bytes.
#include <rte_mbuf.h>

#include "dataplane/proxy/proxy_internal.h"

namespace gauntlet {

namespace {

constexpr uint16_t kReplayChunk = 1400;  // at most this many bytes per replayed segment

}  // namespace

SegmentSpec backend_leg_segment(const Tables& t, const ProxyFlow& f, uint8_t port,
                                const MacAddress& next_hop_mac) noexcept {
  SegmentSpec s;
  s.version = f.version;
  s.src_mac = t.ports[port].mac;
  s.dst_mac = next_hop_mac;
  s.src = f.client, s.dst = f.backend;
  s.src_port = f.client_port, s.dst_port = f.backend_port;
  return s;
}

bool send_segment(Worker& w, PacketContext& c, uint8_t port, const SegmentSpec& s) noexcept {
  rte_mbuf* m = w.pool ? rte_pktmbuf_alloc(w.pool) : nullptr;
  if (!m) {
    if (w.pool) w.counters.mbuf_alloc_failed.add();
    return false;
  }
  if (!write_segment(m, s)) {
    rte_pktmbuf_free(m);
    return false;
  }
  add_companion(c, m, port);
  return true;
}

bool reset_client(Worker& w, PacketContext& c, const ProxyFlow& f) noexcept {
  SegmentSpec s;
  s.version = f.version;
  s.src_mac = w.tables->ports[kOutside].mac;
  s.dst_mac = f.client_mac;
  s.src = f.vip, s.dst = f.client;
  s.src_port = f.vip_port, s.dst_port = f.client_port;
  s.seq = f.cookie_isn + 1;
  s.flags = kTcpRst;
  return send_segment(w, c, kOutside, s);
}

void free_flow(Worker& w, uint32_t i) noexcept {
  release_waf(w, w.proxy[i]);
  w.proxy.close(i);
}

void flow_event(Worker& w, const ProxyFlow& f, Reason why, uint64_t now) noexcept {
  PacketContext c;
  c.parsed.ip_version = f.version;
  c.parsed.l4_proto = 6;
  c.parsed.flags = kParseL4;
  c.parsed.src = f.client, c.parsed.dst = f.vip;
  c.parsed.src_port = f.client_port, c.parsed.dst_port = f.vip_port;
  c.in_port = kOutside;
  c.time_ns = now;
  note_flow(c, f);
  c.decide(Layer::proxy, Outcome::stop, why);
  Record r;
  fill_record(r, RecordKind::event, c, 0, w.tables->generation, w.id);
  if (!w.to_control.push(r)) w.counters.records_lost.add();
  const size_t dir = static_cast<size_t>(Direction::ingress);
  w.counters.outcomes[dir][static_cast<size_t>(Layer::proxy)][static_cast<size_t>(Outcome::stop)]
      .add();
  w.counters.reasons[dir][static_cast<size_t>(why)].add();
}

void expire_proxy_flows(Worker& w, PacketContext& c) noexcept {
  const uint64_t now = c.time_ns;
  w.proxy.expire(now, 256, [&](uint32_t i) noexcept {
    ProxyFlow& f = w.proxy[i];
    if (f.state == ProxyState::waiting || f.state == ProxyState::connecting) {
      reset_client(w, c, f);
      flow_event(w, f,
                 f.state == ProxyState::waiting ? Reason::proxy_wait_timeout
                                                : Reason::proxy_backend_timeout,
                 now);
    }
    free_flow(w, i);
  });
}

void backend_connecting(Worker& w, rte_mbuf* m, PacketContext& c, uint32_t i) noexcept {
  ProxyFlow& f = w.proxy[i];
  const ParsedPacket& p = c.parsed;
  const uint8_t* frame = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint8_t* tcp = frame + p.l4_offset;
  note_flow(c, f);
  if (p.tcp_flags & kTcpRst) {
    reset_client(w, c, f);
    free_flow(w, i);
    c.decide(Layer::proxy, Outcome::stop, Reason::proxy_backend_refused);
    return;
  }
  if ((p.tcp_flags & (kTcpSyn | kTcpAck)) != (kTcpSyn | kTcpAck) ||
      load_be32(tcp + 8) != f.client_isn + 1) {
    c.decide(Layer::proxy, Outcome::stop, Reason::proxy_unexpected);
    return;
  }
  const SeenOptions seen = read_options(tcp, p.payload_offset - p.l4_offset);
  f.backend_isn = load_be32(tcp + 4);
  f.offsets.seq_delta = f.cookie_isn - f.backend_isn;
  f.offsets.ts_delta = seen.syn.timestamps ? f.our_tsval - seen.tsval : 0;
  f.offsets.backend_window_scale =
      f.offsets.client_window_scale && seen.syn.window_scale != kNoWindowScale
          ? seen.syn.window_scale
          : 0;
  MacAddress backend_mac;
  std::memcpy(backend_mac.bytes.data(), frame + 6, 6);
  // The held bytes, in chunks: this packet carries the first one, the others follow it in
  // order (companions).
  const uint32_t have = f.contiguous();
  const uint16_t chunk = static_cast<uint16_t>(
      std::min<uint32_t>(kReplayChunk, seen.syn.mss ? seen.syn.mss : kReplayChunk));
  uint8_t options[12];
  const bool ts = f.options.timestamps && seen.syn.timestamps;
  SegmentSpec s = backend_leg_segment(*w.tables, f, kInside, backend_mac);
  s.ack = f.backend_isn + 1;
  s.window = f.client_window;
  s.options = options;
  s.options_length = ts ? write_ts_option(options, f.client_tsval, seen.tsval) : 0;
  f.state = ProxyState::spliced;
  w.proxy.set_expiry(i, c.time_ns + kProxyIdleNs);
  note_flow(c, f);
  auto chunk_at = [&](uint32_t at) {
    s.seq = f.client_isn + 1 + at;
    s.payload = w.proxy.buffer(i) + at;
    s.payload_length = static_cast<uint16_t>(std::min<uint32_t>(chunk, have - at));
    const bool last = s.payload_length && at + s.payload_length == have;
    s.flags = static_cast<uint8_t>(kTcpAck | (last ? kTcpPsh : 0));
  };
  chunk_at(0);
  if (!write_segment(m, s)) {
    c.decide(Layer::proxy, Outcome::stop, Reason::proxy_unexpected);
    return;
  }
  for (uint32_t at = s.payload_length; at < have; at += s.payload_length) {
    chunk_at(at);
    if (!send_segment(w, c, kInside, s)) break;  // the client sends them again
  }
  c.decide(Layer::proxy, Outcome::answer, Reason::proxy_bound);
  c.out_port = c.in_port;
}

}  // namespace gauntlet
