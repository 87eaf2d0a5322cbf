// Drop capture, control side: a pcap of the packets the dataplane stopped, as they arrived
// (the first kDropSnapLength bytes of each), for every layer or the chosen ones, bounded in
// size. Workers fill their DropTap rings (pipeline/drop_tap.h); the control core drains them
// into the file with libpcap. Packet timestamps are the dataplane clock (pcap time in
// replay, wall clock live), to the microsecond. Control core only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/pipeline/drop_tap.h"

struct pcap;
struct pcap_dumper;

namespace gauntlet {

inline constexpr uint32_t kAllLayersMask = (1u << static_cast<unsigned>(Layer::count)) - 1;
// The smallest --drop-capture-bytes: the file header and one minimal frame.
inline constexpr uint64_t kDropCaptureMinBytes = 128;

struct DropCaptureOptions {
  std::string path;  // empty: no capture
  uint32_t layers = kAllLayersMask;
  uint64_t max_bytes = uint64_t{64} << 20;  // the file never grows past this
};

// "firewall,waf" (layer names of the vocabulary) or "all" into a layer mask. Returns an error
// message naming the unknown layer, or "".
std::string parse_drop_layers(std::string_view list, uint32_t& mask);
// A byte count, optionally with a k, M or G suffix (powers of 1024). Returns an error or "".
std::string parse_byte_count(std::string_view text, uint64_t& bytes);

class DropCapture {
 public:
  // Opens `options.path` for writing. Returns null and sets `error` on failure.
  static std::unique_ptr<DropCapture> open(const DropCaptureOptions& options, std::string& error);
  ~DropCapture();
  DropCapture(const DropCapture&) = delete;
  DropCapture& operator=(const DropCapture&) = delete;

  // Gives `w` a tap (owned here; it must outlive the worker's use of it). Before the worker
  // starts.
  void attach(Worker& w);
  // Writes what the workers captured so far. Returns the frames taken from the rings.
  size_t drain();
  // One line: frames written, bytes, frames left out for the size bound, frames lost.
  std::string report() const;

 private:
  DropCapture() = default;
  void write(const CapturedFrame& f);

  DropCaptureOptions options_;
  pcap* dead_ = nullptr;
  pcap_dumper* dumper_ = nullptr;
  std::vector<std::unique_ptr<DropTap>> taps_;
  uint64_t bytes_ = 0;     // file size so far
  uint64_t written_ = 0;   // frames in the file
  uint64_t left_out_ = 0;  // not written: the bound was reached, or a write failed
  bool full_ = false;      // a frame did not fit: the file keeps the drops before it
  bool write_error_ = false;
};

}  // namespace gauntlet
