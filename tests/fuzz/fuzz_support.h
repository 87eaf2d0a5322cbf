// Helpers shared by the libFuzzer harnesses: exact-size heap copies and poisoned segment slots
// (so that AddressSanitizer sees every byte past a segment's end), a per-process scratch file,
// EAL start-up for the harnesses that need DPDK memory, and a loud failure for broken
// invariants.
// Test code only: nothing here is linked into gauntlet.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <memory>
#include <sanitizer/asan_interface.h>
#include <sched.h>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include <rte_eal.h>

namespace gauntlet::fuzz {

// A broken invariant is a finding like a crash: print why and abort, so that libFuzzer
// saves the input and the test fails.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}
inline void check(bool ok, const char* what) {
  if (!ok) fail(what);
}

// A heap copy of exactly `len` bytes: a read one byte past it is a heap-buffer-overflow.
// (new uint8_t[0] is a valid, unreadable pointer.)
inline std::unique_ptr<uint8_t[]> exact_copy(const uint8_t* data, size_t len) {
  std::unique_ptr<uint8_t[]> copy(new uint8_t[len]);
  if (len) std::memcpy(copy.get(), data, len);
  return copy;
}

// Segments of one input fed one after another, each copied into its own slot of one buffer
// that AddressSanitizer sees as poisoned except for the segment in use: reading past a
// segment's end or before its start, or reading a segment after it was handed back (a view
// kept past feed()), is a report, as with one exact_copy per segment, but without an
// allocation per segment (a one-byte split of a 4 KB input would make 4096 of them).
// Each slot starts on an 8-byte shadow granule and ends with at least 8 poisoned bytes;
// ASan tracks a partial granule's addressable prefix exactly, so every segment is exact-size.
class SegmentSlots {
 public:
  explicit SegmentSlots(const std::vector<size_t>& sizes) {
    size_t total = 0;
    for (size_t n : sizes) total += slot_size(n);
    size_ = total;
    buffer_.reset(new uint8_t[size_]);
    ASAN_POISON_MEMORY_REGION(buffer_.get(), size_);
  }
  ~SegmentSlots() { ASAN_UNPOISON_MEMORY_REGION(buffer_.get(), size_); }
  SegmentSlots(const SegmentSlots&) = delete;
  SegmentSlots& operator=(const SegmentSlots&) = delete;

  // The next slot holding a copy of data[0, n): addressable until close().
  const uint8_t* open(const uint8_t* data, size_t n) {
    uint8_t* slot = buffer_.get() + next_;
    if (next_ + slot_size(n) > size_) fail("segment slots used past their sizes");
    next_ += slot_size(n);
    ASAN_UNPOISON_MEMORY_REGION(slot, n);
    if (n) std::memcpy(slot, data, n);
    open_ = slot, open_len_ = n;
    return slot;
  }
  void close() { ASAN_POISON_MEMORY_REGION(open_, open_len_); }

 private:
  static size_t slot_size(size_t n) { return (n + 7) / 8 * 8 + 8; }
  std::unique_ptr<uint8_t[]> buffer_;
  size_t size_ = 0, next_ = 0;
  uint8_t* open_ = nullptr;
  size_t open_len_ = 0;
};

// A file in this process's own scratch folder, replaced on every call: parallel fuzzers
// (-jobs, several meson tests) never share one. The old file is removed rather than
// truncated: ext4 writes a truncated-then-rewritten file back to disk when it is closed
// (auto_da_alloc), which made every execution wait for the disk.
inline std::string scratch_file(std::string_view name, const uint8_t* data, size_t len) {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() /
             ("gauntlet-fuzz-" + std::to_string(static_cast<long>(getpid())));
    std::filesystem::create_directories(d);
    return d;
  }();
  const std::string path = (dir / name).string();
  std::remove(path.c_str());
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) fail("cannot write the scratch file");
  if (len && std::fwrite(data, 1, len, f) != len) fail("cannot write the scratch file");
  std::fclose(f);
  return path;
}

// Starts EAL once, as the unit tests do, without hugepages, PCI, shared config or telemetry.
// EAL pins the calling thread to lcore 0's CPU; the harness gets its old CPU mask back, so
// that several fuzzers (meson test, -jobs) do not all crowd onto CPU 0.
inline void start_eal() {
  static bool started = false;
  if (started) return;
  cpu_set_t cpus;
  const bool have_mask = sched_getaffinity(0, sizeof cpus, &cpus) == 0;
  const char* args[] = {
      "gauntlet-fuzz", "-l",       "0",           "--no-huge",      "-m",
      "256",           "--no-pci", "--no-shconf", "--no-telemetry", "--log-level=*:error"};
  if (rte_eal_init(static_cast<int>(std::size(args)), const_cast<char**>(args)) < 0)
    fail("rte_eal_init failed");
  if (have_mask) sched_setaffinity(0, sizeof cpus, &cpus);
  started = true;
}

}  // namespace gauntlet::fuzz
