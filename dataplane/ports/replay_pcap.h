// Replay mode's files: the input pcaps, read one packet ahead so that two can be merged by
// time, and the outputs (a pcap per port, the event log, the trace). Control core only.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include <pcap/pcap.h>

#include "dataplane/control/config.h"

struct rte_mbuf;

namespace gauntlet {

struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};
struct DumperCloser {
  void operator()(pcap_dumper_t* d) const { pcap_dump_close(d); }
};
struct FileCloser {
  void operator()(FILE* f) const { fclose(f); }
};
using PcapHandle = std::unique_ptr<pcap_t, PcapCloser>;

// Opens an Ethernet pcap for reading with nanosecond timestamps; null and `error` set when
// it cannot be read or is not Ethernet.
PcapHandle open_input(const std::string& path, std::string& error);

// One input stream with its next packet read ahead, so two streams can be merged.
struct ReplayInput {
  PcapHandle pcap;
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  bool has_next = false;
  std::string error;  // a read error that ended the stream early
  void advance();
  uint64_t time_ns() const {
    return uint64_t(header->ts.tv_sec) * 1000000000u + uint64_t(header->ts.tv_usec);
  }
};

// <out_dir>/outside.pcap and inside.pcap, <out_dir>/events.jsonl, and the trace if asked for.
class ReplayOutputs {
 public:
  // Creates `out_dir`; prints why on stderr and returns false when a file cannot be written.
  bool open(const std::string& out_dir, const std::string& trace_path);
  // Appends the frame of `m` (not freed) to `port`'s pcap, stamped `time_ns`.
  void write(uint8_t port, const rte_mbuf* m, uint64_t time_ns);
  FILE* events() const { return events_.get(); }
  FILE* trace() const { return trace_.get(); }  // null: no trace

 private:
  std::unique_ptr<pcap_t, PcapCloser> dead_;
  std::unique_ptr<pcap_dumper_t, DumperCloser> pcaps_[kPortCount];
  std::unique_ptr<FILE, FileCloser> events_, trace_;
};

}  // namespace gauntlet
