// lb_bench: what the load balancer costs per packet, through the real stages over bursts of 32,
// and what its Maglev tables cost to build. Prints figures only, no thresholds.
//
//   lb_bench [EAL options]     (defaults: --no-huge -m 1024 --no-pci --no-shconf, one lcore)
//
// - new flow: lb_stage alone (5-tuple XXH64 + Maglev lookup) on SYNs to a VIP of 1000 backends.
// - established flow: parse + conntrack hit + DNAT rewrite (nat_stage) of client ACKs, each
//   burst first restored from its template (a 54-byte copy per packet, measured apart).
// - build: MaglevTable::build for M = 65537 and 655373 with the same 1000 backends.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dataplane/control/tables.h"
#include "dataplane/pipeline/stages.h"

using namespace gauntlet;

namespace {

constexpr uint32_t kFlows = 4096, kRounds = 400;

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "lb_bench: %s\n", why.c_str());
  std::exit(1);
}

std::string backend_address(uint32_t i) {
  return "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
}

Config load(const char* path) {
  std::ofstream y(path);
  y << "ports:\n  outside: { mac: 02:00:00:00:00:01, addresses: [198.51.100.1/24] }\n"
       "  inside: { mac: 02:00:00:00:00:02, addresses: [10.0.0.1/8] }\n"
       "routes:\n  - { prefix: 0.0.0.0/0, port: outside, via: 198.51.100.254 }\n"
       "neighbours:\n  - { address: 198.51.100.254, port: outside, mac: 02:00:00:00:01:fe }\n"
       "conntrack: { capacity: 65536 }\n"
       "services:\n  - name: bench\n    vip: 198.51.100.10\n    ports: [80]\n    backends:\n";
  for (uint32_t i = 0; i < 1000; ++i)
    y << "      - { address: " << backend_address(i) << ", port: 8080 }\n";
  y.close();
  std::vector<ConfigError> errors;
  auto cfg = load_config(path, errors);
  if (!cfg) die(errors.empty() ? "config" : errors.front().to_string());
  return *cfg;
}

// Ethernet + IPv4 + TCP (no options), checksums filled: 54 bytes.
std::vector<uint8_t> tcp_frame(const uint8_t src[4], uint16_t sport, const uint8_t dst[4],
                               uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack,
                               bool from_outside) {
  std::vector<uint8_t> f(54, 0);
  const uint8_t out_mac[6] = {2, 0, 0, 0, 0, 1}, in_mac[6] = {2, 0, 0, 0, 0, 2},
                peer[6] = {2, 0, 0, 0, 1, 0xfe};
  std::memcpy(f.data(), from_outside ? out_mac : in_mac, 6);
  std::memcpy(f.data() + 6, peer, 6);
  f[12] = 0x08;
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x45, ip[3] = 40, ip[6] = 0x40, ip[8] = 64, ip[9] = 6;
  std::memcpy(ip + 12, src, 4);
  std::memcpy(ip + 16, dst, 4);
  uint8_t* tcp = ip + 20;
  store_be16(tcp, sport);
  store_be16(tcp + 2, dport);
  for (int i = 0; i < 4; ++i)
    tcp[4 + i] = uint8_t(seq >> (24 - 8 * i)), tcp[8 + i] = uint8_t(ack >> (24 - 8 * i));
  tcp[12] = 5 << 4, tcp[13] = flags, tcp[14] = 0xfa;
  auto* h = reinterpret_cast<rte_ipv4_hdr*>(ip);
  h->hdr_checksum = rte_ipv4_cksum(h);
  const uint16_t sum = rte_ipv4_udptcp_cksum(h, tcp);
  std::memcpy(tcp + 16, &sum, 2);
  return f;
}

void load_burst(Burst& b, rte_mempool* pool, const std::vector<std::vector<uint8_t>>& frames,
                size_t first, uint8_t port, uint64_t time_ns) {
  b.count = 0;
  for (size_t i = first; i < frames.size() && b.count < kBurstSize; ++i) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    if (!m) die("mbuf pool empty");
    std::memcpy(rte_pktmbuf_append(m, uint16_t(frames[i].size())), frames[i].data(),
                frames[i].size());
    PacketContext& c = b.ctx[b.count];
    c.in_port = port;
    c.direction = port == 0 ? Direction::ingress : Direction::egress;
    c.time_ns = time_ns;
    c.sequence = i + 1;
    b.mbufs[b.count++] = m;
  }
}

void flush(Worker& w) {
  for (uint8_t p = 0; p < kPortCount; ++p) {
    rte_pktmbuf_free_bulk(w.tx[p], w.tx_count[p]);
    w.tx_count[p] = 0;
  }
  Record r;
  while (w.to_control.pop(r)) {
  }
}

double ns_per_packet(uint64_t cycles, uint64_t packets) {
  return double(cycles) * 1e9 / double(rte_get_tsc_hz()) / double(packets);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args{argv[0]};
  if (argc > 1) {
    for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  } else {
    for (const char* a :
         {"-l", "0", "--no-huge", "-m", "1024", "--no-pci", "--no-shconf", "--log-level=*:error"})
      args.push_back(a);
  }
  std::vector<char*> eal_argv;
  for (auto& a : args) eal_argv.push_back(a.data());
  if (rte_eal_init(int(eal_argv.size()), eal_argv.data()) < 0) die("cannot initialise EAL");

  const Config cfg = load("/tmp/lb_bench_config.yaml");
  std::string error;
  auto tables = build_tables(cfg, 1, nullptr, error);
  if (!tables) die(error);
  rte_mempool* pool =
      rte_pktmbuf_pool_create("lb_bench", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (!pool) die("cannot create the mbuf pool");
  Worker w(0, cfg, 1);
  w.tables = tables.get();
  w.pool = pool;
  seed_neighbours(w, *tables);

  const uint8_t vip[4] = {198, 51, 100, 10};
  std::vector<std::vector<uint8_t>> syns, acks, synacks;
  for (uint32_t i = 0; i < kFlows; ++i) {
    const uint8_t client[4] = {203, uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)};
    syns.push_back(tcp_frame(client, uint16_t(10000 + i % 50000), vip, 80, 0x02, 1000, 0, true));
    acks.push_back(tcp_frame(client, uint16_t(10000 + i % 50000), vip, 80, 0x10, 1001, 5001, true));
  }

  // New flows: lb_stage over SYN bursts already parsed, conntrack-marked new.
  Burst b;
  uint64_t lb_cycles = 0, lb_packets = 0;
  for (size_t first = 0; first < syns.size(); first += kBurstSize) {
    load_burst(b, pool, syns, first, 0, 1);
    for (uint16_t i = 0; i < b.count; ++i) b.ctx[i].reset();
    parse_stage(w, b);
    for (uint32_t r = 0; r < kRounds; ++r) {
      for (uint16_t i = 0; i < b.count; ++i) {
        b.ctx[i].step_count = 1, b.ctx[i].final = false, b.ctx[i].tracking = Tracking::new_flow;
      }
      const uint64_t t0 = rte_rdtsc_precise();
      lb_stage(w, b);
      lb_cycles += rte_rdtsc_precise() - t0;
      lb_packets += b.count;
    }
    rte_pktmbuf_free_bulk(b.mbufs, b.count);
  }

  // Establish every flow through the whole pipeline: SYN, the backend's SYN-ACK, then ACKs.
  for (size_t first = 0; first < syns.size(); first += kBurstSize) {
    load_burst(b, pool, syns, first, 0, 1000);
    run_pipeline(w, b);
    for (uint16_t i = 0; i < b.count; ++i) {
      const FlowEntry* e = b.ctx[i].flow;
      if (!e) die("a SYN made no flow");
      const uint8_t client[4] = {203, uint8_t((first + i) >> 16), uint8_t((first + i) >> 8),
                                 uint8_t(first + i)};
      synacks.push_back(tcp_frame(e->nat_addr.bytes.data(), e->nat_port, client,
                                  uint16_t(10000 + (first + i) % 50000), 0x12, 5000, 1001, false));
    }
    flush(w);
  }
  for (size_t first = 0; first < synacks.size(); first += kBurstSize) {
    load_burst(b, pool, synacks, first, 1, 2000);
    run_pipeline(w, b);
    flush(w);
  }
  // Established: restore, parse, conntrack hit, DNAT. The copy is measured on its own too.
  uint64_t est_cycles = 0, copy_cycles = 0, est_packets = 0, dnat = 0;
  for (size_t first = 0; first < acks.size(); first += kBurstSize) {
    load_burst(b, pool, acks, first, 0, 3000);
    for (uint32_t r = 0; r < kRounds; ++r) {
      uint64_t t0 = rte_rdtsc_precise();
      for (uint16_t i = 0; i < b.count; ++i)
        std::memcpy(rte_pktmbuf_mtod(b.mbufs[i], uint8_t*), acks[first + i].data(), 54);
      copy_cycles += rte_rdtsc_precise() - t0;
      t0 = rte_rdtsc_precise();
      for (uint16_t i = 0; i < b.count; ++i) {
        std::memcpy(rte_pktmbuf_mtod(b.mbufs[i], uint8_t*), acks[first + i].data(), 54);
        b.ctx[i].reset();
      }
      parse_stage(w, b);
      conntrack_stage(w, b);
      nat_stage(w, b);
      est_cycles += rte_rdtsc_precise() - t0;
      est_packets += b.count;
      for (uint16_t i = 0; i < b.count; ++i) dnat += b.ctx[i].last().reason == Reason::nat_mapped;
    }
    rte_pktmbuf_free_bulk(b.mbufs, b.count);
  }
  if (dnat != est_packets) die("not every established packet was DNATed: " + std::to_string(dnat));

  std::printf("lb_bench: 1000 backends (M = %u), %u flows, bursts of %u, TSC %.2f GHz\n",
              tables->services[0].table.table_size(), kFlows, kBurstSize,
              double(rte_get_tsc_hz()) / 1e9);
  const double lb_ns = ns_per_packet(lb_cycles, lb_packets);
  std::printf("new flow, lb_stage (hash + Maglev lookup):        %7.2f ns/packet  %7.1f cycles\n",
              lb_ns, double(lb_cycles) / double(lb_packets));
  const double est_ns = ns_per_packet(est_cycles, est_packets),
               copy_ns = ns_per_packet(copy_cycles, est_packets);
  std::printf(
      "established, parse + conntrack hit + DNAT:        %7.2f ns/packet  %7.1f cycles (copy "
      "excluded)\n",
      est_ns - copy_ns, double(est_cycles - copy_cycles) / double(est_packets));
  std::printf("  (the 54-byte restore copy alone:                %7.2f ns/packet)\n", copy_ns);

  std::vector<MaglevBackend> keys;
  for (const BackendConfig& be : cfg.services[0].backends)
    keys.push_back({*maglev_backend_key(format_ip(be.address, 4), be.port), 1});
  for (const auto& [m, paper_ms] : {std::pair{65537u, 1.8}, std::pair{655373u, 22.9}}) {
    double best = 1e300;
    for (int r = 0; r < 5; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      auto t = MaglevTable::build(keys, m, error);
      const auto t1 = std::chrono::steady_clock::now();
      if (!t) die(error);
      best = std::min(best, std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    std::printf("maglev build, M = %6u, 1000 backends: %8.3f ms (best of 5; the paper: %.1f ms)\n",
                m, best, paper_ms);
  }
  return 0;
}
