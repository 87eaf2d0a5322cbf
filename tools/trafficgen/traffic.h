// What the traffic generator sends: a fixed set of frame templates (synthesised UDP/TCP
// flows of set sizes, or the frames of a pcap), copied into mbufs and stamped with a
// sequence number and the TSC at transmit time so the receive side can count loss,
// reordering and latency. Built once before the run; nothing here runs per packet except
// stamp()/read_stamp().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trafficgen {

struct SynthSpec {
  std::vector<uint16_t> sizes{60};  // frame lengths without FCS (parse_sizes)
  uint32_t flows = 1024;
  bool tcp = false;  // TCP segments with ACK set (a data path, not handshakes); else UDP
  uint8_t src_mac[6] = {0x02, 0, 0, 0, 0x01, 0xfe};
  uint8_t dst_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
  uint32_t src_ip = 0xcb007100;  // 203.0.113.0: flows vary the low byte and the port
  uint32_t dst_ip = 0x0a00000a;  // 10.0.0.10
  uint16_t dst_port = 53;
  // HTTP mode (synthesise_http): the backend the service sends the flows to, which answers
  // each SYN from the receive port, and that port's MACs (towards gauntlet's inside port).
  bool http = false;
  uint32_t backend_ip = 0x0a00000a;  // 10.0.0.10
  uint16_t backend_port = 80;
  uint8_t rx_src_mac[6] = {0x02, 0, 0, 0, 0x02, 0x0a};
  uint8_t rx_dst_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
};

// "64", "64,570,1518" or "imix" (7:4:1 of 64, 570, 1518: the classic simple IMIX). Sizes
// are quoted as testers do, with the 4-byte FCS; the frames built are 4 bytes shorter.
bool parse_sizes(const std::string& text, std::vector<uint16_t>& sizes, std::string& error);

// The stamp the generator writes into the last 16 bytes of each frame it can stamp.
struct Stamp {
  uint32_t magic;
  uint32_t sequence;
  uint64_t tsc;
};
inline constexpr uint32_t kStampMagic = 0x676e746c;               // "gntl"
inline constexpr uint16_t kMinStampedFrame = 42 + sizeof(Stamp);  // Eth+IPv4+UDP + stamp

struct Templates {
  std::vector<std::vector<uint8_t>> frames;  // in send order; the generator cycles them
  // Per frame: where the stamp goes (0: the frame is sent unstamped) and where its L4
  // checksum is (0: none to adjust). Both even offsets from the frame start, and the stamp
  // lies in the L4 payload, so the checksum can be adjusted by the stamp's own sum.
  std::vector<uint16_t> stamp_at;
  std::vector<uint16_t> checksum_at;
  uint64_t bytes = 0;  // sum of frame lengths, for Gbps
  // HTTP mode: each pass over the frames sends every connection's next request, so a TCP
  // sequence number (at seq_at, 0: none) advances by seq_step per pass; the L4 checksum
  // (checksum_at) is adjusted with it. payload_bytes: HTTP bytes per pass.
  std::vector<uint16_t> seq_at;
  std::vector<uint32_t> seq_step;
  uint64_t payload_bytes = 0;
  // HTTP mode: the handshakes, sent once before any trial, in this order: the clients' SYNs
  // (transmit port), the backend's SYN-ACKs (receive port), the clients' ACKs (transmit port).
  std::vector<std::vector<uint8_t>> syn, syn_ack, ack;
};

// Synthesises flows × sizes frames: flow i has source 203.0.113.(i % 250 + 1) and source
// port 1024 + i / 250; sizes cycle across consecutive frames so a mix is interleaved.
Templates synthesise(const SynthSpec& spec);
// HTTP requests for the WAF path: `spec.flows` TCP connections from the synthesised clients
// to dst_ip:dst_port (a service's VIP), each with its handshake (the SYN-ACK as the backend
// sends it) and one request per pass, a GET/POST mix with an attack in every eighth
// connection (http.cpp). Requests are not stamped (the stamp would change them).
Templates synthesise_http(const SynthSpec& spec);
// Reads every frame of a pcap (Ethernet), sent as captured and unstamped. flows > 1: the
// frames are sent once per flow k = 0 .. flows-1, IPv4 TCP/UDP ones with the source address's
// last byte set to 1 + (byte + k) % 250 and the source port to 1024 + (port + k / 250) % 64512,
// IPv4 and L4 checksums recomputed (other frames are repeated as they are).
bool load_pcap(const std::string& path, uint32_t flows, Templates& out, std::string& error);
// Writes one pass over the templates (unstamped) as a pcap: the same traffic for a tool
// that replays pcaps (linerate.sh's I/O floor: dpdk-testpmd from net_pcap).
bool save_pcap(const Templates& t, const std::string& path, std::string& error);
// The one's-complement checksum helpers the templates are built with.
uint32_t checksum_add(const uint8_t* p, size_t n, uint32_t acc = 0);
uint16_t checksum_fold(uint32_t acc);

}  // namespace trafficgen
