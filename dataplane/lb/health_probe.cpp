// Health probes on the wire: segments built from the monitor's requests, and answers picked
// out of the inside port's traffic before conntrack sees them (they belong to no flow).
#include "dataplane/lb/health_probe.h"

#include <fmt/format.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dataplane/pipeline/worker.h"

namespace gauntlet {

namespace {

constexpr uint16_t kEtherHeader = 14, kTcpHeader = 20, kProbeWindow = 64240;

void put32(uint8_t* at, uint32_t v) noexcept {
  at[0] = static_cast<uint8_t>(v >> 24), at[1] = static_cast<uint8_t>(v >> 16);
  at[2] = static_cast<uint8_t>(v >> 8), at[3] = static_cast<uint8_t>(v);
}

}  // namespace

std::string http_probe_request(const HealthConfig& h, const BackendConfig& b) {
  const std::string host =
      b.version == 6 ? fmt::format("[{}]", format_ip(b.address, 6)) : format_ip(b.address, 4);
  const uint16_t port = h.port ? h.port : b.port;
  return fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: gauntlet-health\r\nConnection: close\r\n\r\n",
      h.path, host, port);
}

bool emit_probe(Worker& w, const Record& r) noexcept {
  const Tables& t = *w.tables;
  constexpr uint8_t inside = static_cast<uint8_t>(PortRole::inside);
  const PortTable& port = t.ports[inside];
  const bool v6 = r.ip_version == 6;
  if (!(v6 ? port.has_v6 : port.has_v4) || w.tx_count[inside] == kTxStage || !w.pool) return false;
  const MacAddress* mac = w.neighbours.lookup(inside, r.dst, r.ip_version);
  if (!mac) return false;
  const std::string* request = nullptr;
  if (r.probe.http_request) {
    if (r.lb_service >= t.services.size() ||
        r.lb_backend >= t.services[r.lb_service].probe_requests.size())
      return false;
    request = &t.services[r.lb_service].probe_requests[r.lb_backend];
  }
  const uint16_t payload = request ? static_cast<uint16_t>(request->size()) : 0;
  const uint16_t l3_header = v6 ? 40 : 20;
  const uint16_t frame_length =
      static_cast<uint16_t>(kEtherHeader + l3_header + kTcpHeader + payload);
  rte_mbuf* m = rte_pktmbuf_alloc(w.pool);
  if (!m) {
    w.counters.mbuf_alloc_failed.add();
    return false;
  }
  auto* f = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, frame_length));
  if (!f) {
    rte_pktmbuf_free(m);
    return false;
  }
  std::memset(f, 0, frame_length);
  std::memcpy(f, mac->bytes.data(), 6);
  std::memcpy(f + 6, port.mac.bytes.data(), 6);
  store_be16(f + 12, v6 ? 0x86dd : 0x0800);
  uint8_t* ip = f + kEtherHeader;
  uint8_t* tcp = ip + l3_header;
  store_be16(tcp, r.src_port);
  store_be16(tcp + 2, r.dst_port);
  put32(tcp + 4, r.probe.seq);
  put32(tcp + 8, r.probe.ack);
  tcp[12] = 5 << 4;
  tcp[13] = r.probe.tcp_flags;
  store_be16(tcp + 14, kProbeWindow);
  if (request) std::memcpy(tcp + kTcpHeader, request->data(), payload);
  uint16_t sum;
  if (v6) {
    ip[0] = 0x60;
    store_be16(ip + 4, static_cast<uint16_t>(kTcpHeader + payload));
    ip[6] = 6;
    ip[7] = 64;
    std::memcpy(ip + 8, port.v6.bytes.data(), 16);
    std::memcpy(ip + 24, r.dst.bytes.data(), 16);
    sum = rte_ipv6_udptcp_cksum(reinterpret_cast<const rte_ipv6_hdr*>(ip), tcp);
  } else {
    auto* h = reinterpret_cast<rte_ipv4_hdr*>(ip);
    ip[0] = 0x45;
    store_be16(ip + 2, static_cast<uint16_t>(l3_header + kTcpHeader + payload));
    store_be16(ip + 6, 0x4000);  // don't fragment
    ip[8] = 64;
    ip[9] = 6;
    std::memcpy(ip + 12, port.v4.bytes.data(), 4);
    std::memcpy(ip + 16, r.dst.bytes.data(), 4);
    h->hdr_checksum = rte_ipv4_cksum(h);
    sum = rte_ipv4_udptcp_cksum(h, tcp);
  }
  std::memcpy(tcp + 16, &sum, 2);
  w.tx_time[inside][w.tx_count[inside]] = r.time_ns;
  w.tx[inside][w.tx_count[inside]++] = m;
  return true;
}

uint16_t http_status_of(const uint8_t* p, uint32_t length) noexcept {
  // "HTTP/1.1 200" : 12 bytes at least, three digits after one space.
  if (length < 12 || std::memcmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ') return 0;
  uint16_t status = 0;
  for (int i = 9; i < 12; ++i) {
    if (p[i] < '0' || p[i] > '9') return 0;
    status = static_cast<uint16_t>(status * 10 + (p[i] - '0'));
  }
  return length == 12 || p[12] == ' ' || p[12] == '\r' ? status : 0;
}

void probe_answer_stage(Worker& w, Burst& b) noexcept {
  const Tables& t = *w.tables;
  if (t.probe_port_lo == 0) return;
  constexpr uint8_t inside = static_cast<uint8_t>(PortRole::inside);
  const PortTable& port = t.ports[inside];
  for (uint16_t i = 0; i < b.count; ++i) {
    PacketContext& c = b.ctx[i];
    const ParsedPacket& p = c.parsed;
    if (c.final || c.in_port != inside || p.l4_proto != 6 || !p.has(kParseL4)) continue;
    if (p.dst_port < t.probe_port_lo || p.dst_port > t.probe_port_hi) continue;
    if (!(p.ip_version == 4 ? port.has_v4 && p.dst == port.v4 : port.has_v6 && p.dst == port.v6))
      continue;
    const uint8_t* f = rte_pktmbuf_mtod(b.mbufs[i], const uint8_t*);
    const uint8_t* tcp = f + p.l4_offset;
    Record r;
    r.kind = RecordKind::probe_answer;
    r.in_port = c.in_port;
    r.ip_version = p.ip_version;
    r.l4_proto = 6;
    r.worker = w.id;
    r.src = p.src;
    r.dst = p.dst;
    r.src_port = p.src_port;
    r.dst_port = p.dst_port;
    r.time_ns = c.time_ns;
    r.sequence = c.sequence;
    r.probe.tcp_flags = p.tcp_flags;
    r.probe.seq = load_be32(tcp + 4);
    r.probe.ack = load_be32(tcp + 8);
    const uint32_t payload = p.l3_end > p.payload_offset ? p.l3_end - p.payload_offset : 0;
    r.probe.payload_length = static_cast<uint16_t>(payload);
    r.probe.http_status = http_status_of(f + p.payload_offset, payload);
    if (!w.to_control.push(r)) w.counters.records_lost.add();
    c.decide(Layer::loadbalancer, Outcome::consume, Reason::lb_probe_answer);
  }
}

}  // namespace gauntlet
