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
};

// Synthesises flows × sizes frames: flow i has source 203.0.113.(i % 250 + 1) and source
// port 1024 + i / 250; sizes cycle across consecutive frames so a mix is interleaved.
Templates synthesise(const SynthSpec& spec);
// Reads every frame of a pcap (Ethernet). Frames too short to stamp are sent unstamped.
bool load_pcap(const std::string& path, Templates& out, std::string& error);

}  // namespace trafficgen
