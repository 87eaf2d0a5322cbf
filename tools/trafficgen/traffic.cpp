// Frame templates for the traffic generator (see traffic.h).
#include "tools/trafficgen/traffic.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cstdlib>
#include <cstring>

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

uint32_t sum16(const uint8_t* p, size_t n, uint32_t acc = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) acc += (uint32_t{p[i]} << 8) | p[i + 1];
  if (n & 1) acc += uint32_t{p[n - 1]} << 8;
  return acc;
}
uint16_t fold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(~acc);
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
    t.bytes += size;
  }
  return t;
}

bool load_pcap(const std::string& path, Templates& out, std::string& error) {
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
  while (pcap_next_ex(p, &h, &data) == 1) {
    if (h->caplen < kEthHeader) continue;
    out.frames.emplace_back(data, data + h->caplen);
    // Pcap frames keep their payload: they are sent as captured, unstamped, and counted.
    out.stamp_at.push_back(0);
    out.checksum_at.push_back(0);
    out.bytes += h->caplen;
  }
  pcap_close(p);
  if (out.frames.empty()) {
    error = path + ": no frames";
    return false;
  }
  return true;
}

}  // namespace trafficgen
