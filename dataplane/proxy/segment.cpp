#include "dataplane/proxy/segment.h"

#include <cstring>

#include <rte_ip.h>
#include <rte_mbuf.h>

namespace gauntlet {

namespace {

void put32(uint8_t* at, uint32_t v) noexcept {
  at[0] = static_cast<uint8_t>(v >> 24), at[1] = static_cast<uint8_t>(v >> 16);
  at[2] = static_cast<uint8_t>(v >> 8), at[3] = static_cast<uint8_t>(v);
}

}  // namespace

bool write_segment(rte_mbuf* m, const SegmentSpec& s) noexcept {
  const bool v6 = s.version == 6;
  const uint16_t l3 = v6 ? 40 : 20;
  const uint16_t tcp_length = static_cast<uint16_t>(20 + s.options_length + s.payload_length);
  const uint16_t frame = static_cast<uint16_t>(14 + l3 + tcp_length);
  if (m->next) {
    rte_pktmbuf_free(m->next);
    m->next = nullptr;
    m->nb_segs = 1;
  }
  if (frame > rte_pktmbuf_headroom(m) + rte_pktmbuf_tailroom(m) + m->data_len) return false;
  m->data_off = static_cast<uint16_t>(
      std::min<uint32_t>(RTE_PKTMBUF_HEADROOM, m->buf_len > frame ? m->buf_len - frame : 0));
  m->data_len = m->pkt_len = frame;
  uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
  std::memcpy(f, s.dst_mac.bytes.data(), 6);
  std::memcpy(f + 6, s.src_mac.bytes.data(), 6);
  store_be16(f + 12, v6 ? 0x86dd : 0x0800);
  uint8_t* ip = f + 14;
  uint8_t* tcp = ip + l3;
  std::memset(ip, 0, l3 + 20u);
  if (v6) {
    ip[0] = 0x60;
    store_be16(ip + 4, tcp_length);
    ip[6] = 6;
    ip[7] = 64;
    std::memcpy(ip + 8, s.src.bytes.data(), 16);
    std::memcpy(ip + 24, s.dst.bytes.data(), 16);
  } else {
    ip[0] = 0x45;
    store_be16(ip + 2, static_cast<uint16_t>(20 + tcp_length));
    store_be16(ip + 6, 0x4000);  // don't fragment
    ip[8] = 64;
    ip[9] = 6;
    std::memcpy(ip + 12, s.src.bytes.data(), 4);
    std::memcpy(ip + 16, s.dst.bytes.data(), 4);
  }
  store_be16(tcp, s.src_port);
  store_be16(tcp + 2, s.dst_port);
  put32(tcp + 4, s.seq);
  put32(tcp + 8, s.ack);
  tcp[12] = static_cast<uint8_t>(((20 + s.options_length) / 4) << 4);
  tcp[13] = s.flags;
  store_be16(tcp + 14, s.window);
  if (s.options_length) std::memcpy(tcp + 20, s.options, s.options_length);
  if (s.payload_length) std::memcpy(tcp + 20 + s.options_length, s.payload, s.payload_length);
  uint16_t sum;
  if (v6) {
    sum = rte_ipv6_udptcp_cksum(reinterpret_cast<rte_ipv6_hdr*>(ip), tcp);
  } else {
    auto* h = reinterpret_cast<rte_ipv4_hdr*>(ip);
    h->hdr_checksum = rte_ipv4_cksum(h);
    sum = rte_ipv4_udptcp_cksum(h, tcp);
  }
  std::memcpy(tcp + 16, &sum, 2);
  return true;
}

SeenOptions read_options(const uint8_t* tcp, unsigned header_length) noexcept {
  SeenOptions o;
  unsigned i = 20;
  while (i < header_length) {
    const uint8_t kind = tcp[i];
    if (kind == 0) break;
    if (kind == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= header_length) break;
    const uint8_t len = tcp[i + 1];
    if (len < 2 || i + len > header_length) break;
    if (kind == 2 && len == 4) o.syn.mss = load_be16(tcp + i + 2);
    if (kind == 3 && len == 3) o.syn.window_scale = tcp[i + 2] > 14 ? 14 : tcp[i + 2];
    if (kind == 4 && len == 2) o.syn.sack_permitted = true;
    if (kind == 8 && len == 10) {
      o.syn.timestamps = true;
      o.tsval = load_be32(tcp + i + 2);
      o.tsecr = load_be32(tcp + i + 6);
    }
    i += len;
  }
  return o;
}

uint8_t write_syn_options(uint8_t* out, const SynOptions& o, uint32_t tsval,
                          uint32_t tsecr) noexcept {
  uint8_t n = 0;
  out[n++] = 2, out[n++] = 4;
  store_be16(out + n, o.mss);
  n += 2;
  if (o.sack_permitted && o.timestamps) {
    out[n++] = 4, out[n++] = 2;
  } else if (o.sack_permitted) {
    out[n++] = 1, out[n++] = 1, out[n++] = 4, out[n++] = 2;
  }
  if (o.timestamps) {
    if (!o.sack_permitted) out[n++] = 1, out[n++] = 1;
    out[n++] = 8, out[n++] = 10;
    put32(out + n, tsval);
    put32(out + n + 4, tsecr);
    n += 8;
  }
  if (o.window_scale != kNoWindowScale) {
    out[n++] = 1, out[n++] = 3, out[n++] = 3, out[n++] = o.window_scale;
  }
  return n;
}

uint8_t write_ts_option(uint8_t* out, uint32_t tsval, uint32_t tsecr) noexcept {
  out[0] = 1, out[1] = 1, out[2] = 8, out[3] = 10;
  put32(out + 4, tsval);
  put32(out + 8, tsecr);
  return 12;
}

}  // namespace gauntlet
