// Frame templates for the traffic generator (see traffic.h).
#include "tools/trafficgen/traffic.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cstdlib>
#include <cstring>
#include <string>

#include <pcap/pcap.h>

namespace trafficgen {

namespace {

constexpr uint16_t kEthHeader = 14, kIpv4Header = 20, kUdpHeader = 8, kTcpHeader = 20;
constexpr uint16_t kMinFrame = 60, kMaxFrame = 9000;

void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void put32(uint8_t* p, uint32_t v) {
  put16(p, static_cast<uint16_t>(v >> 16));
  put16(p + 2, static_cast<uint16_t>(v));
}

uint32_t sum16(const uint8_t* p, size_t n, uint32_t acc = 0) { return checksum_add(p, n, acc); }
uint16_t fold(uint32_t acc) { return checksum_fold(acc); }

// Copy k of a pcap frame: an IPv4 TCP/UDP frame gets its source address's last byte and its
// source port rewritten (load_pcap), and both checksums computed afresh.
void rewrite_flow(std::vector<uint8_t>& f, uint32_t k) {
  size_t l3 = kEthHeader;
  uint16_t type = static_cast<uint16_t>(f.size() >= l3 ? f[12] << 8 | f[13] : 0);
  if (type == 0x8100 && f.size() >= l3 + 4) {  // one VLAN tag
    type = static_cast<uint16_t>(f[16] << 8 | f[17]);
    l3 += 4;
  }
  if (type != 0x0800 || f.size() < l3 + kIpv4Header) return;
  uint8_t* ip = f.data() + l3;
  const size_t ihl = size_t{ip[0] & 0x0fu} * 4;
  const size_t ip_len = static_cast<size_t>(ip[2] << 8 | ip[3]);
  const bool fragment = (ip[6] & 0x3f) || ip[7];
  if ((ip[0] >> 4) != 4 || ihl < kIpv4Header || ip_len < ihl || l3 + ip_len > f.size() || fragment)
    return;
  const uint8_t proto = ip[9];
  const size_t l4_len = ip_len - ihl;
  if (!((proto == 6 && l4_len >= kTcpHeader) || (proto == 17 && l4_len >= kUdpHeader))) return;
  ip[15] = static_cast<uint8_t>(1 + (ip[15] + k) % 250);
  ip[10] = ip[11] = 0;
  put16(ip + 10, fold(sum16(ip, ihl)));
  uint8_t* l4 = ip + ihl;
  const uint32_t port = static_cast<uint32_t>(l4[0] << 8 | l4[1]);
  put16(l4, static_cast<uint16_t>(1024 + (port + k / 250) % 64512));
  const size_t csum_at = proto == 6 ? 16 : 6;
  if (proto == 17 && l4[6] == 0 && l4[7] == 0) return;  // UDP without a checksum stays so
  l4[csum_at] = l4[csum_at + 1] = 0;
  uint32_t acc = sum16(ip + 12, 8);
  acc += proto;
  acc += static_cast<uint32_t>(l4_len);
  uint16_t csum = fold(sum16(l4, l4_len, acc));
  if (proto == 17 && csum == 0) csum = 0xffff;
  put16(l4 + csum_at, csum);
}

// One IPv4 UDP or TCP frame of `size` bytes; the payload (where the stamp goes) is zero,
// and the L4 checksum covers that zero payload (the stamp adjusts it, see stamp()).
std::vector<uint8_t> build_frame(const SynthSpec& spec, uint32_t flow, uint16_t size) {
  const uint16_t l4_header = spec.tcp ? kTcpHeader : kUdpHeader;
  std::vector<uint8_t> f(std::max(size, kMinFrame), 0);
  uint8_t* eth = f.data();
  for (int i = 0; i < 6; ++i) {
    eth[i] = spec.dst_mac[i];
    eth[6 + i] = spec.src_mac[i];
  }
  put16(eth + 12, 0x0800);
  uint8_t* ip = eth + kEthHeader;
  const auto ip_len = static_cast<uint16_t>(size - kEthHeader);
  ip[0] = 0x45;
  put16(ip + 2, ip_len);
  put16(ip + 4, static_cast<uint16_t>(flow));
  ip[8] = 64;
  ip[9] = spec.tcp ? 6 : 17;
  const uint32_t src = spec.src_ip + flow % 250 + 1;
  put32(ip + 12, src);
  put32(ip + 16, spec.dst_ip);
  put16(ip + 10, fold(sum16(ip, kIpv4Header)));
  uint8_t* l4 = ip + kIpv4Header;
  const auto l4_len = static_cast<uint16_t>(ip_len - kIpv4Header);
  put16(l4, static_cast<uint16_t>(1024 + flow / 250));
  put16(l4 + 2, spec.dst_port);
  if (spec.tcp) {
    put32(l4 + 4, 1000 + flow);  // seq
    put32(l4 + 8, 1);            // ack
    l4[12] = 5 << 4;
    l4[13] = 0x10;  // ACK
    put16(l4 + 14, 65535);
  } else {
    put16(l4 + 4, l4_len);
  }
  // Pseudo-header + L4 header (payload zero): the checksum of the unstamped frame.
  uint32_t acc = sum16(ip + 12, 8);
  acc += ip[9];
  acc += l4_len;
  acc = sum16(l4, l4_header, acc);
  uint16_t csum = fold(acc);
  if (!spec.tcp && csum == 0) csum = 0xffff;
  put16(l4 + (spec.tcp ? 16 : 6), csum);
  return f;
}

}  // namespace

uint32_t checksum_add(const uint8_t* p, size_t n, uint32_t acc) {
  for (size_t i = 0; i + 1 < n; i += 2) acc += (uint32_t{p[i]} << 8) | p[i + 1];
  if (n & 1) acc += uint32_t{p[n - 1]} << 8;
  return acc;
}

uint16_t checksum_fold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(~acc);
}

bool parse_sizes(const std::string& text, std::vector<uint16_t>& sizes, std::string& error) {
  sizes.clear();
  if (text == "imix") {
    // 7 × 64, 4 × 570, 1 × 1518, interleaved so that a short window already has the mix.
    sizes = {60, 566, 60, 566, 60, 566, 60, 566, 60, 60, 60, 1514};
    return true;
  }
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = text.find(',', pos);
    const std::string item =
        text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    char* end = nullptr;
    const unsigned long v = std::strtoul(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < kMinFrame || v > kMaxFrame) {
      error = "frame size '" + item + "' is not a number from 60 to 9000 (bytes without FCS)";
      return false;
    }
    // An Ethernet frame size as testers quote it includes the 4-byte FCS the NIC adds.
    sizes.push_back(static_cast<uint16_t>(v >= 64 ? v - 4 : v));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return true;
}

Templates synthesise(const SynthSpec& spec) {
  Templates t;
  const size_t count = std::max<size_t>(spec.flows, spec.sizes.size());
  for (size_t i = 0; i < count; ++i) {
    const uint16_t size = spec.sizes[i % spec.sizes.size()];
    t.frames.push_back(build_frame(spec, static_cast<uint32_t>(i % spec.flows), size));
    const uint16_t headers = kEthHeader + kIpv4Header + (spec.tcp ? kTcpHeader : kUdpHeader);
    const bool room = size >= headers + sizeof(Stamp);
    t.stamp_at.push_back(room ? static_cast<uint16_t>((size - sizeof(Stamp)) & ~1u) : 0);
    t.checksum_at.push_back(kEthHeader + kIpv4Header + (spec.tcp ? 16 : 6));
    t.seq_at.push_back(0);
    t.seq_step.push_back(0);
    t.bytes += size;
  }
  return t;
}

bool load_pcap(const std::string& path, uint32_t flows, Templates& out, std::string& error) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  if (!p) {
    error = path + ": " + err;
    return false;
  }
  if (pcap_datalink(p) != DLT_EN10MB) {
    pcap_close(p);
    error = path + ": not an Ethernet capture";
    return false;
  }
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  std::vector<std::vector<uint8_t>> captured;
  uint64_t bytes = 0;
  while (pcap_next_ex(p, &h, &data) == 1) {
    if (h->caplen < kEthHeader) continue;
    captured.emplace_back(data, data + h->caplen);
    bytes += h->caplen;
  }
  pcap_close(p);
  if (captured.empty()) {
    error = path + ": no frames";
    return false;
  }
  // Every copy is a template of its own: bound the memory they take.
  constexpr uint64_t kMaxTemplateBytes = uint64_t{1} << 30;
  if (bytes * flows > kMaxTemplateBytes) {
    error = path + ": " + std::to_string(captured.size()) + " frames x " + std::to_string(flows) +
            " flows is more than 1 GiB of frames; give fewer flows or a shorter pcap";
    return false;
  }
  for (uint32_t k = 0; k < flows; ++k) {
    for (const auto& frame : captured) {
      out.frames.push_back(frame);
      if (flows > 1) rewrite_flow(out.frames.back(), k);
      // Pcap frames keep their payload: they are sent unstamped, and counted.
      out.stamp_at.push_back(0);
      out.checksum_at.push_back(0);
      out.seq_at.push_back(0);
      out.seq_step.push_back(0);
      out.bytes += frame.size();
    }
  }
  return true;
}

bool save_pcap(const Templates& t, const std::string& path, std::string& error) {
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
  pcap_dumper_t* d = dead ? pcap_dump_open(dead, path.c_str()) : nullptr;
  if (!d) {
    error = path + ": " + (dead ? pcap_geterr(dead) : "cannot open");
    if (dead) pcap_close(dead);
    return false;
  }
  for (const auto& frame : t.frames) {
    pcap_pkthdr h{};
    h.caplen = h.len = static_cast<bpf_u_int32>(frame.size());
    pcap_dump(reinterpret_cast<u_char*>(d), &h, frame.data());
  }
  const bool ok = pcap_dump_flush(d) == 0;
  pcap_dump_close(d);
  pcap_close(dead);
  if (!ok) error = path + ": write failed";
  return ok;
}

}  // namespace trafficgen
