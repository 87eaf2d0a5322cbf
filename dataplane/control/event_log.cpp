#include "dataplane/control/event_log.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "dataplane/control/report.h"

namespace gauntlet {

namespace {
constexpr size_t kFlushBytes = 1 << 20;  // bounds the buffer between flushes
constexpr uint64_t kSecondNs = 1000000000u;
}  // namespace

uint64_t monotonic_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * kSecondNs + uint64_t(ts.tv_nsec);
}

uint64_t realtime_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec) * kSecondNs + uint64_t(ts.tv_nsec);
}

EventLog::EventLog(std::string path, const EventsConfig& limits)
    : path_(std::move(path)),
      tokens_(limits.burst),
      rate_per_ns_(double(limits.per_second) / double(kSecondNs)),
      burst_(limits.burst),
      refilled_ns_(monotonic_ns()) {
  if (path_.empty())
    fd_ = STDERR_FILENO;
  else
    reopen();
  cookie_io_functions_t io{};
  io.write = stream_write;
  stream_ = fopencookie(this, "w", io);
}

EventLog::~EventLog() {
  close();
  if (fd_ > STDERR_FILENO) ::close(fd_);
}

void EventLog::close() {
  if (stream_) fclose(stream_);  // hands its last lines over
  stream_ = nullptr;
  if (pending_suppressed_ > 0) tokens_ = std::max(tokens_, 1.0);  // said now, not later
  flush();
}

void EventLog::failed(const char* what, int error) {
  errors_.fetch_add(1, std::memory_order_relaxed);
  if (failing_) return;
  failing_ = true;
  fmt::print(stderr,
             "gauntlet: event log {}: cannot {}: {}; forwarding goes on, lost lines are counted\n",
             path_.empty() ? "(standard error)" : path_, what, std::strerror(error));
}

bool EventLog::reopen() {
  if (path_.empty()) return true;
  write_out();
  const int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    failed("open", errno);
    return false;
  }
  if (fd_ > STDERR_FILENO) ::close(fd_);
  fd_ = fd;
  return true;
}

void EventLog::append(std::string_view json) {
  buffer_.append(json);
  buffer_ += '\n';
  ++buffered_lines_;
  if (buffer_.size() >= kFlushBytes) write_out();
}

void EventLog::packet_event(std::string_view json, uint64_t now_ns) {
  if (now_ns > refilled_ns_) {
    tokens_ = std::min(burst_, tokens_ + double(now_ns - refilled_ns_) * rate_per_ns_);
    refilled_ns_ = now_ns;
  }
  if (tokens_ >= 1) {
    tokens_ -= 1;
    append(json);
    return;
  }
  if (pending_suppressed_++ == 0) suppressed_since_ns_ = realtime_ns();
  suppressed_.fetch_add(1, std::memory_order_relaxed);
}

void EventLog::control_event(std::string_view json) { append(json); }

ssize_t EventLog::stream_write(void* self, const char* data, size_t size) {
  static_cast<EventLog*>(self)->take_text({data, size});
  return static_cast<ssize_t>(size);
}

void EventLog::take_text(std::string_view text) {
  partial_.append(text);
  size_t start = 0;
  for (size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
    const std::string_view line(partial_.data() + start, nl - start);
    if (line.starts_with(R"({"event":"stop")") || line.starts_with(R"({"event":"log")"))
      packet_event(line, monotonic_ns());
    else if (!line.empty())
      control_event(line);
  }
  partial_.erase(0, start);
}

void EventLog::flush() {
  if (stream_) fflush(stream_);
  // Said once the bucket lets lines through again, or a second into a flood.
  if (pending_suppressed_ > 0) {
    const uint64_t now_real = realtime_ns();
    if (tokens_ >= 1 || now_real - suppressed_since_ns_ >= kSecondNs) {
      append(fmt::format(R"({{"event":"suppressed","time":"{}","count":{},"since":"{}"}})",
                         format_time(now_real), pending_suppressed_,
                         format_time(suppressed_since_ns_)));
      pending_suppressed_ = 0;
    }
  }
  write_out();
}

void EventLog::write_out() {
  if (buffer_.empty()) return;
  size_t done = 0;
  int error = 0;
  if (fd_ < 0) error = EBADF;
  while (error == 0 && done < buffer_.size()) {
    const ssize_t n = write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n > 0)
      done += size_t(n);
    else if (n < 0 && errno != EINTR)
      error = errno;
    else if (n == 0)
      error = EIO;
  }
  if (error == 0) {
    written_.fetch_add(buffered_lines_, std::memory_order_relaxed);
    if (failing_)
      fmt::print(stderr, "gauntlet: event log {}: writing again\n",
                 path_.empty() ? "(standard error)" : path_);
    failing_ = false;
  } else {
    // A partial write leaves part of a line: the lines of this batch count as lost.
    lost_.fetch_add(buffered_lines_, std::memory_order_relaxed);
    failed(fd_ < 0 ? "open" : "write", error);
  }
  buffer_.clear();
  buffered_lines_ = 0;
}

}  // namespace gauntlet
