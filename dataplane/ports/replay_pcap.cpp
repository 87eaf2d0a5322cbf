// Replay mode's files (replay_pcap.h).
#include "dataplane/ports/replay_pcap.h"

#include <filesystem>
#include <fmt/format.h>

#include <rte_mbuf.h>

namespace gauntlet {

PcapHandle open_input(const std::string& path, std::string& error) {
  char err[PCAP_ERRBUF_SIZE] = {};
  PcapHandle p(
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err));
  if (!p) {
    error = fmt::format("{}: cannot read pcap: {}", path, err);
    return nullptr;
  }
  if (pcap_datalink(p.get()) != DLT_EN10MB) {
    const char* name = pcap_datalink_val_to_name(pcap_datalink(p.get()));
    error = fmt::format("{}: link type {} is not Ethernet", path, name ? name : "unknown");
    return nullptr;
  }
  return p;
}

void ReplayInput::advance() {
  has_next = false;
  if (!pcap) return;
  const int rc = pcap_next_ex(pcap.get(), &header, &data);
  if (rc == 1)
    has_next = true;
  else if (rc == PCAP_ERROR)
    error = pcap_geterr(pcap.get());
}

bool ReplayOutputs::open(const std::string& out_dir, const std::string& trace_path) {
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    fmt::print(stderr, "gauntlet: {}: cannot create output folder: {}\n", out_dir, ec.message());
    return false;
  }
  dead_.reset(pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_MICRO));
  for (uint8_t p = 0; p < kPortCount; ++p) {
    const std::string path = fmt::format("{}/{}.pcap", out_dir, port_role_name(p));
    pcaps_[p].reset(pcap_dump_open(dead_.get(), path.c_str()));
    if (!pcaps_[p]) {
      fmt::print(stderr, "gauntlet: {}: cannot write: {}\n", path, pcap_geterr(dead_.get()));
      return false;
    }
  }
  const std::string events = out_dir + "/events.jsonl";
  events_.reset(fopen(events.c_str(), "w"));
  if (!events_) {
    fmt::print(stderr, "gauntlet: {}: cannot write\n", events);
    return false;
  }
  if (!trace_path.empty()) {
    trace_.reset(fopen(trace_path.c_str(), "w"));
    if (!trace_) {
      fmt::print(stderr, "gauntlet: {}: cannot write the trace\n", trace_path);
      return false;
    }
  }
  return true;
}

void ReplayOutputs::write(uint8_t port, const rte_mbuf* m, uint64_t time_ns) {
  pcap_pkthdr h{};
  h.ts.tv_sec = static_cast<time_t>(time_ns / 1000000000u);
  h.ts.tv_usec = static_cast<suseconds_t>((time_ns % 1000000000u) / 1000u);
  h.caplen = h.len = rte_pktmbuf_data_len(m);
  pcap_dump(reinterpret_cast<u_char*>(pcaps_[port].get()), &h, rte_pktmbuf_mtod(m, const u_char*));
}

}  // namespace gauntlet
