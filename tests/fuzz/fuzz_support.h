// Helpers shared by the libFuzzer harnesses: exact-size heap copies (so that AddressSanitizer
// sees every byte past a segment's end), a per-process scratch file, EAL start-up for the
// harnesses that need DPDK memory, and a loud failure for broken invariants.
// Test code only: nothing here is linked into gauntlet.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <memory>
#include <sched.h>
#include <string>
#include <string_view>
#include <unistd.h>

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

// A file in this process's own scratch folder, overwritten on every call: parallel fuzzers
// (-jobs, several meson tests) never share one.
inline std::string scratch_file(std::string_view name, const uint8_t* data, size_t len) {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() /
             ("gauntlet-fuzz-" + std::to_string(static_cast<long>(getpid())));
    std::filesystem::create_directories(d);
    return d;
  }();
  const std::string path = (dir / name).string();
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
