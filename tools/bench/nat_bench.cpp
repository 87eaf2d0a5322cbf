// nat_bench: the cost per packet of the NAT reply path as the pipeline runs it — the real
// conntrack_stage (key, hash, burst-wide two-stage prefetch, lookup, state, expiry) and the
// real nat_stage (reverse SNAT with incremental checksums) over bursts of 32 mbufs — with
// 1K, 100K and 1M active SNAT flows; and the memory per flow. Prints figures only.
//
// Flows are created through the whole pipeline (pods sending UDP to many servers; 50,000 pod
// endpoints at most, so that 1M flows fit one worker's port slice through endpoint-
// independent mapping). The timed stream is answers from those servers, random flows in
// random order, parsed once; each burst's contexts are reset (as run_pipeline does) and the
// two stages run over it. Answers rewritten in place by an earlier run are rewritten to the
// same values again, so every run does the same work.
//
//   nat_bench [packets-per-size] [runs]   (default 524,288 and 5; best run printed)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "dataplane/control/config.h"
#include "dataplane/control/tables.h"
#include "dataplane/pipeline/generation.h"
#include "dataplane/pipeline/stages.h"
#include "dataplane/pipeline/worker.h"

namespace {

using namespace gauntlet;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kPodEndpoints = 50'000;

uint16_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}
uint32_t sum16(const uint8_t* p, size_t n, uint32_t s = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) s += uint32_t{p[i]} << 8 | p[i + 1];
  return s;
}

// Ether + IPv4 + UDP with 8 bytes of payload, checksums right. Addresses host order.
void write_udp(uint8_t* f, bool from_pod, uint32_t src, uint16_t sport, uint32_t dst,
               uint16_t dport) {
  static const uint8_t kGw[] = {2, 0, 0, 0, 1, 0xfe}, kOut[] = {2, 0, 0, 0, 0, 1},
                       kIn[] = {2, 0, 0, 0, 0, 2}, kPod[] = {2, 0, 0, 0, 2, 0x0a};
  std::memset(f, 0, 50);
  std::memcpy(f, from_pod ? kIn : kOut, 6);
  std::memcpy(f + 6, from_pod ? kPod : kGw, 6);
  f[12] = 0x08;
  uint8_t* ip = f + 14;
  ip[0] = 0x45, ip[3] = 36, ip[8] = 64, ip[9] = 17;
  for (int i = 0; i < 4; ++i) ip[12 + i] = src >> (24 - 8 * i), ip[16 + i] = dst >> (24 - 8 * i);
  const uint16_t h = fold(sum16(ip, 20));
  ip[10] = h >> 8, ip[11] = h & 0xff;
  uint8_t* u = ip + 20;
  u[0] = sport >> 8, u[1] = sport & 0xff, u[2] = dport >> 8, u[3] = dport & 0xff, u[5] = 16;
  std::memcpy(u + 8, "benchmrk", 8);
  uint16_t c = fold(sum16(u, 16, sum16(ip + 12, 8) + 17 + 16));
  if (c == 0) c = 0xffff;
  u[6] = c >> 8, u[7] = c & 0xff;
}

std::string config_text(uint32_t capacity) {
  return "ports:\n"
         "  outside: { mac: 02:00:00:00:00:01, addresses: [198.51.100.1/24] }\n"
         "  inside: { mac: 02:00:00:00:00:02, addresses: [10.0.0.1/8] }\n"
         "routes:\n  - { prefix: 0.0.0.0/0, port: outside, via: 198.51.100.254 }\n"
         "neighbours:\n  - { address: 198.51.100.254, port: outside, mac: 02:00:00:00:01:fe }\n"
         "firewall: { default: allow }\nallowlist: { default: allow }\n"
         "conntrack: { capacity: " +
         std::to_string(capacity) +
         " }\n"
         "snat: { address: 198.51.100.2, from: [10.0.0.0/8], max_ports_per_host: 0 }\n";
}

struct Flow {
  uint32_t pod, server;
  uint16_t pod_port;
};

void bench(uint32_t flows, size_t packets, int runs, rte_mempool* pool, std::mt19937_64& rng,
           double tsc_ghz) {
  char path[] = "/tmp/nat-bench-XXXXXX";
  const int fd = mkstemp(path);
  const std::string text = config_text(std::max<uint32_t>(16, flows + flows / 8));
  if (fd < 0 || write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    std::abort();
  close(fd);
  std::vector<ConfigError> errors;
  auto cfg = load_config(path, errors);
  unlink(path);
  if (!cfg) std::abort();
  std::string error;
  Published published(1);
  published.publish(build_tables(*cfg, 1, nullptr, error));
  auto w = std::make_unique<Worker>(0, *cfg, 1);
  w->tables = published.current();
  seed_neighbours(*w, *w->tables);
  const uint64_t now = uint64_t{1'700'000'000} * 1'000'000'000;

  // Create the flows through the whole pipeline, a burst at a time.
  std::vector<Flow> all(flows);
  auto burst = std::make_unique<Burst>();
  for (uint32_t i = 0; i < flows; ++i) {
    const uint32_t endpoint = i % kPodEndpoints;
    all[i] = {0x0a000000u + 2 + endpoint / 4, 0xcb000000u + i / kPodEndpoints * 7919 + 1,
              static_cast<uint16_t>(20000 + endpoint % 4)};
    Burst& b = *burst;
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    write_udp(reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, 50)), true, all[i].pod,
              all[i].pod_port, all[i].server, 123);
    b.mbufs[b.count] = m;
    b.ctx[b.count] = PacketContext{};
    b.ctx[b.count].in_port = 1;
    b.ctx[b.count].direction = Direction::egress;
    b.ctx[b.count].time_ns = now;
    if (++b.count == kBurstSize || i + 1 == flows) {
      run_pipeline(*w, b);
      b.count = 0;
      for (uint8_t p = 0; p < kPortCount; ++p) {
        for (uint16_t k = 0; k < w->tx_count[p]; ++k) rte_pktmbuf_free(w->tx[p][k]);
        w->tx_count[p] = 0;
      }
      Record r;
      while (w->to_control.pop(r)) {
      }
    }
  }
  if (w->flows.size() != flows) {
    std::printf("%9u  only %u flows created\n", flows, w->flows.size());
    return;
  }
  // The answers: random flows, parsed once, in bursts of mbufs kept for the whole run.
  const size_t bursts = packets / kBurstSize;
  std::vector<rte_mbuf*> mbufs(bursts * kBurstSize);
  std::vector<ParsedPacket> parsed(mbufs.size());
  for (size_t i = 0; i < mbufs.size(); ++i) {
    const Flow& f = all[rng() % flows];
    const uint32_t pod_be = __builtin_bswap32(f.pod);
    const uint16_t port = w->nat.external_port_of(
        NatProtocol::udp, {IpAddress::v4(reinterpret_cast<const uint8_t*>(&pod_be)), f.pod_port},
        4);
    mbufs[i] = rte_pktmbuf_alloc(pool);
    if (!mbufs[i]) std::abort();
    auto* frame = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(mbufs[i], 50));
    write_udp(frame, false, f.server, 123, 0xc6336402u, port);
    parse_packet(frame, 50, parsed[i]);
  }
  auto run = [&] {
    uint64_t translated = 0;
    for (size_t base = 0; base < mbufs.size(); base += kBurstSize) {
      Burst& b = *burst;
      b.count = kBurstSize;
      for (uint16_t i = 0; i < kBurstSize; ++i) {
        PacketContext& c = b.ctx[i];
        b.mbufs[i] = mbufs[base + i];
        c.parsed = parsed[base + i];
        c.in_port = 0;
        c.direction = Direction::ingress;
        c.time_ns = now + 1000;
        c.step_count = 0;
        c.final = false;
        c.tracking = Tracking::none;
        c.flow = nullptr;
        c.flow_judged = false;
        c.service = kNoService;
      }
      conntrack_stage(*w, b);
      nat_stage(*w, b);
      for (uint16_t i = 0; i < kBurstSize; ++i)
        translated += b.ctx[i].last().reason == Reason::nat_reversed;
    }
    return translated;
  };
  run();  // warm up
  double best_ns = 1e300, best_cyc = 1e300;
  uint64_t translated = 0;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = Clock::now();
    const uint64_t c0 = rte_rdtsc();
    translated = run();
    const uint64_t c1 = rte_rdtsc();
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    best_ns = std::min(best_ns, ns / mbufs.size());
    best_cyc = std::min(best_cyc, double(c1 - c0) / mbufs.size());
  }
  const double table = double(w->flows.memory_bytes()) / w->flows.capacity();
  std::printf("%9u  %7.1f ns  %7.1f cyc (%.1f ns at TSC)  %s  table %.1f B per flow of capacity\n",
              flows, best_ns, best_cyc, best_cyc / tsc_ghz,
              translated == mbufs.size() ? "all translated" : "NOT ALL TRANSLATED", table);
  for (rte_mbuf* m : mbufs) rte_pktmbuf_free(m);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t packets = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 512 * 1024;
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  const char* eal[] = {
      "nat_bench", "-l",       "0",           "--no-huge",      "-m",
      "1024",      "--no-pci", "--no-shconf", "--no-telemetry", "--log-level=*:warning"};
  if (rte_eal_init(static_cast<int>(std::size(eal)), const_cast<char**>(eal)) < 0) return 1;
  rte_mempool* pool = rte_pktmbuf_pool_create("nat_bench", static_cast<unsigned>(packets + 4096),
                                              256, 0, 128 + RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
  if (!pool) return 1;
  const auto t0 = Clock::now();
  const uint64_t c0 = rte_rdtsc();
  while (Clock::now() - t0 < std::chrono::milliseconds(200)) {
  }
  const double ghz =
      (rte_rdtsc() - c0) / std::chrono::duration<double>(Clock::now() - t0).count() / 1e9;
  std::printf(
      "NAT reply path (conntrack_stage + nat_stage on bursts of %u mbufs): %zu packets per size, "
      "best of %d runs, TSC %.2f GHz; no hugepages here (4 KiB pages: TLB misses at 1M flows)\n",
      kBurstSize, packets, runs, ghz);
  std::printf("%9s  %s\n", "flows", "per packet (conntrack_stage + nat_stage)");
  std::mt19937_64 rng(7);
  for (uint32_t flows : {1'000u, 100'000u, 1'000'000u}) bench(flows, packets, runs, pool, rng, ghz);
  rte_eal_cleanup();
  return 0;
}
