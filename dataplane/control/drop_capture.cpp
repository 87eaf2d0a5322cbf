#include "dataplane/control/drop_capture.h"

#include <charconv>
#include <fmt/format.h>

#include <pcap/pcap.h>

namespace gauntlet {

namespace {

constexpr uint64_t kPcapFileHeader = 24, kPcapRecordHeader = 16;

}  // namespace

std::string parse_drop_layers(std::string_view list, uint32_t& mask) {
  mask = 0;
  if (list == "all") {
    mask = kAllLayersMask;
    return "";
  }
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view name = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    bool found = false;
    for (size_t l = 0; l < kLayerNames.size(); ++l) {
      if (kLayerNames[l] != name) continue;
      mask |= 1u << l;
      found = true;
    }
    if (!found) {
      std::string known;
      for (std::string_view n : kLayerNames)
        known += fmt::format("{}{}", known.empty() ? "" : ", ", n);
      return fmt::format("unknown layer '{}' (expected all, or some of: {})", name, known);
    }
  }
  if (mask == 0) return "no layer named";
  return "";
}

std::string parse_byte_count(std::string_view text, uint64_t& bytes) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const std::string_view suffix(end, static_cast<size_t>(text.data() + text.size() - end));
  unsigned shift = 0;
  if (suffix == "k" || suffix == "K")
    shift = 10;
  else if (suffix == "M")
    shift = 20;
  else if (suffix == "G")
    shift = 30;
  else if (!suffix.empty())
    return fmt::format("'{}' is not a byte count (a number, optionally with k, M or G)", text);
  if (ec != std::errc{} || end == text.data() || value > (UINT64_MAX >> shift))
    return fmt::format("'{}' is not a byte count (a number, optionally with k, M or G)", text);
  bytes = value << shift;
  if (bytes < kDropCaptureMinBytes)
    return fmt::format("{} bytes is less than the smallest capture ({} bytes)", bytes,
                       kDropCaptureMinBytes);
  return "";
}

std::unique_ptr<DropCapture> DropCapture::open(const DropCaptureOptions& options,
                                               std::string& error) {
  std::unique_ptr<DropCapture> c(new DropCapture());
  c->options_ = options;
  c->dead_ = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, kDropSnapLength,
                                                  PCAP_TSTAMP_PRECISION_MICRO);
  if (c->dead_) c->dumper_ = pcap_dump_open(c->dead_, options.path.c_str());
  if (!c->dumper_) {
    error = fmt::format("{}: cannot write the drop capture: {}", options.path,
                        c->dead_ ? pcap_geterr(c->dead_) : "out of memory");
    return nullptr;
  }
  c->bytes_ = kPcapFileHeader;
  return c;
}

DropCapture::~DropCapture() {
  if (dumper_) pcap_dump_close(dumper_);
  if (dead_) pcap_close(dead_);
}

void DropCapture::attach(Worker& w) {
  taps_.push_back(std::make_unique<DropTap>(options_.layers, kDropSnapLength));
  w.drop_tap = taps_.back().get();
}

void DropCapture::write(const CapturedFrame& f) {
  const uint64_t size = kPcapRecordHeader + f.captured;
  if (write_error_ || full_ || bytes_ + size > options_.max_bytes) {
    // The file keeps the first drops that fit; later ones are counted, not written.
    full_ = !write_error_;
    ++left_out_;
    return;
  }
  pcap_pkthdr h{};
  h.ts.tv_sec = static_cast<time_t>(f.time_ns / 1000000000u);
  h.ts.tv_usec = static_cast<suseconds_t>((f.time_ns % 1000000000u) / 1000u);
  h.caplen = f.captured;
  h.len = f.frame_length;
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &h, f.data);
  bytes_ += size;
  ++written_;
}

size_t DropCapture::drain() {
  size_t taken = 0;
  CapturedFrame f;
  for (auto& tap : taps_) {
    while (tap->ring.pop(f)) {
      write(f);
      ++taken;
    }
  }
  // Flushed each time, so the file can be read while a live run goes on; a failed write
  // (disk full) ends the capture and the report says so.
  if (taken && !write_error_ && pcap_dump_flush(dumper_) != 0) write_error_ = true;
  return taken;
}

std::string DropCapture::report() const {
  uint64_t lost = 0;
  for (const auto& tap : taps_) lost += tap->lost.get();
  std::string s = fmt::format("drop capture: {}: {} stopped packets, {} bytes", options_.path,
                              written_, bytes_);
  if (write_error_)
    s += fmt::format("; a write failed: the file ends early, {} more not written", left_out_);
  else if (left_out_)
    s += fmt::format("; {} more left out (the file reached its bound, {} bytes)", left_out_,
                     options_.max_bytes);
  if (lost) s += fmt::format("; {} lost (capture ring full)", lost);
  return s + "\n";
}

}  // namespace gauntlet
