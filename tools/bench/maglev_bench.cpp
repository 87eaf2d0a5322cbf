// maglev_bench: Maglev table build time and lookup cost. Prints figures only, no thresholds.
// The paper (Eisenbud et al., NSDI 2016, section 5.3) reports 1.8 ms (M = 65537) and 22.9 ms
// (M = 655373) to build with 1000 backends, on its hardware; compare like with like.
//
//   maglev_bench [runs]     (default 9 build runs per size; the best is printed)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/lb/maglev_table.h"

namespace {

using Clock = std::chrono::steady_clock;

std::vector<gauntlet::MaglevBackend> make_backends(uint32_t n) {
  std::vector<gauntlet::MaglevBackend> backends;
  backends.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    const std::string address = "10." + std::to_string(i >> 16) + "." +
                                std::to_string((i >> 8) & 255) + "." + std::to_string(i & 255);
    backends.push_back({*gauntlet::maglev_backend_key(address, 8080), 1});
  }
  return backends;
}

// splitmix64: cheap, well-mixed stand-in for flow hashes.
uint64_t next_hash(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double best_build_ms(const std::vector<gauntlet::MaglevBackend>& backends, uint32_t m, int runs) {
  double best = 1e300;
  for (int r = 0; r < runs; ++r) {
    std::string error;
    const auto start = Clock::now();
    const auto table = gauntlet::MaglevTable::build(backends, m, error);
    const auto stop = Clock::now();
    if (!table) {
      std::fprintf(stderr, "build failed: %s\n", error.c_str());
      std::exit(1);
    }
    best = std::min(best, std::chrono::duration<double, std::milli>(stop - start).count());
  }
  return best;
}

// Independent lookups over precomputed hashes (a burst's worth of flows at a time), so the
// figure is the table read plus the 64-bit modulo, not the hash generation.
double lookup_ns(const gauntlet::MaglevTable& table, const std::vector<uint64_t>& hashes,
                 int passes) {
  uint64_t sink = 0;
  const auto start = Clock::now();
  for (int p = 0; p < passes; ++p) {
    for (uint64_t h : hashes) sink += table.lookup(h);
  }
  const auto stop = Clock::now();
  asm volatile("" : : "r"(sink));  // keep the loop
  return std::chrono::duration<double, std::nano>(stop - start).count() /
         (double(hashes.size()) * passes);
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 9;
  const auto backends = make_backends(1000);

  std::vector<uint64_t> hashes(1 << 20);
  uint64_t state = 1;
  for (uint64_t& h : hashes) h = next_hash(state);

  std::printf("maglev_bench: 1000 backends, equal weights, best of %d builds\n", runs);
  std::printf("%10s %14s %14s %18s\n", "M", "build ms", "paper ms", "lookup ns/op");
  for (const auto& [m, paper_ms] : {std::pair{65537u, 1.8}, std::pair{655373u, 22.9}}) {
    const double build_ms = best_build_ms(backends, m, runs);
    std::string error;
    const auto table = gauntlet::MaglevTable::build(backends, m, error);
    lookup_ns(*table, hashes, 1);  // warm caches and TLB
    const double ns = lookup_ns(*table, hashes, 20);
    std::printf("%10u %14.3f %14.1f %18.2f\n", m, build_ms, paper_ms, ns);
  }

  // Skewed weights cost more rounds (about M * w_max / sum(w)); show what that costs.
  auto skewed = backends;
  skewed[0].weight = 1000;
  std::printf("skewed weights (one backend 1000x the rest), M=65537: build %.3f ms\n",
              best_build_ms(skewed, 65537, runs));
  return 0;
}
