// The event log: JSON lines (schema in README.md, "Event log"), written by the control core
// only. Packet events (stop, log) pass a token bucket of `events.per_second`; what it holds
// back is counted and written as one {"event":"suppressed","count":N,...} record. Control
// records (reload, reload_failed, suppressed) are never held back. The file is
// opened for appending and reopened on SIGHUP, so a rotated log moves on to a new file.
// A log that cannot be opened or written (disk full, no such folder) costs lines, never
// forwarding: each lost line is counted, and the problem is said once on stderr (and once
// more when writing works again).
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "dataplane/control/config.h"

namespace gauntlet {

class EventLog {
 public:
  // `path` empty: standard error (never reopened). Opens the file at once.
  EventLog(std::string path, const EventsConfig& limits);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Control core: opens the path again (log rotation); false when it cannot (said on stderr).
  bool reopen();
  // Control core: one packet event (a JSON object, no newline), subject to the rate limit.
  // `now_ns`: a monotonic clock.
  void packet_event(std::string_view json, uint64_t now_ns);
  // Control core: one control record, written whatever the rate limit says.
  void control_event(std::string_view json);
  // Control core: a stdio stream into this log, for writers that print lines to a FILE*
  // (the record drain, the health driver). Each complete line written to it is a packet
  // event when it starts with {"event":"stop" or {"event":"log", else a control record.
  FILE* stream() noexcept { return stream_; }
  // Control core: emits a pending "suppressed" record when due and writes what is buffered
  // (the stream's too). Call after each batch and at least once a second.
  void flush();
  // Control core, at the end: writes everything, a pending "suppressed" record included.
  void close();

  // Any thread.
  uint64_t written() const noexcept { return written_.load(std::memory_order_relaxed); }
  uint64_t suppressed() const noexcept { return suppressed_.load(std::memory_order_relaxed); }
  uint64_t lost() const noexcept { return lost_.load(std::memory_order_relaxed); }
  uint64_t write_errors() const noexcept { return errors_.load(std::memory_order_relaxed); }
  const std::string& path() const noexcept { return path_; }

 private:
  void append(std::string_view json);
  void write_out();
  void failed(const char* what, int error);
  void take_text(std::string_view text);  // from the stream: whole lines, once complete
  static ssize_t stream_write(void* self, const char* data, size_t size);

  std::string path_;
  int fd_ = -1;
  bool failing_ = false;  // the last open or write failed (said on stderr once)
  double tokens_;
  double rate_per_ns_;
  double burst_;
  uint64_t refilled_ns_ = 0;
  uint64_t pending_suppressed_ = 0;  // held back since the last "suppressed" record
  uint64_t suppressed_since_ns_ = 0;
  FILE* stream_ = nullptr;
  std::string partial_;  // the stream's unfinished line
  std::string buffer_;
  uint64_t buffered_lines_ = 0;
  std::atomic<uint64_t> written_{0}, suppressed_{0}, lost_{0}, errors_{0};
};

// Monotonic nanoseconds (the rate limit's clock) and wall-clock nanoseconds (record times).
uint64_t monotonic_ns() noexcept;
uint64_t realtime_ns() noexcept;

}  // namespace gauntlet
