// proxy_bench: what the l7-route proxy costs beside the L4 load balancer (DNAT), in the same
// run, through run_pipeline (every stage, as a live worker runs them) in bursts of 32. The
// bench plays both ends at packet level: clients on the outside port, backends on the inside
// port answering whatever gauntlet sends them. Prints figures only, no thresholds.
//
//   proxy_bench [--connections N] [--rounds R] [--open-rounds O] [-- EAL options]
//     (EAL defaults: -l 0 --no-huge -m 1024 --no-pci --no-shconf)
//
// - New connections per second per worker: each connection is opened and carries its first
//   request, the same five packets into gauntlet in either mode (client SYN, client ACK,
//   client request, backend SYN-ACK, backend ACK of the request), plus whatever gauntlet
//   sends in between (in l7-route mode: the SYN cookie SYN-ACK, the SYN to the backend, the
//   replayed request). Only run_pipeline is timed; building the answers is not. O rounds
//   (default 5) of N connections (default 4096) per mode, the modes taking turns; a
//   connection costs the sum of its five packets, each at its kind's median burst.
// - Established, per packet: client -> backend and backend -> client ACKs (TCP timestamps
//   on, as Linux sends them) of spliced flows (sequence, ACK and timestamp translation) and
//   of DNAT flows, over the first round's connections: R rounds (default 200), the modes
//   taking turns, the median round printed; every packet must leave through the other port.
// The machine's other work shows up as slow rounds; medians keep them out, not all of them.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <string>
#include <unordered_map>
#include <vector>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dataplane/control/tables.h"
#include "dataplane/pipeline/stages.h"

using namespace gauntlet;

namespace {

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "proxy_bench: %s\n", why.c_str());
  std::exit(1);
}

constexpr uint8_t kOutsideMac[6] = {2, 0, 0, 0, 0, 1}, kInsideMac[6] = {2, 0, 0, 0, 0, 2},
                  kGatewayMac[6] = {2, 0, 0, 0, 1, 0xfe}, kBackendMac[6] = {2, 0, 0, 0, 2, 0};
constexpr uint8_t kL4Vip[4] = {198, 51, 100, 10}, kL7Vip[4] = {198, 51, 100, 20};
constexpr uint8_t kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;
enum Mode { kL4, kL7, kModes };
const char* const kModeNames[kModes] = {"L4 DNAT", "l7-route"};

Config load(const char* path, uint32_t flows) {
  std::ofstream y(path);
  y << "ports:\n  outside: { mac: 02:00:00:00:00:01, addresses: [198.51.100.1/24] }\n"
       "  inside: { mac: 02:00:00:00:00:02, addresses: [10.0.0.1/24] }\n"
       "routes:\n  - { prefix: 0.0.0.0/0, port: outside, via: 198.51.100.254 }\n"
       "neighbours:\n  - { address: 198.51.100.254, port: outside, mac: 02:00:00:00:01:fe }\n";
  for (int b = 11; b <= 14; ++b)
    y << "  - { address: 10.0.0." << b << ", port: inside, mac: 02:00:00:00:02:00 }\n";
  y << "conntrack: { capacity: " << 4 * flows << " }\n"
    << "proxy: { flows: " << flows << ", cookie_secret: 000102030405060708090a0b0c0d0e0f }\n"
    << "services:\n"
       "  - { name: l4, vip: 198.51.100.10, ports: [80], backends: [{ address: 10.0.0.11, port: "
       "8080 }, { address: 10.0.0.12, port: 8080 }, { address: 10.0.0.13, port: 8080 }, { "
       "address: 10.0.0.14, port: 8080 }] }\n"
       "  - name: l7\n    vip: 198.51.100.20\n    ports: [80]\n    mode: l7-route\n"
       "    routes: [{ host: bench.example, path: /conn/, service: pool }]\n"
       "  - { name: pool, backends: [{ address: 10.0.0.11, port: 8081 }, { address: 10.0.0.12, "
       "port: 8081 }, { address: 10.0.0.13, port: 8081 }, { address: 10.0.0.14, port: 8081 }] "
       "}\n";
  y.close();
  std::vector<ConfigError> errors;
  auto cfg = load_config(path, errors);
  if (!cfg) die(errors.empty() ? "config" : errors.front().to_string());
  return *cfg;
}

// One TCP segment as the bench builds it or reads it off a port.
struct Segment {
  uint8_t src[4] = {}, dst[4] = {};
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  bool ts = false;
  uint32_t tsval = 0, tsecr = 0;
  std::string payload;
};

void store_be32(uint8_t* p, uint32_t v) {
  store_be16(p, uint16_t(v >> 16)), store_be16(p + 2, uint16_t(v));
}

uint64_t key(const uint8_t a[4], uint16_t port) { return uint64_t{load_be32(a)} << 16 | port; }

// Ethernet + IPv4 + TCP with Linux's options (SYN: MSS 1460, SACK-permitted, timestamps,
// window scale 7; otherwise NOP NOP timestamps), checksums filled.
std::vector<uint8_t> frame(const Segment& s, bool from_outside) {
  uint8_t opt[20];
  size_t optlen = 0;
  if (s.flags & kSyn) {
    const uint8_t syn[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7};
    std::memcpy(opt, syn, 20), optlen = 20;
    store_be32(opt + 8, s.tsval), store_be32(opt + 12, s.tsecr);
  } else if (s.ts) {
    const uint8_t ts[12] = {1, 1, 8, 10};
    std::memcpy(opt, ts, 12), optlen = 12;
    store_be32(opt + 4, s.tsval), store_be32(opt + 8, s.tsecr);
  }
  const size_t tcp_len = 20 + optlen, ip_len = 20 + tcp_len + s.payload.size();
  std::vector<uint8_t> f(14 + ip_len, 0);
  std::memcpy(f.data(), from_outside ? kOutsideMac : kInsideMac, 6);
  std::memcpy(f.data() + 6, from_outside ? kGatewayMac : kBackendMac, 6);
  f[12] = 0x08;
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x45, ip[6] = 0x40, ip[8] = 64, ip[9] = 6;
  store_be16(ip + 2, uint16_t(ip_len));
  std::memcpy(ip + 12, s.src, 4), std::memcpy(ip + 16, s.dst, 4);
  uint8_t* tcp = ip + 20;
  store_be16(tcp, s.sport), store_be16(tcp + 2, s.dport);
  store_be32(tcp + 4, s.seq), store_be32(tcp + 8, s.ack);
  tcp[12] = uint8_t(tcp_len / 4 << 4), tcp[13] = s.flags;
  store_be16(tcp + 14, 64240);
  std::memcpy(tcp + 20, opt, optlen);
  std::memcpy(tcp + tcp_len, s.payload.data(), s.payload.size());
  auto* h = reinterpret_cast<rte_ipv4_hdr*>(ip);
  h->hdr_checksum = rte_ipv4_cksum(h);
  const uint16_t sum = rte_ipv4_udptcp_cksum(h, tcp);
  std::memcpy(tcp + 16, &sum, 2);
  return f;
}

bool read_segment(rte_mbuf* m, Segment& s) {
  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint32_t len = rte_pktmbuf_data_len(m);
  if (len < 54 || p[12] != 0x08 || p[13] != 0 || p[14 + 9] != 6) return false;
  const uint8_t* ip = p + 14;
  const uint32_t ihl = (ip[0] & 15u) * 4, ip_len = load_be16(ip + 2);
  const uint8_t* tcp = ip + ihl;
  const uint32_t doff = uint32_t(tcp[12] >> 4) * 4;
  if (14 + ip_len > len || ihl + doff > ip_len) return false;
  std::memcpy(s.src, ip + 12, 4), std::memcpy(s.dst, ip + 16, 4);
  s.sport = load_be16(tcp), s.dport = load_be16(tcp + 2);
  s.seq = load_be32(tcp + 4), s.ack = load_be32(tcp + 8), s.flags = tcp[13];
  s.ts = false;
  for (uint32_t i = 20; i < doff;) {
    if (tcp[i] == 0) break;
    if (tcp[i] == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= doff || tcp[i + 1] < 2) break;
    if (tcp[i] == 8 && tcp[i + 1] == 10 && i + 10 <= doff)
      s.ts = true, s.tsval = load_be32(tcp + i + 2), s.tsecr = load_be32(tcp + i + 6);
    i += tcp[i + 1];
  }
  s.payload.assign(reinterpret_cast<const char*>(tcp + doff), ip_len - ihl - doff);
  return true;
}

double ns(uint64_t cycles, uint64_t n) {
  return double(cycles) * 1e9 / double(rte_get_tsc_hz()) / double(n);
}

// A client connection and its backend leg, as the two ends see them.
struct Conn {
  Segment client;   // client -> VIP: addresses, ports, next seq/ack, timestamps
  Segment backend;  // backend -> its peer on the inside port
  bool opened = false, served = false;
};

enum Kind { kClientSyn, kClientAck, kClientRequest, kBackendSynAck, kBackendAck, kKinds };
const char* const kKindNames[kKinds] = {"client SYN", "client ACK", "client request",
                                        "backend SYN-ACK", "backend ACK"};

struct Harness {
  Harness(Worker& w_, rte_mempool* pool_) : w(w_), pool(pool_) {}
  Worker& w;
  rte_mempool* pool;
  uint64_t clock_ns = 1000000000, sequence = 0;
  std::deque<std::vector<uint8_t>> queue[kKinds];
  std::vector<double> burst_ns[kKinds];  // each burst's run_pipeline time per packet
  std::vector<Conn> conns;
  bool l7 = false;  // the connections being opened are to the l7-route VIP
  std::unordered_map<uint64_t, size_t> by_client;  // client address:port -> conn
  struct Leg {
    uint32_t isn, next;  // the backend's ISN; the next byte it expects
    uint32_t tsval;      // the peer's latest TSval
  };
  std::unordered_map<std::string, Leg> legs;  // backend-side 4-tuple -> leg

  // Sends one burst (at most 32 frames from `frames`) in through `port`; returns the cycles
  // run_pipeline took. What gauntlet sent is left in w.tx for the caller.
  uint64_t send(const std::vector<const std::vector<uint8_t>*>& frames, uint8_t port) {
    Burst b;
    b.count = 0;
    clock_ns += 1000;
    for (const auto* f : frames) {
      rte_mbuf* m = rte_pktmbuf_alloc(pool);
      if (!m) die("mbuf pool empty");
      std::memcpy(rte_pktmbuf_append(m, uint16_t(f->size())), f->data(), f->size());
      PacketContext& c = b.ctx[b.count];
      c.in_port = port;
      c.direction = port == 0 ? Direction::ingress : Direction::egress;
      c.time_ns = clock_ns;
      c.sequence = ++sequence;
      b.mbufs[b.count++] = m;
    }
    const uint64_t t0 = rte_rdtsc_precise();
    run_pipeline(w, b);
    return rte_rdtsc_precise() - t0;
  }

  void flush() {
    for (uint8_t p = 0; p < kPortCount; ++p) {
      rte_pktmbuf_free_bulk(w.tx[p], w.tx_count[p]);
      w.tx_count[p] = 0;
    }
    Record r;
    while (w.to_control.pop(r)) {
    }
  }

  static std::string leg_key(const Segment& s) {
    return std::string(reinterpret_cast<const char*>(s.src), 4) +
           std::string(reinterpret_cast<const char*>(s.dst), 4) + std::to_string(s.sport) + ":" +
           std::to_string(s.dport);
  }

  // The two ends answer what gauntlet sent: a client acknowledges the SYN-ACK and sends its
  // request; a backend answers a SYN with a SYN-ACK and acknowledges data.
  void react() {
    Segment s;
    for (uint16_t i = 0; i < w.tx_count[0]; ++i) {
      if (!read_segment(w.tx[0][i], s)) die("gauntlet sent a client something other than TCP/IPv4");
      auto it = by_client.find(key(s.dst, s.dport));
      if (it == by_client.end()) die("gauntlet sent a segment to an unknown client");
      Conn& c = conns[it->second];
      if (s.flags & kRst)
        die(std::string(l7 ? "l7-route" : "L4") + ": gauntlet reset client connection " +
            std::to_string(it->second));
      if (s.ts) c.client.tsecr = s.tsval;
      if ((s.flags & (kSyn | kAck)) == (kSyn | kAck) && !c.opened) {
        c.opened = true;
        c.client.seq += 1, c.client.ack = s.seq + 1, c.client.flags = kAck;
        queue[kClientAck].push_back(frame(c.client, true));
        Segment req = c.client;
        req.flags = kAck | kPsh;
        req.payload = "GET /conn/" + std::to_string(it->second) +
                      " HTTP/1.1\r\nHost: bench.example\r\nUser-Agent: proxy_bench\r\nAccept: "
                      "*/*\r\n\r\n";
        queue[kClientRequest].push_back(frame(req, true));
        c.client.seq += uint32_t(req.payload.size());
      }
    }
    for (uint16_t i = 0; i < w.tx_count[1]; ++i) {
      if (!read_segment(w.tx[1][i], s))
        die("gauntlet sent a backend something other than TCP/IPv4");
      if (s.flags & kRst) die("gauntlet reset a backend connection");
      const std::string k = leg_key(s);
      Segment answer;
      std::memcpy(answer.src, s.dst, 4), std::memcpy(answer.dst, s.src, 4);
      answer.sport = s.dport, answer.dport = s.sport, answer.ts = s.ts;
      if ((s.flags & (kSyn | kAck)) == kSyn) {
        const Leg leg{uint32_t(0x9e3779b9u * (legs.size() + 1)), s.seq + 1, s.tsval};
        legs[k] = leg;
        answer.flags = kSyn | kAck, answer.seq = leg.isn, answer.ack = leg.next;
        answer.tsval = 77, answer.tsecr = s.tsval;
        queue[kBackendSynAck].push_back(frame(answer, false));
        continue;
      }
      auto it = legs.find(k);
      if (it == legs.end()) die("gauntlet sent a backend data on a connection it never opened");
      Leg& leg = it->second;
      if (s.ts) leg.tsval = s.tsval;
      if (s.payload.empty()) continue;
      leg.next = s.seq + uint32_t(s.payload.size());
      unsigned index = 0;
      if (std::sscanf(s.payload.c_str(), "GET /conn/%u ", &index) != 1 || index >= conns.size())
        die("a backend got bytes that are not a bench request");
      Conn& c = conns[index];
      c.served = true;
      answer.flags = kAck, answer.seq = leg.isn + 1, answer.ack = leg.next;
      answer.tsval = 78, answer.tsecr = leg.tsval;
      c.backend = answer;
      queue[kBackendAck].push_back(frame(answer, false));
    }
    flush();
  }

  // Opens `n` connections to `vip` from clients numbered from `first`; returns the cycles.
  uint64_t open(const uint8_t vip[4], size_t first, size_t n, bool l7_mode) {
    l7 = l7_mode;
    for (size_t i = first; i < first + n; ++i) {
      Conn c;
      const uint8_t client[4] = {203, uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)};
      std::memcpy(c.client.src, client, 4), std::memcpy(c.client.dst, vip, 4);
      c.client.sport = uint16_t(10000 + i % 50000), c.client.dport = 80;
      c.client.seq = uint32_t(0x1000u * i), c.client.flags = kSyn;
      c.client.ts = true, c.client.tsval = 1000;
      by_client[key(client, c.client.sport)] = conns.size();
      conns.push_back(c);
      queue[kClientSyn].push_back(frame(c.client, true));
    }
    uint64_t total = 0;
    for (;;) {
      int k = kKinds - 1;  // the latest step first: connections finish in small groups
      while (k >= 0 && queue[k].empty()) --k;
      if (k < 0) break;
      std::vector<const std::vector<uint8_t>*> burst;
      for (size_t j = 0; j < queue[k].size() && burst.size() < kBurstSize; ++j)
        burst.push_back(&queue[k][j]);
      const uint8_t port = k == kBackendSynAck || k == kBackendAck ? 1 : 0;
      const uint64_t t = send(burst, port);
      // The mode at work: gauntlet answers the SYN itself (l7-route) or forwards it (DNAT).
      if (k == kClientSyn && w.tx_count[l7 ? 0 : 1] != burst.size())
        die(l7 ? "l7-route: a client's SYN got no SYN-ACK from gauntlet (is the proxy stage in?)"
               : "L4: a client's SYN did not reach a backend");
      burst_ns[k].push_back(ns(t, burst.size()));
      total += t;
      queue[k].erase(queue[k].begin(), queue[k].begin() + long(burst.size()));
      react();
    }
    for (size_t i = first; i < first + n; ++i)
      if (!conns[i].served) die("connection " + std::to_string(i) + " never reached a backend");
    return total;
  }
};

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  size_t connections = 4096;
  uint32_t rounds = 200, open_rounds = 5;
  std::vector<std::string> args{argv[0]};
  int i = 1;
  for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i) {
    if (!std::strcmp(argv[i], "--connections") && i + 1 < argc)
      connections = std::strtoul(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc)
      rounds = uint32_t(std::strtoul(argv[++i], nullptr, 10));
    else if (!std::strcmp(argv[i], "--open-rounds") && i + 1 < argc)
      open_rounds = uint32_t(std::strtoul(argv[++i], nullptr, 10));
    else
      die(std::string("unknown argument ") + argv[i] +
          " (proxy_bench [--connections N] [--rounds R] [--open-rounds O] [-- EAL options])");
  }
  if (i < argc) {
    for (++i; i < argc; ++i) args.push_back(argv[i]);
  } else {
    for (const char* a :
         {"-l", "0", "--no-huge", "-m", "1024", "--no-pci", "--no-shconf", "--log-level=*:error"})
      args.push_back(a);
  }
  if (connections == 0 || rounds == 0 || open_rounds == 0 || connections * open_rounds > 30000)
    die("--connections, --rounds and --open-rounds must be at least 1, and connections x "
        "open-rounds at most 30000");
  std::vector<char*> eal_argv;
  for (auto& a : args) eal_argv.push_back(a.data());
  if (rte_eal_init(int(eal_argv.size()), eal_argv.data()) < 0) die("cannot initialise EAL");

  const Config cfg = load("/tmp/proxy_bench_config.yaml", uint32_t(connections * open_rounds));
  std::string error;
  auto tables = build_tables(cfg, 1, nullptr, error);
  if (!tables) die(error);
  rte_mempool* pool = rte_pktmbuf_pool_create("proxy_bench", 16383, 256, 0,
                                              RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (!pool) die("cannot create the mbuf pool");
  Worker w(0, cfg, 1);
  w.tables = tables.get();
  w.pool = pool;
  seed_neighbours(w, *tables);

  // New connections: rounds of `connections` per mode, L4 and l7-route taking turns, each
  // round from clients never seen before. A connection costs the five packets it sends in
  // (one of each kind), each at the median burst's cost per packet of its kind: bursts the
  // scheduler interrupted stay out.
  Harness h(w, pool);
  h.conns.reserve(size_t(kModes) * open_rounds * connections);
  const uint8_t* vips[kModes] = {kL4Vip, kL7Vip};
  std::vector<double> kind_ns[kModes][kKinds];
  size_t first_conn[kModes] = {};
  for (uint32_t r = 0; r < open_rounds; ++r)
    for (int m = 0; m < kModes; ++m) {
      if (r == 0) first_conn[m] = h.conns.size();
      h.open(vips[m], h.conns.size(), connections, m == kL7);
      for (int k = 0; k < kKinds; ++k) {
        kind_ns[m][k].insert(kind_ns[m][k].end(), h.burst_ns[k].begin(), h.burst_ns[k].end());
        h.burst_ns[k].clear();
      }
    }

  // Established: one ACK per connection (of each mode's first round) and direction, sent
  // again every round; the median round's cost per packet.
  std::vector<std::vector<uint8_t>> acks[kModes][2];
  for (int m = 0; m < kModes; ++m)
    for (size_t c = first_conn[m]; c < first_conn[m] + connections; ++c) {
      const Conn& conn = h.conns[c];
      Segment s = conn.client;
      s.flags = kAck, s.tsval = 1001;
      acks[m][0].push_back(frame(s, true));
      acks[m][1].push_back(frame(conn.backend, false));
    }
  std::vector<double> est_ns[kModes][3];  // by direction, then both
  for (uint32_t r = 0; r < rounds; ++r)
    for (int m = 0; m < kModes; ++m) {
      uint64_t both = 0;
      for (int d = 0; d < 2; ++d) {
        uint64_t cycles = 0;
        for (size_t first = 0; first < connections; first += kBurstSize) {
          std::vector<const std::vector<uint8_t>*> burst;
          for (size_t j = first; j < connections && burst.size() < kBurstSize; ++j)
            burst.push_back(&acks[m][d][j]);
          cycles += h.send(burst, uint8_t(d));
          const uint8_t out = d == 0 ? 1 : 0;
          if (w.tx_count[out] != burst.size() || w.tx_count[1 - out] != 0)
            die(std::string(kModeNames[m]) + ": an established ACK did not leave through the " +
                (out == 1 ? "inside" : "outside") + " port");
          // The first round checks what the other end gets: the backend sees its own sequence
          // space acknowledged, the client its own (spliced: translated; DNAT: untouched).
          for (uint16_t j = 0; r == 0 && j < w.tx_count[out]; ++j) {
            Segment got;
            const Conn& c = h.conns[first_conn[m] + first + j];
            if (!read_segment(w.tx[out][j], got) ||
                (d == 0 ? got.ack != c.backend.seq : got.seq != c.client.ack))
              die(std::string(kModeNames[m]) + ": an established ACK arrived with the " +
                  (d == 0 ? "backend's" : "client's") + " sequence space wrong");
          }
          h.flush();
        }
        est_ns[m][d].push_back(ns(cycles, connections));
        both += cycles;
      }
      est_ns[m][2].push_back(ns(both, 2 * connections));
    }

  std::printf(
      "proxy_bench: %zu connections per round, bursts of %u, TSC %.2f GHz; medians of %u rounds "
      "(established) and %u rounds (new connections)\n",
      connections, kBurstSize, double(rte_get_tsc_hz()) / 1e9, rounds, open_rounds);
  std::printf("established ACK, run_pipeline    %12s %12s %8s\n", kModeNames[kL4], kModeNames[kL7],
              "ratio");
  const char* dir_names[3] = {"client -> backend", "backend -> client", "both directions"};
  for (int d = 0; d < 3; ++d) {
    const double l4 = median(est_ns[kL4][d]), l7 = median(est_ns[kL7][d]);
    std::printf("  %-30s %9.1f ns %9.1f ns %7.2fx\n", dir_names[d], l4, l7, l7 / l4);
  }
  std::printf("new connection, run_pipeline per packet in (median burst):\n");
  double per_conn[kModes] = {};
  for (int k = 0; k < kKinds; ++k) {
    const double l4 = median(kind_ns[kL4][k]), l7 = median(kind_ns[kL7][k]);
    std::printf("  %-30s %9.1f ns %9.1f ns\n", kKindNames[k], l4, l7);
    per_conn[kL4] += l4, per_conn[kL7] += l7;
  }
  for (int m = 0; m < kModes; ++m)
    std::printf("new connections per second per worker, %-9s %10.0f  (%.0f ns each)\n",
                kModeNames[m], 1e9 / per_conn[m], per_conn[m]);
  return 0;
}
