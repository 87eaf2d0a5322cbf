// conntrack_bench: flow-table lookup cost per packet with 1K, 100K and 1M active flows, and
// the table's memory per flow. Prints figures only, no thresholds (DESIGN.md, Tests).
//
// Each table is filled with random IPv4 TCP flows, then looked up in random order, half the
// packets in the reply direction, in bursts of 32 as a pipeline stage sees them. Five ways:
//   lookup            hash precomputed, no prefetch: the bare table read (two dependent
//                     misses at 1M flows: bucket, then entry)
//   +prefetch next    the next packet's bucket prefetched while this one is looked up
//   +2-stage burst    all 32 buckets prefetched, then all 32 candidate entries, then lookups
//   +rolling entries  all 32 buckets prefetched, then each lookup with the candidate entry
//                     of the packet kEntriesAhead later prefetched (as conntrack_stage does)
//   key+hash+rolling  the whole per-packet cost from the 5-tuple: canonical key and CRC hash
//                     for the burst, then the rolling lookups
// "cycles" are TSC ticks (rte_rdtsc; constant rate on current CPUs), calibrated against
// steady_clock for the ns figure's cross-check.
//
//   conntrack_bench [lookups-per-size] [runs]   (default 2,000,000 and 5; best run printed)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include <rte_cycles.h>

#include "dataplane/conntrack/flow_table.h"

namespace {

using gauntlet::FlowHash;
using gauntlet::FlowTable;
using gauntlet::PacketKey;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kBurst = 32;
constexpr uint32_t kEntriesAhead = 8;  // conntrack_stage's window

struct Tuple {
  gauntlet::IpAddress src, dst;
  uint16_t sport, dport;
};

struct Figures {
  double ns, cycles;
  uint64_t found;
};

double tsc_hz() {
  const auto t0 = Clock::now();
  const uint64_t c0 = rte_rdtsc();
  while (Clock::now() - t0 < std::chrono::milliseconds(200)) {
  }
  const uint64_t c1 = rte_rdtsc();
  return (c1 - c0) / std::chrono::duration<double>(Clock::now() - t0).count();
}

// Best of `runs` (the least disturbed run on a shared machine).
template <class Body>
Figures measure(size_t lookups, int runs, Body&& body) {
  Figures best{1e300, 1e300, 0};
  for (int r = 0; r < runs; ++r) {
    const auto t0 = Clock::now();
    const uint64_t c0 = rte_rdtsc();
    const uint64_t found = body();
    const uint64_t c1 = rte_rdtsc();
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    if (ns / lookups < best.ns) best = {ns / lookups, double(c1 - c0) / lookups, found};
  }
  return best;
}

uint64_t run_lookup(FlowTable& t, const std::vector<PacketKey>& keys,
                    const std::vector<FlowHash>& hashes, bool prefetch) {
  uint64_t found = 0;
  const size_t n = keys.size();
  for (size_t base = 0; base < n; base += kBurst) {
    const size_t end = std::min(n, base + kBurst);
    if (prefetch) t.prefetch(hashes[base]);
    for (size_t i = base; i < end; ++i) {
      if (prefetch && i + 1 < end) t.prefetch(hashes[i + 1]);
      found += t.lookup(keys[i], hashes[i]).entry != nullptr;
    }
  }
  return found;
}

// Burst-wide, two stages: every bucket of the burst is requested, then every candidate entry
// (its bucket now cached), then the lookups run over warm lines; the misses overlap.
// `rolling`: the entries are requested kEntriesAhead packets ahead of the lookups instead.
uint64_t run_staged(FlowTable& t, const PacketKey* keys, const FlowHash* hashes, uint32_t count,
                    bool rolling) {
  uint64_t found = 0;
  for (uint32_t i = 0; i < count; ++i) t.prefetch(hashes[i]);
  const uint32_t ahead = rolling ? std::min(count, kEntriesAhead) : count;
  for (uint32_t i = 0; i < ahead; ++i) t.prefetch_entry(hashes[i]);
  for (uint32_t i = 0; i < count; ++i) {
    if (rolling && i + kEntriesAhead < count) t.prefetch_entry(hashes[i + kEntriesAhead]);
    found += t.lookup(keys[i], hashes[i]).entry != nullptr;
  }
  return found;
}

uint64_t run_staged(FlowTable& t, const std::vector<PacketKey>& keys,
                    const std::vector<FlowHash>& hashes, bool rolling) {
  uint64_t found = 0;
  for (size_t base = 0; base < keys.size(); base += kBurst) {
    const uint32_t count = static_cast<uint32_t>(std::min<size_t>(kBurst, keys.size() - base));
    found += run_staged(t, &keys[base], &hashes[base], count, rolling);
  }
  return found;
}

// From the 5-tuple: canonical key and hash for the burst, then the rolling lookups.
uint64_t run_full(FlowTable& t, const std::vector<Tuple>& packets) {
  uint64_t found = 0;
  PacketKey keys[kBurst];
  FlowHash hashes[kBurst];
  const size_t n = packets.size();
  for (size_t base = 0; base < n; base += kBurst) {
    const uint32_t count = static_cast<uint32_t>(std::min<size_t>(kBurst, n - base));
    for (uint32_t i = 0; i < count; ++i) {
      const Tuple& p = packets[base + i];
      keys[i] = gauntlet::make_packet_key(4, 6, p.src, p.sport, p.dst, p.dport);
      hashes[i] = gauntlet::flow_hash(keys[i].key);
    }
    found += run_staged(t, keys, hashes, count, true);
  }
  return found;
}

void bench(uint32_t flows, size_t lookups, int runs, std::mt19937_64& rng) {
  FlowTable table(flows);
  std::vector<Tuple> flow_tuples(flows);
  for (uint32_t i = 0; i < flows; ++i) {
    // The flow index in the client address keeps the flows distinct; the rest is random.
    const uint32_t client = 0x0a000000u | i, server = static_cast<uint32_t>(rng());
    Tuple& f = flow_tuples[i];
    f = {gauntlet::IpAddress::v4(&client), gauntlet::IpAddress::v4(&server),
         static_cast<uint16_t>(rng()), static_cast<uint16_t>(443)};
    const PacketKey k = gauntlet::make_packet_key(4, 6, f.src, f.sport, f.dst, f.dport);
    if (!table.insert(k, gauntlet::flow_hash(k.key), ~uint64_t{0})) std::abort();
  }
  // The packet stream: random flows, random direction, laid out in arrival order.
  std::vector<Tuple> packets(lookups);
  std::vector<PacketKey> keys(lookups);
  std::vector<FlowHash> hashes(lookups);
  for (size_t i = 0; i < lookups; ++i) {
    Tuple p = flow_tuples[rng() % flows];
    if (rng() & 1) p = {p.dst, p.src, p.dport, p.sport};
    packets[i] = p;
    keys[i] = gauntlet::make_packet_key(4, 6, p.src, p.sport, p.dst, p.dport);
    hashes[i] = gauntlet::flow_hash(keys[i].key);
  }
  run_lookup(table, keys, hashes, true);  // warm up
  const Figures bare =
      measure(lookups, runs, [&] { return run_lookup(table, keys, hashes, false); });
  const Figures next =
      measure(lookups, runs, [&] { return run_lookup(table, keys, hashes, true); });
  const Figures staged =
      measure(lookups, runs, [&] { return run_staged(table, keys, hashes, false); });
  const Figures rolling =
      measure(lookups, runs, [&] { return run_staged(table, keys, hashes, true); });
  const Figures full = measure(lookups, runs, [&] { return run_full(table, packets); });
  const bool all_found = bare.found == lookups && next.found == lookups &&
                         staged.found == lookups && rolling.found == lookups &&
                         full.found == lookups;
  std::printf("%9u", flows);
  for (const Figures& f : {bare, next, staged, rolling, full})
    std::printf("  %5.1f ns %5.1f cyc", f.ns, f.cycles);
  std::printf("  %6.1f B  %s\n", double(table.memory_bytes()) / flows,
              all_found ? "all found" : "MISSING FLOWS");
}

}  // namespace

int main(int argc, char** argv) {
  const size_t lookups = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2'000'000;
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  std::mt19937_64 rng(42);
  std::printf(
      "conntrack flow table: %zu lookups per size, best of %d runs, bursts of %u, "
      "TSC %.2f GHz\n",
      lookups, runs, kBurst, tsc_hz() / 1e9);
  std::printf(
      "table memory per flow of capacity: %zu B (entry %zu B + index %zu B)"
      " + %zu KiB timer wheel per table\n",
      FlowTable::kBytesPerFlow, sizeof(gauntlet::FlowEntry),
      FlowTable::kBytesPerFlow - sizeof(gauntlet::FlowEntry),
      gauntlet::TimerWheelConfig{}.slots * sizeof(uint32_t) / 1024);
  std::printf("%9s  %-16s  %-16s  %-16s  %-16s  %-16s  %s\n", "flows", "lookup", "+prefetch next",
              "+2-stage burst", "+rolling entries", "key+hash+rolling", "allocated/flow");
  for (uint32_t flows : {1'000u, 100'000u, 1'000'000u}) bench(flows, lookups, runs, rng);
  return 0;
}
